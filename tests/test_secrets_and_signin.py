"""Issue 14, items 3 and 4: the key in every form it travels in is never printed, server
error text included; signing in goes through the retry policy, and a server that cannot
be reached is "cannot reach <url>" within seconds (tests/test_first_hour.py times it),
and so is one that accepts connections but never answers (within the sign-in timeout).
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from reportgen import cli
from reportgen.problems import ReportgenError
from reportgen.remote.client import RetryPolicy
from reportgen.remote.http import HttpTransport
from reportgen.remote.secrets import redact, register_secret
from reportgen.remote.session import connect, endpoint, resolve_credentials, sign_in_timeout
from reportgen.sandbox import Sandbox
from reportgen.sandbox.faults import Fault

REPO = Path(__file__).resolve().parents[1]
KEY = "s3cr3t_key_" + "0123456789abcdefABCDEF" + "_tail_of_the_key"  # W&B keys: [A-Za-z0-9_], 40+


def basic(key: str) -> str:
    """What wandb sends: HTTP Basic credentials for the user `api`."""
    return base64.b64encode(f"api:{key}".encode()).decode()


def test_every_derived_form_of_the_key_is_redacted() -> None:
    secret = "odd+key/with=chars_" * 3  # not a W&B key: one that URL-encoding changes
    register_secret(secret)
    b64 = basic(secret)
    text = (
        f"raw {secret}\n"
        f"Authorization: Basic {b64}\n"
        f"unpadded {b64.rstrip('=')}\n"
        f"url {quote(secret, safe='')}\n"
    )
    assert redact(text) == ("raw ***\nAuthorization: Basic ***\nunpadded ***\nurl ***\n")
    # Inside a longer base64 text (a whole header block encoded, say), at any alignment.
    for prefix in (b"", b"x", b"xy", b"user:", b"Authorization: api:"):
        blob = base64.b64encode(prefix + secret.encode() + b" and more").decode()
        aligned = base64.b64encode(b"\0" * (len(prefix) % 3) + secret.encode()).decode()
        core = aligned[4:-4]  # what encodes the key's own bytes at this alignment
        assert core in blob and core not in redact(blob), prefix


class _Echo(http.server.BaseHTTPRequestHandler):
    """A server whose error messages quote the Authorization header it was sent."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        message = f"permission denied for {self.headers.get('Authorization', '')}"
        body = json.dumps({"errors": [{"message": message}]}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("transport", "said"),
    [
        ("http", "permission denied for Basic *** (HTTP 401)"),
        ("wandb", "Failed to verify credentials with {url}: permission denied for Basic ***"),
    ],
)
def test_server_error_text_passes_the_filter(
    echo_server: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
    said: str,
) -> None:
    """The server echoes `Basic <base64 of api:key>`: neither the library error nor the
    CLI's line shows it, in any form, through either transport."""
    environ = {"WANDB_API_KEY": KEY, "REPORTGEN_TRANSPORT": transport}
    credentials = resolve_credentials(echo_server, environ=environ)
    with pytest.raises(ReportgenError) as caught:
        connect(credentials, RetryPolicy(sleep=lambda _: None), environ)
    expected = said.format(url=echo_server)
    assert caught.value.message == f"cannot sign in to {echo_server}: {expected}"
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    monkeypatch.setenv("WANDB_ENTITY", "team")
    monkeypatch.setenv("REPORTGEN_TRANSPORT", transport)
    code = cli.run(["-vv", "plan", str(REPO / "specs"), "--base-url", echo_server])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.endswith(f"{expected}\n"), err
    for form in (KEY, basic(KEY), basic(KEY).rstrip("="), quote(KEY, safe="")):
        assert form not in out + err


@pytest.mark.parametrize("transport", ["http", "wandb"])
def test_sign_in_is_retried_by_the_retry_policy(tmp_path: Path, transport: str) -> None:
    """The Viewer request fails (through wandb-core, once its budget is spent: 1 s here,
    19 s by default); reportgen's policy tries again and the plan goes through. In a child
    process: wandb reads WANDB_HTTP_TIMEOUT when it is imported."""
    with Sandbox(faults=[Fault("500", op="Viewer", times=1)]) as sb:
        env = sb.subprocess_env()
        env["REPORTGEN_TRANSPORT"] = transport
        env["WANDB_HTTP_TIMEOUT"] = "1"
        env["XDG_CACHE_HOME"] = str(tmp_path)
        done = subprocess.run(
            [sys.executable, "-m", "reportgen", "plan", "specs"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        viewer = sb.stats()["operations"].get("Viewer")
        fired = sb.faults()["faults"][0]["fired"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("Plan: 4 to create")
    assert (fired, viewer) == (1, 2), "the failed sign-in was tried again, once"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A listener that accepts every connection and never answers (nor closes it)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_is_cannot_reach_within_the_timeout(
    silent_server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing in waits WANDB_HTTP_TIMEOUT (1 s here; 10 s when unset) once, not once per
    attempt of the retry policy (7 x 20 s before)."""
    for name, value in [
        ("WANDB_API_KEY", KEY),
        ("WANDB_ENTITY", "team"),
        ("REPORTGEN_TRANSPORT", "http"),
        ("WANDB_HTTP_TIMEOUT", "1"),
    ]:
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    code = cli.run(["plan", str(REPO / "specs"), "--base-url", silent_server])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"reportgen: cannot reach {silent_server}: no answer within 1 s (the server accepts "
        "connections but does not answer; check WANDB_BASE_URL or --base-url, and "
        "WANDB_HTTP_TIMEOUT)\n"
    )
    assert elapsed < 4, f"{elapsed:.1f} s"


def test_the_sign_in_timeout_is_documented() -> None:
    """10 s to sign in unless WANDB_HTTP_TIMEOUT says otherwise; later requests keep wandb's
    20 s. README says so."""
    assert sign_in_timeout({}) == 10
    assert sign_in_timeout({"WANDB_HTTP_TIMEOUT": "30"}) == 30
    assert HttpTransport("http://h", "k", {}).timeout == 20
    readme = " ".join((REPO / "README.md").read_text().split())
    assert (
        "Signing in waits for the server's answer for 10 s (`WANDB_HTTP_TIMEOUT` when set)"
        in readme
    )


def test_reaching_goes_where_wandb_would_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the proxy the environment names, except for NO_PROXY hosts and loopback."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert endpoint("https://api.wandb.ai") == ("api.wandb.ai", 443, "")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert endpoint("https://api.wandb.ai") == (
        "proxy.corp",
        3128,
        " (through the proxy http://proxy.corp:3128)",
    )
    assert endpoint("http://127.0.0.1:8765")[:2] == ("127.0.0.1", 8765)
    monkeypatch.setenv("NO_PROXY", "wandb.example.com")
    assert endpoint("https://wandb.example.com:8443")[:2] == ("wandb.example.com", 8443)
    # WANDB_HTTPS_PROXY, which the transport sends requests through, is where reaching goes.
    wandb_proxy = {"WANDB_HTTPS_PROXY": "http://wandb-proxy.corp:8080"}
    assert endpoint("https://wandb.example.com:8443", wandb_proxy)[:2] == ("wandb-proxy.corp", 8080)
    assert endpoint("http://127.0.0.1:8765", wandb_proxy)[:2] == ("127.0.0.1", 8765)
