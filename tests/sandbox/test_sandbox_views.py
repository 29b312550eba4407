"""Views saved through wandb-workspaces' public API are stored faithfully (REPORT.md 1.2-1.4, 3)."""

from __future__ import annotations

import json
from typing import Any

import wandb
import wandb_workspaces.reports.v2 as wr
import wandb_workspaces.workspaces as ws
from wandb_workspaces._graphql import execute_graphql
from wandb_workspaces.reports.v2 import gql

from reportgen.remote.identity import workspace_url
from reportgen.sandbox import Sandbox

PROJECT = "views"
SPEC = "query V($id: ID!) { view(id: $id) { spec type name displayName description } }"
LIST = """query L($e: String!, $p: String!, $t: String, $first: Int, $after: String) {
  project(name: $p, entityName: $e) { allViews(viewType: $t, first: $first, after: $after) {
    edges { node { id displayName } cursor } pageInfo { endCursor hasNextPage } } } }"""


def _view(sb: Sandbox, view_id: str) -> dict[str, Any]:
    result = sb.graphql(SPEC, {"id": view_id})
    return dict(result.json["data"]["view"] or {})


def _workspace(sb: Sandbox) -> ws.Workspace:
    return ws.Workspace(
        entity=sb.entity,
        project=PROJECT,
        name="Leaderboard",
        sections=[
            ws.Section(name="Curves", panels=[wr.LinePlot(x="Step", y=["accuracy"])], is_open=True)
        ],
        runset_settings=ws.RunsetSettings(filters="Config('dataset') == 'CIFAR-10'"),
    )


def test_workspace_round_trip_keeps_the_spec_identical(sb: Sandbox) -> None:
    workspace = _workspace(sb)
    workspace.save()
    stored = _view(sb, workspace._internal_id)
    assert stored["type"] == "project-view" and stored["displayName"] == "Leaderboard"
    assert "version" not in json.loads(stored["spec"])  # from_url would refuse it (REPORT.md 5.3)

    loaded = ws.Workspace.from_url(workspace_url(workspace))
    assert loaded.name == "Leaderboard"
    sb.reset_stats()
    loaded.save()
    assert loaded._internal_id == workspace._internal_id
    assert _view(sb, workspace._internal_id)["spec"] == stored["spec"]
    assert sb.stats()["write_operations"] == {"UpsertView2": 1}


def test_report_round_trip_keeps_the_spec_identical(sb: Sandbox) -> None:
    # A runset's project must exist before the report is built, as on wandb.ai.
    wandb.Api().create_project(PROJECT, sb.entity)
    report = wr.Report(
        entity=sb.entity,
        project=PROJECT,
        title="Results",
        description="desc",
        blocks=[
            wr.H1("Results"),
            wr.P("Some text"),
            wr.PanelGrid(
                runsets=[wr.Runset(entity=sb.entity, project=PROJECT)],
                panels=[wr.LinePlot(x="Step", y=["accuracy"])],
            ),
        ],
    )
    report.save()
    stored = _view(sb, report.id)
    assert (stored["type"], stored["displayName"], stored["description"]) == (
        "runs",
        "Results",
        "desc",
    )

    loaded = wr.Report.from_url(report.url)
    assert loaded.title == "Results"
    loaded.save()
    assert loaded.id == report.id
    assert _view(sb, report.id)["spec"] == stored["spec"]


def test_spec_is_stored_byte_for_byte_and_partial_updates_keep_other_fields(sb: Sandbox) -> None:
    odd = '{"b": 1,   "a": [1, 2.50], "version": 5,"u": "\\u00e9"}'
    created = sb.graphql(
        'mutation($s: String) { upsertView(input: {entityName: "sandbox", projectName: "p", '
        'name: "n1", displayName: "Title", description: "d", type: "runs", spec: $s}) '
        "{ view { id spec } inserted } }",
        {"s": odd},
    ).json["data"]["upsertView"]
    assert created["inserted"] is True and created["view"]["spec"] == odd
    # The UI edits drafts with only {id, spec}: everything else must stay (REPORT.md 3).
    updated = sb.graphql(
        "mutation($id: ID, $s: String) { upsertView(input: {id: $id, spec: $s}) { view { id } inserted } }",
        {"id": created["view"]["id"], "s": "{}"},
    ).json["data"]["upsertView"]
    assert updated == {"view": {"id": created["view"]["id"]}, "inserted": False}
    view = _view(sb, created["view"]["id"])
    assert (view["spec"], view["name"], view["displayName"], view["description"]) == (
        "{}",
        "n1",
        "Title",
        "d",
    )


