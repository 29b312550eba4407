"""Rank moves between the live view on W&B and the local spec, per leaderboard.

`rank_moves` compares the top N of two rankings (N: the local table's shown rows): a new
#1, runs entering and leaving the top N, and runs that moved. `moves_markdown` renders
them for a pull-request comment (issue 12's PR comment embeds exactly that text),
`moves_text` for a terminal: the same headlines and rows.
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


_HEAD = ("run", "W&B now", "with this change", "move")


def _headline(board: BoardMoves) -> tuple[str, bool]:
    """What a board's section says first, and whether a table of runs follows."""
    if not board.live_exists:
        return f"Not on W&B yet: the top {board.top} would be:", True
    if not board.changed:
        return f"No rank changes in the top {board.top}.", False
    if board.new_first:
        was = f" (was {board.old_first})" if board.old_first else ""
        return f"New #1: {board.new_first}{was}", True
    return f"Rank changes in the top {board.top}:", True


def _rows(board: BoardMoves) -> list[tuple[str, str, str, str]]:
    rows = []
    for move in board.moves:
        if move.kind == "same" and board.live_exists:
            continue
        delta = ""
        if move.kind in ("up", "down") and move.live is not None and move.local is not None:
            delta = f" {abs(move.live - move.local)}"
        arrow = "" if not board.live_exists else _ARROWS[move.kind] + delta
        rows.append((move.name, _cell(move.live), _cell(move.local), arrow))
    return rows


def moves_markdown(boards: Sequence[BoardMoves]) -> str:
    """Rank changes per leaderboard, as Markdown: a headline, then a table of moved runs."""
    out = ["## Leaderboard changes\n"]
    for board in boards:
        out.append(f"### {_md(board.title)} (`{board.key}`)\n")
        headline, table = _headline(board)
        if board.new_first and board.live_exists and board.changed:
            was = f" (was {_md(board.old_first)})" if board.old_first else ""
            headline = f"**New #1: {_md(board.new_first)}**{was}"
        out.append(f"{headline}\n")
        if not table:
            continue
        out.append("| " + " | ".join(_HEAD) + " |")
        out.append("|---|---:|---:|---|")
        for name, live, local, arrow in _rows(board):
            out.append(f"| {_md(name)} | {live} | {local} | {arrow} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def moves_text(boards: Sequence[BoardMoves]) -> str:
    """Rank changes per leaderboard, as text for a terminal: the same headlines and rows
    as `moves_markdown`, in aligned columns."""
    out = ["Leaderboard changes"]
    for board in boards:
        out.append(f"\n{board.title} ({board.key})")
        headline, table = _headline(board)
        out.append(f"  {headline}")
        if not table:
            continue
        rows = [_HEAD, *_rows(board)]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            cells = [
                row[0].ljust(widths[0]),
                row[1].rjust(widths[1]),
                row[2].rjust(widths[2]),
                row[3].ljust(widths[3]),
            ]
            out.append(("  " + "   ".join(cells)).rstrip())
    return "\n".join(out) + "\n"
