"""The value contract on the server: filters, total order, paging and refusals.

Runs are bulk-loaded (``Sandbox.seed_runs``, shown equal to SDK runs in test_sandbox_bulk);
the SDK's own ``api.runs`` reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import wandb

from reportgen.sandbox import Sandbox, SeedRun

NAN, INF = math.nan, math.inf
MISSING = object()
# run name -> summary value of "v" (MISSING: no such key); created in this order.
VALUES: dict[str, Any] = {
    "a": 1,
    "b": 1.0,
    "c": True,
    "d": "1",
    "e": NAN,
    "f": MISSING,
    "g": None,
    "h": [1, 2],
    "i": {"x": 1},
    "j": "abc",
    "k": INF,
    "l": -INF,
    "m": "\uffffodd",  # a real string starting with the sandbox's marker character
}
START = dt.datetime(2026, 1, 1)


def _run(i: int, name: str, value: Any) -> SeedRun:
    summary = {} if value is MISSING else {"v": value}
    return SeedRun(
        name=f"run-{name}",
        display_name=name,
        summary=summary,
        config={"lr": 0.1 * (i + 1), "opt": {"name": "adam" if i % 2 else "sgd"}},
        tags=["even"] if i % 2 == 0 else ["odd", "x"],
        created_at=START + dt.timedelta(seconds=10 * i),
        runtime=60.0 * (i + 1),
        history=[{"step_metric": i}],
    )


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.seed_runs("p", [_run(i, n, v) for i, (n, v) in enumerate(VALUES.items())])
        yield sandbox


@pytest.fixture
def api(sb: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Any:
    use_sandbox(sb)
    return wandb.Api()


def _names(api: Any, sb: Sandbox, **kwargs: Any) -> list[str]:
    return [run.name for run in api.runs(f"{sb.entity}/p", **kwargs)]


ALL = list(VALUES)


def _but(*names: str) -> list[str]:
    return [n for n in ALL if n not in names]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"summary_metrics.v": 1}, ["a", "b", "h"]),  # 1 == 1.0; any element of an array
        ({"summary_metrics.v": {"$eq": True}}, ["c"]),  # true != 1
        ({"summary_metrics.v": "1"}, ["d"]),  # "1" != 1
        ({"summary_metrics.v": NAN}, []),  # NaN equals nothing
        ({"summary_metrics.v": None}, ["f", "g"]),  # missing and null equal null
        ({"summary_metrics.v": {"$ne": 1}}, _but("a", "b", "h")),
        ({"summary_metrics.v": {"$gt": 0}}, ["a", "b", "h", "k"]),
        ({"summary_metrics.v": {"$lte": 1}}, ["a", "b", "h", "l"]),
        ({"summary_metrics.v": {"$gte": "1"}}, ["d", "j", "m"]),  # strings with strings
        ({"summary_metrics.v": {"$lt": "\uffff"}}, ["d", "j"]),  # code points; escapes hold
        ({"summary_metrics.v": {"$gt": False}}, []),  # booleans never compare
        ({"summary_metrics.v": {"$in": [True, "abc"]}}, ["c", "j"]),
        ({"summary_metrics.v": {"$nin": [1, "abc"]}}, _but("a", "b", "h", "j")),
        ({"summary_metrics.v": {"$in": []}}, []),
        ({"summary_metrics.v": {"$exists": True}}, _but("f", "g")),
        ({"summary_metrics.v": {"$exists": False}}, ["f", "g"]),
        ({"summary_metrics.v": {"$regex": "^a|odd$"}}, ["j", "m"]),
        ({"summary_metrics.v.x": 1}, ["i"]),
        ({"summary_metrics.v": "\uffffodd"}, ["m"]),
        ({"$or": [{"summary_metrics.v": True}, {"summary_metrics.v": "abc"}]}, ["c", "j"]),
        ({"$nor": [{"summary_metrics.v": {"$exists": True}}]}, ["f", "g"]),
        ({"$and": [{"tags": "odd"}, {"summary_metrics.v": {"$gt": 0}}]}, ["b", "h"]),
        ({"tags": {"$in": ["x"]}}, ["b", "d", "f", "h", "j", "l"]),
        ({"tags": {"$ne": "even"}}, ["b", "d", "f", "h", "j", "l"]),
        ({"tags": {"$nin": ["odd", "even"]}}, []),
        ({"config.lr": {"$gt": 1.25}}, ["m"]),
        ({"config.lr.value": {"$gt": 1.25}}, ["m"]),  # config.k and config.k.value agree
        ({"config.opt.name": "adam", "config.opt.value.name": "adam"}, ALL[1::2]),
        ({"duration": {"$gte": 720}}, ["l", "m"]),  # seconds from createdAt to heartbeatAt
        ({"createdAt": {"$gte": "2026-01-01T00:01:59.5Z"}}, ["m"]),
        ({"created_at": {"$lt": "2026-01-01T00:00:10.000001"}}, ["a", "b"]),
        ({"createdAt": "2026-01-01T00:00:10+00:00"}, ["b"]),
        ({"display_name": {"$regex": "(?i)^A$"}}, ["a"]),
        ({"state": "finished", "historyLineCount": 1, "username": "sandbox"}, ALL),
    ],
)
def test_filters(api: Any, sb: Sandbox, filters: dict[str, Any], expected: list[str]) -> None:
    assert _names(api, sb, filters=filters, order="+created_at") == expected


ASCENDING = ["l", "a", "b", "k", "d", "j", "m", "c", "e", "h", "i", "f", "g"]
DESCENDING = ["k", "a", "b", "l", "m", "j", "d", "c", "e", "h", "i", "f", "g"]


@pytest.mark.parametrize("per_page", [1, 2, 5, 50])
def test_the_order_is_total_and_pages_agree(api: Any, sb: Sandbox, per_page: int) -> None:
    assert _names(api, sb, order="+summary_metrics.v", per_page=per_page) == ASCENDING
    assert _names(api, sb, order="-summary_metrics.v", per_page=per_page) == DESCENDING
    assert _names(api, sb, order="-duration", per_page=per_page) == ALL[::-1]
    assert _names(api, sb, order="+tags", per_page=per_page) == ALL  # arrays all tie


def _reference_key(value: Any, descending: bool) -> tuple[int, Any]:
    """The contract's order for one value, written independently of the sandbox."""
    sign = -1 if descending else 1
    if value is MISSING or value is None:
        return (6, 0)
    if isinstance(value, bool):
        return (3, sign * int(value))
    if isinstance(value, (int, float)):
        return (4, 0) if math.isnan(value) else (1, sign * value)
    if isinstance(value, str):
        codes = [ord(c) for c in value]
        return (2, [sign * c for c in codes] + [sign * -1])  # a prefix sorts first ascending
    return (5, 0)


