"""Runs from W&B for one run set: as few requests and bytes as the rows shown need.

The server filters (the run set's filterV2 as mongo `filters`) and orders by the first
sort key (`order` takes one key, REPORT.md 4.3); pages are read only until the top rows
are settled: at least N rows, and the last row read differs on that key from row N, so
every run tied with row N at the boundary is in hand (the rest of the order is completed
by the engine). `everything` reads every matching run (`--all`, and seed groups, whose
means need every member). A leading sort key that no matching run has is skipped, since
every run ties on it: missing values sort last in both directions, so when the first row
lacks it, all do (one page is read again, only then). Records keep only the config and
summary keys the run set reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.preview.engine import runset_filter
from reportgen.preview.records import RunRecord, from_node
from reportgen.preview.values import MISSING, resolve, sort_key
from reportgen.preview.view import RunsetSpec, SortSpec
from reportgen.remote.client import Remote
from reportgen.remote.runs import runs_page

MAX_PAGE = 1000
MIN_PAGE = 50

Progress = Callable[[int, int | None], None]


@dataclass
class Fetched:
    """The runs read for one run set, and what the server said about the rest."""

    runs: list[RunRecord]
    total: int | None
    complete: bool
    requests: int = 0
    config_keys: set[str] = field(default_factory=set)
    summary_keys: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)  # leading sort keys no matching run has


def filter_paths(flt: Any) -> Iterator[str]:
    """Every field path a mongo filter reads."""
    if isinstance(flt, dict):
        for key, value in flt.items():
            if key in ("$and", "$or", "$nor"):
                for sub in value if isinstance(value, list) else []:
                    yield from filter_paths(sub)
            elif not key.startswith("$"):
                yield key
    elif isinstance(flt, list):
        for sub in flt:
            yield from filter_paths(sub)


def read_paths(runset: RunsetSpec, now: dt.datetime) -> list[str]:
    """Every path the run set reads: filter, sort keys, columns and grouping, in that order."""
    paths = list(filter_paths(runset_filter(runset, now)))
    paths += [s.path for s in runset.sort]
    paths += [c.path for c in (*runset.columns, *runset.grouping) if c.path]
    return list(dict.fromkeys(paths))


def _tops(paths: Iterable[str], head: str) -> set[str]:
    return {p.split(".")[1] for p in paths if p.startswith(head + ".") and p.count(".") >= 1}


def flatten(doc: Mapping[str, Any], *, envelope: bool, depth: int = 3) -> Iterator[str]:
    """Dotted key paths of a config or summary document (config values out of their
    envelope), a few levels deep: the names suggestions are drawn from."""
    for key, value in doc.items():
        if key.startswith("_wandb"):
            continue
        yield key
        if envelope and isinstance(value, dict) and "value" in value:
            value = value["value"]
        if isinstance(value, dict) and depth > 1:
            for sub in flatten(value, envelope=False, depth=depth - 1):
                yield f"{key}.{sub}"


def server_order(sort: tuple[SortSpec, ...], absent: set[str]) -> SortSpec:
    """The sort key the server orders by: the first one some matching run has."""
    for spec in sort:
        if spec.path not in absent:
            return spec
    return SortSpec("displayName", True, "name")


def fetch_runs(
    remote: Remote,
    entity: str,
    project: str,
    runset: RunsetSpec,
    *,
    now: dt.datetime,
    rows: int,
    everything: bool = False,
    progress: Progress | None = None,
    extra_paths: tuple[str, ...] = (),
) -> Fetched:
    """The runs the top `rows` rows need (all matching runs with `everything`); records
    keep the keys the run set reads and `extra_paths` (a gate's)."""
    skipped: set[str] = set()
    requests = 0
    while True:
        fetched = _fetch(
            remote, entity, project, runset, now, rows, everything, skipped, progress, extra_paths
        )
        fetched.requests += requests
        first = server_order(runset.sort, skipped)
        lacking = fetched.runs and resolve(fetched.runs[0], first.path) is MISSING
        if not lacking or fetched.complete or first.path in ("displayName", "name"):
            fetched.skipped = skipped
            return fetched
        skipped.add(first.path)
        requests = fetched.requests


def _fetch(
    remote: Remote,
    entity: str,
    project: str,
    runset: RunsetSpec,
    now: dt.datetime,
    rows: int,
    everything: bool,
    skipped: set[str],
    progress: Progress | None,
    extra_paths: tuple[str, ...],
) -> Fetched:
    flt = runset_filter(runset, now)
    paths = [*read_paths(runset, now), *extra_paths]
    config_keep, summary_keep = _tops(paths, "config"), _tops(paths, "summary_metrics")
    first = server_order(runset.sort, skipped)
    order = ("+" if first.ascending else "-") + first.path
    per_page = MAX_PAGE if everything else min(MAX_PAGE, max(MIN_PAGE, 2 * rows + 1))
    fetched = Fetched(runs=[], total=None, complete=False)
    cursor: str | None = None
    while True:
        page = runs_page(
            remote, entity, project, filters=flt, order=order, per_page=per_page,
            cursor=cursor, with_count=fetched.requests == 0,
        )  # fmt: skip
        fetched.requests += 1
        if page.total is not None:
            fetched.total = page.total
        for node in page.nodes:
            if fetched.requests == 1:  # the first page's keys feed did-you-mean
                _sample(fetched, node)
            fetched.runs.append(from_node(node, config_keys=config_keep, summary_keys=summary_keep))
        if progress is not None:
            progress(len(fetched.runs), fetched.total)
        cursor = page.cursor
        if not page.has_next:
            fetched.complete = True
            return fetched
        if not everything and _settled(fetched.runs, first, rows):
            return fetched
        if (
            fetched.requests == 1
            and fetched.runs
            and resolve(fetched.runs[0], first.path) is MISSING
        ):
            return fetched  # the first row lacks the key: no run has it (see fetch_runs)


def _sample(fetched: Fetched, node: Mapping[str, Any]) -> None:
    record = from_node(node)
    fetched.config_keys.update(flatten(record.config, envelope=True))
    fetched.summary_keys.update(flatten(record.summary, envelope=False))


def _settled(runs: list[RunRecord], first: SortSpec, rows: int) -> bool:
    """Whether row `rows` and the last run read differ on the server's key: then no unread
    run can tie with or beat row `rows`."""
    if len(runs) <= rows:
        return False
    boundary = sort_key(resolve(runs[rows - 1], first.path), first.ascending)
    last = sort_key(resolve(runs[-1], first.path), first.ascending)
    return boundary != last
