"""The JSON Schema (schemas/reportgen.schema.json) and its errors as placed problems.

The schema is the single source of truth for the shape of specs. jsonschema finds what is
wrong; this module says it in a spec author's words and puts it at the right line and
column through the loader's position map: an unknown key at that key, a missing key at
its parent mapping, a wrong value at the value.

Valid instances never reach jsonschema: the schema compiled by `compiled` says so first,
much faster, and jsonschema (imported only then) runs on the instances it refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.problems import Problem
from reportgen.spec.compiled import Check, Compiler
from reportgen.spec.expand import Instance
from reportgen.spec.load import Document, JsonPath
from reportgen.spec.refs import did_you_mean

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_NAME = "reportgen.schema.json"
_REPO_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_NAME

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}
_PATTERN_HINTS = {
    "key": "a key uses letters, digits, '.', '_' and '-' (at most 100 characters, starting with a letter or digit)",
    "metric": "a metric is '<name> max' or '<name> min', e.g. 'accuracy max'",
    "color": "a colour is #rgb, #rrggbb, rgb(r, g, b) or rgba(r, g, b, a)",
    "wandbName": "W&B entity and project names cannot contain '/', '\\', '#', '?', '%', ':' or control characters",
}
# Characters W&B refuses in entity and project names, and the references that may hold
# some: a ${VAR:-default} (its ':-' is ours, its default is checked), a ${{ ... }}.
NAME_REFUSED = re.compile(r"[/\\#?%:\x00-\x1f\x7f-\x9f]")
_NAME_REFERENCE = re.compile(r"\$\{\{.*?\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}|\$\{[^}]*\}")


def schema_text() -> str:
    """The schema as shipped: inside the wheel, or at the repository root in a checkout."""
    packaged = Path(__file__).resolve().parents[1] / "schemas" / SCHEMA_NAME
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return _REPO_SCHEMA.read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@cache
def is_valid() -> Check:
    """The compiled schema: whether an instance is valid, with `integer` meaning an int."""
    return Compiler(schema()).compile(schema())


@cache
def _matrix_schema() -> dict[str, Any]:
    defs = schema()["$defs"]
    return {"$defs": defs, "properties": {"matrix": defs["matrix"]}}


@cache
def _matrix_is_valid() -> Check:
    return Compiler(_matrix_schema()).compile(_matrix_schema())


@cache
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _strict_integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@cache
def _strict_validator() -> Any:
    """The schema with `integer` meaning a YAML integer: 5.0 is a float here."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer)
    extend: Any = validators.extend  # untyped in types-jsonschema
    return extend(Draft202012Validator, type_checker=checker)(schema())


@cache
def _matrix_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_matrix_schema())


def schema_problems(instance: Instance) -> list[Problem]:
    """Every schema violation of an instance, placed and worded for spec authors."""
    if is_valid()(instance.data):
        return []
    problems: list[Problem] = []
    for error in validator().iter_errors(instance.data):
        problems.extend(_problems(instance, error))
    return problems


def whole_numbers(instance: Instance) -> None:
    """Make the whole floats of a valid instance that the schema wants as integers Python
    ints (`max_runs: 5.0` -> 5), in place.

    JSON Schema, and so editors, count 5.0 as an integer, and so does wandb-workspaces; but a
    float would show as `5.0` wherever reportgen writes the number into a name or a title.
    """
    if not _has_whole_float(instance.data) or is_valid()(instance.data):
        return  # valid with strict integers: no whole float stands for an integer
    for error in _strict_validator().iter_errors(instance.data):
        for leaf in _error_tree(error):
            wanted = leaf.validator_value
            if (
                leaf.validator == "type"
                and "integer" in (wanted if isinstance(wanted, list) else [wanted])
                and isinstance(leaf.instance, float)
                and leaf.instance.is_integer()
            ):
                _replace(instance.data, tuple(leaf.absolute_path), int(leaf.instance))


def _has_whole_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_whole_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_whole_float(v) for v in value)
    return False


def _error_tree(error: ValidationError) -> Iterator[ValidationError]:
    yield error
    for child in error.context or []:
        yield from _error_tree(child)


def _replace(data: Any, path: JsonPath, value: Any) -> None:
    if not path:
        return
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value


