"""reportgen's own GraphQL transport: what it sends, how failures read, when wandb's is used.

The requests go to small local HTTP servers that record them (for the exact wire shape)
or answer with a scripted status; plan and apply over this transport against the sandbox
are what the rest of the suite runs.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from reportgen.problems import ReportgenError
from reportgen.remote.client import Remote, RemoteError, RetryPolicy
from reportgen.remote.http import HttpTransport
from reportgen.remote.session import app_url, uses_wandb_client

KEY = "k" * 40


class _Scripted(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the next scripted (status, headers, body); records requests."""

    script: ClassVar[list[tuple[int, dict[str, str], Any]]] = []
    seen: ClassVar[list[tuple[dict[str, str], Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        type(self).seen.append((dict(self.headers.items()), body))
        status, headers, payload = type(self).script.pop(0)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Scripted]]]:
    handler = type("Handler", (_Scripted,), {"script": [], "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_requests_have_wandb_cores_shape(server: tuple[str, type[_Scripted]]) -> None:
    """REPORT.md 0.2 and 0.3: POST /graphql, operationName "", HTTP Basic api:<key>, JSON."""
    url, handler = server
    handler.script.append((200, {}, {"data": {"viewer": {"id": "1", "entity": "e"}}}))
    data = HttpTransport(url, KEY, {})("query Viewer { viewer { id entity } }", {"a": 1})
    assert data == {"viewer": {"id": "1", "entity": "e"}}
    headers, body = handler.seen[0]
    assert body == {
        "query": "query Viewer { viewer { id entity } }",
        "variables": {"a": 1},
        "operationName": "",
    }
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
    assert headers["Content-Type"] == "application/json"
    assert "gzip" in headers["Accept-Encoding"]


@pytest.mark.parametrize(
    ("status", "headers", "payload", "message", "retryable", "after"),
    [
        (
            200,
            {},
            {"errors": [{"message": "permission denied", "path": ["upsertView"]}]},
            "upsertView: permission denied",
            False,
            None,
        ),
        (
            429,
            {"Retry-After": "3"},
            {"errors": [{"message": "slow down"}]},
            "slow down (HTTP 429)",
            True,
            3.0,
        ),
        (503, {}, b"<html>busy</html>", "<html>busy</html> (HTTP 503)", True, None),
        (400, {}, {"errors": [{"message": "bad query"}]}, "bad query (HTTP 400)", False, None),
        (401, {}, b"", "HTTP 401", False, None),
    ],
)
def test_failures_become_remote_errors(
    server: tuple[str, type[_Scripted]],
    status: int,
    headers: dict[str, str],
    payload: Any,
    message: str,
    retryable: bool,
    after: float | None,
) -> None:
    url, handler = server
    handler.script.append((status, headers, payload))
    with pytest.raises(RemoteError) as caught:
        HttpTransport(url, KEY, {})("query Q { x }", {})
    assert (caught.value.message, caught.value.retryable) == (message, retryable)
    assert caught.value.retry_after == after


def test_no_answer_is_retryable() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RemoteError) as caught:
        HttpTransport(f"http://127.0.0.1:{port}", KEY, {})("query Q { x }", {})
    assert caught.value.retryable
    assert caught.value.message.endswith("connection refused")


def test_retry_after_is_honoured(server: tuple[str, type[_Scripted]]) -> None:
    """The policy's own delay is at most 0.5 s here; the server asked for 3 s."""
    url, handler = server
    handler.script += [(429, {"Retry-After": "3"}, {}), (200, {}, {"data": {"x": 1}})]
    slept: list[float] = []
    remote = Remote(
        HttpTransport(url, KEY, {}),
        lambda exc: exc if isinstance(exc, RemoteError) else None,
        RetryPolicy(attempts=2, base=0.5, sleep=slept.append),
    )
    assert remote.execute("query Q { x }", {}) == {"x": 1}
    assert slept == [3.0]


def test_the_key_never_reaches_an_error(server: tuple[str, type[_Scripted]]) -> None:
    from reportgen.remote.secrets import register_secret

    register_secret(KEY)
    url, handler = server
    token = base64.b64encode(f"api:{KEY}".encode()).decode()
    handler.script.append((403, {}, {"errors": [{"message": f"no: Basic {token} {KEY}"}]}))
    with pytest.raises(RemoteError) as caught:
        HttpTransport(url, KEY, {})("query Q { x }", {})
    assert KEY not in caught.value.message and token not in caught.value.message


@pytest.mark.parametrize("offset", [280, 286, 299])
def test_a_key_cut_short_with_the_servers_text_is_still_redacted(
    server: tuple[str, type[_Scripted]], offset: int
) -> None:
    """Server text is cut to 300 characters after the key is redacted, not before: a key
    astride the cut would no longer be recognised, and its first characters would show."""
    from reportgen.remote.secrets import register_secret

    register_secret(KEY)
    url, handler = server
    handler.script.append((500, {"Content-Type": "text/plain"}, ("x" * offset + KEY).encode()))
    with pytest.raises(RemoteError) as caught:
        HttpTransport(url, KEY, {})("query Q { x }", {})
    assert KEY[:6] not in caught.value.message, caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://api.wandb.ai",
        "https://api.wandb.test",
        "https://api.eu.wandb.ai",
        "https://api.example.com",
        "http://127.0.0.1:8765",
        "https://api.qa.wandb.ai",
        "https://api.forge.coreweave.com",
        "https://wandb.corp.example",
    ],
)
def test_app_url_is_wandbs(url: str) -> None:
    from wandb.util import api_to_app_url

    assert app_url(url, {}) == api_to_app_url(url)


def test_app_url_honours_wandb_app_url() -> None:
    assert app_url("https://api.wandb.ai", {"WANDB_APP_URL": "https://x.example/"}) == (
        "https://x.example"
    )


@pytest.mark.parametrize(
    ("url", "environ", "wandb"),
    [
        ("https://api.wandb.ai", {}, False),
        ("https://api.wandb.ai", {"REPORTGEN_TRANSPORT": "wandb"}, True),
        ("https://forge.coreweave.com", {"REPORTGEN_TRANSPORT": "http"}, False),
        ("https://forge.coreweave.com", {}, True),
        ("https://api.forge.coreweave.com", {}, True),
        ("https://api.wandb.ai", {"WANDB_IDENTITY_TOKEN_FILE": "/run/token"}, True),
        ("https://api.wandb.ai", {"WANDB_X_EXTRA_HTTP_HEADERS": '{"a": "b"}'}, True),
    ],
)
def test_which_transport(url: str, environ: dict[str, str], wandb: bool) -> None:
    assert uses_wandb_client(url, environ) is wandb


def test_an_unknown_transport_is_one_line() -> None:
    with pytest.raises(ReportgenError) as caught:
        uses_wandb_client("https://api.wandb.ai", {"REPORTGEN_TRANSPORT": "grpc"})
    assert caught.value.message == (
        "REPORTGEN_TRANSPORT='grpc' is not a transport: use 'http' (the default) or 'wandb'"
    )
