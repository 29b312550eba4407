"""Server-side ``runs(filters, order)``: the MongoDB-style subset W&B accepts.

Paths (REPORT.md 4.2, 4.3, 7): run fields in camelCase or snake_case (``displayName`` /
``display_name``); ``config.k`` and ``config.k.value`` alike; ``summary_metrics.k`` (also
``summaryMetrics.k``, ``summary.k``). Operators: ``$and $or $nor $eq $ne $gt $gte $lt $lte
$in $nin $exists $regex``; an array field (``tags``) matches when any element does. Anything
else is refused with an error naming it, rather than silently matching nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from reportgen.sandbox.db import Row, StoreError, parse_json
from reportgen.sandbox.ids import parse_time


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
MAX_FILTER_DEPTH = 64
"""Filters are matched recursively; real ones nest a handful of levels."""

# filter/order path -> key of the GraphQL run record
_RUN_FIELDS = {
    "name": "name",
    "displayName": "displayName",
    "display_name": "displayName",
    "state": "state",
    "tags": "tags",
    "group": "group",
    "jobType": "jobType",
    "job_type": "jobType",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "heartbeatAt": "heartbeatAt",
    "heartbeat_at": "heartbeatAt",
    "sweep": "sweepName",
    "sweepName": "sweepName",
    "sweep_name": "sweepName",
    "host": "host",
    "notes": "notes",
    "description": "description",
    "commit": "commit",
    "historyLineCount": "historyLineCount",
    "history_line_count": "historyLineCount",
}
_TIME_FIELDS = {"createdAt", "heartbeatAt"}
_DOCS = {
    "config": "config",
    "summary_metrics": "summaryMetrics",
    "summaryMetrics": "summaryMetrics",
    "summary": "summaryMetrics",
}


def resolve(run: Row, path: str) -> Any:
    """The value at ``path`` in a run record, or MISSING."""
    if path in _RUN_FIELDS:
        return run[_RUN_FIELDS[path]]
    if path == "username":
        return (run.get("user") or {}).get("username", MISSING)
    head, _, rest = path.partition(".")
    if head in _DOCS and rest:
        doc = json.loads(run[_DOCS[head]] or "{}")
        return _lookup(doc, rest.split("."), unwrap=head == "config")
    raise StoreError(f"unsupported run filter/order key: {path!r}")


def _lookup(doc: dict[str, Any], parts: list[str], unwrap: bool) -> Any:
    # Keys may themselves contain dots, so the longest stored key that prefixes the path wins.
    for cut in range(len(parts), 0, -1):
        key = ".".join(parts[:cut])
        if key in doc:
            value, rest = doc[key], parts[cut:]
            if unwrap and isinstance(value, dict) and "value" in value:
                value = value["value"]
                if rest[:1] == ["value"]:
                    rest = rest[1:]
            for part in rest:
                if not isinstance(value, dict) or part not in value:
                    return MISSING
                value = value[part]
            return value
    return MISSING


def matches(run: Row, flt: Any) -> bool:
    """Whether the run satisfies a parsed filter document."""
    if not isinstance(flt, dict):
        raise StoreError("runs filters must be a JSON object")
    for key, cond in flt.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list):
                raise StoreError(f"{key} takes a list of filters")
            results = [matches(run, sub) for sub in cond]
            ok = (
                all(results)
                if key == "$and"
                else any(results)
                if key == "$or"
                else not any(results)
            )
        elif key.startswith("$"):
            raise StoreError(f"unsupported filter operator: {key}")
        else:
            ok = _test(
                resolve(run, key), cond, key in _RUN_FIELDS and _RUN_FIELDS[key] in _TIME_FIELDS
            )
        if not ok:
            return False
    return True


def _test(value: Any, cond: Any, is_time: bool) -> bool:
    if isinstance(cond, dict) and cond and all(str(k).startswith("$") for k in cond):
        return all(_apply(op, value, arg, is_time) for op, arg in cond.items())
    return _equals(value, cond)


def _apply(op: str, value: Any, arg: Any, is_time: bool) -> bool:
    if op == "$eq":
        return _equals(value, arg)
    if op == "$ne":
        return not _equals(value, arg)
    if op in _COMPARE:
        return _compare(value, arg, _COMPARE[op], is_time)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise StoreError(f"{op} takes a list")
        found = any(_equals(value, item) for item in arg)
        return found if op == "$in" else not found
    if op == "$exists":
        return (value is not MISSING) == bool(arg)
    if op == "$regex":
        if not isinstance(arg, str):
            raise StoreError("$regex takes a string")
        candidates = value if isinstance(value, list) else [value]
        return any(isinstance(c, str) and re.search(arg, c) is not None for c in candidates)
    raise StoreError(f"unsupported filter operator: {op}")


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _equals(value: Any, target: Any) -> bool:
    if value is MISSING:
        return target is None  # as in MongoDB, {"k": null} matches a missing key
    if isinstance(value, list) and not isinstance(target, list):
        return any(_same(item, target) for item in value)
    return _same(value, target)


def _compare(value: Any, arg: Any, op: Callable[[Any, Any], bool], is_time: bool) -> bool:
    candidates = value if isinstance(value, list) else [value]
    for item in candidates:
        a, b = item, arg
        if is_time and isinstance(a, str) and isinstance(b, str):
            a, b = parse_time(a), parse_time(b)
        if (_number(a) and _number(b)) or (isinstance(a, str) and isinstance(b, str)):
            if op(a, b):
                return True
        elif a is not None and b is not None and type(a) is type(b) and op(a, b):
            return True
    return False


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def parse_filters(text: str | None) -> Any:
    """The ``filters`` JSONString argument, parsed; empty means match everything."""
    if not text:
        return {}
    return parse_json(text, "filters", MAX_FILTER_DEPTH)


def sort_runs(runs: Sequence[Row], order: str | None) -> list[Row]:
    """Runs ordered by ``[+|-]path``; runs without the value go last either way.

    Ties fall back to creation order in the same direction, so ``-created_at`` lists the
    newest run first even when two were created within the same second.
    """
    ordered = list(runs)  # oldest first
    if not order:
        return ordered
    descending = order.startswith("-")
    path = order.lstrip("+-")
    keyed = [(resolve(run, path), index, run) for index, run in enumerate(ordered)]
    present = [k for k in keyed if k[0] is not MISSING and k[0] is not None]
    absent = [run for value, _, run in keyed if value is MISSING or value is None]
    present.sort(key=lambda k: (_sort_key(k[0]), k[1]), reverse=descending)
    return [run for _, _, run in present] + absent


def _sort_key(value: Any) -> tuple[int, Any]:
    if _number(value):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (2, value)
    return (3, json.dumps(value, sort_keys=True))
