"""Ranked tables for a terminal, drawn by rich (plain box characters when not a terminal)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO

from reportgen.preview.evaluate import Board
from reportgen.preview.tables import caption, cells, header
from reportgen.problems import one_line


def render(
    boards: Sequence[Board], stream: IO[str], *, color: bool, width: int | None = None
) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    # Off a terminal, rich's padding would end every line in spaces: drawn into a buffer
    # instead, and written with each line's trailing spaces cut.
    buffer = None if color else io.StringIO()
    console = Console(
        file=stream if buffer is None else buffer, force_terminal=color, no_color=not color, width=width or (None if color else 120),
        highlight=False, soft_wrap=False,
    )  # fmt: skip
    for board in boards:
        target = board.target
        for table in board.tables:
            # Run names, config values and titles are data: shown as text, never read as
            # rich markup (`[/]` in a run name), control characters escaped.
            title = Text(one_line(f"{target.title} ({target.key})"))
            grid = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
            for name in header(table):
                numeric = name in ("rank", "n")
                grid.add_column(
                    Text(one_line(name)),
                    justify="right" if numeric else "left",
                    no_wrap=name == "name",
                )
            for row in table.shown:
                style = "dim" if row.small else ("bold" if row.rank == 1 else None)
                grid.add_row(*(Text(one_line(c)) for c in cells(row, table)), style=style)
            console.print(grid)
            console.print(one_line(caption(board, table)), style="dim", markup=False)
        for gate in board.gates:
            mark = {
                "passed": "[green]passed[/green]",
                "failed": "[bold red]failed[/bold red]",
                "not checked": "[bold yellow]not checked[/bold yellow]",
            }[gate.state]
            reason = escape(one_line(gate.reason))
            console.print(f"  gate {mark}: {reason}", markup=True, highlight=False)
    if buffer is not None:
        stream.write("".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines()))
