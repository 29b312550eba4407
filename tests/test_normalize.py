"""Tests for reportgen.compile.normalize: the canonical form of W&B view specs.

Each equivalence rule has a test whose name or docstring cites the section of the wire study
(``wandb-wire/REPORT.md``) it comes from. Specs are built in-process with wandb-workspaces (no
network: report runsets carry no entity/project, see REPORT 1.3).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# wandb_workspaces.workspaces must be imported before anything else of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip
import wandb_workspaces.reports.v2 as wr
from wandb_workspaces import expr
from wandb_workspaces.reports.v2 import internal as report_internal
from wandb_workspaces.workspaces import internal as workspace_internal

from reportgen.compile.normalize import (
    canonical_json,
    id_translation,
    normalize,
    spec_hash,
    stable_ids,
)

WS = "project-view"
REPORT = "runs"
P: dict[str, Any] = {"type": "paragraph", "children": [{"text": ""}]}


# --- helpers -------------------------------------------------------------------------------


def _ws_spec(w: ws.Workspace) -> dict[str, Any]:
    spec: dict[str, Any] = w._to_model().spec.model_dump(by_alias=True, exclude_none=True)
    return spec


def _report_spec(r: wr.Report) -> dict[str, Any]:
    spec: dict[str, Any] = r._to_model().spec.model_dump(by_alias=True, exclude_none=True)
    return spec


def _workspace(
    *,
    title: str = "Accuracy",
    lr: float = 0.001,
    y: str = "acc",
    swap_panels: bool = False,
    swap_sections: bool = False,
    pinned: tuple[str, ...] = ("summary:acc", "config:lr.value"),
) -> ws.Workspace:
    panels = [wr.LinePlot(x="Step", y=[y], title=title), wr.BarPlot(metrics=["loss"])]
    sections = [
        ws.Section(name="Curves", panels=panels[::-1] if swap_panels else panels),
        ws.Section(name="Scalars", panels=[wr.ScalarChart(metric="acc")], is_open=False),
    ]
    return ws.Workspace(
        entity="ent",
        project="proj",
        name="Leaderboard",
        sections=sections[::-1] if swap_sections else sections,
        runset_settings=ws.RunsetSettings(
            filters=expr.And(expr.Config("dataset") == "CIFAR-10", expr.Summary("acc") >= lr),
            order=[expr.Ordering(expr.Summary("acc"), ascending=False)],
            groupby=[expr.Config("dataset")],
            pinned_columns=list(pinned),
            group_colors={"CIFAR-10": "#ff0000"},  # puts the runset id into a colour key
        ),
    )


def _report(
    *,
    title: str = "Accuracy",
    lr: float = 0.001,
    y: str = "acc",
    swap_panels: bool = False,
    width: int = 150,
) -> wr.Report:
    runset = wr.Runset(
        name="All runs",
        filters=f"Config('lr') >= {lr} and State = 'finished'",
        groupby=["config.dataset"],
        order=[wr.OrderBy(wr.SummaryMetric("acc"), ascending=False)],
        pinned_columns=["summary:acc"],
        column_widths={"summary:acc": width},
    )
    panels = [wr.LinePlot(y=[y], title=title), wr.BarPlot(metrics=["loss"])]
    group = wr.RunsetGroup(
        runset_name="All runs", keys=(wr.RunsetGroupKey(wr.Config("dataset"), "cifar"),)
    )
    grid = wr.PanelGrid(
        runsets=[runset],
        panels=panels[::-1] if swap_panels else panels,
        custom_run_colors={group: "#00ff00"},
    )
    return wr.Report(
        project="proj", entity="ent", title="T", blocks=[wr.H1("Results"), wr.P("Text"), grid]
    )


def _runset_ws(**runset: Any) -> dict[str, Any]:
    """A minimal workspace spec around one runset."""
    return {"section": {"runSets": [{"id": "", **runset}], "customRunColors": {}}}


def _runset_report(**runset: Any) -> dict[str, Any]:
    """A minimal report spec with one panel grid around one runset."""
    grid = {"type": "panel-grid", "children": [{"text": ""}], "metadata": {"runSets": [runset]}}
    return {"version": 5, "blocks": [P, grid, P]}


def _filters(*items: dict[str, Any]) -> dict[str, Any]:
    return {"filterFormat": "filterV2", "filters": list(items)}


def _leaf(section: str, name: str, op: str = "=", value: Any = 1, **extra: Any) -> dict[str, Any]:
    return {"key": {"section": section, "name": name}, "op": op, "value": value, **extra}


def _same(a: dict[str, Any], b: dict[str, Any], view_type: str) -> bool:
    return normalize(a, view_type) == normalize(b, view_type)


@functools.cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _wire_specs(wire_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    ex, fx = wire_dir / "examples", wire_dir / "fixtures"
    specs: list[tuple[str, dict[str, Any]]] = []
    for pair, view_type in (("two_workspace_saves", WS), ("two_report_saves", REPORT)):
        specs += [(view_type, s) for s in _load(ex / f"{pair}.json").values()]
    specs.append((WS, _load(ex / "workspace_spec_example.json")))
    specs.append((REPORT, _load(ex / "report_spec_example.json")))
    specs.append((WS, _load(fx / "ui_like_workspace_spec.json")))
    specs.append((REPORT, _load(fx / "ui_like_report_spec.json")))
    return specs


# --- the public contract -------------------------------------------------------------------


def test_wire_pairs_normalise_equal(wire_dir: Path) -> None:
    """REPORT 2: two separately built identical objects differ only in random ids."""
    for name, view_type in (("two_workspace_saves", WS), ("two_report_saves", REPORT)):
        a, b = _load(wire_dir / "examples" / f"{name}.json").values()
        assert a != b
        assert normalize(a, view_type) == normalize(b, view_type)
        assert spec_hash(a, view_type) == spec_hash(b, view_type)


def test_built_twice_normalise_equal() -> None:
    """REPORT 2: random panel ids, runset ids and the ids inside colour keys are ignored."""
    a, b = _ws_spec(_workspace()), _ws_spec(_workspace())
    assert a != b
    assert spec_hash(a, WS) == spec_hash(b, WS)
    ra, rb = _report_spec(_report()), _report_spec(_report())
    assert ra != rb
    assert spec_hash(ra, REPORT) == spec_hash(rb, REPORT)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Loss"},
        {"lr": 0.01},
        {"y": "loss"},
        {"swap_panels": True},
        {"swap_sections": True},
        {"pinned": ("summary:acc",)},
    ],
    ids=str,
)
def test_meaningful_workspace_change_differs(change: dict[str, Any]) -> None:
    assert spec_hash(_ws_spec(_workspace()), WS) != spec_hash(_ws_spec(_workspace(**change)), WS)


@pytest.mark.parametrize(
    "change",
    [{"title": "Loss"}, {"lr": 0.01}, {"y": "loss"}, {"swap_panels": True}, {"width": 151}],
    ids=str,
)
def test_meaningful_report_change_differs(change: dict[str, Any]) -> None:
    a, b = _report_spec(_report()), _report_spec(_report(**change))
    assert spec_hash(a, REPORT) != spec_hash(b, REPORT)


def test_canonical_json_format() -> None:
    assert canonical_json({"b": 1, "a": ["é"]}) == '{\n  "a": [\n    "é"\n  ],\n  "b": 1\n}\n'


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-05, 1e-09, 0.0001, 1e16, -0.0, 5e-324])
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES)
def test_canonical_json_is_the_text_json_dumps_writes(value: Any) -> None:
    """orjson writes it; the bytes are json.dumps' (golden files and digests depend on them)."""
    expected = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert canonical_json(value) == expected


