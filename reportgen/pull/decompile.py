"""Decompile: a live W&B view (its fields and spec JSON) -> the spec that compiles back to it.

`decompile(LiveView)` returns a `Decompiled`: the object's kind and spec body (plain data,
in the order a person writes it), and every part of the view the spec language cannot
say, each with its JSON Pointer and how it is kept (raw panel or block, or `passthrough`).
The body is checked by compiling it: what it compiles to equals the live view once both
are normalised, or the remaining difference is exactly what `unrepresented` lists.

`leaderboard.fit` turns a workspace and/or report that a leaderboard would make back into
that leaderboard; `compare.spec_diff` compares two specs in the spec's own terms.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from reportgen.compile.normalize import WORKSPACE_TYPE, normalize
from reportgen.compile.passthrough import patches
from reportgen.problems import ReportgenError
from reportgen.pull import residue as rs
from reportgen.pull.compiled import Compiled, DocumentProblems, compile_document
from reportgen.pull.views import panel_grid, report_body, workspace_body
from reportgen.remote.client import RemoteView
from reportgen.remote.identity import parse_marker, user_description
from reportgen.spec.stamp import TRANSFORMS

_IDENTITY = ("key", "title", "description", "entity", "project")
_ROUNDS = 6


@dataclass(frozen=True)
class LiveView:
    """What decompile reads of a view: its fields and its spec as W&B stores it."""

    view_type: str
    spec: dict[str, Any]
    title: str
    entity: str
    project: str
    description: str = ""
    id: str = ""
    key: str | None = None  # the key of its reportgen marker, when it has one

    @property
    def kind(self) -> str:
        return "workspace" if self.view_type == WORKSPACE_TYPE else "report"

    @property
    def managed(self) -> bool:
        return self.key is not None

    @classmethod
    def of(cls, remote: RemoteView) -> LiveView:
        marker = parse_marker(remote.description)
        return cls(
            view_type=remote.type,
            spec=remote.spec,
            title=remote.display_name,
            entity=remote.entity,
            project=remote.project,
            description=user_description(remote.description),
            id=remote.id,
            key=marker.key if marker else None,
        )

    def normalized(self) -> dict[str, Any]:
        return normalize(self.spec, self.view_type)


@dataclass(frozen=True)
class Decompiled:
    """One spec object: `document` is `{kind: body}`, ready to be written as YAML."""

    kind: str
    body: dict[str, Any]
    views: tuple[LiveView, ...]
    unrepresented: tuple[rs.Unrepresented, ...] = ()
    compiled: tuple[Compiled, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return str(self.body["key"])

    @property
    def document(self) -> dict[str, Any]:
        return {self.kind: self.body}


class DecompileError(ReportgenError):
    """A view that no spec can describe (its title, say, is one W&B's client refuses)."""


def slug(title: str) -> str:
    """A key from a title: lower case, letters and digits, dashes between words."""
    text = TRANSFORMS["slug"](title)[:80].strip("-")  # what `| slug` makes of it
    return text or "view"


def identity(view: LiveView, key: str) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key, "title": view.title}
    if view.description:
        body["description"] = view.description
    body["entity"] = view.entity
    body["project"] = view.project
    return body


def decompile(view: LiveView, key: str | None = None) -> Decompiled:
    """The workspace or report spec of one live view (see the module docstring)."""
    key = key or view.key or slug(view.title)
    if view.view_type == WORKSPACE_TYPE:
        content = workspace_body(view.spec, view.entity, view.project)
    else:
        content = report_body(view.spec, view.entity, view.project)
    body = {**identity(view, key), **content}
    live = view.normalized()
    compiled, body = _settle(view, body, live)
    found = rs.differences(compiled.spec, live)
    if found:
        # Values as W&B stores them (real ids, not normalize's placeholders) where that
        # compiles to the same; else as normalised; else the whole spec, verbatim.
        body["passthrough"] = rs.passthrough(found, view.spec)
        compiled = _compile_one(view, body)
        again = [u.pointer for u in rs.differences(compiled.spec, live)]
        if again:
            body["passthrough"] = rs.passthrough(found, view.spec, normalized=again)
            compiled = _compile_one(view, body)
        if not rs.same(compiled.spec, live):  # pragma: no cover - a pointer we could not place
            found = [rs.Unrepresented("", "set", live=rs.without_refs(view.spec))]
            body["passthrough"] = {"set": {"": found[0].live}}
            compiled = _compile_one(view, body)
    raw = [
        rs.Unrepresented(p.pointer, p.origin, live=_what(p.value, p.origin))
        for p in patches(compiled.view)
        if p.origin != "passthrough"
    ]
    if not view.managed and view.id:
        body = _with_adopt(body, [view.id])
    return Decompiled(view.kind, body, (view,), (*raw, *found), (compiled,))


