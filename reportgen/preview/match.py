"""The mongo filter subset W&B's runs query accepts, evaluated on a run record.

Semantics of ORDER_CONTRACT (each rule `[infer]`, pinned by the conformance suite):
`{path: v}` / `$eq` is JSON equality (NaN equals nothing, missing equals only null); `$ne`
is its negation; `$gt $gte $lt $lte` hold only between two numbers or two strings (times
compare as times); `$in` / `$nin`; an array field (`tags`) matches when any element does
(`$ne` / `$nin`: when none equals); `$and $or $nor`; `$exists`; `$regex` in RE2 syntax on
strings only. Anything else is a `ViewError`, never a silent match.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from reportgen.preview.mongo import ViewError
from reportgen.preview.records import RunRecord
from reportgen.preview.values import MISSING, TIME_FIELDS, field_of, is_number, json_equal, resolve

MAX_DEPTH = 64
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}
# What RE2 refuses and Python's re accepts: lookaround and backreferences.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\(\?P=|\\[1-9]|\\k<")


def matches(run: RunRecord, flt: Any, depth: int = 0) -> bool:
    """Whether the run satisfies a mongo filter document."""
    if not isinstance(flt, dict):
        raise ViewError("a runs filter must be a JSON object")
    if depth > MAX_DEPTH:
        raise ViewError("the runs filter is nested too deeply")
    for key, cond in flt.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list):
                raise ViewError(f"{key} takes a list of filters")
            results = (matches(run, sub, depth + 1) for sub in cond)
            if key == "$and":
                ok = all(results)
            elif key == "$or":
                ok = any(results)
            else:
                ok = not any(results)
        elif key.startswith("$"):
            raise ViewError(f"unsupported filter operator {key}")
        else:
            field = field_of(key)
            ok = _test(resolve(run, key), cond, field in TIME_FIELDS)
        if not ok:
            return False
    return True


def _test(value: Any, cond: Any, is_time: bool) -> bool:
    if isinstance(cond, dict) and cond and all(str(k).startswith("$") for k in cond):
        return all(_apply(op, value, arg, is_time) for op, arg in cond.items())
    return _equals(value, cond)


def _equals(value: Any, target: Any) -> bool:
    if value is MISSING:
        return target is None
    if isinstance(value, list) and not isinstance(target, list):
        return any(json_equal(item, target) for item in value)
    if isinstance(value, list):
        return json_equal(value, target) or any(json_equal(item, target) for item in value)
    return json_equal(value, target)


def _apply(op: str, value: Any, arg: Any, is_time: bool) -> bool:
    if op == "$eq":
        return _equals(value, arg)
    if op == "$ne":
        return not _equals(value, arg)
    if op in _COMPARE:
        return _compare(value, arg, _COMPARE[op], is_time)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise ViewError(f"{op} takes a list")
        found = any(_equals(value, item) for item in arg)
        return found if op == "$in" else not found
    if op == "$exists":
        return (value is not MISSING) == bool(arg)
    if op == "$regex":
        if not isinstance(arg, str):
            raise ViewError("$regex takes a string")
        pattern = compile_re2(arg)
        candidates = value if isinstance(value, list) else [value]
        return any(isinstance(c, str) and pattern.search(c) is not None for c in candidates)
    raise ViewError(f"unsupported filter operator {op}")


@functools.lru_cache(maxsize=256)
def compile_re2(pattern: str) -> re.Pattern[str]:
    """A pattern in RE2 syntax: what RE2 refuses (lookaround, backreferences) is an error."""
    if _NOT_RE2.search(pattern):
        raise ViewError(f"$regex {pattern!r}: RE2 has no lookaround or backreferences")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ViewError(f"$regex {pattern!r}: {exc}") from None


def _compare(value: Any, arg: Any, op: Callable[[Any, Any], bool], is_time: bool) -> bool:
    candidates = value if isinstance(value, list) else [value]
    for item in candidates:
        a, b = item, arg
        if is_time and isinstance(a, str) and isinstance(b, str):
            a, b = _time(a), _time(b)
            if a is not None and b is not None and op(a, b):
                return True
            continue
        comparable = (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str))
        if comparable and op(a, b):
            return True
    return False


def _time(text: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed
