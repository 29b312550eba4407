"""The filter expression language: a hand-written parser into a typed syntax tree.

Grammar (keywords are case-insensitive):

    expr        := and_expr ("or" and_expr)*
    and_expr    := term ("and" term)*
    term        := "(" expr ")" | comparison
    comparison  := ref ("==" | "!=" | "<=" | ">=") value
                 | ref ["not"] "in" "[" [value ("," value)* [","]] "]"
                 | ref "contains" string                 -- tags only
                 | ref "within" duration                 -- created_at only
    value       := string | number | "true" | "false" | "null"
    string      := '"' ... '"' | "'" ... "'"             -- backslash escapes as in JSON
    duration    := number ("s" | "m" | "h" | "d" | "w")  -- e.g. 7d, 12h

`and` binds tighter than `or`, as in W&B's filter bar. References follow `reportgen.spec.refs`.

W&B filters have no strict `<` or `>`: wandb-workspaces silently rewrites them to `<=` and
`>=` (REPORT.md 4.1). reportgen refuses them instead of changing what the user meant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeAlias

from reportgen.spec.literals import (
    NUL_MESSAGE,
    NUMBER,
    FilterError,
    Scalar,
    continues_name,
    is_iso_date,
    number,
    unescape,
)
from reportgen.spec.refs import RUN_STATES, Ref, RefError, Section, did_you_mean, parse_ref

__all__ = ["BoolOp", "Compare", "FilterError", "Node", "Scalar", "Value", "parse_filter", "walk"]
Value: TypeAlias = Scalar | tuple[Scalar, ...]

COMPARISONS = ("==", "!=", "<=", ">=")
# Operators written the other way round (or as in other languages), and what they mean.
MISSPELLED = {"=!": "!=", "=<": "<=", "=>": ">=", "<>": "!="}
MAX_PARENTHESES = 32  # nesting depth; the parser recurses once per level
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Compare:
    """`ref op value`; `op` is one of ==, !=, <=, >=, in, not in, contains, within.

    For `within`, `value` is the window in seconds. `start`/`end` span the comparison in
    the expression text, for error messages.
    """

    ref: Ref
    op: str
    value: Value
    start: int
    end: int


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` over two or more operands."""

    op: str
    items: tuple[Node, ...]


Node: TypeAlias = Compare | BoolOp


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([a-zA-Z]+)")
_WORD = re.compile(r"[A-Za-z_]+")


def parse_filter(text: str) -> Node:
    """Parse a filter expression; raise `FilterError` with the offending offset."""
    parser = _Parser(text)
    node = parser.expr()
    parser.skip()
    if parser.i < len(text):
        if text[parser.i] == ")":
            raise FilterError("unbalanced ')'", parser.i)
        raise FilterError(f"expected 'and', 'or' or the end, found {parser.rest()!r}", parser.i)
    return node


def walk(node: Node) -> list[Compare]:
    """Every comparison in the tree, left to right."""
    if isinstance(node, Compare):
        return [node]
    return [c for item in node.items for c in walk(item)]


_PRECEDENCE = {"and": 1, "or": 0}


def check_nesting(tree: Node | None) -> None:
    """Raise FilterError if W&B's filter bar cannot hold the tree.

    filterV2 needs a group only for an `or` inside an `and`, and W&B's filter bar shows
    one level of groups (REPORT.md 4.1): deeper nesting is refused, as wandb-workspaces
    refuses it.
    """
    if tree is not None:
        _nesting(tree, depth=0)


def _nesting(node: Node, depth: int) -> None:
    if isinstance(node, Compare):
        return
    for child in node.items:
        grouped = isinstance(child, BoolOp) and _PRECEDENCE[child.op] < _PRECEDENCE[node.op]
        if grouped and depth >= 1:
            raise FilterError(
                "W&B's filter bar shows one level of parentheses; an 'or' inside an "
                "'and' inside an 'or' inside an 'and' cannot be stored",
                _start(child),
            )
        _nesting(child, depth + 1 if grouped else depth)