def test_canonical_json_falls_back_where_orjson_differs() -> None:
    for value in ({"lr": 1e-05}, {1: "a"}, [2**65], {"x": "\ud800"}, {"s": "1e-5"}):
        assert canonical_json(value) == (
            json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        )


def test_spec_hash_is_sha256_of_canonical_json() -> None:
    spec = _ws_spec(_workspace())
    text = canonical_json(normalize(spec, WS))
    assert spec_hash(spec, WS) == hashlib.sha256(text.encode()).hexdigest()


def test_module_does_not_import_wandb() -> None:
    code = "import sys, reportgen.compile.normalize; sys.exit('wandb' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_placeholders(wire_dir: Path) -> None:
    """REPORT 2: the placeholder names of the verified normaliser."""
    ui = normalize(_load(wire_dir / "fixtures" / "ui_like_workspace_spec.json"), WS)
    section = ui["section"]["panelBankConfig"]["sections"][0]
    assert section["__id__"] == "<section:0>"
    assert [p["__id__"] for p in section["panels"]] == ["<panel:0:0>", "<panel:0:1>"]
    assert ui["section"]["runSets"][0]["id"] == "<runset:0>"
    report = normalize(_report_spec(_report()), REPORT)
    meta = report["blocks"][3]["metadata"]
    assert [p["__id__"] for p in meta["panelBankSectionConfig"]["panels"]] == [
        "<grid:0:panel:0>",
        "<grid:0:panel:1>",
    ]
    assert meta["runSets"][0]["id"] == "<grid:0:runset:0>"
    assert list(meta["customRunColors"]) == ["<grid:0:runset:0>-config:dataset.value:cifar"]


