"""Plain run records: what the engine ranks, whoever fetched them.

A `RunRecord` holds a run's identity, its attributes by W&B's backend names (`state`,
`tags`, `group`, `jobType`, `username`, ...), its config as W&B stores it (each key in a
`{"value": ...}` envelope) and its summary. `from_node` reads one node of the `Runs`
GraphQL query (REPORT.md 1.5): `config` and `summaryMetrics` are JSON strings there, in
which W&B writes NaN and infinities as the bare tokens Python's json reads.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

# Internal keys W&B keeps beside the user's: never ranked, and large in real projects.
INTERNAL_KEYS = frozenset({"_wandb"})


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: `id` is W&B's run id (GraphQL `name`), `name` its display name."""

    id: str
    name: str
    created_at: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)

    def attribute(self, backend: str) -> Any:
        """A run attribute by W&B's backend name (`displayName`, `createdAt`, `state`, ...)."""
        if backend == "name":
            return self.id
        if backend == "displayName":
            return self.name
        if backend == "createdAt":
            return self.created_at or None
        return self.attributes.get(backend)


def _document(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _kept(doc: dict[str, Any], keep: Collection[str] | None) -> dict[str, Any]:
    if keep is None:
        return {k: v for k, v in doc.items() if k not in INTERNAL_KEYS}
    return {k: v for k, v in doc.items() if k in keep}


def from_node(
    node: Mapping[str, Any],
    *,
    config_keys: Collection[str] | None = None,
    summary_keys: Collection[str] | None = None,
) -> RunRecord:
    """A record from a `Runs` node; `*_keys` keep only those top-level keys (memory)."""
    user = node.get("user") or {}
    attributes = {
        "state": node.get("state"),
        "tags": list(node.get("tags") or []),
        "group": node.get("group"),
        "jobType": node.get("jobType"),
        "sweep": node.get("sweepName"),
        "username": user.get("username") if isinstance(user, dict) else None,
        "notes": node.get("notes"),
        "heartbeatAt": node.get("heartbeatAt"),
    }
    return RunRecord(
        id=str(node.get("name") or ""),
        name=str(node.get("displayName") or node.get("name") or ""),
        created_at=str(node.get("createdAt") or ""),
        attributes={k: v for k, v in attributes.items() if v is not None},
        config=_kept(_document(node.get("config")), config_keys),
        summary=_kept(_document(node.get("summaryMetrics")), summary_keys),
    )
