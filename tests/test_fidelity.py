"""Fidelity: what reportgen compiles is what a W&B user would build with wandb-workspaces.

* Every spec and example has a hand-written twin (``tests/fidelity/twins.py``); compiled YAML
  and twin give the same normalised spec, and indeed the same JSON but for random ids. Twins
  are serialised by the library itself, as its ``save()`` does; for reports that looks up
  each run set's project over HTTP (REPORT 1.3), so those tests use the sandbox.
* Every compiled spec (specs, examples, the validation suite's valid cases and the trap
  cases of ``tests/test_traps.py``) loads with the library's own models and survives the
  library's load -> save unchanged, but for its known load losses (``fidelity/losses.py``).

REPORT.md is ``../shared/wandb-wire/REPORT.md``, the wire study of wandb 0.31.0 and
wandb-workspaces 0.4.13.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import wandb

# wandb_workspaces.workspaces must be imported before the rest of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip
import wandb_workspaces.reports.v2 as wr
from fidelity import twins
from fidelity.losses import as_reloaded
from fidelity.traps import ENTITY, build_documents, trap_cases
from wandb_workspaces.reports.v2 import internal as report_internal
from wandb_workspaces.workspaces import internal as workspace_internal

from reportgen.commands.build import BuiltView, build_views, output_name
from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE, id_translation, normalize
from reportgen.compile.viewspec import report_spec, workspace_spec
from reportgen.sandbox import Sandbox
from reportgen.spec.files import iter_spec_files

REPO = Path(__file__).resolve().parents[1]
SOURCES = list(iter_spec_files([REPO / "specs", REPO / "examples"]))
Json = dict[str, Any]


def source_id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def twin_name(path: Path) -> str:
    return "twin_" + re.sub(r"\W", "_", path.stem)


@cache
def built(path: Path) -> dict[str, BuiltView]:
    views = build_views([path], environ={"WANDB_ENTITY": ENTITY})
    return {output_name(v).removesuffix(".json"): v for v in views}


def library_spec(obj: ws.Workspace | wr.Report) -> Json:
    """The spec exactly as the library's own save() serialises it (REPORT 1.2, 1.3).

    For a report this looks up every run set's project: it needs a W&B server.
    """
    spec: Json = json.loads(obj._to_model().spec.model_dump_json(by_alias=True, exclude_none=True))
    return spec


def view_fields(obj: ws.Workspace | wr.Report) -> Json:
    """What a view holds beside its spec. The library sends no workspace description."""
    if isinstance(obj, ws.Workspace):
        return {"entity": obj.entity, "project": obj.project, "displayName": obj.name}
    return {
        "entity": obj.entity,
        "project": obj.project,
        "displayName": obj.title,
        "description": obj.description,
    }


def built_fields(view: BuiltView) -> Json:
    fields = {"entity": view.view.entity, "project": view.view.project}
    fields["displayName"] = view.view.title
    if view.kind == "report":
        fields["description"] = view.view.description
    return fields


@pytest.fixture
def online(sandbox: Sandbox, use_sandbox: Callable[[Sandbox], None]) -> Sandbox:
    """The session sandbox, for the library's report serialisation (one lookup per run set)."""
    use_sandbox(sandbox)
    return sandbox


def ensure_projects(report: wr.Report) -> None:
    api = wandb.Api()
    for block in report.blocks:
        if isinstance(block, wr.PanelGrid):
            for runset in block.runsets:
                api.create_project(runset.project, runset.entity)


# --- twins ----------------------------------------------------------------------------------


def test_every_spec_and_example_has_a_twin() -> None:
    assert any(p.parent.name == "examples" for p in SOURCES), "no examples found"
    wanted = {twin_name(p): source_id(p) for p in SOURCES}
    assert len(wanted) == len(SOURCES), "two sources map to one twin name"
    missing = sorted(
        f"{name} for {src}" for name, src in wanted.items() if not hasattr(twins, name)
    )
    assert not missing, f"write a hand-made twin in tests/fidelity/twins.py: {missing}"
    stale = sorted(n for n in vars(twins) if n.startswith("twin_") and n not in wanted)
    assert not stale, f"twins without a spec or example: {stale}"


@pytest.mark.parametrize("path", SOURCES, ids=source_id)
def test_twin_compiles_to_the_same_spec(path: Path, online: Sandbox) -> None:
    make = getattr(twins, twin_name(path), None)
    if make is None:
        pytest.fail(f"{source_id(path)} has no twin {twin_name(path)} in tests/fidelity/twins.py")
    made = make(ENTITY)
    compiled = built(path)
    assert sorted(made) == sorted(compiled)
    for name, twin in made.items():
        view = compiled[name]
        assert view_fields(twin) == built_fields(view), name
        if isinstance(twin, wr.Report):
            ensure_projects(twin)
        theirs, ours = library_spec(twin), view.spec()
        assert normalize(ours, view.view_type) == normalize(theirs, view.view_type), name
        # stronger: the very JSON, but for the random ids and the project's internal id
        assert ours == with_ids_of(ours, theirs, view.view_type), name


