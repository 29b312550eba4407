"""`${{ matrix.NAME }}` substitution: one template string, one matrix row.

Everywhere but filters a value is pasted as text. In a filter (`filter:` keys) a value is
never filter syntax: inside a string literal it is escaped (`"${{ matrix.x }}"` holds
exactly the value, quotes and all), inside a backticked name it is part of the name,
standing alone it becomes a literal (a quoted string, a number, true or false), and glued
to a name (`summary.acc_${{ matrix.split }}`) it must look like part of a name. So a
value such as `a" or config.b == "x` can never add a term to a filter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.spec.literals import filter_literal

MATRIX_REF = re.compile(r"\$\{\{(.*?)\}\}")
MATRIX_BODY = re.compile(r"^\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z]+)\s*)?$")
TRANSFORMS = {
    "slug": lambda v: re.sub(r"[^a-z0-9]+", "-", v.lower()).strip("-"),
    "lower": str.lower,
    "upper": str.upper,
}
_NAME_BREAKERS = re.compile(r"[\s`\"'()\[\],=!<>]")


@dataclass
class Stamped:
    """A template with a row's values in: the text, where each substitution went
    (template start, template end, text start, text end), and values refused in place
    (template offset, message)."""

    text: str
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def template_offset(self, offset: int) -> int:
        """Where character `offset` of the text comes from: the same character of the
        template, or the `${{` of the substitution it falls in."""
        shift = 0
        for start, end, out_start, out_end in self.spans:
            if offset < out_start:
                break
            if offset < out_end:
                return start
            shift = out_end - end
        return offset - shift


def stamp(template: str, row: Mapping[str, Any], *, in_filter: bool = False) -> Stamped:
    """The template with `row`'s values substituted (references checked beforehand)."""
    out: list[str] = []
    stamped = Stamped("")
    length = 0
    quote: str | None = None  # the open string or backtick quote, in a filter
    i = 0
    while i < len(template):
        match = MATRIX_REF.match(template, i) if template.startswith("${{", i) else None
        if match is not None:
            body = MATRIX_BODY.match(match.group(1))
            assert body is not None  # checked by expand before substitution
            value = row[body.group(1)]
            transform = body.group(2)
            text = _text(value, transform)
            if in_filter:
                placed = _in_filter(value if transform is None else text, text, quote, template, i)
                if isinstance(placed, tuple):
                    stamped.refused.append(placed)
                    placed = ""
                text = placed
            stamped.spans.append((i, match.end(), length, length + len(text)))
            out.append(text)
            length += len(text)
            i = match.end()
            continue
        char = template[i]
        if in_filter:
            if quote is None and char in "\"'`":
                quote = char
            elif quote in ('"', "'") and char == "\\":
                out.append(template[i : i + 2])
                length += len(template[i : i + 2])
                i += 2
                continue
            elif char == quote:
                quote = None
        out.append(char)
        length += 1
        i += 1
    stamped.text = "".join(out)
    return stamped


def whole_value(template: str, row: Mapping[str, Any]) -> Any:
    """A template that is exactly one `${{ matrix.x }}` keeps the value's type (a number
    stays a number); None when the template is anything else."""
    whole = MATRIX_REF.fullmatch(template)
    body = MATRIX_BODY.match(whole.group(1)) if whole else None
    if body is None or body.group(2):
        return None
    return row[body.group(1)]


def _text(value: Any, transform: str | None) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return TRANSFORMS[transform](text) if transform else text


def _in_filter(
    value: Any, text: str, quote: str | None, template: str, at: int
) -> str | tuple[int, str]:
    """A value's text in a filter, or (offset, message) when it cannot stand there."""
    if quote in ('"', "'"):
        return filter_literal(text, quote)
    glued = _glued(template, at)
    if quote == "`" or glued:
        breaker = _NAME_BREAKERS.search(text) if quote != "`" else re.search("`", text)
        if breaker is None:
            return text
        where = "a `quoted` name" if quote == "`" else "a name"
        return at, (
            f"matrix value {text!r} cannot be part of {where} in a filter (it holds "
            f'{breaker.group()!r}); to compare with it, put it in quotes: "${{{{ ... }}}}"'
        )
    return filter_literal(value)


def _glued(template: str, at: int) -> bool:
    """Whether the substitution at `at` is part of a longer name (`acc_${{ ... }}`)."""
    end = MATRIX_REF.match(template, at)
    after = template[end.end() : end.end() + 1] if end else ""
    before = template[at - 1 : at] if at else ""

    def name_char(c: str) -> bool:
        return bool(c) and not c.isspace() and c not in "`\"'()[],=!<>"

    return name_char(before) or name_char(after)
