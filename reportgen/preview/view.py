"""W&B's stored view JSON -> what preview reads from it: run sets, columns, line plots, text.

A workspace (`project-view`) has one run set (`section.runSets[0]`) and sections of panels
(`section.panelBankConfig.sections`); a report (`runs`) has blocks, of which `panel-grid`
blocks carry their own run sets and panels. Only what the runs table and line plots need
is read; other panels and blocks are kept by kind so a page can say what it left out.
Keys are read as W&B writes them (REPORT.md 4.2): filterV2 config names with or without
`.value`, bare config sort keys, columns `config:<name>.value`, `summary:<name>`,
`run:<field>`, `tags:__ALL__`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reportgen.compile.normalize import WORKSPACE_TYPE
from reportgen.preview.mongo import ViewError, server_path

LINE_PLOT = "Run History Line Plot"
IDENTITY_PATHS = frozenset({"displayName", "name"})
DEFAULT_MAX_RUNS = 10  # W&B's line plots draw the first 10 runs unless told otherwise [infer]
NAME_COLUMN = "run:displayName"


@dataclass(frozen=True)
class SortSpec:
    """One sort key: a server path and its direction; identity keys (run name, run id) do
    not make two runs rank differently."""

    path: str
    ascending: bool
    label: str

    @property
    def identity(self) -> bool:
        return self.path in IDENTITY_PATHS


@dataclass(frozen=True)
class ColumnSpec:
    """A runs-table column: W&B's accessor, the server path it reads, a short label."""

    accessor: str
    path: str | None
    label: str


