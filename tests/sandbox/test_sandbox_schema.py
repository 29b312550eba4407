"""The SDL covers every operation the real clients send (../shared/wandb-wire/operations)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import parse, validate

from reportgen.sandbox import Sandbox
from reportgen.sandbox.engine import load_schema

STANDIN = "standin-schema.graphql"


def _operation_files(wire_dir: Path) -> list[Path]:
    files = sorted(p for p in (wire_dir / "operations").glob("*.graphql") if p.name != STANDIN)
    assert files, f"no operations recorded in {wire_dir / 'operations'}"
    return files


def test_every_recorded_operation_validates_against_our_schema(wire_dir: Path) -> None:
    schema = load_schema()
    failures = {}
    for path in _operation_files(wire_dir):
        errors = validate(schema, parse(path.read_text()))
        if errors:
            failures[path.name] = [e.message for e in errors]
    assert failures == {}


def test_recorded_queries_execute_without_errors(wire_dir: Path, fresh_sandbox: Sandbox) -> None:
    # Replays the recorded request bodies, undeclared variables ("locked", "projectName") and
    # all; on an empty sandbox every lookup must come back as data with nulls, not errors.
    replayed = 0
    for path in sorted((wire_dir / "operations").glob("*.example.json")):
        for example in json.loads(path.read_text()):
            body = example["request_body"]
            if "..." in body["query"] or body["query"].lstrip().startswith("mutation"):
                continue  # truncated in the record, or a write (covered elsewhere)
            result = fresh_sandbox.request("POST", "/graphql", body)
            assert result.status == 200, path.name
            assert "errors" not in result.json, (path.name, result.json)
            replayed += 1
    assert replayed >= 8


def test_unknown_field_is_an_error_naming_it(sandbox: Sandbox) -> None:
    result = sandbox.graphql("query Viewer { viewer { id entity shoeSize } }")
    assert result.status == 200
    assert result.json["data"] is None
    assert "shoeSize" in result.json["errors"][0]["message"]


def test_unknown_field_deep_in_a_run_is_an_error(sandbox: Sandbox) -> None:
    query = 'query Run { project(name: "p") { run(name: "r") { id parquetUrlsV2 } } }'
    message = sandbox.graphql(query).json["errors"][0]["message"]
    assert "parquetUrlsV2" in message and "Run" in message


def test_operation_is_identified_by_the_document_not_operation_name(fresh_sandbox: Sandbox) -> None:
    body = {"query": "query GetDefaultEntity { viewer { id entity } }", "operationName": ""}
    result = fresh_sandbox.request("POST", "/graphql", body)
    assert result.json == {"data": {"viewer": {"id": "VXNlcjox", "entity": "sandbox"}}}
    assert fresh_sandbox.stats()["operations"] == {"GetDefaultEntity": 1}


def test_syntax_error_is_a_graphql_error_not_a_crash(sandbox: Sandbox) -> None:
    result = sandbox.graphql("query { viewer { id ")
    assert result.status == 200
    assert result.json["errors"][0]["message"].startswith("Syntax Error")


@pytest.mark.parametrize("path", ["/sdk/otel/v1/metrics", "/sdk/otel/v1/logs"])
def test_telemetry_is_accepted_without_a_key(sandbox: Sandbox, path: str) -> None:
    assert sandbox.request("POST", path, {"x": 1}, api_key="-" * 40).status == 200
