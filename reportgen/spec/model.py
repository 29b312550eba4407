"""The typed spec model: what a validated document means, independent of W&B's wire format.

`build_model` turns validated instances into `Workspace` and `Report` objects; a
leaderboard is sugar that `reportgen.compile.leaderboard` expands into those two. Values are
immutable; references and filters are parsed (`Ref`, filter trees), not strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from reportgen.spec.filters import Node
from reportgen.spec.gates import Gate
from reportgen.spec.refs import Ref

Scalar: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True)
class Source:
    """Where an object was declared, for messages: `file:line:col`."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class SortKey:
    ref: Ref
    ascending: bool = True


@dataclass(frozen=True)
class Columns:
    pinned: tuple[Ref, ...] = ()
    visible: tuple[Ref, ...] = ()
    hidden: tuple[Ref, ...] = ()
    order: tuple[Ref, ...] = ()
    widths: tuple[tuple[Ref, int], ...] = ()
    locked: bool | None = None


@dataclass(frozen=True)
class Filter:
    """A parsed filter and the text it came from."""

    text: str
    tree: Node


@dataclass(frozen=True)
class Runset:
    name: str = "Run set"
    entity: str | None = None
    project: str | None = None
    filter: Filter | None = None
    search: str = ""
    search_regex: bool = False
    group_by: tuple[Ref, ...] = ()
    sort: tuple[SortKey, ...] = ()
    columns: Columns = field(default_factory=Columns)
    run_colors: tuple[tuple[str, str], ...] = ()
    hidden_runs: tuple[str, ...] = ()
    baseline: str | None = None
    pinned_runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Smoothing:
    type: str
    weight: float


@dataclass(frozen=True)
class Layout:
    x: int = 0
    y: int = 0
    w: int = 8
    h: int = 6


@dataclass(frozen=True)
class LinePanel:
    y: tuple[str, ...]
    x: str = "_step"
    title: str | None = None
    smoothing: Smoothing | None = None
    log_x: bool | None = None
    log_y: bool | None = None
    x_min: float | None = None
    x_max: float | None = None
    y_min: float | None = None
    y_max: float | None = None
    max_runs: int | None = None
    group_by: Ref | None = None
    aggregate: str | None = None
    range: str | None = None
    style: str | None = None
    legend: str | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class BarPanel:
    metrics: tuple[str, ...]
    title: str | None = None
    orientation: str | None = None
    max_runs: int | None = None
    max_bars: int | None = None
    group_by: Ref | None = None
    aggregate: str | None = None
    range: str | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class ScalarPanel:
    metric: str
    title: str | None = None
    aggregate: str | None = None
    range: str | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class ScatterPanel:
    x: Ref
    y: Ref
    z: Ref | None = None
    title: str | None = None
    log_x: bool | None = None
    log_y: bool | None = None
    regression: bool | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class ParallelPanel:
    columns: tuple[Ref, ...]
    title: str | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class RunComparerPanel:
    diff_only: bool | None = None
    layout: Layout | None = None


@dataclass(frozen=True)
class MarkdownPanel:
    text: str
    layout: Layout | None = None


@dataclass(frozen=True)
class ImportancePanel:
    metric: str
    layout: Layout | None = None


@dataclass(frozen=True)
class RawPanel:
    """A panel reportgen has no words for, as W&B stores it (without its id); written by pull."""

    json: dict[str, Any]


Panel: TypeAlias = (
    LinePanel
    | BarPanel
    | ScalarPanel
    | ScatterPanel
    | ParallelPanel
    | RunComparerPanel
    | MarkdownPanel
    | ImportancePanel
    | RawPanel
)


@dataclass(frozen=True)
class Section:
    name: str
    panels: tuple[Panel, ...] = ()
    open: bool = True
    pinned: bool = False
    columns: int | None = None
    rows: int | None = None
    x: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    smoothing: Smoothing | None = None


