"""Run values as W&B's runs table compares them (_notes ORDER_CONTRACT, shared with the sandbox).

A path (`summary_metrics.accuracy.max`, `config.lr`, `createdAt`, ...) resolves to a JSON
value or to `MISSING`; `null` counts as missing. Config paths read inside the `{"value": ...}`
envelope, so `config.lr` and `config.lr.value` mean the same. One key orders values in
tiers, the same in both directions: numbers, strings, booleans, NaN, objects and arrays,
missing; only the first three are ordered by the direction. Each rule is `[infer]`: W&B's
own behaviour is not recorded in the wire study, and the conformance suite pins them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from reportgen.preview.records import RunRecord


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

NUMBER, STRING, BOOLEAN, NAN, OBJECT, ABSENT = range(1, 7)

# Run fields by every name the server accepts for them (REPORT.md 4.3, 7): camelCase and
# snake_case. The record keeps W&B's backend (camelCase) names.
RUN_FIELDS = {
    "name": "name",
    "id": "name",
    "displayName": "displayName",
    "display_name": "displayName",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "heartbeatAt": "heartbeatAt",
    "heartbeat_at": "heartbeatAt",
    "state": "state",
    "tags": "tags",
    "group": "group",
    "jobType": "jobType",
    "job_type": "jobType",
    "username": "username",
    "host": "host",
    "sweep": "sweep",
    "sweepName": "sweep",
    "sweep_name": "sweep",
    "duration": "duration",
    "notes": "notes",
    "description": "description",
    "commit": "commit",
}
TIME_FIELDS = frozenset({"createdAt", "heartbeatAt"})
_DOCUMENTS = ("config", "summary_metrics")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def tier(value: Any) -> int:
    """The tier of a resolved value (1 numbers .. 6 missing)."""
    if value is MISSING or value is None:
        return ABSENT
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NAN if isinstance(value, float) and math.isnan(value) else NUMBER
    if isinstance(value, str):
        return STRING
    return OBJECT


def field_of(path: str) -> str | None:
    """The record field a run-attribute path names, or None for config/summary paths."""
    return RUN_FIELDS.get(path)


def resolve(run: RunRecord, path: str) -> Any:
    """The value at a server path in a run record, or MISSING."""
    field = RUN_FIELDS.get(path)
    if field is not None:
        value = run.attribute(field)
        return MISSING if value is None else value
    head, _, rest = path.partition(".")
    if head == "config" and rest:
        return lookup(run.config, rest.split("."), envelope=True)
    if head == "summary_metrics" and rest:
        return lookup(run.summary, rest.split("."), envelope=False)
    return MISSING


def lookup(doc: Mapping[str, Any], parts: list[str], *, envelope: bool) -> Any:
    """Walk `parts` through nested dicts; a stored key may itself contain dots (the longest
    stored key that prefixes the path wins, as in the sandbox)."""
    for cut in range(len(parts), 0, -1):
        key = ".".join(parts[:cut])
        if key not in doc:
            continue
        value, rest = doc[key], parts[cut:]
        if envelope and isinstance(value, dict) and "value" in value:
            value = value["value"]
            if rest[:1] == ["value"]:
                rest = rest[1:]
        for part in rest:
            if not isinstance(value, dict) or part not in value:
                return MISSING
            value = value[part]
        return MISSING if value is None else value
    return MISSING


class _Descending:
    """A string that sorts backwards (numbers and booleans are negated instead)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Descending) -> bool:
        return self.text > other.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)


def sort_key(value: Any, ascending: bool) -> tuple[int, Any]:
    """A tuple that orders values of one key: tier first (the same in both directions), then
    the value in the requested direction; NaN, objects and missing tie within their tier."""
    t = tier(value)
    if t == NUMBER:
        return (t, value if ascending else -value)
    if t == STRING:
        return (t, value if ascending else _Descending(value))
    if t == BOOLEAN:
        return (t, int(value) if ascending else -int(value))
    return (t, 0)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, true != 1, "1" != 1, NaN equals nothing; deep for objects."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return False


def display(value: Any) -> str:
    """A value as a table cell: numbers to 6 significant digits, missing as an em dash."""
    t = tier(value)
    if t == ABSENT:
        return "—"
    if t == NAN:
        return "NaN"
    if t == BOOLEAN:
        return "true" if value else "false"
    if t == NUMBER:
        if isinstance(value, float) and math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    if t == STRING:
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, sort_keys=True, allow_nan=True)
