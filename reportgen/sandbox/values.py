"""Run values as the sandbox stores, sorts and serves them (the value contract).

**Tiers.** A value at a path falls in one of six tiers, sorted in this order in both
directions (only the values inside a tier follow the direction):

1. numbers, -inf < finite < +inf (booleans are not numbers);
2. strings, by Unicode code point;
3. booleans, false < true;
4. NaN;
5. objects and arrays, unordered among themselves;
6. missing (absent anywhere along the path) or null.

Equal values and everything in tiers 4-6 fall back to creation order (createdAt, then the
storage id), ascending in both directions. [infer] W&B's own order of NaN, mixed types and
missing values is not recorded; missing-last in both directions is what its UI shows.

**Query maps.** SQLite's JSON functions reject NaN and Infinity, which W&B summaries can
hold, so each run also keeps a flattened, NaN-free copy of its config and summary: every path
(``a``, ``a.b`` for ``{"a": {"b": 1}}``) maps to its value, objects to a marker, NaN and
±inf to markers, arrays to arrays of encoded elements. Markers start with U+FFFF; a real
string starting with U+FFFF gets one more, which keeps the code-point order of strings.
Where two spellings give the same path (a key ``"a.b"`` and a key ``a`` holding ``b``), the
longer top-level key wins. Config values are read inside W&B's ``{"value": ...}`` envelope;
``_wandb`` (W&B's own bookkeeping in the config) is kept as a whole, not walked.

**Serving NaN.** JSON-typed GraphQL fields (``sampledHistory``, ``parquetHistory.liveData``)
are parsed by wandb-core with Go's encoding/json, which refuses bare ``NaN``: there NaN, +inf
and -inf are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (``denan``), the
convention of W&B's simplejsonext (``WalkDeNaN``) that W&B's web app turns back into numbers.
JSON *strings* (``summaryMetrics``, ``history`` lines) keep the tokens ``NaN``, ``Infinity``
and ``-Infinity`` as wandb-core wrote them: Python's json and wandb-core's simplejsonext read
them back as numbers. [infer] both forms follow W&B's libraries; wandb.ai is not recorded.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from typing import Any

NUMBER, STRING, BOOLEAN, NAN_TIER, COMPOUND, MISSING = 1, 2, 3, 4, 5, 6
TIERS = (NUMBER, STRING, BOOLEAN, NAN_TIER, COMPOUND, MISSING)
VALUED = (NUMBER, STRING, BOOLEAN)
"""Tiers whose values are ordered; in the others every run ties."""

MARK = "\uffff"
NAN, POS_INF, NEG_INF, OBJECT = MARK + "n", MARK + "+", MARK + "-", MARK + "o"
INTERNAL_CONFIG = "_wandb"


def encode(value: Any) -> Any:
    """A JSON value as it goes into a query map (markers for NaN, ±inf and objects)."""
    if isinstance(value, float) and not math.isfinite(value):
        return NAN if math.isnan(value) else POS_INF if value > 0 else NEG_INF
    if isinstance(value, str):
        return MARK + value if value.startswith(MARK) else value
    if isinstance(value, dict):
        return OBJECT
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def encode_string(text: str) -> str:
    """A string literal as it compares against query-map strings."""
    return MARK + text if text.startswith(MARK) else text


def decode_string(text: str) -> str | None:
    """The real string behind a query-map string; None for a marker."""
    if not text.startswith(MARK):
        return text
    return text[1:] if text.startswith(MARK + MARK) else None


def flatten(doc: Mapping[str, Any], config: bool = False) -> dict[str, Any]:
    """The query map of a summary (or, with ``config``, of a wrapped config)."""
    out: dict[str, Any] = {}
    for key in sorted(doc, key=len):  # longer top-level keys overwrite on a collision
        value = doc[key]
        if config and isinstance(value, dict) and "value" in value:
            value = value["value"]
        cls = value.__class__
        if (
            cls in _PLAIN
            or (cls is float and value - value == 0)
            or (cls is str and not value.startswith(MARK))
        ):
            out[key] = value  # the common case, kept as it is (finite numbers, ...)
        elif config and key == INTERNAL_CONFIG:
            out[key] = encode(value)
        else:
            _walk(out, key, value)
    return out


_PLAIN = frozenset({int, bool, type(None)})


def _walk(out: dict[str, Any], path: str, value: Any) -> None:
    stack = [(path, value)]
    while stack:
        here, item = stack.pop()
        out[here] = encode(item)
        if isinstance(item, dict):
            stack.extend((f"{here}.{key}", child) for key, child in item.items())


def query_map_json(doc: Mapping[str, Any], config: bool = False) -> str:
    """``flatten`` as JSON text (never NaN: SQLite reads it)."""
    return json.dumps(flatten(doc, config), allow_nan=False, separators=(",", ":"))


def record_array_keys(conn: sqlite3.Connection, doc: str, query_map: str) -> None:
    """Remember which keys of a query map (column ``doc``) hold arrays (table array_keys)."""
    for key in array_keys(query_map):
        conn.execute("INSERT OR IGNORE INTO array_keys (doc, key) VALUES (?, ?)", (doc, key))


def array_keys(query_map: str) -> list[str]:
    """The keys of a query map (JSON text) whose value is an array."""
    if "[" not in query_map:
        return []
    return [key for key, value in json.loads(query_map).items() if isinstance(value, list)]


def denan(value: Any) -> Any:
    """``value`` with NaN, +inf and -inf as the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {key: denan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [denan(item) for item in value]
    return value


def tier_of(value: Any) -> int:
    """The tier of a plain JSON value (the Python side of the SQL expressions)."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NAN_TIER if isinstance(value, float) and math.isnan(value) else NUMBER
    if isinstance(value, str):
        return STRING
    return COMPOUND
