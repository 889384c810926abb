"""Base-branch baselines end to end: `python entrypoint.py` against the fake GitHub and Results.

A push to the default branch stores the baseline as an artifact of its run (the Results fake
hands each finalized upload to the REST fake); the next pull request finds it, compares, gates
and says which commit it compared with. Hostile or broken artifacts are refused with one notice
and the run goes on as if there were no baseline.
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
import stat
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from covaction.documents import baseline as baseline_module
from covaction.edges.artifact_upload import zip_single_file
from covaction.model import Counts
from covaction.stages import baseline_search
from tests.fakegithub import WRITE_TOKEN, FakeGitHub, FileChange, fake_github  # noqa: F401
from tests.fakeresults import FakeResults, Run, into_rest, runtime_environ
from tests.forward_proxy import ForwardProxy
from tests.harness import END_TO_END, ActionRun, Result
from tests.sample import make_project

REPO = "octo-org/widget"
REPO_ID = 111
FORK_ID = 222
NAME = "covaction-baseline"
BASE_SHA = "a0" * 20
HEAD_SHA = "b0" * 20
OLD_SHA = "90" * 20
NEWER_SHA = "c1" * 20
RUN_IDS = itertools.count(9_500_000_001)
CURRENT = Counts(23, 18)  # the sample project: 18 of 23 lines, 78.26%


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample package measured by coverage.py once (coverage.xml plus sources)."""
    return make_project(tmp_path_factory.mktemp("project"), branch=False)


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    fake_github.add_repo(REPO, id=REPO_ID)
    fake_github.add_repo("contrib/widget", id=FORK_ID, fork=True)
    return fake_github


@pytest.fixture
def results(github: FakeGitHub) -> Iterator[FakeResults]:
    """The Results service, each finalized upload stored as an artifact in the REST fake."""

    with FakeResults(on_finalize=into_rest(github)) as fake:
        yield fake
        assert not fake.errors, fake.errors


def step(tmp_path: Path, name: str) -> ActionRun:
    """Another step's container, for tests that run several."""
    (tmp_path / name).mkdir()
    return ActionRun(tmp_path / name)


def _workspace(action: ActionRun, project: Path) -> None:
    for name in ("sample", "tests"):
        shutil.copytree(project / name, action.workspace / name, dirs_exist_ok=True)
    shutil.copy(project / "coverage.xml", action.workspace / "coverage.xml")


def push(
    action: ActionRun,
    github: FakeGitHub,
    project: Path,
    run: Run | None,
    results: FakeResults | None,
    branch: str = "main",
    **inputs: str,
) -> Result:
    """A push to `branch`; with `run`, the step gets that Results run's runtime environment."""
    _workspace(action, project)
    sha = run.head_sha if run else NEWER_SHA
    action.api_url = github.base_url
    action.event_name = "push"
    action.event = {
        "ref": f"refs/heads/{branch}", "before": BASE_SHA, "after": sha, "deleted": False,
        "repository": {"id": REPO_ID, "full_name": REPO, "default_branch": "main"},
    }  # fmt: skip
    action.inputs = {"github-token": WRITE_TOKEN, **inputs}
    action.env = {
        "GITHUB_SHA": sha,
        "GITHUB_REF": f"refs/heads/{branch}",
        "GITHUB_REPOSITORY_ID": str(REPO_ID),
    }
    if run is not None and results is not None:
        runtime = runtime_environ(results, run=run)
        action.env.update({k: v for k, v in runtime.items() if k.startswith("ACTIONS_")})
        action.env["GITHUB_RUN_ID"] = str(run.run_id)
    return action.run()


