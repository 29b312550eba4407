"""Runs loaded in bulk read back exactly like the same run logged through the SDK."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import wandb
from sandbox_helpers import run_sdk

from reportgen.sandbox import Sandbox, SeedRun, synthetic_runs
from reportgen.sandbox.db import StoreError

RUN_ID = "twin0001"
CONFIG = {
    "lr": 0.1,
    "dataset": "CIFAR-10",
    "opt": {"name": "adam", "beta": 0.9},
    "layers": [64, 32],
}
ROWS = [
    {"loss": 1.5, "acc": 0.1, "val": {"loss": 2.0}, "note": "warmup"},
    {"loss": math.nan, "acc": 0.4, "val": {"loss": math.inf}, "note": "diverged"},
    {"loss": -math.inf, "acc": 0.9, "val": {"loss": 0.5}, "note": "done"},
]
SUMMARY = {"best_acc": 0.9, "tagline": "twin"}
INIT = {"tags": ["a", "b"], "group": "g", "job_type": "train", "notes": "hello"}
KEYS = ["loss", "val.loss", "note"]

SCRIPT = """
import json, sys, wandb
spec = json.loads(sys.argv[1])
run = wandb.init(project="sdk", id=spec["id"], name="twin", config=spec["config"], **spec["init"])
for row in spec["rows"]:
    run.log(row)
for key, value in spec["summary"].items():
    run.summary[key] = value
run.finish()
"""


@pytest.fixture(scope="module")
def twins() -> Iterator[Sandbox]:
    """One sandbox holding the SDK-logged run (project sdk) and its twin (project bulk)."""
    with Sandbox() as sb:
        spec = {"id": RUN_ID, "config": CONFIG, "rows": ROWS, "summary": SUMMARY, "init": INIT}
        result = run_sdk(sb, "-c", SCRIPT, json.dumps(spec), timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        twin = SeedRun(
            config=CONFIG,
            history=ROWS,
            summary=SUMMARY,
            name=RUN_ID,
            display_name="twin",
            tags=INIT["tags"],
            group="g",
            job_type="train",
            notes="hello",
            host=socket.gethostname(),
            runtime=0,
        )
        assert sb.seed_runs("bulk", [twin]) == [RUN_ID]
        yield sb


@pytest.fixture
def api(twins: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Any:
    use_sandbox(twins)
    return wandb.Api()


TIMING = {"_runtime", "_timestamp"}  # when the run happened: the only values that differ


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN (the values are compared, not NaN's rule)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _untimed(row: dict[str, Any]) -> dict[str, Any]:
    assert row.keys() >= TIMING or not row.keys() & TIMING
    return {k: v for k, v in row.items() if k not in TIMING}


def _pair(api: Any, sb: Sandbox, **kwargs: Any) -> tuple[Any, Any]:
    (logged,) = api.runs(f"{sb.entity}/sdk", **kwargs)
    (loaded,) = api.runs(f"{sb.entity}/bulk", **kwargs)
    return logged, loaded


LISTED = ("id", "name", "state", "tags", "group", "job_type", "notes", "sweep_name")


def test_listing_fields_config_and_summary_match(api: Any, twins: Sandbox) -> None:
    logged, loaded = _pair(api, twins)
    for attribute in LISTED:
        assert getattr(logged, attribute) == getattr(loaded, attribute), attribute
    assert logged._attrs["historyLineCount"] == loaded._attrs["historyLineCount"] == 3
    assert logged._attrs["user"] == loaded._attrs["user"]
    assert logged.config == loaded.config == CONFIG
    assert set(logged.rawconfig) == set(loaded.rawconfig) == {*CONFIG, "_wandb"}
    assert _same(_untimed(logged.summary_metrics), _untimed(loaded.summary_metrics))
    assert math.isinf(loaded.summary_metrics["loss"]) and loaded.summary_metrics["loss"] < 0
    assert loaded.summary_metrics["val"] == {"loss": 0.5}
    assert logged.lastHistoryStep == loaded.lastHistoryStep == 2
    fields = """query R($p: String!, $e: String!) { project(name: $p, entityName: $e) {
      run(name: "twin0001") { name displayName state tags group jobType sweepName commit
        readOnly description notes host historyLineCount eventsLineCount logLineCount
        user { name username } wandbConfig(keys: ["cli_version"]) } } }"""
    answers = [
        twins.graphql(fields, {"p": p, "e": twins.entity}).json["data"] for p in ("sdk", "bulk")
    ]
    assert answers[0] == answers[1]


def test_history_scan_history_and_keys_match(api: Any, twins: Sandbox) -> None:
    logged, loaded = _pair(api, twins)
    full = [_untimed(r) for r in logged.history(pandas=False)]
    assert _same(full, [_untimed(r) for r in loaded.history(pandas=False)])
    assert _same(logged.history(keys=KEYS, pandas=False), loaded.history(keys=KEYS, pandas=False))
    scanned = [_untimed(r) for r in logged.scan_history()]
    assert _same(scanned, [_untimed(r) for r in loaded.scan_history()])
    assert _same(list(logged.scan_history(keys=KEYS)), list(loaded.scan_history(keys=KEYS)))
    query = """query K($p: String!, $e: String!) { project(name: $p, entityName: $e) {
      run(name: "twin0001") { historyKeys sampledHistory(specs: ["{\\"keys\\": [\\"val.loss\\"]}"]) } } }"""
    answers = [
        twins.graphql(query, {"p": p, "e": twins.entity}).json["data"] for p in ("sdk", "bulk")
    ]
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    ("filters", "order"),
    [
        ({"config.dataset": "CIFAR-10", "config.opt.name": "adam"}, "-summary_metrics.acc"),
        ({"summary_metrics.val.loss": {"$lt": 1}}, "+config.lr"),
        ({"tags": "b", "config.layers": 32}, "-summary_metrics.loss"),
        ({"summary_metrics.note": {"$regex": "^do"}, "state": "finished"}, "+duration"),
    ],
)
def test_filters_and_orders_find_both(
    api: Any, twins: Sandbox, filters: dict[str, Any], order: str
) -> None:
    logged, loaded = _pair(api, twins, filters=filters, order=order)
    assert logged.id == loaded.id == RUN_ID


def test_synthetic_runs_have_the_documented_shape(fresh_sandbox: Sandbox) -> None:
    ids = fresh_sandbox.seed_runs("synthetic", synthetic_runs(9, seed=3))
    assert len(set(ids)) == 9
    again = list(synthetic_runs(9, seed=3))
    assert [r.name for r in again] == ids  # reproducible from the seed
    run = again[0]
    assert len(run.config) == 10 and run.config["dataset"] == "CIFAR-10"
    assert len(run.history) == 50 and set(run.history[0]) == {"accuracy", "loss"}
    assert set(run.summary) == {"val_accuracy", "val_loss", "f1"}
    shaped = next(synthetic_runs(1, config_keys=12, summary_metrics=7, history_metrics=3))
    assert len(shaped.config) == 12 and "param_11" in shaped.config
    assert set(shaped.history[-1]) == {"accuracy", "loss", "val_accuracy"}
    assert "metric_6" in shaped.summary


def test_a_taken_run_id_is_refused(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.seed_runs("p", [SeedRun(name="same0001")])
    with pytest.raises(StoreError, match="same0001"):
        fresh_sandbox.seed_runs("p", [SeedRun(name="same0001")])
    with pytest.raises(StoreError, match="twice0001"):
        fresh_sandbox.seed_runs("p", [SeedRun(name="twice0001"), SeedRun(name="twice0001")])
