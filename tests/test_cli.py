"""The CLI's edge: exit codes, internal errors, interruption, secrets."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen import cli
from reportgen.cli import options
from reportgen.remote.secrets import register_secret
from reportgen.sandbox import Sandbox
from reportgen.sandbox.faults import Fault

REPO = Path(__file__).resolve().parents[1]


def test_internal_error_is_one_line_with_the_traceback_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(options, "_verbosity", 0)
    secret = "s3cr3t-" * 6
    register_secret(secret)
    try:
        raise RuntimeError(f"boom with {secret}\nand a second line")
    except RuntimeError as exc:
        assert cli._internal_error(exc) == cli.EXIT_FAILURE
    err = capsys.readouterr().err
    log = tmp_path / "reportgen" / "last-error.log"
    assert err == f"reportgen: internal error: RuntimeError: boom with ***; traceback in {log}\n"
    trace = log.read_text()
    assert "Traceback (most recent call last)" in trace and secret not in trace


def test_verbose_internal_error_prints_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(options, "_verbosity", 1)
    try:
        raise KeyError("k")
    except KeyError as exc:
        cli._internal_error(exc)
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)")
    assert err.splitlines()[-1].startswith("reportgen: internal error: KeyError")


def test_bad_option_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["validate", "--no-such-option"]) == 1
    assert cli.run(["plan", "--concurrency", "0"]) == 1
    assert cli.run(["frobnicate"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_interrupt_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C while apply waits for W&B (the sandbox holds the listing for a while)."""
    with Sandbox(faults=[Fault("latency", op="ProjectWorkspaceViews", seconds=5)]) as sb:
        env = sb.subprocess_env()
        process = subprocess.Popen(
            [sys.executable, "-m", "reportgen", "apply", "specs"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(300):  # wait until the listing has reached the sandbox
            if sb.stats()["operations"].get("ProjectWorkspaceViews"):
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "reportgen: interrupted"
    assert "Traceback" not in err and sb.api_key not in out + err


def test_secrets_in_specs_never_reach_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "k" * 20 + "K" * 20
    monkeypatch.setenv("WANDB_API_KEY", key)
    monkeypatch.setenv("TEAM", key)  # a variable that is not secret by name, holding the key
    spec = tmp_path / "leak.yaml"
    spec.write_text("workspace:\n  key: leak\n  title: t\n  project: ${TEAM}\n")
    monkeypatch.setenv("WANDB_ENTITY", "e")
    assert cli.run(["validate", str(spec)]) == 0
    assert cli.run(["build", str(spec), "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err and "***" in captured.out