def test_upsert_of_a_missing_id_is_an_error(sb: Sandbox) -> None:
    result = sb.graphql(
        'mutation { upsertView(input: {id: "VmlldzoxMjM0NQ==", spec: "{}"}) { inserted } }'
    )
    assert "not found" in result.json["errors"][0]["message"]


def test_reports_list_paginates_and_hides_drafts_and_workspaces(sb: Sandbox) -> None:
    for i in range(5):
        wr.Report(entity=sb.entity, project=PROJECT, title=f"Report {i}").save()
    wr.Report(entity=sb.entity, project=PROJECT, title="Draft").save(draft=True)
    _workspace(sb).save()
    titles = [r.display_name for r in wandb.Api().reports(f"{sb.entity}/{PROJECT}", per_page=2)]
    assert titles == [f"Report {i}" for i in range(5)]

    page = sb.graphql(LIST, {"e": sb.entity, "p": PROJECT, "t": "runs", "first": 2}).json["data"]
    conn = page["project"]["allViews"]
    assert len(conn["edges"]) == 2 and conn["pageInfo"]["hasNextPage"] is True
    rest = sb.graphql(
        LIST, {"e": sb.entity, "p": PROJECT, "t": "runs", "after": conn["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["displayName"] for e in rest.json["data"]["project"]["allViews"]["edges"]] == [
        "Report 2", "Report 3", "Report 4",
    ]  # fmt: skip
    drafts = sb.graphql(LIST, {"e": sb.entity, "p": PROJECT, "t": "runs/draft"}).json["data"]
    assert [e["node"]["displayName"] for e in drafts["project"]["allViews"]["edges"]] == ["Draft"]


def test_delete_removes_the_report_and_its_drafts(sb: Sandbox) -> None:
    report = wr.Report(entity=sb.entity, project=PROJECT, title="Doomed")
    report.save()
    draft = sb.graphql(
        'mutation($p: ID) { upsertView(input: {entityName: "sandbox", projectName: "views", '
        'type: "runs/draft", parentId: $p, spec: "{}"}) { view { id parentId } } }',
        {"p": report.id},
    ).json["data"]["upsertView"]["view"]
    assert draft["parentId"] == report.id
    assert report.delete() is True
    assert _view(sb, report.id) == {} and _view(sb, draft["id"]) == {}


def test_share_links(sb: Sandbox) -> None:
    report = wr.Report(entity=sb.entity, project=PROJECT, title="Shared")
    report.save()
    link = report.enable_share_link()
    assert report.enable_share_link() == link  # the active token is found again
    assert report.disable_share_link() is True
    tokens = execute_graphql(wandb.Api(), gql.view_access_tokens, {"reportId": report.id})
    (token,) = tokens["view"]["accessTokens"]
    assert token["revokedAt"] is not None and token["projects"] == [
        {"entityName": sb.entity, "name": PROJECT}
    ]


def test_report_save_creates_its_project_with_strict_shapes(sb: Sandbox) -> None:
    wr.Report(entity=sb.entity, project="brand-new", title="First").save()
    assert sb.stats()["write_operations"] == {"CreateProject": 1, "upsertView": 1}
    projects = [p.name for p in wandb.Api().projects(sb.entity)]
    assert projects == ["brand-new"]
    internal = sb.graphql(
        'query { project(name: "brand-new", entityName: "sandbox") { id internalId } }'
    ).json["data"]["project"]
    assert internal["id"] == "UHJvamVjdDox" and internal["internalId"] == "1"
