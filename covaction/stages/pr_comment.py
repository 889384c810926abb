"""The pull request's comment: created, or updated in place, through the REST edge."""

from __future__ import annotations

from covaction.edges import Edges
from covaction.edges.github_rest import ApiFailure, FailureKind
from covaction.github_context import PullRequest
from covaction.render.markdown import marker, truncate
from covaction.settings import Settings

# GitHub answers 422 "Body is too long" over 65,536 characters; it may count otherwise than we
# do (bytes, UTF-16 units), so the one smaller rendering fits this many UTF-8 bytes.
SMALLER_BYTES = 60_000


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def post(settings: Settings, edges: Edges, pr: PullRequest | None, body: str) -> str:
    """Write the comment as `comment` asks; returns its URL, "" when none was written."""
    runner = edges.runner
    if settings.comment == "off" or pr is None:
        return ""
    if edges.api is None:
        runner.warning(f"no pull request comment: {edges.api_note}")
        return ""
    mark = marker(settings.report_name)
    try:
        try:
            posted = edges.api.upsert_comment(pr.number, mark, body, settings.comment)
        except ApiFailure as failure:
            if failure.kind != FailureKind.TOO_LONG:
                raise
            runner.warning(
                "GitHub refused the comment as too long; posting a shorter one (the job summary "
                "has everything)"
            )
            smaller = truncate(body, SMALLER_BYTES, keep_first=mark, measure=_utf8)
            posted = edges.api.upsert_comment(pr.number, mark, smaller, settings.comment)
    except ApiFailure as failure:
        if failure.kind == FailureKind.DEADLINE:
            return ""  # said once, at the end of the run
        if failure.kind == FailureKind.PERMISSION:
            fork = " (a pull request from a fork gets a read-only token)" if pr.is_fork else ""
            runner.warning(
                f"could not write the pull request comment{fork}: the token lacks "
                "pull-requests: write. Grant it in the workflow's permissions, or post the "
                "comment from a workflow_run workflow (see the README, 'Pull requests from "
                "forks'); the job summary and outputs are written"
            )
        else:
            runner.warning(f"could not write the pull request comment: {failure.message}")
        return ""
    for note in posted.notes:
        runner.warning(note)
    runner.info(f"Coverage comment {posted.action}: {posted.url}")
    return posted.url
