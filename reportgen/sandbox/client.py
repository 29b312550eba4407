"""One raw HTTP request to a sandbox (``Sandbox.request``), the way tests poke at it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HTTPResult:
    """A raw response from ``Sandbox.request``; ``json`` is None when the body is not JSON."""

    status: int
    headers: Mapping[str, str]
    json: Any


def http_request(base_url: str, method: str, path: str, payload: Any, api_key: str) -> HTTPResult:
    """``payload`` as JSON (or as is when it is ``bytes``), authenticated as wandb does.

    A connection the server drops raises ConnectionError, as in any client.
    """
    if payload is None or isinstance(payload, bytes):
        data = payload
    else:
        data = json.dumps(payload).encode()
    token = base64.b64encode(f"api:{api_key}".encode()).decode()
    req = urllib.request.Request(base_url + path, data=data, method=method)
    req.add_header("Authorization", f"Basic {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, headers, body = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, headers, body = err.code, dict(err.headers), err.read()
    except urllib.error.URLError as err:
        if isinstance(err.reason, ConnectionError):
            raise err.reason from err
        raise
    try:
        parsed = json.loads(body) if body else None
    except json.JSONDecodeError:
        parsed = None
    return HTTPResult(status, headers, parsed)
