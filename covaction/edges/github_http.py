"""One HTTP exchange with GitHub's REST API through PyGithub's requester, and what its answer
means (`ApiFailure` kinds).

`Transport.send` makes one request with `Requester.requestJson` (PyGithub 2.10: token in
`Authorization`, no `.netrc` in its place, proxy and CA variables honoured by requests), follows
redirects of a GET only on the API host and at most `MAX_REDIRECTS` times, bounds the request by
the run's deadline, and turns every transport problem into an `ApiFailure`. `classify` names the
failure an HTTP error status stands for. Retrying is `github_rest`'s job; nothing here sleeps.

What PyGithub's requester does not do, and how it is met without a second HTTP client:
- one timeout for every request of a requester: a request that must end before the run's
  deadline gets a requester of its own with the shorter timeout (`Transport._exchange`);
- a `202` to a GET is asked again every 2 s without limit, a `301` is followed recursively without
  a limit on the hops: the urllib3 retry PyGithub hands to requests (`HoldBack`) keeps both
  answers from it, and they are judged here like any other;
- it reads the whole body before returning, so a body is read within the request's timeout per
  read, and the 64 MiB cap is checked once it has arrived, not while it arrives.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, Self
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
from requests.utils import parse_header_links
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from covaction.edges.retry import Deadline
from covaction.errors import ApiError

if TYPE_CHECKING:
    from types import TracebackType

    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

RESPONSE_CAP = 64 * 1024 * 1024
MAX_REDIRECTS = 3
MIN_REQUEST_TIME = 0.05  # seconds: with less left before the deadline, nothing is sent


class FailureKind(StrEnum):
    """What went wrong with a call, named for what the caller does about it."""

    PERMISSION = "permission"  # 403: the token may not (a fork's read-only token)
    NOT_FOUND = "not-found"
    GONE = "gone"  # 410: an expired artifact
    AUTH = "auth"  # 401: the token was refused
    CLIENT = "client"  # another 4xx
    TOO_LONG = "too-long"  # 422 "Body is too long" on a comment: send a smaller rendering
    RATE_LIMIT = "rate-limit"
    SERVER = "server"  # 5xx, or an answer that is not what GitHub sends
    NETWORK = "network"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"  # not sent: the run's API deadline passed (see skipped_note)


RETRYABLE = (
    FailureKind.RATE_LIMIT,
    FailureKind.SERVER,
    FailureKind.NETWORK,
    FailureKind.TIMEOUT,
)
# A write that failed so may have landed anyway: look before writing again.
UNCERTAIN = (FailureKind.SERVER, FailureKind.NETWORK, FailureKind.TIMEOUT)


class ApiFailure(ApiError):
    """A failed API call: `kind` says what to do, `message` is one safe line.

    `later`: the answer carried `Retry-After` (GitHub asked us to come back); `reached`: False
    when the request never reached GitHub (no connection), so it certainly did nothing.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        status: int = 0,
        *,
        later: bool = False,
        reached: bool = True,
    ) -> None:
        super().__init__(FailureKind(kind), message)
        self.kind: FailureKind = FailureKind(kind)
        self.status = status
        self.later = later
        self.reached = reached

    def with_message(self, message: str) -> ApiFailure:
        return ApiFailure(self.kind, message, self.status, later=self.later, reached=self.reached)


