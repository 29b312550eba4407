"""Bad client input gets a 4xx or a GraphQL error, never a 5xx, and nothing echoes the key.

wandb-core retries 5xx for a long while, so a malformed request answered with 500 would turn a
client bug into minutes of retries.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from reportgen.sandbox import Fault, Sandbox

KEY = "sandboxkey" + "k" * 30  # a valid GraphQL name, so it can be smuggled into a query
RUNS = """query Runs($f: JSONString) {
  project(name: "p") { runs(filters: $f) { edges { node { name } } } } }"""


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(api_key=KEY) as sandbox:
        sandbox.graphql('mutation { upsertModel(input: {name: "p"}) { inserted } }')
        sandbox.graphql(
            'mutation { upsertBucket(input: {name: "r", modelName: "p"}) { inserted } }'
        )
        yield sandbox


def _nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def _and(depth: int) -> str:
    flt: dict[str, object] = {"state": "running"}
    for _ in range(depth):
        flt = {"$and": [flt]}
    return json.dumps(flt)


def _messages(result_json: object) -> str:
    assert isinstance(result_json, dict)
    return " ".join(e["message"] for e in result_json.get("errors") or [])


@pytest.mark.parametrize("depth", [200, 500, 5_000, 100_000])
def test_deeply_nested_variables_are_a_client_error(
    sb: Sandbox, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"query": "{ viewer { id } }", "variables": {"a": ' + _nested_list(depth) + "}}"
    result = sb.request("POST", "/graphql", body.encode())
    if depth < 1_000:  # parsed, and ignored as an undeclared variable
        assert result.status == 200 and result.json["data"]["viewer"]
    else:  # beyond what the JSON parser recurses into
        assert result.status == 400 and "nested too deeply" in _messages(result.json)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("depth", [200, 900, 5_000])
def test_deeply_nested_json_string_variables_are_a_graphql_error(
    sb: Sandbox, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    result = sb.graphql(RUNS, {"f": _nested_list(depth)})
    assert result.status == 200
    assert "nested" in _messages(result.json)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_filters_nested_beyond_the_limit_are_refused_and_within_it_work(sb: Sandbox) -> None:
    result = sb.graphql(RUNS, {"f": _and(100)})
    assert result.status == 200
    assert "filters is nested more than 64 levels deep" in _messages(result.json)
    edges = sb.graphql(RUNS, {"f": _and(10)}).json["data"]["project"]["runs"]["edges"]
    assert [e["node"]["name"] for e in edges] == ["r"]


def test_variables_given_as_a_deep_object_are_a_graphql_error(sb: Sandbox) -> None:
    # JSONString given as an object is serialised by the sandbox: deep enough, that fails.
    body = (
        '{"query": '
        + json.dumps(RUNS)
        + ', "variables": {"f": '
        + '{"a":' * 900
        + "1"
        + "}" * 901
        + "}"
    )
    result = sb.request("POST", "/graphql", body.encode())
    assert result.status in (200, 400) and result.json["errors"]


def test_a_deeply_nested_query_is_a_syntax_error(sb: Sandbox) -> None:
    depth = 5_000
    result = sb.graphql("{ viewer " + "{ id " * depth + "}" * (depth + 1))
    assert result.status == 200 and "nested too deeply" in _messages(result.json)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/_sandbox/faults"), ("POST", "/files/sandbox/p/r/file_stream")],
)
def test_deep_bodies_elsewhere_are_400(sb: Sandbox, method: str, path: str) -> None:
    result = sb.request(method, path, ('{"faults": ' + _nested_list(100_000) + "}").encode())
    assert result.status == 400 and "nested too deeply" in _messages(result.json)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[]",
        b'{"query": 1}',
        b'{"query": "{ viewer { id } }", "operationName": 7}',
    ],
)
def test_malformed_graphql_bodies_are_400_or_graphql_errors(sb: Sandbox, body: bytes) -> None:
    result = sb.request("POST", "/graphql", body)
    assert result.status in (200, 400)


def test_no_error_or_admin_answer_echoes_the_api_key(sb: Sandbox) -> None:
    sb.set_faults(Fault("latency", op=KEY, seconds=0))
    try:
        answers = [
            sb.request("GET", "/_sandbox/health"),
            sb.request("GET", f"/_sandbox/{KEY}"),
            sb.request("GET", f"/{KEY}"),
            sb.request("GET", "/graphql", api_key="x" * 40),
            sb.request("PUT", f"/_sandbox/files/1/{KEY}?sig={KEY}", b"data"),
            sb.request("PUT", "/_sandbox/faults", {"faults": [{"kind": KEY}]}),
            sb.request("PUT", "/_sandbox/faults", {"faults": [], "seed": KEY}),
            sb.request("POST", f"/files/sandbox/p/{KEY}/file_stream", {}),
            sb.graphql(KEY),  # a syntax error quoting the token
            sb.graphql("{ viewer { " + KEY + " } }"),  # an unknown field naming it
            sb.graphql("query " + KEY + " { viewer { id } }"),  # counted under its name
            sb.graphql(RUNS, {"f": json.dumps({KEY: 1})}),  # an unsupported filter key
            sb.request("GET", "/_sandbox/stats"),
            sb.request("GET", "/_sandbox/faults"),
        ]
    finally:
        sb.clear_faults()
    for answer in answers:
        text = json.dumps(answer.json) + json.dumps(dict(answer.headers))
        assert KEY not in text, answer
    assert "***" in json.dumps(answers[1].json)  # the echo is there, with the key masked
    assert KEY in sb.stats()["operations"]  # in-process, the handle sees it as it is
