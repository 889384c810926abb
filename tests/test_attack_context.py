"""GITHUB_REPOSITORY goes into every API path: anything but an owner/name GitHub could have is
one warning, and no API call is made (issue 16 B.6)."""

from __future__ import annotations

import pytest

from covaction.github_context import from_environ
from tests.fakegithub import FakeGitHub
from tests.harness import ActionRun
from tests.hostile_helpers import project

RULE = (
    "is not owner/name (an owner of letters, digits, '-' or '_', a name of letters, digits, "
    "'-', '_' or '.', at most 100 characters each): API calls are skipped"
)
UNSET = "GITHUB_REPOSITORY is not set (the runner sets it to owner/name): API calls are skipped"
TOKEN = "ghs_" + "Rep0Value0" * 4

HOSTILE = {
    "a/b/c": "'a/b/c'",
    "../../x": "'../../x'",
    "owner/..": "'owner/..'",
    "owner/.": "'owner/.'",
    "./repo": "'./repo'",
    "owner/repo?x#y": "'owner/repo?x#y'",
    "owner/repo#y": "'owner/repo#y'",
    "owner/re%2fpo": "'owner/re%2fpo'",
    "own.er/repo": "'own.er/repo'",
    "-owner/repo": "'-owner/repo'",
    "owner/": "'owner/'",
    "/repo": "'/repo'",
    "owner": "'owner'",
    "owner//repo": "'owner//repo'",
    " owner/repo": "' owner/repo'",
    "owner/repo\n::error::x": "'owner/repo\\n::error::x'",
    "ówner/repo": "'\\xf3wner/repo'",
    "owner/rep\u0131": "'owner/rep\\u0131'",
    "owner/\uff52epo": "'owner/\\uff52epo'",
    "o/" + "r" * 101: "'o/" + "r" * 98 + "'...",
    "o" * 101 + "/r": "'" + "o" * 100 + "'...",
}


def actions(repository: str | None) -> dict[str, str]:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}
    if repository is not None:
        env["GITHUB_REPOSITORY"] = repository
    return env


@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_a_repository_github_cannot_have_is_one_note_and_no_repository(value: str) -> None:
    ctx = from_environ(actions(value), b"{}")
    assert ctx.repository == ""
    assert ctx.run_url == ""
    assert ctx.notes == (f"GITHUB_REPOSITORY {HOSTILE[value]} {RULE}",)


@pytest.mark.parametrize("value", ["", None])
def test_no_repository_in_actions_is_said(value: str | None) -> None:
    ctx = from_environ(actions(value), b"{}")
    assert (ctx.repository, ctx.notes) == ("", (UNSET,))


def test_no_repository_on_a_laptop_is_no_note() -> None:
    ctx = from_environ({}, None)
    assert (ctx.repository, ctx.notes) == ("", ())


@pytest.mark.parametrize(
    "value",
    [
        "octo-org/octo-repo",
        "octocat/.github",
        "mona_acme/repo.name",
        "a/-",
        "A1/b..c",
        "o" * 100 + "/" + "r" * 100,
    ],
)
def test_every_owner_and_name_github_allows_is_kept(value: str) -> None:
    ctx = from_environ(actions(value), b"{}")
    assert (ctx.repository, ctx.notes) == (value, ())


@pytest.mark.parametrize("value", ["a/b/c", "../../x", "owner/repo?x#y", "", "ówner/repo"])
def test_the_step_warns_once_and_calls_no_api(
    action: ActionRun, fake_github: FakeGitHub, value: str
) -> None:
    """End to end with the fake GitHub: the gates still run, outputs and summary are written,
    and the fake receives no request at all."""
    fake_github.add_repo("octo-org/widget")
    fake_github.add_token(TOKEN)
    project(action)
    action.api_url = fake_github.base_url
    action.inputs["github-token"] = TOKEN
    action.repository = "octo-org/widget"
    action.env["GITHUB_REPOSITORY"] = value
    action.event_name = "pull_request"
    action.event = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"ref": "main", "sha": "a" * 40, "repo": {"full_name": "octo-org/widget"}},
            "head": {"ref": "x", "sha": "b" * 40, "repo": {"full_name": "octo-org/widget"}},
        },
    }
    result = action.run()
    assert result.code == 0, result.stdout + result.stderr
    expected = UNSET if not value else f"GITHUB_REPOSITORY {HOSTILE[value]} {RULE}"
    # One warning says what is wrong; the comment stage adds its consequence ("no pull request
    # comment: ..."), which cli.py words (see the report of this change).
    assert [w for w in result.warnings if w.startswith("GITHUB_REPOSITORY")] == [expected]
    assert all(w.startswith("no pull request comment: ") for w in result.warnings[1:])
    assert fake_github.requests == []
    assert result.outputs["coverage"] == "50.00"
    assert result.summary.startswith("## Coverage report")
