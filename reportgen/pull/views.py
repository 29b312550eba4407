"""A view's spec JSON -> the body of a `workspace:` or `report:` spec (plain data).

The inverse of compile for everything compile writes; settings at their defaults are left
out, so the result is what a person would write. Key, title, entity, project and
description are view fields, added by the caller (`pull.decompile`).
"""

from __future__ import annotations

from typing import Any

from reportgen.pull.panels import decompile_panel, raw_json
from reportgen.pull.runsets import report_runset, workspace_runset

_TOOLTIP = {"all_runs": "all", "single": "single"}
_POINTS = {"sampling": "downsampling"}
_ROWS, _COLUMNS = 2, 3


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _axis_settings(local: dict[str, Any]) -> dict[str, Any]:
    """x axis and smoothing of workspace-wide or section settings."""
    out: dict[str, Any] = {}
    if local.get("xAxisActive") is True and isinstance(local.get("xAxis"), str):
        out["x"] = local["xAxis"]
    for ours, theirs in (("x_min", "xAxisMin"), ("x_max", "xAxisMax")):
        if _number(local.get(theirs)) is not None:
            out[ours] = local[theirs]
    weight = _number(local.get("smoothingWeight"))
    kind = local.get("smoothingType")
    active = local.get("smoothingActive") is True and isinstance(kind, str)
    if active and weight is not None and float(weight).is_integer():
        out["smoothing"] = {"type": kind, "weight": int(weight)}
    return out


def workspace_body(spec: dict[str, Any], entity: str, project: str) -> dict[str, Any]:
    section = _dict(spec.get("section"))
    body: dict[str, Any] = {}
    runset = workspace_runset(section, entity, project)
    if runset:
        body["runset"] = runset
    settings = _workspace_settings(section)
    if settings:
        body["settings"] = settings
    sections = [_section(s) for s in _list(_dict(section.get("panelBankConfig")).get("sections"))]
    if sections:
        body["sections"] = sections
    return body


def _workspace_settings(section: dict[str, Any]) -> dict[str, Any]:
    settings = _dict(section.get("settings"))
    out = _axis_settings(settings)
    if settings.get("ignoreOutliers") is True:
        out["ignore_outliers"] = True
    runs = settings.get("maxRuns")
    if isinstance(runs, int) and not isinstance(runs, bool) and runs != 10 and 1 <= runs <= 1000:
        out["max_runs"] = runs
    tooltip = _TOOLTIP.get(str(settings.get("tooltipNumberOfRuns")))
    if tooltip:
        out["tooltip_runs"] = tooltip
    if settings.get("suppressLegends") is True:
        out["legends"] = False
    points = _POINTS.get(str(settings.get("pointVisualizationMethod")))
    if points:
        out["point_visualization"] = points
    if settings.get("shouldAutoGeneratePanels") is True:
        out["auto_panels"] = True
    bank = _dict(_dict(section.get("panelBankConfig")).get("settings"))
    if bank.get("sortAlphabetically") is True:
        out["sort_panels"] = True
    if bank.get("autoOrganizePrefix") == 1:
        out["group_panels_by"] = "first"
    return out


def _section(section: Any) -> dict[str, Any]:
    section = _dict(section)
    name = section.get("name")
    out: dict[str, Any] = {"name": name if isinstance(name, str) and name else "Section"}
    if section.get("isOpen") is False:
        out["open"] = False
    if section.get("pinned") is True:
        out["pinned"] = True
    flow = _dict(section.get("flowConfig"))
    layout = {}
    for ours, theirs, default, top in (
        ("columns", "columnsPerPage", _COLUMNS, 6),
        ("rows", "rowsPerPage", _ROWS, 100),
    ):
        value = flow.get(theirs)
        number = value if isinstance(value, int) and not isinstance(value, bool) else 0
        if number != default and 1 <= number <= top:
            layout[ours] = number
    if layout:
        out["layout"] = layout
    local = _axis_settings(_dict(section.get("localPanelSettings")))
    if local:
        out["settings"] = local
    panels = [decompile_panel(p) for p in _list(section.get("panels"))]
    if panels:
        out["panels"] = panels
    return out


# reports


