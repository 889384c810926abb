"""The pull request's comment: created, or updated in place, through the REST edge."""

from __future__ import annotations

from covaction.edges import Edges
from covaction.edges.github_rest import ApiFailure
from covaction.github_context import PullRequest
from covaction.render.markdown import marker
from covaction.settings import Settings


def post(settings: Settings, edges: Edges, pr: PullRequest | None, body: str) -> str:
    """Write the comment as `comment` asks; returns its URL, "" when none was written."""
    runner = edges.runner
    if settings.comment == "off" or pr is None:
        return ""
    if edges.api is None:
        runner.warning(f"no pull request comment: {edges.api_note}")
        return ""
    try:
        posted = edges.api.upsert_comment(
            pr.number, marker(settings.report_name), body, settings.comment
        )
    except ApiFailure as failure:
        if failure.kind == "permission":
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
    runner.info(f"Coverage comment {posted.action}: {posted.url}")
    return posted.url