def pull_request(
    action: ActionRun,
    github: FakeGitHub,
    project: Path,
    *,
    base_sha: str = BASE_SHA,
    token: str = WRITE_TOKEN,
    **inputs: str,
) -> Result:
    """PR #42 from a same-repository branch into main, base commit `base_sha`."""
    _workspace(action, project)
    try:
        github.pull(REPO, 42)
    except KeyError:
        github.add_pull(REPO, 42, head_sha=HEAD_SHA, base_sha=base_sha, files=[
            FileChange("sample/calc.py", patch="@@ -24,2 +24,4 @@\n def untested(x):\n+    while x > 10:\n+        x -= 3\n     return x"),
        ])  # fmt: skip
    action.api_url = github.base_url
    action.event_name = "pull_request"
    repo = {"id": REPO_ID, "full_name": REPO, "default_branch": "main"}
    action.event = {
        "action": "synchronize", "number": 42,
        "pull_request": {
            "number": 42, "changed_files": 1,
            "base": {"ref": "main", "sha": base_sha, "repo": repo},
            "head": {"ref": "feature", "sha": HEAD_SHA, "repo": repo},
        },
        "repository": repo,
    }  # fmt: skip
    action.inputs = {"github-token": token, **inputs}
    action.env["GITHUB_REPOSITORY_ID"] = str(REPO_ID)
    return action.run()


def document(
    files: dict[str, Counts] | None = None,
    *,
    commit: str = BASE_SHA,
    age: timedelta = timedelta(hours=3),
    trend: int = 0,
    version: int = 1,
) -> bytes:
    """A baseline document as a push run of `commit` stored it `age` ago."""
    made = datetime.now(UTC) - age
    points = tuple(
        baseline_module.TrendPoint(
            f"{i:040x}", f"2026-11-{1 + i % 28:02d}T10:00:00Z", Counts(100, 70 + i % 20)
        )
        for i in range(trend)
    )
    b = baseline_module.Baseline(
        commit=commit, branch="main", created_at=made.strftime("%Y-%m-%dT%H:%M:%SZ"), report_name="coverage",
        covaction_version="0.1.0", has_branches=False, files=files or {"sample/calc.py": Counts(17, 17)},
        trend=points,
    )  # fmt: skip
    data = baseline_module.dumps(b)
    if version != 1:
        doc = json.loads(data)
        doc["version"] = version
        data = json.dumps(doc).encode()
    return data


def store(
    github: FakeGitHub, data: bytes, *, sha: str = BASE_SHA, zipped: bool = True, **kw: Any
) -> int:
    """An artifact of a push run of `sha` on main (kw: run_id, event, head_branch, ...)."""
    payload = zip_single_file("baseline.json", data) if zipped else data
    kw.setdefault("run_id", next(RUN_IDS))
    if not zipped:
        kw.setdefault("content_type", "application/json")
        kw.setdefault("filename", "baseline.json")
    return github.add_artifact(REPO, kw.pop("name", NAME), payload, head_sha=sha, **kw)


def notices(result: Result) -> list[str]:
    return [c.data for c in result.of("notice")]


def comment(github: FakeGitHub) -> str:
    [c] = github.comments(REPO, 42)
    return c.body


# ----------------------------------------------------------------------------- push stores


@END_TO_END
def test_push_to_main_stores_the_baseline_as_an_artifact_of_its_run(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_100_000_001)
    result = push(action, github, project, run, results, **{"report-name": "api"})
    assert result.code == 0, result.stdout + result.stderr
    [artifact] = github.artifacts(REPO)
    assert artifact.name == f"{NAME}-api"  # one artifact per report-name
    assert (artifact.run_id, artifact.head_sha, artifact.head_branch) == (
        run.run_id,
        NEWER_SHA,
        "main",
    )
    path = result.outputs["baseline-path"]
    assert path == ".covaction/api/baseline.json"  # workspace-relative: usable on the host
    stored = (action.workspace / path).read_bytes()
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as z:
        assert z.namelist() == ["baseline.json"]
        assert z.read("baseline.json") == stored
    loaded = baseline_module.loads_baseline(stored, "stored")
    assert loaded.counts == CURRENT and loaded.commit == NEWER_SHA and loaded.branch == "main"
    assert loaded.report_name == "api" and loaded.run_id == str(run.run_id)
    assert [p.commit for p in loaded.trend] == [NEWER_SHA]
    assert result.warnings == [] and result.errors == []
    assert not github.storage_violations
    # The runtime token went to the Results origin only, and neither token shows anywhere.
    for req in results.requests:
        if req.listener == "blob":
            assert "authorization" not in req.headers
    runtime_token = run.job.token
    assert runtime_token not in result.everything()
    assert all(runtime_token not in str(r.headers) + r.path for r in github.requests)
    assert WRITE_TOKEN not in result.everything().replace(f"::add-mask::{WRITE_TOKEN}", "")


