"""Literals of the filter language: JSON-like strings and numbers, read and written.

Reading decodes what a spec author typed (`"a\\"b"`, `1e-3`); writing (`filter_literal`)
turns a matrix value into a literal that the parser reads back as exactly that value, so
that a value is never taken for filter syntax.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import TypeAlias

Scalar: TypeAlias = str | int | float | bool | None

NUL_MESSAGE = "a NUL character (U+0000) in a string: W&B cannot store it in a filter"
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


class FilterError(ValueError):
    """A malformed expression; `offset` indexes the offending character of the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def number(literal: str, at: int) -> int | float:
    """A JSON number: W&B stores filters as JSON, which has no infinities, and compares
    integers as 64-bit ones."""
    try:
        value = float(literal) if any(c in literal for c in ".eE") else int(literal)
    except ValueError:
        raise FilterError("number too long", at) from None
    if not math.isfinite(value):
        raise FilterError("number out of range", at)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        # W&B's server and our sandbox read filter numbers as 64-bit integers [infer].
        raise FilterError(
            "integer out of range: at most 19 digits (a 64-bit integer); "
            "write it with an exponent (1e35) to compare as a float",
            at,
        )
    return value


def continues_name(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] in "_.-/")


_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "'": "'",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "/": "/",
    "b": "\b",
    "f": "\f",
}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def unescape(body: str, start: int) -> str:
    r"""Decode backslash escapes as JSON does: \\ \" \' \n \t \r \b \f \/ and \uXXXX (a
    surrogate pair is one character)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code == "u" and _HEX4.fullmatch(body, i + 2, i + 6):
            unit = int(body[i + 2 : i + 6], 16)
            if unit == 0:
                raise FilterError(NUL_MESSAGE, start + 1 + i)
            low = int(body[i + 8 : i + 12], 16) if _HEX4.fullmatch(body, i + 8, i + 12) else 0
            if 0xD800 <= unit < 0xDC00 and body[i + 6 : i + 8] == "\\u" and 0xDC00 <= low < 0xE000:
                out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
                i += 12
            elif 0xD800 <= unit < 0xE000:
                raise FilterError("unpaired surrogate in \\u escape", start + 1 + i)
            else:
                out.append(chr(unit))
                i += 6
        else:
            raise FilterError("invalid escape in string", start + 1 + i)
    return "".join(out)


def is_iso_date(text: str) -> bool:
    match = ISO_DATE.fullmatch(text)
    if match is None:
        return False
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def filter_literal(value: Scalar, quote: str | None = None) -> str:
    """`value` as filter text: inside a string opened with `quote`, its characters escaped;
    outside one, a whole literal (strings double-quoted, JSON's escapes)."""
    if quote is not None:
        text = value if isinstance(value, str) else json.dumps(value)
        return text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)
