"""Credentials and the one shared wandb client, as W&B users expect them.

The API key comes from WANDB_API_KEY or the netrc file `wandb login` writes; the host
from --base-url, WANDB_BASE_URL, or W&B's cloud. The key is registered with
`reportgen.remote.secrets` so that no message can print it. A missing key is one line of advice,
including the sandbox for trying reportgen without an account.
"""

from __future__ import annotations

import netrc
import os
import socket
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reportgen.problems import ReportgenError
from reportgen.remote.client import (
    RETRYABLE_STATUS,
    Remote,
    RemoteError,
    RetryPolicy,
    is_loopback,
)
from reportgen.remote.secrets import redact, register_secret

DEFAULT_BASE_URL = "https://api.wandb.ai"
REACH_BUDGET = 5.0  # seconds to reach the server before saying it cannot be reached
# Seconds signing in waits for the server's answer, unless WANDB_HTTP_TIMEOUT says otherwise;
# an answer that does not come is not waited for again.
SIGN_IN_TIMEOUT = 10.0


@dataclass(frozen=True)
class Credentials:
    base_url: str
    api_key: str = field(repr=False)
    entity: str | None = None


def resolve_credentials(
    base_url: str | None = None, environ: Mapping[str, str] | None = None
) -> Credentials:
    env = os.environ if environ is None else environ
    given = base_url or env.get("WANDB_BASE_URL") or DEFAULT_BASE_URL
    url = given.strip().rstrip("/")
    try:
        parsed = urlparse(url)
        if parsed.password:  # never printed, not even in the error below
            register_secret(parsed.password)
        parsed.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        # Quoted as the user wrote it (`http://`, not what is left once "/" is stripped).
        where = "--base-url" if base_url else "WANDB_BASE_URL"
        raise ReportgenError(
            f"invalid W&B base URL {given!r} ({where}): expected http(s)://host[:port]"
        )
    key = env.get("WANDB_API_KEY") or _netrc_key(parsed.hostname or "", env)
    if not key:
        raise ReportgenError(
            f"no W&B API key for {url}: set WANDB_API_KEY or run `wandb login`"
            " (or try reportgen without an account: `reportgen sandbox`)"
        )
    register_secret(key)
    return Credentials(url, key, env.get("WANDB_ENTITY") or None)


def _netrc_key(host: str, env: Mapping[str, str]) -> str | None:
    path = Path(env.get("NETRC") or Path.home() / ".netrc")
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    return entry[2] if entry and entry[2] else None


@dataclass
class Session:
    """A connected client: the remote API, the app's URL and the viewer's default entity."""

    remote: Remote
    app_url: str
    default_entity: str | None


VIEWER = "query Viewer { viewer { id entity username } }"
# What only wandb's own client does; with any of it, requests go through `wandb.Api()`.
WANDB_ONLY_SETTINGS = ("WANDB_IDENTITY_TOKEN_FILE", "WANDB_X_EXTRA_HTTP_HEADERS")
# CoreWeave Forge hosts and the W&B API host behind each (wandb.sdk.lib.urls.FORGE_HOSTS).
FORGE_HOSTS = {"forge.coreweave.com": "api.wandb.ai", "qa.forge.coreweave.com": "api.qa.wandb.ai"}


