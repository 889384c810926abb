"""The release path by construction: pinned actions and tools, least permissions, a pinned image.

No Docker engine and no GitHub here, so the workflows and the Dockerfile are checked as text and
their shell steps are run as they are written: the tag check and the action.yml rewrite against a
real git repository, the Dockerfile's package install against stand-in `apt-get` and `dpkg-query`
executables (a real apt would install into this machine).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
RELEASE = ROOT / ".github" / "workflows" / "release.yml"

SHA_REF = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}")
IMAGE_DIGEST = re.compile(r"(docker://)?[a-z0-9./_:-]+@sha256:[0-9a-f]{64}")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\s*$")
# Debian policy 5.6.1 (package names) and 5.6.12 (versions: [epoch:]upstream[-revision]).
DEB_PIN = re.compile(r"[a-z0-9][a-z0-9+.-]+=(\d+:)?[0-9][A-Za-z0-9.+~-]*(-[A-Za-z0-9.+~]+)?")


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def _release() -> dict[Any, Any]:
    return _load(RELEASE)


def _step(name: str) -> dict[str, Any]:
    found = [step for _, step in _steps(_release()) if step.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def _uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


# --- every action pinned by SHA, with the version it stands for -----------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_uses_names_a_full_commit_sha_with_its_version(path: Path) -> None:
    workflow = _load(path)
    parsed = [s["uses"] for _, s in _steps(workflow) if "uses" in s]
    parsed += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    lines = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", path.read_text(encoding="utf-8"), re.M)
    # Every `uses:` YAML sees is a line this check reads (no flow-style step hides one).
    assert sorted(ref for ref, _ in lines) == sorted(parsed)
    for ref, rest in lines:
        if ref.startswith("./"):
            continue
        assert SHA_REF.fullmatch(ref) or IMAGE_DIGEST.fullmatch(ref), ref
        assert VERSION_COMMENT.search(rest), f"{ref}: no `# vX.Y.Z` comment"


def test_one_action_is_pinned_to_one_commit_across_workflows() -> None:
    seen: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for _, step in _steps(_load(path)):
            if "@" in str(step.get("uses", "")):
                action, sha = step["uses"].split("@")
                seen.setdefault(action, set()).add(sha)
    assert {a: s for a, s in seen.items() if len(s) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for job, step in _steps(_load(path)):
        if _uses(step, "actions/checkout"):
            assert step.get("with", {}).get("persist-credentials") is False, job


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_run_steps_take_values_from_env_never_from_expressions(path: Path) -> None:
    for job, step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), (job, step.get("name"))


# --- the release workflow: trigger, order, permissions ---------------------------------------------


def test_release_runs_on_version_tags_only() -> None:
    workflow = _release()
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert on == {"push": {"tags": ["v*.*.*"]}}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_release_moves_the_tag_only_after_signing_and_attesting() -> None:
    jobs = _release()["jobs"]
    needs = {
        name: set([job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []))
        for name, job in jobs.items()
    }
    assert needs == {
        "build": set(),
        "sbom": {"build"},
        "sign": {"build", "sbom"},
        "release": {"build", "sign"},
    }


# The exact grant of each job: the expected outcome, written out.
EXPECTED_PERMISSIONS = {
    "build": {"contents": "read", "packages": "write"},
    "sbom": {"packages": "read"},
    "sign": {"packages": "write", "id-token": "write", "attestations": "write"},
    "release": {"contents": "write", "attestations": "read"},
}


def test_release_grants_each_job_exactly_its_permissions() -> None:
    workflow = _release()
    assert workflow["permissions"] == {}
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == (
        EXPECTED_PERMISSIONS
    )


def _writes_needed(job: dict[str, Any]) -> set[str]:
    """The write permissions a job's steps use, read from the steps themselves."""
    needed: set[str] = set()
    for step in job["steps"]:
        inputs = step.get("with", {})
        run = step.get("run", "")
        if _uses(step, "docker/build-push-action") and inputs.get("push") is True:
            needed.add("packages")
        if re.search(r"\bcosign sign\b", run):
            needed |= {"packages", "id-token"}
        if str(step.get("uses", "")).startswith("actions/attest"):
            needed |= {"id-token", "attestations"}
            if inputs.get("push-to-registry") is True:
                needed.add("packages")
        if re.search(r"gh api -X (POST|PATCH) \"\$api/git/|gh release create", run):
            needed.add("contents")
    return needed


