"""Reading a run's history lines the ways the clients ask (REPORT.md 1.5).

The step bounds differ by field, and getting them wrong silently loses rows:
``history(minStep, maxStep)`` (wandb-core's HistoryPage) treats ``maxStep`` as exclusive, while a
``sampledHistory`` spec (SampledHistoryPage) treats its ``maxStep`` as inclusive.

Nested keys: ``wandb.log({"val": {"loss": 0.1}})`` stores the row as logged, and the key
``val.loss`` (as ``run.history(keys=["val.loss"])`` and ``scan_history(keys=...)`` send it)
reads inside it: a key is looked up as written first, then by walking dots through nested
objects (the longest top-level key that prefixes it first). ``historyKeys`` lists the leaves
(``val.loss``), as W&B's charts name them [infer]. Media objects (dicts with ``_type``) are
leaves typed by their ``_type``.

Entries are what ``chunks`` stores: a line as received, or a row object (bulk loads).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from reportgen.sandbox.chunks import line_of
from reportgen.sandbox.db import Row, StoreError, parse_json

STEP = "_step"
_ABSENT = object()


def _rows(entries: Sequence[Any]) -> Iterator[Row]:
    for entry in entries:
        if isinstance(entry, str):
            try:
                entry = json.loads(entry)
            except json.JSONDecodeError:
                continue
        if isinstance(entry, dict):
            yield entry


def _step(row: Row) -> int | None:
    step = row.get(STEP)
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def lookup(row: Row, key: str) -> Any:
    """The value of ``key`` in a history row (see nested keys above), or ``_ABSENT``."""
    if key in row:
        return row[key]
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        value = row.get(".".join(parts[:cut]), _ABSENT)
        if value is _ABSENT:
            continue
        for part in parts[cut:]:
            if not isinstance(value, dict) or part not in value:
                return _ABSENT
            value = value[part]
        return value
    return _ABSENT


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
    entries: Sequence[Any], min_step: int | None, max_step: int | None, samples: int | None
) -> list[str]:
    """``Run.history``: the lines (as logged) with ``min_step <= _step < max_step``."""
    if min_step is None and max_step is None:
        return [line_of(entry) for entry in downsample(entries, samples)]
    kept = []
    for entry in entries:
        parsed = list(_rows([entry]))
        step = _step(parsed[0]) if parsed else None
        if step is None:
            continue
        if (min_step is None or step >= min_step) and (max_step is None or step < max_step):
            kept.append(entry)
    return [line_of(entry) for entry in downsample(kept, samples)]


def sampled_history(entries: Sequence[Any], spec_text: str) -> list[Row]:
    """One ``sampledHistory`` spec: rows holding every key, projected onto the keys.

    The spec's ``maxStep`` is inclusive: wandb-core turns the scan range ``[a, b)`` into
    ``{"minStep": a, "maxStep": b - 1, "samples": b - a}``.
    """
    spec = parse_json(spec_text, "sampledHistory spec")
    if not isinstance(spec, dict):
        raise StoreError("sampledHistory spec must be a JSON object")
    keys = [str(k) for k in dict.fromkeys(spec.get("keys") or [])]
    min_step, max_step = spec.get("minStep"), spec.get("maxStep")
    picked = []
    for row in _rows(entries):
        step = _step(row)
        if min_step is not None and (step is None or step < min_step):
            continue
        if max_step is not None and (step is None or step > max_step):
            continue
        if not keys:
            picked.append(row)
            continue
        values = {key: lookup(row, key) for key in keys}
        if all(value is not _ABSENT for value in values.values()):
            picked.append(values)
    return downsample(picked, spec.get("samples"))


def live_data(entries: Sequence[Any], live_keys: Sequence[str]) -> list[Row]:
    """``parquetHistory.liveData``: one object per row, with ``_step`` and the live keys.

    wandb-core requires objects here (JSON strings make it fail with "expected LiveData to
    be map[string]any"), and finds the run's steps from them.
    """
    out = []
    for row in _rows(entries):
        if STEP not in row:
            continue
        picked = {STEP: row[STEP]}
        for key in live_keys:
            value = lookup(row, key)
            if value is not _ABSENT:
                picked[key] = value
        out.append(picked)
    return out


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
    if isinstance(value, dict) and isinstance(value.get("_type"), str):
        return str(value["_type"])
    for kind, name in _TYPES:
        if isinstance(value, kind):
            return name
    return "unknown"


def _leaves(row: Row) -> Iterator[tuple[str, Any]]:
    stack = [("", row)]
    while stack:
        prefix, node = stack.pop()
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and value and "_type" not in value:
                stack.append((path + ".", value))
            else:
                yield path, value


def history_keys(entries: Sequence[Any]) -> Row:
    """``historyKeys``: ``{"lastStep": n, "keys": {key: {"typeCounts": [...]}}}``.

    ``lastStep`` is left out when nothing was logged; the SDK then reads it as -1.
    """
    counts: dict[str, dict[str, int]] = {}
    last = None
    for row in _rows(entries):
        step = _step(row)
        if step is not None:
            last = step if last is None else max(last, step)
        for key, value in _leaves(row):
            per_type = counts.setdefault(key, {})
            per_type[_type_name(value)] = per_type.get(_type_name(value), 0) + 1
    keys = {
        key: {"typeCounts": [{"type": t, "count": n} for t, n in per_type.items()]}
        for key, per_type in sorted(counts.items())
    }
    return {"keys": keys} if last is None else {"lastStep": last, "keys": keys}
