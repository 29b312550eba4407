"""Matrix stamping and the checks of `${{ matrix.x }}` and `${VAR}` references.

A document with `matrix:` becomes one instance per combination of values: every string
in it has `${{ matrix.NAME }}` (optionally `| slug`, `| lower`, `| upper`) replaced
(`reportgen.spec.stamp`; in filters a value is a literal, never syntax). The instance
keeps the document's shape, so positions of its values are the template's.

`${VAR}` and `${VAR:-default}` read the environment, in `entity` and `project` only
(`reportgen.spec.env`); they are resolved when a spec is built, not when it is validated,
so specs validate on machines without credentials.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.problems import Problem
from reportgen.spec.env import ENV_BODY, ENV_REF, env_field_problems
from reportgen.spec.load import Document, JsonPath
from reportgen.spec.stamp import MATRIX_BODY, MATRIX_REF, TRANSFORMS, stamp, whole_value

MAX_COMBINATIONS = 256
KINDS = ("workspace", "report", "leaderboard")
ENV_FIELDS = ("entity", "project")
FILTER_KEY = "filter"  # filter strings: matrix values become literals (stamp)


@dataclass
class Instance:
    """One object-bearing document after matrix stamping."""

    doc: Document
    data: dict[str, Any]
    bindings: dict[str, Any] = field(default_factory=dict)

    def template_offset(self, path: JsonPath, offset: int) -> int:
        """Where character `offset` of the stamped string at `path` comes from in the
        template: the same character, or the `${{` of the substitution it falls in."""
        template: Any = self.doc.data
        for part in path:
            try:
                template = template[part]
            except (KeyError, IndexError, TypeError):
                return offset
        if not self.bindings or not isinstance(template, str):
            return offset
        in_filter = bool(path) and path[-1] == FILTER_KEY
        return stamp(template, self.bindings, in_filter=in_filter).template_offset(offset)

    @property
    def label(self) -> str:
        """`(matrix dataset=CIFAR-10)` for messages, or an empty string."""
        if not self.bindings:
            return ""
        pairs = ", ".join(f"{k}={v}" for k, v in self.bindings.items())
        return f" (matrix {pairs})"


def expand(doc: Document) -> tuple[list[Instance], list[Problem]]:
    """Instances of a document, and the problems of its matrix and templates.

    A malformed matrix yields no instances and no problem here: the schema reports it.
    """
    data = doc.data
    if data is None:
        return [Instance(doc, {})], []
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"{data!r}"
        msg = f"a document is a mapping with one of workspace, report or leaderboard, not {found}"
        return [], [doc.problem((), "RG103", msg)]
    matrix = data.get("matrix")
    problems = list(_template_problems(doc, data, (), set(_variables(matrix))))
    if matrix is None:
        return [Instance(doc, data)], problems
    count = _count(matrix)
    if count > MAX_COMBINATIONS:
        msg = f"matrix has {count} combinations; the limit is {MAX_COMBINATIONS}"
        return [], [*problems, doc.problem(("matrix",), "RG504", msg)]
    if isinstance(matrix, list):
        problems.extend(_missing_variables(doc, matrix))
    rows = _rows(matrix)
    if rows is None or problems:
        return [], problems
    body = {k: v for k, v in data.items() if k != "matrix"}
    instances: list[Instance] = []
    for row in rows:
        refused: list[tuple[JsonPath, int, str]] = []
        instances.append(Instance(doc, _substitute(body, row, (), refused), row))
        for path, offset, message in refused:
            problem = doc.problem(path, "RG502", message + instances[-1].label, offset=offset)
            problems.append(problem)
    return instances, problems


def _variables(matrix: Any) -> list[str]:
    if isinstance(matrix, dict):
        return [str(k) for k in matrix]
    if isinstance(matrix, list):
        return list(dict.fromkeys(str(k) for row in matrix if isinstance(row, dict) for k in row))
    return []


def _count(matrix: Any) -> int:
    """How many instances a matrix stamps, without building them."""
    if isinstance(matrix, dict):
        return math.prod(len(v) if isinstance(v, list) else 1 for v in matrix.values())
    return len(matrix) if isinstance(matrix, list) else 0


def _rows(matrix: Any) -> list[dict[str, Any]] | None:
    """Every row of a matrix of either form, or None if it is malformed."""
    if isinstance(matrix, dict):
        columns = list(matrix.values())
        if not columns or not all(
            isinstance(v, list) and v and all(map(_is_scalar, v)) for v in columns
        ):
            return None
        product = itertools.product(*columns)
        return [dict(zip(matrix, values, strict=True)) for values in product]
    rows = matrix if isinstance(matrix, list) else []
    if rows and all(isinstance(r, dict) and r and all(map(_is_scalar, r.values())) for r in rows):
        return list(rows)
    return None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float))  # bool is an int


def _missing_variables(doc: Document, rows: list[Any]) -> Iterator[Problem]:
    """In the list form, every row defines every variable some row defines."""
    names = list(dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row))
    for i, row in enumerate(rows):
        missing = [n for n in names if n not in row] if isinstance(row, dict) else []
        if missing:
            listed = ", ".join(repr(n) for n in missing)
            msg = f"matrix row {i + 1} does not define {listed}; every row defines every variable"
            yield doc.problem(("matrix", i), "RG501", msg)


def _template_problems(
    doc: Document, value: Any, path: JsonPath, names: set[str]
) -> Iterator[Problem]:
    if isinstance(value, dict):
        for k, v in value.items():
            # matrix and x- keys are not templates; what x- anchors hold is checked where used.
            if path or not (k == "matrix" or k.startswith("x-")):
                yield from _template_problems(doc, v, (*path, k), names)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _template_problems(doc, v, (*path, i), names)
    elif isinstance(value, str) and "$" in value:
        yield from _string_problems(doc, value, path, names)


def _string_problems(
    doc: Document, text: str, path: JsonPath, names: set[str]
) -> Iterator[Problem]:
    for match in MATRIX_REF.finditer(text):
        body = MATRIX_BODY.match(match.group(1))
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
    stripped = MATRIX_REF.sub(lambda m: " " * len(m.group()), text)
    if len(path) == 2 and path[0] in KINDS and path[1] in ENV_FIELDS:
        for offset, code, message in env_field_problems(stripped):
            yield doc.problem(path, code, message, offset=offset)
        return
    for match in ENV_REF.finditer(stripped):
        # ${run:displayName} in a legend is W&B's template, not ours: leave it alone.
        if well_formed_env(match.group(1)):
            msg = "environment references (${VAR}) work only in entity and project"
            yield doc.problem(path, "RG503", msg, offset=match.start())


def well_formed_env(body: str) -> bool:
    return ENV_BODY.fullmatch(body) is not None


def reported_references(text: str) -> list[tuple[int, int]]:
    """Spans of the references that `expand` reports in a template string outside entity and
    project: every `${{ ... }}` of a document without a matrix (RG501, RG502) and every
    well-formed `${VAR}` (RG503). Other checks leave these characters alone."""
    spans = [m.span() for m in MATRIX_REF.finditer(text)]
    stripped = MATRIX_REF.sub(lambda m: " " * len(m.group()), text)
    spans += [m.span() for m in ENV_REF.finditer(stripped) if well_formed_env(m.group(1))]
    return sorted(spans)


def _substitute(
    value: Any, row: Mapping[str, Any], path: JsonPath, refused: list[tuple[JsonPath, int, str]]
) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, row, (*path, k), refused) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, row, (*path, i), refused) for i, v in enumerate(value)]
    if isinstance(value, str) and "${{" in value:
        in_filter = bool(path) and path[-1] == FILTER_KEY
        if not in_filter:
            whole = whole_value(value, row)
            if whole is not None:
                return whole
        stamped = stamp(value, row, in_filter=in_filter)
        refused.extend((path, offset, message) for offset, message in stamped.refused)
        return stamped.text
    return value
