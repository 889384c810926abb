"""The REST edge when GitHub misbehaves: one deadline, documented rate-limit waits, safe paging.

Every test drives `GitHubApi` in-process against the fake GitHub with injected faults. Waits go
through `RecordingClock`: a sleep is recorded (with the number of requests the fake had seen)
and advances the edge's clocks instead of sleeping, so GitHub's "wait 60 s" costs nothing and
nothing is asserted about elapsed time: the tests count requests and read the recorded waits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from covaction.edges.artifact_upload import Timing, upload_artifact
from covaction.edges.github_rest import (
    ACTIONS_BOT,
    ApiFailure,
    FailureKind,
    GitHubApi,
    options_from_environ,
)
from covaction.edges.retry import Clock, Deadline, RetryPolicy, retry_after
from tests.fakegithub import FakeGitHub, Fault
from tests.fakeresults import FakeResults, runtime_environ
from tests.fakeresults import Fault as ResultsFault

REPO = "octo-org/widget"
NUMBER = 42
TOKEN = "ghs_" + "Fault0Test" * 4  # an installation token: writes as github-actions[bot]
PAT = "ghp_" + "Personal01" * 4
MARKER = "<!-- covaction: coverage -->"
COMMENTS = rf"/issues/{NUMBER}/comments$"


class RecordingClock:
    """Real time plus whatever the edge slept; each sleep is recorded, none is slept."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.offset = 0.0
        self.sleeps: list[tuple[float, int]] = []  # (seconds, requests seen before it)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append((seconds, len(self.fake.requests)))
        self.offset += seconds

    @property
    def waits(self) -> list[float]:
        return [round(s, 1) for s, _ in self.sleeps]

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep)


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_pull(REPO, NUMBER, head_sha="b0" * 20, base_sha="a0" * 20)
    return fake_github


@pytest.fixture
def clock(gh: FakeGitHub) -> RecordingClock:
    return RecordingClock(gh)


def make_api(
    gh: FakeGitHub, clock: RecordingClock, *, token: str = TOKEN, deadline: float = 120.0
) -> GitHubApi:
    return GitHubApi(
        token, gh.base_url, REPO, deadline=Deadline(deadline, clock.clock()), timeout=5
    )


@pytest.fixture
def api(gh: FakeGitHub, clock: RecordingClock) -> Iterator[GitHubApi]:
    edge = make_api(gh, clock)
    yield edge
    edge.close()


def ours(gh: FakeGitHub) -> list[str]:
    return [c.body for c in gh.comments(REPO, NUMBER) if c.body.startswith(MARKER)]


def count(gh: FakeGitHub, route: str) -> int:
    return len(gh.requests_for(route))


# ---------------------------------------------------------------------------- the deadline


def test_every_call_504_after_a_delay_ends_at_the_deadline(gh: FakeGitHub) -> None:
    """Issue: every call answered 504 after 20 s and the step ran until it was killed. Real
    time here: each answer takes 0.3 s, the deadline is 1.2 s, so at most 5 requests fit."""
    gh.inject("* .*", Fault.error(504, delay=0.3), persistent=True)
    api = GitHubApi(TOKEN, gh.base_url, REPO, deadline=1.2, timeout=5)
    failures: list[ApiFailure] = []
    for _ in range(6):  # a run's calls: files, comments, refs ... all after the outage began
        try:
            api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
        except ApiFailure as failure:
            failures.append(failure)
    assert len(gh.requests) <= 5
    assert failures[-1].kind == FailureKind.DEADLINE
    sent = len(gh.requests)
    with pytest.raises(ApiFailure) as later:
        api.pr_files(NUMBER)
    assert later.value.kind == FailureKind.DEADLINE
    assert len(gh.requests) == sent  # nothing more is sent after the deadline
    note = api.skipped_note()
    assert note.startswith("GitHub API work stopped (the run's 1.2 s for API work had passed)")
    assert "listing the pull request's comments" in note and "files" in note
    assert note.count("listing the pull request's comments") == 1