def report_body(spec: dict[str, Any], entity: str, project: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    width = spec.get("width")
    if width in ("fixed", "fluid"):
        body["width"] = width
    blocks = _list(spec.get("blocks"))
    if blocks and blocks[0] == _EMPTY:
        blocks = blocks[1:]
    if blocks and blocks[-1] == _EMPTY:
        blocks = blocks[:-1]
    decompiled = [report_block(b, entity, project) for b in blocks]
    if decompiled:
        body["blocks"] = decompiled
    return body


_EMPTY = {"type": "paragraph", "children": [{"text": ""}]}


def _plain_text(children: Any) -> str | None:
    """The text of Slate children that are plain text only (no marks, links, inlines)."""
    if not isinstance(children, list) or not children:
        return None
    parts = []
    for child in children:
        if (
            not isinstance(child, dict)
            or set(child) != {"text"}
            or not isinstance(child["text"], str)
        ):
            return None
        parts.append(child["text"])
    return "".join(parts)


def _lines(children: Any, line_type: str) -> str | None:
    if not isinstance(children, list) or not children:
        return None
    lines = []
    for child in children:
        if not isinstance(child, dict) or child.get("type") != line_type:
            return None
        text = _plain_text(child.get("children"))
        if text is None:
            return None
        lines.append(text)
    return "\n".join(lines)


def _items(children: Any) -> list[str] | None:
    if not isinstance(children, list) or not children:
        return None
    items = []
    for child in children:
        inner = child.get("children") if isinstance(child, dict) else None
        if child.get("type") != "list-item" or not isinstance(inner, list) or len(inner) != 1:
            return None
        if not isinstance(inner[0], dict) or inner[0].get("type") != "paragraph":
            return None
        text = _plain_text(inner[0].get("children"))
        if text is None:
            return None
        items.append(text)
    return items


def report_block(block: Any, entity: str, project: str) -> dict[str, Any]:
    """One report block as a spec block; a raw block when the spec has no words for it."""
    found = _block(_dict(block), entity, project) if isinstance(block, dict) else None
    return found if found is not None else {"raw": block if isinstance(block, dict) else {}}


def _block(block: dict[str, Any], entity: str, project: str) -> dict[str, Any] | None:
    kind, children = block.get("type"), block.get("children")
    if kind == "paragraph":
        text = _plain_text(children)
        return None if text is None else {"p": text}
    if kind == "heading" and block.get("level") in (1, 2, 3):
        text = _plain_text(children)
        return None if text is None else {f"h{block['level']}": text}
    if kind in ("markdown-block", "latex") and isinstance(block.get("content"), str):
        return {"markdown" if kind == "markdown-block" else "latex": block["content"]}
    if kind == "block-quote":
        text = _plain_text(children)
        return None if text is None else {"quote": text}
    if kind == "callout-block":
        text = _lines(children, "callout-line")
        return None if text is None else {"callout": text}
    if kind == "code-block":
        code = _lines(children, "code-line")
        language = block.get("language")
        if code is None:
            return None
        return (
            {"code": {"language": language, "code": code}} if language else {"code": {"code": code}}
        )
    if kind == "list":
        items = _items(children)
        return None if items is None else {"numbered" if block.get("ordered") else "list": items}
    if kind == "image" and isinstance(block.get("url"), str) and block["url"]:
        caption = _plain_text(children) or ""
        return {
            "image": {"url": block["url"], "caption": caption} if caption else {"url": block["url"]}
        }
    if kind == "horizontal-rule":
        return {"hr": True}
    if kind == "table-of-contents":
        return {"toc": True}
    if kind == "panel-grid" and isinstance(block.get("metadata"), dict):
        return {"panels": panel_grid(block["metadata"], entity, project)}
    return None


def panel_grid(
    metadata: dict[str, Any], entity: str, project: str, *, layouts: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if metadata.get("hideRunSets") is True:
        out["hide_runsets"] = True
    colors = metadata.get("customRunColors")
    runsets = []
    for index, runset in enumerate(_list(metadata.get("runSets"))):
        if isinstance(runset, dict):
            runsets.append(report_runset(runset, colors if index == 0 else None, entity, project))
    if runsets and runsets != [{}]:
        out["runsets"] = runsets
    grid = _dict(metadata.get("panelBankSectionConfig"))
    panels = [decompile_panel(p, with_layout=layouts) for p in _list(grid.get("panels"))]
    if panels:
        out["panels"] = panels
    return out


__all__ = ["panel_grid", "raw_json", "report_block", "report_body", "workspace_body"]
