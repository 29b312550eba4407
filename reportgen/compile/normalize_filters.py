"""The canonical form of a run set's filters, for `reportgen.compile.normalize`.

W&B stores filters as filterV2 (a flat list of leaves and groups joined by connectors,
`and` before `or`); older specs carry legacy trees. Both become filterV2 written one way:
as wandb-workspaces converts legacy trees on load (REPORT.md 4.1, 5.1), without
`disabled: false` or a first connector, config keys in the UI's `.value` form, run states
lower-cased (REPORT.md 4.2, 4.3, 7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_JSON = dict[str, Any]
_V2 = "filterV2"
# Same precedence as expr._V2_PRECEDENCE: the app applies AND before OR.
_PRECEDENCE = {"AND": 1, "OR": 0}
# Filter groups, collapsed headings and ref lists nested deeper than this are left as they are,
# so that no input reaches the recursion limit (json.loads accepts about 1000 levels).
MAX_DEPTH = 64


def dicts(items: Any) -> Iterator[tuple[int, _JSON]]:
    """Yield ``(index, item)`` for the dict items of ``items`` if it is a list."""
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


class _Unconvertible(Exception):
    """A legacy filter tree the library's models would reject; it is left as it is."""


def normalize_filters(filters: Any) -> Any:
    if filters is None:
        return {"filterFormat": _V2, "filters": []}
    if not isinstance(filters, dict):
        return filters
    if filters.get("filterFormat") == _V2:
        items = filters.setdefault("filters", [])
        if isinstance(items, list):
            filters["filters"] = _canonical_items(items, 0)
        return filters
    if "filterFormat" in filters:
        return filters
    try:
        items = _legacy_node(filters, 0)
    except _Unconvertible:
        return filters
    # As filters_tree_to_v2: the usual OR -> [AND -> leaves] tree yields one group; unwrap it.
    if len(items) == 1 and "filters" in items[0] and "connector" not in items[0]:
        items = items[0]["filters"]
    return {"filterFormat": _V2, "filters": _canonical_items(items, 0)}


def _legacy_node(node: Any, depth: int) -> list[_JSON]:
    """Flatten a legacy tree node into v2 items, as ``expr._tree_node_to_v2_items`` does."""
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        raise _Unconvertible
    if node.get("key") is not None:
        leaf = _legacy_leaf(node)
        return [leaf] if leaf else []
    children, op = node.get("filters"), node.get("op", "OR")
    if children is None:
        return []
    if not isinstance(children, list) or not isinstance(op, str):
        raise _Unconvertible
    items: list[_JSON] = []
    for child in children:
        subs = _legacy_node(child, depth + 1)
        # An OR inside an AND needs a group (the library rejects groups in groups; we nest).
        # More than one item: ``child`` is a group and its ``op`` was checked to be a string.
        if len(subs) > 1 and _PRECEDENCE.get(child.get("op", "OR"), 0) < _PRECEDENCE.get(op, 0):
            subs = [{"filters": subs}]
        for index, sub in enumerate(subs):
            if index == 0 and items:
                sub["connector"] = op
            items.append(sub)
    return items


def _legacy_leaf(node: _JSON) -> _JSON | None:
    key, op, disabled = node["key"], node.get("op", "OR"), node.get("disabled")
    if not isinstance(key, dict) or not isinstance(op, str):
        raise _Unconvertible
    section, name = key.get("section", "summary"), key.get("name", "")
    if not isinstance(section, str) or not isinstance(name, str):
        raise _Unconvertible
    if disabled is not None and not isinstance(disabled, bool):
        raise _Unconvertible
    if not name:
        return None  # the library drops leaves without a key name
    leaf: _JSON = {"key": {"section": section, "name": name}, "op": op, "value": node.get("value")}
    if disabled is not None:
        leaf["disabled"] = disabled
    return leaf


def _canonical_items(items: list[Any], depth: int) -> list[Any]:
    for index, item in dicts(items if depth < MAX_DEPTH else None):
        if index == 0:
            item.pop("connector", None)
        if isinstance(item.get("filters"), list):
            item["filters"] = _canonical_items(item["filters"], depth + 1)
            continue
        if item.get("disabled") is False:
            del item["disabled"]
        key = item.get("key")
        if not isinstance(key, dict):
            continue
        name = key.get("name")
        if key.get("section") == "config" and isinstance(name, str):
            key["name"] = _enveloped_config_name(name)
        elif key.get("section") == "run" and name == "state" and "value" in item:
            value = item["value"]
            item["value"] = [_lower(v) for v in value] if isinstance(value, list) else _lower(value)
    return items


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _enveloped_config_name(name: str) -> str:
    segments = name.split(".")
    if not name or "value" in segments[1:]:
        return name
    return ".".join([segments[0], "value", *segments[1:]])
