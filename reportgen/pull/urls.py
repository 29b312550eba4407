"""W&B app URLs of workspace views and reports -> which view they name.

Tolerant where wandb-workspaces' own parser is not (REPORT.md 3, 5.3): a trailing slash,
`/edit` after a report, query strings and fragments, `/workspace` or `/table` before
`?nw=`, and a self-hosted server's base path (`https://host/wandb/<entity>/<project>/...`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE
from reportgen.remote.session import FORGE_HOSTS

_WORKSPACE_TAILS = ("workspace", "table", "overview")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class UrlError(ValueError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url!r} is not a W&B workspace or report URL: {reason}")
        self.message = str(self)


@dataclass(frozen=True)
class ViewAddress:
    """A view named by a URL: its project, its type, and its internal name or id."""

    url: str
    entity: str
    project: str
    view_type: str
    host: str | None = None  # host[:port] the URL names, None for a host-less form
    names: tuple[str, ...] = ()  # internal names a workspace view may be stored under
    view_id: str | None = None  # a report's id

    def matches(self, name: str, view_id: str) -> bool:
        if self.view_id is not None:
            return view_id.rstrip("=") == self.view_id.rstrip("=")
        return name in self.names


def parse_url(url: str) -> ViewAddress:
    """The view a W&B URL names; raises UrlError with the reason."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UrlError(url, "expected http(s)://host/<entity>/<project>...")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if "reports" in segments:
        at = len(segments) - 1 - segments[::-1].index("reports")
        if at < 2 or at + 1 >= len(segments):
            raise UrlError(url, "expected /<entity>/<project>/reports/<title>--<id>")
        entity, project, slug = segments[at - 2], segments[at - 1], segments[at + 1]
        view_id = slug.rsplit("--", 1)[-1]
        view_id = _report_id(url, view_id)
        return ViewAddress(url, entity, project, REPORT_TYPE, _host(url), view_id=view_id)
    query = parse_qs(parts.query)
    nw = (query.get("nw") or [""])[0].strip()
    if not nw:
        raise UrlError(url, "a workspace view URL has ?nw=<view>, a report URL /reports/")
    if segments and segments[-1] in _WORKSPACE_TAILS:
        segments = segments[:-1]
    if len(segments) < 2:
        raise UrlError(url, "expected /<entity>/<project>?nw=<view>")
    entity, project = segments[-2], segments[-1]
    names = (f"nw-{nw}-v", nw)
    return ViewAddress(url, entity, project, WORKSPACE_TYPE, _host(url), names=names)


def _report_id(url: str, text: str) -> str:
    """A report id as W&B lists it: base64 of `View:<n>`, padding put back."""
    padded = text + "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True).decode("ascii", "strict")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UrlError(url, f"{text!r} is not a report id") from None
    if not decoded.startswith("View:"):
        raise UrlError(url, f"{text!r} is not a report id")
    return padded


def _host(url: str) -> str:
    """The host (and port) a URL names, as written."""
    return urlsplit(url.strip()).netloc.rpartition("@")[2].lower()


def _server(url: str) -> tuple[str, int | None]:
    """(host name, port), the port None where it is the scheme's own."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), None if port == _DEFAULT_PORTS.get(
        parts.scheme
    ) else port


def _aliases(name: str) -> frozenset[str]:
    """The host names of one W&B deployment: W&B's cloud app is at wandb.ai and at its
    CoreWeave Forge host (`remote.session.FORGE_HOSTS`, wandb's `urls.FORGE_HOSTS`), and
    app.wandb.ai still leads there [infer]; loopback is loopback."""
    if name in _LOOPBACK:
        return _LOOPBACK
    for forge, api in FORGE_HOSTS.items():
        cloud = api.removeprefix("api.")
        family = frozenset({forge, cloud, f"app.{cloud}"})
        if name in family:
            return family
    return frozenset({name})


def same_server(address: ViewAddress, app_url: str) -> bool:
    """Whether the URL's host is the app of the server at `app_url` (a host-less form names
    no server: it means the one reportgen talks to)."""
    if address.host is None:
        return True
    name, port = _server(address.url)
    app_name, app_port = _server(app_url)
    return port == app_port and name in _aliases(app_name)


def api_url_for(address: ViewAddress) -> str:
    """A guess at the API URL of the server a URL's host belongs to: W&B's cloud API for
    wandb.ai, `api.X` for an app at `app.X`, else the host itself (W&B Server serves both)."""
    name, _ = _server(address.url)
    for forge, api in FORGE_HOSTS.items():
        if name in _aliases(forge):
            return f"https://{api}"
    scheme = urlsplit(address.url.strip()).scheme
    host = address.host or name
    return f"{scheme}://api.{host[4:]}" if host.startswith("app.") else f"{scheme}://{host}"
