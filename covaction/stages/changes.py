"""The changed lines of this run: a diff file, `git diff` against a ref, or the PR's files."""

from __future__ import annotations

from dataclasses import replace

from covaction import changed_lines
from covaction.changed_lines import ChangedLines
from covaction.edges import Edges, git
from covaction.edges.github_rest import ApiFailure, FailureKind
from covaction.errors import DiffError
from covaction.github_context import PullRequest
from covaction.settings import Settings

DIFF_CAP = 256 * 1024 * 1024


def load(settings: Settings, edges: Edges, pr: PullRequest | None) -> ChangedLines | None:
    """The changed lines, or None when there are none to know (no PR, no API, no diff input)."""
    ws = edges.workspace
    if settings.diff_file:
        data = ws.read(settings.diff_file, "diff-file", DIFF_CAP)
        return changed_lines.parse_unified_diff(data)
    if settings.diff_base:
        # On a laptop the coverage was measured on the working tree: diff against it.
        return changed_lines.parse_unified_diff(
            git.diff_against(
                str(ws.root), edges.environ, settings.diff_base, worktree=not edges.runner.actions
            )
        )
    if pr is None or edges.api is None:
        return None
    try:
        entries = edges.api.pr_files(pr.number)
    except ApiFailure as failure:
        if failure.kind != FailureKind.DEADLINE:  # a passed deadline is said once, at the end
            edges.runner.warning(f"diff coverage skipped: {failure.message}")
        return None
    changes = _fill_missing_patches(edges, changed_lines.from_github_files(entries), pr.base_sha)
    if pr.changed_files and len(entries) < pr.changed_files:
        edges.runner.warning(
            f"GitHub listed {len(entries)} of the pull request's {pr.changed_files} changed files "
            "(its API stops at 3,000); diff coverage covers those only"
        )
    return changes


def _fill_missing_patches(edges: Edges, changes: ChangedLines, base_sha: str) -> ChangedLines:
    """Files GitHub sent no patch for (large or binary): `git diff` when the base is here."""
    missing = [p for p in changes.not_measured if changes.files[p].status != "binary"]
    if not missing:
        return changes
    root, environ = str(edges.workspace.root), edges.environ
    if not git.has_commit(root, environ, base_sha):
        checkout, why = git.inspect(root, environ)
        reason = (
            why
            if checkout is None and why
            else "the base commit is not in the checkout (actions/checkout fetch-depth: 0 "
            "fetches it)"
        )
        edges.runner.info(
            f"{len(missing)} changed file(s) came without a patch and {reason}: listed as not "
            "measured"
        )
        return changes
    try:
        local = changed_lines.parse_unified_diff(
            git.diff_paths(root, environ, base_sha, "HEAD", missing)
        )
    except DiffError as exc:
        edges.runner.info(f"Changed lines of files without a patch stay unknown: {exc}")
        return changes
    files = dict(changes.files)
    for path in missing:
        found = local.files.get(path)
        if found is not None and found.measured:
            files[path] = found
    return replace(changes, files=files)
