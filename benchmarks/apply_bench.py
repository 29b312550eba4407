"""apply vs wandb-workspaces `save()`: requests and wall time, side by side in one run.

100 objects (50 workspace views, 50 reports) across 5 projects, against the sandbox with
20 ms of latency injected on every request:

  (a) `reportgen apply` from scratch,
  (b) `reportgen apply` again (a no-op),
  (c) a loop calling wandb-workspaces `save()` on the same compiled objects, from scratch.

Targets (issue 5): (b) makes at most one listing per (project, view type) plus a constant
and no writes; (a) is at least 5x faster than (c).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
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


def _timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _sandbox(env_keys: list[str]) -> Any:
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.faults import Fault

    sb = Sandbox(faults=[Fault("latency", rate=1.0, seconds=LATENCY)]).start()
    for name in env_keys:
        os.environ.pop(name, None)
    os.environ.update(sb.env())
    return sb


def run() -> dict[str, dict[str, float]]:
    from reportgen.cli import run as cli_run
    from reportgen.commands.build import build_views

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        specs = Path(tmp) / "specs"
        specs.mkdir()
        write_specs(specs)

        sb = _sandbox(["WANDB_ENTITY"])
        try:
            seconds = _timed(
                lambda: _quiet(lambda: cli_run(["apply", str(specs), "--concurrency", "8"]))
            )
            results["apply from scratch"] = _row(sb, seconds)
            sb.reset_stats()
            seconds = _timed(
                lambda: _quiet(lambda: cli_run(["apply", str(specs), "--concurrency", "8"]))
            )
            results["apply again (no-op)"] = _row(sb, seconds)
        finally:
            sb.stop()

        sb = _sandbox(["WANDB_ENTITY"])
        try:
            compiled = [b.compiled for b in build_views([specs])]
            # Report.save() looks its run sets' project up before it would create the
            # project, so give the library the projects up front (not timed).
            import wandb

            api = wandb.Api()
            for p in range(PROJECTS):
                api.create_project(f"bench-project-{p}", sb.entity)
            sb.reset_stats()
            seconds = _timed(lambda: _quiet(lambda: [obj.save() for obj in compiled]))
            results["wandb-workspaces save() loop"] = _row(sb, seconds)
        finally:
            sb.stop()
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


def _quiet(action: Callable[[], Any]) -> Any:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return action()


def table(results: dict[str, dict[str, float]]) -> str:
    loop = results["wandb-workspaces save() loop"]["seconds"]
    lines = [
        f"apply benchmark: {PROJECTS * PER_PROJECT} objects in {PROJECTS} projects, "
        f"{LATENCY * 1000:.0f} ms latency per request\n",
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


def main() -> None:
    print(table(run()))


if __name__ == "__main__":
    main()
