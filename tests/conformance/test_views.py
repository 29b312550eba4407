"""Conformance: what W&B does with saved views (workspaces, reports, drafts).

Each test is one assumption (README, "Assumptions about W&B"); a failure says which.
Requests are the ones the real clients send (../shared/wandb-wire/operations), through
`wandb.Api`, or the wandb-workspaces API itself.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from conformance_target import Target

from reportgen.remote.client import DELETE_VIEW, UPSERT_VIEW

WORKSPACE = "project-view"
REPORT = "runs"
DRAFT = "runs/draft"

VIEWS_NAMED = """query ViewsNamed($entityName: String!, $projectName: String!, $viewType: String,
  $viewName: String) { project(name: $projectName, entityName: $entityName) {
  allViews(viewType: $viewType, viewName: $viewName, first: 100) {
    edges { node { id name displayName description } } } } }"""

VIEW = """query ViewById($id: ID!) { view(id: $id) { id name type } }"""

# The W&B app saves a report's draft as a child of the published report (REPORT.md 3).
UPSERT_DRAFT = """mutation UpsertDraft($entityName: String, $projectName: String, $name: String,
  $displayName: String, $spec: String, $parentId: ID) {
  upsertView(input: {entityName: $entityName, projectName: $projectName, name: $name,
    displayName: $displayName, type: "runs/draft", spec: $spec, parentId: $parentId}) {
    view { id name } inserted } }"""


def workspace_name() -> str:
    return f"nw-{secrets.token_hex(6)[:11]}-v"


def upsert(target: Target, name: str, view_type: str = WORKSPACE, **fields: Any) -> dict[str, Any]:
    """An id-less upsertView (a create), as wandb-workspaces' `Workspace.save()` sends it."""
    variables = {
        "entityName": target.entity,
        "projectName": target.project,
        "type": view_type,
        "name": name,
        "displayName": fields.get("displayName", name),
        "description": fields.get("description", ""),
        "spec": json.dumps(fields.get("spec", {})),
        **({"id": fields["id"]} if "id" in fields else {}),
    }
    view: dict[str, Any] = target.graphql(UPSERT_VIEW, variables)["upsertView"]["view"]
    return view


def named(target: Target, name: str, view_type: str = WORKSPACE) -> list[dict[str, Any]]:
    data = target.graphql(
        VIEWS_NAMED,
        {
            "entityName": target.entity,
            "projectName": target.project,
            "viewType": view_type,
            "viewName": name,
        },
    )
    return [edge["node"] for edge in data["project"]["allViews"]["edges"]]


def view_number(view_id: str) -> int | None:
    """`n` of a view id `base64("View:<n>")`, else None."""
    try:
        text = base64.b64decode(view_id + "=" * (-len(view_id) % 4)).decode()
    except ValueError:
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "View" and number.isdigit() else None


def test_upsert_by_name(target: Target) -> None:
    name = workspace_name()
    first = upsert(target, name, displayName="first save")
    second = upsert(target, name, displayName="second save")  # no id: a create, again
    views = named(target, name)
    if target.expect_view_upsert == "by-name":
        assert second["id"] == first["id"] and len(views) == 1, (
            "W&B does not upsert by name: an upsertView without an id, under a name a view of "
            f"the project already has, made another view ({len(views)} views named {name}); "
            "reportgen stays duplicate-free (README), and the sandbox models this server with "
            "--view-upsert insert"
        )
        assert views[0]["displayName"] == "second save"
    else:
        assert second["id"] != first["id"] and len(views) == 2, (
            "W&B upserts by name: an upsertView without an id updated the view of that name"
        )


def test_view_keeps_the_name_it_was_given(target: Target) -> None:
    for view_type, name in ((WORKSPACE, workspace_name()), (REPORT, f"rg{secrets.token_hex(5)}")):
        saved = upsert(target, name, view_type)
        assert saved["name"] == name, (
            f"W&B renamed a new {view_type} view from {name!r} to {saved['name']!r}: the names "
            "apply gives views (to tell its own copies from others') do not hold"
        )
        assert [v["id"] for v in named(target, name, view_type)] == [saved["id"]]


