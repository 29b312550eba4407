"""The ranking engine on its own: pure, over view JSON and plain run records.

Cases are data: filterV2 -> mongo translations, orders across value tiers, rank ties, seed
groups. The engine reads the JSON `reportgen build` writes, so compiled specs are the input.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from reportgen.commands.build import build_views
from reportgen.preview.engine import Ranking, rank
from reportgen.preview.gate import check
from reportgen.preview.mongo import ViewError, filters_to_mongo
from reportgen.preview.records import RunRecord, from_node
from reportgen.preview.view import read_view
from reportgen.spec.gates import parse_gate

NOW = dt.datetime(2026, 1, 10, 12, 0, 0, tzinfo=dt.timezone.utc)
NAN, INF = math.nan, math.inf


def leaf(name: str, op: str, value: Any, section: str = "summary", **extra: Any) -> dict[str, Any]:
    return {"key": {"section": section, "name": name}, "op": op, "value": value, **extra}


def v2(*items: dict[str, Any]) -> dict[str, Any]:
    return {"filterFormat": "filterV2", "filters": list(items)}


TRANSLATIONS = [
    ("empty", v2(), {}),
    ("equality, bare value as the SDK sends it", v2(leaf("dataset", "=", "C", "config")), {"config.dataset": "C"}),
    ("and binds tighter than or",
     v2(leaf("a", "=", 1), leaf("b", "=", 2, connector="OR"), leaf("c", "=", 3, connector="AND")),
     {"$or": [{"summary_metrics.a": 1}, {"$and": [{"summary_metrics.b": 2}, {"summary_metrics.c": 3}]}]}),
    ("a group is an or inside an and",
     v2(leaf("a", ">=", 1), {"filters": [leaf("state", "=", "x", "run"), leaf("state", "=", "y", "run", connector="OR")], "connector": "AND"}),
     {"$and": [{"summary_metrics.a": {"$gte": 1}}, {"$or": [{"state": "x"}, {"state": "y"}]}]}),
    ("disabled leaves and nameless keys are dropped",
     v2(leaf("a", "=", 1, disabled=True), leaf("", "=", 2), leaf("b", "!=", 3)), {"summary_metrics.b": {"$ne": 3}}),
    ("null with an ordering operator is dropped", v2(leaf("a", "<=", None)), {}),
    ("null with IN or NIN is dropped, as the SDK drops it", v2(leaf("a", "IN", None), leaf("b", "NIN", None)), {}),
    ("null with = and != is kept", v2(leaf("a", "=", None), leaf("b", "!=", None)),
     {"$and": [{"summary_metrics.a": None}, {"summary_metrics.b": {"$ne": None}}]}),
    ("a dropped leaf goes with its connector",
     v2(leaf("a", "=", 1), leaf("x", "=", 0, disabled=True, connector="OR"), leaf("b", "=", 2, connector="AND")),
     {"$and": [{"summary_metrics.a": 1}, {"summary_metrics.b": 2}]}),
    ("IN and NIN take lists", v2(leaf("tags", "IN", ["x"], "run"), leaf("m", "NIN", "r", "config")),
     {"$and": [{"tags": {"$in": ["x"]}}, {"config.m": {"$nin": ["r"]}}]}),
    ("WITHINSECONDS is createdAt >= now - N", v2(leaf("createdAt", "WITHINSECONDS", 3600, "run")),
     {"createdAt": {"$gte": "2026-01-10T11:00:00"}}),
    ("strict comparisons keep their meaning", v2(leaf("a", "<", 1), leaf("b", ">", 2)),
     {"$and": [{"summary_metrics.a": {"$lt": 1}}, {"summary_metrics.b": {"$gt": 2}}]}),
    ("legacy tag leaves", v2({"key": {"section": "tags", "name": "bad"}, "op": "=", "value": False}),
     {"$or": [{"tags": None}, {"tags": {"$ne": "bad"}}]}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "mongo"), [c[1:] for c in TRANSLATIONS], ids=[c[0] for c in TRANSLATIONS]
)
def test_filter_v2_translates_as_the_app_does(
    filters: dict[str, Any], mongo: dict[str, Any]
) -> None:
    assert filters_to_mongo(filters, NOW) == mongo


@pytest.mark.parametrize("op", ["~", "CONTAINS", None])
def test_unknown_operators_are_errors_not_silent_matches(op: Any) -> None:
    with pytest.raises(ViewError, match="unknown filter operator"):
        filters_to_mongo(v2(leaf("a", op, 1)), NOW)


def run(
    name: str,
    summary: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    **attrs: Any,
) -> RunRecord:
    envelope = {k: {"value": v, "desc": None} for k, v in (config or {}).items()}
    return RunRecord(name, name, "2026-01-01T00:00:00", attrs, envelope, summary or {})


def runset(
    sort: list[tuple[str, str, bool]],
    filters: dict[str, Any] | None = None,
    grouping: list[tuple[str, str]] = (),
    columns: list[str] = (),
) -> Any:  # type: ignore[assignment]
    spec = {
        "section": {
            "runSets": [{
                "filters": filters or v2(),
                "sort": {"keys": [{"key": {"section": s, "name": n}, "ascending": a} for s, n, a in sort]},
                "grouping": [{"section": s, "name": n} for s, n in grouping],
                "runFeed": {"columnOrder": list(columns), "columnPinned": dict.fromkeys(columns, True)},
            }],
            "panelBankConfig": {"sections": []},
        }
    }  # fmt: skip
    return read_view(spec, "project-view").runsets[0]


def names(ranking: Ranking) -> list[str]:
    return [row.name for row in ranking.rows]


MIXED = {
    "n-small": 0.1, "n-big": 0.9, "inf": INF, "minf": -INF, "s-a": "a", "s-b": "b",
    "false": False, "true": True, "nan": NAN, "obj": {"max": 5}, "arr": [1], "null": None,
}  # fmt: skip
MISSING_RUN = "missing"


def mixed_runs() -> list[RunRecord]:
    return [run(k, {"m": v}) for k, v in MIXED.items()] + [run(MISSING_RUN, {})]


def test_tiers_are_the_same_in_both_directions_and_only_values_flip() -> None:
    up = rank(runset([("summary", "m", True)]), mixed_runs(), now=NOW)
    down = rank(runset([("summary", "m", False)]), mixed_runs(), now=NOW)
    # numbers, strings, booleans, NaN, objects/arrays (tie: by name), missing/null (tie: by name)
    assert names(up) == [
        "minf",
        "n-small",
        "n-big",
        "inf",
        "s-a",
        "s-b",
        "false",
        "true",
        "nan",
        "arr",
        "obj",
        MISSING_RUN,
        "null",
    ]
    assert names(down) == [
        "inf",
        "n-big",
        "n-small",
        "minf",
        "s-b",
        "s-a",
        "true",
        "false",
        "nan",
        "arr",
        "obj",
        MISSING_RUN,
        "null",
    ]
    ranks = [row.rank for row in down.rows]
    assert ranks == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 12, 12]


def test_ranks_tie_on_declared_keys_and_order_by_name_then_id() -> None:
    runs = [
        run("d", {"acc": 0.9}),
        run("b", {"acc": 0.95}),
        run("c", {"acc": 0.95}),
        run("a", {"acc": 0.99}),
    ]
    twin = RunRecord("zz-id", "b", "2026-01-01T00:00:00", {}, {}, {"acc": 0.95})
    ranking = rank(
        runset([("summary", "acc", False), ("run", "displayName", True)]), [*runs, twin], now=NOW
    )
    assert [(r.rank, r.name, r.run.id if r.run else "") for r in ranking.rows] == [
        (1, "a", "a"), (2, "b", "b"), (2, "b", "zz-id"), (2, "c", "c"), (5, "d", "d"),
    ]  # fmt: skip


def test_integers_and_floats_compare_as_numbers_and_config_reads_inside_the_envelope() -> None:
    runs = [
        run("one", config={"lr": 1}),
        run("one-float", config={"lr": 1.0}),
        run("half", config={"lr": 0.5}),
        run("true", config={"lr": True}),
    ]
    ranking = rank(
        runset([("config", "lr", False)], v2(leaf("lr.value", "!=", 0.5, "config"))), runs, now=NOW
    )
    assert [(r.rank, r.name) for r in ranking.rows] == [(1, "one"), (1, "one-float"), (3, "true")]


def test_filters_follow_the_contract() -> None:
    runs = [
        run("nan", {"a": NAN}),
        run("str", {"a": "1"}),
        run("one", {"a": 1}),
        run("bool", {"a": True}),
        run("none", {}),
    ]

    def kept(*items: dict[str, Any]) -> list[str]:
        return sorted(
            r.name
            for r in rank(runset([("run", "displayName", True)], v2(*items)), runs, now=NOW).rows
        )

    assert kept(leaf("a", "=", 1)) == ["one"]  # "1" != 1, true != 1
    assert kept(leaf("a", "!=", 1)) == ["bool", "nan", "none", "str"]  # missing matches $ne
    assert kept(leaf("a", ">=", 0)) == ["one"]  # NaN, strings, booleans never compare with numbers
    assert kept(leaf("a", "=", None)) == ["none"]  # missing equals only null
    assert kept(leaf("a", "IN", [NAN, "1"])) == ["str"]  # NaN equals nothing


def test_nested_summary_values_rank_like_any_metric() -> None:
    runs = [
        run("last-best", {"accuracy": {"max": 0.97}}),
        run("peak", {"accuracy": {"max": 0.99}}),
        run("flat", {"accuracy": 0.98}),
    ]
    ranking = rank(
        runset([("summary", "accuracy.max", False)], columns=["summary:accuracy.max"]),
        runs,
        now=NOW,
    )
    assert [(r.rank, r.name, r.values[1]) for r in ranking.rows][:2] == [
        (1, "peak", 0.99),
        (2, "last-best", 0.97),
    ]
    assert ranking.rows[2].name == "flat" and ranking.rows[2].values[1] is not None


def test_seed_groups_rank_by_mean_with_std_and_mark_small_groups() -> None:
    runs = [
        run("a1", {"acc": 0.90}, {"arch": "A", "seed": 1}), run("a2", {"acc": 0.92}, {"arch": "A", "seed": 2}),
        run("a3", {"acc": 0.94}, {"arch": "A", "seed": 3}), run("b1", {"acc": 0.93}, {"arch": "B", "seed": 1}),
        run("b2", {"acc": 0.95}, {"arch": "B", "seed": 2}), run("b3", {"acc": 0.97}, {"arch": "B", "seed": 3}),
        run("c1", {"acc": 0.99}, {"arch": "C", "seed": 1}),
    ]  # fmt: skip
    ranking = rank(
        runset([("summary", "acc", False)], grouping=[("config", "arch.value")], columns=["summary:acc"]),
        runs, now=NOW, min_group_size=3,
    )  # fmt: skip
    rows = [(r.rank, r.name, r.small, r.group.n if r.group else 0) for r in ranking.rows]
    assert rows == [(1, "B", False, 3), (2, "A", False, 3), (None, "C", True, 1)]
    best = ranking.rows[0].group
    assert best is not None
    assert best.stats["summary_metrics.acc"].mean == pytest.approx(0.95)
    assert best.stats["summary_metrics.acc"].std == pytest.approx(0.02)
    assert check(parse_gate("acc >= 0.95"), ranking).ok
    assert not check(parse_gate('"c1" in top 2'), ranking).ok  # unranked: too few seeds
    assert check(parse_gate('"a2" in top 2'), ranking).ok


def test_a_group_shows_a_setting_as_its_value_and_a_result_as_mean_and_std() -> None:
    """Config columns are settings: the shared value (`2`, never `2 ± 0`), else the distinct
    values (`1, 2, 3`, a run without one as `—`), else `mixed (N values)`."""
    from reportgen.preview.evaluate import Table
    from reportgen.preview.tables import cells, header

    runs = [
        run("a1", {"acc": 0.90}, {"arch": "A", "epochs": 2, "seed": 1, "opt": "sgd", "wd": 0.1}),
        run("a2", {"acc": 0.92}, {"arch": "A", "epochs": 2, "seed": 2, "opt": "adam", "wd": 0.1}),
        run("a3", {"acc": 0.94}, {"arch": "A", "epochs": 2.0, "seed": 3, "opt": "lamb"}),
        run("a4", {"acc": 0.92}, {"arch": "A", "epochs": 2, "seed": 4, "opt": "adamw", "wd": 0.1}),
    ]
    columns = ["run:displayName", "summary:acc", "config:epochs.value", "config:seed.value",
               "config:opt.value", "config:wd.value"]  # fmt: skip
    ranking = rank(
        runset([("summary", "acc", False)], grouping=[("config", "arch.value")], columns=columns),
        runs, now=NOW,
    )  # fmt: skip
    table = Table(ranking, ranking.rows, 4, True)
    assert header(table) == ["rank", "group", "n", "acc", "epochs", "seed", "opt", "wd"]
    assert cells(ranking.rows[0], table) == [
        "1", "A", "4", "0.92 ± 0.0163299", "2", "mixed (4 values)", "mixed (4 values)", "0.1, —",
    ]  # fmt: skip
    three = rank(runset([("summary", "acc", False)], grouping=[("config", "arch.value")],
                        columns=columns), runs[:3], now=NOW)  # fmt: skip
    assert cells(three.rows[0], Table(three, three.rows, 3, True))[4:7] == [
        "2", "1, 2, 3", "adam, lamb, sgd",
    ]  # fmt: skip


def test_a_nan_seed_makes_its_group_mean_nan() -> None:
    runs = [
        run("a1", {"acc": 0.9}, {"arch": "A"}),
        run("a2", {"acc": NAN}, {"arch": "A"}),
        run("b1", {"acc": 0.5}, {"arch": "B"}),
    ]
    ranking = rank(
        runset([("summary", "acc", False)], grouping=[("config", "arch.value")]), runs, now=NOW
    )
    assert names(ranking) == ["B", "A"]


def test_compiled_seed_leaderboard_is_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/10: the grouping and the mean/std curves compile, and the engine reads them."""
    monkeypatch.setenv("WANDB_ENTITY", "e")
    (built,) = build_views(
        [Path(__file__).resolve().parents[1] / "examples" / "10-seed-groups.yaml"]
    )
    view = read_view(built.spec(), built.view_type)
    (rs,) = view.runsets
    assert [g.path for g in rs.grouping] == [
        "config.model_architecture.value",
        "config.learning_rate.value",
    ]
    assert [(s.path, s.ascending) for s in rs.sort] == [
        ("summary_metrics.accuracy.max", False),
        ("summary_metrics.loss", True),
    ]
    (plot,) = view.panels()
    assert (plot.limit, plot.group_agg, plot.group_area, plot.x) == (3, "mean", "stddev", "epoch")


