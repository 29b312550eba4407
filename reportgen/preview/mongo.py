"""A run set's filterV2, search and sort keys -> the server's mongo `filters` and `order`.

The W&B app turns the filterV2 it stores into the mongo-style filter `api.runs(filters=...)`
sends (REPORT.md 4.3): keys become server paths (`config.<name>`, `summary_metrics.<name>`,
run fields by backend name), operators become `$eq $ne $lt $lte $gt $gte $in $nin`,
the flat list is read with `and` binding tighter than `or`, disabled leaves, leaves
without a name and `null` with any operator but `=` and `!=` are dropped (as the SDK's
`QueryGenerator` drops them), and a dropped item goes with its connector, as if it were not
in the list [infer] (so `a AND <disabled, OR> AND b` is `a AND b`; an empty group too).
`WITHINSECONDS` has no mapping in the SDK: it becomes `{"createdAt": {"$gte": <now - N s>}}`
(ORDER_CONTRACT). The same translation serves the server (so it filters) and the engine
(which evaluates it with `match`), so both sides agree on what a filter means.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_OPS = {
    "!=": "$ne",
    "<": "$lt",
    "<=": "$lte",
    ">": "$gt",
    ">=": "$gte",
    "IN": "$in",
    "NIN": "$nin",
}
_ORDERING = ("$lt", "$lte", "$gt", "$gte")
MAX_DEPTH = 64


class ViewError(ValueError):
    """A view whose runs table the engine cannot read (an unknown operator, a bad shape)."""


def server_path(key: Any) -> str | None:
    """The server path of a filterV2 / sort key `{section, name}`; None without a name."""
    if not isinstance(key, dict):
        raise ViewError(f"a filter or sort key must be an object, not {key!r}")
    section, name = key.get("section", "summary"), key.get("name")
    if not isinstance(name, str) or not name:
        return None
    if section == "config":
        return f"config.{name}"
    if section == "summary":
        return f"summary_metrics.{name}"
    if section == "run":
        return name
    if section == "keys_info":
        return f"keys_info.keys.{name}"
    if section == "tags":
        return f"tags.{name}"
    raise ViewError(f"unknown key section {section!r}")


def iso_seconds_ago(now: dt.datetime, seconds: float) -> str:
    """`now - seconds` as W&B writes DateTime: UTC, to the second, no zone."""
    moment = now.astimezone(dt.timezone.utc) if now.tzinfo else now
    return (moment - dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def _leaf(item: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    if item.get("disabled") is True:
        return None
    key = item.get("key")
    path = server_path(key)
    if path is None:
        return None
    op, value = item.get("op", "="), item.get("value")
    if isinstance(key, dict) and key.get("section") == "tags":
        # Legacy tag leaves: {"tags": "<tag>"} when true, else runs without the tag.
        tag = str(key.get("name"))
        return {"tags": tag} if value else {"$or": [{"tags": None}, {"tags": {"$ne": tag}}]}
    if op == "=":
        return {path: {"$eq": value} if isinstance(value, (dict, list)) else value}
    if op == "WITHINSECONDS":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ViewError(f"WITHINSECONDS takes a number of seconds, not {value!r}")
        return {path: {"$gte": iso_seconds_ago(now, float(value))}}
    mongo = _OPS.get(op) if isinstance(op, str) else None
    if mongo is None:
        raise ViewError(f"unknown filter operator {op!r}")
    if value is None and mongo != "$ne":  # as the SDK's QueryGenerator drops them
        return None
    if mongo in ("$in", "$nin") and not isinstance(value, list):
        value = [value]
    return {path: {mongo: value}}


def _items(items: Any, now: dt.datetime, depth: int) -> dict[str, Any] | None:
    """A flat filterV2 list -> one mongo filter, `and` before `or`; None if it filters nothing."""
    if not isinstance(items, list):
        raise ViewError("filterV2 'filters' must be a list")
    if depth > MAX_DEPTH:
        raise ViewError("filter groups are nested too deeply")
    alternatives: list[list[dict[str, Any]]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ViewError(f"a filterV2 item must be an object, not {item!r}")
        connector = item.get("connector", "AND")
        if connector not in ("AND", "OR"):
            raise ViewError(f"unknown filter connector {connector!r}")
        if "filters" in item and "key" not in item:
            part = _items(item["filters"], now, depth + 1)
        else:
            part = _leaf(item, now)
        if part is None:  # a dropped item goes with its connector [infer]
            continue
        if not alternatives or connector == "OR":  # the first kept item's connector: none
            alternatives.append([])
        alternatives[-1].append(part)
    terms = [_all(conj) for conj in alternatives]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$or": terms}


def _all(terms: list[dict[str, Any]]) -> dict[str, Any]:
    return terms[0] if len(terms) == 1 else {"$and": terms}


def filters_to_mongo(filters: Any, now: dt.datetime) -> dict[str, Any]:
    """The mongo filter of a run set's `filters` (filterV2, or `{}` / None for none)."""
    if filters is None or filters == {}:
        return {}
    if not isinstance(filters, dict):
        raise ViewError("a run set's filters must be an object")
    if filters.get("filterFormat", "filterV2") != "filterV2":
        raise ViewError(f"unknown filter format {filters.get('filterFormat')!r}")
    if "filterFormat" not in filters and "op" in filters:
        raise ViewError("legacy filter trees are not read; save the view again to get filterV2")
    return _items(filters.get("filters", []), now, 0) or {}


def search_to_mongo(query: str, regex: bool) -> dict[str, Any]:
    """The runs search box: display names containing the text, case-insensitively [infer]."""
    if not query:
        return {}
    pattern = query if regex else re.escape(query)
    return {"displayName": {"$regex": f"(?i){pattern}"}}


def combine(*filters: dict[str, Any]) -> dict[str, Any]:
    """Every filter at once (empty ones dropped)."""
    present = [f for f in filters if f]
    if not present:
        return {}
    return present[0] if len(present) == 1 else {"$and": present}


def order_string(path: str, ascending: bool) -> str:
    """The server's single-key `order`: `+path` or `-path`."""
    return ("+" if ascending else "-") + path
