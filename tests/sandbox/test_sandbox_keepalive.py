"""Requests on a kept-alive connection are answered at once, not after a delayed ACK.

A response sent as two small writes (headers, then body) waits for the client's delayed ACK,
about 40 ms per request on Linux. This is a functional check of that stall, with a generous
bound, not a benchmark: 20 round trips through the real client (wandb-core's HTTP client),
median under 20 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import wandb
from wandb_workspaces._graphql import execute_graphql

from reportgen.sandbox import Sandbox

PROBE = "query Probe { viewer { id entity } }"


def test_kept_alive_round_trips_do_not_wait_for_a_delayed_ack(
    fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]
) -> None:
    use_sandbox(fresh_sandbox)
    api = wandb.Api()
    execute_graphql(api, PROBE, {})  # connection set up
    before = fresh_sandbox.stats()["connections"]
    took = []
    for _ in range(20):
        start = time.perf_counter()
        assert execute_graphql(api, PROBE, {})["viewer"]["entity"] == fresh_sandbox.entity
        took.append(time.perf_counter() - start)
    assert fresh_sandbox.stats()["connections"] - before <= 1  # kept alive, not reconnected
    assert statistics.median(took) < 0.020, [round(t * 1000, 1) for t in took]
