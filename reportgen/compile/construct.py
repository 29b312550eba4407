"""The spec model -> wandb-workspaces `ws.Workspace` and `wr.Report` objects. No network.

Objects are built through the library's public classes, the way a W&B user writes them
in Python, so that the spec JSON W&B receives is the library's own. Two things are ours:

* Filters: built as filterV2 from our syntax tree (`reportgen.compile.filterv2`) and handed to the
  library through the stash it keeps for loaded specs, never through its string parser,
  which renames config keys called name/state/group, rewrites =, <, > inside string
  literals, drops bare dotted paths and cannot quote ' (REPORT.md 5.2).
* Names the library would rewrite: `.value` is placed where W&B wants it (REPORT.md 4.2);
  run attributes go through the library's own front-end names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import wandb_workspaces.reports.v2 as wr
import wandb_workspaces.workspaces as ws
from wandb_workspaces import expr

from reportgen.compile import leaderboard
from reportgen.compile.filterv2 import to_v2
from reportgen.spec import model as m
from reportgen.spec.filters import FilterError
from reportgen.spec.refs import Ref, Section

TOOLTIP = {"default": "default", "all": "all_runs", "single": "single"}
POINTS = {"bucketing": "bucketing", "downsampling": "downsampling"}


class CompileError(ValueError):
    """A validated spec that W&B cannot store as written; `code` is the problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def expand(specs: Sequence[m.Spec]) -> list[m.View]:
    """Leaderboards become their workspace and report views; others pass through. A report's
    `- leaderboard: KEY` blocks become that leaderboard's runs table and curves."""
    boards = {spec.key: spec for spec in specs if isinstance(spec, m.Leaderboard)}
    views: list[m.View] = []
    for spec in specs:
        views.extend(leaderboard.views(spec) if isinstance(spec, m.Leaderboard) else [spec])
    try:
        return [leaderboard.embed(view, boards) for view in views]
    except KeyError as exc:
        raise CompileError("RG402", f"no leaderboard has the key {exc.args[0]!r}") from None


def compile_view(view: m.View) -> ws.Workspace | wr.Report:
    return compile_workspace(view) if isinstance(view, m.Workspace) else compile_report(view)


# references


def front_name(ref: Ref) -> str:
    """A run attribute by the front-end name wandb-workspaces maps to the backend name."""
    return str(expr.to_frontend_name(ref.attribute.backend))


def config_path(name: str) -> str:
    """W&B stores config as {key: {value: ...}}: `.value` goes after the first segment."""
    first, _, rest = name.partition(".")
    return f"{first}.value" + (f".{rest}" if rest else "")


def column(ref: Ref) -> str:
    """A runs-table column accessor: run:displayName, config:lr.value, summary:acc, tags:__ALL__."""
    if ref.section is Section.CONFIG:
        return f"config:{config_path(ref.name)}"
    if ref.section is Section.SUMMARY:
        return f"summary:{ref.name}"
    return ref.attribute.column


# The library spells the same three terms twice: in its expression module (workspaces)
# and in its reports module.
_WORKSPACE_TERMS = (expr.Config, expr.Summary, expr.Metric)
_REPORT_TERMS = (wr.Config, wr.SummaryMetric, wr.Metric)


def _term(ref: Ref, terms: tuple[Any, Any, Any]) -> Any:
    config, summary, run = terms
    if ref.section is Section.CONFIG:
        return config(ref.name)
    if ref.section is Section.SUMMARY:
        return summary(ref.name)
    return run(front_name(ref))


def metric(ref: Ref) -> Any:
    """The wandb-workspaces expression object of a reference."""
    return _term(ref, _WORKSPACE_TERMS)


def group_metric(ref: Ref) -> Any:
    """A workspace group-by key. Config keys are given whole (`lr.value`, `a.value.b`), which
    the library passes through (`expr.groupby_str_to_key`); given bare, it inserts `.value`
    itself, wrongly for a nested key named `value`, and renames keys spelled like its
    front-end run names (`config.State` -> `state.value`)."""
    return expr.Config(config_path(ref.name)) if ref.section is Section.CONFIG else metric(ref)


def report_metric(ref: Ref) -> Any:
    """The reports-module term of a reference (sort keys, scatter and parallel axes)."""
    return _term(ref, _REPORT_TERMS)


def group_string(ref: Ref) -> str:
    """A report run set group-by string (`config.x.value`, `summary.x`, `run.group`); config
    keys whole, as in `group_metric`."""
    if ref.section is Section.RUN:
        return f"run.{ref.attribute.backend}"
    if ref.section is Section.CONFIG:
        return f"config.{config_path(ref.name)}"
    return f"summary.{ref.name}"


def panel_group(ref: Ref | None) -> Any:
    """A panel groupBy: a config key (whole, as in `group_metric`) or a run attribute. W&B
    panels cannot group by a summary metric (the library crashes on one, REPORT 5.3)."""
    if ref is None:
        return None
    if ref.section is Section.CONFIG:
        return wr.Config(config_path(ref.name))
    if ref.section is Section.SUMMARY:
        raise CompileError("RG304", f"panels group by a config key or a run attribute, not {ref}")
    return wr.Metric(front_name(ref))