def matrix_problems(doc: Document) -> list[Problem]:
    """Schema violations of a document's `matrix` (its instances are checked without it)."""
    if _matrix_is_valid()(doc.data):
        return []
    problems: list[Problem] = []
    for error in _matrix_validator().iter_errors(doc.data):
        problems.extend(_problems(Instance(doc, doc.data), error))
    return problems


def _problems(instance: Instance, error: ValidationError) -> Iterator[Problem]:
    doc, path = instance.doc, tuple(error.absolute_path)
    validator_name = error.validator
    value = error.instance
    suffix = instance.label
    part: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    expected: Any = error.validator_value
    if validator_name == "additionalProperties" and isinstance(value, dict):
        allowed = list(part.get("properties", {}))
        for extra in _extras(value, part):
            hint = did_you_mean(extra, allowed) or _allowed_hint(allowed)
            yield doc.problem(
                (*path, extra), "RG101", f"unknown key {extra!r}{hint}{suffix}", key=True
            )
        return
    if validator_name == "required" and isinstance(value, dict):
        missing = [k for k in expected if k not in value]
        for name in missing:
            where = _where(path)
            yield doc.problem(path, "RG102", f"missing required key {name!r}{where}{suffix}")
        return
    if validator_name == "oneOf" and not path and isinstance(value, dict):
        kinds = [k for k in ("workspace", "report", "leaderboard") if k in value]
        if kinds:
            msg = f"a document holds one object; this one has {' and '.join(kinds)}"
        else:
            msg = "a document needs one of workspace, report or leaderboard"
        yield doc.problem(path, "RG102", msg + suffix)
        return
    if validator_name in ("anyOf", "oneOf") and error.context:
        yield from _best(instance, error)
        return
    if "propertyNames" in error.absolute_schema_path and isinstance(value, str):
        if "passthrough" in error.absolute_schema_path or "passthrough" in error.path:
            msg = (
                f"invalid JSON Pointer {value!r}: each key after a '/' (/section/name), '~' "
                "written '~0' and '/' inside a key '~1'; '' is the whole view"
            )
        else:
            msg = f"invalid name {value!r}: use letters, digits and '_', not starting with a digit"
        yield doc.problem((*path, value), "RG105", msg + suffix, key=True)
        return
    message, code = _message(error)
    if validator_name == "uniqueItems" and isinstance(value, list):
        path = (*path, _first_repeat(value))
    offset = None
    if validator_name == "pattern" and isinstance(value, str) and _def_name(error) == "wandbName":
        offset = _refused_character(value, stamped=bool(instance.bindings))
        if offset is None:
            return  # only inside a malformed ${...}: reported there (RG502)
        char = value[offset]
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        message = f"W&B refuses {shown} in entity and project names"
        offset = instance.template_offset(path, offset)
    yield doc.problem(path, code, message + suffix, offset=offset)


def _refused_character(value: str, *, stamped: bool) -> int | None:
    """Offset of the first character W&B refuses in an entity or project name. The ':-' of
    a ${VAR:-default} is ours; a malformed ${...} in the template is reported by `expand`
    (RG502), not here, but one a matrix value put there is not."""
    checked = list(value)
    for ref in _NAME_REFERENCE.finditer(value):
        if ref.group(2) is not None:
            end = ref.start(2)
        elif stamped:
            continue
        else:
            end = ref.end()
        checked[ref.start() : end] = " " * (end - ref.start())
        checked[ref.end() - 1] = " "
    found = NAME_REFUSED.search("".join(checked))
    return found.start() if found else None


def _first_repeat(items: list[Any]) -> int:
    """Index of the first item equal to an earlier one (as JSON Schema compares them)."""
    seen: list[str] = []
    for i, item in enumerate(items):
        canonical = json.dumps(item, sort_keys=True)
        if canonical in seen:
            return i
        seen.append(canonical)
    return 0


