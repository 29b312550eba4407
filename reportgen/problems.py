"""The one problem type, and the error that carries problems out of the library.

Every check in reportgen (YAML syntax, schema, filter grammar, semantic rules, remote
failures) reports a `Problem` with a 1-based line and column. Problems sort by position,
so output is stable whatever order the checks ran in.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding at a position: `file:line:col: [level] message (code)`.

    `line` and `col` are 1-based; a problem with a whole file (unreadable, missing) is at 1:1.
    """

    file: str
    line: int
    col: int
    code: str
    message: str
    level: Level = field(default=Level.ERROR, compare=False)

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}:{self.col}: [{self.level.value}] {self.message} ({self.code})"
        )


class ReportgenError(Exception):
    """An expected failure: bad input, a refused request, a missing credential.

    The CLI prints it as one line (or its problems) and exits 1 — never with a traceback.
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = sorted(problems)

    def __str__(self) -> str:
        return self.message


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def strictly(problems: Iterable[Problem], strict: bool) -> list[Problem]:
    """`--strict`, one rule for every command: each warning is an error, reported (and counted
    in a summary) as one. Without `strict`, the problems as they are."""
    if not strict:
        return list(problems)
    return [p if p.is_error else replace(p, level=Level.ERROR) for p in problems]


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters (a line break, a tab, an escape sequence's ESC) and
    Unicode line separators shown escaped, as Python writes them (`\\n`, `\\x1b`): a file
    name, message or run name printed stays on its line and sends a terminal no command."""
    return "".join(_ESCAPES.get(c) or _escaped(c) for c in text)


def _escaped(c: str) -> str:
    if unicodedata.category(c) == "Cc":
        return f"\\x{ord(c):02x}"
    if c in "\u2028\u2029":  # line and paragraph separators: line breaks too
        return f"\\u{ord(c):04x}"
    return c
