"""Data checks: what validate cannot know, because it needs the project's runs.

* RG601: a config or summary key the run set reads (filter, sort, columns, grouping) or a
  gate reads that no matching run has, or a history key a curve plots that no drawn run logged; with a
  suggestion from the keys the project's runs actually have.
* RG602: a filter that matches no run of the project.

Warnings by default; `--strict` makes them errors. A key that some run read for the table
has is there; only the others are counted, by the server, in one request (`probes`), so a
check costs no run data and, when nothing is wrong, no request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.problems import Level, Problem
from reportgen.spec.refs import did_you_mean

KEY_ABSENT = "RG601"
NO_MATCH = "RG602"


@dataclass(frozen=True)
class Place:
    """Where a checked object was declared, and how messages name it."""

    file: str
    line: int
    col: int
    label: str  # e.g. "leaderboard 'cifar10'"


def spec_name(path: str) -> str:
    """A server path in the spec's words: config.lr.value -> config.lr, summary_metrics.x ->
    summary.x, displayName -> run.name."""
    if path.startswith("config."):
        first, _, rest = path.removeprefix("config.").partition(".")
        rest = rest.removeprefix("value").removeprefix(".")
        return f"config.{first}" + (f".{rest}" if rest else "")
    if path.startswith("summary_metrics."):
        return "summary." + path.removeprefix("summary_metrics.")
    return f"run.{path}"


def probed(paths: Iterable[str]) -> list[str]:
    """The paths worth probing: config and summary keys (run attributes always exist), one
    per spec name."""
    seen: dict[str, str] = {}
    for path in paths:
        if path.startswith(("config.", "summary_metrics.")):
            seen.setdefault(spec_name(path), path)
    return list(seen.values())


def probes(
    flt: Mapping[str, Any], within: Sequence[str], anywhere: Sequence[str], project: bool
) -> list[dict[str, Any]]:
    """Counts to ask for: each key among matching runs, each key in the project, and the
    project's runs."""
    exists = [{p: {"$exists": True}} for p in within]
    asked = [{"$and": [dict(flt), e]} if flt else e for e in exists]
    asked += [{p: {"$exists": True}} for p in anywhere]
    return asked + ([{}] if project else [])


@dataclass(frozen=True)
class Counts:
    """What the data checks know: matching runs, and for each key none of the runs read
    had, how many matching runs and how many runs of the project have it."""

    matched: int
    within: dict[str, int] = field(default_factory=dict)
    anywhere: dict[str, int] = field(default_factory=dict)
    project: int = 0


def suggestion(path: str, config_keys: Iterable[str], summary_keys: Iterable[str]) -> str:
    """'; did you mean ...?' from the keys the runs have, in the spec's words."""
    written = spec_name(path)
    bare = written.removeprefix("summary.")
    candidates = {k: k for k in summary_keys} | {f"config.{k}": f"config.{k}" for k in config_keys}
    word = bare if written.startswith("summary.") else written
    return did_you_mean(word, candidates)


def _problem(place: Place, code: str, message: str, strict: bool) -> Problem:
    level = Level.ERROR if strict else Level.WARNING
    return Problem(place.file, place.line, place.col, code, f"{place.label}: {message}", level)


def key_problems(
    place: Place,
    counts: Counts,
    config_keys: Iterable[str],
    summary_keys: Iterable[str],
    *,
    filter_text: str,
    strict: bool = False,
    gates: Mapping[str, str] | None = None,
) -> list[Problem]:
    """RG602 when the filter matches nothing, RG601 for every key no relevant run has;
    `gates` names the gate reading a key the run set does not (path -> gate text)."""
    config_keys, summary_keys = list(config_keys), list(summary_keys)
    problems: list[Problem] = []
    if counts.matched == 0:
        shown = f"the filter {filter_text!r}" if filter_text else "the run set"
        msg = f"{shown} matches none of the project's {counts.project} runs"
        problems.append(_problem(place, NO_MATCH, msg, strict))
    for path, within in counts.within.items():
        anywhere = counts.anywhere.get(path, 0)
        if (counts.matched and within) or (not counts.matched and anywhere):
            continue  # present; or the filter is the problem, not the key
        hint = suggestion(path, config_keys, summary_keys)
        if anywhere:
            where = f"no run matching the filter has {spec_name(path)} ({anywhere} other runs do)"
        else:
            where = f"no run of the project has {spec_name(path)}"
        gate = (gates or {}).get(path)
        lead = f"gate {gate!r}: " if gate else ""
        problems.append(_problem(place, KEY_ABSENT, lead + where + hint, strict))
    return problems


def history_problems(
    place: Place, wanted: Iterable[str], logged: Iterable[str], runs: int, *, strict: bool = False
) -> list[Problem]:
    """RG601 for each history key a curve plots that none of the drawn runs logged."""
    have = set(logged)
    problems = []
    for key in dict.fromkeys(wanted):
        if key in have or not runs:
            continue
        hint = did_you_mean(key, have)
        msg = f"none of the {runs} runs the curves draw logged the history key {key!r}{hint}"
        problems.append(_problem(place, KEY_ABSENT, msg, strict))
    return problems