def test_view_ids_count_up(target: Target) -> None:
    earlier = upsert(target, workspace_name())
    later = upsert(target, workspace_name())
    numbers = [view_number(earlier["id"]), view_number(later["id"])]
    assert None not in numbers, f"view ids are not base64('View:<n>'): {earlier['id']!r}"
    assert numbers[0] is not None and numbers[1] is not None
    assert numbers[1] > numbers[0], (
        f"a view saved later has the lower id ({numbers}): the oldest copy of a key is not the "
        "one with the lowest id, and racing applies may print a deleted copy's URL"
    )


def test_view_ids_are_never_reused(target: Target) -> None:
    upsert(target, workspace_name())
    newest = upsert(target, workspace_name())
    deleted = target.graphql(DELETE_VIEW, {"id": newest["id"], "deleteDrafts": True})
    assert deleted["deleteView"]["success"] is True
    later = upsert(target, workspace_name())
    assert later["id"] != newest["id"], (
        f"a new view got the id {later['id']} of a deleted one: a client holding the old id "
        "(a racing apply deleting an extra copy) would delete the new view"
    )


def test_delete_view_keeps_a_report_with_pending_drafts(target: Target) -> None:
    report = upsert(target, f"rg{secrets.token_hex(5)}", REPORT, spec={"version": 5})
    draft = target.graphql(
        UPSERT_DRAFT,
        {
            "entityName": target.entity,
            "projectName": target.project,
            "name": f"rg{secrets.token_hex(5)}",
            "displayName": "draft",
            "spec": json.dumps({"version": 5}),
            "parentId": report["id"],
        },
    )["upsertView"]["view"]

    kept = target.graphql(DELETE_VIEW, {"id": report["id"], "deleteDrafts": False})["deleteView"]
    assert kept == {"success": False, "pendingDrafts": True, "__typename": "DeleteViewPayload"}, (
        f"deleteView without deleteDrafts on a report with a draft answered {kept}"
    )
    assert target.graphql(VIEW, {"id": report["id"]})["view"] is not None

    gone = target.graphql(DELETE_VIEW, {"id": report["id"], "deleteDrafts": True})["deleteView"]
    assert gone["success"] is True
    for view in (report, draft):
        assert target.graphql(VIEW, {"id": view["id"]})["view"] is None, (
            "deleteView with deleteDrafts left the report or its draft behind"
        )


def test_parameter_importance_target_key_is_a_bare_summary_key(runs: Target) -> None:
    """The panel's `targetKey` is the summary key as logged (`accuracy`), kept as saved.

    Only the W&B app draws the panel; what the API shows of it is pinned here: the server
    keeps the key verbatim and the runs' summaries carry the metric under that key.
    """
    import wandb_workspaces.reports.v2 as wr
    import wandb_workspaces.workspaces as ws

    saved = ws.Workspace(
        entity=runs.entity,
        project=runs.project,
        name="importance",
        sections=[
            ws.Section(name="s", panels=[wr.ParameterImportancePlot(with_respect_to="accuracy")])
        ],
    )
    saved.save()
    panel = ws.Workspace.from_url(saved.url).sections[0].panels[0]
    assert isinstance(panel, wr.ParameterImportancePlot)
    assert panel.with_respect_to == "accuracy"
    api = runs.api()
    ranked = api.runs(
        runs.path,
        filters={"display_name": {"$in": ["imp-low", "imp-high"]}},
        order="-summary_metrics.accuracy",
    )
    assert [(r.name, r.summary["accuracy"]) for r in ranked] == [
        ("imp-high", 0.9),
        ("imp-low", 0.5),
    ]
