"""Fork pull requests end to end: `python entrypoint.py` against the fake GitHub and Results.

The fork's run has a read-only token: it computes everything, writes the summary and outputs,
warns once that it cannot comment, and stores its result as the artifact
`covaction-result-coverage` of its run. A trusted `workflow_run` run with `mode: publish`
reads that artifact, takes the pull request's number from GitHub (never from the artifact),
and posts the comment, rendered anew; a later publish updates it in place. A tampered artifact
changes nothing but one notice.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from covaction.edges.artifact_upload import zip_single_file
from tests.fakegithub import (
    BOT_LOGIN,
    READONLY_TOKEN,
    WRITE_TOKEN,
    FakeGitHub,
    FileChange,
    fake_github,  # noqa: F401  (fixture)
)
from tests.fakeresults import FakeResults, into_rest, runtime_environ
from tests.harness import END_TO_END, ActionRun, Result
from tests.sample import make_project

REPO = "octo-org/widget"
FORK = "contrib/widget"
REPO_ID = 111
FORK_ID = 222
NAME = "covaction-result-coverage"
MARKER = "<!-- covaction:report:coverage -->"
BASE_SHA = "a0" * 20
HEAD_SHA = "b0" * 20
SAME_HEAD = "b1" * 20
RUN_IDS = itertools.count(9_600_000_001)
PATCH = "@@ -24,2 +24,4 @@\n def untested(x):\n+    while x > 10:\n+        x -= 3\n     return x"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample package measured by coverage.py once (coverage.xml plus sources)."""
    return make_project(tmp_path_factory.mktemp("project"), branch=False)


def arrange(fake: FakeGitHub) -> FakeGitHub:
    fake.add_repo(REPO, id=REPO_ID)
    fake.add_repo(FORK, id=FORK_ID, fork=True)
    files = [FileChange("sample/calc.py", patch=PATCH)]
    fake.add_pull(
        REPO,
        42,
        head_sha=HEAD_SHA,
        base_sha=BASE_SHA,
        head_ref="fix-parser",
        head_repo=FORK,
        files=files,
    )
    fake.add_pull(REPO, 41, head_sha="c1" * 20, base_sha=BASE_SHA, head_ref="other", head_repo=FORK)
    fake.add_pull(REPO, 43, head_sha=SAME_HEAD, base_sha=BASE_SHA, head_ref="feature", files=files)
    return fake


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    return arrange(fake_github)


@pytest.fixture
def results(github: FakeGitHub) -> Iterator[FakeResults]:
    with FakeResults(on_finalize=into_rest(github)) as fake:
        yield fake
        assert not fake.errors, fake.errors


def step(tmp_path: Path, name: str) -> ActionRun:
    (tmp_path / name).mkdir()
    return ActionRun(tmp_path / name)


def fork_pr(
    action: ActionRun, github: FakeGitHub, results: FakeResults, project: Path, **inputs: str
) -> tuple[Result, int]:
    """PR #42 from contrib/widget: read-only token, the runner's artifact service; (result, run id)."""
    for name in ("sample", "tests"):
        shutil.copytree(project / name, action.workspace / name, dirs_exist_ok=True)
    shutil.copy(project / "coverage.xml", action.workspace / "coverage.xml")
    run = results.add_run(
        run_id=next(RUN_IDS), head_sha=HEAD_SHA, head_branch="fix-parser", event="pull_request",
        head_repository_id=FORK_ID,
    )  # fmt: skip
    base_repo = {"id": REPO_ID, "full_name": REPO, "fork": False, "default_branch": "main"}
    action.api_url = github.base_url
    action.event_name = "pull_request"
    action.event = {
        "action": "synchronize", "number": 42,
        "pull_request": {
            "number": 42, "changed_files": 1,
            "base": {"ref": "main", "sha": BASE_SHA, "repo": base_repo},
            "head": {"ref": "fix-parser", "sha": HEAD_SHA,
                     "repo": {"id": FORK_ID, "full_name": FORK, "fork": True, "default_branch": "main"}},
        },
        "repository": base_repo,
    }  # fmt: skip
    action.inputs = {"github-token": READONLY_TOKEN, **inputs}
    runtime = runtime_environ(results, run=run)
    action.env = {k: v for k, v in runtime.items() if k.startswith("ACTIONS_")}
    action.env.update({"GITHUB_REPOSITORY_ID": str(REPO_ID), "GITHUB_RUN_ID": str(run.run_id)})
    return action.run(), run.run_id