@dataclass(slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    content: bytes
    data: Any = None


class Requester(Protocol):
    """What this module uses of PyGithub's `github.Requester.Requester` (built by `github_rest`,
    the one module that imports PyGithub)."""

    def requestJson(
        self,
        verb: str,
        url: str,
        parameters: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        input: Any | None = None,
    ) -> tuple[int, dict[str, Any], str]: ...

    def close(self) -> None: ...


class _HeldAnswer(ResponseError):
    """A `202` to a GET or HEAD, or a `301`, kept from PyGithub's requester (see `HoldBack`)."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(f"held back: {status}")
        self.status = status
        self.headers = headers


class HoldBack(Retry):
    """PyGithub's transport retry: no retry at all (requests' own default, `Retry(0, read=False)`),
    and two answers never reach PyGithub's requester, which would repeat them inside one call
    (`Requester.__requestRaw`, PyGithub 2.10): a `202` to a GET or HEAD (it sleeps 2 s and asks
    again, without limit) and a `301` (followed recursively, with no limit on the hops). urllib3
    asks `is_retry` about every answer before its body is read; `increment` then ends the exchange
    with the answer's status and headers, which requests raises as a `RetryError`. `Transport`
    takes them from there: a `202` is a failure `github_rest` retries with its own waits, a `301`
    is followed like any redirect (on the API host only, at most `MAX_REDIRECTS` hops).
    """

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("total", 0)
        kw.setdefault("read", False)
        super().__init__(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return status_code == 301 or (status_code == 202 and method.upper() in ("GET", "HEAD"))

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if error is None and response is not None and self.is_retry(method or "", response.status):
            headers = {k.lower(): v for k, v in response.headers.items()}
            raise MaxRetryError(_pool, url or "", _HeldAnswer(response.status, headers))  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


class Transport:
    """HTTP to one API base URL (`https://api.github.com`, or GHES's `https://HOST/api/v3`).

    `connect(seconds)` builds a PyGithub requester whose timeout is `seconds`: the requester has
    one timeout for all its requests, so the one for the full `timeout` is kept, and a request
    that must end sooner (the run's deadline is closer) gets a requester of its own.
    """

    def __init__(
        self,
        connect: Callable[[float], Requester],
        api_url: str,
        deadline: Deadline,
        timeout: float,
    ) -> None:
        self._connect = connect
        self._deadline = deadline
        self._timeout = max(0.1, timeout)
        self._requester: Requester | None = None
        base = urlsplit(api_url.rstrip("/"))
        self._base = f"{base.scheme}://{base.netloc}{base.path}"
        self._origin = (base.scheme.lower(), (base.hostname or "").lower(), base.port)
        self._prefix = base.path

    def close(self) -> None:
        if self._requester is not None:
            self._requester.close()
            self._requester = None

    def absolute(self, url: str) -> str | None:
        """The absolute URL of an API path, or `url` itself when it is on the API host."""
        return self._base + url if url.startswith("/") else self.on_api(url)

    def on_api(self, url: str) -> str | None:
        """`url` when it is on the API's scheme, host, port and path prefix, else None."""
        try:
            parts = urlsplit(url)
            where = (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
        except ValueError:
            return None
        if where != self._origin or not parts.path.startswith(self._prefix + "/"):
            return None
        return url

    def send(
        self,
        what: str,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        accept: str,
        follow: bool,
    ) -> Reply:
        """One HTTP exchange (plus same-host redirects of a GET); raises `ApiFailure`."""
        target = self.absolute(url)
        if target is None:
            raise ApiFailure(
                FailureKind.SERVER, f"{what}: a URL GitHub gave is not on the API host"
            )
        query = dict(params) if params else None
        for _hop in range(MAX_REDIRECTS + 1):
            left = self._deadline.remaining()
            if left <= MIN_REQUEST_TIME:
                raise ApiFailure(FailureKind.TIMEOUT, f"{what}: the run's API deadline passed")
            status, headers, content = self._exchange(
                what, method, target, query, body, accept, min(self._timeout, left)
            )
            location = headers.get("location", "")
            if follow and method == "GET" and status in (301, 302, 307, 308) and location:
                moved = self.on_api(urljoin(target, location))
                if moved is None:
                    message = f"{what}: GitHub redirected to another host"
                    raise ApiFailure(FailureKind.SERVER, message, status)
                target, query = moved, None
                continue
            if len(content) > RESPONSE_CAP:
                message = f"{what}: GitHub's answer is larger than 64 MiB"
                raise ApiFailure(FailureKind.SERVER, message, status)
            return Reply(status, headers, content)
        raise ApiFailure(FailureKind.SERVER, f"{what}: too many redirects")

    def _exchange(
        self,
        what: str,
        method: str,
        target: str,
        query: dict[str, Any] | None,
        body: Any,
        accept: str,
        timeout: float,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request through PyGithub's requester: (status, lower-case headers, body).

        `requestJson` does not raise for an error status and does not follow a `302`; it sets
        `Authorization: token ...` itself, and its session has an `auth` set, so requests never
        puts a `.netrc` entry in its place (PyGithub pull request 2703).
        """
        shorter = timeout < self._timeout
        if shorter:
            requester = self._connect(timeout)
        else:
            if self._requester is None:
                self._requester = self._connect(self._timeout)
            requester = self._requester
        try:
            status, headers, text = requester.requestJson(
                method, target, parameters=query, headers={"Accept": accept}, input=body
            )
        except requests.exceptions.RetryError as exc:
            held = next((c for c in _causes(exc) if isinstance(c, _HeldAnswer)), None)
            if held is None:
                raise _network_failure(what, exc, reached=False) from None
            return held.status, held.headers, b""
        except requests.RequestException as exc:
            raise _network_failure(what, exc, reached=False) from None
        except (http.client.HTTPException, OSError) as exc:
            text = f"{what}: the connection to the GitHub API failed ({type(exc).__name__})"
            raise ApiFailure(FailureKind.NETWORK, text) from None
        finally:
            if shorter:
                requester.close()
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        return status, lowered, text.encode("utf-8", "replace")


def _network_failure(what: str, exc: BaseException, reached: bool) -> ApiFailure:
    """Classify a requests exception; the text names the kind only (no URL, no token)."""
    names = {type(item).__name__ for item in _causes(exc)}
    never = {"NewConnectionError", "ConnectionRefusedError", "NameResolutionError"}
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        why, reached = "connect timeout", False
    elif isinstance(exc, requests.exceptions.Timeout):
        text = f"{what}: the GitHub API did not answer in time (read timeout)"
        return ApiFailure(FailureKind.TIMEOUT, text)
    elif isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        why, reached = type(exc).__name__, False
    elif isinstance(exc, requests.exceptions.ConnectionError) and not reached and names & never:
        why = "connection refused or no such host"
    else:
        text = f"{what}: the connection to the GitHub API failed ({type(exc).__name__})"
        return ApiFailure(FailureKind.NETWORK, text)
    return ApiFailure(
        FailureKind.NETWORK, f"{what}: cannot reach the GitHub API ({why})", reached=False
    )


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(out) < 12:
        current = pending.pop(0)
        if any(current is seen for seen in out):
            continue
        out.append(current)
        linked = [getattr(current, "reason", None), current.__cause__, current.__context__]
        linked += list(current.args)
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return out


def next_link(header: str) -> str | None:
    """The `rel="next"` URL of a `Link` header, None when there is none."""
    if not header or len(header) > 16 * 1024:
        return None
    try:
        links = parse_header_links(header)
    except (ValueError, IndexError):
        return None
    for link in links:
        if link.get("rel") == "next" and link.get("url"):
            return str(link["url"])
    return None


def page_key(url: str, params: Mapping[str, Any] | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two page requests the same request: path and query, in any order."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(str(k), str(v)) for k, v in (params or {}).items()]
    return parts.path.lower(), tuple(sorted(query))


def _too_long(data: Any) -> bool:
    """A 422 that says the comment body is too long (current and older error shapes)."""
    texts = [data.get("message")] if isinstance(data, dict) else []
    errors = data.get("errors") if isinstance(data, dict) else None
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            texts.append(error.get("message"))
        elif isinstance(error, str):
            texts.append(error)
    return any(isinstance(t, str) and "body is too long" in t.lower() for t in texts)


def classify(what: str, reply: Reply) -> ApiFailure:
    """The failure an HTTP error answer stands for (rate limits as the docs describe them)."""
    status, h = reply.status, reply.headers
    try:
        data = json.loads(reply.content) if reply.content else None
    except ValueError:
        data = None
    message = data.get("message", "") if isinstance(data, dict) else ""
    message = " ".join(str(message).split())[:200]
    limited = (
        "rate limit" in message.lower()
        or h.get("x-ratelimit-remaining") == "0"
        or "retry-after" in h
    )
    if status == 429 or (status == 403 and limited):
        text = f"{what}: rate limited by GitHub ({status})"
        return ApiFailure(FailureKind.RATE_LIMIT, text, status)
    if status == 401:
        text = f"{what}: the token was refused (401 Bad credentials)"
        return ApiFailure(FailureKind.AUTH, text, status)
    if status == 403:
        needed = h.get("x-accepted-github-permissions", "")[:200]
        extra = f"; it needs {needed}" if needed else ""
        text = f"{what}: the token may not do this (403 {message or 'Forbidden'}{extra})"
        return ApiFailure(FailureKind.PERMISSION, text, status)
    if status == 404:
        return ApiFailure(FailureKind.NOT_FOUND, f"{what}: not found (404)", status)
    if status == 410:
        return ApiFailure(FailureKind.GONE, f"{what}: gone (410 {message})", status)
    if status == 422 and _too_long(data):
        text = f"{what}: GitHub refused the body as too long (422)"
        return ApiFailure(FailureKind.TOO_LONG, text, status)
    if status >= 500 or status == 202:
        return ApiFailure(FailureKind.SERVER, f"{what}: GitHub answered {status}", status)
    text = f"{what}: GitHub answered {status} {message}".rstrip()
    return ApiFailure(FailureKind.CLIENT, text, status)
