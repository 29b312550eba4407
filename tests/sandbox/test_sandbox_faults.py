"""Fault injection and request accounting, seen from the real client where it matters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
import wandb

from reportgen.sandbox import Fault, Sandbox
from reportgen.sandbox.faults import FaultPlan


@pytest.fixture
def sb(fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Sandbox:
    use_sandbox(fresh_sandbox)
    return fresh_sandbox


def test_429_carries_retry_after_and_the_client_waits_it_out(sb: Sandbox) -> None:
    sb.set_faults(Fault("429", op="GetDefaultEntity", seconds=1, times=1))
    raw = sb.graphql("query GetDefaultEntity { viewer { id entity } }")
    assert raw.status == 429 and raw.headers["Retry-After"] == "1"
    sb.set_faults(Fault("429", op="GetDefaultEntity", seconds=1, times=1))
    sb.reset_stats()
    started = time.monotonic()
    assert wandb.Api().default_entity == sb.entity
    assert time.monotonic() - started >= 0.9
    stats = sb.stats()
    assert stats["operations"]["GetDefaultEntity"] == 2
    assert stats["faults"] == {"GetDefaultEntity": {"429": 1}}


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_the_client_retries_500_and_dropped_connections(sb: Sandbox, kind: str) -> None:
    sb.set_faults(Fault(kind, op="Viewer", times=1))
    wandb.Api()  # wandb-core retries once, about 2 s later
    assert sb.stats()["operations"] == {"Viewer": 2}
    assert sb.stats()["faults"] == {"Viewer": {kind: 1}}
    assert sb.faults()["faults"][0]["fired"] == 1


def test_latency(sb: Sandbox) -> None:
    sb.set_faults(Fault("latency", op="*", seconds=0.3))
    started = time.monotonic()
    sb.graphql("{ viewer { id } }")
    assert time.monotonic() - started >= 0.3


def test_reads_writes_and_endpoints_are_counted_apart(sb: Sandbox) -> None:
    sb.graphql('mutation { upsertModel(input: {name: "p"}) { inserted } }')
    sb.graphql('{ project(name: "p") { id } }')
    sb.graphql("{ viewer { nope } }")
    sb.request("POST", "/sdk/otel/v1/metrics", {})
    stats = sb.request("GET", "/_sandbox/stats").json
    assert stats["reads"] == 2 and stats["writes"] == 1
    assert stats["write_operations"] == {"<anonymous>": 1}
    assert stats["kinds"]["telemetry"] == 1
    assert stats["requests"] == 4  # admin endpoints are not counted
    assert sb.request("POST", "/_sandbox/stats/reset").json["requests"] == 0


def test_faults_over_the_admin_endpoint(sb: Sandbox) -> None:
    spec = {"faults": [{"kind": "500", "op": "*", "times": 1}], "seed": 3}
    assert sb.request("PUT", "/_sandbox/faults", spec).json["seed"] == 3
    assert sb.graphql("{ viewer { id } }").status == 500
    assert sb.graphql("{ viewer { id } }").status == 200
    assert sb.request("GET", "/_sandbox/faults").json["faults"][0]["fired"] == 1
    assert sb.request("PUT", "/_sandbox/faults", {"faults": [{"kind": "teapot"}]}).status == 400
    assert sb.request("DELETE", "/_sandbox/faults").json["faults"] == []


def test_seeded_rates_are_reproducible() -> None:
    def pattern() -> list[bool]:
        plan = FaultPlan([Fault("500", op="Viewer", rate=0.5)], seed=42)
        return [plan.decide("Viewer").failure is not None for _ in range(40)]

    first = pattern()
    assert first == pattern()
    assert 5 < sum(first) < 35
    assert FaultPlan([Fault("500", op="*")]).decide("telemetry").failure is None


def test_the_api_key_never_reaches_the_log(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sb.set_faults(Fault("500", op="Viewer", times=1))
    wandb.Api()
    sb.graphql("{ viewer { id } }", api_key="z" * 40)
    sb.graphql('{ project(name: "' + sb.api_key + '") { id } }')  # even when a client sends it
    logging.getLogger("reportgen.sandbox").warning("echo %s", sb.api_key)
    assert caplog.records
    assert all(sb.api_key not in r.getMessage() for r in caplog.records)
    assert sb.api_key not in caplog.text
