"""Property tests: whatever the input, validation answers with placed problems, never raises.

Inputs: random text and bytes, YAML token soup, deep nesting, random JSON-like structures
dumped to YAML, structural and textual mutations of the valid cases. Invariants: no
exception; every problem at a real position (line >= 1, col >= 1, inside the file); problems
sorted; the same answer twice. The filter parser raises nothing but FilterError, and parses
back what a generated expression says.

Through the whole offline pipeline (`build_views`: validate, parse, compile with
wandb-workspaces), mutated valid cases either build or fail with problems: never another
exception, and never a value that validation passed and wandb-workspaces then refused.

About 3,600 examples per run (each test sets max_examples), derandomized so that CI runs
are reproducible; see SCALE for a deeper search.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reportgen.commands.build import build_views
from reportgen.commands.validate import validate_paths
from reportgen.problems import Problem, ReportgenError
from reportgen.spec.filters import (
    MAX_PARENTHESES,
    BoolOp,
    Compare,
    FilterError,
    Node,
    parse_filter,
    walk,
)
from reportgen.spec.load import MAX_FILE_BYTES
from reportgen.spec.refs import RUN_ATTRIBUTES, RUN_STATES, Ref, Section

VALID = Path(__file__).resolve().parent / "cases" / "valid"
VALID_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(VALID.iterdir()) if p.is_file()]
VALID_DATA = [d for t in VALID_TEXTS for d in yaml.safe_load_all(t) if isinstance(d, dict)]
BREAKS = re.compile("\r\n|[\r\n]")  # lines as editors count them (not U+0085, U+2028, U+2029)
CODE = re.compile(r"RG\d{3}")


# REPORTGEN_PROPERTY_SCALE=20 runs 20 times as many examples, with fresh randomness, for a
# deeper search than CI's fixed (derandomized) sample.
SCALE = int(os.environ.get("REPORTGEN_PROPERTY_SCALE", "1"))


def _settings(n: int) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props") / "spec.yaml"


def _validate(path: Path, data: bytes) -> list[Problem]:
    """Validate `data` as a spec file twice; check the invariants; return the problems."""
    path.write_bytes(data)
    problems = validate_paths([path]).problems
    assert validate_paths([path]).problems == problems, "validation is not deterministic"
    assert problems == sorted(problems)
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = BREAKS.split(text)
    for p in problems:
        assert CODE.fullmatch(p.code), p
        assert p.line >= 1 and p.col >= 1, p
        if p.code != "RG003":
            assert p.line <= len(lines), (p, len(lines))
            assert p.col <= len(lines[p.line - 1]) + 1, (p, lines[p.line - 1])
    return problems


# Random and hostile input.

YAML_TOKENS = [
    *("workspace:", "report:", "leaderboard:", "matrix:", "key:", "title:", "project:"),
    *("metrics:", "filter:", "sections:", "panels:", "blocks:", "type: line", "y: loss"),
    *("- ", ": ", "? ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a"),
    *("!!python/object:os.system ", "!!binary ", "!!set ", "!foo ", "!!str ", "!!int "),
    *(
        "|",
        "|-",
        ">",
        ">+",
        "|2",
        "'",
        "''",
        '"',
        '\\"',
        "\\",
        "#",
        " #c",
        "---",
        "...",
        "%YAML 1.1",
    ),
    *("\n", "\n  ", "\n    ", "\r\n", "\t", "  ", " ", "\ufeff", "\x85", "\u2028", "\x00", "\x1b"),
    *("${{ matrix.x }}", "${{", "}}", "${HOME}", "${", "x-a", "config.lr", "summary.`a b`"),
    *('state == "finished"', " and ", " or ", "(", ")", " < ", " == ", "tags contains", "7d"),
    *("yes", "no", "on", "~", "null", "1e3", "0x1f", ".inf", "-.5", "2024-01-01", "é", "😀"),
]


@_settings(300)
@given(st.text(max_size=300))
def test_random_text(spec_file: Path, text: str) -> None:
    _validate(spec_file, text.encode("utf-8", "surrogatepass"))


@_settings(200)
@given(st.binary(max_size=300))
def test_random_bytes(spec_file: Path, data: bytes) -> None:
    _validate(spec_file, data)


@_settings(400)
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=60))
def test_yaml_token_soup(spec_file: Path, tokens: list[str]) -> None:
    _validate(spec_file, "".join(tokens).encode("utf-8", "surrogatepass"))


@_settings(80)
@given(
    st.integers(min_value=1, max_value=1100),
    st.sampled_from(["[", "{a: ", "- ", "a:\n"]),
    st.booleans(),
)
def test_deep_nesting(spec_file: Path, depth: int, opener: str, closed: bool) -> None:
    closer = {"[": "]", "{a: ": "}"}.get(opener, "")
    if opener == "a:\n":
        text = "".join(" " * i + f"k{i}:\n" for i in range(depth))
    elif opener == "- ":
        text = "".join(" " * (2 * i) + "-\n" for i in range(depth))
    else:
        text = "x-deep: " + opener * depth + "1" + (closer * depth if closed else "")
    problems = _validate(spec_file, text.encode())
    if depth > 64:
        assert any(p.code in ("RG003", "RG004", "RG006") for p in problems)


# Random structures, dumped to YAML.

KEYS = st.sampled_from(
    [
        "workspace",
        "report",
        "leaderboard",
        "matrix",
        "key",
        "title",
        "project",
        "entity",
        "metrics",
        "filter",
        "runset",
        "columns",
        "sort",
        "sections",
        "panels",
        "blocks",
        "type",
        "x",
        "y",
        "name",
        "curves",
        "variants",
        "publish",
        "x-any",
        "h1",
        "p",
        "hr",
        "list",
    ]
) | st.text(min_size=1, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["accuracy max", "run.name desc", "config.x == 1", "line", "${{ matrix.x }}"])
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def _dump(value: Any, flow: bool | None) -> bytes:
    return yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True).encode("utf-8")


@_settings(300)
@given(JSON_LIKE, st.sampled_from([None, True, False]))
def test_json_like_structures(spec_file: Path, value: Any, flow: bool | None) -> None:
    _validate(spec_file, _dump(value, flow))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*path, i))
    return found


def _mutate(data: Any, path: tuple[Any, ...], how: str, new: Any) -> Any:
    if not path:
        return new if how != "delete" else {}
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = new
    elif how == "add" and isinstance(parent[last], dict):
        parent[last]["added_" + str(len(parent[last]))] = new
    elif how == "add" and isinstance(parent[last], list):
        parent[last].append(new)
    elif how == "stringify":
        parent[last] = json.dumps(parent[last])
    return data


@_settings(400)
@given(st.data())
def test_mutated_valid_cases(spec_file: Path, data: st.DataObject) -> None:
    doc = json.loads(json.dumps(data.draw(st.sampled_from(VALID_DATA))))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        how = data.draw(st.sampled_from(["delete", "replace", "add", "stringify"]))
        doc = _mutate(doc, path, how, data.draw(JSON_LIKE))
    _validate(spec_file, _dump(doc, data.draw(st.sampled_from([None, True, False]))))


@_settings(400)
@given(st.data())
def test_edited_valid_texts(spec_file: Path, data: st.DataObject) -> None:
    lines = data.draw(st.sampled_from(VALID_TEXTS)).split("\n")
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = data.draw(st.sampled_from(["indent", "dedent", "delete", "insert", "char"]))
        if edit == "indent":
            lines[i] = " " * data.draw(st.integers(1, 4)) + lines[i]
        elif edit == "dedent":
            lines[i] = lines[i][data.draw(st.integers(1, 4)) :]
        elif edit == "delete":
            del lines[i]
            lines = lines or [""]
        elif edit == "insert":
            lines.insert(i, data.draw(st.sampled_from(YAML_TOKENS)))
        else:
            j = data.draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:j] + data.draw(st.sampled_from(YAML_TOKENS)) + lines[i][j + 1 :]
    _validate(spec_file, "\n".join(lines).encode("utf-8", "surrogatepass"))


# The whole offline pipeline: validate, parse, compile through wandb-workspaces.

BUILD_ENVIRON = {"WANDB_ENTITY": "e", "WANDB_PROJECT": "p"}
# The library's own refusal of a value (build.py turns its ValidationError into RG310):
# validation should have said so first, at the value.
LIBRARY_REFUSED = "RG310"

WHOLE_NUMBERS = st.sampled_from(
    [
        *(0, 1, 2, 5, 5.0, 23, 24, 100, 101, 1000, 1001, 10000, 10001, -1, 7.5),
        *(1.0e18, 1.0e20, 10**20, 2**63, True),
    ]
)
NUMBERS_TO_TRY = st.sampled_from([0.0, 0.5, 0.999, 1.0, 5.0, 3, 1e-320, 1.0e20, 1e308, -1e308])
TRICKY_TEXT = st.sampled_from(
    [
        *("😀", "🚀 ", "a+b", "$", "≥", "^", "`", "|", "~", "=", "<", "·", "é", "ß", "中"),
        *("/", "\\", "#", "?", "%", ":", " ", "\t", "\u2028", "\x85", "\u200b", "\ufeff"),
        *("'", '"', "()", "[]", "{}", "x" * 130, "run.", "config.", "summary.", " and ", " or "),
        *("${HOME}", "${WANDB_API_KEY}", "${X:-y}", "${{ matrix.x }}", "-", "_", ".", "0"),
    ]
) | st.text(st.characters(blacklist_categories=["Cs"]), max_size=4)


def _same_kind(value: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """A value of the same kind that W&B or wandb-workspaces may still refuse."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return draw(WHOLE_NUMBERS)
    if isinstance(value, float):
        return draw(NUMBERS_TO_TRY | WHOLE_NUMBERS)
    if isinstance(value, str):
        extra = draw(TRICKY_TEXT)
        how = draw(st.sampled_from(["append", "prepend", "insert", "replace"]))
        if how == "insert" and value:
            at = draw(st.integers(0, len(value)))
            return value[:at] + extra + value[at:]
        return {"append": value + extra, "prepend": extra + value}.get(how, extra)
    if isinstance(value, list) and value:
        how = draw(st.sampled_from(["repeat", "drop", "reverse"]))
        i = draw(st.integers(0, len(value) - 1))
        if how == "repeat":
            return [*value, value[i]]
        if how == "drop":
            return value[:i] + value[i + 1 :]
        return value[::-1]
    return value


