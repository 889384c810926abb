"""The fake Results service is judged by the real artifact client, npm `@actions/artifact`.

`tests/node/upload_artifact.mjs` runs the client that actions/upload-artifact uses (installed
from package-lock.json by `.ci/run`) against the fake: it must accept what the client sends
today (`version: 7` with `mime_type`, zipped or a raw file) as it accepts what covaction sends
on purpose (`version: 4`, no `mime_type`: act, Gitea and Forgejo refuse the newer shape), and
refuse what the service refuses. The request messages' fields are read from the client's
generated Twirp types, so a field the client adds or drops shows here.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from covaction.edges.artifact_upload import Timing, upload_artifact
from tests.fakegithub.openapi import NODE_MODULES
from tests.fakeresults import FakeResults, runtime_environ
from tests.fakeresults.wire import REQUEST_FIELDS, SERVICE_PREFIX

SCRIPT = Path(__file__).parent / "node" / "upload_artifact.mjs"
CLIENT = NODE_MODULES / "@actions" / "artifact"
GENERATED = CLIENT / "lib" / "generated" / "results" / "api" / "v1" / "artifact.js"
NODE = shutil.which("node")
DATA = json.dumps({"version": 1, "totals": {"lines": [80, 100]}}).encode()

pytestmark = pytest.mark.skipif(
    NODE is None or not CLIENT.is_dir(),
    reason="node or the npm packages are missing (run `npm ci --ignore-scripts` at the root)",
)


@pytest.fixture
def fake() -> Any:
    with FakeResults() as results:
        results.strict_unknown_fields = True  # a field the fake does not know fails loudly
        yield results
        assert not results.errors, results.errors


def client_version() -> str:
    return str(json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))["version"])


def node_upload(
    fake: FakeResults, tmp_path: Path, name: str, *, skip_archive: bool = False
) -> dict[str, Any]:
    """Upload tmp_path/baseline.json with the real client; its answer."""
    (tmp_path / "baseline.json").write_bytes(DATA)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **runtime_environ(fake),
        "GITHUB_WORKSPACE": str(tmp_path),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(SCRIPT), name, str(tmp_path), str(skip_archive).lower(), str(tmp_path / "baseline.json")],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, proc.stdout + proc.stderr
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def bodies(fake: FakeResults, method: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.requests if r.route == method]


def generated_fields(message: str) -> set[str]:
    """The proto field names of `message` in the client's generated Twirp types."""
    text = GENERATED.read_text(encoding="utf-8")
    block = re.search(
        rf'super\("github\.actions\.results\.api\.v1\.{message}", \[(.*?)\]\);', text, re.S
    )
    assert block, message
    return set(re.findall(r'name: "([a-z_]+)"', block.group(1)))


# ----------------------------------------------------------------------------- the shapes


def test_the_fake_knows_exactly_the_fields_of_the_clients_request_messages() -> None:
    for method in ("CreateArtifact", "FinalizeArtifact", "ListArtifacts", "DeleteArtifact"):
        assert set(REQUEST_FIELDS[method]) == generated_fields(f"{method}Request"), method
    assert set(REQUEST_FIELDS["GetSignedArtifactURL"]) == generated_fields(
        "GetSignedArtifactURLRequest"
    )


def test_the_real_client_uploads_a_zip_with_version_7_and_mime_type(
    fake: FakeResults, tmp_path: Path
) -> None:
    answer = node_upload(fake, tmp_path, "baseline")
    assert answer["ok"], answer
    [create] = bodies(fake, "CreateArtifact")
    run, job = fake.default_run, fake.default_run.job
    ids = {"workflow_run_backend_id": run.backend_id, "workflow_job_run_backend_id": job.backend_id}
    assert create == {**ids, "name": "baseline", "version": 7, "mime_type": "application/zip"}
    [artifact] = fake.finalized()
    assert answer["id"] == artifact.id and answer["size"] == artifact.size
    assert answer["digest"] == artifact.digest.removeprefix("sha256:")
    data = fake.blob_data(artifact)
    assert data is not None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["baseline.json"] and archive.read("baseline.json") == DATA
    routes = fake.routes()
    assert routes[0] == "CreateArtifact" and routes[-1] == "FinalizeArtifact"
    assert set(routes[1:-1]) <= {"blob:block", "blob:blocklist", "blob:put"}
    [finalize] = bodies(fake, "FinalizeArtifact")
    assert finalize == {**ids, "name": "baseline", "size": str(len(data)), "hash": artifact.digest}
    assert client_version() == "6.2.1"


def test_the_real_client_uploads_a_raw_file_with_its_own_mime_type(
    fake: FakeResults, tmp_path: Path
) -> None:
    answer = node_upload(fake, tmp_path, "ignored", skip_archive=True)
    assert answer["ok"], answer
    [create] = bodies(fake, "CreateArtifact")
    assert (create["name"], create["version"], create["mime_type"]) == (
        "baseline.json",
        7,
        "application/json",
    )
    [artifact] = fake.finalized()
    assert fake.blob_data(artifact) == DATA


def test_covaction_uploads_version_4_without_mime_type_to_the_same_fake(
    fake: FakeResults, tmp_path: Path
) -> None:
    node_answer = node_upload(fake, tmp_path, "from-the-client")
    assert node_answer["ok"], node_answer
    result = upload_artifact(
        "from-covaction", "baseline.json", DATA, environ=runtime_environ(fake),
        timing=Timing(sleep=lambda _s: None),
    )  # fmt: skip
    assert result.uploaded, result.reason
    shapes = [(b["name"], b["version"], b.get("mime_type")) for b in bodies(fake, "CreateArtifact")]
    assert shapes == [("from-the-client", 7, "application/zip"), ("from-covaction", 4, None)]
    assert [a.name for a in fake.finalized()] == ["from-the-client", "from-covaction"]


# ----------------------------------------------------------------------------- refusals


def create(fake: FakeResults, **fields: Any) -> requests.Response:
    run, job = fake.default_run, fake.default_run.job
    body = {
        "workflow_run_backend_id": run.backend_id,
        "workflow_job_run_backend_id": job.backend_id,
        "name": "refused",
        **fields,
    }
    return requests.post(
        fake.url.rstrip("/") + SERVICE_PREFIX + "CreateArtifact",
        json={k: v for k, v in body.items() if v is not None},
        headers={"Authorization": f"Bearer {job.token}", "User-Agent": "test"},
        timeout=10,
    )


MIME = "mime_type a valid mime_type is required for this artifact version"
MALFORMED = {"code": "malformed", "msg": "the json request could not be decoded"}
REFUSED = {
    # what is sent: the service's Twirp error (HTTP 400 for both codes, twirp errors.go)
    "version 7 without mime_type": ({"version": 7}, {"code": "invalid_argument", "msg": MIME, "meta": {"argument": "mime_type"}}),
    "version 7 with an unknown mime_type": ({"version": 7, "mime_type": "application/x-nonsense"}, {"code": "invalid_argument", "msg": MIME, "meta": {"argument": "mime_type"}}),
    "no version": ({}, {"code": "invalid_argument", "msg": "version is required", "meta": {"argument": "version"}}),
    "mime_type as a wrapper object": ({"version": 7, "mime_type": {"value": "application/zip"}}, MALFORMED),
    "version as a word": ({"version": "seven"}, MALFORMED),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_fake_refuses_what_the_service_refuses(fake: FakeResults, case: str) -> None:
    fields, error = REFUSED[case]
    answer = create(fake, **fields)
    assert (answer.status_code, answer.json()) == (400, error)
    assert fake.finalized() == [] and not fake.artifacts
