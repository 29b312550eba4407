"""`--strict` reads the same in every command: a warning is an error, reported as one
(`[error]`, `::error`, `"level": "error"`, counted as an error in the summary line); the
command exits 1 and writes nothing (build no JSON, plan no -o file, preview no -o file).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen import cli
from reportgen.sandbox import Sandbox

Capture = pytest.CaptureFixture[str]

TYPO = (
    "leaderboard:\n  key: typo\n  title: t\n  project: image-classification-leaderboard\n"
    "  metrics: [accuracy max]\n  columns: [cfg.learning_rate]\n"
)
MESSAGE = (
    "'cfg.learning_rate' is read as the summary metric 'cfg.learning_rate'; did you mean "
    "'config.learning_rate'? (to mean that summary metric, write 'summary.cfg.learning_rate')"
)


def line(spec: Path, level: str) -> str:
    return f"{spec}:6:13: [{level}] {MESSAGE} (RG312)\n"


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "typo.yaml"
    path.write_text(TYPO)
    monkeypatch.setenv("WANDB_ENTITY", "team")
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return path


def test_validate_strict_reports_and_counts_warnings_as_errors(spec: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "validate", str(spec))
    assert (code, out) == (0, line(spec, "warning") + "0 errors, 1 warning in 1 file\n")
    code, out, _ = run(capsys, "validate", "--strict", str(spec))
    assert (code, out) == (1, line(spec, "error") + "1 error, 0 warnings in 1 file\n")
    assert run(capsys, "validate", "--strict", "-f", "parsable", str(spec))[:2] == (
        1,
        line(spec, "error"),
    )
    code, out, _ = run(capsys, "validate", "--strict", "-f", "github", str(spec))
    assert code == 1 and out.startswith("::error file=")
    code, out, _ = run(capsys, "validate", "--strict", "-f", "json", str(spec))
    assert code == 1 and [p["level"] for p in json.loads(out)] == ["error"]


@pytest.mark.parametrize("command", ["build", "plan", "apply", "preview"])
def test_every_command_says_error_under_strict_and_writes_nothing(
    command: str, spec: Path, tmp_path: Path, capsys: Capture
) -> None:
    """The specs are read before any server is asked: no sandbox needed to fail."""
    target = tmp_path / "out"
    written = ["-o", str(target)] if command in ("build", "plan", "preview") else []
    code, out, err = run(capsys, command, "--strict", str(spec), *written)
    assert (code, out, err) == (1, "", line(spec, "error"))
    assert not target.exists()


def test_preview_strict_writes_no_output_file_when_it_exits_1(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    """A data check (a key no run has) is a warning, an error with --strict; then the -o
    file is not written (an earlier one is left as it was)."""
    spec = tmp_path / "board.yaml"
    spec.write_text(
        "leaderboard:\n  project: image-classification-leaderboard\n  key: typo\n"
        "  title: Typo\n  metrics: [acuracy max]\n"
    )
    target = tmp_path / "preview.md"
    assert run(capsys, "preview", str(spec), "-f", "markdown", "-o", str(target))[0] == 0
    assert target.read_text().startswith("### Typo")
    target.write_text("earlier\n")
    code, out, err = run(
        capsys, "preview", "--strict", str(spec), "-f", "markdown", "-o", str(target)
    )
    where = f"{spec}:3:8: [error] leaderboard 'typo'"
    assert (code, out) == (1, "")
    assert err == (
        f"{where}: no run of the project has summary.acuracy; did you mean 'accuracy'? (RG601)\n"
        f"reportgen preview: {target} not written: --strict makes these problems errors\n"
    )
    assert target.read_text() == "earlier\n"
