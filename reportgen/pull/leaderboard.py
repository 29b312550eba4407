"""A workspace and/or report that a leaderboard would make -> that leaderboard.

A candidate is read off the first view (the run set's leading summary sort keys that are
also pinned are the metrics, the rest of the sort the tiebreak, the other pinned columns
the columns, a "Top N training curves" section or grid the curves) and accepted only if it
compiles to exactly the live views: the leaderboard form is used where it fits, never at
the price of a difference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from reportgen.pull import residue as rs
from reportgen.pull.compiled import DocumentProblems, compile_document
from reportgen.pull.decompile import Decompiled, identity
from reportgen.pull.describe import describe
from reportgen.pull.refs import ref_text
from reportgen.spec.checks import split_sort_key
from reportgen.spec.refs import RefError, Section

_TOP = re.compile(r"^Top (\d+) training curves$")
_RUNSET_FIELDS = {"filter", "search", "sort", "columns", "baseline", "name"}


def fit(parts: Sequence[Decompiled]) -> Decompiled | None:
    """One leaderboard for views of one key (a workspace, a report, or both), or None."""
    if not parts or any(p.kind == "leaderboard" or p.unrepresented for p in parts):
        return None
    first = parts[0]
    if len({(p.key, p.body["title"], p.body.get("description", "")) for p in parts}) != 1:
        return None
    candidate = _candidate(first)
    if candidate is None:
        return None
    views = tuple(v for p in parts for v in p.views)
    body = {**identity(views[0], first.key), **candidate}
    kinds = [p.kind for p in parts]
    if kinds != ["workspace", "report"]:
        body["publish"] = kinds
    try:
        compiled = compile_document({"leaderboard": body}, {"WANDB_ENTITY": views[0].entity})
    except DocumentProblems:
        return None
    if len(compiled) != len(views):
        return None
    for made, live in zip(compiled, views, strict=True):
        if made.view_type != live.view_type or not rs.same(made.spec, live.normalized()):
            return None
    adopt = [p.body["adopt"] for p in parts if "adopt" in p.body]
    if adopt:
        body = {**{k: v for k, v in body.items() if k != "publish"}, "adopt": _flat(adopt)}
        if kinds != ["workspace", "report"]:
            body["publish"] = kinds
    return Decompiled("leaderboard", body, views, (), tuple(compiled))


def _flat(values: list[Any]) -> Any:
    ids = [i for v in values for i in (v if isinstance(v, list) else [v])]
    return ids[0] if len(ids) == 1 else ids


def _candidate(part: Decompiled) -> dict[str, Any] | None:
    body = part.body
    if part.kind == "workspace":
        runset = body.get("runset") or {}
        panels, sections = None, body.get("sections") or []
        if sections:
            if len(sections) != 1 or set(sections[0]) != {"name", "panels"}:
                return None
            panels = (sections[0]["name"], sections[0]["panels"])
    else:
        blocks = body.get("blocks") or []
        grids = [b["panels"] for b in blocks if "panels" in b]
        if len(grids) != 1 or len(grids[0].get("runsets") or []) != 1:
            return None
        runset = grids[0]["runsets"][0]
        panels = ("", grids[0].get("panels") or []) if grids[0].get("panels") else None
    if set(runset) - _RUNSET_FIELDS:
        return None
    return _from_runset(runset, panels)


def _from_runset(
    runset: dict[str, Any], panels: tuple[str, list[dict[str, Any]]] | None
) -> dict[str, Any] | None:
    sort = runset.get("sort") or []
    sort = [sort] if isinstance(sort, str) else sort
    pinned = runset.get("columns") or []
    if not isinstance(pinned, list):
        return None
    rest = [c for c in pinned if c != "run.name"]
    metrics: list[str] = []
    tiebreak: list[str] = []
    for text in sort:
        try:
            ref, ascending = split_sort_key(text)
        except RefError:
            return None
        mine = ref_text(ref)
        if not tiebreak and ref.section is Section.SUMMARY and mine in rest[: len(metrics) + 1]:
            bare = ref_text(ref, bare=True)
            metrics.append(f"{bare} {'min' if ascending else 'max'}")
            rest.remove(mine)
        else:
            tiebreak.append(text)
    if not metrics:
        return None
    out: dict[str, Any] = {}
    for name in ("filter", "search"):
        if name in runset:
            out[name] = runset[name]
    out["metrics"] = metrics
    if tiebreak:
        out["tiebreak"] = tiebreak
    if rest:
        out["columns"] = rest
    if panels is not None:
        curves = _curves(*panels)
        if curves is None:
            return None
        out["curves"] = curves
    if "baseline" in runset:
        out["baseline"] = runset["baseline"]
    return out


def _curves(name: str, panels: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not panels or any(p.get("type") != "line" or "max_runs" not in p for p in panels):
        return None
    top = panels[0]["max_runs"]
    match = _TOP.match(name)
    if name and (match is None or int(match.group(1)) != top):
        return None
    ys = [p["y"] for p in panels if isinstance(p.get("y"), str)]
    if len(ys) != len(panels):
        return None
    curves: dict[str, Any] = {}
    x = panels[0].get("x", "_step")
    if x != "_step":
        curves["x"] = x
    curves["y"] = ys
    curves["top"] = top
    if "smoothing" in panels[0]:
        curves["smoothing"] = panels[0]["smoothing"]
    return curves


def misfit(live: Sequence[Decompiled], local: Sequence[Decompiled]) -> str:
    """Why a leaderboard's live views no longer make one leaderboard, in the spec's words.

    `live` are W&B's views decompiled, `local` the views the spec compiles to, decompiled
    alike, in the same order. Said: what W&B holds that no spec can say; else a view that
    no leaderboard makes (by the spec path that changed in it); else, when each view is a
    leaderboard of its own, what each now says that the spec does not.
    """
    for part in live:
        if part.unrepresented:
            more = len(part.unrepresented) - 1
            also = f" and {more} more" if more else ""
            pointer = part.unrepresented[0].pointer
            return f"W&B's {part.kind} holds what a spec cannot say (at {pointer}{also})"
    said: list[str] = []
    for part, mine in zip(live, local, strict=True):
        board = fit([part])
        if board is None:
            change = describe(mine.body, part.body)
            if change:
                return f"its {part.kind} now has {change[0]}, which no leaderboard makes"
            return f"its {part.kind} is no longer one a leaderboard makes"
        own = fit([mine])
        if own is not None:
            change = describe(own.body, board.body)
            said += [f"its {part.kind} now says {change[0]}"] if change else []
    if said and len(said) < len(live):
        others = [p.kind for p in live if not any(f" {p.kind} " in s for s in said)]
        said.append(f"its {' and '.join(others)} {'does' if len(others) == 1 else 'do'} not")
    return ", ".join(said) or "its workspace and report no longer say the same"
