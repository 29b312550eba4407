"""Panel JSON (`viewType` + `config`) -> a spec panel mapping: the inverse of compile's panels.

Only what the spec can say is read; whatever else the panel holds shows up in the residue
(`pull.residue`) and is kept there. A panel type the spec has no words for becomes a
`raw` panel holding its JSON.
"""

from __future__ import annotations

from typing import Any

from reportgen.pull.refs import BY_FRONT_NAME, column_ref, ref_text, text_of
from reportgen.spec.refs import Ref, Section

DEFAULT_LAYOUT = {"x": 0, "y": 0, "w": 8, "h": 6}
LINE = "Run History Line Plot"
KNOWN = {
    LINE: "line",
    "Bar Chart": "bar",
    "Scalar Chart": "scalar",
    "Scatter Plot": "scatter",
    "Parallel Coordinates Plot": "parallel_coordinates",
    "Run Comparer": "run_comparer",
    "Markdown Panel": "markdown",
    "Parameter Importance": "parameter_importance",
}
_TITLED = {"line", "bar", "scalar", "scatter", "parallel_coordinates"}


def raw_json(panel: dict[str, Any]) -> dict[str, Any]:
    """A panel's JSON as a raw panel keeps it: without its id, which W&B keeps by position."""
    return {k: v for k, v in panel.items() if k != "__id__"}


def layout_of(panel: dict[str, Any]) -> dict[str, int] | None:
    layout = panel.get("layout")
    if not isinstance(layout, dict):
        return None
    if not all(
        isinstance(layout.get(k), int) and not isinstance(layout.get(k), bool) for k in "xywh"
    ):
        return None
    return {k: int(layout[k]) for k in "xywh"}


def decompile_panel(panel: Any, *, with_layout: bool | None = None) -> dict[str, Any]:
    """One panel of a section or grid as a spec panel. Layouts: always (True), never (False:
    a report grid places its panels itself), or when not the default (None: workspaces)."""
    if not isinstance(panel, dict):
        return {"type": "raw", "json": {"viewType": "", "value": panel}}
    kind = KNOWN.get(str(panel.get("viewType")))
    config = panel.get("config")
    if kind is None or not isinstance(config, dict):
        return {"type": "raw", "json": raw_json(panel)}
    out: dict[str, Any] = {"type": kind}
    title = config.get("chartTitle")
    if kind in _TITLED and isinstance(title, str) and title:
        out["title"] = title
    out.update(_READERS[kind](config))
    layout = layout_of(panel)
    wanted = layout != DEFAULT_LAYOUT if with_layout is None else with_layout
    if layout is not None and wanted:
        out["layout"] = layout
    return complete(out, panel)


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    return None


