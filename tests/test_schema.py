"""The JSON Schema: valid against its metaschema, documented on every property, shipped in
the wheel; and every spec in examples/ and specs/ points editors at it and validates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reportgen import cli
from reportgen.commands.validate import validate_paths
from reportgen.spec.expand import Instance
from reportgen.spec.files import iter_spec_files
from reportgen.spec.load import load_text
from reportgen.spec.schema import _best

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "schemas" / "reportgen.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
MODELINE = "# yaml-language-server: $schema="
SPEC_DIRS = (REPO / "examples", REPO / "specs")


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def _properties(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema anywhere in the schema, with a JSON-pointer-like location."""
    if isinstance(node, dict):
        for keyword in ("properties", "patternProperties"):
            for name, sub in node.get(keyword, {}).items():
                yield f"{where}/{keyword}/{name}", sub
        for key, value in node.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{where}/{i}")


# if/then conditions select a panel kind; they are not properties a user writes.
PROPERTIES = [(where, sub) for where, sub in _properties(SCHEMA) if "/if/" not in where]


def test_walk_finds_the_properties() -> None:
    wheres = {where for where, _ in PROPERTIES}
    assert len(PROPERTIES) > 150
    assert "#/$defs/linePanel/properties/smoothing" in wheres
    assert "#/$defs/section/properties/layout/properties/columns" in wheres
    assert "#/$defs/block/properties/code/properties/language" in wheres


@pytest.mark.parametrize("where", [where for where, _ in PROPERTIES])
def test_every_property_has_a_description_and_examples(where: str) -> None:
    sub = dict(PROPERTIES)[where]
    assert isinstance(sub.get("description"), str) and sub["description"].strip(), where
    assert isinstance(sub.get("examples"), list) and sub["examples"], where


@pytest.mark.parametrize("name", sorted(SCHEMA["$defs"]))
def test_every_definition_has_a_description(name: str) -> None:
    assert SCHEMA["$defs"][name].get("description"), name


@pytest.mark.parametrize("where", [where for where, _ in PROPERTIES])
def test_property_examples_are_valid(where: str) -> None:
    """An example shown on hover must itself be accepted by the property's schema."""
    sub = dict(PROPERTIES)[where]
    validator = Draft202012Validator({**sub, "$defs": SCHEMA["$defs"]})
    for example in sub["examples"]:
        errors = [e.message for e in validator.iter_errors(example)]
        assert errors == [], f"{where}: example {example!r}: {errors}"


