"""The reviewers' comment end to end: `python entrypoint.py` against the fake GitHub.

Each test lays out a container step (`action` fixture) for a `pull_request` event whose payload
follows contract B.2, with a real coverage.py report in the workspace and the fake holding the
repository and the pull request. Afterwards it reads what GitHub would hold (the fake's
comments and request log) and what the runner would show (outputs, summary, workflow commands).

Whatever goes wrong on GitHub's side, one report never gets two comments, the summary and the
outputs are still written, the exit code is the gates' alone, and the token appears nowhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covaction.edges.github_rest import REST_POLICY, ApiFailure, GitHubApi
from covaction.render import markdown
from tests.fakegithub import READ_PERMISSIONS, FakeGitHub, Fault, FileChange
from tests.fakeresults import FakeResults, runtime_environ
from tests.harness import END_TO_END, ActionRun, Result
from tests.pull_request_helpers import BASE, CALC_PATCH, HEAD, NUMBER, REPO, copy_project, pr_event
from tests.render_helpers import (
    HOSTILE_NAMES,
    SourceFile,
    check_markdown,
    cobertura_xml,
    many_files,
    patch_adding,
)
from tests.sample import git, make_project

FORK = "contrib/widget"
TOKEN = "ghs_" + "T0kenValue" * 4  # an installation token, as GITHUB_TOKEN is
FORK_TOKEN = "ghs_" + "ReadOnly00" * 4
MARKER = markdown.marker("coverage")
COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample package measured by coverage.py once for the module (branch coverage)."""
    return make_project(tmp_path_factory.mktemp("sample"), branch=True)


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    """The fake with the repository, PR #42 (calc.py changed) and the tokens."""
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_token(FORK_TOKEN, permissions=READ_PERMISSIONS)
    fake_github.add_pull(
        REPO, NUMBER, head_sha=HEAD, base_sha=BASE, head_ref="fix-parser",
        files=[FileChange("sample/calc.py", patch=CALC_PATCH)],
    )  # fmt: skip
    return fake_github


@pytest.fixture
def step(action: ActionRun, gh: FakeGitHub, project: Path) -> ActionRun:
    """A pull_request step of PR #42 with a real report in the workspace."""
    copy_project(project, action.workspace)
    action.event_name = "pull_request"
    action.event = pr_event()
    action.api_url = gh.base_url
    action.inputs["github-token"] = TOKEN
    action.env["COVACTION_MAX_RETRY_WAIT"] = "3"
    return action


def comments(gh: FakeGitHub, number: int = NUMBER, marker: str = MARKER) -> list[Any]:
    return [c for c in gh.comments(REPO, number) if c.body.startswith(marker)]


def writes(gh: FakeGitHub) -> list[str]:
    """The comment writes (the annotations' check run is another channel, see
    tests/test_check_runs.py)."""
    return [
        r.route or ""
        for r in gh.requests
        if r.method in ("POST", "PATCH", "DELETE") and "check_run" not in (r.route or "")
    ]


def sent_bodies(gh: FakeGitHub) -> list[str]:
    return [
        r.json()["body"]
        for r in gh.requests
        if r.route in ("create_comment", "update_comment") and r.body
    ]


def assert_sound(result: Result, gh: FakeGitHub, code: int = 0, token: str = TOKEN) -> None:
    """What must hold after every run: exit code of the gates, summary and outputs written,
    the token nowhere (not even in an ::add-mask:: line), every comment body within the limit."""
    assert result.code == code, result.stdout + result.stderr
    assert result.summary.startswith("## Coverage report")
    assert result.outputs["coverage"] and result.outputs["passed"] in ("true", "false")
    everything = result.stdout + result.stderr + result.summary + repr(result.outputs)
    everything += "".join(c.body for c in gh.comments(REPO, NUMBER)) + "".join(sent_bodies(gh))
    assert token not in everything
    for body in sent_bodies(gh):
        assert len(body) <= COMMENT_LIMIT


