"""Upgrading a sandbox database of schema 1 (before issue 9) in place.

Schema 1 stored every line of a run's files as a row of ``run_lines`` and had no query maps.
The upgrade adds the query maps and line counts to ``runs`` and moves the lines into chunks;
it runs inside the transaction that opens the database, so it happens fully or not at all.
"""

from __future__ import annotations

import json
import sqlite3

from reportgen.sandbox.chunks import write_lines
from reportgen.sandbox.values import query_map_json, record_array_keys

_NEW_COLUMNS = (
    "config_q TEXT NOT NULL DEFAULT '{}'",
    "summary_q TEXT NOT NULL DEFAULT '{}'",
    "n_history INTEGER NOT NULL DEFAULT 0",
    "n_events INTEGER NOT NULL DEFAULT 0",
    "n_output INTEGER NOT NULL DEFAULT 0",
)
_CHUNKS = """CREATE TABLE IF NOT EXISTS run_chunks (
  run_id INTEGER NOT NULL REFERENCES runs(id), stream TEXT NOT NULL,
  first_line INTEGER NOT NULL, count INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (run_id, stream, first_line)) WITHOUT ROWID"""
_ARRAY_KEYS = """CREATE TABLE IF NOT EXISTS array_keys (
  doc TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (doc, key)) WITHOUT ROWID"""


def migrate_v1(conn: sqlite3.Connection) -> None:
    """Bring a schema-1 database to schema 2 (call inside a write transaction)."""
    tables = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "runs" not in tables:
        return  # nothing but meta yet: the current DDL creates everything
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(runs)")}
    for column in _NEW_COLUMNS:
        if column.split()[0] not in columns:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    conn.execute(_ARRAY_KEYS)
    for run in conn.execute("SELECT id, config, summary FROM runs").fetchall():
        config_q = query_map_json(json.loads(run["config"]), config=True)
        summary_q = query_map_json(json.loads(run["summary"]))
        conn.execute(
            "UPDATE runs SET config_q = ?, summary_q = ? WHERE id = ?",
            (config_q, summary_q, run["id"]),
        )
        record_array_keys(conn, "config_q", config_q)
        record_array_keys(conn, "summary_q", summary_q)
    conn.execute(_CHUNKS)
    if "run_lines" in tables:
        rows = conn.execute(
            "SELECT run_id, stream, line, data FROM run_lines ORDER BY run_id, stream, line"
        ).fetchall()
        for row in rows:
            write_lines(conn, row["run_id"], row["stream"], row["line"], [row["data"]])
        conn.execute("DROP TABLE run_lines")
