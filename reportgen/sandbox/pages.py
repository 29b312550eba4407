"""View pages: the workspace and report URLs apply prints, answered with HTML in a browser.

``GET /<entity>/<project>?nw=<id>`` shows the workspace view named ``nw-<id>-v`` and
``GET /<entity>/<project>/reports/<slug>--<id>`` the report with that id (REPORT.md 3).
The sandbox draws nothing itself: it imports no other part of reportgen, so whoever starts
it passes a ``Renderer`` (``Sandbox(renderer=...)``), which receives the stored view and an
in-process GraphQL function over the sandbox's own API, and returns the page.

Access. A browser cannot send the API key, and the API must not get weaker for it:

* a page answers a request carrying the key (HTTP Basic, as every API request), or a
  session cookie;
* the cookie comes only from a **one-time login link**, ``/_sandbox/login?token=...``,
  minted for someone who holds the key: printed by ``reportgen sandbox`` at start (to its
  own console), returned by ``POST /_sandbox/login`` (key required), or by
  ``Sandbox.login_link()``. Opening it once sets the cookie (HttpOnly, SameSite=Lax) and
  redirects to the page; the token then is spent;
* the cookie opens view pages (GET) and nothing else: GraphQL, file streams and admin
  endpoints still need the key, whatever the address the sandbox listens on.

Pages are self-contained and sent with a Content-Security-Policy that allows no script,
no request and no frame.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Protocol
from urllib.parse import quote, unquote

log = logging.getLogger("reportgen.sandbox")

COOKIE = "reportgen_sandbox"
LOGIN_PATH = "/_sandbox/login"
MAX_SESSIONS = 1000
MAX_TOKENS = 1000
HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)  # fmt: skip

_WORKSPACE = re.compile(r"^/([^/]+)/([^/]+)/?$")
_REPORT = re.compile(r"^/([^/]+)/([^/]+)/reports/([^/]*)$")
_NAME_OF = """query PageWorkspace($entityName: String!, $name: String!, $viewName: String) {
  project(name: $name, entityName: $entityName) {
    allViews(viewType: "project-view", viewName: $viewName, first: 1) {
      edges { node { id type displayName description spec } } } } }"""
_INDEX = """query PageIndex { viewer { entity } }"""
_PROJECTS = """query PageProjects($entity: String) {
  models(entityName: $entity, first: 200) { edges { node { name entityName } } } }"""
_VIEWS = """query PageViews($entityName: String!, $name: String!, $viewType: String) {
  project(name: $name, entityName: $entityName) {
    allViews(viewType: $viewType, first: 200) { edges { node { id name displayName } } } } }"""
_ID_OF = """query PageReport($reportId: ID!) {
  view(id: $reportId) { id type displayName description spec project { name entityName } } }"""

GraphQL = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class ViewPage:
    """What a renderer gets: the stored view and the sandbox's API, in process."""

    entity: str
    project: str
    view_type: str
    title: str
    description: str
    spec: str
    graphql: GraphQL


Renderer = Callable[[ViewPage], str]


