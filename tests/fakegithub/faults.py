"""Fault injection: what can go wrong on a route, and the table of armed faults.

A `Fault` describes one abnormal answer. `FaultTable.inject(target, *faults)` arms faults for a
target: a route name (`"create_comment"`, `"storage_download"`, see `ROUTE_NAMES`) or
`"<METHOD> <regex>"` matched with `re.search` against the request path (without the GHES prefix
and without the query); `*` as method matches any. Queued faults are consumed one per matching
request, in order; a persistent fault fires on every matching request until cleared.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["respond", "store_then_fail", "delay", "truncate", "reset"]

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
CONTENT_CREATION_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content "
    "creation. Please retry your request again later."
)
PRIMARY_MESSAGE = (
    "API rate limit exceeded for installation ID 123. If you reach out to GitHub Support for "
    "help, please include the request ID."
)

BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)

DEFAULT_MESSAGES: Mapping[int, str] = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting "
    "your request and contact us if the problem persists.",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One abnormal answer.

    kind:
      * `respond` — answer `status` with `body` (default: a GitHub error body with `message`)
        instead of handling the request;
      * `store_then_fail` — handle the request normally (state changes happen), then answer
        `status` anyway (duplicate-write tests);
      * `delay` — sleep `delay` seconds, then handle normally;
      * `truncate` — handle normally but send only half of the body (full `Content-Length`),
        then close the connection;
      * `reset` — close the connection without an answer (RST).
    `delay` also applies before `respond`/`store_then_fail`/`truncate`/`reset`.
    `reset_in` (seconds from now, real time) sets `X-RateLimit-Remaining: 0` and
    `X-RateLimit-Reset` for primary rate limits.
    """

    kind: FaultKind = "respond"
    status: int = 500
    message: str | None = None
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    reset_in: float | None = None

    # ---- constructors -------------------------------------------------------------------

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Any status with a GitHub error body (`message`, `documentation_url`, `status`)."""
        return cls(status=status, message=message, headers=_pairs(headers), delay=delay)

    @classmethod
    def bad_gateway(cls) -> Fault:
        """502 with the HTML page a proxy in front of GitHub sends."""
        return cls(status=502, body=BAD_GATEWAY_HTML, content_type="text/html")

    @classmethod
    def unavailable(cls, retry_after: int | None = None) -> Fault:
        """503 `Service Unavailable`, optionally with `Retry-After`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return cls.error(503, headers=headers)

    @classmethod
    def primary_rate_limit(cls, status: int = 403, *, reset_in: float = 2.0) -> Fault:
        """Primary limit: 403 (or 429), `x-ratelimit-remaining: 0`, reset `reset_in` s ahead."""
        return cls(status=status, message=PRIMARY_MESSAGE, reset_in=reset_in)

    @classmethod
    def secondary_rate_limit(
        cls,
        status: int = 403,
        *,
        retry_after: int | None = None,
        content_creation: bool = False,
    ) -> Fault:
        """Secondary limit (403 or 429), with or without `Retry-After`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        message = CONTENT_CREATION_MESSAGE if content_creation else SECONDARY_MESSAGE
        return cls.error(status, message, headers=headers)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, `seconds` late."""
        return cls(kind="delay", delay=seconds)

    @classmethod
    def malformed_json(cls, status: int = 200) -> Fault:
        """A JSON content type with a body cut mid-object."""
        return cls(status=status, body=b'{"id": 3000000001, "body": "trunc')

    @classmethod
    def store_then_fail(cls, status: int = 500) -> Fault:
        """Perform the write, then answer `status` as if it had failed."""
        return cls(kind="store_then_fail", status=status)

    @classmethod
    def truncated_body(cls) -> Fault:
        """Send the headers and half the body, then drop the connection."""
        return cls(kind="truncate")

    @classmethod
    def connection_reset(cls) -> Fault:
        """Drop the connection without answering."""
        return cls(kind="reset")

    # ---- rendering ----------------------------------------------------------------------

    def render_body(self, documentation_url: str) -> bytes:
        if self.body is not None:
            return self.body
        message = self.message or DEFAULT_MESSAGES.get(self.status, "Error")
        doc: dict[str, object] = {
            "message": message,
            "documentation_url": documentation_url,
            "status": str(self.status),
        }
        if self.status == 422 and self.message is None:
            doc["errors"] = []
        return json.dumps(doc).encode()

    def render_headers(self) -> list[tuple[str, str]]:
        headers = list(self.headers)
        if self.reset_in is not None:
            headers += [
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", str(int(time.time() + self.reset_in))),
            ]
        return headers


def _pairs(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple((headers or {}).items())


@dataclass(slots=True)
class FaultRule:
    """Faults armed for one target. `hits` counts how many requests it has answered."""

    target: str
    route: str | None
    method: str | None
    pattern: re.Pattern[str] | None
    queue: deque[Fault]
    persistent: Fault | None = None
    hits: int = 0

    @property
    def pending(self) -> int:
        """Queued faults not yet consumed (0 for a persistent rule)."""
        return len(self.queue)

    def matches(self, route: str | None, method: str, path: str) -> bool:
        if self.route is not None:
            return route == self.route
        if self.method is not None and self.method != method:
            return False
        assert self.pattern is not None
        return self.pattern.search(path) is not None


@dataclass(slots=True)
class FaultTable:
    known_routes: frozenset[str]
    _rules: list[FaultRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, target: str, *faults: Fault, persistent: bool = False) -> FaultRule:
        """Arm `faults` for `target` (route name or `"METHOD regex"`); see the module doc."""
        if not faults:
            raise ValueError("inject() needs at least one Fault")
        if persistent and len(faults) != 1:
            raise ValueError("a persistent rule takes exactly one Fault")
        route = method = None
        pattern = None
        if " " in target:
            verb, regex = target.split(" ", 1)
            method = None if verb == "*" else verb.upper()
            pattern = re.compile(regex)
        elif target in self.known_routes:
            route = target
        else:
            raise ValueError(f"unknown route name {target!r}; known: {sorted(self.known_routes)}")
        rule = FaultRule(
            target=target,
            route=route,
            method=method,
            pattern=pattern,
            queue=deque() if persistent else deque(faults),
            persistent=faults[0] if persistent else None,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, route: str | None, method: str, path: str) -> Fault | None:
        """The fault for this request, consuming a queued one; None when nothing is armed."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(route, method, path):
                    continue
                if rule.queue:
                    rule.hits += 1
                    return rule.queue.popleft()
                if rule.persistent is not None:
                    rule.hits += 1
                    return rule.persistent
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)
