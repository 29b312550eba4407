"""The conformance suite itself: README's table of assumptions matches its tests one to one,
and against a server that breaks an assumption the suite fails naming it."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from reportgen.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "tests" / "conformance"


def suite_tests() -> list[str]:
    names = []
    for path in sorted(SUITE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
    return names


def readme_rows() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Assumptions about W&B", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(test_\w+)` \|", section, flags=re.MULTILINE)


def test_readme_lists_every_assumption_the_suite_tests_once() -> None:
    tests, rows = suite_tests(), readme_rows()
    assert len(rows) == len(set(rows)), "a row twice in README's table"
    assert len(tests) == len(set(tests)), "two tests of one name in tests/conformance"
    assert sorted(rows) == sorted(tests), (
        f"only in README: {sorted(set(rows) - set(tests))}; "
        f"only in the suite: {sorted(set(tests) - set(rows))}"
    )
    assert len(tests) >= 30


def test_a_broken_assumption_fails_the_test_that_names_it() -> None:
    """A sandbox that inserts on every id-less upsert, and a suite told to expect upsert by
    name (as against W&B): exactly that test fails, saying what W&B did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "REPORTGEN_"))}
    env.update(REPORTGEN_CONFORMANCE="sandbox-insert", REPORTGEN_EXPECT_VIEW_UPSERT="by-name")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE / "test_views.py"),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    failed = re.findall(r"^FAILED \S+::(\w+)", out, flags=re.MULTILINE)
    assert failed == ["test_upsert_by_name"], out[-3000:]
    assert "W&B does not upsert by name" in out


def _conformance(
    env_update: dict[str, str], *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """The suite in a subprocess, with no W&B or REPORTGEN variables but `env_update`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "REPORTGEN_"))}
    env.update(env_update)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _collected_targets(out: str) -> set[str]:
    """The targets in the ids of the tests collected (the target is the first parameter)."""
    return set(re.findall(r"<Function test_\w+\[(sandbox-by-name|sandbox-insert|wandb)[-\]]", out))


def test_make_conformance_chooses_its_target_by_the_server_not_the_key(sandbox: Sandbox) -> None:
    """After the quick start a shell holds a sandbox's WANDB_API_KEY and WANDB_BASE_URL:
    `make conformance` runs against sandboxes of its own (fast, a 3 s crash window) and says
    why, rather than against that sandbox as if it were W&B; a key for another server still
    means W&B (README's one command for maintainers)."""
    done = subprocess.run(
        ["make", "-s", "-n", "conformance"],
        cwd=REPO,
        env={**os.environ, "WANDB_API_KEY": sandbox.api_key},
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [ln for ln in done.stdout.splitlines() if "pytest tests/conformance" in ln]
    assert line.startswith("REPORTGEN_CONFORMANCE=auto "), line

    quick_start = {"WANDB_API_KEY": sandbox.api_key, "WANDB_BASE_URL": sandbox.base_url}
    found = _conformance(
        {"REPORTGEN_CONFORMANCE": "auto", **quick_start},
        "tests/conformance",
        "--collect-only",
    )
    assert found.returncode == 0, found.stdout[-3000:] + found.stderr[-3000:]
    assert _collected_targets(found.stdout) == {"sandbox-by-name", "sandbox-insert"}
    note = (
        f"conformance: WANDB_BASE_URL {sandbox.base_url} is a reportgen sandbox (it answers "
        "/_sandbox/health), not W&B: against two sandboxes this suite starts instead "
        "(REPORTGEN_CONFORMANCE=wandb to test that one)"
    )
    assert note in found.stdout

    with socket.socket() as closed:  # a port nothing answers on: not a sandbox
        closed.bind(("127.0.0.1", 0))
        elsewhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
        maintainer = {"WANDB_API_KEY": "k" * 40, "WANDB_BASE_URL": elsewhere}
        found = _conformance(
            {"REPORTGEN_CONFORMANCE": "auto", **maintainer},
            "tests/conformance",
            "--collect-only",
        )
    assert _collected_targets(found.stdout) == {"wandb"}, found.stdout[-3000:]
    assert f"conformance: against the W&B at {elsewhere} (WANDB_API_KEY is set)" in found.stdout


def test_crash_tests_skip_rather_than_wait_out_a_long_crash_window(
    fresh_sandbox: Sandbox,
) -> None:
    """REPORTGEN_CONFORMANCE=wandb against a sandbox that reads a killed run as crashed only
    after 300 s (its default): the two crash tests skip at once, saying why and what to do,
    instead of waiting minutes."""
    sb = fresh_sandbox
    env = {
        "REPORTGEN_CONFORMANCE": "wandb",
        "WANDB_API_KEY": sb.api_key,
        "WANDB_BASE_URL": sb.base_url,
        "WANDB_ENTITY": sb.entity,
    }
    done = _conformance(env, str(SUITE / "test_run_state.py"), "-q", "-rs", timeout=120)
    out = done.stdout
    assert done.returncode == 0 and "2 skipped" in out, out[-3000:]
    reason = (
        f"the sandbox at {sb.base_url} reads a killed run as crashed after 300 s (its "
        "crash_after): not waiting that long; start it with `reportgen sandbox --crash-after "
        "5`, or let the suite start its own (REPORTGEN_CONFORMANCE=sandbox)"
    )
    assert out.count(reason) == 2, out[-3000:]
