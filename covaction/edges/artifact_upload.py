"""Stores one file as a zipped artifact of the current run through the Results service (v4).

The protocol, retry policy and unavailability rules are those of the toolkit's artifact client
(actions/toolkit ``packages/artifact``: ``internal/upload/upload-artifact.ts``,
``internal/shared/artifact-twirp-client.ts``, ``internal/shared/config.ts``,
``internal/upload/path-and-artifact-name-validation.ts``): Twirp JSON calls to
``ACTIONS_RESULTS_URL`` authenticated with the job's ``ACTIONS_RUNTIME_TOKEN``, and a Put Block /
Put Block List pair to the signed blob URL the service hands out (Azure Blob Storage REST API).
Nothing here prints: the caller reports the :class:`UploadResult` and, when the upload did not
happen, writes the file for an ``actions/upload-artifact`` step instead.

The runtime token and the signed URL are secrets: they never appear in a result, a message or an
exception, and the token is sent to the Results origin only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import http
import io
import json
import logging
import random
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

import requests
from requests.auth import AuthBase
from urllib3.exceptions import ProtocolError

from covaction import __version__
from covaction.edges.retry import Deadline, RetryPolicy

SERVICE_PATH: Final = "/twirp/github.actions.results.api.v1.ArtifactService/"
ARTIFACT_VERSION: Final = 4
BLOB_CONTENT_TYPE: Final = "application/zip"
MAX_NAME_LENGTH: Final = 100
FORBIDDEN_NAME_CHARACTERS: Final = '":<>|*?\r\n\\/'

#: The toolkit's Twirp client (artifact-twirp-client.ts): 5 attempts, 3 s after the first
#: failure, then 1.5 times longer each time, drawn from [w, 1.5 w].
TWIRP_POLICY: Final = RetryPolicy(attempts=5, first=3.0, factor=1.5, jitter=0.5)
TWIRP_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: @azure/storage-blob's StorageRetryPolicy: 4 tries, (2 ** (n - 1) - 1) * 4 s, <= 120 s.
BLOB_POLICY: Final = RetryPolicy(attempts=4, first=4.0, factor=2.0, less=4.0, cap=120.0)
BLOB_RETRY_STATUSES: Final = frozenset({500, 503})
BLOCK_SIZE: Final = 8 * 1024 * 1024

_JWT_CHARACTERS = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]*)+=*")
_B64URL = re.compile(r"[A-Za-z0-9_\-]*")
# A JWT's header is base64url of '{"…', which always starts with "eyJ".
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_\-.]{8,}")
_SIGNATURE_PARAM = re.compile(r"(?i)\bsig=[^&\s\"']*")
_NETWORK_HINT = (
    "self-hosted runners need egress to results-receiver.actions.githubusercontent.com "
    "and *.blob.core.windows.net"
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timing:
    """Clock, sleep, jitter and timeouts of the upload; tests replace them to run instantly."""

    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] = random.uniform
    now: Callable[[], datetime] = _utcnow
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


@dataclass(frozen=True)
class UploadResult:
    """What became of one upload: stored with an ID, or not stored and why (one line)."""

    uploaded: bool
    artifact_id: int | None
    reason: str = ""
    unavailable: bool = False
    """True when the service cannot be used here at all (GHES, no runtime token, no results
    URL), False for a service error."""
    size: int = 0
    """Bytes of the zip that was (or would have been) uploaded."""
    digest: str = ""
    """``sha256:<hex>`` of that zip, as the service stores it."""
    artifact_url: str | None = None
    replaced_artifact_id: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Target:
    token: str = field(repr=False)
    origin: str
    run_backend_id: str
    job_backend_id: str

    def ids(self) -> dict[str, str]:
        return {
            "workflow_run_backend_id": self.run_backend_id,
            "workflow_job_run_backend_id": self.job_backend_id,
        }


# ---------------------------------------------------------------------------------------------
# Pure checks


def artifact_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an artifact name (the toolkit's
    path-and-artifact-name-validation.ts), or None when it can."""
    if not name:
        return "the artifact name is empty"
    bad = sorted({c for c in name if c in FORBIDDEN_NAME_CHARACTERS})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"the artifact name contains characters that are not allowed: {shown}"
    if not name.isascii() or not name.isprintable():
        return "the artifact name must be printable ASCII"
    if len(name) > MAX_NAME_LENGTH:
        return f"the artifact name is longer than {MAX_NAME_LENGTH} characters"
    return None


