"""The REST edge's exchanges go through PyGithub's requester: what that must not change.

PyGithub's requester (2.10) sends the token itself, has one timeout for all its requests,
repeats a `202` and follows a `301` inside one call. These tests drive `GitHubApi` against the
fake GitHub and pin what the edge does about each: the token as PyGithub sends it and no `.netrc`
entry in its place, a request cut at the run's deadline rather than at its timeout, a `301` off
the API host refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from covaction import __version__
from covaction.edges.github_rest import ACTIONS_BOT, ApiFailure, FailureKind, GitHubApi
from tests.fakegithub import FakeGitHub, Fault

REPO = "octo-org/widget"
NUMBER = 42
TOKEN = "ghs_" + "PyGithub01" * 4
MARKER = "<!-- covaction: coverage -->"
GHES = {"path_prefix": "/api/v3"}


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_pull(REPO, NUMBER, head_sha="b0" * 20, base_sha="a0" * 20)
    return fake_github


@pytest.mark.parametrize("fake_github", [GHES], indirect=True)
def test_the_token_goes_as_pygithub_sends_it_and_a_netrc_entry_changes_nothing(
    gh: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests puts a `.netrc` entry for the host in place of a missing `auth` (its
    `Session.prepare_request`): PyGithub sets an `auth` on its session, so the token stays."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    gh.add_comment(REPO, NUMBER, MARKER + "\nold", login=ACTIONS_BOT, user_type="Bot")
    api = GitHubApi(TOKEN, gh.base_url, REPO, timeout=5)
    try:
        posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nnew", "update")
    finally:
        api.close()
    assert posted.action == "updated"
    assert [r.route for r in gh.requests] == ["list_comments", "update_comment"]
    for request in gh.requests:
        assert request.path.startswith("/api/v3/repos/octo-org/widget/issues/")
        assert request.header("Authorization") == f"token {TOKEN}"
        assert request.header("User-Agent") == f"covaction/{__version__}"
    assert gh.requests[-1].header("Content-Type") == "application/json"


def test_a_request_is_cut_at_the_runs_deadline_not_at_its_own_timeout(gh: FakeGitHub) -> None:
    """The requester's one timeout is 20 s here; GitHub answers after 3 s; 1 s of the run's API
    time is left: the request gets a requester whose timeout is what is left, so it ends as a
    timeout instead of waiting for the 504."""
    gh.inject("list_comments", Fault.error(504, delay=3.0), persistent=True)
    api = GitHubApi(TOKEN, gh.base_url, REPO, deadline=1.0, timeout=20)
    try:
        with pytest.raises(ApiFailure) as failure:
            api.comments(NUMBER)
    finally:
        api.close()
    assert failure.value.kind == FailureKind.TIMEOUT
    assert failure.value.message == (
        "listing the pull request's comments: the GitHub API did not answer in time "
        "(read timeout); no time left for another attempt in this run"
    )
    assert len(gh.requests_for("list_comments")) == 1


def test_a_301_off_the_api_host_is_refused_not_followed(gh: FakeGitHub) -> None:
    """PyGithub's requester raises RuntimeError for such a 301 (or follows one on the host
    without a limit); the edge refuses it as a failure of the call."""
    away = Fault(status=301, body=b"{}", headers=(("Location", "https://attacker.example/x"),))
    gh.inject("list_comments", away, persistent=True)
    api = GitHubApi(TOKEN, gh.base_url, REPO, deadline=60, timeout=5, max_wait=0)
    try:
        with pytest.raises(ApiFailure) as failure:
            api.comments(NUMBER)
    finally:
        api.close()
    assert failure.value.kind == FailureKind.SERVER
    assert failure.value.message == (
        "listing the pull request's comments: GitHub redirected to another host"
    )
    assert all(r.host == "api" for r in gh.requests)
    assert len(gh.requests_for("list_comments")) == 4  # REST_POLICY: 4 attempts
