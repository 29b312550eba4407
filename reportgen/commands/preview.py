"""`reportgen preview`: the specs' runs tables, ranked from live runs, with curves, checks
and gates; with `--diff`, the rank moves against the views live on W&B.

Each leaderboard is evaluated once (its first published view: the workspace view and the
report share one run set); workspaces and reports each on their own. The view evaluated
is the JSON `build` writes, so preview also shows what compile made of the spec.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from reportgen.commands import apply as applying
from reportgen.commands.build import BuiltView
from reportgen.commands.declare import Declarations, leaderboards
from reportgen.commands.plan import Plan, select
from reportgen.preview.checks import Place
from reportgen.preview.diff import BoardMoves, rank_moves
from reportgen.preview.evaluate import Board, Options, Progress, Target, evaluate
from reportgen.preview.gate import GateResult
from reportgen.preview.mongo import ViewError
from reportgen.problems import Problem, ReportgenError
from reportgen.remote.session import Session
from reportgen.spec import model as m
from reportgen.spec.gates import Gate


@dataclass(frozen=True)
class PreviewOptions:
    targets: tuple[str, ...] = ()
    rows: int = 20
    everything: bool = False
    strict: bool = False
    gates: tuple[Gate, ...] = ()
    diff: bool = False


@dataclass
class PreviewResult:
    boards: list[Board]
    moves: list[BoardMoves] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return sorted(p for b in self.boards for p in b.problems)

    @property
    def failed_gates(self) -> list[tuple[Board, GateResult]]:
        return [(b, g) for b in self.boards for g in b.gates if g.checked and not g.ok]

    @property
    def unchecked_gates(self) -> list[tuple[Board, GateResult]]:
        """Gates the data cannot answer (no run matches, or none has the key): a data
        problem, reported as such, never a failed gate."""
        return [(b, g) for b in self.boards for g in b.gates if not g.checked]

    @property
    def requests(self) -> int:
        return sum(b.requests for b in self.boards)


def targets(
    views: Sequence[BuiltView],
    boards: Mapping[str, m.Leaderboard],
    extra_gates: Sequence[Gate] = (),
) -> list[Target]:
    """One target per leaderboard (its first published view) and per workspace or report."""
    out: list[Target] = []
    seen: set[str] = set()
    for built in views:
        board = boards.get(built.key)
        if board is not None and board.key in seen:
            continue
        seen.add(built.key)
        view = built.view
        kind = "leaderboard" if board is not None else view.kind
        source = view.source
        filter_text = ""
        if board is not None and board.filter is not None:
            filter_text = board.filter.text
        elif isinstance(view, m.Workspace) and view.runset.filter is not None:
            filter_text = view.runset.filter.text
        out.append(
            Target(
                key=built.key,
                title=view.title,
                kind=kind,
                entity=view.entity,
                project=view.project,
                view_type=built.view_type,
                spec=built.spec(),
                place=Place(source.file, source.line, source.col, f"{kind} {built.key!r}"),
                filter_text=filter_text,
                min_group_size=board.min_group_size if board else 1,
                gates=(*(board.gates if board else ()), *extra_gates),
            )
        )
    return out


def preview(
    session: Session,
    declarations: Declarations,
    options: PreviewOptions,
    progress: Progress | None = None,
    plan: Plan | None = None,
) -> PreviewResult:
    """Evaluate the selected views against W&B's runs (and, with diff, the live views:
    those of `plan` when the caller has planned already, else planned here)."""
    declared = select(declarations.views, options.targets)
    for target in options.targets:
        if not any(fnmatch.fnmatchcase(v.key, target) for v in declarations.views):
            raise ReportgenError(f"--target {target!r} matches no key of the specs")
    chosen = [built for _, built in declarations.compile(declared)]
    run = Options(
        rows=options.rows,
        everything=options.everything,
        strict=options.strict,
        now=dt.datetime.now(dt.timezone.utc),
    )
    found = targets(chosen, leaderboards(declarations), options.gates)
    boards = [_evaluate(session, t, run, progress) for t in found]
    result = PreviewResult(boards)
    if options.diff:
        result.moves = _moves(session, declarations, options.targets, boards, run, plan)
    return result


def _evaluate(
    session: Session,
    target: Target,
    run: Options,
    progress: Progress | None = None,
    *,
    live: bool = False,
) -> Board:
    try:
        return evaluate(session.remote, target, run, progress)
    except ViewError as exc:
        what = "the live view" if live else "its view"
        raise ReportgenError(f"{target.kind} {target.key!r}: cannot read {what}: {exc}") from None


def _moves(
    session: Session,
    declarations: Declarations,
    chosen: Sequence[str],
    boards: Sequence[Board],
    run: Options,
    plan: Plan | None = None,
) -> list[BoardMoves]:
    """Evaluate the live copy of each board's view and compare the top rows."""
    if plan is None:
        plan, _ = applying.plan(session, declarations, applying.Options(targets=tuple(chosen)))
    live = {(c.key, c.view_type): c.remote for c in plan.changes if c.remote is not None}
    moves = []
    for board in boards:
        target = board.target
        remote = live.get((target.key, target.view_type))
        local_rows = board.tables[0].shown if board.tables else ()
        top = len([r for r in local_rows if r.rank is not None]) or run.rows
        live_rows = None
        if remote is not None:
            twin = replace(target, spec=remote.spec, gates=())
            live_board = _evaluate(session, twin, replace(run, strict=False), live=True)
            board.requests += live_board.requests
            live_rows = live_board.tables[0].ranking.rows if live_board.tables else ()
        moves.append(rank_moves(target.key, target.title, live_rows, local_rows, top))
    return moves