class Answer(Protocol):
    """How the app builds a response (``app.Response``), without importing it here."""

    def __call__(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> Any: ...


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    authorized: bool  # the request carries the API key


class Pages:
    """Routes page requests, keeps login tokens and browser sessions."""

    def __init__(self, renderer: Renderer, base_url: Callable[[], str]) -> None:
        self.renderer = renderer
        self._base_url = base_url
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # sha256(token) -> where to go after login
        self._sessions: set[str] = set()  # sha256(session id)

    def login_link(self, next_path: str = "/") -> str:
        """A one-time link that opens ``next_path`` in a browser."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            if len(self._tokens) >= MAX_TOKENS:
                self._tokens.pop(next(iter(self._tokens)))
            self._tokens[_digest(token)] = _local(next_path)
        return f"{self._base_url()}{LOGIN_PATH}?token={token}"

    def handle(self, req: PageRequest, graphql: GraphQL, answer: Answer) -> Any | None:
        """The response for a page or login request; None when the path is neither."""
        if req.path == LOGIN_PATH:
            return self._login(req, answer)
        workspace = _WORKSPACE.match(req.path) if "nw" in req.query else None
        report = _REPORT.match(req.path)
        index = req.path == "/"
        if req.method != "GET" or not (workspace or report or index):
            return None
        if req.path.startswith("/_sandbox/"):
            return None
        if not (req.authorized or self._has_session(req.headers.get("cookie", ""))):
            return _page(
                answer, 401, "Sign in first", _SIGN_IN.format(base=html.escape(self._base_url()))
            )
        try:
            if index:
                return _page(answer, 200, "W&B sandbox", self._index(graphql))
            if workspace:
                entity, project = (unquote(g) for g in workspace.groups())
                view = self._workspace(graphql, entity, project, req.query["nw"][0])
            else:
                assert report is not None
                entity, project = unquote(report.group(1)), unquote(report.group(2))
                view = self._report(graphql, unquote(report.group(3)))
            if view is None:
                return _page(
                    answer, 404, "Not found", f"<p>No view at {html.escape(req.path)}.</p>"
                )
            body = self.renderer(ViewPage(entity, project, str(view.get("type") or ""),
                                          str(view.get("displayName") or ""), str(view.get("description") or ""),
                                          str(view.get("spec") or "{}"), graphql))  # fmt: skip
        except Exception as exc:
            log.exception("rendering %s failed", req.path)
            text = html.escape(f"{type(exc).__name__}: {exc}")
            return _page(answer, 500, "Cannot show this view", f"<p>{text}</p>")
        return answer(200, body.encode(), HEADERS)

    def _index(self, graphql: GraphQL) -> str:
        """Links to every view of the viewer's entity."""
        entity = str((graphql(_INDEX, {}).get("viewer") or {}).get("entity") or "")
        models = (graphql(_PROJECTS, {"entity": entity}).get("models") or {}).get("edges") or []
        items = []
        for edge in models:
            project = str(edge["node"]["name"])
            place = f"/{quote(entity, safe='')}/{quote(project, safe='')}"
            for view_type in ("project-view", "runs"):
                variables = {"entityName": entity, "name": project, "viewType": view_type}
                node = graphql(_VIEWS, variables).get("project") or {}
                for view in ((node.get("allViews") or {}).get("edges")) or []:
                    v = view["node"]
                    if view_type == "project-view":
                        nw = str(v["name"]).removeprefix("nw-").removesuffix("-v")
                        href = f"{place}?nw={quote(nw, safe='')}"
                    else:
                        slug = re.sub(r"\W+", "-", str(v["displayName"])).strip("-") or "report"
                        href = (
                            f"{place}/reports/{quote(slug, safe='-')}--{str(v['id']).rstrip('=')}"
                        )
                    kind = "workspace" if view_type == "project-view" else "report"
                    label = html.escape(f"{project} · {v['displayName']} ({kind})")
                    items.append(f'<li><a href="{html.escape(href)}">{label}</a></li>')
        listed = "".join(items) or "<li>No views yet: run <code>reportgen apply</code>.</li>"
        return f"<p>Views of entity {html.escape(entity)}:</p><ul>{listed}</ul>"

    def _workspace(self, graphql: GraphQL, entity: str, project: str, nw: str) -> Any:
        data = graphql(_NAME_OF, {"entityName": entity, "name": project, "viewName": f"nw-{nw}-v"})
        edges = ((data.get("project") or {}).get("allViews") or {}).get("edges") or []
        return edges[0]["node"] if edges else None

    def _report(self, graphql: GraphQL, slug: str) -> Any:
        view_id = slug.rsplit("--", 1)[-1]
        view_id += "=" * (-len(view_id) % 4)
        view = graphql(_ID_OF, {"reportId": view_id}).get("view")
        return view if view and str(view.get("type", "")).startswith("runs") else None

    def _login(self, req: PageRequest, answer: Answer) -> Any:
        if req.method == "POST":
            if not req.authorized:
                return None  # the app answers 401 as for any request without the key
            next_path = (req.query.get("next") or ["/"])[0]
            body = json.dumps({"url": self.login_link(next_path)}).encode()
            return answer(200, body, (("Content-Type", "application/json"),))
        token = (req.query.get("token") or [""])[0]
        with self._lock:
            target = self._tokens.pop(_digest(token), None) if token else None
            session = secrets.token_urlsafe(32) if target is not None else ""
            if session:
                if len(self._sessions) >= MAX_SESSIONS:
                    self._sessions.pop()
                self._sessions.add(_digest(session))
        if target is None:
            return _page(answer, 403, "This login link is spent", _SPENT)
        cookie = f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
        return answer(303, b"", (("Location", target), ("Set-Cookie", cookie), *HEADERS[1:]))

    def _has_session(self, header: str) -> bool:
        try:
            morsel = SimpleCookie(header).get(COOKIE)
        except CookieError:
            return False
        if morsel is None or not morsel.value:
            return False
        wanted = _digest(morsel.value)
        with self._lock:
            return any(hmac.compare_digest(wanted, known) for known in self._sessions)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _local(path: str) -> str:
    """Only a path on this server: never another site (an open redirect)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return quote(path, safe="/?=&%-._~:@!$'()*+,;")


def _page(answer: Answer, status: int, title: str, body: str) -> Any:
    text = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body style="font:15px system-ui,sans-serif;max-width:40em;margin:3em auto">'
        f"<h1>{title}</h1>{body}</body></html>"
    )
    return answer(status, text.encode(), HEADERS)


_SIGN_IN = (
    "<p>The sandbox shows views to a browser that opened a one-time login link. "
    "<code>reportgen sandbox</code> prints one when it starts; to get another, ask with the API key:</p>"
    "<pre>curl -u api:$WANDB_API_KEY -X POST '{base}/_sandbox/login?next=/'</pre>"
)
_SPENT = (
    "<p>Login links work once. Ask for a new one with the API key:</p>"
    "<pre>curl -u api:$WANDB_API_KEY -X POST '&lt;sandbox&gt;/_sandbox/login?next=/'</pre>"
)


def basic_token(key: str) -> str:
    """The Authorization header value for a key (for tests and tools)."""
    return "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