def _best(instance: Instance, error: ValidationError) -> Iterator[Problem]:
    """The most relevant alternative's error, and how many other alternatives failed too."""
    context = list(error.context or [])
    by_branch: dict[object, list[ValidationError]] = {}
    for e in context:
        by_branch.setdefault(
            e.relative_schema_path[0] if e.relative_schema_path else None, []
        ).append(e)
    type_only = all(len(errs) == 1 and errs[0].validator == "type" for errs in by_branch.values())
    if type_only and all(not e.path for e in context):
        kinds: list[str] = []
        for e in context:
            wanted = (
                e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
            )
            kinds.extend(_TYPE_NAMES.get(str(k), str(k)) for k in wanted)
        msg = f"expected {' or '.join(dict.fromkeys(kinds))}, found {_describe(error.instance)}"
        yield instance.doc.problem(tuple(error.absolute_path), "RG103", msg + instance.label)
        return
    others = max(0, len(by_branch) - 1)
    note = f" ({others} other form{'s' if others != 1 else ''} also failed)" if others else ""
    fitting = [errs for errs in by_branch.values() if not _wrong_type(errs)]
    if len(fitting) == 1:
        # The value's type picks the form (a mapping for the mapping form): all its errors.
        chosen = [p for e in fitting[0] for p in _problems(instance, e)]
    else:
        from jsonschema.exceptions import best_match, relevance

        matching = [e for e in context if e.validator != "type" or e.path] or context
        best = best_match(matching, key=relevance)
        chosen = list(_problems(instance, best)) if best is not None else []
    for problem in chosen:
        yield Problem(
            problem.file,
            problem.line,
            problem.col,
            problem.code,
            problem.message + note,
            problem.level,
        )


def _wrong_type(errors: list[ValidationError]) -> bool:
    """Whether an alternative failed only because the value is of another type."""
    return len(errors) == 1 and errors[0].validator == "type" and not errors[0].path


def _extras(value: dict[str, Any], schema_part: dict[str, Any]) -> list[str]:
    properties = schema_part.get("properties", {})
    patterns = [re.compile(p) for p in schema_part.get("patternProperties", {})]
    return [k for k in value if k not in properties and not any(p.search(k) for p in patterns)]


def _allowed_hint(allowed: list[str]) -> str:
    if not allowed:
        return ""
    if len(allowed) <= 8:
        return f"; expected one of {', '.join(allowed)}"
    return ""


def _where(path: JsonPath) -> str:
    if not path:
        return ""
    last = path[-1]
    return (
        f" in {last!r}"
        if isinstance(last, str)
        else f" in item {last + 1} of {path[-2]!r}"
        if len(path) > 1
        else ""
    )


def _message(error: ValidationError) -> tuple[str, str]:
    name, value = error.validator, error.instance
    expected: Any = error.validator_value
    if name == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(k), str(k)) for k in kinds)
        return f"expected {wanted}, found {_describe(value)}", "RG103"
    if name in ("enum", "const"):
        options = [
            o if isinstance(o, str) else json.dumps(o)
            for o in (expected if name == "enum" else [expected])
        ]
        if isinstance(value, str):
            hint = did_you_mean(value, options)
            what = "panel type" if error.path and error.path[-1] == "type" else "value"
            return (
                f"unknown {what} {value!r}{hint or '; expected one of ' + ', '.join(options)}",
                "RG104",
            )
        return f"expected one of {', '.join(options)}, found {_describe(value)}", "RG104"
    if name == "pattern":
        ref = _def_name(error)
        hint = _PATTERN_HINTS.get(ref or "", f"does not match {expected}")
        return f"invalid value {value!r}: {hint}", "RG105"
    if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }
        return f"{value!r} is out of range: must be {words[str(name)]} {expected}", "RG106"
    if name == "minLength":
        return "must not be empty", "RG106"
    if name == "maxLength":
        return f"too long: at most {expected} characters", "RG106"
    if name == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}", "RG106"
    if name == "maxItems":
        return f"too many items: at most {expected}", "RG106"
    if name == "uniqueItems":
        return "list has duplicate items", "RG107"
    if name in ("minProperties", "maxProperties") and _def_name(error) == "block":
        return "a report block is one key and its value, e.g. 'h2: Results' or 'p: text'", "RG108"
    if name == "minProperties":
        return "must not be empty", "RG106"
    return error.message, "RG109"


def _def_name(error: ValidationError) -> str | None:
    """The `$defs` entry whose keyword failed, e.g. 'key' for the key pattern."""
    for name, definition in schema()["$defs"].items():
        if definition is error.schema:
            return str(name)
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{value!r}"
