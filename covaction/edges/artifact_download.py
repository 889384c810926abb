"""An artifact's content: the API's 302, the storage URL fetched without credentials, unpacked.

Downloading: the API's 302 is read without following it, the storage URL is fetched by
requests without `Authorization` (once more through a fresh 302 if the URL has expired), and
the digest GitHub lists is checked. Unpacking never extracts to disk: one expected member is
read through a capped stream; links, absolute or `..` names, duplicates, encrypted or
unknown-method members, and members that decompress suspiciously well are refused.
"""

from __future__ import annotations

import email.message
import email.utils
import hashlib
import io
import os
import stat
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from covaction.documents.baseline import quoted
from covaction.errors import ArtifactError

if TYPE_CHECKING:
    from covaction.edges.github_rest import GitHubApi

MiB = 1024 * 1024
MAX_DOWNLOAD = 64 * MiB
MAX_MEMBER = 64 * MiB
MAX_ENTRIES = 16
MAX_RATIO = 100  # deflate reaches ~1000:1 on zeros; baseline JSON stays far below 100:1
RATIO_FLOOR = MiB  # small members are capped by size alone
ZIP_TYPES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/zip-compressed"}
)


class UnpackError(ArtifactError):
    """An artifact that is not safe or not usable; the message is one line."""


# ------------------------------------------------------------------------------- downloading


