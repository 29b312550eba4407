"""The JSON Schema compiled into plain Python checks that answer one question fast: valid?

jsonschema is the authority on *what* is wrong (its errors become the placed, worded
problems of `schema`), but it interprets the schema anew for every value, looks every
`$ref` up through its registry and tries each panel against every panel kind's `if`.
Most spec files are valid, so `schema` asks this module first and runs jsonschema only
for an instance that fails here:

* every `$ref` is resolved once, when the schema is compiled, to the check of its target;
* an `allOf` of `if: {properties: {type: {const: K}}, required: [type]}` / `then: S` pairs
  (panels) becomes a table from K to the compiled S: one dictionary lookup per panel;
* `properties` become one dictionary of checks per object schema, so a report block, a
  one-key mapping, costs one lookup too.

The checks are *strict* where jsonschema is lenient on purpose: `integer` means a Python
int here, while JSON Schema also counts `5.0`. So an instance valid here is valid for
jsonschema (the schema has no `not`, and no `if` or `oneOf` that tests an integer: the
compiler refuses those) and has no whole float for `schema.whole_numbers` to turn into an
int; an instance with `max_runs: 5.0` takes jsonschema's path, which handles both.

Only the keywords the schema uses are supported; any other keyword, a remote `$ref`, or a
`not` is an error when compiling, so a schema edit cannot silently weaken validation.
Importing this module imports neither jsonschema nor the schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default"}
    | {"markdownDescription", "deprecated", "readOnly", "writeOnly"}
)
_SUPPORTED = _ANNOTATIONS | {
    *("type", "$ref", "enum", "const", "allOf", "anyOf", "oneOf", "if", "then", "else"),
    *("properties", "patternProperties", "additionalProperties", "required", "propertyNames"),
    *("minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems"),
    *("minLength", "maxLength", "pattern"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
}


_OBJECT_KEYWORDS = (
    *("properties", "patternProperties", "additionalProperties", "required"),
    *("propertyNames", "minProperties", "maxProperties"),
)
_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda x, b: bool(x >= b),
    "maximum": lambda x, b: bool(x <= b),
    "exclusiveMinimum": lambda x, b: bool(x > b),
    "exclusiveMaximum": lambda x, b: bool(x < b),
}


class SchemaCompileError(ValueError):
    """The schema uses something this compiler does not implement."""


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "integer": _is_int,  # strict: 5.0 is not an integer here (see the module docstring)
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: true is not 1, lists and mappings compared deeply."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, (list, dict)) or isinstance(two, (list, dict)):
        return False
    return bool(one == two)


def _unique(items: list[Any]) -> bool:
    if all(isinstance(i, str) for i in items):
        return len(set(items)) == len(items)
    return not any(equal(a, b) for i, a in enumerate(items) for b in items[i + 1 :])


def _always(_x: Any) -> bool:
    return True


def _never(_x: Any) -> bool:
    return False


def _all(checks: Sequence[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    fixed = tuple(checks)
    return lambda x: all(c(x) for c in fixed)


class Compiler:
    """Compiles a schema with local `$ref`s (`#/$defs/...`), each target once."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self._refs: dict[str, Check] = {}
        self._cells: dict[str, list[Check]] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise SchemaCompileError(f"not a schema: {schema!r}")
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise SchemaCompileError(f"unsupported keyword(s): {', '.join(sorted(unknown))}")
        checks: list[Check] = []
        if "type" in schema:
            kinds = [_TYPES[t] for t in _listed(schema["type"])]
            checks.append(kinds[0] if len(kinds) == 1 else lambda x: any(k(x) for k in kinds))
        if "enum" in schema:
            checks.append(_enum(schema["enum"]))
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda x: equal(x, const))
        kinds_of = (self._object, self._array, self._string, self._number)
        checks.extend(c for c in (part(schema) for part in kinds_of) if c)
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        checks.extend(self._combinators(schema))
        return _all(checks)

    def ref(self, ref: str) -> Check:
        """The check of a local `$ref`, compiled the first time it is met."""
        if ref in self._refs:
            return self._refs[ref]
        if ref in self._cells:  # a cycle: go through the cell filled in below
            cell = self._cells[ref]
            return lambda x: cell[0](x)
        self._cells[ref] = cell = [_never]
        cell[0] = self._refs[ref] = self.compile(self._target(ref))
        return cell[0]

    def _combinators(self, schema: dict[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "allOf" in schema:
            checks.append(self._all_of(schema["allOf"]))
        if "anyOf" in schema:
            branches = [self.compile(s) for s in schema["anyOf"]]
            checks.append(lambda x: any(b(x) for b in branches))
        if "oneOf" in schema:
            only = [self.compile(self._no_integer(s)) for s in schema["oneOf"]]
            checks.append(lambda x: sum(1 for b in only if b(x)) == 1)
        if "if" in schema:
            test = self.compile(self._no_integer(schema["if"]))
            then = self.compile(schema.get("then", True))
            other = self.compile(schema.get("else", True))
            checks.append(lambda x: then(x) if test(x) else other(x))
        return checks

    def _no_integer(self, schema: Any, seen: frozenset[str] = frozenset()) -> Any:
        """`schema`, after making sure no part of it (references followed) tests for an
        integer: a stricter `integer` there could make an invalid instance pass."""
        if isinstance(schema, list):
            for item in schema:
                self._no_integer(item, seen)
        elif isinstance(schema, dict):
            if "integer" in _listed(schema.get("type")):
                raise SchemaCompileError("an `if` or `oneOf` branch tests for an integer")
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                self._no_integer(self._target(ref), seen | {ref})
            for key, value in schema.items():
                if key not in _ANNOTATIONS and key not in ("enum", "const", "required"):
                    self._no_integer(value, seen)
        return schema

    def _target(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SchemaCompileError(f"only local references are supported: {ref}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target

    def _all_of(self, parts: list[Any]) -> Check:
        table = _dispatch_table(parts)
        if table is None:
            return _all([self.compile(s) for s in parts])
        name, thens = table
        compiled = {k: _all([self.compile(s) for s in v]) for k, v in thens.items()}
        every = _all(list(compiled.values()))

        def dispatch(x: Any) -> bool:
            if not isinstance(x, dict):
                return every(x)  # each `if` holds vacuously for a non-object
            value = x.get(name)
            check = compiled.get(value) if isinstance(value, str) else None
            return check(x) if check is not None else True

        return dispatch

    def _object(self, schema: dict[str, Any]) -> Check | None:
        if not any(k in schema for k in _OBJECT_KEYWORDS):
            return None
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        patterns = [
            (re.compile(p), self.compile(v)) for p, v in schema.get("patternProperties", {}).items()
        ]
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema)
        required = tuple(schema.get("required", ()))
        names = self.compile(schema["propertyNames"]) if "propertyNames" in schema else None
        least, most = schema.get("minProperties", 0), schema.get("maxProperties")

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            if len(x) < least or (most is not None and len(x) > most):
                return False
            for name in required:
                if name not in x:
                    return False
            for key, value in x.items():
                known = props.get(key)
                if known is not None and not known(value):
                    return False
                matched = False
                for pattern, sub in patterns:
                    if pattern.search(key):
                        matched = True
                        if not sub(value):
                            return False
                if known is None and not matched and extra is not None and not extra(value):
                    return False
                if names is not None and not names(key):
                    return False
            return True

        return check

    def _array(self, schema: dict[str, Any]) -> Check | None:
        if not any(k in schema for k in ("items", "minItems", "maxItems", "uniqueItems")):
            return None
        items = self.compile(schema["items"]) if "items" in schema else None
        least, most = schema.get("minItems", 0), schema.get("maxItems")
        unique = bool(schema.get("uniqueItems", False))

        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return True
            if len(x) < least or (most is not None and len(x) > most):
                return False
            if items is not None and not all(items(i) for i in x):
                return False
            return not unique or _unique(x)

        return check

    def _string(self, schema: dict[str, Any]) -> Check | None:
        if not any(k in schema for k in ("minLength", "maxLength", "pattern")):
            return None
        least, most = schema.get("minLength", 0), schema.get("maxLength")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

        def check(x: Any) -> bool:
            if not isinstance(x, str):
                return True
            if len(x) < least or (most is not None and len(x) > most):
                return False
            return pattern is None or pattern.search(x) is not None

        return check

    def _number(self, schema: dict[str, Any]) -> Check | None:
        pairs = [(test, schema[k]) for k, test in _BOUNDS.items() if k in schema]
        if not pairs:
            return None
        return lambda x: not _is_number(x) or all(test(x, b) for test, b in pairs)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _enum(options: list[Any]) -> Check:
    if all(isinstance(o, str) for o in options):
        strings = frozenset(options)
        return lambda x: isinstance(x, str) and x in strings
    return lambda x: any(equal(x, o) for o in options)


def _dispatch_table(parts: list[Any]) -> tuple[str, dict[str, list[Any]]] | None:
    """`[{if: {properties: {P: {const: K}}, required: [P]}, then: S}, ...]` as (P, {K: [S]})."""
    name: str | None = None
    table: dict[str, list[Any]] = {}
    for part in parts:
        if not isinstance(part, dict) or set(part) != {"if", "then"}:
            return None
        test = part["if"]
        props = test.get("properties") if isinstance(test, dict) else None
        if set(test) != {"properties", "required"} or not isinstance(props, dict):
            return None
        if len(props) != 1 or test["required"] != list(props):
            return None
        ((prop, sub),) = props.items()
        if set(sub) != {"const"} or not isinstance(sub["const"], str) or name not in (None, prop):
            return None
        name = prop
        table.setdefault(sub["const"], []).append(part["then"])
    return (name, table) if name is not None else None