@pytest.fixture(scope="module")
def build_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build") / "spec.yaml"


@_settings(600)
@given(st.data())
def test_mutated_valid_cases_build_or_fail_with_problems(
    build_file: Path, data: st.DataObject
) -> None:
    doc = json.loads(json.dumps(data.draw(st.sampled_from(VALID_DATA))))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(doc)[1:] or [()]))
        if not path:
            break
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and data.draw(st.integers(0, 9)) == 0:
            del parent[path[-1]]
        else:
            parent[path[-1]] = _same_kind(parent[path[-1]], data.draw)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    build_file.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        build_views([build_file], environ=BUILD_ENVIRON)
        event("built")
    except ReportgenError as exc:
        event(f"refused: {min(p.code for p in exc.problems) if exc.problems else 'no problems'}")
        refused = [str(p) for p in exc.problems if p.code == LIBRARY_REFUSED]
        assert not refused, "validation passed what wandb-workspaces refuses:\n" + "\n".join(
            [*refused, text]
        )


def test_oversized_is_refused_before_parsing(spec_file: Path) -> None:
    problems = _validate(spec_file, b"[" * (MAX_FILE_BYTES + 1))
    assert [(p.line, p.col, p.code) for p in problems] == [(1, 1, "RG003")]


# The filter parser.