def availability(environ: Mapping[str, str]) -> str | None:
    """Why the artifact service cannot be used from this environment (the toolkit's
    config.ts and upload-artifact.ts checks), or None."""
    target = _target(environ)
    return target if isinstance(target, str) else None


def fallback_hint(environ: Mapping[str, str]) -> str:
    """How the user stores the file instead: the upload-artifact major that works on this host."""
    major = "v4" if _supported_host(environ) else "v3"
    return f"store the file with an actions/upload-artifact@{major} step instead"


def zip_single_file(filename: str, data: bytes) -> bytes:
    """A deflated zip holding ``data`` as ``filename`` at its root, byte-for-byte reproducible."""
    info = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, data)
    return buffer.getvalue()


def _supported_host(environ: Mapping[str, str]) -> bool:
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    try:
        host = urlsplit(server).hostname or ""
    except ValueError:
        return False
    return host == "github.com" or host.endswith((".ghe.com", ".localhost"))


def _target(environ: Mapping[str, str]) -> _Target | str:
    if environ.get("GITHUB_ACTIONS") != "true":
        return 'not running on a GitHub Actions runner (GITHUB_ACTIONS is not "true")'
    if not _supported_host(environ):
        return (
            "GitHub Enterprise Server or another forge: the artifact service v4 is not supported "
            "on this host"
        )
    token = environ.get("ACTIONS_RUNTIME_TOKEN", "")
    if not token:
        return (
            "ACTIONS_RUNTIME_TOKEN is not set (only container and JavaScript action steps get it)"
        )
    results_url = environ.get("ACTIONS_RESULTS_URL", "")
    if not results_url:
        return "ACTIONS_RESULTS_URL is not set (runner older than 2.308.0 or no Results service)"
    origin = _origin(results_url)
    if origin is None:
        return "ACTIONS_RESULTS_URL is not an absolute http(s) URL"
    ids = _backend_ids(token)
    if isinstance(ids, str):
        return ids
    return _Target(token=token, origin=origin, run_backend_id=ids[0], job_backend_id=ids[1])


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` like ``new URL(url).origin``; None if not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


def _backend_ids(token: str) -> tuple[str, str] | str:
    """The two backend IDs from the token's ``scp`` claim (the toolkit's util.ts
    getBackendIdsFromToken), or why there are none."""
    not_jwt = "ACTIONS_RUNTIME_TOKEN is not a JWT"
    # The character check also keeps a token with CR/LF out of a header, where requests would
    # echo it in its exception text.
    if not _JWT_CHARACTERS.fullmatch(token):
        return not_jwt
    segment = token.split(".")[1]
    if not segment or not _B64URL.fullmatch(segment):
        return not_jwt
    try:
        raw = base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return not_jwt
    if not isinstance(payload, dict):
        return not_jwt
    scp = payload.get("scp")
    if not isinstance(scp, str) or not scp:
        return "the runtime token lacks the Actions.Results scope (no scp claim)"
    for scope in scp.split(" "):
        parts = scope.split(":")
        if parts[0] != "Actions.Results":
            continue
        if len(parts) == 3 and parts[1] and parts[2]:
            return parts[1], parts[2]
        return "the runtime token's Actions.Results scope is malformed"
    return "the runtime token lacks the Actions.Results scope"


# ---------------------------------------------------------------------------------------------
# The upload


def upload_artifact(
    name: str,
    filename: str,
    data: bytes,
    *,
    environ: Mapping[str, str],
    session: requests.Session | None = None,
    retention_days: int | None = None,
    timing: Timing | None = None,
    deadline: Deadline | None = None,
) -> UploadResult:
    """Zip ``data`` as ``filename`` and store it as artifact ``name`` of the current run.

    With a ``deadline`` (the run's API deadline), no request starts and no retry waits past it.

    Never raises for an unavailable or failing service: the result says what happened. Raises
    ``ValueError`` only for arguments the caller should have validated (name, file name,
    retention).
    """
    problem = artifact_name_problem(name)
    if problem:
        raise ValueError(problem)
    if not filename or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise ValueError("the file name must be a plain name without directories")
    if any(c in FORBIDDEN_NAME_CHARACTERS for c in filename):
        raise ValueError("the file name contains characters that are not allowed")
    if retention_days is not None and retention_days < 1:
        raise ValueError("retention_days must be at least 1")

    content = zip_single_file(filename, data)
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    fallback = fallback_hint(environ)
    target = _target(environ)
    if isinstance(target, str):
        return UploadResult(
            uploaded=False,
            artifact_id=None,
            reason=f"{target}; {fallback}",
            unavailable=True,
            size=len(content),
            digest=digest,
        )

    _guard_transport_log()
    own_session = session is None
    http_session = requests.Session() if session is None else session
    uploader = _Uploader(target, http_session, timing or Timing(), name, deadline)
    try:
        with deadline.running() if deadline is not None else contextlib.nullcontext():
            outcome = uploader.run(content, digest, environ, retention_days)
    except _Failure as failure:
        why = uploader.redact(failure.why)
        return UploadResult(
            uploaded=False,
            artifact_id=None,
            reason=f"{why}; {fallback}",
            unavailable=failure.unavailable,
            size=len(content),
            digest=digest,
            warnings=tuple(uploader.redact(w) for w in uploader.warnings),
        )
    finally:
        if own_session:
            http_session.close()
    artifact_id, replaced = outcome
    return UploadResult(
        uploaded=True,
        artifact_id=artifact_id,
        size=len(content),
        digest=digest,
        artifact_url=_artifact_url(environ, artifact_id),
        replaced_artifact_id=replaced,
        warnings=tuple(uploader.redact(w) for w in uploader.warnings),
    )


def _artifact_url(environ: Mapping[str, str], artifact_id: int | None) -> str | None:
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    if artifact_id is None or not repository or not run_id.isdigit():
        return None
    return f"{server}/{repository}/actions/runs/{run_id}/artifacts/{artifact_id}"


class _RedactSignatures(logging.Filter):
    """urllib3 logs every request line at DEBUG, and the blob URL's ``sig`` is a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _SIGNATURE_PARAM.sub("[sig redacted]", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGNATURE_PARAM.sub("[sig redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def _guard_transport_log() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactSignatures) for f in logger.filters):
        logger.addFilter(_RedactSignatures())


class _Failure(Exception):
    """Ends the upload; ``why`` is one line without secrets."""

    def __init__(self, why: str, *, unavailable: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.unavailable = unavailable


class _Refused(_Failure):
    """The service answered a Twirp call with a non-retryable error."""

    def __init__(self, method: str, status: int, code: str, msg: str) -> None:
        text = f"({status} {_phrase(status)})"
        if code or msg:
            text += f" {code or 'error'}: {msg}" if msg else f" {code}"
        super().__init__(f"the Results service refused {method}: {text}")
        self.status = status
        self.code = code


class _BearerAuth(AuthBase):
    """Sets the runtime token; an auth object also overrides any ``.netrc`` entry."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


class _NoAuth(AuthBase):
    """Keeps every credential (session header, session auth, ``.netrc``) off the blob URL."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


class _Uploader:
    def __init__(
        self,
        target: _Target,
        session: requests.Session,
        timing: Timing,
        name: str,
        deadline: Deadline | None = None,
    ) -> None:
        self._deadline = deadline
        self._target = target
        self._session = session
        self._timing = timing
        self._name = name
        self._secrets: list[str] = [target.token]
        self.warnings: list[str] = []
        self._headers = {
            "Content-Type": "application/json",
            "User-Agent": f"covaction/{__version__}",
        }

    def redact(self, text: str) -> str:
        """``text`` without the token, the signed URL or its signature, nor anything JWT-like."""
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return _JWT_LIKE.sub("***", text)

    # -- the sequence ---------------------------------------------------------------------

    def run(
        self,
        content: bytes,
        digest: str,
        environ: Mapping[str, str],
        retention_days: int | None,
    ) -> tuple[int | None, int | None]:
        # The suffix the toolkit's user-agent.ts adds when the runner sets it.
        orchestration = environ.get("ACTIONS_ORCHESTRATION_ID", "")
        if orchestration and orchestration.isprintable() and orchestration.isascii():
            self._headers["User-Agent"] += f" actions_orchestration_id/{orchestration}"
        create: dict[str, Any] = {
            **self._target.ids(),
            "name": self._name,
            "version": ARTIFACT_VERSION,
        }
        if retention_days is not None:
            create["expires_at"] = self._expires_at(retention_days, environ)

        replaced: int | None = None
        try:
            reply = self._call("CreateArtifact", create, first_create=True)
        except _Refused as refused:
            if refused.status != 409:
                raise
            replaced = self._make_room()
            try:
                reply = self._call("CreateArtifact", create)
            except _Refused as again:
                raise _Failure(
                    f"an artifact named {self._name!r} already exists on this run and could not "
                    f"be replaced: {again.why}"
                ) from None
        upload_url = _read(reply, "signed_upload_url")
        if _read(reply, "ok") is not True or not isinstance(upload_url, str):
            raise _Failure(
                "the Results service did not accept CreateArtifact (the reply is not ok)"
            )
        upload_url = upload_url.partition("#")[0]
        self._remember_url(upload_url)
        if _origin(upload_url) is None:
            raise _Failure("CreateArtifact returned an upload URL that is not http(s)")

        self._upload_blob(upload_url, content)

        finalize: dict[str, Any] = {**self._target.ids(), "name": self._name}
        if content:
            finalize["size"] = str(len(content))
        finalize["hash"] = digest
        reply = self._call("FinalizeArtifact", finalize)
        if _read(reply, "ok") is not True:
            raise _Failure(
                "the Results service did not accept FinalizeArtifact (the reply is not ok)"
            )
        artifact_id = _int64(_read(reply, "artifact_id")) or None
        if artifact_id is None:
            self.warnings.append(
                "the artifact was stored but the Results service did not say its ID"
            )
        return artifact_id, replaced

    def _expires_at(self, days: int, environ: Mapping[str, str]) -> str:
        limit_text = environ.get("GITHUB_RETENTION_DAYS", "")
        if limit_text.isdigit() and 0 < int(limit_text) < days:
            self.warnings.append(
                f"retention of {days} days is more than the repository allows; "
                f"using {int(limit_text)} days"
            )
            days = int(limit_text)
        return _timestamp(self._timing.now() + timedelta(days=days))

    def _make_room(self) -> int | None:
        """The overwrite path after a 409: list, delete the newest of that name (best effort)."""
        ids = self._target.ids()
        listed_id: int | None = None
        try:
            listing = self._call("ListArtifacts", {**ids, "name_filter": self._name})
        except _Failure:
            listing = {}
        artifacts = _read(listing, "artifacts")
        newest: dict[str, Any] | None = None
        for item in artifacts if isinstance(artifacts, list) else []:
            if not isinstance(item, dict) or _read(item, "name") != self._name:
                continue
            database_id = _int64(_read(item, "database_id"))
            if database_id is not None and (listed_id is None or database_id > listed_id):
                listed_id, newest = database_id, item
        if newest is not None:
            # The listed artifact may belong to another job of the run; Delete wants its IDs.
            run_id = _read(newest, "workflow_run_backend_id")
            job_id = _read(newest, "workflow_job_run_backend_id")
            if isinstance(run_id, str) and run_id and isinstance(job_id, str) and job_id:
                ids = {"workflow_run_backend_id": run_id, "workflow_job_run_backend_id": job_id}
        try:
            reply = self._call("DeleteArtifact", {**ids, "name": self._name})
        except _Failure:
            return None
        if _read(reply, "ok") is not True:
            return None
        replaced = _int64(_read(reply, "artifact_id")) or listed_id
        if replaced is not None:
            self.warnings.append(f"replaced artifact {replaced} named {self._name!r} on this run")
        else:
            self.warnings.append(f"replaced the artifact named {self._name!r} on this run")
        return replaced

    def _upload_blob(self, url: str, content: bytes) -> None:
        separator = "&" if urlsplit(url).query else ("" if url.endswith("?") else "?")
        block_ids: list[str] = []
        for index, start in enumerate(range(0, len(content), BLOCK_SIZE)):
            block_id = base64.b64encode(f"covaction-block-{index:08d}".encode()).decode()
            block_ids.append(block_id)
            self._put(
                f"{url}{separator}comp=block&blockid={quote(block_id, safe='')}",
                content[start : start + BLOCK_SIZE],
                {"Content-Type": "application/octet-stream"},
                "the block",
            )
        latest = "".join(f"<Latest>{block_id}</Latest>" for block_id in block_ids)
        block_list = f'<?xml version="1.0" encoding="UTF-8"?><BlockList>{latest}</BlockList>'
        self._put(
            f"{url}{separator}comp=blocklist",
            block_list.encode(),
            {"Content-Type": "application/xml", "x-ms-blob-content-type": BLOB_CONTENT_TYPE},
            "the block list",
        )

    # -- transport ------------------------------------------------------------------------

    def _timeout(self) -> tuple[float, float]:
        left = self._deadline.remaining() if self._deadline is not None else float("inf")
        return (min(self._timing.connect_timeout, left), min(self._timing.read_timeout, left))

    def _wait(self, seconds: float, what: str) -> None:
        """Sleep before an attempt (0 s before the first), unless the run's deadline comes first."""
        if self._deadline is not None and not self._deadline.allows(seconds + 0.05):
            raise _Failure(f"{what}: no time left before the run's API deadline")
        if seconds > 0:
            self._timing.sleep(seconds)

    def _call(
        self, method: str, body: Mapping[str, Any], *, first_create: bool = False
    ) -> dict[str, Any]:
        """One Twirp call with the toolkit's retry policy (artifact-twirp-client.ts)."""
        url = self._target.origin + SERVICE_PATH + method
        payload = json.dumps(body, separators=(",", ":")).encode()
        last = ""
        for attempt in range(TWIRP_POLICY.attempts):
            self._wait(TWIRP_POLICY.wait(attempt, self._timing.uniform) if attempt else 0, method)
            try:
                response = self._session.post(
                    url,
                    data=payload,
                    headers=self._headers,
                    auth=_BearerAuth(self._target.token),
                    timeout=self._timeout(),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                kind, what = _network_failure(exc)
                if kind == "connect" and first_create and attempt == 0:
                    raise _Failure(
                        f"no artifact service answers at ACTIONS_RESULTS_URL ({what})",
                        unavailable=True,
                    ) from None
                if kind != "retry":
                    raise _Failure(
                        f"{method} could not reach the Results service ({what}); {_NETWORK_HINT}"
                    ) from None
                last = what
                continue
            status = response.status_code
            reply = _json_object(response.content)
            if first_create and (
                status == 501
                or (status == 404 and (reply is None or reply.get("code") == "bad_route"))
            ):
                raise _Failure(
                    f"no artifact service at ACTIONS_RESULTS_URL ({status} {_phrase(status)})",
                    unavailable=True,
                )
            if reply is None:
                last = f"({status} {_phrase(status)}) the reply is not JSON"
                continue
            if 200 <= status < 300:
                return reply
            # Redact before shortening: a cut-off token would slip past the exact match.
            code = _one_line(self.redact(str(reply.get("code") or "")), 40)
            msg = _one_line(self.redact(str(reply.get("msg") or "")), 300)
            if "insufficient usage" in msg:
                raise _Failure(f"the artifact storage quota is used up ({method}: {msg})")
            if status in TWIRP_RETRY_STATUSES:
                last = f"({status} {_phrase(status)}) {code}: {msg}"
                continue
            raise _Refused(method, status, code, msg)
        raise _Failure(f"{method} failed after {TWIRP_POLICY.attempts} attempts: {last}")

    def _put(self, url: str, body: bytes, headers: Mapping[str, str], what: str) -> None:
        """One blob request with the Azure SDK's storage retry policy."""
        last = ""
        for attempt in range(BLOB_POLICY.attempts):
            self._wait(BLOB_POLICY.wait(attempt) if attempt else 0, f"uploading {what}")
            try:
                response = self._session.put(
                    url,
                    data=body,
                    headers=headers,
                    auth=_NoAuth(),
                    timeout=self._timeout(),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                kind, description = _network_failure(exc)
                if kind == "other":
                    raise _Failure(
                        f"uploading {what} to blob storage failed ({description})"
                    ) from None
                last = description
                continue
            status = response.status_code
            if status == 201:
                return
            error = response.headers.get("x-ms-error-code", "")
            error = error if re.fullmatch(r"[A-Za-z0-9]{1,64}", error) else ""
            text = f"({status} {_phrase(status)}{' ' + error if error else ''})"
            if status in BLOB_RETRY_STATUSES:
                last = text
                continue
            hint = ""
            if status == 403:
                hint = ": the signed upload URL expired or is not valid"
            raise _Failure(f"blob storage refused {what} {text}{hint}")
        raise _Failure(
            f"uploading {what} to blob storage failed after {BLOB_POLICY.attempts} tries: {last}; "
            f"{_NETWORK_HINT}"
        )

    def _remember_url(self, url: str) -> None:
        self._secrets.append(url)
        for key, _, value in (p.partition("=") for p in urlsplit(url).query.split("&")):
            if key == "sig" and value:
                self._secrets.extend({value, unquote(value)})


# ---------------------------------------------------------------------------------------------
# Wire helpers


def _read(reply: Mapping[str, Any], snake: str) -> Any:
    """A reply field in either spelling: snake_case (GitHub) or lowerCamelCase (act, Gitea)."""
    if snake in reply:
        return reply[snake]
    head, *rest = snake.split("_")
    return reply.get(head + "".join(part.capitalize() for part in rest))


def _int64(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def _one_line(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (urllib3 ``reason``/args) and its causes, a few levels deep."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 12:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        linked = [reason, current.__cause__, current.__context__, *current.args]
        pending.extend(item for item in linked if isinstance(item, BaseException))


def _network_failure(exc: requests.RequestException) -> tuple[str, str]:
    """Classify a transport error: ``connect`` (never reached), ``retry`` or ``other``.

    The description names the kind of failure only: exception texts carry the URL, and the blob
    URL is a secret.
    """
    chain = list(_causes(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return "connect", "TLS failure"
    if isinstance(exc, requests.ConnectTimeout):
        return "connect", "connect timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "retry", "read timeout"
    if isinstance(exc, requests.ConnectionError):
        if any(isinstance(item, ProtocolError) for item in chain):
            return "retry", "connection dropped"
        if any(isinstance(item, ConnectionRefusedError) for item in chain):
            return "connect", "connection refused"
        if any("NameResolution" in type(item).__name__ for item in chain):
            return "connect", "name resolution failed"
        return "connect", "connection failed"
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return "retry", "reply cut short"
    return "other", type(exc).__name__
