"""pytest fixtures backed by the sandbox, for tests that drive the real W&B clients.

Register with ``pytest_plugins = ["reportgen.sandbox.pytest_plugin"]`` in the root conftest.

* ``sandbox`` (session): one running Sandbox with a fresh database.
* ``fresh_sandbox`` (function): a Sandbox of its own for one test (fresh database, new port).
* ``seeded_sandbox`` (session): a Sandbox into which ``examples/train_seed.py`` logged its two
  runs once, with the real SDK in a subprocess (``wandb.init`` is slow, and a subprocess keeps
  its global state out of the test process).
* ``use_sandbox`` (function): ``use_sandbox(sb)`` points this process's wandb at ``sb`` for
  the test (environment through monkeypatch). Build ``wandb.Api()`` after calling it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reportgen.sandbox.handle import CONFLICTING_ENV, Sandbox
from reportgen.sandbox.seed import SEED_SCRIPT, log_seed


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A Sandbox shared by the whole session."""
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    """A Sandbox for this test only."""
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def seeded_sandbox(pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """A Sandbox holding the seed's two runs (project ``image-classification-leaderboard``)."""
    script = pytestconfig.rootpath / SEED_SCRIPT
    if not script.is_file():
        pytest.fail(f"the seed script {script} is missing")
    with Sandbox() as sb:
        log_seed(sb, script)
        yield sb


@pytest.fixture
def use_sandbox(monkeypatch: pytest.MonkeyPatch) -> Callable[[Sandbox], None]:
    """A function that points wandb in this process at a sandbox for the current test."""

    def activate(sb: Sandbox) -> None:
        for name in CONFLICTING_ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)

    return activate
