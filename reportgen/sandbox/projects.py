"""Entities and projects. Both spring into existence when something is written to them."""

from __future__ import annotations

import sqlite3

from reportgen.sandbox.db import Database, Row
from reportgen.sandbox.identity import entity_record
from reportgen.sandbox.ids import decode_int_id, now, relay_id
from reportgen.sandbox.relay import connection

_SELECT = (
    "SELECT p.id, p.name, p.description, p.access, p.created_at, "
    "e.id AS entity_id, e.name AS entity_name FROM projects p "
    "JOIN entities e ON e.id = p.entity_id "
)


def project_record(row: Row) -> Row:
    """The GraphQL ``Project`` object for a joined projects/entities row."""
    return {
        "id": relay_id("Project", row["id"]),
        "internalId": str(row["id"]),
        "name": row["name"],
        "entityName": row["entity_name"],
        "entity": entity_record(row["entity_id"], row["entity_name"]),
        "createdAt": row["created_at"],
        "isBenchmark": False,
        "readOnly": False,
        "user": None,
        "description": row["description"],
        "access": row["access"],
        "views": "{}",
        "_pk": row["id"],
    }


class Projects:
    """Project lookups and get-or-create."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, entity: str, name: str) -> Row | None:
        """The project ``entity/name``, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                _SELECT + "WHERE e.name = ? AND p.name = ?", (entity, name)
            ).fetchone()
        return None if row is None else project_record(row)

    def by_pk(self, pk: int) -> Row | None:
        """The project with this internal id, or None."""
        with self._db.read() as conn:
            row = conn.execute(_SELECT + "WHERE p.id = ?", (pk,)).fetchone()
        return None if row is None else project_record(row)

    def entity_pk(self, name: str) -> int | None:
        """The id of entity ``name``, or None when nothing was ever saved under it."""
        with self._db.read() as conn:
            row = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row["id"])

    def ensure(self, entity: str, name: str) -> Row:
        """The project ``entity/name``, created (with its entity) if missing."""
        with self._db.write() as conn:
            pk = ensure_project(conn, entity, name)[0]
        record = self.by_pk(pk)
        assert record is not None
        return record

    def upsert(
        self, entity: str, name: str, description: str | None, access: str | None
    ) -> tuple[Row, bool]:
        """``upsertModel``: create the project or update the fields given."""
        with self._db.write() as conn:
            pk, inserted = ensure_project(conn, entity, name)
            if description is not None:
                conn.execute("UPDATE projects SET description = ? WHERE id = ?", (description, pk))
            if access is not None:
                conn.execute("UPDATE projects SET access = ? WHERE id = ?", (access, pk))
        record = self.by_pk(pk)
        assert record is not None
        return record, inserted

    def page(self, entity: str, first: int | None, after: str | None) -> Row:
        """``models(entityName, first, after)``: the entity's projects, oldest first."""
        after_pk = decode_int_id(after, "Project") or 0
        with self._db.read() as conn:
            rows = conn.execute(
                _SELECT + "WHERE e.name = ? AND p.id > ? ORDER BY p.id", (entity, after_pk)
            ).fetchall()
        records = [project_record(row) for row in rows]
        return connection(records, [r["id"] for r in records], first, after is not None)


def ensure_entity(conn: sqlite3.Connection, name: str) -> int:
    """The id of entity ``name``, inserting it if needed (call inside a write)."""
    conn.execute("INSERT OR IGNORE INTO entities (name, created_at) VALUES (?, ?)", (name, now()))
    row = conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
    return int(row["id"])


def ensure_project(conn: sqlite3.Connection, entity: str, name: str) -> tuple[int, bool]:
    """(project id, inserted) for ``entity/name``, inserting both if needed."""
    entity_id = ensure_entity(conn, entity)
    cursor = conn.execute(
        "INSERT OR IGNORE INTO projects (entity_id, name, created_at) VALUES (?, ?, ?)",
        (entity_id, name, now()),
    )
    row = conn.execute(
        "SELECT id FROM projects WHERE entity_id = ? AND name = ?", (entity_id, name)
    ).fetchone()
    return int(row["id"]), cursor.rowcount == 1
