"""What compile carries back verbatim: raw panels and blocks, and an object's `passthrough`.

`pull` keeps whatever the spec language cannot say about a view losslessly. Raw panels and
raw blocks stand where they stood (compile puts a placeholder there, whose id W&B keeps);
`passthrough.set` / `passthrough.unset` are JSON Pointers (RFC 6901) into the view spec.
All of them are written into the spec JSON after wandb-workspaces has serialised the
object, so the library never sees them and cannot drop them. Pure: no network.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from reportgen.spec import model as m

_PANELS_OF_SECTION = "/section/panelBankConfig/sections/{i}/panels/{j}"
_PANELS_OF_GRID = "/blocks/{b}/metadata/panelBankSectionConfig/panels/{j}"


class PassthroughError(ValueError):
    """A pointer that does not fit the compiled view."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"passthrough path {pointer!r}: {reason}")
        self.message = str(self)


@dataclass(frozen=True)
class Patch:
    """Write `value` at `pointer` (remove it when `remove`); `keep_id` keeps the `__id__`
    of what compile placed there (a raw panel standing in for its placeholder). `origin` is
    `raw panel`, `raw block` or `passthrough`."""

    pointer: str
    value: Any = None
    remove: bool = False
    keep_id: bool = False
    origin: str = "passthrough"


def split_pointer(pointer: str) -> list[str]:
    """The reference tokens of a JSON Pointer ("" is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PassthroughError(pointer, "a JSON Pointer starts with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def join_pointer(tokens: list[str | int]) -> str:
    """The JSON Pointer of a path of keys and indices."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def report_block_offset(view: m.Report) -> int:
    """Where spec block 0 stands in the JSON: wandb-workspaces puts an empty paragraph first
    unless the first block already is one."""
    return 0 if view.blocks and view.blocks[0] == m.TextBlock("p", "") else 1


def patches(view: m.View) -> list[Patch]:
    """Every patch of a view, raw items first, then its passthrough (sets, then unsets)."""
    found: list[Patch] = []
    if isinstance(view, m.Workspace):
        for i, section in enumerate(view.sections):
            for j, panel in enumerate(section.panels):
                if isinstance(panel, m.RawPanel):
                    where = _PANELS_OF_SECTION.format(i=i, j=j)
                    found.append(Patch(where, panel.json, keep_id=True, origin="raw panel"))
    else:
        offset = report_block_offset(view)
        for b, block in enumerate(view.blocks):
            if isinstance(block, m.RawBlock):
                found.append(Patch(f"/blocks/{b + offset}", block.json, origin="raw block"))
            elif isinstance(block, m.PanelGrid):
                for j, panel in enumerate(block.panels):
                    if isinstance(panel, m.RawPanel):
                        where = _PANELS_OF_GRID.format(b=b + offset, j=j)
                        found.append(Patch(where, panel.json, keep_id=True, origin="raw panel"))
    extra = view.passthrough
    if extra is not None:
        found.extend(Patch(pointer, value) for pointer, value in extra.sets)
        found.extend(Patch(pointer, remove=True) for pointer in extra.unsets)
    return found


def apply_patches(spec: dict[str, Any], view: m.View) -> dict[str, Any]:
    """The spec with the view's patches written in (a copy when there are any)."""
    todo = patches(view)
    if not todo:
        return spec
    result = copy.deepcopy(spec)
    for patch in todo:
        result = _apply(result, patch)
    return result


def _apply(root: Any, patch: Patch) -> Any:
    tokens = split_pointer(patch.pointer)
    value = copy.deepcopy(patch.value)
    if not tokens:
        if patch.remove:
            raise PassthroughError(patch.pointer, "the whole view cannot be removed")
        return value
    parent = root
    for depth, token in enumerate(tokens[:-1]):
        if isinstance(parent, dict):
            if token not in parent and not patch.remove:
                parent[token] = {}
            if token not in parent:
                return root  # removing what is not there: nothing to do
            parent = parent[token]
        elif isinstance(parent, list):
            parent = parent[_index(parent, token, patch.pointer, depth)]
        else:
            raise PassthroughError(
                patch.pointer, f"{join_pointer(list(tokens[:depth]))} holds no object"
            )
    last = tokens[-1]
    if isinstance(parent, dict):
        if patch.remove:
            parent.pop(last, None)
            return root
        _place(parent, last, value, patch.keep_id)
    elif isinstance(parent, list):
        index = _index(parent, last, patch.pointer, len(tokens) - 1, append=not patch.remove)
        if patch.remove:
            del parent[index]
        elif index == len(parent):
            parent.append(value)
        else:
            _place(parent, index, value, patch.keep_id)
    else:
        raise PassthroughError(patch.pointer, "its parent holds no object or list")
    return root


def _place(parent: Any, slot: Any, value: Any, keep_id: bool) -> None:
    old = parent[slot] if (isinstance(parent, list) or slot in parent) else None
    if keep_id and isinstance(old, dict) and isinstance(value, dict) and "__id__" in old:
        value = {"__id__": old["__id__"], **{k: v for k, v in value.items() if k != "__id__"}}
    parent[slot] = value


def _index(items: list[Any], token: str, pointer: str, depth: int, append: bool = False) -> int:
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PassthroughError(pointer, f"{token!r} is not a list index")
    index = int(token)
    if index < len(items) or (append and index == len(items)):
        return index
    raise PassthroughError(pointer, f"the list there has {len(items)} items")
