"""Matrix stamping and `${...}` substitution.

A document with `matrix:` becomes one instance per combination of values: every string
in it has `${{ matrix.NAME }}` (optionally `| slug`, `| lower`, `| upper`) replaced. The
instance keeps the document's shape, so positions of its values are the template's.

`${VAR}` and `${VAR:-default}` read the environment, in `entity` and `project` only; they
are resolved when a spec is built (`resolve_env`), not when it is validated, so specs
validate on machines without credentials.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.load import Document, JsonPath
from reportgen.problems import Problem

MAX_COMBINATIONS = 256
KINDS = ("workspace", "report", "leaderboard")
ENV_FIELDS = ("entity", "project")

_MATRIX_REF = re.compile(r"\$\{\{(.*?)\}\}")
_MATRIX_BODY = re.compile(r"^\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z]+)\s*)?$")
_ENV_REF = re.compile(r"\$\{(?!\{)([^}]*)\}")
_ENV_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$")
TRANSFORMS = {
    "slug": lambda v: re.sub(r"[^a-z0-9]+", "-", v.lower()).strip("-"),
    "lower": str.lower,
    "upper": str.upper,
}


@dataclass
class Instance:
    """One object-bearing document after matrix stamping."""

    doc: Document
    data: dict[str, Any]
    bindings: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """`(matrix dataset=CIFAR-10)` for messages, or an empty string."""
        if not self.bindings:
            return ""
        pairs = ", ".join(f"{k}={v}" for k, v in self.bindings.items())
        return f" (matrix {pairs})"


def expand(doc: Document) -> tuple[list[Instance], list[Problem]]:
    """Instances of a document, and the problems of its matrix and templates."""
    data = doc.data
    if not isinstance(data, dict):
        return [Instance(doc, {})] if data is None else [], []
    matrix = data.get("matrix")
    problems = list(_template_problems(doc, data, (), set(_variables(matrix))))
    if matrix is None:
        return [Instance(doc, data)], problems
    rows = list(_combinations(matrix))
    if len(rows) > MAX_COMBINATIONS:
        msg = f"matrix has {len(rows)} combinations; the limit is {MAX_COMBINATIONS}"
        return [], [*problems, doc.problem(("matrix",), "RG504", msg)]
    if problems or not rows:
        return [], problems
    body = {k: v for k, v in data.items() if k != "matrix"}
    return [Instance(doc, _substitute(body, row), row) for row in rows], problems


def _variables(matrix: Any) -> list[str]:
    if isinstance(matrix, dict):
        return [str(k) for k in matrix]
    if isinstance(matrix, list):
        return [str(k) for row in matrix if isinstance(row, dict) for k in row]
    return []


def _combinations(matrix: Any) -> Iterator[dict[str, Any]]:
    """Every row of a matrix of either form; malformed matrices (the schema's job) yield none."""
    if isinstance(matrix, dict):
        if all(isinstance(v, list) and v for v in matrix.values()):
            names = list(matrix)
            for values in itertools.product(*(matrix[n] for n in names)):
                yield dict(zip(names, values, strict=True))
    elif isinstance(matrix, list):
        yield from (row for row in matrix if isinstance(row, dict))


def _template_problems(
    doc: Document, value: Any, path: JsonPath, names: set[str]
) -> Iterator[Problem]:
    if isinstance(value, dict):
        for k, v in value.items():
            if path or k != "matrix":
                yield from _template_problems(doc, v, (*path, k), names)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _template_problems(doc, v, (*path, i), names)
    elif isinstance(value, str) and "$" in value:
        yield from _string_problems(doc, value, path, names)


def _string_problems(
    doc: Document, text: str, path: JsonPath, names: set[str]
) -> Iterator[Problem]:
    for match in _MATRIX_REF.finditer(text):
        body = _MATRIX_BODY.match(match.group(1))
        if body is None:
            msg = (
                "malformed matrix reference; write ${{ matrix.NAME }} or ${{ matrix.NAME | slug }}"
            )
            yield doc.problem(path, "RG502", msg, offset=match.start())
        elif body.group(1) not in names:
            known = ", ".join(sorted(names)) or "none: this document has no matrix"
            msg = f"unknown matrix variable {body.group(1)!r} (defined: {known})"
            yield doc.problem(path, "RG501", msg, offset=match.start())
        elif body.group(2) and body.group(2) not in TRANSFORMS:
            msg = f"unknown transform {body.group(2)!r}; use slug, lower or upper"
            yield doc.problem(path, "RG502", msg, offset=match.start())
    stripped = _MATRIX_REF.sub(lambda m: " " * len(m.group()), text)
    in_env_field = len(path) == 2 and path[0] in KINDS and path[1] in ENV_FIELDS
    for match in _ENV_REF.finditer(stripped):
        if not in_env_field:
            msg = "environment references (${VAR}) work only in entity and project"
            yield doc.problem(path, "RG503", msg, offset=match.start())
        elif _ENV_BODY.match(match.group(1)) is None:
            msg = "malformed environment reference; write ${VAR} or ${VAR:-default}"
            yield doc.problem(path, "RG502", msg, offset=match.start())


def _substitute(value: Any, row: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, row) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, row) for v in value]
    if isinstance(value, str) and "${{" in value:
        whole = _MATRIX_REF.fullmatch(value)
        if whole:
            body = _MATRIX_BODY.match(whole.group(1))
            if body and not body.group(2):
                return row[body.group(1)]
        return _MATRIX_REF.sub(lambda m: _render(m.group(1), row), value)
    return value


def _render(body: str, row: Mapping[str, Any]) -> str:
    match = _MATRIX_BODY.match(body)
    assert match is not None  # checked by _template_problems before substitution
    value = row[match.group(1)]
    text = _scalar_text(value)
    transform = match.group(2)
    return TRANSFORMS[transform](text) if transform else text


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class EnvError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def resolve_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` / `${VAR:-default}`; an unset variable without default is an error."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        body = _ENV_BODY.match(match.group(1))
        if body is None:
            raise EnvError("malformed environment reference", match.start())
        name, default = body.group(1), body.group(2)
        value = env.get(name) or default
        if value is None:
            raise EnvError(f"environment variable {name} is not set", match.start())
        return value

    return _ENV_REF.sub(replace, text)