# panels


def _layout(layout: m.Layout | None) -> dict[str, Any]:
    return (
        {}
        if layout is None
        else {"layout": wr.Layout(x=layout.x, y=layout.y, w=layout.w, h=layout.h)}
    )


def _smoothing(smoothing: m.Smoothing | None) -> dict[str, Any]:
    if smoothing is None:
        return {}
    return {"smoothing_type": smoothing.type, "smoothing_factor": float(smoothing.weight)}


def _drop_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


def _raw_layout(json: dict[str, Any]) -> dict[str, Any]:
    layout = json.get("layout")
    if isinstance(layout, dict) and all(
        isinstance(layout.get(k), int) and not isinstance(layout.get(k), bool) for k in "xywh"
    ):
        return {"layout": wr.Layout(x=layout["x"], y=layout["y"], w=layout["w"], h=layout["h"])}
    return {}


def compile_panel(panel: m.Panel) -> Any:
    if isinstance(panel, m.RawPanel):
        # A placeholder where the raw panel stands; `passthrough.apply_patches` puts the
        # panel's JSON there once the library has serialised the object.
        return wr.MarkdownPanel(markdown="", **_raw_layout(panel.json))
    if isinstance(panel, m.LinePanel):
        return wr.LinePlot(
            x=panel.x,
            y=list(panel.y),
            range_x=(panel.x_min, panel.x_max),
            range_y=(panel.y_min, panel.y_max),
            **_drop_none(
                title=panel.title,
                log_x=panel.log_x,
                log_y=panel.log_y,
                groupby=panel_group(panel.group_by),
                groupby_aggfunc=panel.aggregate,
                groupby_rangefunc=panel.range,
                max_runs_to_show=panel.max_runs,
                plot_type=panel.style,
                legend_template=panel.legend,
            ),
            **_smoothing(panel.smoothing),
            **_layout(panel.layout),
        )
    if isinstance(panel, m.BarPanel):
        orientation = {"horizontal": "h", "vertical": "v"}.get(panel.orientation or "")
        return wr.BarPlot(
            metrics=list(panel.metrics),
            **_drop_none(
                title=panel.title,
                orientation=orientation,
                groupby=panel_group(panel.group_by),
                groupby_aggfunc=panel.aggregate,
                groupby_rangefunc=panel.range,
                max_runs_to_show=panel.max_runs,
                max_bars_to_show=panel.max_bars,
            ),
            **_layout(panel.layout),
        )
    if isinstance(panel, m.ScalarPanel):
        return wr.ScalarChart(
            metric=panel.metric,
            **_drop_none(
                title=panel.title, groupby_aggfunc=panel.aggregate, groupby_rangefunc=panel.range
            ),
            **_layout(panel.layout),
        )
    if isinstance(panel, m.ScatterPanel):
        return wr.ScatterPlot(
            x=report_metric(panel.x),
            y=report_metric(panel.y),
            **_drop_none(
                z=None if panel.z is None else report_metric(panel.z),
                title=panel.title,
                log_x=panel.log_x,
                log_y=panel.log_y,
                regression=panel.regression,
            ),
            **_layout(panel.layout),
        )
    if isinstance(panel, m.ParallelPanel):
        columns = [wr.ParallelCoordinatesPlotColumn(metric=report_metric(r)) for r in panel.columns]
        return wr.ParallelCoordinatesPlot(
            columns=columns, **_drop_none(title=panel.title), **_layout(panel.layout)
        )
    if isinstance(panel, m.RunComparerPanel):
        return wr.RunComparer(
            **_drop_none(diff_only=True if panel.diff_only else None), **_layout(panel.layout)
        )
    if isinstance(panel, m.MarkdownPanel):
        return wr.MarkdownPanel(markdown=panel.text, **_layout(panel.layout))
    return wr.ParameterImportancePlot(with_respect_to=panel.metric, **_layout(panel.layout))


# workspaces


def _run_settings(runset: m.Runset, cls: Any) -> dict[str, Any]:
    colors = dict(runset.run_colors)
    ids = list(dict.fromkeys([*colors, *runset.hidden_runs]))
    return {i: cls(color=colors.get(i, ""), disabled=i in runset.hidden_runs) for i in ids}


def _stash_filters(target: Any, runset: m.Runset, filter_string: str) -> None:
    """Hand our filterV2 to the library through the stash it keeps for loaded specs.

    The library emits a stashed filterV2 verbatim while the filter string is unchanged
    (REPORT.md 7); the string stays empty so the library's parser never sees our filter.
    """
    try:
        v2 = to_v2(runset.filter.tree if runset.filter else None)
    except FilterError as exc:
        assert runset.filter is not None
        raise CompileError("RG201", f"filter {runset.filter.text!r}: {exc.message}") from None
    object.__setattr__(target, "_stashed_filters_v2", v2)
    object.__setattr__(target, "_stashed_filter_string", filter_string)


