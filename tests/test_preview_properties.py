"""The engine agrees with the sandbox's server side and with a reference order (ORDER_CONTRACT).

For random runs (NaN, infinities, missing and null values, ties, strings, booleans, objects
and arrays side by side), random filterV2 filters and random sort keys:

* the sandbox, asked over GraphQL with the engine's own mongo translation and the first sort
  key as `order`, returns the same runs as the engine, in the same order up to ties on that
  key (the two break ties differently: the sandbox by creation, the engine by the next keys);
* the engine's full order equals an independent reference comparator (declared keys in tier
  order, then run name, then run id).

Runs are created through the API W&B's SDK uses (`upsertBucket` with `config` and
`summaryMetrics`), one project per example.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.preview.engine import rank, runset_filter
from reportgen.preview.records import RunRecord, from_node
from reportgen.preview.view import read_view
from reportgen.sandbox import Sandbox

NOW = dt.datetime.now(dt.timezone.utc)
_ABSENT = object()
_projects = itertools.count()

UPSERT = (
    """mutation($input: UpsertBucketInput!) { upsertBucket(input: $input) { bucket { name } } }"""
)
RUNS = """query($e: String!, $p: String!, $f: JSONString, $o: String) { project(name: $p, entityName: $e) {
  runs(filters: $f, order: $o, first: 1000) { edges { node {
    id name displayName state tags group jobType sweepName createdAt heartbeatAt notes user { username } config summaryMetrics
  } } } } }"""

SCALARS = st.sampled_from(
    [
        0,
        1,
        1.0,
        -2.5,
        0.5,
        3,
        math.inf,
        -math.inf,
        math.nan,
        "a",
        "b",
        "B",
        "",
        "ä",
        True,
        False,
        None,
    ]
)
VALUES = st.one_of(
    SCALARS, SCALARS, SCALARS,
    st.builds(lambda v: {"max": v}, SCALARS),
    st.builds(lambda v: [v], SCALARS),
    st.just(_ABSENT),
)  # fmt: skip
KEYS = [
    ("summary", "m1"),
    ("summary", "m2"),
    ("summary", "m1.max"),
    ("config", "c1"),
    ("run", "displayName"),
    ("run", "state"),
]


@st.composite
def runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    made = []
    for i in range(draw(st.integers(1, 9))):
        summary = {k: v for k in ("m1", "m2") if (v := draw(VALUES)) is not _ABSENT}
        c1 = draw(VALUES)
        made.append({
            "name": f"r{i}",
            "displayName": draw(st.sampled_from(["alpha", "beta", "beta", "Gamma", "10", "9"])),
            "state": draw(st.sampled_from(["finished", "crashed", "running"])),
            "config": {} if c1 is _ABSENT else {"c1": {"value": c1, "desc": None}},
            "summary": summary,
        })  # fmt: skip
    return made


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    section, name = draw(st.sampled_from(KEYS[:5]))
    op = draw(st.sampled_from(["=", "!=", "<=", ">=", "<", ">", "IN", "NIN"]))
    value: Any = draw(SCALARS)
    if op in ("IN", "NIN"):
        value = draw(st.lists(SCALARS, min_size=1, max_size=3))
    if section == "config" and draw(st.booleans()):
        name = f"{name}.value"  # the UI's spelling: the server reads both
    return {"key": {"section": section, "name": name}, "op": op, "value": value}


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 3))):
        item = draw(leaves())
        if draw(st.integers(0, 4)) == 0:
            item = {"filters": [draw(leaves()), {**draw(leaves()), "connector": "OR"}]}
        if i:
            item["connector"] = draw(st.sampled_from(["AND", "OR"]))
        items.append(item)
    return {"filterFormat": "filterV2", "filters": items}


@st.composite
def sorts(draw: st.DrawFn) -> list[tuple[str, str, bool]]:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
    return [(s, n, draw(st.booleans())) for s, n in keys]


def workspace(flt: dict[str, Any], sort: Sequence[tuple[str, str, bool]]) -> Any:
    spec = {"section": {"runSets": [{
        "filters": flt,
        "sort": {"keys": [{"key": {"section": s, "name": n}, "ascending": a} for s, n, a in sort]},
    }]}}  # fmt: skip
    return read_view(spec, "project-view").runsets[0]


# The reference: written from the contract, independently of the engine.


def ref_value(run: RunRecord, section: str, name: str) -> Any:
    if section == "run":
        return {"displayName": run.name, "state": run.attributes.get("state")}[name]
    doc: Any = run.summary if section == "summary" else run.config
    for i, part in enumerate(name.split(".")):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
        if section == "config" and i == 0 and isinstance(doc, dict) and "value" in doc:
            doc = doc["value"]
    return doc


def ref_tier(value: Any) -> int:
    if value is None:
        return 6
    if isinstance(value, bool):
        return 3
    if isinstance(value, float) and math.isnan(value):
        return 4
    if isinstance(value, (int, float)):
        return 1
    return 2 if isinstance(value, str) else 5


def ref_compare(a: Any, b: Any, ascending: bool) -> int:
    ta, tb = ref_tier(a), ref_tier(b)
    if ta != tb:
        return -1 if ta < tb else 1
    if ta > 3 or a == b:
        return 0
    smaller = a < b
    return (-1 if smaller else 1) * (1 if ascending else -1)


def ref_order(rows: Sequence[RunRecord], sort: Sequence[tuple[str, str, bool]]) -> list[str]:
    def compare(x: RunRecord, y: RunRecord) -> int:
        for section, name, ascending in sort:
            c = ref_compare(ref_value(x, section, name), ref_value(y, section, name), ascending)
            if c:
                return c
        return ref_compare(x.name, y.name, True) or ref_compare(x.id, y.id, True)

    return [r.id for r in sorted(rows, key=functools.cmp_to_key(compare))]


def tie_groups(
    ids: Sequence[str], by_id: dict[str, RunRecord], key: tuple[str, str, bool]
) -> Iterator[frozenset[str]]:
    """Consecutive runs that tie on one key, as sets."""
    section, name, ascending = key
    group: list[str] = []
    for run_id in ids:
        if group and ref_compare(
            ref_value(by_id[group[-1]], section, name),
            ref_value(by_id[run_id], section, name),
            ascending,
        ):
            yield frozenset(group)
            group = []
        group.append(run_id)
    if group:
        yield frozenset(group)


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(made=runs(), flt=filters(), sort=sorts())
def test_engine_equals_the_sandbox_and_the_reference(
    server: Sandbox,
    made: list[dict[str, Any]],
    flt: dict[str, Any],
    sort: list[tuple[str, str, bool]],
) -> None:
    project = f"prop-{next(_projects)}"
    for run in made:
        variables = {"input": {
            "name": run["name"], "modelName": project, "displayName": run["displayName"], "state": run["state"],
            "config": json.dumps(run["config"]), "summaryMetrics": json.dumps(run["summary"]),
        }}  # fmt: skip
        assert "errors" not in server.graphql(UPSERT, variables).json
    runset = workspace(flt, sort)

    def query(mongo: dict[str, Any] | None, order: str | None) -> list[dict[str, Any]]:
        variables = {"e": server.entity, "p": project, "f": json.dumps(mongo or {}), "o": order}
        body = server.graphql(RUNS, variables).json
        assert "errors" not in body, body
        return [e["node"] for e in body["data"]["project"]["runs"]["edges"]]

    records = [from_node(node) for node in query(None, None)]
    by_id = {r.id: r for r in records}
    ranking = rank(runset, records, now=NOW)
    engine = [row.run.id for row in ranking.rows if row.run is not None]

    first = runset.sort[0]
    served = [
        n["name"]
        for n in query(runset_filter(runset, NOW), ("+" if first.ascending else "-") + first.path)
    ]
    assert sorted(served) == sorted(engine), "the server and the engine keep different runs"
    key = sort[0]
    assert list(tie_groups(served, by_id, key)) == list(tie_groups(engine, by_id, key))
    assert engine == ref_order([by_id[i] for i in engine], sort)