def test_the_default_report_uses_the_plain_artifact_name(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_100_000_002)
    result = push(action, github, project, run, results, **{"baseline-artifact": "cov-base"})
    assert result.code == 0
    assert [a.name for a in github.artifacts(REPO)] == ["cov-base"]
    assert result.outputs["baseline-path"] == ".covaction/coverage/baseline.json"


def test_push_after_push_carries_the_trend_forward_and_the_pr_shows_it(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    shas = [f"{i:02x}" * 20 for i in (0xD1, 0xD2, 0xD3)]
    for i, sha in enumerate(shas):
        run = results.add_run(head_sha=sha, run_id=9_200_000_001 + i)
        result = push(step(tmp_path, f"push{i}"), github, project, run, results)
        assert result.code == 0, result.stdout
    stored = sorted(github.artifacts(REPO), key=lambda a: a.id)
    assert len(stored) == 3
    with zipfile.ZipFile(io.BytesIO(stored[-1].data)) as z:
        last = baseline_module.loads_baseline(z.read("baseline.json"), "last")
    assert [p.commit for p in last.trend] == shas  # each push added its point

    result = pull_request(
        step(tmp_path, "pr"), github, project, base_sha=shas[-1], **{"maximum-coverage-drop": "0"}
    )
    assert result.code == 0, result.stdout
    assert (result.outputs["base-coverage"], result.outputs["coverage-delta"]) == ("78.26", "0.00")
    assert "(the pull request's base commit, just made)" in comment(github)
    assert "```mermaid\n" in result.summary and "xychart-beta" in result.summary
    assert "  line [78.26, 78.26, 78.26, 78.26]" in result.summary  # 3 runs, then this one
    body = comment(github)
    assert "**Trend on `main`** (last 3 runs, then this one): ▅▅▅▅" in body


def test_the_trend_keeps_the_last_50_runs(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    store(github, document(trend=50, commit=OLD_SHA), sha=OLD_SHA)
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_300_000_001)
    assert push(action, github, project, run, results).code == 0
    newest = max(github.artifacts(REPO), key=lambda a: a.id)
    with zipfile.ZipFile(io.BytesIO(newest.data)) as z:
        trend = baseline_module.loads_baseline(z.read("baseline.json"), "t").trend
    assert len(trend) == 50
    assert trend[0].commit == f"{1:040x}" and trend[-1].commit == NEWER_SHA


def test_without_the_results_service_the_file_is_left_for_upload_artifact(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    result = push(action, github, project, None, None, **{"maximum-coverage-drop": "1"})
    assert result.code == 0
    assert github.artifacts(REPO) == []
    path = result.outputs["baseline-path"]
    assert path == ".covaction/coverage/baseline.json"
    assert (
        baseline_module.loads_baseline((action.workspace / path).read_bytes(), "f").counts
        == CURRENT
    )
    [warning] = result.warnings
    assert "ACTIONS_RUNTIME_TOKEN is not set" in warning and "actions/upload-artifact@v4" in warning
    assert f"name: {NAME}" in warning and path in warning
    assert "- uses: actions/upload-artifact@v4" in result.summary
    assert "path: ${{ steps.<id>.outputs.baseline-path }}" in result.summary


def test_a_results_service_that_is_not_there_leaves_the_file_and_the_exit_code_alone(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    results.absent_mode = "bad_route"
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_700_000_001)
    result = push(action, github, project, run, results, **{"minimum-coverage": "50"})
    assert result.code == 0 and result.errors == []
    assert github.artifacts(REPO) == []
    assert result.outputs["baseline-path"] == ".covaction/coverage/baseline.json"
    [warning] = result.warnings
    assert "was not stored as artifact covaction-baseline" in warning
    assert run.job.token not in result.everything()


def test_a_push_to_another_branch_stores_nothing(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    run = results.add_run(head_sha=NEWER_SHA, head_branch="feature", run_id=9_400_000_001)
    result = push(action, github, project, run, results, branch="feature")
    assert result.code == 0 and result.outputs["baseline-path"] == ""
    assert github.artifacts(REPO) == [] and results.finalized() == []
    assert not (action.workspace / ".covaction").exists()


# ----------------------------------------------------------------------------- PR compares


def test_the_pr_compares_with_its_base_commit_and_says_which_and_how_old(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    store(github, document({"sample/calc.py": Counts(20, 17), "tests/test_calc.py": Counts(6, 6)}))
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "10.21"})
    assert result.code == 0, result.stdout  # a drop of 10.2007 points
    assert result.outputs["base-coverage"] == "88.46"  # 23 / 26
    assert result.outputs["coverage-delta"] == "-10.20"
    body = comment(github)
    for text in (body, result.summary):
        assert "Compared with " in text and "a0a0a0a" in text
        assert "on `main` (the pull request's base commit, 3 hours old)." in text
    assert "`sample/__init__.py` *(new)*" in result.summary
    assert result.errors == [] and notices(result) == []
    assert not github.storage_violations
    for req in github.requests_for(host="storage"):
        assert req.header("Authorization") is None and WRITE_TOKEN not in req.path + str(req.query)
    assert WRITE_TOKEN not in result.everything().replace(f"::add-mask::{WRITE_TOKEN}", "")
    assert WRITE_TOKEN not in body


@pytest.mark.process(
    "requests (under PyGithub) reads the proxy and ~/.netrc from the process environment"
)
def test_behind_a_proxy_the_baseline_download_goes_through_it_without_credentials(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    """Self-hosted runners pass HTTP(S)_PROXY into the container: the API and the storage
    download both go through the proxy; the storage host still gets no Authorization and no
    ~/.netrc credentials (a netrc naming the storage host is planted in HOME)."""
    store(github, document({"sample/calc.py": Counts(20, 17), "tests/test_calc.py": Counts(6, 6)}))
    proxy = ForwardProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    home = action.tmp / "proxy-home"
    home.mkdir()
    storage = urllib.parse.urlsplit(github.base_url).hostname
    (home / ".netrc").write_text(f"machine {storage} login netrc-user password netrc-secret\n")
    (home / ".netrc").chmod(0o600)
    action.env.update({
        "HTTP_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}",
        "http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}",
        "NO_PROXY": "", "no_proxy": "", "HOME": str(home),
    })  # fmt: skip
    try:
        result = pull_request(action, github, project, **{"maximum-coverage-drop": "10.21"})
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.code == 0, result.stdout
    assert result.outputs["base-coverage"] == "88.46"
    storage_paths = {r.path for r in github.requests_for(host="storage")}
    assert storage_paths
    relayed = [
        (urllib.parse.urlsplit(uri).path, headers)
        for _method, uri, headers in proxy.seen
        if urllib.parse.urlsplit(uri).path in storage_paths
    ]
    assert {path for path, _ in relayed} == storage_paths, proxy.seen  # every download, proxied
    for _path, headers in relayed:
        assert {k.lower() for k in headers}.isdisjoint({"authorization", "proxy-authorization"})
    assert "netrc-secret" not in result.everything()


def test_a_bigger_drop_fails_the_gate_with_one_error(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    store(github, document({"sample/calc.py": Counts(100, 80)}))
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "1"})
    assert result.code == 1
    [error] = result.errors
    assert "coverage dropped 1.74 points (from 80.00% to 78.26%)" in error
    assert result.outputs["passed"] == "false" and result.outputs["coverage-delta"] == "-1.74"


@pytest.mark.parametrize(
    ("covered", "code"),
    [(3_623_000, 0), (3_623_001, 1)],
    ids=["drop-exactly-the-maximum-passes", "a-hair-more-fails-though-it-shows-0.50"],
)
def test_the_drop_gate_compares_unrounded(
    action: ActionRun, github: FakeGitHub, project: Path, covered: int, code: int
) -> None:
    # 78.2608...% now; the baseline is 0.5 points higher, or 0.5 plus 1/46,000 of a point.
    store(github, document({"sample/calc.py": Counts(4_600_000, covered)}))
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "0.5"})
    assert result.code == code
    assert result.outputs["coverage-delta"] == "-0.50"
    assert len(result.errors) == code