def test_after_the_deadline_no_call_is_sent(gh: FakeGitHub, clock: RecordingClock) -> None:
    api = make_api(gh, clock, deadline=10)
    clock.offset += 600  # the run parses and renders: not API work, the budget is untouched
    assert api.deadline.remaining() == 10
    with api.deadline.running():
        clock.offset += 11  # API work elsewhere (a download, an upload) used it all
    for call in (
        lambda: api.pr_files(NUMBER),
        lambda: api.upsert_comment(NUMBER, MARKER, MARKER + "\nx", "update"),
        lambda: api.get_json("listing artifacts", f"/repos/{REPO}/actions/artifacts"),
        lambda: api.resolve_ref("actions/checkout", "v4"),
    ):
        with pytest.raises(ApiFailure) as failure:
            call()
        assert failure.value.kind == FailureKind.DEADLINE
        assert failure.value.message.endswith("not sent, the run's 10 s for API work had passed")
    assert gh.requests == []
    assert api.skipped_note() == (
        "GitHub API work stopped (the run's 10 s for API work had passed); skipped: listing "
        "the pull request's files; listing the pull request's comments; listing artifacts; "
        "resolving actions/checkout@v4"
    )


def test_the_deadline_and_the_longest_wait_come_from_the_environment() -> None:
    assert options_from_environ({"COVACTION_API_DEADLINE": "2.5"}) == {"deadline": 2.5}
    assert options_from_environ(
        {"COVACTION_API_DEADLINE": "30", "COVACTION_MAX_RETRY_WAIT": "0"}
    ) == {"deadline": 30.0, "max_wait": 0.0}
    for bad in ("", "-1", "1e3", "\u00b2", "12 ", "nan", "1" * 9):
        assert options_from_environ({"COVACTION_API_DEADLINE": bad}) == {}


# ---------------------------------------------------------------------------- pagination


def test_a_next_link_that_never_ends_stops_when_it_repeats(gh: FakeGitHub, api: GitHubApi) -> None:
    """Issue: `Link: next` always pointing at page 2 made 3,612 GETs in 180 s."""
    page = [{"id": 3000000001, "body": "hello", "user": {"login": "octocat", "type": "User"}}]
    link = f'<{gh.base_url}/repos/{REPO}/issues/{NUMBER}/comments?per_page=100&page=2>; rel="next"'
    forever = Fault(status=200, body=json.dumps(page).encode(), headers=(("Link", link),))
    gh.inject(f"GET {COMMENTS}", forever, persistent=True)
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert count(gh, "list_comments") == 2  # page 1, page 2, whose next is page 2 again
    assert posted.action == "created" and ours(gh) == [MARKER + "\nbody"]
    assert posted.notes == (
        "listing the pull request's comments: GitHub's next-page link repeats an earlier page; "
        "stopped after 2 pages",
    )


def test_a_next_link_to_another_host_is_not_followed(gh: FakeGitHub, api: GitHubApi) -> None:
    link = '<https://attacker.example/repos/x/y/issues/1/comments?page=2>; rel="next"'
    gh.inject(f"GET {COMMENTS}", Fault(status=200, body=b"[]", headers=(("Link", link),)))
    comments, note = api.comments(NUMBER)
    assert comments == [] and count(gh, "list_comments") == 1
    assert note.endswith("GitHub's next page is not on the API host; stopped there")


def test_the_listing_stops_at_its_page_cap(gh: FakeGitHub, api: GitHubApi) -> None:
    for i in range(5_050):
        gh.add_comment(REPO, NUMBER, f"remark {i}", login="reviewer")
    comments, note = api.comments(NUMBER)
    assert len(comments) == 5_000 and count(gh, "list_comments") == 50
    assert note == "listing the pull request's comments: stopped after 50 pages of 100"


# ---------------------------------------------------------------------------- retries


