"""A run's line files (history, system events, console output), stored in chunks.

On W&B these are line-addressed files (``wandb-history.jsonl``, ``wandb-events.jsonl``,
``output.log``): each file_stream request says at which line its lines start, so a retried
request overwrites rather than duplicates. Here a chunk is one row holding consecutive lines
(a JSON array) from ``first_line``; chunks never overlap, a write over existing lines
replaces exactly those lines, and small writes that continue the previous chunk are appended
to it, so a run logged step by step stays a handful of rows. Each run keeps the number of
lines per stream (``n_history``, ``n_events``, ``n_output``).

An element of a chunk is a line as received (a string, kept verbatim) or, for runs loaded in
bulk (``bulk``), a row object, serialised compactly when a client asks for lines. A bulk
history whose rows all have the same keys is one element ``{COLUMNS: {key: [values]}}``:
the same rows, column by column, which is about twice as fast to write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

HISTORY, EVENTS, OUTPUT = "history", "events", "output"
COUNT_COLUMNS = {HISTORY: "n_history", EVENTS: "n_events", OUTPUT: "n_output"}
COLUMNS = "\uffffcolumns"
CHUNK_LINES = 1000
"""A write continuing a chunk is appended to it while the chunk stays this short."""

_OVERLAPPING = (
    "SELECT first_line, count, data FROM run_chunks WHERE run_id = ? AND stream = ? "
    "AND first_line >= ? AND first_line < ? ORDER BY first_line"
)
_BEFORE = (
    "SELECT first_line, count, data FROM run_chunks WHERE run_id = ? AND stream = ? "
    "AND first_line < ? ORDER BY first_line DESC LIMIT 1"
)


def pack(lines: Sequence[Any]) -> str:
    """The stored form of consecutive lines (strings) or rows (objects)."""
    return json.dumps(list(lines), separators=(",", ":"))


def write_lines(
    conn: sqlite3.Connection, run_pk: int, stream: str, offset: int, lines: Sequence[Any]
) -> None:
    """Store ``lines`` at line numbers ``offset``...; lines already there are replaced."""
    if not lines or offset < 0:
        return
    end = offset + len(lines)
    removed = 0
    previous = conn.execute(_BEFORE, (run_pk, stream, offset)).fetchone()
    overlapping = conn.execute(_OVERLAPPING, (run_pk, stream, offset, end)).fetchall()
    if previous is not None and previous["first_line"] + previous["count"] > offset:
        overlapping.insert(0, previous)
        previous = None
    for chunk in overlapping:
        start, old = chunk["first_line"], json.loads(chunk["data"])
        conn.execute(
            "DELETE FROM run_chunks WHERE run_id = ? AND stream = ? AND first_line = ?",
            (run_pk, stream, start),
        )
        head, tail = old[: max(offset - start, 0)], old[max(end - start, 0) :]
        removed += len(old) - len(head) - len(tail)
        if head:
            _insert(conn, run_pk, stream, start, head)
        if tail:
            _insert(conn, run_pk, stream, end, tail)
    contiguous = previous is not None and previous["first_line"] + previous["count"] == offset
    if contiguous and previous["count"] + len(lines) <= CHUNK_LINES:
        merged = [*json.loads(previous["data"]), *lines]
        conn.execute(
            "UPDATE run_chunks SET count = ?, data = ? "
            "WHERE run_id = ? AND stream = ? AND first_line = ?",
            (len(merged), pack(merged), run_pk, stream, previous["first_line"]),
        )
    else:
        _insert(conn, run_pk, stream, offset, lines)
    column = COUNT_COLUMNS[stream]
    conn.execute(
        f"UPDATE runs SET {column} = {column} + ? WHERE id = ?", (len(lines) - removed, run_pk)
    )


def _insert(
    conn: sqlite3.Connection, run_pk: int, stream: str, first: int, lines: Sequence[Any]
) -> None:
    conn.execute(
        "INSERT INTO run_chunks (run_id, stream, first_line, count, data) VALUES (?, ?, ?, ?, ?)",
        (run_pk, stream, first, len(lines), pack(lines)),
    )


def read_entries(conn: sqlite3.Connection, run_pk: int, stream: str) -> list[Any]:
    """Every stored element of one stream, in line order (gaps are skipped)."""
    rows = conn.execute(
        "SELECT data FROM run_chunks WHERE run_id = ? AND stream = ? ORDER BY first_line",
        (run_pk, stream),
    ).fetchall()
    entries: list[Any] = []
    for row in rows:
        for entry in json.loads(row["data"]):
            if isinstance(entry, dict) and COLUMNS in entry:
                keys, columns = list(entry[COLUMNS]), list(entry[COLUMNS].values())
                table = zip(*columns, strict=True)
                entries.extend(dict(zip(keys, values, strict=True)) for values in table)
            else:
                entries.append(entry)
    return entries


def line_of(entry: Any) -> str:
    """The line a client reads for a stored element."""
    return entry if isinstance(entry, str) else json.dumps(entry, separators=(",", ":"))
