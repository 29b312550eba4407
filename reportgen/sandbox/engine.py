"""The GraphQL engine: graphql-core executing our SDL (``schema.graphql``) with our resolvers.

Requests are identified by their parsed document, never by ``operationName``: the Python
clients send ``""`` there (REPORT.md 0.2). Parsing and validation are cached per query text,
since wandb-workspaces sends the same few documents over and over.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.language import StringValueNode, ValueNode
from graphql.utilities import value_from_ast_untyped

from reportgen.sandbox.backend import Backend
from reportgen.sandbox.resolve_runs import registry as run_resolvers
from reportgen.sandbox.resolve_views import registry as view_resolvers
from reportgen.sandbox.values import denan

INVALID = "<invalid>"
ANONYMOUS = "<anonymous>"
_CACHE_SIZE = 256


def sdl() -> str:
    """The schema text shipped in the package."""
    return resources.files("reportgen.sandbox").joinpath("schema.graphql").read_text("utf-8")


def _json_string(value: Any) -> str:
    # Returned verbatim when already a string: view specs must come back byte for byte.
    return value if isinstance(value, str) else json.dumps(value)


def _json_string_literal(node: ValueNode, _variables: Any = None) -> str:
    if isinstance(node, StringValueNode):
        return node.value
    raise GraphQLError("JSONString literals must be strings", node)


def _int64(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise GraphQLError(f"Int64 cannot represent {value!r}")
    return int(value)


def _identity(value: Any) -> Any:
    return value


def _configure_scalars(schema: GraphQLSchema) -> None:
    scalars: dict[str, tuple[Any, Any, Any]] = {
        "JSONString": (_json_string, _json_string, _json_string_literal),
        # JSON values are parsed by wandb-core's encoding/json: never a bare NaN (values.py).
        "JSON": (denan, _identity, value_from_ast_untyped),
        "Int64": (_int64, _int64, lambda node, _v=None: _int64(value_from_ast_untyped(node))),
        "DateTime": (_identity, _identity, value_from_ast_untyped),
    }
    for name, (serialize, parse_value, parse_literal) in scalars.items():
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)
        scalar.serialize = serialize  # type: ignore[method-assign]
        scalar.parse_value = parse_value  # type: ignore[method-assign]
        scalar.parse_literal = parse_literal  # type: ignore[method-assign]
        # graphql-core 3.3 reads these instead (3.2 has no such attributes).
        vars(scalar)["coerce_output_value"] = serialize
        vars(scalar)["coerce_input_value"] = parse_value


@functools.cache
def load_schema() -> GraphQLSchema:
    """The executable schema: SDL, scalar codecs and every resolver bound to its field."""
    schema = build_schema(sdl())
    _configure_scalars(schema)
    for (type_name, field_name), resolver in {
        **view_resolvers.resolvers,
        **run_resolvers.resolvers,
    }.items():
        type_ = schema.get_type(type_name)
        fields = getattr(type_, "fields", None)
        if not fields or field_name not in fields:
            raise RuntimeError(f"resolver for unknown field {type_name}.{field_name}")
        fields[field_name].resolve = resolver
    return schema


@dataclass(frozen=True)
class Operation:
    """A parsed and validated request document."""

    name: str
    kind: str  # "query", "mutation", or INVALID
    document: DocumentNode | None
    errors: list[GraphQLError] = field(default_factory=list)

    @property
    def is_write(self) -> bool:
        """Mutations are writes; everything else is not."""
        return self.kind == "mutation"


class Engine:
    """Executes GraphQL requests against a Backend."""

    def __init__(self) -> None:
        self.schema = load_schema()
        self._cache: dict[str, Operation] = {}
        self._lock = threading.Lock()

    def prepare(self, query: str, operation_name: str | None = None) -> Operation:
        """Parse and validate ``query``; errors are kept on the result, not raised."""
        key = f"{operation_name or ''}\0{query}"
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        operation = self._prepare(query, operation_name)
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = operation
        return operation

    def _prepare(self, query: str, operation_name: str | None) -> Operation:
        try:
            document = parse(query)
        except GraphQLError as error:
            return Operation(INVALID, INVALID, None, [error])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = next(
            (op for op in operations if op.name and op.name.value == operation_name), None
        )
        chosen = chosen or (operations[0] if operations else None)
        if chosen is None:
            return Operation(INVALID, INVALID, document, [GraphQLError("no operation in document")])
        name = chosen.name.value if chosen.name else ANONYMOUS
        errors = validate(self.schema, document)
        return Operation(name, chosen.operation.value, document, list(errors))

    def execute(
        self, operation: Operation, variables: Any, backend: Backend
    ) -> tuple[dict[str, Any], list[GraphQLError]]:
        """The response body (``data`` and, if anything failed, ``errors``) and the errors."""
        if operation.errors or operation.document is None:
            return {
                "data": None,
                "errors": [e.formatted for e in operation.errors],
            }, operation.errors
        try:
            result = execute_sync(
                self.schema,
                operation.document,
                context_value=backend,
                variable_values=variables if isinstance(variables, dict) else None,
                operation_name=None if operation.name in (ANONYMOUS, INVALID) else operation.name,
            )
        except RecursionError:
            # Input nested deeper than anything we can walk: the client's problem, not a 500.
            error = GraphQLError("the request's variables are nested too deeply")
            return {"data": None, "errors": [error.formatted]}, [error]
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body, list(result.errors or [])
