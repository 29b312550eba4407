"""Reading runs: pages of the `Runs` query, run counts, and the history curves draw.

The SDK's `api.runs()` builds a lazy `Run` per node and sends one more `Run` query per run
the moment config or summary is read (REPORT.md 1.5, the N+1); at 100,000 runs that is
100,000 requests. These operations select config and summary in the page itself, count
several filters in one request (aliases), and read the sampled history of many runs in
one request, so a preview costs a handful of requests whatever the project's size.
Field names and arguments are those of the recorded `Runs`, `RunSampledHistory` and
`historyKeys` operations (wandb-wire/operations).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.remote.client import Remote, RemoteError

RUNS_PAGE = """
query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString, $withCount: Boolean!) {
  project(name: $project, entityName: $entity) {
    runCount(filters: $filters) @include(if: $withCount)
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges {
        node { id name displayName state tags group jobType sweepName createdAt heartbeatAt notes user { username } config summaryMetrics }
        cursor
      }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""

MAX_ALIASES = 50  # runs or counts per request: documents stay small, responses bounded


@dataclass(frozen=True)
class RunsPage:
    """One page: its nodes, where the next one starts, and the total when asked for."""

    nodes: list[Mapping[str, Any]]
    cursor: str | None
    has_next: bool
    total: int | None


class ProjectNotFound(RemoteError):
    """The project does not exist (or the viewer cannot see it)."""


def runs_page(
    remote: Remote,
    entity: str,
    project: str,
    *,
    filters: Mapping[str, Any],
    order: str,
    per_page: int,
    cursor: str | None = None,
    with_count: bool = False,
) -> RunsPage:
    """One page of runs matching the mongo `filters`, in the server's single-key `order`."""
    variables = {
        "entity": entity,
        "project": project,
        "cursor": cursor,
        "perPage": per_page,
        "order": order,
        "filters": json.dumps(dict(filters)),
        "withCount": with_count,
    }
    data = remote.execute(RUNS_PAGE, variables)
    node = data.get("project")
    if node is None:
        raise ProjectNotFound(f"project {entity}/{project} not found")
    connection = node.get("runs") or {}
    info = connection.get("pageInfo") or {}
    edges = connection.get("edges") or []
    total = node.get("runCount")
    return RunsPage(
        nodes=[e["node"] for e in edges if e.get("node")],
        cursor=info.get("endCursor") or (edges[-1].get("cursor") if edges else cursor),
        has_next=bool(info.get("hasNextPage")) and bool(edges),
        total=int(total) if isinstance(total, int) else None,
    )


def run_counts(
    remote: Remote, entity: str, project: str, filters: Sequence[Mapping[str, Any]]
) -> list[int]:
    """How many runs match each filter: up to MAX_ALIASES filters per request."""
    counts: list[int] = []
    for start in range(0, len(filters), MAX_ALIASES):
        chunk = filters[start : start + MAX_ALIASES]
        params = "".join(f", $f{i}: JSONString" for i in range(len(chunk)))
        fields = " ".join(f"c{i}: runCount(filters: $f{i})" for i in range(len(chunk)))
        query = (
            f"query RunCounts($project: String!, $entity: String!{params}) {{\n"
            f"  project(name: $project, entityName: $entity) {{ {fields} }}\n}}"
        )
        variables: dict[str, Any] = {"entity": entity, "project": project}
        variables.update({f"f{i}": json.dumps(dict(f)) for i, f in enumerate(chunk)})
        node = remote.execute(query, variables).get("project")
        if node is None:
            raise ProjectNotFound(f"project {entity}/{project} not found")
        counts.extend(int(node.get(f"c{i}") or 0) for i in range(len(chunk)))
    return counts


@dataclass(frozen=True)
class RunHistory:
    """A run's sampled history, one list of rows per requested key set, and its history
    keys (`historyKeys.keys`)."""

    run_id: str
    samples: list[list[Mapping[str, Any]]]
    keys: frozenset[str]


def histories(
    remote: Remote,
    entity: str,
    project: str,
    run_ids: Sequence[str],
    key_sets: Sequence[Sequence[str]],
    samples: int = 1000,
) -> dict[str, RunHistory]:
    """The sampled history of each run for each key set (`sampledHistory`, one spec per set:
    rows holding every key of the set), many runs per request."""
    specs = [json.dumps({"keys": list(keys), "samples": samples}) for keys in key_sets]
    found: dict[str, RunHistory] = {}
    for start in range(0, len(run_ids), MAX_ALIASES):
        chunk = run_ids[start : start + MAX_ALIASES]
        params = "".join(f", $r{i}: String!" for i in range(len(chunk)))
        fields = " ".join(
            f"r{i}: run(name: $r{i}) {{ name historyKeys sampledHistory(specs: $specs) }}"
            for i in range(len(chunk))
        )
        query = (
            f"query RunCurves($project: String!, $entity: String!, $specs: [JSONString!]!{params}) {{\n"
            f"  project(name: $project, entityName: $entity) {{ {fields} }}\n}}"
        )
        variables: dict[str, Any] = {"entity": entity, "project": project, "specs": specs}
        variables.update({f"r{i}": run_id for i, run_id in enumerate(chunk)})
        node = remote.execute(query, variables).get("project") or {}
        for i, run_id in enumerate(chunk):
            run = node.get(f"r{i}")
            if not isinstance(run, dict):
                continue
            keys = run.get("historyKeys")
            if isinstance(keys, str):
                keys = json.loads(keys)
            names = (keys or {}).get("keys") if isinstance(keys, dict) else None
            sampled = run.get("sampledHistory") or []
            found[run_id] = RunHistory(
                run_id,
                [list(rows or []) for rows in sampled],
                frozenset(names or ()),
            )
    return found
