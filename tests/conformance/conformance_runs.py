"""The runs the conformance suite reads, logged with the real wandb SDK.

Run as a script (`python conformance_runs.py ENTITY PROJECT`, environment pointing wandb at
the server): logs every run of RUNS, one after the other, in this order (creation order is
what ties sort by). Tests pick the runs they need by display name.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

NAN, INF = math.nan, math.inf


@dataclass(frozen=True)
class Run:
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: tuple[dict[str, Any], ...] = ()
    tags: tuple[str, ...] = ()


RUNS = (
    # Sorting: summary "m" of every kind of value, and none.
    Run("sort-a", summary={"m": 0.5}),
    Run("sort-b", summary={"m": 2}),
    Run("sort-c", summary={"m": -INF}),
    Run("sort-d", summary={"m": INF}),
    Run("sort-e", summary={"m": "apple"}),
    Run("sort-f", summary={"m": "Banana"}),
    Run("sort-g", summary={"m": True}),
    Run("sort-h", summary={"m": False}),
    Run("sort-i", summary={"m": NAN}),
    Run("sort-j", summary={"m": {"max": 1}}),
    Run("sort-k"),
    Run("sort-l", summary={"m": 7}),
    Run("sort-m", summary={"m": 7}),
    # Filters: config "v" of every kind, nested and array config, tags.
    Run(
        "filt-int",
        config={"v": 1, "arr": [1, 2], "opt": {"lr": 0.01}, "lr": 0.01},
        tags=("a", "b"),
    ),
    Run("filt-float", config={"v": 1.0, "arr": [3], "opt": {"lr": 0.1}, "lr": 0.1}, tags=("c",)),
    Run("filt-true", config={"v": True}),
    Run("filt-str", config={"v": "1"}),
    Run("filt-null", config={"v": None}),
    Run("filt-absent"),
    Run("filt-nan", config={"v": 2}, summary={"nv": NAN}),
    # Parameter importance: a summary metric under its bare key.
    Run("imp-low", summary={"accuracy": 0.5}),
    Run("imp-high", summary={"accuracy": 0.9}),
    # History: NaN and infinities, and a nested key.
    Run(
        "hist",
        history=(
            {"h": 1.5, "val": {"loss": 0.5}},
            {"h": NAN, "val": {"loss": 0.25}},
            {"h": INF, "val": {"loss": 0.125}},
            {"h": -INF, "val": {"loss": 0.0625}},
        ),
    ),
)

FILTER_RUNS = tuple(r.name for r in RUNS if r.name.startswith("filt-"))
SORT_RUNS = tuple(r.name for r in RUNS if r.name.startswith("sort-"))


def log_all(entity: str, project: str) -> None:
    import wandb

    for spec in RUNS:
        run = wandb.init(
            entity=entity,
            project=project,
            name=spec.name,
            config=spec.config,
            tags=list(spec.tags),
            reinit="finish_previous",
        )
        for row in spec.history:
            run.log(row)
        if spec.summary:
            # Logged, so the summary holds the last values: the SDK drops a NaN set on
            # `run.summary` directly, but keeps a logged one, as training code logs it.
            run.log(spec.summary)
        run.finish()


if __name__ == "__main__":
    log_all(sys.argv[1], sys.argv[2])
