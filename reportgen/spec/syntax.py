"""YAML syntax errors in plain words: what is wrong and what to change.

libyaml reports the parser's state (`did not find expected key (while parsing a block
mapping)`); a spec author needs the mistake behind it. The usual ones (a list item out of
line, a tab, a key without ':', a quote never closed, a key indented under one that
already has a value) are recognised from the error and the lines around it; anything else
keeps libyaml's words. Positions are where libyaml stopped, as an editor counts lines,
except a key without ':', which is reported on its own line.
"""

from __future__ import annotations

import re

import yaml

from reportgen.problems import Problem
from reportgen.spec.indents import KEY, Hint, Layout, body, indent_of
from reportgen.spec.positions import LineMap

PREFIX = "YAML syntax error: "
_UNUSUAL_BREAKS = re.compile("[\u2028\u2029]")


def syntax_problem(name: str, exc: yaml.MarkedYAMLError, text: str, linemap: LineMap) -> Problem:
    """The problem for a YAML syntax error, worded for spec authors."""
    mark = exc.problem_mark or exc.context_mark
    where = (mark.line, mark.column) if mark is not None else (0, 0)
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context and exc.context != problem else ""
    if "undefined alias" in problem:
        return _at(name, linemap, where, "RG006", f"undefined alias{context}")
    if "maximum nesting depth" in problem:
        return _at(name, linemap, where, "RG006", f"YAML nested too deeply{context}")
    explained = _Explainer(exc, linemap).explain()
    lines = [m.line for m in (exc.problem_mark, exc.context_mark) if m is not None]
    separator = _separator_break([*lines, *(explained[0][:1] if explained else ())], linemap)
    if separator is not None:
        index = separator
        code = f"U+{ord(text[index]):04X}"
        line, col = linemap.at(index)
        message = (
            f"{code} ends a line for YAML but not for editors, so YAML reads what follows it "
            f"as a new line: remove it, or write it as \\u{code[2:]} in a double-quoted string"
        )
        return Problem(name, line, col, "RG004", PREFIX + message)
    if explained is not None:
        where, message = explained
    else:
        message = f"{problem}{context}"
    index = linemap.index(*where)
    unusual = _UNUSUAL_BREAKS.search(text, 0, index)
    if unusual is not None:
        line, col = linemap.at(unusual.start())
        message += (
            f"; note: U+{ord(unusual.group()):04X} at line {line}, column {col} ends a line for"
            " YAML but not for editors"
        )
    return _at(name, linemap, where, "RG004", PREFIX + message)


def _separator_break(lines: list[int], linemap: LineMap) -> int | None:
    """The index of a U+2028 or U+2029 that ends the line before one of `lines` (libyaml's),
    which an editor shows as part of that line."""
    for line in lines:
        if 0 < line <= len(linemap.yaml_breaks) and linemap.yaml_breaks[line - 1] in (
            "\u2028",
            "\u2029",
        ):
            return linemap.index(line, 0) - 1
    return None


def _at(name: str, linemap: LineMap, where: tuple[int, int], code: str, message: str) -> Problem:
    line, col = linemap.editor(*where)
    return Problem(name, line, col, code, message)


class _Explainer:
    """Recognises the common mistakes behind a libyaml error (0-based libyaml lines)."""

    def __init__(self, exc: yaml.MarkedYAMLError, linemap: LineMap) -> None:
        self.problem = exc.problem or ""
        self.context = exc.context or ""
        self.mark = exc.problem_mark
        self.start = exc.context_mark
        self.lines = linemap.yaml_lines
        self.linemap = linemap
        self.layout = Layout(self.lines, linemap)

    def explain(self) -> Hint | None:
        if self.mark is None:
            return None
        here = (self.mark.line, self.mark.column)
        char = self._char(*here)
        if char == "\t" or "tab character" in self.problem:
            before = self.lines[self.mark.line][: self.mark.column] if char == "\t" else ""
            if before.strip(" "):
                return here, "a tab where YAML expects spaces: replace it with spaces"
            return here, (
                "a tab indents this line; YAML indents with spaces only: replace the tab "
                "with spaces"
            )
        if self.problem.startswith("found character that cannot start any token") and char:
            what = "key" if self._starts_key(*here) else "value"
            return here, f"{char!r} cannot start a {what}: put the {what} in quotes"
        if "while scanning a quoted scalar" in self.context and self.start is not None:
            return here, self._unclosed_quote(self.start.line, self.start.column)
        if self.problem == "could not find expected ':'" and self.start is not None:
            return self.layout.missing_colon(self.start.line)
        if self.problem == "mapping values are not allowed in this context":
            return self._colon(here)
        if self.problem == "did not find expected key":
            return self._not_a_key(here)
        if self.problem == "did not find expected node content" and char == "-":
            return here, "a '- ' list inside '{...}' or '[...]': write that list as [a, b]"
        if self.problem == "did not find expected '-' indicator" and self.start is not None:
            return self.layout.not_an_item(here, self.start.line, self.start.column)
        closing = re.match(r"did not find expected ',' or '([\]}])'", self.problem)
        if closing and self.start is not None:
            opening = "[" if closing.group(1) == "]" else "{"
            begin = self.layout.pos(self.start.line, self.start.column)
            return here, (
                f"the '{opening}' at {begin} is never closed: add '{closing.group(1)}', and "
                f"separate its items with ','"
            )
        return None

    def _char(self, line: int, col: int) -> str:
        text = self.lines[line] if line < len(self.lines) else ""
        return text[col] if col < len(text) else ""

    def _starts_key(self, line: int, col: int) -> bool:
        text = self.lines[line]
        return body(text) == col and re.search(r":(?:\s|$)", text[col:]) is not None

    def _unclosed_quote(self, line: int, col: int) -> str:
        quote = self._char(line, col)
        return (
            f"the string opened with {quote!r} at {self.layout.pos(line, col)} is never closed: "
            f"add the closing {quote!r}"
        )

    def _not_a_key(self, here: tuple[int, int]) -> Hint | None:
        line, col = here
        if self._char(line, col) == "-":
            item = self.layout.misplaced_item(here)
            if item is None and self.start is not None:
                item = self.layout.item_among_keys(here, self.start.line, self.start.column)
            if item is not None:
                return item
        quote = self._open_quote(self.start.line if self.start else 0, line)
        if quote is not None:
            return here, (
                f"the string opened with {self._char(*quote)!r} at {self.layout.pos(*quote)} is not "
                "closed on its line, so YAML read on to the next one: close it"
            )
        if self.start is not None and col > self.start.column:
            return self.layout.misplaced_key(here)
        return None

    def _colon(self, here: tuple[int, int]) -> Hint | None:
        line, col = here
        text = self.lines[line]
        own = KEY.match(text, indent_of(text))
        if own is not None and own.end() <= col:
            value, key = text[own.end() :].strip(), own.group("key")
            return here, (
                f"a ': ' inside a value: put the value in quotes, e.g. {key}: {_quoted(value)}"
            )
        return self.layout.continued(here)

    def _open_quote(self, first: int, last: int) -> tuple[int, int] | None:
        """A value that opens a quote and does not close it on its line, between two lines."""
        for i in range(first, min(last, len(self.lines))):
            text = self.lines[i]
            found = re.search(r"""(?:^|:\s+|-\s+)(["'])""", text)
            if found is None:
                continue
            quote, start = found.group(1), found.start(1)
            rest = text[start + 1 :].replace(quote * 2, "") if quote == "'" else text[start + 1 :]
            closed = re.search(r'(?<!\\)"', rest) if quote == '"' else quote in rest
            if not closed:
                return (i, start)
        return None


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
