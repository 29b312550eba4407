"""The sandbox's SQLite file: schema, connection and locking.

One connection per server, shared by the request threads and serialised by a lock: SQLite
allows a single writer anyway, and holding the lock for a whole read-modify-write keeps
upserts atomic. ``BEGIN IMMEDIATE`` takes the file's write lock up front, so another process
using the same file (a second sandbox, a test peeking at the database) waits instead of
failing half-way through a transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportgen.sandbox.migrate import migrate_v1
from reportgen.sandbox.regex import regex_matches

SCHEMA_VERSION = "2"

# Version 2 (issue 9): runs carry NaN-free query maps of their config and summary
# (values.py) and their line counts; run files' lines are stored in chunks (chunks.py);
# array_keys lists the query-map keys that hold an array in some run (filters on other keys
# need no array branch, which keeps them on their index).
_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES entities(id),
  name TEXT NOT NULL, description TEXT, access TEXT NOT NULL DEFAULT 'PRIVATE',
  created_at TEXT NOT NULL, UNIQUE (entity_id, name));
CREATE TABLE IF NOT EXISTS views (
  id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT, display_name TEXT, description TEXT, type TEXT, spec TEXT,
  created_using TEXT NOT NULL DEFAULT 'WANDB_SDK', parent_id INTEGER,
  locked INTEGER NOT NULL DEFAULT 0, username TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS views_by_project ON views (project_id, type, name);
CREATE INDEX IF NOT EXISTS views_by_type ON views (project_id, type, id);
CREATE TABLE IF NOT EXISTS access_tokens (
  token TEXT PRIMARY KEY, view_id INTEGER NOT NULL, type TEXT NOT NULL,
  projects TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL, display_name TEXT, state TEXT NOT NULL DEFAULT 'running',
  config TEXT NOT NULL DEFAULT '{}', summary TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]', group_name TEXT, job_type TEXT, notes TEXT,
  description TEXT, host TEXT, program TEXT, commit_hash TEXT, repo TEXT, sweep TEXT,
  username TEXT, exitcode INTEGER, created_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL,
  config_q TEXT NOT NULL DEFAULT '{}', summary_q TEXT NOT NULL DEFAULT '{}',
  n_history INTEGER NOT NULL DEFAULT 0, n_events INTEGER NOT NULL DEFAULT 0,
  n_output INTEGER NOT NULL DEFAULT 0,
  UNIQUE (project_id, name));
CREATE INDEX IF NOT EXISTS runs_live ON runs (state, heartbeat_at);
CREATE TABLE IF NOT EXISTS run_chunks (
  run_id INTEGER NOT NULL REFERENCES runs(id), stream TEXT NOT NULL,
  first_line INTEGER NOT NULL, count INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (run_id, stream, first_line)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS array_keys (
  doc TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (doc, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_files (
  run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, content BLOB,
  uploaded INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, name));
"""

Row = dict[str, Any]


def default_db_path() -> Path:
    """``$XDG_CACHE_HOME/reportgen/sandbox.db``, falling back to ``~/.cache``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "reportgen" / "sandbox.db"


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


class Database:
    """A thread-safe SQLite connection holding every table of the sandbox."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        self._lock = threading.RLock()
        self._writes = 0
        self._rollback_listeners: list[Callable[[], None]] = []
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        try:
            self._initialise(fresh)
        except BaseException:
            self._conn.close()
            raise

    def _initialise(self, fresh: bool) -> None:
        if fresh:
            # The file may hold a generated API key: keep it private to its owner.
            os.chmod(self.path, 0o600)
        self._conn.row_factory = _dict_row
        tables = {
            row["name"]
            for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if tables and "meta" not in tables:
            # Someone else's SQLite file: adding our tables to it would be vandalism.
            raise sqlite3.DatabaseError(
                f"not a sandbox database (it holds other tables: {', '.join(sorted(tables)[:3])})"
            )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.create_function("rq_regex", 3, regex_matches, deterministic=True)
        with self.write() as conn:
            version = _schema_version(conn) if tables else SCHEMA_VERSION
            if version == "1":
                migrate_v1(conn)
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"sandbox database schema {version} is newer than this reportgen "
                    f"(schema {SCHEMA_VERSION})"
                )
            # executescript() would COMMIT on its own; run the statements one by one.
            for statement in _DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (SCHEMA_VERSION,),
            )

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, held exclusively by this thread for the block."""
        with self._lock:
            yield self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                for listener in self._rollback_listeners:
                    listener()
                raise
            self._conn.execute("COMMIT")
            self._writes += 1

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every rolled-back write (to drop cached schema facts)."""
        self._rollback_listeners.append(listener)

    def generation(self) -> tuple[int, int]:
        """Changes whenever anything was written, by this connection or another one."""
        with self._lock:
            external = self._conn.execute("PRAGMA data_version").fetchone()["data_version"]
            return self._writes, int(external)

    def get_meta(self, key: str) -> str | None:
        """A value from the key/value ``meta`` table."""
        with self.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the ``meta`` table."""
        with self.write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            self._conn.close()


def _schema_version(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return "1" if row is None else str(row["value"])


class StoreError(Exception):
    """A request the sandbox refuses; its message becomes the GraphQL error message."""


def parse_json(text: str | bytes, what: str, max_depth: int | None = None) -> Any:
    """Client-supplied JSON; malformed or too deeply nested input is a StoreError.

    Python's parser gives up (RecursionError) around a thousand levels; ``max_depth`` sets a
    lower bound for values the sandbox walks recursively afterwards (run filters).
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise StoreError(f"{what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise StoreError(f"{what} is not JSON: {exc}") from None
    if max_depth is not None and nesting_depth(value) > max_depth:
        raise StoreError(f"{what} is nested more than {max_depth} levels deep")
    return value


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), iteratively."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest
