"""Helpers shared by tests that drive the sandbox (tests/ is on sys.path through conftest.py).

* ``url_of(out, kind, key)``: the URL apply printed for one object;
* ``views(sb, view_type, project)``: the views of a project as stored, read with the
  sandbox's own GraphQL endpoint (``spec`` left as the JSON text W&B stores);
* ``run_sdk(sb, *argv)``: ``python *argv`` in a subprocess whose wandb talks to ``sb``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from reportgen.sandbox import Sandbox

ALL_VIEWS = """query($e: String!, $p: String!, $t: String) { project(name: $p, entityName: $e) {
  allViews(viewType: $t, first: 1000) { edges { node { id name displayName description spec type } } } } }"""


def url_of(out: str, kind: str, key: str) -> str:
    """The URL apply printed for one object."""
    return next(line.split()[-1] for line in out.splitlines() if line.split()[1:3] == [kind, key])


def views(sb: Sandbox, view_type: str, project: str) -> list[dict[str, Any]]:
    """Views as stored, read with the sandbox's own GraphQL endpoint ([] if no such project)."""
    data = sb.graphql(ALL_VIEWS, {"e": sb.entity, "p": project, "t": view_type}).json["data"]
    if data["project"] is None:
        return []
    return [e["node"] for e in data["project"]["allViews"]["edges"]]


def run_sdk(sb: Sandbox, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python *argv` with wandb pointed at `sb`; the caller checks the return code."""
    return subprocess.run(
        [sys.executable, *argv],
        env=sb.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
