"""Baselines as artifacts: finding the base branch's on a PR, storing this run's on a push.

Finding follows contract E.3. There is no workflow-file input, so the runs listing (E.3 step 1)
would return every push workflow's runs and cost one artifacts call per run; the name-filtered
artifacts listing (step 2) finds the candidates in one call, and one run lookup confirms each
before it is downloaded. A candidate must be unexpired, on the base branch, from this
repository's own run (never a fork's, whatever its branch is called), and that run must be a
successful `push`; the artifact of the PR's exact base commit wins, else the newest. A typical
hit costs three API calls: the listing, the run, the download's 302.

Downloading follows E.4: the API's 302 is read without following it, the storage URL is fetched
by requests without `Authorization` (once more through a fresh 302 if the URL has expired), and
the digest is checked. Unpacking never extracts to disk: one expected member is read through a
capped stream; links, absolute or `..` names, duplicates, encrypted or unknown-method members,
and members that decompress suspiciously well are refused.

Storing follows artifact-upload.md I.5/I.6: the file is written under the workspace first (its
workspace-relative path is the `baseline-path` output, usable by a later upload step on the
host), then uploaded to the Results service where the runner allows it.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from covaction.documents import baseline as baseline_module
from covaction.documents.baseline import quoted
from covaction.edges.workspace import write_atomic
from covaction.model import CoverageReport
from covaction.render import escape

if TYPE_CHECKING:
    from covaction.documents.baseline import Baseline
    from covaction.github_context import PullRequest
    from covaction.stages.run import Run

MiB = 1024 * 1024
MAX_DOWNLOAD = 64 * MiB
MAX_MEMBER = 64 * MiB
MAX_ENTRIES = 16
MAX_RATIO = 100  # deflate reaches ~1000:1 on zeros; baseline JSON stays far below 100:1
RATIO_FLOOR = MiB  # small members are capped by size alone
PAGES = 3  # listing pages read while no candidate turns up
RUN_CHECKS = 6  # run lookups per search
DOWNLOADS = 3  # downloads per search
ZIP_TYPES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/zip-compressed"}
)
MAX_ARTIFACT_NAME = 100
BASELINE_FILE = "baseline.json"
LOCAL_DIR = ".covaction"


class UnpackError(Exception):
    """An artifact that is not safe or not usable; the message is one line."""


def artifact_name(base: str, report_name: str) -> str:
    """The artifact of one report: `base` for the default report, `base-report` otherwise.

    Both parts may be 64 characters, the service takes 100: a longer name keeps its start and a
    hash of the whole, so that it stays unique and the finder computes the same one.
    """
    name = base if report_name == "coverage" else f"{base}-{report_name}"
    if len(name) <= MAX_ARTIFACT_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: MAX_ARTIFACT_NAME - 13]}-{digest}"


def member_names(report_name: str) -> tuple[str, ...]:
    """Names the baseline may have inside the zip, most expected first."""
    return (
        BASELINE_FILE,  # this action's own upload, or upload-artifact of baseline-path
        f"{report_name}/{BASELINE_FILE}",  # upload-artifact of the whole .covaction folder
        f"covaction-baseline-{report_name}.json",  # earlier development builds
    )


# ------------------------------------------------------------------------------- finding


@dataclass
class Search:
    """What one search found, and why each candidate it looked at was passed over."""

    baseline: Baseline | None = None
    artifact: dict[str, Any] | None = None
    exact: bool = False
    rejected: list[str] = field(default_factory=list)  # hostile or broken artifacts
    passed_over: int = 0  # candidates whose run is not a successful push (silently skipped)
    candidates: int = 0


def _listing(state: Run, name: str, branch: str) -> list[dict[str, Any]]:
    """Unexpired artifacts called `name` from this repository's runs on `branch`, newest first.

    Stops at the first page that holds a candidate: the base commit's artifact, when it is not
    among the newest 100, is old enough that the newest one serves as well.
    """
    api = state.api
    assert api is not None
    repo_id = _repository_id(state)
    found: list[dict[str, Any]] = []
    for page in range(1, PAGES + 1):
        data = api.get_json(
            "listing the baseline artifacts",
            f"/repos/{state.github.repository}/actions/artifacts",
            {"name": name, "per_page": 100, "page": page},
        )
        items = data.get("artifacts") if isinstance(data, dict) else None
        if not isinstance(items, list):
            break
        for item in items:
            if (
                not isinstance(item, dict)
                or item.get("name") != name
                or item.get("expired") is not False
            ):
                continue
            if type(item.get("id")) is not int:
                continue
            run = item.get("workflow_run")
            if (
                not isinstance(run, dict)
                or run.get("head_branch") != branch
                or type(run.get("id")) is not int
            ):
                continue
            own = run.get("repository_id")
            # A fork's run on a branch named like ours: head_repository_id is the fork's.
            if type(own) is not int or run.get("head_repository_id") != own:
                continue
            if repo_id is not None and own != repo_id:
                continue
            found.append(item)
        if found or len(items) < 100:
            break
    return found


# Events that run the branch's own code with the branch's workflows: a baseline may come from
# these only (a pull_request run, even from the same repository, never supplies one).
TRUSTED_EVENTS = ("push", "workflow_dispatch", "schedule")


def _repository_id(state: Run) -> int | None:
    value = state.edges.environ.get("GITHUB_REPOSITORY_ID", "")
    return int(value) if value.isdigit() and len(value) < 20 else None


def _run_problem(
    state: Run, item: dict[str, Any], branch: str, cache: dict[int, Any]
) -> str | None:
    """Why the artifact's run cannot supply a baseline (not a successful push of ours), or None."""
    api = state.api
    assert api is not None
    listed = item["workflow_run"]
    run_id = listed["id"]
    if run_id not in cache:
        cache[run_id] = api.get_json(
            "reading the baseline's workflow run",
            f"/repos/{state.github.repository}/actions/runs/{run_id}",
        )
    run = cache[run_id]
    if not isinstance(run, dict):
        return "its run cannot be read"
    head_repo = (
        (run.get("head_repository") or {}).get("id")
        if isinstance(run.get("head_repository"), dict)
        else None
    )
    repo = (
        (run.get("repository") or {}).get("id") if isinstance(run.get("repository"), dict) else None
    )
    if run.get("event") not in TRUSTED_EVENTS:
        return f"its run was triggered by {str(run.get('event'))[:40]}, not a push to the branch"
    if head_repo is None or head_repo != repo or repo != listed.get("repository_id"):
        return "its run belongs to another repository"
    if run.get("head_branch") != branch or run.get("head_sha") != listed.get("head_sha"):
        return "its run is for another branch or commit"
    if run.get("status") != "completed" or run.get("conclusion") != "success":
        return f"its run has not succeeded ({str(run.get('conclusion') or run.get('status'))[:40]})"
    return None