def test_random_values_page_in_the_contract_order(
    fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]
) -> None:
    rng = random.Random(9)
    pool: list[Any] = [NAN, INF, -INF, None, MISSING, True, False, "", "a", "ab", "b", {"k": 1}]
    pool += [[1], 0, -0.5, 2, 2.0, 1e300]
    values = [rng.choice(pool) for _ in range(120)]
    runs = [
        SeedRun(name=f"r{i:03d}", summary={} if v is MISSING else {"v": v}, created_at=START)
        for i, v in enumerate(values)
    ]  # one createdAt for all: ties fall to the storage id, i.e. this order
    fresh_sandbox.seed_runs("rand", runs)
    use_sandbox(fresh_sandbox)
    api = wandb.Api()
    for descending in (False, True):
        expected = sorted(range(len(values)), key=lambda i: _reference_key(values[i], descending))
        order = ("-" if descending else "+") + "summary_metrics.v"
        for per_page in (7, 1000):
            runs = api.runs(f"{fresh_sandbox.entity}/rand", order=order, per_page=per_page)
            got = [run.id for run in runs]
            assert got == [f"r{i:03d}" for i in expected], (order, per_page)


RUNS = """query Runs($filters: JSONString, $order: String, $cursor: String) {
  project(name: "p", entityName: "sandbox") { runCount(filters: $filters)
    runs(filters: $filters, order: $order, first: 2, after: $cursor) { edges { node { name } } } } }"""


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"order": ""}, "order must name one key"),
        ({"order": "-summary_metrics.v,+config.lr"}, "exactly one [+|-]key"),
        ({"order": "+-summary_metrics.v"}, "exactly one [+|-]key"),
        ({"order": " -summary_metrics.v"}, "exactly one [+|-]key"),
        ({"order": "-summary.v"}, "summary metrics are summary_metrics.<name>"),
        ({"order": "summaryMetrics.v"}, "summary metrics are summary_metrics.<name>"),
        ({"order": "-no_such_field"}, "unknown filter/order key 'no_such_field'"),
        ({"order": "config..lr"}, "empty name between dots"),
        ({"filters": '{"summary.v": 1}'}, "summary metrics are summary_metrics.<name>"),
        ({"filters": '{"summaryMetrics.v": 1}'}, "summary metrics are summary_metrics.<name>"),
        ({"filters": '{"tags": {"$elemMatch": {"$eq": "x"}}}'}, "unsupported filter operator"),
        ({"filters": '{"$and": []}'}, "$and takes a non-empty list"),
        ({"filters": '{"summary_metrics.v": {"$regex": "(?=a)"}}'}, "RE2 refuses lookahead"),
        ({"filters": '{"summary_metrics.v": {"$regex": "(?<!a)b"}}'}, "negative lookbehind"),
        ({"filters": '{"summary_metrics.v": {"$regex": "(a)\\\\1"}}'}, "backreferences"),
        ({"filters": '{"summary_metrics.v": {"$regex": "a++"}}'}, "possessive"),
        ({"filters": '{"summary_metrics.v": {"$regex": "a", "$options": "i"}}'}, "$options"),
        ({"filters": '{"summary_metrics.v": {"x": 1}}'}, "object or array"),
        ({"filters": '{"summary_metrics.v": {"$gt": 1, "x": 1}}'}, "cannot be mixed"),
        ({"filters": "[1]"}, "must be a JSON object"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "bad runs cursor"),
    ],
)
def test_malformed_queries_are_errors_the_client_sees(
    sb: Sandbox, variables: dict[str, Any], problem: str
) -> None:
    result = sb.graphql(RUNS, variables)
    assert result.status == 200  # wandb-core retries 5xx, and 4xx is not how W&B says it
    messages = " | ".join(e["message"] for e in result.json["errors"])
    assert problem in messages


def test_the_sdk_raises_on_a_bad_order(api: Any, sb: Sandbox) -> None:
    with pytest.raises(Exception, match="exactly one"):
        _names(api, sb, order="-summary_metrics.v,+config.lr")
    with pytest.raises(Exception, match="summary_metrics"):
        _names(api, sb, filters={"summary.v": 1})


def test_run_count_is_computed_once_per_query(
    fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]
) -> None:
    fresh_sandbox.seed_runs("p", [_run(i, n, v) for i, (n, v) in enumerate(VALUES.items())])
    use_sandbox(fresh_sandbox)
    runs = wandb.Api().runs(f"{fresh_sandbox.entity}/p", filters={"tags": "odd"}, per_page=2)
    assert len([run.name for run in runs]) == 6  # three pages, each asking for runCount
    stats = fresh_sandbox.stats()
    assert stats["operations"]["Runs"] == 3
    assert stats["run_counts"] == {"computed": 1, "cached": 2}
    assert stats["server_seconds"]["Runs"] > 0
