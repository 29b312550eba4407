"""Apply events on screen: a live progress bar on a terminal, plain lines otherwise.

Lines come out in plan order (the order of the specs), whatever order the concurrent
writes finish in: a line waits until the lines before it are out; the bar counts at once.
"""

from __future__ import annotations

from types import TracebackType
from typing import IO, Any

from reportgen.cli.render import event_line
from reportgen.commands.apply import Event
from reportgen.commands.plan import Plan
from reportgen.remote.secrets import redact

_STYLES = {
    "created": "green",
    "adopted": "cyan",
    "updated": "yellow",
    "restored": "magenta",
    "pruned": "red",
    "failed": "bold red",
}


class EventPrinter:
    """Prints one line per object, with its URL, as it finishes."""

    def __init__(self, stream: IO[str], *, color: bool, verbose: bool = False) -> None:
        self.stream = stream
        self.color = color
        self.verbose = verbose
        self._progress: Any = None
        self._task: Any = None
        self._order: dict[int, int] = {}  # id(change) -> its place in the plan
        self._held: dict[int, Event] = {}
        self._next = 0

    def __enter__(self) -> EventPrinter:
        if self.color:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            console = Console(file=self.stream)
            self._progress = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("apply", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for place in sorted(self._held):  # interrupted: what finished is still shown
            self._show(self._held.pop(place))
        if self._progress is not None:
            self._progress.stop()

    def plan(self, plan: Plan) -> None:
        """Now that the plan is known, the bar knows how many objects to expect, and the
        lines their order."""
        self._order = {id(change): i for i, change in enumerate(plan.changes)}
        if self._progress is not None:
            self._progress.update(self._task, total=len(plan.changes))

    def event(self, event: Event) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)
        place = self._order.get(id(event.change))
        if place is None:
            self._show(event)
            return
        self._held[place] = event
        while self._next in self._held:
            self._show(self._held.pop(self._next))
            self._next += 1

    def _show(self, event: Event) -> None:
        line = redact(event_line(event))
        if self._progress is not None:
            style = _STYLES.get(event.outcome)
            self._progress.console.print(
                line, style=style, markup=False, highlight=False, soft_wrap=True
            )
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def done(self, summary: str) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self.stream.write(summary + "\n")


class FetchProgress:
    """Runs read so far, per view, as a transient bar on a terminal (nothing otherwise)."""

    def __init__(self, stream: IO[str], *, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> FetchProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("reading runs · {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, key: str, done: int, total: int | None) -> None:
        if self._progress is None:
            return
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(key, total=total)
        self._progress.update(self._tasks[key], completed=done, total=total)