@dataclass(frozen=True)
class RunsetSpec:
    name: str
    filters: Any
    search: str = ""
    search_regex: bool = False
    sort: tuple[SortSpec, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    grouping: tuple[ColumnSpec, ...] = ()
    entity: str | None = None
    project: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class LinePlotSpec:
    title: str
    metrics: tuple[str, ...]
    x: str
    limit: int
    group_agg: str | None = None
    group_area: str | None = None


@dataclass(frozen=True)
class OtherPanel:
    view_type: str


Panel = LinePlotSpec | OtherPanel


@dataclass(frozen=True)
class TextBlock:
    """A report block shown as text: `kind` is paragraph, heading (with `level`), code, ..."""

    kind: str
    text: str
    level: int = 0


@dataclass(frozen=True)
class GridBlock:
    runsets: tuple[RunsetSpec, ...]
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class SectionSpec:
    name: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class ViewSpec:
    """What preview reads from one stored view."""

    type: str
    runsets: tuple[RunsetSpec, ...]
    sections: tuple[SectionSpec, ...] = ()
    blocks: tuple[TextBlock | GridBlock, ...] = field(default=())

    @property
    def is_workspace(self) -> bool:
        return self.type == WORKSPACE_TYPE

    def panels(self) -> tuple[Panel, ...]:
        return tuple(p for s in self.sections for p in s.panels)


def column_path(accessor: str) -> str | None:
    """The server path of a column accessor (None for columns that read no run value)."""
    section, _, name = accessor.partition(":")
    if not name:
        return None
    if section == "run":
        return name
    if section == "config":
        return f"config.{name}"
    if section == "summary":
        return f"summary_metrics.{name}"
    if section == "tags":
        return "tags"
    return None


def column_label(accessor: str) -> str:
    section, _, name = accessor.partition(":")
    if accessor == NAME_COLUMN:
        return "name"
    if section == "config":
        first, _, rest = name.partition(".")
        rest = rest.removeprefix("value").removeprefix(".")
        return f"{first}.{rest}" if rest else first
    if section == "tags":
        return "tags"
    return name or accessor


def _key_label(key: dict[str, Any]) -> str:
    section, name = key.get("section"), str(key.get("name"))
    if section == "config":
        return column_label(f"config:{name}")
    if section == "run" and name == "displayName":
        return "name"
    return name


def _sort(sort: Any) -> tuple[SortSpec, ...]:
    keys = sort.get("keys") if isinstance(sort, dict) else None
    specs: list[SortSpec] = []
    for item in keys or []:
        if not isinstance(item, dict):
            raise ViewError(f"a sort key must be an object, not {item!r}")
        key = item.get("key") or {}
        path = server_path(key)
        if path is not None:
            specs.append(SortSpec(path, bool(item.get("ascending", True)), _key_label(key)))
    if not specs:  # an unsorted runs table lists the newest run first [infer]
        specs.append(SortSpec("createdAt", False, "created"))
    return tuple(specs)


def _columns(feed: Any) -> tuple[ColumnSpec, ...]:
    feed = feed if isinstance(feed, dict) else {}
    pinned = feed.get("columnPinned") or {}
    visible = feed.get("columnVisible") or {}
    order = [c for c in feed.get("columnOrder") or [] if isinstance(c, str)]
    shown = [c for c in order if pinned.get(c) or visible.get(c)]
    shown += [c for c in pinned if pinned[c] and c not in shown]
    shown += [c for c in visible if visible[c] is True and c not in shown]
    shown = [NAME_COLUMN, *(c for c in shown if c != NAME_COLUMN)]
    return tuple(ColumnSpec(c, column_path(c), column_label(c)) for c in shown)


def _grouping(keys: Any) -> tuple[ColumnSpec, ...]:
    specs = []
    for key in keys or []:
        path = server_path(key)
        if path is not None:
            accessor = f"{key.get('section')}:{key.get('name')}"
            specs.append(ColumnSpec(accessor, path, _key_label(key)))
    return tuple(specs)


def runset(data: Any) -> RunsetSpec:
    if not isinstance(data, dict):
        raise ViewError("a run set must be an object")
    search = data.get("search") or {}
    project = data.get("project") or {}
    return RunsetSpec(
        name=str(data.get("name") or "Run set"),
        filters=data.get("filters"),
        search=str(search.get("query") or ""),
        search_regex=bool(search.get("isRegex")),
        sort=_sort(data.get("sort")),
        columns=_columns(data.get("runFeed")),
        grouping=_grouping(data.get("grouping")),
        entity=project.get("entityName") or None,
        project=project.get("name") or None,
        enabled=data.get("enabled", True) is not False,
    )


def panel(data: Any, max_runs: int, x_axis: str = "_step") -> Panel:
    if not isinstance(data, dict):
        raise ViewError("a panel must be an object")
    kind = str(data.get("viewType") or "")
    if kind != LINE_PLOT:
        return OtherPanel(kind)
    config = data.get("config") or {}
    metrics = tuple(str(m) for m in config.get("metrics") or [])
    limit = config.get("limit")
    return LinePlotSpec(
        title=str(config.get("chartTitle") or ", ".join(metrics)),
        metrics=metrics,
        x=str(config.get("xAxis") or x_axis),
        limit=limit if isinstance(limit, int) and limit > 0 else max_runs,
        group_agg=config.get("groupAgg"),
        group_area=config.get("groupArea"),
    )


def _text(children: Any) -> str:
    if isinstance(children, list):
        return "".join(_text(c) for c in children)
    if isinstance(children, dict):
        return str(children.get("text") or "") + _text(children.get("children"))
    return ""


def _block(data: Any, max_runs: int) -> TextBlock | GridBlock | None:
    if not isinstance(data, dict):
        return None
    kind = str(data.get("type") or "")
    if kind == "panel-grid":
        meta = data.get("metadata") or {}
        bank = meta.get("panelBankSectionConfig") or {}
        return GridBlock(
            tuple(runset(r) for r in meta.get("runSets") or []),
            tuple(panel(p, max_runs) for p in bank.get("panels") or []),
        )
    if kind == "code-block":
        return TextBlock("code", "\n".join(_text(c) for c in data.get("children") or []))
    text = _text(data.get("children"))
    if kind == "paragraph" and not text.strip():
        return None
    level = data.get("level") if kind == "heading" else 0
    return TextBlock(kind, text, level if isinstance(level, int) else 1)


def read_view(spec: Any, view_type: str) -> ViewSpec:
    """The run sets, panels and text of a stored view spec; raises ViewError if unreadable."""
    if not isinstance(spec, dict):
        raise ViewError("a view spec must be a JSON object")
    if view_type == WORKSPACE_TYPE:
        section = spec.get("section") or {}
        settings = section.get("settings") or {}
        max_runs = settings.get("maxRuns")
        limit = max_runs if isinstance(max_runs, int) and max_runs > 0 else DEFAULT_MAX_RUNS
        x_axis = str(settings.get("xAxis") or "_step")
        bank = section.get("panelBankConfig") or {}
        sections = tuple(
            SectionSpec(
                str(s.get("name") or ""),
                tuple(panel(p, limit, x_axis) for p in s.get("panels") or []),
            )
            for s in bank.get("sections") or []
            if isinstance(s, dict)
        )
        runsets = tuple(runset(r) for r in (section.get("runSets") or [])[:1])
        return ViewSpec(view_type, runsets, sections=sections)
    blocks = tuple(
        b for b in (_block(d, DEFAULT_MAX_RUNS) for d in spec.get("blocks") or []) if b is not None
    )
    runsets = tuple(r for b in blocks if isinstance(b, GridBlock) for r in b.runsets)
    return ViewSpec(view_type, runsets, blocks=blocks)
