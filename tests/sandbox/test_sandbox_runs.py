"""Runs logged by the real SDK (the seed) and read back by ``wandb.Api()``."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import pytest
import wandb

from reportgen.sandbox import Sandbox
from reportgen.sandbox.seed import SEED_PROJECT, SEED_RUNS, SEED_SCRIPT, log_seed, seed_is_logged

PROJECT = "image-classification-leaderboard"
RESNET, VIT = "resnet50-v1", "vit-base-patch16-v1"


@pytest.fixture
def api(seeded_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Any:
    use_sandbox(seeded_sandbox)
    return wandb.Api()


def _names(api: Any, sb: Sandbox, **kwargs: Any) -> list[str]:
    return [run.name for run in api.runs(f"{sb.entity}/{PROJECT}", **kwargs)]


def test_leaderboard_query_puts_vit_first_with_exact_accuracy(
    api: Any, seeded_sandbox: Sandbox
) -> None:
    runs = list(
        api.runs(
            f"{seeded_sandbox.entity}/{PROJECT}",
            filters={"config.dataset": "CIFAR-10"},
            order="-summary_metrics.accuracy",
        )
    )
    assert [r.name for r in runs] == [VIT, RESNET]
    assert runs[0].summary["accuracy"] == 0.9584
    assert runs[1].summary["accuracy"] == 0.948
    assert runs[0].config == {
        "model_architecture": "VisionTransformer",
        "learning_rate": 0.0005,
        "epochs": 50,
        "dataset": "CIFAR-10",
    }
    assert {r.state for r in runs} == {"finished"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"config.learning_rate": {"$lt": 0.001}}, [VIT]),
        ({"config.learning_rate.value": 0.001}, [RESNET]),
        ({"config.model_architecture": {"$in": ["ResNet50", "Other"]}}, [RESNET]),
        ({"config.model_architecture": {"$nin": ["ResNet50"]}}, [VIT]),
        ({"summary_metrics.accuracy": {"$gt": 0.95}}, [VIT]),
        ({"summary_metrics.loss": {"$gte": 0.264, "$lte": 0.264}}, [VIT]),
        ({"$or": [{"display_name": RESNET}, {"displayName": VIT}]}, [RESNET, VIT]),
        ({"$and": [{"state": "finished"}, {"config.epochs": 50}]}, [RESNET, VIT]),
        ({"$nor": [{"config.dataset": {"$ne": "CIFAR-10"}}]}, [RESNET, VIT]),
        ({"displayName": {"$regex": "^vit-"}}, [VIT]),
        ({"config.momentum": {"$exists": False}}, [RESNET, VIT]),
        ({"config.momentum": {"$exists": True}}, []),
        ({"tags": {"$in": ["prod"]}}, []),
        ({"jobType": None, "job_type": {"$eq": None}}, [RESNET, VIT]),
    ],
)
def test_filters_are_applied_by_the_server(
    api: Any, seeded_sandbox: Sandbox, filters: dict[str, Any], expected: list[str]
) -> None:
    assert _names(api, seeded_sandbox, filters=filters, order="+created_at") == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("+summary_metrics.accuracy", [RESNET, VIT]),
        ("-config.learning_rate.value", [RESNET, VIT]),
        ("+config.learning_rate", [VIT, RESNET]),
        ("-display_name", [VIT, RESNET]),
        ("+createdAt", [RESNET, VIT]),
    ],
)
def test_order(api: Any, seeded_sandbox: Sandbox, order: str, expected: list[str]) -> None:
    assert _names(api, seeded_sandbox, order=order) == expected


def test_newest_first_keeps_creation_order_within_a_second(
    api: Any, seeded_sandbox: Sandbox
) -> None:
    # createdAt has whole seconds; equal values tie, and ties keep creation order (contract).
    runs = list(api.runs(f"{seeded_sandbox.entity}/{PROJECT}", order="+created_at"))
    created = {run.name: run.created_at for run in runs}
    expected = [RESNET, VIT] if created[RESNET] == created[VIT] else [VIT, RESNET]
    assert _names(api, seeded_sandbox, order="-created_at") == expected


def test_pagination_walks_every_run(api: Any, seeded_sandbox: Sandbox) -> None:
    runs = api.runs(
        f"{seeded_sandbox.entity}/{PROJECT}", order="-summary_metrics.accuracy", per_page=1
    )
    assert [r.name for r in runs] == [VIT, RESNET]
    assert len(runs) == 2


def test_unsupported_filter_operator_is_an_error(api: Any, seeded_sandbox: Sandbox) -> None:
    with pytest.raises(Exception, match=r"\$elemMatch"):
        _names(api, seeded_sandbox, filters={"tags": {"$elemMatch": {"$eq": "x"}}})


def _vit(api: Any, sb: Sandbox) -> Any:
    (run,) = api.runs(f"{sb.entity}/{PROJECT}", filters={"display_name": VIT})
    return run


EXPECTED_ACCURACY = [0.88 + epoch / 50 * 0.08 for epoch in range(50)]


def test_history_returns_every_row(api: Any, seeded_sandbox: Sandbox) -> None:
    run = _vit(api, seeded_sandbox)
    rows = run.history(pandas=False)
    assert [row["_step"] for row in rows] == list(range(50))
    assert [row["accuracy"] for row in rows] == EXPECTED_ACCURACY
    assert {"epoch", "accuracy", "loss", "_step", "_runtime", "_timestamp"} <= set(rows[-1])
    keyed = run.history(keys=["loss"], pandas=False)
    assert [set(row) for row in keyed] == [{"_step", "loss"}] * 50
    assert keyed[-1]["loss"] == 0.95 - 49 / 50 * 0.7


def test_history_samples(api: Any, seeded_sandbox: Sandbox) -> None:
    rows = _vit(api, seeded_sandbox).history(samples=10, pandas=False)
    assert len(rows) == 10
    assert rows[0]["_step"] == 0 and rows[-1]["_step"] == 49


@pytest.mark.parametrize("keys", [None, ["accuracy"]])
def test_scan_history_crosses_page_boundaries(
    api: Any, seeded_sandbox: Sandbox, keys: list[str] | None
) -> None:
    # REPORT.md 1.5: with keys, wandb-core sends an *inclusive* maxStep; getting that wrong
    # loses the last row of every page, which pages of 7 over 50 rows would show.
    rows = list(_vit(api, seeded_sandbox).scan_history(keys=keys, page_size=7))
    assert [row["_step"] for row in rows] == list(range(50))
    assert [row["accuracy"] for row in rows] == EXPECTED_ACCURACY


def test_scan_history_step_range(api: Any, seeded_sandbox: Sandbox) -> None:
    run = _vit(api, seeded_sandbox)
    assert [r["_step"] for r in run.scan_history(keys=["loss"], min_step=1, max_step=2)] == [1]
    assert [r["_step"] for r in run.scan_history(min_step=47)] == [47, 48, 49]


def test_last_history_step(api: Any, seeded_sandbox: Sandbox) -> None:
    assert _vit(api, seeded_sandbox).lastHistoryStep == 49


def test_seed_uploaded_its_run_files(seeded_sandbox: Sandbox) -> None:
    with sqlite3.connect(seeded_sandbox.db_path) as conn:
        uploaded = {
            name for (name,) in conn.execute("SELECT name FROM run_files WHERE uploaded = 1")
        }
    assert {"wandb-summary.json", "config.yaml"} <= uploaded


def test_seed_constants_match_the_example_script(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("train_seed", pytestconfig.rootpath / SEED_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "train_seed", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.PROJECT == SEED_PROJECT == PROJECT
    assert tuple(m.name for m in module.MODELS) == SEED_RUNS == (RESNET, VIT)
    assert module.MODELS[1].accuracy(module.EPOCHS - 1) == 0.9584


def test_seeding_again_is_skipped_when_asked(seeded_sandbox: Sandbox) -> None:
    assert seed_is_logged(seeded_sandbox)
    assert log_seed(seeded_sandbox, skip_if_logged=True) is False
