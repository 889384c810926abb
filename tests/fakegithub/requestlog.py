"""The request log: every request either listener received, in arrival order."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RecordedRequest:
    """One received request. `status` and the `response_*` fields are filled in once the answer is
    known (`status` None for a reset).

    `host` is `"api"` or `"storage"` (other fakes sharing the log may use their own names);
    `path` is the raw request path including any GHES prefix; `query` keeps order and repeats.
    """

    seq: int
    host: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    route: str | None = None
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    #: The kind of the injected fault that replaced the answer (not judged by GitHub's description).
    fault: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def params(self) -> dict[str, str]:
        """Query parameters as a dict (last value wins)."""
        return dict(self.query)

    @property
    def token(self) -> str | None:
        """The credential from `Authorization: token|Bearer <t>`, or None."""
        value = self.header("Authorization")
        if not value or " " not in value:
            return None
        return value.split(" ", 1)[1].strip()

    def json(self) -> Any:
        """The body parsed as JSON (raises on invalid JSON)."""
        return json.loads(self.body)


@dataclass(slots=True)
class RequestLog:
    _records: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        host: str,
        method: str,
        path: str,
        query: tuple[tuple[str, str], ...],
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        route: str | None = None,
    ) -> RecordedRequest:
        with self._lock:
            entry = RecordedRequest(
                len(self._records) + 1, host, method, path, query, headers, body, route
            )
            self._records.append(entry)
            return entry

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