def compile_workspace(view: m.Workspace) -> ws.Workspace:
    runset, settings = view.runset, view.settings
    order = [expr.Ordering(metric(k.ref), ascending=k.ascending) for k in runset.sort]
    runset_settings = ws.RunsetSettings(
        query=runset.search,
        regex_query=runset.search_regex,
        groupby=[group_metric(r) for r in runset.group_by],
        run_settings=_run_settings(runset, ws.RunSettings),
        pinned_columns=[column(r) for r in runset.columns.pinned],
        pinned_runs=list(runset.pinned_runs),
        **({"order": order} if order else {}),
        **_drop_none(baseline_run=runset.baseline),
    )
    workspace = ws.Workspace(
        entity=view.entity,
        project=view.project,
        name=view.title,
        sections=[_section(s) for s in view.sections],
        settings=_settings(settings),
        runset_settings=runset_settings,
        auto_generate_panels=settings.auto_panels,
    )
    _stash_filters(workspace, runset, workspace.runset_settings.filters)
    return workspace


def _settings(settings: m.WorkspaceSettings) -> ws.WorkspaceSettings:
    smoothing = settings.smoothing
    return ws.WorkspaceSettings(
        **_drop_none(
            x_axis=settings.x,
            x_min=settings.x_min,
            x_max=settings.x_max,
            smoothing_type=smoothing.type if smoothing else None,
            smoothing_weight=int(smoothing.weight) if smoothing else None,
            ignore_outliers=settings.ignore_outliers,
            max_runs=settings.max_runs,
            tooltip_number_of_runs=TOOLTIP.get(settings.tooltip_runs or ""),
            remove_legends_from_panels=None if settings.legends is None else not settings.legends,
            point_visualization_method=POINTS.get(settings.point_visualization or ""),
            sort_panels_alphabetically=settings.sort_panels,
            group_by_prefix=settings.group_panels_by,
        )
    )


def _section(section: m.Section) -> ws.Section:
    smoothing = section.smoothing
    return ws.Section(
        name=section.name,
        panels=[compile_panel(p) for p in section.panels],
        is_open=section.open,
        pinned=section.pinned,
        layout_settings=ws.SectionLayoutSettings(
            **_drop_none(columns=section.columns, rows=section.rows)
        ),
        panel_settings=ws.SectionPanelSettings(
            **_drop_none(
                x_axis=section.x,
                x_min=section.x_min,
                x_max=section.x_max,
                smoothing_type=smoothing.type if smoothing else None,
                smoothing_weight=int(smoothing.weight) if smoothing else None,
            )
        ),
    )


# reports


def compile_runset(runset: m.Runset, report: m.Report) -> wr.Runset:
    cols = runset.columns
    order = [wr.OrderBy(name=report_metric(k.ref), ascending=k.ascending) for k in runset.sort]
    compiled = wr.Runset(
        entity=runset.entity or report.entity,
        project=runset.project or report.project,
        name=runset.name,
        query=runset.search,
        groupby=[group_string(r) for r in runset.group_by],
        run_settings=_run_settings(runset, wr.RunSettings),
        pinned_columns=[column(r) for r in cols.pinned],
        visible_columns=[column(r) for r in cols.visible],
        hidden_columns=[column(r) for r in cols.hidden],
        column_order=[column(r) for r in cols.order],
        column_widths={column(r): w for r, w in cols.widths},
        lock_columns=cols.locked,
        **({"order": order} if order else {}),
    )
    _stash_filters(compiled, runset, compiled.filters)
    return compiled


def compile_block(block: m.Block, report: m.Report) -> Any:
    if isinstance(block, m.Heading):
        return {1: wr.H1, 2: wr.H2, 3: wr.H3}[block.level](text=block.text)
    if isinstance(block, m.TextBlock):
        cls = {
            "p": wr.P,
            "markdown": wr.MarkdownBlock,
            "quote": wr.BlockQuote,
            "callout": wr.CalloutBlock,
            "latex": wr.LatexBlock,
        }[block.kind]
        return cls(text=block.text)
    if isinstance(block, m.CodeBlock):
        return wr.CodeBlock(code=block.code, **_drop_none(language=block.language))
    if isinstance(block, m.ListBlock):
        return (wr.OrderedList if block.numbered else wr.UnorderedList)(items=list(block.items))
    if isinstance(block, m.ImageBlock):
        return wr.Image(url=block.url, caption=block.caption)
    if isinstance(block, m.MarkerBlock):
        return wr.HorizontalRule() if block.kind == "hr" else wr.TableOfContents()
    if isinstance(block, m.LeaderboardBlock):  # `expand` has embedded it already
        raise CompileError("RG402", f"leaderboard block {block.key!r} was not resolved")
    if isinstance(block, m.RawBlock):
        return wr.HorizontalRule()  # a placeholder, replaced as for raw panels
    return wr.PanelGrid(
        runsets=[compile_runset(r, report) for r in block.runsets],
        panels=[compile_panel(p) for p in block.panels],
        hide_run_sets=block.hide_runsets,
    )


def compile_report(view: m.Report) -> wr.Report:
    return wr.Report(
        project=view.project,
        entity=view.entity,
        title=view.title,
        description=view.description,
        width=view.width,
        blocks=[compile_block(b, view) for b in view.blocks],
    )
