"""Baselines as artifacts: finding the base branch's on a PR, storing this run's on a push.

Finding follows contract E.3: only artifacts of this repository's own push runs on the PR's
base branch (never a fork's run, whatever its branch is called), unexpired; the artifact of the
PR's exact base commit wins, else the newest. Downloading follows E.4: the API's 302 is read
without following it, and the storage URL is fetched by requests without `Authorization`.
Unpacking never extracts to disk: one expected member is read through a capped stream; links,
absolute or `..` names, duplicates, encrypted or unknown-method members are refused.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from typing import TYPE_CHECKING, Any

from covaction import baseline as baseline_module
from covaction.model import CoverageReport

if TYPE_CHECKING:
    from covaction.baseline import Baseline
    from covaction.context import PullRequest
    from covaction.pipeline import Run

MAX_DOWNLOAD = 64 * 1024 * 1024
MAX_MEMBER = 64 * 1024 * 1024
MAX_ENTRIES = 16
MAX_RATIO = 200
PAGES = 3


class UnpackError(Exception):
    """An artifact that is not safe or not usable; the message is one line."""


def baseline_filename(report_name: str) -> str:
    return f"covaction-baseline-{report_name}.json"


def artifact_name(base: str, report_name: str) -> str:
    return base if report_name == "coverage" else f"{base}-{report_name}"


# ------------------------------------------------------------------------------- finding


def _candidates(state: Run, name: str, branch: str) -> list[dict[str, Any]]:
    """Artifacts of that name, newest first, that pass the E.3 fallback filters (all pages)."""
    api = state.api
    assert api is not None
    repo_id = None
    found: list[dict[str, Any]] = []
    for page in range(1, PAGES + 1):
        data = api.get_json(
            "listing the baseline artifacts",
            f"/repos/{state.github.repository}/actions/artifacts",
            {"name": name, "per_page": 100, "page": page},
        )
        items = data.get("artifacts", []) if isinstance(data, dict) else []
        for item in items:
            if not isinstance(item, dict) or item.get("name") != name or item.get("expired") is not False:
                continue
            run = item.get("workflow_run") or {}
            if not isinstance(run, dict) or run.get("head_branch") != branch:
                continue
            if run.get("head_repository_id") is None or run.get("head_repository_id") != run.get("repository_id"):
                continue
            if repo_id is not None and run.get("repository_id") != repo_id:
                continue
            found.append(item)
        if len(items) < 100:
            break
    return found


def _run_is_push(state: Run, run_id: Any) -> bool:
    api = state.api
    assert api is not None
    if not isinstance(run_id, int):
        return False
    run = api.get_json("reading the baseline's workflow run", f"/repos/{state.github.repository}/actions/runs/{run_id}")
    if not isinstance(run, dict):
        return False
    head_repo = (run.get("head_repository") or {}).get("id")
    repo = (run.get("repository") or {}).get("id")
    return run.get("event") in ("push", "workflow_dispatch", "schedule") and head_repo is not None and head_repo == repo


def find_baseline(state: Run, pr: PullRequest) -> tuple[Baseline | None, str]:
    from covaction.github_api import ApiFailure

    name = artifact_name(state.settings.baseline_artifact, state.settings.report_name)
    branch = pr.base_ref
    try:
        candidates = _candidates(state, name, branch)
    except ApiFailure as failure:
        if failure.kind in ("permission", "not-found"):
            return None, "the token cannot read artifacts (add `actions: read` to the workflow's permissions)"
        return None, f"the artifacts could not be listed ({failure.message})"
    if not candidates:
        return None, f"no unexpired `{name}` artifact from a push to `{branch}` (first run, or expired)"
    exact = [a for a in candidates if (a.get("workflow_run") or {}).get("head_sha") == pr.base_sha]
    ordered = exact + [a for a in candidates if a not in exact]
    notes = []
    for item in ordered[:5]:
        run_id = (item.get("workflow_run") or {}).get("id")
        try:
            if not _run_is_push(state, run_id):
                continue
            data = download(state, item)
            member = unpack(data, baseline_filename(state.settings.report_name))
            loaded = baseline_module.loads_baseline(member, f"artifact {name} #{item.get('id')}")
        except (ApiFailure, UnpackError, baseline_module.BaselineError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            state.runner.notice(f"baseline artifact {item.get('id')} skipped: {message}")
            notes.append(message)
            continue
        which = "the pull request's base commit" if item in exact else "the newest baseline; the base commit has none"
        age = loaded.age(state.edges.now())
        return loaded, f"{which}, {age}"
    why = notes[0] if notes else "no usable artifact"
    return None, f"no usable baseline ({why})"


def download(state: Run, item: dict[str, Any]) -> bytes:
    """302 from the API, then the storage URL without Authorization; digest checked."""
    import requests

    api = state.api
    assert api is not None
    artifact_id = item.get("id")
    location = api.redirect_location(
        "downloading the baseline artifact",
        f"/repos/{state.github.repository}/actions/artifacts/{artifact_id}/zip",
    )
    session = requests.Session()
    session.trust_env = False  # no proxy credentials, no ~/.netrc: the URL carries its own signature
    try:
        with session.get(location, stream=True, allow_redirects=False, timeout=(10, 60)) as reply:
            if reply.status_code != 200:
                raise UnpackError(f"the storage host answered {reply.status_code}")
            digest = hashlib.sha256()
            chunks = []
            size = 0
            for chunk in reply.iter_content(1 << 16):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise UnpackError(f"the artifact is over {MAX_DOWNLOAD // (1024 * 1024)} MiB")
                digest.update(chunk)
                chunks.append(chunk)
            content_type = reply.headers.get("Content-Type", "")
    except requests.RequestException as exc:
        raise UnpackError(f"the artifact could not be downloaded ({type(exc).__name__})") from None
    expected = item.get("digest")
    if isinstance(expected, str) and expected.startswith("sha256:") and expected[7:] != digest.hexdigest():
        raise UnpackError("the artifact's SHA-256 does not match its digest")
    data = b"".join(chunks)
    if "zip" not in content_type and not data.startswith(b"PK"):
        return b"RAW" + data  # an un-archived single file (upload-artifact archive: false)
    return data


def unpack(data: bytes, member: str) -> bytes:
    """The expected member of a zip (or the raw file), through a capped stream."""
    if data.startswith(b"RAW"):
        raw = data[3:]
        if len(raw) > MAX_MEMBER:
            raise UnpackError("the baseline file is too large")
        return raw
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnpackError("the artifact is not a valid zip") from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UnpackError(f"the artifact holds {len(infos)} entries; a baseline holds one")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise UnpackError("the artifact holds duplicate names")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise UnpackError(f"the artifact holds an unsafe path {name[:100]!r}")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnpackError(f"the artifact holds a link {name[:100]!r}")
        if info.flag_bits & 0x1:
            raise UnpackError("the artifact holds an encrypted member")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnpackError("the artifact uses an unknown compression method")
    candidates = [i for i in infos if i.filename == member] or [
        i for i in infos if not i.is_dir() and i.filename.endswith(".json")
    ]
    if len(candidates) != 1:
        raise UnpackError(f"the artifact does not hold exactly one {member}")
    info = candidates[0]
    if info.file_size > MAX_MEMBER or (info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO):
        raise UnpackError("the artifact's member is too large or compresses suspiciously well (zip bomb)")
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 16):
                out += chunk
                if len(out) > MAX_MEMBER or len(out) > info.file_size:
                    raise UnpackError("the artifact's member is larger than it declares (zip bomb)")
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, ValueError) as exc:
        raise UnpackError(f"the artifact's member cannot be read ({type(exc).__name__})") from None
    return bytes(out)


# ------------------------------------------------------------------------------- storing


def store_baseline(state: Run, report: CoverageReport) -> str:
    """Write this run's baseline, upload it as an artifact, and return the file's path."""
    from covaction import artifact_upload

    settings, gh, runner = state.settings, state.github, state.runner
    previous = _previous_for_trend(state)
    new = baseline_module.build(
        report,
        commit=gh.sha,
        branch=gh.push_branch,
        report_name=settings.report_name,
        now=state.edges.now(),
        previous=previous,
        run_id=gh.run_id,
    )
    data = baseline_module.dumps(new)
    filename = baseline_filename(settings.report_name)
    out_dir = state.edges.environ.get("RUNNER_TEMP") or str(state.scratch)
    from pathlib import Path

    target = Path(out_dir) / filename
    try:
        target.write_bytes(data)
    except OSError:
        target = state.scratch / filename
        target.write_bytes(data)
    name = artifact_name(settings.baseline_artifact, settings.report_name)
    result = artifact_upload.upload_artifact(name, filename, data, environ=state.edges.environ)
    if result.uploaded:
        runner.info(f"Baseline stored as artifact {name} ({result.size} bytes)")
    else:
        runner.notice(
            f"The baseline was not stored as an artifact: {result.reason}. It is at {target} "
            f"(output baseline-path); add an actions/upload-artifact step with name: {name} "
            "and path: ${{ steps.<id>.outputs.baseline-path }} to keep it"
        )
    return str(target)


def _previous_for_trend(state: Run) -> Baseline | None:
    """The branch's previous baseline, to carry the trend forward (best effort)."""
    if state.api is None:
        return None
    from covaction.github_api import ApiFailure

    from covaction.context import PullRequest

    pseudo = PullRequest(0, state.github.push_branch, "", "", "", "", False, 0)
    try:
        found, _ = find_baseline(state, pseudo)
    except ApiFailure:
        return None
    return found
