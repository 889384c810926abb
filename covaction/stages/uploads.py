"""What a run keeps: this run's baseline, a fork's result, and the report-json file.

Each is written under the workspace first (`.covaction/<report>/<file>`: its workspace-relative
path means something to a later step on the host, the container's paths do not), then uploaded
as an artifact of the run where the runner allows it (see `edges.artifact_upload`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from covaction.documents import baseline as baseline_module
from covaction.documents import result, strict_json
from covaction.documents.baseline import BASELINE_FILE, Baseline, artifact_name
from covaction.edges import Edges, artifact_upload
from covaction.edges.retry import Deadline
from covaction.edges.workspace import Workspace, write_atomic, write_named_file
from covaction.errors import InputError
from covaction.github_context import GitHubContext
from covaction.model import CoverageReport
from covaction.render import markdown
from covaction.settings import Settings
from covaction.stages import baseline_search

LOCAL_DIR = ".covaction"


def store_baseline(
    settings: Settings,
    edges: Edges,
    github: GitHubContext,
    report: CoverageReport,
    lookup: baseline_search.Lookup,
) -> str:
    """Write this run's baseline, upload it as an artifact of the run; returns baseline-path.

    Runs of the default branch (push, workflow_dispatch, schedule) store one; the branch's last
    baseline (already looked up when `lookup.searched`) carries its trend forward.
    """
    runner = edges.runner
    if not github.on_default_branch:
        return ""
    if github.event_name not in baseline_search.TRUSTED_EVENTS:
        runner.info(
            f"No baseline stored: baselines come from runs of the branch, not {github.event_name}"
        )
        return ""
    name = artifact_name(settings.baseline_artifact, settings.report_name)
    previous: Baseline | None = (
        lookup.previous
        if lookup.searched
        else baseline_search.previous_for_trend(settings, edges, github)
    )
    new = baseline_module.build(
        report,
        commit=github.sha,
        branch=github.push_branch,
        report_name=settings.report_name,
        now=edges.now(),
        previous=previous,
        run_id=github.run_id,
    )
    data = baseline_module.dumps(new)
    shown_path = write_local(settings, edges, BASELINE_FILE, data)
    uploaded = artifact_upload.upload_artifact(
        name, BASELINE_FILE, data, environ=edges.environ, deadline=_deadline(edges)
    )
    for warning in uploaded.warnings:
        runner.warning(warning)
    if uploaded.uploaded:
        where = f" {uploaded.artifact_url}" if uploaded.artifact_url else ""
        runner.info(
            f"Baseline stored as artifact {name}: id {uploaded.artifact_id}, {uploaded.size} "
            f"bytes, {uploaded.digest}, {len(new.trend)} trend point(s){where}"
        )
        return shown_path
    runner.warning(
        f"The baseline was not stored as artifact {name}: {uploaded.reason}, with name: {name} "
        f"and path: {shown_path} (the output baseline-path); the job summary shows the step"
    )
    major = "v3" if "@v3" in artifact_upload.fallback_hint(edges.environ) else "v4"
    runner.write_summary(markdown.baseline_not_stored(uploaded.reason, name, major))
    return shown_path


def write_baseline_file(
    settings: Settings,
    edges: Edges,
    github: GitHubContext,
    report: CoverageReport,
    lookup: baseline_search.Lookup,
) -> str:
    """`write-baseline`: this run's baseline as a file, for a later run's `baseline-file`
    (a laptop, or storage of one's own); the compared baseline's trend is carried forward."""
    new = baseline_module.build(
        report,
        commit=github.sha if strict_json.FULL_SHA.fullmatch(github.sha) else "",
        branch=github.push_branch,
        report_name=settings.report_name,
        now=edges.now(),
        previous=lookup.previous if lookup.searched else lookup.baseline,
        run_id=github.run_id if github.run_id.isdigit() else "",
    )
    data = baseline_module.dumps(new)
    rel = settings.write_baseline
    if not edges.runner.actions:
        path = write_named_file(edges.workspace.root, rel, "write-baseline", data)
    else:
        path = write_in_workspace(edges.workspace, rel, "write-baseline", data)
    edges.runner.info(f"Baseline written to {path} ({len(data):,} bytes)")
    return path


def store_result(settings: Settings, edges: Edges, doc: Mapping[str, Any]) -> str:
    """Keep a fork's result for a `workflow_run` workflow; returns the file's path.

    The file is written under the workspace (`.covaction/<report>/result.json`, usable by an
    upload step on the host) and uploaded as an artifact of the run where the runner allows it.
    """
    runner = edges.runner
    name = result.artifact_name(settings.report_name)
    data = result.dumps(doc)
    path = write_local(settings, edges, result.RESULT_FILE, data)
    uploaded = artifact_upload.upload_artifact(
        name, result.RESULT_FILE, data, environ=edges.environ, deadline=_deadline(edges)
    )
    for warning in uploaded.warnings:
        runner.warning(warning)
    if uploaded.uploaded:
        runner.info(
            f"Result stored as artifact {name} ({uploaded.size} bytes) for a workflow_run "
            "workflow with mode: publish to post the comment"
        )
        return path
    runner.warning(
        f"The result was not stored as artifact {name}: {uploaded.reason}, with name: {name} "
        f"and path: {path}; a workflow_run workflow with mode: publish posts the comment from it"
    )
    return path


def _deadline(edges: Edges) -> Deadline | None:
    """The run's one API deadline bounds the uploads too."""
    return edges.api.deadline if edges.api is not None else None


def write_local(settings: Settings, edges: Edges, filename: str, data: bytes) -> str:
    """`.covaction/<report>/<filename>` under the workspace; returns its relative path.

    The container's paths mean nothing to a later step on the host, the workspace-relative path
    does. No link is followed: a checked-in `.covaction` link cannot redirect the write. Where
    the workspace cannot take it, RUNNER_TEMP's absolute path is the fallback.
    """
    root = edges.workspace.root
    rel = f"{LOCAL_DIR}/{settings.report_name}/{filename}"
    try:
        folder = root
        for part in (LOCAL_DIR, settings.report_name):
            folder = folder / part
            try:
                os.mkdir(folder, 0o755)
                give_to_workspace_owner(root, folder)
            except FileExistsError:
                pass
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise OSError(f"{part} is not a folder")
        write_atomic(folder / filename, data)
        give_to_workspace_owner(root, folder / filename)
        return rel
    except OSError as exc:
        edges.runner.warning(
            f"could not write {rel} in the workspace ({type(exc).__name__}); writing it under "
            "RUNNER_TEMP instead"
        )
    temp = Path(edges.environ.get("RUNNER_TEMP") or edges.scratch)
    target = temp / f"covaction-{settings.report_name}-{filename}"
    try:
        write_atomic(target, data)
    except OSError:
        target = edges.scratch / filename
        write_atomic(target, data)
    return str(target)


def write_report_json(settings: Settings, workspace: Workspace, doc: Mapping[str, Any]) -> str:
    """The report-json file, written atomically inside the workspace; returns its path."""
    # Compact (`python -m json.tool` indents it for reading), and written a piece at a time,
    # the per-file lists' entries a batch at a time (`result.json_pieces`): the document is
    # never whole in memory (a failure leaves no file: `write_atomic`).
    pieces = chain(result.json_pieces(doc), ("\n",))
    return write_in_workspace(workspace, settings.report_json, "report-json", pieces)


def write_in_workspace(
    workspace: Workspace, rel: str, name: str, data: bytes | Iterable[str]
) -> str:
    """A file an input names (`name`), written atomically inside the workspace, its new folders
    and itself given the workspace's owner; returns `rel`. Every refusal is one InputError."""
    target = workspace.root / rel
    try:
        parent = target.parent.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop in the path
        raise InputError(
            f"{name}: the folder of {rel!r} cannot be resolved (a symbolic link loop?); "
            "choose a path inside the workspace whose folders are plain folders"
        ) from None
    if parent != workspace.root and workspace.root not in parent.parents:
        raise InputError(f"{name}: {rel!r} leaves the workspace")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise InputError(f"{name}: {rel!r} exists and is not a regular file")
    made = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a regular file where a folder belongs, or no permission
        raise InputError(
            f"{name}: cannot make the folder of {rel!r} ({exc.strerror or exc}); a file of "
            "that name may stand where a folder belongs"
        ) from None
    for folder in made:
        give_to_workspace_owner(workspace.root, folder)
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise InputError(f"{name}: cannot write {rel!r} ({exc.strerror})") from None
    give_to_workspace_owner(workspace.root, target)
    return rel


def give_to_workspace_owner(root: Path, path: Path) -> None:
    """A file or folder we made in the workspace gets the workspace's owner.

    The container runs as root; on a self-hosted runner the next job's checkout (as the runner's
    user) could not delete a root-owned `.covaction` folder. Best effort: nothing to do unless
    we are root and the owners differ; a link is never followed.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    try:
        owner = os.stat(root)
        if os.lstat(path).st_uid != owner.st_uid or os.lstat(path).st_gid != owner.st_gid:
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
    except OSError:
        return