# --- ids for apply -------------------------------------------------------------------------


def test_stable_ids_maps_placeholders_to_real_ids(wire_dir: Path) -> None:
    spec = _load(wire_dir / "fixtures" / "ui_like_workspace_spec.json")
    assert stable_ids(spec, WS) == {
        "<section:0>": "sec1",
        "<panel:0:0>": "p1",
        "<panel:0:1>": "p2",
        "<runset:0>": "yprlbpw0q",
    }
    assert stable_ids(_ws_spec(ws.Workspace(entity="e", project="p")), WS) == {}


def test_id_translation_lets_apply_keep_workspace_ids() -> None:
    """REPORT 7: copy the existing ids onto freshly built objects; they are sent verbatim."""
    remote = _ws_spec(_workspace())
    local = _workspace()
    table = id_translation(_ws_spec(local), remote, WS)
    for section in local.sections:
        for panel in section.panels:
            panel._id = table.get(panel._id, panel._id)
    local._internal_runset_id = stable_ids(remote, WS)["<runset:0>"]
    assert _ws_spec(local) == remote


def test_id_translation_lets_apply_keep_report_ids() -> None:
    remote = _report_spec(_report())
    local = _report()
    table = id_translation(_report_spec(local), remote, REPORT)
    grid = local.blocks[2]
    assert isinstance(grid, wr.PanelGrid)
    for item in [*grid.panels, *grid.runsets]:
        item._id = table.get(item._id, item._id)
    assert _report_spec(local) == remote


# --- ignored parts (REPORT 2) --------------------------------------------------------------


def test_rule_custom_panel_override_keys() -> None:
    """REPORT 2, 5.1: ``__custom_panel__:<panelId>`` keys and ``sectionId`` follow the ids."""

    def spec(panel_id: str, section_id: str) -> dict[str, Any]:
        bank = {
            "sections": [{"__id__": section_id, "panels": [{"__id__": panel_id, "isAuto": False}]}],
            "panelConfigOverrides": {f"__custom_panel__:{panel_id}": {"config": {"a": 1}}},
            "panelPlacementOverrides": {f"__custom_panel__:{panel_id}": {"sectionId": section_id}},
        }
        return {"section": {"panelBankConfig": bank}}

    out = normalize(spec("p1", "s1"), WS)["section"]["panelBankConfig"]
    assert out["panelPlacementOverrides"] == {
        "__custom_panel__:<panel:0:0>": {"sectionId": "<section:0>"}
    }
    assert _same(spec("p1", "s1"), spec("zz9", "s7"), WS)


def test_rule_workspace_run_color_group_keys() -> None:
    """REPORT 2: the runset id inside ``run-color-group:`` keys is ignored, the rest kept."""
    a, b = _ws_spec(_workspace()), _ws_spec(_workspace())
    assert a["section"]["customRunColors"] != b["section"]["customRunColors"]
    key = next(iter(normalize(a, WS)["section"]["customRunColors"]))
    assert key.startswith("run-color-group:%22%3Crunset%3A0%3E%22:")
    assert "CIFAR-10" in key