def with_ids_of(ours: Json, theirs: Json, view_type: str) -> Json:
    """``theirs`` with the random panel and run set ids of ``ours`` at the same places (REPORT
    2), and without the run sets' project ids (build sends none, REPORT 1.3)."""
    table = id_translation(theirs, ours, view_type)

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return table.get(value, value) if isinstance(value, str) else value

    swapped: Json = swap(theirs)
    for block in swapped.get("blocks", []):
        for runset in block.get("metadata", {}).get("runSets", []):
            runset["project"].pop("id", None)
    return swapped


# --- the library's own models accept every compiled spec --------------------------------------


# The validation suite's valid cases use every field of the spec language once.
# passthrough.yaml carries view JSON the library's models do not know (what pull keeps for
# views made in the app): loading it with them drops exactly that, by design.
VALID_CASES = [
    p for p in iter_spec_files([REPO / "tests" / "cases" / "valid"]) if p.name != "passthrough.yaml"
]
CASE_ENVIRON = {"WANDB_ENTITY": ENTITY, "WANDB_PROJECT": "cases"}


def compiled_cases() -> Iterator[Any]:
    for path in SOURCES:
        yield pytest.param(lambda path=path: list(built(path).values()), id=source_id(path))
    for path in VALID_CASES:
        yield pytest.param(
            lambda path=path: build_views([path], environ=CASE_ENVIRON), id=source_id(path)
        )
    for name, documents in trap_cases():
        yield pytest.param(lambda docs=documents: build_documents(docs), id=f"trap:{name}")


def without_parse_artifacts(value: Any) -> Any:
    """Drop ``inlineComments: []``, which the library's wire model writes into heading text it
    parses (``internal.Text.model_validate`` sets an empty list, ``model_dump_json`` keeps it);
    its own ``_to_model()`` never writes it, so an echo or a reload still matches."""
    if isinstance(value, dict):
        return {
            k: without_parse_artifacts(v)
            for k, v in value.items()
            if not (k == "inlineComments" and v == [])
        }
    if isinstance(value, list):
        return [without_parse_artifacts(v) for v in value]
    return value


@pytest.mark.parametrize("make", list(compiled_cases()))
def test_compiled_specs_load_with_the_library_models(make: Callable[[], list[BuiltView]]) -> None:
    """Each spec validates as the library's wire model and dumps back byte for byte (nothing
    unknown dropped, nothing added); `_from_model` accepts it and the loaded object serialises
    to the same spec, but for the library's load losses (REPORT 5.1, ``fidelity/losses.py``).

    Reports are validated as the library validates the upsert echo: a ReportViewspec whose
    spec is the JSON string (REPORT 1.3).
    """
    for view in make():
        spec = view.spec()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Spec.parse_block warns and keeps a raw dict
            if view.view_type == WORKSPACE_TYPE:
                model = workspace_internal.WorkspaceViewspec.model_validate(spec)
                dumped = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
                assert dumped == spec
                loaded = ws.Workspace._from_model(
                    workspace_internal.View(
                        entity=view.view.entity,
                        project=view.view.project,
                        display_name=view.view.title,
                        name="nw-fidelity-v",
                        id="",
                        spec=model,
                    )
                )
                assert loaded.name == view.view.title
                again = workspace_spec(loaded)
            else:
                echo = report_internal.ReportViewspec.model_validate(
                    {
                        "id": "VmlldzoxMjM=",
                        "name": "x",
                        "displayName": view.view.title,
                        "description": view.view.description,
                        "project": {"entityName": view.view.entity, "name": view.view.project},
                        "spec": json.dumps(spec),
                    }
                )
                dumped = json.loads(echo.spec.model_dump_json(by_alias=True, exclude_none=True))
                assert without_parse_artifacts(dumped) == spec
                assert report_internal.Spec.model_validate(spec) == echo.spec
                loaded = wr.Report._from_model(echo)
                assert (loaded.title, loaded.description) == (
                    view.view.title,
                    view.view.description,
                )
                again = report_spec(loaded)
        expected = as_reloaded(spec, view.view_type)  # the library's own load losses
        assert normalize(again, view.view_type) == normalize(expected, view.view_type)
        assert view.view_type in (WORKSPACE_TYPE, REPORT_TYPE)
