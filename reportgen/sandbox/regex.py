"""``$regex`` with RE2's syntax, checked in pure Python and matched with ``re``.

W&B's backend matches ``$regex`` with RE2, which has no backtracking: it refuses lookaround
(``(?=``, ``(?!``, ``(?<=``, ``(?<!``), backreferences (``\\1``, ``(?P=name)``), atomic
groups ``(?>``, conditionals ``(?(``, comment groups ``(?#`` and possessive quantifiers
(``a*+``), all of which Python's ``re`` accepts. Those are refused here with the construct
named, so a filter that works against the sandbox also works against W&B.

Translated for ``re``: RE2's ``\\z`` (end of text) is ``re``'s ``\\Z``, RE2's ``(?<name>``
is ``(?P<name>``; ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only in RE2, so patterns
compile with ``re.ASCII``. Not supported by the sandbox (an error says so): ``\\p{...}``
Unicode classes, ``\\Q...\\E`` and the ungreedy flag ``(?U)``. Matching is unanchored
(``re.search``), as in MongoDB.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from reportgen.sandbox.values import decode_string

_RE2_FLAGS = set("ims-")
_REFUSED_GROUPS = (
    ("?=", "lookahead"),
    ("?!", "negative lookahead"),
    ("?<=", "lookbehind"),
    ("?<!", "negative lookbehind"),
    ("?>", "atomic groups"),
    ("?(", "conditionals"),
    ("?P=", "backreferences"),
    ("?#", "comment groups"),
)


class RegexError(ValueError):
    """A pattern RE2 would refuse (or the sandbox cannot match); the message names why."""


def to_python(pattern: str) -> str:
    """The ``re`` spelling of an RE2 pattern; RegexError for what RE2 refuses."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            escape = _escape(pattern, i, in_class)
            out.append(escape)
            i += 2
            continue
        if in_class:
            if c == "]" and not _class_start(pattern, i):
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
        elif c == "(" and pattern.startswith("?", i + 1):
            emit, consumed = _group(pattern, i)
            out.append(emit)
            i += consumed
            continue
        else:
            if c in "*+?}" and pattern.startswith("+", i + 1):
                raise RegexError(f"RE2 refuses possessive quantifiers ({c}+ at {i})")
            out.append(c)
        i += 1
    return "".join(out)


def _class_start(pattern: str, i: int) -> bool:
    """Whether the ``]`` at ``i`` is the first character of its class (hence literal)."""
    j = i - 1
    if j >= 0 and pattern[j] == "^":
        j -= 1
    return j >= 0 and pattern[j] == "[" and (j == 0 or pattern[j - 1] != "\\")


def _escape(pattern: str, i: int, in_class: bool) -> str:
    if i + 1 >= len(pattern):
        raise RegexError("the pattern ends with a lone backslash")
    d = pattern[i + 1]
    if d.isdigit() and d != "0" and not in_class:
        raise RegexError(f"RE2 refuses backreferences (\\{d} at {i})")
    if d == "z":
        return "\\Z"
    if d == "Z":
        raise RegexError("RE2 has no \\Z; \\z is the end of the text")
    if d in "QE":
        raise RegexError("\\Q...\\E is not supported by the sandbox; escape the characters")
    if d in "pP":
        raise RegexError(f"\\{d} Unicode classes are not supported by the sandbox")
    return pattern[i : i + 2]


def _group(pattern: str, i: int) -> tuple[str, int]:
    """What to emit for a group opening ``(?...`` at ``i``, and how many characters it took."""
    rest = pattern[i + 1 :]
    for prefix, what in _REFUSED_GROUPS:
        if rest.startswith(prefix):
            raise RegexError(f"RE2 refuses {what} ((?{prefix[1:]} at {i})")
    if rest.startswith("?P<"):
        return "(?P<", 4
    if rest.startswith("?<"):
        return "(?P<", 3
    flags = re.match(r"\?([a-zA-Z-]*)[:)]", rest)
    if flags is None:
        raise RegexError(f"unknown group syntax at {i}")
    unknown = set(flags.group(1)) - _RE2_FLAGS
    if "U" in unknown:
        raise RegexError("the ungreedy flag (?U) is not supported by the sandbox")
    if unknown:
        raise RegexError(f"RE2 has no flag {''.join(sorted(unknown))} (at {i})")
    return "(", 1


@functools.lru_cache(maxsize=256)
def compile_re2(pattern: str) -> re.Pattern[str]:
    """The compiled pattern; RegexError if RE2 (or the sandbox) cannot take it."""
    try:
        return re.compile(to_python(pattern), re.ASCII)
    except re.error as exc:
        raise RegexError(f"bad regular expression: {exc}") from None


def regex_matches(pattern: Any, value: Any, encoded: Any = 1) -> int:
    """SQLite function ``rq_regex(pattern, value, encoded)``: 1 if the string matches.

    ``encoded`` says the value is a query-map string (markers are not strings).
    """
    if not isinstance(pattern, str) or not isinstance(value, str):
        return 0
    text = decode_string(value) if encoded else value
    if text is None:
        return 0
    return 1 if compile_re2(pattern).search(text) is not None else 0
