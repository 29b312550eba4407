"""Leaderboard gates: conditions `reportgen preview` checks, exiting 3 when one fails.

Grammar (one gate per string; `gate:` in a leaderboard, or `--gate` on the command line):

    gate := ref op number                  -- the best row's value (rank 1)
          | string "in" "top" integer      -- a run, by name or id, ranks N or better
    op   := ">=" | "<=" | ">" | "<" | "==" | "!="

`accuracy >= 0.95` holds when the leaderboard's first row has accuracy at least 0.95 (a
group's mean when the leaderboard groups seeds); `"resnet50-v1" in top 3` holds when that
run is among the first three ranks. References follow `reportgen.spec.refs`; the `ref` of a
gate is a result, a leaderboard metric or a summary value: a run attribute (`run.name`) or
a config key (`config.learning_rate`) is a setting, never a regression, so it is refused.
One string is one gate: `a >= 1 and b <= 2` is two gates, written as two.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from reportgen.spec.refs import Ref, RefError, Section, parse_ref

OPERATORS = (">=", "<=", "==", "!=", ">", "<")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOP = re.compile(r"\s*in\s+top\s+(\d+)\s*$", re.IGNORECASE)
_JOINED = re.compile(r"(?:and|or)\b|&&|\|\||[,;]", re.IGNORECASE)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


@dataclass(frozen=True)
class Gate:
    """A parsed gate: either `ref op threshold`, or `run` in the top `top`."""

    text: str
    ref: Ref | None = None
    op: str = ""
    threshold: float = 0.0
    run: str | None = None
    top: int = 0


class GateError(ValueError):
    """A malformed gate; `offset` indexes the offending character."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def parse_gate(text: str) -> Gate:
    """Parse one gate; raises GateError with the offending offset."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        raise GateError("empty gate: write e.g. 'accuracy >= 0.95' or '\"my-run\" in top 3'")
    quoted = _STRING.match(text, start)
    if quoted:
        return _in_top(text, quoted)
    try:
        ref, end = parse_ref(text, start)
    except RefError as exc:
        raise GateError(exc.message, exc.offset) from None
    if ref.section is not Section.SUMMARY and not _TOP.match(text, end):
        what = "a run attribute" if ref.section is Section.RUN else "a config key"
        raise GateError(
            f"{text[start:end]} is {what}: a gate compares a leaderboard metric or a "
            "summary value with a number",
            start,
        )
    i = end + len(text[end:]) - len(text[end:].lstrip())
    op = next((o for o in OPERATORS if text.startswith(o, i)), None)
    if op is None:
        if _TOP.match(text, end):
            name = text[start:end]
            raise GateError(f"quote the run name: '\"{name}\"{text[end:].rstrip()}'", start)
        found = repr(text[i:].split()[0]) if text[i:].strip() else "nothing"
        expected = ", ".join(OPERATORS)
        raise GateError(f"expected one of {expected} after {str(ref)!r}, found {found}", i)
    j = i + len(op)
    j += len(text[j:]) - len(text[j:].lstrip())
    number = _NUMBER.match(text, j)
    if number is None:
        raise GateError(f"expected a number after {op!r}", j)
    rest = text[number.end() :].strip()
    if rest:
        k = number.end() + len(text[number.end() :]) - len(text[number.end() :].lstrip())
        said = f"{rest!r} follows the number {number.group()}"
        if _JOINED.match(rest) or any(o in rest for o in OPERATORS):
            raise GateError(
                f"{said}: a gate is one comparison; for more, repeat --gate "
                "(in a spec, one gate per item of gate:)",
                k,
            )
        raise GateError(f"{said}: a threshold is a plain number", k)
    value = float(number.group())
    if not math.isfinite(value):
        raise GateError("the threshold must be a finite number", j)
    return Gate(text, ref=ref, op=op, threshold=value)


def _in_top(text: str, quoted: re.Match[str]) -> Gate:
    literal = quoted.group()
    try:
        name = json.loads(literal) if literal.startswith('"') else literal[1:-1]
    except json.JSONDecodeError:
        raise GateError("bad escape in the run name", quoted.start()) from None
    if not name:
        raise GateError("empty run name", quoted.start())
    top = _TOP.match(text, quoted.end())
    if top is None:
        raise GateError("expected 'in top <N>' after the run name", quoted.end())
    n = int(top.group(1))
    if n < 1:
        raise GateError("top N counts from 1", top.start(1))
    return Gate(text, run=name, top=n)


def holds(op: str, value: float, threshold: float) -> bool:
    """`value op threshold`."""
    return {
        ">=": value >= threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        "<": value < threshold,
        "==": value == threshold,
        "!=": value != threshold,
    }[op]
