"""Logging the seed's runs (``examples/train_seed.py``) into a sandbox, for tests and the demo.

The script runs in a subprocess: ``wandb.init`` keeps global state (settings, the wandb-core
service) that should not leak into the caller, and the script is exercised exactly as a
newcomer runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reportgen.sandbox.handle import Sandbox

# Mirrors examples/train_seed.py (a test checks they agree).
SEED_PROJECT = "image-classification-leaderboard"
SEED_RUNS = ("resnet50-v1", "vit-base-patch16-v1")
SEED_SCRIPT = Path("examples") / "train_seed.py"

_COUNT = """query SeedCount($entity: String!, $project: String!, $filters: JSONString) {
  project(name: $project, entityName: $entity) { runCount(filters: $filters) } }"""


def default_seed_script() -> Path:
    """``examples/train_seed.py`` of the checkout this package was imported from."""
    return Path(__file__).resolve().parents[2] / SEED_SCRIPT


def seed_is_logged(sandbox: Sandbox) -> bool:
    """Whether finished runs with the seed's names are already in the sandbox."""
    filters = {"display_name": {"$in": list(SEED_RUNS)}, "state": "finished"}
    variables = {"entity": sandbox.entity, "project": SEED_PROJECT, "filters": json.dumps(filters)}
    data = sandbox.graphql(_COUNT, variables).json["data"]
    return bool(data["project"]) and data["project"]["runCount"] >= len(SEED_RUNS)


def log_seed(
    sandbox: Sandbox,
    script: Path | None = None,
    *,
    skip_if_logged: bool = False,
    timeout: float = 300,
) -> bool:
    """Run the seed's training loop against ``sandbox``; False if skipped as already logged.

    ``skip_if_logged`` keeps a persistent sandbox (``reportgen sandbox --db``) from
    collecting a new pair of runs every time the demo runs.
    """
    if skip_if_logged and seed_is_logged(sandbox):
        return False
    script = script or default_seed_script()
    # As a newcomer runs it: no WANDB_ENTITY, so the runs land in the viewer's entity.
    env = sandbox.subprocess_env()
    del env["WANDB_ENTITY"]
    result = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return True
