"""Filter and order keys (paths) as SQL over the ``runs`` table.

A path resolves to two SQL expressions, its tier and its value (see ``values``), which the
filters compare and the sort indexes are built on, plus how to reach the elements when the
value is an array. Accepted paths (REPORT.md 4.2, 4.3):

* run fields, camelCase or snake_case: ``name``, ``displayName``/``display_name``,
  ``state``, ``tags``, ``group``, ``jobType``/``job_type``, ``createdAt``/``created_at``,
  ``heartbeatAt``/``heartbeat_at``, ``duration`` (seconds from createdAt to heartbeatAt
  [infer]), ``sweep``/``sweepName``/``sweep_name``, ``host``, ``notes``, ``description``,
  ``commit``, ``username``, ``historyLineCount``/``history_line_count``;
* ``config.<key>`` (read inside the ``{"value": ...}`` envelope, so ``config.lr`` and
  ``config.lr.value`` are the same) and ``summary_metrics.<key>``; nested objects are
  walked by dots (``summary_metrics.acc.max``).

Anything else is an error the client sees, including ``summary.x`` and ``summaryMetrics.x``,
which W&B does not accept either [infer].
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from reportgen.sandbox.db import StoreError
from reportgen.sandbox.values import MARK

# Marker strings as SQL (U+FFFF, then a letter: see values.py).
_M = ord(MARK)
NAN_SQL, POS_SQL, NEG_SQL, OBJ_SQL = (f"char({_M},{ord(c)})" for c in "n+-o")
INF_SQL = "9e999"


@dataclass(frozen=True)
class Access:
    """How to read one path: tier and value as SQL, and its array elements if any."""

    name: str
    tier: str
    value: str
    is_array: str = "0"
    elements: str | None = None  # a table-valued json_each(...) over the array
    encoded: bool = True  # strings carry the query-map escape (values.encode)
    time: bool = False  # createdAt / heartbeatAt: string literals are read as times
    doc_keys: tuple[tuple[str, str], ...] = ()  # (query-map column, key) it may read


def _text(name: str, column: str, time: bool = False) -> Access:
    return Access(
        name, f"(CASE WHEN {column} IS NULL THEN 6 ELSE 2 END)", column, encoded=False, time=time
    )


def _number(name: str, expression: str) -> Access:
    return Access(name, "1", expression)


_DURATION = (
    "(CAST(strftime('%s', heartbeat_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER))"
)
_TAGS = Access(
    "tags",
    "(CASE WHEN tags IS NULL THEN 6 ELSE 5 END)",
    "NULL",
    is_array="(tags IS NOT NULL)",
    elements="json_each(runs.tags)",
    encoded=False,
)
_FIELDS: dict[str, Access] = {
    "name": _text("name", "name"),
    "displayName": _text("displayName", "display_name"),
    "state": _text("state", "state"),
    "group": _text("group", "group_name"),
    "jobType": _text("jobType", "job_type"),
    "createdAt": _text("createdAt", "created_at", time=True),
    "heartbeatAt": _text("heartbeatAt", "heartbeat_at", time=True),
    "sweep": _text("sweep", "sweep"),
    "host": _text("host", "host"),
    "notes": _text("notes", "notes"),
    "description": _text("description", "description"),
    "commit": _text("commit", "commit_hash"),
    "username": _text("username", "username"),
    "duration": _number("duration", _DURATION),
    "historyLineCount": _number("historyLineCount", "n_history"),
    "tags": _TAGS,
}
_ALIASES = {
    "display_name": "displayName",
    "job_type": "jobType",
    "created_at": "createdAt",
    "heartbeat_at": "heartbeatAt",
    "sweepName": "sweep",
    "sweep_name": "sweep",
    "history_line_count": "historyLineCount",
}
_DOCS = {"config": "config_q", "summary_metrics": "summary_q"}
_WRONG_DOCS = {"summary": "summary_metrics", "summaryMetrics": "summary_metrics"}


@functools.lru_cache(maxsize=1024)
def resolve(path: str) -> Access:
    """The Access for a filter or order key; StoreError for a key W&B would not accept."""
    if not isinstance(path, str) or not path:
        raise StoreError("a filter/order key must be a non-empty string")
    field = _ALIASES.get(path, path)
    if field in _FIELDS:
        return _FIELDS[field]
    head, _, rest = path.partition(".")
    if head in _DOCS and rest:
        parts = rest.split(".")
        if "" in parts:
            raise StoreError(f"bad filter/order key {path!r}: empty name between dots")
        candidates = _config_keys(parts) if head == "config" else [rest]
        return _json_access(path, _DOCS[head], candidates)
    if head in _WRONG_DOCS and rest:
        raise StoreError(
            f"unknown filter/order key {path!r}: summary metrics are {_WRONG_DOCS[head]}.<name>"
        )
    raise StoreError(f"unknown filter/order key {path!r}")


def _config_keys(parts: list[str]) -> list[str]:
    """``config.lr.value`` also means ``config.lr``: the first ``value`` after a name goes."""
    keys = []
    for i, part in enumerate(parts):
        if part == "value" and i > 0:
            keys.append(".".join(parts[:i] + parts[i + 1 :]))
            break
    keys.append(".".join(parts))
    return keys


def _json_path(key: str) -> str:
    if '"' in key:
        raise StoreError(f"keys holding a double quote cannot be filtered or sorted: {key!r}")
    return "'$.\"" + key.replace("'", "''") + "\"'"


def _tier(doc: str, p: str) -> str:
    return (
        f"CASE json_type({doc}, {p}) WHEN 'integer' THEN 1 WHEN 'real' THEN 1 "
        f"WHEN 'true' THEN 3 WHEN 'false' THEN 3 WHEN 'array' THEN 5 "
        f"WHEN 'text' THEN (CASE json_extract({doc}, {p}) WHEN {NAN_SQL} THEN 4 "
        f"WHEN {OBJ_SQL} THEN 5 WHEN {POS_SQL} THEN 1 WHEN {NEG_SQL} THEN 1 ELSE 2 END) "
        "ELSE 6 END"
    )


def _value(doc: str, p: str) -> str:
    return (
        f"CASE json_type({doc}, {p}) WHEN 'integer' THEN json_extract({doc}, {p}) "
        f"WHEN 'real' THEN json_extract({doc}, {p}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 "
        f"WHEN 'text' THEN (CASE json_extract({doc}, {p}) WHEN {POS_SQL} THEN {INF_SQL} "
        f"WHEN {NEG_SQL} THEN -{INF_SQL} WHEN {NAN_SQL} THEN NULL WHEN {OBJ_SQL} THEN NULL "
        f"ELSE json_extract({doc}, {p}) END) END"
    )


def _json_access(name: str, doc: str, keys: list[str]) -> Access:
    paths = [_json_path(key) for key in keys]
    chosen = paths[-1]
    tier, value = _tier(doc, chosen), _value(doc, chosen)
    for p in reversed(paths[:-1]):  # the first candidate that exists wins
        exists = f"json_type({doc}, {p}) IS NOT NULL"
        chosen = f"(CASE WHEN {exists} THEN {p} ELSE {chosen} END)"
        tier = f"CASE WHEN {exists} THEN {_tier(doc, p)} ELSE {tier} END"
        value = f"CASE WHEN {exists} THEN {_value(doc, p)} ELSE {value} END"
    return Access(
        name,
        f"({tier})",
        f"({value})",
        is_array=f"(json_type({doc}, {chosen}) = 'array')",
        elements=f"json_each({doc}, {chosen})",
        doc_keys=tuple((doc, key) for key in keys),
    )


ELEMENT_TIER = (
    "(CASE type WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'true' THEN 3 "
    f"WHEN 'false' THEN 3 WHEN 'text' THEN (CASE value WHEN {NAN_SQL} THEN 4 "
    f"WHEN {OBJ_SQL} THEN 5 WHEN {POS_SQL} THEN 1 WHEN {NEG_SQL} THEN 1 ELSE 2 END) "
    "WHEN 'null' THEN 6 ELSE 5 END)"
)
ELEMENT_VALUE = (
    "(CASE type WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'integer' THEN value "
    f"WHEN 'real' THEN value WHEN 'text' THEN (CASE value WHEN {POS_SQL} THEN {INF_SQL} "
    f"WHEN {NEG_SQL} THEN -{INF_SQL} WHEN {NAN_SQL} THEN NULL WHEN {OBJ_SQL} THEN NULL "
    "ELSE value END) END)"
)
TAG_TIER = "(CASE type WHEN 'text' THEN 2 WHEN 'null' THEN 6 ELSE 5 END)"


def element_access(parent: Access) -> Access:
    """The elements of an array-valued path, as an Access over json_each's columns."""
    if parent.encoded:
        return Access(parent.name, ELEMENT_TIER, ELEMENT_VALUE)
    return Access(parent.name, TAG_TIER, "value", encoded=False)