def test_write_permissions_are_held_only_by_jobs_whose_steps_use_them() -> None:
    for name, job in _release()["jobs"].items():
        granted = {scope for scope, level in job["permissions"].items() if level == "write"}
        assert granted == _writes_needed(job), name


def test_only_the_signing_job_can_mint_an_oidc_token() -> None:
    for path in WORKFLOWS:
        workflow = _load(path)
        holders = [n for n, j in workflow["jobs"].items() if "id-token" in j.get("permissions", {})]
        assert holders == (["sign"] if path == RELEASE else []), path.name
        assert "id-token" not in (workflow.get("permissions") or {})


def test_the_token_reaches_only_the_steps_that_run_gh() -> None:
    workflow = _release()
    assert "GH_TOKEN" not in workflow.get("env", {})
    for name, job in workflow["jobs"].items():
        assert "GH_TOKEN" not in job.get("env", {}), name
        for step in job["steps"]:
            runs_gh = bool(re.search(r"\bgh (api|release|attestation)\b", step.get("run", "")))
            assert ("GH_TOKEN" in step.get("env", {})) == runs_gh, (name, step.get("name"))


# --- what the release downloads and runs is pinned too ---------------------------------------------


def test_release_tools_and_helper_images_are_pinned() -> None:
    steps = [step for _, step in _steps(_release())]
    installers = [s for s in steps if _uses(s, "sigstore/cosign-installer")]
    assert installers and all(
        re.fullmatch(r"v\d+\.\d+\.\d+", s["with"]["cosign-release"]) for s in installers
    )
    (sbom,) = [s for s in steps if _uses(s, "anchore/sbom-action")]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", sbom["with"]["syft-version"])
    (qemu,) = [s for s in steps if _uses(s, "docker/setup-qemu-action")]
    assert IMAGE_DIGEST.fullmatch(qemu["with"]["image"]) and qemu["with"]["platforms"] == "arm64"
    (buildx,) = [s for s in steps if _uses(s, "docker/setup-buildx-action")]
    driver_image = buildx["with"]["driver-opts"].removeprefix("image=")
    assert IMAGE_DIGEST.fullmatch(driver_image)


def test_release_build_is_two_platforms_without_caches_or_unsigned_attestations() -> None:
    steps = [step for _, step in _steps(_release())]
    (build,) = [s for s in steps if _uses(s, "docker/build-push-action")]
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["provenance"] is False and build["with"]["sbom"] is False
    assert not {"cache-from", "cache-to"} & set(build["with"])
    (qemu,) = [s for s in steps if _uses(s, "docker/setup-qemu-action")]
    (buildx,) = [s for s in steps if _uses(s, "docker/setup-buildx-action")]
    assert qemu["with"]["cache-image"] is False and buildx["with"]["cache-binary"] is False
    assert not any(str(s.get("uses", "")).startswith("actions/cache") for s in steps)


def test_signature_is_verified_against_this_workflows_own_identity() -> None:
    run = _step("Verify the image as a user would")["run"]
    own = f".github/workflows/{RELEASE.name}"
    assert (
        f'--certificate-identity "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/{own}@$GITHUB_REF"' in run
    )
    assert "--certificate-oidc-issuer https://token.actions.githubusercontent.com" in run
    assert run.count(f'--signer-workflow "$GITHUB_REPOSITORY/{own}"') == 2
    assert "--predicate-type https://spdx.dev/Document/v2.3" in run


# --- the shell steps, run as written ---------------------------------------------------------------

