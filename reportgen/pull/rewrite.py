"""Round-trip edits of spec files: change one object's values, keep everything else.

ruamel.yaml loads the file with its comments, key order, flow styles, quoting, anchors and
other documents; `merge` changes only the values that differ, keeping each scalar's quoting
style. ruamel's dump may still respell lines it did not change (indentation of a block
sequence, spacing); `render` therefore applies only the lines the edit changed to the
original text (a three-way merge of original, unmodified dump and modified dump), so a
`git diff` shows the edit and nothing else.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from reportgen.pull.residue import same

KINDS = ("workspace", "report", "leaderboard")
# (mapping indent, sequence indent, dash offset): the common ways spec files are indented.
_STYLES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 4, 0), (3, 5, 3))


class Rewriter:
    """One spec file, loaded for round-trip edits."""

    def __init__(self, text: str, style: tuple[int, int, int] | None = None) -> None:
        self.text = text
        self.yaml = YAML()
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096
        self.docs = list(self.yaml.load_all(text))
        self.style = style or _STYLES[0]
        if style is None:
            self.base = self._closest_style()
        else:
            self.yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
            self.base = self._dump()

    def again(self) -> Rewriter:
        """The original file loaded afresh, for another edit (its style already known)."""
        return Rewriter(self.text, self.style)

    def _closest_style(self) -> str:
        """Dump with the indentation that reproduces the most lines of the original."""
        best, best_score, style = "", -1.0, _STYLES[0]
        lines = self.text.splitlines()
        for mapping, sequence, offset in _STYLES:
            self.yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            dumped = self._dump()
            if dumped == self.text:
                self.style = (mapping, sequence, offset)
                return dumped
            score = difflib.SequenceMatcher(a=lines, b=dumped.splitlines(), autojunk=False).ratio()
            if score > best_score:
                best, best_score, style = dumped, score, (mapping, sequence, offset)
        self.yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
        self.style = style
        return best

    def _dump(self) -> str:
        stream = io.StringIO()
        self.yaml.dump_all(self.docs, stream)
        return stream.getvalue()

    def locate(self, line: int) -> tuple[int, CommentedMap, str] | None:
        """The mapping of the object whose `key:` value is on (1-based) `line`: its document
        index, the mapping, and where it is (`leaderboard` or `leaderboard.variants[0]`)."""
        for index, doc in enumerate(self.docs):
            if not isinstance(doc, CommentedMap):
                continue
            for kind in KINDS:
                body = doc.get(kind)
                if not isinstance(body, CommentedMap):
                    continue
                if _key_line(body) == line:
                    return index, body, kind
                for i, variant in enumerate(body.get("variants") or []):
                    if isinstance(variant, CommentedMap) and _key_line(variant) == line:
                        return index, variant, f"{kind}.variants[{i}]"
        return None

    def render(self) -> str:
        """The file with the edits: the original text, changed only where the edit is."""
        new = self._dump()
        if new == self.base:
            return self.text
        if self.base == self.text:
            return new
        return three_way(self.text, self.base, new)


def _key_line(body: CommentedMap) -> int | None:
    if "key" not in body:
        return None
    line, _ = body.lc.value("key")
    return int(line) + 1


def styled(old: Any, new: Any) -> Any:
    """`new`, spelled as `old` was (quoted, folded, literal) when both are strings."""
    block = type(old).__name__ in ("LiteralScalarString", "FoldedScalarString")
    keep = isinstance(old, ScalarString) and isinstance(new, str) and ("\n" not in new or block)
    if keep and not isinstance(new, ScalarString):
        return type(old)(new)
    return _commented(new, old)


def _commented(value: Any, like: Any = None) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _commented(v)
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_commented(v) for v in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    return value


def merge(node: CommentedMap, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Change `node` (whose values are `old`) to say `new`; keys `new` lacks are kept and
    returned, for the caller to decide (a default the author wrote, or a removed value)."""
    for key, value in new.items():
        if key in old and same(old[key], value):
            continue
        if key in old and key in node:
            _change(node, key, old[key], value)
        else:
            _insert(node, key, _commented(value), list(new))
    return [key for key in old if key not in new and key in node]


def _change(parent: Any, slot: Any, old: Any, value: Any) -> None:
    current = parent[slot]
    if isinstance(current, CommentedMap) and isinstance(old, dict) and isinstance(value, dict):
        for gone in merge(current, old, value):
            del current[gone]
        return
    if (
        isinstance(current, CommentedSeq)
        and isinstance(old, list)
        and isinstance(value, list)
        and len(old) == len(value) == len(current)
    ):
        for index, (before, after) in enumerate(zip(old, value, strict=True)):
            if not same(before, after):
                _change(current, index, before, after)
        return
    parent[slot] = styled(current, value)


def _insert(node: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    """Put `key` after the nearest key that precedes it in `order` (else first)."""
    before = order[: order.index(key)]
    position = 0
    for index, existing in enumerate(node):
        if existing in before:
            position = index + 1
    node.insert(position, key, value)


def three_way(original: str, base: str, new: str) -> str:
    """Apply the line changes base -> new to `original`, of which `base` is a respelling."""
    src, mid, dst = (t.splitlines(keepends=True) for t in (original, base, new))
    mapping = dict(_equal_lines(src, mid))
    out: list[str] = []
    cursor = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=mid, b=dst, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = mapping.get(i1, len(src) if i1 == len(mid) else None)
        end = mapping.get(i2 - 1) if i2 > i1 else start
        if start is None or end is None:
            return new  # the change falls where ruamel respelled the file: take its dump
        stop = end + 1 if i2 > i1 else start
        if any(mapping.get(i) != start + (i - i1) for i in range(i1, i2)) or start < cursor:
            return new
        out.extend(src[cursor:start])
        out.extend(dst[j1:j2])
        cursor = stop
    out.extend(src[cursor:])
    return "".join(out)


def _equal_lines(src: list[str], mid: list[str]) -> Iterator[tuple[int, int]]:
    """(line of base, line of original) for every line ruamel wrote back unchanged, and for
    lines it respelled one for one (a comment's spacing, say)."""
    matcher = difflib.SequenceMatcher(a=mid, b=src, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                yield i1 + k, j1 + k
