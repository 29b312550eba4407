"""Plain spec documents -> the views they compile to, without files: pull's check of itself.

The same pipeline as `reportgen build` (schema, semantic checks, parse, leaderboard sugar,
wandb-workspaces, passthrough), run on a document held in memory. Problems come back with
the JSON path of the value they are about, so decompile can leave that value out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from reportgen.compile.construct import CompileError, compile_view, expand
from reportgen.compile.normalize import normalize
from reportgen.compile.passthrough import PassthroughError, apply_patches
from reportgen.compile.viewspec import view_spec, view_type
from reportgen.problems import Problem, ReportgenError, has_errors
from reportgen.spec import model as m
from reportgen.spec.checks import check
from reportgen.spec.expand import expand as stamp
from reportgen.spec.load import Document, JsonPath, load_text
from reportgen.spec.parse import parse_instances
from reportgen.spec.schema import schema_problems, whole_numbers

NAME = "<pulled>"


@dataclass(frozen=True)
class Compiled:
    """One view a document compiles to: its model, type and normalised spec."""

    view: m.View
    view_type: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return self.view.key


@dataclass(frozen=True)
class Refused:
    """A value the pipeline refused: where (JSON path in the document) and why."""

    path: JsonPath
    code: str
    message: str


class DocumentProblems(Exception):
    def __init__(self, refused: list[Refused]) -> None:
        super().__init__("; ".join(r.message for r in refused))
        self.refused = refused


def as_text(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=1 << 16)


def compile_document(
    document: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> list[Compiled]:
    """The views of one document; raises DocumentProblems naming each refused value."""
    loaded = load_text(as_text(document), NAME)
    if loaded.problems or len(loaded.documents) != 1:  # pragma: no cover - we dumped it
        raise DocumentProblems([Refused((), p.code, p.message) for p in loaded.problems])
    doc = loaded.documents[0]
    instances, problems = stamp(doc)
    for instance in instances:
        shape = schema_problems(instance)
        problems.extend(shape)
        problems.extend(check(instance))
        if not shape:
            whole_numbers(instance)
    if has_errors(problems):
        raise DocumentProblems([_refused(doc, p) for p in problems])
    try:
        specs = parse_instances(instances, environ or {})
    except ReportgenError as exc:
        raise DocumentProblems([_refused(doc, p) for p in exc.problems]) from None
    views: list[Compiled] = []
    for view in expand(specs):
        try:
            compiled = compile_view(view)
            spec = apply_patches(view_spec(compiled), view)
        except (CompileError, PassthroughError) as exc:
            raise DocumentProblems([Refused((), "RG310", str(exc))]) from None
        except ValueError as exc:  # pydantic: the library refused a value
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "refused"
            raise DocumentProblems([Refused((), "RG310", first)]) from None
        kind = view_type(compiled)
        views.append(Compiled(view, kind, normalize(spec, kind)))
    return views


def _refused(doc: Document, problem: Problem) -> Refused:
    """The deepest path whose value (or key) starts where the problem points."""
    best: JsonPath = ()
    for table in (doc.nodes, doc.key_nodes):
        for path, node in table.items():
            mark = node.start_mark
            end = node.end_mark
            inside = (mark.line + 1, mark.column + 1) <= (problem.line, problem.col) and (
                problem.line,
                problem.col,
            ) <= (end.line + 1, end.column + 1)
            if inside and len(path) > len(best):
                best = path
    return Refused(best, problem.code, problem.message)
