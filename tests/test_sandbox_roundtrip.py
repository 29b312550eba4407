"""Every compiled spec and example, saved through wandb-workspaces' public ``save()`` to the
sandbox over HTTP, is stored as compiled and loads back with ``from_url`` unchanged.

Three views of one object must agree after normalisation: the spec reportgen compiled (what
``build`` writes and ``apply`` sends), the spec the sandbox stored from the library's
``save()`` (read back with GraphQL), and the spec of the object the library loads with
``from_url`` (its ``_to_model()``), but for the library's load losses, listed and explained
in ``tests/fidelity/losses.py``. Saving also proves that ``viewspec.report_spec``, which
serialises reports without the library's per-run-set project lookup, agrees with the
library's own serialisation (which does the lookup, REPORT.md 1.3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wandb

# wandb_workspaces.workspaces must be imported before the rest of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip
import wandb_workspaces.reports.v2 as wr
from fidelity.losses import as_reloaded

from reportgen.commands.build import BuiltView, build_views
from reportgen.compile.normalize import normalize
from reportgen.remote.identity import workspace_url
from reportgen.sandbox import Sandbox
from reportgen.spec.files import iter_spec_files

REPO = Path(__file__).resolve().parents[1]
# every spec and example, and the validation suite's cases that use every workspace and
# report field (run colours, hidden and pinned runs, a baseline, other projects' run sets)
SOURCES = [
    *iter_spec_files([REPO / "specs", REPO / "examples"]),
    REPO / "tests" / "cases" / "valid" / "workspace-full.yaml",
    REPO / "tests" / "cases" / "valid" / "report-every-block.yaml",
]
Json = dict[str, Any]

STORED = """query($id: ID!) { view(id: $id) {
  id name type displayName description entityName projectName spec } }"""


@pytest.fixture
def sb(sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Sandbox:
    use_sandbox(sandbox)
    return sandbox


def stored(sb: Sandbox, view_id: str) -> Json:
    """The view as the sandbox stored it, read with its own GraphQL endpoint."""
    result = sb.graphql(STORED, {"id": view_id})
    assert result.status == 200, result.json
    node: Json = result.json["data"]["view"]
    node["spec"] = json.loads(node["spec"])
    return node


def library_spec(obj: ws.Workspace | wr.Report) -> Json:
    spec: Json = json.loads(obj._to_model().spec.model_dump_json(by_alias=True, exclude_none=True))
    return spec


def save(view: BuiltView) -> tuple[str, str]:
    """Save the compiled object with the library's public save(); return (view id, URL)."""
    obj = view.compiled
    if isinstance(obj, wr.Report):
        # Report.save() looks up every run set's project before anything else (REPORT 1.3)
        api = wandb.Api()
        api.create_project(view.view.project, view.view.entity)
        for block in obj.blocks:
            if isinstance(block, wr.PanelGrid):
                for runset in block.runsets:
                    api.create_project(runset.project, runset.entity)
        obj.save()
        return str(obj.id), str(obj.url)
    obj.save()
    return str(obj._internal_id), workspace_url(obj)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_saved_with_the_library_and_loaded_back(path: Path, sb: Sandbox) -> None:
    views = build_views([path], environ={"WANDB_ENTITY": sb.entity, "WANDB_PROJECT": "cases"})
    assert views
    for view in views:
        compiled = normalize(view.spec(), view.view_type)
        view_id, url = save(view)

        node = stored(sb, view_id)
        assert node["type"] == view.view_type
        assert (node["entityName"], node["projectName"]) == (view.view.entity, view.view.project)
        assert node["displayName"] == view.view.title
        if view.kind == "report":
            assert node["description"] == view.view.description
            # the run sets carry the project's internal id, which build leaves out (REPORT 1.3)
            for grid in (b for b in node["spec"]["blocks"] if b["type"] == "panel-grid"):
                for runset in grid["metadata"]["runSets"]:
                    assert runset["project"].pop("id")
        # the same object: the same ids, so the very same JSON
        assert node["spec"] == view.spec(), view.key
        assert normalize(node["spec"], view.view_type) == compiled

        loaded = (ws.Workspace if view.kind == "workspace" else wr.Report).from_url(url)
        if isinstance(loaded, wr.Report):
            assert (loaded.title, loaded.description) == (view.view.title, view.view.description)
        else:
            assert loaded.name == view.view.title
        reloaded = normalize(library_spec(loaded), view.view_type)
        assert reloaded == normalize(as_reloaded(view.spec(), view.view_type), view.view_type)
