"""Credentials and the one shared wandb client, as W&B users expect them.

The API key comes from WANDB_API_KEY or the netrc file `wandb login` writes; the host
from --base-url, WANDB_BASE_URL, or W&B's cloud. The key is registered with
`reportgen.remote.secrets` so that no message can print it. A missing key is one line of advice,
including the sandbox for trying reportgen without an account.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reportgen.problems import ReportgenError
from reportgen.remote.client import Remote, RemoteError, RetryPolicy
from reportgen.remote.secrets import register_secret

DEFAULT_BASE_URL = "https://api.wandb.ai"
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Credentials:
    base_url: str
    api_key: str = field(repr=False)
    entity: str | None = None


def resolve_credentials(
    base_url: str | None = None, environ: Mapping[str, str] | None = None
) -> Credentials:
    env = os.environ if environ is None else environ
    url = (base_url or env.get("WANDB_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ReportgenError(f"invalid W&B base URL {url!r}: expected http(s)://host[:port]")
    if parsed.password:
        register_secret(parsed.password)
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


def connect(credentials: Credentials, policy: RetryPolicy | None = None) -> Session:
    """Build one `wandb.Api` (one Viewer request) and wrap its GraphQL transport."""
    import wandb
    from wandb.errors import AuthenticationError, CommError, UsageError
    from wandb_workspaces._graphql import execute_graphql, get_app_url

    try:
        api = wandb.Api(api_key=credentials.api_key, overrides={"base_url": credentials.base_url})
    except (AuthenticationError, UsageError, CommError) as exc:
        raise ReportgenError(
            f"cannot sign in to {credentials.base_url}: {_first_line(exc)}"
        ) from None
    except Exception as exc:
        # The edge of the program: whatever wandb raises while reading its settings or
        # reaching the server (pydantic errors for a bad URL, transport failures) is a
        # one-line failure to connect, not a bug of ours.
        raise ReportgenError(f"cannot reach {credentials.base_url}: {_first_line(exc)}") from None

    def transport(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        result: Mapping[str, Any] = execute_graphql(api, query, variables)
        return result

    entity = credentials.entity
    remote = Remote(transport, classify, policy)
    return Session(remote=remote, app_url=get_app_url(api).rstrip("/"), default_entity=entity)


def classify(exc: BaseException) -> RemoteError | None:
    """Map wandb-core's failure to a RemoteError; None for errors that are not W&B's."""
    if not _is_api_failure(exc):
        return None
    response = getattr(exc, "response", None)
    status = getattr(response, "http_status", 0) or None
    retryable = status is None or status in RETRYABLE_STATUS
    where = f"HTTP {status}" if status else "no response"
    return RemoteError(f"{_first_line(exc)} ({where})", retryable=retryable)


def _is_api_failure(exc: BaseException) -> bool:
    from wandb.sdk.lib.service.service_connection import WandbApiFailedError

    return isinstance(exc, WandbApiFailedError)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
