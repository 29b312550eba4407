"""A leaderboard, spelled out as the workspace view and report a W&B user would build.

The runs table is filtered, sorted by each metric in the direction of its goal and then
by the tiebreaks, and pins the run name, the metrics and the chosen columns. Beside it,
one line plot per curve metric draws the top N runs in that order (W&B draws the first N
runs of the run set's sort order: `max_runs`).

Seed groups (`group_by`) are W&B's own run grouping: the run set is grouped by those keys,
and each curve draws the group's mean with a standard-deviation band (`groupAgg: mean`,
`groupArea: stddev`; panels follow the runs table's grouping).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reportgen.spec import model as m
from reportgen.spec.refs import Ref, Section

RUN_NAME = Ref(Section.RUN, "name")


def views(board: m.Leaderboard) -> list[m.View]:
    """The views a leaderboard publishes, in the order of `publish`."""
    made: list[m.View] = []
    for target in board.publish:
        made.append(workspace(board) if target == "workspace" else report(board))
    return made


def runset(board: m.Leaderboard, *, workspace: bool) -> m.Runset:
    pinned = tuple(dict.fromkeys((RUN_NAME, *(x.ref for x in board.metrics), *board.columns)))
    return m.Runset(
        name=board.title,
        filter=board.filter,
        search=board.search,
        group_by=board.group_by,
        sort=board.sort,
        columns=m.Columns(pinned=pinned),
        baseline=board.baseline if workspace else None,
    )


def curve_panels(board: m.Leaderboard) -> tuple[m.Panel, ...]:
    curves = board.curves
    if curves is None:
        return ()
    aggregate, band = ("mean", "stddev") if board.group_by else (None, None)
    what = "groups" if board.group_by else ""
    return tuple(
        m.LinePanel(
            y=(metric,),
            x=curves.x,
            title=f"{metric} · top {curves.top}{' ' + what if what else ''}",
            max_runs=curves.top,
            smoothing=curves.smoothing,
            aggregate=aggregate,
            range=band,
        )
        for metric in curves.y
    )


def ranking_sentence(board: m.Leaderboard) -> str:
    """'Ranked by accuracy (higher is better), then loss (lower is better), then run name.'"""
    parts = [
        f"{x.ref.name} ({'higher' if x.goal == 'max' else 'lower'} is better)"
        for x in board.metrics
    ]
    parts += [
        f"{_label(k.ref)} ({'ascending' if k.ascending else 'descending'})" for k in board.tiebreak
    ]
    sentence = "Ranked by " + ", then ".join(parts) + "."
    if board.group_by:
        keys = ", ".join(_label(r) for r in board.group_by)
        sentence += f" Runs are grouped by {keys}; groups rank by their mean."
    return sentence


def _label(ref: Ref) -> str:
    return f"run {ref.name}" if ref.section is Section.RUN else str(ref)


def _identity(board: m.Leaderboard) -> dict[str, Any]:
    """What a leaderboard's views share with it: key, title, place, description, source."""
    names = ("key", "title", "entity", "project", "source", "description", "adopt")
    return {name: getattr(board, name) for name in names}


def workspace(board: m.Leaderboard) -> m.Workspace:
    panels = curve_panels(board)
    sections: tuple[m.Section, ...] = ()
    if panels:
        top = board.curves.top if board.curves else 0
        sections = (m.Section(name=f"Top {top} training curves", panels=panels),)
    x = board.curves.x if board.curves else None
    top_n = board.curves.top if board.curves else None
    return m.Workspace(
        **_identity(board),
        runset=runset(board, workspace=True),
        settings=m.WorkspaceSettings(x=x, max_runs=top_n),
        sections=sections,
    )


def report(board: m.Leaderboard) -> m.Report:
    blocks: list[m.Block] = []
    if board.description:
        blocks.append(m.TextBlock("p", board.description))
    blocks.append(m.TextBlock("p", ranking_sentence(board)))
    blocks.append(
        m.PanelGrid(runsets=(runset(board, workspace=False),), panels=curve_panels(board))
    )
    return m.Report(**_identity(board), blocks=tuple(blocks))


def embedded(board: m.Leaderboard) -> m.PanelGrid:
    """What `- leaderboard: KEY` places in a report: the leaderboard's runs table (in its
    own entity and project, wherever the report lives) and its curves."""
    table = replace(runset(board, workspace=False), entity=board.entity, project=board.project)
    return m.PanelGrid(runsets=(table,), panels=curve_panels(board))


def embed(view: m.View, boards: dict[str, m.Leaderboard]) -> m.View:
    """A report with each leaderboard block replaced by that leaderboard's panel grid.

    Raises KeyError with the key of a block that names no leaderboard (validation reports
    that first, RG402)."""
    if not isinstance(view, m.Report) or not any(
        isinstance(b, m.LeaderboardBlock) for b in view.blocks
    ):
        return view
    blocks = tuple(
        embedded(boards[b.key]) if isinstance(b, m.LeaderboardBlock) else b for b in view.blocks
    )
    return replace(view, blocks=blocks)