def test_rule_report_custom_run_colors_keys() -> None:
    """REPORT 2: report colour keys ``<runsetId>-<key>:<value>`` lose the runset id only."""
    a = _runset_report(id="abc", name="x")
    a["blocks"][1]["metadata"]["customRunColors"] = {"abc-config:d.value:x": "#1", "run1": "#2"}
    colors = normalize(a, REPORT)["blocks"][1]["metadata"]["customRunColors"]
    assert colors == {"<grid:0:runset:0>-config:d.value:x": "#1", "run1": "#2"}


def test_rule_refs_are_dropped() -> None:
    """REPORT 1.3, 2: ``ref`` / ``*Ref`` / ``*Refs`` objects go, by the library's own test."""
    ref = {"type": "panel", "viewID": "v", "id": "r"}
    not_a_ref = {"type": "panel", "id": "r"}  # no viewID
    spec = {"a": {"ref": ref, "panelRefs": [ref], "x": 1}, "otherRef": not_a_ref, "ref": "s"}
    assert normalize(spec, WS) == {"a": {"x": 1}, "otherRef": not_a_ref, "ref": "s"}


def test_rule_report_project_internal_id() -> None:
    """REPORT 1.3, 2, 7: ``runSets[].project.id`` is the environment's internalId."""
    a = _runset_report(project={"name": "p", "entityName": "e", "id": "40"})
    b = _runset_report(project={"name": "p", "entityName": "e", "id": "7"})
    c = _runset_report(project={"name": "q", "entityName": "e", "id": "40"})
    assert _same(a, b, REPORT)
    assert not _same(a, c, REPORT)


def test_rule_timestamps() -> None:
    """REPORT 7: ignore ``createdAt`` / ``updatedAt``."""
    assert normalize({"createdAt": "2024", "updatedAt": "2025", "x": 1}, REPORT) == {"x": 1}
    assert "createdAt" not in normalize({"createdAt": "2024"}, WS)


# --- unified spellings ---------------------------------------------------------------------


@pytest.mark.parametrize(("sdk", "ui"), [("lr", "lr.value"), ("opt.name", "opt.value.name")])
def test_rule_config_filter_key_value_suffix(sdk: str, ui: str) -> None:
    """REPORT 4.2: the SDK writes bare config filter keys, the UI ``.value``; the UI form wins."""
    a = _runset_ws(filters=_filters(_leaf("config", sdk)))
    b = _runset_ws(filters=_filters(_leaf("config", ui)))
    assert _same(a, b, WS)
    assert normalize(a, WS)["section"]["runSets"][0]["filters"]["filters"][0]["key"]["name"] == ui


def test_rule_config_filter_key_keeps_other_sections_and_flat_keys() -> None:
    """REPORT 4.2: only config keys carry the envelope; ``a.b.value`` (flat key) is not ``a.b``."""
    assert not _same(
        _runset_ws(filters=_filters(_leaf("summary", "acc"))),
        _runset_ws(filters=_filters(_leaf("summary", "acc.value"))),
        WS,
    )
    assert not _same(
        _runset_ws(filters=_filters(_leaf("config", "a.b"))),
        _runset_ws(filters=_filters(_leaf("config", "a.b.value"))),
        WS,
    )


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("lr.value", "lr"), ("a.value.b", "a.b"), ("a.b.value", "a.b"), ("x.value.value", None)],
)
def test_rule_config_sort_key_value_suffix(spelling: str, canonical: str | None) -> None:
    """REPORT 4.2, 5.1: sort keys are bare, as ``OrderBy._from_model`` writes them."""
    sort = {"keys": [{"key": {"section": "config", "name": spelling}, "ascending": True}]}
    out = normalize(_runset_ws(sort=sort), WS)["section"]["runSets"][0]["sort"]
    assert out["keys"][0]["key"]["name"] == (canonical or spelling)


