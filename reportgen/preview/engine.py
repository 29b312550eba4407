"""The ranking engine: a run set as W&B stores it, plus run records, in; the rows of its runs
table out, in order, with a rank column, and the runs (or groups) each line plot draws.

Pure: no network, no clock (the caller passes `now` for `WITHINSECONDS`). Filters are the
run set's filterV2 translated to mongo (`mongo`, as the W&B app does) and evaluated by
`match`; each sort key orders values by `values.sort_key` (ORDER_CONTRACT); the full order
is the declared keys, then the run name, then the run id. Two rows share a rank when they
are equal on every declared key but the run's own name and id (1, 2, 2, 4).

Grouped run sets (`grouping`, the seed groups of a leaderboard) become one row per group:
each numeric result is the mean over the group's runs (NaN if any run's is NaN), with its
sample standard deviation and count; groups are ranked by those means. A config value is a
setting, not a result: the group shows the value its runs share, or their distinct values. Groups with fewer
runs than `min_group_size` follow the ranked ones, unranked and marked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.preview.match import matches
from reportgen.preview.mongo import combine, filters_to_mongo, search_to_mongo
from reportgen.preview.records import RunRecord
from reportgen.preview.values import (
    ABSENT,
    MISSING,
    NAN,
    NUMBER,
    display,
    json_equal,
    resolve,
    sort_key,
    tier,
)
from reportgen.preview.view import ColumnSpec, LinePlotSpec, RunsetSpec, SortSpec


@dataclass(frozen=True)
class Stat:
    """A group's aggregate of one value: the mean, the sample std (None below 2) and n; or,
    for a setting (config) or a value that is no number, the value the group's runs share,
    and when they do not share one, `distinct`: their values (MISSING for runs without
    one), each once, in sort order."""

    mean: Any
    std: float | None
    count: int
    distinct: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Group:
    label: str
    keys: tuple[Any, ...]
    runs: tuple[RunRecord, ...]
    stats: dict[str, Stat] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.runs)


@dataclass(frozen=True)
class Row:
    """One row of the runs table: a run, or a group of runs."""

    rank: int | None
    name: str
    values: tuple[Any, ...]
    run: RunRecord | None = None
    group: Group | None = None
    small: bool = False

    @property
    def key(self) -> str:
        """What identifies the row across rankings: the run id, or the group's label."""
        return self.run.id if self.run is not None else f"group:{self.name}"

    def run_ids(self) -> tuple[str, ...]:
        if self.run is not None:
            return (self.run.id,)
        return tuple(r.id for r in self.group.runs) if self.group else ()


@dataclass(frozen=True)
class Ranking:
    """The runs table of one run set: its columns and rows in order."""

    runset: RunsetSpec
    rows: tuple[Row, ...]
    matched: int
    min_group_size: int = 1

    @property
    def columns(self) -> tuple[ColumnSpec, ...]:
        return self.runset.columns

    @property
    def grouped(self) -> bool:
        return bool(self.runset.grouping)

    def drawn(self, plot: LinePlotSpec) -> tuple[Row, ...]:
        """The rows a line plot draws: W&B draws the first `limit` runs (or groups) of the
        run set's order."""
        return self.rows[: plot.limit]


def runset_filter(runset: RunsetSpec, now: dt.datetime) -> dict[str, Any]:
    """The mongo filter of a run set: its filterV2 and its search box, both."""
    return combine(
        filters_to_mongo(runset.filters, now), search_to_mongo(runset.search, runset.search_regex)
    )


def order_key(run: RunRecord, sort: Sequence[SortSpec]) -> tuple[Any, ...]:
    """The full order: the declared keys, then run name ascending, then run id."""
    keys = [sort_key(resolve(run, s.path), s.ascending) for s in sort]
    return (*keys, sort_key(run.name, True), run.id)


def rank_key(values: Sequence[Any], sort: Sequence[SortSpec]) -> tuple[Any, ...]:
    """What two rows must share to share a rank: every declared key but name and id."""
    return tuple(
        sort_key(v, s.ascending) for v, s in zip(values, sort, strict=True) if not s.identity
    )


def rank(
    runset: RunsetSpec,
    runs: Iterable[RunRecord],
    *,
    now: dt.datetime,
    min_group_size: int = 1,
) -> Ranking:
    """The rows W&B's runs table shows for these runs, in order, ranked."""
    flt = runset_filter(runset, now)
    kept = [run for run in runs if matches(run, flt)]
    grouped = bool(runset.grouping)
    rows = _group_rows(runset, kept, min_group_size) if grouped else _run_rows(runset, kept)
    return Ranking(runset, tuple(rows), len(kept), min_group_size)


def _ranked(items: list[tuple[tuple[Any, ...], Row]]) -> list[Row]:
    """Rows with ranks: 1, 2, 2, 4 for a tie at 2."""
    out: list[Row] = []
    previous: tuple[Any, ...] | None = None
    current = 0
    for position, (key, row) in enumerate(items, start=1):
        if key != previous:
            current, previous = position, key
        out.append(Row(current, row.name, row.values, row.run, row.group, row.small))
    return out


