"""Twirp JSON for the fake: request decoding by proto3 JSON rules (I.2.3), replies and errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

SERVICE_PREFIX: Final = "/twirp/github.actions.results.api.v1.ArtifactService/"

STRING, INT32, INT64, TIMESTAMP, STRING_VALUE, INT64_VALUE = (
    "string",
    "int32",
    "int64",
    "timestamp",
    "StringValue",
    "Int64Value",
)
_IDS = {"workflow_run_backend_id": STRING, "workflow_job_run_backend_id": STRING}

#: Request messages by method: field (proto name) -> wire kind.
REQUEST_FIELDS: Final[dict[str, dict[str, str]]] = {
    "CreateArtifact": {
        **_IDS,
        "name": STRING,
        "expires_at": TIMESTAMP,
        "version": INT32,
        "mime_type": STRING_VALUE,
    },
    "FinalizeArtifact": {**_IDS, "name": STRING, "size": INT64, "hash": STRING_VALUE},
    "ListArtifacts": {**_IDS, "name_filter": STRING_VALUE, "id_filter": INT64_VALUE},
    "GetSignedArtifactURL": {**_IDS, "name": STRING},
    "DeleteArtifact": {**_IDS, "name": STRING},
}
METHODS: Final = frozenset(REQUEST_FIELDS)

#: Twirp error code -> HTTP status (twirp errors.go).
CODE_STATUS: Final = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "data_loss": 500,
}

_INT = re.compile(r"-?[0-9]+")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})"
)


class TwirpError(Exception):
    """A Twirp error reply: HTTP status from the code, JSON ``{code, msg[, meta]}``."""

    def __init__(self, code: str, msg: str, meta: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.meta = code, msg, meta or {}

    @property
    def status(self) -> int:
        return CODE_STATUS[self.code]

    def body(self) -> bytes:
        payload: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.meta:
            payload["meta"] = self.meta
        return json.dumps(payload).encode()


class UnknownField(Exception):
    """A request key the message does not have; only raised in strict mode."""


def malformed() -> TwirpError:
    return TwirpError("malformed", "the json request could not be decoded")


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def decode_request(method: str, body: bytes, *, strict: bool) -> dict[str, Any]:
    """The request as {proto name: Python value}; absent and null keys are left out."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise malformed() from None
    if not isinstance(document, dict):
        raise malformed()
    fields = REQUEST_FIELDS[method]
    by_json_name = {**{camel(name): name for name in fields}, **{name: name for name in fields}}
    decoded: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in document.items():
        name = by_json_name.get(key)
        if name is None:
            if strict:
                raise UnknownField(key)
            continue
        if name in seen:  # both spellings of one field, as protojson rejects
            raise malformed()
        seen.add(name)
        if value is None:
            continue
        decoded[name] = _convert(fields[name], value)
    return decoded


def _convert(kind: str, value: Any) -> Any:
    if kind in (STRING, STRING_VALUE):
        # A wrapper must be the bare value: {"value": ...} fails like protobuf-ts / protojson.
        if not isinstance(value, str):
            raise malformed()
        return value
    if kind in (INT32, INT64, INT64_VALUE):
        number = _integer(value)
        bits = 31 if kind == INT32 else 63
        if number is None or not -(2**bits) <= number < 2**bits:
            raise malformed()
        return number
    if kind == TIMESTAMP:
        if not isinstance(value, str):
            raise malformed()
        moment = parse_timestamp(value)
        if moment is None:
            raise malformed()
        return moment
    raise AssertionError(kind)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    return None


def parse_timestamp(text: str) -> datetime | None:
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment


def format_timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if moment.microsecond >= 1000 else f"{text}Z"


def encode_reply(reply: dict[str, Any], *, camel_keys: bool, emit_defaults: bool) -> bytes:
    """A reply message in wire form (values already wire-typed) with the fake's knobs applied."""
    return json.dumps(_shape(reply, camel_keys, emit_defaults), separators=(",", ":")).encode()


def _shape(value: Any, camel_keys: bool, emit_defaults: bool) -> Any:
    if isinstance(value, list):
        return [_shape(item, camel_keys, emit_defaults) for item in value]
    if not isinstance(value, dict):
        return value
    shaped: dict[str, Any] = {}
    for key, item in value.items():
        if not emit_defaults and _is_default(item):
            continue
        shaped[camel(key) if camel_keys else key] = _shape(item, camel_keys, emit_defaults)
    return shaped


def _is_default(value: Any) -> bool:
    return value is None or value is False or value == [] or value in ("", "0")
