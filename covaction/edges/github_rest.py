"""The GitHub edge: the only module that imports PyGithub (and talks to the REST API).

Calls go through one wrapper that retries what is worth retrying within a bounded time (5xx,
timeouts, malformed answers, and 403/429 rate limits honouring `Retry-After` and
`X-RateLimit-Reset`), and turns every failure into one `ApiFailure` with a kind the caller can
act on (`permission` on a fork's read-only token, `not-found`, `rate-limit`, `server`,
`network`, `timeout`, `auth`, `client`, `gone`). The library itself retries only 5xx answers to
idempotent reads, without sleeping on `Retry-After` (that wait could be unbounded).

Writes are made idempotent: POST is never retried blindly. After a failure whose outcome is
unknown (5xx, malformed answer, dropped connection, timeout) the comments are listed again and
a new comment carrying our marker and body is adopted instead of posting twice (contract F.4).
The token never appears in a message.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from covaction import __version__

T = TypeVar("T")
BOT_LOGIN = "github-actions[bot]"
SECONDARY_WAIT = 60.0  # contract C.3: without Retry-After, wait at least a minute
RETRYABLE = ("rate-limit", "server", "network", "timeout")
UNCERTAIN = ("server", "network", "timeout")  # a write may have happened anyway


class ApiFailure(Exception):
    """A failed API call: `kind` says what to do, `message` is one safe line."""

    def __init__(self, kind: str, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    url: str
    html_url: str
    author: str
    author_type: str


@dataclass(frozen=True, slots=True)
class PostResult:
    action: str  # created | updated | unchanged
    url: str


class GitHubApi:
    """PyGithub for the REST API, bounded retries, safe errors.

    `max_wait` bounds the time one operation may spend waiting between attempts (rate limits
    included); `timeout` is the per-request socket timeout.
    """

    def __init__(
        self,
        token: str,
        api_url: str,
        repository: str,
        *,
        max_wait: float = 60.0,
        attempts: int = 4,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from github import Auth, Github
        from urllib3.util.retry import Retry

        self.token = token
        self.repository = repository
        self.max_wait = max(0.0, max_wait)
        self.attempts = max(1, attempts)
        self.sleep = sleep
        self.calls = 0
        self.unreachable: str | None = None  # set once the API could not be reached
        # 5xx on idempotent methods only, with a short backoff; rate limits and writes are
        # handled by `call`, where every wait is bounded by max_wait.
        retry = Retry(
            total=3,
            backoff_factor=min(0.5, max_wait / 16),
            status_forcelist=tuple(range(500, 600)),
            allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
            respect_retry_after_header=False,
        )
        self.gh = Github(
            auth=Auth.Token(token),
            base_url=api_url,
            timeout=int(max(1, timeout)),
            per_page=100,
            retry=retry,
            lazy=True,
            seconds_between_requests=0,
            seconds_between_writes=0,
            user_agent=f"covaction/{__version__}",
        )
        self.repo = self.gh.get_repo(repository)  # lazy, as the Github object is

    # ------------------------------------------------------------------ call wrapper
    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _fail(self, failure: ApiFailure) -> ApiFailure:
        return ApiFailure(failure.kind, self._scrub(failure.message), failure.status)

    def call(
        self,
        what: str,
        fn: Callable[[], T],
        retry_on: tuple[str, ...] = RETRYABLE,
    ) -> T:
        """Run one API operation with bounded retries; failures become ApiFailure.

        `retry_on` names the failure kinds worth another attempt; a POST passes only
        ("rate-limit",), where GitHub certainly stored nothing.
        """
        if self.unreachable is not None:
            # The API could not be reached a moment ago, after retries: fail fast rather than
            # spend the whole retry budget again on every later call of this run.
            raise self._fail(ApiFailure("network", f"{what}: {self.unreachable}"))
        delay = 1.0
        started = time.monotonic()
        last: ApiFailure | None = None
        for attempt in range(self.attempts):
            self.calls += 1
            try:
                return fn()
            except Exception as exc:  # classified below; an unknown one is raised again
                last, hint = _classify(what, exc)
            if last.kind not in retry_on or attempt + 1 == self.attempts:
                break
            left = self.max_wait - (time.monotonic() - started)
            if last.kind == "rate-limit":
                # Honour the server's hint; without one wait a minute (C.3), within the budget.
                wait = hint if hint is not None else min(SECONDARY_WAIT, left)
            else:
                wait = delay
            if wait > left or left <= 0:
                break
            self.sleep(wait)
            delay = min(delay * 2, 30.0)
        assert last is not None
        if last.kind == "network" and "network" in retry_on:
            # Only a read that failed to connect on every retry trips this: a write whose
            # connection broke may have landed, and the caller must look again.
            self.unreachable = "the GitHub API was unreachable earlier in this run"
        raise self._fail(last) from None

    # ------------------------------------------------------------------ pull requests
    def pr_files(self, number: int) -> list[dict[str, Any]]:
        """All files of a PR (up to GitHub's 3,000), `patch` absent where GitHub sent none.

        GitHub drops patches once a response holds about 20,000 patch lines (contract C.4.5):
        a page of 100 with entries lacking their patch is read again once as five pages of 20,
        and the patches found there are used.
        """
        path = f"/repos/{self.repository}/pulls/{number}/files"

        def page_of(size: int, page: int) -> list[dict[str, Any]]:
            _, data = self.gh.requester.requestJsonAndCheck(
                "GET", path, parameters={"per_page": size, "page": page}
            )
            return (
                [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
            )

        def fetch() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in range(1, 31):
                data = page_of(100, page)
                if not data:
                    break
                if any(_patch_missing(item) for item in data):
                    again: dict[str, dict[str, Any]] = {}
                    for small in range(5 * page - 4, 5 * page + 1):
                        part = page_of(20, small)
                        again.update((str(i.get("filename")), i) for i in part if "patch" in i)
                        if len(part) < 20:
                            break
                    data = [
                        again.get(str(item.get("filename")), item) if _patch_missing(item) else item
                        for item in data
                    ]
                out.extend(data)
                if len(data) < 100:
                    break
            return out

        return self.call("listing the pull request's files", fetch)

    # ------------------------------------------------------------------ comments
    def comments(self, number: int) -> Iterator[Comment]:
        """Every comment of the PR, oldest first, across all pages."""
        issue = self.repo.get_issue(number)
        listed = self.call(
            "listing the pull request's comments", lambda: list(issue.get_comments())
        )
        for c in listed:
            yield _comment(c.raw_data)

    def find_comment(self, number: int, marker: str) -> Comment | None:
        """Our comment for this report; see `_ours`."""
        return self._ours(list(self.comments(number)), marker)

    def _ours(self, comments: list[Comment], marker: str) -> Comment | None:
        """The newest comment that starts with the marker, preferring a bot's.

        A GITHUB_TOKEN (or app token) writes as a bot: a person's comment that pasted our marker
        is never adopted then. With a personal token we cannot know our login; a bot's marked
        comment still wins over a person's.
        """
        marked = [c for c in comments if c.body.startswith(marker)]
        bots = [c for c in marked if c.author_type == "Bot"]
        if bots:
            return bots[-1]
        if self.token.startswith(("ghs_", "v1.")):
            return None
        return marked[-1] if marked else None

    def upsert_comment(self, number: int, marker: str, body: str, mode: str) -> PostResult:
        """Create or update our comment; `mode` is update or new. Never posts twice."""
        before = list(self.comments(number))
        if mode == "update":
            existing = self._ours(before, marker)
            if existing is not None:
                if existing.body == body:
                    return PostResult("unchanged", existing.html_url)
                updated = self._edit(existing, body)
                if updated is not None:
                    return updated
                # The comment was deleted in the meantime: post a new one.
        return self._create(number, marker, body, {c.id for c in before})

    def _edit(self, existing: Comment, body: str) -> PostResult | None:
        """PATCH our comment (idempotent, so retried); None when it no longer exists."""
        url = existing.url or f"/repos/{self.repository}/issues/comments/{existing.id}"

        def patch() -> dict[str, Any]:
            _, data = self.gh.requester.requestJsonAndCheck("PATCH", url, input={"body": body})
            return data if isinstance(data, dict) else {}

        try:
            data = self.call("updating the coverage comment", patch)
        except ApiFailure as failure:
            if failure.kind == "not-found":
                return None
            raise
        return PostResult("updated", str(data.get("html_url") or existing.html_url))

    def _create(self, number: int, marker: str, body: str, known: set[int]) -> PostResult:
        """POST a new comment; after an uncertain failure, adopt it if it was stored anyway."""
        issue = self.repo.get_issue(number)
        failure: ApiFailure | None = None
        for _ in range(2):
            try:
                created = self.call(
                    "posting the coverage comment",
                    lambda: issue.create_comment(body),
                    retry_on=("rate-limit",),
                )
                return PostResult("created", str(created.raw_data.get("html_url", "")))
            except ApiFailure as exc:
                if exc.kind not in UNCERTAIN:
                    raise
                failure = exc
            stored = self._stored(number, marker, body, known, patient=failure.kind == "timeout")
            if stored is not None:
                return PostResult("created", stored.html_url)
            if failure.kind == "timeout":
                # GitHub may still store it after we gave up waiting: posting again could
                # make two comments. The next run finds and updates whichever exists.
                raise ApiFailure(
                    "timeout",
                    "posting the coverage comment timed out and it did not appear; not posted "
                    "again, to avoid a duplicate",
                )
        assert failure is not None
        raise failure

    def _stored(
        self, number: int, marker: str, body: str, known: set[int], patient: bool
    ) -> Comment | None:
        """A comment created since `known` was listed that carries our marker and body."""
        waits = [0.0] + ([1.0, 2.0, 4.0] if patient else [])
        started = time.monotonic()
        for wait in waits:
            if wait:
                if time.monotonic() - started + wait > self.max_wait:
                    break
                self.sleep(wait)
            try:
                comments = list(self.comments(number))
            except ApiFailure:
                continue
            for c in reversed(comments):
                if c.id not in known and c.body.startswith(marker) and c.body == body:
                    return c
        return None

    # ------------------------------------------------------------------ refs (pin check)
    def resolve_ref(self, owner_repo: str, ref: str) -> str | None:
        """The commit SHA a tag or branch of another repository points at, None if unknown."""

        def fetch() -> str | None:
            status, _, body = self.gh.requester.requestJson(
                "GET",
                f"/repos/{owner_repo}/commits/{quote(ref, safe='')}",
                headers={"Accept": "application/vnd.github.sha"},
            )
            if status == 200 and isinstance(body, str) and len(body.strip()) == 40:
                return body.strip()
            if status in (404, 422):
                return None
            from github import GithubException

            raise GithubException(status, None, None)

        return self.call(f"resolving {owner_repo}@{ref}", fetch)

    # ------------------------------------------------------------------ raw JSON for artifacts
    def get_json(self, what: str, path: str, parameters: Mapping[str, Any] | None = None) -> Any:
        def fetch() -> Any:
            _, data = self.gh.requester.requestJsonAndCheck(
                "GET", path, parameters=dict(parameters or {})
            )
            return data

        return self.call(what, fetch)

    def redirect_location(self, what: str, path: str) -> str:
        """The Location of a 302 (artifact download); never follows it with the token."""

        def fetch() -> str:
            from github import GithubException

            status, headers, _ = self.gh.requester.requestJson("GET", path)
            location = {k.lower(): v for k, v in headers.items()}.get("location")
            if status == 302 and location:
                return str(location)
            raise GithubException(status, None, headers)

        return self.call(what, fetch)


def _comment(raw: Mapping[str, Any]) -> Comment:
    user = raw.get("user") or {}
    return Comment(
        id=int(raw.get("id") or 0),
        body=str(raw.get("body") or ""),
        url=str(raw.get("url") or ""),
        html_url=str(raw.get("html_url") or ""),
        author=str(user.get("login", "")) if isinstance(user, dict) else "",
        author_type=str(user.get("type", "")) if isinstance(user, dict) else "",
    )


def _classify(what: str, exc: Exception) -> tuple[ApiFailure, float | None]:
    """The failure an exception stands for, and the server's wait hint in seconds."""
    import requests
    from github import GithubException

    if isinstance(exc, ApiFailure):
        return exc, None
    if isinstance(exc, GithubException):
        failure = _failure(what, exc.status, exc.data, exc.headers)
        hint = _retry_after(exc.headers) if failure.kind == "rate-limit" else None
        return failure, hint
    if isinstance(exc, requests.exceptions.RetryError):
        return ApiFailure("server", f"{what}: GitHub kept answering with server errors"), None
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ApiFailure("network", f"{what}: cannot reach the GitHub API (timeout)"), None
    if isinstance(exc, requests.exceptions.Timeout):
        return ApiFailure("timeout", f"{what}: the GitHub API did not answer in time"), None
    if isinstance(exc, (requests.exceptions.RequestException, http.client.HTTPException, OSError)):
        name = type(exc).__name__
        message = f"{what}: the connection to the GitHub API failed ({name})"
        return ApiFailure("network", message), None
    if isinstance(exc, ValueError):
        # PyGithub raises json's ValueError on a body that is not the JSON it announced.
        return ApiFailure("server", f"{what}: GitHub's answer was not valid JSON"), None
    if isinstance(exc, AssertionError):
        # PyGithub asserts that follow-up URLs stay on the API host.
        return ApiFailure("server", f"{what}: the API answered with a URL on another host"), None
    raise exc


def _patch_missing(item: Mapping[str, Any]) -> bool:
    """An entry whose patch GitHub left out: no `patch` key on a file that was not removed."""
    return "patch" not in item and item.get("status") != "removed"


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `Retry-After`, or until `X-RateLimit-Reset` when none remain."""
    if not headers:
        return None
    h = {k.lower(): v for k, v in headers.items()}
    value = (h.get("retry-after") or "").strip()
    if value.isdigit():
        return float(value)
    reset = (h.get("x-ratelimit-reset") or "").strip()
    if h.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(1.0, float(reset) - time.time() + 1)
    return None


def _failure(what: str, status: int, data: Any, headers: Mapping[str, str] | None) -> ApiFailure:
    message = data.get("message", "") if isinstance(data, dict) else ""
    message = " ".join(str(message).split())[:200]
    h = {k.lower(): v for k, v in (headers or {}).items()}
    limited = (
        "rate limit" in message.lower()
        or h.get("x-ratelimit-remaining") == "0"
        or "retry-after" in h
    )
    if status == 429 or (status == 403 and limited):
        return ApiFailure("rate-limit", f"{what}: rate limited by GitHub ({status})", status)
    if status == 401:
        return ApiFailure("auth", f"{what}: the token was refused (401 Bad credentials)", status)
    if status == 403:
        needed = h.get("x-accepted-github-permissions", "")
        extra = f"; it needs {needed}" if needed else ""
        return ApiFailure(
            "permission",
            f"{what}: the token may not do this (403 {message or 'Forbidden'}{extra})",
            status,
        )
    if status == 404:
        return ApiFailure("not-found", f"{what}: not found (404)", status)
    if status == 410:
        return ApiFailure("gone", f"{what}: gone (410 {message})", status)
    if status >= 500:
        return ApiFailure("server", f"{what}: GitHub answered {status}", status)
    return ApiFailure("client", f"{what}: GitHub answered {status} {message}".rstrip(), status)