def test_the_exact_base_commit_wins_over_a_newer_baseline(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    exact = store(github, document({"sample/calc.py": Counts(10, 9)}), sha=BASE_SHA)
    store(github, document({"sample/calc.py": Counts(10, 1)}, commit=NEWER_SHA), sha=NEWER_SHA)
    result = pull_request(action, github, project)
    assert result.outputs["base-coverage"] == "90.00"
    assert "(the pull request's base commit" in comment(github)
    downloads = github.requests_for("download_artifact")
    assert [r.path.rsplit("/", 2)[-2] for r in downloads] == [str(exact)]


def test_without_the_base_commit_the_newest_is_used_and_the_comment_says_so(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    store(github, document({"sample/calc.py": Counts(10, 2)}, commit=OLD_SHA), sha=OLD_SHA)
    store(github, document({"sample/calc.py": Counts(10, 9)}, commit=NEWER_SHA), sha=NEWER_SHA)
    result = pull_request(action, github, project)
    assert result.outputs["base-coverage"] == "90.00"
    body = comment(github)
    assert "c1c1c1c" in body
    assert (
        "on `main` (the newest on `main`; the base commit a0a0a0a has none, 3 hours old)." in body
    )
    # The listing, one run, one download: three API calls find a baseline.
    actions = {
        "list_artifacts",
        "list_runs",
        "list_run_artifacts",
        "get_run",
        "get_artifact",
        "download_artifact",
    }
    api = [r.route for r in github.requests_for(host="api") if r.route in actions]
    assert api == ["list_artifacts", "get_run", "download_artifact"]


@pytest.mark.parametrize(
    "kind",
    [
        "fork-run-on-a-branch-named-main",
        "same-repo-pr-run-from-main",
        "expired",
        "other-branch",
    ],
)
def test_artifacts_that_are_not_a_base_branch_push_are_ignored(
    action: ActionRun, github: FakeGitHub, project: Path, kind: str
) -> None:
    good = document({"sample/calc.py": Counts(10, 9)}, commit=OLD_SHA)
    store(github, good, sha=OLD_SHA)  # an older, good one
    bad = document({"sample/calc.py": Counts(10, 1)})
    if kind == "fork-run-on-a-branch-named-main":
        store(github, bad, head_repository_id=FORK_ID, event="pull_request")
    elif kind == "same-repo-pr-run-from-main":
        store(github, bad, event="pull_request")
    elif kind == "expired":
        store(github, bad, expired=True)
    else:
        store(github, bad, head_branch="release")
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "1"})
    assert result.outputs["base-coverage"] == "90.00", result.stdout
    assert "the newest on `main`" in comment(github)
    assert result.code == 1  # 90 -> 78.26 fails the gate: the good baseline was used