def _run_rows(runset: RunsetSpec, runs: list[RunRecord]) -> list[Row]:
    sort = runset.sort
    ordered = sorted(runs, key=lambda r: order_key(r, sort))
    items = []
    for run in ordered:
        values = tuple(resolve(run, c.path) if c.path else MISSING for c in runset.columns)
        key = rank_key([resolve(run, s.path) for s in sort], sort)
        items.append((key, Row(None, run.name, values, run=run)))
    return _ranked(items)


def aggregate(values: Sequence[Any]) -> Stat:
    """Mean (NaN if any value is NaN), sample std and count of the numbers among `values`;
    a value shared by every run that has one when they are not numbers."""
    present = [v for v in values if v is not MISSING and v is not None]
    numbers = [v for v in present if tier(v) in (NUMBER, NAN)]
    if numbers and len(numbers) == len(present):
        if any(tier(v) == NAN for v in numbers):
            return Stat(math.nan, None, len(numbers))
        mean = math.fsum(numbers) / len(numbers)
        if any(math.isinf(v) for v in numbers):
            return Stat(mean, None, len(numbers))
        std = None
        if len(numbers) > 1:
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in numbers) / (len(numbers) - 1))
        return Stat(mean, std, len(numbers))
    if present and all(json_equal(v, present[0]) for v in present):
        return Stat(present[0], None, len(present))
    return Stat(MISSING, None, len(present), _distinct(values))


def shared(values: Sequence[Any]) -> Stat:
    """A setting over a group (a config key): the value every run has, else the distinct
    values; never a mean (`epochs 2`, not `2 ± 0`)."""
    present = [v for v in values if v is not MISSING and v is not None]
    if present and len(present) == len(values) and all(json_equal(v, present[0]) for v in present):
        return Stat(present[0], None, len(present))
    return Stat(MISSING, None, len(present), _distinct(values) if present else ())


def _distinct(values: Sequence[Any]) -> tuple[Any, ...]:
    unique: list[Any] = []
    for value in values:
        value = MISSING if value is None else value
        if value is MISSING:
            if MISSING not in unique:
                unique.append(MISSING)
        elif not any(u is not MISSING and json_equal(u, value) for u in unique):
            unique.append(value)
    return tuple(sorted(unique, key=lambda v: sort_key(v, True)))


def _group_rows(runset: RunsetSpec, runs: list[RunRecord], min_size: int) -> list[Row]:
    paths = [g.path for g in runset.grouping if g.path]
    buckets: dict[str, tuple[tuple[Any, ...], list[RunRecord]]] = {}
    for run in sorted(runs, key=lambda r: order_key(r, runset.sort)):
        keys = tuple(resolve(run, p) for p in paths)
        buckets.setdefault(_identity(keys), (keys, []))[1].append(run)
    wanted = {c.path for c in runset.columns if c.path} | {s.path for s in runset.sort}
    groups = []
    for keys, members in buckets.values():
        label = " · ".join(display(k) for k in keys)
        stats = {
            p: (shared if p.startswith("config.") else aggregate)([resolve(r, p) for r in members])
            for p in wanted
        }
        for path, key in zip(paths, keys, strict=True):
            stats[path] = Stat(key, None, len(members))
        groups.append(Group(label, keys, tuple(members), stats))

    def value(group: Group, path: str | None, identity: bool = False) -> Any:
        if identity or path in ("displayName", "name"):
            return group.label
        return group.stats[path].mean if path in group.stats else MISSING

    def full(group: Group) -> tuple[Any, ...]:
        keys = [sort_key(value(group, s.path, s.identity), s.ascending) for s in runset.sort]
        return (*keys, sort_key(group.label, True))

    ordered = sorted(groups, key=full)
    ranked = [g for g in ordered if g.n >= min_size]
    small = [g for g in ordered if g.n < min_size]
    items = []
    for group in ranked:
        values = tuple(value(group, c.path) for c in runset.columns)
        sort_values = [value(group, s.path, s.identity) for s in runset.sort]
        items.append(
            (rank_key(sort_values, runset.sort), Row(None, group.label, values, group=group))
        )
    rows = _ranked(items)
    for group in small:
        values = tuple(value(group, c.path) for c in runset.columns)
        rows.append(Row(None, group.label, values, group=group, small=True))
    return rows


def _identity(keys: tuple[Any, ...]) -> str:
    """Group keys by JSON value (1 and 1.0 alike, "1" and true apart; missing and null alike)."""
    parts = []
    for key in keys:
        t = tier(key)
        value = None if t in (ABSENT, NAN) else (float(key) if t == NUMBER else key)
        parts.append([t, value])
    return json.dumps(parts, sort_keys=True, default=str)
