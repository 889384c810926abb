"""Conformance of the fake GitHub server with github-contract.md, through the real clients.

PyGithub 2.10 and requests talk to the fake over loopback; each test pins one contract rule.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    RateLimitExceededException,
    UnknownObjectException,
)
from urllib3 import BaseHTTPResponse

from tests.fakegithub import (
    BAD_TOKEN,
    BOT_ID,
    BOT_LOGIN,
    READONLY_TOKEN,
    WRITE_TOKEN,
    FakeGitHub,
    Fault,
    FileChange,
    fake_github,  # noqa: F401
    fake_sha,
)

REPO = "octo-org/widget"
REPO_ID = 111
HEAD = "b0" * 20
BASE = "a0" * 20
UA = {"User-Agent": "covaction-tests"}


def gh_for(fake: FakeGitHub, token: str = WRITE_TOKEN, **kwargs: object) -> Github:
    kwargs.setdefault("retry", GithubRetry(total=3, backoff_factor=0, secondary_rate_wait=1))
    return Github(
        auth=Auth.Token(token),
        base_url=fake.base_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **kwargs,  # type: ignore[arg-type]
    )


def api(fake: FakeGitHub, path: str, token: str | None = WRITE_TOKEN, **kwargs: object):
    headers = {**UA, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    if token:
        headers["Authorization"] = f"Bearer {token}"
    method = kwargs.pop("method", "GET")
    kwargs.setdefault("allow_redirects", False)
    return requests.request(
        method,  # type: ignore[arg-type]
        fake.base_url + path,
        headers=headers,
        timeout=5,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    """The fake with one repository and an open PR #42 from a fork."""
    fake_github.add_repo(REPO, id=REPO_ID)
    fake_github.add_pull(
        REPO,
        42,
        head_sha=HEAD,
        base_sha=BASE,
        head_ref="fix-parser",
        head_repo="contrib/widget",
        files=[
            FileChange("src/parser.py", patch="@@ -1,2 +1,2 @@\n-old\n+new\n ctx"),
            FileChange("logo.png", status="added", patch=None, additions=0),
        ],
    )
    return fake_github


# ---- lifecycle, URLs, generic request rules ------------------------------------------------


def test_stop_ends_the_listeners_and_drops_idle_keep_alive_connections() -> None:
    """Stopping never waits on a client: both serving threads end, both ports close, and a
    kept-alive idle connection is dropped at once (its handler would otherwise sit in a 30 s
    read). The socket timeout below only turns a regression into a failure instead of a wait."""
    with FakeGitHub() as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.storage_url != fake.base_url
        ports = [urlsplit(url).port for url in (fake.base_url, fake.storage_url)]
        names = {f"fakegithub-api-{ports[0]}", f"fakegithub-storage-{ports[1]}"}
        assert names <= {t.name for t in threading.enumerate()}
        idle = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=10)
        idle.request("GET", "/rate_limit", headers=UA)
        answer = idle.getresponse()
        answer.read()
        assert answer.status == 200 and not answer.will_close  # kept alive, now idle
    assert names.isdisjoint(t.name for t in threading.enumerate())
    assert idle.sock is not None and idle.sock.recv(1) == b""  # closed by the fake, not timed out
    idle.close()
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=10).close()


def test_repository_and_pull_request_shapes(fake: FakeGitHub) -> None:
    repo = gh_for(fake).get_repo(REPO)
    assert (repo.id, repo.full_name, repo.default_branch, repo.private) == (
        REPO_ID,
        REPO,
        "main",
        False,
    )
    assert repo.url == f"{fake.base_url}/repos/{REPO}"
    pr = repo.get_pull(42)
    assert pr.head.sha == HEAD and pr.base.sha == BASE
    assert pr.head.repo.full_name == "contrib/widget" and pr.head.repo.fork
    assert pr.issue_url == f"{fake.base_url}/repos/{REPO}/issues/42"
    assert (pr.changed_files, pr.additions, pr.deletions) == (2, 1, 1)


def test_repository_id_routes_like_owner_repo(fake: FakeGitHub) -> None:
    assert api(fake, f"/repositories/{REPO_ID}/pulls/42").json()["number"] == 42
    assert api(fake, "/repos/OCTO-ORG/Widget/pulls/42").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/repos/octo-org/widget/"),
        ("GET", "/repos/octo-org/widget/pulls/42/"),
        ("GET", "/nope"),
        ("PUT", "/repos/octo-org/widget/issues/42/comments"),
        ("POST", "/repos/octo-org/widget/pulls/42"),
        ("GET", "/repos/octo-org/unknown"),
        ("GET", "/repos/octo-org/widget/pulls/43"),
    ],
)
def test_unknown_route_method_or_trailing_slash_is_404(
    fake: FakeGitHub, method: str, path: str
) -> None:
    response = api(fake, path, method=method)
    assert response.status_code == 404
    body = response.json()
    assert body["message"] == "Not Found" and body["status"] == "404"
    assert body["documentation_url"].startswith("https://docs.github.com/rest")


