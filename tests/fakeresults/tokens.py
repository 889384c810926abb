"""Mints and verifies the fake's ACTIONS_RUNTIME_TOKEN JWTs (HS256), including the I.1 variants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any, Final

RESULTS_SCOPE: Final = "Actions.Results"
TOKEN_TTL: Final = 6 * 3600

#: The token shapes of I.1 the action must treat as "unavailable" (no HTTP request at all).
UNAVAILABLE_VARIANTS: Final = (
    "no_scp",
    "empty_scp",
    "no_results_scope",
    "one_id",
    "four_parts",
    "scp_array",
    "not_jwt",
    "payload_not_json",
    "payload_not_object",
)
_MISSING = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def results_scope(run_backend_id: str, job_backend_id: str) -> str:
    """The scp claim the runner gives a job: an unrelated scope first, then Actions.Results."""
    return f"Actions.GenericRead:{uuid.uuid4()} {RESULTS_SCOPE}:{run_backend_id}:{job_backend_id}"


def mint_token(
    secret: bytes,
    scp: Any = _MISSING,
    *,
    now: float | None = None,
    ttl: float = TOKEN_TTL,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """``base64url(header).base64url(payload).base64url(HMAC-SHA256)``; ``scp`` left out if not given."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {}
    if scp is not _MISSING:
        payload["scp"] = scp
    payload.update({"iat": issued, "nbf": issued, "exp": int(issued + ttl)})
    payload.update(extra_claims or {})
    return _sign(secret, json.dumps(payload, separators=(",", ":")).encode())


def _sign(secret: bytes, payload: bytes) -> str:
    header = json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode()
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def token_variant(secret: bytes, kind: str, run_backend_id: str, job_backend_id: str) -> str:
    """A token of one I.1 shape; every kind in :data:`UNAVAILABLE_VARIANTS` is signed validly."""
    generic = f"Actions.GenericRead:{uuid.uuid4()}"
    if kind == "no_scp":
        return mint_token(secret)
    if kind == "empty_scp":
        return mint_token(secret, "")
    if kind == "no_results_scope":
        return mint_token(secret, f"{generic} Actions.UploadArtifacts:{run_backend_id}")
    if kind == "one_id":
        return mint_token(secret, f"{generic} {RESULTS_SCOPE}:{run_backend_id}")
    if kind == "four_parts":
        return mint_token(
            secret,
            f"{RESULTS_SCOPE}:{run_backend_id}:{job_backend_id}:x "
            f"{RESULTS_SCOPE}:{run_backend_id}:{job_backend_id}",
        )
    if kind == "scp_array":
        return mint_token(secret, [generic, f"{RESULTS_SCOPE}:{run_backend_id}:{job_backend_id}"])
    if kind == "not_jwt":
        return "ghs_" + hashlib.sha256(secret).hexdigest()[:36]
    if kind == "payload_not_json":
        return _sign(secret, b"\xff{not json")
    if kind == "payload_not_object":
        return _sign(secret, b'["Actions.Results:1:2"]')
    if kind == "expired":
        return mint_token(
            secret, results_scope(run_backend_id, job_backend_id), now=time.time() - 7200, ttl=60
        )
    if kind == "bad_signature":
        return mint_token(b"not-the-fake-secret", results_scope(run_backend_id, job_backend_id))
    raise ValueError(f"unknown token variant {kind!r}")


def verify_token(secret: bytes, token: str, now: float) -> tuple[str, str] | None:
    """The (run, job) backend IDs of a token this fake signed and that has not expired."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_b64url_decode(parts[2]), expected):
            return None
        payload = json.loads(_b64url_decode(parts[1]))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    exp, nbf = payload.get("exp"), payload.get("nbf", 0)
    if not isinstance(exp, int | float) or exp <= now or not isinstance(nbf, int | float):
        return None
    if nbf > now + 60:
        return None
    scp = payload.get("scp")
    if not isinstance(scp, str):
        return None
    for scope in scp.split(" "):
        scope_parts = scope.split(":")
        if scope_parts[0] == RESULTS_SCOPE:
            if len(scope_parts) == 3 and all(scope_parts[1:]):
                return scope_parts[1], scope_parts[2]
            return None
    return None
