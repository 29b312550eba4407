"""Runs as the real SDK logs them: ``upsertBucket``, the file_stream endpoint and file uploads.

A run's history, system metrics and console output are line-addressed files on W&B's side
(``wandb-history.jsonl``, ``wandb-events.jsonl``, ``output.log``), stored in chunks (see
``chunks``). Every write keeps the run's query maps (``values``) in step with its config and
summary, and counts as a heartbeat: a ``running`` run that has sent nothing for
``crash_after`` seconds reads as ``crashed`` (``sweep_crashed``), and one that sends again
reads as ``running``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from reportgen.sandbox.chunks import EVENTS, HISTORY, OUTPUT, read_entries, write_lines
from reportgen.sandbox.db import Database, Row, StoreError, parse_json
from reportgen.sandbox.identity import Viewer
from reportgen.sandbox.ids import decode_relay_id, new_run_name, now, run_relay_id
from reportgen.sandbox.projects import ensure_project
from reportgen.sandbox.settings import Settings
from reportgen.sandbox.sortindex import SortIndexes
from reportgen.sandbox.values import query_map_json, record_array_keys

STREAMS = {"wandb-history.jsonl": HISTORY, "wandb-events.jsonl": EVENTS, "output.log": OUTPUT}
SUMMARY_FILE = "wandb-summary.json"
DEFAULT_PROJECT = "uncategorized"

SELECT = (
    "SELECT runs.*, p.name AS project_name, e.name AS entity_name FROM runs "
    "JOIN projects p ON p.id = runs.project_id JOIN entities e ON e.id = p.entity_id "
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


def run_record(row: Row, project_name: str | None = None, entity_name: str | None = None) -> Row:
    """The GraphQL ``Run`` object for a runs row (history fields resolve lazily).

    ``project_name`` and ``entity_name`` default to the row's joined columns.
    """
    project = project_name or row["project_name"]
    entity = entity_name or row["entity_name"]
    return {
        "id": run_relay_id(row["name"], project, entity),
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
        "user": Viewer(entity=entity, username=row["username"] or "").user(),
        "config": row["config"],
        "summaryMetrics": row["summary"],
        "_pk": row["id"],
        "_project_pk": row["project_id"],
    }


def wrap_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """W&B's stored config shape: every key wrapped as ``{"value": v, "desc": d}``."""
    wrapped = {}
    for key, item in config.items():
        if isinstance(item, dict) and "value" in item:
            wrapped[key] = {"value": item["value"], "desc": item.get("desc")}
        else:
            wrapped[key] = {"value": item, "desc": None}
    return wrapped