def search(state: Run, name: str, branch: str, prefer_sha: str) -> Search:
    """The newest usable baseline of `branch` (the one of `prefer_sha` first). Raises ApiFailure
    only when the listing itself fails; a failure on one candidate passes over to the next."""
    from covaction.edges.github_rest import ApiFailure

    out = Search()
    listed = _listing(state, name, branch)
    out.candidates = len(listed)
    exact = [a for a in listed if prefer_sha and a["workflow_run"].get("head_sha") == prefer_sha]
    ordered = exact + [a for a in listed if a not in exact]
    runs: dict[int, Any] = {}
    downloads = 0
    for item in ordered:
        if len(runs) >= RUN_CHECKS or downloads >= DOWNLOADS:
            break
        label = f"artifact {item['id']}"
        try:
            problem = _run_problem(state, item, branch, runs)
            if problem:
                state.runner.info(f"Baseline {label} passed over: {problem}")
                out.passed_over += 1
                continue
            downloads += 1
            fetched = download(state, item)
            member = unpack(fetched, member_names(state.settings.report_name))
            loaded = baseline_module.loads_baseline(member, label)
        except ApiFailure as failure:
            if failure.kind == "gone":
                out.rejected.append(f"{label} has expired")
            else:
                out.rejected.append(f"{label}: {quoted(failure.message, 200)}")
            continue
        except UnpackError as exc:
            out.rejected.append(f"{label} was rejected: {exc}")
            continue
        except baseline_module.BaselineError as exc:
            out.rejected.append(f"{label} was rejected: {str(exc).removeprefix(label + ': ')}")
            continue
        out.baseline, out.artifact, out.exact = loaded, item, item in exact
        return out
    return out