def test_missing_user_agent_is_403(fake: FakeGitHub) -> None:
    host, port = fake.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", f"/repos/{REPO}", headers={"Authorization": f"token {WRITE_TOKEN}"})
    response = conn.getresponse()
    assert response.status == 403
    assert "User-Agent" in json.loads(response.read())["message"]
    conn.close()


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"{not json", "Problems parsing JSON"), (b"[1, 2]", "Body should be a JSON object")],
)
def test_bad_json_body_is_400(fake: FakeGitHub, payload: bytes, message: str) -> None:
    response = api(fake, f"/repos/{REPO}/issues/42/comments", method="POST", data=payload)
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert fake.comments(REPO) == []


def test_api_versions(fake: FakeGitHub) -> None:
    old = api(fake, f"/repos/{REPO}/pulls/42")
    assert old.headers["x-github-api-version-selected"] == "2022-11-28"
    assert "merge_commit_sha" in old.json()
    new = api(fake, f"/repos/{REPO}/pulls/42", headers={"X-GitHub-Api-Version": "2026-03-10"})
    assert new.headers["x-github-api-version-selected"] == "2026-03-10"
    assert "merge_commit_sha" not in new.json() and "assignee" not in new.json()
    bad = api(fake, f"/repos/{REPO}", headers={"X-GitHub-Api-Version": "2020-01-01"})
    assert bad.status_code == 400


def test_every_json_response_carries_contract_headers(fake: FakeGitHub) -> None:
    for response in (api(fake, f"/repos/{REPO}/pulls/42"), api(fake, "/nope")):
        h = response.headers
        assert h["Content-Type"] == "application/json; charset=utf-8"
        for name in (
            "X-GitHub-Media-Type",
            "x-github-api-version-selected",
            "X-GitHub-Request-Id",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "X-RateLimit-Used",
            "X-RateLimit-Resource",
            "x-accepted-github-permissions",
        ):
            assert name in h, name
    assert api(fake, f"/repos/{REPO}/pulls/42").headers["x-accepted-github-permissions"] == (
        "pull_requests=read; contents=read"
    )


# ---- pagination ----------------------------------------------------------------------------


def test_pyGithub_pages_through_more_than_100_comments(fake: FakeGitHub) -> None:
    ids = [fake.add_comment(REPO, 42, f"comment {i}") for i in range(230)]
    assert min(ids) > 2**31
    pr = gh_for(fake, per_page=100).get_repo(REPO).get_pull(42)
    comments = pr.get_issue_comments()
    assert [c.id for c in comments] == ids
    assert comments.totalCount == 230
    assert [c.id for c in reversed(comments)] == ids[::-1]
    pages = [r.params.get("page") for r in fake.requests_for("list_comments")]
    assert pages[:3] == [None, "2", "3"]


def test_link_header_exact_syntax(fake: FakeGitHub) -> None:
    for i in range(5):
        fake.add_comment(REPO, 42, f"c{i}")
    path = f"/repos/{REPO}/issues/42/comments"
    link_base = f"{fake.base_url}/repositories/{REPO_ID}/issues/42/comments?per_page=2"
    first = api(fake, path, params={"per_page": 2})
    assert first.headers["Link"] == (
        f'<{link_base}&page=2>; rel="next", <{link_base}&page=3>; rel="last"'
    )
    middle = api(fake, path, params={"per_page": 2, "page": 2})
    assert middle.headers["Link"] == (
        f'<{link_base}&page=1>; rel="prev", <{link_base}&page=3>; rel="next", '
        f'<{link_base}&page=3>; rel="last", <{link_base}&page=1>; rel="first"'
    )
    last = api(fake, path, params={"page": 3, "per_page": 2})
    assert [c["body"] for c in last.json()] == ["c4"]
    assert last.headers["Link"] == (
        f'<{link_base}&page=2>; rel="prev", <{link_base}&page=1>; rel="first"'
    )
    assert "Link" not in api(fake, path).headers
    only = api(fake, path, params={"page": 1})
    assert only.headers["Link"] == (
        f'<{fake.base_url}/repositories/{REPO_ID}/issues/42/comments?page=1>; rel="first"'
    )
    assert api(fake, path, params={"page": 9, "per_page": 2}).json() == []


def test_per_page_default_30_and_clamped_to_100(fake: FakeGitHub) -> None:
    for i in range(130):
        fake.add_comment(REPO, 42, f"c{i}")
    path = f"/repos/{REPO}/issues/42/comments"
    assert len(api(fake, path).json()) == 30
    clamped = api(fake, path, params={"per_page": 500})
    assert len(clamped.json()) == 100
    assert "per_page=500&page=2" in clamped.headers["Link"]


def test_pr_files_in_given_order_with_missing_patch(fake: FakeGitHub) -> None:
    files = list(gh_for(fake).get_repo(REPO).get_pull(42).get_files())
    assert [f.filename for f in files] == ["src/parser.py", "logo.png"]
    assert files[0].patch.startswith("@@") and files[1].patch is None
    raw = api(fake, f"/repos/{REPO}/pulls/42/files").json()
    assert "patch" not in raw[1]
    assert raw[0]["contents_url"].startswith(fake.base_url)


