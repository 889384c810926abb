"""A loopback HTTP/1.1 listener that hands each request to an app function.

Standard library only: `ThreadingHTTPServer` on 127.0.0.1, port 0, one daemon thread per
connection, keep-alive supported. `stop()` closes idle keep-alive connections too.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from tests.fakegithub.requestlog import RecordedRequest, RequestLog


@dataclass(slots=True)
class Request:
    method: str
    path: str  # raw (percent-encoded) path, no query
    query: list[tuple[str, str]]
    headers: Message
    body: bytes
    record: RecordedRequest


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay: float = 0.0
    abort: Literal["truncate", "reset"] | None = None


App = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, app: App, host: str, log: RequestLog, errors: list[str]) -> None:
        self.app = app
        self.host_tag = host
        self.log = log
        self.errors = errors
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), which can stall on reverse DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        with self._conns_lock:
            self._conns.add(sock)
        return sock, addr

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.errors.append(traceback.format_exc())

    def close_connections(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, set()
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes; without this, Nagle + delayed ACK
        # add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        query = parse_qsl(split.query, keep_blank_values=True)
        record = self.server.log.record(
            self.server.host_tag,
            self.command,
            split.path,
            tuple(query),
            tuple(self.headers.items()),
            body,
        )
        request = Request(self.command, split.path, query, self.headers, body, record)
        try:
            response = self.server.app(request)
        except Exception:
            self.server.errors.append(traceback.format_exc())
            response = Response(
                500,
                [("Content-Type", "text/plain")],
                b"fake GitHub crashed; see FakeGitHub.internal_errors",
            )
        record.status = None if response.abort == "reset" else response.status
        record.response_headers = tuple(response.headers)
        record.response_body = response.body
        if response.delay:
            time.sleep(response.delay)
        if response.abort == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            self.close_connection = True

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if response.abort == "truncate":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            payload = response.body
            if response.abort == "truncate":
                payload = payload[: len(payload) // 2]
            self.wfile.write(payload)
        self.wfile.flush()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class Listener:
    """One loopback HTTP server running `app` in background threads."""

    def __init__(self, app: App, host: str, log: RequestLog, errors: list[str]) -> None:
        self._server = _Server(app, host, log, errors)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fakegithub-{self._server.host_tag}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._server.close_connections()
