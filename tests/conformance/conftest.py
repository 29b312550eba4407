"""Where the conformance suite runs, and the throwaway project it works in.

The suite is black-box: it talks to a W&B server only through the clients W&B users have
(the `wandb` SDK, `wandb.Api()`, wandb-workspaces, and GraphQL sent through `wandb.Api`), so
it means the same against wandb.ai as against the sandbox. It never reads sandbox internals
(only, to choose the server and how long to wait, whether a server is a reportgen sandbox
and its crash window, through its admin endpoints).

REPORTGEN_CONFORMANCE chooses the server:

* unset or `sandbox`: the suite starts two sandboxes itself, one per view upsert mode
  (`sandbox-by-name`, `sandbox-insert`), and runs every test against each;
* `sandbox-by-name` / `sandbox-insert`: one of them;
* `wandb`: the W&B that WANDB_BASE_URL (default https://api.wandb.ai), WANDB_API_KEY (or
  the netrc entry `wandb login` wrote) and WANDB_ENTITY (default: your default entity) name;
* `auto` (what `make conformance` passes): `wandb` when WANDB_API_KEY is set and
  WANDB_BASE_URL is not a reportgen sandbox (one answers `GET /_sandbox/health`), else
  `sandbox`. After the quick start a shell holds a sandbox's key and URL: that is not W&B.
  The header of the run says which was chosen and why.

REPORTGEN_EXPECT_VIEW_UPSERT (`by-name` or `insert`) overrides which upsert behaviour the
suite expects; by default the sandbox's mode, and `by-name` (our assumption) for W&B.

The crash tests wait for a killed run to read as crashed: 33 s on a sandbox the suite
starts (a 3 s window), up to 15 minutes on W&B ("about five minutes"). On a sandbox given
as `wandb` they wait its `crash_after` if that is at most a minute, else skip saying so.

Each target gets a new project `reportgen-conformance-<8 hex digits>`; the runs the tests
read are logged into it once, with the real SDK in a subprocess (`conformance_runs.py`).
Against W&B the project is deleted at the end (`deleteModel`, the mutation wandb's own
`Registry.delete()` sends); a sandbox the suite started is discarded whole.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from conformance_target import Target

TARGET_VARIABLE = "REPORTGEN_CONFORMANCE"
EXPECT_VARIABLE = "REPORTGEN_EXPECT_VIEW_UPSERT"
SANDBOX_TARGETS = {"sandbox-by-name": "by-name", "sandbox-insert": "insert"}
RUNS_SCRIPT = Path(__file__).with_name("conformance_runs.py")
CRASH_AFTER = 3.0  # seconds without a heartbeat, for sandboxes the suite starts
CRASH_MARGIN = 30.0  # seconds to wait past a sandbox's crash window
LONGEST_SANDBOX_WAIT = 60.0  # a sandbox whose window is longer: the crash tests skip
WANDB_CRASH_WAIT = 900.0  # W&B: "on the order of about five minutes", and some slack
DEFAULT_BASE_URL = "https://api.wandb.ai"

PROJECT_ID = """query ProjectId($entityName: String!, $projectName: String!) {
  project(name: $projectName, entityName: $entityName) { id } }"""
CREATE_PROJECT = """mutation CreateProject($input: UpsertModelInput!) {
  result: upsertModel(input: $input) { project { id name entityName } inserted } }"""
DELETE_PROJECT = """mutation DeleteProject($id: String!) {
  deleteModel(input: {id: $id}) { success } }"""


def targets() -> list[str]:
    return choice()[0]


@functools.cache
def choice() -> tuple[list[str], str]:
    """The targets, and a line for the run's header saying why."""
    chosen = os.environ.get(TARGET_VARIABLE, "sandbox") or "sandbox"
    base = (os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    own = list(SANDBOX_TARGETS)
    if chosen == "auto":
        if not os.environ.get("WANDB_API_KEY"):
            return (
                own,
                "conformance: WANDB_API_KEY is not set: against two sandboxes this suite starts",
            )
        if is_sandbox(base):
            return own, (
                f"conformance: WANDB_BASE_URL {base} is a reportgen sandbox (it answers "
                "/_sandbox/health), not W&B: against two sandboxes this suite starts instead "
                "(REPORTGEN_CONFORMANCE=wandb to test that one)"
            )
        return ["wandb"], f"conformance: against the W&B at {base} (WANDB_API_KEY is set)"
    if chosen == "sandbox":
        return own, "conformance: against two sandboxes this suite starts"
    if chosen in SANDBOX_TARGETS:
        return [chosen], f"conformance: against a {chosen} this suite starts"
    if chosen == "wandb":
        what = "a reportgen sandbox" if is_sandbox(base) else "W&B"
        return ["wandb"], f"conformance: against the server at {base} ({what})"
    raise pytest.UsageError(
        f"{TARGET_VARIABLE}={chosen!r}: expected auto, sandbox, sandbox-by-name, "
        "sandbox-insert or wandb"
    )


def pytest_report_header() -> list[str]:
    return [choice()[1]]


def _get(url: str, key: str | None = None) -> object:
    """A JSON answer (GET, a few seconds at most); OSError or ValueError if there is none."""
    request = urllib.request.Request(url)
    if key is not None:
        basic = base64.b64encode(f"api:{key}".encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        exc.close()  # else its open response warns when collected
        raise


def is_sandbox(base_url: str) -> bool:
    """Whether a reportgen sandbox serves `base_url`: it answers GET /_sandbox/health."""
    try:
        return _get(f"{base_url}/_sandbox/health") == {"ok": True}
    except (OSError, ValueError):
        return False


def crash_window(env: dict[str, str], key: str | None) -> tuple[float | None, str]:
    """How long the crash tests wait on a server the suite did not start, or None and why
    they skip instead."""
    base = (env.get("WANDB_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not is_sandbox(base):
        return WANDB_CRASH_WAIT, ""
    try:
        settings = _get(f"{base}/_sandbox/settings", key)
        seconds = float(settings["crash_after"])  # type: ignore[index]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, (
            f"the sandbox at {base} did not say its crash window ({exc}): not waiting for a "
            "window of unknown length; let the suite start its own (REPORTGEN_CONFORMANCE="
            "sandbox)"
        )
    if seconds > LONGEST_SANDBOX_WAIT:
        return None, (
            f"the sandbox at {base} reads a killed run as crashed after {seconds:.0f} s (its "
            "crash_after): not waiting that long; start it with `reportgen sandbox "
            "--crash-after 5`, or let the suite start its own (REPORTGEN_CONFORMANCE=sandbox)"
        )
    return seconds + CRASH_MARGIN, ""


def _sandbox_env(target: str, stack: ExitStack) -> dict[str, str]:
    from reportgen.sandbox import Sandbox

    sandbox = Sandbox(view_upsert=SANDBOX_TARGETS[target], crash_after=CRASH_AFTER)
    stack.enter_context(sandbox)
    return sandbox.subprocess_env()


@pytest.fixture(scope="session", params=targets())
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The server under test, with a new project; the process's wandb points at it."""
    import wandb

    name = str(request.param)
    with ExitStack() as stack:
        sandboxed = name in SANDBOX_TARGETS
        env = _sandbox_env(name, stack) if sandboxed else dict(os.environ)
        if not sandboxed:  # the runs' local files go to a scratch directory, not ./wandb
            env["WANDB_DIR"] = str(tmp_path_factory.mktemp("wandb"))
        # Processes the suite starts get a wandb-core of their own, never this process's
        # (which WANDB_SERVICE names once this process has used wandb): a killed run must
        # take its wandb-core with it.
        env.pop("WANDB_SERVICE", None)
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for variable, value in env.items():
            if variable.startswith("WANDB_"):
                patch.setenv(variable, value)
        expected = os.environ.get(EXPECT_VARIABLE) or SANDBOX_TARGETS.get(name, "by-name")
        entity = env.get("WANDB_ENTITY") or wandb.Api().default_entity
        if not entity:
            pytest.fail("no W&B entity: set WANDB_ENTITY")
        project = f"reportgen-conformance-{secrets.token_hex(4)}"
        found = Target(name, entity, project, expected, env, sandboxed)
        if sandboxed:
            found.crash_wait = CRASH_AFTER + CRASH_MARGIN
        else:
            key = env.get("WANDB_API_KEY") or wandb.Api().api_key
            found.crash_wait, found.crash_skip = crash_window(env, key)
        found.graphql(CREATE_PROJECT, {"input": {"entityName": entity, "name": project}})
        try:
            yield found
        finally:
            if not sandboxed:
                _delete_project(found, request)


def _delete_project(target: Target, request: pytest.FixtureRequest) -> None:
    problem = ""
    try:
        node = target.graphql(
            PROJECT_ID, {"entityName": target.entity, "projectName": target.project}
        ).get("project")
        if node is not None:
            answer = target.graphql(DELETE_PROJECT, {"id": node["id"]})
            if not (answer.get("deleteModel") or {}).get("success"):
                problem = f"deleteModel answered {json.dumps(answer)}"
    except Exception as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if problem:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(
                    f"\nconformance: could not delete the project {target.path} ({problem}); "
                    "delete it in the W&B app",
                    yellow=True,
                )


@pytest.fixture(scope="session")
def runs(target: Target) -> Target:
    """The target, once the suite's runs are logged into its project (once per target)."""
    if not target.runs_logged:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
        env.update(target.env)
        env["WANDB_ENTITY"] = target.entity
        result = subprocess.run(
            [sys.executable, str(RUNS_SCRIPT), target.entity, target.project],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"logging the suite's runs failed:\n{result.stderr[-3000:]}")
        target.runs_logged = True
    return target
