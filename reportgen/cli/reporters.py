"""Problem formatters, chosen by name: text, parsable, github, json."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reportgen.problems import Problem, one_line
from reportgen.spec.env import EnvError, resolve_env

if TYPE_CHECKING:
    from reportgen.commands.validate import ValidationResult

FORMATS = ("text", "parsable", "github", "json")


def _printable(text: str) -> str:
    """A file name that is not UTF-8 (os.fsdecode keeps its bytes as lone surrogates) shown
    with those bytes escaped, so that printing it cannot fail."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable_problems(problems: Sequence[Problem]) -> list[Problem]:
    return [
        dataclasses.replace(p, file=_printable(p.file), message=_printable(p.message))
        for p in problems
    ]


def _line_problems(problems: Sequence[Problem]) -> list[Problem]:
    """Problems as text and parsable print them: printable, each on one line."""
    return [
        dataclasses.replace(p, file=one_line(p.file), message=one_line(p.message))
        for p in _printable_problems(problems)
    ]


def parsable(problems: Sequence[Problem], color: bool = False) -> str:
    """`file:line:col: [level] message (code)`, one per line: what editors and grep expect."""
    return "".join(f"{p}\n" for p in _line_problems(problems))


def text(problems: Sequence[Problem], color: bool = False) -> str:
    """Parsable lines, coloured on a terminal, and a summary."""
    if not color:
        body = parsable(problems)
    else:
        lines = []
        for p in _line_problems(problems):
            hue = "31" if p.is_error else "33"
            level = f"\x1b[{hue}m[{p.level.value}]\x1b[0m"
            lines.append(
                f"\x1b[1m{p.file}:{p.line}:{p.col}:\x1b[0m {level} {p.message} \x1b[2m({p.code})\x1b[0m\n"
            )
        body = "".join(lines)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return body
    files = len({p.file for p in problems})
    return (
        body
        + f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(files, 'file')}\n"
    )


def github(problems: Sequence[Problem], color: bool = False) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's diff."""
    out = []
    for p in _printable_problems(problems):
        file = _github_data(p.file).replace(",", "%2C").replace(":", "%3A")
        position = f"file={file},line={max(p.line, 1)},col={max(p.col, 1)}"
        out.append(f"::{p.level.value} {position},title={p.code}::{_github_data(p.message)}\n")
    return "".join(out)


def _github_data(text: str) -> str:
    """Escaped as GitHub's workflow commands want: a CR or LF (in a message or in a file
    name) would otherwise end the annotation and start a line of its own."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def as_json(problems: Sequence[Problem], color: bool = False) -> str:
    rows = [
        {
            "file": p.file,
            "line": p.line,
            "col": p.col,
            "level": p.level.value,
            "code": p.code,
            "message": p.message,
        }
        for p in _printable_problems(problems)
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


REPORTERS: dict[str, Callable[[Sequence[Problem], bool], str]] = {
    "text": text,
    "parsable": parsable,
    "github": github,
    "json": as_json,
}


def object_listing(result: ValidationResult) -> str:
    """What a clean validation found: each object with its kind and where it will live."""

    def shown(text: str) -> str:
        try:
            return resolve_env(text)
        except EnvError:
            return text

    lines = [
        f"ok: {_count(len(result.objects), 'object')} in {_count(len(result.files), 'file')}\n"
    ]
    for obj in result.objects:
        entity = shown("${WANDB_ENTITY}" if obj.entity is None else obj.entity)
        where = f"{entity}/{shown(obj.project)}"
        lines.append(f"  {obj.kind:<11} {obj.key:<28} {where}\n")
    return "".join(lines)