def workflow_run_event(run_id: int, *, head_sha: str = HEAD_SHA, pull_requests: list[dict[str, Any]] | None = None,
                       head: tuple[int, str] = (FORK_ID, FORK), conclusion: str | None = "success",
                       repository: tuple[int, str] = (REPO_ID, REPO)) -> dict[str, Any]:  # fmt: skip
    """The payload of contract B.5 for run `run_id` of CI."""
    return {
        "action": "completed" if conclusion else "requested",
        "workflow_run": {
            "id": run_id, "name": "CI", "head_branch": "fix-parser" if head[1] == FORK else "feature",
            "head_sha": head_sha, "path": ".github/workflows/ci.yml", "run_number": 321, "run_attempt": 1,
            "event": "pull_request", "status": "completed" if conclusion else "queued", "conclusion": conclusion,
            "workflow_id": 5555, "pull_requests": pull_requests or [],
            "head_repository": {"id": head[0], "full_name": head[1], "fork": head[0] != REPO_ID},
            "repository": {"id": repository[0], "full_name": repository[1], "fork": False},
        },
        "workflow": {"id": 5555, "name": "CI", "path": ".github/workflows/ci.yml"},
        "repository": {"id": REPO_ID, "full_name": REPO, "default_branch": "main"},
        "sender": {"login": "contrib", "id": 5001, "type": "User"},
    }  # fmt: skip


def publish(action: ActionRun, github: FakeGitHub, event: dict[str, Any], **inputs: str) -> Result:
    """The trusted workflow_run run: default branch, write token, nothing of the fork on disk."""
    action.api_url = github.base_url
    action.event_name = "workflow_run"
    action.event = event
    action.inputs = {"github-token": WRITE_TOKEN, "mode": "publish", **inputs}
    action.env = {"GITHUB_REPOSITORY_ID": str(REPO_ID), "GITHUB_RUN_ID": str(next(RUN_IDS))}
    return action.run()


def log_warnings(result: Result) -> list[str]:
    """Warnings that are not annotations of a file (those mark the uncovered changed lines)."""
    return [c.data for c in result.of("warning") if "file" not in c.props]


def notices(result: Result) -> list[str]:
    return [c.data for c in result.of("notice")]


def stored_doc(github: FakeGitHub, run_id: int) -> dict[str, Any]:
    [artifact] = [a for a in github.artifacts(REPO) if a.run_id == run_id and a.name == NAME]
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as z:
        assert z.namelist() == ["result.json"]
        return json.loads(z.read("result.json"))


# ----------------------------------------------------------------------------- the two runs