@pytest.mark.parametrize("shown", ["failure", "in_progress"])
def test_a_trusted_run_that_did_not_succeed_still_supplies_the_baseline(
    action: ActionRun, github: FakeGitHub, project: Path, shown: str
) -> None:
    """A failing gate or sibling job on main must not leave every later PR without a baseline,
    nor must a run still going once its artifact is listed; the comment says so."""
    store(github, document({"sample/calc.py": Counts(10, 9)}, commit=OLD_SHA), sha=OLD_SHA)
    run_id = next(RUN_IDS)
    if shown == "in_progress":
        github.add_run(
            REPO, run_id=run_id, head_sha=BASE_SHA, status="in_progress", conclusion=None
        )
    store(
        github,
        document({"sample/calc.py": Counts(10, 1)}),
        run_id=run_id,
        conclusion=("failure" if shown == "failure" else None),
    )
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "1"})
    assert result.outputs["base-coverage"] == "10.00", result.stdout
    assert f"the pull request's base commit; its run did not succeed (`{shown}`)" in comment(github)
    assert result.code == 0


def test_candidates_are_ordered_newest_first_whatever_order_the_listing_has() -> None:
    """GitHub documents no order for the artifacts listing: candidates are sorted by creation
    time, then id, both newest first (the toolkit sorts by id itself)."""
    listed = [
        {"id": 7, "created_at": "2026-12-01T10:00:00Z"},
        {"id": 9, "created_at": "2026-12-01T09:00:00Z"},
        {"id": 8, "created_at": "2026-12-01T10:00:00Z"},
        {"id": 3, "created_at": None},
    ]
    ordered = sorted(listed, key=baseline_search.newest_first, reverse=True)
    assert [a["id"] for a in ordered] == [8, 7, 9, 3]


