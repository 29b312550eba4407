"""`reportgen validate` vs `check-jsonschema`: 1,000 spec files, side by side in one run.

Generates 1,000 realistic, valid spec files (leaderboards, workspaces with sections of
panels, reports with blocks and panel grids, some stamped over a matrix; 15 to 200 lines
each) in a temporary directory, then times, each as one process, best of 3:

  (a) `reportgen validate DIR` (YAML with positions, schema, semantic checks, keys),
  (b) `check-jsonschema --schemafile schemas/reportgen.schema.json FILE...` (schema only),

and the cold start of `reportgen validate one.yaml` (10 runs). Peak memory is each child
process's maximum resident set, from wait4(2).

Targets (issue 2): (a) at most 1.0x (b); cold start at most 0.3 s.
`python -m benchmarks validate --profile` also profiles (a) in-process.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "reportgen.schema.json"
FILES = 1000
REPEAT = 3
COLD_RUNS = 10
MODELINE = "# yaml-language-server: $schema=../schemas/reportgen.schema.json\n"

DATASETS = ["CIFAR-10", "CIFAR-100", "MNIST", "ImageNet", "SVHN", "Fashion-MNIST"]
MODELS = ["ResNet50", "ResNet18", "ViT", "ConvNeXt", "EfficientNet", "MLP"]
METRICS = ["accuracy", "loss", "val/accuracy", "val/loss", "top5_accuracy", "f1"]
CONFIG = ["learning_rate", "batch_size", "epochs", "model_architecture", "optimizer", "seed"]
PANEL_KINDS = ["line", "line", "line", "bar", "scalar", "scatter", "parallel_coordinates"]
PANEL_KINDS += ["run_comparer", "markdown", "parameter_importance"]


# Spec generation.


def _filter(rng: random.Random) -> str:
    parts = [f'config.dataset == "{rng.choice(DATASETS)}"']
    if rng.random() < 0.6:
        parts.append(f"summary.accuracy >= {rng.choice([0.5, 0.7, 0.9])}")
    if rng.random() < 0.4:
        parts.append('state in ["finished", "running"]')
    if rng.random() < 0.3:
        models = ", ".join(f'"{m}"' for m in rng.sample(MODELS, 2))
        parts.append(f'(config.model_architecture in [{models}] or tags contains "baseline")')
    if rng.random() < 0.2:
        parts.append("created_at within 30d")
    return " and ".join(parts)


def _panel(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(PANEL_KINDS)
    title = f"{rng.choice(METRICS)} by {rng.choice(CONFIG)}"
    if kind == "line":
        panel: dict[str, Any] = {"type": "line", "title": title, "x": "epoch"}
        panel["y"] = rng.sample(METRICS, rng.randint(1, 3))
        if rng.random() < 0.5:
            panel["smoothing"] = rng.choice([0.0, 0.3, 0.6, 0.9])
        if rng.random() < 0.3:
            panel.update(group_by="config.model_architecture", aggregate="mean", range="minmax")
        if rng.random() < 0.3:
            panel["max_runs"] = rng.choice([5, 10, 20])
        return panel
    if kind == "bar":
        return {"type": "bar", "title": title, "metrics": rng.sample(METRICS, 2), "max_bars": 10}
    if kind == "scalar":
        return {"type": "scalar", "title": title, "metric": rng.choice(METRICS), "aggregate": "max"}
    if kind == "scatter":
        x, y = f"config.{rng.choice(CONFIG)}", f"summary.{rng.choice(METRICS)}"
        return {"type": "scatter", "title": title, "x": x, "y": y, "log_x": rng.random() < 0.5}
    if kind == "parallel_coordinates":
        columns = [f"config.{c}" for c in rng.sample(CONFIG, 3)] + ["summary.accuracy"]
        return {"type": "parallel_coordinates", "columns": columns}
    if kind == "run_comparer":
        return {"type": "run_comparer", "diff_only": True}
    if kind == "markdown":
        return {"type": "markdown", "text": f"Notes on **{title}**."}
    return {"type": "parameter_importance", "metric": rng.choice(METRICS)}


def _leaderboard(rng: random.Random, key: str) -> dict[str, Any]:
    metrics = [
        f"{m} {'min' if 'loss' in m else 'max'}" for m in rng.sample(METRICS, rng.randint(1, 3))
    ]
    body: dict[str, Any] = {
        "key": key,
        "title": f"Leaderboard {key}",
        "description": "Ranked by final metrics.",
        "entity": "${WANDB_ENTITY}",
        "project": f"project-{rng.randint(0, 9)}",
        "filter": _filter(rng),
        "metrics": metrics,
        "tiebreak": ["run.name asc"],
        "columns": [f"config.{c}" for c in rng.sample(CONFIG, rng.randint(2, 5))],
        "curves": {"x": "epoch", "y": rng.sample(METRICS, rng.randint(1, 3)), "top": 5},
        "publish": rng.choice([["workspace", "report"], ["workspace"], ["report"]]),
    }
    variants = [
        {
            "key": f"{key}-{m.lower()}",
            "title": f"{m} only",
            "filter": f'config.model_architecture == "{m}"',
        }
        for m in rng.sample(MODELS, rng.randint(0, 3))
    ]
    if variants:
        body["variants"] = variants
    return {"leaderboard": body}


def _workspace(rng: random.Random, key: str) -> dict[str, Any]:
    sections = [
        {
            "name": f"Section {s}",
            "open": rng.random() < 0.8,
            "panels": [_panel(rng) for _ in range(rng.randint(2, 6))],
        }
        for s in range(rng.randint(1, 4))
    ]
    return {
        "workspace": {
            "key": key,
            "title": f"Workspace {key}",
            "entity": "${WANDB_ENTITY}",
            "project": f"project-{rng.randint(0, 9)}",
            "runset": {
                "filter": _filter(rng),
                "sort": ["summary.accuracy desc", "summary.loss asc", "run.name"],
                "group_by": ["config.model_architecture"] if rng.random() < 0.3 else [],
                "columns": {"pinned": ["run.name", "summary.accuracy", "config.learning_rate"]},
            },
            "settings": {"x": "epoch", "max_runs": 10, "smoothing": {"type": "none", "weight": 0}},
            "sections": sections,
        }
    }


def _report(rng: random.Random, key: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"toc": True}, {"h1": f"Report {key}"}]
    for b in range(rng.randint(2, 6)):
        blocks.append({"h2": f"Part {b}"})
        blocks.append({"p": "Every finished run, best accuracy first. " * rng.randint(1, 3)})
        if rng.random() < 0.3:
            blocks.append({"code": {"language": "python", "code": "wandb.init(project='x')"}})
        if rng.random() < 0.3:
            blocks.append({"list": ["Same seed for every model.", "Five epochs of warm-up."]})
        if rng.random() < 0.6:
            runset = {
                "name": rng.choice(DATASETS),
                "filter": _filter(rng),
                "sort": "summary.accuracy desc",
                "columns": {
                    "pinned": ["run.name"],
                    "visible": ["summary.accuracy", "summary.loss", "config.learning_rate"],
                    "hidden": ["run.host"],
                    "widths": {"run.name": 240},
                },
            }
            panels = [_panel(rng) for _ in range(rng.randint(1, 4))]
            blocks.append({"panels": {"runsets": [runset], "panels": panels}})
    return {
        "report": {
            "key": key,
            "title": f"Report {key}",
            "entity": "${WANDB_ENTITY}",
            "project": f"project-{rng.randint(0, 9)}",
            "width": "readable",
            "blocks": blocks,
        }
    }


def spec_text(rng: random.Random, index: int) -> str:
    """One realistic spec file, numbered `index` (its keys contain the number)."""
    kind = rng.choices(["leaderboard", "workspace", "report"], weights=[4, 3, 3])[0]
    key = f"{kind}-{index:04d}"
    matrix = rng.random() < 0.1
    if matrix:
        key += "-${{ matrix.dataset | slug }}"
    document = {"leaderboard": _leaderboard, "workspace": _workspace, "report": _report}[kind](
        rng, key
    )
    if matrix:
        document = {"matrix": {"dataset": rng.sample(DATASETS, rng.randint(2, 3))}, **document}
    text = yaml.safe_dump(
        document, sort_keys=False, width=100, default_flow_style=None, allow_unicode=True
    )
    return MODELINE + f"# Benchmark spec {index}: a generated {kind}.\n" + text


def generate(root: Path, count: int = FILES, seed: int = 2) -> list[Path]:
    """Write `count` spec files under root/specs; return their paths."""
    rng = random.Random(seed)
    folder = root / "specs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"spec-{i:04d}.yaml"
        path.write_text(spec_text(rng, i), encoding="utf-8")
        paths.append(path)
    return paths


# Measurement.


@dataclass
class Measure:
    seconds: float
    peak_mb: float


def _run(argv: list[str]) -> Measure:
    """Run a child process; its wall time and peak resident memory (wait4's rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... exited {proc.returncode}:\n{stderr}")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS
    return Measure(seconds, usage.ru_maxrss / scale)


def _best(argv: list[str], repeat: int = REPEAT) -> Measure:
    runs = [_run(argv) for _ in range(repeat)]
    return Measure(min(r.seconds for r in runs), max(r.peak_mb for r in runs))


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} not found: install the bench extra (pip install -e '.[bench]')")
    return str(path)


