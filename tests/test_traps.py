"""The traps of wandb-workspaces, one test each: the exact JSON W&B receives.

Each case compiles a workspace and a report holding the trap (``fidelity/traps.py``) and
asserts the raw spec, not the normalised one (normalisation unifies `.value` spellings). A
companion test shows each trap is real: the library's own path gets that case wrong, which is
why reportgen builds filterV2 itself and hands it over through the library's stash (REPORT 7).
Where the library is right, its output must equal ours.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

# wandb_workspaces.workspaces must be imported before the rest of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip
from fidelity.traps import (
    GROUPINGS,
    MANGLED_BY_THE_LIBRARY,
    NESTED_KEYS,
    RENAMED_BY_THE_LIBRARY,
    RUN_ATTRIBUTES,
    RUN_FIELD_NAMES,
    STRING_VALUES,
    SUMMARY_FIELDS,
    TAGS,
    TOO_DEEP,
    WINDOWS,
    A,
    B,
    C,
    D,
    Json,
    build_documents,
    leaf,
    library_filters,
    library_string,
    trap_documents,
    v2,
)
from wandb_workspaces import expr

from reportgen.compile.viewspec import workspace_spec
from reportgen.problems import ReportgenError


def trap_specs(runset: Json, panels: list[Json] | None = None) -> tuple[Json, Json]:
    """The raw (workspace, report) specs of a trap case."""
    try:
        workspace, report = build_documents(trap_documents(runset, panels))
    except ReportgenError as exc:
        pytest.fail("\n".join(map(str, exc.problems)) or str(exc))
    return workspace.spec(), report.spec()


def grid(report: Json) -> Json:
    metadata: Json = next(b for b in report["blocks"] if b["type"] == "panel-grid")["metadata"]
    return metadata


def runsets(runset: Json, panels: list[Json] | None = None) -> list[Json]:
    """Both run sets of a trap case: the workspace's and the report's."""
    workspace, report = trap_specs(runset, panels)
    return [workspace["section"]["runSets"][0], grid(report)["runSets"][0]]


def panel_configs(panel: Json) -> list[Json]:
    """The panel's config in the workspace section and in the report's panel grid."""
    workspace, report = trap_specs({}, [panel])
    ws_panel = workspace["section"]["panelBankConfig"]["sections"][0]["panels"][0]
    report_panel = grid(report)["panelBankSectionConfig"]["panels"][0]
    return [ws_panel["config"], report_panel["config"]]


def sort_keys(*keys: tuple[str, str, bool]) -> list[Json]:
    return [{"key": {"section": s, "name": n}, "ascending": up} for s, n, up in keys]


# --- config and summary keys named like run fields ----------------------------------------------


@pytest.mark.parametrize("name", RUN_FIELD_NAMES)
def test_config_keys_named_like_run_fields(name: str) -> None:
    """config.name is the config key "name" in every place, never the run's name (REPORT 5.2).

    Filters bypass the library's parser; sort keys, group-by, columns and panel keys go through
    its public classes, which keep these names (the group-by and columns with `.value`, 4.2).
    """
    ref = f"config.{name}"
    runset = {"filter": f'{ref} == "x"', "sort": [f"{ref} desc"], "group_by": [ref]}
    for compiled in runsets({**runset, "columns": [ref]}):
        assert compiled["filters"] == v2(leaf("config", name, "=", "x"))
        assert compiled["sort"]["keys"] == sort_keys(("config", name, False))
        assert compiled["grouping"] == [{"section": "config", "name": f"{name}.value"}]
        assert f"config:{name}.value" in compiled["runFeed"]["columnOrder"]
    for config in panel_configs({"type": "line", "y": "acc", "group_by": ref}):
        assert config["groupBy"] == f"{name}.value"
    for config in panel_configs({"type": "scatter", "x": ref, "y": ref}):
        assert config["xAxis"] == config["yAxis"] == f"config:{name}.value"


@pytest.mark.parametrize(("name", "renamed"), RENAMED_BY_THE_LIBRARY)
def test_the_run_field_trap_is_real(name: str, renamed: str) -> None:
    """REPORT 5.2: the library's filter objects save Config("name") as config key "ID"."""
    mangled = library_filters(expr.And(ws.Config(name) == "x"))
    assert mangled == v2(leaf("config", renamed, "=", "x"))


@pytest.mark.parametrize(("ref", "name"), SUMMARY_FIELDS)
def test_summary_keys_named_like_run_fields(ref: str, name: str) -> None:
    """Summary keys keep their names; the library's filter objects turn Summary("_runtime")
    into "RelativeTime(Process)" (REPORT 5.2)."""
    for compiled in runsets({"filter": f"{ref} >= 1", "sort": [ref]}):
        assert compiled["filters"] == v2(leaf("summary", name, ">=", 1))
        assert compiled["sort"]["keys"] == sort_keys(("summary", name, True))
    mangled = library_filters(expr.And(ws.Summary("_runtime") >= 1))
    assert mangled["filters"][0]["key"]["name"] == "RelativeTime(Process)"


