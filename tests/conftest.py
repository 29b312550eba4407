"""Shared test fixtures.

The W&B wire study (shared/wandb-wire, next to the checkout or in /work) records what wandb 0.31.0 and
wandb-workspaces 0.4.13 really send; tests cite it instead of guessing. Set
REPORTGEN_WANDB_WIRE to point elsewhere.

Besides the sandbox plugin's fixtures (sandbox, fresh_sandbox, seeded_sandbox, use_sandbox):
``specs`` (a copy of the repo's specs/ at tmp_path / "specs"), ``sb`` (fresh_sandbox with
wandb pointed at it) and ``seeded`` (seeded_sandbox, likewise). A test module's own fixture of
one of these names overrides it. Helpers shared by the sandbox tests: sandbox_helpers.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.sandbox import Sandbox

pytest_plugins = ["reportgen.sandbox.pytest_plugin"]

REPO = Path(__file__).resolve().parents[1]


def _wire_dir() -> Path:
    env = os.environ.get("REPORTGEN_WANDB_WIRE")
    if env:
        return Path(env)
    candidates = [
        base / "shared" / "wandb-wire" for base in (REPO.parent, REPO.parent.parent, Path("/work"))
    ]
    return next((c for c in candidates if c.is_dir()), candidates[0])


WIRE_DIR = _wire_dir()


@pytest.fixture(scope="session")
def wire_dir() -> Path:
    """The wire study folder; tests that need it skip, with the reason, where it is absent."""
    if not WIRE_DIR.is_dir():
        pytest.skip(f"wandb wire study not found at {WIRE_DIR} (set REPORTGEN_WANDB_WIRE)")
    return WIRE_DIR


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A copy of the repo's specs/ at tmp_path / "specs", for a test to apply and edit."""
    target = tmp_path / "specs"
    shutil.copytree(REPO / "specs", target)
    return target


@pytest.fixture
def sb(fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Sandbox:
    """A Sandbox of this test's own, with wandb in this process pointed at it."""
    use_sandbox(fresh_sandbox)
    return fresh_sandbox


@pytest.fixture
def seeded(seeded_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Sandbox:
    """The session's seeded Sandbox, with wandb in this process pointed at it."""
    use_sandbox(seeded_sandbox)
    return seeded_sandbox
