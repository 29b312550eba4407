"""Lines out of line: YAML list items and keys whose column disagrees with the lines above.

libyaml says where it stopped (`did not find expected '-' indicator`); which line is out
of line, and in which direction, is read here from the columns of the lines above. A
message names the columns as they are, and proposes a fix only where those lines say
which one is meant: a wrong guess misleads more than no guess (issue 13). Lines and
columns given in and out are libyaml's, 0-based; messages show them as editors do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reportgen.spec.positions import LineMap

Hint = tuple[tuple[int, int], str]
KEY = re.compile(r"""(?:- +)*(?P<key>[^\s#'"\[\]{},:-][^:#]*?|"[^"]*"|'[^']*'):(?:\s|$)""")
_ITEM = re.compile(r"(?:-(?: +|$))+")
# A first word that can start a plain key: not an anchor, alias, tag, quote, flow
# collection, block scalar or another indicator.
_PLAIN_WORD = re.compile(r"""[^\s#'"\[\]{}&*!|>%@`,:?-]""")


class Layout:
    """The lines of one YAML text, read for their columns."""

    def __init__(self, lines: list[str], linemap: LineMap) -> None:
        self.lines = lines
        self.linemap = linemap

    def previous(self, line: int) -> int | None:
        """The nearest line above with content (not blank, not only a comment)."""
        for i in range(line - 1, -1, -1):
            stripped = self.lines[i].strip()
            if stripped and not stripped.startswith("#"):
                return i
        return None

    def above(self, line: int) -> Iterator[int]:
        """The lines above with content, nearest first."""
        i = self.previous(line)
        while i is not None:
            yield i
            i = self.previous(i)

    def pos(self, line: int, col: int) -> str:
        shown_line, shown_col = self.linemap.editor(line, col)
        return f"line {shown_line}, column {shown_col}"

    def _line(self, line: int) -> int:
        return self.linemap.editor(line, 0)[0]

    def _col(self, line: int, col: int) -> int:
        return self.linemap.editor(line, col)[1]

    def missing_colon(self, line: int) -> Hint | None:
        """A line with no ':' where YAML looked for a key: most often a key without its ':'."""
        text = self.lines[line]
        start = body(text)
        content = _value(text, start)
        if re.fullmatch(r"(?:---|\.\.\.)(?:\s.*)?", content) and start > 0:
            marker = content[:3]
            return (line, start), (
                f"{marker!r} separates documents only at the start of a line: remove the "
                f"spaces before it"
            )
        if _PLAIN_WORD.match(content) is None:
            item = self.previous(line)
            if item is None or _is_item(text) or not _is_item(self.lines[item]):
                return None
            if indent_of(self.lines[item]) != start:
                return None
            return (line, start), (
                f"this line is in the column of the '-' of the list item above it (line "
                f"{self._line(item)}) but is not an item: start it with '- '"
            )
        fix = _with_colon(content)
        block = self._block_text_above(line, start)
        if block is not None:
            owner, key, column = block
            return (line, start), (
                f"{content!r} has no ':' after a key, and is indented less than the text of "
                f"{key!r} above it (line {self._line(owner)}), so it is not part of that "
                f"text: indent it like that text (column {self._col(*column)}), or, if it is a "
                "key, add its ':'"
            )
        return (line, start), f"{content!r} has no ':' after its key: write {fix!r}"

    def _block_text_above(self, line: int, col: int) -> tuple[int, str, tuple[int, int]] | None:
        """The key of a block scalar ('|' or '>') whose text ends just above `line`, which
        starts in `col`; and where that text starts."""
        first: tuple[int, int] | None = None
        for i in self.above(line):
            indent = indent_of(self.lines[i])
            if indent > col:
                first = (i, indent)
                continue
            key = KEY.match(self.lines[i], indent)
            value = _value(self.lines[i], key.end()) if key is not None else ""
            if key is None or first is None or not re.fullmatch(r"[|>][-+0-9]*", value):
                return None
            return i, key.group("key"), first
        return None

    def _value_start(self, line: int) -> tuple[int | None, int | None]:
        """Where the plain value that `line` is read as more of starts (a key with a value,
        or a list item of text), else the nearest line above that has no key."""
        plain: list[int] = []
        for i in self.above(line):
            text = self.lines[i]
            key = KEY.match(text, indent_of(text))
            if key is not None:
                has_value, column = bool(_value(text, key.end())), key.start("key")
            elif _is_item(text) and _value(text, body(text)):
                has_value, column = True, indent_of(text)
            else:
                plain.append(i)
                continue
            if has_value and all(indent_of(self.lines[p]) > column for p in plain):
                return i, None
            break
        return None, plain[0] if plain else None

    def continued(self, here: tuple[int, int]) -> Hint | None:
        """A key (or list item) indented under a line that already has a value, which YAML
        reads as more of that value until it meets the ': '."""
        line = here[0]
        text = self.lines[line]
        indent = indent_of(text)
        own = KEY.match(text, indent)
        start, plain = self._value_start(line)
        if start is None:
            return self.missing_colon(plain) if plain is not None else None
        if own is None:
            return None
        item = _is_item(text)
        subject = "this list item" if item else repr(own.group("key"))
        above = self.lines[start]
        where, dash = self._line(start), self._col(start, indent_of(above))
        line_up = f"line up its '-' with the '-' on line {where} (column {dash})"
        parent = KEY.match(above, indent_of(above))
        if parent is None:  # a list item of text
            content = _value(above, body(above))
            if not item and self.previous(line) == start and body(text) == body(above):
                key = content.partition(" ")[0]
                return here, (
                    f"{subject} lines up with the content of the list item above it (line "
                    f"{where}), but that item is the text {content!r}, not a mapping: if "
                    f"{key!r} is a key, write {_with_colon(content)!r}"
                )
            if indent <= indent_of(above):
                return None
            fix = (
                line_up if item else f"move {subject} left to the column of the key it belongs with"
            )
            return here, (
                f"{subject} is indented more than the '-' of the list item above it (line "
                f"{where}), so YAML reads the line as more of that item's text: {fix}"
            )
        name = parent.group("key")
        if (indent if item else own.start("key")) <= parent.start("key"):
            return None
        if not item:
            return here, (
                f"{subject} is indented more than {name!r} above it (line {where}), which "
                f"already has a value: give {subject} the same indentation as {name!r}"
            )
        return here, (
            f"this list item is indented more than {name!r} above it (line {where}), which "
            f"already has a value, so YAML reads the line as more of that value"
            + (f": {line_up}" if _is_item(above) else "")
        )

    def _misaligned(self, here: tuple[int, int], other: int, dash: int) -> Hint:
        return here, (
            f"this list item's '-' is in column {self._col(*here)}, the item above it (line "
            f"{self._line(other)}) in column {self._col(other, dash)}: line up the '-' of every "
            "item in a list"
        )

    def _nearest(self, line: int, col: int, items: bool) -> tuple[int, int] | None:
        """The list item (`items`) or key above `line` that a line starting in `col` most
        likely belongs with: of those right of `col` under the same parent, the one
        nearest to `col`; else the nearest one left of it."""
        right: tuple[int, int] | None = None
        for i in self.above(line):
            text = self.lines[i]
            if items:
                found = indent_of(text) if _is_item(text) else None
            else:
                key = KEY.match(text, indent_of(text))
                found = key.start("key") if key is not None else None
            if found is None:
                if indent_of(text) < col:
                    break
            elif found < col:
                return right or (i, found)
            elif found > col and (right is None or found < right[1]):
                right = (i, found)
        return right

    def misplaced_item(self, here: tuple[int, int]) -> Hint | None:
        """A list item where YAML expected a key: its '-' is out of line with the items above."""
        line, col = here
        if not _is_item(self.lines[line]) or indent_of(self.lines[line]) != col:
            return None
        item = self._nearest(line, col, items=True)
        return self._misaligned(here, *item) if item is not None else None

    def item_among_keys(self, here: tuple[int, int], start: int, column: int) -> Hint | None:
        """A list item in the column of the keys of the mapping that starts at (`start`,
        `column`), where YAML expects another key."""
        line, col = here
        if col != column or not _is_item(self.lines[line]) or indent_of(self.lines[line]) != col:
            return None
        return here, (
            f"this list item is in the column of the keys of the mapping that starts at "
            f"{self.pos(start, column)}, where YAML expects another key: remove the '- ' to "
            "make it a key of that mapping"
        )

    def misplaced_key(self, here: tuple[int, int]) -> Hint | None:
        """A line right of its mapping's keys but not under a key that could hold it."""
        line, col = here
        if indent_of(self.lines[line]) != col:
            return None
        key = self._nearest(line, col, items=False)
        found = KEY.match(self.lines[key[0]], key[1]) if key is not None else None
        if key is None or found is None:
            return None
        return here, (
            f"this line starts in column {self._col(line, col)}, but the key above it "
            f"({found.group('key')!r}) is in column {self._col(*key)}: keys of one mapping "
            "start in the same column"
        )

    def not_an_item(self, here: tuple[int, int], start: int, column: int) -> Hint | None:
        """A line in or right of the column of the list that starts at (`start`, `column`),
        but not an item of it."""
        line, col = here
        text = self.lines[line]
        if indent_of(text) != col:
            return None
        item = next((i for i in self.above(line) if indent_of(self.lines[i]) <= column), None)
        if item is not None and not (
            indent_of(self.lines[item]) == column and _is_item(self.lines[item])
        ):
            item = None
        if _is_item(text):
            return self._misaligned(here, start if item is None else item, column)
        above = self.lines[item] if item is not None else ""
        content = _value(above, body(above))
        mapping = item is not None and KEY.match(above, column) is not None
        move = "move it left to the column of the key it belongs with"
        if col == column:
            fix = (
                ""
                if item is None
                else ", or "
                + ("indent it to continue the item above" if mapping or not content else move)
            )
            return here, (
                f"this line is in the column of the list that starts at "
                f"{self.pos(start, column)} but is not an item of it: start it with '- '{fix}"
            )
        shown, dash = self._col(line, col), self._col(start, column)
        where = self.pos(start if item is None else item, column)
        if item is not None and mapping and body(above) > col:
            inner = self._col(item, body(above))
            return here, (
                f"this line starts in column {shown}, right of the '-' of the list item above "
                f"it ({where}) but left of that item's content (column {inner}): start it in "
                f"column {inner} to continue that item, or put '- ' in column {dash} to start "
                "a new item"
            )
        if item is not None and not content:
            return here, (
                f"this line starts in column {shown}, right of the '-' of the list item above "
                f"it ({where}): line it up with that item's content to continue the item, or "
                f"put '- ' in column {dash} to start a new item"
            )
        return here, (
            f"this line starts in column {shown}, right of the '-' of the list item above it "
            f"({where}), but is not part of that item: put '- ' in column {dash} to start a "
            f"new item, or {move}"
        )


def indent_of(text: str) -> int:
    """The column where a line's text starts (its leading spaces)."""
    return len(text) - len(text.lstrip(" "))


def body(text: str) -> int:
    """The column where a line's content starts, after its indentation and any '- '."""
    item = _ITEM.match(text, indent_of(text))
    return item.end() if item is not None else indent_of(text)


def _is_item(text: str) -> bool:
    return _ITEM.match(text, indent_of(text)) is not None


def _value(text: str, start: int) -> str:
    """The text of a line from `start`, without a trailing comment."""
    return re.split(r"(?:^|\s)#", text[start:], maxsplit=1)[0].strip()


def _with_colon(content: str) -> str:
    key, _, rest = content.partition(" ")
    return f"{key}: {rest.strip()}" if rest.strip() else f"{key}:"