BASH = shutil.which("bash")
GIT = shutil.which("git")
needs_bash_and_git = pytest.mark.skipif(not (BASH and GIT), reason="needs bash and git")


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _repo(tmp_path: Path, version: str = "0.1.0") -> tuple[Path, str]:
    """A checkout like the tag job's: main's commit with this project's action.yml."""
    repo = tmp_path / "repo"
    (repo / "covaction").mkdir(parents=True)
    (repo / "covaction" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    shutil.copy(ROOT / "action.yml", repo / "action.yml")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "main")
    sha = _git(repo, "rev-parse", "HEAD")
    _git(repo, "update-ref", "refs/remotes/origin/main", sha)
    return repo, sha


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # What `shell: bash` runs: bash --noprofile --norc -eo pipefail {0}.
    path = cwd.parent / "step.sh"
    path.write_text(script)
    return subprocess.run(
        [str(BASH), "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
    )


def _check_tag(
    repo: Path, sha: str, tag: str, repository: str = "Covaction/CovAction"
) -> tuple[subprocess.CompletedProcess[str], str]:
    output = repo.parent / "github_output"
    output.write_text("")
    done = _run_step(
        _step("Check the tag")["run"],
        repo,
        {
            "TAG": tag,
            "DEFAULT_BRANCH": "main",
            "GITHUB_SHA": sha,
            "GITHUB_REPOSITORY": repository,
            "GITHUB_OUTPUT": str(output),
        },
    )
    return done, output.read_text()


@needs_bash_and_git
def test_tag_check_accepts_a_version_tag_on_main_and_names_the_lowercase_image(
    tmp_path: Path,
) -> None:
    repo, sha = _repo(tmp_path)
    done, outputs = _check_tag(repo, sha, "v0.1.0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs == "image=ghcr.io/covaction/covaction\nversion=0.1.0\n"


NOT_SEMVER = "is not vMAJOR.MINOR.PATCH; delete it and push a tag like v1.2.3."


@needs_bash_and_git
@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("v0.1.0-rc.1", f"::error::Tag v0.1.0-rc.1 {NOT_SEMVER}"),
        ("v0.1.0$(touch pwned)", f"::error::Tag v0.1.0$(touch pwned) {NOT_SEMVER}"),
        ("v0.1.0\nversion=9", f"::error::Tag v0.1.0\nversion=9 {NOT_SEMVER}"),
        (
            "v0.2.0",
            "::error::Tag v0.2.0 does not match covaction/__init__.py __version__ (0.1.0);"
            ' set __version__ = "0.2.0" on main and tag that commit.',
        ),
    ],
)
def test_tag_check_refuses_other_tags(tmp_path: Path, tag: str, message: str) -> None:
    repo, sha = _repo(tmp_path)
    done, outputs = _check_tag(repo, sha, tag)
    assert (done.returncode, outputs) == (1, "")
    assert done.stdout.splitlines() == message.splitlines()
    assert not (repo / "pwned").exists()