def test_rule_sort_keys_of_a_library_round_trip() -> None:
    """REPORT 5.1: a report loaded and saved loses ``.value`` on config sort keys: no change."""
    sort = {"keys": [{"key": {"section": "config", "name": "lr.value"}, "ascending": True}]}
    runset = report_internal.Runset.model_validate({"id": "rs1", "name": "rs", "sort": sort})
    loaded = runset.model_dump(by_alias=True, exclude_none=True)
    saved = wr.Runset._from_model(runset)._to_model().model_dump(by_alias=True, exclude_none=True)
    assert loaded["sort"]["keys"][0]["key"]["name"] == "lr.value"
    assert saved["sort"]["keys"][0]["key"]["name"] == "lr"
    assert _same(_runset_report(**loaded), _runset_report(**saved), REPORT)


def test_rule_grouping_value_suffix_is_kept() -> None:
    """REPORT 4.2: grouping keys need ``.value``; a bare one means something else: not unified."""
    a = _runset_ws(grouping=[{"section": "config", "name": "dataset.value"}])
    b = _runset_ws(grouping=[{"section": "config", "name": "dataset"}])
    assert not _same(a, b, WS)


def test_decision_strict_inequalities_are_not_unified() -> None:
    """REPORT 4.3: ``<`` is ``$lt`` and ``<=`` is ``$lte``; the SDK's rewrite (4.1) is a loss."""
    for strict, loose in (("<", "<="), (">", ">=")):
        a = _runset_ws(filters=_filters(_leaf("summary", "acc", strict, 0.9)))
        b = _runset_ws(filters=_filters(_leaf("summary", "acc", loose, 0.9)))
        assert not _same(a, b, WS)


def test_rule_state_values_lower_case() -> None:
    """REPORT 4.1: run ``state`` values are lower-cased (the SDK does it); other values kept."""
    a = _runset_ws(filters=_filters(_leaf("run", "state", "IN", ["Finished", "crashed"])))
    b = _runset_ws(filters=_filters(_leaf("run", "state", "IN", ["finished", "Crashed"])))
    assert _same(a, b, WS)
    assert _same(
        _runset_ws(filters=_filters(_leaf("run", "state", "=", "Running"))),
        _runset_ws(filters=_filters(_leaf("run", "state", "=", "running"))),
        WS,
    )
    assert not _same(
        _runset_ws(filters=_filters(_leaf("run", "displayName", "=", "Foo"))),
        _runset_ws(filters=_filters(_leaf("run", "displayName", "=", "foo"))),
        WS,
    )


def test_rule_disabled_false_is_absent() -> None:
    """REPORT 4.3, 5.1: only ``disabled: true`` disables a filter; it is kept."""
    assert _same(
        _runset_ws(filters=_filters(_leaf("config", "a", disabled=False))),
        _runset_ws(filters=_filters(_leaf("config", "a"))),
        WS,
    )
    assert not _same(
        _runset_ws(filters=_filters(_leaf("config", "a", disabled=True))),
        _runset_ws(filters=_filters(_leaf("config", "a"))),
        WS,
    )


def test_rule_first_connector() -> None:
    """REPORT 4.1: the first item of a filter list has no connector; later ones matter."""
    first = _leaf("config", "a", connector="AND")
    assert _same(
        _runset_ws(filters=_filters(first, _leaf("config", "b", connector="OR"))),
        _runset_ws(filters=_filters(_leaf("config", "a"), _leaf("config", "b", connector="OR"))),
        WS,
    )
    assert not _same(
        _runset_ws(filters=_filters(_leaf("config", "a"), _leaf("config", "b", connector="OR"))),
        _runset_ws(filters=_filters(_leaf("config", "a"), _leaf("config", "b", connector="AND"))),
        WS,
    )


@pytest.mark.parametrize(
    "empty",
    [
        None,
        {},
        {"op": "OR"},
        {"op": "OR", "filters": []},
        {"op": "OR", "filters": [{"op": "AND"}]},
        {"op": "OR", "filters": [{"op": "AND", "filters": []}]},
        {"filterFormat": "filterV2"},
    ],
    ids=str,
)
def test_rule_empty_filters(empty: Any) -> None:
    """REPORT 4.1: empty filters serialise as the empty v2 dict; absent and legacy empties too."""
    canonical = _runset_ws(filters={"filterFormat": "filterV2", "filters": []})
    assert _same(_runset_ws(filters=empty), canonical, WS)
    assert _same(_runset_ws(), canonical, WS)
    assert not _same(_runset_ws(filters=_filters(_leaf("config", "a"))), canonical, WS)