FILTER_TOKENS = [
    *("config.", "summary.", "run.", "lr", "acc", "`a b`", "`", ".", "state", "tags", "name"),
    *("created_at", "notes", "group", " == ", " != ", " <= ", " >= ", " < ", " > ", " = ", "!"),
    *(" in ", " not in ", " contains ", " within ", " and ", " or ", " AND ", " not ", "("),
    *(")", "[", "]", ", ", '"x"', "'y'", '"', "'", "\\", '"\\u00e9"', '"\\ud800"', "1", "-2.5e3"),
    *("1e999", "9" * 30, "7d", "0s", "12h", "true", "NULL", "finished", '"finished"', " ", "\n"),
]


def _check_filter(text: str) -> None:
    try:
        tree = parse_filter(text)
    except FilterError as exc:
        assert 0 <= exc.offset <= len(text), (exc.offset, text)
        return
    for comparison in walk(tree):
        assert 0 <= comparison.start < comparison.end <= len(text)


@_settings(300)
@given(st.text(max_size=80))
def test_filter_random_text_raises_only_filter_error(text: str) -> None:
    _check_filter(text)


@_settings(300)
@given(st.lists(st.sampled_from(FILTER_TOKENS), max_size=14))
def test_filter_token_soup_raises_only_filter_error(tokens: list[str]) -> None:
    _check_filter("".join(tokens))