@needs_bash_and_git
def test_tag_check_refuses_a_commit_off_the_default_branch(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    _git(repo, "commit", "-q", "--allow-empty", "-m", "elsewhere")
    elsewhere = _git(repo, "rev-parse", "HEAD")
    done, outputs = _check_tag(repo, elsewhere, "v0.1.0")
    assert (done.returncode, outputs) == (1, "")
    assert done.stdout == (
        f"::error::Tag v0.1.0 points at {elsewhere}, which is not on main;"
        " releases are made from main only.\n"
    )


@needs_bash_and_git
def test_release_commit_names_the_image_by_digest_and_is_never_released_again(
    tmp_path: Path,
) -> None:
    """The rewrite as the release job runs it, then the tag check on its result (the loop guard)."""
    repo, sha = _repo(tmp_path)
    run = _step("Make the release commit and move the tag to it")["run"]
    rewrite = run[: run.index("api=")]  # the three lines that edit action.yml locally
    image, digest = "ghcr.io/covaction/covaction", "sha256:" + "ab" * 32
    done = _run_step(rewrite, repo, {"IMAGE": image, "DIGEST": digest})
    assert done.returncode == 0, done.stderr
    released = yaml.safe_load((repo / "action.yml").read_text())
    assert released["runs"] == {"using": "docker", "image": f"docker://{image}@{digest}"}
    original = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {**released, "runs": original["runs"]} == original  # nothing else changed

    _git(repo, "commit", "-q", "-am", "release")
    release_commit = _git(repo, "rev-parse", "HEAD")
    _git(repo, "update-ref", "refs/remotes/origin/main", release_commit)  # even if it were on main
    done, outputs = _check_tag(repo, release_commit, "v0.1.0")
    assert (done.returncode, outputs) == (1, "")
    assert done.stdout == (
        f"::error::action.yml at {release_commit} does not build the Dockerfile"
        " (already a release commit?); tag a commit of main.\n"
    )
    assert sha != release_commit


# --- the Dockerfile installs nothing unpinned -------------------------------------------------------


def _dockerfile_instructions() -> list[str]:
    """Instructions as Docker reads them: comment lines dropped, `\\` continuations joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    kept = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return [ln.strip() for ln in re.sub(r"\\\n", "", "\n".join(kept)).splitlines() if ln.strip()]


def _apt_run() -> str:
    (run,) = [i.removeprefix("RUN ") for i in _dockerfile_instructions() if "apt-get" in i]
    return run


def _pins() -> list[str]:
    arrays = re.findall(r"\bpins=\(([^)]*)\)", _apt_run())
    assert len(arrays) == 1
    return arrays[0].split()


def test_the_base_image_is_named_by_digest() -> None:
    froms = [i for i in _dockerfile_instructions() if i.startswith("FROM ")]
    assert len(froms) == 1
    assert re.fullmatch(r"FROM python:3\.12-slim@sha256:[0-9a-f]{64}", froms[0])


def test_every_apt_package_is_pinned_to_an_exact_version() -> None:
    run = _apt_run()
    pins = _pins()
    assert pins and all(DEB_PIN.fullmatch(p) for p in pins), pins
    names = [p.split("=")[0] for p in pins]
    assert len(set(names)) == len(names) and "git" in names
    installs = re.findall(r"apt-get install ([^;|&]*)", run)
    assert len(installs) == 2  # the archive, then the snapshot fallback
    for args in installs:
        assert args.split() == ["-y", "--no-install-recommends", '"${pins[@]}"']
    assert not re.search(r"apt-get (upgrade|dist-upgrade|full-upgrade)|\bapt install\b", run)


def test_nothing_else_is_fetched_unhashed() -> None:
    instructions = _dockerfile_instructions()
    assert not any(re.match(r"ADD\s", i) for i in instructions)
    assert not any(re.search(r"\b(curl|wget)\b", i) for i in instructions)
    pips = [i for i in instructions if re.search(r"\bpip3? install\b", i)]
    assert pips == ["RUN pip install --require-hashes --only-binary=:all: -r /app/requirements.txt"]


FAKE_APT = r"""#!/bin/bash
# Stand-in apt-get: logs its calls; `install` applies $APT_SCENARIO to the installed list.
state="$FAKE_ROOT/installed"
echo "$*" >> "$FAKE_ROOT/calls"
if [ "$1" = update ] && [ -e "$FAKE_ROOT/sources.list.d/covaction-snapshot.list" ]; then
  cp "$FAKE_ROOT/sources.list.d/covaction-snapshot.list" "$FAKE_ROOT/snapshot-sources"
fi
[ "$1" = install ] || exit 0
shift
while [ "${1#-}" != "$1" ]; do shift; done  # options
if [ "$APT_SCENARIO" = superseded ] && ! [ -e "$FAKE_ROOT/sources.list.d/covaction-snapshot.list" ]; then
  echo "E: Version '${1#*=}' for '${1%%=*}' was not found" >&2; exit 100
fi
for pin in "$@"; do grep -v "^${pin%%=*}=" "$state" > "$state.new"; echo "$pin" >> "$state.new"; mv "$state.new" "$state"; done
case "$APT_SCENARIO" in
  extra) echo "less=668-1" >> "$state" ;;
  upgrade) sed -i 's/^libc6=.*/libc6=2.41-12+deb13u9/' "$state" ;;
  remove) sed -i '/^tzdata=/d' "$state" ;;