def environ_proxies(url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The proxies requests' `utils.get_environ_proxies(url)` picks for `url` from `environ`
    (the run's environment), not from the process's, so that a run never depends on the state
    of the process it runs in.

    requests (and CPython's `urllib.request`, which it calls) read proxy settings only from
    `os.environ`; rather than copy their rules, the proxy variables (`*_proxy` in any case, and
    `REQUEST_METHOD`, whose presence makes CPython ignore `HTTP_PROXY`) are set in `os.environ`
    to the run's for the call, and restored.
    """
    import requests.utils

    def proxy_related(name: str) -> bool:
        return name.lower().endswith("_proxy") or name == "REQUEST_METHOD"

    # Copied first: `environ` may be os.environ itself (the container's run).
    wanted = {name: value for name, value in environ.items() if proxy_related(name)}
    saved = {name: value for name, value in os.environ.items() if proxy_related(name)}
    try:
        for name in saved:
            del os.environ[name]
        os.environ.update(wanted)
        return dict(requests.utils.get_environ_proxies(url))
    finally:
        for name in [n for n in os.environ if proxy_related(n)]:
            del os.environ[name]
        os.environ.update(saved)


@dataclass(frozen=True, slots=True)
class Download:
    data: bytes
    is_zip: bool
    filename: str = ""  # the file's name for an un-archived artifact


def download(api: GitHubApi, repository: str, item: Mapping[str, Any]) -> Download:
    """302 from the API, then the storage URL without Authorization; digest checked.

    `item` is one entry of an artifacts listing (`id`, `digest`).
    """
    import requests

    path = f"/repos/{repository}/actions/artifacts/{item['id']}/zip"
    # The URL carries its own signature: no Authorization and no ~/.netrc credentials go to the
    # storage host (trust_env off). The proxy and CA settings the runner passes into the
    # container (HTTP(S)_PROXY, NO_PROXY; REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, as requests reads
    # them) still apply: on a self-hosted runner behind a proxy the download must go through it.
    session = requests.Session()
    session.trust_env = False
    got = None
    try:
        for _ in range(2):  # a 403 means the signed URL expired: one fresh 302
            location = api.redirect_location("downloading the baseline artifact", path)
            if urlsplit(location).scheme not in ("http", "https"):
                raise UnpackError("the API redirected to a URL that is not http(s)")
            if api.deadline.remaining() <= 1:
                raise UnpackError("the run's API deadline passed before the download")
            with api.deadline.running():  # the storage download counts against the deadline
                got = _fetch(session, location, min(60.0, api.deadline.remaining()), api.environ)
            if got is not None:
                break
    finally:
        session.close()
    if got is None:
        raise UnpackError("the storage host refused the signed URL twice (403)")
    data, content_type, disposition = got
    expected = item.get("digest")
    if isinstance(expected, str) and expected.lower().startswith("sha256:"):
        if expected[7:].lower() != hashlib.sha256(data).hexdigest():
            raise UnpackError("its SHA-256 does not match the digest GitHub lists")
    # A zip by Content-Type or a .zip URL path, as @actions/artifact decides; else the file.
    mime = content_type.split(";")[0].strip().lower()
    if mime in ZIP_TYPES or urlsplit(location).path.lower().endswith(".zip"):
        return Download(data, True)
    return Download(data, False, _disposition_filename(disposition))


def _fetch(
    session: Any, location: str, read_timeout: float, environ: Mapping[str, str]
) -> tuple[bytes, str, str] | None:
    """The body, Content-Type and Content-Disposition; None when the signed URL has expired."""
    import requests
    import urllib3

    try:
        with session.get(
            location,
            stream=True,
            allow_redirects=False,
            timeout=(min(10.0, read_timeout), read_timeout),
            proxies=environ_proxies(location, environ),
            verify=environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE") or True,
        ) as reply:
            if reply.status_code == 403:
                return None
            if reply.status_code != 200:
                raise UnpackError(f"the storage host answered {reply.status_code}")
            declared = reply.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_DOWNLOAD:
                raise UnpackError(f"it is over {MAX_DOWNLOAD // MiB} MiB")
            chunks = []
            size = 0
            for chunk in reply.raw.stream(1 << 16, decode_content=False):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise UnpackError(f"it is over {MAX_DOWNLOAD // MiB} MiB")
                chunks.append(chunk)
            return (
                b"".join(chunks),
                reply.headers.get("Content-Type", ""),
                reply.headers.get("Content-Disposition", ""),
            )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise UnpackError(f"it could not be downloaded ({type(exc).__name__})") from None


def _disposition_filename(value: str) -> str:
    """`filename*` (RFC 2231/5987) preferred over `filename`, as @actions/artifact reads it."""
    message = email.message.Message()
    message["Content-Disposition"] = value
    plain = ""
    for key, raw in message.get_params([], header="content-disposition"):
        if key.lower() != "filename":
            continue
        try:
            text = email.utils.collapse_rfc2231_value(raw)
        except (ValueError, LookupError):  # an unknown charset
            continue
        if isinstance(raw, tuple):  # the extended `filename*` form wins
            return text[:255]
        plain = plain or text[:255]
    return plain


# ------------------------------------------------------------------------------- unpacking


def unpack(fetched: Download | bytes, members: tuple[str, ...]) -> bytes:
    """The baseline document from a zip (one expected member) or an un-archived file."""
    if isinstance(fetched, bytes):
        fetched = Download(fetched, True)
    if not fetched.is_zip:
        if len(fetched.data) > MAX_MEMBER:
            raise UnpackError("the baseline file is too large")
        return fetched.data
    try:
        archive = zipfile.ZipFile(io.BytesIO(fetched.data))
        infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        EOFError,
        OSError,
        struct.error,
        NotImplementedError,
        OverflowError,
        UnicodeDecodeError,
    ):
        raise UnpackError("it is not a valid zip") from None
    if len(infos) > MAX_ENTRIES:
        raise UnpackError(f"it holds {len(infos)} entries; a baseline artifact holds one")
    names = [PurePosixPath(i.filename.replace("\\", "/")).as_posix() for i in infos]
    if len(set(names)) != len(names):
        raise UnpackError("it holds two entries with the same name")
    for info in infos:
        _check_member(info)
    chosen = None
    for wanted in members:
        chosen = next((i for i in infos if i.filename == wanted), None)
        if chosen is not None:
            break
    if chosen is None:
        files = [i for i in infos if not i.is_dir() and i.filename.endswith(".json")]
        if len(files) != 1:
            raise UnpackError(f"it does not hold one {members[0]}")
        chosen = files[0]
    if chosen.file_size > MAX_MEMBER:
        raise UnpackError(
            f"its {chosen.filename[:60]} declares {chosen.file_size:,} bytes (zip bomb?)"
        )
    if chosen.file_size > RATIO_FLOOR and chosen.file_size > MAX_RATIO * max(
        chosen.compress_size, 1
    ):
        raise UnpackError("its member compresses suspiciously well (zip bomb?)")
    out = bytearray()
    try:
        with archive.open(chosen) as stream:
            while chunk := stream.read(1 << 16):
                out += chunk
                if len(out) > min(MAX_MEMBER, chosen.file_size):
                    raise UnpackError("its member is larger than it declares (zip bomb?)")
    except UnpackError:
        raise
    except (
        zipfile.BadZipFile,
        RuntimeError,
        OSError,
        EOFError,
        ValueError,
        struct.error,
        NotImplementedError,
        OverflowError,
    ):
        raise UnpackError("its member cannot be read (corrupt zip)") from None
    return bytes(out)


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    shown = quoted(name)
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in name or "\0" in name:
        raise UnpackError(f"it holds an unsafe path {shown}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnpackError(f"it holds a symbolic link {shown}")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no type recorded
        raise UnpackError(f"it holds a special file {shown}")
    if info.flag_bits & 0x1:
        raise UnpackError(f"it holds an encrypted member {shown}")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnpackError(f"its member {shown} uses an unsupported compression method")
