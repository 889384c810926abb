"""Fork pull requests: the result posted from a trusted `workflow_run` workflow.

A fork's pull-request run has a read-only token. It still computes everything; the stage
`uploads.store_result` keeps the result as data (the `result` document, numbers and findings,
never Markdown) in the artifact `covaction-result-<report-name>` of its run.

A second workflow on `workflow_run` runs the action with `mode: publish`: `publish` acts only on
a completed pull-request run of this repository, downloads the artifact of exactly that run
(`workflow_run.id`), reads it strictly (`result_reader.loads`: the inputs only, every derived
value recomputed with the run's own code), and renders the comment anew through the same
templates. The pull request's number comes from GitHub: the event's
`workflow_run.pull_requests` (same-repository pull requests), else the open pull requests whose
head is the run's head repository and commit (forks). The artifact only says which of those it
is for, and must name one of them. Nothing of the fork is checked out or run.

A document that fails any check changes nothing but one `::notice`; what the maintainer must
fix (a token that cannot comment or read artifacts) is an error, exit 2. Publishing exits 0
otherwise: the gates already decided the pull request's own run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from covaction.documents import result, result_reader, strict_json
from covaction.documents.result import RESULT_FILE, artifact_name
from covaction.edges import Edges, artifact_download
from covaction.edges.github_rest import ApiFailure, GitHubApi
from covaction.errors import ExitCode, GitHubError, InputError, NothingToPublish
from covaction.github_context import GitHubContext
from covaction.render import markdown
from covaction.settings import Settings

PR_EVENTS = ("pull_request", "pull_request_target")
LIST_PAGES = 3  # pages of 100 open pull requests searched for a fork's head
_BRANCH = re.compile(r"[^\x00-\x20~^:?*\[\\\x7f]{1,255}")


# ---------------------------------------------------------------------------- publishing


class Refused(NothingToPublish):
    """Nothing to publish, and why (one line for a `::notice`)."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """The completed run that triggered this workflow, from the event (trusted: GitHub's)."""

    run_id: int
    head_sha: str
    head_repository: str  # owner/name, "" when the head repository was deleted
    event: str
    conclusion: str
    pull_requests: tuple[int, ...]  # same-repository pull requests GitHub lists for the run


def publish(settings: Settings, edges: Edges, github: GitHubContext) -> ExitCode:
    """Post the comment for the pull-request run that triggered this `workflow_run` run."""
    runner = edges.runner
    if github.event_name != "workflow_run":
        raise InputError(
            "input mode: publish posts the result of another run and works only in a workflow "
            f"triggered by workflow_run, not {github.event_name or 'this event'}; use mode: "
            "auto here"
        )
    if settings.comment == "off":
        runner.info("comment: off, so there is nothing to publish")
        return ExitCode.PASSED
    try:
        trigger = read_trigger(github, edges.environ)
        api = _api(edges)
        candidates = pull_request_numbers(api, github, trigger)
        data, artifact_id = fetch_result(settings, api, github, trigger)
        stored = _validate(settings, github, trigger, data, artifact_id, candidates)
    except Refused as why:
        runner.notice(f"No coverage comment posted: {why}")
        return ExitCode.PASSED
    assert stored.pull_request is not None
    # Every percentage with the decimals the pull request's run showed (`[report] precision`).
    with result_reader.decimals(stored.comparison.report):
        ctx = render_context(settings, github, stored, trigger)
        body = markdown.render_comment(ctx)
        summary = markdown.render_summary(ctx)
    runner.write_summary(summary)
    try:
        posted = api.upsert_comment(
            stored.pull_request,
            markdown.marker(settings.report_name),
            body,
            settings.comment,
        )
    except ApiFailure as failure:
        hint = (
            "; grant the workflow_run workflow pull-requests: write"
            if failure.kind == "permission"
            else ""
        )
        raise GitHubError(
            f"could not post the coverage comment on #{stored.pull_request}: "
            f"{failure.message}{hint}"
        ) from None
    runner.info(
        f"Coverage comment {posted.action} on #{stored.pull_request} from run {trigger.run_id}: "
        f"{posted.url}"
    )
    with result_reader.decimals(stored.comparison.report):
        outputs = result.outputs(
            stored.comparison, stored.verdict, stored.pin_summary, posted.url, "", stored.pin_policy
        )
    runner.set_outputs(outputs)
    return ExitCode.PASSED


def _api(edges: Edges) -> GitHubApi:
    if edges.api is None:
        raise GitHubError(
            f"mode: publish needs the GitHub API, and there is none: {edges.api_note}"
        )
    return edges.api


def read_trigger(github: GitHubContext, environ: Mapping[str, str]) -> Trigger:
    """The triggering run from the event; Refused unless it is a completed pull-request run
    of this repository."""
    run = github.workflow_run
    if not isinstance(run, Mapping):
        raise Refused("the workflow_run event has no usable workflow_run object")
    run_id = run.get("id")
    if type(run_id) is not int or not 0 < run_id < 10**15:
        raise Refused("the workflow_run event has no run id")
    conclusion = run.get("conclusion")
    if run.get("status") != "completed" or not isinstance(conclusion, str) or not conclusion:
        raise Refused(f"run {run_id} has not completed (activity requested or in_progress)")
    event = run.get("event")
    if event not in PR_EVENTS:
        raise Refused(f"run {run_id} was triggered by {str(event)[:40]}, not a pull request")
    repository = run.get("repository")
    own = github.repository
    full_name = repository.get("full_name") if isinstance(repository, Mapping) else None
    if not own or not isinstance(full_name, str) or full_name.lower() != own.lower():
        raise Refused(f"run {run_id} belongs to another repository")
    repo_id = repository.get("id") if isinstance(repository, Mapping) else None
    expected_id = environ.get("GITHUB_REPOSITORY_ID", "")
    if expected_id.isdigit() and repo_id != int(expected_id):
        raise Refused(f"run {run_id} belongs to another repository (id)")
    head_sha = run.get("head_sha")
    if not isinstance(head_sha, str) or not strict_json.FULL_SHA.fullmatch(head_sha):
        raise Refused(f"run {run_id} has no head commit")
    head = run.get("head_repository")
    head_name = head.get("full_name") if isinstance(head, Mapping) else None
    head_name = (
        head_name
        if isinstance(head_name, str) and strict_json.REPOSITORY.fullmatch(head_name)
        else ""
    )
    numbers = []
    listed = run.get("pull_requests")
    for pr in listed if isinstance(listed, list) else ():
        # A listed pull request counts only when its base is this repository;
        # and only for this very commit (GitHub may list a same-named branch's pull request).
        if not isinstance(pr, Mapping):
            continue
        base, pr_head = pr.get("base"), pr.get("head")
        base_repo = base.get("repo") if isinstance(base, Mapping) else None
        number = pr.get("number")
        if (
            isinstance(base_repo, Mapping)
            and base_repo.get("id") == repo_id
            and isinstance(pr_head, Mapping)
            and pr_head.get("sha") == head_sha
            and type(number) is int
            and number > 0
        ):
            numbers.append(number)
    return Trigger(run_id, head_sha, head_name, str(event), conclusion, tuple(numbers))


def pull_request_numbers(
    api: GitHubApi, github: GitHubContext, trigger: Trigger
) -> tuple[int, ...]:
    """The pull requests the run is for, as GitHub knows them (never from the artifact).

    Same-repository runs list theirs in the event; for a fork's run the list is empty, and the
    open pull requests of this repository are searched for the run's head repository and
    head commit.
    """
    if trigger.pull_requests:
        return trigger.pull_requests
    if not trigger.head_repository:
        raise Refused(
            f"run {trigger.run_id} lists no pull request and its head repository is unknown "
            "(deleted fork?)"
        )
    owner = trigger.head_repository.split("/")[0]
    branch = github.workflow_run.get("head_branch") if github.workflow_run else None
    # `head=owner:branch` narrows the search; the match below decides, so a misleading branch
    # name (a fork's branch may be called anything) can only find nothing.
    params: dict[str, Any] = {"state": "open", "per_page": 100}
    if isinstance(branch, str) and _BRANCH.fullmatch(branch):
        params["head"] = f"{owner}:{branch}"
    found: list[int] = []
    try:
        for page in range(1, LIST_PAGES + 1):
            items = api.get_json(
                "looking up the pull request of the run",
                f"/repos/{github.repository}/pulls",
                {**params, "page": page},
            )
            if not isinstance(items, list):
                break
            found.extend(n for n in map(_matching_number(trigger), items) if n)
            if len(items) < 100:
                break
    except ApiFailure as failure:
        raise GitHubError(
            f"could not look up the pull request of run {trigger.run_id}: {failure.message}"
        ) from None
    if not found:
        raise Refused(
            f"no open pull request has head {trigger.head_repository}@{trigger.head_sha[:12]} "
            "(closed, or pushed again since)"
        )
    return tuple(found)


def _matching_number(trigger: Trigger) -> Any:
    def number(item: Any) -> int:
        if not isinstance(item, Mapping):
            return 0
        head = item.get("head")
        repo = head.get("repo") if isinstance(head, Mapping) else None
        name = repo.get("full_name") if isinstance(repo, Mapping) else None
        n = item.get("number")
        if (
            isinstance(head, Mapping)
            and head.get("sha") == trigger.head_sha
            and isinstance(name, str)
            and name.lower() == trigger.head_repository.lower()
            and item.get("state", "open") == "open"
            and type(n) is int
            and n > 0
        ):
            return n
        return 0

    return number


def fetch_result(
    settings: Settings, api: GitHubApi, github: GitHubContext, trigger: Trigger
) -> tuple[bytes, int]:
    """The result document of exactly the triggering run (newest upload of the name wins)."""
    name = artifact_name(settings.report_name)
    try:
        listing = api.get_json(
            "listing the run's artifacts",
            f"/repos/{github.repository}/actions/runs/{trigger.run_id}/artifacts",
            {"name": name, "per_page": 100},
        )
    except ApiFailure as failure:
        hint = "; grant the workflow actions: read" if failure.kind == "permission" else ""
        raise GitHubError(
            f"could not list the artifacts of run {trigger.run_id}: {failure.message}{hint}"
        ) from None
    items = listing.get("artifacts") if isinstance(listing, Mapping) else None
    usable = [
        item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
        and item.get("name") == name
        and item.get("expired") is False
        and type(item.get("id")) is int
    ]
    if not usable:
        raise Refused(
            f"run {trigger.run_id} ({trigger.conclusion}) stored no unexpired artifact {name} "
            "(only a fork's pull-request run stores one, after measuring coverage)"
        )
    item = max(usable, key=lambda a: a["id"])
    try:
        fetched = artifact_download.download(api, github.repository, item)
        data = artifact_download.unpack(fetched, (RESULT_FILE,))
    except artifact_download.UnpackError as exc:
        raise Refused(f"artifact {item['id']} of run {trigger.run_id} was refused: {exc}") from None
    except ApiFailure as failure:
        if failure.kind == "gone":
            raise Refused(f"artifact {item['id']} of run {trigger.run_id} has expired") from None
        raise GitHubError(f"could not download artifact {item['id']}: {failure.message}") from None
    return data, item["id"]


def _validate(
    settings: Settings,
    github: GitHubContext,
    trigger: Trigger,
    data: bytes,
    artifact_id: int,
    candidates: tuple[int, ...],
) -> result_reader.Stored:
    """The stored result, checked against what GitHub says about the run."""
    label = f"artifact {artifact_id} of run {trigger.run_id} was refused"
    try:
        stored = result_reader.loads(data)
    except result.ResultError as exc:
        raise Refused(f"{label}: {exc}") from None
    if stored.report_name != settings.report_name:
        raise Refused(f"{label}: it holds another report-name than {settings.report_name}")
    if stored.repository.lower() != github.repository.lower():
        raise Refused(f"{label}: it was made for another repository")
    if stored.head_sha != trigger.head_sha:
        raise Refused(f"{label}: it was made for another commit than the run's head")
    if stored.pull_request not in candidates:
        shown = ", ".join(f"#{n}" for n in candidates)
        raise Refused(f"{label}: it names another pull request than the run's ({shown})")
    return stored


def render_context(
    settings: Settings, github: GitHubContext, stored: result_reader.Stored, trigger: Trigger
) -> markdown.RenderContext:
    """The render context of the stored result; links point at the pull request's head commit
    and at the triggering run, where the job summary holds everything. How the comment looks
    (`folder-depth`) is this workflow's choice."""
    gh = github
    run_url = (
        f"{gh.server_url}/{gh.repository}/actions/runs/{trigger.run_id}" if gh.server_url else ""
    )
    return markdown.build_context(
        report_name=settings.report_name,
        comparison=stored.comparison,
        verdict=stored.verdict,
        thresholds=stored.thresholds,
        links=markdown.Links(
            server_url=gh.server_url,
            repository=gh.repository,
            head_sha=trigger.head_sha,
            run_url=run_url,
            pull_request=stored.pull_request or 0,
        ),
        findings=stored.pin_summary.findings,
        suggestions=stored.suggestions,
        pin_policy=stored.pin_policy,
        pin_counts=stored.pin_counts,
        pin_notes=stored.pin_notes,
        notices=stored.notices,
        rollup_depth=settings.folder_depth,
    )