esac
"""

FAKE_DPKG_QUERY = r"""#!/bin/bash
# Stand-in dpkg-query -W -f='${db:Status-Status} ${Package}=${Version}\n'.
sed 's/^/installed /' "$FAKE_ROOT/installed"
echo "config-files purged-earlier=1.0"
"""

BASE = ["libc6=2.41-12+deb13u3", "perl-base=5.40.1-6", "tzdata=2026b-0+deb13u1"]


def _install(tmp_path: Path, scenario: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    fake = tmp_path / "fake"
    (fake / "bin").mkdir(parents=True)
    (fake / "sources.list.d").mkdir()
    for name, body in (("apt-get", FAKE_APT), ("dpkg-query", FAKE_DPKG_QUERY)):
        (fake / "bin" / name).write_text(body)
        (fake / "bin" / name).chmod(0o755)
    (fake / "installed").write_text("\n".join(BASE) + "\n")
    script = (
        _apt_run()
        .replace("/etc/apt/sources.list.d/", f"{fake}/sources.list.d/")
        .replace("/tmp/dpkg-", f"{fake}/dpkg-")
    )
    done = subprocess.run(
        [str(BASH), "-o", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env={
            "PATH": f"{fake / 'bin'}:{os.environ['PATH']}",
            "FAKE_ROOT": str(fake),
            "APT_SCENARIO": scenario,
        },
    )
    return done, fake


@pytest.mark.skipif(not BASH, reason="needs bash")
def test_install_of_exactly_the_pins_passes(tmp_path: Path) -> None:
    done, fake = _install(tmp_path, "exact")
    assert done.returncode == 0, done.stderr
    installed = set((fake / "installed").read_text().split())
    assert installed == set(_pins()) | {"libc6=2.41-12+deb13u3", "tzdata=2026b-0+deb13u1"}
    calls = (fake / "calls").read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["update", "install", "dist-clean"]


@pytest.mark.skipif(not BASH, reason="needs bash")
@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("extra", "Not in the pinned list: installed or changed: less=668-1; removed: none"),
        (
            "upgrade",
            "Not in the pinned list: installed or changed: libc6=2.41-12+deb13u9; removed: none",
        ),
        ("remove", "Not in the pinned list: installed or changed: none; removed: tzdata"),
    ],
)
def test_any_package_apt_adds_changes_or_removes_beyond_the_pins_fails_the_build(
    tmp_path: Path, scenario: str, message: str
) -> None:
    done, fake = _install(tmp_path, scenario)
    assert done.returncode == 1
    said = [ln for ln in done.stderr.splitlines() if not ln.startswith("+")]  # set -x traces
    assert said == [message]
    assert "dist-clean" not in (fake / "calls").read_text()


@pytest.mark.skipif(not BASH, reason="needs bash")
def test_a_superseded_pin_is_installed_from_the_snapshot_then_the_source_is_removed(
    tmp_path: Path,
) -> None:
    done, fake = _install(tmp_path, "superseded")
    assert done.returncode == 0, done.stderr
    assert "installing from snapshot.debian.org at 2026" in done.stderr
    calls = [c.split()[0] for c in (fake / "calls").read_text().splitlines()]
    assert calls == ["update", "install", "update", "install", "dist-clean"]
    assert list((fake / "sources.list.d").iterdir()) == []
    snapshot = re.search(r"SNAPSHOT=(\d{8}T\d{6}Z);", _apt_run())
    assert snapshot
    options = "[signed-by=/usr/share/keyrings/debian-archive-keyring.pgp check-valid-until=no]"
    archive = f"http://snapshot.debian.org/archive/{{}}/{snapshot[1]}"
    assert (fake / "snapshot-sources").read_text().splitlines() == [
        f"deb {options} {archive.format('debian')} trixie main",
        f"deb {options} {archive.format('debian-security')} trixie-security main",
    ]


def test_build_context_holds_exactly_what_the_dockerfile_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [ln for ln in ignore if ln.strip() and not ln.startswith("#")]
    copies = [i.split()[1] for i in _dockerfile_instructions() if i.startswith("COPY ")]
    assert rules[0] == "*"  # everything else stays out of the context
    assert sorted(r[1:] for r in rules if r.startswith("!")) == sorted(copies)


# --- the image compiles covaction once, at build time ----------------------------------------------


def _compile_run() -> str:
    (run,) = [i.removeprefix("RUN ") for i in _dockerfile_instructions() if "compileall" in i]
    return run


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/app as the image has it after the Dockerfile's compile step (run here with this
    interpreter as `python`)."""
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    shutil.copy(ROOT / "entrypoint.py", app / "entrypoint.py")
    shutil.copytree(
        ROOT / "covaction",
        app / "covaction",
        ignore=shutil.ignore_patterns("__pycache__", "templates-cache"),
    )
    bin_dir = app.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    done = subprocess.run(
        [str(BASH), "-o", "pipefail", "-c", _compile_run().replace("/app", str(app))],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    return app


def test_every_module_is_compiled_without_a_source_check(built_app: Path) -> None:
    modules = sorted((built_app / "covaction").rglob("*.py"))
    assert len(modules) > 50
    for module in modules:
        pyc = Path(importlib.util.cache_from_source(str(module)))
        # PEP 552: the flags word after the magic number; 0b01 is hash-based, not checked.
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, module


def test_the_templates_are_compiled_and_a_run_never_writes_them(
    built_app: Path, tmp_path: Path
) -> None:
    from covaction.render import markdown

    cache = built_app / "covaction" / "render" / "templates-cache"
    templates = markdown.environment().list_templates()
    assert len(list(cache.iterdir())) == len(templates) >= 3
    # The image's folder is the one a run looks in, beside the templates.
    assert markdown.TEMPLATE_CACHE.relative_to(ROOT) == cache.relative_to(built_app)
    # A run never writes the folder: a template missing from it is compiled, not stored.
    empty = tmp_path / "empty"
    empty.mkdir()
    markdown.environment(empty).get_template(templates[0])
    assert not any(empty.iterdir())


# The example as the image runs it, with an audit hook (PEP 578) recording every template
# Python compiles (`compile()` raises the "compile" event with the file's name).
_RUN_RECORDING_COMPILES = """
import atexit, runpy, sys
app, out = sys.argv[1], sys.argv[2]
compiled = []
sys.addaudithook(
    lambda event, args: compiled.append(str(args[1]))
    if event == "compile" and str(args[1]).endswith(".j2") else None
)
atexit.register(lambda: open(out, "w").write("\\n".join(compiled)))
sys.argv = [app + "/entrypoint.py", *sys.argv[3:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
_DEMO = ["--minimum-coverage", "50", "--diff-file", "changes.diff", "--baseline-file",
         "baseline.json", "--output", "markdown"]  # fmt: skip


def _demo_run(app: Path, record: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    done = subprocess.run(
        [sys.executable, "-I", "-c", _RUN_RECORDING_COMPILES, str(app), str(record), *_DEMO],
        cwd=ROOT / "examples" / "demo",
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    return done, record.read_text().split()


def test_the_bundled_example_runs_from_the_compiled_image_without_compiling_a_template(
    built_app: Path, tmp_path: Path
) -> None:
    image, image_compiled = _demo_run(built_app, tmp_path / "image.txt")
    local, local_compiled = _demo_run(ROOT, tmp_path / "local.txt")
    assert (image.returncode, image.stdout, image.stderr) == (
        local.returncode,
        local.stdout,
        local.stderr,
    )
    assert "covaction" in image.stdout
    # From the checkout the comment's templates are compiled as they load; from the image none.
    assert any(name.endswith("comment.md.j2") for name in local_compiled)
    assert image_compiled == []