def test_records_read_runs_query_nodes() -> None:
    node = {
        "name": "abc", "displayName": "my-run", "createdAt": "2026-01-01T00:00:00", "state": "finished",
        "tags": ["x"], "user": {"username": "u"},
        "config": '{"lr": {"value": 0.1, "desc": null}, "_wandb": {"value": {"t": 1}}}',
        "summaryMetrics": '{"acc": NaN, "loss": Infinity}',
    }  # fmt: skip
    record = from_node(node)
    assert (record.id, record.name, record.attributes["username"]) == ("abc", "my-run", "u")
    assert "_wandb" not in record.config and math.isnan(record.summary["acc"])
    assert record.summary["loss"] == INF


def test_groups_are_json_values_not_their_text() -> None:
    runs = [
        run("int", {"acc": 1}, {"lr": 1}),
        run("float", {"acc": 1}, {"lr": 1.0}),
        run("str", {"acc": 1}, {"lr": "1"}),
        run("bool", {"acc": 1}, {"lr": True}),
    ]
    ranking = rank(
        runset([("summary", "acc", False)], grouping=[("config", "lr.value")]), runs, now=NOW
    )
    sizes = sorted((r.group.n, r.name) for r in ranking.rows if r.group)
    assert sizes == [(1, "1"), (1, "true"), (2, "1")]


def test_rank_moves_name_the_new_first_and_runs_entering_and_leaving() -> None:
    from reportgen.preview.diff import moves_markdown, rank_moves

    runs = [
        run("a", {"acc": 0.9, "loss": 0.3}),
        run("b", {"acc": 0.8, "loss": 0.1}),
        run("c", {"acc": 0.7, "loss": 0.2}),
    ]
    by_acc = rank(runset([("summary", "acc", False)]), runs, now=NOW).rows
    by_loss = rank(runset([("summary", "loss", True)]), runs, now=NOW).rows
    moves = rank_moves("k", "Board", by_acc, by_loss[:2], top=2)
    assert (moves.new_first, moves.old_first) == ("b", "a")
    assert {(m.name, m.kind) for m in moves.moves} == {("b", "up"), ("c", "entered"), ("a", "left")}
    text = moves_markdown([moves, rank_moves("new", "New board", None, by_loss, top=3)])
    assert (
        "**New #1: b** (was a)" in text
        and "| c | — | 2 | new |" in text
        and "| a | 1 | — | out |" in text
    )
    assert "Not on W&B yet: the top 3 would be:\n\n| run | W&B now |" in text
    assert "| b | — | 1 |  |" in text