def connect(
    credentials: Credentials,
    policy: RetryPolicy | None = None,
    environ: Mapping[str, str] | None = None,
) -> Session:
    """Sign in (one Viewer request) and return the session every request goes through.

    The server is reached first with a plain TCP connection (to the proxy, if one applies),
    so a closed port or a refused connection is "cannot reach <url>" within seconds rather
    than a login failure after wandb's 19 s. Signing in then waits `sign_in_timeout`
    seconds for the answer, once: a server that accepts connections but never answers is
    "cannot reach <url>: no answer within N s"; other failures (5xx, 429, a dropped
    connection) go through the same retry policy as every other request. Requests go out
    through `HttpTransport` unless the environment asks for what only wandb's client does
    (`uses_wandb_client`).
    """
    env = os.environ if environ is None else environ
    reach(credentials.base_url, policy or RetryPolicy(), environ=env)
    if uses_wandb_client(credentials.base_url, env):
        return _connect_wandb(credentials, policy or RetryPolicy())
    from reportgen.remote.http import HttpTransport, NoAnswer

    # No wandb-core retrying inside each request here: this policy is the only one.
    policy = policy or RetryPolicy(attempts=7, base=0.5)
    transport = HttpTransport(credentials.base_url, credentials.api_key, env)
    remote = Remote(transport, _remote_error, policy)
    url = credentials.base_url
    limit = sign_in_timeout(env)

    def sign_in(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        try:
            return transport(query, variables, timeout=limit)
        except NoAnswer as exc:  # not retried (not a RemoteError any more): the server had its time
            raise ReportgenError(no_answer(url, exc.seconds)) from None

    try:
        viewer = Remote(sign_in, _remote_error, policy).execute(VIEWER, {}).get("viewer")
    except RemoteError as exc:
        verb = "reach" if exc.retryable else "sign in to"
        raise ReportgenError(f"cannot {verb} {url}: {exc.message}") from None
    if not viewer:
        raise ReportgenError(f"cannot sign in to {url}: the server did not recognise the API key")
    return Session(remote=remote, app_url=app_url(url, env), default_entity=credentials.entity)


def sign_in_timeout(environ: Mapping[str, str]) -> float:
    """Seconds signing in waits for an answer: WANDB_HTTP_TIMEOUT, else `SIGN_IN_TIMEOUT`."""
    from reportgen.remote.http import http_timeout

    return http_timeout(environ, SIGN_IN_TIMEOUT)


def no_answer(url: str, seconds: float) -> str:
    return (
        f"cannot reach {url}: no answer within {seconds:g} s (the server accepts connections "
        "but does not answer; check WANDB_BASE_URL or --base-url, and WANDB_HTTP_TIMEOUT)"
    )


def uses_wandb_client(base_url: str, environ: Mapping[str, str]) -> bool:
    """Whether requests must go through `wandb.Api()`: asked for with
    REPORTGEN_TRANSPORT=wandb, or needed for identity-token federation or a Forge host."""
    choice = environ.get("REPORTGEN_TRANSPORT", "").strip().lower()
    if choice in ("wandb", "http"):
        return choice == "wandb"
    if choice:
        raise ReportgenError(
            f"REPORTGEN_TRANSPORT={choice!r} is not a transport: use 'http' (the default) or 'wandb'"
        )
    host = urlparse(base_url).hostname or ""
    forge = any(host in (h, f"api.{h}") for h in FORGE_HOSTS)
    return forge or any(environ.get(name) for name in WANDB_ONLY_SETTINGS)


def app_url(base_url: str, environ: Mapping[str, str]) -> str:
    """The W&B app's URL for an API URL, as wandb's `util.app_url` derives it (W&B's cloud
    API is served behind CoreWeave Forge, whose app lives under /wandb)."""
    if override := environ.get("WANDB_APP_URL"):
        return override.strip().rstrip("/")
    url = base_url.rstrip("/")
    host = urlparse(url).hostname
    for forge, api in FORGE_HOSTS.items():
        if host in (forge, f"api.{forge}", api):
            return f"https://{forge}/wandb"
    if "://api.wandb.test" in url:
        return url.replace("://api.", "://app.")
    if "://api.wandb." in url:
        return url.replace("://api.", "://")
    if "://api." in url:
        return url.replace("://api.", "://app.")
    return url


def _remote_error(exc: BaseException) -> RemoteError | None:
    return exc if isinstance(exc, RemoteError) else None


def _connect_wandb(credentials: Credentials, policy: RetryPolicy) -> Session:
    """The session over `wandb.Api()`: wandb-core does the HTTP (and its own retries)."""
    from wandb_workspaces._graphql import execute_graphql, get_app_url

    api = _sign_in(credentials, policy)

    def transport(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        result: Mapping[str, Any] = execute_graphql(api, query, variables)
        return result

    remote = Remote(transport, classify, policy)
    app = get_app_url(api).rstrip("/")
    return Session(remote=remote, app_url=app, default_entity=credentials.entity)


def _sign_in(credentials: Credentials, policy: RetryPolicy) -> Any:
    """`wandb.Api()` signed in. wandb-core retries a 5xx inside its timeout and then reports
    no answer, as for a server that never answers: the two look alike here, so both are
    tried again by `policy` (3 attempts of wandb's 19 s at most)."""
    import wandb
    from wandb.errors import AuthenticationError, CommError, UsageError

    url = credentials.base_url
    delays = policy.delays()
    while True:
        try:
            return wandb.Api(api_key=credentials.api_key, overrides={"base_url": url})
        except (AuthenticationError, UsageError, CommError) as exc:
            cause = classify(exc.__cause__) if exc.__cause__ is not None else None
            delay = next(delays, None) if cause is not None and cause.retryable else None
            if delay is None:
                raise ReportgenError(f"cannot sign in to {url}: {_first_line(exc)}") from None
            policy.sleep(delay)
        except Exception as exc:
            # The edge of the program: whatever wandb raises while reading its settings or
            # reaching the server (pydantic errors for a bad URL, transport failures) is a
            # one-line failure to connect, not a bug of ours.
            raise ReportgenError(f"cannot reach {url}: {_first_line(exc)}") from None


def reach(
    url: str,
    policy: RetryPolicy,
    budget: float = REACH_BUDGET,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Open (and close) a TCP connection to the server, or to the proxy that leads to it,
    retrying by `policy` for at most `budget` seconds; raise "cannot reach <url>"."""
    host, port, via = endpoint(url, os.environ if environ is None else environ)
    deadline = time.monotonic() + budget
    delays = policy.delays()
    while True:
        left = deadline - time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=max(0.1, min(2.0, left))):
                return
        except OSError as exc:
            delay = next(delays, None)
            if delay is None or time.monotonic() + delay >= deadline:
                raise ReportgenError(f"cannot reach {url}{via}: {_why(exc)}{_hint(host)}") from None
            policy.sleep(delay)


def endpoint(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, int, str]:
    """(host, port, note) a connection to `url` goes to: its own, or its proxy's as wandb
    would use it (WANDB_HTTP(S)_PROXY, as the transport sends it; else HTTP(S)_PROXY and
    NO_PROXY)."""
    env = os.environ if environ is None else environ
    parsed = urlparse(url)
    host = parsed.hostname or ""
    wandb_proxy = env.get(f"WANDB_{parsed.scheme.upper()}_PROXY")
    proxy = wandb_proxy or urllib.request.getproxies().get(parsed.scheme)
    # wandb-core (Go's ProxyFromEnvironment) never sends loopback traffic to a proxy.
    bypass = not wandb_proxy and urllib.request.proxy_bypass(host)
    if proxy and not is_loopback(host) and not bypass:
        through = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        if through.hostname:
            default = 443 if through.scheme == "https" else 80
            return through.hostname, through.port or default, f" (through the proxy {proxy})"
    return host, parsed.port or (443 if parsed.scheme == "https" else 80), ""


def _why(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "no answer"
    return exc.strerror or type(exc).__name__


def _hint(host: str) -> str:
    if is_loopback(host):
        return " (is `reportgen sandbox` running? It prints the WANDB_BASE_URL to use)"
    return " (check WANDB_BASE_URL or --base-url, and the network)"


def classify(exc: BaseException) -> RemoteError | None:
    """Map wandb-core's failure to a RemoteError; None for errors that are not W&B's."""
    if not _is_api_failure(exc):
        return None
    response = getattr(exc, "response", None)
    status = getattr(response, "http_status", 0) or None
    retryable = status is None or status in RETRYABLE_STATUS
    where = f"HTTP {status}" if status else "no response"
    # Server text may echo a request header: it passes the secrets filter here already.
    return RemoteError(redact(f"{_first_line(exc)} ({where})"), retryable=retryable)


def _is_api_failure(exc: BaseException) -> bool:
    from wandb.sdk.lib.service.service_connection import WandbApiFailedError

    return isinstance(exc, WandbApiFailedError)


def _first_line(exc: BaseException) -> str:
    text = redact(str(exc).strip())
    return text.splitlines()[0] if text else type(exc).__name__
