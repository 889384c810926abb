"""The fake Results service: Twirp ArtifactService and its SAS blob storage on two loopback listeners."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import secrets
import socket
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import quote, unquote_plus, urlsplit

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from tests.fakeresults import wire
from tests.fakeresults.tokens import mint_token, results_scope, token_variant, verify_token
from tests.fakeresults.wire import TwirpError

FORBIDDEN_NAME_CHARACTERS = '":<>|*?\r\n\\/'
DEFAULT_MIME_ALLOWLIST = frozenset(
    {"application/zip", "application/json", "application/octet-stream", "text/plain"}
)
_EXTENSIONS = {"application/json": "json", "text/plain": "txt", "application/zip": "zip"}
SAS_VERSION = "2021-12-02"


# ---------------------------------------------------------------------------------------------
# State


@dataclass
class Job:
    backend_id: str
    token: str = field(repr=False)


@dataclass
class Run:
    """A workflow run as the Results service knows it, plus what the REST side needs (I.4.6)."""

    run_id: int
    backend_id: str
    repo: str = "octo-org/widget"
    repository_id: int = 111
    head_repository_id: int = 111
    head_branch: str = "main"
    head_sha: str = "a0" * 20
    event: str = "push"
    retention_days: int = 90
    jobs: dict[str, Job] = field(default_factory=dict)

    @property
    def job(self) -> Job:
        """The run's first job."""
        return next(iter(self.jobs.values()))


@dataclass
class Blob:
    blocks: dict[str, bytes] = field(default_factory=dict)  # uncommitted
    committed_blocks: dict[str, bytes] = field(default_factory=dict)
    data: bytes | None = None
    content_type: str = "application/octet-stream"
    etag: str = ""
    last_modified: datetime | None = None


@dataclass
class Artifact:
    id: int
    run: Run
    job_backend_id: str
    name: str
    version: int
    mime_type: str | None
    expires_at: datetime
    blob_path: str
    state: Literal["created", "finalized"] = "created"
    size: int = 0
    digest: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class FinalizedArtifact:
    """What FinalizeArtifact hands to ``on_finalize``: enough for the REST fake's add_artifact."""

    id: int
    name: str
    repo: str
    run_id: int
    repository_id: int
    head_repository_id: int
    head_branch: str
    head_sha: str
    event: str
    data: bytes = field(repr=False)
    size: int
    digest: str | None
    content_type: str
    filename: str | None
    """None for a zip; the file name for a raw (v7, non-zip) upload."""
    created_at: datetime
    expires_at: datetime
    version: int
    mime_type: str | None
    workflow_run_backend_id: str
    workflow_job_run_backend_id: str


@dataclass
class Fault:
    """One injected reply, consumed before any check; ``count`` times in a row."""

    status: int = 500
    content_type: str = "application/json"
    body: bytes = b""
    reply: dict[str, Any] | None = None
    """A Twirp reply rendered through the reply knobs (camel, emit_defaults) instead of ``body``."""
    count: int = 1
    reset: bool = False
    """Drop the connection with a TCP reset instead of answering."""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def html(cls, status: int = 502, count: int = 1) -> Fault:
        page = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
        return cls(status=status, content_type="text/html", body=page, count=count)

    @classmethod
    def twirp(cls, code: str, msg: str, count: int = 1) -> Fault:
        error = TwirpError(code, msg)
        return cls(status=error.status, body=error.body(), count=count)

    @classmethod
    def intermediary_403(cls, count: int = 1) -> Fault:
        msg = 'Error from intermediary with HTTP status code 403 "Forbidden"'
        return cls.twirp("permission_denied", msg, count)

    @classmethod
    def not_ok(cls, count: int = 1) -> Fault:
        return cls(status=200, reply={"ok": False}, count=count)

    @classmethod
    def drop(cls, count: int = 1) -> Fault:
        return cls(reset=True, count=count)

    @classmethod
    def storage(cls, status: int, code: str, count: int = 1) -> Fault:
        return cls(
            status=status,
            content_type="application/xml",
            body=_storage_error_body(code, "injected fault"),
            headers={"x-ms-error-code": code},
            count=count,
        )


