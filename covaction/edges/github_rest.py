"""The GitHub edge: every call covaction makes to GitHub's REST API, bounded, retried and safe.

One path carries every request (`GitHubApi._request`):
- a run-wide `Deadline` (two minutes by default): once it has passed nothing more is sent, every
  further call fails at once with the kind `deadline`, and `skipped_note()` says what was left
  out, for one warning;
- a few attempts per request (`REST_POLICY`), waits bounded by the deadline;
- rate limits as GitHub documents them ("Exceeding the rate limit",
  https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api): `retry-after`
  is honoured (seconds or an HTTP date), `x-ratelimit-remaining: 0` waits for
  `x-ratelimit-reset`, a secondary limit without either waits at least a minute; a wait that
  would pass the deadline ends the call at once and says so, and later calls are not sent;
- pages follow `Link: rel="next"` on the API host only, with a page cap, and stop with a note
  when a link repeats or a page is empty.

Writes are never repeated blindly: after a POST whose outcome is unknown (5xx, malformed answer,
dropped connection, timeout) the comments are listed again and a new comment with our marker and
body is adopted instead of posting twice. Only comments written by the token's own identity are
adopted or edited. A comment GitHub refuses as too long fails with the kind `too-long`, so the
caller can send a smaller rendering. The token never appears in a message.

Each exchange goes through PyGithub's requester (`Requester.requestJson`, built here: this is the
one module that imports PyGithub), one attempt at a time, so that every request passes this one
retry and error path; `github_http.Transport` says how its limits are met. No PyGithub object
and no `PaginatedList` is used: reading `raw_data` of a listed object completes it with one GET
per item, outside any retry (PyGithub 2.10 `GithubObject.raw_data`). Listings page here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from covaction import __version__
from covaction.edges.github_http import (
    MIN_REQUEST_TIME,
    RETRYABLE,
    UNCERTAIN,
    ApiFailure,
    FailureKind,
    HoldBack,
    Reply,
    Transport,
    classify,
    next_link,
    page_key,
)
from covaction.edges.retry import Clock, Deadline, RetryPolicy, retry_after

if TYPE_CHECKING:
    from github.Requester import Requester

__all__ = ["ApiFailure", "Comment", "FailureKind", "GitHubApi", "Identity", "PostResult"]

DEFAULT_DEADLINE = 120.0  # seconds for all API work of a run
REST_POLICY = RetryPolicy(attempts=4, first=0.5, factor=2.0, cap=8.0)  # waits 0.5, 1, 2 s
SECONDARY_WAIT = 60.0  # the docs: "Otherwise, wait for at least one minute before retrying"
COMMENT_PAGES = 50  # 5,000 comments
ACTIONS_BOT = "github-actions[bot]"
# Tokens that act as a user, by the prefixes GitHub gives them (classic and fine-grained
# personal tokens, OAuth and GitHub App user tokens): they write as that user, GET /user says
# who. Every other token (GITHUB_TOKEN and app installation tokens: `ghs_`) writes as a bot.
USER_PREFIXES = ("ghp_", "github_pat_", "gho_", "ghu_")
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,99})", re.ASCII)  # `_` for managed users
_REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)
_SHA = re.compile(r"[0-9a-f]{40}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    url: str
    html_url: str
    author: str
    author_id: int | None
    author_type: str


@dataclass(frozen=True, slots=True)
class PostResult:
    action: str  # created | updated | unchanged
    url: str
    notes: tuple[str, ...] = ()  # e.g. the comment listing stopped early


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the token writes as: the Actions bot, or the user of a personal token."""

    login: str
    id: int | None = None  # compared when known: a login can be renamed
    bot: bool = False

    def wrote(self, comment: Comment) -> bool:
        if self.id is not None and comment.author_id is not None:
            return comment.author_id == self.id
        return comment.author.lower() == self.login.lower() and (
            (comment.author_type == "Bot") == self.bot
        )


ACTIONS_IDENTITY = Identity(ACTIONS_BOT, None, bot=True)  # its id differs on GHES


