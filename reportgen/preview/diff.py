"""Rank moves between the live view on W&B and the local spec, per leaderboard.

`rank_moves` compares the top N of two rankings (N: the local table's shown rows): a new
#1, runs entering and leaving the top N, and runs that moved. `moves_markdown` renders
them for a pull-request comment; issue 12's PR comment embeds exactly that text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportgen.preview.engine import Row


@dataclass(frozen=True)
class Move:
    key: str
    name: str
    live: int | None  # rank on W&B now (None: not in its top N)
    local: int | None  # rank with the spec (None: not in its top N)

    @property
    def kind(self) -> str:
        if self.live is None:
            return "entered"
        if self.local is None:
            return "left"
        if self.local < self.live:
            return "up"
        return "down" if self.local > self.live else "same"


@dataclass(frozen=True)
class BoardMoves:
    key: str
    title: str
    top: int
    live_exists: bool
    moves: tuple[Move, ...] = field(default_factory=tuple)
    new_first: str | None = None  # the new #1, when it changed
    old_first: str | None = None

    @property
    def changed(self) -> bool:
        return any(m.kind != "same" for m in self.moves)


def _first(rows: Sequence[Row]) -> Row | None:
    return next((r for r in rows if r.rank == 1), None)


def rank_moves(
    key: str, title: str, live: Sequence[Row] | None, local: Sequence[Row], top: int
) -> BoardMoves:
    """What changes in the top `top` rows when the live view becomes the local one."""
    local_top = [r for r in local if r.rank is not None][:top]
    if live is None:
        moves = tuple(Move(r.key, r.name, None, r.rank) for r in local_top)
        first = _first(local_top)
        return BoardMoves(key, title, top, False, moves, first.name if first else None)
    live_top = [r for r in live if r.rank is not None][:top]
    live_rank = {r.key: r for r in live_top}
    local_rank = {r.key: r for r in local_top}
    moved = [
        Move(r.key, r.name, live_rank[r.key].rank if r.key in live_rank else None, r.rank)
        for r in local_top
    ]
    moved += [Move(r.key, r.name, r.rank, None) for r in live_top if r.key not in local_rank]
    old, new = _first(live_top), _first(local_top)
    changed_first = (old.key if old else None) != (new.key if new else None)
    return BoardMoves(
        key, title, top, True, tuple(moved),
        new.name if changed_first and new else None,
        old.name if changed_first and old else None,
    )  # fmt: skip


_ARROWS = {"up": "▲", "down": "▼", "same": "=", "entered": "new", "left": "out"}


def _cell(rank: int | None) -> str:
    return "—" if rank is None else str(rank)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def moves_markdown(boards: Sequence[BoardMoves]) -> str:
    """Rank changes per leaderboard, as Markdown: a headline, then a table of moved runs."""
    out = ["## Leaderboard changes\n"]
    for board in boards:
        out.append(f"### {_md(board.title)} (`{board.key}`)\n")
        if not board.live_exists:
            out.append(f"Not on W&B yet: the top {board.top} would be")
        elif not board.changed:
            out.append(f"No rank changes in the top {board.top}.\n")
            continue
        elif board.new_first:
            was = f" (was {_md(board.old_first)})" if board.old_first else ""
            out.append(f"**New #1: {_md(board.new_first)}**{was}\n")
        rows = [m for m in board.moves if m.kind != "same" or not board.live_exists]
        out.append("| run | W&B now | with this change | move |")
        out.append("|---|---:|---:|---|")
        for move in rows:
            delta = ""
            if move.kind in ("up", "down") and move.live is not None and move.local is not None:
                delta = f" {abs(move.live - move.local)}"
            arrow = "" if not board.live_exists else _ARROWS[move.kind] + delta
            out.append(f"| {_md(move.name)} | {_cell(move.live)} | {_cell(move.local)} | {arrow} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