@pytest.mark.parametrize("depth", [1, MAX_PARENTHESES, MAX_PARENTHESES + 1, 400, 100_000])
def test_filter_parentheses_are_bounded(depth: int) -> None:
    """The parser recurses once per parenthesis: past the limit, a FilterError at the
    first parenthesis too many, not a RecursionError."""
    text = "(" * depth + "config.a == 1" + ")" * depth
    if depth <= MAX_PARENTHESES:
        assert isinstance(parse_filter(text), Compare)
        return
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.offset == MAX_PARENTHESES
    assert "nested deeper than" in caught.value.message


# Generated valid expressions: a tree, rendered with random spacing, case and quoting,
# parses back to the same tree.

SEGMENT = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"], blacklist_characters="`"
    ),
    min_size=1,
    max_size=8,
)
PLAIN = re.compile(r"[^\s.`\"'()\[\],=!<>]+")


def _segment_text(segment: str) -> str:
    return segment if PLAIN.fullmatch(segment) else f"`{segment}`"


@st.composite
def data_refs(draw: st.DrawFn) -> tuple[Ref, str]:
    section = draw(st.sampled_from([Section.CONFIG, Section.SUMMARY]))
    segments = draw(st.lists(SEGMENT, min_size=1, max_size=3))
    text = ".".join(_segment_text(s) for s in segments)
    bare = len(segments) == 1 and section is Section.SUMMARY and PLAIN.fullmatch(segments[0])
    reserved = {*RUN_ATTRIBUTES, "config", "summary", "run"}
    usable = bare and segments[0] not in reserved and segments[0].lower() != "not"
    if usable and draw(st.booleans()):
        return Ref(section, segments[0]), text
    return Ref(section, ".".join(segments)), f"{section.value}.{text}"


# No lone surrogates (not Unicode) and no NUL (W&B cannot store it: an error, RG201).
STRINGS = st.text(max_size=10).filter(
    lambda s: "\x00" not in s and not any(0xD800 <= ord(c) < 0xE000 for c in s)
)
NUMBERS = st.integers(min_value=-(10**12), max_value=10**12) | st.floats(
    allow_nan=False, allow_infinity=False, width=64
)
VALUES = st.none() | st.booleans() | NUMBERS | STRINGS


