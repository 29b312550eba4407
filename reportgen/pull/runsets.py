"""A run set's JSON -> the spec's `runset` mapping (workspaces) or one of `runsets` (reports).

Filters, search, group-by, sort, the runs table's columns, run colours, hidden and pinned
runs, the baseline. What the spec cannot say is left out; the residue check keeps it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from reportgen.pull.refs import column_ref, filter_text, key_ref, text_of
from reportgen.spec.refs import Ref, Section

DEFAULT_REPORT_SORT = [{"key": {"section": "run", "name": "createdAt"}, "ascending": False}]
RUN_NAME = Ref(Section.RUN, "name")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def run_id(encoded: Any, entity: str, project: str) -> str | None:
    """`Run:v1:<id>:<project>:<entity>` (base64, as W&B stores pinned and baseline runs) -> the
    run ID, or `entity/project/id` for a run of another project."""
    if not isinstance(encoded, str):
        return None
    try:
        text = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    parts = text.split(":")
    if len(parts) != 5 or parts[:2] != ["Run", "v1"] or not parts[2]:
        return None
    if (parts[4], parts[3]) == (entity, project):
        return parts[2]
    return f"{parts[4]}/{parts[3]}/{parts[2]}"


def sort_texts(sort: Any) -> list[str] | None:
    keys = sort.get("keys") if isinstance(sort, dict) else None
    if not isinstance(keys, list):
        return None
    texts: list[str] = []
    for item in keys:
        if not isinstance(item, dict) or not isinstance(item.get("ascending"), bool):
            return None
        text = text_of(key_ref(item.get("key"), config_envelope=False))
        if text is None:
            return None
        texts.append(f"{text} {'asc' if item['ascending'] else 'desc'}")
    return texts


def _refs(columns: list[Any]) -> list[str] | None:
    texts = [text_of(column_ref(c)) for c in columns]
    return None if any(t is None for t in texts) else [t for t in texts if t is not None]


def _common(runset: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text = filter_text(runset.get("filters"))
    if text is not None:
        out["filter"] = text
    search = runset.get("search")
    if isinstance(search, dict) and isinstance(search.get("query"), str) and search["query"]:
        out["search"] = search["query"]
    grouping = runset.get("grouping")
    if isinstance(grouping, list) and grouping:
        texts = [text_of(key_ref(g, config_envelope=True)) for g in grouping]
        if all(t is not None for t in texts):
            out["group_by"] = texts
    return out


def _hidden(runset: dict[str, Any]) -> list[str]:
    selections = runset.get("selections")
    tree = selections.get("tree") if isinstance(selections, dict) else None
    return [t for t in tree if isinstance(t, str)] if isinstance(tree, list) else []


def _colors(colors: Any) -> dict[str, str]:
    if not isinstance(colors, dict):
        return {}
    return {
        k: v
        for k, v in colors.items()
        if isinstance(k, str) and isinstance(v, str) and v and not k.startswith("run-color-group:")
    }


def workspace_runset(section: dict[str, Any], entity: str, project: str) -> dict[str, Any]:
    runsets = section.get("runSets")
    runset = runsets[0] if isinstance(runsets, list) and runsets else None
    if not isinstance(runset, dict):
        return {}
    out = _common(runset)
    search = runset.get("search")
    if isinstance(search, dict) and search.get("isRegex") is True:
        out["search_regex"] = True
    sort = sort_texts(runset.get("sort"))
    if sort:
        out["sort"] = sort
    feed = _dict(runset.get("runFeed"))
    pinned = _dict(feed.get("columnPinned"))
    order = _list(feed.get("columnOrder"))
    chosen = [c for c in order if pinned.get(c) is True]
    chosen += [c for c, on in pinned.items() if on is True and c not in chosen]
    columns = _refs(chosen)
    if columns and columns != [text_of(RUN_NAME)]:
        out["columns"] = columns
    colors = _colors(section.get("customRunColors"))
    if colors:
        out["run_colors"] = colors
    hidden = _hidden(runset)
    if hidden:
        out["hidden_runs"] = hidden
    baseline = run_id(runset.get("baselineRunId"), entity, project)
    if baseline is not None:
        out["baseline"] = baseline
    ids = runset.get("pinnedRunIds")
    pinned_runs = [run_id(i, entity, project) for i in ids] if isinstance(ids, list) else []
    pinned_runs = [r for r in pinned_runs if r is not None]
    if pinned_runs and pinned_runs != [baseline]:
        out["pinned_runs"] = pinned_runs
    return out


def report_runset(runset: dict[str, Any], colors: Any, entity: str, project: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = runset.get("name")
    if isinstance(name, str) and name and name != "Run set":
        out["name"] = name
    where = runset.get("project")
    if isinstance(where, dict):
        if isinstance(where.get("entityName"), str) and where["entityName"] != entity:
            out["entity"] = where["entityName"]
        if isinstance(where.get("name"), str) and where["name"] != project:
            out["project"] = where["name"]
    out.update(_common(runset))
    if runset.get("sort") != {"keys": DEFAULT_REPORT_SORT}:
        sort = sort_texts(runset.get("sort"))
        if sort:
            out["sort"] = sort[0] if len(sort) == 1 else sort
    columns = _report_columns(runset.get("runFeed"))
    if columns is not None:
        out["columns"] = columns
    run_colors = _colors(colors)
    if run_colors:
        out["run_colors"] = run_colors
    hidden = _hidden(runset)
    if hidden:
        out["hidden_runs"] = hidden
    return out


def _report_columns(feed: Any) -> Any:
    if not isinstance(feed, dict):
        return None
    pinned_map = _dict(feed.get("columnPinned"))
    visible_map = _dict(feed.get("columnVisible"))
    order = _list(feed.get("columnOrder"))
    widths = _dict(feed.get("columnWidths"))
    pinned = [c for c in order if pinned_map.get(c) is True]
    pinned += [c for c, on in pinned_map.items() if on is True and c not in pinned]
    visible = [c for c, on in visible_map.items() if on is True and c not in pinned]
    hidden = [c for c, on in visible_map.items() if on is False]
    out: dict[str, Any] = {}
    for name, columns in (("pinned", pinned), ("visible", visible), ("hidden", hidden)):
        texts = _refs(columns)
        if texts:
            out[name] = texts
    if order and order != pinned:
        texts = _refs(order)
        if texts:
            out["order"] = texts
    width_texts = {text_of(column_ref(c)): w for c, w in widths.items()}
    if widths and None not in width_texts:
        out["widths"] = width_texts
    if isinstance(feed.get("lockColumns"), bool):
        out["locked"] = feed["lockColumns"]
    if set(out) == {"pinned"}:
        return out["pinned"]
    return out or None
