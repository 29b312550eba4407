"""Runs as the real SDK logs them: ``upsertBucket``, the file_stream endpoint and file uploads.

A run's history, system metrics and console output are line-addressed files on W&B's side
(``wandb-history.jsonl``, ``wandb-events.jsonl``, ``output.log``): every file_stream chunk says
at which line its content starts, so a retried chunk overwrites instead of duplicating.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reportgen.sandbox.db import Database, Row, StoreError, parse_json
from reportgen.sandbox.identity import Viewer
from reportgen.sandbox.ids import decode_relay_id, new_run_name, now, run_relay_id
from reportgen.sandbox.projects import ensure_project

HISTORY, EVENTS, OUTPUT = "history", "events", "output"
STREAMS = {"wandb-history.jsonl": HISTORY, "wandb-events.jsonl": EVENTS, "output.log": OUTPUT}
SUMMARY_FILE = "wandb-summary.json"
DEFAULT_PROJECT = "uncategorized"

_SELECT = (
    "SELECT r.*, p.name AS project_name, e.name AS entity_name, "
    "(SELECT COUNT(*) FROM run_lines l WHERE l.run_id = r.id AND l.stream = 'history') AS n_history, "
    "(SELECT COUNT(*) FROM run_lines l WHERE l.run_id = r.id AND l.stream = 'events') AS n_events, "
    "(SELECT COUNT(*) FROM run_lines l WHERE l.run_id = r.id AND l.stream = 'output') AS n_output "
    "FROM runs r JOIN projects p ON p.id = r.project_id JOIN entities e ON e.id = p.entity_id "
)

# upsertBucket input field -> column; null or absent keeps the stored value.
_COLUMNS = {
    "displayName": "display_name",
    "groupName": "group_name",
    "description": "description",
    "notes": "notes",
    "commit": "commit_hash",
    "host": "host",
    "jobProgram": "program",
    "jobRepo": "repo",
    "jobType": "job_type",
    "state": "state",
    "sweep": "sweep",
}


def run_record(row: Row) -> Row:
    """The GraphQL ``Run`` object for a joined runs row (history fields resolve lazily)."""
    return {
        "id": run_relay_id(row["name"], row["project_name"], row["entity_name"]),
        "name": row["name"],
        "displayName": row["display_name"],
        "state": row["state"],
        "tags": json.loads(row["tags"]),
        "group": row["group_name"],
        "jobType": row["job_type"],
        "sweepName": row["sweep"],
        "commit": row["commit_hash"],
        "readOnly": False,
        "createdAt": row["created_at"],
        "heartbeatAt": row["heartbeat_at"],
        "description": row["description"],
        "notes": row["notes"],
        "host": row["host"],
        "historyLineCount": row["n_history"],
        "eventsLineCount": row["n_events"],
        "logLineCount": row["n_output"],
        "projectId": row["project_id"],
        "user": Viewer(entity=row["entity_name"], username=row["username"] or "").user(),
        "config": row["config"],
        "summaryMetrics": row["summary"],
        "_pk": row["id"],
        "_project_pk": row["project_id"],
    }


def normalize_config(text: str) -> str:
    """W&B's stored config shape: every key wrapped as ``{"value": v, "desc": d}``."""
    config = parse_json(text, "upsertBucket: config")
    if not isinstance(config, dict):
        raise StoreError("upsertBucket: config must be a JSON object")
    wrapped = {}
    for key, item in config.items():
        if isinstance(item, dict) and "value" in item:
            wrapped[key] = {"value": item["value"], "desc": item.get("desc")}
        else:
            wrapped[key] = {"value": item, "desc": None}
    return json.dumps(wrapped)


