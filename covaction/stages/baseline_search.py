"""Finding the baseline to compare with: a baseline file, or the base branch's artifact.

There is no workflow-file input, so the runs listing would return every push workflow's runs
and cost one artifacts call per run; the name-filtered artifacts listing
(`GET /repos/{owner}/{repo}/actions/artifacts?name=`) finds the candidates in one call, and one
run lookup confirms each before it is downloaded. A candidate must be unexpired, on the base
branch, from this repository's own run (never a fork's, whatever its branch is called), and
that run must be a push, `workflow_dispatch` or `schedule` run: the branch's own code and
workflows. Its conclusion does not matter (a failing gate or a failing sibling job on the
default branch must not leave every later pull request without a baseline; a run still going
counts once its artifact is listed), and the comment says when the run did not succeed.
GitHub documents no order for the listing (the toolkit sorts by id itself), so candidates are
sorted here: the pull request's exact base commit first, then the newest by creation time,
then the highest id. A typical hit costs three API calls: the listing, the run, the
download's 302.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from covaction.documents import baseline as baseline_module
from covaction.documents.baseline import Baseline, artifact_name, member_names, quoted
from covaction.edges import Edges
from covaction.edges.artifact_download import UnpackError, download, unpack
from covaction.edges.github_rest import ApiFailure
from covaction.edges.workspace import read_named_file
from covaction.errors import InputError
from covaction.github_context import GitHubContext, PullRequest
from covaction.settings import Settings

BASELINE_CAP = 64 * 1024 * 1024
PAGES = 3  # listing pages read while no candidate turns up
RUN_CHECKS = 6  # run lookups per search
DOWNLOADS = 3  # downloads per search
# Events that run the branch's own code with the branch's workflows: a baseline may come from
# these only (a pull_request run, even from the same repository, never supplies one).
TRUSTED_EVENTS = ("push", "workflow_dispatch", "schedule")


@dataclass(frozen=True, slots=True)
class Lookup:
    """The baseline to compare with, the note the comment shows, and, on a run of the default
    branch, the branch's previous baseline (`searched`: whether it was looked up at all)."""

    baseline: Baseline | None
    note: str
    previous: Baseline | None = None
    searched: bool = False


def load(settings: Settings, edges: Edges, github: GitHubContext) -> Lookup:
    """The baseline of this run: `baseline-file`, the base branch's artifact on a pull request,
    or the branch's previous baseline on a run of the default branch."""
    if settings.baseline_file:
        if edges.runner.actions:
            data = edges.workspace.read(settings.baseline_file, "baseline-file", BASELINE_CAP)
        else:  # a laptop: the person may name any file
            data = read_named_file(
                edges.workspace.root, settings.baseline_file, "baseline-file", BASELINE_CAP
            )
        try:
            loaded = baseline_module.loads_baseline(data, settings.baseline_file)
        except baseline_module.BaselineError as exc:
            raise InputError(f"baseline-file: {exc}") from None
        return Lookup(loaded, f"from {settings.baseline_file}")
    pr = github.pull_request
    if pr is None:
        if github.on_default_branch and edges.api is not None:
            previous, note = previous_on_branch(settings, edges, github)
            return Lookup(previous, note, previous, searched=True)
        return Lookup(None, "not a pull request")
    if edges.api is None:
        return Lookup(None, f"no API access ({edges.api_note})")
    return Lookup(*find_baseline(settings, edges, github.repository, pr))


@dataclass
class Search:
    """What one search found, and why each candidate it looked at was passed over."""

    baseline: Baseline | None = None
    artifact: dict[str, Any] | None = None
    exact: bool = False
    rejected: list[str] = field(default_factory=list)  # hostile or broken artifacts
    passed_over: int = 0  # candidates whose run is not a trusted run of the branch
    candidates: int = 0
    run_state: str = ""  # "" when the baseline's run succeeded, else its conclusion or status


def _listing(edges: Edges, repository: str, name: str, branch: str) -> list[dict[str, Any]]:
    """Unexpired artifacts called `name` from this repository's runs on `branch`, newest first.

    Stops at the first page that holds a candidate: the base commit's artifact, when it is not
    among the newest 100, is old enough that the newest one serves as well.
    """
    api = edges.api
    assert api is not None
    repo_id = _repository_id(edges)
    found: list[dict[str, Any]] = []
    for page in range(1, PAGES + 1):
        data = api.get_json(
            "listing the baseline artifacts",
            f"/repos/{repository}/actions/artifacts",
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


def _repository_id(edges: Edges) -> int | None:
    value = edges.environ.get("GITHUB_REPOSITORY_ID", "")
    return int(value) if value.isdigit() and len(value) < 20 else None


def newest_first(item: dict[str, Any]) -> tuple[str, int]:
    """Sort key: creation time (ISO 8601 in UTC sorts as text), then id; both descending."""
    created = item.get("created_at")
    return (created if isinstance(created, str) else "", item["id"])


def _run_state(run: dict[str, Any]) -> str:
    """ "" for a completed, successful run; otherwise how it stands, for the comment."""
    if run.get("status") == "completed" and run.get("conclusion") == "success":
        return ""
    state = run.get("conclusion") if run.get("status") == "completed" else run.get("status")
    return str(state or "unknown")[:40]


def _run_problem(
    edges: Edges, repository: str, item: dict[str, Any], branch: str, cache: dict[int, Any]
) -> str | None:
    """Why the artifact's run cannot supply a baseline (not a trusted run of ours), or None."""
    api = edges.api
    assert api is not None
    listed = item["workflow_run"]
    run_id = listed["id"]
    if run_id not in cache:
        cache[run_id] = api.get_json(
            "reading the baseline's workflow run",
            f"/repos/{repository}/actions/runs/{run_id}",
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
    return None


def search(
    settings: Settings, edges: Edges, repository: str, name: str, branch: str, prefer_sha: str
) -> Search:
    """The newest usable baseline of `branch` (the one of `prefer_sha` first). Raises ApiFailure
    only when the listing itself fails; a failure on one candidate passes over to the next."""
    api = edges.api
    assert api is not None
    out = Search()
    listed = sorted(_listing(edges, repository, name, branch), key=newest_first, reverse=True)
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
            problem = _run_problem(edges, repository, item, branch, runs)
            if problem:
                edges.runner.info(f"Baseline {label} passed over: {problem}")
                out.passed_over += 1
                continue
            downloads += 1
            fetched = download(api, repository, item)
            member = unpack(fetched, member_names(settings.report_name))
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
        out.run_state = _run_state(runs[item["workflow_run"]["id"]])
        return out
    return out


def find_baseline(
    settings: Settings, edges: Edges, repository: str, pr: PullRequest
) -> tuple[Baseline | None, str]:
    """The PR's baseline and a note for the comment (which commit, how old; or why none).

    Emits at most one `::notice`: why there is no baseline, or which artifacts were rejected
    before one was found. The note is our sentence with every outside value between single
    backticks (`baseline.quoted`), as the templates' `note` filter expects.
    """
    runner = edges.runner
    name = artifact_name(settings.baseline_artifact, settings.report_name)
    branch = pr.base_ref
    shown = f"{quoted(name)} artifact from a push to {quoted(branch)}"
    if not branch:
        note = "the pull request's base branch is unknown"
        runner.notice(f"No baseline: {note}")
        return None, note
    try:
        found = search(settings, edges, repository, name, branch, pr.base_sha)
    except ApiFailure as failure:
        if failure.kind in ("permission", "not-found"):
            note = (
                "the token cannot read artifacts; add `actions: read` to the workflow's "
                "`permissions`"
            )
        else:
            note = f"the artifacts could not be listed ({quoted(failure.message, 200)})"
        runner.notice(f"No baseline: {note}")
        return None, note
    rejected = "; ".join(found.rejected[:3])
    if found.baseline is None:
        if found.rejected:
            note = f"no usable {shown} ({rejected})"
        elif found.passed_over:
            note = (
                f"no {shown} of the branch's own runs ({found.passed_over} from other runs, e.g. "
                "pull requests, were passed over)"
            )
        else:
            note = f"no unexpired {shown} (first run on this branch, or the artifact has expired)"
        runner.notice(f"No baseline: {note}")
        return None, note
    if found.rejected:
        runner.notice(f"Skipped baseline artifacts: {rejected}")
    loaded = found.baseline
    age = loaded.age(edges.now())
    if found.exact:
        which = "the pull request's base commit"
    elif pr.base_sha:
        which = f"the newest on {quoted(branch)}; the base commit {pr.base_sha[:7]} has none"
    else:
        which = f"the newest on {quoted(branch)}"
    if found.run_state:
        which += f"; its run did not succeed ({quoted(found.run_state, 40)})"
    artifact_id = found.artifact["id"] if found.artifact else "?"
    runner.info(f"Baseline: artifact {artifact_id} of commit {loaded.commit[:12]}, {age}")
    return loaded, f"{which}, {age}"


def previous_on_branch(
    settings: Settings, edges: Edges, github: GitHubContext
) -> tuple[Baseline | None, str]:
    """The default branch's last baseline, for a run of that branch to compare with."""
    found = previous_for_trend(settings, edges, github)
    if found is None:
        return None, "no earlier baseline of this branch"
    return found, f"the previous run on this branch, {found.age(edges.now())}"


def previous_for_trend(settings: Settings, edges: Edges, github: GitHubContext) -> Baseline | None:
    """The branch's previous baseline, to carry the trend forward (best effort)."""
    if edges.api is None:
        edges.runner.info(f"The trend starts anew: no API access ({edges.api_note})")
        return None
    name = artifact_name(settings.baseline_artifact, settings.report_name)
    try:
        found = search(settings, edges, github.repository, name, github.push_branch, "")
    except ApiFailure as failure:
        edges.runner.notice(f"The coverage trend starts anew: {failure.message}")
        return None
    if found.rejected:
        edges.runner.notice(
            "The previous baseline could not be read, the coverage trend starts anew: "
            + "; ".join(found.rejected[:3])
        )
    return found.baseline
