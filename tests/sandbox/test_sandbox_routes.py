"""GET endpoints added from outside (e.g. pages a preview renders), with or without the key."""

from __future__ import annotations

import base64
import re
import urllib.request

from reportgen.sandbox import Sandbox
from reportgen.sandbox.app import Request, Response
from reportgen.sandbox.backend import Backend


def _page(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    project = backend.projects.get(backend.viewer.entity, match.group(1))
    return Response(200, f"<h1>{match.group(1)}: {bool(project)}</h1>".encode())


def test_added_routes_are_served_with_their_key_rule(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.add_get_route(r"/pages/([a-z-]+)", _page)  # added while serving
    sb.add_get_route(
        r"/public/ping", lambda *_: Response.json(200, {"pong": True}), needs_key=False
    )
    sb.graphql('mutation { upsertModel(input: {name: "demo"}) { inserted } }')
    assert sb.request("GET", "/pages/demo").status == 200
    assert sb.request("GET", "/pages/demo", api_key="n" * 40).status == 401
    assert sb.request("GET", "/pages/Nope").status == 404  # no full match: not this route
    with urllib.request.urlopen(sb.base_url + "/public/ping") as r:
        assert r.read() == b'{"pong": true}'
    # The sandbox's own endpoints are found first and keep their rules.
    assert sb.request("GET", "/_sandbox/stats", api_key="n" * 40).status == 401
    assert sb.request("GET", "/_sandbox/health", api_key="n" * 40).json == {"ok": True}


def test_routes_can_be_added_before_start() -> None:
    sb = Sandbox()
    sb.add_get_route(r"/pages/([a-z-]+)", _page)
    with sb:
        request = urllib.request.Request(sb.base_url + "/pages/x")
        token = base64.b64encode(f"api:{sb.api_key}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request) as r:
            assert r.read() == b"<h1>x: False</h1>"
