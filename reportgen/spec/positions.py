"""Where each character of a YAML scalar's value sits in the source.

Filter and reference errors point at a character inside a string; the string may be plain,
single- or double-quoted (with escapes and folded lines), literal or folded. These walks
redo YAML's decoding to map every character of the value back to its line and column,
and stop where the source can no longer be matched character for character.
"""

from __future__ import annotations

import bisect
import re

import yaml

# Line breaks as YAML 1.1 (libyaml, and so every mark) counts them, and as editors, GitHub
# and grep count them: U+0085, U+2028 and U+2029 break a line only for YAML.
YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
EDITOR_BREAKS = re.compile("\r\n|[\r\n]")


class LineMap:
    """Turns libyaml's (line, column) into the 1-based line and column an editor shows.

    libyaml counts U+0085, U+2028 and U+2029 as line breaks (YAML 1.1); editors do not, so
    after one of them libyaml's line numbers run ahead of what the user sees.
    """

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.yaml_lines = YAML_BREAKS.split(text)
        self.yaml_breaks = [m.group() for m in YAML_BREAKS.finditer(text)]
        self._yaml_starts = [0, *(m.end() for m in YAML_BREAKS.finditer(text))]
        self._editor_starts = [0, *(m.end() for m in EDITOR_BREAKS.finditer(text))]

    def at(self, index: int) -> tuple[int, int]:
        """1-based editor (line, col) of character `index` of the text."""
        index = max(0, min(index, self.length))
        line = bisect.bisect_right(self._editor_starts, index) - 1
        return line + 1, index - self._editor_starts[line] + 1

    def index(self, line: int, col: int) -> int:
        """Character index of libyaml's 0-based (line, col); past the last line: the end."""
        if line >= len(self._yaml_starts):
            return self.length
        return self._yaml_starts[line] + col

    def editor(self, line: int, col: int) -> tuple[int, int]:
        """1-based editor (line, col) of libyaml's 0-based (line, col)."""
        return self.at(self.index(line, col))

    def mark(self, mark: yaml.Mark) -> tuple[int, int]:
        return self.editor(mark.line, mark.column)


def char_positions(
    node: yaml.ScalarNode, lines: list[str], breaks: list[str] | None = None
) -> list[tuple[int, int]]:
    """0-based (line, col) in the source of each character of a scalar's value, and one past
    its end; only as far as the source could be matched character for character. `breaks`
    are the line breaks ending each of `lines` (YAML keeps U+2028 and U+2029 when folding)."""
    value = node.value
    if node.style in ("|", ">"):
        cells = _block_cells(node, lines)
    else:
        cells = _flow_cells(node, lines, breaks or [])
    table: list[tuple[int, int]] = []
    for (line, col, ch), expected in zip(cells, value, strict=False):
        if ch is not None and ch != expected:
            break
        table.append((line, col))
    if value and len(table) == len(value):
        line, col = table[-1]
        table.append((line, col) if value.endswith("\n") else (line, col + 1))
    return table


# One character of a scalar's value: 0-based line and column, and the character (None when
# it comes from an escape sequence).
_Cell = tuple[int, int, str | None]
_BLOCK_HEADER = re.compile(r"[|>]([1-9][+-]?|[+-]?[1-9]?)")


def _block_cells(node: yaml.ScalarNode, lines: list[str]) -> list[_Cell]:
    """Literal (|) and folded (>) scalars; an explicit indentation indicator is not mapped."""
    start, end = node.start_mark, node.end_mark
    header = _BLOCK_HEADER.match(lines[start.line], start.column)
    if header is None or any(c.isdigit() for c in header.group(1)):
        return []
    last = min(end.line if end.column > 0 else end.line - 1, len(lines) - 1)
    body = range(start.line + 1, last + 1)
    content = [i for i in body if lines[i].strip()]
    if not content:
        return []
    first = lines[content[0]]
    indent = len(first) - len(first.lstrip(" "))
    cells: list[_Cell] = []
    previous: tuple[int, bool] | None = None
    empty: list[int] = []
    for i in body:
        text = lines[i]
        if not text.strip():
            empty.append(i)
            continue
        normal = text[indent : indent + 1] not in (" ", "\t")
        if previous is not None:
            line, was_normal = previous
            if not (node.style == ">" and was_normal and normal):
                cells.append((line, len(lines[line]), "\n"))
            elif not empty:
                cells.append((line, len(lines[line]), " "))
        cells.extend((e, min(indent, len(lines[e])), "\n") for e in empty)
        empty = []
        cells.extend((i, c, text[c]) for c in range(indent, len(text)))
        previous = (i, normal)
    if previous is not None:
        cells.append((previous[0], len(lines[previous[0]]), "\n"))
    return cells


def _flow_cells(node: yaml.ScalarNode, lines: list[str], breaks: list[str]) -> list[_Cell]:
    """Plain and quoted scalars: escapes decoded and lines folded as YAML does."""
    quote = node.style if node.style in ("'", '"') else None
    start, end = node.start_mark, node.end_mark
    cells: list[_Cell] = []
    previous: tuple[int, int] | None = None  # where the last line's content ended
    empty: list[int] = []
    joined = False  # the last line ended in an escaped line break
    for line in range(start.line, min(end.line, len(lines) - 1) + 1):
        text = lines[line]
        stop = end.column - (1 if quote else 0) if line == end.line else len(text)
        if line != end.line:
            stop = len(text[:stop].rstrip(" \t"))
        c = start.column + (1 if quote else 0) if line == start.line else 0
        if line != start.line:
            c = len(text) - len(text.lstrip(" \t"))
            if c >= stop and line != end.line:
                empty.append(line)
                continue
            if previous is not None and not joined and not empty:
                kept = breaks[line - 1] if line - 1 < len(breaks) else ""
                cells.append((*previous, kept if kept in ("\u2028", "\u2029") else " "))
            cells.extend((e, 0, "\n") for e in empty)
            empty = []
        joined = False
        while c < stop:
            ch = text[c]
            if quote == "'" and ch == "'":
                cells.append((line, c, "'"))
                c += 2
            elif quote == '"' and ch == "\\":
                if c + 1 >= len(text.rstrip(" \t")):
                    joined = True
                    break
                code = text[c + 1]
                cells.append((line, c, code if code in '\\"/' else None))
                c += {"x": 4, "u": 6, "U": 10}.get(code, 2)
            else:
                cells.append((line, c, ch))
                c += 1
        previous = (line, stop)
    return cells