def test_pr_files_stop_at_3000(fake: FakeGitHub) -> None:
    changes = [FileChange(f"f{i:04}.py", patch="@@ -0,0 +1 @@\n+x") for i in range(3100)]
    fake.add_pull(REPO, 7, head_sha=HEAD, base_sha=BASE, files=changes)
    pr = gh_for(fake, per_page=100).get_repo(REPO).get_pull(7)
    assert pr.changed_files == 3100
    assert len(list(pr.get_files())) == 3000


def test_patch_line_budget_zeroes_entries_past_it(fake: FakeGitHub) -> None:
    patch = "@@ -1 +1 @@\n-a\n+b"  # 3 lines
    fake.add_pull(
        REPO,
        8,
        head_sha=HEAD,
        base_sha=BASE,
        files=[FileChange(f"f{i}", patch=patch) for i in range(5)],
    )
    fake.patch_line_budget = 7
    items = api(fake, f"/repos/{REPO}/pulls/8/files").json()
    assert ["patch" in i for i in items] == [True, True, False, False, False]
    assert items[2]["additions"] == items[2]["deletions"] == items[2]["changes"] == 0


def test_pr_diff_media_type_406_over_300_files(fake: FakeGitHub) -> None:
    diff = api(fake, f"/repos/{REPO}/pulls/42", headers={"Accept": "application/vnd.github.diff"})
    assert diff.status_code == 200 and diff.text.startswith("diff --git a/src/parser.py")
    changes = [FileChange(f"f{i}") for i in range(301)]
    fake.add_pull(REPO, 9, head_sha=HEAD, base_sha=BASE, files=changes)
    big = api(fake, f"/repos/{REPO}/pulls/9", headers={"Accept": "application/vnd.github.diff"})
    assert big.status_code == 406
    assert big.json()["errors"][0]["code"] == "too_large"


# ---- comments ------------------------------------------------------------------------------


def test_comment_create_edit_delete(fake: FakeGitHub) -> None:
    pr = gh_for(fake).get_repo(REPO).get_pull(42)
    created = pr.create_issue_comment("<!-- covaction -->\nhello")
    assert created.id > 2**31
    assert (created.user.login, created.user.id, created.user.type) == (BOT_LOGIN, BOT_ID, "Bot")
    post = fake.requests_for("create_comment")[0]
    assert post.status == 201 and post.json() == {"body": "<!-- covaction -->\nhello"}
    location = api(fake, f"/repos/{REPO}/issues/42/comments", method="POST", json={"body": "x"})
    assert location.headers["Location"] == (
        f"{fake.base_url}/repos/{REPO}/issues/comments/{location.json()['id']}"
    )

    before = created.updated_at
    created.edit("changed")
    assert created.body == "changed" and created.updated_at > before
    assert fake.comment(REPO, created.id).body == "changed"  # type: ignore[union-attr]
    assert pr.get_issue_comment(created.id).body == "changed"

    created.delete()
    assert fake.requests_for("delete_comment")[0].status == 204
    with pytest.raises(UnknownObjectException):
        created.delete()
    with pytest.raises(UnknownObjectException):
        pr.get_issue_comment(created.id)


def test_comments_since_filter_and_issue_route(fake: FakeGitHub) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    fake.add_comment(REPO, 42, "old", created_at=old)
    fake.add_comment(REPO, 42, "new", created_at=old + timedelta(days=2))
    issue = gh_for(fake).get_repo(REPO).get_issue(42)
    assert [c.body for c in issue.get_comments(since=old + timedelta(days=1))] == ["new"]


def test_comment_on_unknown_issue_is_404_and_missing_body_422(fake: FakeGitHub) -> None:
    assert (
        api(
            fake, f"/repos/{REPO}/issues/99/comments", method="POST", json={"body": "x"}
        ).status_code
        == 404
    )
    missing = api(fake, f"/repos/{REPO}/issues/42/comments", method="POST", json={})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"resource": "IssueComment", "code": "missing_field", "field": "body"}
    ]


@pytest.mark.parametrize(
    ("mode", "accepted", "rejected"),
    [
        ("measured", "a" * 262_144, "a" * 262_145),
        ("measured", "\U0001f600" * 65_536, "\U0001f600" * 65_536 + "a"),
        ("documented", "\U0001f600" * 65_536, "a" * 65_537),
    ],
)
def test_comment_body_limit_modes(
    fake: FakeGitHub, mode: str, accepted: str, rejected: str
) -> None:
    fake.comment_body_limit = mode  # type: ignore[assignment]
    pr = gh_for(fake).get_repo(REPO).get_pull(42)
    comment = pr.create_issue_comment(accepted)
    with pytest.raises(GithubException) as err:
        pr.create_issue_comment(rejected)
    assert err.value.status == 422
    assert err.value.data == {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "IssueComment",
                "code": "unprocessable",
                "field": "data",
                "message": "Body is too long (maximum is 65536 characters)",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
        "status": "422",
    }
    with pytest.raises(GithubException) as err:
        comment.edit(rejected)
    assert err.value.data["documentation_url"].endswith("#update-an-issue-comment")  # type: ignore[index]
    assert fake.comment(REPO, comment.id).body == accepted  # type: ignore[union-attr]