@dataclass(frozen=True)
class RecordedRequest:
    listener: Literal["results", "blob"]
    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    route: str
    """Twirp method name, ``blob:block|blocklist|put|get``, or ``other``."""

    @property
    def url_path_and_query(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


# ---------------------------------------------------------------------------------------------
# The fake


class FakeResults:
    """The Results ArtifactService (Twirp) and blob storage, with the state and knobs of I.4.

    Knobs are plain attributes; set them before the client call:

    * ``reply_keys``: ``"snake"`` or ``"camel"`` (camel also answers ``application/json;charset=utf-8``
      like act and Gitea);
    * ``emit_defaults``: write ``false``/``""``/``"0"``/``[]`` (default) or leave them out;
    * ``strict_unknown_fields``: unknown request keys give 500 with a non-JSON body (act, Gitea);
    * ``put_blob_act_mode``: Put Blob answers 200 and stores nothing (act);
    * ``quota_exhausted``: CreateArtifact gives 429 ``insufficient usage``;
    * ``corrupt_on_commit``: Put Block List flips one stored byte;
    * ``sas_ttl`` (upload URLs, seconds; negative mints expired URLs), ``read_sas_ttl``;
    * ``absent_mode``: None, ``"bad_route"`` (every path) or ``"html_404"``;
    * ``mime_allowlist``, ``max_artifacts_per_job``;
    * faults: :meth:`inject` queues :class:`Fault` replies per route.
    """

    def __init__(
        self,
        *,
        on_finalize: Callable[[FinalizedArtifact], int | None] | None = None,
        on_delete: Callable[[FinalizedArtifact], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.on_finalize = on_finalize
        self.on_delete = on_delete
        self.clock = clock
        self.token_secret = secrets.token_bytes(32)
        self.sas_secret = secrets.token_bytes(32)

        self.reply_keys: Literal["snake", "camel"] = "snake"
        self.emit_defaults = True
        self.strict_unknown_fields = False
        self.put_blob_act_mode = False
        self.quota_exhausted = False
        self.corrupt_on_commit = False
        self.sas_ttl = 3600.0
        self.read_sas_ttl = 60.0
        self.absent_mode: Literal["bad_route", "html_404"] | None = None
        self.mime_allowlist = set(DEFAULT_MIME_ALLOWLIST)
        self.max_artifacts_per_job = 500

        self.lock = threading.RLock()
        self.runs: dict[str, Run] = {}
        self.artifacts: dict[tuple[str, str], Artifact] = {}  # (run backend id, name)
        self.blobs: dict[str, Blob] = {}  # URL path -> blob
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self.faults: dict[str, list[Fault]] = {}
        self._ids = itertools.count(5_000_000_001)
        self._run_ids = itertools.count(9_000_000_001)
        self._servers: list[ThreadingHTTPServer] = []
        self.default_run = self.add_run()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeResults:
        self._results = self._listen(_ResultsHandler)
        self._blob = self._listen(_BlobHandler)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> FakeResults:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        server = _Server(("127.0.0.1", 0), handler)
        server.fake = self
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self._servers.append(server)
        return server

    @property
    def url(self) -> str:
        """ACTIONS_RESULTS_URL as the runner gives it: origin plus a trailing slash."""
        return f"http://127.0.0.1:{self._results.server_address[1]}/"

    @property
    def blob_origin(self) -> str:
        return f"http://127.0.0.1:{self._blob.server_address[1]}"

    @staticmethod
    def refused_url() -> str:
        """A loopback URL nothing listens on (connection refused)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}/"

    # -- fixtures and inspection ----------------------------------------------------------

    def add_run(
        self,
        *,
        backend_id: str | None = None,
        job_backend_id: str | None = None,
        run_id: int | None = None,
        **fields: Any,
    ) -> Run:
        """A run with one job (UUID backend IDs unless given, e.g. act-style ``"42"``)."""
        with self.lock:
            run = Run(
                run_id=next(self._run_ids) if run_id is None else run_id,
                backend_id=backend_id or str(uuid.uuid4()),
                **fields,
            )
            self.runs[run.backend_id] = run
            self.add_job(run, job_backend_id)
            return run

    def add_job(self, run: Run, backend_id: str | None = None) -> Job:
        with self.lock:
            job_id = backend_id or str(uuid.uuid4())
            job = Job(job_id, self.mint_token(results_scope(run.backend_id, job_id)))
            run.jobs[job_id] = job
            return job

    def mint_token(self, scp: Any, *, ttl: float = 6 * 3600) -> str:
        return mint_token(self.token_secret, scp, now=self.clock(), ttl=ttl)

    def token_variant(self, kind: str, run: Run | None = None) -> str:
        """A token of one I.1 shape (see tokens.UNAVAILABLE_VARIANTS, "expired", "bad_signature")."""
        run = run or self.default_run
        return token_variant(self.token_secret, kind, run.backend_id, run.job.backend_id)

    def inject(self, route: str, *faults: Fault) -> None:
        """Queue faults for a Twirp method name, ``blob:block|blocklist|put|get`` or ``blob``."""
        with self.lock:
            self.faults.setdefault(route, []).extend(replace(f) for f in faults)

    def seed_artifact(
        self,
        name: str,
        data: bytes = b"PK\x05\x06" + bytes(18),
        *,
        run: Run | None = None,
        job: Job | None = None,
        finalized: bool = True,
    ) -> Artifact:
        """An artifact already in the run (for 409 tests), finalized unless asked otherwise."""
        with self.lock:
            run = run or self.default_run
            job = job or run.job
            now = self._now()
            artifact = self._new_artifact(run, job.backend_id, name, 4, None, None, now)
            blob = self.blobs[artifact.blob_path]
            if finalized:
                blob.data, blob.content_type = data, "application/zip"
                artifact.state, artifact.created_at = "finalized", now
                artifact.size = len(data)
                artifact.digest = "sha256:" + hashlib.sha256(data).hexdigest()
            return artifact

    def routes(self) -> list[str]:
        """The route of every request so far, in order."""
        with self.lock:
            return [r.route for r in self.requests]

    def finalized(self) -> list[Artifact]:
        with self.lock:
            return sorted(
                (a for a in self.artifacts.values() if a.state == "finalized"), key=lambda a: a.id
            )

    def blob_data(self, artifact: Artifact) -> bytes | None:
        with self.lock:
            blob = self.blobs.get(artifact.blob_path)
            return None if blob is None else blob.data

    # -- helpers --------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _pop_fault(self, *routes: str) -> Fault | None:
        with self.lock:
            for route in routes:
                queue = self.faults.get(route)
                if queue:
                    fault = queue[0]
                    fault.count -= 1
                    if fault.count <= 0:
                        queue.pop(0)
                    return fault
            return None

    def _record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def _new_artifact(
        self,
        run: Run,
        job_id: str,
        name: str,
        version: int,
        mime_type: str | None,
        expires_at: datetime | None,
        now: datetime,
    ) -> Artifact:
        extension = "zip"
        if version >= 7 and mime_type and mime_type != "application/zip":
            extension = _EXTENSIONS.get(mime_type, "bin")
        path = (
            f"/actions-results/{run.backend_id}/workflow-job-run-{job_id}/artifacts/"
            f"{secrets.token_hex(32)}.{extension}"
        )
        longest = now + timedelta(days=run.retention_days)
        artifact = Artifact(
            id=next(self._ids),
            run=run,
            job_backend_id=job_id,
            name=name,
            version=version,
            mime_type=mime_type,
            expires_at=min(expires_at, longest) if expires_at else longest,
            blob_path=path,
        )
        self.artifacts[(run.backend_id, name)] = artifact
        self.blobs[path] = Blob()
        return artifact

    def sas_url(self, path: str, permissions: str, ttl: float) -> str:
        now = self.clock()
        start = _sas_time(now - 300)
        expiry = _sas_time(now + ttl)
        signature = self._sas_signature(path, permissions, start, expiry)
        query = (
            f"sv={SAS_VERSION}&st={quote(start, safe='')}&se={quote(expiry, safe='')}&sr=b"
            f"&sp={permissions}&spr=http&sig={quote(signature, safe='')}"
        )
        return f"{self.blob_origin}{path}?{query}"

    def _sas_signature(self, path: str, permissions: str, start: str, expiry: str) -> str:
        message = f"{path}\n{permissions}\n{start}\n{expiry}".encode()
        return base64.b64encode(
            hmac.new(self.sas_secret, message, hashlib.sha256).digest()
        ).decode()

    # -- Twirp ----------------------------------------------------------------------------

    def twirp(
        self, method: str, token_ids: tuple[str, str], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Checks I.4.2 step 6 and runs one method (I.4.3); raises TwirpError."""
        for key in ("workflow_run_backend_id", "workflow_job_run_backend_id"):
            if not request.get(key):
                raise TwirpError("invalid_argument", f"{key} is required", {"argument": key})
        run_id, job_id = request["workflow_run_backend_id"], request["workflow_job_run_backend_id"]
        with self.lock:
            run = self.runs.get(run_id)
            if run_id != token_ids[0] or run is None:
                raise TwirpError(
                    "permission_denied", "the workflow run does not match the runtime token"
                )
            if method == "DeleteArtifact":
                if job_id not in run.jobs:
                    raise TwirpError(
                        "permission_denied", "the job is not part of this workflow run"
                    )
            elif job_id != token_ids[1]:
                raise TwirpError("permission_denied", "the job does not match the runtime token")
            handler: Callable[[Run, str, dict[str, Any]], dict[str, Any]] = getattr(
                self, f"_twirp_{method}"
            )
            return handler(run, job_id, request)

    def _twirp_CreateArtifact(
        self, run: Run, job_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = request.get("name", "")
        if not name:
            raise TwirpError("invalid_argument", "name is required", {"argument": "name"})
        for character in name:
            if character in FORBIDDEN_NAME_CHARACTERS:
                raise TwirpError(
                    "invalid_argument",
                    f"name contains a character that is not allowed: {character}",
                    {"argument": "name"},
                )
        version = request.get("version", 0)
        if version < 4:
            raise TwirpError("invalid_argument", "version is required", {"argument": "version"})
        mime_type = request.get("mime_type")
        if version >= 7 and (not mime_type or mime_type not in self.mime_allowlist):
            raise TwirpError(
                "invalid_argument",
                "mime_type a valid mime_type is required for this artifact version",
                {"argument": "mime_type"},
            )
        now = self._now()
        expires_at = request.get("expires_at")
        if expires_at is not None and expires_at <= now:
            raise TwirpError(
                "invalid_argument", "expires_at must be in the future", {"argument": "expires_at"}
            )
        if (run.backend_id, name) in self.artifacts:
            raise TwirpError(
                "already_exists", "an artifact with this name already exists on the workflow run"
            )
        in_job = sum(1 for a in self.artifacts.values() if a.job_backend_id == job_id)
        if in_job >= self.max_artifacts_per_job:
            raise TwirpError("failed_precondition", "artifact limit reached for this job")
        if self.quota_exhausted:
            raise TwirpError("resource_exhausted", "insufficient usage to create artifact")
        artifact = self._new_artifact(
            run, job_id, name, version, mime_type if version >= 7 else None, expires_at, now
        )
        url = self.sas_url(artifact.blob_path, "cw", self.sas_ttl)
        return {"ok": True, "signed_upload_url": url}

    def _twirp_FinalizeArtifact(
        self, run: Run, job_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        artifact = self.artifacts.get((run.backend_id, request.get("name", "")))
        if artifact is None:
            raise TwirpError("not_found", "artifact not found")
        if artifact.state == "finalized":
            raise TwirpError("failed_precondition", "artifact is already finalized")
        blob = self.blobs[artifact.blob_path]
        if blob.data is None:
            raise TwirpError("failed_precondition", "no content was uploaded for this artifact")
        if request.get("size", 0) != len(blob.data):
            raise TwirpError(
                "invalid_argument", "size does not match the uploaded content", {"argument": "size"}
            )
        digest = request.get("hash")
        if digest is not None:
            if not digest.startswith("sha256:"):
                raise TwirpError(
                    "invalid_argument", "hash must start with sha256:", {"argument": "hash"}
                )
            if digest != "sha256:" + hashlib.sha256(blob.data).hexdigest():
                raise TwirpError(
                    "invalid_argument",
                    "hash does not match the uploaded content",
                    {"argument": "hash"},
                )
        now = self._now()
        finalized = self._snapshot(artifact, blob, size=len(blob.data), digest=digest, at=now)
        if self.on_finalize is not None:
            try:
                adopted = self.on_finalize(finalized)
            except Exception as exc:  # surfaced to the test through .errors
                self.errors.append(exc)
                raise TwirpError("internal", "on_finalize failed") from None
            if isinstance(adopted, int) and not isinstance(adopted, bool):
                artifact.id = adopted  # keep the Twirp and REST IDs the same
        artifact.state, artifact.created_at = "finalized", now
        artifact.size, artifact.digest = len(blob.data), digest
        return {"ok": True, "artifact_id": str(artifact.id)}

    def _twirp_ListArtifacts(
        self, run: Run, job_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        name_filter, id_filter = request.get("name_filter"), request.get("id_filter")
        items = []
        for artifact in sorted(self.artifacts.values(), key=lambda a: a.id):
            if artifact.run is not run or artifact.state != "finalized":
                continue
            if name_filter is not None and artifact.name != name_filter:
                continue
            if id_filter is not None and artifact.id != id_filter:
                continue
            assert artifact.created_at is not None
            items.append(
                {
                    "workflow_run_backend_id": run.backend_id,
                    "workflow_job_run_backend_id": artifact.job_backend_id,
                    "database_id": str(artifact.id),
                    "name": artifact.name,
                    "size": str(artifact.size),
                    "created_at": wire.format_timestamp(artifact.created_at),
                    "digest": artifact.digest,
                }
            )
        return {"artifacts": items}

    def _twirp_GetSignedArtifactURL(
        self, run: Run, job_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        artifact = self.artifacts.get((run.backend_id, request.get("name", "")))
        if artifact is None or artifact.state != "finalized":
            raise TwirpError("not_found", "artifact not found")
        return {"signed_url": self.sas_url(artifact.blob_path, "r", self.read_sas_ttl)}

    def _twirp_DeleteArtifact(
        self, run: Run, job_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        artifact = self.artifacts.get((run.backend_id, request.get("name", "")))
        if artifact is None:
            raise TwirpError("not_found", "artifact not found")
        blob = self.blobs.pop(artifact.blob_path, Blob())
        del self.artifacts[(run.backend_id, artifact.name)]
        if artifact.state == "finalized" and self.on_delete is not None:
            assert artifact.created_at is not None
            snapshot = self._snapshot(
                artifact, blob, size=artifact.size, digest=artifact.digest, at=artifact.created_at
            )
            try:
                self.on_delete(snapshot)
            except Exception as exc:
                self.errors.append(exc)
        return {"ok": True, "artifact_id": str(artifact.id)}

    def _snapshot(
        self, artifact: Artifact, blob: Blob, *, size: int, digest: str | None, at: datetime
    ) -> FinalizedArtifact:
        run = artifact.run
        is_zip = artifact.version < 7 or artifact.mime_type in (None, "application/zip")
        return FinalizedArtifact(
            id=artifact.id,
            name=artifact.name,
            repo=run.repo,
            run_id=run.run_id,
            repository_id=run.repository_id,
            head_repository_id=run.head_repository_id,
            head_branch=run.head_branch,
            head_sha=run.head_sha,
            event=run.event,
            data=blob.data or b"",
            size=size,
            digest=digest,
            content_type=blob.content_type,
            filename=None if is_zip else artifact.name,
            created_at=at,
            expires_at=artifact.expires_at,
            version=artifact.version,
            mime_type=artifact.mime_type,
            workflow_run_backend_id=run.backend_id,
            workflow_job_run_backend_id=artifact.job_backend_id,
        )

    # -- blob storage ---------------------------------------------------------------------

    def blob_request(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One storage request (I.4.4); returns status, headers and body."""
        params: dict[str, str] = {}
        for pair in query.split("&") if query else []:
            key, _, value = pair.partition("=")
            params[unquote_plus(key)] = unquote_plus(value)
        permissions = params.get("sp", "")
        start, expiry, signature = params.get("st", ""), params.get("se", ""), params.get("sig", "")
        expected = self._sas_signature(path, permissions, start, expiry)
        expires = wire.parse_timestamp(expiry)
        if not hmac.compare_digest(signature.encode(), expected.encode()) or expires is None:
            return _storage_error(403, "AuthenticationFailed", "Signature did not match.")
        if expires <= self._now():
            return _storage_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
        if "authorization" in headers:
            return _storage_error(
                400,
                "InvalidAuthenticationInfo",
                "Authentication information is not given in the correct format.",
            )
        writing = method == "PUT"
        if method not in ("PUT", "GET", "HEAD"):
            return _storage_error(
                405, "UnsupportedHttpVerb", "The resource doesn't support the verb."
            )
        allowed = ("w" in permissions or "c" in permissions) if writing else "r" in permissions
        if not allowed:
            return _storage_error(
                403,
                "AuthorizationPermissionMismatch",
                "This request is not authorized to perform this operation using this permission.",
            )
        with self.lock:
            blob = self.blobs.get(path)
            if blob is None:
                return _storage_error(404, "BlobNotFound", "The specified blob does not exist.")
            if not writing:
                return self._blob_get(path, blob, head=method == "HEAD")
            comp = params.get("comp")
            if comp == "block":
                return self._put_block(blob, params.get("blockid"), headers, body)
            if comp == "blocklist":
                return self._put_block_list(blob, headers, body)
            if comp is None:
                return self._put_blob(blob, headers, body)
            return _storage_error(
                400,
                "InvalidQueryParameterValue",
                "Value for one of the query parameters specified in the request URI is invalid.",
            )

    def _put_block(
        self, blob: Blob, block_id: str | None, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        invalid = _storage_error(
            400, "InvalidQueryParameterValue", "The specified block ID is invalid."
        )
        if not block_id:
            return invalid
        try:
            decoded = base64.b64decode(block_id, validate=True)
        except (binascii.Error, ValueError):
            return invalid
        if len(decoded) > 64:
            return invalid
        known = [*blob.blocks, *blob.committed_blocks]
        if any(len(other) != len(block_id) for other in known):
            return invalid
        if "content-length" not in headers:
            return _storage_error(411, "MissingContentLengthHeader", "Content-Length is required.")
        blob.blocks[block_id] = body
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        return 201, {"Content-MD5": md5, **_storage_headers()}, b""

    def _put_block_list(
        self, blob: Blob, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            root = ElementTree.fromstring(body)
        except (ElementTree.ParseError, DefusedXmlException, ValueError):
            return _storage_error(
                400, "InvalidXmlDocument", "XML specified is not syntactically valid."
            )
        if root.tag != "BlockList":
            return _storage_error(
                400, "InvalidXmlDocument", "XML specified is not syntactically valid."
            )
        parts: list[bytes] = []
        committed: dict[str, bytes] = {}
        for child in root:
            block_id = (child.text or "").strip()
            if child.tag == "Latest":
                chunk = blob.blocks.get(block_id, blob.committed_blocks.get(block_id))
            elif child.tag == "Uncommitted":
                chunk = blob.blocks.get(block_id)
            elif child.tag == "Committed":
                chunk = blob.committed_blocks.get(block_id)
            else:
                return _storage_error(
                    400, "InvalidXmlDocument", "XML specified is not syntactically valid."
                )
            if chunk is None:
                return _storage_error(
                    400, "InvalidBlockList", "The specified block list is invalid."
                )
            parts.append(chunk)
            committed[block_id] = chunk
        data = b"".join(parts)
        if self.corrupt_on_commit and data:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        self._commit(
            blob, data, headers.get("x-ms-blob-content-type") or "application/octet-stream"
        )
        blob.committed_blocks = committed
        return (
            201,
            {
                "ETag": blob.etag,
                "Last-Modified": _http_date(blob.last_modified),
                **_storage_headers(),
            },
            b"",
        )

    def _put_blob(
        self, blob: Blob, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.put_blob_act_mode:
            return 200, {}, b""
        blob_type = headers.get("x-ms-blob-type")
        if blob_type is None:
            return _storage_error(
                400,
                "MissingRequiredHeader",
                "An HTTP header that's mandatory for this request is not specified.",
            )
        if blob_type != "BlockBlob":
            return _storage_error(
                400,
                "InvalidHeaderValue",
                "The value for one of the HTTP headers is not in the correct format.",
            )
        content_type = (
            headers.get("x-ms-blob-content-type")
            or headers.get("content-type")
            or "application/octet-stream"
        )
        self._commit(blob, body, content_type)
        blob.blocks.clear()
        blob.committed_blocks.clear()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        return (
            201,
            {
                "ETag": blob.etag,
                "Last-Modified": _http_date(blob.last_modified),
                "Content-MD5": md5,
                **_storage_headers(),
            },
            b"",
        )

    def _commit(self, blob: Blob, data: bytes, content_type: str) -> None:
        blob.data = data
        blob.content_type = content_type
        blob.blocks.clear()
        blob.etag = f'"0x{secrets.token_hex(8).upper()}"'
        blob.last_modified = self._now()

    def _blob_get(self, path: str, blob: Blob, *, head: bool) -> tuple[int, dict[str, str], bytes]:
        if blob.data is None:
            return _storage_error(404, "BlobNotFound", "The specified blob does not exist.")
        reply = {
            "Content-Type": blob.content_type,
            "ETag": blob.etag,
            "x-ms-blob-type": "BlockBlob",
            **_storage_headers(),
        }
        if blob.content_type not in ("application/zip", "zip"):
            artifact = next((a for a in self.artifacts.values() if a.blob_path == path), None)
            if artifact is not None:
                name = artifact.name
                reply["Content-Disposition"] = (
                    f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
                )
        return 200, reply, b"" if head else blob.data


def _sas_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).strftime("%a, %d %b %Y %H:%M:%S GMT")


def _storage_headers() -> dict[str, str]:
    return {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-version": SAS_VERSION,
        "x-ms-request-server-encrypted": "true",
    }


def _storage_error_body(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()


def _storage_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/xml", "x-ms-error-code": code, **_storage_headers()}
    return status, headers, _storage_error_body(code, message)


# ---------------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeResults

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Resets and closed keep-alive sockets are expected; anything else is kept for tests."""
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError | OSError):
            self.fake.errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server
    listener: Literal["results", "blob"]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    def do_POST(self) -> None:
        self._dispatch()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_POST

    def _dispatch(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        length_text = headers.get("content-length")
        if "transfer-encoding" in headers or (
            length_text is not None and not length_text.isdigit()
        ):
            self.close_connection = True
            self._send(411 if "transfer-encoding" in headers else 400, {}, b"")
            return
        body = self.rfile.read(int(length_text)) if length_text else b""
        split = urlsplit(self.path)
        route = self._route(split.path, split.query)
        self.server.fake._record(
            RecordedRequest(
                self.listener, self.command, split.path, split.query, headers, body, route
            )
        )
        fault = (
            self.server.fake._pop_fault(route, "blob")
            if self.listener == "blob"
            else (self.server.fake._pop_fault(route))
        )
        if fault is not None:
            self._fault(fault)
            return
        status, reply_headers, reply = self._answer(split.path, split.query, headers, body, route)
        self._send(status, reply_headers, reply)

    def _route(self, path: str, query: str) -> str:
        raise NotImplementedError

    def _answer(
        self, path: str, query: str, headers: dict[str, str], body: bytes, route: str
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def _fault(self, fault: Fault) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.reset:
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        body = fault.body
        if fault.reply is not None:
            fake = self.server.fake
            body = wire.encode_reply(
                fault.reply, camel_keys=fake.reply_keys == "camel", emit_defaults=fake.emit_defaults
            )
        self._send(fault.status, {"Content-Type": fault.content_type, **fault.headers}, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _ResultsHandler(_Handler):
    listener = "results"

    def _route(self, path: str, query: str) -> str:
        method = path[len(wire.SERVICE_PREFIX) :] if path.startswith(wire.SERVICE_PREFIX) else ""
        return method if method in wire.METHODS else "other"

    def _answer(
        self, path: str, query: str, headers: dict[str, str], body: bytes, route: str
    ) -> tuple[int, dict[str, str], bytes]:
        fake = self.server.fake
        if fake.absent_mode == "html_404":
            return 404, {"Content-Type": "text/html"}, b"<html><body>404 Not Found</body></html>"
        try:
            if fake.absent_mode == "bad_route" or route == "other":
                raise _bad_route(f'no handler for path "{path}"', self.command, path)
            if self.command != "POST":
                raise _bad_route(
                    f'unsupported method "{self.command}" (only POST is allowed)',
                    self.command,
                    path,
                )
            content_type = headers.get("content-type", "")
            media_type = content_type.split(";")[0].strip().lower()
            if media_type == "application/protobuf":
                raise TwirpError("unimplemented", "protobuf encoding is not supported by this fake")
            if media_type != "application/json":
                raise _bad_route(f'unexpected Content-Type: "{content_type}"', self.command, path)
            authorization = headers.get("authorization", "")
            scheme, _, token = authorization.partition(" ")
            ids = (
                verify_token(fake.token_secret, token, fake.clock()) if scheme == "Bearer" else None
            )
            if ids is None:
                raise TwirpError("unauthenticated", "invalid or missing runtime token")
            try:
                request = wire.decode_request(route, body, strict=fake.strict_unknown_fields)
            except wire.UnknownField:
                return 500, {"Content-Type": "text/plain"}, b"Error decode request body"
            reply = fake.twirp(route, ids, request)
        except TwirpError as error:
            return error.status, {"Content-Type": "application/json"}, error.body()
        camel = fake.reply_keys == "camel"
        content_type = "application/json;charset=utf-8" if camel else "application/json"
        encoded = wire.encode_reply(reply, camel_keys=camel, emit_defaults=fake.emit_defaults)
        return 200, {"Content-Type": content_type}, encoded


def _bad_route(msg: str, method: str, path: str) -> TwirpError:
    return TwirpError("bad_route", msg, {"twirp_invalid_route": f"{method} {path}"})


class _BlobHandler(_Handler):
    listener = "blob"

    def _route(self, path: str, query: str) -> str:
        if self.command in ("GET", "HEAD"):
            return "blob:get"
        if self.command != "PUT":
            return "other"
        comp = next((unquote_plus(p[5:]) for p in query.split("&") if p.startswith("comp=")), None)
        return {"block": "blob:block", "blocklist": "blob:blocklist", None: "blob:put"}.get(
            comp, "other"
        )

    def _answer(
        self, path: str, query: str, headers: dict[str, str], body: bytes, route: str
    ) -> tuple[int, dict[str, str], bytes]:
        return self.server.fake.blob_request(self.command, path, query, headers, body)
