"""apply vs wandb-workspaces `save()`: whole processes, requests and wall time, in one run.

100 objects (50 workspace views, 50 reports) across 5 projects, against the sandbox with
20 ms of latency injected on every request, each a process of its own:

  (a) `reportgen apply --concurrency 8` from scratch,
  (b) the same again (a no-op),
  (c) a Python process that builds the same objects and calls wandb-workspaces `save()` on
      each, from scratch (what a user would script without reportgen).

Targets (issue 5): (b) makes at most one listing per (project, view type) plus a constant
and no writes; (a) is at least 5x faster than (c).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECTS = 5
PER_PROJECT = 20
LATENCY = 0.020


def write_specs(root: Path) -> None:
    """Realistic objects: workspaces with sections of panels, reports with a panel grid."""
    for p in range(PROJECTS):
        project = f"bench-project-{p}"
        for i in range(PER_PROJECT):
            key = f"p{p}-obj{i}"
            if i % 2:
                text = f"""workspace:
  key: {key}
  title: Workspace {key}
  project: {project}
  runset:
    filter: config.dataset == "CIFAR-10" and summary.accuracy >= 0.5
    sort: [summary.accuracy desc, run.name]
    columns: [run.name, summary.accuracy, config.learning_rate]
  sections:
    - name: Curves
      panels:
        - {{type: line, x: epoch, y: [accuracy, loss], max_runs: 5}}
        - {{type: bar, metrics: accuracy}}
        - {{type: scalar, metric: loss, aggregate: min}}
"""
            else:
                text = f"""report:
  key: {key}
  title: Report {key}
  project: {project}
  blocks:
    - h1: Results for {key}
    - p: Best runs first.
    - panels:
        runsets:
          - filter: config.dataset == "CIFAR-10"
            sort: summary.accuracy desc
        panels:
          - {{type: line, x: epoch, y: accuracy}}
          - {{type: scatter, x: config.learning_rate, y: summary.accuracy}}
"""
            (root / f"{key}.yaml").write_text(text)


# (c): the objects built as reportgen builds them, saved one by one by the library.
_SAVE_LOOP = """
import sys, wandb
from reportgen.commands.build import build_views
api = wandb.Api()
for p in range(int(sys.argv[2])):
    api.create_project(f"bench-project-{p}", sys.argv[3])
for built in build_views([sys.argv[1]]):
    built.compiled.save()
"""


def run() -> dict[str, dict[str, float]]:
    from benchmarks.harness import run_process, tool
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.faults import Fault

    reportgen = tool("reportgen")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        specs = Path(tmp) / "specs"
        specs.mkdir()
        write_specs(specs)
        apply = [reportgen, "apply", str(specs), "--concurrency", "8"]
        for name, argv in (
            ("apply from scratch", apply),
            ("apply again (no-op)", apply),
        ):
            sandbox = Sandbox(faults=[Fault("latency", rate=1.0, seconds=LATENCY)]).start()
            try:
                env = sandbox.env()
                if name == "apply again (no-op)":
                    run_process(argv, env)
                    sandbox.reset_stats()
                results[name] = _row(sandbox, run_process(argv, env).seconds)
            finally:
                sandbox.stop()
        sandbox = Sandbox(faults=[Fault("latency", rate=1.0, seconds=LATENCY)]).start()
        try:
            env = sandbox.env()
            loop = [sys.executable, "-c", _SAVE_LOOP, str(specs), str(PROJECTS), sandbox.entity]
            seconds = run_process(loop, env).seconds
            results["wandb-workspaces save() loop"] = _row(sandbox, seconds)
        finally:
            sandbox.stop()
    return results


def _row(sb: Any, seconds: float) -> dict[str, float]:
    stats = sb.stats()
    ops = stats["operations"]
    return {
        "seconds": seconds,
        "requests": float(stats["requests"]),
        "writes": float(stats["writes"]),
        "listings": float(ops.get("ProjectWorkspaceViews", 0)),
    }


def table(results: dict[str, dict[str, float]]) -> str:
    loop = results["wandb-workspaces save() loop"]["seconds"]
    lines = [
        f"**apply vs wandb-workspaces save()**: {PROJECTS * PER_PROJECT} objects in "
        f"{PROJECTS} projects, {LATENCY * 1000:.0f} ms latency added per request, "
        "each run one process (start-up included)\n",
        "| run | wall time | requests | writes | listings | vs save() loop |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in results.items():
        ratio = loop / row["seconds"] if row["seconds"] else float("inf")
        lines.append(
            f"| {name} | {row['seconds']:.2f} s | {row['requests']:.0f} | {row['writes']:.0f} | "
            f"{row['listings']:.0f} | {ratio:.1f}x faster |"
            if name != "wandb-workspaces save() loop"
            else f"| {name} | {row['seconds']:.2f} s | {row['requests']:.0f} | {row['writes']:.0f} | "
            f"{row['listings']:.0f} | 1.0x |"
        )
    scratch = results["apply from scratch"]["seconds"]
    noop = results["apply again (no-op)"]
    lines.append("")
    lines.append(
        f"apply from scratch is {loop / scratch:.1f}x faster than the save() loop (target: >= 5x)"
    )
    lines.append(
        f"no-op apply: {noop['writes']:.0f} writes, {noop['listings']:.0f} listings for "
        f"{PROJECTS} projects x 2 view types, {noop['requests']:.0f} requests in all "
        "(target: no writes, one listing per project and view type plus a constant)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    print(table(run()))


if __name__ == "__main__":
    main()