class Runs:
    """Run rows, their line streams and uploaded files."""

    def __init__(self, db: Database, viewer: Viewer) -> None:
        self._db = db
        self._viewer = viewer

    def get(self, project_pk: int, name: str) -> Row | None:
        """The run ``name`` of the project, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                _SELECT + "WHERE r.project_id = ? AND r.name = ?", (project_pk, name)
            ).fetchone()
        return None if row is None else run_record(row)

    def find(self, entity: str, project: str, name: str) -> Row | None:
        """The run ``entity/project/name``, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                _SELECT + "WHERE e.name = ? AND p.name = ? AND r.name = ?", (entity, project, name)
            ).fetchone()
        return None if row is None else run_record(row)

    def all(self, project_pk: int) -> list[Row]:
        """Every run of the project, oldest first (filtering and ordering happen in Python)."""
        with self._db.read() as conn:
            rows = conn.execute(
                _SELECT + "WHERE r.project_id = ? ORDER BY r.id", (project_pk,)
            ).fetchall()
        return [run_record(row) for row in rows]

    def upsert(self, fields: Row) -> tuple[Row, bool]:
        """``upsertBucket``: create the run or update the fields given (null keeps a field)."""
        entity = fields.get("entityName") or self._viewer.entity
        project = fields.get("modelName") or DEFAULT_PROJECT
        name = fields.get("name")
        if fields.get("id"):
            # The storage id names the run exactly: "Run:v1:<name>:<project>:<entity>".
            key = decode_relay_id(fields["id"], "Run")
            parts = key.split(":") if key else []
            if len(parts) != 4:
                raise StoreError(f"upsertBucket: unknown run id {fields['id']}")
            name, project, entity = parts[1], parts[2], parts[3]
        stamp = now()
        with self._db.write() as conn:
            project_pk = ensure_project(conn, entity, project)[0]
            name = name or new_run_name()
            cursor = conn.execute(
                "INSERT OR IGNORE INTO runs (project_id, name, username, created_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (project_pk, name, self._viewer.username, stamp, stamp),
            )
            inserted = cursor.rowcount == 1
            updates: dict[str, Any] = {
                col: fields[key] for key, col in _COLUMNS.items() if fields.get(key) is not None
            }
            if fields.get("tags") is not None:
                updates["tags"] = json.dumps(list(fields["tags"]))
            if fields.get("config") is not None:
                updates["config"] = normalize_config(fields["config"])
            if fields.get("summaryMetrics") is not None:
                updates["summary"] = _json_object(fields["summaryMetrics"], "summaryMetrics")
            updates["heartbeat_at"] = stamp
            assignments = ", ".join(f"{col} = ?" for col in updates)
            conn.execute(
                f"UPDATE runs SET {assignments} WHERE project_id = ? AND name = ?",
                (*updates.values(), project_pk, name),
            )
            row = conn.execute(
                _SELECT + "WHERE r.project_id = ? AND r.name = ?", (project_pk, name)
            ).fetchone()
        return run_record(row), inserted

    def apply_file_stream(self, run_pk: int, payload: Row) -> None:
        """Store one file_stream request: line chunks, the summary, uploads, completion."""
        stamp = now()
        with self._db.write() as conn:
            for filename, chunk in (payload.get("files") or {}).items():
                offset, lines = int(chunk.get("offset", 0)), list(chunk.get("content") or [])
                if filename == SUMMARY_FILE:
                    if lines:
                        summary = _json_object(lines[-1], SUMMARY_FILE)
                        conn.execute("UPDATE runs SET summary = ? WHERE id = ?", (summary, run_pk))
                elif filename in STREAMS:
                    _write_lines(conn, run_pk, STREAMS[filename], offset, lines)
            for name in payload.get("uploaded") or []:
                _mark_uploaded(conn, run_pk, str(name))
            updates: dict[str, Any] = {"heartbeat_at": stamp}
            if payload.get("complete"):
                exitcode = int(payload.get("exitcode") or 0)
                updates |= {
                    "state": "finished" if exitcode == 0 else "failed",
                    "exitcode": exitcode,
                }
            elif payload.get("preempting"):
                updates["state"] = "preempting"
            assignments = ", ".join(f"{col} = ?" for col in updates)
            conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*updates.values(), run_pk))

    def lines(self, run_pk: int, stream: str) -> list[str]:
        """Every stored line of one stream, in line order."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT data FROM run_lines WHERE run_id = ? AND stream = ? ORDER BY line",
                (run_pk, stream),
            ).fetchall()
        return [str(r["data"]) for r in rows]

    def register_files(self, run_pk: int, names: list[str]) -> None:
        """``createRunFiles``: remember the names; content arrives with the upload."""
        with self._db.write() as conn:
            for name in names:
                conn.execute(
                    "INSERT OR IGNORE INTO run_files (run_id, name, updated_at) VALUES (?, ?, ?)",
                    (run_pk, name, now()),
                )

    def store_file(self, run_pk: int, name: str, content: bytes) -> None:
        """An upload to a URL handed out by ``createRunFiles``."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO run_files (run_id, name, content, uploaded, updated_at) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (run_id, name) DO UPDATE SET "
                "content = excluded.content, uploaded = 1, updated_at = excluded.updated_at",
                (run_pk, name, content, now()),
            )

    def file(self, run_pk: int, name: str) -> bytes | None:
        """The uploaded content of a run file, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT content FROM run_files WHERE run_id = ? AND name = ?", (run_pk, name)
            ).fetchone()
        return None if row is None or row["content"] is None else bytes(row["content"])

    def mark_uploaded(self, run_pk: int, names: list[str]) -> None:
        """``markRunFilesUploaded``."""
        with self._db.write() as conn:
            for name in names:
                _mark_uploaded(conn, run_pk, name)


def _json_object(text: str, what: str) -> str:
    value = parse_json(text, what)
    if not isinstance(value, dict):
        raise StoreError(f"{what} must be a JSON object")
    try:
        return json.dumps(value)
    except RecursionError:
        raise StoreError(f"{what} is nested too deeply") from None


def _write_lines(
    conn: sqlite3.Connection, run_pk: int, stream: str, offset: int, lines: list[str]
) -> None:
    for index, line in enumerate(lines):
        step = None
        if stream == HISTORY:
            try:
                step = json.loads(line).get("_step")
            except (json.JSONDecodeError, AttributeError):
                step = None
        conn.execute(
            "INSERT OR REPLACE INTO run_lines (run_id, stream, line, step, data) VALUES (?, ?, ?, ?, ?)",
            (run_pk, stream, offset + index, step if isinstance(step, int) else None, line),
        )


def _mark_uploaded(conn: sqlite3.Connection, run_pk: int, name: str) -> None:
    conn.execute(
        "INSERT INTO run_files (run_id, name, uploaded, updated_at) VALUES (?, ?, 1, ?) "
        "ON CONFLICT (run_id, name) DO UPDATE SET uploaded = 1",
        (run_pk, name, now()),
    )
