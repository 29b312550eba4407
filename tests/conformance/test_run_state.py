"""Conformance: a run whose process dies reads as crashed; one that sends again, running.

The process (and its wandb-core) is killed with SIGKILL, as the OOM killer or a preempted
machine does. W&B documents "on the order of about five minutes" without a heartbeat; a
sandbox the suite starts waits a few seconds. On a sandbox with a longer or unknown window
(see conftest) both tests skip at once, saying why. One test per assumption (README).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from conformance_target import Target

LOGGING = """
import sys, time, wandb
run = wandb.init(entity=sys.argv[1], project=sys.argv[2], name=sys.argv[3],
                 id=sys.argv[4] if len(sys.argv) > 4 else None,
                 resume="must" if len(sys.argv) > 4 else None)
run.log({"x": 1})
print(run.id, flush=True)
sys.stdin.readline()  # until the test says
run.finish()
"""


@dataclass
class Crashed:
    target: Target
    run_id: str


@contextmanager
def logging_run(
    target: Target, name: str, *resume: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process logging the run `name` (or resuming the run id given), once it has logged."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(target.env)
    command = [sys.executable, "-c", LOGGING, target.entity, target.project, name, *resume]
    with (
        tempfile.TemporaryFile("w+") as errors,
        subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,  # its own process group, for the kill
        ) as process,
    ):
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        if not run_id:
            process.wait(timeout=60)
            errors.seek(0)
            pytest.fail(f"the logging process printed no run id:\n{errors.read()[-3000:]}")
        yield process, run_id


def state(target: Target, run_id: str) -> str:
    return str(target.api().run(f"{target.path}/{run_id}").state)


def wait_for(target: Target, run_id: str, wanted: str) -> str:
    assert target.crash_wait is not None
    deadline = time.monotonic() + target.crash_wait
    seen = state(target, run_id)
    while seen != wanted and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = state(target, run_id)
    return seen


@pytest.fixture(scope="module")
def crashed(target: Target) -> Crashed:
    """A run killed after logging (its wandb-core follows its parent)."""
    if target.crash_wait is None:  # a server whose crash window is long or unknown
        pytest.skip(target.crash_skip)
    with logging_run(target, "killed") as (process, run_id):
        try:
            assert state(target, run_id) == "running"
        finally:
            os.killpg(process.pid, signal.SIGKILL)
    return Crashed(target, run_id)


def test_run_without_heartbeat_reads_crashed(crashed: Crashed) -> None:
    seen = wait_for(crashed.target, crashed.run_id, "crashed")
    assert seen == "crashed", (
        f"a killed run still reads {seen!r} after {crashed.target.crash_wait or 0:.0f} s"
    )


def test_crashed_run_that_sends_again_reads_running(crashed: Crashed) -> None:
    target = crashed.target
    assert wait_for(target, crashed.run_id, "crashed") == "crashed"
    with logging_run(target, "killed", crashed.run_id) as (process, resumed):
        assert resumed == crashed.run_id
        assert state(target, crashed.run_id) == "running", "a crashed run that logs again"
        assert process.stdin is not None
        process.stdin.write("\n")  # finish
    assert state(target, crashed.run_id) == "finished"