def _value_text(value: Any, draw: st.DrawFn) -> str:
    if value is None or isinstance(value, bool):
        word = json.dumps(value)
        return draw(st.sampled_from([word, word.upper(), word.capitalize()]))
    if isinstance(value, str):
        if draw(st.booleans()) and "'" not in value and "\\" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    return repr(value)


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[Compare, str]:
    kind = draw(st.sampled_from(["data", "data-list", "state", "tags", "created", "run"]))
    op_text: str
    if kind in ("data", "data-list"):
        ref, ref_text = draw(data_refs())
    elif kind == "run":
        name = draw(
            st.sampled_from(["name", "id", "group", "job_type", "user", "host", "sweep", "runtime"])
        )
        ref, ref_text = Ref(Section.RUN, name), draw(st.sampled_from([name, f"run.{name}"]))
    else:
        name = {"state": "state", "tags": "tags", "created": "created_at"}[kind]
        ref, ref_text = Ref(Section.RUN, name), draw(st.sampled_from([name, f"run.{name}"]))
    value: Any
    if kind in ("data", "run"):
        op = draw(st.sampled_from(["==", "!=", "<=", ">="]))
        # '<=' and '>=' against null or a boolean match no run: an error (RG201).
        value = draw(VALUES if op in ("==", "!=") else NUMBERS | STRINGS)
        value_text, op_text = _value_text(value, draw), op
    elif kind == "state":
        op = draw(st.sampled_from(["==", "!=", "in", "not in"]))
        if op in ("in", "not in"):
            value = tuple(draw(st.lists(st.sampled_from(RUN_STATES), min_size=1, max_size=3)))
            value_text = "[" + ", ".join(_value_text(v, draw) for v in value) + "]"
        else:
            value = draw(st.sampled_from(RUN_STATES))
            value_text = _value_text(value, draw)
        op_text = op
    elif kind == "tags":
        op, value = "contains", draw(STRINGS)
        value_text, op_text = (
            _value_text(value, draw),
            draw(st.sampled_from(["contains", "CONTAINS"])),
        )
    elif kind == "created":
        unit, seconds = draw(
            st.sampled_from([("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)])
        )
        amount = draw(st.integers(min_value=1, max_value=1000))
        op, value, op_text = "within", amount * seconds, "within"
        value_text = f"{amount}{unit}"
    else:  # data-list
        op = draw(st.sampled_from(["in", "not in"]))
        value = tuple(draw(st.lists(VALUES, min_size=1, max_size=4)))  # 'in []': an error
        comma = "," if draw(st.booleans()) else ""
        value_text = "[" + ", ".join(_value_text(v, draw) for v in value) + comma + "]"
        op_text = op if draw(st.booleans()) else op.upper()
    space = st.sampled_from([" ", "  ", "\t", "\n "])
    symbol = op_text in ("==", "!=", "<=", ">=")
    before = "" if symbol and draw(st.booleans()) else draw(space)
    after = "" if symbol and draw(st.booleans()) else draw(space)
    return Compare(ref, op, value, 0, 0), f"{ref_text}{before}{op_text}{after}{value_text}"


def _trees() -> st.SearchStrategy[tuple[Node, str]]:
    return st.recursive(
        comparisons(),
        lambda inner: st.tuples(
            st.sampled_from(["and", "or"]),
            st.lists(inner, min_size=2, max_size=3),
            st.sampled_from(["lower", "upper"]),
        ).map(_combine),
        max_leaves=6,
    )


def _combine(args: tuple[str, list[tuple[Node, str]], str]) -> tuple[Node, str]:
    op, items, case = args
    word = f" {op if case == 'lower' else op.upper()} "
    parts = [f"({text})" if isinstance(node, BoolOp) else text for node, text in items]
    return BoolOp(op, tuple(node for node, _ in items)), word.join(parts)


def _shape(node: Node) -> Any:
    """The tree without text positions; floats compared by their JSON text."""
    if isinstance(node, BoolOp):
        return (node.op, [_shape(item) for item in node.items])
    value = node.value
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, tuple):
        value = tuple(repr(v) if isinstance(v, float) else v for v in value)
    return (node.ref, node.op, value, type(node.value).__name__)


@_settings(400)
@given(_trees())
def test_filter_round_trip(tree_and_text: tuple[Node, str]) -> None:
    tree, text = tree_and_text
    parsed = parse_filter(text)
    assert _shape(parsed) == _shape(tree), text
    for comparison in walk(parsed):
        alone = parse_filter(text[comparison.start : comparison.end])
        assert _shape(alone) == _shape(comparison)