# ---------------------------------------------------------------------------- the happy paths


@END_TO_END
def test_first_run_creates_one_comment_with_the_verdict_first(
    step: ActionRun, gh: FakeGitHub
) -> None:
    result = step.run()
    assert_sound(result, gh)
    [comment] = gh.comments(REPO, NUMBER)
    assert writes(gh) == ["create_comment"]
    assert comment.user.login == "github-actions[bot]"
    assert comment.body.startswith(MARKER + "\n### ✅ Coverage ")
    assert result.outputs["comment-url"] == (
        f"https://github.com/{REPO}/pull/{NUMBER}#issuecomment-{comment.id}"
    )
    doc = check_markdown(comment.body, details=1)
    changed = doc.table("File", "Diff coverage", "Uncovered changed lines")
    assert [r[0].strip() for r in changed.rows] == ["`sample/calc.py`"]
    # Into the pull request's diff when the stage passes its number, else the head commit.
    anchor = "diff-" + hashlib.sha256(b"sample/calc.py").hexdigest()
    assert (
        f"/pull/{NUMBER}/files#{anchor}R25-R27" in comment.body
        or f"/blob/{HEAD}/sample/calc.py#L25-L27" in comment.body
    )
    check_markdown(result.summary, details=0)


# GITHUB_TOKEN as GitHub issues it since 2026: a JWT of ~520 characters with dots and underscores.
JWT_TOKEN = "ghs_eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJpc3Mi_OiJnaXRodWIi" * 24 + ".s1g_n4"


@pytest.mark.parametrize(
    "token",
    [JWT_TOKEN, "ghs_" + "Opaque0123" * 4, "ghp_" + "Classic012" * 4, "github_pat_11A" + "f" * 80],
    ids=["ghs-jwt", "ghs-opaque", "ghp", "github-pat"],
)
def test_every_token_form_github_issues_posts_the_comment(
    step: ActionRun, gh: FakeGitHub, token: str
) -> None:
    assert len(JWT_TOKEN) > 512
    gh.add_token(token)
    step.inputs["github-token"] = token
    result = step.run()
    assert_sound(result, gh, token=token)
    assert writes(gh) == ["create_comment"]


def test_updates_its_comment_in_place_on_page_two(step: ActionRun, gh: FakeGitHub) -> None:
    """More than 100 comments: ours (on page 2) is found and PATCHed, nothing is posted."""
    for i in range(120):
        gh.add_comment(REPO, NUMBER, f"review remark {i}", login=f"reviewer{i % 7}")
    gh.add_comment(REPO, NUMBER, f"quoting you: {MARKER} is not ours", login="mallory")
    ours = gh.add_comment(REPO, NUMBER, MARKER + "\nold numbers", login="github-actions[bot]",
                          user_type="Bot")  # fmt: skip
    for i in range(15):
        gh.add_comment(REPO, NUMBER, f"later remark {i}", login="reviewer1")
    result = step.run()
    assert_sound(result, gh)
    assert writes(gh) == ["update_comment"]
    [patch] = gh.requests_for("update_comment")
    assert patch.path.endswith(f"/issues/comments/{ours}")
    assert len(gh.comments(REPO, NUMBER)) == 137
    updated = gh.comment(REPO, ours)
    assert updated is not None and updated.body.startswith(MARKER + "\n### ✅")
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{ours}")
    pages = {r.params.get("page", "1") for r in gh.requests_for("list_comments")}
    assert {"1", "2"} <= pages


def test_a_persons_comment_with_our_marker_is_never_adopted(
    step: ActionRun, gh: FakeGitHub
) -> None:
    gh.add_comment(REPO, NUMBER, MARKER + "\nI pasted your marker", login="mallory")
    result = step.run()
    assert_sound(result, gh)
    assert writes(gh) == ["create_comment"]
    assert [c.user.login for c in comments(gh)] == ["mallory", "github-actions[bot]"]