@dataclass(frozen=True)
class WorkspaceSettings:
    x: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    smoothing: Smoothing | None = None
    ignore_outliers: bool | None = None
    max_runs: int | None = None
    tooltip_runs: str | None = None
    legends: bool | None = None
    point_visualization: str | None = None
    auto_panels: bool = False
    sort_panels: bool | None = None
    group_panels_by: str | None = None


@dataclass(frozen=True)
class Passthrough:
    """View JSON the spec language cannot say, kept verbatim: JSON Pointers into the view spec.

    Compile writes `sets` (pointer -> value) and removes `unsets` after everything else.
    """

    sets: tuple[tuple[str, Any], ...] = ()
    unsets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    """A saved workspace view."""

    key: str
    title: str
    entity: str
    project: str
    source: Source
    description: str = ""
    runset: Runset = field(default_factory=Runset)
    settings: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    sections: tuple[Section, ...] = ()
    adopt: tuple[str, ...] = ()
    passthrough: Passthrough | None = None

    kind = "workspace"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class TextBlock:
    """A block of one text: kind is p, markdown, quote, callout or latex."""

    kind: str
    text: str


@dataclass(frozen=True)
class CodeBlock:
    code: str
    language: str | None = None


@dataclass(frozen=True)
class ListBlock:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class ImageBlock:
    url: str
    caption: str = ""


@dataclass(frozen=True)
class MarkerBlock:
    """A block without content: hr or toc."""

    kind: str


@dataclass(frozen=True)
class PanelGrid:
    runsets: tuple[Runset, ...]
    panels: tuple[Panel, ...] = ()
    hide_runsets: bool = False


@dataclass(frozen=True)
class LeaderboardBlock:
    """A leaderboard's runs table and curves in a report, by the leaderboard's key (or a
    variant's); `reportgen.compile.leaderboard.embed` turns it into a panel grid."""

    key: str


@dataclass(frozen=True)
class RawBlock:
    """A report block reportgen has no words for, as W&B stores it; written by pull."""

    json: dict[str, Any]


Block: TypeAlias = (
    Heading
    | TextBlock
    | CodeBlock
    | ListBlock
    | ImageBlock
    | MarkerBlock
    | PanelGrid
    | LeaderboardBlock
    | RawBlock
)


@dataclass(frozen=True)
class Report:
    """A W&B report."""

    key: str
    title: str
    entity: str
    project: str
    source: Source
    description: str = ""
    width: str = "readable"
    blocks: tuple[Block, ...] = ()
    adopt: tuple[str, ...] = ()
    passthrough: Passthrough | None = None

    kind = "report"


View: TypeAlias = Workspace | Report


@dataclass(frozen=True)
class RankedMetric:
    """A leaderboard metric and its goal: 'max' (higher is better) or 'min'."""

    ref: Ref
    goal: str

    @property
    def sort_key(self) -> SortKey:
        return SortKey(self.ref, ascending=self.goal == "min")


@dataclass(frozen=True)
class Curves:
    y: tuple[str, ...]
    x: str = "_step"
    top: int = 5
    smoothing: Smoothing | None = None


@dataclass(frozen=True)
class Leaderboard:
    """A ranked runs table and the training curves of the top runs (one variant)."""

    key: str
    title: str
    entity: str
    project: str
    source: Source
    metrics: tuple[RankedMetric, ...]
    description: str = ""
    filter: Filter | None = None
    search: str = ""
    tiebreak: tuple[SortKey, ...] = ()
    columns: tuple[Ref, ...] = ()
    curves: Curves | None = None
    baseline: str | None = None
    publish: tuple[str, ...] = ("workspace", "report")
    group_by: tuple[Ref, ...] = ()
    min_group_size: int = 1
    gates: tuple[Gate, ...] = ()
    adopt: tuple[str, ...] = ()

    kind = "leaderboard"

    @property
    def sort(self) -> tuple[SortKey, ...]:
        """Metrics by their goal, then the tiebreaks: the leaderboard's ranking."""
        return tuple(m.sort_key for m in self.metrics) + self.tiebreak


Spec: TypeAlias = Workspace | Report | Leaderboard
