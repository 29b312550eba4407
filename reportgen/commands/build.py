"""`reportgen build`: specs -> the W&B view of every object, compiled, with its spec JSON.

`build_views` is the pipeline every command that talks to W&B starts from: validate,
resolve the environment, expand leaderboards, compile through wandb-workspaces. It never
touches the network. `write_build` writes one canonical JSON per object for review and
golden tests: the spec as apply would send it, normalised (random ids replaced by stable
placeholders, keys sorted), with the view's fields beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.commands.validate import validate_paths
from reportgen.compile.construct import CompileError, compile_view, expand
from reportgen.compile.normalize import canonical_json, normalize
from reportgen.compile.passthrough import PassthroughError, apply_patches, patches
from reportgen.compile.viewspec import ProjectIds, view_spec, view_type
from reportgen.problems import Problem, ReportgenError
from reportgen.spec import model as m
from reportgen.spec.parse import parse_instances

BUILD_SUFFIXES = (".workspace.json", ".report.json")


@dataclass
class BuiltView:
    """One W&B view to be: what the spec declares and what wandb-workspaces makes of it."""

    view: m.View
    compiled: Any
    origin: m.Spec | None = None  # the spec it was built from (a leaderboard for its views)

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
        """The view JSON: the library's serialisation, then what passthrough carries back."""
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
    """Validate, parse and compile; raise ReportgenError with every problem if any.

    Warnings go to `warn` when the specs are otherwise fine; with `strict` they are errors.
    """
    result = validate_paths(paths)
    if not result.ok or (strict and result.problems):
        raise ReportgenError("the specs have problems", result.problems)
    if result.problems and warn is not None:
        warn(result.problems)
    specs = parse_instances(result.instances, environ)
    views: list[BuiltView] = []
    problems: list[Problem] = []
    boards = {s.key: s for s in specs if isinstance(s, m.Leaderboard)}
    for view in expand(specs):
        try:
            built = BuiltView(view, compile_view(view), boards.get(view.key, view))
            if patches(view):
                built.spec()  # a passthrough path that does not fit is a problem now
            views.append(built)
        except PassthroughError as exc:
            problems.append(_problem(view, "RG311", exc.message))
        except CompileError as exc:
            problems.append(_problem(view, exc.code, exc.message))
        except ValueError as exc:
            # pydantic's ValidationError is a ValueError: wandb-workspaces refused a value
            # that validation could not foresee. A problem at the object, not a crash.
            message = f"wandb-workspaces refuses it: {_first_error(exc)}"
            problems.append(_problem(view, "RG310", message))
    if problems:
        raise ReportgenError("W&B cannot store some specs as written", problems)
    return views


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
        written: list[Path] = []
        for built in views:
            target = out / output_name(built)
            _atomic_write(target, canonical_json(built.document()))
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


def _atomic_write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