def test_an_unchanged_body_is_not_patched(step: ActionRun, gh: FakeGitHub) -> None:
    first = step.run()
    assert_sound(first, gh)
    gh.clear_requests()
    second = step.run()
    assert_sound(second, gh)
    assert writes(gh) == []
    assert second.outputs["comment-url"] == first.outputs["comment-url"]
    assert len(comments(gh)) == 1


def test_each_report_name_gets_its_own_comment(step: ActionRun, gh: FakeGitHub) -> None:
    for name in ("unit", "integration", "unit"):
        step.inputs["report-name"] = name
        assert_sound(step.run(), gh)
    assert len(comments(gh, marker=markdown.marker("unit"))) == 1
    assert len(comments(gh, marker=markdown.marker("integration"))) == 1
    assert len(gh.comments(REPO, NUMBER)) == 2
    assert writes(gh) == ["create_comment", "create_comment"]  # the third run changed nothing


def test_comment_new_posts_a_new_comment_each_run(step: ActionRun, gh: FakeGitHub) -> None:
    step.inputs["comment"] = "new"
    urls = {step.run().outputs["comment-url"] for _ in range(2)}
    assert len(comments(gh)) == 2 and len(urls) == 2
    assert writes(gh) == ["create_comment", "create_comment"]


def test_comment_off_writes_nothing(step: ActionRun, gh: FakeGitHub) -> None:
    step.inputs["comment"] = "off"
    result = step.run()
    assert_sound(result, gh)
    assert gh.comments(REPO, NUMBER) == []
    assert gh.requests_for("list_comments") == [] and writes(gh) == []
    assert result.outputs["comment-url"] == ""


@pytest.mark.parametrize("minimum", ["", "99"], ids=["passing", "failing-gate"])
def test_fork_with_a_read_only_token(
    step: ActionRun, gh: FakeGitHub, fake_results: FakeResults, minimum: str
) -> None:
    """One warning naming the missing permission; summary and outputs; the gates' exit code.

    The runner gives the step its Results service, so the result for a `workflow_run`
    workflow is stored and says nothing more.
    """
    step.env.update(
        {k: v for k, v in runtime_environ(fake_results).items() if k.startswith("ACTIONS_")}
    )
    step.event = pr_event(head_repo=FORK)
    step.inputs["github-token"] = FORK_TOKEN
    step.inputs["minimum-coverage"] = minimum
    step.inputs["annotations"] = "false"
    result = step.run()
    assert_sound(result, gh, code=1 if minimum else 0, token=FORK_TOKEN)
    assert gh.comments(REPO, NUMBER) == []
    assert len(result.warnings) == 1, result.warnings
    assert "pull-requests: write" in result.warnings[0] and "fork" in result.warnings[0]
    assert result.outputs["comment-url"] == ""
    assert result.outputs["passed"] == ("false" if minimum else "true")
    assert result.outputs["diff-coverage"]  # reads still work with a read-only token


# ---------------------------------------------------------------------------- faults


def _existing(gh: FakeGitHub) -> None:
    gh.add_comment(REPO, NUMBER, MARKER + "\nold", login="github-actions[bot]", user_type="Bot")


