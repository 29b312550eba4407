"""Leaderboard gates checked against a ranking (grammar: `reportgen.spec.gates`).

A metric gate reads the best row: the first ranked row (a group's mean when the
leaderboard groups seeds); a missing or NaN value there fails it (the best run did not
report the metric, though other runs did). A top-N gate finds the run by display name or
id (with seed groups: the group holding it, or the group's label) and holds when its rank
is N or better.

A gate is *not checked* (neither passed nor failed) when the data cannot answer it: no run
matches the run set (RG602), or no matching run has the gate's key (`absent`; RG601, a
typo far more often than a regression). preview ends with exit 1 then, never 3.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from reportgen.preview.checks import spec_name
from reportgen.preview.engine import Ranking, Row, aggregate
from reportgen.preview.values import ABSENT, NUMBER, display, resolve, tier
from reportgen.spec.gates import Gate, holds
from reportgen.spec.refs import Ref, Section


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    ok: bool
    reason: str
    checked: bool = True

    @property
    def state(self) -> str:
        """ "passed", "failed" or "not checked"."""
        return "not checked" if not self.checked else ("passed" if self.ok else "failed")


def ref_path(ref: Ref) -> str:
    """The server path of a spec reference."""
    if ref.section is Section.CONFIG:
        return f"config.{ref.name}"
    if ref.section is Section.SUMMARY:
        return f"summary_metrics.{ref.name}"
    return ref.attribute.backend


def row_value(row: Row, path: str) -> Any:
    """A row's value at a path: the run's, or the group's mean."""
    if row.run is not None:
        return resolve(row.run, path)
    assert row.group is not None
    stat = row.group.stats.get(path) or aggregate([resolve(r, path) for r in row.group.runs])
    return stat.mean


def check(gate: Gate, ranking: Ranking, absent: Collection[str] = ()) -> GateResult:
    """Decide a gate on a ranking; `absent`: paths no matching run has (data checks)."""
    if not ranking.matched:
        return GateResult(gate, False, f"{gate.text}: no run matches", checked=False)
    ranked = [row for row in ranking.rows if row.rank is not None]
    if gate.ref is not None:
        path = ref_path(gate.ref)
        if path in absent:
            reason = f"{gate.text}: no matching run has {spec_name(path)}"
            return GateResult(gate, False, reason, checked=False)
        if not ranked:
            return GateResult(gate, False, f"{gate.text}: no run is ranked")
        best = ranked[0]
        value = row_value(best, path)
        shown = f"{gate.ref.name} is {display(value)} for {best.name} (rank 1)"
        if tier(value) == ABSENT and any(tier(row_value(r, path)) != ABSENT for r in ranked):
            shown += ", though other matching runs have it"
        if tier(value) != NUMBER:
            return GateResult(gate, False, f"{gate.text}: {shown}")
        return GateResult(
            gate, holds(gate.op, float(value), gate.threshold), f"{gate.text}: {shown}"
        )
    name = gate.run or ""
    for row in ranking.rows:
        if _names(row, name):
            rank = row.rank
            where = f"ranks {rank}" if rank is not None else "is unranked (too few runs)"
            ok = rank is not None and rank <= gate.top
            return GateResult(gate, ok, f"{gate.text}: {row.name} {where}")
    return GateResult(gate, False, f"{gate.text}: no run {name!r} is in the top {gate.top}")


def _names(row: Row, name: str) -> bool:
    if row.run is not None:
        return name in (row.run.name, row.run.id)
    group = row.group
    return row.name == name or (
        group is not None and any(name in (r.name, r.id) for r in group.runs)
    )
