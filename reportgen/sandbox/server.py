"""HTTP plumbing: a threading HTTP/1.1 server that hands each request to the App.

Keep-alive matters: wandb-core (Go) reuses connections, so every response carries a
Content-Length, and on shutdown the open connections are closed by the server rather than
left to their idle readers. On a kept-alive connection a response written in two sends
(headers, then body) waits for the client's delayed ACK (about 40 ms, Nagle's algorithm):
responses go out in one write from a buffer, and TCP_NODELAY is set on every connection.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import socket
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reportgen.sandbox.app import App, Request, Response

log = logging.getLogger("reportgen.sandbox")

_MAX_BODY = 256 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "reportgen-sandbox"
    timeout = 300  # reap connections a client abandoned
    wbufsize = 256 * 1024  # headers and body leave in one send (flushed per response)
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):  # not every socket family has it
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.perf_counter()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = self._read_body(headers)
        except (ValueError, OSError, EOFError, zlib.error) as exc:
            self._send(Response.json(400, {"errors": [{"message": f"unreadable body: {exc}"}]}))
            self.close_connection = True
            return
        request = Request(self.command, url.path, parse_qs(url.query), headers, body)
        try:
            response = self.server.app.handle(request)
        except Exception:
            log.exception("internal error handling %s %s", self.command, url.path)
            response = Response.json(500, {"errors": [{"message": "internal sandbox error"}]})
        if response.drop:
            self._drop()
        else:
            self._send(response)
        elapsed = (time.perf_counter() - started) * 1000
        if response.label:
            self.server.app.stats.record_time(response.label, elapsed / 1000)
        status = str(response.status)
        if response.drop:  # status 0: dropped unanswered; else executed, then the answer lost
            status = f"{status}, response dropped" if response.status else "dropped"
        label = f" {response.label}" if response.label else ""
        log.info("%s %s%s -> %s in %.1f ms", self.command, url.path, label, status, elapsed)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length") or 0)
            if length > _MAX_BODY:
                raise ValueError("body too large")
            body = self.rfile.read(length) if length > 0 else b""
        if headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > _MAX_BODY:
                raise ValueError("body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()

    def _drop(self) -> None:
        # Linger 0 turns the close into a reset: the client sees a dropped connection.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _dispatch logs every request, with its operation name

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves one App; ``close()`` also closes client connections still open."""

    daemon_threads = True
    allow_reuse_address = True
    app: App

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app.stats.record_connection()
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up on keep-alive connections is normal, not worth a traceback.
        log.debug("connection error from %s", client_address[0], exc_info=True)

    def close(self) -> None:
        """Stop serving (call ``shutdown()`` first from another thread) and hang up on clients."""
        self.server_close()
        with self._connections_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