def test_schema_is_in_the_wheel(tmp_path: Path) -> None:
    """Build the wheel (pip fetches hatchling, the build backend) and look inside."""
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "build", "dist", "tests", "benchmarks"),
    )
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if (
        build.returncode != 0
        and "hatchling" in build.stderr
        and "No matching distribution" in build.stderr
    ):
        pytest.skip("hatchling, the build backend, cannot be fetched (offline?)")
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("reportgen-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "reportgen/py.typed" in names
        shipped = archive.read("reportgen/schemas/reportgen.schema.json")
    assert json.loads(shipped) == SCHEMA


def _spec_files() -> list[Path]:
    """The spec files reportgen finds there (hidden entries, like examples/ci's
    `.github/workflows/` and `.gitlab-ci.yml`, are not specs)."""
    return sorted(iter_spec_files(list(SPEC_DIRS)))


SPEC_FILES = _spec_files()


def test_there_are_examples_and_specs() -> None:
    names = {p.name for p in SPEC_FILES}
    assert {
        "cifar10.yaml",
        "01-minimal-workspace.yaml",
        "02-leaderboard.yaml",
        "03-report.yaml",
        "04-matrix.yaml",
        "05-every-panel.yaml",
    } <= names


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_spec_starts_with_the_schema_modeline(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), first
    target = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert target == SCHEMA_FILE


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_spec_validates_strictly(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.run(["validate", "--strict", "--format", "parsable", str(path)])
    out = capsys.readouterr().out
    assert (code, out) == (0, "")


def test_examples_and_specs_together_have_unique_keys() -> None:
    result = validate_paths(list(SPEC_DIRS))
    assert result.problems == []
    keys = [obj.key for obj in result.objects]
    assert len(keys) == len(set(keys))


# Bounds and names: what the schema refuses so that W&B and wandb-workspaces never have to.


def _integer_schemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kinds = node.get("type")
        if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds):
            yield where, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _integer_schemas(value, f"{where}/{i}")


def test_every_integer_has_bounds() -> None:
    """JSON Schema counts 1.0e+20 as an integer; wandb-workspaces refuses that float."""
    found = dict(_integer_schemas(SCHEMA))
    assert len(found) >= 13
    for where, sub in found.items():
        assert isinstance(sub.get("minimum"), int), where
        assert isinstance(sub.get("maximum"), int) and sub["maximum"] <= 10_000, where


def test_whole_floats_count_as_integers(tmp_path: Path) -> None:
    """5.0 is accepted where a whole number is expected (as JSON Schema, editors and
    wandb-workspaces do) and becomes 5, so that it reads '5' wherever reportgen writes it."""
    spec = tmp_path / "floats.yaml"
    spec.write_text(
        "leaderboard: {key: k, title: t, project: p, metrics: [accuracy max],\n"
        "  curves: {y: loss, top: 3.0, smoothing: 0.5}}\n",
        encoding="utf-8",
    )
    instances: list[Any] = []
    result = validate_paths([spec], on_instance=lambda _path, i, _index: instances.append(i))
    assert result.problems == []
    curves = instances[0].data["leaderboard"]["curves"]
    assert (type(curves["top"]), curves["top"]) == (int, 3)
    assert (type(curves["smoothing"]), curves["smoothing"]) == (float, 0.5)


NAME_SCHEMA = Draft202012Validator({**SCHEMA["$defs"]["wandbName"], "$defs": SCHEMA["$defs"]})


@pytest.mark.parametrize(
    "name",
    [
        "my-team",
        "image classification",
        "Ünïcode_名前.v2",
        "${WANDB_ENTITY}",
        "${WANDB_ENTITY:-my-team}",
        "team-${TEAM:-x}-${SUFFIX}",
        "${{ matrix.project | slug }}-runs",
    ],
)
def test_entity_and_project_names_accept_templates(name: str) -> None:
    """Editors see the templates unexpanded: they must not be flagged."""
    assert NAME_SCHEMA.is_valid(name)


@pytest.mark.parametrize(
    "name",
    ["a/b", "a\\b", "run#1", "why?", "50%", "a:b", "${X:-a:b}", "tab\there", "\x7f", "\x9f", ""],
)
def test_entity_and_project_names_refuse_what_wandb_refuses(name: str) -> None:
    assert not NAME_SCHEMA.is_valid(name)


# anyOf / oneOf: the best alternative's error, and how many others failed.


def _problems_of(text: str, tmp_path: Path) -> list[str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return [f"{p.line}:{p.col}: {p.message} ({p.code})" for p in validate_paths([spec]).problems]


def test_any_of_counts_the_other_forms(tmp_path: Path) -> None:
    text = "leaderboard: {key: k, title: t, project: p, metrics: [a max],\n  curves: {y: loss, smoothing: 2}}\n"
    assert _problems_of(text, tmp_path) == [
        "2:32: 2 is out of range: must be less than 1 (1 other form also failed) (RG106)"
    ]


def test_the_count_of_other_forms_is_plural_past_one() -> None:
    """No anyOf of the shipped schema has three forms yet: `_best` on one that has."""
    part = {
        "anyOf": [
            {"type": "integer", "minimum": 10},
            {"type": "array"},
            {"type": "object", "required": ["x"]},
        ]
    }
    loaded = load_text("value: 3\n", "spec.yaml")
    doc = loaded.documents[0]
    error = next(Draft202012Validator({"properties": {"value": part}}).iter_errors(doc.data))
    (problem,) = _best(Instance(doc, doc.data), error)
    assert (problem.line, problem.col, problem.code) == (1, 8, "RG106")
    assert problem.message == "3 is out of range: must be at least 10 (2 other forms also failed)"
