"""The conformance suite itself: README's table of assumptions matches its tests one to one,
and against a server that breaks an assumption the suite fails naming it."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

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
