"""GET endpoints by path pattern: the sandbox's own (health, admin) and any a caller adds.

A route is a regular expression matched against the whole path, a handler
``(backend, request, match) -> Response``, and whether it needs the API key. Pages that other
parts of reportgen render (a preview, for instance) plug in here through
``Sandbox.add_get_route`` without the sandbox knowing them. Routes are tried in the order
they were added; the first match serves.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.sandbox.app import Request, Response
    from reportgen.sandbox.backend import Backend

Handler = Callable[["Backend", "Request", "re.Match[str]"], "Response"]


@dataclass(frozen=True)
class GetRoute:
    """One GET endpoint."""

    pattern: re.Pattern[str]
    handler: Handler
    needs_key: bool = True


class GetRoutes:
    """The table of GET endpoints; safe to extend while serving."""

    def __init__(self) -> None:
        self._routes: list[GetRoute] = []
        self._lock = threading.Lock()

    def add(self, pattern: str, handler: Handler, *, needs_key: bool = True) -> None:
        """Serve GET requests whose whole path matches ``pattern`` with ``handler``."""
        route = GetRoute(re.compile(pattern), handler, needs_key)
        with self._lock:
            self._routes.append(route)

    def find(self, path: str) -> tuple[GetRoute, re.Match[str]] | None:
        """The first route matching ``path``, with its match."""
        with self._lock:
            routes = list(self._routes)
        for route in routes:
            found = route.pattern.fullmatch(path)
            if found is not None:
                return route, found
        return None
