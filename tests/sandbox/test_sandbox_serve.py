"""``reportgen sandbox`` in the foreground: prints how to connect, stops cleanly on signals."""

from __future__ import annotations

import base64
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.sandbox.serve import run_foreground

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


def _viewer_status(url: str, key: str) -> int:
    request = urllib.request.Request(
        url + "/graphql", data=b'{"query": "query Viewer { viewer { id } }"}'
    )
    request.add_header("Authorization", "Basic " + base64.b64encode(f"api:{key}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return err.code


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


def test_the_view_upsert_mode_is_chosen_on_the_command_line(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path, "--api-key", KEY, "--view-upsert", "insert")
    try:
        url = lines[1].removeprefix("export WANDB_BASE_URL=")
        request = urllib.request.Request(url + "/_sandbox/settings")
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert json.load(resp) == {"view_upsert": "insert", "crash_after": 300.0}
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "upsertView without an id: insert" in stderr


def test_refuses_a_short_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "sandbox", "--port", "0", "--db", str(tmp_path / "s.db"), "--api-key", "short"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "40" in result.stderr


def test_faults_given_at_start_are_active_and_listed(tmp_path: Path) -> None:
    code = (
        "import sys; from reportgen.sandbox import parse_fault;"
        "from reportgen.sandbox.serve import run_foreground;"
        f"sys.exit(run_foreground('127.0.0.1', 0, {str(tmp_path / 's.db')!r}, {KEY!r},"
        "[parse_fault('500,op=Viewer,times=1'), parse_fault('latency,seconds=0')], 7))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = [proc.stdout.readline().strip() for _ in range(3)][1].split("=", 1)[1]
        assert [_viewer_status(url, KEY), _viewer_status(url, KEY)] == [500, 200]
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "injecting faults (seed 7): 500,op=Viewer,times=1; latency,seconds=0" in stderr


def _occupied_port() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener, int(listener.getsockname()[1])


def _other_apps_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    return path


BAD_DB: dict[str, tuple[Callable[[Path], Path], str]] = {
    "not sqlite": (lambda tmp: _write(tmp / "notes.txt", "hello " * 200), "file is not a database"),
    "other app": (lambda tmp: _other_apps_db(tmp / "app.db"), "not a sandbox database"),
    "missing directory": (lambda tmp: tmp / "no" / "such" / "s.db", "does not exist"),
    "parent is a file": (lambda tmp: _write(tmp / "f", "x") / "s.db", "is not a directory"),
    "a directory": (lambda tmp: tmp, "is a directory"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(BAD_DB))
def test_an_unusable_db_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    make, problem = BAD_DB[case]
    db = make(tmp_path)
    before = db.read_bytes() if db.is_file() else None
    assert run_foreground("127.0.0.1", 0, str(db), KEY) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("reportgen sandbox: ") and err.count("\n") == 1
    assert problem in err and "Traceback" not in err
    assert before is None or db.read_bytes() == before  # someone else's file is left alone


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a read-only /proc")
def test_an_unwritable_db_directory_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_foreground("127.0.0.1", 0, "/proc/sandbox.db", KEY) == 1  # even root cannot
    err = capsys.readouterr().err
    assert err.startswith("reportgen sandbox: cannot use /proc/sandbox.db") and err.count("\n") == 1


@pytest.mark.parametrize("port", [70000, -1, 65536])
def test_a_port_out_of_range_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: int
) -> None:
    assert run_foreground("127.0.0.1", port, str(tmp_path / "s.db"), KEY) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"reportgen sandbox: the port must be within 0..65535 (0: any free port), not {port}\n"
    )


def test_a_port_in_use_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listener, port = _occupied_port()
    with listener:
        assert run_foreground("127.0.0.1", port, str(tmp_path / "s.db"), KEY) == 1
    err = capsys.readouterr().err
    assert "already in use" in err and str(port) in err and err.count("\n") == 1


def test_the_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.db").write_text("not a database " * 100)
    for args in (["--port", "70000"], ["--port", "0", "--db", str(tmp_path / "bad.db")]):
        result = subprocess.run(
            [sys.executable, "-m", "reportgen", "sandbox", "--db", str(tmp_path / "s.db"), *args],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("reportgen sandbox: ") and result.stderr.count("\n") == 1
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
