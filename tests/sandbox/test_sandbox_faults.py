"""Fault injection and request accounting, seen from the real client where it matters.

No test here measures time: what a fault did is read from the sandbox's own counters (how
often each fault fired, what the client sent again, how much delay the sandbox applied).
"""

from __future__ import annotations

import logging

import pytest
import wandb

from reportgen.sandbox import Fault, Sandbox, parse_fault
from reportgen.sandbox.faults import FaultPlan

CREATE_PROJECT = 'mutation CreateProject { upsertModel(input: {name: "p"}) { inserted } }'
PROJECT = 'query Project { project(name: "p") { id } }'


def test_429_carries_retry_after_and_the_client_retries(sb: Sandbox) -> None:
    sb.set_faults(Fault("429", op="GetDefaultEntity", seconds=2, times=1))
    raw = sb.graphql("query GetDefaultEntity { viewer { id entity } }")
    assert raw.status == 429 and raw.headers["Retry-After"] == "2"
    assert sb.faults()["faults"][0]["fired"] == 1
    assert sb.graphql("query GetDefaultEntity { viewer { id entity } }").status == 200  # times=1
    # Retry-After 0 keeps the test fast; what matters is that the client came back.
    sb.set_faults(Fault("429", op="GetDefaultEntity", seconds=0, times=1))
    sb.reset_stats()
    assert wandb.Api().default_entity == sb.entity
    stats = sb.stats()
    assert stats["operations"]["GetDefaultEntity"] == 2  # the 429, then the client's retry
    assert stats["faults"] == {"GetDefaultEntity": {"429": 1}}
    assert sb.faults()["faults"][0]["fired"] == 1


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert Fault("429", seconds=0.2).retry_after == "1"
    assert Fault("429", seconds=0).retry_after == "0"
    assert Fault("429", seconds=3).retry_after == "3"


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_the_client_retries_500_and_dropped_connections(sb: Sandbox, kind: str) -> None:
    sb.set_faults(Fault(kind, op="Viewer", times=1))
    wandb.Api()  # wandb-core retries once, about 2 s later
    assert sb.stats()["operations"] == {"Viewer": 2}
    assert sb.stats()["faults"] == {"Viewer": {kind: 1}}
    assert sb.faults()["faults"][0]["fired"] == 1


def test_latency_is_applied_and_recorded_by_the_sandbox(sb: Sandbox) -> None:
    sb.set_faults(
        Fault("latency", op="Viewer", seconds=0.01),
        Fault("latency", op="Viewer", seconds=0.005),
        Fault("500", op="Viewer", times=1),
    )
    assert sb.graphql("query Viewer { viewer { id } }").status == 500  # delayed, then failed
    assert sb.graphql("query Viewer { viewer { id } }").status == 200
    assert sb.graphql("query Other { viewer { id } }").status == 200  # not subject to it
    stats = sb.stats()
    assert stats["faults"] == {"Viewer": {"500": 1, "latency": 2}}
    assert stats["latency_seconds"] == {"Viewer": pytest.approx(0.03)}
    assert [f["fired"] for f in sb.faults()["faults"]] == [2, 2, 1]


@pytest.mark.parametrize(("kind", "stored"), [("drop", False), ("drop_after", True)])
def test_dropped_connections_before_and_after_the_write(
    sb: Sandbox, kind: str, stored: bool
) -> None:
    sb.set_faults(Fault(kind, op="CreateProject", times=1))
    with pytest.raises(ConnectionError):
        sb.graphql(CREATE_PROJECT)
    project = sb.graphql(PROJECT).json["data"]["project"]
    assert (project is not None) is stored
    stats = sb.stats()
    assert stats["writes"] == 1  # the client did send it, either way
    assert stats["faults"] == {"CreateProject": {kind: 1}}
    assert sb.faults()["faults"][0]["fired"] == 1
    # times=1: the resent request is answered; only drop_after had already created it.
    assert sb.graphql(CREATE_PROJECT).json["data"]["upsertModel"]["inserted"] is not stored


def test_drop_after_applies_to_run_logging_endpoints_too(sb: Sandbox) -> None:
    sb.set_faults(Fault("drop_after", op="telemetry", times=1))
    with pytest.raises(ConnectionError):
        sb.request("POST", "/sdk/otel/v1/metrics", {})
    assert sb.request("POST", "/sdk/otel/v1/metrics", {}).status == 200
    assert sb.stats()["faults"] == {"telemetry": {"drop_after": 1}}


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
    spec = {"faults": [{"kind": "drop_after", "op": "Viewer"}]}
    assert sb.request("PUT", "/_sandbox/faults", spec).json["faults"][0]["kind"] == "drop_after"
    assert sb.request("DELETE", "/_sandbox/faults").json["faults"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"faults": [{"kind": "teapot"}]},
        {"faults": [["500"]]},
        {"faults": "500"},
        [],
        {"faults": [{"kind": "latency", "seconds": "forever"}]},
        b"{not json",
    ],
)
def test_bad_faults_over_the_admin_endpoint_are_400(sb: Sandbox, body: object) -> None:
    result = sb.request("PUT", "/_sandbox/faults", body)
    assert result.status == 400
    assert result.json["errors"][0]["message"].startswith("bad faults: ")


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
    sb.set_faults(Fault("429", op="Viewer", seconds=0, times=1))
    wandb.Api()
    sb.graphql("{ viewer { id } }", api_key="z" * 40)
    sb.graphql('{ project(name: "' + sb.api_key + '") { id } }')  # even when a client sends it
    logging.getLogger("reportgen.sandbox").warning("echo %s", sb.api_key)
    assert caplog.records
    assert all(sb.api_key not in r.getMessage() for r in caplog.records)
    assert sb.api_key not in caplog.text


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("500", Fault("500")),
        ("kind=500", Fault("500")),
        (" 429 , op=UpsertView2 , seconds=2 , times=1 ", Fault("429", "UpsertView2", 1.0, 2.0, 1)),
        ("drop_after,op=UpsertView2,rate=0.3", Fault("drop_after", "UpsertView2", rate=0.3)),
        ("drop-after,rate=30%", Fault("drop_after", rate=0.3)),
        ("DROP,op=file_stream,times=0", Fault("drop", "file_stream", times=0)),
        ("latency,seconds=0.02", Fault("latency", seconds=0.02)),
        ("op=Viewer,kind=latency", Fault("latency", "Viewer")),
    ],
)
def test_parse_fault(text: str, fault: Fault) -> None:
    assert parse_fault(text) == fault
    assert parse_fault(str(fault)) == fault  # str() writes the same form back


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "expected KIND"),
        ("teapot", "kind must be one of"),
        ("500,op", "expected field=value"),
        ("500,color=red", "unknown field 'color'"),
        ("500,op=A,op=B", "op given twice"),
        ("500,rate=", "rate needs a value"),
        ("500,rate=lots", "rate must be a number"),
        ("500,rate=1.5", "within 0..1"),
        ("500,rate=150%", "within 0..1"),
        ("latency,seconds=-1", "seconds must be"),
        ("latency,seconds=inf", "seconds must be"),
        ("500,times=1.5", "times must be a whole number"),
        ("500,times=-1", "times must not be negative"),
        ("op=Viewer", "needs a kind"),
    ],
)
def test_parse_fault_rejects_bad_input_in_one_line(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match="bad fault") as caught:
        parse_fault(text)
    message = str(caught.value)
    assert problem in message and "\n" not in message
