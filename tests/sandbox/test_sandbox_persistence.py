"""Data survives restarts; the API key gates everything the way W&B's does."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import wandb
import wandb_workspaces.workspaces as ws
from wandb.errors import AuthenticationError

from reportgen.remote.identity import workspace_url
from reportgen.sandbox import Sandbox
from reportgen.sandbox.db import default_db_path

KEY = "k" * 40
VIEWS = """query { project(name: "p", entityName: "sandbox") {
  allViews(viewType: "project-view") { edges { node { id displayName spec } } } } }"""


def test_data_survives_a_restart(tmp_path: Path, use_sandbox: Callable[[Sandbox], None]) -> None:
    db = tmp_path / "sandbox.db"
    with Sandbox(db=db) as first:
        use_sandbox(first)
        workspace = ws.Workspace(entity=first.entity, project="p", name="Kept")
        workspace.save()
        key, before, old_url = first.api_key, first.graphql(VIEWS).json, first.base_url
    with Sandbox(db=db) as second:
        assert second.api_key == key  # a generated key is remembered with the data
        assert second.graphql(VIEWS).json == before
        use_sandbox(second)
        loaded = ws.Workspace.from_url(workspace_url(workspace).replace(old_url, second.base_url))
        assert loaded.name == "Kept"


def test_a_wrong_key_fails_in_the_client(
    fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]
) -> None:
    use_sandbox(fresh_sandbox)
    with pytest.raises(AuthenticationError, match="unauthorized"):
        wandb.Api(api_key="w" * 40)


def test_missing_or_wrong_keys_get_401(sandbox: Sandbox) -> None:
    assert sandbox.graphql("{ viewer { id } }", api_key="x" * 40).status == 401
    request = sandbox.request("GET", "/_sandbox/stats", api_key="y" * 40)
    assert request.status == 401
    assert sandbox.request("GET", "/_sandbox/health", api_key="y" * 40).status == 200


def test_short_keys_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="40"):
        Sandbox(api_key="short")


def test_given_key_is_used(tmp_path: Path) -> None:
    with Sandbox(db=tmp_path / "s.db", api_key=KEY) as sb:
        assert sb.api_key == KEY
        assert sb.graphql("{ viewer { entity } }").json == {
            "data": {"viewer": {"entity": "sandbox"}}
        }


def test_default_db_lives_in_the_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "reportgen" / "sandbox.db"


def test_concurrent_writes_are_all_stored(fresh_sandbox: Sandbox) -> None:
    mutation = (
        'mutation($n: String) { upsertView(input: {entityName: "sandbox", projectName: "p", '
        'name: $n, type: "runs", spec: "{}"}) { inserted } }'
    )
    results: list[bool] = []

    def save(worker: int) -> None:
        for i in range(10):
            body = fresh_sandbox.graphql(mutation, {"n": f"w{worker}-{i}"}).json
            results.append(body["data"]["upsertView"]["inserted"])

    threads = [threading.Thread(target=save, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 80
    listed = fresh_sandbox.graphql(
        '{ project(name: "p", entityName: "sandbox") { allViews { totalCount } } }'
    ).json["data"]
    assert listed["project"]["allViews"]["totalCount"] == 80
    assert fresh_sandbox.stats()["writes"] == 80


# The schema before issue 9 (reportgen/sandbox/db.py at schema 1), trimmed to what runs need.
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE entities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
INSERT INTO entities VALUES (1, 'sandbox', '2026-01-01T00:00:00');
CREATE TABLE projects (id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL, name TEXT NOT NULL,
  description TEXT, access TEXT NOT NULL DEFAULT 'PRIVATE', created_at TEXT NOT NULL);
INSERT INTO projects VALUES (1, 1, 'old', NULL, 'PRIVATE', '2026-01-01T00:00:00');
CREATE TABLE runs (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL,
  display_name TEXT, state TEXT NOT NULL DEFAULT 'running', config TEXT NOT NULL DEFAULT '{}',
  summary TEXT NOT NULL DEFAULT '{}', tags TEXT NOT NULL DEFAULT '[]', group_name TEXT,
  job_type TEXT, notes TEXT, description TEXT, host TEXT, program TEXT, commit_hash TEXT,
  repo TEXT, sweep TEXT, username TEXT, exitcode INTEGER, created_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL, UNIQUE (project_id, name));
INSERT INTO runs (id, project_id, name, state, config, summary, created_at, heartbeat_at)
  VALUES (1, 1, 'r1', 'finished', '{"lr": {"value": 0.1, "desc": null}}',
  '{"acc": NaN, "loss": 0.5}', '2026-01-01T00:00:00', '2026-01-01T00:00:00');
CREATE TABLE run_lines (run_id INTEGER NOT NULL, stream TEXT NOT NULL, line INTEGER NOT NULL,
  step INTEGER, data TEXT NOT NULL, PRIMARY KEY (run_id, stream, line));
INSERT INTO run_lines VALUES (1, 'history', 0, 0, '{"_step": 0, "loss": 1.0}');
INSERT INTO run_lines VALUES (1, 'history', 1, 1, '{"_step": 1, "loss": 0.5}');
"""

OLD_RUN = """query { project(name: "old", entityName: "sandbox") {
  runs(filters: "{\\"config.lr\\": 0.1}", order: "+summary_metrics.loss") {
    edges { node { name historyLineCount history summaryMetrics } } } } }"""


def test_a_database_of_schema_1_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA_1)
    conn.close()
    with Sandbox(db=db, api_key=KEY) as sb:
        (edge,) = sb.graphql(OLD_RUN).json["data"]["project"]["runs"]["edges"]
    assert edge["node"]["name"] == "r1" and edge["node"]["historyLineCount"] == 2
    assert edge["node"]["history"] == ['{"_step": 0, "loss": 1.0}', '{"_step": 1, "loss": 0.5}']
    assert edge["node"]["summaryMetrics"] == '{"acc": NaN, "loss": 0.5}'
    with sqlite3.connect(db) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    conn.close()
    assert "run_lines" not in tables and "run_chunks" in tables and version == ("2",)
