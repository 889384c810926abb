"""The GitHub edge: the only module that imports PyGithub (and talks to the REST API).

Calls go through one wrapper that retries what is worth retrying within a bounded time (5xx,
429 and secondary rate limits, honouring `Retry-After`), and turns every failure into one
`ApiFailure` with a kind the caller can act on (`permission` on a fork's read-only token,
`not-found`, `rate-limit`, `server`, `network`, `auth`). Writes are made idempotent by looking
again before posting again. The token never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from covaction import __version__

T = TypeVar("T")
BOT_LOGIN = "github-actions[bot]"


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
    """PyGithub for the REST API, bounded retries, safe errors."""

    def __init__(
        self,
        token: str,
        api_url: str,
        repository: str,
        *,
        max_wait: float = 60.0,
        attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from github import Auth, Github, GithubRetry

        self.token = token
        self.repository = repository
        self.max_wait = max_wait
        self.attempts = attempts
        self.sleep = sleep
        self.calls = 0
        # POST and PATCH are not retried by the library: a retried POST can post twice. We
        # retry writes ourselves after looking again (see upsert_comment).
        retry = GithubRetry(
            total=3,
            backoff_factor=0.5,
            secondary_rate_wait=min(60.0, max_wait),
            max_rate_limit_wait=int(max_wait),
            allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
        )
        self.gh = Github(
            auth=Auth.Token(token),
            base_url=api_url,
            timeout=20,
            per_page=100,
            retry=retry,
            lazy=True,
            seconds_between_requests=0,
            seconds_between_writes=0,
            user_agent=f"covaction/{__version__}",
        )
        self.repo = self.gh.get_repo(repository, lazy=True)

    # ------------------------------------------------------------------ call wrapper
    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def call(
        self,
        what: str,
        fn: Callable[[], T],
        retry_on: tuple[str, ...] = ("rate-limit", "server", "network"),
    ) -> T:
        """Run one API operation with bounded retries; failures become ApiFailure.

        `retry_on` names the failure kinds worth another attempt; a POST passes only
        ("rate-limit",), where GitHub certainly stored nothing.
        """
        import requests
        from github import GithubException, RateLimitExceededException

        delay = 1.0
        last: ApiFailure | None = None
        started = time.monotonic()
        for attempt in range(self.attempts):
            self.calls += 1
            try:
                return fn()
            except RateLimitExceededException as exc:
                last = ApiFailure("rate-limit", f"{what}: GitHub's API rate limit is exhausted", exc.status)
                wait = _retry_after(exc.headers) or delay
            except GithubException as exc:
                last = _failure(what, exc.status, exc.data, exc.headers)
                if last.kind not in ("rate-limit", "server"):
                    raise last from None
                wait = _retry_after(exc.headers) or delay
            except requests.exceptions.RetryError:
                last = ApiFailure("server", f"{what}: GitHub kept answering with server errors")
                wait = delay
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                last = ApiFailure("network", f"{what}: cannot reach the GitHub API ({type(exc).__name__})")
                wait = delay
            except AssertionError:
                # PyGithub asserts that follow-up URLs stay on the API host.
                raise ApiFailure("server", f"{what}: the API answered with a URL on another host") from None
            if (
                last.kind not in retry_on
                or attempt + 1 == self.attempts
                or time.monotonic() - started + wait > self.max_wait
            ):
                break
            self.sleep(min(wait, self.max_wait))
            delay = min(delay * 2, 30.0)
        assert last is not None
        raise ApiFailure(last.kind, self._scrub(last.message), last.status)

    # ------------------------------------------------------------------ pull requests
    def pr_files(self, number: int) -> list[dict[str, Any]]:
        """All files of a PR (up to GitHub's 3,000), `patch` absent where GitHub sent none."""

        def fetch() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in range(1, 31):
                _, data = self.gh.requester.requestJsonAndCheck(
                    "GET",
                    f"/repos/{self.repository}/pulls/{number}/files",
                    parameters={"per_page": 100, "page": page},
                )
                if not isinstance(data, list) or not data:
                    break
                out.extend(item for item in data if isinstance(item, dict))
                if len(data) < 100:
                    break
            return out

        return self.call("listing the pull request's files", fetch)

    # ------------------------------------------------------------------ comments
    def comments(self, number: int) -> Iterator[Comment]:
        issue = self.repo.get_issue(number)
        for c in self.call("listing the pull request's comments", lambda: list(issue.get_comments())):
            raw = c.raw_data
            user = raw.get("user") or {}
            yield Comment(
                id=int(raw.get("id", 0)),
                body=str(raw.get("body") or ""),
                url=str(raw.get("url") or ""),
                html_url=str(raw.get("html_url") or ""),
                author=str(user.get("login", "")),
                author_type=str(user.get("type", "")),
            )

    def find_comment(self, number: int, marker: str) -> Comment | None:
        """Our comment for this report: the marker at the start, written by the token's bot."""
        installation = self.token.startswith(("ghs_", "v1."))
        found = None
        for c in self.comments(number):
            if not c.body.startswith(marker):
                continue
            if installation and c.author_type != "Bot":
                continue  # someone else pasted our marker: never adopt their comment
            found = c  # the newest one wins
        return found

    def upsert_comment(self, number: int, marker: str, body: str, mode: str) -> PostResult:
        """Create or update our comment; `mode` is update or new. Never posts twice."""
        from github import GithubException

        issue = self.repo.get_issue(number)
        if mode == "update":
            existing = self.find_comment(number, marker)
            if existing is not None:
                if existing.body == body:
                    return PostResult("unchanged", existing.html_url)
                comment = issue.get_comment(existing.id)
                self.call("updating the coverage comment", lambda: comment.edit(body))
                return PostResult("updated", existing.html_url)
        for attempt in range(2):
            try:
                created = self.call(
                    "posting the coverage comment",
                    lambda: issue.create_comment(body),
                    retry_on=("rate-limit",),
                )
                return PostResult("created", str(created.raw_data.get("html_url", "")))
            except ApiFailure as failure:
                if failure.kind not in ("server", "network") or attempt == 1:
                    raise
            # The POST may have been stored before it failed: look again before posting again.
            for c in self.comments(number):
                if c.body == body:
                    return PostResult("created", c.html_url)
        raise ApiFailure("server", "posting the coverage comment failed")  # pragma: no cover

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
            _, data = self.gh.requester.requestJsonAndCheck("GET", path, parameters=dict(parameters or {}))
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


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    h = {k.lower(): v for k, v in headers.items()}
    value = h.get("retry-after")
    if value and value.strip().isdigit():
        return float(value)
    if h.get("x-ratelimit-remaining") == "0" and (h.get("x-ratelimit-reset") or "").isdigit():
        return max(1.0, float(h["x-ratelimit-reset"]) - time.time() + 1)
    return None


def _failure(what: str, status: int, data: Any, headers: Mapping[str, str] | None) -> ApiFailure:
    message = data.get("message", "") if isinstance(data, dict) else ""
    message = str(message)[:200]
    h = {k.lower(): v for k, v in (headers or {}).items()}
    if status in (403, 429) and (
        "rate limit" in message.lower() or h.get("x-ratelimit-remaining") == "0" or "retry-after" in h
    ):
        return ApiFailure("rate-limit", f"{what}: rate limited by GitHub ({status})", status)
    if status == 429:
        return ApiFailure("rate-limit", f"{what}: rate limited by GitHub (429)", status)
    if status == 401:
        return ApiFailure("auth", f"{what}: the token was refused (401 Bad credentials)", status)
    if status == 403:
        needed = h.get("x-accepted-github-permissions", "")
        extra = f"; it needs {needed}" if needed else ""
        return ApiFailure("permission", f"{what}: the token may not do this (403 {message or 'Forbidden'}{extra})", status)
    if status == 404:
        return ApiFailure("not-found", f"{what}: not found (404)", status)
    if status == 410:
        return ApiFailure("gone", f"{what}: gone (410 {message})", status)
    if status >= 500:
        return ApiFailure("server", f"{what}: GitHub answered {status}", status)
    return ApiFailure("client", f"{what}: GitHub answered {status} {message}".rstrip(), status)
