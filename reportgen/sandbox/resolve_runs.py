"""Resolvers for runs: logging (upsertBucket, createRunFiles) and reading (runs, history)."""

from __future__ import annotations

import json
from typing import Any

from reportgen.sandbox import history
from reportgen.sandbox.backend import Info, Registry, backend_of, pk_of
from reportgen.sandbox.chunks import EVENTS, HISTORY, line_of
from reportgen.sandbox.db import Row, StoreError
from reportgen.sandbox.runs import run_record

registry = Registry()
field = registry.field

_TAIL = 10  # lines of history/events a resumed run is told about


@field("Mutation", "upsertBucket")
def upsert_bucket(_: Any, info: Info, **args: Any) -> Row:
    record, inserted = backend_of(info).runs.upsert(args["input"])
    return {"bucket": record, "inserted": inserted}


def _run_of(info: Info, inp: Row, what: str) -> Row:
    backend = backend_of(info)
    # wandb-core sends entityName "" when WANDB_ENTITY is unset: the viewer's entity is meant.
    entity = inp.get("entityName") or backend.viewer.entity
    run = backend.runs.find(entity, inp["projectName"], inp["runName"])
    if run is None:
        raise StoreError(f"{what}: run {entity}/{inp['projectName']}/{inp['runName']} not found")
    return run


@field("Mutation", "createRunFiles")
def create_run_files(_: Any, info: Info, **args: Any) -> Row:
    backend, inp = backend_of(info), args["input"]
    run = _run_of(info, inp, "createRunFiles")
    names = [str(name) for name in inp["files"]]
    backend.runs.register_files(pk_of(run), names)
    files = [{"name": name, "uploadUrl": backend.upload_url(pk_of(run), name)} for name in names]
    return {"runID": run["id"], "uploadHeaders": [], "files": files}


@field("Mutation", "markRunFilesUploaded")
def mark_run_files_uploaded(_: Any, info: Info, **args: Any) -> Row:
    run = _run_of(info, args["input"], "markRunFilesUploaded")
    backend_of(info).runs.mark_uploaded(pk_of(run), [str(n) for n in args["input"]["files"]])
    return {"success": True}


@field("Project", "run")
def project_run(parent: Row, info: Info, **args: Any) -> Row | None:
    return backend_of(info).runs.get(pk_of(parent), args["name"])


@field("Project", "bucket")
def project_bucket(parent: Row, info: Info, **args: Any) -> Row | None:
    return backend_of(info).runs.get(pk_of(parent), args["name"])


@field("Project", "runs")
def project_runs(parent: Row, info: Info, **args: Any) -> Row:
    backend = backend_of(info)
    backend.runs.sweep_crashed()
    filters = args.get("filters")
    page, more = backend.queries.page(
        pk_of(parent), filters, args.get("order"), args.get("first"), args.get("after")
    )
    edges = [
        {"node": run_record(row, parent["name"], parent["entityName"]), "cursor": cursor.encode()}
        for row, cursor in page
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": more,
            "hasPreviousPage": bool(args.get("after")),
        },
        # Resolved only when selected (the SDK asks for runCount instead).
        "totalCount": lambda _info, **_: backend.queries.count(pk_of(parent), filters),
    }


@field("Project", "runCount")
def project_run_count(parent: Row, info: Info, **args: Any) -> int:
    backend = backend_of(info)
    backend.runs.sweep_crashed()
    return backend.queries.count(pk_of(parent), args.get("filters"))


@field("Run", "project")
def run_project(parent: Row, info: Info, **args: Any) -> Row | None:
    return backend_of(info).projects.by_pk(int(parent["_project_pk"]))


def _lines(parent: Row, info: Info, stream: str) -> list[Any]:
    return backend_of(info).runs.entries(pk_of(parent), stream)


@field("Run", "systemMetrics")
def run_system_metrics(parent: Row, info: Info, **args: Any) -> str:
    events = _lines(parent, info, EVENTS)
    return line_of(events[-1]) if events else "{}"


@field("Run", "historyKeys")
def run_history_keys(parent: Row, info: Info, **args: Any) -> Row:
    return history.history_keys(_lines(parent, info, HISTORY))


@field("Run", "history")
def run_history(parent: Row, info: Info, **args: Any) -> list[str]:
    lines = _lines(parent, info, HISTORY)
    return history.history(lines, args.get("minStep"), args.get("maxStep"), args.get("samples"))


@field("Run", "events")
def run_events(parent: Row, info: Info, **args: Any) -> list[str]:
    return history.history(_lines(parent, info, EVENTS), None, None, args.get("samples"))


@field("Run", "sampledHistory")
def run_sampled_history(parent: Row, info: Info, **args: Any) -> list[list[Row]]:
    lines = _lines(parent, info, HISTORY)
    return [history.sampled_history(lines, spec) for spec in args["specs"]]


@field("Run", "parquetHistory")
def run_parquet_history(parent: Row, info: Info, **args: Any) -> Row:
    # No parquet exports: everything is "live" data, which wandb-core reads directly.
    lines = _lines(parent, info, HISTORY)
    return {"parquetUrls": [], "liveData": history.live_data(lines, args["liveKeys"])}


@field("Run", "historyTail")
def run_history_tail(parent: Row, info: Info, **args: Any) -> str:
    return json.dumps([line_of(e) for e in _lines(parent, info, HISTORY)[-_TAIL:]])


@field("Run", "eventsTail")
def run_events_tail(parent: Row, info: Info, **args: Any) -> str:
    return json.dumps([line_of(e) for e in _lines(parent, info, EVENTS)[-_TAIL:]])


@field("Run", "wandbConfig")
def run_wandb_config(parent: Row, info: Info, **args: Any) -> str:
    internal = json.loads(parent["config"]).get("_wandb", {}).get("value", {})
    keys = args.get("keys")
    picked = internal if keys is None else {k: internal[k] for k in keys if k in internal}
    return json.dumps(picked if isinstance(picked, dict) else {})
