"""Conformance: how W&B filters runs (`api.runs(filters=...)`), and the key spellings.

The runs are conformance_runs.py's `filt-*`: config `v` is 1 (int), 1.0 (float), true
(true), "1" (str), null (null), absent (absent) and 2 (nan, whose summary `nv` is NaN);
int and float also carry `arr`, `opt.lr`, `lr` and tags. One test per assumption (README).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conformance_runs import FILTER_RUNS
from conformance_target import Target


def matching(target: Target, filters: dict[str, Any], order: str = "+created_at") -> list[str]:
    """The `filt-*` runs the filter keeps, without the prefix, in creation order."""
    return [n[5:] for n in target.names(filters, order=order, among=FILTER_RUNS)]


def refused(target: Target, filters: dict[str, Any] | None = None, order: str = "") -> bool:
    """Whether the runs query with this filter (or order) is an error."""
    from wandb.sdk.lib.service.service_connection import WandbApiFailedError

    try:
        target.raw_runs(filters, order=order or "+created_at")
    except WandbApiFailedError:
        return True
    return False


ALL = ["int", "float", "true", "str", "null", "absent", "nan"]


def test_filter_equality_is_json_equality(runs: Target) -> None:
    assert matching(runs, {"config.v": 1}) == ["int", "float"], "1 == 1.0, and true != 1"
    assert matching(runs, {"config.v": {"$eq": True}}) == ["true"], "true equals only true"
    assert matching(runs, {"config.v": "1"}) == ["str"], '"1" is a string, not 1'


def test_filter_nan_equals_nothing(runs: Target) -> None:
    assert matching(runs, {"summary_metrics.nv": "NaN"}) == [], "NaN is not the string 'NaN'"
    assert "nan" in matching(runs, {"summary_metrics.nv": {"$ne": 0}}), "NaN != 0"


def test_filter_missing_equals_only_null(runs: Target) -> None:
    assert matching(runs, {"config.v": None}) == ["null", "absent"]
    assert matching(runs, {"config.never_logged": None}) == ALL


def test_filter_ne_matches_missing(runs: Target) -> None:
    assert matching(runs, {"config.v": {"$ne": 1}}) == ["true", "str", "null", "absent", "nan"]


def test_filter_comparisons_stay_within_a_type(runs: Target) -> None:
    assert matching(runs, {"config.v": {"$gte": 1}}) == ["int", "float", "nan"], (
        "numbers compare with numbers only: not true, not '1', not null"
    )
    assert matching(runs, {"config.v": {"$gte": "0"}}) == ["str"], "strings with strings only"
    assert matching(runs, {"config.v": {"$lt": 1}}) == [], "$lt is strict"
    assert matching(runs, {"config.v": {"$lte": 1}}) == ["int", "float"]
    for op in ("$gt", "$lt"):
        assert matching(runs, {"summary_metrics.nv": {op: 0}}) == [], f"NaN never matches {op}"


def test_filter_in_and_nin(runs: Target) -> None:
    assert matching(runs, {"config.v": {"$in": [1, "x"]}}) == ["int", "float"]
    assert matching(runs, {"config.v": {"$nin": [1, "x"]}}) == [
        "true",
        "str",
        "null",
        "absent",
        "nan",
    ]


def test_filter_arrays_match_any_element(runs: Target) -> None:
    assert matching(runs, {"config.arr": 2}) == ["int"]
    assert "int" not in matching(runs, {"config.arr": {"$ne": 2}}), "$ne: no element equals"
    assert matching(runs, {"tags": {"$in": ["b", "z"]}}) == ["int"]
    assert matching(runs, {"tags": "c"}) == ["float"]
    assert "int" not in matching(runs, {"tags": {"$nin": ["a"]}})


def test_filter_and_or_nor(runs: Target) -> None:
    assert matching(runs, {"$and": [{"config.v": 1}, {"config.lr": 0.1}]}) == ["float"]
    assert matching(runs, {"$or": [{"config.v": "1"}, {"config.v": True}]}) == ["true", "str"]
    assert matching(runs, {"$nor": [{"config.v": 1}, {"config.v": None}]}) == [
        "true",
        "str",
        "nan",
    ]


def test_filter_exists_treats_null_as_missing(runs: Target) -> None:
    assert matching(runs, {"config.v": {"$exists": True}}) == ["int", "float", "true", "str", "nan"]
    assert matching(runs, {"config.v": {"$exists": False}}) == ["null", "absent"]


def test_filter_regex_is_re2(runs: Target) -> None:
    assert matching(runs, {"display_name": {"$regex": "^filt-(int|float)$"}}) == ["int", "float"]
    for pattern in ("^filt-(?=int)", "^filt-(i)n\\1"):
        assert refused(runs, {"display_name": {"$regex": pattern}}), (
            f"{pattern!r} was accepted: RE2 has no lookaround or backreferences"
        )


def test_filter_created_at_compares_as_time(runs: Target) -> None:
    """What the app sends for `created_at within N` (filterV2 WITHINSECONDS)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day_ago = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    tomorrow = (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert matching(runs, {"createdAt": {"$gte": day_ago}}) == ALL
    assert matching(runs, {"createdAt": {"$gte": tomorrow}}) == []


def test_summary_aliases_are_errors(runs: Target) -> None:
    for key in ("summary.nv", "summaryMetrics.nv"):
        assert refused(runs, {key: 1}), f"the filter key {key!r} was accepted"
    assert refused(runs, order="-summary.m"), "the order key 'summary.m' was accepted"


def test_duration_is_seconds_from_creation_to_heartbeat(runs: Target) -> None:
    nodes = runs.raw_runs({"display_name": {"$in": list(FILTER_RUNS)}})

    def seconds(node: dict[str, Any]) -> float:
        start, end = (
            dt.datetime.fromisoformat(node[k].replace("Z", "+00:00"))
            for k in ("createdAt", "heartbeatAt")
        )
        return (end - start).total_seconds()

    longest = max(seconds(node) for node in nodes)
    assert matching(runs, {"duration": {"$lte": longest}}) == ALL
    assert matching(runs, {"duration": {"$gt": longest}}) == []
    assert not refused(runs, order="-duration")


def test_bare_nested_config_key_in_filter(runs: Target) -> None:
    """`config.opt.lr` reads `lr` inside the config value `opt` (what filterV2's bare
    nested key `opt.lr`, as wandb-workspaces writes it, becomes)."""
    assert matching(runs, {"config.opt.lr": 0.01}) == ["int"]


def test_config_column_path_with_value_after_first_segment(runs: Target) -> None:
    """`config.opt.value.lr` (a runs-table column `config:opt.value.lr`) is the same value."""
    assert matching(runs, {"config.opt.value.lr": 0.1}) == ["float"]
    assert matching(runs, {}, order="-config.opt.value.lr")[:2] == ["float", "int"]


def test_config_value_suffix_is_optional(runs: Target) -> None:
    for key in ("config.lr", "config.lr.value"):
        assert matching(runs, {key: 0.01}) == ["int"], key
        assert matching(runs, {key: {"$exists": True}}, order=f"-{key}") == ["float", "int"], key


@pytest.mark.parametrize("key", ["config.opt.lr", "config.opt.value.lr", "config.opt.lr.value"])
def test_config_sort_key_spellings_are_equal(runs: Target, key: str) -> None:
    """The sort key spellings compile/normalize.py treats as one (`a.value.b`, `a.b.value`,
    `a.b`) sort alike."""
    assert matching(runs, {"config.opt": {"$exists": True}}, order=f"+{key}") == ["int", "float"]
    assert matching(runs, {"config.opt": {"$exists": True}}, order=f"-{key}") == ["float", "int"]


def test_run_states_are_lower_case(runs: Target) -> None:
    states = {node["state"] for node in runs.raw_runs({"display_name": {"$in": ["filt-int"]}})}
    assert states == {"finished"}
    assert matching(runs, {"state": "finished"}) == ALL
    assert matching(runs, {"state": "Finished"}) == []
