"""Shared test fixtures.

The W&B wire study (shared/wandb-wire, next to the checkout or in /work) records what wandb 0.31.0 and
wandb-workspaces 0.4.13 really send; tests cite it instead of guessing. Set
REPORTGEN_WANDB_WIRE to point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
