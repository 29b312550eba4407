"""One view evaluated against live runs: its tables ranked, its curves drawn, its data
checked and its gates decided.

Per run set: pages of runs as `fetch` decides (the first also counts the matching runs);
one request counting, for the config and summary keys that none of the runs read has,
the runs that do (data checks; no request when every key was seen); one request reading
the sampled history of the runs the line plots draw (many runs per request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.preview import checks
from reportgen.preview.curves import Chart, Points, charts, key_sets, points
from reportgen.preview.engine import Ranking, Row, rank, runset_filter
from reportgen.preview.fetch import Fetched, fetch_runs, flatten, read_paths
from reportgen.preview.gate import GateResult, check, ref_path
from reportgen.preview.records import from_node
from reportgen.preview.values import MISSING, resolve
from reportgen.preview.view import GridBlock, LinePlotSpec, RunsetSpec, ViewSpec, read_view
from reportgen.problems import Problem
from reportgen.remote.client import Remote
from reportgen.remote.runs import (
    MAX_ALIASES,
    ProjectNotFound,
    RunHistory,
    histories,
    run_counts,
    runs_page,
)
from reportgen.spec.gates import Gate

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Target:
    """A view to evaluate: where it lives, its stored spec, and what only the spec knows."""

    key: str
    title: str
    kind: str
    entity: str
    project: str
    view_type: str
    spec: Mapping[str, Any]
    place: checks.Place
    filter_text: str = ""
    min_group_size: int = 1
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True)
class Options:
    rows: int = 20
    everything: bool = False
    strict: bool = False
    samples: int = 1000
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass
class Table:
    """A ranked run set and the rows to show (the top rows, ties at the boundary kept)."""

    ranking: Ranking
    shown: tuple[Row, ...]
    total: int | None
    complete: bool
    charts: list[Chart] = field(default_factory=list)
    absent: frozenset[str] = frozenset()  # paths no matching run has (data checks)


@dataclass
class Board:
    target: Target
    view: ViewSpec
    tables: list[Table] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    requests: int = 0

    def add(self, problem: Problem) -> None:
        """A problem, once: run sets of one view (a report's) often share them."""
        if problem not in self.problems:
            self.problems.append(problem)

    @property
    def ranking(self) -> Ranking | None:
        return self.tables[0].ranking if self.tables else None

    @property
    def charts(self) -> list[Chart]:
        return [chart for table in self.tables for chart in table.charts]


def top_rows(ranking: Ranking, rows: int | None) -> tuple[Row, ...]:
    """The first `rows` rows and any that share the last one's rank (all with None)."""
    if rows is None or len(ranking.rows) <= rows:
        return ranking.rows
    cut = rows
    last = ranking.rows[rows - 1].rank
    while cut < len(ranking.rows) and last is not None and ranking.rows[cut].rank == last:
        cut += 1
    return ranking.rows[:cut]


def _plots(view: ViewSpec) -> list[tuple[RunsetSpec, list[LinePlotSpec]]]:
    """Each run set with the line plots that draw its runs."""
    if view.is_workspace:
        plots = [p for p in view.panels() if isinstance(p, LinePlotSpec)]
        return [(r, plots) for r in view.runsets[:1]]
    out = []
    for block in view.blocks:
        if isinstance(block, GridBlock):
            plots = [p for p in block.panels if isinstance(p, LinePlotSpec)]
            out += [(r, plots) for r in block.runsets if r.enabled]
    return out


def evaluate(
    remote: Remote, target: Target, options: Options, progress: Progress | None = None
) -> Board:
    """Rank every run set of the view, draw its curves, check its data and gates."""
    view = read_view(target.spec, target.view_type)
    board = Board(target, view)
    # Gates read the first run set: their keys are fetched and checked with its own.
    gated = {ref_path(g.ref): g.text for g in target.gates if g.ref is not None}
    for index, (runset, plots) in enumerate(_plots(view)):
        entity, project = runset.entity or target.entity, runset.project or target.project
        table = _table(
            remote, board, runset, plots, entity, project, options, progress,
            gated if index == 0 else {},
        )  # fmt: skip
        board.tables.append(table)
        drawn = [row for plot in plots for row in table.ranking.drawn(plot)]
        run_ids = list(dict.fromkeys(i for row in drawn for i in row.run_ids()))
        wanted = key_sets(plots)
        found: dict[str, RunHistory] = {}
        if run_ids:
            found = histories(remote, entity, project, run_ids, wanted, options.samples)
            board.requests += 1 + (len(run_ids) - 1) // MAX_ALIASES
        source = _source(found, wanted)
        for plot in plots:
            table.charts += charts(table.ranking, plot, source)
        logged = {k for h in found.values() for k in h.keys}
        keys = [k for pair in wanted for k in pair]
        for problem in checks.history_problems(
            target.place, keys, logged, len(run_ids), strict=options.strict
        ):
            board.add(problem)
    if board.tables:
        first = board.tables[0]
        board.gates = [check(g, first.ranking, first.absent) for g in target.gates]
    return board


def _table(
    remote: Remote,
    board: Board,
    runset: RunsetSpec,
    plots: Sequence[LinePlotSpec],
    entity: str,
    project: str,
    options: Options,
    progress: Progress | None,
    gated: Mapping[str, str],
) -> Table:
    target = board.target
    needed = max([options.rows, *(p.limit for p in plots), *(g.top for g in target.gates)])
    try:
        fetched = fetch_runs(
            remote, entity, project, runset,
            now=options.now, rows=needed,
            everything=options.everything or bool(runset.grouping),
            progress=None if progress is None else lambda n, t: progress(target.key, n, t),
            extra_paths=tuple(gated),
        )  # fmt: skip
    except ProjectNotFound:
        fetched = Fetched(runs=[], total=0, complete=True, requests=1)
        exists = False
    else:
        exists = True
    board.requests += fetched.requests
    ranking = rank(runset, fetched.runs, now=options.now, min_group_size=target.min_group_size)
    shown = top_rows(ranking, None if options.everything else options.rows)
    if not exists:
        problem = checks.project_problem(
            target.place, entity, project, exists=False, strict=options.strict
        )
        board.add(problem)
        return Table(ranking, shown, 0, True)
    counts = _counts(remote, board, runset, entity, project, fetched, options, tuple(gated))
    if counts.matched == 0 and not counts.project:
        problem = checks.project_problem(
            target.place, entity, project, exists=True, strict=options.strict
        )
        board.add(problem)
        return Table(ranking, shown, 0, True)
    if counts.matched == 0 and 0 in counts.anywhere.values():
        _sample_keys(remote, entity, project, fetched)
        board.requests += 1
    for problem in checks.key_problems(
        target.place, counts, fetched.config_keys, fetched.summary_keys,
        filter_text=target.filter_text, strict=options.strict,
        gates={p: t for p, t in gated.items() if p not in read_paths(runset, options.now)},
        runset=runset.name if target.kind == "report" else None,
    ):  # fmt: skip
        board.add(problem)
    absent = frozenset(p for p, n in counts.within.items() if counts.matched and not n)
    return Table(ranking, shown, counts.matched, fetched.complete, absent=absent)


def _counts(
    remote: Remote,
    board: Board,
    runset: RunsetSpec,
    entity: str,
    project: str,
    fetched: Fetched,
    options: Options,
    extra: Sequence[str] = (),
) -> checks.Counts:
    """What the data checks need: the keys no run read has, counted by the server (one
    request, and none when every key was seen)."""
    matched = len(fetched.runs) if fetched.total is None else fetched.total
    paths = checks.probed([*read_paths(runset, options.now), *extra])
    unseen = [p for p in paths if all(resolve(r, p) is MISSING for r in fetched.runs)]
    if not unseen and matched:
        return checks.Counts(matched)
    known = fetched.complete or not matched  # every matching run was read: none has them
    within_asked = [] if known else unseen
    flt = runset_filter(runset, options.now)
    asked = checks.probes(flt, within_asked, unseen, project=not matched)
    try:
        counted = run_counts(remote, entity, project, asked)
    except ProjectNotFound:
        counted = [0] * len(asked)
    board.requests += 1 + (len(asked) - 1) // MAX_ALIASES
    n = len(within_asked)
    within = dict(zip(within_asked, counted[:n], strict=True)) if n else dict.fromkeys(unseen, 0)
    anywhere = dict(zip(unseen, counted[n : n + len(unseen)], strict=True))
    return checks.Counts(matched, within, anywhere, counted[-1] if not matched else 0)


def _sample_keys(remote: Remote, entity: str, project: str, fetched: Fetched) -> None:
    """Keys of a few of the project's runs, for suggestions when the filter matches none."""
    page = runs_page(remote, entity, project, filters={}, order="-createdAt", per_page=50)
    for node in page.nodes:
        record = from_node(node)
        fetched.config_keys.update(flatten(record.config, envelope=True))
        fetched.summary_keys.update(flatten(record.summary, envelope=False))


def _source(found: Mapping[str, RunHistory], wanted: list[tuple[str, str]]) -> Any:
    index = {pair: i for i, pair in enumerate(wanted)}

    def source(run_id: str, x: str, y: str) -> Points:
        history = found.get(run_id)
        i = index.get((x, y))
        if history is None or i is None or i >= len(history.samples):
            return []
        return points(history.samples[i], x, y)

    return source
