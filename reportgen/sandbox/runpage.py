"""Pages of ``runs(filters, order, first, after)`` and ``runCount`` at O(page + log N).

``order`` is exactly one ``[+|-]path`` (no sign means ascending; absent means ``+createdAt``).
Anything else (empty, a comma, several keys, an unknown key) is an error the client sees.
The order is the tier order of ``values`` with ties broken by creation (createdAt, then the
storage id), ascending in both directions.

Pages walk the path's sort index (``sortindex``) from a keyset cursor (the last run's tier,
value, createdAt and id), so a page never re-reads the runs before it and runs created
meanwhile are neither skipped nor repeated. Descending pages walk the index backwards and put
each group of equal values back into creation order. ``runCount`` (and ``totalCount``) is
computed once per (project, filters, database state) and cached, not once per page.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from reportgen.sandbox.db import Database, Row, StoreError
from reportgen.sandbox.paths import Access, resolve
from reportgen.sandbox.runquery import Compiled, compile_filter, parse_filters
from reportgen.sandbox.sortindex import SortIndexes
from reportgen.sandbox.stats import Stats
from reportgen.sandbox.values import TIERS, VALUED

_CURSOR = "RunCursor:"
_COUNTS_KEPT = 64


@dataclass(frozen=True)
class Order:
    """One sort key and its direction."""

    access: Access
    descending: bool


def parse_order(order: str | None) -> Order:
    """The ``order`` argument; StoreError unless it is exactly one ``[+|-]path``."""
    if order is None:
        return Order(resolve("createdAt"), False)
    if not isinstance(order, str) or not order.strip():
        raise StoreError("order must name one key, e.g. -summary_metrics.accuracy")
    if order != order.strip() or "," in order:
        raise StoreError(f"order takes exactly one [+|-]key, not {order!r}")
    sign, path = (order[0], order[1:]) if order[0] in "+-" else ("+", order)
    if not path or path[0] in "+-" or path != path.strip():
        raise StoreError(f"order takes exactly one [+|-]key, not {order!r}")
    return Order(resolve(path), sign == "-")


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last run's tier, value, createdAt and storage id."""

    tier: int
    value: Any
    created: str
    pk: int

    def encode(self) -> str:
        """The opaque string clients pass back as ``after``."""
        text = _CURSOR + json.dumps([self.tier, self.value, self.created, self.pk])
        return base64.b64encode(text.encode()).decode()

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor behind ``text``; StoreError for anything we did not hand out."""
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
            if not raw.startswith(_CURSOR):
                raise ValueError
            tier, value, created, pk = json.loads(raw[len(_CURSOR) :])
            if tier not in TIERS or not isinstance(created, str) or not isinstance(pk, int):
                raise ValueError
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise StoreError(f"bad runs cursor {text[:40]!r}") from None
        return cls(tier, value, created, pk)


class RunQueries:
    """Filtered, ordered pages and counts of a project's runs."""

    def __init__(self, db: Database, indexes: SortIndexes, stats: Stats) -> None:
        self._db = db
        self._indexes = indexes
        self._stats = stats
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self._counts_lock = threading.Lock()

    def _compile(self, filters: str | None) -> Compiled:
        with self._db.read() as conn:
            rows = conn.execute("SELECT doc, key FROM array_keys").fetchall()
        arrays = frozenset((row["doc"], row["key"]) for row in rows)
        return compile_filter(parse_filters(filters), arrays)

    def count(self, project_pk: int, filters: str | None) -> int:
        """``runCount(filters)``: computed once per project, filters and database state."""
        key = (project_pk, filters or "", self._db.generation())
        with self._counts_lock:
            if key in self._counts:
                self._counts.move_to_end(key)
                self._stats.record_count(cached=True)
                return self._counts[key]
        # Compiled only on a miss: a cached filter compiled once, and array_keys changes
        # only with a write, which changes the generation.
        compiled = self._compile(filters)
        with self._db.read() as conn:
            for access in compiled.paths:
                self._indexes.ensure(conn, access)
            row = conn.execute(
                f"SELECT count(*) AS n FROM runs WHERE project_id = ? AND {compiled.sql}",
                (project_pk, *compiled.params),
            ).fetchone()
        self._stats.record_count(cached=False)
        with self._counts_lock:
            self._counts[key] = int(row["n"])
            while len(self._counts) > _COUNTS_KEPT:
                self._counts.popitem(last=False)
        return int(row["n"])

    def page(
        self,
        project_pk: int,
        filters: str | None,
        order: str | None,
        first: int | None,
        after: str | None,
    ) -> tuple[list[tuple[Row, Cursor]], bool]:
        """Up to ``first`` runs after the cursor ``after``, each with its cursor, and
        whether more follow."""
        compiled = self._compile(filters)
        sort = parse_order(order)
        cursor = Cursor.decode(after) if after else None
        limit = None if first is None else max(first, 0)
        want = None if limit is None else limit + 1
        with self._db.read() as conn:
            index = self._indexes.ensure(conn, sort.access)
            walk = _Walk(conn, index, project_pk, sort, compiled)
            rows = walk.rows(cursor, want)
        more = limit is not None and len(rows) > limit
        shown = rows if limit is None else rows[:limit]
        return [(row, walk.cursor_of(row)) for row in shown], more


