"""The server a conformance test talks to, through the clients W&B users have."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Target:
    """A W&B server and the throwaway project the suite works in."""

    name: str
    entity: str
    project: str
    expect_view_upsert: str
    env: dict[str, str] = field(repr=False)
    sandboxed: bool
    crash_wait: float | None = 900.0  # seconds to wait for a killed run to read as crashed
    crash_skip: str = ""  # why the crash tests skip, when crash_wait is None
    runs_logged: bool = False

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}"

    def api(self) -> Any:
        import wandb

        return wandb.Api(timeout=60)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One GraphQL request through `wandb.Api`, as wandb-workspaces sends its own."""
        from wandb_workspaces._graphql import execute_graphql

        result: dict[str, Any] = execute_graphql(self.api(), query, dict(variables or {}))
        return result

    def names(
        self,
        filters: Mapping[str, Any] | None = None,
        order: str = "+created_at",
        among: tuple[str, ...] = (),
    ) -> list[str]:
        """Display names of the runs `wandb.Api().runs` returns, in its order.

        `among` narrows to those runs (a `$in` on the display name), so each test sees only
        the runs it is about.
        """
        query: dict[str, Any] = dict(filters or {})
        if among:
            narrow = {"display_name": {"$in": list(among)}}
            query = {"$and": [narrow, query]} if query else narrow
        found = self.api().runs(self.path, filters=query, order=order, per_page=100)
        return [run.name for run in found]

    def raw_runs(
        self, filters: Mapping[str, Any] | None = None, order: str | None = "+created_at"
    ) -> list[dict[str, Any]]:
        """The runs query with the fields as W&B serialises them (JSON strings unparsed)."""
        import json

        data = self.graphql(
            RAW_RUNS,
            {
                "entity": self.entity,
                "project": self.project,
                "filters": json.dumps(dict(filters or {})),
                "order": order,
            },
        )
        return [edge["node"] for edge in data["project"]["runs"]["edges"]]


RAW_RUNS = """query RawRuns($project: String!, $entity: String!, $filters: JSONString,
  $order: String) { project(name: $project, entityName: $entity) {
  runs(filters: $filters, order: $order, first: 100) { edges { node {
    name displayName state createdAt heartbeatAt summaryMetrics config } } } } }"""
