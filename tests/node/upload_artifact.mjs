// Uploads files with the real artifact client (npm @actions/artifact, what actions/upload-artifact
// runs) to the Results service named by ACTIONS_RESULTS_URL / ACTIONS_RUNTIME_TOKEN, and prints
// the client's answer as one JSON line on stdout.
//
//   node upload_artifact.mjs <name> <root directory> <skipArchive: true|false> <file>...
import { DefaultArtifactClient } from '@actions/artifact'

const [name, root, skipArchive, ...files] = process.argv.slice(2)
try {
  const client = new DefaultArtifactClient()
  const answer = await client.uploadArtifact(name, files, root, {
    skipArchive: skipArchive === 'true'
  })
  process.stdout.write(JSON.stringify({ ok: true, ...answer }) + '\n')
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error && error.message) }) + '\n')
  process.exitCode = 1
}
