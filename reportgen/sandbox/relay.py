"""Relay connections: ``{edges: [{node, cursor}], pageInfo, totalCount}``."""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.sandbox.db import Row


def connection(
    nodes: Sequence[Row],
    cursors: Sequence[str],
    first: int | None,
    has_previous: bool,
    total: int | None = None,
) -> Row:
    """The first ``first`` of ``nodes`` (all when None) as a Relay connection.

    ``nodes`` must already start after the requested cursor; ``cursors[i]`` is the cursor of
    ``nodes[i]``.
    """
    limit = len(nodes) if first is None else max(first, 0)
    shown = list(zip(nodes, cursors, strict=True))[:limit]
    edges = [{"node": node, "cursor": cursor} for node, cursor in shown]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": len(nodes) > limit,
            "hasPreviousPage": has_previous,
        },
        "totalCount": len(nodes) if total is None else total,
    }