def test_every_call_500_costs_a_few_requests_per_call(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """Issue: 16 GETs of the comment list. Now 4 attempts, waits 0.5, 1 and 2 s between."""
    gh.inject("* .*", Fault.error(500), persistent=True)
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert failure.value.kind == FailureKind.SERVER
    assert failure.value.message == "listing the pull request's comments: GitHub answered 500"
    assert count(gh, "list_comments") == 4 and count(gh, "create_comment") == 0
    assert clock.waits == [0.5, 1.0, 2.0]


def test_primary_rate_limit_exhausted_gives_up_at_once(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """Issue: 4 calls to the same endpoint with the limit used up for an hour."""
    gh.set_rate_limit(TOKEN, remaining=0, reset_in=3600)
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert failure.value.kind == FailureKind.RATE_LIMIT
    assert failure.value.message.startswith(
        "listing the pull request's comments: rate limited by GitHub (403): the rate limit for "
        "this token is used up until "
    )
    assert failure.value.message.endswith(
        " UTC, more than the 120 s left for API work in this run: gave up"
    )
    assert len(gh.requests) == 1 and clock.sleeps == []
    with pytest.raises(ApiFailure) as later:
        api.pr_files(NUMBER)
    assert later.value.kind == FailureKind.DEADLINE and len(gh.requests) == 1
    assert api.skipped_note().startswith(
        "GitHub API work stopped (the rate limit for this token is used up until "
    )
    assert api.skipped_note().endswith(
        " UTC, past this run's API deadline); skipped: listing the pull request's files"
    )


def test_primary_rate_limit_resetting_soon_is_waited_for(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    gh.inject("create_comment", Fault.primary_rate_limit(403, reset_in=20))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and count(gh, "create_comment") == 2
    [(wait, before)] = clock.sleeps
    assert 19 <= wait <= 22 and before == 2  # after the list and the refused POST


def test_retry_after_3_on_a_503_is_honoured_before_anything_else(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """Issue: the POST was repeated after 0.1 s. Now: nothing is sent for 3 s, then the
    comments are looked at (the POST may have landed), then it is posted again."""
    gh.inject("create_comment", Fault.unavailable(retry_after=3))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and ours(gh) == [MARKER + "\nbody"]
    routes = [r.route for r in gh.requests]
    assert routes == ["list_comments", "create_comment", "list_comments", "create_comment"]
    [(wait, before)] = clock.sleeps
    assert 2.5 < wait <= 3 and before == 2


def test_retry_after_2_on_a_secondary_limit_403_is_honoured(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    gh.inject("create_comment", Fault.secondary_rate_limit(403, retry_after=2))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and count(gh, "create_comment") == 2
    [(wait, before)] = clock.sleeps
    assert 1.5 < wait <= 2 and before == 2


def test_retry_after_as_a_date_then_as_garbage_still_posts_once(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """Issue: no comment at all. The date is honoured, the garbage gets our own short wait."""
    date = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    gh.inject(
        "create_comment",
        Fault.error(503, headers={"Retry-After": date}),
        Fault.error(503, headers={"Retry-After": "soon, maybe"}),
    )
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and ours(gh) == [MARKER + "\nbody"]
    assert count(gh, "create_comment") == 3 and count(gh, "list_comments") == 3
    (first, _), (second, _) = clock.sleeps
    assert 28 <= first <= 31 and round(second, 1) == 0.5


def test_garbage_retry_after_on_a_429_waits_the_documented_minute(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    gh.inject("create_comment", Fault.error(429, headers={"Retry-After": "-5"}))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and count(gh, "create_comment") == 2
    assert clock.waits == [60.0]


def test_secondary_limit_without_retry_after_waits_a_minute(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """The docs: "Otherwise, wait for at least one minute before retrying" (issue 15, 11)."""
    gh.inject("list_comments", Fault.secondary_rate_limit(403))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and count(gh, "list_comments") == 2
    assert clock.waits == [60.0]


def test_secondary_limit_past_the_deadline_gives_up_and_says_so(
    gh: FakeGitHub, clock: RecordingClock
) -> None:
    api = make_api(gh, clock, deadline=30)
    gh.inject("create_comment", Fault.secondary_rate_limit(403, content_creation=True))
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert failure.value.kind == FailureKind.RATE_LIMIT
    assert failure.value.message == (
        "posting the coverage comment: rate limited by GitHub (403): a secondary rate limit "
        "without retry-after asks for a pause of at least 60 s, more than the 30 s left for API "
        "work in this run: gave up"
    )
    assert count(gh, "create_comment") == 1 and clock.sleeps == [] and ours(gh) == []


def test_a_longest_wait_shortens_our_backoff_but_never_githubs(
    gh: FakeGitHub, clock: RecordingClock
) -> None:
    api = GitHubApi(TOKEN, gh.base_url, REPO, deadline=Deadline(120, clock.clock()), max_wait=0.2)
    gh.inject("list_comments", Fault.error(500), Fault.error(500))
    gh.inject("create_comment", Fault.secondary_rate_limit(429, retry_after=5))
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert clock.waits == [0.2, 0.2]
    assert failure.value.message == (
        "posting the coverage comment: rate limited by GitHub (429): GitHub asks to wait 5 s "
        "(Retry-After), more than this run waits (0.2 s): gave up"
    )


def test_a_202_forever_is_a_server_failure_not_an_endless_wait(
    gh: FakeGitHub, api: GitHubApi, clock: RecordingClock
) -> None:
    """PyGithub's requester repeated a 202 every 2 s without limit."""
    gh.inject("list_comments", Fault(status=202, body=b"{}"), persistent=True)
    with pytest.raises(ApiFailure) as failure:
        api.comments(NUMBER)
    assert failure.value.kind == FailureKind.SERVER
    assert count(gh, "list_comments") == 4 and clock.waits == [0.5, 1.0, 2.0]


def test_redirects_stay_on_the_api_host_and_end(gh: FakeGitHub, api: GitHubApi) -> None:
    here = f"{gh.base_url}/repos/{REPO}/issues/{NUMBER}/comments?per_page=100"
    gh.inject(f"GET {COMMENTS}", Fault(status=301, body=b"{}", headers=(("Location", here),)),
              persistent=True)  # fmt: skip
    with pytest.raises(ApiFailure) as failure:
        api.comments(NUMBER)
    assert failure.value.message.startswith(
        "listing the pull request's comments: too many redirects"
    )
    assert count(gh, "list_comments") == 16  # 4 attempts of 1 request and 3 redirects
    gh.clear_faults()
    away = "https://attacker.example/steal"
    redirect = Fault(status=302, body=b"{}", headers=(("Location", away),))
    gh.inject(f"GET {COMMENTS}", redirect, persistent=True)
    with pytest.raises(ApiFailure) as failure:
        make_api(gh, RecordingClock(gh)).comments(NUMBER)
    assert "GitHub redirected to another host" in failure.value.message


# ---------------------------------------------------------------------------- too long


def test_body_too_long_is_its_own_kind_and_a_smaller_body_then_posts(
    gh: FakeGitHub, api: GitHubApi
) -> None:
    gh.comment_body_limit = "documented"
    big = MARKER + "\n" + "x" * 70_000
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, big, "update")
    assert failure.value.kind == FailureKind.TOO_LONG
    assert failure.value.message == (
        "posting the coverage comment: GitHub refused the body as too long (422)"
    )
    assert count(gh, "create_comment") == 1
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nsmaller", "update")
    assert posted.action == "created" and ours(gh) == [MARKER + "\nsmaller"]


def test_body_too_long_on_an_update_keeps_the_old_comment(gh: FakeGitHub, api: GitHubApi) -> None:
    gh.add_comment(REPO, NUMBER, MARKER + "\nold", login=ACTIONS_BOT, user_type="Bot")
    gh.comment_body_limit = "documented"
    with pytest.raises(ApiFailure) as failure:
        api.upsert_comment(NUMBER, MARKER, MARKER + "\n" + "y" * 70_000, "update")
    assert failure.value.kind == FailureKind.TOO_LONG
    assert count(gh, "update_comment") == 1 and ours(gh) == [MARKER + "\nold"]


# ---------------------------------------------------------------------------- lazy completion


@pytest.mark.parametrize("position", ["first", "behind-250"])
def test_listing_comments_costs_pages_not_one_request_per_comment(
    gh: FakeGitHub, api: GitHubApi, position: str
) -> None:
    """Issue 15, 2: PyGithub completed each listed comment with one GET. 251 comments are three
    pages of 100, wherever ours is: 3 GETs and 1 PATCH (before: 251 GETs more)."""
    if position == "first":
        mine = gh.add_comment(REPO, NUMBER, MARKER + "\nold", login=ACTIONS_BOT, user_type="Bot")
    for i in range(250):
        gh.add_comment(REPO, NUMBER, f"remark {i}", login=f"reviewer{i % 5}")
    if position != "first":
        mine = gh.add_comment(REPO, NUMBER, MARKER + "\nold", login=ACTIONS_BOT, user_type="Bot")
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nnew", "update")
    assert posted.action == "updated"
    assert [r.route for r in gh.requests] == ["list_comments"] * 3 + ["update_comment"]
    assert gh.requests[-1].path.endswith(f"/issues/comments/{mine}")


# ---------------------------------------------------------------------------- whose comment


def test_a_pr_authors_planted_marker_is_never_adopted(gh: FakeGitHub, api: GitHubApi) -> None:
    planted = gh.add_comment(REPO, NUMBER, MARKER + "\n✅ 100%", login="contrib")
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nreal", "update")
    assert posted.action == "created"
    assert ours(gh) == [MARKER + "\n✅ 100%", MARKER + "\nreal"]
    assert count(gh, "update_comment") == 0
    again = api.upsert_comment(NUMBER, MARKER, MARKER + "\nnewer", "update")
    assert again.action == "updated"
    assert gh.comment(REPO, planted).body == MARKER + "\n✅ 100%"  # type: ignore[union-attr]


def pat_user(gh: FakeGitHub, login: str = "maintainer") -> int:
    """A personal token of `login`; GET /user answers for it (the fake has no such route, so
    the answer is injected)."""
    token = gh.add_token(PAT, login=login, user_type="User")
    user = {"login": login, "id": token.user.id, "type": "User", "site_admin": False}
    gh.inject("GET ^/user$", Fault(status=200, body=json.dumps(user).encode()), persistent=True)
    return token.user.id


def test_a_personal_token_adopts_its_users_comment_only(
    gh: FakeGitHub, clock: RecordingClock
) -> None:
    uid = pat_user(gh)
    mine = gh.add_comment(REPO, NUMBER, MARKER + "\nold", login="maintainer", user_id=uid)
    planted = gh.add_comment(REPO, NUMBER, MARKER + "\nfake", login="contrib")
    bots = gh.add_comment(REPO, NUMBER, MARKER + "\nbot", login=ACTIONS_BOT, user_type="Bot")
    api = make_api(gh, clock, token=PAT)
    for text in ("first", "second"):
        posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\n" + text, "update")
        assert posted.action == "updated"
    assert gh.comment(REPO, mine).body == MARKER + "\nsecond"  # type: ignore[union-attr]
    assert gh.comment(REPO, planted).body == MARKER + "\nfake"  # type: ignore[union-attr]
    assert gh.comment(REPO, bots).body == MARKER + "\nbot"  # type: ignore[union-attr]
    assert len([r for r in gh.requests if r.path == "/user"]) == 1  # asked once


def test_a_personal_token_with_only_a_planted_marker_posts_its_own(
    gh: FakeGitHub, clock: RecordingClock
) -> None:
    pat_user(gh)
    gh.add_comment(REPO, NUMBER, MARKER + "\nfake", login="contrib")
    api = make_api(gh, clock, token=PAT)
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nreal", "update")
    assert posted.action == "created" and ours(gh) == [MARKER + "\nfake", MARKER + "\nreal"]


def test_no_identity_request_when_there_is_nothing_to_adopt(
    gh: FakeGitHub, clock: RecordingClock
) -> None:
    pat_user(gh)
    api = make_api(gh, clock, token=PAT)
    api.upsert_comment(NUMBER, MARKER, MARKER + "\nfirst", "update")
    assert [r.route for r in gh.requests] == ["list_comments", "create_comment"]


@pytest.mark.parametrize("token", ["ghu_" + "UserToApp0" * 4, "opaque-app-token"])
def test_a_token_that_cannot_read_its_user_is_the_actions_bot(
    gh: FakeGitHub, clock: RecordingClock, token: str
) -> None:
    """A token GET /user refuses (403, as for installation tokens), or of no user-token form,
    writes as the Actions bot: its comment is adopted, a person's never."""
    gh.add_token(token)
    gh.inject("GET ^/user$", Fault.error(403, "Resource not accessible by integration"))
    gh.add_comment(REPO, NUMBER, MARKER + "\nfake", login="contrib")
    bots = gh.add_comment(REPO, NUMBER, MARKER + "\nold", login=ACTIONS_BOT, user_type="Bot")
    api = make_api(gh, clock, token=token)
    assert api.upsert_comment(NUMBER, MARKER, MARKER + "\nnew", "update").action == "updated"
    assert gh.comment(REPO, bots).body == MARKER + "\nnew"  # type: ignore[union-attr]
    asked = [r for r in gh.requests if r.path == "/user"]
    assert len(asked) == (1 if token.startswith("ghu_") else 0)


def test_a_failed_post_adopts_only_its_own_stored_comment(gh: FakeGitHub, api: GitHubApi) -> None:
    """After an ambiguous failure the edge looks before posting again; a comment someone else
    wrote with the same body in the meantime is not taken for ours."""
    gh.inject("create_comment", Fault.store_then_fail(502))
    posted = api.upsert_comment(NUMBER, MARKER, MARKER + "\nbody", "update")
    assert posted.action == "created" and count(gh, "create_comment") == 1
    assert len(ours(gh)) == 1


# ---------------------------------------------------------------------------- owner/repo in URLs


@pytest.mark.parametrize(
    "owner_repo",
    ["../../x", "a/b/c", "owner/repo?x#y", "owner/..", "-owner/repo", "", "owner", "o/r%2F..",
     "owner/re po", "ówner/repo", "owner/" + "r" * 101],
)  # fmt: skip
def test_an_owner_repo_github_could_not_have_is_refused_without_a_request(
    api: GitHubApi, gh: FakeGitHub, owner_repo: str
) -> None:
    assert api.resolve_ref(owner_repo, "v1") is None
    assert gh.requests == []


def test_refs_are_resolved_with_every_path_part_encoded(gh: FakeGitHub, api: GitHubApi) -> None:
    gh.add_repo("actions/checkout")
    sha = gh.add_commit("actions/checkout")
    gh.add_tag("actions/checkout", "v4", sha)
    gh.add_tag("actions/checkout", "release/v4.1", sha)
    assert api.resolve_ref("actions/checkout", "v4") == sha
    assert api.resolve_ref("actions/checkout", "release/v4.1") == sha
    assert api.resolve_ref("actions/checkout", "no-such-tag") is None
    assert api.resolve_ref("actions/checkout", "../../../user?x=1#y") is None
    paths = [r.path for r in gh.requests]
    assert paths[1] == "/repos/actions/checkout/commits/release%2Fv4.1"
    assert paths[3] == "/repos/actions/checkout/commits/..%2F..%2F..%2Fuser%3Fx%3D1%23y"


# ---------------------------------------------------------------------------- the shared policy


def test_retry_after_reads_both_forms_of_rfc_9110_and_refuses_garbage() -> None:
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC).timestamp()
    assert retry_after({"retry-after": "3"}, now) == 3.0
    assert retry_after({"retry-after": " 120 "}, now) == 120.0
    assert retry_after({"retry-after": "Mon, 07 Dec 2026 12:00:30 GMT"}, now) == 30.0
    assert retry_after({"retry-after": "Mon, 07 Dec 2026 11:00:00 GMT"}, now) == 0.0
    assert retry_after({}, now) is None
    for garbage in ("soon", "-5", "1.5", "", "٣", "9" * 80, "Mon, 99 Foo 2026", "0x10"):
        assert retry_after({"retry-after": garbage}, now) is None, garbage


def test_one_policy_class_expresses_the_three_schedules() -> None:
    rest = RetryPolicy(attempts=4, first=0.5, factor=2.0, cap=8.0)
    assert [rest.wait(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    azure = RetryPolicy(attempts=4, first=4.0, factor=2.0, less=4.0, cap=120.0)
    assert [azure.wait(n) for n in (1, 2, 3)] == [0.0, 4.0, 12.0]
    twirp = RetryPolicy(attempts=5, first=3.0, factor=1.5, jitter=0.5)
    assert twirp.wait(1) == 3.0
    assert twirp.wait(2, lambda low, high: high) == pytest.approx(6.75)
    assert twirp.more(4) and not twirp.more(5)


# ---------------------------------------------------------------------------- the upload edge


@pytest.fixture
def results() -> Iterator[FakeResults]:
    with FakeResults() as fake:
        yield fake
        assert not fake.errors, f"the fake recorded errors: {fake.errors!r}"


def test_the_upload_uses_the_same_policy_and_stops_at_the_runs_deadline(
    results: FakeResults,
) -> None:
    """The Results service answers 503 every time: the toolkit's waits (3 s, then 4.5-6.75 s)
    run until the next one (6.75 s or more) would pass the run's deadline of 10 s."""
    offset = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        offset[0] += seconds

    deadline = Deadline(10, Clock(monotonic=lambda: time.monotonic() + offset[0], sleep=sleep))
    results.inject("CreateArtifact", ResultsFault.twirp("unavailable", "later", count=9))
    result = upload_artifact(
        "covaction-result-coverage",
        "result.json",
        b"{}",
        environ=runtime_environ(results),
        timing=Timing(sleep=sleep),
        deadline=deadline,
    )
    assert not result.uploaded
    assert result.reason.startswith(
        "CreateArtifact: no time left before the run's API deadline; store the file"
    )
    assert results.routes() == ["CreateArtifact"] * 3
    assert waits[0] == 3.0 and 4.5 <= waits[1] < 6.75 and len(waits) == 2


def test_an_upload_after_the_deadline_sends_nothing(results: FakeResults) -> None:
    deadline = Deadline(0)
    result = upload_artifact(
        "covaction-result-coverage",
        "result.json",
        b"{}",
        environ=runtime_environ(results),
        deadline=deadline,
    )
    assert not result.uploaded and results.requests == []
    assert result.reason.startswith("CreateArtifact: no time left before the run's API deadline")


@pytest.mark.parametrize("repository", ["a/b/c", "../../x", "", "owner/repo?x#y", "owner/.."])
def test_a_repository_name_github_could_not_have_reaches_no_url(
    gh: FakeGitHub, clock: RecordingClock, repository: str
) -> None:
    api = GitHubApi(TOKEN, gh.base_url, repository, deadline=Deadline(120, clock.clock()))
    for call in (
        lambda: api.upsert_comment(NUMBER, MARKER, MARKER + "\nx", "update"),
        lambda: api.pr_files(NUMBER),
    ):
        with pytest.raises(ApiFailure) as failure:
            call()
        assert failure.value.kind == FailureKind.CLIENT
        assert "is not an owner/name GitHub allows" in failure.value.message
    assert gh.requests == []