class _Walk:
    """The queries of one page, in tier order from the cursor's tier."""

    def __init__(
        self, conn: sqlite3.Connection, index: str, project_pk: int, sort: Order, where: Compiled
    ) -> None:
        a = sort.access
        self._conn, self._sort = conn, sort
        self._head = (
            f'SELECT runs.*, {a.tier} AS _t, {a.value} AS _v FROM runs INDEXED BY "{index}" '
            f"WHERE project_id = ? AND {a.tier} = ? AND {where.sql} "
        )
        self._params = [project_pk]
        self._where_params = where.params

    def cursor_of(self, row: Row) -> Cursor:
        """The cursor after ``row``."""
        return Cursor(int(row["_t"]), row["_v"], row["created_at"], int(row["id"]))

    def _query(self, tier: int, tail: str, args: list[Any]) -> list[Row]:
        params = [*self._params, tier, *self._where_params, *args]
        return list(self._conn.execute(self._head + tail, params).fetchall())

    def rows(self, cursor: Cursor | None, want: int | None) -> list[Row]:
        out: list[Row] = []
        for tier in TIERS:
            if cursor is not None and tier < cursor.tier:
                continue
            need = None if want is None else want - len(out)
            if need == 0:
                break
            bound = cursor if cursor is not None and cursor.tier == tier else None
            if tier not in VALUED:
                out += self._ties(tier, bound, need)
            elif self._sort.descending:
                out += self._descending(tier, bound, need)
            else:
                out += self._ascending(tier, bound, need)
        return out

    def _ties(self, tier: int, bound: Cursor | None, need: int | None) -> list[Row]:
        v = self._sort.access.value
        tail, args = f"AND {v} IS NULL ", []
        if bound is not None:
            tail, args = tail + "AND (created_at, id) > (?, ?) ", [bound.created, bound.pk]
        return self._query(tier, tail + "ORDER BY created_at, id" + _limit(need, args), args)

    def _ascending(self, tier: int, bound: Cursor | None, need: int | None) -> list[Row]:
        v = self._sort.access.value
        tail, args = "", []
        if bound is not None:
            tail, args = (
                f"AND ({v}, created_at, id) > (?, ?, ?) ",
                [
                    bound.value,
                    bound.created,
                    bound.pk,
                ],
            )
        return self._query(tier, tail + f"ORDER BY {v}, created_at, id" + _limit(need, args), args)

    def _descending(self, tier: int, bound: Cursor | None, need: int | None) -> list[Row]:
        """Backwards through the index; each group of equal values in creation order."""
        v = self._sort.access.value
        out: list[Row] = []
        upper = None
        if bound is not None:  # the rest of the group the last page ended in
            args: list[Any] = [bound.value, bound.created, bound.pk]
            tail = f"AND {v} = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id"
            out += self._query(tier, tail + _limit(need, args), args)
            upper = (bound.value,)
        while need is None or len(out) < need:
            remaining = None if need is None else need - len(out)
            args = [] if upper is None else [upper[0]]
            tail = ("" if upper is None else f"AND {v} < ? ") + (
                f"ORDER BY {v} DESC, created_at DESC, id DESC"
            )
            batch = self._query(tier, tail + _limit(remaining, args), args)
            if not batch:
                break
            groups = _groups(batch)
            cut = remaining is not None and len(batch) == remaining
            for group in groups[:-1] if cut else groups:
                out += reversed(group)
            if not cut:
                break
            last = groups[-1][0]["_v"]  # may continue past the batch: read it forwards
            args = [last]
            rest = None if need is None else need - len(out)
            tail = f"AND {v} = ? ORDER BY created_at, id"
            out += self._query(tier, tail + _limit(rest, args), args)
            upper = (last,)
        return out


def _limit(n: int | None, args: list[Any]) -> str:
    if n is None:
        return ""
    args.append(n)
    return " LIMIT ?"


def _groups(rows: list[Row]) -> list[list[Row]]:
    groups: list[list[Row]] = []
    for row in rows:
        if groups and groups[-1][0]["_v"] == row["_v"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups
