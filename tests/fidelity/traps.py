"""The traps of wandb-workspaces as data: spec inputs and the exact JSON W&B must receive.

``tests/test_traps.py`` asserts each case; ``tests/test_fidelity.py`` also loads every case's
compiled spec with the library's own models. Section numbers are those of REPORT.md, the
wire study of wandb 0.31.0 and wandb-workspaces 0.4.13 (``../shared/wandb-wire``).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# wandb_workspaces.workspaces must be imported before the rest of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip

from reportgen.commands.build import BuiltView, build_views
from reportgen.compile.viewspec import workspace_spec

Json = dict[str, Any]
ENTITY = "fidelity"


# --- building blocks ------------------------------------------------------------------------


def leaf(section: str, name: str, op: str, value: Any, connector: str | None = None) -> Json:
    """A filterV2 leaf as wandb-workspaces spells it (REPORT 4.1)."""
    item: Json = {"key": {"section": section, "name": name}, "op": op, "value": value}
    item["disabled"] = False
    if connector:
        item["connector"] = connector
    return item


def v2(*items: Json) -> Json:
    return {"filterFormat": "filterV2", "filters": list(items)}


def trap_documents(runset: Json, panels: list[Json] | None = None) -> list[Json]:
    """A workspace and a report whose run set is ``runset`` (workspaces pin the columns)."""
    common = {"entity": ENTITY, "project": "traps", "title": "Trap"}
    ws_runset = dict(runset)
    if "columns" in runset:
        ws_runset["columns"] = {"pinned": runset["columns"]}
    grid = {"runsets": [runset], "panels": panels or []}
    return [
        {
            "workspace": {
                "key": "trap-workspace",
                **common,
                "runset": ws_runset,
                "sections": [{"name": "Trap", "panels": panels or []}],
            }
        },
        {"report": {"key": "trap-report", **common, "blocks": [{"panels": grid}]}},
    ]


def build_documents(documents: list[Json]) -> list[BuiltView]:
    """Validate, parse and compile YAML documents, one file each, as `reportgen build` does."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, doc in enumerate(documents):
            paths.append(Path(tmp) / f"case{i}.yaml")
            paths[-1].write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        return build_views(paths, environ={})


def library_filters(filters: Any) -> Json:
    """What wandb-workspaces itself sends for a filter given as its objects or its string."""
    runset = ws.RunsetSettings(filters=filters)
    spec = workspace_spec(ws.Workspace(entity="e", project="p", runset_settings=runset))
    result: Json = spec["section"]["runSets"][0]["filters"]
    return result


def library_string(text: str) -> str:
    """One of our `config.x == ...` filters in the library's string language."""
    return re.sub(r"config\.(\w) == ", r"Config('\1') == ", text)


# --- the cases ------------------------------------------------------------------------------

# Config keys spelled like run fields; the library's filter objects rename the first three
# (REPORT 5.2: Config("name") is saved as config key "ID").
RUN_FIELD_NAMES = ["name", "state", "group", "id", "tags", "user"]
RENAMED_BY_THE_LIBRARY = [("name", "ID"), ("state", "State"), ("group", "Group")]

# Summary keys spelled like run fields (REPORT 5.2: Summary("_runtime") -> RelativeTime(Process)).
SUMMARY_FIELDS = [
    ("summary._runtime", "_runtime"),
    ("summary.state", "state"),
    ("_timestamp", "_timestamp"),
]

# Run attributes: our name, a filter, its filterV2 leaf, the runs-table column (REPORT 4.1).
RUN_ATTRIBUTES = [
    ("name", 'run.name == "x"', leaf("run", "displayName", "=", "x"), "run:displayName"),
    ("id", 'run.id == "x"', leaf("run", "name", "=", "x"), "run:name"),
    ("state", 'run.state == "finished"', leaf("run", "state", "=", "finished"), "run:state"),
    ("group", 'run.group == "x"', leaf("run", "group", "=", "x"), "run:group"),
    ("job_type", 'run.job_type == "x"', leaf("run", "jobType", "=", "x"), "run:jobType"),
    ("user", 'run.user == "x"', leaf("run", "username", "=", "x"), "run:username"),
    ("runtime", "run.runtime >= 60", leaf("run", "duration", ">=", 60), "run:duration"),
    ("host", 'run.host == "x"', leaf("run", "host", "=", "x"), "run:host"),
    ("sweep", 'run.sweep == "x"', leaf("run", "sweep", "=", "x"), "run:sweep"),
    ("created_at", "run.created_at within 1d", leaf("run", "createdAt", "WITHINSECONDS", 86400),
     "run:createdAt"),
]  # fmt: skip

# String values the library's string round trip mangles or cannot quote (REPORT 5.2).
STRING_VALUES = ["a=b", "x<y", "x>y", "a==b", "<=>", "it's", 'say "hi"', "both ' and \"",
                 "back\\slash", "été", "", " padded "]  # fmt: skip
MANGLED_BY_THE_LIBRARY = [("a=b", "a==b"), ("x<y", "x<=y"), ("x>y", "x>=y")]

# Nested config keys: reference, bare key (filters, sort), enveloped key (group-by, columns,
# panel axes: `.value` after the first segment, REPORT 4.2).
NESTED_KEYS = [
    ("config.optimizer.lr", "optimizer.lr", "optimizer.value.lr"),
    ("config.a.b.c", "a.b.c", "a.value.b.c"),
    ("config.`batch size`", "batch size", "batch size.value"),
    # a nested key named "value": the library would take `settings.value` as enveloped
    # already and group by the top-level key (see expr.groupby_str_to_key's docstring)
    ("config.settings.value", "settings.value", "settings.value.value"),
]

# Tags: our filter, the library's own object (faithful here), the filterV2 leaf (REPORT 4.1).
TAGS = [
    ('tags contains "baseline"', ws.Tags().isin(["baseline"]),
     leaf("run", "tags", "IN", ["baseline"])),
    ('tags in ["a", "b"]', ws.Tags().isin(["a", "b"]), leaf("run", "tags", "IN", ["a", "b"])),
    ('tags not in ["x"]', ws.Tags().notin(["x"]), leaf("run", "tags", "NIN", ["x"])),
]  # fmt: skip

# Created-time windows: ours, the seconds W&B stores, the library's within_last (REPORT 4.1).
WINDOWS: list[tuple[str, int, tuple[float, Any]]] = [
    ("7d", 604800, (7, "days")),
    ("12h", 43200, (12, "hours")),
    ("30m", 1800, (30, "minutes")),
    ("2w", 1209600, (14, "days")),
    ("45s", 45, (0.75, "minutes")),
    ("1.5h", 5400, (90, "minutes")),
]


def _c(name: str, connector: str | None = None) -> Json:
    return leaf("config", name, "=", name, connector)


A, B, C, D = (f'config.{k} == "{k}"' for k in "abcd")

# Filter grouping: filterV2 is flat with connectors read AND-before-OR; an `or` inside an
# `and` is a group, one level deep (REPORT 4.1).
GROUPINGS = [
    (f"{A} or {B} and {C}", [_c("a"), _c("b", "OR"), _c("c", "AND")]),
    (f"{A} and {B} or {C}", [_c("a"), _c("b", "AND"), _c("c", "OR")]),
    (f"({A} and {B}) or ({C} and {D})", [_c("a"), _c("b", "AND"), _c("c", "OR"), _c("d", "AND")]),
    (f"{A} or ({B} or {C})", [_c("a"), _c("b", "OR"), _c("c", "OR")]),
    (f"({A} or {B})", [_c("a"), _c("b", "OR")]),
    (f"{A} and ({B} or {C})", [_c("a"), {"filters": [_c("b"), _c("c", "OR")], "connector": "AND"}]),
    (f"({A} or {B}) and {C}", [{"filters": [_c("a"), _c("b", "OR")]}, _c("c", "AND")]),
    (f"{A} and ({B} or {C} and {D})",
     [_c("a"), {"filters": [_c("b"), _c("c", "OR"), _c("d", "AND")], "connector": "AND"}]),
]  # fmt: skip

# One level of groups too many: W&B's filter bar cannot show them; the library refuses.
TOO_DEEP = [
    f"{A} and ({B} or ({C} and ({D} or config.e == 1)))",
    f"({A} or ({B} and ({C} or {D}))) and config.e == 1",
]


def trap_cases() -> Iterator[tuple[str, list[Json]]]:
    """Every trap case that compiles, as YAML documents (for the library-model test)."""
    for name in RUN_FIELD_NAMES:
        ref = f"config.{name}"
        runset: Json = {
            "filter": f'{ref} == "x"',
            "sort": [ref],
            "group_by": [ref],
            "columns": [ref],
        }
        panels: list[Json] = [
            {"type": "line", "y": "acc", "group_by": ref},
            {"type": "scatter", "x": ref, "y": ref},
        ]
        yield f"run-field-{name}", trap_documents(runset, panels)
    for ref, _ in SUMMARY_FIELDS:
        yield f"summary-{ref}", trap_documents({"filter": f"{ref} >= 1", "sort": [ref]})
    for attribute, text, *_ in RUN_ATTRIBUTES:
        yield f"run-{attribute}", trap_documents({"filter": text, "sort": [f"run.{attribute}"]})
    for i, value in enumerate(STRING_VALUES):
        literal = json.dumps(value, ensure_ascii=False)
        yield f"string-{i}", trap_documents({"filter": f"config.note in [{literal}]"})
    for ref, *_ in NESTED_KEYS:
        runset = {"filter": f"{ref} >= 1", "sort": [ref], "group_by": [ref], "columns": [ref]}
        panels = [{"type": "parallel_coordinates", "columns": [ref, "acc"]}]
        yield f"nested-{ref}", trap_documents(runset, panels)
    for i, (text, *_) in enumerate(TAGS):
        yield f"tags-{i}", trap_documents({"filter": text})
    for window, *_ in WINDOWS:
        yield f"within-{window}", trap_documents({"filter": f"created_at within {window}"})
    for i, (text, _) in enumerate(GROUPINGS):
        yield f"grouping-{i}", trap_documents({"filter": text})
