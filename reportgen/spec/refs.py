"""References to run data: `config.lr`, `summary.accuracy`, `run.name`, and bare names.

One grammar for every place a spec names run data (columns, sort keys, group-by, filters,
leaderboard metrics, scatter and parallel-coordinates axes):

    ref     := "config." path | "summary." path | "run." attr | path
    path    := segment ("." segment)*
    segment := one or more characters other than whitespace, "." and "`"
             | "`" any characters but "`" "`"

A bare name is a run attribute when it is one of `RUN_ATTRIBUTES` (so `state` means the
run's state), otherwise a summary metric (so `accuracy` means `summary.accuracy`). A
config or summary key that is spelled like a run attribute is written with its prefix:
`config.name`, `summary.state`.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Section(str, enum.Enum):
    CONFIG = "config"
    SUMMARY = "summary"
    RUN = "run"


@dataclass(frozen=True)
class RunAttribute:
    """A run attribute: our name, W&B's backend name, and its runs-table column."""

    name: str
    backend: str
    column: str
    filterable: bool = True
    sortable: bool = True


_ATTRIBUTES = (
    RunAttribute("name", "displayName", "run:displayName"),
    RunAttribute("id", "name", "run:name"),
    RunAttribute("state", "state", "run:state"),
    RunAttribute("tags", "tags", "tags:__ALL__", sortable=False),
    RunAttribute("group", "group", "run:group"),
    RunAttribute("job_type", "jobType", "run:jobType"),
    RunAttribute("created_at", "createdAt", "run:createdAt"),
    RunAttribute("user", "username", "run:username"),
    RunAttribute("runtime", "duration", "run:duration"),
    RunAttribute("host", "host", "run:host"),
    RunAttribute("sweep", "sweep", "run:sweep"),
    RunAttribute("notes", "notes", "run:notes", filterable=False),
)
RUN_ATTRIBUTES: dict[str, RunAttribute] = {a.name: a for a in _ATTRIBUTES}
# Names wandb-workspaces maps from the W&B app's front-end spelling to the backend one,
# wherever it meets them: panel axes and metrics, workspace sort keys, run-set group-by
# (REPORT.md 4.1). A logged key spelled like one of these cannot pass through unchanged.
LIBRARY_RENAMES = {
    "ID": "name",
    "Name": "displayName",
    "Tags": "tags",
    "State": "state",
    "CreatedTimestamp": "createdAt",
    "Runtime": "duration",
    "User": "username",
    "Sweep": "sweep",
    "Group": "group",
    "JobType": "jobType",
    "Hostname": "host",
    "UsingArtifact": "inputArtifacts",
    "OutputtingArtifact": "outputArtifacts",
    "Step": "_step",
    "RelativeTime(Wall)": "_absolute_runtime",
    "RelativeTime(Process)": "_runtime",
    "WallTime": "_timestamp",
}
# Of those, the x axes W&B offers by these names: meant as what they become.
X_AXIS_NAMES = ("Step", "RelativeTime(Wall)", "RelativeTime(Process)", "WallTime")
RUN_STATES = ("running", "finished", "crashed", "failed", "killed", "preempted", "pending")


@dataclass(frozen=True)
class Ref:
    """A resolved reference. `name` is the W&B key: dotted for nested config keys."""

    section: Section
    name: str

    @property
    def attribute(self) -> RunAttribute:
        return RUN_ATTRIBUTES[self.name]

    def __str__(self) -> str:
        return f"{self.section.value}.{self.name}"


class RefError(ValueError):
    """A malformed reference; `offset` is the index of the offending character."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def parse_ref(text: str, start: int = 0) -> tuple[Ref, int]:
    """Parse a reference at `text[start:]`; return it and the index just past it.

    Stops at whitespace or any character that cannot start a segment, so callers can
    parse a reference followed by more text (`summary.accuracy desc`).
    """
    segments, end = _segments(text, start)
    head = segments[0]
    if len(segments) > 1 and head in ("config", "summary"):
        return Ref(Section(head), ".".join(segments[1:])), end
    if head == "run" and len(segments) > 1:
        attr = ".".join(segments[1:])
        if attr not in RUN_ATTRIBUTES:
            offset = start + len("run.")
            raise RefError(
                f"unknown run attribute {attr!r}{did_you_mean(attr, RUN_ATTRIBUTES)}", offset
            )
        return Ref(Section.RUN, attr), end
    name = ".".join(segments)
    if name in ("config", "summary", "run"):
        raise RefError(f"{name!r} needs a key after it, e.g. {name}.<key>", start)
    if len(segments) == 1 and head in RUN_ATTRIBUTES:
        return Ref(Section.RUN, head), end
    return Ref(Section.SUMMARY, name), end


def parse_whole_ref(text: str) -> Ref:
    """Parse a string that must be exactly one reference."""
    ref, end = parse_ref(text)
    if end != len(text):
        raise RefError(f"unexpected {text[end:]!r} after {text[:end]!r}", end)
    return ref


PREFIXES = ("config", "summary", "run")
# Spellings of a prefix that difflib does not find close enough.
PREFIX_ABBREVIATIONS = {
    "cfg": "config",
    "conf": "config",
    "configs": "config",
    "configuration": "config",
    "sum": "summary",
    "summ": "summary",
    "summaries": "summary",
    "runs": "run",
}


def prefix_typo(text: str, start: int = 0) -> tuple[str, str] | None:
    """A bare dotted name whose first part looks like a misspelt prefix: (what was written,
    what was probably meant), e.g. `cfg.lr` -> ('cfg.lr', 'config.lr'), `Config.arch` ->
    ('Config.arch', 'config.arch'). None for anything else (a prefixed reference, one
    segment, a backticked first part)."""
    try:
        segments, end = _segments(text, start)
    except RefError:
        return None
    head = segments[0]
    if len(segments) < 2 or head in PREFIXES or text.startswith("`", start):
        return None
    lowered = head.lower()
    close = difflib.get_close_matches(lowered, PREFIXES, n=1, cutoff=0.75)
    meant = lowered if lowered in PREFIXES else PREFIX_ABBREVIATIONS.get(lowered)
    meant = meant or (close[0] if close else None)
    rest = text[start + len(head) + 1 : end]
    if meant is None or (meant == "run" and rest not in RUN_ATTRIBUTES):
        return None
    return text[start:end], f"{meant}.{rest}"


def prefix_typo_message(written: str, meant: str) -> str:
    return (
        f"{written!r} is read as the summary metric {written!r}; did you mean {meant!r}? "
        f"(to mean that summary metric, write 'summary.{written}')"
    )


def _segments(text: str, start: int) -> tuple[list[str], int]:
    segments: list[str] = []
    i = start
    while True:
        if i < len(text) and text[i] == "`":
            close = text.find("`", i + 1)
            if close == -1:
                raise RefError("unterminated ` quote", i)
            if close == i + 1:
                raise RefError("empty quoted name", i)
            segments.append(text[i + 1 : close])
            i = close + 1
        else:
            j = i
            while j < len(text) and _name_char(text[j]):
                j += 1
            if j == i:
                what = repr(text[i]) if i < len(text) else "end of text"
                raise RefError(f"expected a name, found {what}", i)
            segments.append(text[i:j])
            i = j
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return segments, i


def _name_char(ch: str) -> bool:
    return not ch.isspace() and ch not in ".`\"'()[],=!<>"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
