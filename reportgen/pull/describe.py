"""Two spec bodies compared in the words of the YAML: what a reviewer reads in a plan.

`describe(before, after)` walks two bodies (plain data, as `decompile` returns them) and
says each difference the way the spec writes it, by its path in the spec:

    tiebreak: + summary.f1 desc before run.name
    filter: config.dataset == "CIFAR-10" → ... and state == "finished"
    columns: + config.epochs after config.learning_rate
    curves.top: 5 → 3

Lists of plain values (sort keys, columns, metrics, curve metrics) are compared as
sequences: items added (with their neighbour), removed, replaced or reordered. Lists of
mappings (sections, panels, blocks) are compared item by item when their lengths agree,
else as sequences of whole items. `compare.spec_diff` lists the same differences without the words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from reportgen.pull.residue import same

SKIPPED = ("key", "adopt", "publish")  # identity and bookkeeping, not what a view shows
_WIDTH = 100  # longest value shown before it is shortened with "…"
_ELIDE = 12  # a shared start or end this long becomes "..."
_LONG = 40  # ... in a value longer than this
_DIRECTIONS = (" asc", " desc", " max", " min")


@dataclass(frozen=True)
class Phrase:
    """One difference: the spec path it is at, and what changed there."""

    path: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}: {self.text}" if self.path else self.text


def describe(before: Any, after: Any, skip: tuple[str, ...] = SKIPPED) -> list[Phrase]:
    """What changes when `before` becomes `after`, in the spec's own terms."""
    out: list[Phrase] = []
    if isinstance(before, dict) and isinstance(after, dict):
        before = {k: v for k, v in before.items() if k not in skip}
        after = {k: v for k, v in after.items() if k not in skip}
    _walk(before, after, "", out)
    return out


def _walk(a: Any, b: Any, path: str, out: list[Phrase]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(Phrase(where, "+ " + value_text(b[key])))
            elif key not in b:
                out.append(Phrase(where, "- " + value_text(a[key])))
            else:
                _walk(a[key], b[key], where, out)
    elif isinstance(a, list) and isinstance(b, list):
        _list(a, b, path, out)
    elif same(a, b):
        return
    elif isinstance(a, str) and isinstance(b, str):
        out.append(Phrase(path, strings(a, b)))
    else:
        out.append(Phrase(path, f"{value_text(a)} → {value_text(b)}"))


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _list(a: list[Any], b: list[Any], path: str, out: list[Phrase]) -> None:
    if same(a, b):
        return
    plain = all(_plain(v) for v in [*a, *b])
    if not plain and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{path}[{index}]", out)
        return
    ids_a, ids_b = [_identity(v) for v in a], [_identity(v) for v in b]
    if plain and sorted(ids_a) == sorted(ids_b):
        out.append(Phrase(path, f"order {_items(a)} → {_items(b)}"))
        return
    matcher = SequenceMatcher(None, ids_a, ids_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                x, y = a[i1 + offset], b[j1 + offset]
                if plain:
                    out.append(Phrase(path, f"{value_text(x)} → {value_text(y)}"))
                else:
                    _walk(x, y, f"{path}[{j1 + offset}]", out)
            continue
        out.extend(Phrase(path, "- " + value_text(x)) for x in a[i1:i2])
        for j in range(j1, j2):
            where = _place(b, j, j2) if plain else f" as item {j + 1}"
            out.append(Phrase(path, "+ " + value_text(b[j]) + where))


def _place(items: list[Any], index: int, end: int) -> str:
    """Where an inserted item sits: after its predecessor, else before what follows."""
    if index > 0:
        return f" after {_head(items[index - 1])}"
    if end < len(items):
        return f" before {_head(items[end])}"
    return ""


def _head(item: Any) -> str:
    """An item by its reference alone: `summary.accuracy desc` -> `summary.accuracy`."""
    text = value_text(item)
    for direction in _DIRECTIONS:
        if isinstance(item, str) and text.endswith(direction) and len(text) > len(direction):
            return text[: -len(direction)]
    return text


def _identity(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _items(values: list[Any]) -> str:
    return ", ".join(value_text(v) for v in values)


def value_text(value: Any, width: int = _WIDTH) -> str:
    """A value as the YAML would show it, on one line, shortened past `width`."""
    return _short(_flow(value), width)


def _flow(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("\n", "⏎ ")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return json.dumps(value)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def strings(a: str, b: str) -> str:
    """`a → b`, with the part of `b` it shares with `a` at either end shown as `...`."""
    if "\n" in a or "\n" in b:
        return _lines(a, b)
    if len(b) <= _LONG:
        return f"{_short(a, _WIDTH)} → {b}"
    start = _shared_start(a, b)
    end = _shared_end(a[start:], b[start:])
    shown = b[start : len(b) - end]
    if start >= _ELIDE:
        shown = "... " + shown.lstrip()
    else:
        shown, start = b[: len(b) - end], 0
    if end >= _ELIDE:
        shown = shown.rstrip() + " ..."
    else:
        shown += b[len(b) - end :]
    if not shown.strip(". "):
        shown = value_text(b)  # only whitespace changed: show it whole
    return f"{_short(a, _WIDTH)} → {_short(shown, _WIDTH)}"


def _shared_start(a: str, b: str) -> int:
    """How many leading characters a and b share, ending at a word boundary."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    if n in (len(a), len(b)):
        return n
    return a.rfind(" ", 0, n) + 1


def _shared_end(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    if n in (len(a), len(b)):
        return n
    cut = a.find(" ", len(a) - n)
    return len(a) - cut if cut >= 0 else 0


def _lines(a: str, b: str) -> str:
    """Multi-line text (a description, markdown): the lines added, removed or changed."""
    old, new = a.splitlines(), b.splitlines()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        removed = [line for line in old[i1:i2] if line.strip()]
        added = [line for line in new[j1:j2] if line.strip()]
        if op == "equal":
            continue
        if op == "replace" and len(removed) == len(added) == 1:
            parts.append(strings(removed[0], added[0]))
        else:
            parts += [f"- {line}" for line in removed] + [f"+ {line}" for line in added]
    if not parts:
        return "blank lines changed"
    more = f" (and {len(parts) - 2} more changed lines)" if len(parts) > 2 else ""
    return "; ".join(_short(p, _WIDTH) for p in parts[:2]) + more
