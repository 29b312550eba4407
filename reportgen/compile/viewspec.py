"""The spec JSON W&B stores for a compiled object, as wandb-workspaces serialises it.

Workspaces serialise without the network. Reports do not: the library looks up the
internal id of every run set's project inside `Runset._to_model()` (REPORT.md 1.3), one
request per run set. We serialise a shadow copy whose run sets carry no project, then set
each run set's project ourselves from ids resolved once per project by the caller (or
none, for `build`: normalisation ignores the id).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import wandb_workspaces.reports.v2 as wr
import wandb_workspaces.workspaces as ws
from wandb_workspaces.reports.v2 import internal as report_internal

from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE

ProjectIds = Callable[[str, str], "str | None"]


def view_type(obj: ws.Workspace | wr.Report) -> str:
    return WORKSPACE_TYPE if isinstance(obj, ws.Workspace) else REPORT_TYPE


def workspace_spec(workspace: ws.Workspace) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(
        workspace._to_model().spec.model_dump_json(by_alias=True, exclude_none=True)
    )
    return spec


def report_spec(report: wr.Report, project_id: ProjectIds | None = None) -> dict[str, Any]:
    shadow = copy.copy(report)
    targets: list[list[tuple[str, str]]] = []
    blocks = []
    for block in report.blocks:
        if isinstance(block, wr.PanelGrid):
            grid = copy.copy(block)
            runsets = []
            for runset in block.runsets:
                twin = copy.copy(runset)
                object.__setattr__(twin, "entity", "")
                object.__setattr__(twin, "project", "")
                runsets.append(twin)
            object.__setattr__(grid, "runsets", runsets)
            targets.append([(r.entity, r.project) for r in block.runsets])
            blocks.append(grid)
        else:
            blocks.append(block)
    object.__setattr__(shadow, "blocks", blocks)
    model = shadow._to_model()
    grids = [b for b in model.spec.blocks if isinstance(b, report_internal.PanelGrid)]
    for grid_model, projects in zip(grids, targets, strict=True):
        for runset_model, (entity, project) in zip(
            grid_model.metadata.run_sets, projects, strict=True
        ):
            pid = project_id(entity, project) if project_id else None
            runset_model.project = report_internal.Project(entity_name=entity, name=project, id=pid)
    spec: dict[str, Any] = json.loads(model.spec.model_dump_json(by_alias=True, exclude_none=True))
    return spec


def view_spec(
    obj: ws.Workspace | wr.Report, project_id: ProjectIds | None = None
) -> dict[str, Any]:
    """The spec of a compiled object, as the JSON object W&B stores."""
    if isinstance(obj, ws.Workspace):
        return workspace_spec(obj)
    return report_spec(obj, project_id)
