"""Annotations where reviewers look: every one on a check run when the token may create one
(`checks: write`), else as workflow commands, of which the runner shows ten per type per step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from covaction.edges import Edges
from covaction.edges.github_rest import ApiFailure, FailureKind
from covaction.github_context import GitHubContext
from covaction.render.annotations import Annotation, check_run_batches
from covaction.settings import Settings


def annotate(
    settings: Settings,
    edges: Edges,
    github: GitHubContext,
    planned: Sequence[Annotation],
    reserve: Mapping[str, int],
) -> tuple[str, ...]:
    """Print or post the planned annotations; returns notes for the summary."""
    if not settings.annotations:
        return ()
    runner, pr = edges.runner, github.pull_request
    batches = check_run_batches(planned)
    # A fork's token is read-only: no check run to try.
    if runner.actions and edges.api is not None and pr is not None and not pr.is_fork and batches:
        count = sum(len(b) for b in batches)
        name = f"covaction ({settings.report_name})"
        uncovered = sum(1 for a in planned if a.title == "Uncovered change")
        title = f"{count:,} annotation{'s' if count != 1 else ''}"
        summary = (
            f"{uncovered:,} uncovered changed range{'s' if uncovered != 1 else ''} and "
            f"{count - uncovered:,} pin finding{'s' if count - uncovered != 1 else ''}, each at "
            "its line in the pull request's Files changed."
        )
        try:
            url = edges.api.publish_check_run(pr.head_sha, name, title, summary, batches)
        except ApiFailure as failure:
            if failure.kind == FailureKind.PERMISSION:
                runner.info(
                    "The token cannot create check runs (grant checks: write to annotate every "
                    "line); annotations go out as workflow commands, 10 per type"
                )
            elif failure.kind != FailureKind.DEADLINE:
                runner.info(f"No check run for the annotations ({failure.message}); using "
                            "workflow commands")  # fmt: skip
        else:
            runner.info(f"{count:,} annotations on the check run {name}: {url}")
            return (
                f"All {count:,} annotations are on the check run {name} of the head commit "
                "(shown in the pull request's Files changed).",
            )
    return tuple(runner.annotate(list(planned), reserve))
