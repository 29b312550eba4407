"""HTTP plumbing: a threading HTTP/1.1 server that hands each request to the App.

Keep-alive matters: wandb-core (Go) reuses connections, so every response carries a
Content-Length, and on shutdown the open connections are closed by the server rather than
left to their idle readers. On a kept-alive connection a response written in two sends
(headers, then body) waits for the client's delayed ACK (about 40 ms, Nagle's algorithm):
responses go out in one write from a buffer, and TCP_NODELAY is set on every connection.

Bodies are read only once the request is known to be allowed (``App.precheck``: the API key,
or an upload URL's signature), so an anonymous client cannot make the sandbox read or
inflate anything. Limits: ``MAX_BODY`` bytes as sent, ``MAX_INFLATED`` bytes after gzip
(inflated in steps, never past the limit), ``MAX_DISCARDED`` for bodies the sandbox drops
(telemetry). Past a limit the answer is 413 and the connection is closed. A refused body of
up to ``LINGER`` bytes is read and dropped first (never kept, never inflated), so that a
client that sends its body before reading the answer gets the answer, not a reset.
"""

from __future__ import annotations

import contextlib
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

MAX_BODY = 256 * 1024 * 1024
MAX_INFLATED = 32 * 1024 * 1024
MAX_DISCARDED = 1024 * 1024
LINGER = 4 * 1024 * 1024
_STEP = 1024 * 1024


class BodyTooLarge(ValueError):
    """A body past one of the limits; ``unread`` when none of it was read yet."""

    def __init__(self, message: str, unread: bool = False) -> None:
        super().__init__(message)
        self.unread = unread


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
        query = parse_qs(url.query)
        app = self.server.app
        refusal = app.precheck(self.command, url.path, query, headers)
        if refusal is not None:  # the body is not read: this connection cannot be reused
            self._linger(headers)
            self._send(refusal, close=True)
            log.info("%s %s -> %s (body not read)", self.command, url.path, refusal.status)
            return
        try:
            if app.keeps_body(self.command, url.path):
                body = self._read_body(headers)
            else:
                self._discard_body(headers)
                body = b""
        except (ValueError, OSError, EOFError, zlib.error) as exc:
            code = 413 if isinstance(exc, BodyTooLarge) else 400
            if isinstance(exc, BodyTooLarge) and exc.unread:
                self._linger(headers)
            error = {"errors": [{"message": f"unreadable body: {exc}"}]}
            self._send(Response.json(code, error), close=True)
            return
        request = Request(self.command, url.path, query, headers, body)
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

    def _read_body(self, headers: dict[str, str], limit: int = MAX_BODY) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked(limit)
        else:
            length = int(headers.get("content-length") or 0)
            if length > limit:
                raise BodyTooLarge(f"more than {limit} bytes", unread=True)
            body = self.rfile.read(length) if length > 0 else b""
        if headers.get("content-encoding", "").lower() == "gzip":
            body = inflate(body, MAX_INFLATED)
        return body

    def _discard_body(self, headers: dict[str, str]) -> None:
        """Read a body the sandbox drops (telemetry) without inflating it, up to a limit."""
        saved = headers.pop("content-encoding", None)
        try:
            self._read_body(headers, MAX_DISCARDED)
        finally:
            if saved is not None:
                headers["content-encoding"] = saved

    def _linger(self, headers: dict[str, str]) -> None:
        """Drop a refused body of known, modest length (see ``LINGER``), a chunk at a time."""
        try:
            left = int(headers.get("content-length") or 0)
        except ValueError:
            return
        if left > LINGER:
            return
        with contextlib.suppress(OSError):
            self.connection.settimeout(2)
            while left > 0:
                chunk = self.rfile.read(min(left, 64 * 1024))
                if not chunk:
                    break
                left -= len(chunk)

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > limit:
                raise BodyTooLarge(f"more than {limit} bytes")
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _send(self, response: Response, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")  # also makes the server close it
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


def inflate(data: bytes, limit: int) -> bytes:
    """A gzip body inflated step by step; BodyTooLarge as soon as it passes ``limit``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
    parts: list[bytes] = []
    total = 0
    pending = data
    while pending:
        part = inflater.decompress(pending, _STEP)
        total += len(part)
        if total > limit:
            raise BodyTooLarge(f"more than {limit} bytes once inflated")
        parts.append(part)
        pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    if not inflater.eof:
        raise zlib.error("truncated gzip body")
    return b"".join(parts)


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