def find_baseline(state: Run, pr: PullRequest) -> tuple[Baseline | None, str]:
    """The PR's baseline and a note for the comment (which commit, how old; or why none).

    Emits at most one `::notice`: why there is no baseline, or which artifacts were rejected
    before one was found. The note is our sentence with every outside value between single
    backticks (`baseline.quoted`), as the templates' `note` filter expects.
    """
    from covaction.edges.github_rest import ApiFailure

    name = artifact_name(state.settings.baseline_artifact, state.settings.report_name)
    branch = pr.base_ref
    shown = f"{quoted(name)} artifact from a push to {quoted(branch)}"
    if not branch:
        note = "the pull request's base branch is unknown"
        state.runner.notice(f"No baseline: {note}")
        return None, note
    try:
        found = search(state, name, branch, pr.base_sha)
    except ApiFailure as failure:
        if failure.kind in ("permission", "not-found"):
            note = (
                "the token cannot read artifacts; add `actions: read` to the workflow's "
                "`permissions`"
            )
        else:
            note = f"the artifacts could not be listed ({quoted(failure.message, 200)})"
        state.runner.notice(f"No baseline: {note}")
        return None, note
    rejected = "; ".join(found.rejected[:3])
    if found.baseline is None:
        if found.rejected:
            note = f"no usable {shown} ({rejected})"
        elif found.passed_over:
            note = (
                f"no {shown} whose run succeeded ({found.passed_over} from other runs, e.g. pull "
                "requests or failed pushes, were passed over)"
            )
        else:
            note = f"no unexpired {shown} (first run on this branch, or the artifact has expired)"
        state.runner.notice(f"No baseline: {note}")
        return None, note
    if found.rejected:
        state.runner.notice(f"Skipped baseline artifacts: {rejected}")
    loaded = found.baseline
    age = loaded.age(state.edges.now())
    if found.exact:
        which = "the pull request's base commit"
    elif pr.base_sha:
        which = f"the newest on {quoted(branch)}; the base commit {pr.base_sha[:7]} has none"
    else:
        which = f"the newest on {quoted(branch)}"
    artifact_id = found.artifact["id"] if found.artifact else "?"
    state.runner.info(f"Baseline: artifact {artifact_id} of commit {loaded.commit[:12]}, {age}")
    return loaded, f"{which}, {age}"


# ------------------------------------------------------------------------------- downloading


@dataclass(frozen=True, slots=True)
class Download:
    data: bytes
    is_zip: bool
    filename: str = ""  # the file's name for an un-archived artifact


def download(state: Run, item: dict[str, Any]) -> Download:
    """302 from the API, then the storage URL without Authorization; digest checked (E.4)."""
    import requests

    api = state.api
    assert api is not None
    path = f"/repos/{state.github.repository}/actions/artifacts/{item['id']}/zip"
    # No proxy credentials and no ~/.netrc: the URL carries its own signature.
    session = requests.Session()
    session.trust_env = False
    got = None
    try:
        for _ in range(2):  # a 403 means the signed URL expired: one fresh 302 (E.4 step 2)
            location = api.redirect_location("downloading the baseline artifact", path)
            if urlsplit(location).scheme not in ("http", "https"):
                raise UnpackError("the API redirected to a URL that is not http(s)")
            got = _fetch(session, location)
            if got is not None:
                break
    finally:
        session.close()
    if got is None:
        raise UnpackError("the storage host refused the signed URL twice (403)")
    data, content_type, disposition = got
    expected = item.get("digest")
    if isinstance(expected, str) and expected.lower().startswith("sha256:"):
        if expected[7:].lower() != hashlib.sha256(data).hexdigest():
            raise UnpackError("its SHA-256 does not match the digest GitHub lists")
    # E.2: zip by Content-Type or a .zip URL path, as @actions/artifact decides; else the file.
    mime = content_type.split(";")[0].strip().lower()
    if mime in ZIP_TYPES or urlsplit(location).path.lower().endswith(".zip"):
        return Download(data, True)
    return Download(data, False, _disposition_filename(disposition))