# Outcomes: "posted" (one comment with this run's body, no warning), "kept" (the earlier comment
# stays as it was, one warning), "none" (no comment, one warning).
FAULTS: list[tuple[str, str, list[Fault], bool, bool, str]] = [
    # id, route, faults, persistent, an earlier comment exists, outcome
    ("post-500-then-201", "create_comment", [Fault.error(500)], False, False, "posted"),
    ("post-503-then-201", "create_comment", [Fault.unavailable()], False, False, "posted"),
    ("list-500-then-200", "list_comments", [Fault.error(500)], False, False, "posted"),
    ("list-500x3-then-200", "list_comments", [Fault.error(500)] * 3, False, False, "posted"),
    ("post-401", "create_comment", [Fault.error(401)], False, False, "none"),
    ("patch-502-then-200", "update_comment", [Fault.bad_gateway()], False, True, "posted"),
    ("post-502-persistent", "create_comment", [Fault.bad_gateway()], True, False, "none"),
    ("list-502-persistent", "list_comments", [Fault.bad_gateway()], True, False, "none"),
    ("patch-500-persistent", "update_comment", [Fault.error(500)], True, True, "kept"),
    ("post-403-secondary-retry-after", "create_comment",
     [Fault.secondary_rate_limit(403, retry_after=1, content_creation=True)], False, False, "posted"),
    # GitHub's docs: without retry-after, wait at least a minute after a secondary limit; that
    # is past the test's longest wait, so the run gives up at once and says so.
    ("post-403-secondary-no-retry-after", "create_comment",
     [Fault.secondary_rate_limit(403)], False, False, "none"),
    ("list-403-secondary-no-retry-after", "list_comments",
     [Fault.secondary_rate_limit(403)], False, False, "none"),
    ("post-403-primary-reset", "create_comment", [Fault.primary_rate_limit(403, reset_in=1)],
     False, False, "posted"),
    ("post-429-retry-after", "create_comment", [Fault.secondary_rate_limit(429, retry_after=1)],
     False, False, "posted"),
    ("post-429-no-retry-after", "create_comment", [Fault.error(429)], False, False, "none"),
    ("list-429-retry-after", "list_comments", [Fault.secondary_rate_limit(429, retry_after=1)],
     False, False, "posted"),
    ("post-429-retry-after-too-long", "create_comment",
     [Fault.secondary_rate_limit(429, retry_after=3600)], False, False, "none"),
    ("post-403-secondary-persistent", "create_comment", [Fault.secondary_rate_limit(403)], True,
     False, "none"),
    ("post-404", "create_comment", [Fault.error(404)], False, False, "none"),
    ("list-404", "list_comments", [Fault.error(404)], False, False, "none"),
    ("post-422", "create_comment", [Fault.error(422)], False, False, "none"),
    ("patch-422", "update_comment", [Fault.error(422)], False, True, "kept"),
    ("post-slow", "create_comment", [Fault.slow(1.0)], False, False, "posted"),
    ("list-slow", "list_comments", [Fault.slow(1.0)], False, False, "posted"),
    ("post-malformed-json", "create_comment", [Fault.malformed_json(201)], False, False, "posted"),
    ("list-malformed-json", "list_comments", [Fault.malformed_json(200)], False, False, "posted"),
    ("post-store-then-500", "create_comment", [Fault.store_then_fail(500)], False, False, "posted"),
    ("post-store-then-502", "create_comment", [Fault.store_then_fail(502)], False, False, "posted"),
    ("post-store-then-500-always", "create_comment", [Fault.store_then_fail(500)], True, False,
     "posted"),
    ("post-truncated", "create_comment", [Fault.truncated_body()], False, False, "posted"),
    ("post-connection-reset", "create_comment", [Fault.connection_reset()], False, False, "posted"),
    ("patch-store-then-500", "update_comment", [Fault.store_then_fail(500)], False, True, "posted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("route", "faults", "persistent", "existing", "outcome"),
    [pytest.param(*f[1:], id=f[0]) for f in FAULTS],
)
def test_faults_never_make_two_comments(
    step: ActionRun,
    gh: FakeGitHub,
    route: str,
    faults: list[Fault],
    persistent: bool,
    existing: bool,
    outcome: str,
) -> None:
    if existing:
        _existing(gh)
    # Small but above every Retry-After of the table (1 s); a primary reset needs ~2 s.
    primary = faults[0].reset_in is not None
    step.env["COVACTION_MAX_RETRY_WAIT"] = "3" if primary else "1.2"
    # No fault may hang the run or spend its API budget: the run must finish (the harness
    # bounds it), with no route tried more than the retry policy allows and the budget, far
    # above every wait of the table, never used up (the run would say so in a warning).
    step.env["COVACTION_API_DEADLINE"] = "20"
    gh.inject(route, *faults, persistent=persistent)
    result = step.run()
    tries = Counter(r.route for r in gh.requests)
    assert max(tries.values()) <= REST_POLICY.attempts, tries
    spent = ("for API work had passed", "no time left for another attempt")
    assert not [w for w in result.warnings if any(s in w for s in spent)], result.warnings
    assert_sound(result, gh)
    ours = comments(gh)
    problems = [w for w in result.warnings if "comment" in w]
    assert not result.errors
    if outcome == "posted":
        assert len(ours) == 1, [c.body[:80] for c in ours]
        assert ours[0].body.startswith(MARKER + "\n### ")
        assert result.outputs["comment-url"].endswith(f"#issuecomment-{ours[0].id}")
        assert problems == []
    elif outcome == "kept":
        assert [c.body for c in ours] == [MARKER + "\nold"]
        assert len(problems) == 1 and result.outputs["comment-url"] == ""
    else:
        assert ours == []
        assert len(problems) == 1 and result.outputs["comment-url"] == ""
    posts = len(gh.requests_for("create_comment"))
    assert posts <= 2
    if route == "create_comment" and faults[0].kind in ("store_then_fail", "truncate"):
        assert posts == 1  # stored before it failed: found on the second look, not re-posted


# ---------------------------------------------------------------------------- budgets


def write_big_workspace(workspace: Path, n: int = 5000) -> list[SourceFile]:
    """A checkout (git, as actions/checkout leaves it) of `n` files with long paths."""
    files = many_files(n, length=220)
    for folder in {(workspace / f.path).parent for f in files}:
        folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        (workspace / f.path).write_bytes(b"x = 1\n")
    (workspace / "coverage.xml").write_bytes(cobertura_xml(files))
    git(workspace, "init", "-q", "-b", "main")
    # Indexed, as a checkout's files are (files git does not track are placed nowhere).
    git(workspace, "add", "-A")
    return files


def test_five_thousand_files_fit_both_limits(action: ActionRun, gh: FakeGitHub) -> None:
    """Under the fake's `measured` and then `documented` body limit (contract C.4.3), the
    comment GitHub receives is within 65,536 characters and the summary within 1 MiB."""
    files = write_big_workspace(action.workspace)
    gh.set_pull_files(
        REPO, NUMBER,
        [FileChange(f.path, status="modified", patch=patch_adding([3, 4, 5, 6, 9])) for f in files[:400]],
    )  # fmt: skip
    action.event_name, action.event = "pull_request", pr_event()
    action.api_url = gh.base_url
    action.inputs["github-token"] = TOKEN
    action.inputs["comment"] = "new"  # each mode gets its own POST
    action.env["COVACTION_MAX_RETRY_WAIT"] = "3"
    for mode in ("measured", "documented"):
        gh.comment_body_limit = mode
        result = action.run()
        assert_sound(result, gh)
        posted = gh.requests_for("create_comment")[-1]
        assert posted.status == 201, mode
        body = posted.json()["body"]
        assert len(body) <= COMMENT_LIMIT and len(body.encode("utf-8")) <= 262_144
        assert len(result.summary.encode("utf-8")) <= SUMMARY_LIMIT
    assert len(comments(gh)) == 2
    doc = check_markdown(body, details=1 if "<details>" in body else 0)
    changed = doc.table("File", "Diff coverage", "Uncovered changed lines")
    assert 100 <= len(changed.rows)  # rows before links (20 before issue 18)
    summary = check_markdown(result.summary, details=0)
    per_file = summary.table("File", "Coverage", "Covered")
    assert len(per_file.rows) >= 1000 and len(per_file.header) == 5
    assert len(summary.table("File", "Diff coverage", "Uncovered changed lines").rows) >= 300
    assert f"All files: {len(files):,} files" in body or "job summary" in body


# ---------------------------------------------------------------------------- hostile names


def test_hostile_file_names_stay_inert(action: ActionRun, gh: FakeGitHub) -> None:
    """Names from the report, the PR's files and a workflow: no live element in comment or
    summary, every table row whole, and the names still shown."""
    names = [n for n in HOSTILE_NAMES if len(n) < 4000]
    files = [SourceFile(n, {1: 1, 2: 0, 3: 1}, {1: (1, 2)}) for n in names]
    files.append(SourceFile("src/" + "very-long-name-" * 340 + ".py", {1: 0}))  # 5,000+ chars
    for f in files:
        target = action.workspace / f.path.strip()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("x = 1\n")
        except OSError:
            pass  # too long for this file system: the report names it, the mapping will not
    (action.workspace / "coverage.xml").write_bytes(cobertura_xml(files))
    workflows = action.workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: 'evil/@octocat#12|<img src=x onerror=alert(1)>@v1'\n"
        "      - uses: actions/checkout@v4  # @team #99 <b>\n"
    )
    gh.set_pull_files(
        REPO, NUMBER,
        [FileChange(n.strip(), patch=patch_adding([1, 2])) for n in names]
        + [FileChange("docs/@team #7 <img src=x>.png", status="added")],
    )  # fmt: skip
    action.event_name, action.event = "pull_request", pr_event()
    action.api_url = gh.base_url
    action.inputs["github-token"] = TOKEN
    action.env["COVACTION_MAX_RETRY_WAIT"] = "3"
    result = action.run()
    assert_sound(result, gh)
    [comment] = gh.comments(REPO, NUMBER)
    for body, details in ((comment.body, 1), (result.summary, 0)):
        doc = check_markdown(body, details=details)
        assert body.count("<sub>") == 1
        assert "\u202e" not in body
        changed = doc.table("File", "Diff coverage", "Uncovered changed lines")
        # All but two: a backslash is a separator to the path mapping, and `//` collapses.
        assert len(changed.rows) >= len(names) - 2
        assert "onerror" in doc.html  # shown, as text inside code
    assert "#12" in comment.body and "@octocat" in comment.body


