"""``upsertView`` without an id: update by name (default) or always insert (``view_upsert``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import wandb
from wandb_workspaces._graphql import execute_graphql

from reportgen.sandbox import UPSERT_BY_NAME, UPSERT_INSERT, Sandbox

# wandb-workspaces' UpsertView2 as recorded on the wire (REPORT.md 1.2), sent through wandb-core.
UPSERT_VIEW2 = """
mutation UpsertView2($id: ID, $entityName: String, $projectName: String, $type: String,
  $name: String, $displayName: String, $description: String, $spec: String) {
  upsertView(input: {id: $id, entityName: $entityName, projectName: $projectName, name: $name,
    displayName: $displayName, description: $description, type: $type, spec: $spec,
    createdUsing: WANDB_SDK}) { view { id name } inserted } }
"""
LIST = """query L($e: String!, $p: String!, $n: String) { project(name: $p, entityName: $e) {
  allViews(viewType: "project-view", viewName: $n) { edges { node { id name displayName } } } } }"""


def _save(sb: Sandbox, name: str, title: str, view_id: str | None = None) -> dict[str, Any]:
    variables = {
        "id": view_id,
        "entityName": sb.entity,
        "projectName": "modes",
        "type": "project-view",
        "name": name,
        "displayName": title,
        "spec": "{}",
    }
    return dict(execute_graphql(wandb.Api(), UPSERT_VIEW2, variables)["upsertView"])


def _listed(sb: Sandbox, name: str) -> list[str]:
    data = sb.graphql(LIST, {"e": sb.entity, "p": "modes", "n": name}).json["data"]
    return [edge["node"]["displayName"] for edge in data["project"]["allViews"]["edges"]]


@pytest.mark.parametrize(
    ("mode", "second_inserted", "listed"),
    [(UPSERT_BY_NAME, False, ["second"]), (UPSERT_INSERT, True, ["first", "second"])],
)
def test_a_create_under_a_taken_name(
    use_sandbox: Callable[[Sandbox], None],
    mode: str,
    second_inserted: bool,
    listed: list[str],
) -> None:
    with Sandbox(view_upsert=mode) as sb:
        use_sandbox(sb)
        first = _save(sb, "nw-1", "first")
        second = _save(sb, "nw-1", "second")
        assert first["inserted"] is True and second["inserted"] is second_inserted
        assert (second["view"]["id"] == first["view"]["id"]) is not second_inserted
        assert _listed(sb, "nw-1") == listed
        # An id always names the view to update, in both modes.
        again = _save(sb, "nw-1", "renamed", view_id=second["view"]["id"])
        assert again == {"view": second["view"], "inserted": False}


def test_the_mode_changes_at_run_time(
    fresh_sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]
) -> None:
    sb = fresh_sandbox
    use_sandbox(sb)
    assert sb.request("GET", "/_sandbox/settings").json["view_upsert"] == "by-name"
    _save(sb, "nw-2", "one")
    changed = sb.request("PUT", "/_sandbox/settings", {"view_upsert": "insert"})
    assert changed.status == 200 and changed.json["view_upsert"] == "insert"
    assert sb.settings()["view_upsert"] == "insert"
    _save(sb, "nw-2", "two")
    assert _listed(sb, "nw-2") == ["one", "two"]
    sb.set_view_upsert(UPSERT_BY_NAME)
    _save(sb, "nw-2", "three")  # by name again: the oldest view of that name is updated
    assert _listed(sb, "nw-2") == ["three", "two"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"view_upsert": "merge"}, "view_upsert must be one of by-name, insert"),
        ({"crash_after": 0}, "crash_after must be a positive number of seconds"),
        ({"view_upsert": "insert", "crash_after": "5"}, "crash_after must be a number"),
        ({"upsert": "insert"}, "unknown settings: upsert"),
        (["insert"], "expected {"),
        (b"{", "not JSON"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    fresh_sandbox: Sandbox, body: Any, problem: str
) -> None:
    result = fresh_sandbox.request("PUT", "/_sandbox/settings", body)
    assert result.status == 400 and problem in result.json["errors"][0]["message"]
    assert fresh_sandbox.settings() == {"view_upsert": "by-name", "crash_after": 300.0}


def test_settings_need_the_key(fresh_sandbox: Sandbox) -> None:
    result = fresh_sandbox.request(
        "PUT", "/_sandbox/settings", {"view_upsert": "insert"}, api_key="x" * 40
    )
    assert result.status == 401 and fresh_sandbox.settings()["view_upsert"] == "by-name"


def test_an_unknown_mode_is_refused_on_the_handle() -> None:
    with pytest.raises(ValueError, match="view_upsert must be one of by-name, insert"):
        Sandbox(view_upsert="merge")