def _fetch(session: Any, location: str) -> tuple[bytes, str, str] | None:
    """The body, Content-Type and Content-Disposition; None when the signed URL has expired."""
    import requests
    import urllib3

    try:
        with session.get(location, stream=True, allow_redirects=False, timeout=(10, 60)) as reply:
            if reply.status_code == 403:
                return None
            if reply.status_code != 200:
                raise UnpackError(f"the storage host answered {reply.status_code}")
            declared = reply.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_DOWNLOAD:
                raise UnpackError(f"it is over {MAX_DOWNLOAD // MiB} MiB")
            chunks = []
            size = 0
            for chunk in reply.raw.stream(1 << 16, decode_content=False):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise UnpackError(f"it is over {MAX_DOWNLOAD // MiB} MiB")
                chunks.append(chunk)
            return (
                b"".join(chunks),
                reply.headers.get("Content-Type", ""),
                reply.headers.get("Content-Disposition", ""),
            )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise UnpackError(f"it could not be downloaded ({type(exc).__name__})") from None


def _disposition_filename(value: str) -> str:
    """`filename*` (RFC 5987) preferred over `filename`, as @actions/artifact reads it."""
    plain = ""
    for part in value.split(";"):
        key, _, raw = part.strip().partition("=")
        key = key.strip().lower()
        raw = raw.strip()
        if key == "filename*" and "''" in raw:
            return unquote(raw.split("''", 1)[1])[:255]
        if key == "filename":
            plain = raw.strip('"')[:255]
    return plain


# ------------------------------------------------------------------------------- unpacking


