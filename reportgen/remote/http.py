"""GraphQL over HTTP straight from this process: what wandb-core would send, without it.

`wandb.Api()` imports the wandb package (about 0.45 s) and starts wandb-core, W&B's Go
sidecar (about 0.35 s), before its first request; for a no-op plan that is two thirds of
the run. reportgen's requests are few, fixed GraphQL documents, so by default they go out
through `requests` (proxies from HTTP(S)_PROXY/NO_PROXY and WANDB_HTTP(S)_PROXY, CA
bundles from REQUESTS_CA_BUNDLE/SSL_CERT_FILE, kept-alive connections, gzip) in the shape
wandb-core gives them (REPORT.md 0.2, 0.3): `POST {base}/graphql` with
`{"query", "variables", "operationName": ""}` and HTTP Basic `api:<key>`.

Where wandb offers what this transport does not — identity-token federation
(WANDB_IDENTITY_TOKEN_FILE), CoreWeave Forge hosts, or REPORTGEN_TRANSPORT=wandb — the
session falls back to `wandb.Api()` (see `session.connect`).

Failures become `RemoteError`s the retry policy understands: no answer, 429 and 5xx are
retryable (a Retry-After is honoured); a GraphQL `errors` list, like any other status, is
not, and is worded as wandb words it (`path: message`). Server text passes the secrets
filter before it reaches any message.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

from reportgen import __version__
from reportgen.remote.client import RETRYABLE_STATUS, RemoteError, is_loopback
from reportgen.remote.secrets import redact

DEFAULT_TIMEOUT = 20.0  # seconds, wandb's default for WANDB_HTTP_TIMEOUT


class NoAnswer(RemoteError):
    """The request went out but no answer came within `seconds` (retryable, as any lost
    response; signing in does not retry it: `session.connect`)."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message, retryable=True)
        self.seconds = seconds


class HttpTransport:
    """Executes one GraphQL document per call; one `requests.Session` per thread."""

    def __init__(
        self, base_url: str, api_key: str, environ: Mapping[str, str] | None = None
    ) -> None:
        env = os.environ if environ is None else environ
        self.url = f"{base_url.rstrip('/')}/graphql"
        token = base64.b64encode(f"api:{api_key}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": f"reportgen/{__version__}",
        }
        self.timeout = http_timeout(env)
        self._proxies: dict[str, str | None] = {
            scheme: value
            for scheme, name in (("http", "WANDB_HTTP_PROXY"), ("https", "WANDB_HTTPS_PROXY"))
            if (value := env.get(name))
        }
        if is_loopback(urlparse(base_url).hostname or ""):
            # As wandb-core (Go's ProxyFromEnvironment): loopback never goes through a proxy.
            self._proxies = {"http": None, "https": None}
        self._verify: bool | str = _verify(env)
        self._local = threading.local()

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def __call__(
        self, query: str, variables: Mapping[str, Any], *, timeout: float | None = None
    ) -> Mapping[str, Any]:
        """One request; `timeout` (seconds to wait for an answer) replaces WANDB_HTTP_TIMEOUT's."""
        import requests

        body = {"query": query, "variables": dict(variables), "operationName": ""}
        seconds = self.timeout if timeout is None else timeout
        try:
            response = self._session().post(
                self.url,
                json=body,
                timeout=seconds,
                verify=self._verify,
                proxies=dict(self._proxies),
            )
        except requests.Timeout:
            raise NoAnswer(f"no response from {self.url}: timed out", seconds) from None
        except requests.RequestException as exc:
            reason = _reason(exc)
            raise RemoteError(f"no response from {self.url}: {reason}", retryable=True) from None
        return _result(response)


def _result(response: Any) -> Mapping[str, Any]:
    status = int(response.status_code)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if status == 200 and isinstance(payload, dict) and not errors:
        data = payload.get("data")
        return data if isinstance(data, dict) else {}
    if status == 200 and errors:
        raise RemoteError(redact(_graphql_errors(errors)))
    text = _graphql_errors(errors) if errors else _body_text(response)
    raise RemoteError(
        redact(f"{text} (HTTP {status})" if text else f"HTTP {status}"),
        retryable=status in RETRYABLE_STATUS,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


def _graphql_errors(errors: Any) -> str:
    """As wandb-core words them: each error's path and message."""
    lines = []
    for error in errors if isinstance(errors, list) else [errors]:
        if not isinstance(error, dict):
            lines.append(str(error))
            continue
        path = error.get("path")
        where = ".".join(str(p) for p in path) + ": " if isinstance(path, list) and path else ""
        lines.append(f"{where}{error.get('message', '')}".strip())
    return "; ".join(line for line in lines if line) or "the server returned errors"


def _body_text(response: Any) -> str:
    """The server's text, redacted before it is cut short: a key cut in two would not be
    recognised any more."""
    text = str(getattr(response, "text", "") or "").strip()
    return " ".join(redact(text).split())[:300]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def http_timeout(env: Mapping[str, str], default: float = DEFAULT_TIMEOUT) -> float:
    """WANDB_HTTP_TIMEOUT in seconds, or `default` when it is unset or not a positive number."""
    try:
        value = float(env.get("WANDB_HTTP_TIMEOUT") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _verify(env: Mapping[str, str]) -> bool | str:
    if env.get("WANDB_INSECURE_DISABLE_SSL", "").lower() in ("1", "true", "yes"):
        return False
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        if env.get(name):
            return env[name]
    return True


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if "Timeout" in name:
        return "timed out"
    if "refused" in text.lower():
        return "connection refused"
    return redact(text)[:200] or name
