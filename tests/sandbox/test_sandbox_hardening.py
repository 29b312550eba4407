"""An anonymous client cannot make the sandbox read or inflate anything; exposing it warns.

The gzip bomb is measured on a sandbox in its own process (``reportgen sandbox``): its peak
resident memory (VmHWM) is what must stay small.
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.sandbox import Sandbox
from reportgen.sandbox.server import MAX_DISCARDED

KEY = "h" * 40
AUTH = {"Authorization": "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()}


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join([*(deflate.compress(zeros) for _ in range(1024)), deflate.flush()])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "sandbox", "--port", "0", "--api-key", KEY,
         "--db", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = [proc.stdout.readline().strip() for _ in range(3)][1].split("=", 1)[1]
        yield proc, int(url.rsplit(":", 1)[1])
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _post(port: int, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/graphql", body, {"Content-Encoding": "gzip", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_gzip_bomb_keeps_the_sandbox_small(
    served: tuple[subprocess.Popen[str], int], bomb: bytes
) -> None:
    proc, port = served
    assert len(bomb) < 1.1e6
    assert _post(port, bomb, {}) == 401  # no key: refused before the body is read
    assert _peak_mb(proc.pid) < 100
    assert _post(port, bomb, AUTH) == 413  # with the key: inflated only up to the limit
    assert _peak_mb(proc.pid) < 100


def test_the_key_is_checked_before_the_body_is_read(fresh_sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", fresh_sandbox.port), timeout=10) as sock:
        # Announce 100 MB and send none of it: the answer must come anyway.
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401") and b"Connection: close" in answer
    upload = "/_sandbox/files/1/config.yaml?sig=0"
    with socket.create_connection(("127.0.0.1", fresh_sandbox.port), timeout=10) as sock:
        sock.sendall(
            f"PUT {upload} HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 403")
    assert fresh_sandbox.stats()["operations"] == {"unauthorized": 2}


def test_dropped_bodies_are_bounded_and_never_inflated(fresh_sandbox: Sandbox) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fresh_sandbox.port, timeout=30)
    try:
        conn.request("POST", "/sdk/otel/v1/metrics", b"x" * (MAX_DISCARDED + 1))
        assert conn.getresponse().status == 413
    finally:
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", fresh_sandbox.port, timeout=30)
    try:
        conn.request("POST", "/sdk/otel/v1/metrics", b"not gzip", {"Content-Encoding": "gzip"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_listening_beyond_this_machine_warns_with_the_real_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reportgen.sandbox")
    with Sandbox(host="0.0.0.0") as sb:
        port = sb.port
        assert sb.bound_address == ("0.0.0.0", port) and sb.exposed
        assert sb.base_url == f"http://127.0.0.1:{port}"  # how local clients reach it
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"listens on 0.0.0.0:{port}, beyond this machine" in w for w in warnings)
    assert any(f"listening on 0.0.0.0:{port}" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with Sandbox() as local:
        assert not local.exposed
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