def test_rule_legacy_filters_as_the_library_converts_them(wire_dir: Path) -> None:
    """REPORT 4.1, 5.1: legacy trees are compared as the filterV2 the library makes of them."""
    ui = _load(wire_dir / "fixtures" / "ui_like_workspace_spec.json")
    legacy = ui["section"]["runSets"][0]["filters"]
    v2 = expr.filters_tree_to_v2(expr.Filters.model_validate(legacy))
    converted = copy.deepcopy(ui)
    converted["section"]["runSets"][0]["filters"] = v2
    assert _same(ui, converted, WS)
    out = normalize(ui, WS)["section"]["runSets"][0]["filters"]
    assert out["filterFormat"] == "filterV2"
    assert out["filters"][1]["disabled"] is True


def _legacy_leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "key": st.fixed_dictionaries(
                {
                    "section": st.sampled_from(["config", "run", "summary"]),
                    "name": st.sampled_from(["", "lr", "state", "a.value"]),
                }
            ),
            "op": st.sampled_from(["=", "<", ">=", "IN"]),
            "value": st.sampled_from([1, 0.5, "x", "Finished", ["a", "B"], None]),
        },
        optional={"disabled": st.booleans()},
    )


def _legacy_tree() -> st.SearchStrategy[dict[str, Any]]:
    def group(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {"op": st.sampled_from(["AND", "OR"]), "filters": st.lists(children, max_size=4)}
        )

    return group(group(group(_legacy_leaf()) | _legacy_leaf()) | _legacy_leaf())


@settings(deadline=None)
@given(tree=_legacy_tree())
def test_rule_legacy_filters_match_library_conversion(tree: dict[str, Any]) -> None:
    """REPORT 4.1, 5.1: property form of the legacy -> filterV2 rule, against the library."""
    try:
        v2 = expr.filters_tree_to_v2(expr.Filters.model_validate(tree))
    except ValueError:  # the library refuses groups in groups; we convert them anyway
        assume(False)
    assert _same(_runset_ws(filters=tree), _runset_ws(filters=v2), WS)


def test_rule_workspace_name_column_pinning() -> None:
    """REPORT 4.4: workspaces force ``run:displayName`` first among pinned columns."""
    feed = {"columnPinned": {"summary:acc": True}, "columnVisible": {"summary:acc": True}}
    forced = {
        "columnPinned": {"run:displayName": True, "summary:acc": True},
        "columnVisible": {"run:displayName": True, "summary:acc": True},
    }
    a = _runset_ws(runFeed={**feed, "columnOrder": ["summary:acc", "run:displayName"]})
    b = _runset_ws(runFeed={**forced, "columnOrder": ["run:displayName", "summary:acc"]})
    assert _same(a, b, WS)
    assert not _same(_runset_report(runFeed=feed), _runset_report(runFeed=forced), REPORT)


def test_rule_section_pinned_false_is_absent() -> None:
    """REPORT 5.1: the SDK adds ``sections[].pinned: false`` where it was absent."""

    def spec(**section: Any) -> dict[str, Any]:
        return {"section": {"panelBankConfig": {"sections": [{"name": "A", **section}]}}}

    assert _same(spec(pinned=False), spec(), WS)
    assert not _same(spec(pinned=True), spec(), WS)


def test_rule_empty_run_colour() -> None:
    """REPORT 5.1: disabled runs gain ``customRunColors[id] = ""`` (RunSettings' default)."""
    a = {"section": {"customRunColors": {"run1": "", "run2": "#fff"}}}
    assert normalize(a, WS)["section"]["customRunColors"] == {"run2": "#fff"}


def test_rule_report_edge_paragraphs() -> None:
    """REPORT 5.3: the SDK adds an empty paragraph at each end; ``from_url`` strips them."""
    heading = {"type": "heading", "children": [{"text": "H"}], "level": 1}
    assert _same({"blocks": [heading]}, {"blocks": [P, heading, P]}, REPORT)
    assert _same({"blocks": [P, heading]}, {"blocks": [P, heading, P]}, REPORT)
    assert _same({"blocks": []}, {"blocks": [P, P]}, REPORT)
    assert not _same({"blocks": [P, P, heading, P]}, {"blocks": [P, heading, P]}, REPORT)


