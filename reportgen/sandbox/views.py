"""Saved views (workspaces, reports, report drafts) and report share tokens.

Specs are opaque strings: stored and returned byte for byte, never parsed, so nothing (such as
a ``version`` key, which would break ``Workspace.from_url``) can be added on the way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from reportgen.sandbox.db import Database, Row, StoreError
from reportgen.sandbox.identity import Viewer
from reportgen.sandbox.ids import decode_int_id, new_token, now, relay_id
from reportgen.sandbox.projects import ensure_project
from reportgen.sandbox.relay import connection
from reportgen.sandbox.settings import UPSERT_INSERT, Settings

DRAFT = "runs/draft"

_SELECT = (
    "SELECT v.*, p.name AS project_name, e.name AS entity_name FROM views v "
    "JOIN projects p ON p.id = v.project_id JOIN entities e ON e.id = p.entity_id "
)

# upsertView input field -> column; a field left out (or null) keeps its stored value.
_COLUMNS = {
    "name": "name",
    "displayName": "display_name",
    "description": "description",
    "type": "type",
    "spec": "spec",
    "createdUsing": "created_using",
    "locked": "locked",
}


def view_record(row: Row) -> Row:
    """The GraphQL ``View`` object for a joined views row."""
    user = (
        Viewer(entity=row["entity_name"], username=row["username"]).user()
        if row["username"]
        else None
    )
    return {
        "id": relay_id("View", row["id"]),
        "name": row["name"],
        "displayName": row["display_name"],
        "type": row["type"],
        "description": row["description"],
        "spec": row["spec"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "createdUsing": row["created_using"],
        "entityName": row["entity_name"],
        "projectName": row["project_name"],
        "parentId": None if row["parent_id"] is None else relay_id("View", row["parent_id"]),
        "locked": bool(row["locked"]),
        "user": user,
        "updatedBy": user,
        "_pk": row["id"],
        "_project_pk": row["project_id"],
    }


class Views:
    """``upsertView``, ``view(id)``, ``allViews``, ``deleteView`` and share tokens."""

    def __init__(self, db: Database, viewer: Viewer, settings: Settings | None = None) -> None:
        self._db = db
        self._viewer = viewer
        self._settings = settings or Settings()

    def get(self, view_id: str) -> Row | None:
        """The view with this Relay id, or None."""
        pk = decode_int_id(view_id, "View")
        if pk is None:
            return None
        with self._db.read() as conn:
            row = conn.execute(_SELECT + "WHERE v.id = ?", (pk,)).fetchone()
        return None if row is None else view_record(row)

    def upsert(self, fields: Row) -> tuple[Row, bool]:
        """Update the view named by ``id`` (or by project and ``name``), else create one.

        In the ``insert`` upsert mode (see ``settings``) only an ``id`` names a view to update.
        """
        stamp = now()
        with self._db.write() as conn:
            pk = self._target(conn, fields)
            inserted = pk is None
            if pk is None:
                project = fields.get("projectName")
                if not project:
                    raise StoreError("upsertView: projectName is required to create a view")
                entity = fields.get("entityName") or self._viewer.entity
                project_pk = ensure_project(conn, entity, project)[0]
                pk = _next_view_id(conn)
                conn.execute(
                    "INSERT INTO views (id, project_id, type, username, created_at, updated_at) "
                    "VALUES (?, ?, 'runs', ?, ?, ?)",
                    (pk, project_pk, self._viewer.username, stamp, stamp),
                )
            updates = {
                col: fields[key] for key, col in _COLUMNS.items() if fields.get(key) is not None
            }
            if fields.get("parentId"):
                updates["parent_id"] = decode_int_id(fields["parentId"], "View")
            updates["updated_at"] = stamp
            assignments = ", ".join(f"{col} = ?" for col in updates)
            conn.execute(f"UPDATE views SET {assignments} WHERE id = ?", (*updates.values(), pk))
            row = conn.execute(_SELECT + "WHERE v.id = ?", (pk,)).fetchone()
        return view_record(row), inserted

    def _target(self, conn: sqlite3.Connection, fields: Row) -> int | None:
        if fields.get("id"):
            pk = decode_int_id(fields["id"], "View")
            found = (
                pk is not None
                and conn.execute("SELECT 1 FROM views WHERE id = ?", (pk,)).fetchone()
            )
            if not found:
                raise StoreError(f"upsertView: view {fields['id']} not found")
            return pk
        if self._settings.view_upsert == UPSERT_INSERT:
            return None
        if not (fields.get("name") and fields.get("projectName")):
            return None
        # [infer] W&B's upsert by name is unverified; it keeps names unique, which the
        # View query (first edge wins) relies on. Should a name be taken twice (views made
        # in the insert mode), the oldest view of that name is the one updated.
        row = conn.execute(
            "SELECT v.id FROM views v JOIN projects p ON p.id = v.project_id "
            "JOIN entities e ON e.id = p.entity_id "
            "WHERE e.name = ? AND p.name = ? AND v.name = ? ORDER BY v.id LIMIT 1",
            (
                fields.get("entityName") or self._viewer.entity,
                fields["projectName"],
                fields["name"],
            ),
        ).fetchone()
        return None if row is None else int(row["id"])

    def page(
        self,
        project_pk: int,
        view_type: str | None,
        view_name: str | None,
        user_name: str | None,
        first: int | None,
        after: str | None,
    ) -> Row:
        """``allViews``: the project's views of one type, oldest first, as a connection.

        A page reads only its own views (from the cursor, by id); ``totalCount`` is counted
        only when asked for.
        """
        where: list[str] = ["v.project_id = ?"]
        args: list[object] = [project_pk]
        for column, value in (
            ("v.type", view_type),
            ("v.name", view_name),
            ("v.username", user_name),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        condition = " AND ".join(where)
        after_pk = decode_int_id(after, "View") or 0
        limit = "" if first is None else f" LIMIT {max(first, 0) + 1}"
        with self._db.read() as conn:
            rows = conn.execute(
                _SELECT + f"WHERE {condition} AND v.id > ? ORDER BY v.id{limit}",
                (*args, after_pk),
            ).fetchall()
        records = [view_record(row) for row in rows]
        page = connection(records, [r["id"] for r in records], first, after is not None)
        page["totalCount"] = lambda _info, **_: self._count(condition, args)
        return page

    def _count(self, condition: str, args: Sequence[object]) -> int:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT count(*) AS n FROM views v WHERE {condition}", args)
            return int(row.fetchone()["n"])

    def children(self, parent_pk: int) -> Row:
        """Drafts whose ``parentId`` is this view."""
        with self._db.read() as conn:
            rows = conn.execute(
                _SELECT + "WHERE v.parent_id = ? ORDER BY v.id", (parent_pk,)
            ).fetchall()
        records = [view_record(row) for row in rows]
        return connection(records, [r["id"] for r in records], None, False)

    def delete(self, view_id: str | None, delete_drafts: bool) -> tuple[bool, bool]:
        """(success, pendingDrafts). A view with drafts is kept unless ``deleteDrafts``."""
        pk = decode_int_id(view_id, "View")
        with self._db.write() as conn:
            if pk is None or not conn.execute("SELECT 1 FROM views WHERE id = ?", (pk,)).fetchone():
                return False, False
            drafts = [
                int(r["id"])
                for r in conn.execute(
                    "SELECT id FROM views WHERE parent_id = ? AND type = ?", (pk, DRAFT)
                ).fetchall()
            ]
            if drafts and not delete_drafts:
                return False, True  # [infer] the UI asks before dropping pending drafts
            for doomed in [*drafts, pk]:
                conn.execute("DELETE FROM access_tokens WHERE view_id = ?", (doomed,))
                conn.execute("DELETE FROM views WHERE id = ?", (doomed,))
        return True, False

    def create_token(self, view_id: str, projects: Sequence[Row]) -> Row:
        """A new PUBLIC share token for the view."""
        pk = decode_int_id(view_id, "View")
        token = new_token()
        with self._db.write() as conn:
            if pk is None or not conn.execute("SELECT 1 FROM views WHERE id = ?", (pk,)).fetchone():
                raise StoreError(f"createAccessToken: view {view_id} not found")
            conn.execute(
                "INSERT INTO access_tokens (token, view_id, type, projects, created_at) "
                "VALUES (?, ?, 'PUBLIC', ?, ?)",
                (token, pk, _projects_json(conn, projects), now()),
            )
        return {
            "token": token,
            "type": "PUBLIC",
            "revokedAt": None,
            "_projects": _specifiers(projects),
        }

    def set_token_projects(self, token: str, projects: Sequence[Row]) -> bool:
        """``updateAccessTokenProjects``; False for an unknown token."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "UPDATE access_tokens SET projects = ? WHERE token = ?",
                (_projects_json(conn, projects), token),
            )
        return cursor.rowcount == 1

    def revoke_token(self, token: str) -> bool:
        """``revokeAccessToken``; False for an unknown token."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "UPDATE access_tokens SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
                (now(), token),
            )
        return cursor.rowcount == 1

    def tokens(self, view_pk: int) -> list[Row]:
        """Every share token of the view, revoked ones included (the client filters)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM access_tokens WHERE view_id = ? ORDER BY created_at", (view_pk,)
            ).fetchall()
        return [
            {
                "token": r["token"],
                "type": r["type"],
                "revokedAt": r["revoked_at"],
                "_projects": [tuple(p) for p in json.loads(r["projects"])],
            }
            for r in rows
        ]


def _specifiers(projects: Sequence[Row]) -> list[tuple[str, str]]:
    return [(str(p["entityName"]), str(p["projectName"])) for p in projects]


def _projects_json(conn: sqlite3.Connection, projects: Sequence[Row]) -> str:
    pairs = _specifiers(projects)
    for entity, name in pairs:
        ensure_project(conn, entity, name)
    return json.dumps(pairs)


def _next_view_id(conn: sqlite3.Connection) -> int:
    """A view id no view has ever had: SQLite would hand a deleted newest view's rowid to the
    next insert, and a client still holding that id (a racing apply deleting an extra copy)
    would then delete the new view. [infer] W&B's ids only count up (conformance:
    test_view_ids_are_never_reused)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'last_view_id'").fetchone()
    top = conn.execute("SELECT COALESCE(MAX(id), 0) AS top FROM views").fetchone()["top"]
    pk = max(int(row["value"]) if row else 0, int(top)) + 1
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('last_view_id', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(pk),),
    )
    return pk
