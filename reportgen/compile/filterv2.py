"""Our filter tree -> W&B's filterV2 structure (what the W&B app and wandb-workspaces store).

filterV2 is a flat list of leaves and groups joined by `connector`s, read with `and`
binding tighter than `or` (REPORT.md 4.1). A group is needed only for an `or` inside an
`and`, and the W&B filter bar shows one level of groups: deeper nesting is refused by
`spec.filters.check_nesting`, the rule validate applies too. Leaves are spelled exactly as
wandb-workspaces spells them (`"op": "="`, bare config names, `"disabled": false`), so a
compiled spec equals a hand-built one.

Pure: no wandb import.
"""

from __future__ import annotations

from typing import Any

from reportgen.spec.filters import BoolOp, Compare, Node, check_nesting
from reportgen.spec.refs import Ref, Section

FILTER_FORMAT = "filterV2"
_OPS = {
    "==": "=",
    "!=": "!=",
    "<=": "<=",
    ">=": ">=",
    "in": "IN",
    "not in": "NIN",
    "within": "WITHINSECONDS",
}


def filter_key(ref: Ref) -> dict[str, str]:
    """The filterV2/sort key of a reference: run attributes by W&B's backend name."""
    if ref.section is Section.RUN:
        return {"section": "run", "name": ref.attribute.backend}
    return {"section": ref.section.value, "name": ref.name}


def to_v2(tree: Node | None) -> dict[str, Any]:
    """The filterV2 dict of a tree (None: no filter). Raises FilterError if nested too deep."""
    check_nesting(tree)
    items = [] if tree is None else _items(tree)
    if len(items) == 1 and "filters" in items[0] and "connector" not in items[0]:
        items = items[0]["filters"]
    return {"filterFormat": FILTER_FORMAT, "filters": items}


def _leaf(node: Compare) -> dict[str, Any]:
    value: Any
    if node.op == "contains":
        op, value = "IN", [node.value]
    else:
        op = _OPS[node.op]
        value = list(node.value) if isinstance(node.value, tuple) else node.value
    return {"key": filter_key(node.ref), "op": op, "value": value, "disabled": False}


def _items(node: Node) -> list[dict[str, Any]]:
    if isinstance(node, Compare):
        return [_leaf(node)]
    connector = node.op.upper()
    items: list[dict[str, Any]] = []
    for child in node.items:
        if isinstance(child, BoolOp) and child.op == "or" and node.op == "and":
            sub = _items(child)
            entry: dict[str, Any] = {"filters": sub} if len(sub) > 1 else dict(sub[0])
            if items:
                entry["connector"] = connector
            items.append(entry)
            continue
        for j, sub_item in enumerate(_items(child)):
            inline = dict(sub_item)
            if j == 0 and items:
                inline["connector"] = connector
            items.append(inline)
    return items