def test_rule_integral_floats() -> None:
    """JSON numbers: the app reads specs in JavaScript, where ``0`` and ``0.0`` are one value."""
    assert spec_hash({"a": [0.0, 2.0, 0.5]}, WS) == spec_hash({"a": [0, 2, 0.5]}, WS)
    assert canonical_json(normalize({"a": 2.0}, WS)) == '{\n  "a": 2\n}\n'


def test_unknown_view_type_gets_generic_rules_only() -> None:
    spec = _runset_ws(filters={"op": "OR"})
    assert normalize(spec, "other") == spec


# --- library round trips: what is left is the documented losses ----------------------------


def _prune(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for path in paths:
        *parents, last = path.split("/")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]
    return spec


def test_workspace_library_round_trip(wire_dir: Path) -> None:
    """REPORT 5.1: ``from_url`` then ``save()`` of a UI-like workspace: only the losses differ."""
    losses = [  # REPORT 5.1: unknown keys, runs-table columns other than pinned, workspaceSettings
        "futureTopKey",
        "section/futureSectionKey",
        "section/workspaceSettings",
        "section/panelBankConfig/settings/searchQuery",
        "section/panelBankConfig/settings/unknownSetting",
        "section/panelBankConfig/sections/0/panels/0/config/unknownPanelKey",
        "section/runSets/0/futureRunsetKey",
        "section/runSets/0/runFeed/columnWidths/run:displayName",
        "section/runSets/0/runFeed/columnVisible/run:name",
        "section/runSets/0/runFeed/columnVisible/config:lr.value",
    ]
    spec = _prune(_load(wire_dir / "fixtures" / "ui_like_workspace_spec.json"), losses)
    spec["section"]["runSets"][0]["runFeed"]["columnOrder"] = ["run:displayName"]
    view = workspace_internal.View(
        entity="e",
        project="p",
        display_name="d",
        name="nw-x-v",
        id="1",
        spec=workspace_internal.WorkspaceViewspec.model_validate(spec),
    )
    saved = _ws_spec(ws.Workspace._from_model(view))
    assert saved != spec
    assert _same(spec, saved, WS)


def test_report_library_round_trip(wire_dir: Path) -> None:
    """REPORT 5.1: ``from_url`` then ``save()`` of a UI-like report: only the losses differ."""
    grid = "blocks/5"
    losses = [  # REPORT 5.1; the project goes too, or _to_model would ask the network for it
        "futureTopKey",
        "blocks/3/children/0/bold",
        f"{grid}/futureBlockKey",
        f"{grid}/metadata/panelBankSectionConfig/panels/0/config/unknownKey",
        f"{grid}/metadata/runSets/0/futureKey",
        f"{grid}/metadata/runSets/0/project",
    ]
    spec = _prune(_load(wire_dir / "fixtures" / "ui_like_report_spec.json"), losses)
    meta = spec["blocks"][5]["metadata"]
    meta["openViz"] = True
    meta["panelBankConfig"] = report_internal.PanelBankConfig().model_dump(
        by_alias=True, exclude_none=True
    )
    view = report_internal.ReportViewspec.model_validate(
        {"id": "x", "displayName": "t", "project": {"name": "p", "entityName": "e"}, "spec": spec}
    )
    saved = _report_spec(wr.Report._from_model(view))
    assert saved != spec
    assert _same(spec, saved, REPORT)


# --- totality, idempotence, purity ---------------------------------------------------------