def _number(value: Any) -> int | float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _group(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    group = config.get("groupBy")
    if isinstance(group, str) and group and group != "None":
        ref = _panel_group_ref(group)
        text = text_of(ref)
        if text is not None:
            out["group_by"] = text
    if isinstance(config.get("groupAgg"), str):
        out["aggregate"] = config["groupAgg"]
    if isinstance(config.get("groupArea"), str):
        out["range"] = config["groupArea"]
    return out


def _panel_group_ref(group: str) -> Ref | None:
    """A panel groupBy: a config key with `.value` after its first segment, or a run attribute
    by the front-end name wandb-workspaces writes (`Group`)."""
    if group in BY_FRONT_NAME:
        return Ref(Section.RUN, BY_FRONT_NAME[group])
    first, dot, rest = group.partition(".")
    segments = rest.split(".")
    if dot and segments[0] == "value":
        return Ref(Section.CONFIG, ".".join([first, *segments[1:]]))
    return None


def _smoothing(config: dict[str, Any]) -> dict[str, Any]:
    kind, weight = config.get("smoothingType"), _number(config.get("smoothingWeight"))
    if not isinstance(kind, str) or weight is None:
        return {}
    if kind == "exponential" and 0 <= weight < 1:
        return {"smoothing": weight}
    return {"smoothing": {"type": kind, "weight": weight}}


def _line(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    x = config.get("xAxis")
    if isinstance(x, str) and x and x != "_step":
        out["x"] = x
    y = _strings(config.get("metrics"))
    if y is not None:
        out["y"] = y[0] if len(y) == 1 else y
    out.update(_smoothing(config))
    for ours, theirs in (("log_x", "xLogScale"), ("log_y", "yLogScale")):
        if isinstance(config.get(theirs), bool):
            out[ours] = config[theirs]
    for ours, theirs in (
        ("x_min", "xAxisMin"),
        ("x_max", "xAxisMax"),
        ("y_min", "yAxisMin"),
        ("y_max", "yAxisMax"),
    ):
        if _number(config.get(theirs)) is not None:
            out[ours] = config[theirs]
    if _positive_int(config.get("limit")) is not None:
        out["max_runs"] = config["limit"]
    out.update(_group(config))
    if isinstance(config.get("plotType"), str):
        out["style"] = config["plotType"]
    if isinstance(config.get("legendTemplate"), str):
        out["legend"] = config["legendTemplate"]
    return out


def _bar(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    metrics = _strings(config.get("metrics"))
    if metrics is not None:
        out["metrics"] = metrics[0] if len(metrics) == 1 else metrics
    if config.get("vertical") is True:
        out["orientation"] = "vertical"
    if _positive_int(config.get("limit")) is not None:
        out["max_runs"] = config["limit"]
    if _positive_int(config.get("barLimit")) is not None:
        out["max_bars"] = config["barLimit"]
    out.update(_group(config))
    return out


def _scalar(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    metrics = _strings(config.get("metrics"))
    if metrics is not None:
        out["metric"] = metrics[0]
    grouping = _group(config)
    grouping.pop("group_by", None)
    out.update(grouping)
    return out


def _axis(value: Any) -> str | None:
    ref = column_ref(value)
    if ref is None or ref.section is Section.RUN:
        return None
    return ref_text(ref)


def _scatter(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ours, theirs in (("x", "xAxis"), ("y", "yAxis"), ("z", "zAxis")):
        text = _axis(config.get(theirs))
        if text is not None:
            out[ours] = text
    for ours, theirs in (
        ("log_x", "xAxisLogScale"),
        ("log_y", "yAxisLogScale"),
        ("regression", "showLinearRegression"),
    ):
        if isinstance(config.get(theirs), bool):
            out[ours] = config[theirs]
    return out


def _parallel(config: dict[str, Any]) -> dict[str, Any]:
    columns = config.get("columns")
    texts = [_axis(c.get("accessor")) if isinstance(c, dict) else None for c in columns or []]
    if columns and all(t is not None for t in texts):
        return {"columns": texts}
    return {}


def _comparer(config: dict[str, Any]) -> dict[str, Any]:
    return {"diff_only": True} if config.get("diffOnly") is True else {}


def _markdown(config: dict[str, Any]) -> dict[str, Any]:
    value = config.get("value")
    return {"text": value} if isinstance(value, str) else {"text": ""}


def _importance(config: dict[str, Any]) -> dict[str, Any]:
    target = config.get("targetKey")
    return {"metric": target} if isinstance(target, str) and target else {}


_READERS = {
    "line": _line,
    "bar": _bar,
    "scalar": _scalar,
    "scatter": _scatter,
    "parallel_coordinates": _parallel,
    "run_comparer": _comparer,
    "markdown": _markdown,
    "parameter_importance": _importance,
}

REQUIRED = {
    "line": ("y",),
    "bar": ("metrics",),
    "scalar": ("metric",),
    "scatter": ("x", "y"),
    "parallel_coordinates": ("columns",),
    "parameter_importance": ("metric",),
}


def complete(spec_panel: dict[str, Any], panel: Any) -> dict[str, Any]:
    """The spec panel, or a raw one when a field the spec requires could not be read."""
    missing = [f for f in REQUIRED.get(spec_panel["type"], ()) if f not in spec_panel]
    if missing and isinstance(panel, dict):
        return {"type": "raw", "json": raw_json(panel)}
    return spec_panel