# ---------------------------------------------------------------------------- the edge in-process


@pytest.fixture
def api(gh: FakeGitHub) -> Iterator[GitHubApi]:
    yield GitHubApi(TOKEN, gh.base_url, REPO, max_wait=3, timeout=1)


def test_a_post_that_times_out_is_adopted_when_it_lands(api: GitHubApi, gh: FakeGitHub) -> None:
    """GitHub stores the comment after we gave up waiting: we look again, we do not re-post."""
    gh.inject("create_comment", Fault.slow(2.5))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created"
    assert len(gh.requests_for("create_comment")) == 1
    assert len(gh.comments(REPO, NUMBER)) == 1


def test_a_post_that_times_out_and_never_lands_is_not_repeated(
    api: GitHubApi, gh: FakeGitHub
) -> None:
    gh.inject("create_comment", Fault(kind="reset", delay=1.5))
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert failure.value.kind == "timeout"
    assert len(gh.requests_for("create_comment")) == 1
    assert gh.comments(REPO, NUMBER) == []


def test_new_mode_never_adopts_an_older_identical_comment(api: GitHubApi, gh: FakeGitHub) -> None:
    """`comment: new` after a failed POST: an identical comment from an earlier run is not
    mistaken for the one that failed."""
    body = MARKER + "\nsame numbers"
    api.upsert_comment(NUMBER, MARKER, body, "new")
    gh.inject("create_comment", Fault.error(500))
    posted = api.upsert_comment(NUMBER, MARKER, body, "new")
    assert posted.action == "created"
    assert len(gh.comments(REPO, NUMBER)) == 2


def test_a_deleted_comment_is_posted_again(api: GitHubApi, gh: FakeGitHub) -> None:
    _existing(gh)
    gh.inject("update_comment", Fault.error(404))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nnew", "update")
    assert posted.action == "created"


def test_failures_never_carry_the_token(api: GitHubApi, gh: FakeGitHub) -> None:
    gh.inject("create_comment", Fault.error(422, f"token {TOKEN} is bad"))
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nx", "update")
    assert TOKEN not in failure.value.message and "***" in failure.value.message
