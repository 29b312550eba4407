"""Loading runs straight into a sandbox's database, shaped as the SDK logs them.

Logging 100,000 runs through ``wandb`` takes hours; ``Sandbox.seed_runs`` writes them in
seconds, and every read path (``api.runs`` with filters and order, ``run.config``,
``run.summary``, ``history``, ``scan_history``, ``historyKeys``) serves them exactly like
runs the SDK logged:

* the config is stored in W&B's ``{"value": v, "desc": null}`` envelope, with an ``_wandb``
  entry as the SDK adds it;
* each history row gets ``_step`` (its position), ``_runtime`` and ``_timestamp``, as
  ``wandb.log`` adds them;
* the summary holds the last value of every history key (nested dicts merged, as the SDK
  keeps them), the ``summary`` values given, and ``_step``, ``_runtime``, ``_timestamp`` and
  ``_wandb.runtime``;
* the run is ``finished`` (or the ``state`` given) with exit code 0.

What is not there: the files an SDK run uploads (``wandb-metadata.json``, ``config.yaml``...),
which no read path of the sandbox serves.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import math
import platform
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from typing import Any

from reportgen.sandbox.chunks import COLUMNS, HISTORY, pack
from reportgen.sandbox.db import Database, StoreError
from reportgen.sandbox.identity import Viewer
from reportgen.sandbox.ids import new_run_name
from reportgen.sandbox.projects import ensure_project
from reportgen.sandbox.runs import wrap_config
from reportgen.sandbox.sortindex import SortIndexes
from reportgen.sandbox.values import query_map_json, record_array_keys

BATCH = 2000
"""Runs per transaction: other requests get the database between batches."""
_TIME = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class SeedRun:
    """One run for ``Sandbox.seed_runs``, described the way a script logs it.

    * ``config``: what ``wandb.init(config=...)`` gets (plain values).
    * ``history``: the dicts passed to successive ``wandb.log`` calls (nested dicts allowed).
    * ``summary``: values set with ``run.summary[key] = value`` (they win over history).
    * ``name``: the run id (default: a fresh 8-character id); ``display_name`` what the SDK
      calls ``run.name``.
    * ``created_at``: when ``wandb.init`` ran (UTC; default: see ``Sandbox.seed_runs``);
      ``runtime``: how long the run took in seconds (its last heartbeat is
      ``created_at + runtime``).
    """

    config: Mapping[str, Any] = field(default_factory=dict)
    history: Sequence[Mapping[str, Any]] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    display_name: str | None = None
    tags: Sequence[str] = ()
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    host: str | None = None
    state: str = "finished"
    created_at: dt.datetime | None = None
    runtime: float = 60.0


def _internal_config() -> dict[str, Any]:
    """The ``_wandb`` config entry, as the SDK writes it (less its telemetry)."""
    try:
        cli = importlib.metadata.version("wandb")
    except importlib.metadata.PackageNotFoundError:
        cli = "0.31.0"
    python = platform.python_version()
    return {"python_version": python, "cli_version": cli, "t": {"4": python, "5": cli}}


def _core(value: Any) -> Any:
    """``value`` as it reads back after wandb-core wrote it: Go prints a whole float below
    1e6 without a fraction (``2.0`` -> ``2``, ``-0.0`` -> ``0``), so it comes back an int."""
    if type(value) is float and value.is_integer() and -1e6 < value < 1e6:
        return int(value)
    if isinstance(value, dict):
        return {key: _core(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return _core_list(value)
    return value


def _core_list(values: Iterable[Any]) -> list[Any]:
    """``_core`` of each value; the common cases (numbers, strings) without a call."""
    return [
        (int(v) if v.is_integer() and -1e6 < v < 1e6 else v)
        if v.__class__ is float
        else v
        if v.__class__ in _SCALARS
        else _core(v)
        for v in values
    ]


_SCALARS = frozenset({int, str, bool, type(None)})


def _merge(into: dict[str, Any], row: Mapping[str, Any]) -> None:
    for key, value in row.items():
        if isinstance(value, dict) and "_type" not in value:
            inner = into.get(key)
            if not isinstance(inner, dict):
                inner = into[key] = {}
            _merge(inner, value)
        else:
            into[key] = value


def _history(run: SeedRun, started_ms: int) -> tuple[Any, dict[str, Any]]:
    """The stored history (one chunk element) and the summary the SDK would derive."""
    steps = len(run.history)
    total_ms = round(run.runtime * 1000)
    ms = [total_ms * (step + 1) // steps for step in range(steps)]  # short numbers
    generated: dict[str, list[Any]] = {  # a timestamp is never whole below 1e6: no _core
        "_timestamp": [(started_ms + m) / 1000 for m in ms],
        "_runtime": [m // 1000 if m % 1000 == 0 else m / 1000 for m in ms],
        "_step": list(range(steps)),
    }
    first = run.history[0] if steps else {}
    same_keys = all(map(first.keys().__eq__, map(methodcaller("keys"), run.history)))
    if same_keys and not any(isinstance(value, dict) for value in first.values()):
        columns = {key: _core_list([row[key] for row in run.history]) for key in first}
        columns.update(generated)
        summary = {key: values[-1] for key, values in columns.items() if values}
        stored: Any = {COLUMNS: columns} if steps else None
    else:
        stored, summary = [], {}
        for step, logged in enumerate(run.history):
            row = dict(
                _core(dict(logged)), **{key: values[step] for key, values in generated.items()}
            )
            stored.append(row)
            _merge(summary, row)
    _merge(summary, _core(dict(run.summary)))
    summary["_runtime"] = int(run.runtime)  # whole seconds in the summary, as the SDK sends
    summary["_wandb"] = {"runtime": int(run.runtime)}
    return stored, summary


def load(
    db: Database,
    indexes: SortIndexes,
    viewer: Viewer,
    entity: str,
    project: str,
    runs: Iterable[SeedRun],
) -> list[str]:
    """Insert ``runs`` into ``entity/project``; returns their run ids in order."""
    internal = _internal_config()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    names: list[str] = []
    batch: list[SeedRun] = []
    config_keys: set[str] = set()
    summary_keys: set[str] = set()
    with db.write() as conn:
        project_pk = ensure_project(conn, entity, project)[0]
    for run in runs:
        batch.append(run)
        if len(batch) == BATCH:
            names += _insert(
                db, viewer, project_pk, batch, internal, now, config_keys, summary_keys
            )
            batch = []
    if batch:
        names += _insert(db, viewer, project_pk, batch, internal, now, config_keys, summary_keys)
    with db.write() as conn:
        indexes.ensure_keys(conn, "config", sorted(config_keys))
        indexes.ensure_keys(conn, "summary_metrics", sorted(summary_keys))
    return names


def _insert(
    db: Database,
    viewer: Viewer,
    project_pk: int,
    batch: list[SeedRun],
    internal: dict[str, Any],
    now: dt.datetime,
    config_keys: set[str],
    summary_keys: set[str],
) -> list[str]:
    run_rows, histories, names = [], [], []
    for run in batch:
        created = run.created_at or now
        if created.tzinfo is not None:
            created = created.astimezone(dt.timezone.utc).replace(tzinfo=None)
        started = created.replace(tzinfo=dt.timezone.utc).timestamp()
        stored, summary = _history(run, round(started * 1000))
        config = wrap_config({**_core(dict(run.config)), "_wandb": internal})
        config_keys.update(run.config)
        summary_keys.update(summary)
        name = run.name or new_run_name()
        names.append(name)
        heartbeat = created + dt.timedelta(seconds=math.ceil(run.runtime))
        run_rows.append(
            (
                project_pk, name, run.display_name, run.state, json.dumps(config),
                json.dumps(summary), json.dumps(list(run.tags)), run.group, run.job_type,
                run.notes, run.host, viewer.username, 0 if run.state == "finished" else None,
                created.strftime(_TIME), heartbeat.strftime(_TIME),
                query_map_json(config, config=True), query_map_json(summary), len(run.history),
            )
        )  # fmt: skip
        histories.append((len(run.history), stored))
    with db.write() as conn:
        taken = conn.execute(
            f"SELECT name FROM runs WHERE project_id = ? AND name IN ({','.join('?' * len(names))})",
            (project_pk, *names),
        ).fetchall()
        clashes = sorted({r["name"] for r in taken} | _repeated(names))
        if clashes:
            raise StoreError(f"seed_runs: run ids taken or repeated: {', '.join(clashes)}")
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM runs").fetchone()["id"]
        conn.executemany(
            "INSERT INTO runs (project_id, name, display_name, state, config, summary, tags, "
            "group_name, job_type, notes, host, username, exitcode, created_at, heartbeat_at, "
            "config_q, summary_q, n_history) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            run_rows,
        )
        for row in run_rows:
            record_array_keys(conn, "config_q", row[15])
            record_array_keys(conn, "summary_q", row[16])
        conn.executemany(
            "INSERT INTO run_chunks (run_id, stream, first_line, count, data) "
            "VALUES (?, ?, 0, ?, ?)",
            [
                (first + i, HISTORY, count, pack(stored if isinstance(stored, list) else [stored]))
                for i, (count, stored) in enumerate(histories)
                if count
            ],
        )
    return names


def _repeated(names: list[str]) -> set[str]:
    seen: set[str] = set()
    return {name for name in names if name in seen or seen.add(name)}  # type: ignore[func-returns-value]


# Synthetic runs: a realistic image-classification sweep, reproducible from ``seed``.
DATASETS = ("CIFAR-10", "CIFAR-100", "ImageNet", "MNIST")
_MODELS = ("resnet18", "resnet50", "vit-b16", "convnext-t", "efficientnet-b0")
_OPTIMIZERS = ("adam", "adamw", "sgd", "lion")
_ADJECTIVES = ("brisk", "calm", "daring", "eager", "fancy", "gentle", "hazy", "icy", "jolly")
_NOUNS = ("river", "forest", "meadow", "comet", "harbor", "summit", "canyon", "breeze", "dune")
SUMMARY_METRICS = ("accuracy", "loss", "val_accuracy", "val_loss", "f1")


def synthetic_runs(
    count: int,
    *,
    config_keys: int = 10,
    summary_metrics: int = 5,
    history_metrics: int = 2,
    history_steps: int = 50,
    seed: int = 0,
) -> Iterator[SeedRun]:
    """``count`` runs of a made-up hyperparameter sweep, for benchmarks and demos.

    Config: ``dataset`` (one of ``DATASETS``, equally likely), ``model``, ``optimizer``,
    ``learning_rate``, ``batch_size``, ``epochs``, ``weight_decay``, ``dropout``,
    ``warmup_steps``, ``seed``, then ``param_10``... up to ``config_keys`` keys. Summary:
    the first ``summary_metrics`` of ``accuracy, loss, val_accuracy, val_loss, f1`` (then
    ``metric_5``...); the first ``history_metrics`` of them are also logged at each of
    ``history_steps`` steps (the summary holds their last value). Display names look like
    W&B's (``brisk-river-12``). Runs are created one second apart, oldest first.
    """
    rng = random.Random(seed)
    metrics = [*SUMMARY_METRICS, *(f"metric_{i}" for i in range(5, summary_metrics))]
    metrics = metrics[:summary_metrics]
    logged = metrics[:history_metrics]
    start = dt.datetime(2026, 1, 1)
    names: set[str] = set()
    noise = [rng.randrange(-50, 51) for _ in range(1024)]  # in 1e-4, reused: cheap and stable
    for i in range(count):
        config: dict[str, Any] = {
            "dataset": DATASETS[i % len(DATASETS)],
            "model": rng.choice(_MODELS),
            "optimizer": rng.choice(_OPTIMIZERS),
            "learning_rate": round(10 ** rng.uniform(-5, -1), 6),
            "batch_size": rng.choice((32, 64, 128, 256)),
            "epochs": rng.choice((10, 20, 50)),
            "weight_decay": round(rng.uniform(0, 0.1), 4),
            "dropout": round(rng.uniform(0, 0.5), 2),
            "warmup_steps": rng.choice((0, 100, 500)),
            "seed": rng.randrange(10_000),
        }
        for k in range(10, config_keys):
            config[f"param_{k}"] = round(rng.random(), 4)
        config = dict(list(config.items())[:config_keys])
        quality = rng.random()
        finals = {m: _final(m, quality, rng) for m in metrics}
        curves = [_curve(m, finals[m], history_steps, noise, i) for m in logged]
        history = [dict(zip(logged, values, strict=True)) for values in zip(*curves, strict=True)]
        summary = {m: finals[m] for m in metrics if m not in logged}
        yield SeedRun(
            config=config,
            history=history,
            summary=summary,
            name=_unique_name(rng, names),
            display_name=f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{i + 1}",
            created_at=start + dt.timedelta(seconds=i),
            runtime=round(rng.uniform(30, 3600), 1),
        )


def _final(metric: str, quality: float, rng: random.Random) -> float:
    if "loss" in metric:
        return round(0.05 + (1 - quality) * 1.5 + rng.random() * 0.05, 4)
    return round(0.5 + quality * 0.49 - rng.random() * 0.02, 4)


def _curve(metric: str, final: float, steps: int, noise: list[int], run: int) -> list[float]:
    """``steps`` values from a start to ``final`` with a little noise, 4 decimals."""
    start, end = (25_000 if "loss" in metric else 1_000), round(final * 10_000)
    values = [
        (start + (end - start) * (step + 1) // steps + noise[(run * 31 + step) & 1023]) / 10_000
        for step in range(steps - 1)
    ]
    return [*values, final] if steps else []


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    while True:
        name = "".join(rng.choices(alphabet, k=8))
        if name not in taken:
            taken.add(name)
            return name
