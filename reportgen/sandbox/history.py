"""Reading a run's history lines the ways the clients ask (REPORT.md 1.5).

The step bounds differ by field, and getting them wrong silently loses rows:
``history(minStep, maxStep)`` (wandb-core's HistoryPage) treats ``maxStep`` as exclusive, while a
``sampledHistory`` spec (SampledHistoryPage) treats its ``maxStep`` as inclusive.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reportgen.sandbox.db import Row, StoreError, parse_json

STEP = "_step"


def _parse(lines: Sequence[str]) -> list[Row]:
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _step(row: Row) -> int | None:
    step = row.get(STEP)
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def downsample(items: Sequence[Any], samples: int | None) -> list[Any]:
    """At most ``samples`` items, evenly spread and keeping the first and the last."""
    if samples is None or len(items) <= samples:
        return list(items)
    if samples <= 0:
        return []
    if samples == 1:
        return [items[-1]]
    last = len(items) - 1
    picks = sorted({round(i * last / (samples - 1)) for i in range(samples)})
    return [items[i] for i in picks]


def history(
    lines: Sequence[str], min_step: int | None, max_step: int | None, samples: int | None
) -> list[str]:
    """``Run.history``: the stored lines, verbatim, with ``min_step <= _step < max_step``."""
    if min_step is None and max_step is None:
        return downsample(list(lines), samples)
    kept = []
    for line in lines:
        parsed = _parse([line])
        step = _step(parsed[0]) if parsed else None
        if step is None:
            continue
        if (min_step is None or step >= min_step) and (max_step is None or step < max_step):
            kept.append(line)
    return downsample(kept, samples)


def sampled_history(lines: Sequence[str], spec_text: str) -> list[Row]:
    """One ``sampledHistory`` spec: rows holding every key, projected onto the keys.

    The spec's ``maxStep`` is inclusive: wandb-core turns the scan range ``[a, b)`` into
    ``{"minStep": a, "maxStep": b - 1, "samples": b - a}``.
    """
    spec = parse_json(spec_text, "sampledHistory spec")
    if not isinstance(spec, dict):
        raise StoreError("sampledHistory spec must be a JSON object")
    keys = list(dict.fromkeys(spec.get("keys") or []))
    min_step, max_step = spec.get("minStep"), spec.get("maxStep")
    picked = []
    for row in _parse(lines):
        step = _step(row)
        if min_step is not None and (step is None or step < min_step):
            continue
        if max_step is not None and (step is None or step > max_step):
            continue
        if all(key in row for key in keys):
            picked.append({key: row[key] for key in keys} if keys else row)
    return downsample(picked, spec.get("samples"))


def live_data(lines: Sequence[str], live_keys: Sequence[str]) -> list[Row]:
    """``parquetHistory.liveData``: one object per row, with ``_step`` and the live keys.

    wandb-core requires objects here (JSON strings make it fail with "expected LiveData to
    be map[string]any"), and finds the run's steps from them.
    """
    wanted = {STEP, *live_keys}
    return [{k: v for k, v in row.items() if k in wanted} for row in _parse(lines) if STEP in row]


_TYPES = (
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (dict, "map"),
    (list, "list"),
)


def _type_name(value: Any) -> str:
    if value is None:
        return "nil"
    for kind, name in _TYPES:
        if isinstance(value, kind):
            return name
    return "unknown"


def history_keys(lines: Sequence[str]) -> Row:
    """``historyKeys``: ``{"lastStep": n, "keys": {key: {"typeCounts": [...]}}}``.

    ``lastStep`` is left out when nothing was logged; the SDK then reads it as -1.
    """
    counts: dict[str, dict[str, int]] = {}
    last = None
    for row in _parse(lines):
        step = _step(row)
        if step is not None:
            last = step if last is None else max(last, step)
        for key, value in row.items():
            per_type = counts.setdefault(key, {})
            per_type[_type_name(value)] = per_type.get(_type_name(value), 0) + 1
    keys = {
        key: {"typeCounts": [{"type": t, "count": n} for t, n in per_type.items()]}
        for key, per_type in counts.items()
    }
    return {"keys": keys} if last is None else {"lastStep": last, "keys": keys}
