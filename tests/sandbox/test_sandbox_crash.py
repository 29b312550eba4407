"""A run whose process dies without finishing reads as ``crashed`` once its heartbeats stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import wandb

from reportgen.sandbox import Sandbox

SCRIPT = """
import time, wandb
run = wandb.init(project="crash", name="victim")
run.log({"loss": 1.0})
print("ready", flush=True)
step = 0
while True:
    step += 1
    run.log({"loss": 1.0 / step})
    time.sleep(0.1)
"""
STATE = """query { project(name: "crash", entityName: "sandbox") {
  runs { edges { node { name state heartbeatAt } } } } }"""


def _state(sb: Sandbox) -> dict[str, Any]:
    (edge,) = sb.graphql(STATE).json["data"]["project"]["runs"]["edges"]
    return dict(edge["node"])


def _wait_for(sb: Sandbox, state: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (node := _state(sb))["state"] != state and time.monotonic() < deadline:
        time.sleep(0.2)
    return node


def test_a_run_killed_with_sigkill_reads_crashed(use_sandbox: Callable[[Sandbox], None]) -> None:
    with Sandbox() as sb:  # the default window (300 s): a live run stays running
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            env=sb.subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            assert _state(sb)["state"] == "running"
            os.kill(proc.pid, signal.SIGKILL)  # no wandb.finish(), no exit code sent
            proc.wait(timeout=10)
        finally:
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        assert _state(sb)["state"] == "running"  # within the window it has not crashed yet
        sb.set_crash_after(1)  # a short window for the test (W&B's is about five minutes)
        node = _wait_for(sb, "crashed")
        assert node["state"] == "crashed"
        use_sandbox(sb)
        (run,) = wandb.Api().runs(f"{sb.entity}/crash", filters={"state": "crashed"})
        assert run.id == node["name"] and run.state == "crashed"


UPSERT = """mutation U($name: String) { upsertBucket(input: {name: $name, modelName: "crash"}) {
  bucket { state } } }"""


def test_a_crashed_run_that_sends_again_is_running(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.graphql(UPSERT, {"name": "r1"})
    sb.set_crash_after(1)
    assert _wait_for(sb, "crashed")["state"] == "crashed"
    sb.set_crash_after(300)
    stream = sb.request("POST", f"/files/{sb.entity}/crash/r1/file_stream", {"files": {}})
    assert stream.status == 200 and _state(sb)["state"] == "running"
    done = {"files": {}, "complete": True, "exitcode": 0}
    assert sb.request("POST", f"/files/{sb.entity}/crash/r1/file_stream", done).status == 200
    sb.set_crash_after(1)
    time.sleep(1.5)
    assert _state(sb)["state"] == "finished"  # only running runs crash
