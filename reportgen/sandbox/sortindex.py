"""One SQLite index per sort/filter path, so a page of runs costs O(page + log N).

Each index is ``(project_id, <tier>, <value>, created_at, id)`` over the path's SQL
expressions (``paths.Access``): ascending pages walk it forwards, descending pages backwards
(see ``runpage``), and equality or range filters on the path seek in it. SQLite maintains
the indexes on every write.

An index appears when a top-level config or summary key is first written (keys starting
with ``_``, W&B's own, excepted) and otherwise when a query first orders or filters by a
path (one O(N log N) build, then kept). At most ``MAX_INDEXES`` exist; beyond that the least
recently used one is dropped (and rebuilt when needed again).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable

from reportgen.sandbox.paths import Access, resolve

PREFIX = "rq_"
MAX_INDEXES = 128


def index_name(access: Access) -> str:
    """A stable name derived from the expressions, so a restart finds the same index."""
    digest = hashlib.sha1(f"{access.tier}\0{access.value}".encode()).hexdigest()[:16]
    return PREFIX + digest


class SortIndexes:
    """Creates, remembers and evicts the path indexes of one database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[str, float] | None = None  # index name -> last use
        self._known_keys: set[str] = set()

    def forget(self) -> None:
        """Drop what is cached about existing indexes (a write that made one rolled back)."""
        with self._lock:
            self._used = None
            self._known_keys.clear()

    def _load(self, conn: sqlite3.Connection) -> dict[str, float]:
        if self._used is None:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?",
                (PREFIX + "%",),
            ).fetchall()
            self._used = {row["name"]: 0.0 for row in rows}
        return self._used

    def ensure(self, conn: sqlite3.Connection, access: Access) -> str:
        """The name of the index for ``access``, created now if missing (inside a write
        or a read: CREATE INDEX runs in its own implicit transaction)."""
        name = index_name(access)
        with self._lock:
            used = self._load(conn)
            if name not in used:
                self._evict(conn, used)
                conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON runs '
                    f"(project_id, {access.tier}, {access.value}, created_at, id)"
                )
            used[name] = time.monotonic()
        return name

    def _evict(self, conn: sqlite3.Connection, used: dict[str, float]) -> None:
        while len(used) >= MAX_INDEXES:
            oldest = min(used, key=used.__getitem__)
            conn.execute(f'DROP INDEX IF EXISTS "{oldest}"')
            del used[oldest]

    def ensure_keys(self, conn: sqlite3.Connection, head: str, keys: Iterable[str]) -> None:
        """Index the top-level ``keys`` of a config (``head="config"``) or summary
        (``"summary_metrics"``) the first time they are written; ``_`` keys are skipped."""
        for key in keys:
            path = f"{head}.{key}"
            if key.startswith("_") or "." in key or '"' in key or path in self._known_keys:
                continue
            self._known_keys.add(path)
            self.ensure(conn, resolve(path))
