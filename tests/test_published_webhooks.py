"""covaction reads GitHub's own example payloads of every event it handles.

The payloads are npm `@octokit/webhooks-examples` (what GitHub sends for each webhook event and
action), checked here against the event schemas of npm `@octokit/openapi-webhooks` so a drift of
either shows. Each event covaction reads is fed to its event reader (`github_context.from_environ`)
with the environment the runner derives from it, and pull_request and workflow_run also drive a
whole run of `python entrypoint.py` against the fakes. `schedule` is not a webhook event and has no
published example: its payload is the documented `{"schedule": "<cron>"}` (GitHub docs, "Events
that trigger workflows", schedule: `github.event.schedule`).
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from covaction.github_context import from_environ
from covaction.render import markdown
from tests.fakegithub import WRITE_TOKEN, FakeGitHub, FileChange
from tests.fakegithub.openapi import NODE_MODULES
from tests.harness import ActionRun
from tests.render_helpers import patch_adding
from tests.sample import make_project

EXAMPLES = NODE_MODULES / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"
WEBHOOK_SCHEMAS = (
    NODE_MODULES / "@octokit" / "openapi-webhooks" / "generated" / "api.github.com.json"
)

pytestmark = pytest.mark.skipif(
    not EXAMPLES.is_file(),
    reason="npm packages not installed (run `npm ci --ignore-scripts` at the repository root)",
)


@functools.cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in doc}


def example(event: str, index: int) -> dict[str, Any]:
    """A deep copy of GitHub's example number `index` of `event`."""
    found: dict[str, Any] = json.loads(json.dumps(_examples()[event][index]))
    return found


def runner_env(event_name: str, payload: dict[str, Any], **extra: str) -> dict[str, str]:
    """What the runner exports for this payload (GITHUB_REF/GITHUB_SHA per contract B.1)."""
    if event_name == "pull_request":
        ref, sha = f"refs/pull/{payload['number']}/merge", "d" * 40  # the merge commit
    elif event_name == "push":
        ref, sha = payload["ref"], payload["after"]
    elif event_name == "workflow_run":
        branch = payload["repository"]["default_branch"]
        ref, sha = f"refs/heads/{branch}", "e" * 40  # the default branch's last commit
    else:
        ref, sha = payload.get("ref") or "refs/heads/main", "f" * 40
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_REPOSITORY": payload["repository"]["full_name"],
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "9000000001",
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        **extra,
    }


def read(event_name: str, payload: dict[str, Any], **extra: str) -> Any:
    env = runner_env(event_name, payload, **extra)
    return from_environ(env, json.dumps(payload).encode())


# ----------------------------------------------------------------------------- the examples


#: Where the two published packages disagree: fields the schemas mark required that the (older)
#: examples lack. Anything else either of them changes fails the test below.
EXAMPLES_LACK = {
    ("pull_request", 0): {"pull_request: 'auto_merge' is a required property"},
    ("push", 0): {
        "repository: 'has_discussions' is a required property",
        "repository: 'topics' is a required property",
        "repository: 'visibility' is a required property",
    },
    ("push", 1): {"repository: 'has_discussions' is a required property"},
    ("push", 4): {"repository: 'has_discussions' is a required property"},
    ("workflow_run", 2): set(),
    ("workflow_dispatch", 0): set(),
}


def test_the_examples_are_what_the_webhook_schemas_describe() -> None:
    """The examples used below validate against @octokit/openapi-webhooks' event schemas, but
    for the listed fields the examples predate."""
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    from tests.fakegithub.openapi import _nullable

    doc = json.loads(WEBHOOK_SCHEMAS.read_text(encoding="utf-8"))
    _nullable(doc["components"])
    registry: Registry[Any] = Registry().with_resource(
        "urn:webhooks", Resource(contents=doc, specification=DRAFT4)
    )
    schemas = {
        "pull_request": "webhook-pull-request-opened",
        "push": "webhook-push",
        "workflow_run": "webhook-workflow-run-completed",
        "workflow_dispatch": "webhook-workflow-dispatch",
    }
    for (event, index), lacking in EXAMPLES_LACK.items():
        validator = jsonschema.Draft4Validator(
            {"$ref": f"urn:webhooks#/components/schemas/{schemas[event]}"}, registry=registry
        )
        errors = {
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(example(event, index))
        }
        assert errors == lacking, (event, index)


def test_pull_request_opened() -> None:
    payload = example("pull_request", 0)
    assert payload["action"] == "opened"
    ctx = read("pull_request", payload)
    assert ctx.notes == ()
    assert (ctx.event_name, ctx.repository, ctx.default_branch) == (
        "pull_request",
        "Codertocat/Hello-World",
        "master",
    )
    pr = ctx.pull_request
    assert pr is not None
    assert (pr.number, pr.base_ref, pr.head_ref) == (2, "master", "changes")
    assert pr.base_sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert pr.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert (pr.head_repo, pr.is_fork, pr.changed_files) == ("Codertocat/Hello-World", False, 1)
    assert ctx.push_branch == "" and ctx.workflow_run is None


def test_push_to_the_default_branch() -> None:
    payload = example("push", 4)
    ctx = read("push", payload)
    assert ctx.notes == ()
    assert (ctx.push_branch, ctx.default_branch, ctx.on_default_branch) == (
        "master",
        "master",
        True,
    )
    assert ctx.sha == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"  # `after`, not GITHUB_SHA
    assert ctx.pull_request is None and ctx.workflow_run is None


def test_push_of_a_tag_is_not_a_branch() -> None:
    payload = example("push", 0)
    assert payload["ref"] == "refs/tags/simple-tag" and not payload["deleted"]
    ctx = read("push", payload)
    assert (ctx.push_branch, ctx.on_default_branch) == ("", False)
    assert ctx.sha == payload["after"]


def test_push_deleting_a_tag_has_no_commit_of_its_own() -> None:
    payload = example("push", 1)
    assert payload["deleted"] and payload["after"] == "0" * 40
    ctx = read("push", payload)
    assert (ctx.push_branch, ctx.on_default_branch) == ("", False)
    assert ctx.sha == ""  # 40 zeros (in `after`, and so in GITHUB_SHA) name no commit
    ctx = read("push", payload, GITHUB_SHA="f" * 40)
    assert ctx.sha == "f" * 40  # a real GITHUB_SHA is the run's commit


def test_workflow_dispatch() -> None:
    payload = example("workflow_dispatch", 0)
    ctx = read("workflow_dispatch", payload)
    assert ctx.notes == ()
    assert (ctx.push_branch, ctx.default_branch, ctx.on_default_branch) == ("main", "main", True)
    assert ctx.repository == "octo-org/octo-repo" and ctx.sha == "f" * 40


def test_schedule_has_the_documented_payload() -> None:
    payload = {"schedule": "*/15 * * * *", "repository": {"full_name": "octo-org/octo-repo"}}
    env = runner_env("schedule", payload, GITHUB_REF="refs/heads/main")
    ctx = from_environ(env, json.dumps({"schedule": "*/15 * * * *"}).encode())
    assert ctx.notes == ()
    assert (ctx.event_name, ctx.push_branch, ctx.sha) == ("schedule", "main", "f" * 40)
    assert ctx.default_branch == ""  # the schedule payload names no repository
    assert ctx.pull_request is None and ctx.workflow_run is None


def test_workflow_run_completed() -> None:
    payload = example("workflow_run", 2)
    ctx = read("workflow_run", payload)
    assert ctx.notes == ()
    run = ctx.workflow_run
    assert run is not None and run == payload["workflow_run"]
    assert (run["id"], run["status"], run["conclusion"], run["event"]) == (
        289782451,
        "completed",
        "success",
        "repository_dispatch",
    )
    assert ctx.pull_request is None and ctx.push_branch == ""


# ----------------------------------------------------------------------------- whole runs

HELLO = "Codertocat/Hello-World"
HELLO_ID = 186853002
OCTO = "octo-org/octo-repo"
OCTO_ID = 300029405


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"), branch=False)


def test_a_pull_request_run_on_the_opened_example_comments(
    action: ActionRun, fake_github: FakeGitHub, project: Path
) -> None:
    payload = example("pull_request", 0)
    pr = payload["pull_request"]
    fake_github.add_repo(HELLO, id=HELLO_ID, default_branch="master", owner_type="User")
    fake_github.add_pull(
        HELLO, 2, head_sha=pr["head"]["sha"], base_sha=pr["base"]["sha"], head_ref="changes",
        base_ref="master", files=[FileChange("sample/calc.py", patch=patch_adding([25, 26]))],
    )  # fmt: skip
    for name in ("sample", "tests"):
        shutil.copytree(project / name, action.workspace / name)
    shutil.copy(project / "coverage.xml", action.workspace / "coverage.xml")
    action.api_url = fake_github.base_url
    action.repository = HELLO
    action.event_name = "pull_request"
    action.event = payload
    action.inputs = {"github-token": WRITE_TOKEN}
    result = action.run()
    assert result.code == 0, result.stdout + result.stderr
    assert result.errors == [] and result.outputs["coverage"] == "78.26"
    assert result.outputs["diff-coverage"] == "0.00"
    [comment] = fake_github.comments(HELLO, 2)
    assert comment.body.startswith(markdown.marker("coverage"))
    # the example's head commit, and the uncovered changed lines 25-26 of sample/calc.py
    assert pr["head"]["sha"] in comment.body and "sample/calc.py" in comment.body
    assert "25-26" in comment.body.split("sample/calc.py", 1)[1]
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")


def publish_run(action: ActionRun, fake: FakeGitHub, payload: dict[str, Any]) -> Any:
    fake.add_repo(OCTO, id=OCTO_ID, default_branch="master")
    action.api_url = fake.base_url
    action.repository = OCTO
    action.event_name = "workflow_run"
    action.event = payload
    action.inputs = {"github-token": WRITE_TOKEN, "mode": "publish"}
    action.env = {"GITHUB_REPOSITORY_ID": str(OCTO_ID)}
    return action.run()


def test_publish_on_the_completed_example_refuses_a_run_that_is_not_a_pull_request(
    action: ActionRun, fake_github: FakeGitHub
) -> None:
    """GitHub's example run was triggered by repository_dispatch: nothing to publish, exit 0."""
    result = publish_run(action, fake_github, example("workflow_run", 2))
    assert result.code == 0, result.stdout + result.stderr
    assert [c.data for c in result.of("notice")] == [
        "No coverage comment posted: run 289782451 was triggered by repository_dispatch, "
        "not a pull request"
    ]
    assert result.errors == [] and result.warnings == []
    assert fake_github.comments(OCTO, 2) == []


def test_publish_on_the_completed_example_of_a_pull_request_run_looks_the_pull_request_up(
    action: ActionRun, fake_github: FakeGitHub
) -> None:
    """The same example with `event: pull_request` (no published example has one). The pull
    request it lists belongs to another repository (Codertocat/Hello-World, id 186853002), so it
    is not taken; the open pull requests of octo-org/octo-repo are searched for the run's head,
    none has it, nothing is posted: said once, exit 0."""
    payload = example("workflow_run", 2)
    payload["workflow_run"]["event"] = "pull_request"
    assert payload["workflow_run"]["pull_requests"][0]["base"]["repo"]["id"] == HELLO_ID
    result = publish_run(action, fake_github, payload)
    assert result.code == 0, result.stdout + result.stderr
    assert [c.data for c in result.of("notice")] == [
        "No coverage comment posted: no open pull request has head "
        "octo-org/octo-repo@3484a3fb816e (closed, or pushed again since)"
    ]
    assert result.errors == [] and result.warnings == []
    [lookup] = fake_github.requests_for("list_pulls")
    assert lookup.params == {
        "state": "open", "per_page": "100", "head": "octo-org:master", "page": "1"
    }  # fmt: skip
