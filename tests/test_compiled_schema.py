"""The compiled schema (`spec.compiled`) says valid exactly where jsonschema with strict
integers does, so the fast path never lets through what jsonschema would refuse; and the
compiler refuses what it does not implement. Instances: every case, example and spec,
generated benchmark specs, and each of them mutated (values swapped for other types,
keys removed and added, panel and block kinds changed)."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.validate_bench import spec_text
from reportgen.spec.compiled import Compiler, SchemaCompileError
from reportgen.spec.expand import expand
from reportgen.spec.files import find_spec_files
from reportgen.spec.load import load_file, load_text
from reportgen.spec.schema import _strict_validator, is_valid, schema, validator

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "tests" / "cases", REPO / "examples", REPO / "specs"]
ODD_VALUES: list[Any] = [None, True, 0, 5.0, -1, 1.5, "", "line", "x" * 300, [], [1], {}, {"a": 1}]


def _instances() -> Iterator[Any]:
    for path in find_spec_files(SOURCES).files:
        for doc in load_file(path).documents:
            yield doc.data
            for instance in expand(doc)[0]:
                yield instance.data
    rng = random.Random(5)
    for i in range(60):
        for doc in load_text(spec_text(rng, i), f"gen-{i}.yaml").documents:
            for instance in expand(doc)[0]:
                yield instance.data


def _mutants(data: Any, rng: random.Random, count: int) -> Iterator[Any]:
    """Copies of `data` with one place changed: the kind of change the schema must catch."""
    places = list(_places(data, ()))
    for _ in range(count):
        if not places:
            return
        mutant = copy.deepcopy(data)
        path = rng.choice(places)
        parent = mutant
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = rng.random()
        if action < 0.55:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif action < 0.7 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.85 and isinstance(parent, dict):
            parent[rng.choice(["extra", "type", "title", "x-anchor", "y", "h1"])] = rng.choice(
                ODD_VALUES
            )
        elif isinstance(parent[last], str):
            parent[last] = rng.choice(["bar", "scalar", "markdown", "p", "toc", "5.0", " "])
        else:
            parent[last] = copy.deepcopy(parent[last]) if rng.random() < 0.5 else [parent[last]]
        yield mutant


def _places(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from _places(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from _places(child, (*path, index))


def _jsonschema_strict(data: Any) -> bool:
    return not any(True for _ in _strict_validator().iter_errors(data))


def test_the_compiled_schema_agrees_with_jsonschema() -> None:
    rng = random.Random(11)
    checked = disagreements = valid = 0
    for data in _instances():
        for candidate in [data, *_mutants(data, rng, 12)]:
            fast = is_valid()(candidate)
            checked, valid = checked + 1, valid + fast
            if fast != _jsonschema_strict(candidate):
                disagreements += 1
                pytest.fail(f"compiled {fast}, jsonschema {not fast} for {candidate!r}")
    assert checked > 2000 and 0.05 < valid / checked < 0.95, (checked, valid)
    assert disagreements == 0


def test_valid_here_means_valid_for_jsonschema_as_editors_read_it() -> None:
    """Strict integers are the only difference, and they only make the fast path stricter."""
    doc = load_text("workspace: {key: k, title: t, project: p, settings: {max_runs: 5.0}}\n", "f")
    data = doc.documents[0].data
    assert not is_valid()(data)
    assert not any(True for _ in validator().iter_errors(data))  # 5.0 is an integer there


@pytest.mark.parametrize(
    ("schema_part", "message"),
    [
        ({"not": {"type": "string"}}, "unsupported keyword"),
        ({"format": "date"}, "unsupported keyword"),
        ({"$ref": "https://example.com/s.json"}, "only local references"),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, "tests for an integer"),
        ({"if": {"$ref": "#/$defs/n"}, "then": {}}, "tests for an integer"),
    ],
)
def test_the_compiler_refuses_what_it_does_not_implement(
    schema_part: dict[str, Any], message: str
) -> None:
    root = {"$defs": {"n": {"type": "integer"}}, **schema_part}
    with pytest.raises(SchemaCompileError, match=message):
        Compiler(root).compile(root)


def test_the_shipped_schema_compiles() -> None:
    Compiler(schema()).compile(schema())


def test_validate_imports_no_jsonschema_for_valid_specs() -> None:
    """Cold start: jsonschema (and referencing, rpds) load only for an invalid instance."""
    script = (
        "import sys; from reportgen.cli import run; code = run(['validate', sys.argv[1]]); "
        "print(code, 'jsonschema' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(REPO / "examples")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert done.stdout.splitlines()[-1] == "0 False"
