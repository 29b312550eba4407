"""Data checks: what validate cannot know, because it needs the project's runs.

* RG601: a config or summary key the run set reads (filter, sort, columns, grouping) or a
  gate reads that no matching run has, or a history key a curve plots that no drawn run
  logged; with a suggestion from the keys the project's runs actually have, in the same
  section (a config key for a config key) and close to it, else none.
* RG602: a filter that matches no run of the project; or, instead of every other check, a
  project that does not exist or has no runs (said once).

References are printed as a spec writes them (``config.`batch size` ``), so a message can be
pasted back. Identical problems of one view (a report placing two leaderboards reads the
same keys twice) are reported once.

Warnings by default; `--strict` makes them errors. A key that some run read for the table
has is there; only the others are counted, by the server, in one request (`probes`), so a
check costs no run data and, when nothing is wrong, no request.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.problems import Level, Problem
from reportgen.spec.refs import (
    PREFIXES,
    RUN_ATTRIBUTES,
    Ref,
    RefError,
    Section,
    did_you_mean,
    parse_whole_ref,
    prefix_typo,
)

KEY_ABSENT = "RG601"
NO_MATCH = "RG602"


@dataclass(frozen=True)
class Place:
    """Where a checked object was declared, and how messages name it."""

    file: str
    line: int
    col: int
    label: str  # e.g. "leaderboard 'cifar10'"


def _segment(name: str) -> str:
    """One key segment as a reference writes it: backticked unless it reads back as is."""
    try:
        if parse_whole_ref(f"summary.{name}") == Ref(Section.SUMMARY, name):
            return name
    except RefError:
        pass
    return f"`{name}`"


def spelled(section: str, name: str) -> str:
    """A config or summary key as a spec writes it: `config.lr`, ``config.`batch size` ``;
    a summary key bare (`accuracy`) unless that would read as something else."""
    text = ".".join(_segment(part) for part in name.split("."))
    if section == "config":
        return f"config.{text}"
    bare_ok = (
        name not in RUN_ATTRIBUTES
        and name.split(".")[0] not in PREFIXES
        and prefix_typo(text) is None
    )
    return text if bare_ok else f"summary.{text}"


def spec_name(path: str) -> str:
    """A server path in the spec's words: config.lr.value -> config.lr, summary_metrics.x ->
    summary.x, displayName -> run.name; odd names in backticks."""
    if path.startswith("config."):
        first, _, rest = path.removeprefix("config.").partition(".")
        rest = rest.removeprefix("value").removeprefix(".")
        return spelled("config", first + (f".{rest}" if rest else ""))
    if path.startswith("summary_metrics."):
        name = path.removeprefix("summary_metrics.")
        return "summary." + ".".join(_segment(part) for part in name.split("."))
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
    """'; did you mean ...?' from the keys the runs have, in the spec's words: the closest
    key of the same section (names compared without their prefix, which every candidate
    shares), else a near-identical key of the other section (`config.loss` -> `loss`)."""
    written = spec_name(path)
    section = "config" if written.startswith("config.") else "summary"
    name = path.removeprefix("config.").removeprefix("summary_metrics.")
    if section == "config":
        first, _, rest = name.partition(".")
        name = first + ("." + rest.removeprefix("value").removeprefix(".") if rest else "")
        name = name.rstrip(".")
    same, other = (
        (config_keys, summary_keys) if section == "config" else (summary_keys, config_keys)
    )
    match = _closest(name, same, 0.6)
    if match is not None:
        return f"; did you mean {spelled(section, match)!r}?"
    flip = "summary" if section == "config" else "config"
    match = _closest(name, other, 0.85)
    return f"; did you mean {spelled(flip, match)!r}?" if match is not None else ""


def _closest(word: str, keys: Iterable[str], cutoff: float) -> str | None:
    """The key closest to `word`, ignoring case, at least `cutoff` alike (difflib's ratio)."""
    by_folded: dict[str, str] = {}
    for key in keys:
        by_folded.setdefault(key.casefold(), key)
    match = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=cutoff)
    return by_folded[match[0]] if match else None


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
    runset: str | None = None,
) -> list[Problem]:
    """RG602 when the filter matches nothing, RG601 for every key no relevant run has;
    `gates` names the gate reading a key the run set does not (path -> gate text);
    `runset` names the run set where a view has several (a report's)."""
    config_keys, summary_keys = list(config_keys), list(summary_keys)
    problems: list[Problem] = []
    if counts.matched == 0:
        if runset is not None:
            shown = f"run set {runset!r}"
        else:
            shown = f"the filter {filter_text!r}" if filter_text else "the run set"
        msg = f"{shown} matches none of the project's {counts.project} runs"
        problems.append(_problem(place, NO_MATCH, msg, strict))
    for path, within in counts.within.items():
        anywhere = counts.anywhere.get(path, 0)
        if (counts.matched and within) or (not counts.matched and anywhere):
            continue  # present; or the filter is the problem, not the key
        hint = suggestion(path, config_keys, summary_keys)
        if anywhere:
            matching = f"of run set {runset!r}" if runset is not None else "matching the filter"
            where = f"no run {matching} has {spec_name(path)} ({anywhere} other runs do)"
        else:
            where = f"no run of the project has {spec_name(path)}"
        gate = (gates or {}).get(path)
        lead = f"gate {gate!r}: " if gate else ""
        problems.append(_problem(place, KEY_ABSENT, lead + where + hint, strict))
    return problems


def project_problem(
    place: Place, entity: str, project: str, *, exists: bool, strict: bool = False
) -> Problem:
    """RG602, once, for a project without runs: every other check would fail with it."""
    state = "has no runs" if exists else "does not exist"
    return _problem(place, NO_MATCH, f"project {entity}/{project} {state}", strict)


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