@dataclass
class Results:
    files: int
    reportgen: Measure
    check_jsonschema: Measure
    cold: list[float]
    cold_peak_mb: float

    @property
    def ratio(self) -> float:
        return self.reportgen.seconds / self.check_jsonschema.seconds


def run(count: int = FILES) -> Results:
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        root = Path(tmp)
        paths = generate(root, count)
        reportgen, checker = _tool("reportgen"), _tool("check-jsonschema")
        ours = _best([reportgen, "validate", "--strict", str(root / "specs")])
        theirs = _best([checker, "--schemafile", str(SCHEMA), *map(str, paths)])
        cold = [_run([reportgen, "validate", str(paths[0])]) for _ in range(COLD_RUNS)]
    return Results(count, ours, theirs, [c.seconds for c in cold], max(c.peak_mb for c in cold))


def table(r: Results) -> str:
    cold_best, cold_median = min(r.cold), statistics.median(r.cold)
    ratio_ok = "met" if r.ratio <= 1.0 else "MISSED"
    cold_ok = "met" if cold_best <= 0.3 else "MISSED"
    return "\n".join(
        [
            f"**validate vs check-jsonschema** — {r.files:,} generated spec files, one process each, best of {REPEAT}:",
            "",
            "| run | wall time | peak memory |",
            "|---|---:|---:|",
            f"| `reportgen validate DIR` (positions, schema, semantic checks) | {r.reportgen.seconds:.2f} s | {r.reportgen.peak_mb:.0f} MB |",
            f"| `check-jsonschema --schemafile` (schema only) | {r.check_jsonschema.seconds:.2f} s | {r.check_jsonschema.peak_mb:.0f} MB |",
            f"| ratio reportgen / check-jsonschema | {r.ratio:.2f}x | |",
            f"| `reportgen validate one.yaml`, cold start ({len(r.cold)} runs) | best {cold_best:.3f} s, median {cold_median:.3f} s | {r.cold_peak_mb:.0f} MB |",
            "",
            f"Targets: ratio at most 1.0x ({ratio_ok}); cold start at most 0.3 s ({cold_ok}).",
        ]
    )


def profile(count: int = FILES, top: int = 20) -> str:
    """Where in-process validation of the generated files spends its time."""
    from reportgen.commands.validate import validate_paths

    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        generate(Path(tmp), count)
        profiler = cProfile.Profile()
        profiler.enable()
        result = validate_paths([Path(tmp) / "specs"])
        profiler.disable()
    assert not result.problems, result.problems[:3]
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    print(table(run()))
    if "--profile" in args:
        print(profile())
