"""Matrix stamping and `${...}` substitution.

A document with `matrix:` becomes one instance per combination of values: every string
in it has `${{ matrix.NAME }}` (optionally `| slug`, `| lower`, `| upper`) replaced. The
instance keeps the document's shape, so positions of its values are the template's.

`${VAR}` and `${VAR:-default}` read the environment, in `entity` and `project` only; they
are resolved when a spec is built (`resolve_env`), not when it is validated, so specs
validate on machines without credentials. A variable whose name looks like it holds a
secret (`WANDB_API_KEY`, `GITHUB_TOKEN`, ...) is refused: its value would end up in view
names, plans and build files.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.problems import Problem
from reportgen.spec.load import Document, JsonPath

MAX_COMBINATIONS = 256
KINDS = ("workspace", "report", "leaderboard")
ENV_FIELDS = ("entity", "project")

_MATRIX_REF = re.compile(r"\$\{\{(.*?)\}\}")
_MATRIX_BODY = re.compile(r"^\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z]+)\s*)?$")
_ENV_REF = re.compile(r"\$\{(?!\{)([^}]*)\}")
_ENV_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$")
# Name segments (split at '_' and at camelCase humps, compared case-insensitively) that mark
# an environment variable as a secret. Whole segments, so MONKEY or TOKENIZER pass.
SECRET_WORDS = frozenset(
    {
        *("KEY", "KEYS", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "SECRETKEY"),
        *("TOKEN", "TOKENS", "AUTHTOKEN", "SECRET", "SECRETS"),
        *("PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PASSPHRASE"),
        *("CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH"),
    }
)
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
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
        shift = 0  # stamped length minus template length, so far
        for match in _MATRIX_REF.finditer(template):
            start = match.start() + shift
            if offset < start:
                break
            rendered = len(_render(match.group(1), self.bindings))
            if offset < start + rendered:
                return match.start()
            shift += rendered - len(match.group())
        return offset - shift

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
    return [Instance(doc, _substitute(body, row), row) for row in rows], problems


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
        well_formed = _ENV_BODY.match(match.group(1)) is not None
        if not in_env_field:
            # ${run:displayName} in a legend is W&B's template, not ours: leave it alone.
            if well_formed:
                msg = "environment references (${VAR}) work only in entity and project"
                yield doc.problem(path, "RG503", msg, offset=match.start())
        elif not well_formed:
            msg = "malformed environment reference; write ${VAR} or ${VAR:-default}"
            yield doc.problem(path, "RG502", msg, offset=match.start())
        else:
            name = match.group(1).split(":-", 1)[0]
            word = secret_word(name)
            if word is not None:
                yield doc.problem(path, "RG503", _secret_message(name, word), offset=match.start())


def reported_references(text: str) -> list[tuple[int, int]]:
    """Spans of the references that `expand` reports in a template string outside entity and
    project: every `${{ ... }}` of a document without a matrix (RG501, RG502) and every
    well-formed `${VAR}` (RG503). Other checks leave these characters alone."""
    spans = [m.span() for m in _MATRIX_REF.finditer(text)]
    stripped = _MATRIX_REF.sub(lambda m: " " * len(m.group()), text)
    spans += [m.span() for m in _ENV_REF.finditer(stripped) if _ENV_BODY.match(m.group(1))]
    return sorted(spans)


def secret_word(name: str) -> str | None:
    """The segment that makes an environment variable's name look secret, or None:
    `WANDB_API_KEY` -> 'KEY', `apiToken` -> 'Token', `MONKEY` -> None."""
    for part in name.split("_"):
        for match in _SEGMENT.finditer(part):
            if match.group().upper() in SECRET_WORDS:
                return match.group()
    return None


def _secret_message(name: str, word: str) -> str:
    return (
        f"environment variable {name} looks like a secret ({word!r} in its name): reportgen "
        "would print its value in view names, plans and build files; read entity and project "
        "from variables that hold nothing else"
    )


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
        word = secret_word(name)
        if word is not None:
            raise EnvError(_secret_message(name, word), match.start())
        value = env.get(name) or default
        if value is None:
            raise EnvError(f"environment variable {name} is not set", match.start())
        return value

    return _ENV_REF.sub(replace, text)
