"""`reportgen build`: specs -> the W&B view of every object, compiled, with its spec JSON.

`build_views` is the pipeline every command that talks to W&B starts from: validate,
resolve the environment, expand leaderboards, compile through wandb-workspaces. It never
touches the network. `write_build` writes one canonical JSON per object for review and
golden tests: the spec as apply would send it, normalised (random ids replaced by stable
placeholders, keys sorted), with the view's fields beside it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen import model as m
from reportgen.compile import CompileError, compile_view, expand
from reportgen.normalize import canonical_json, normalize
from reportgen.parse import parse_instances
from reportgen.problems import Problem, ReportgenError
from reportgen.validate import validate_paths
from reportgen.viewspec import ProjectIds, view_spec, view_type

BUILD_SUFFIXES = (".workspace.json", ".report.json")


@dataclass
class BuiltView:
    """One W&B view to be: what the spec declares and what wandb-workspaces makes of it."""

    view: m.View
    compiled: Any

    @property
    def key(self) -> str:
        return self.view.key

    @property
    def kind(self) -> str:
        return self.view.kind

    @property
    def view_type(self) -> str:
        return view_type(self.compiled)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """(entity, project, view type, key): one W&B view per identity."""
        return (self.view.entity, self.view.project, self.view_type, self.view.key)

    def spec(self, project_id: ProjectIds | None = None) -> dict[str, Any]:
        return view_spec(self.compiled, project_id)

    def document(self) -> dict[str, Any]:
        """The canonical, reviewable form: view fields and the normalised spec."""
        return {
            "key": self.key,
            "kind": self.kind,
            "type": self.view_type,
            "entity": self.view.entity,
            "project": self.view.project,
            "displayName": self.view.title,
            "description": self.view.description,
            "spec": normalize(self.spec(), self.view_type),
        }


def build_views(paths: Sequence[Path], environ: Mapping[str, str] | None = None) -> list[BuiltView]:
    """Validate, parse and compile; raise ReportgenError with every problem if any."""
    result = validate_paths(paths)
    if not result.ok:
        raise ReportgenError("the specs have problems", result.problems)
    specs = parse_instances(result.instances, environ)
    views: list[BuiltView] = []
    problems: list[Problem] = []
    for view in expand(specs):
        try:
            views.append(BuiltView(view, compile_view(view)))
        except CompileError as exc:
            where = view.source
            message = f"{view.kind} {view.key!r}: {exc.message}"
            problems.append(Problem(where.file, where.line, where.col, exc.code, message))
    if problems:
        raise ReportgenError("W&B cannot store some specs as written", problems)
    return views


def output_name(built: BuiltView) -> str:
    return f"{built.key}.{built.kind}.json"


def write_build(views: Sequence[BuiltView], out: Path) -> list[Path]:
    """Write one JSON per view into `out`; remove build files of objects that are gone.

    Every file is written to a temporary name first and renamed into place, so an
    interrupted build never leaves a half-written file.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for built in views:
        target = out / output_name(built)
        _atomic_write(target, canonical_json(built.document()))
        written.append(target)
    keep = {p.name for p in written}
    for stale in out.iterdir():
        if stale.name.endswith(BUILD_SUFFIXES) and stale.name not in keep:
            stale.unlink()
    return written


def _atomic_write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
