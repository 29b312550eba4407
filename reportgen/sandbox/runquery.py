"""Server-side ``runs(filters)``: the MongoDB subset W&B accepts, compiled to SQL.

Semantics (the value contract, ``/work/wt/_notes/ORDER_CONTRACT.md``; each rule [infer]):

* ``{path: v}`` / ``$eq``: JSON equality (``1 == 1.0``, ``true != 1``, ``"1" != 1``); NaN
  equals nothing; a missing value (or null) equals only ``null``.
* ``$ne``: not ``$eq`` (a missing value matches ``$ne: 5``).
* ``$gt $gte $lt $lte``: only numbers against numbers and strings against strings (by code
  point); NaN, booleans, objects and missing values never match. On ``createdAt`` and
  ``heartbeatAt`` a string is read as an ISO 8601 time (UTC unless it says otherwise).
* ``$in``: any element ``$eq``; ``$nin``: not ``$in``.
* An array value (``tags``, or a list in config or summary) matches when any element does;
  ``$ne``/``$nin`` when no element does.
* ``$and $or $nor`` (non-empty lists) as in MongoDB; ``$exists: true`` means not missing and
  not null.
* ``$regex``: RE2 syntax (see ``regex``), strings only.

Anything else (another operator, ``$options``, an object or array to compare with, a key W&B
does not know) is an error the client sees, not a filter that silently matches nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reportgen.sandbox.db import StoreError, parse_json
from reportgen.sandbox.ids import parse_time
from reportgen.sandbox.paths import Access, element_access, resolve
from reportgen.sandbox.regex import RegexError, compile_re2
from reportgen.sandbox.values import encode_string

MAX_FILTER_DEPTH = 64
"""Filters are compiled recursively; real ones nest a handful of levels."""

_COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass
class Compiled:
    """A filter as SQL over ``runs``: the condition, its parameters, and the paths every
    matching run must satisfy a condition on (worth an index).

    ``arrays`` are the (query-map column, key) pairs that hold an array in some run: only
    conditions on those (and on ``tags``) look into array elements, so the others stay
    plain comparisons that the path's index can answer.
    """

    sql: str = "1"
    params: list[Any] = field(default_factory=list)
    paths: list[Access] = field(default_factory=list)
    arrays: frozenset[tuple[str, str]] = frozenset()


def parse_filters(text: str | None) -> Any:
    """The ``filters`` JSONString argument, parsed; empty means match everything."""
    if not text:
        return {}
    return parse_json(text, "filters", MAX_FILTER_DEPTH)


def compile_filter(flt: Any, arrays: frozenset[tuple[str, str]] | None = None) -> Compiled:
    """SQL for a parsed filter document; StoreError names what W&B would refuse.

    ``arrays`` (default: assume any key may hold an array) as in ``Compiled``.
    """
    compiled = Compiled(arrays=frozenset() if arrays is None else arrays)
    compiled.sql = _document(flt, compiled, top=True, any_array=arrays is None)
    return compiled


def _document(flt: Any, out: Compiled, top: bool, any_array: bool = False) -> str:
    if not isinstance(flt, dict):
        raise StoreError("runs filters must be a JSON object")
    terms = []
    for key, cond in flt.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list) or not cond:
                raise StoreError(f"{key} takes a non-empty list of filters")
            subs = [_document(sub, out, top and key == "$and", any_array) for sub in cond]
            joined = (" AND " if key == "$and" else " OR ").join(subs)
            terms.append(f"(NOT ({joined}))" if key == "$nor" else f"({joined})")
        elif key.startswith("$"):
            raise StoreError(f"unsupported filter operator: {key}")
        else:
            access = resolve(key)
            if top:
                out.paths.append(access)
            arrays = access.elements is not None and (
                any_array or not access.doc_keys or bool(out.arrays & set(access.doc_keys))
            )
            terms.append(_field(access if arrays else _scalar(access), cond, out.params))
    return "(" + " AND ".join(terms) + ")" if terms else "1"


def _scalar(access: Access) -> Access:
    """The access without its array branch (no run holds an array there)."""
    return dataclasses.replace(access, elements=None, is_array="0")


def _field(access: Access, cond: Any, params: list[Any]) -> str:
    if isinstance(cond, dict) and any(str(k).startswith("$") for k in cond):
        if not all(str(k).startswith("$") for k in cond):
            raise StoreError(f"{access.name}: operators and plain keys cannot be mixed")
        return "(" + " AND ".join(_op(access, op, arg, params) for op, arg in cond.items()) + ")"
    return _op(access, "$eq", cond, params)


def _op(a: Access, op: str, arg: Any, params: list[Any]) -> str:
    if op == "$eq":
        return _any(a, lambda x: _eq(x, arg, params))
    if op == "$ne":
        return f"(NOT {_any(a, lambda x: _eq(x, arg, params))})"
    if op in _COMPARE:
        return _any(a, lambda x: _compare(x, _COMPARE[op], arg, params))
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise StoreError(f"{op} takes a list")
        found = _any(a, lambda x: _one_of(x, arg, params))
        return found if op == "$in" else f"(NOT {found})"
    if op == "$exists":
        return f"({a.tier} {'<>' if bool(arg) else '='} 6)"
    if op == "$regex":
        if not isinstance(arg, str):
            raise StoreError("$regex takes a string")
        try:
            compile_re2(arg)
        except RegexError as exc:
            raise StoreError(f"$regex {arg!r}: {exc}") from None
        return _any(a, lambda x: _regex(x, arg, params))
    raise StoreError(f"unsupported filter operator: {op}")


def _any(a: Access, build: Callable[[Access], str]) -> str:
    """The condition on the value, or on any element when the value is an array."""
    scalar = build(a)
    if a.elements is None:
        return scalar
    element = build(element_access(a))
    return (
        f"({scalar} OR ({a.tier} = 5 AND {a.is_array} AND "
        f"EXISTS (SELECT 1 FROM {a.elements} WHERE {element})))"
    )


def _eq(a: Access, literal: Any, params: list[Any]) -> str:
    if literal is None:
        return f"({a.tier} = 6)"
    if isinstance(literal, bool):
        params.append(int(literal))
        return f"({a.tier} = 3 AND {a.value} = ?)"
    if isinstance(literal, (int, float)):
        if isinstance(literal, float) and math.isnan(literal):
            return "0"  # NaN equals nothing
        params.append(literal)
        return f"({a.tier} = 1 AND {a.value} = ?)"
    if isinstance(literal, str):
        if a.time and (moment := parse_time(literal)) is not None:
            if moment.microsecond:
                return "0"  # stored times are whole seconds
            literal = moment.strftime(_TIME_FORMAT)
        params.append(encode_string(literal) if a.encoded else literal)
        return f"({a.tier} = 2 AND {a.value} = ?)"
    raise StoreError(f"{a.name}: comparing with an object or array is not supported")


def _one_of(a: Access, literals: list[Any], params: list[Any]) -> str:
    return "(" + " OR ".join(_eq(a, x, params) for x in literals) + ")" if literals else "0"


def _compare(a: Access, op: str, literal: Any, params: list[Any]) -> str:
    if isinstance(literal, bool) or literal is None:
        return "0"
    if isinstance(literal, (int, float)):
        if isinstance(literal, float) and math.isnan(literal):
            return "0"
        params.append(literal)
        return f"({a.tier} = 1 AND {a.value} {op} ?)"
    if isinstance(literal, str):
        if a.time and (moment := parse_time(literal)) is not None:
            literal = _whole_second(moment, up=op in (">=", "<"))
        params.append(encode_string(literal) if a.encoded else literal)
        return f"({a.tier} = 2 AND {a.value} {op} ?)"
    raise StoreError(f"{a.name}: comparing with an object or array is not supported")


def _whole_second(moment: dt.datetime, up: bool) -> str:
    """Stored times are whole seconds: ``t >= x`` is ``t >= ceil(x)``, ``t > x`` is
    ``t > floor(x)``, ``t < x`` is ``t < ceil(x)``, ``t <= x`` is ``t <= floor(x)``."""
    floor = moment.replace(microsecond=0)
    if up and moment.microsecond:
        floor += dt.timedelta(seconds=1)
    return floor.strftime(_TIME_FORMAT)


def _regex(a: Access, pattern: str, params: list[Any]) -> str:
    params.append(pattern)
    return f"({a.tier} = 2 AND rq_regex(?, {a.value}, {1 if a.encoded else 0}))"
