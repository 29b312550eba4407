"""What a decompiled spec does not say: the difference between the view it compiles to and
the live view, as JSON Pointers, and the `passthrough` that carries it back verbatim.

Both sides are normalised first (`compile.normalize`), so random ids, ref objects and the
spellings W&B treats alike are never a difference.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.compile.passthrough import PassthroughError, join_pointer, split_pointer

_PLACEHOLDER_KEYS = ("__id__", "id")


@dataclass(frozen=True)
class Unrepresented:
    """One part of a live view the spec language cannot say, and how pull keeps it.

    `how` is `raw panel`, `raw block` (kept in the spec as W&B stores it), `set` (W&B has
    `live` at `pointer`, compile makes something else or nothing) or `unset` (compile writes
    `compiled` at `pointer`, W&B has nothing there).
    """

    pointer: str
    how: str
    live: Any = None
    compiled: Any = None

    def describe(self) -> str:
        if self.how == "unset":
            return f"{self.pointer}: W&B has nothing here; kept absent (passthrough.unset)"
        if self.how == "set":
            return f"{self.pointer}: {_short(self.live)} (passthrough.set)"
        return f"{self.pointer}: {_short(self.live)} (kept as a {self.how})"


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b if isinstance(a, str) or isinstance(b, str) else a == b


def differences(compiled: Any, live: Any) -> list[Unrepresented]:
    """Where `compiled` differs from `live`, as sets and unsets; lists of another length are
    set whole."""
    found: list[Unrepresented] = []
    _walk(compiled, live, [], found)
    return found


def _walk(compiled: Any, live: Any, path: list[str | int], found: list[Unrepresented]) -> None:
    if isinstance(compiled, dict) and isinstance(live, dict):
        for key in live:
            if key in compiled:
                _walk(compiled[key], live[key], [*path, key], found)
            else:
                found.append(Unrepresented(join_pointer([*path, key]), "set", live=live[key]))
        for key in compiled:
            if key not in live:
                where = join_pointer([*path, key])
                found.append(Unrepresented(where, "unset", compiled=compiled[key]))
        return
    if isinstance(compiled, list) and isinstance(live, list) and len(compiled) == len(live):
        for index, (mine, theirs) in enumerate(zip(compiled, live, strict=True)):
            _walk(mine, theirs, [*path, index], found)
        return
    if not same(compiled, live):
        found.append(Unrepresented(join_pointer(path), "set", live=live, compiled=compiled))


def without_placeholders(value: Any) -> Any:
    """A normalised value with the `<panel:0:1>`-style ids normalize put there removed."""
    if isinstance(value, dict):
        return {
            k: without_placeholders(v)
            for k, v in value.items()
            if not (k in _PLACEHOLDER_KEYS and isinstance(v, str) and v.startswith("<"))
        }
    if isinstance(value, list):
        return [without_placeholders(v) for v in value]
    return value


def without_refs(value: Any) -> Any:
    """A value without the UI's `ref` objects (`{"type", "viewID", "id"}` under `ref`, `*Ref`
    and `*Refs` keys), which name other views' internals."""
    if isinstance(value, dict):
        return {
            k: without_refs(v)
            for k, v in value.items()
            if not (
                isinstance(k, str) and (k == "ref" or k.endswith(("Ref", "Refs"))) and _is_ref(v)
            )
        }
    if isinstance(value, list):
        return [without_refs(v) for v in value]
    return value


def _is_ref(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(value.get(f), str) for f in ("viewID", "type", "id"))
    return isinstance(value, list) and bool(value) and all(_is_ref(v) for v in value)


def _at(source: Any, pointer: str) -> tuple[bool, Any]:
    try:
        tokens = split_pointer(pointer)
    except PassthroughError:
        return False, None
    node = source
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def passthrough(
    found: list[Unrepresented], source: Any = None, normalized: Sequence[str] = ()
) -> dict[str, Any]:
    """The `passthrough:` mapping of the sets and unsets. Set values are read from `source`
    (the live spec as stored) where the pointer reaches into it, except near the pointers in
    `normalized`, which take the normalised value."""
    sets: dict[str, Any] = {}
    for u in found:
        if u.how == "set":
            plain = source is None or any(_related(u.pointer, n) for n in normalized)
            ok, value = (False, None) if plain else _at(source, u.pointer)
            sets[u.pointer] = without_refs(value) if ok else without_placeholders(u.live)
    unsets = [u.pointer for u in found if u.how == "unset"]
    out: dict[str, Any] = {}
    if sets:
        out["set"] = sets
    if unsets:
        out["unset"] = unsets
    return out
