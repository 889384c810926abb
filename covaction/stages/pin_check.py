"""The pin check: every workflow and action file scanned, and fixes suggested through the API."""

from __future__ import annotations

from collections.abc import Sequence

from covaction.edges import Edges
from covaction.edges.github_rest import ApiFailure
from covaction.edges.workspace import Workspace
from covaction.errors import WorkspaceError
from covaction.pins import workflows
from covaction.pins.workflows import ActionRef
from covaction.settings import Settings

WORKFLOW_CAP = 1024 * 1024
LOOKUPS = 50  # tag lookups per run, suggestions and version comments together


def scan(
    settings: Settings, workspace: Workspace, tracked: Sequence[str] | None
) -> tuple[ActionRef, ...]:
    """Every `uses:` reference of the repository's workflows and actions, classified."""
    if settings.pin_policy == "off":
        return ()
    if tracked is not None:
        candidates = list(tracked)
    else:
        # Without git: two walks (workflows, and both action file names in one pattern).
        candidates = workspace.glob(".github/workflows/*") + workspace.glob("**/action.y*ml")
    readable: list[tuple[str, bytes]] = []
    unreadable: list[ActionRef] = []
    for rel in workflows.workflow_paths(candidates):
        try:
            readable.append((rel, workspace.read(rel, "workflow", WORKFLOW_CAP)))
        except WorkspaceError as exc:
            # A workflow we cannot read (a link out of the workspace, over 1 MiB) is a finding.
            unreadable.append(
                ActionRef(file=rel, line=1, uses="", verdict="parse-error", reason=str(exc)[:200])
            )
    return (*workflows.scan(readable, settings.pin_allowlist, settings.pin_rules), *unreadable)


def suggest(
    edges: Edges, findings: Sequence[ActionRef], refs: Sequence[ActionRef] = ()
) -> tuple[dict[str, str], list[str]]:
    """With a token: resolve each unpinned tag or branch to its commit, and check that a pinned
    reference's `# vX.Y.Z` comment names the tag that points at its SHA (at most 50 lookups)."""
    todo = {r.uses: r for r in findings if r.verdict == "unpinned" and r.owner_repo and r.ref}
    commented = {
        r.uses: r
        for r in refs
        if r.verdict == "pinned" and r.kind == "action" and r.owner_repo and r.commented_version
    }
    if not todo and not commented:
        return {}, []
    api = edges.api
    if api is None:
        return {}, [f"Fix suggestions and version-comment checks were skipped: {edges.api_note}."]
    out: dict[str, str] = {}
    notes: list[str] = []
    failed: list[str] = []
    budget = LOOKUPS
    # One failed lookup (an API error, or an answer that is not a commit SHA) costs that
    # reference its suggestion only; the others are still resolved.
    for uses, ref in todo.items():
        if budget == 0:
            break
        budget -= 1
        try:
            sha = api.resolve_ref(ref.owner_repo or "", ref.ref or "")
            if sha:
                out[uses] = workflows.suggestion(ref, sha)
        except (ApiFailure, ValueError) as failure:
            failed.append(f"{uses[:120]}: {_why(failure)}")
    for ref in commented.values():
        if budget == 0:
            break
        budget -= 1
        tag = ref.commented_version or ""
        try:
            sha = api.resolve_ref(ref.owner_repo or "", tag)
            mismatch = bool(sha) and workflows.version_comment_mismatch(ref, sha or "")
        except (ApiFailure, ValueError) as failure:
            failed.append(f"{ref.uses[:120]}: {_why(failure)}")
            continue
        if mismatch and sha:
            notes.append(
                f"{ref.file}:{ref.line}: {ref.uses} says {tag} in its comment, but {tag} "
                f"points at {sha[:12]}; update the SHA or the comment."
            )
            edges.runner.warning(
                f"{ref.uses} is commented {tag}, but {tag} points at another commit ({sha[:12]})"
            )
    if failed:
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        notes.append(f"Could not resolve {'; '.join(failed[:3])}{more}.")
    if budget == 0:
        notes.append(f"Only the first {LOOKUPS} references were resolved.")
    return out, notes


def _why(failure: Exception) -> str:
    if isinstance(failure, ApiFailure):
        return failure.message[:200]
    return "GitHub's answer is not a commit SHA"