# ---- tokens and permissions ----------------------------------------------------------------


def test_read_only_token_gets_403_on_every_write_and_200_on_reads(fake: FakeGitHub) -> None:
    cid = fake.add_comment(REPO, 42, "existing")
    writes = [
        ("POST", "/issues/42/comments", {"body": "x"}),
        ("PATCH", f"/issues/comments/{cid}", {"body": "x"}),
        ("DELETE", f"/issues/comments/{cid}", None),
        ("POST", "/check-runs", {"name": "cov", "head_sha": HEAD}),
        ("POST", f"/statuses/{HEAD}", {"state": "success"}),
    ]
    for method, path, body in writes:
        r = api(fake, f"/repos/{REPO}{path}", token=READONLY_TOKEN, method=method, json=body)
        assert r.status_code == 403, path
        assert r.json()["message"] == "Resource not accessible by integration"
        assert r.headers["x-accepted-github-permissions"].endswith("=write")
    for path in (
        "",
        "/pulls/42",
        "/pulls/42/files",
        "/issues/42/comments",
        f"/issues/comments/{cid}",
    ):
        assert api(fake, f"/repos/{REPO}{path}", token=READONLY_TOKEN).status_code == 200
    pr = gh_for(fake, READONLY_TOKEN).get_repo(REPO).get_pull(42)
    with pytest.raises(GithubException) as err:
        pr.create_issue_comment("nope")
    assert err.value.status == 403
    assert len(fake.requests_for("create_comment", method="POST")) == 2  # not retried
    assert [c.body for c in fake.comments(REPO)] == ["existing"]


def test_bad_token_is_401(fake: FakeGitHub) -> None:
    with pytest.raises(BadCredentialsException):
        gh_for(fake, BAD_TOKEN).get_repo(REPO)
    assert api(fake, f"/repos/{REPO}", token=BAD_TOKEN).json()["message"] == "Bad credentials"


def test_scoped_token_and_private_repositories(fake: FakeGitHub) -> None:
    fake.add_repo("octo-org/secret", private=True)
    fake.add_repo("actions/checkout")
    fake.add_token("scoped", repos=[REPO])
    assert api(fake, "/repos/octo-org/secret", token="scoped").status_code == 404
    assert api(fake, "/repos/octo-org/secret", token=None).status_code == 404
    assert api(fake, "/repos/octo-org/secret").status_code == 200
    assert api(fake, "/repos/actions/checkout", token="scoped").status_code == 200
    assert (
        api(
            fake, f"/repos/{REPO}/issues/42/comments", token=None, method="POST", json={"body": "x"}
        ).status_code
        == 401
    )


# ---- rate limits ---------------------------------------------------------------------------