def _start(node: Node) -> int:
    while isinstance(node, BoolOp):
        node = node.items[0]
    return node.start


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.depth = 0  # parentheses open around the current position

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def rest(self) -> str:
        return self.text[self.i : self.i + 20]

    def keyword(self, *words: str) -> str | None:
        """Consume one of `words` (case-insensitive) if it is next as a whole word."""
        self.skip()
        match = _WORD.match(self.text, self.i)
        if match and match.group().lower() in words:
            self.i = match.end()
            return match.group().lower()
        return None

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.keyword("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.term()]
        while self.keyword("and"):
            items.append(self.term())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def term(self) -> Node:
        self.skip()
        if self.i >= len(self.text):
            raise FilterError("expected a comparison, found the end of the expression", self.i)
        if self.text[self.i] == "(":
            open_at = self.i
            if self.depth >= MAX_PARENTHESES:
                raise FilterError(
                    f"parentheses nested deeper than {MAX_PARENTHESES} levels", open_at
                )
            self.i += 1
            self.depth += 1
            node = self.expr()
            self.depth -= 1
            self.skip()
            if self.i >= len(self.text) or self.text[self.i] != ")":
                raise FilterError("'(' is never closed", open_at)
            self.i += 1
            return node
        start = self.i
        if self.keyword("not"):
            raise FilterError("'not' is not supported; use '!=' or 'not in'", start)
        return self.comparison(start)

    def comparison(self, start: int) -> Compare:
        try:
            ref, self.i = parse_ref(self.text, self.i)
        except RefError as exc:
            raise FilterError(exc.message, exc.offset) from None
        if ref.section is Section.RUN and not ref.attribute.filterable:
            raise FilterError(f"runs cannot be filtered by {ref.name!r}", start)
        self.skip()
        op_at = self.i
        op = self.operator()
        self.skip()
        value_at = self.i
        if op in ("in", "not in"):
            value: Value = self.list_value()
        elif op == "within":
            value = self.duration()
        else:
            value = self.scalar()
        node = Compare(ref, op, value, start, self.i)
        _check(node, op_at, value_at)
        return node

    def operator(self) -> str:
        text, i = self.text, self.i
        two = text[i : i + 2]
        if two in COMPARISONS:
            self.i += 2
            return two
        if two in MISSPELLED:
            raise FilterError(f"{two!r} is not an operator; did you mean {MISSPELLED[two]!r}?", i)
        one = text[i : i + 1]
        if one in ("<", ">"):
            raise FilterError(
                f"W&B filters have no strict '{one}' (its client would silently make it '{one}='); write '{one}=' with the bound you mean",
                i,
            )
        if one == "=":
            raise FilterError("use '==' to compare", i)
        word = self.keyword("in", "not", "contains", "within")
        if word == "not":
            if self.keyword("in"):
                return "not in"
            raise FilterError("expected 'in' after 'not'", self.i)
        if word is not None:
            return word
        found = repr(self.rest()) if i < len(text) else "the end of the expression"
        raise FilterError(
            f"expected an operator (==, !=, <=, >=, in, not in, contains, within), found {found}", i
        )

    def scalar(self) -> Scalar:
        self.skip()
        text, i = self.text, self.i
        if i >= len(text):
            raise FilterError("expected a value, found the end of the expression", i)
        if text[i] in "\"'":
            return self.string()
        literal = NUMBER.match(text, i)
        if literal and not continues_name(text, literal.end()):
            self.i = literal.end()
            return number(literal.group(), i)
        word = _WORD.match(text, i)
        if word and not continues_name(text, word.end()):
            lowered = word.group().lower()
            if lowered in ("true", "false", "null"):
                self.i = word.end()
                return {"true": True, "false": False, "null": None}[lowered]
        if text[i] == "[":
            raise FilterError("a list needs 'in' or 'not in'", i)
        bare = re.match(r"[^\s()\[\],]+", text[i:])
        shown = bare.group() if bare else text[i]
        raise FilterError(f'expected a value; quote strings: "{shown}"', i)

    def string(self) -> str:
        text, start = self.text, self.i
        quote = text[start]
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "\x00":
                raise FilterError(NUL_MESSAGE, i)
            if text[i] == quote:
                self.i = i + 1
                return unescape(text[start + 1 : i], start)
            i += 1
        raise FilterError("unterminated string", start)

    def list_value(self) -> tuple[Scalar, ...]:
        if self.i >= len(self.text) or self.text[self.i] != "[":
            raise FilterError("expected '[' to start a list", self.i)
        open_at = self.i
        self.i += 1
        items: list[Scalar] = []
        while True:
            self.skip()
            if self.i < len(self.text) and self.text[self.i] == "]":
                if not items:
                    raise FilterError(
                        "an empty list: 'in []' matches no run and 'not in []' every run; "
                        "list at least one value",
                        open_at,
                    )
                self.i += 1
                return tuple(items)
            items.append(self.scalar())
            self.skip()
            if self.i < len(self.text) and self.text[self.i] == ",":
                self.i += 1
            elif self.i >= len(self.text) or self.text[self.i] != "]":
                raise FilterError("expected ',' or ']' in the list", self.i)

    def duration(self) -> int:
        match = _DURATION.match(self.text, self.i)
        if not match or match.group(2) not in UNITS:
            raise FilterError("expected a duration such as 30m, 12h, 7d or 2w", self.i)
        self.i = match.end()
        seconds = float(match.group(1)) * UNITS[match.group(2)]
        if not math.isfinite(seconds):
            raise FilterError("duration out of range", match.start())
        if round(seconds) <= 0:
            raise FilterError("a duration must be at least one second", match.start())
        return round(seconds)


def _check(node: Compare, op_at: int, value_at: int) -> None:
    """Rules W&B imposes on particular run attributes, and comparisons that match no run."""
    ref, op, value = node.ref, node.op, node.value
    is_run = ref.section is Section.RUN
    if op in ("<=", ">=") and (value is None or isinstance(value, bool)):
        shown = "null" if value is None else str(value).lower()
        raise FilterError(
            f"{op!r} against {shown} matches no run: W&B orders numbers with numbers and "
            f"strings with strings; use '==' or '!='",
            value_at,
        )
    if is_run and ref.name == "created_at" and op != "within":
        values = value if isinstance(value, tuple) else (value,)
        if not all(isinstance(v, str) and is_iso_date(v) for v in values):
            raise FilterError(
                "created_at is a date and time: compare it with 'within' (created_at within "
                '7d) or with an ISO 8601 string (created_at >= "2024-01-31")',
                value_at,
            )
    if op == "within" and not (is_run and ref.name == "created_at"):
        raise FilterError("'within' applies only to created_at", op_at)
    if op == "contains" and not (is_run and ref.name == "tags"):
        raise FilterError("'contains' applies only to tags", op_at)
    if op == "contains" and not isinstance(value, str):
        raise FilterError("'contains' needs a string tag", value_at)
    if is_run and ref.name == "tags" and op not in ("contains", "in", "not in"):
        raise FilterError("compare tags with 'contains', 'in' or 'not in'", op_at)
    if is_run and ref.name == "state":
        states = value if isinstance(value, tuple) else (value,)
        for state in states:
            if state not in RUN_STATES:
                hint = did_you_mean(str(state).lower(), RUN_STATES) or (
                    f"; one of {', '.join(RUN_STATES)}"
                )
                raise FilterError(f"unknown run state {state!r}{hint}", value_at)
