"""``reportgen sandbox`` in the foreground: prints how to connect, stops cleanly on signals."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

KEY = "s" * 40


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reportgen",
            "sandbox",
            "--port",
            "0",
            "--db",
            str(tmp_path / "s.db"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(3)]
    return proc, lines


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_serves_prints_exports_and_stops_on_signals(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    proc, lines = _start(tmp_path, "--api-key", KEY)
    try:
        url = lines[1].removeprefix("export WANDB_BASE_URL=")
        assert url.startswith("http://127.0.0.1:") and lines[2] == f"export WANDB_API_KEY={KEY}"
        request = urllib.request.Request(
            url + "/graphql", data=b'{"query": "{ viewer { entity } }"}'
        )
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert json.load(resp) == {"data": {"viewer": {"entity": "sandbox"}}}
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == code
    assert KEY not in stderr  # the request log never shows the key


def test_generates_a_key_when_none_is_given(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path)
    try:
        key = lines[2].removeprefix("export WANDB_API_KEY=")
        assert len(key) >= 40
        proc.terminate()
        proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0


def test_refuses_a_short_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "sandbox", "--port", "0", "--db", str(tmp_path / "s.db"), "--api-key", "short"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "40" in result.stderr
