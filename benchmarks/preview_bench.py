"""`reportgen preview` vs the wandb SDK's `api.runs()`, side by side, on 100,000 runs.

One sandbox project holds 100,000 synthetic runs (`Sandbox.seed_runs`, issue 9: 10 config
keys, 5 summary metrics, 2 history metrics x 50 steps); a quarter are CIFAR-10. The
leaderboard ranks them by accuracy (max), then loss (min), then run name, and draws the
top 5 runs' curves:

  (a) `reportgen preview SPEC --rows 20`          the top 20 rows and the curves
  (b) `reportgen preview SPEC --all -f csv -o F`  every matching run, ranked, to a CSV file
  (c) the SDK's way to the top 20: `api.runs(path, filters, order=<first key>)`, reading
      each run's summary and config (one more request per run: REPORT.md 1.5)
  (d) the SDK's way to every row: `api.runs(..., per_page=1000, lazy=False)`, sorted in Python

Each command runs as its own process (peak memory is that process's maximum RSS), once
unmeasured and then in ROUNDS interleaved rounds (a, b, c, d, a, ...): medians, and the
median of the round-by-round ratios; requests
are the sandbox's counts, less the constant `Viewer` request `wandb.Api()` makes.
Targets (issue 10): (a) at most 3 s and at most 5 requests beyond the constant; (b) at most
30 s and 1 GB peak.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.harness import launch

RUNS = 100_000
ROUNDS = 3
PROJECT = "preview-bench"
SPEC = f"""leaderboard:
  key: bench
  title: Preview benchmark
  project: {PROJECT}
  filter: config.dataset == "CIFAR-10"
  metrics: [accuracy max, loss min]
  tiebreak: [run.name asc]
  columns: [config.model, config.learning_rate]
  curves: {{x: _step, y: [accuracy, loss], top: 5}}
  publish: [workspace]
"""

PEER_TOP = """
import sys, wandb
api = wandb.Api()
runs = api.runs(sys.argv[1], filters={"config.dataset": "CIFAR-10"}, order="-summary_metrics.accuracy", per_page=50)
rows = []
for run in runs[:40]:  # ties at the boundary need a look past row 20
    rows.append((run.summary.get("accuracy"), run.summary.get("loss"), run.name, run.config.get("model")))
rows.sort(key=lambda r: (-r[0], r[1], r[2]))
print(len(rows[:20]))
"""

PEER_ALL = """
import csv, sys, wandb
api = wandb.Api()
runs = api.runs(sys.argv[1], filters={"config.dataset": "CIFAR-10"}, order="-summary_metrics.accuracy", per_page=1000, lazy=False)
rows = [(r.summary.get("accuracy"), r.summary.get("loss"), r.name, r.id, r.config.get("model"), r.config.get("learning_rate")) for r in runs]
rows.sort(key=lambda r: (-r[0], r[1], r[2], r[3]))
with open(sys.argv[2], "w", newline="") as out:
    csv.writer(out).writerows(rows)
print(len(rows))
"""


def _measure(argv: list[str], env: dict[str, str], sb: Any) -> dict[str, Any]:
    """Wall time, peak RSS (MiB) and sandbox requests of one process."""
    sb.reset_stats()
    done = launch(argv, env)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    ops = dict(sb.stats()["operations"])
    viewer = ops.pop("Viewer", 0)
    return {
        "seconds": done.seconds,
        "peak_mb": done.peak_mib,
        "requests": sum(ops.values()),
        "viewer": viewer,
        "ops": ops,
        "out": done.stdout,
    }


def _median(runs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The median wall time and peak memory of a command's rounds (its requests do not vary)."""
    done = list(runs)
    return {
        **done[-1],
        "seconds": statistics.median(m["seconds"] for m in done),
        "peak_mb": statistics.median(m["peak_mb"] for m in done),
    }


def main(argv: list[str] | None = None) -> None:
    """`--quick`: 5,000 runs instead of 100,000 (a try-out; the targets are for 100,000)."""
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.bulk import synthetic_runs

    runs = 5_000 if "--quick" in (argv or []) else RUNS
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sb:
        root = Path(tmp)
        spec = root / "bench.yaml"
        spec.write_text(SPEC)
        started = time.perf_counter()
        sb.seed_runs(PROJECT, synthetic_runs(runs))
        print(f"seeded {runs:,} runs in {time.perf_counter() - started:.1f} s")
        env = sb.subprocess_env()
        cli = [sys.executable, "-m", "reportgen", "preview", str(spec)]
        path = f"{sb.entity}/{PROJECT}"
        (root / "peer_top.py").write_text(textwrap.dedent(PEER_TOP))
        (root / "peer_all.py").write_text(textwrap.dedent(PEER_ALL))
        commands = {
            "a": [*cli, "--rows", "20"],
            "b": [*cli, "--all", "-f", "csv", "-o", str(root / "all.csv")],
            "c": [sys.executable, str(root / "peer_top.py"), path],
            "d": [sys.executable, str(root / "peer_all.py"), path, str(root / "peer.csv")],
        }
        for command in commands.values():  # one unmeasured warm-up each
            _measure(command, env, sb)
        rounds = [{k: _measure(c, env, sb) for k, c in commands.items()} for _ in range(ROUNDS)]
        results = {k: _median(r[k] for r in rounds) for k in commands}
        results["ratios"] = {
            "top_time": statistics.median(r["c"]["seconds"] / r["a"]["seconds"] for r in rounds),
            "all_time": statistics.median(r["d"]["seconds"] / r["b"]["seconds"] for r in rounds),
            "all_memory": statistics.median(r["d"]["peak_mb"] / r["b"]["peak_mb"] for r in rounds),
        }
        rows = sum(1 for _ in (root / "all.csv").open()) - 1
        _report(results, rows, runs)


def _report(r: dict[str, dict[str, Any]], rows: int, runs: int) -> None:
    print(
        f"\npreview on {runs:,} runs ({rows:,} match the filter), each a fresh process; "
        f"medians of {ROUNDS} interleaved rounds after a warm-up:\n"
    )
    print(f"{'run':<52} {'wall':>8} {'peak':>8} {'requests':>9}")
    labels = {
        "a": "(a) reportgen preview --rows 20",
        "b": "(b) reportgen preview --all -f csv",
        "c": "(c) SDK: api.runs() top 20, reading summary/config",
        "d": "(d) SDK: api.runs(lazy=False) every row, sorted",
    }
    for key, label in labels.items():
        m = r[key]
        print(f"{label:<52} {m['seconds']:>7.2f}s {m['peak_mb']:>5.0f}MiB {m['requests']:>9}")
    print(f"\n(a) requests beyond the constant Viewer: {r['a']['ops']}")
    print(f"ratio top 20: SDK / preview = {r['ratios']['top_time']:.1f}x time, "
          f"{r['c']['requests'] / max(1, r['a']['requests']):.1f}x requests")  # fmt: skip
    print(f"ratio all: SDK / preview = {r['ratios']['all_time']:.1f}x time, "
          f"{r['ratios']['all_memory']:.1f}x peak memory")  # fmt: skip
    ok_a = r["a"]["seconds"] <= 3 and r["a"]["requests"] <= 5
    ok_b = r["b"]["seconds"] <= 30 and r["b"]["peak_mb"] <= 1024
    print(f"targets: (a) <= 3 s and <= 5 requests: {'met' if ok_a else 'MISSED'}; "
          f"(b) <= 30 s and <= 1 GB: {'met' if ok_b else 'MISSED'}")  # fmt: skip
