"""Issue 14, item 6: input edges, each decided. Most are cases in `tests/cases/` with their
exact messages (see the "Input edges" part of `tests/cases/invalid/expected.yaml`, the
generated U+2028 / U+2029 / U+0085 / CR-LF cases in `tests/test_validate_cases.py`, and
`tests/cases/valid/filters-accepted-edges.yaml`); these tests check what a case file
cannot: what an accepted edge compiles to, a message naming another file, and a path the
current user cannot read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reportgen.commands.validate import validate_paths
from reportgen.spec import model as m
from reportgen.spec.expand import Instance
from reportgen.spec.filters import Compare, walk
from reportgen.spec.parse import parse_instances

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"


def test_matrix_values_in_filters_are_values_never_syntax() -> None:
    """`a" or config.b == "x` stays one string: the filter keeps its two comparisons."""
    instances: list[Instance] = []
    result = validate_paths(
        [CASES / "valid" / "filters-accepted-edges.yaml"],
        on_instance=lambda _path, instance, _index: instances.append(instance),
    )
    assert result.problems == []
    boards = {
        spec.key: spec
        for spec in parse_instances(instances, {"WANDB_ENTITY": "team"})
        if isinstance(spec, m.Leaderboard)
    }
    board = boards["accepted-edges-injected"]
    assert board.filter is not None
    compared = [(str(c.ref), c.op, c.value) for c in walk(board.filter.tree)]
    assert compared == [
        ("config.dataset", "==", 'a" or config.b == "x'),
        ("config.arch", "!=", "x' or 1 == 1 or '"),
    ]
    literal = boards["accepted-edges-injected-literal"]
    assert literal.filter is not None
    last = walk(literal.filter.tree)[-1]
    assert isinstance(last, Compare) and last.value == ('a" or config.b == "x', "other")


def test_keys_differing_only_in_case_name_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    case = Path("tests/cases/invalid/across-case-collision.yaml")
    (problem,) = validate_paths([case]).problems
    assert str(problem) == (
        f"{case}:9:8: [error] key 'results' differs from 'Results' (at {case}:4:8) only in "
        "case: build writes one file per key, and macOS and Windows file systems would take "
        "them for one; rename one of them (RG401)"
    )


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "geteuid"), reason="POSIX")
def test_an_unreadable_path_on_the_command_line_is_rg001_in_every_format() -> None:
    """click used to refuse it with its own message (and nothing on stdout with -f json).
    Root reads everything: as root, the child becomes `nobody` first."""
    base = Path(tempfile.mkdtemp(prefix="reportgen-unreadable-"))
    try:
        base.chmod(0o755)
        spec = base / "locked.yaml"
        spec.write_bytes((REPO / "specs" / "cifar10.yaml").read_bytes())
        spec.chmod(0)
        drop = "os.setgid(65534); os.setuid(65534); " if os.geteuid() == 0 else ""
        outputs = {}
        for fmt in ("json", "parsable"):
            script = (  # everything imported first: as nobody, the interpreter's home may be closed
                "import os, sys, json; from reportgen.cli import run; "
                "import reportgen.remote.secrets, reportgen.commands.validate, reportgen.cli.reporters; "
                "from reportgen.spec.schema import validator; validator(); "
                f"{drop}sys.exit(run(['validate', '-f', {fmt!r}, sys.argv[1]]))"
            )
            done = subprocess.run(
                [sys.executable, "-c", script, str(spec)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                cwd=REPO,
            )
            assert (done.returncode, done.stderr) == (1, ""), done.stderr
            outputs[fmt] = done.stdout
    finally:
        shutil.rmtree(base)
    assert json.loads(outputs["json"]) == [
        {
            "file": str(spec),
            "line": 1,
            "col": 1,
            "level": "error",
            "code": "RG001",
            "message": "permission denied",
        }
    ]
    assert outputs["parsable"] == f"{spec}:1:1: [error] permission denied (RG001)\n"


HOSTILE_RUN = "[/] evil [bold]b\x1b[31m $\\frac$"


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_a_run_name_is_data_in_every_preview_format(
    fresh_sandbox: object, use_sandbox: object, tmp_path: Path, fmt: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Whoever logs a run names it: rich markup (`[/]`), an escape sequence or matplotlib's
    `$...$` in a run name is shown as written (control characters escaped), never read."""
    from reportgen.cli import run
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.bulk import SeedRun

    assert isinstance(fresh_sandbox, Sandbox) and callable(use_sandbox)
    use_sandbox(fresh_sandbox)
    history = [{"epoch": i, "accuracy": 0.5 + i / 10} for i in range(3)]
    fresh_sandbox.seed_runs("hostile", [
        SeedRun(display_name=HOSTILE_RUN, history=history, config={"arch": "[bold]b"}),
    ])  # fmt: skip
    spec = tmp_path / "board.yaml"
    spec.write_text(
        "leaderboard:\n  key: hostile\n  title: Hostile\n  project: hostile\n"
        "  metrics: [accuracy max]\n  columns: [config.arch]\n  curves: {x: epoch, y: [accuracy]}\n"
    )
    out_file = tmp_path / "out.html"
    argv = ["preview", str(spec), "-f", fmt] + (["-o", str(out_file)] if fmt == "html" else [])
    assert run(argv) == 0
    captured = capsys.readouterr()
    said = f"reportgen preview: wrote {out_file}\n" if fmt == "html" else ""
    assert captured.err == said  # no warning either (matplotlib's missing glyph, say)
    if fmt == "html":
        assert "[/] evil [bold]b\\x1b[31m" in out_file.read_text()
        return
    assert "\x1b" not in captured.out
    assert (
        "[/] evil [bold]b\\\\x1b[31m" in captured.out or "[/] evil [bold]b\\x1b[31m" in captured.out
    )
    assert "[bold]b" in captured.out.split(HOSTILE_RUN[:8], 1)[1]  # the config value too


def test_output_that_cannot_be_written_or_shown_is_one_line(tmp_path: Path) -> None:
    """A character the output's encoding lacks is escaped; a full disk or a closed standard
    output is 'cannot write the output', exit 1: never an internal error."""
    bad = tmp_path / "caf\u00e9.yaml"
    bad.write_text("workspace:\n  key: k\n")
    cli = [sys.executable, "-m", "reportgen", "validate", "-f", "parsable", str(bad)]
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith(f"{tmp_path}/caf\\xe9.yaml:2:3: [error]")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*cli[:-1], str(REPO / "specs")], stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=60, check=False,
        )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        1,
        "reportgen: cannot write the output: No space left on device\n",
    )
    closed = subprocess.run(
        [*cli[:-1], str(REPO / "specs")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, timeout=60, check=False, preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert (closed.returncode, closed.stderr) == (
        1,
        "reportgen: cannot write the output: standard output is closed\n",
    )


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["build", "-o", ""], "'-o' / '--output'"),
        (["plan", "--base-url", " "], "'--base-url'"),
        (["plan", "-o", ""], "'-o' / '--output'"),
        (["preview", "-o", ""], "'-o' / '--output'"),
        (["pull", "--project", "e/p", "--base-url", ""], "'--base-url'"),
    ],
)
def test_an_empty_option_value_is_refused_not_the_default(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o ''` (an unset variable in a script, say) is a mistake, not "use the default"."""
    from reportgen.cli import run

    assert run([*argv, *([str(REPO / "specs")] if argv[0] != "pull" else [])]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"reportgen {argv[0]}: Invalid value for {option}: must not be empty "
        f"(see reportgen {argv[0]} --help)\n"
    )


def test_a_url_with_key_is_refused_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    """`pull --key K URL` names the mix-up, instead of 'URL:1:1: no such file'."""
    from reportgen.cli import run

    url = "http://127.0.0.1:8765/sandbox/p?nw=abc"
    assert run(["pull", "--key", "cifar10", url]) == 1
    assert capsys.readouterr().err == (
        f"reportgen pull: --key/--drifted take spec files, not URLs ({url}): pull a URL on "
        "its own (see reportgen pull --help)\n"
    )