@END_TO_END
def test_fork_run_stores_the_result_and_publish_posts_then_updates_the_comment(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    fork, run_id = fork_pr(step(tmp_path, "fork"), github, results, project)
    assert fork.code == 0, fork.stdout + fork.stderr
    assert fork.outputs["coverage"] == "78.26" and fork.outputs["diff-coverage"] == "0.00"
    assert fork.outputs["comment-url"] == "" and "78.26%" in fork.summary
    [warning] = log_warnings(fork)  # once: the token cannot comment
    assert "pull-requests: write" in warning and "fork" in warning
    assert fork.errors == []
    assert github.comments(REPO, 42) == []
    doc = stored_doc(github, run_id)
    assert doc["context"]["pull_request"] == 42 and doc["context"]["head_sha"] == HEAD_SHA
    assert doc["coverage"]["totals"]["covered_lines"] == 18
    assert WRITE_TOKEN not in fork.everything() and READONLY_TOKEN not in fork.everything()

    first = publish(step(tmp_path, "publish1"), github, workflow_run_event(run_id))
    assert first.code == 0, first.stdout + first.stderr
    assert first.warnings == [] and first.errors == [] and notices(first) == []
    [comment] = github.comments(REPO, 42)
    assert comment.user.login == BOT_LOGIN and comment.body.startswith(MARKER)
    assert "Coverage 78.26%" in comment.body
    diff_anchor = hashlib.sha256(b"sample/calc.py").hexdigest()
    # the uncovered changed lines, linked into the pull request's "Files changed"
    assert f"/pull/42/files#diff-{diff_anchor}R25-R26" in comment.body
    assert f"/commit/{HEAD_SHA}" in comment.body  # the head commit the comment reflects
    assert f"/actions/runs/{run_id}" in comment.body  # where the fork run's summary is
    assert first.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    assert first.outputs["coverage"] == "78.26"
    # Rendered anew from the numbers, it is exactly what the fork's run rendered itself.
    assert first.summary == fork.summary
    # The fork was found by head repository and commit; its artifact came from its own run.
    lookups = github.requests_for("list_pulls")
    assert lookups and all(dict(r.query).get("state") == "open" for r in lookups)
    assert [r.path.rsplit("/", 2)[-2] for r in github.requests_for("list_run_artifacts")] == [
        str(run_id)
    ]
    assert not github.storage_violations

    # The fork pushes a change that fails the gate; its run stores a new result, publish updates.
    fork2, run2 = fork_pr(
        step(tmp_path, "fork2"), github, results, project, **{"minimum-coverage": "90"}
    )
    assert fork2.code == 1 and len(log_warnings(fork2)) == 1
    second = publish(
        step(tmp_path, "publish2"), github, workflow_run_event(run2, conclusion="failure")
    )
    assert second.code == 0, second.stdout
    [updated] = github.comments(REPO, 42)
    assert updated.id == comment.id and updated.body != comment.body
    assert updated.body.startswith(MARKER + "\n### ❌") and "90" in updated.body
    assert f"/actions/runs/{run2}" in updated.body
    assert second.outputs["passed"] == "false"


def test_same_repository_run_takes_the_number_from_the_event(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    fork, run_id = fork_pr(step(tmp_path, "fork"), github, results, project)
    assert fork.code == 0, fork.stdout
    doc = stored_doc(github, run_id)
    doc["context"].update(pull_request=43, head_sha=SAME_HEAD)
    same_run = next(RUN_IDS)
    github.add_artifact(REPO, NAME, zip_single_file("result.json", json.dumps(doc).encode()), run_id=same_run,
                        head_sha=SAME_HEAD, head_branch="feature", event="pull_request")  # fmt: skip
    listed = [{"url": f"{github.base_url}/repos/{REPO}/pulls/43", "id": 2100000043, "number": 43,
               "head": {"ref": "feature", "sha": SAME_HEAD, "repo": {"id": REPO_ID}},
               "base": {"ref": "main", "sha": BASE_SHA, "repo": {"id": REPO_ID}}}]  # fmt: skip
    github.clear_requests()
    event = workflow_run_event(
        same_run, head_sha=SAME_HEAD, pull_requests=listed, head=(REPO_ID, REPO)
    )
    result = publish(step(tmp_path, "publish"), github, event)
    assert result.code == 0, result.stdout
    [comment] = github.comments(REPO, 43)
    assert comment.body.startswith(MARKER) and f"/commit/{SAME_HEAD}" in comment.body
    assert github.comments(REPO, 42) == []
    assert github.requests_for("list_pulls") == []  # no lookup: GitHub named the pull request


# ----------------------------------------------------------------------------- tampering


@dataclass
class Stored:
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Stored:
    """A result document as a real fork run stored it."""
    tmp = tmp_path_factory.mktemp("genuine")
    with FakeGitHub() as fake:
        arrange(fake)
        with FakeResults(on_finalize=into_rest(fake)) as res:
            result, run_id = fork_pr(ActionRun(tmp), fake, res, project)
            assert result.code == 0, result.stdout
            return Stored(stored_doc(fake, run_id))


def _zip_traversal(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("../result.json", data)
    return buffer.getvalue()


def _oversized(_data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("result.json", b" " * (65 * 1024 * 1024))
    return buffer.getvalue()


def _html(doc: dict[str, Any]) -> None:
    for section in (doc["coverage"]["files"], doc["comparison"]["files"], doc["diff"]["files"]):
        for f in section:
            f["path"] = f["path"].replace("calc.py", "<img src=x onerror=alert(1)>.py")


TAMPERED: dict[str, tuple[Any, Any, str]] = {
    # name: (edit of the document, edit of the zip bytes, what the notice says)
    "another pull request's number": (lambda d: d["context"].update(pull_request=41), None, "names another pull request than the run's (#42)"),
    "another commit": (lambda d: d["context"].update(head_sha="c1" * 20), None, "another commit"),
    "another report name": (lambda d: d.update(report_name="api"), None, "another report-name"),
    "html in a path": (_html, None, "holds HTML or a Markdown link"),
    "markdown link in a notice": (lambda d: d.update(notices=["[review](https://evil.example)"]), None, "holds HTML or a Markdown link"),
    "oversized string": (lambda d: d.update(notices=["x" * 100_000]), None, "more than the 2,000 allowed"),
    "numbers that do not add up": (lambda d: d["coverage"]["files"][0].update(covered_lines=99), None, "coverage.files[0]: covers more than it counts"),
    "wrong schema": (lambda d: d.update(schema="covaction-baseline"), None, "not a covaction result"),
    "zip with traversal": (None, _zip_traversal, "unsafe path"),
    "oversized file": (None, _oversized, "zip bomb"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_artifact_changes_nothing_but_a_notice(
    tmp_path: Path, github: FakeGitHub, genuine: Stored, name: str
) -> None:
    edit_doc, edit_zip, says = TAMPERED[name]
    doc = json.loads(json.dumps(genuine.doc))
    if edit_doc:
        edit_doc(doc)
    data = json.dumps(doc).encode()
    payload = edit_zip(data) if edit_zip else zip_single_file("result.json", data)
    run_id = next(RUN_IDS)
    github.add_artifact(REPO, NAME, payload, run_id=run_id, head_sha=HEAD_SHA, head_branch="fix-parser",
                        event="pull_request", head_repository_id=FORK_ID)  # fmt: skip
    existing = github.add_comment(
        REPO, 42, MARKER + "\nearlier comment", login=BOT_LOGIN, user_type="Bot"
    )
    result = publish(step(tmp_path, "publish"), github, workflow_run_event(run_id))
    assert result.code == 0, result.stdout
    [notice] = notices(result)
    assert notice.startswith("No coverage comment posted:") and says in notice, notice
    assert result.warnings == [] and result.errors == []
    [comment] = github.comments(REPO, 42)
    assert comment.id == existing and comment.body == MARKER + "\nearlier comment"
    assert (
        github.requests_for("create_comment") == [] and github.requests_for("update_comment") == []
    )
    assert "<img" not in result.everything()


def _edit_derived(doc: dict[str, Any]) -> None:
    """Every derived value a tool downstream reads, edited to claim a perfect result."""
    doc["passed"] = True
    for gate in doc["gates"]:
        gate.update(status="passed", actual="100.00", message="all good")
    for counts in (doc["coverage"]["totals"], *doc["coverage"]["files"]):
        counts.update(percent="100.00", line_percent="100.00", missing_lines=0)
    doc["diff"].update(percent="100.00", covered_lines=doc["diff"]["coverable_lines"])
    for f in doc["diff"]["files"]:
        f.update(percent="100.00", covered=f["coverable"], uncovered=[])


def test_derived_values_in_the_artifact_are_recomputed_not_trusted(
    tmp_path: Path, github: FakeGitHub, genuine: Stored
) -> None:
    """The artifact's percentages, gate results and `passed` are never read: publish recomputes
    them from the counts and lines, and posts what the genuine artifact gives."""
    bodies = []
    for name, edit in (("genuine", None), ("edited", _edit_derived)):
        doc = json.loads(json.dumps(genuine.doc))
        if edit:
            edit(doc)
        run_id = next(RUN_IDS)
        github.add_artifact(REPO, NAME, zip_single_file("result.json", json.dumps(doc).encode()),
                            run_id=run_id, head_sha=HEAD_SHA, head_branch="fix-parser",
                            event="pull_request", head_repository_id=FORK_ID)  # fmt: skip
        result = publish(step(tmp_path, name), github, workflow_run_event(run_id))
        assert result.code == 0 and notices(result) == [], result.stdout
        assert result.outputs["coverage"] == "78.26" and result.outputs["diff-coverage"] == "0.00"
        [comment] = github.comments(REPO, 42)
        bodies.append(comment.body.replace(f"/actions/runs/{run_id}", "/actions/runs/RUN"))
    genuine_body, edited_body = bodies
    assert edited_body == genuine_body and "Coverage 78.26%" in edited_body
    assert "R25-R26" in edited_body  # the uncovered changed lines, recomputed


def test_the_published_comment_has_the_decimals_the_fork_run_showed(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: Path
) -> None:
    """The repository's coverage.py `[report] precision` (1 here) shapes every percentage of
    the fork's run; the stored result carries it, so the published comment shows the same."""
    action = step(tmp_path, "fork")
    (action.workspace / ".coveragerc").write_text("[report]\nprecision = 1\n", encoding="utf-8")
    fork, run_id = fork_pr(action, github, results, project)
    assert fork.code == 0 and fork.outputs["coverage"] == "78.3", fork.stdout
    assert stored_doc(github, run_id)["coverage"]["precision"] == 1
    published = publish(step(tmp_path, "publish"), github, workflow_run_event(run_id))
    assert published.code == 0 and notices(published) == [], published.stdout
    [comment] = github.comments(REPO, 42)
    assert "Coverage 78.3%" in comment.body and "78.26" not in comment.body
    assert published.summary == fork.summary
    assert published.outputs["coverage"] == "78.3"


# ----------------------------------------------------------------------------- what it refuses


def test_a_run_that_has_not_completed_or_is_not_ours_is_left_alone(
    tmp_path: Path, github: FakeGitHub
) -> None:
    for i, event in enumerate([
        workflow_run_event(next(RUN_IDS), conclusion=None),
        workflow_run_event(next(RUN_IDS), repository=(333, "someone/widget")),
    ]):  # fmt: skip
        result = publish(step(tmp_path, f"p{i}"), github, event)
        assert result.code == 0 and len(notices(result)) == 1, result.stdout
    assert github.comments(REPO, 42) == []
    assert github.requests_for("list_run_artifacts") == []


def test_no_artifact_is_a_notice(tmp_path: Path, github: FakeGitHub) -> None:
    run_id = next(RUN_IDS)
    github.add_run(REPO, run_id=run_id, head_sha=HEAD_SHA, head_branch="fix-parser", event="pull_request",
                   head_repository=FORK, conclusion="failure")  # fmt: skip
    result = publish(step(tmp_path, "p"), github, workflow_run_event(run_id, conclusion="failure"))
    assert result.code == 0
    [notice] = notices(result)
    assert f"stored no unexpired artifact {NAME}" in notice
    assert github.comments(REPO, 42) == []


def test_publish_outside_workflow_run_is_an_input_error(tmp_path: Path, github: FakeGitHub) -> None:
    action = step(tmp_path, "p")
    action.api_url = github.base_url
    action.event_name = "push"
    action.event = {
        "ref": "refs/heads/main",
        "after": "c0" * 20,
        "repository": {"default_branch": "main"},
    }
    action.inputs = {"github-token": WRITE_TOKEN, "mode": "publish"}
    result = action.run()
    assert result.code == 2
    [error] = result.errors
    assert "mode: publish" in error and "workflow_run" in error
