"""Line plots as data: for each plotted metric, one series per drawn run or seed group.

A run's series is its sampled history (numeric, finite points only). A group's series is
the mean over its runs at each x value with a band, as W&B draws grouped lines
(`groupArea`): `stddev` (mean ± sample std), `stderr`, `minmax`, or none.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reportgen.preview.engine import Ranking, Row
from reportgen.preview.values import is_number
from reportgen.preview.view import LinePlotSpec

Points = list[tuple[float, float]]
PointSource = Callable[[str, str, str], Points]  # (run id, x key, y key) -> points


@dataclass(frozen=True)
class Series:
    label: str
    rank: int | None
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    lo: tuple[float, ...] | None = None
    hi: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Chart:
    title: str
    metric: str
    x: str
    series: tuple[Series, ...]


def key_sets(plots: Sequence[LinePlotSpec]) -> list[tuple[str, str]]:
    """(x, y) per plotted metric, each once: one sampledHistory spec each."""
    return list(dict.fromkeys((p.x, m) for p in plots for m in p.metrics))


def points(rows: Sequence[Mapping[str, object]], x: str, y: str) -> Points:
    """Numeric, finite (x, y) points of history rows, in x order."""
    out = []
    for row in rows:
        a, b = row.get(x), row.get(y)
        if is_number(a) and is_number(b):
            fa, fb = float(a), float(b)  # type: ignore[arg-type]
            if math.isfinite(fa) and math.isfinite(fb):
                out.append((fa, fb))
    out.sort(key=lambda p: p[0])
    return out


def _band(values: list[float], area: str | None) -> tuple[float, float, float]:
    mean = math.fsum(values) / len(values)
    if area == "minmax":
        return mean, min(values), max(values)
    std = 0.0
    if len(values) > 1:
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    if area == "stderr":
        std /= math.sqrt(len(values))
    return mean, mean - std, mean + std


def _series(row: Row, plot: LinePlotSpec, metric: str, source: PointSource) -> Series:
    if row.run is not None:
        pts = source(row.run.id, plot.x, metric)
        return Series(row.name, row.rank, tuple(p[0] for p in pts), tuple(p[1] for p in pts))
    by_x: dict[float, list[float]] = defaultdict(list)
    for run_id in row.run_ids():
        for x, y in source(run_id, plot.x, metric):
            by_x[x].append(y)
    xs = sorted(by_x)
    stats = [_band(by_x[x], plot.group_area) for x in xs]
    banded = plot.group_area not in (None, "none", "samples")
    return Series(
        f"{row.name} (n={len(row.run_ids())})",
        row.rank,
        tuple(xs),
        tuple(s[0] for s in stats),
        tuple(s[1] for s in stats) if banded else None,
        tuple(s[2] for s in stats) if banded else None,
    )


def charts(ranking: Ranking, plot: LinePlotSpec, source: PointSource) -> list[Chart]:
    """One chart per metric of a line plot, drawing the rows W&B draws."""
    drawn = ranking.drawn(plot)
    return [
        Chart(
            title=plot.title if len(plot.metrics) == 1 else f"{plot.title} · {metric}",
            metric=metric,
            x=plot.x,
            series=tuple(_series(row, plot, metric, source) for row in drawn),
        )
        for metric in plot.metrics
    ]