def options_from_environ(environ: Mapping[str, str]) -> dict[str, float]:
    """Keyword arguments for `GitHubApi` from the environment's knobs (plain decimals only):
    `COVACTION_API_DEADLINE` (seconds for all API work, default 120) and
    `COVACTION_MAX_RETRY_WAIT` (the longest single wait; our own backoff is shortened to it,
    a longer wait GitHub asks for ends the call)."""
    out: dict[str, float] = {}
    for name, key in (
        ("COVACTION_API_DEADLINE", "deadline"),
        ("COVACTION_MAX_RETRY_WAIT", "max_wait"),
    ):
        value = environ.get(name, "")
        if re.fullmatch(r"[0-9]{1,5}(\.[0-9]{1,3})?", value, re.ASCII):
            out[key] = float(value)
    return out


class GitHubApi:
    """GitHub's REST API for one run: bounded retries within one deadline, safe errors.

    `deadline` bounds all API work (seconds, or a shared `Deadline`); `max_wait` caps one wait
    (None: only the deadline does); `timeout` is the longest one request may take.
    """

    def __init__(
        self,
        token: str,
        api_url: str,
        repository: str,
        *,
        deadline: float | Deadline = DEFAULT_DEADLINE,
        max_wait: float | None = None,
        timeout: float = 20.0,
        policy: RetryPolicy = REST_POLICY,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.token = token
        self.repository = repository
        # The run's environment, for what the runner configures there (proxy, CA bundle) and
        # requests would read from the process: the artifact download takes it from here.
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.clock = clock or (deadline.clock if isinstance(deadline, Deadline) else Clock())
        self.deadline = (
            deadline if isinstance(deadline, Deadline) else Deadline(deadline, self.clock)
        )
        self.max_wait = None if max_wait is None else max(0.0, max_wait)
        self.policy = policy
        self.http = Transport(_requesters(token, api_url), api_url, self.deadline, timeout)
        self._repository_path = _repo_path(repository)
        self.unreachable: str | None = None  # set once the API could not be reached
        self.skipped: list[str] = []  # calls not sent because the deadline had passed
        self._stop_reason = ""
        self._not_before = 0.0  # monotonic: GitHub asked us not to send anything before
        self._identity: Identity | None = None
        self._secondary = 0  # secondary limits met without retry-after, for the longer waits

    def close(self) -> None:
        self.http.close()

    def _repo(self) -> str:
        """`/repos/owner/name` of this run's repository; refused when it is no such name."""
        if self._repository_path is None:
            raise ApiFailure(
                FailureKind.CLIENT,
                f"GITHUB_REPOSITORY {self.repository[:100]!r} is not an owner/name GitHub allows",
            )
        return self._repository_path

    # ------------------------------------------------------------------ what was skipped
    def skipped_note(self) -> str:
        """One line for the run's warning when calls were skipped, "" when none was."""
        if not self.skipped:
            return ""
        shown = "; ".join(self.skipped[:6]) + ("; ..." if len(self.skipped) > 6 else "")
        return f"GitHub API work stopped ({self._stop_reason}); skipped: {shown}"

    def _skip(self, what: str) -> ApiFailure:
        if what not in self.skipped:
            self.skipped.append(what)
        reason = self._stop_reason or "the run's API deadline had passed"
        return ApiFailure(FailureKind.DEADLINE, f"{what}: not sent, {reason}")

    def _stop(self, reason: str) -> None:
        if not self._stop_reason:
            self._stop_reason = reason

    # ------------------------------------------------------------------ the one request path
    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _fail(self, failure: ApiFailure, extra: str = "") -> ApiFailure:
        return failure.with_message(self._scrub(failure.message + extra))

    def _admit(self, what: str) -> None:
        """Before each request: refuse after the deadline, wait out GitHub's requested pause."""
        if self.deadline.remaining() <= MIN_REQUEST_TIME:
            self._stop(f"the run's {self.deadline.seconds:g} s for API work had passed")
            raise self._skip(what)
        if self.unreachable is not None:
            # The API could not be reached a moment ago, after retries: fail fast rather than
            # spend the whole retry budget again on every later call of this run.
            raise ApiFailure(FailureKind.NETWORK, self._scrub(f"{what}: {self.unreachable}"))
        wait = self._not_before - self.clock.monotonic()
        if wait > 0:
            if not self.deadline.allows(wait) or (
                self.max_wait is not None and wait > self.max_wait
            ):
                raise self._skip(what)
            self.clock.sleep(wait)
            if self.deadline.remaining() <= MIN_REQUEST_TIME:
                self._stop(f"the run's {self.deadline.seconds:g} s for API work had passed")
                raise self._skip(what)

    def _request(
        self,
        what: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        accept: str = "application/vnd.github+json",
        ok: tuple[int, ...] = (200,),
        retry_on: tuple[FailureKind, ...] = RETRYABLE,
        follow: bool = True,
        shape: type | None = None,
    ) -> Reply:
        """One request with its retries; returns a reply whose status is in `ok`, else raises.

        JSON answers are parsed into `data` (and must be a `shape` when one is given); with a
        non-JSON `accept`, `data` is the text. Its time counts against the deadline.
        """
        with self.deadline.running():
            return self._attempts(
                what, method, url, params, body, accept, ok, retry_on, follow, shape
            )

    def _attempts(
        self,
        what: str,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        accept: str,
        ok: tuple[int, ...],
        retry_on: tuple[FailureKind, ...],
        follow: bool,
        shape: type | None,
    ) -> Reply:
        failures = 0
        while True:
            self._admit(what)
            reply: Reply | None = None
            try:
                reply = self.http.send(what, method, url, params, body, accept, follow)
                failure, instructed = self._judge(what, reply, ok, accept, shape)
            except ApiFailure as exc:
                failure, instructed = exc, None
            if failure is None:
                assert reply is not None
                return reply
            failures += 1
            if failure.kind not in retry_on or not self.policy.more(failures):
                if not failure.reached and failure.kind in retry_on:
                    # Only a read that never connected on every attempt trips this: a write
                    # whose connection broke may have landed, and the caller must look again.
                    self.unreachable = "the GitHub API was unreachable earlier in this run"
                raise self._fail(failure)
            if instructed is not None:
                # GitHub said how long: never sooner, and give up now if that is too long.
                wait, reason = instructed
                if not self.deadline.allows(wait):
                    left = self.deadline.remaining()
                    self._stop(f"{reason}, past this run's API deadline")
                    raise self._fail(
                        failure,
                        f": {reason}, more than the {left:.0f} s left for API work in this run: "
                        "gave up",
                    )
                if self.max_wait is not None and wait > self.max_wait:
                    self._stop(f"{reason}, more than this run waits")
                    raise self._fail(
                        failure,
                        f": {reason}, more than this run waits ({self.max_wait:g} s): gave up",
                    )
                continue  # `_admit` waits until `_not_before`
            wait = self.policy.wait(failures)
            if self.max_wait is not None:
                wait = min(wait, self.max_wait)
            if not self.deadline.allows(wait):
                raise self._fail(failure, "; no time left for another attempt in this run")
            self.clock.sleep(wait)

    def _judge(
        self,
        what: str,
        reply: Reply,
        ok: tuple[int, ...],
        accept: str,
        shape: type | None,
    ) -> tuple[ApiFailure | None, tuple[float, str] | None]:
        """(failure or None, the wait GitHub asked for and why); a successful reply gets its
        `data`. A wait GitHub asked for also holds back every later request (`_not_before`)."""
        h = reply.headers
        if reply.status in ok:
            if "json" not in accept or reply.status in (204, 302):
                reply.data = reply.content.decode("utf-8", "replace")
                return None, None
            try:
                data = json.loads(reply.content)
            except ValueError:
                message = f"{what}: GitHub's answer was not valid JSON"
                return ApiFailure(FailureKind.SERVER, message, reply.status), None
            if shape is not None and not isinstance(data, shape):
                message = f"{what}: GitHub's answer is not the {shape.__name__} it should be"
                return ApiFailure(FailureKind.SERVER, message, reply.status), None
            reply.data = data
            return None, None
        failure = classify(what, reply)
        wait = retry_after(h, self.clock.wall())
        reason = "" if wait is None else f"GitHub asks to wait {wait:.0f} s (Retry-After)"
        if "retry-after" in h:
            failure.later = True
        if failure.kind == FailureKind.RATE_LIMIT and wait is None:
            reset = h.get("x-ratelimit-reset", "").strip()
            if (
                h.get("x-ratelimit-remaining") == "0"
                and reset.isascii()
                and reset.isdigit()
                and len(reset) <= 12
            ):
                wait = max(1.0, int(reset) - self.clock.wall() + 1.0)
                until = datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S")
                reason = f"the rate limit for this token is used up until {until} UTC"
            else:
                # A secondary limit without retry-after: at least a minute, longer each time.
                self._secondary += 1
                wait = SECONDARY_WAIT * 2 ** (self._secondary - 1)
                reason = (
                    "a secondary rate limit without retry-after asks for a pause of at least "
                    f"{wait:.0f} s"
                )
        elif wait is None and "retry-after" in h:
            wait = self.policy.wait(1)  # garbage: our own first backoff, never no retry at all
            reason = f"Retry-After is unreadable, so {wait:g} s"
        if wait is None:
            return failure, None
        self._not_before = max(self._not_before, self.clock.monotonic() + wait)
        return failure, (wait, reason)

    # ------------------------------------------------------------------ URLs
    def _pages(
        self, what: str, path: str, cap: int, params: Mapping[str, Any] | None = None
    ) -> tuple[list[Any], str]:
        """Every item of a listing, following `Link: next`; (items, note when it stopped early)."""
        url = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        seen = {page_key(self.http.absolute(path) or path, query)}
        items: list[Any] = []
        for page in range(1, cap + 1):
            reply = self._request(what, "GET", url, params=query, shape=list)
            data: list[Any] = reply.data
            items.extend(data)
            link = next_link(reply.headers.get("link", ""))
            if link is None:
                return items, ""
            target = self.http.on_api(urljoin(self.http.absolute(url) or url, link))
            if target is None:
                return items, f"{what}: GitHub's next page is not on the API host; stopped there"
            if not data:
                return items, f"{what}: GitHub sent an empty page that links to another; stopped"
            key = page_key(target, None)
            if key in seen:
                return items, (
                    f"{what}: GitHub's next-page link repeats an earlier page; stopped after "
                    f"{page} page{'s' if page > 1 else ''}"
                )
            seen.add(key)
            url, query = target, None
        return items, f"{what}: stopped after {cap} pages of 100"

    # ------------------------------------------------------------------ pull requests
    def pr_files(self, number: int) -> list[dict[str, Any]]:
        """All files of a PR (up to GitHub's 3,000), `patch` absent where GitHub sent none.

        GitHub drops patches once a response holds about 20,000 patch lines: a page of 100 with
        entries lacking their patch is read again once as five pages of 20, and the patches
        found there are used.
        """
        what = "listing the pull request's files"
        path = f"{self._repo()}/pulls/{int(number)}/files"

        def page_of(size: int, page: int) -> list[dict[str, Any]]:
            reply = self._request(
                what, "GET", path, params={"per_page": size, "page": page}, shape=list
            )
            return [item for item in reply.data if isinstance(item, dict)]

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

    # ------------------------------------------------------------------ comments
    def comments(self, number: int) -> tuple[list[Comment], str]:
        """Every comment of the PR, oldest first, and a note when the listing stopped early."""
        items, note = self._pages(
            "listing the pull request's comments",
            f"{self._repo()}/issues/{int(number)}/comments",
            COMMENT_PAGES,
        )
        return [c for c in map(_comment, items) if c is not None], note

    def identity(self) -> Identity:
        """Who the token writes as, asked once: a personal or OAuth token as its user (GET
        /user); any other token (GITHUB_TOKEN, an installation token) as the Actions bot."""
        if self._identity is None:
            self._identity = self._whoami()
        return self._identity

    def _whoami(self) -> Identity:
        if not self.token.startswith(USER_PREFIXES):
            return ACTIONS_IDENTITY
        try:
            reply = self._request("finding the token's user", "GET", "/user", shape=dict)
        except ApiFailure as failure:
            # An installation token answers 403 "Resource not accessible by integration".
            if failure.kind in (FailureKind.PERMISSION, FailureKind.NOT_FOUND):
                return ACTIONS_IDENTITY
            raise
        login, uid = reply.data.get("login"), reply.data.get("id")
        if not isinstance(login, str) or not login or len(login) > 100:
            raise ApiFailure(FailureKind.SERVER, "finding the token's user: GitHub sent no login")
        bot = reply.data.get("type") == "Bot"
        return Identity(login, uid if type(uid) is int else None, bot=bot)

    def upsert_comment(self, number: int, marker: str, body: str, mode: str) -> PostResult:
        """Create or update our comment; `mode` is update or new. Never posts twice.

        Only a comment the token's own identity wrote is updated: one a person wrote (a marker
        pasted into a pull request's discussion) is never adopted.
        """
        before, note = self.comments(number)
        notes = (note,) if note else ()
        if mode == "update":
            ours = self._written_by_us([c for c in before if c.body.startswith(marker)])
            if ours:
                existing = ours[-1]
                if existing.body == body:
                    return PostResult("unchanged", existing.html_url, notes)
                updated = self._edit(existing, body)
                if updated is not None:
                    return PostResult(updated.action, updated.url, notes)
                # The comment was deleted in the meantime: post a new one.
        posted = self._create(number, marker, body, {c.id for c in before})
        return PostResult(posted.action, posted.url, notes)

    def _written_by_us(self, comments: list[Comment]) -> list[Comment]:
        """Those of `comments` the token's identity wrote (asked only when there are some)."""
        if not comments:
            return []
        me = self.identity()
        return [c for c in comments if me.wrote(c)]

    def _edit(self, existing: Comment, body: str) -> PostResult | None:
        """PATCH our comment (idempotent, so retried); None when it no longer exists."""
        url = self.http.on_api(existing.url) or f"{self._repo()}/issues/comments/{existing.id}"
        try:
            reply = self._request(
                "updating the coverage comment", "PATCH", url, body={"body": body}, shape=dict
            )
        except ApiFailure as failure:
            if failure.kind == FailureKind.NOT_FOUND:
                return None
            raise
        return PostResult("updated", str(reply.data.get("html_url") or existing.html_url))

    def _create(self, number: int, marker: str, body: str, known: set[int]) -> PostResult:
        """POST a new comment; after an uncertain failure, adopt it if it was stored anyway."""
        path = f"{self._repo()}/issues/{int(number)}/comments"
        failure: ApiFailure | None = None
        for attempt in range(self.policy.attempts):
            try:
                reply = self._request(
                    "posting the coverage comment",
                    "POST",
                    path,
                    body={"body": body},
                    ok=(201, 200),
                    retry_on=(FailureKind.RATE_LIMIT,),  # GitHub certainly stored nothing
                    shape=dict,
                )
                return PostResult("created", str(reply.data.get("html_url", "")))
            except ApiFailure as exc:
                if exc.kind not in UNCERTAIN:
                    raise
                failure = exc
            # Never a second POST without first looking for the first one.
            stored = self._stored(number, body, known, failure.kind)
            if stored is not None:
                return PostResult("created", stored.html_url)
            if failure.kind == FailureKind.TIMEOUT:
                # GitHub may still store it after we gave up waiting: posting again could
                # make two comments. The next run finds and updates whichever exists.
                raise ApiFailure(
                    FailureKind.TIMEOUT,
                    "posting the coverage comment timed out and it did not appear; not posted "
                    "again, to avoid a duplicate",
                )
            if attempt >= 1 and not failure.later:
                break  # two failures GitHub did not ask us to repeat: stop
        assert failure is not None
        raise failure

    def _stored(self, number: int, body: str, known: set[int], kind: FailureKind) -> Comment | None:
        """A comment created since `known` was listed, by us, with our marker and body."""
        waits = [0.0] + ([1.0, 2.0, 4.0] if kind == FailureKind.TIMEOUT else [])
        for wait in waits:
            if wait:
                if not self.deadline.allows(wait):
                    break
                self.clock.sleep(wait)
            try:
                comments, _ = self.comments(number)
            except ApiFailure as failure:
                if failure.kind == FailureKind.DEADLINE:
                    raise
                continue
            new = self._written_by_us([c for c in comments if c.id not in known and c.body == body])
            if new:
                return new[-1]
        return None

    # ------------------------------------------------------------------ refs (pin check)
    def publish_check_run(
        self,
        head_sha: str,
        name: str,
        title: str,
        summary: str,
        batches: list[list[dict[str, object]]],
    ) -> str:
        """A completed, neutral check run on `head_sha` carrying every annotation: the first
        batch of at most 50 with the POST, the rest appended by PATCHes (GitHub's limit per
        request). Returns its URL. Not retried blindly: a second POST would make a second run."""
        first, rest = (batches[0], batches[1:]) if batches else ([], [])
        output = {"title": title[:255], "summary": summary[:65_000]}
        reply = self._request(
            "creating the annotations' check run",
            "POST",
            f"{self._repo()}/check-runs",
            body={
                "name": name[:200],
                "head_sha": head_sha,
                "status": "completed",
                "conclusion": "neutral",
                "output": {**output, "annotations": first},
            },
            ok=(201,),
            retry_on=(FailureKind.RATE_LIMIT,),
            shape=dict,
        )
        run_id = reply.data.get("id")
        if type(run_id) is not int:
            raise ApiFailure(FailureKind.SERVER, "creating the check run: GitHub sent no id")
        for batch in rest:
            self._request(
                "adding annotations to the check run",
                "PATCH",
                f"{self._repo()}/check-runs/{run_id}",
                body={"output": {**output, "annotations": batch}},
                shape=dict,
            )
        return str(reply.data.get("html_url") or "")

    def resolve_ref(self, owner_repo: str, ref: str) -> str | None:
        """The commit SHA a tag or branch of another repository points at, None if unknown.

        `owner_repo` comes from a workflow file: anything that is not a GitHub owner/name is
        refused here, without a request.
        """
        path = _repo_path(owner_repo)
        if path is None or not ref or len(ref) > 255 or not ref.isprintable():
            return None
        what = f"resolving {owner_repo}@{ref[:100]}"
        try:
            reply = self._request(
                what,
                "GET",
                f"{path}/commits/{quote(ref, safe='')}",
                accept="application/vnd.github.sha",
            )
        except ApiFailure as failure:
            if failure.kind == FailureKind.NOT_FOUND or failure.status == 422:
                return None
            raise
        sha = str(reply.data).strip()
        return sha if _SHA.fullmatch(sha) else None

    # ------------------------------------------------------------------ raw JSON for artifacts
    def get_json(self, what: str, path: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return self._request(what, "GET", path, params=parameters).data

    def redirect_location(self, what: str, path: str) -> str:
        """The Location of a 302 (artifact download); never follows it with the token."""
        reply = self._request(what, "GET", path, ok=(302,), follow=False)
        location = reply.headers.get("location", "")
        if not location:
            raise ApiFailure(FailureKind.SERVER, f"{what}: GitHub's redirect has no Location")
        return location


def _requesters(token: str, api_url: str) -> Callable[[float], Requester]:
    """PyGithub requesters for `api_url` with a given timeout, built as `Github` builds its own.

    No retry of PyGithub's (`HoldBack`: the retries are this module's), no pause between
    requests (PyGithub's defaults wait 0.25 s between requests and 1 s between writes: the
    waits are this module's too), 100 items a page. `Requester.kwargs` is PyGithub's way to
    build another requester like this one; only the timeout differs.
    """
    # PyGithub is imported here, not with the module: a run without a token never pays for it.
    from github import Auth, Github
    from github.Requester import Requester

    main = Github(
        auth=Auth.Token(token) if token else None,
        base_url=api_url.rstrip("/"),
        user_agent=f"covaction/{__version__}",
        per_page=100,
        retry=HoldBack(),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    kwargs = main.requester.kwargs

    def connect(timeout: float) -> Requester:
        return Requester(**{**kwargs, "timeout": timeout})

    return connect


def _repo_path(owner_repo: str) -> str | None:
    """`/repos/owner/name` for a name GitHub could have, None for anything else."""
    owner, sep, name = owner_repo.partition("/")
    if not sep or not _OWNER.fullmatch(owner) or not _REPO.fullmatch(name) or name in (".", ".."):
        return None
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def _comment(raw: Any) -> Comment | None:
    if not isinstance(raw, dict) or type(raw.get("id")) is not int:
        return None
    user = raw.get("user")
    user = user if isinstance(user, dict) else {}
    uid = user.get("id")
    return Comment(
        id=raw["id"],
        body=raw["body"] if isinstance(raw.get("body"), str) else "",
        url=raw["url"] if isinstance(raw.get("url"), str) else "",
        html_url=raw["html_url"] if isinstance(raw.get("html_url"), str) else "",
        author=user["login"] if isinstance(user.get("login"), str) else "",
        author_id=uid if type(uid) is int else None,
        author_type=user["type"] if isinstance(user.get("type"), str) else "",
    )


def _patch_missing(item: Mapping[str, Any]) -> bool:
    """An entry whose patch GitHub left out: no `patch` key on a file that was not removed."""
    return "patch" not in item and item.get("status") != "removed"
