"""The blob-storage side of the fake: the second listener that artifact downloads redirect to.

Modelled on Azure Blob behind a read SAS (contract C.4.13): URLs carry `se` (expiry) and `sig`
(HMAC over path, expiry and permission); requests with an `Authorization` header are rejected
with 400 `InvalidAuthenticationInfo` and recorded as violations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from tests.fakegithub.faults import DEFAULT_MESSAGES
from tests.fakegithub.listener import Request, Response
from tests.fakegithub.model import Artifact, iso, parse_iso

if TYPE_CHECKING:
    from tests.fakegithub.server import FakeGitHub

ROUTE = "storage_download"


def blob_path(artifact: Artifact) -> str:
    """A fresh v4-style blob path; `.zip` only for zipped artifacts."""
    prefix = f"/actions-results/{uuid.uuid4()}/workflow-job-run-{uuid.uuid4()}/artifacts"
    if artifact.is_zip:
        return f"{prefix}/{hashlib.sha256(artifact.data).hexdigest()}.zip"
    return f"{prefix}/{quote(artifact.filename or artifact.name)}"


def signature(secret: bytes, path: str, expiry: str, permission: str = "r") -> str:
    mac = hmac.new(secret, f"{path}\n{expiry}\n{permission}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def signed_query(secret: bytes, path: str, expiry: str) -> str:
    return urlencode(
        {
            "sv": "2025-05-05",
            "se": expiry,
            "sr": "b",
            "sp": "r",
            "sig": signature(secret, path, expiry),
        }
    )


def _xml_error(status: int, code: str, message: str, request_id: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}\nRequestId:{request_id}</Message></Error>"
    ).encode()
    headers = [
        ("Content-Type", "application/xml"),
        ("x-ms-error-code", code),
        ("x-ms-request-id", request_id),
    ]
    return Response(status, headers, body)


class StorageApp:
    """Callable app for the storage listener."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def __call__(self, req: Request) -> Response:
        fake = self.fake
        req.record.route = ROUTE
        request_id = str(uuid.uuid4())
        if req.headers.get("Authorization") is not None:
            fake._storage_violation(req.record)
            return _xml_error(
                400,
                "InvalidAuthenticationInfo",
                "Authentication information is not given in the correct format.",
                request_id,
            )
        fault = fake.faults.take(ROUTE, req.method, req.path)
        if fault is not None and fault.kind == "reset":
            return Response(0, abort="reset", delay=fault.delay)
        if fault is not None and fault.kind in {"respond", "store_then_fail"}:
            headers = [("Content-Type", "application/xml"), *fault.render_headers()]
            body = fault.body
            if body is None:
                message = fault.message or DEFAULT_MESSAGES.get(fault.status, "Error")
                body = f"<Error><Code>ServerBusy</Code><Message>{message}</Message></Error>"
                body = body.encode()
            return Response(fault.status, headers, body, delay=fault.delay)
        response = self._serve(req, request_id)
        if fault is not None:
            response.delay = fault.delay
            if fault.kind == "truncate":
                response.abort = "truncate"
        return response

    def _serve(self, req: Request, request_id: str) -> Response:
        fake = self.fake
        if req.method not in {"GET", "HEAD"}:
            return _xml_error(
                405, "UnsupportedHttpVerb", "The resource doesn't support the verb.", request_id
            )
        query = dict(req.query)
        expiry, sig = query.get("se", ""), query.get("sig", "")
        expected = signature(fake._storage_secret, req.path, expiry)
        valid = bool(sig) and hmac.compare_digest(sig, expected) and query.get("sp") == "r"
        try:
            expired = parse_iso(expiry).timestamp() < fake.clock.time()
        except ValueError:
            valid = False
            expired = True
        if not valid or expired:
            detail = "Signed expiry time has passed." if valid else "Signature did not match."
            return _xml_error(
                403,
                "AuthenticationFailed",
                f"Server failed to authenticate the request. {detail}",
                request_id,
            )
        artifact = fake._blob(req.path)
        if artifact is None:
            return _xml_error(404, "BlobNotFound", "The specified blob does not exist.", request_id)
        etag = f'"0x{hashlib.sha256(artifact.data).hexdigest()[:16].upper()}"'
        headers = [
            ("Content-Type", artifact.content_type),
            ("ETag", etag),
            ("Last-Modified", artifact.created_at.strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Accept-Ranges", "bytes"),
            ("x-ms-blob-type", "BlockBlob"),
            ("x-ms-request-id", request_id),
            ("x-ms-creation-time", iso(artifact.created_at)),
        ]
        if not artifact.is_zip:
            name = artifact.filename or artifact.name
            ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
            headers.append(
                (
                    "Content-Disposition",
                    f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
                )
            )
        return Response(200, headers, artifact.data)