def test_rate_budget_decrements_and_304_is_free(fake: FakeGitHub) -> None:
    first = api(fake, f"/repos/{REPO}")
    second = api(fake, f"/repos/{REPO}")
    assert int(first.headers["X-RateLimit-Limit"]) == 1000
    assert int(first.headers["X-RateLimit-Remaining"]) - 1 == int(
        second.headers["X-RateLimit-Remaining"]
    )
    assert int(second.headers["X-RateLimit-Reset"]) > time.time()
    etag = second.headers["ETag"]
    assert etag.startswith('W/"')
    cached = api(fake, f"/repos/{REPO}", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.headers["X-RateLimit-Remaining"] == second.headers["X-RateLimit-Remaining"]
    limit = api(fake, "/rate_limit").json()
    assert limit["resources"]["core"]["remaining"] == fake.rate_remaining(WRITE_TOKEN)


def test_exhausted_budget_answers_primary_rate_limit(fake: FakeGitHub) -> None:
    fake.set_rate_limit(WRITE_TOKEN, remaining=0, reset_in=30)
    response = api(fake, f"/repos/{REPO}")
    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.json()["message"].startswith("API rate limit exceeded")
    with pytest.raises(RateLimitExceededException):
        gh_for(fake, retry=None).get_repo(REPO)


# ---- faults (contract F.4) -----------------------------------------------------------------


def test_get_500_three_times_then_success(fake: FakeGitHub) -> None:
    rule = fake.inject("get_pull", Fault.error(500), Fault.error(500), Fault.error(500))
    assert gh_for(fake).get_repo(REPO).get_pull(42).number == 42
    assert len(fake.requests_for("get_pull")) == 4
    assert (rule.hits, rule.pending) == (3, 0)


def test_persistent_502_html_ends_in_retry_error_after_11_requests(fake: FakeGitHub) -> None:
    repo = gh_for(fake).get_repo(REPO)
    fake.inject("list_pr_files", Fault.bad_gateway(), persistent=True)
    g = gh_for(fake, retry=GithubRetry(total=10, backoff_factor=0))
    with pytest.raises(requests.exceptions.RetryError):
        list(g.get_repo(REPO).get_pull(42).get_files())
    assert len(fake.requests_for("list_pr_files")) == 11
    raw = api(fake, f"/repos/{REPO}/pulls/42/files")
    assert raw.status_code == 502 and raw.headers["Content-Type"] == "text/html"
    fake.clear_faults()
    assert len(list(repo.get_pull(42).get_files())) == 2


def test_post_500_once_is_retried_by_pygithub(fake: FakeGitHub) -> None:
    fake.inject("create_comment", Fault.error(500))
    gh_for(fake).get_repo(REPO).get_pull(42).create_issue_comment("once")
    assert len(fake.requests_for("create_comment")) == 2
    assert [c.body for c in fake.comments(REPO, 42)] == ["once"]


def test_store_then_fail_creates_the_comment_and_answers_500(fake: FakeGitHub) -> None:
    fake.inject("create_comment", Fault.store_then_fail())
    gh_for(fake).get_repo(REPO).get_pull(42).create_issue_comment("dup")
    statuses = [r.status for r in fake.requests_for("create_comment")]
    assert statuses == [500, 201]
    assert [c.body for c in fake.comments(REPO, 42)] == ["dup", "dup"]  # the duplicate-write risk


def test_patch_500_is_not_retried(fake: FakeGitHub) -> None:
    comment = gh_for(fake).get_repo(REPO).get_pull(42).create_issue_comment("v1")
    fake.inject("update_comment", Fault.error(500))
    with pytest.raises(GithubException) as err:
        comment.edit("v2")
    assert err.value.status == 500
    assert len(fake.requests_for("update_comment")) == 1


@pytest.mark.parametrize(
    ("fault", "low", "high"),
    [
        (Fault.secondary_rate_limit(retry_after=7), 7, 7),
        (Fault.secondary_rate_limit(), 5, 5),  # the client's secondary_rate_wait
        # PyGithub waits until X-RateLimit-Reset (whole seconds: up to 1 s early) plus 1 s
        (Fault.primary_rate_limit(reset_in=60), 59, 61),
        (Fault.secondary_rate_limit(429, retry_after=7), 7, 7),
    ],
    ids=[
        "403-secondary-retry-after",
        "403-secondary-no-retry-after",
        "403-primary",
        "429-retry-after",
    ],
)
def test_rate_limit_faults_are_waited_out(
    fake: FakeGitHub, fault: Fault, low: float, high: float
) -> None:
    """PyGithub reads the fault's headers and body as GitHub's: it waits what they ask for,
    then asks again once. The wait is taken from urllib3's `Retry.sleep` (the hook it calls
    between attempts), recorded instead of slept."""
    waits: list[float] = []

    class RecordedWaits(GithubRetry):
        def sleep(self, response: BaseHTTPResponse | None = None) -> None:
            asked = self.get_retry_after(response) if response is not None else None
            waits.append(asked if asked is not None else self.get_backoff_time())

    retry = RecordedWaits(total=3, backoff_factor=0, secondary_rate_wait=5)
    repo = gh_for(fake, retry=retry).get_repo(REPO)
    fake.inject("get_pull", fault)
    assert repo.get_pull(42).number == 42
    assert [r.status for r in fake.requests_for("get_pull")] == [fault.status, 200]
    [wait] = waits
    assert low <= wait <= high


def test_rate_limit_fault_headers_and_bodies(fake: FakeGitHub) -> None:
    fake.inject(
        "get_repo",
        Fault.primary_rate_limit(429, reset_in=5),
        Fault.secondary_rate_limit(retry_after=2),
    )
    primary = api(fake, f"/repos/{REPO}")
    assert primary.status_code == 429
    assert primary.headers["X-RateLimit-Remaining"] == "0"
    assert int(primary.headers["X-RateLimit-Reset"]) >= int(time.time()) + 4
    assert primary.json()["message"].startswith("API rate limit exceeded")
    secondary = api(fake, f"/repos/{REPO}")
    assert (secondary.status_code, secondary.headers["Retry-After"]) == (403, "2")
    assert secondary.json()["message"].startswith("You have exceeded a secondary rate limit")


def test_429_without_retry_after_is_not_retried(fake: FakeGitHub) -> None:
    repo = gh_for(fake).get_repo(REPO)
    fake.inject("get_pull", Fault.primary_rate_limit(429, reset_in=60))
    with pytest.raises(GithubException) as err:
        repo.get_pull(42)
    assert err.value.status == 429
    assert not isinstance(err.value, RateLimitExceededException)


def test_403_primary_without_retry_raises_rate_limit_exceeded(fake: FakeGitHub) -> None:
    repo = gh_for(fake, retry=None).get_repo(REPO)
    fake.inject("get_pull", Fault.primary_rate_limit())
    with pytest.raises(RateLimitExceededException):
        repo.get_pull(42)


def test_slow_answers_are_late_normal_answers_in_order(fake: FakeGitHub) -> None:
    """Each delay holds its answer back (a client timeout below it trips: a delay is a lower
    bound, so this cannot pass early), the answer held back is the normal one, and the faults
    are used up in order: the next request is answered as usual."""
    fake.inject("get_repo", Fault.slow(0.5), Fault.slow(0.3))
    for _ in range(2):
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{fake.base_url}/repos/{REPO}", headers=UA, timeout=0.1)
    normal = api(fake, f"/repos/{REPO}")
    assert normal.status_code == 200
    held, later, plain = fake.requests_for("get_repo")
    assert [r.status for r in (held, later, plain)] == [200, 200, 200]
    assert json.loads(held.response_body) == json.loads(later.response_body) == normal.json()


def test_malformed_json_and_other_statuses(fake: FakeGitHub) -> None:
    repo = gh_for(fake).get_repo(REPO)
    fake.inject("get_pull", Fault.malformed_json())
    with pytest.raises(ValueError):
        repo.get_pull(42)
    fake.inject(r"GET /pulls/\d+/files$", Fault.error(404), Fault.error(422, "Unprocessable"))
    assert api(fake, f"/repos/{REPO}/pulls/42/files").status_code == 404
    unprocessable = api(fake, f"/repos/{REPO}/pulls/42/files")
    assert unprocessable.status_code == 422
    assert unprocessable.json()["message"] == "Unprocessable"
    fake.inject("* /pulls/42$", Fault.unavailable(retry_after=3))
    unavailable = api(fake, f"/repos/{REPO}/pulls/42")
    assert (unavailable.status_code, unavailable.headers["Retry-After"]) == (503, "3")
    with pytest.raises(ValueError, match="unknown route"):
        fake.inject("list_coments", Fault.error(500))


def test_connection_reset_fault(fake: FakeGitHub) -> None:
    fake.inject("get_repo", Fault.connection_reset())
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{fake.base_url}/repos/{REPO}", headers=UA, timeout=5)
    assert api(fake, f"/repos/{REPO}").status_code == 200


# ---- git refs, tags, commits, compare -------------------------------------------------------


def test_resolving_an_action_tag_to_a_sha(fake: FakeGitHub) -> None:
    fake.add_repo("actions/checkout")
    commit = fake.add_commit("actions/checkout", "c3" * 20, branch="main")
    tag_sha = fake.add_tag("actions/checkout", "v4", commit, annotated=True, message="v4")
    fake.add_tag("actions/checkout", "v4-light", commit)
    repo = gh_for(fake).get_repo("actions/checkout")
    ref = repo.get_git_ref("tags/v4")
    assert (ref.ref, ref.object.type, ref.object.sha) == ("refs/tags/v4", "tag", tag_sha)
    tag = repo.get_git_tag(ref.object.sha)
    assert (tag.tag, tag.object.type, tag.object.sha) == ("v4", "commit", commit)
    assert repo.get_git_ref("tags/v4-light").object.type == "commit"
    assert repo.get_commit("v4").sha == commit
    assert repo.get_commit(commit[:7]).sha == commit
    sha = api(
        fake, "/repos/actions/checkout/commits/v4", headers={"Accept": "application/vnd.github.sha"}
    )
    assert sha.text == commit
    missing = api(fake, "/repos/actions/checkout/commits/v99")
    assert (missing.status_code, missing.json()["message"]) == (422, "No commit found for SHA: v99")
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("tags/v99")
    fake.add_repo("octo-org/empty")
    assert api(fake, "/repos/octo-org/empty/git/ref/heads/main").status_code == 409


def test_compare_reports_merge_base_and_files(fake: FakeGitHub) -> None:
    root = fake.add_commit(REPO, message="root", branch="main")
    main = fake.add_commit(REPO, parents=[root], message="main moves", branch="main")
    feat = fake.add_commit(
        REPO, parents=[root], files=[FileChange("a.py", patch="@@ -0,0 +1 @@\n+x")], branch="feat"
    )
    cmp = gh_for(fake).get_repo(REPO).compare("main", "feat")
    assert (cmp.status, cmp.ahead_by, cmp.behind_by) == ("diverged", 1, 1)
    assert cmp.merge_base_commit.sha == root and cmp.base_commit.sha == main
    assert [f.filename for f in cmp.files] == ["a.py"] and cmp.commits[0].sha == feat


def test_check_runs_and_statuses(fake: FakeGitHub) -> None:
    repo = gh_for(fake).get_repo(REPO)
    check = repo.create_check_run("coverage", HEAD, status="in_progress")
    check.edit(conclusion="success", output={"title": "ok", "summary": "all good"})
    assert fake.check_runs(REPO)[0].conclusion == "success"
    repo.get_commit(HEAD).create_status("success", context="coverage")
    assert [s.state for s in fake.statuses(REPO)] == ["success"]


# ---- workflow runs and artifacts -------------------------------------------------------------


def _arrange_artifacts(fake: FakeGitHub) -> dict[str, int]:
    t0 = datetime(2026, 11, 19, 8, tzinfo=UTC)
    ids = {
        "old-main": fake.add_artifact(
            REPO,
            "coverage",
            b"PK-old",
            run_id=9_000_000_001,
            head_branch="main",
            head_sha="a1" * 20,
            created_at=t0,
        ),
        "fork-main": fake.add_artifact(
            REPO,
            "coverage",
            b"PK-fork",
            run_id=9_000_000_002,
            head_branch="main",
            head_sha="f0" * 20,
            event="pull_request",
            head_repository_id=222,
            created_at=t0 + timedelta(hours=1),
        ),
        "new-main": fake.add_artifact(
            REPO,
            "coverage",
            b"PK-new",
            run_id=9_000_000_003,
            head_branch="main",
            head_sha="a2" * 20,
            created_at=t0 + timedelta(hours=2),
        ),
        "other": fake.add_artifact(
            REPO,
            "report",
            b"{}",
            run_id=9_000_000_003,
            content_type="application/json",
            filename="report.json",
            created_at=t0 + timedelta(hours=2),
        ),
    }
    fake.add_run(
        REPO,
        run_id=9_000_000_004,
        head_sha="a3" * 20,
        conclusion="failure",
        created_at=t0 + timedelta(hours=3),
    )
    return ids


def test_artifact_listing_filters_and_order(fake: FakeGitHub) -> None:
    ids = _arrange_artifacts(fake)
    repo = gh_for(fake).get_repo(REPO)
    listed = repo.get_artifacts(name="coverage")
    assert [a.id for a in listed] == [ids["new-main"], ids["fork-main"], ids["old-main"]]
    assert listed.totalCount == 3
    newest = repo.get_artifact(ids["new-main"])
    assert newest.digest == "sha256:" + hashlib.sha256(b"PK-new").hexdigest()
    assert newest.workflow_run.head_repository_id == REPO_ID
    assert repo.get_artifact(ids["fork-main"]).workflow_run.head_repository_id == 222
    assert (
        newest.archive_download_url
        == f"{fake.base_url}/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip"
    )
    paged = api(
        fake, f"/repos/{REPO}/actions/artifacts", params={"name": "coverage", "per_page": 1}
    )
    assert paged.json()["total_count"] == 3 and len(paged.json()["artifacts"]) == 1
    assert (
        f"/repositories/{REPO_ID}/actions/artifacts?name=coverage&per_page=1&page=2>"
        in paged.headers["Link"]
    )
    with pytest.raises(UnknownObjectException):
        repo.get_artifact(1)


def test_workflow_run_filters(fake: FakeGitHub) -> None:
    _arrange_artifacts(fake)
    repo = gh_for(fake).get_repo(REPO)
    pushes = repo.get_workflow_runs(branch="main", event="push", status="success")
    assert [r.id for r in pushes] == [9_000_000_003, 9_000_000_001]
    assert [r.id for r in repo.get_workflow("ci.yml").get_runs(status="failure")] == [9_000_000_004]
    assert repo.get_workflow_run(9_000_000_002).head_repository.id == 222
    created = api(
        fake, f"/repos/{REPO}/actions/runs", params={"created": "2026-11-19T09:30:00Z..*"}
    )
    assert [r["id"] for r in created.json()["workflow_runs"]] == [9_000_000_004, 9_000_000_003]
    assert (
        api(fake, f"/repos/{REPO}/actions/runs", params={"head_sha": "a1" * 20}).json()[
            "total_count"
        ]
        == 1
    )
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_run(1)
    run_artifacts = api(
        fake, f"/repos/{REPO}/actions/runs/9000000003/artifacts", params={"name": "report"}
    )
    assert [a["name"] for a in run_artifacts.json()["artifacts"]] == ["report"]
    assert [a.name for a in repo.get_workflow_run(9_000_000_003).get_artifacts()] == [
        "report",
        "coverage",
    ]


def test_artifact_download_redirects_to_storage_without_auth(fake: FakeGitHub) -> None:
    ids = _arrange_artifacts(fake)
    g = gh_for(fake)
    status, headers, _ = g.requester.requestJson(
        "GET", f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip"
    )
    assert status == 302
    location = headers["location"]
    assert location.startswith(fake.storage_url + "/actions-results/")
    assert not location.startswith(fake.base_url)
    blob = requests.get(location, allow_redirects=False, timeout=5)
    assert blob.status_code == 200 and blob.content == b"PK-new"
    assert blob.headers["Content-Type"] == "application/zip"
    assert "Content-Disposition" not in blob.headers
    # requests itself drops Authorization when the redirect changes port
    followed = api(
        fake, f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip", allow_redirects=True
    )
    assert followed.content == b"PK-new"
    assert fake.storage_violations == []
    storage = fake.requests_for(host="storage")
    assert len(storage) == 2 and all(r.header("Authorization") is None for r in storage)

    leaked = requests.get(location, headers={"Authorization": f"token {WRITE_TOKEN}"}, timeout=5)
    assert leaked.status_code == 400
    assert leaked.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    assert [v.token for v in fake.storage_violations] == [WRITE_TOKEN]

    tampered = location.replace("sig=", "sig=AAAA")
    assert requests.get(tampered, timeout=5).status_code == 403
    assert api(fake, f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/tar").status_code == 404


def test_unarchived_artifact_keeps_its_type_and_name(fake: FakeGitHub) -> None:
    ids = _arrange_artifacts(fake)
    location = api(fake, f"/repos/{REPO}/actions/artifacts/{ids['other']}/zip").headers["Location"]
    assert ".zip" not in location.split("?")[0]
    blob = requests.get(location, timeout=5)
    assert blob.headers["Content-Type"] == "application/json"
    assert blob.headers["Content-Disposition"] == (
        "attachment; filename=\"report.json\"; filename*=UTF-8''report.json"
    )


def test_expired_artifact_and_expired_url(fake: FakeGitHub) -> None:
    ids = _arrange_artifacts(fake)
    fake.expire_artifact(ids["old-main"])
    gone = api(fake, f"/repos/{REPO}/actions/artifacts/{ids['old-main']}/zip")
    assert gone.status_code == 410
    assert gone.json() == {
        "message": "Artifact has expired",
        "documentation_url": "https://docs.github.com/rest/actions/artifacts#download-an-artifact",
        "status": "410",
    }
    assert api(fake, f"/repos/{REPO}/actions/artifacts/{ids['old-main']}").json()["expired"] is True
    location = api(fake, f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip").headers[
        "Location"
    ]
    fake.clock.advance(61)
    stale = requests.get(location, timeout=5)
    assert (stale.status_code, stale.headers["x-ms-error-code"]) == (403, "AuthenticationFailed")
    fake.storage_url_ttl = -1
    fake.clock.advance(-61)
    location = api(fake, f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip").headers[
        "Location"
    ]
    assert requests.get(location, timeout=5).status_code == 403


def test_storage_faults(fake: FakeGitHub) -> None:
    ids = _arrange_artifacts(fake)
    location = api(fake, f"/repos/{REPO}/actions/artifacts/{ids['new-main']}/zip").headers[
        "Location"
    ]
    fake.inject(
        "storage_download",
        Fault.unavailable(retry_after=1),
        Fault.truncated_body(),
        Fault.connection_reset(),
    )
    busy = requests.get(location, timeout=5)
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(location, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(location, timeout=5)
    assert requests.get(location, timeout=5).content == b"PK-new"


def test_add_artifact_is_thread_safe(fake: FakeGitHub) -> None:
    run_id = fake.add_run(REPO, head_sha=HEAD)
    results: list[int] = []

    def upload(n: int) -> None:
        for i in range(25):
            results.append(fake.add_artifact(REPO, f"a{n}-{i}", b"x", run_id=run_id))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for _ in range(5):
        assert api(fake, f"/repos/{REPO}/actions/artifacts").status_code == 200
    for t in threads:
        t.join()
    assert len(set(results)) == 100
    assert api(fake, f"/repos/{REPO}/actions/runs/{run_id}/artifacts").json()["total_count"] == 100
    assert fake.remove_artifact(results[0]) is True
    assert api(fake, f"/repos/{REPO}/actions/artifacts/{results[0]}").status_code == 404


# ---- GHES prefix -----------------------------------------------------------------------------


@pytest.mark.parametrize("fake_github", [{"path_prefix": "/api/v3"}], indirect=True)
def test_ghes_prefix_mode(fake_github: FakeGitHub) -> None:  # noqa: F811
    fake = fake_github
    assert fake.base_url.endswith("/api/v3")
    fake.add_repo(REPO, id=REPO_ID)
    fake.add_pull(REPO, 42, head_sha=HEAD, base_sha=BASE)
    for i in range(5):
        fake.add_comment(REPO, 42, f"c{i}")
    aid = fake.add_artifact(REPO, "coverage", b"PK", run_id=9_000_000_001, head_sha=HEAD)
    pr = gh_for(fake, per_page=2).get_repo(REPO).get_pull(42)
    assert pr.url.startswith(fake.base_url + "/repos/")
    assert [c.body for c in pr.get_issue_comments()] == [f"c{i}" for i in range(5)]
    link = api(fake, f"/repos/{REPO}/issues/42/comments", params={"per_page": 2}).headers["Link"]
    assert link.startswith(f"<{fake.base_url}/repositories/{REPO_ID}/issues/42/comments?")
    created = pr.create_issue_comment("hi")
    created.edit("edited")
    assert (
        gh_for(fake).get_repo(REPO).get_artifact(aid).archive_download_url.startswith(fake.base_url)
    )
    unprefixed = requests.get(
        fake.base_url.removesuffix("/api/v3") + f"/repos/{REPO}", headers=UA, timeout=5
    )
    assert unprefixed.status_code == 404


def test_request_log_records_method_path_query_headers_body(fake: FakeGitHub) -> None:
    api(
        fake,
        f"/repos/{REPO}/issues/42/comments",
        method="POST",
        json={"body": "logged"},
        params={"x": "1"},
    )
    entry = fake.requests[-1]
    assert (entry.method, entry.path, entry.query, entry.route) == (
        "POST",
        f"/repos/{REPO}/issues/42/comments",
        (("x", "1"),),
        "create_comment",
    )
    assert entry.header("authorization") == f"Bearer {WRITE_TOKEN}" and entry.token == WRITE_TOKEN
    assert json.loads(entry.body) == {"body": "logged"} and entry.status == 201
    fake.clear_requests()
    assert fake.requests == []
    assert fake_sha("x") == fake_sha("x") and len(fake_sha("x")) == 40