def unpack(fetched: Download | bytes, members: tuple[str, ...]) -> bytes:
    """The baseline document from a zip (one expected member) or an un-archived file."""
    if isinstance(fetched, bytes):
        fetched = Download(fetched, True)
    if not fetched.is_zip:
        if len(fetched.data) > MAX_MEMBER:
            raise UnpackError("the baseline file is too large")
        return fetched.data
    try:
        archive = zipfile.ZipFile(io.BytesIO(fetched.data))
        infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        EOFError,
        OSError,
        struct.error,
        NotImplementedError,
        OverflowError,
        UnicodeDecodeError,
    ):
        raise UnpackError("it is not a valid zip") from None
    if len(infos) > MAX_ENTRIES:
        raise UnpackError(f"it holds {len(infos)} entries; a baseline artifact holds one")
    names = [PurePosixPath(i.filename.replace("\\", "/")).as_posix() for i in infos]
    if len(set(names)) != len(names):
        raise UnpackError("it holds two entries with the same name")
    for info in infos:
        _check_member(info)
    chosen = None
    for wanted in members:
        chosen = next((i for i in infos if i.filename == wanted), None)
        if chosen is not None:
            break
    if chosen is None:
        files = [i for i in infos if not i.is_dir() and i.filename.endswith(".json")]
        if len(files) != 1:
            raise UnpackError(f"it does not hold one {members[0]}")
        chosen = files[0]
    if chosen.file_size > MAX_MEMBER:
        raise UnpackError(
            f"its {chosen.filename[:60]} declares {chosen.file_size:,} bytes (zip bomb?)"
        )
    if chosen.file_size > RATIO_FLOOR and chosen.file_size > MAX_RATIO * max(
        chosen.compress_size, 1
    ):
        raise UnpackError("its member compresses suspiciously well (zip bomb?)")
    out = bytearray()
    try:
        with archive.open(chosen) as stream:
            while chunk := stream.read(1 << 16):
                out += chunk
                if len(out) > min(MAX_MEMBER, chosen.file_size):
                    raise UnpackError("its member is larger than it declares (zip bomb?)")
    except UnpackError:
        raise
    except (
        zipfile.BadZipFile,
        RuntimeError,
        OSError,
        EOFError,
        ValueError,
        struct.error,
        NotImplementedError,
        OverflowError,
    ):
        raise UnpackError("its member cannot be read (corrupt zip)") from None
    return bytes(out)


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    shown = quoted(name)
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in name or "\0" in name:
        raise UnpackError(f"it holds an unsafe path {shown}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnpackError(f"it holds a symbolic link {shown}")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no type recorded
        raise UnpackError(f"it holds a special file {shown}")
    if info.flag_bits & 0x1:
        raise UnpackError(f"it holds an encrypted member {shown}")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnpackError(f"its member {shown} uses an unsupported compression method")


# ------------------------------------------------------------------------------- storing


_SEARCH = object()


def store_baseline(
    state: Run, report: CoverageReport, previous: Baseline | object | None = _SEARCH
) -> str:
    """Write this run's baseline, upload it as an artifact of the run; returns baseline-path.

    Runs of the default branch (push, workflow_dispatch, schedule) store one; `previous` is the
    branch's last baseline when the caller already looked it up (its trend is carried forward).
    """
    from covaction.edges import artifact_upload

    settings, gh, runner = state.settings, state.github, state.runner
    if gh.event_name not in TRUSTED_EVENTS:
        runner.info(
            f"No baseline stored: baselines come from runs of the branch, not {gh.event_name}"
        )
        return ""
    name = artifact_name(settings.baseline_artifact, settings.report_name)
    if previous is _SEARCH:
        previous = _previous_for_trend(state, name)
    assert previous is None or isinstance(previous, baseline_module.Baseline)
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
    shown_path = write_local(state, BASELINE_FILE, data)
    result = artifact_upload.upload_artifact(name, BASELINE_FILE, data, environ=state.edges.environ)
    for warning in result.warnings:
        runner.warning(warning)
    if result.uploaded:
        where = f" {result.artifact_url}" if result.artifact_url else ""
        runner.info(
            f"Baseline stored as artifact {name}: id {result.artifact_id}, {result.size} bytes, "
            f"{result.digest}, {len(new.trend)} trend point(s){where}"
        )
        return shown_path
    runner.warning(
        f"The baseline was not stored as artifact {name}: {result.reason}, with name: {name} "
        f"and path: {shown_path} (the output baseline-path); the job summary shows the step"
    )
    major = "v3" if "@v3" in artifact_upload.fallback_hint(state.edges.environ) else "v4"
    runner.write_summary(
        "\n#### Baseline not stored\n\n"
        f"The step could not upload the baseline ({escape.text(result.reason)}). Store it with a "
        "step after this one (give this step an `id`, and pin the action to a full commit SHA):\n\n"
        "```yaml\n"
        f"- uses: actions/upload-artifact@{major}\n"
        "  with:\n"
        f"    name: {name}\n"
        "    path: ${{ steps.<id>.outputs.baseline-path }}\n"
        "```\n"
    )
    return shown_path


def write_local(state: Run, filename: str, data: bytes) -> str:
    """`.covaction/<report>/<filename>` under the workspace; returns its relative path.

    The container's paths mean nothing to a later step on the host, the workspace-relative path
    does (I.5). No link is followed: a checked-in `.covaction` link cannot redirect the write.
    Where the workspace cannot take it, RUNNER_TEMP's absolute path is the fallback.
    """
    root = state.workspace.root
    rel = f"{LOCAL_DIR}/{state.settings.report_name}/{filename}"
    try:
        folder = root
        for part in (LOCAL_DIR, state.settings.report_name):
            folder = folder / part
            try:
                os.mkdir(folder, 0o755)
            except FileExistsError:
                pass
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise OSError(f"{part} is not a folder")
        write_atomic(folder / filename, data)
        return rel
    except OSError as exc:
        state.runner.warning(
            f"could not write {rel} in the workspace ({type(exc).__name__}); writing it under "
            "RUNNER_TEMP instead"
        )
    temp = Path(state.edges.environ.get("RUNNER_TEMP") or state.scratch)
    target = temp / f"covaction-{state.settings.report_name}-{filename}"
    try:
        write_atomic(target, data)
    except OSError:
        target = state.scratch / filename
        write_atomic(target, data)
    return str(target)


def previous_on_branch(state: Run) -> tuple[Baseline | None, str]:
    """The default branch's last baseline, for a run of that branch to compare with."""
    name = artifact_name(state.settings.baseline_artifact, state.settings.report_name)
    found = _previous_for_trend(state, name)
    if found is None:
        return None, "no earlier baseline of this branch"
    return found, f"the previous run on this branch, {found.age(state.edges.now())}"


def _previous_for_trend(state: Run, name: str) -> Baseline | None:
    """The branch's previous baseline, to carry the trend forward (best effort)."""
    if state.api is None:
        state.runner.info(f"The trend starts anew: no API access ({state.api_note})")
        return None
    from covaction.edges.github_rest import ApiFailure

    try:
        found = search(state, name, state.github.push_branch, "")
    except ApiFailure as failure:
        state.runner.notice(f"The coverage trend starts anew: {failure.message}")
        return None
    if found.rejected:
        state.runner.notice(
            "The previous baseline could not be read, the coverage trend starts anew: "
            + "; ".join(found.rejected[:3])
        )
    return found.baseline