def _what(value: Any, origin: str) -> Any:
    if not isinstance(value, dict):
        return value
    return value.get("viewType") if origin == "raw panel" else value.get("type")


def _with_adopt(body: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    for name, value in body.items():
        if name == "passthrough" or (name not in _IDENTITY and "adopt" not in ordered):
            ordered["adopt"] = ids[0] if len(ids) == 1 else ids
        ordered[name] = value
    ordered.setdefault("adopt", ids[0] if len(ids) == 1 else ids)
    return ordered


def _compile_one(view: LiveView, body: dict[str, Any]) -> Compiled:
    found = compile_document({view.kind: body}, {"WANDB_ENTITY": view.entity})
    return next(c for c in found if c.view_type == view.view_type)


def _settle(
    view: LiveView, body: dict[str, Any], live: dict[str, Any]
) -> tuple[Compiled, dict[str, Any]]:
    """Compile the body, leaving out what the pipeline refuses, and turn report blocks the
    spec does not reproduce into raw blocks; grids whose panels sit elsewhere get layouts."""
    body = copy.deepcopy(body)
    for _ in range(_ROUNDS):
        try:
            compiled = _compile_one(view, body)
        except DocumentProblems as exc:
            for refused in exc.refused:
                path = refused.path[1:]  # below the kind
                if len(path) < 2 or path[0] in _IDENTITY:
                    raise DecompileError(
                        f"{view.kind} {view.title!r} cannot be described by a spec: "
                        f"{refused.message}"
                    ) from None
                _drop(body, path)
            continue
        if view.view_type == WORKSPACE_TYPE or not _fix_blocks(view, body, compiled, live):
            return compiled, body
    return _compile_one(view, body), body


def _drop(body: Any, path: tuple[str | int, ...]) -> None:
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if isinstance(parent, list) and isinstance(last, int) and len(parent) > 1:
        del parent[last]
    elif isinstance(parent, dict):
        parent.pop(last, None)
    else:  # a list of one item: drop the list from its owner
        _drop(body, path[:-1])


def _fix_blocks(
    view: LiveView, body: dict[str, Any], compiled: Compiled, live: dict[str, Any]
) -> bool:
    """Raw blocks for text blocks that do not come back as they were; explicit layouts for
    grids whose panels do not. True when the body changed."""
    blocks = body.get("blocks")
    live_blocks = live.get("blocks")
    if not isinstance(blocks, list) or not isinstance(live_blocks, list):
        return False
    offset = len(live_blocks) - len(blocks) - 1  # the empty paragraphs around the blocks
    if offset < 0 or len(compiled.spec.get("blocks", [])) != len(live_blocks):
        return False
    changed = False
    for index, block in enumerate(blocks):
        theirs = live_blocks[index + 1]
        mine = compiled.spec["blocks"][index + 1]
        if rs.same(mine, theirs):
            continue
        if "panels" not in block:
            if "raw" not in block:
                blocks[index] = {"raw": _strip(theirs)}
                changed = True
        elif _layouts_differ(mine, theirs) and isinstance(theirs.get("metadata"), dict):
            grid = panel_grid(theirs["metadata"], view.entity, view.project, layouts=True)
            if grid != block["panels"]:
                blocks[index] = {"panels": grid}
                changed = True
    return changed


def _strip(block: Any) -> Any:
    return rs.without_placeholders(block)


def _layouts_differ(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    def layouts(block: dict[str, Any]) -> list[Any]:
        grid = (block.get("metadata") or {}).get("panelBankSectionConfig") or {}
        return [p.get("layout") for p in grid.get("panels") or [] if isinstance(p, dict)]

    return layouts(mine) != layouts(theirs)