@pytest.mark.parametrize(("attribute", "text", "expected", "column"), RUN_ATTRIBUTES)
def test_run_attributes_use_wandb_backend_names(
    attribute: str, text: str, expected: Json, column: str
) -> None:
    """Run attributes are keyed by W&B's backend names in filters, sort keys, group-by and
    columns, as the library maps its front-end names (REPORT 4.1, 4.4)."""
    ref = f"run.{attribute}"
    backend = expected["key"]["name"]
    for compiled in runsets({"filter": text, "sort": [ref], "group_by": [ref], "columns": [ref]}):
        assert compiled["filters"] == v2(expected)
        assert compiled["sort"]["keys"] == sort_keys(("run", backend, True))
        assert compiled["grouping"] == [{"section": "run", "name": backend}]
        assert column in compiled["runFeed"]["columnOrder"]
    metric = ws.Metric(expr.to_frontend_name(backend))
    assert library_filters(expr.And(metric == "x"))["filters"][0]["key"] == expected["key"]


# --- string values ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", STRING_VALUES)
def test_string_values_are_sent_verbatim(value: str) -> None:
    """Strings are sent as written, alone and in lists, whatever they hold (REPORT 5.2)."""
    literal = json.dumps(value, ensure_ascii=False)
    text = f'config.note == {literal} or config.note in [{literal}, "plain"]'
    expected = v2(
        leaf("config", "note", "=", value), leaf("config", "note", "IN", [value, "plain"], "OR")
    )
    for compiled in runsets({"filter": text}):
        assert compiled["filters"] == expected


@pytest.mark.parametrize(("value", "sent"), MANGLED_BY_THE_LIBRARY)
def test_the_string_value_trap_is_real(value: str, sent: str) -> None:
    """REPORT 5.2: the library rewrites = < > inside string literals, and cannot quote '.
    (It warns about the `<` and `>` it sees, not knowing they are inside a string.)"""
    if "<" in value or ">" in value:
        with pytest.warns(UserWarning):
            mangled = library_filters(expr.And(ws.Config("note") == value))
    else:
        mangled = library_filters(expr.And(ws.Config("note") == value))
    assert mangled == v2(leaf("config", "note", "=", sent))
    with pytest.raises(SyntaxError):
        library_filters(expr.And(ws.Config("note") == "it's"))


# --- nested keys and `.value` placement ---------------------------------------------------------


@pytest.mark.parametrize(("ref", "bare", "enveloped"), NESTED_KEYS)
def test_nested_config_keys(ref: str, bare: str, enveloped: str) -> None:
    """Nested config keys: bare in filters and sort keys, `.value` after the first segment in
    group-by, columns and panel keys (REPORT 4.2)."""
    runset = {"filter": f"{ref} >= 0.1", "sort": [ref], "group_by": [ref], "columns": [ref]}
    for compiled in runsets(runset):
        assert compiled["filters"] == v2(leaf("config", bare, ">=", 0.1))
        assert compiled["sort"]["keys"] == sort_keys(("config", bare, True))
        assert compiled["grouping"] == [{"section": "config", "name": enveloped}]
        assert f"config:{enveloped}" in compiled["runFeed"]["columnOrder"]
    for config in panel_configs({"type": "line", "y": "acc", "group_by": ref}):
        assert config["groupBy"] == enveloped
    for config in panel_configs({"type": "scatter", "x": ref, "y": "summary.acc"}):
        assert config["xAxis"] == f"config:{enveloped}"
    for config in panel_configs({"type": "parallel_coordinates", "columns": [ref, "acc"]}):
        assert [c["accessor"] for c in config["columns"]] == [f"config:{enveloped}", "summary:acc"]


def test_the_bare_dotted_path_trap_is_real() -> None:
    """REPORT 5.2: a bare dotted path in the library's string language is silently dropped."""
    assert library_filters("config.lr = 0.1") == v2()


VALUE_PLACEMENT = {
    "filter": "config.lr >= 0.001 and summary.acc >= 0.5",
    "sort": ["config.lr desc", "summary.acc"],
    "group_by": ["config.lr", "config.opt.name", "summary.acc"],
    "columns": ["config.lr", "config.opt.name", "summary.acc"],
}


def test_value_placement() -> None:
    """REPORT 4.2, place by place: filter and sort keys bare; grouping `.value` after the first
    segment; columns `config:lr.value`; summary keys never enveloped. The same intent written
    with the library's objects, which are faithful here, gives the same run set."""
    for compiled in runsets(VALUE_PLACEMENT):
        assert compiled["filters"] == v2(
            leaf("config", "lr", ">=", 0.001), leaf("summary", "acc", ">=", 0.5, "AND")
        )
        assert compiled["sort"]["keys"] == sort_keys(
            ("config", "lr", False), ("summary", "acc", True)
        )
        assert compiled["grouping"] == [
            {"section": "config", "name": "lr.value"},
            {"section": "config", "name": "opt.value.name"},
            {"section": "summary", "name": "acc"},
        ]
        columns = compiled["runFeed"]["columnOrder"][-3:]
        assert columns == ["config:lr.value", "config:opt.value.name", "summary:acc"]
    by_hand = ws.RunsetSettings(
        filters=expr.And(ws.Config("lr") >= 0.001, ws.Summary("acc") >= 0.5),
        order=[ws.Ordering(ws.Config("lr"), ascending=False), ws.Ordering(ws.Summary("acc"))],
        groupby=[ws.Config("lr"), ws.Config("opt.name"), ws.Summary("acc")],
        pinned_columns=["config:lr.value", "config:opt.value.name", "summary:acc"],
    )
    library = workspace_spec(ws.Workspace(entity="e", project="p", runset_settings=by_hand))
    ours = runsets(VALUE_PLACEMENT)[0]
    for field in ("filters", "sort", "grouping", "runFeed"):
        assert ours[field] == library["section"]["runSets"][0][field], field


# --- tags and time windows --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "library", "expected"), TAGS)
def test_tags(text: str, library: Any, expected: Json) -> None:
    """Tags are the run's `tags` with IN / NIN; `contains` is IN of one tag (REPORT 4.1), as
    the library's Tags() writes them; their column is `tags:__ALL__` (4.2)."""
    for compiled in runsets({"filter": text, "columns": ["tags"]}):
        assert compiled["filters"] == v2(expected)
        assert "tags:__ALL__" in compiled["runFeed"]["columnOrder"]
    assert library_filters(expr.And(library)) == v2(expected)


@pytest.mark.parametrize(("window", "seconds", "library"), WINDOWS)
def test_created_time_windows(window: str, seconds: int, library: tuple[float, Any]) -> None:
    """`created_at within 7d` is WITHINSECONDS 604800 on createdAt (REPORT 4.1), as the
    library's `within_last` writes it."""
    expected = v2(leaf("run", "createdAt", "WITHINSECONDS", seconds))
    for compiled in runsets({"filter": f"created_at within {window}"}):
        assert compiled["filters"] == expected
    within = ws.Metric("CreatedTimestamp").within_last(*library)
    assert library_filters(expr.And(within)) == expected


# --- grouping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), GROUPINGS)
def test_filter_grouping(text: str, expected: list[Json]) -> None:
    """filterV2 is a flat list joined by connectors, read AND-before-OR; an `or` inside an
    `and` is a group (REPORT 4.1). The library's parser, right on these, agrees."""
    for compiled in runsets({"filter": text}):
        assert compiled["filters"] == v2(*expected)
    assert library_filters(library_string(text)) == v2(*expected)


@pytest.mark.parametrize("text", TOO_DEEP)
def test_filter_nesting_limit(text: str) -> None:
    """W&B's filter bar holds one level of groups: the library refuses deeper nesting
    (REPORT 4.1), and build reports a problem at the object rather than failing inside."""
    with pytest.raises(ValueError, match="Nested groups deeper than 1 level"):
        library_filters(library_string(text))
    for document in trap_documents({"filter": text}):
        with pytest.raises(ReportgenError) as caught:
            build_documents([document])
        assert [p.code for p in caught.value.problems] == ["RG201"]
        assert "one level" in caught.value.problems[0].message


def test_leaderboard_variant_that_nests_too_deep_is_a_problem() -> None:
    """A variant's filter is and-ed with the leaderboard's: each may be fine alone and the
    combination one level too deep; validation reports it at the variant's filter."""
    board = {
        "key": "deep",
        "title": "Deep",
        "entity": "e",
        "project": "p",
        "metrics": ["acc max"],
        "filter": f"{A} or ({B} and ({C} or {D}))",
        "variants": [{"key": "deep-v", "filter": 'config.e == "e"'}],
    }
    with pytest.raises(ReportgenError) as caught:
        build_documents([{"leaderboard": board}])
    (problem,) = caught.value.problems
    assert problem.code == "RG201"
    assert problem.message.startswith("combined with the leaderboard's filter by 'and'")


def test_panel_group_by_takes_config_or_run_references() -> None:
    """Panels group by a config key or a run attribute (REPORT 4.2); the library has no form for
    a summary metric (it crashes on one, 5.3), so build reports a problem."""
    for config in panel_configs({"type": "bar", "metrics": "acc", "group_by": "run.group"}):
        assert config["groupBy"] == "group"
    panel = {"type": "line", "y": "acc", "group_by": "summary.acc"}
    with pytest.raises(ReportgenError) as caught:
        build_documents(trap_documents({}, [panel]))
    assert {p.code for p in caught.value.problems} == {"RG304"}
    assert "panels group by a config key or a run attribute" in caught.value.problems[0].message
