"""`reportgen plan` and `reportgen build`, as whole processes, against the sandbox.

  (a) a no-op plan of 100 objects (50 workspace views, 50 reports) in 5 projects, the
      sandbox adding 20 ms to every request, interleaved with `reportgen validate` of the
      same specs (its peer: the work a plan cannot avoid); the latency each request really
      took, as measured through wandb, is printed beside it;
  (b) a plan of 34,445 views against an empty sandbox: every view is new, so every one is
      compiled; peak memory of the plan's process;
  (c) `reportgen build` of generated specs declaring 1,000 views.

Targets (issue 15): (a) at most 1.0 s or 2x validate, whichever is larger, with 1 + one
listing per (project, view type) requests; (b) at most 300 MiB.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.apply_bench import LATENCY, PER_PROJECT, PROJECTS, write_specs
from benchmarks.harness import measure, run_process, tool, verdict
from benchmarks.validate_bench import generate_until

NOOP_RUNS = 7
PLAN_VIEWS = 34_445
BUILD_VIEWS = 1_000

# Ten listings through reportgen's own transport (what plan sends them with), timed one by
# one: what each of plan's requests costs.
_OBSERVE = """
import os, statistics, sys, time
from reportgen.remote.client import LIST_VIEWS
from reportgen.remote.http import HttpTransport
send = HttpTransport(os.environ["WANDB_BASE_URL"], os.environ["WANDB_API_KEY"])
took = []
for _ in range(10):
    start = time.perf_counter()
    send(LIST_VIEWS, {"entityName": sys.argv[1], "projectName": "bench-project-0",
                      "viewType": "runs", "first": 100, "after": None})
    took.append(time.perf_counter() - start)
print(statistics.median(took) * 1000)
"""


def _sandbox(latency: float) -> Any:
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.faults import Fault

    faults = [Fault("latency", rate=1.0, seconds=latency)] if latency else []
    return Sandbox(faults=faults).start()


def noop_plan(runs: int) -> str:
    reportgen = tool("reportgen")
    sb = _sandbox(LATENCY)
    try:
        env = sb.env()
        with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
            specs = Path(tmp) / "specs"
            specs.mkdir()
            write_specs(specs)
            run_process([reportgen, "apply", str(specs)], env)
            observed = float(
                run_process([sys.executable, "-c", _OBSERVE, sb.entity], env).stdout.strip()
            )
            sb.reset_stats()
            found = measure(
                {
                    "plan": [reportgen, "plan", str(specs)],
                    "validate": [reportgen, "validate", str(specs)],
                },
                runs,
                env,
            )
            stats = sb.stats()
    finally:
        sb.stop()
    plan, validate = found["plan"], found["validate"]
    assert all("100 unchanged" in r.stdout for r in plan.runs), plan.runs[0].stdout
    per_plan = stats["requests"] / (runs + 1)
    listings = stats["operations"].get("ProjectWorkspaceViews", 0) / (runs + 1)
    limit = max(1.0, 2 * validate.seconds)
    expected = 1 + PROJECTS * 2
    return "\n".join(
        [
            f"**no-op plan**: {PROJECTS * PER_PROJECT} objects in {PROJECTS} projects, the "
            f"sandbox adding {LATENCY * 1000:.0f} ms to each request; observed through reportgen's transport: "
            f"{observed:.1f} ms per request (median of 10); {runs} interleaved runs, medians",
            "",
            "| run | wall time | peak memory | requests |",
            "|---|---:|---:|---:|",
            f"| `reportgen plan` (nothing to change) | {plan.seconds:.2f} s | "
            f"{plan.peak_mib:.0f} MiB | {per_plan:.0f} ({listings:.0f} listings) |",
            f"| `reportgen validate` of the same specs | {validate.seconds:.2f} s | "
            f"{validate.peak_mib:.0f} MiB | 0 |",
            "",
            f"Target: at most max(1.0 s, 2x validate) = {limit:.2f} s: "
            f"{verdict(plan.seconds, limit)}; requests 1 + one listing per (project, view type) "
            f"= {expected}: {'met' if per_plan == expected else 'MISSED'}.",
        ]
    )


def big_plan(views: int) -> str:
    reportgen = tool("reportgen")
    sb = _sandbox(0.0)
    try:
        env = sb.env()
        with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
            paths, declared = generate_until(Path(tmp), views=views)
            done = run_process([reportgen, "plan", str(Path(tmp) / "specs")], env)
    finally:
        sb.stop()
    summary = done.stdout.strip().splitlines()[-1]
    return "\n".join(
        [
            f"**plan of {declared:,} views** ({len(paths):,} files, all new: every view is "
            f"compiled), one run: {done.seconds:.1f} s, peak memory {done.peak_mib:.0f} MiB "
            f"(target <= 300 MiB: {verdict(done.peak_mib, 300)}); `{summary}`",
        ]
    )


def build(views: int, runs: int) -> str:
    reportgen = tool("reportgen")
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        paths, declared = generate_until(Path(tmp), views=views)
        out = str(Path(tmp) / "build")
        argv = [reportgen, "build", str(Path(tmp) / "specs"), "-o", out]
        found = measure({"build": argv}, runs, {"WANDB_ENTITY": "bench"})["build"]
        written = len(os.listdir(out))
    return (
        f"**build** of {declared:,} views ({len(paths)} files, {written} JSON files written), "
        f"median of {runs}: {found.seconds:.2f} s ({found.seconds / declared * 1000:.1f} ms "
        f"per view), peak memory {found.peak_mib:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    print(noop_plan(2 if quick else NOOP_RUNS))
    print()
    print(big_plan(500 if quick else PLAN_VIEWS))
    print()
    print(build(200 if quick else BUILD_VIEWS, 1 if quick else 3))
