"""One HTTP exchange with GitHub's REST API, and what its answer means (`ApiFailure` kinds).

`Transport.send` makes one request through requests (proxy and CA variables honoured, the
token set explicitly so no `.netrc` entry replaces it), follows redirects of a GET only on the
API host, reads the body within the run's deadline and a size cap, and turns every transport
problem into an `ApiFailure`. `classify` names the failure an HTTP error status stands for.
Retrying is `github_rest`'s job; nothing here sleeps.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
from requests.auth import AuthBase
from requests.utils import parse_header_links

from covaction import __version__
from covaction.edges.retry import Deadline
from covaction.errors import ApiError

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


class _TokenAuth(AuthBase):
    """Sets the token; an explicit auth also keeps requests from using a `.netrc` entry."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"token {self._token}"
        return request

    def __repr__(self) -> str:
        return "_TokenAuth(***)"


class Transport:
    """HTTP to one API base URL (`https://api.github.com`, or GHES's `https://HOST/api/v3`)."""

    def __init__(
        self,
        token: str,
        api_url: str,
        deadline: Deadline,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self._token = token
        self._deadline = deadline
        self._timeout = max(0.1, timeout)
        self.session = session or requests.Session()
        base = urlsplit(api_url.rstrip("/"))
        self._base = f"{base.scheme}://{base.netloc}{base.path}"
        self._origin = (base.scheme.lower(), (base.hostname or "").lower(), base.port)
        self._prefix = base.path

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
        headers = {"Accept": accept, "User-Agent": f"covaction/{__version__}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
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
            timeout = min(self._timeout, left)
            try:
                response = self.session.request(
                    method,
                    target,
                    params=query,
                    data=data,
                    headers=headers,
                    auth=_TokenAuth(self._token),
                    timeout=(min(10.0, timeout), timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                raise _network_failure(what, exc, reached=False) from None
            with response:
                lowered = {k.lower(): v for k, v in response.headers.items()}
                status = response.status_code
                location = lowered.get("location", "")
                if follow and method == "GET" and status in (301, 302, 307, 308) and location:
                    moved = self.on_api(urljoin(target, location))
                    if moved is None:
                        message = f"{what}: GitHub redirected to another host"
                        raise ApiFailure(FailureKind.SERVER, message, status)
                    target, query = moved, None
                    continue
                return Reply(status, lowered, self._read(what, response))
        raise ApiFailure(FailureKind.SERVER, f"{what}: too many redirects")

    def _read(self, what: str, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > RESPONSE_CAP:
                    message = f"{what}: GitHub's answer is larger than 64 MiB"
                    raise ApiFailure(FailureKind.SERVER, message, response.status_code)
                if self._deadline.passed():
                    message = f"{what}: the run's API deadline passed while GitHub answered"
                    raise ApiFailure(FailureKind.TIMEOUT, message)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise _network_failure(what, exc, reached=True) from None
        except (http.client.HTTPException, OSError) as exc:
            text = f"{what}: the connection to the GitHub API failed ({type(exc).__name__})"
            raise ApiFailure(FailureKind.NETWORK, text) from None
        return b"".join(chunks)


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