class Runs:
    """Run rows, their line streams and uploaded files."""

    def __init__(
        self, db: Database, viewer: Viewer, settings: Settings, indexes: SortIndexes
    ) -> None:
        self._db = db
        self._viewer = viewer
        self._settings = settings
        self.indexes = indexes

    def get(self, project_pk: int, name: str) -> Row | None:
        """The run ``name`` of the project, or None."""
        self.sweep_crashed()
        with self._db.read() as conn:
            row = conn.execute(
                SELECT + "WHERE runs.project_id = ? AND runs.name = ?", (project_pk, name)
            ).fetchone()
        return None if row is None else run_record(row)

    def find(self, entity: str, project: str, name: str) -> Row | None:
        """The run ``entity/project/name``, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                SELECT + "WHERE e.name = ? AND p.name = ? AND runs.name = ?",
                (entity, project, name),
            ).fetchone()
        return None if row is None else run_record(row)

    def sweep_crashed(self) -> None:
        """Mark ``running`` runs without a heartbeat for ``crash_after`` seconds ``crashed``."""
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=self._settings.crash_after)
        stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S")
        with self._db.read() as conn:
            stale = conn.execute(
                "SELECT 1 FROM runs WHERE state = 'running' AND heartbeat_at < ? LIMIT 1",
                (stamp,),
            ).fetchone()
        if stale is None:
            return
        with self._db.write() as conn:
            conn.execute(
                "UPDATE runs SET state = 'crashed' WHERE state = 'running' AND heartbeat_at < ?",
                (stamp,),
            )

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
        updates: dict[str, Any] = {
            col: fields[key] for key, col in _COLUMNS.items() if fields.get(key) is not None
        }
        if fields.get("tags") is not None:
            updates["tags"] = json.dumps(list(fields["tags"]))
        config = summary = None
        if fields.get("config") is not None:
            config = _object(fields["config"], "upsertBucket: config")
            wrapped = wrap_config(config)
            updates["config"] = _dumps(wrapped, "upsertBucket: config")
            updates["config_q"] = query_map_json(wrapped, config=True)
        if fields.get("summaryMetrics") is not None:
            summary = _object(fields["summaryMetrics"], "summaryMetrics")
            updates["summary"] = _dumps(summary, "summaryMetrics")
            updates["summary_q"] = query_map_json(summary)
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
            updates["heartbeat_at"] = stamp
            assignments = ", ".join(f"{col} = ?" for col in updates)
            revive = "" if "state" in updates else ", state = " + _REVIVED
            conn.execute(
                f"UPDATE runs SET {assignments}{revive} WHERE project_id = ? AND name = ?",
                (*updates.values(), project_pk, name),
            )
            for doc in ("config_q", "summary_q"):
                if doc in updates:
                    record_array_keys(conn, doc, updates[doc])
            if config is not None:
                self.indexes.ensure_keys(conn, "config", config)
            if summary is not None:
                self.indexes.ensure_keys(conn, "summary_metrics", summary)
            row = conn.execute(
                SELECT + "WHERE runs.project_id = ? AND runs.name = ?", (project_pk, name)
            ).fetchone()
        return run_record(row), inserted

    def apply_file_stream(self, run_pk: int, payload: Row) -> None:
        """Store one file_stream request: line chunks, the summary, uploads, completion."""
        updates: dict[str, Any] = {"heartbeat_at": now()}
        summary = None
        for filename, chunk in (payload.get("files") or {}).items():
            if filename == SUMMARY_FILE and chunk.get("content"):
                summary = _object(chunk["content"][-1], SUMMARY_FILE)
                updates["summary"] = _dumps(summary, SUMMARY_FILE)
                updates["summary_q"] = query_map_json(summary)
        state = ""
        if payload.get("complete"):
            exitcode = int(payload.get("exitcode") or 0)
            updates |= {"state": "finished" if exitcode == 0 else "failed", "exitcode": exitcode}
        elif payload.get("preempting"):
            updates["state"] = "preempting"
        else:
            state = ", state = " + _REVIVED
        with self._db.write() as conn:
            for filename, chunk in (payload.get("files") or {}).items():
                if filename in STREAMS:
                    offset, lines = int(chunk.get("offset", 0)), chunk.get("content") or []
                    write_lines(conn, run_pk, STREAMS[filename], offset, [str(x) for x in lines])
            for name in payload.get("uploaded") or []:
                _mark_uploaded(conn, run_pk, str(name))
            assignments = ", ".join(f"{col} = ?" for col in updates)
            conn.execute(
                f"UPDATE runs SET {assignments}{state} WHERE id = ?", (*updates.values(), run_pk)
            )
            if summary is not None:
                record_array_keys(conn, "summary_q", updates["summary_q"])
                self.indexes.ensure_keys(conn, "summary_metrics", summary)

    def entries(self, run_pk: int, stream: str) -> list[Any]:
        """Every stored line (or bulk-loaded row) of one stream, in line order."""
        with self._db.read() as conn:
            return read_entries(conn, run_pk, stream)

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


# A write from the run's process is a heartbeat: a run marked crashed is alive after all.
_REVIVED = "CASE WHEN state = 'crashed' THEN 'running' ELSE state END"


def _object(text: Any, what: str) -> dict[str, Any]:
    value = parse_json(text, what) if isinstance(text, (str, bytes)) else text
    if not isinstance(value, dict):
        raise StoreError(f"{what} must be a JSON object")
    return value


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value)
    except RecursionError:
        raise StoreError(f"{what} is nested too deeply") from None


def _mark_uploaded(conn: Any, run_pk: int, name: str) -> None:
    conn.execute(
        "INSERT INTO run_files (run_id, name, uploaded, updated_at) VALUES (?, ?, 1, ?) "
        "ON CONFLICT (run_id, name) DO UPDATE SET uploaded = 1",
        (run_pk, name, now()),
    )