@pytest.mark.parametrize("kind", ["fork-only", "expired-only", "pr-run-only"])
def test_no_usable_artifact_means_no_baseline_and_the_drop_gate_is_skipped(
    action: ActionRun, github: FakeGitHub, project: Path, kind: str
) -> None:
    bad = document({"sample/calc.py": Counts(10, 10)})
    if kind == "fork-only":
        store(github, bad, head_repository_id=FORK_ID, event="pull_request")
    elif kind == "expired-only":
        store(github, bad, expired=True)
    else:
        store(github, bad, event="pull_request")
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "0"})
    assert result.code == 0 and result.errors == []
    assert result.outputs["base-coverage"] == "" and result.outputs["coverage-delta"] == ""
    body = comment(github)
    if kind == "pr-run-only":
        why = "no `covaction-baseline` artifact from a push to `main` of the branch's own runs (1 from other runs"
    else:
        why = "no unexpired `covaction-baseline` artifact from a push to `main` (first run on this branch, or the artifact has expired)"
    assert f"No baseline: {why}" in body
    assert "Coverage drop skipped: no " in body
    [notice] = notices(result)
    assert notice.startswith(f"No baseline: {why}")


def test_first_run_says_why_there_is_no_baseline(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "0.5"})
    assert result.code == 0
    assert "first run on this branch" in comment(github)
    assert "*Coverage drop skipped: no unexpired" in result.summary


def test_without_actions_read_the_comment_says_so(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    store(github, document())
    github.add_token("no-actions-token", permissions={
        "pull_requests": "write", "issues": "write", "contents": "read", "metadata": "read", "actions": "none",
    })  # fmt: skip
    result = pull_request(
        action, github, project, token="no-actions-token", **{"maximum-coverage-drop": "1"}
    )
    assert result.code == 0
    assert github.requests_for("list_artifacts")[0].status == 403
    body = comment(github)
    assert "No baseline: the token cannot read artifacts; add `actions: read`" in body
    [notice] = notices(result)
    assert "actions: read" in notice


# ----------------------------------------------------------------------------- hostile artifacts


def _zip(*entries: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
    return buffer.getvalue()


def _symlink() -> bytes:
    info = zipfile.ZipInfo("baseline.json")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip((info, b"/etc/passwd"))


def _encrypted() -> bytes:
    data = bytearray(_zip(("baseline.json", document())))
    data[6] |= 1  # general purpose flag, local header
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # and in the central directory
    return bytes(data)


def _duplicates() -> bytes:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        return _zip(("baseline.json", document()), ("baseline.json", document(commit=OLD_SHA)))


def _oversized_document() -> bytes:
    doc = json.loads(document())
    doc["padding"] = "x" * (65 * 1024 * 1024)
    return json.dumps(doc).encode()


HOSTILE: dict[str, tuple[Any, dict[str, Any], str]] = {
    "traversal": (
        lambda: _zip(("../baseline.json", document())),
        {},
        "unsafe path `../baseline.json`",
    ),
    "traversal-with-markup": (
        lambda: _zip(("../@mona <img src=x> `x.json", document())),
        {},
        "unsafe path `../@mona <img src=x> 'x.json`",
    ),
    "absolute": (lambda: _zip(("/tmp/baseline.json", document())), {}, "unsafe path"),
    "symlink": (_symlink, {}, "symbolic link"),
    "bomb": (lambda: _zip(("baseline.json", b" " * (80 * 1024 * 1024))), {}, "zip bomb"),
    "bomb-under-the-cap": (
        lambda: _zip(("baseline.json", b"{" + b" " * (40 * 1024 * 1024) + b"}")),
        {},
        "compresses suspiciously well",
    ),
    "duplicates": (_duplicates, {}, "two entries with the same name"),
    "encrypted": (_encrypted, {}, "encrypted member"),
    "garbage": (lambda: b"PK\x03\x04 this is not a zip at all", {}, "not a valid zip"),
    "corrupt-json": (
        lambda: zip_single_file("baseline.json", b'{"schema": "covaction-baseline", '),
        {},
        "not valid JSON",
    ),
    "oversized-json": (_oversized_document, {"zipped": False}, "over 64 MiB"),
    "wrong-schema": (
        lambda: zip_single_file("baseline.json", b'{"schema": "other", "version": 1}'),
        {},
        "not a covaction baseline",
    ),
    "negative-counts": (
        lambda: zip_single_file(
            "baseline.json", document().replace(b"[17,17,0,0,0,0]", b"[17,-1,0,0,0,0]")
        ),
        {},
        "six counts",
    ),
    "digest-mismatch": (
        lambda: zip_single_file("baseline.json", document()),
        {"digest": "sha256:" + "0" * 64},
        "does not match the digest",
    ),
    "newer-version": (
        lambda: zip_single_file("baseline.json", document(version=2)),
        {},
        "version 2 is newer",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_or_broken_artifact_is_refused_with_one_notice(
    action: ActionRun, github: FakeGitHub, project: Path, kind: str
) -> None:
    make, options, reason = HOSTILE[kind]
    data = make()
    zipped = options.pop("zipped", True)
    payload_kw = dict(options)
    if zipped:
        payload_kw["run_id"] = next(RUN_IDS)
        github.add_artifact(REPO, NAME, data, head_sha=BASE_SHA, **payload_kw)
    else:
        store(github, data, zipped=False)
    result = pull_request(action, github, project, **{"maximum-coverage-drop": "0"})
    assert result.code == 0, result.stdout  # as if there were no baseline: the drop gate skips
    assert result.outputs["base-coverage"] == ""
    [notice] = notices(result)
    assert notice.startswith("No baseline: no usable `covaction-baseline` artifact"), notice
    assert reason in notice, notice
    body = comment(github)
    assert "No baseline: no usable" in body
    assert "<img" not in body.replace(
        "`../@mona <img src=x> 'x.json`", ""
    )  # only inside a code span
    assert "Coverage drop skipped: no usable" in comment(github)
    assert not (action.workspace.parent / "baseline.json").exists()
    assert not github.storage_violations


def test_a_rejected_artifact_falls_back_to_an_older_good_one(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    store(github, document({"sample/calc.py": Counts(10, 9)}, commit=OLD_SHA), sha=OLD_SHA)
    github.add_artifact(
        REPO, NAME, _zip(("../x.json", document())), head_sha=BASE_SHA, run_id=next(RUN_IDS)
    )
    result = pull_request(action, github, project)
    assert result.outputs["base-coverage"] == "90.00"
    [notice] = notices(result)
    assert notice.startswith("Skipped baseline artifacts:") and "unsafe path" in notice


def test_an_expired_storage_url_is_fetched_again_through_a_fresh_redirect(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    from tests.fakegithub import Fault

    store(github, document({"sample/calc.py": Counts(10, 9)}))
    github.inject("storage_download", Fault(status=403))
    result = pull_request(action, github, project)
    assert result.outputs["base-coverage"] == "90.00", result.stdout
    assert len(github.requests_for("download_artifact")) == 2


def test_each_report_name_finds_only_its_own_baseline(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    run = results.add_run(head_sha=BASE_SHA, run_id=9_600_000_001)
    assert (
        push(step(tmp_path, "push"), github, project, run, results, **{"report-name": "api"}).code
        == 0
    )
    result = pull_request(step(tmp_path, "api"), github, project, **{"report-name": "api"})
    assert result.outputs["base-coverage"] == "78.26"
    other = pull_request(step(tmp_path, "web"), github, project, **{"report-name": "web"})
    assert other.outputs["base-coverage"] == ""
    assert "no unexpired `covaction-baseline-web` artifact" in notices(other)[0]


def test_an_artifact_that_expires_between_listing_and_download_is_skipped(
    action: ActionRun, github: FakeGitHub, project: Path
) -> None:
    from tests.fakegithub import Fault

    older = store(github, document({"sample/calc.py": Counts(10, 9)}, commit=OLD_SHA), sha=OLD_SHA)
    newest = store(github, document({"sample/calc.py": Counts(10, 1)}))
    github.inject("download_artifact", Fault(status=410, message="Artifact has expired"))
    result = pull_request(action, github, project)
    assert result.outputs["base-coverage"] == "90.00"
    [notice] = notices(result)
    assert f"artifact {newest} has expired" in notice and str(older) not in notice


def test_a_manual_dispatch_on_main_stores_a_baseline_that_a_pr_uses(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    """workflow_dispatch (and schedule) runs of the default branch count like pushes."""
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_800_000_001, event="workflow_dispatch")
    dispatch = step(tmp_path, "dispatch")
    _workspace(dispatch, project)
    dispatch.api_url = github.base_url
    dispatch.event_name = "workflow_dispatch"
    dispatch.event = {
        "ref": "refs/heads/main",
        "repository": {"id": REPO_ID, "full_name": REPO, "default_branch": "main"},
    }
    dispatch.inputs = {"github-token": WRITE_TOKEN}
    dispatch.env = {
        "GITHUB_SHA": NEWER_SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY_ID": str(REPO_ID),
        "GITHUB_RUN_ID": str(run.run_id),
    }
    dispatch.env.update(
        {k: v for k, v in runtime_environ(results, run=run).items() if k.startswith("ACTIONS_")}
    )
    stored = dispatch.run()
    assert stored.code == 0, stored.stdout
    assert [a.name for a in github.artifacts(REPO)] == [NAME]
    result = pull_request(step(tmp_path, "pr"), github, project, base_sha=NEWER_SHA)
    assert result.outputs["base-coverage"] == "78.26", result.stdout


def test_a_push_compares_with_the_previous_run_of_its_branch(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    store(github, document({"sample/calc.py": Counts(17, 17)}, commit=OLD_SHA), sha=OLD_SHA)
    run = results.add_run(head_sha=NEWER_SHA, run_id=9_800_000_002)
    result = push(action, github, project, run, results, **{"maximum-coverage-drop": "50"})
    assert result.code == 0, result.stdout
    assert result.outputs["base-coverage"] == "100.00"
    assert "previous run on this branch" in result.summary
    newest = max(github.artifacts(REPO), key=lambda a: a.id)
    with zipfile.ZipFile(io.BytesIO(newest.data)) as z:
        trend = baseline_module.loads_baseline(z.read("baseline.json"), "t").trend
    assert [p.commit for p in trend] == [NEWER_SHA]  # the stored document had no trend points
