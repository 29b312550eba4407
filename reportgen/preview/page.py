"""A stored view as one HTML page, evaluated over any GraphQL transport.

This is what the sandbox shows at the workspace and report URLs apply prints: the edge
hands `render_view` to the sandbox as its renderer, with the sandbox's own API (in
process) as the transport, so the page ranks runs exactly as `reportgen preview` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from reportgen.preview.checks import Place
from reportgen.preview.evaluate import Options, Target, evaluate
from reportgen.preview.html import page
from reportgen.remote.client import Remote, RetryPolicy
from reportgen.remote.identity import parse_marker, user_description

Transport = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]
PAGE_ROWS = 50


def render_view(
    *,
    entity: str,
    project: str,
    view_type: str,
    title: str,
    description: str,
    spec: str,
    graphql: Transport,
) -> str:
    """The page of one view: its runs tables ranked, its line plots drawn, its text."""
    remote = Remote(graphql, classify=lambda exc: None, policy=RetryPolicy(attempts=1))
    marker = parse_marker(description)
    key = marker.key if marker else title
    kind = "workspace" if view_type == "project-view" else "report"
    target = Target(
        key=key,
        title=title,
        kind=kind,
        entity=entity,
        project=project,
        view_type=view_type,
        spec=json.loads(spec or "{}"),
        place=Place(f"{entity}/{project}", 1, 1, f"{kind} {key!r}"),
    )
    board = evaluate(remote, target, Options(rows=PAGE_ROWS))
    subtitle = f"{kind} · {entity}/{project}"
    text = user_description(description)
    return page([board], title=title, subtitle=f"{subtitle} · {text}" if text else subtitle)
