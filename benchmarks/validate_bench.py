"""`reportgen validate` vs `check-jsonschema`, as whole processes side by side in one run.

Generates realistic, valid spec files (leaderboards, workspaces with sections of panels,
reports with blocks and panel grids, some stamped over a matrix; 15 to 200 lines each) in
a temporary directory, then runs, interleaved (see `harness`):

  (a) `reportgen validate --strict DIR` (YAML with positions, schema, semantic checks, keys),
  (b) `check-jsonschema --schemafile schemas/reportgen.schema.json FILE...` (schema only),

on 10,000 files (3 pairs), and both on one file, cold (21 pairs).

Targets (issue 15): on 10,000 files (a) takes at most 0.25x the time of (b) and at most
1.5x its peak memory; on one file, cold, (a) takes at most 0.35x the time of (b).
`python -m benchmarks validate --profile` also profiles (a) in-process; `--quick` runs
smaller sizes to try the benchmark out.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.harness import Comparison, compare, measure, tool, verdict

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "reportgen.schema.json"
FILES = 10_000
REPEAT = 3
COLD_RUNS = 21
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
    return spec_file(rng, index)[0]


def spec_file(rng: random.Random, index: int) -> tuple[str, int]:
    """One realistic spec file, numbered `index`, and how many views it declares."""
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
    return MODELINE + f"# Benchmark spec {index}: a generated {kind}.\n" + text, views_of(document)


def generate(root: Path, count: int = FILES, seed: int = 2) -> list[Path]:
    """Write `count` spec files under root/specs; return their paths."""
    return generate_until(root, files=count, seed=seed)[0]


def generate_until(
    root: Path, *, files: int | None = None, views: int | None = None, seed: int = 2
) -> tuple[list[Path], int]:
    """Write spec files under root/specs until there are `files` of them or they declare
    at least `views` views; return their paths and the number of views."""
    rng = random.Random(seed)
    folder = root / "specs"
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    declared = 0
    while (files is None or len(paths) < files) and (views is None or declared < views):
        path = folder / f"spec-{len(paths):05d}.yaml"
        text, count = spec_file(rng, len(paths))
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        declared += count
    return paths, declared


def views_of(document: dict[str, Any]) -> int:
    """How many W&B views a generated document declares (leaderboards publish one or two
    per board and variant; a matrix stamps every object once per row)."""
    rows = len(document["matrix"]["dataset"]) if "matrix" in document else 1
    board = document.get("leaderboard")
    if board is None:
        return rows
    return rows * len(board["publish"]) * (1 + len(board.get("variants", [])))


# Measurement.


def run(files: int, pairs: int, cold_pairs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        paths = generate(Path(tmp), files)
        reportgen, checker = tool("reportgen"), tool("check-jsonschema")
        one = str(paths[0])
        cold = measure(
            {
                "ours": [reportgen, "validate", one],
                "peer": [checker, "--schemafile", str(SCHEMA), one],
            },
            cold_pairs,
        )
        many = measure(
            {
                "ours": [reportgen, "validate", "--strict", str(Path(tmp) / "specs")],
                "peer": [checker, "--schemafile", str(SCHEMA), *map(str, paths)],
            },
            pairs,
            warm=False,  # the files were just written; the cold runs above warmed the caches
        )
    return table(files, compare(many["ours"], many["peer"]), compare(cold["ours"], cold["peer"]))


def table(files: int, many: Comparison, cold: Comparison) -> str:
    n, c = len(many.ours.runs), len(cold.ours.runs)
    return "\n".join(
        [
            "**validate vs check-jsonschema**: whole processes, interleaved, medians; ratios "
            "are medians of the pair-by-pair ratios",
            "",
            "| run | reportgen | check-jsonschema | ratio | target |",
            "|---|---:|---:|---:|---|",
            f"| {files:,} files, wall time ({n} pairs) | {many.ours.seconds:.2f} s | "
            f"{many.peer.seconds:.2f} s | {many.time_ratio:.2f}x | <= 0.25x "
            f"{verdict(many.time_ratio, 0.25)} |",
            f"| {files:,} files, peak memory | {many.ours.peak_mib:.0f} MiB | "
            f"{many.peer.peak_mib:.0f} MiB | {many.memory_ratio:.2f}x | <= 1.5x "
            f"{verdict(many.memory_ratio, 1.5)} |",
            f"| one file, cold ({c} pairs) | {cold.ours.seconds * 1000:.0f} ms | "
            f"{cold.peer.seconds * 1000:.0f} ms | {cold.time_ratio:.2f}x | <= 0.35x "
            f"{verdict(cold.time_ratio, 0.35)} |",
            f"| one file, peak memory | {cold.ours.peak_mib:.0f} MiB | "
            f"{cold.peer.peak_mib:.0f} MiB | {cold.memory_ratio:.2f}x | |",
        ]
    )


def profile(count: int = 1000, top: int = 20) -> str:
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
    if "--quick" in args:
        print(run(files=200, pairs=1, cold_pairs=5))
    else:
        print(run(files=FILES, pairs=REPEAT, cold_pairs=COLD_RUNS))
    if "--profile" in args:
        print(profile())
