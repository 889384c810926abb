"""GitHub's published OpenAPI description judges the fake and covaction's requests.

Every test that uses the `fake_github` fixture has each exchange judged at teardown by
`tests/fakegithub/openapi.py` (npm `@octokit/openapi`, `api.github.com.json`). The tests here
prove that judge is live: it finds a fake that answers what GitHub could not, a client that
sends what GitHub would refuse, and it knows every route the fake serves. The token tests run
covaction end to end with every shape of token GitHub issues today.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from covaction.edges.github_rest import GitHubApi
from tests.fakegithub import WRITE_TOKEN, FakeGitHub, FileChange, RecordedRequest, openapi
from tests.fakegithub.api import ROUTES
from tests.harness import ActionRun
from tests.pull_request_helpers import BASE, CALC_PATCH, HEAD, NUMBER, REPO, copy_project, pr_event
from tests.sample import make_project

#: `pytester` runs a test of the `fake_github` fixture itself (the drifting-fake test below).
pytest_plugins = ("pytester",)

needs_description = pytest.mark.skipif(
    not openapi.available(),
    reason="GitHub's OpenAPI description or jsonschema is not installed (run `npm ci "
    "--ignore-scripts` at the root; jsonschema is in requirements-test.txt)",
)


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_pull(
        REPO, NUMBER, head_sha=HEAD, base_sha=BASE, head_ref="fix-parser",
        files=[FileChange("sample/calc.py", patch=CALC_PATCH)],
    )  # fmt: skip
    fake_github.add_comment(REPO, NUMBER, "looks good", login="reviewer")
    return fake_github


def api(fake: FakeGitHub) -> GitHubApi:
    return GitHubApi(WRITE_TOKEN, fake.base_url, REPO, max_wait=0, timeout=5)


def judged(records: list[RecordedRequest]) -> list[str]:
    return openapi.judge(records)


def only(fake: FakeGitHub, route: str) -> RecordedRequest:
    [record] = [r for r in fake.log.all() if r.route == route]
    return record


def with_body(record: RecordedRequest, doc: object) -> RecordedRequest:
    return dataclasses.replace(record, response_body=json.dumps(doc).encode())


# ----------------------------------------------------------------------------- the judge is live


@needs_description
def test_every_route_of_the_fake_is_an_operation_of_the_description() -> None:
    spec = openapi.spec()
    samples = {
        "number": "42", "comment_id": "7", "basehead": "main...feature", "ref": "heads/main",
        "sha": "a" * 40, "run_id": "9", "workflow_id": "ci.yml", "artifact_id": "5",
        "archive_format": "zip", "check_run_id": "6",
    }  # fmt: skip
    for route in ROUTES:
        rest = route.pattern.pattern
        for name, value in samples.items():
            rest = rest.replace(f"(?P<{name}>\\d+)", value).replace(f"(?P<{name}>[^/]+)", value)
            rest = rest.replace(f"(?P<{name}>.+)", value)
        path = (f"/repos/o/r{rest}" if route.repo else rest).replace("\\", "")
        found = spec.find(route.method, path)
        assert found is not None, (route.name, path)
        assert found[0].method == route.method


@needs_description
def test_the_exchanges_of_a_pull_request_run_are_judged_clean(gh: FakeGitHub) -> None:
    client = api(gh)
    client.get_json("reading the pull request", f"/repos/{REPO}/pulls/{NUMBER}")
    client.get_json(
        "listing comments", f"/repos/{REPO}/issues/{NUMBER}/comments", {"per_page": 100}
    )
    assert [r.route for r in gh.log.all()] == ["get_pull", "list_comments"]
    assert judged(gh.log.all()) == []


@needs_description
def test_a_response_without_a_field_github_requires_is_caught(gh: FakeGitHub) -> None:
    api(gh).get_json("reading the pull request", f"/repos/{REPO}/pulls/{NUMBER}")
    record = only(gh, "get_pull")
    doc = json.loads(record.response_body)
    del doc["head"]["sha"], doc["user"]["login"]
    assert judged([with_body(record, doc)]) == [
        f"#{record.seq} GET /repos/{{owner}}/{{repo}}/pulls/{{pull_number}}: "
        "response 200 head: 'sha' is a required property",
        f"#{record.seq} GET /repos/{{owner}}/{{repo}}/pulls/{{pull_number}}: "
        "response 200 user: 'login' is a required property",
    ]


@needs_description
def test_a_value_github_could_not_send_is_caught(gh: FakeGitHub) -> None:
    api(gh).get_json("listing comments", f"/repos/{REPO}/issues/{NUMBER}/comments")
    record = only(gh, "list_comments")
    doc = json.loads(record.response_body)
    doc[0]["id"] = str(doc[0]["id"])  # GitHub's ids are integers
    doc[0]["created_at"] = "yesterday"
    problems = judged([with_body(record, doc)])
    assert len(problems) == 2
    assert problems[0].endswith("response 200 0/created_at: 'yesterday' is not a 'date-time'")
    assert "response 200 0/id: " in problems[1] and "is not of type 'integer'" in problems[1]


@needs_description
def test_a_null_is_excused_only_where_listed(gh: FakeGitHub) -> None:
    api(gh).get_json("reading the pull request", f"/repos/{REPO}/pulls/{NUMBER}")
    record = only(gh, "get_pull")
    doc = json.loads(record.response_body)
    doc["head"]["repo"] = None  # a deleted fork: what GitHub really sends (EXCEPTIONS)
    assert judged([with_body(record, doc)]) == []
    doc["base"]["repo"] = None  # never
    [problem] = judged([with_body(record, doc)])
    assert problem.endswith("response 200 base/repo: None is not of type 'object'")


@needs_description
def test_a_status_the_operation_cannot_answer_is_caught(gh: FakeGitHub) -> None:
    api(gh).get_json("reading the pull request", f"/repos/{REPO}/pulls/{NUMBER}")
    record = dataclasses.replace(only(gh, "get_pull"), status=422)
    [problem] = judged([record])
    assert "status 422 is not documented for this operation" in problem


@needs_description
def test_a_request_github_would_not_understand_is_caught(gh: FakeGitHub) -> None:
    client = api(gh)
    client.get_json("listing", f"/repos/{REPO}/issues/{NUMBER}/comments", {"per_page": "many"})
    client.get_json("listing", f"/repos/{REPO}/pulls", {"state": "open", "order_by": "id"})
    records = gh.log.all()
    assert judged(records) == [
        f"#{records[0].seq} GET /repos/{{owner}}/{{repo}}/issues/{{issue_number}}/comments: "
        "request query parameter per_page='many' is not an integer",
        f"#{records[1].seq} GET /repos/{{owner}}/{{repo}}/pulls: "
        "request query parameter 'order_by' is not a parameter of this operation",
    ]
    gh.clear_requests()  # judged here; the fixture's judge would fail the test on them


@needs_description
def test_a_request_body_github_would_refuse_is_caught() -> None:
    record = RecordedRequest(
        1, "api", "POST", f"/repos/{REPO}/issues/{NUMBER}/comments", (),
        (("User-Agent", "covaction/0"), ("Content-Type", "application/json")),
        json.dumps({"text": "hello"}).encode(),
    )  # fmt: skip
    assert judged([record]) == [
        "#1 POST /repos/{owner}/{repo}/issues/{issue_number}/comments: "
        "request request body (root): 'body' is a required property"
    ]


@needs_description
def test_a_path_that_is_not_an_operation_is_caught() -> None:
    record = RecordedRequest(
        3, "api", "GET", f"/repos/{REPO}/pulls/{NUMBER}/coverage", (),
        (("User-Agent", "covaction/0"),), b"", status=404,
    )  # fmt: skip
    assert judged([record]) == [
        f"#3 GET /repos/{REPO}/pulls/{NUMBER}/coverage is not an operation of GitHub's REST API"
    ]


@needs_description
def test_the_newer_api_version_is_judged_by_its_own_description() -> None:
    """2026-03-10 drops `rate` from GET /rate_limit (x-github-breaking-changes); each version is
    judged by its own description, so the fake must drop it there and keep it before."""
    record = RecordedRequest(
        1, "api", "GET", "/rate_limit", (), (("X-GitHub-Api-Version", "2026-03-10"),), b"",
        status=200, response_headers=(("Content-Type", "application/json"),),
    )  # fmt: skip
    core = {"limit": 1000, "used": 1, "remaining": 999, "reset": 1}
    newer = {"resources": {"core": core, "search": core}}
    assert judged([with_body(record, newer)]) == []
    older = dataclasses.replace(record, headers=(("X-GitHub-Api-Version", "2022-11-28"),))
    assert judged([with_body(older, newer)]) == [
        "#1 GET /rate_limit: response 200 (root): 'rate' is a required property"
    ]


DRIFTING_FAKE = """
import requests
from tests.fakegithub import WRITE_TOKEN, fake_github, render  # fake_github: the fixture

def test_get_repo(fake_github, monkeypatch):
    fake_github.add_repo("octo-org/widget")
    if DRIFT:
        full = render.full_repository

        def drifted(base, repo):
            doc = {**full(base, repo), "id": str(repo.id)}
            del doc["node_id"]
            return doc

        monkeypatch.setattr(render, "full_repository", drifted)
    answer = requests.get(
        fake_github.base_url + "/repos/octo-org/widget",
        headers={"Authorization": "token " + WRITE_TOKEN, "User-Agent": "covaction/0"},
        timeout=10,
    )
    assert answer.status_code == 200
"""


@needs_description
@pytest.mark.parametrize("drift", [False, True])
def test_the_fixture_fails_a_test_whose_fake_drifts(pytester: pytest.Pytester, drift: bool) -> None:
    """The judge is wired into `fake_github`: a test passes, and its teardown fails exactly when
    the fake answered what GitHub could not (a repository without `node_id`, `id` a string)."""
    pytester.makepyfile(test_inner=f"DRIFT = {drift}\n" + DRIFTING_FAKE)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    if not drift:
        result.assert_outcomes(passed=1)
        return
    result.assert_outcomes(passed=1, errors=1)
    problems = [line.strip() for line in result.stdout.lines if line.strip().startswith("E   ")]
    assert [p.removeprefix("E").strip() for p in problems if "#1 " in p] == [
        "#1 GET /repos/{owner}/{repo}: response 200 (root): 'node_id' is a required property",
        "#1 GET /repos/{owner}/{repo}: response 200 id: '100001' is not of type 'integer'",
    ]


# ----------------------------------------------------------------------------- tokens

#: Every shape of token GitHub issues (contract A.4; changelog 2026-05-15: `ghs_` JWTs of about
#: 520 characters and more, dots and underscores, no length to rely on).
_JWT_BODY = (
    "eyJhbGciOiJSUzI1NiJ9." + "eyJzdWIiOiJyZXBvOm9jdG8tb3JnL3dpZGdldCJ9_" * 11 + "." + "Sig_" * 15
)
TOKENS = {
    "ghs_ opaque (40)": "ghs_" + "A1b2C3d4E5" * 3 + "F6g7H8",
    "ghs_ JWT (~520)": "ghs_" + _JWT_BODY[:516],
    "ghs_ JWT (longer)": "ghs_" + _JWT_BODY + "." + "x_Y.z" * 120,
    "ghp_": "ghp_" + "Q9w8E7r6T5" * 3 + "y4U3i2",
    "github_pat_": "github_pat_" + "11ABCDEFG0123456789abc" + "_" + "Zz9" * 19 + "Zz",
}


def test_the_token_shapes_are_as_github_issues_them() -> None:
    assert len(TOKENS["ghs_ opaque (40)"]) == 40
    assert len(TOKENS["ghs_ JWT (~520)"]) == 520 and TOKENS["ghs_ JWT (~520)"].count(".") == 2
    assert len(TOKENS["ghs_ JWT (longer)"]) > 1000
    assert len(TOKENS["ghp_"]) == 40 and len(TOKENS["github_pat_"]) == 93
    for value in TOKENS.values():
        assert value.isascii() and not any(c.isspace() for c in value)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"), branch=True)


@pytest.mark.parametrize("shape", list(TOKENS))
def test_every_token_shape_runs_and_comments(
    shape: str, action: ActionRun, fake_github: FakeGitHub, project: Path
) -> None:
    token = TOKENS[shape]
    fake_github.add_repo(REPO)
    fake_github.add_token(token)
    fake_github.add_pull(
        REPO, NUMBER, head_sha=HEAD, base_sha=BASE, head_ref="fix-parser",
        files=[FileChange("sample/calc.py", patch=CALC_PATCH)],
    )  # fmt: skip
    copy_project(project, action.workspace)
    action.event_name = "pull_request"
    action.event = pr_event()
    action.api_url = fake_github.base_url
    action.inputs["github-token"] = token
    result = action.run()
    assert result.code == 0, result.stdout + result.stderr
    assert result.errors == []
    [comment] = fake_github.comments(REPO, NUMBER)
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    assert {r.token for r in fake_github.log.all()} == {token}
    assert token not in result.everything()


# ----------------------------------------------------------------------------- the runner's env

#: What actions/runner (main, 2026-08-17, 258d6c85) exports into a repository container action
#: on a push: GitHubContext.cs's allowlist present for such a step as GITHUB_* (action_path is
#: composite-only, artifacts/artifacts_list are feature-flagged), the five file commands, every
#: RunnerContext key as RUNNER_* (JobRunner.cs, TempDirectoryManager.cs, JobExtension.cs;
#: RUNNER_DEBUG only with debug logging), HOME (ContainerActionHandler.cs), GITHUB_ACTIONS and
#: CI (DockerCommandManager.cs).
RUNNER_EXPORTS = frozenset(
    {f"GITHUB_{key.upper()}" for key in (
        "action", "action_ref", "action_repository", "actor", "actor_id", "api_url", "base_ref",
        "env", "event_name", "event_path", "graphql_url", "head_ref", "job", "output", "path",
        "ref", "ref_name", "ref_protected", "ref_type", "repository", "repository_id",
        "repository_owner", "repository_owner_id", "retention_days", "run_attempt", "run_id",
        "run_number", "server_url", "sha", "state", "step_summary", "triggering_actor",
        "workflow", "workflow_ref", "workflow_sha", "workspace",
    )}
    | {f"RUNNER_{key.upper()}" for key in (
        "os", "arch", "name", "environment", "tool_cache", "temp", "workspace",
    )}
    | {"HOME", "GITHUB_ACTIONS", "CI"}
)  # fmt: skip
#: ContainerInfo.UpdateWebProxyEnv: a runner configured with a proxy passes both spellings.
PROXY_NAMES = frozenset(
    {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"}
)


def test_the_harness_sets_what_the_runner_sets(tmp_path: Path) -> None:
    env = ActionRun(tmp_path).environ()
    runner_like = {k for k in env if k.startswith(("GITHUB_", "RUNNER_")) or k in PROXY_NAMES}
    runner_like |= {k for k in ("HOME", "CI") if k in env}
    assert sorted(RUNNER_EXPORTS - set(env)) == []  # missing
    assert sorted(runner_like - RUNNER_EXPORTS) == []  # not the runner's