SPEC_KEYS = [
    "section", "runSets", "filters", "filterFormat", "op", "key", "name", "value", "disabled",
    "connector", "sort", "keys", "runFeed", "columnPinned", "columnVisible", "columnOrder",
    "panelBankConfig", "panelBankSectionConfig", "sections", "panels", "__id__", "id", "pinned",
    "customRunColors", "panelConfigOverrides", "panelPlacementOverrides", "sectionId", "blocks",
    "type", "metadata", "children", "text", "collapsedChildren", "project", "ref", "viewID",
    "createdAt", "grouping",
]  # fmt: skip
SPEC_WORDS = [
    "config", "run", "state", "filterV2", "OR", "AND", "panel-grid", "paragraph", "", "lr.value",
    "x.value.value", "run-color-group:%22a%22:x", "run-color-group:%5B:x", "__custom_panel__:a",
    "a-b:c", "a", "run:displayName",
]  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=6)
    | st.sampled_from(SPEC_WORDS)
)
JSON_LIKE = st.recursive(
    LEAVES,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.sampled_from(SPEC_KEYS) | st.text(max_size=4), kids, max_size=5)
    ),
    max_leaves=40,
)
VIEW_TYPES = st.sampled_from([WS, REPORT, "runs/draft", "other"])


def _check_properties(spec: Any, view_type: str) -> None:
    before = copy.deepcopy(spec)
    once = normalize(spec, view_type)
    assert spec == before, "normalize mutated its input"
    twice = normalize(once, view_type)
    assert canonical_json(twice) == canonical_json(once)
    assert spec_hash(once, view_type) == spec_hash(spec, view_type)
    stable_ids(spec, view_type)
    assert spec == before


@settings(max_examples=300, deadline=None)
@given(spec=st.dictionaries(st.sampled_from(SPEC_KEYS), JSON_LIKE), view_type=VIEW_TYPES)
def test_total_idempotent_pure_on_random_specs(spec: dict[str, Any], view_type: str) -> None:
    _check_properties(spec, view_type)


@given(value=JSON_LIKE, view_type=VIEW_TYPES | st.text(max_size=5))
def test_total_on_any_json_like_value(value: Any, view_type: str) -> None:
    normalize(value, view_type)
    stable_ids(value, view_type)


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(node, dict):
        for key, item in node.items():
            yield node, key
            yield from _slots(item)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield node, index
            yield from _slots(item)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_total_idempotent_pure_on_mutated_fixtures(wire_dir: Path, data: st.DataObject) -> None:
    view_type, original = data.draw(st.sampled_from(_wire_specs(wire_dir)))
    spec = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 5))):
        slots = list(_slots(spec))
        if not slots:
            break
        parent, key = data.draw(st.sampled_from(slots))
        action = data.draw(st.sampled_from(["replace", "delete", "graft"]))
        if action == "replace":
            parent[key] = data.draw(JSON_LIKE)
        elif action == "delete":
            del parent[key]
        else:  # a real subtree in the wrong place
            donor, donor_key = data.draw(st.sampled_from(slots))
            parent[key] = copy.deepcopy(donor[donor_key])
    _check_properties(spec, view_type)


def _nest(depth: int, wrap: Any) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = wrap(value)
    return value


def _deep_specs(depth: int) -> list[tuple[dict[str, Any], str]]:
    leaf = {"key": {"section": "config", "name": "a"}, "op": "="}
    legacy = _nest(
        depth, lambda x: {"op": "AND", "filters": [x, leaf] if isinstance(x, dict) else []}
    )
    v2_groups = {"filterFormat": "filterV2", "filters": _nest(depth, lambda x: [{"filters": x}])}
    heading = _nest(
        depth, lambda x: {"type": "panel-grid", "metadata": {}, "collapsedChildren": [x]}
    )
    return [
        ({"a": _nest(depth, lambda x: {"a": x})}, WS),
        ({"section": {"panelRefs": _nest(depth, lambda x: [x])}}, REPORT),
        (_runset_ws(filters=legacy), WS),
        (_runset_ws(filters=v2_groups), WS),
        ({"blocks": [heading]}, REPORT),
    ]


def test_total_on_deep_nesting() -> None:
    """Deep input (600 JSON levels here; json.loads takes about 1000) never hits the recursion
    limit: the generic walk is iterative, the walks along filters and blocks are bounded."""
    for spec, view_type in _deep_specs(300):
        text = json.dumps(spec)
        once = normalize(spec, view_type)
        assert json.dumps(spec) == text
        assert json.dumps(normalize(once, view_type)) == json.dumps(once)
        stable_ids(spec, view_type)


def test_fixtures_are_idempotent(wire_dir: Path) -> None:
    for view_type, spec in _wire_specs(wire_dir):
        _check_properties(spec, view_type)
