"""Conformance: how W&B serves NaN and infinities, and nested history keys.

Summary `m` of `sort-i` is NaN, of `sort-c` -inf, of `sort-d` +inf; the `hist` run logged
`h` = 1.5, NaN, +inf, -inf and `val` = {"loss": ...} at steps 0-3. One test per assumption.
"""

from __future__ import annotations

import json
import math
from typing import Any

from conformance_target import Target

HISTORY_KEYS = """query HistoryKeys($entity: String!, $project: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { historyKeys } } }"""


def one_run(target: Target, display_name: str) -> Any:
    found = list(target.api().runs(target.path, filters={"display_name": display_name}))
    assert len(found) == 1, f"{display_name}: {len(found)} runs"
    return found[0]


def test_nan_and_infinity_in_summary_metrics(runs: Target) -> None:
    """`summaryMetrics` is a JSON string holding the tokens NaN, Infinity, -Infinity, which
    the SDK (Python's json) reads back as floats: not strings, not null, not dropped."""
    expected = {"sort-i": math.isnan, "sort-c": lambda v: v == -math.inf}
    expected["sort-d"] = lambda v: v == math.inf
    for name, check in expected.items():
        (node,) = runs.raw_runs({"display_name": name})
        value = json.loads(node["summaryMetrics"]).get("m")
        assert isinstance(value, float) and check(value), (
            f"{name}: summaryMetrics holds m as {value!r} ({node['summaryMetrics']})"
        )
    assert math.isnan(one_run(runs, "sort-i").summary["m"])


def test_nan_and_infinity_in_sampled_history(runs: Target) -> None:
    """History read by key (`history(keys=...)`, `scan_history(keys=...)`: JSON-typed fields
    that wandb-core parses strictly) carries them as the strings "NaN", "Infinity",
    "-Infinity"."""
    run = one_run(runs, "hist")
    expected = [1.5, "NaN", "Infinity", "-Infinity"]
    assert [row["h"] for row in run.history(keys=["h"], pandas=False)] == expected
    assert [row["h"] for row in run.scan_history(keys=["h"])] == expected


def test_nan_and_infinity_in_full_history(runs: Target) -> None:
    """The history lines (`history()` without keys: JSON strings) keep the tokens, which the
    SDK reads back as floats."""
    values = [row["h"] for row in one_run(runs, "hist").history(pandas=False)]
    assert values[0] == 1.5 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf], (
        values
    )


def test_nested_history_keys_are_leaves(runs: Target) -> None:
    """`wandb.log({"val": {"loss": x}})` is charted as `val.loss`: historyKeys lists the leaf,
    and reading by that key returns the values."""
    run = one_run(runs, "hist")
    data = runs.graphql(
        HISTORY_KEYS, {"entity": runs.entity, "project": runs.project, "name": run.id}
    )
    keys = data["project"]["run"]["historyKeys"]["keys"]
    assert "val.loss" in keys and "val" not in keys, sorted(keys)
    values = [row["val.loss"] for row in run.history(keys=["val.loss"], pandas=False)]
    assert values == [0.5, 0.25, 0.125, 0.0625]
