"""`reportgen build`: every object the specs declare, compiled, with its spec JSON.

`compile_one` compiles a view through wandb-workspaces; `build_views` declares and
compiles every view (`commands.declare`); `write_build` writes one canonical JSON per object
for review and golden tests: the spec as apply would send it, normalised (random ids
replaced by stable placeholders, keys sorted), with the view's fields beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.commands.files import refuse_directories, write_atomically
from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE, canonical_json, normalize
from reportgen.compile.passthrough import PassthroughError, apply_patches, patches
from reportgen.problems import Problem, ReportgenError
from reportgen.spec import model as m

if TYPE_CHECKING:
    from reportgen.compile.viewspec import ProjectIds

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
        return WORKSPACE_TYPE if self.view.kind == "workspace" else REPORT_TYPE

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """(entity, project, view type, key): one W&B view per identity."""
        return (self.view.entity, self.view.project, self.view_type, self.view.key)

    def spec(self, project_id: ProjectIds | None = None) -> dict[str, Any]:
        """The view JSON: the library's serialisation, then what passthrough carries back."""
        from reportgen.compile.viewspec import view_spec

        return apply_patches(view_spec(self.compiled, project_id), self.view)

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


def build_views(
    paths: Sequence[str | os.PathLike[str]],
    environ: Mapping[str, str] | None = None,
    *,
    warn: Callable[[list[Problem]], None] | None = None,
    strict: bool = False,
) -> list[BuiltView]:
    """Declare and compile every view; raise ReportgenError with every problem if any.

    Warnings go to `warn` when the specs are otherwise fine; with `strict` they are errors.
    """
    from reportgen.commands.declare import declare_views

    declarations = declare_views(paths, environ, warn=warn, strict=strict)
    return [built for _, built in declarations.compile(declarations.views)]


def compile_one(view: m.View) -> Any:
    """A view compiled through wandb-workspaces; ReportgenError (RG310 and others) if refused,
    RG311 if a passthrough path does not fit what it compiled to."""
    from reportgen.compile.construct import CompileError, compile_view

    try:
        compiled = compile_view(view)
    except CompileError as exc:
        raise ReportgenError(exc.message, [_problem(view, exc.code, exc.message)]) from None
    except ValueError as exc:
        # pydantic's ValidationError is a ValueError: wandb-workspaces refused a value
        # that validation could not foresee. A problem at the object, not a crash.
        message = f"wandb-workspaces refuses it: {_first_error(exc)}"
        raise ReportgenError(message, [_problem(view, "RG310", message)]) from None
    if patches(view):
        try:
            BuiltView(view, compiled).spec()  # a passthrough path that does not fit, now
        except PassthroughError as exc:
            raise ReportgenError(exc.message, [_problem(view, "RG311", exc.message)]) from None
    return compiled


def _problem(view: m.View, code: str, message: str) -> Problem:
    where = view.source
    return Problem(where.file, where.line, where.col, code, f"{view.kind} {view.key!r}: {message}")


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            place = ".".join(str(p) for p in first.get("loc", ()))
            return f"{first.get('msg', exc)}" + (f" ({place})" if place else "")
        except (IndexError, TypeError, AttributeError):
            pass
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def output_name(built: BuiltView) -> str:
    return f"{built.key}.{built.kind}.json"


DOCUMENT_FIELDS = ("key", "kind", "type", "entity", "project", "displayName", "description", "spec")


def write_build(views: Sequence[BuiltView], out: Path) -> list[Path]:
    """Write one JSON per view into `out`; remove the build files of objects that are gone.

    `out` holds one build: a `*.workspace.json` / `*.report.json` that an earlier build wrote
    (recognised by its content) and this one did not is removed; any other file is left
    alone. Every file is written to a temporary name and renamed into place, so an
    interrupted build never leaves a half-written file.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        refuse_directories(out / output_name(built) for built in views)
        written: list[Path] = []
        for built in views:
            target = out / output_name(built)
            write_atomically(target, canonical_json(built.document()))
            written.append(target)
        keep = {p.name for p in written}
        for stale in out.iterdir():
            if stale.name not in keep and stale.name.endswith(BUILD_SUFFIXES) and _is_build(stale):
                stale.unlink()
    except OSError as exc:
        where = exc.filename or out
        raise ReportgenError(f"cannot write the build to {where}: {exc.strerror or exc}") from None
    return written


def _is_build(path: Path) -> bool:
    """Whether a file holds a document `reportgen build` wrote."""
    try:
        if not path.is_file() or path.stat().st_size > 16 * 1024 * 1024:
            return False
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(document, dict) and set(document) == set(DOCUMENT_FIELDS)
