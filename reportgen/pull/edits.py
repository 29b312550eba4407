"""The field-by-field edits that turn one spec body into another, and a body with only
some of them made.

`pull --key/--drifted` decompiles the live view into the body a person would write, which
says some things differently from the spec file (a default spelled out, a filter quoted
another way) although both compile to the same view once normalised. `edits(old, new)`
lists every differing field by its path in the body; the caller makes only the edits the
live view needs (`applied`), so the file keeps its own words wherever they already mean
what W&B has.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reportgen.pull.residue import same

MISSING: Any = object()
Path = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)
class Edit:
    """Set the field at `path` to `value`, or remove it (`value` is `MISSING`)."""

    path: Path
    value: Any

    @property
    def removes(self) -> bool:
        return self.value is MISSING

    def describe(self) -> str:
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)[1:]


def edits(old: Any, new: Any, path: Path = ()) -> list[Edit]:
    """What differs between `old` and `new`: mappings key by key, lists of one length item
    by item, anything else whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Edit] = []
        for key in old:
            if key in new:
                found.extend(edits(old[key], new[key], (*path, key)))
            else:
                found.append(Edit((*path, key), MISSING))
        found.extend(Edit((*path, key), new[key]) for key in new if key not in old)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            e
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for e in edits(a, b, (*path, i))
        ]
    return [] if same(old, new) else [Edit(path, new)]


def applied(old: Any, new: Any, chosen: Iterable[Edit]) -> Any:
    """`old` with the `chosen` edits (of `edits(old, new)`) made; a field it did not have goes
    where `new` has it (after the field that precedes it there)."""
    result = copy.deepcopy(old)
    for edit in chosen:
        if not edit.path:
            result = copy.deepcopy(edit.value)
            continue
        parent, like = result, new
        for part in edit.path[:-1]:
            parent, like = parent[part], like[part]
        last = edit.path[-1]
        if edit.removes:
            del parent[last]
        elif isinstance(parent, dict) and last not in parent:
            _insert(parent, last, copy.deepcopy(edit.value), list(like))
        else:
            parent[last] = copy.deepcopy(edit.value)
    return result


def _insert(mapping: dict[Any, Any], key: Any, value: Any, order: list[Any]) -> None:
    before = order[: order.index(key)]
    items = list(mapping.items())
    position = max((i + 1 for i, (k, _) in enumerate(items) if k in before), default=0)
    items.insert(position, (key, value))
    mapping.clear()
    mapping.update(items)
