"""`reportgen validate` over the case folders, and the CLI around it.

Cases are data: `tests/cases/valid/` must validate without a single problem (warnings
included), and each case of `tests/cases/invalid/` must report exactly the problems listed
for it in `tests/cases/invalid/expected.yaml`, in output order. A few cases are bytes that
do not belong in a text file (binary, non-UTF-8, oversized, CRLF, BOM): they are written
from `GENERATED_*` below at run time and listed in the same expectations file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from reportgen import cli
from reportgen.commands.validate import validate_paths
from reportgen.problems import Level, Problem
from reportgen.spec.expand import Instance
from reportgen.spec.files import SpecFiles, _walk
from reportgen.spec.load import MAX_FILE_BYTES, load_file
from reportgen.spec.schema import schema

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
VALID = CASES / "valid"
INVALID = CASES / "invalid"
EXPECTED_FILE = INVALID / "expected.yaml"
SPEC_SUFFIXES = (".yaml", ".yml")

_SEED = (REPO / "specs" / "cifar10.yaml").read_bytes()


def _padded(spec: bytes, size: int) -> bytes:
    """A valid spec followed by comment lines, exactly `size` bytes long."""
    line = b"# " + b"x" * 97 + b"\n"
    body = spec + line * ((size - len(spec)) // len(line))
    return body + b"#" * (size - len(body))


GENERATED_VALID: dict[str, bytes] = {
    # A UTF-8 byte order mark is allowed and does not shift columns.
    "generated-bom.yaml": b"\xef\xbb\xbf" + _SEED.replace(b"cifar10", b"bom"),
    # Windows line endings.
    "generated-crlf.yaml": _SEED.replace(b"cifar10", b"crlf").replace(b"\n", b"\r\n"),
    # Exactly at the size limit.
    "generated-size-at-limit.yaml": _padded(_SEED.replace(b"cifar10", b"limit"), MAX_FILE_BYTES),
}

GENERATED_INVALID: dict[str, bytes] = {
    "generated-latin1.yaml": b"# Latin-1.\nworkspace:\n  key: latin1\n  title: Caf\xe9 results\n",
    "generated-bad-byte-after-multibyte.yaml": (
        "workspace:\n  key: k\n  title: ñé".encode() + b"\xff\n"
    ),
    "generated-binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    "generated-nul-in-text.yaml": b"workspace:\n  key: k\n  title: ab\x00cd\n",
    "generated-control-character.yaml": b"workspace:\n  title: a\x1b[31mred\n",
    "generated-utf16.yaml": "workspace: {key: k, title: t, project: p}\n".encode("utf-16"),
    "generated-bom-position.yaml": b"\xef\xbb\xbfworkspace: {key: bom, title: t}\n",
    "generated-crlf-filter.yaml": (
        b"# CRLF line endings.\r\nleaderboard:\r\n  key: crlf\r\n  title: t\r\n  project: p\r\n"
        b'  metrics: [accuracy max]\r\n  filter: \'state == "finished"\r\n'
        b"    and config.lr > 0.1'\r\n"
    ),
    "generated-oversized.yaml": _padded(_SEED, MAX_FILE_BYTES + 1),
    # Positions as editors count lines: U+2028 and U+2029 end a line only for YAML, and
    # U+0085 (NEL) is refused like the other C1 control characters.
    "generated-line-separator-title.yaml": (
        'workspace:\n  key: sep\n  title: "a\u2028b"\n  project: p\n  colums: [x]\n'
    ).encode(),
    "generated-line-separator-filter.yaml": (
        "leaderboard:\n  key: sep\n  title: t\n  project: p\n  metrics: [accuracy max]\n"
        '  filter: "config.a == \\"x\u2028y\\" and config.b > 1"\n'
    ).encode(),
    "generated-paragraph-separator-plain.yaml": (
        "workspace:\n  key: sep\n  title: a\u2029b\n  project: p\n"
    ).encode(),
    "generated-line-separator-comment.yaml": "# a\u2028b\nworkspace:\n  key: k\n".encode(),
    "generated-nel.yaml": "workspace:\n  key: nel\n  title: a\x85b\n".encode(),
    # A file name holding CR and LF (GitHub annotations escape them: see below).
    "generated-name-with\r\nbreaks.yaml": b"workspace: {key: k, title: t}\n",
}


def _load_expected() -> dict[str, Any]:
    loaded = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


EXPECTED = _load_expected()


def _committed(folder: Path) -> list[str]:
    """Case names in a folder: spec files and directories, hidden entries and expected.yaml aside."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if not p.name.startswith(".")
        and p != EXPECTED_FILE
        and (p.is_dir() or p.suffix in SPEC_SUFFIXES)
    )


VALID_CASES = _committed(VALID) + sorted(GENERATED_VALID)
INVALID_CASES = _committed(INVALID) + sorted(GENERATED_INVALID)


def _case_path(folder: Path, name: str, generated: dict[str, bytes], tmp_path: Path) -> Path:
    if name in generated:
        path = tmp_path / name
        path.write_bytes(generated[name])
        return path
    return folder / name


def _show(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems) or "(no problems)"


def _relative(problem: Problem, root: Path) -> str:
    return Path(problem.file).resolve().relative_to(root.resolve()).as_posix()


Entry = list[Any] | dict[str, Any]


def _position(entry: Entry) -> list[Any]:
    """[line, col, code] of an entry: `[line, col, code(, text)]` or `{at: [...], message}`."""
    return list(entry["at"]) if isinstance(entry, dict) else list(entry[:3])


def _assert_matches(problems: list[Problem], expected: list[Entry], where: str) -> None:
    got = [[p.line, p.col, p.code] for p in problems]
    want = [_position(e) for e in expected]
    assert got == want, f"{where}: expected {want}, got:\n{_show(problems)}"
    for problem, entry in zip(problems, expected, strict=True):
        if isinstance(entry, dict):  # the exact message
            assert problem.message == entry["message"], f"{where}: expected exactly:\n{entry}"
        elif len(entry) > 3:
            assert entry[3] in problem.message, f"{where}: {entry[3]!r} not in:\n{problem}"


# The sweep.


@pytest.mark.parametrize("name", VALID_CASES)
def test_valid_case_has_no_problems(name: str, tmp_path: Path) -> None:
    path = _case_path(VALID, name, GENERATED_VALID, tmp_path)
    result = validate_paths([path])
    assert result.problems == [], _show(result.problems)
    assert result.objects, "a valid case declares at least one object"


@pytest.mark.parametrize("name", INVALID_CASES)
def test_invalid_case_reports_expected_problems(name: str, tmp_path: Path) -> None:
    path = _case_path(INVALID, name, GENERATED_INVALID, tmp_path)
    expected = EXPECTED[name]
    result = validate_paths([path])
    assert result.problems, f"{name}: no problems reported"
    if path.is_dir():
        assert isinstance(expected, dict), f"{name} is a directory: map its files to problems"
        by_file: dict[str, list[Problem]] = {}
        for problem in result.problems:
            by_file.setdefault(_relative(problem, path), []).append(problem)
        assert sorted(by_file) == sorted(expected), _show(result.problems)
        for file, problems in by_file.items():
            _assert_matches(problems, expected[file], f"{name}/{file}")
    else:
        assert isinstance(expected, list), f"{name} is a file: list its problems"
        assert {Path(p.file).resolve() for p in result.problems} == {path.resolve()}
        _assert_matches(result.problems, expected, name)


def test_expectations_and_cases_match_one_to_one() -> None:
    assert sorted(EXPECTED) == sorted(INVALID_CASES)


def test_there_are_enough_invalid_cases() -> None:
    assert len(INVALID_CASES) >= 60
    families = {str(_position(e)[2])[:4] for name in EXPECTED for e in _entries(EXPECTED[name])}
    assert families >= {"RG00", "RG10", "RG20", "RG30", "RG40", "RG50"}


def _entries(expected: list[Entry] | dict[str, list[Entry]]) -> list[Entry]:
    if isinstance(expected, dict):
        return [e for problems in expected.values() for e in problems]
    return expected


def test_every_error_code_has_a_case() -> None:
    codes = {str(_position(e)[2]) for name in EXPECTED for e in _entries(EXPECTED[name])}
    wanted = {f"RG00{i}" for i in range(1, 10)} - {"RG001"}  # RG001: see the CLI tests
    wanted |= {f"RG10{i}" for i in range(1, 9)} | {"RG201"}
    wanted |= {f"RG30{i}" for i in range(1, 10)} | {"RG401"} | {f"RG50{i}" for i in range(1, 5)}
    assert wanted <= codes, sorted(wanted - codes)


def test_problems_are_sorted_and_unique_across_cases(tmp_path: Path) -> None:
    for name, data in GENERATED_INVALID.items():
        (tmp_path / name).write_bytes(data)
    paths = [INVALID / n for n in _committed(INVALID)] + [tmp_path]
    result = validate_paths(paths)
    assert result.problems == sorted(set(result.problems))
    expected_count = sum(len(_entries(e)) for e in EXPECTED.values())
    assert len(result.problems) >= expected_count


# What the valid cases cover: every kind, panel, block and matrix form.


def _valid_instances() -> list[Instance]:
    instances: list[Instance] = []
    result = validate_paths([VALID], on_instance=lambda _path, i, _index: instances.append(i))
    assert result.ok
    return instances


def _panels(data: dict[str, Any]) -> list[dict[str, Any]]:
    panels = [p for s in data.get("workspace", {}).get("sections", []) for p in s.get("panels", [])]
    for block in data.get("report", {}).get("blocks", []):
        panels.extend(block.get("panels", {}).get("panels", []))
    return panels


def test_valid_cases_cover_the_language() -> None:
    instances = _valid_instances()
    defs = schema()["$defs"]
    kinds = {
        kind for i in instances for kind in ("workspace", "report", "leaderboard") if kind in i.data
    }
    assert kinds == {"workspace", "report", "leaderboard"}
    panel_types = {p["type"] for i in instances for p in _panels(i.data)}
    assert panel_types == set(defs["panel"]["properties"]["type"]["enum"])
    blocks = {next(iter(b)) for i in instances for b in i.data.get("report", {}).get("blocks", [])}
    assert blocks == set(defs["block"]["properties"])
    forms = {type(i.doc.data["matrix"]).__name__ for i in instances if "matrix" in i.doc.data}
    assert forms == {"dict", "list"}
    assert any(i.doc.index > 0 for i in instances), "a multi-document file"
    assert any(k.startswith("x-") for i in instances for k in i.doc.data), "x- keys"


# The CLI.


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


PARSABLE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): \[(error|warning)\] .+ \((RG\d{3})\)$"
)


def test_cli_valid_exits_0_and_lists_objects(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "validate", str(VALID / "leaderboard-full.yaml"))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "ok: 3 objects in 1 file"
    assert "full-leaderboard-resnet50" in out


def test_cli_defaults_to_specs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = _run(capsys, "validate", "--strict")
    assert code == 0
    assert "cifar10-resnet50" in out


def test_cli_invalid_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "validate", str(INVALID / "unknown-key-typo.yaml"))
    assert code == 1
    assert "7:3: [error] unknown key 'colums'; did you mean 'columns'? (RG101)" in out


def test_cli_parsable_lines_are_the_problems(capsys: pytest.CaptureFixture[str]) -> None:
    case = INVALID / "filter-run-attributes.yaml"
    code, out, _ = _run(capsys, "validate", "--format", "parsable", str(case))
    assert code == 1
    lines = out.splitlines()
    assert all(PARSABLE.match(line) for line in lines), out
    assert lines == [str(p) for p in validate_paths([case]).problems]
    assert [line.split(":")[1:3] for line in lines][:2] == [["7", "20"], ["9", "39"]]


def test_cli_json_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    case = INVALID / "missing-all.yaml"
    code, out, _ = _run(capsys, "validate", "-f", "json", str(case))
    assert code == 1
    rows = json.loads(out)
    assert [(r["line"], r["col"], r["code"], r["level"]) for r in rows] == [
        (2, 9, "RG102", "error")
    ] * 3
    assert set(rows[0]) == {"file", "line", "col", "level", "code", "message"}
    assert Path(rows[0]["file"]).resolve() == case.resolve()


def test_cli_json_clean_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "validate", "--format", "json", str(VALID / "report-minimal.yaml"))
    assert (code, json.loads(out)) == (0, [])


def test_cli_github_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    case = INVALID / "panel-unknown-type.yaml"
    code, out, _ = _run(capsys, "validate", "--format", "github", str(case))
    assert code == 1
    first = out.splitlines()[0]
    assert re.fullmatch(
        r"::error file=.+panel-unknown-type\.yaml,line=9,col=17,title=RG104::.+", first
    )
    assert "did you mean 'scatter'?" in first


def test_cli_github_is_the_default_in_actions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = _run(capsys, "validate", str(INVALID / "dupkey-nested.yaml"))
    assert code == 1
    assert out.startswith("::error file=")


def test_cli_text_has_a_summary(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    paths = [str(INVALID / "missing-all.yaml"), str(INVALID / "empty-file.yaml")]
    code, out, _ = _run(capsys, "validate", "--format", "text", *paths)
    assert code == 1
    assert out.splitlines()[-1] == "3 errors, 1 warning in 2 files"
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_cli_warnings_fail_only_with_strict(capsys: pytest.CaptureFixture[str]) -> None:
    empty = str(INVALID / "empty-file.yaml")
    assert _run(capsys, "validate", empty)[0] == 0
    assert _run(capsys, "validate", "--strict", empty)[0] == 1
    (problem,) = validate_paths([Path(empty)]).problems
    assert problem.level is Level.WARNING


def test_cli_missing_path_and_empty_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _run(capsys, "validate", "-f", "parsable", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert out.endswith(":1:1: [error] no such file or directory (RG001)\n")
    code, out, _ = _run(capsys, "validate", "-f", "parsable", str(tmp_path))
    assert code == 1
    assert "no spec files (*.yaml, *.yml) found (RG001)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--bogus"],
        ["validate", "--format", "xml", "specs"],
        ["nosuchcommand"],
        ["validate", "-f"],
    ],
)
def test_cli_bad_usage_exits_1_not_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 1
    assert err.strip() and "Traceback" not in err


def test_cli_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "schema")
    assert code == 0
    assert json.loads(out) == json.loads((REPO / "schemas" / "reportgen.schema.json").read_text())


GARBAGE: list[bytes] = [
    b"",
    b"\n\n\n",
    b"---\n...\n---\n",
    b"\xff\xfe\x00",
    b"{{{{",
    b"]",
    b"- - - -",
    b"&a [*a]",
    b"workspace: &w {sections: [*w]}",
    b"? ? ? ?",
    b"!!python/object:os.system []",
    b"%TAG ! tag:evil,2000:\n--- !x 1",
    b"matrix: {a: [1]}\nworkspace: {key: '${{ matrix.a | slug }}${{', title: t, project: p}",
    b"leaderboard: {key: k, title: t, project: p, metrics: ['`'], filter: '((((((('}",
    b"report: {key: k, title: t, project: p, blocks: [{panels: {panels: [{type: 7}]}}]}",
    b"x-a: " + b"[" * 70 + b"]" * 70,
    b"a: " + b"{" * 2000,
]


def test_cli_github_escapes_file_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    odd = tmp_path / "a,b:c%.yaml"
    odd.write_bytes(b"workspace: {key: k, title: t}\n")
    code, out, _ = _run(capsys, "validate", "--format", "github", str(odd))
    assert code == 1
    assert "a%2Cb%3Ac%25.yaml,line=1,col=12,title=RG102::" in out


def test_cli_github_escapes_line_breaks_in_file_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """CR or LF in a file name would end the workflow command and start a line of its own."""
    name = "generated-name-with\r\nbreaks.yaml"
    (tmp_path / name).write_bytes(GENERATED_INVALID[name])
    code, out, _ = _run(capsys, "validate", "--format", "github", str(tmp_path / name))
    assert code == 1
    assert out.count("\n") == len(out.splitlines()) == 1, out
    assert "name-with%0D%0Abreaks.yaml,line=1,col=12,title=RG102::" in out


@pytest.mark.parametrize("fmt", ["parsable", "text"])
def test_cli_text_and_parsable_escape_line_breaks_in_file_names(
    fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One problem, one line, in every format: a CR, LF (or another control character, or
    a Unicode line separator) in a file name is shown escaped, as Python writes it."""
    name = "generated-name-with\r\nbreaks\x1b\u2028.yaml"
    (tmp_path / name).write_bytes(GENERATED_INVALID["generated-name-with\r\nbreaks.yaml"])
    code, out, _ = _run(capsys, "validate", "--format", fmt, str(tmp_path / name))
    shown = f"{tmp_path}/generated-name-with\\r\\nbreaks\\x1b\\u2028.yaml"
    line = f"{shown}:1:12: [error] missing required key 'project' in 'workspace' (RG102)"
    summary = ["1 error, 0 warnings in 1 file"] if fmt == "text" else []
    assert (code, out.splitlines()) == (1, [line, *summary])
    assert out.count("\n") == len(out.splitlines())


def _validate_in_child(*paths: str, timeout: float = 60) -> list[str]:
    """`validate -f parsable PATHS` in a child process, so that a hang fails the test."""
    script = (
        "import sys; from reportgen.cli import run; "
        "raise SystemExit(run(['validate', '-f', 'parsable', *sys.argv[1:]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *paths],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_not_read() -> None:
    """/dev/zero reports size 0 and never ends: it is refused before it is opened."""
    assert _validate_in_child("/dev/zero") == [
        "/dev/zero:1:1: [error] not a regular file (a character device) (RG001)"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    """Opening a named pipe blocks until a writer comes: given or met in a walk, it is an
    error (RG001) at once."""
    given = tmp_path / "given.yaml"
    os.mkfifo(given)
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "ok.yaml").write_bytes(_SEED)
    os.mkfifo(folder / "pipe.yaml")
    os.mkfifo(folder / "pipe.txt")  # not a spec name: never looked at
    lines = _validate_in_child(str(given), str(folder), timeout=30)
    assert lines == [
        f"{given}:1:1: [error] not a regular file (a named pipe) (RG001)",
        f"{folder / 'pipe.yaml'}:1:1: [error] not a regular file (a named pipe) (RG001)",
    ]


def test_a_fifo_swapped_in_is_refused_by_the_loader(tmp_path: Path) -> None:
    """load_file itself never blocks: it opens without waiting and refuses what is not a file."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes")
    fifo = tmp_path / "late.yaml"
    os.mkfifo(fifo)
    result = load_file(fifo, "late.yaml")
    assert [str(p) for p in result.problems] == [
        "late.yaml:1:1: [error] not a regular file (a named pipe) (RG001)"
    ]
    assert [str(p) for p in load_file(tmp_path, "dir").problems] == [
        "dir:1:1: [error] is a directory (RG001)"
    ]


def test_an_empty_path_is_an_error_not_the_current_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(VALID)
    result = validate_paths([""])
    assert [str(p) for p in result.problems] == [
        "'':1:1: [error] empty path: name a file or directory (RG001)"
    ]
    assert result.files == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX symbolic links")
def test_symbolic_links_given_and_met_in_a_walk(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    folder = tmp_path / "specs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yaml").write_bytes(_SEED)
    (folder / "dangling.yaml").symlink_to("gone.yaml")
    (folder / "dangling.txt").symlink_to("gone.txt")  # not a spec name: ignored
    (folder / "sub" / "up").symlink_to("..")  # a loop through a directory: walked once
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "b.yml").write_bytes(_SEED.replace(b"cifar10", b"linked"))
    (folder / "sub" / "linked").symlink_to(other)  # followed, like any directory
    result = validate_paths([tmp_path / "loop.yaml", folder])
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'loop.yaml'}:1:1: [error] symbolic link loop (a link that leads back to itself) (RG001)",
        f"{folder / 'dangling.yaml'}:1:1: [error] dangling symbolic link: its target 'gone.yaml' does not exist (RG001)",
    ]
    assert result.files == [str(folder / "a.yaml"), str(folder / "sub" / "linked" / "b.yml")]


def test_suffixes_match_whatever_their_case(tmp_path: Path) -> None:
    (tmp_path / "A.YAML").write_bytes(_SEED)
    (tmp_path / "B.Yml").write_bytes(_SEED.replace(b"cifar10", b"upper"))
    (tmp_path / "c.yaml.bak").write_bytes(b"[")
    (tmp_path / ".hidden.YAML").write_bytes(b"[")
    result = validate_paths([tmp_path])
    assert result.problems == []
    assert [Path(f).name for f in result.files] == ["A.YAML", "B.Yml"]


def test_the_walker_reports_a_directory_it_cannot_list(tmp_path: Path) -> None:
    """os.walk's onerror: whatever stops a listing is an error, never a silent skip. Here
    the walker is pointed at a file, which fails the way an unreadable folder does."""
    file = tmp_path / "file.yaml"
    file.write_bytes(_SEED)
    found = SpecFiles()
    _walk(file, found)
    assert found.files == []
    assert found.problems == [
        (str(file), "cannot list this directory: not a directory (a part of the path is a file)")
    ]


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "geteuid"), reason="POSIX")
def test_an_unreadable_folder_fails_validation(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Path.rglob skipped a folder it could not list, so `apply --prune` would have deleted
    the views of specs it never saw. Root reads everything: as root, the check runs in a
    child that has become `nobody` (after importing reportgen), in a folder it can reach."""
    base = Path(tempfile.mkdtemp(prefix="reportgen-perm-"))
    locked = base / "locked"
    try:
        base.chmod(0o755)
        (base / "ok").mkdir(mode=0o755)
        (base / "ok" / "a.yaml").write_bytes(_SEED)
        locked.mkdir()
        (locked / "b.yaml").write_bytes(_SEED.replace(b"cifar10", b"locked"))
        locked.chmod(0)
        drop = "os.setgid(65534); os.setuid(65534); " if os.geteuid() == 0 else ""
        script = (
            "import os, sys; from reportgen.commands.validate import validate_paths; "
            "from reportgen.spec.schema import validator; validator(); "
            f"{drop}"
            "result = validate_paths([sys.argv[1]]); "
            "print('\\n'.join(str(p) for p in result.problems)); print(result.files)"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(base)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"{locked}:1:1: [error] cannot list this directory: permission denied (RG001)",
            str([str(base / "ok" / "a.yaml")]),
        ]
    finally:
        if locked.exists():
            locked.chmod(0o755)
        shutil.rmtree(base)


def test_cli_never_shows_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name, data in {**GENERATED_INVALID, **GENERATED_VALID}.items():
        (tmp_path / name).write_bytes(data)
    for i, data in enumerate(GARBAGE):
        (tmp_path / f"garbage-{i}.yaml").write_bytes(data)
    for fmt in ("text", "parsable", "github", "json"):
        code, out, err = _run(
            capsys, "validate", "-f", fmt, str(INVALID), str(VALID), str(tmp_path)
        )
        assert code == 1
        assert err == "", err
        assert "Traceback" not in out


def test_cli_accepts_non_utf8_file_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    name = os.fsdecode(b"caf\xe9.yaml") if sys.platform != "win32" else "caf\u00e9.yaml"
    (tmp_path / name).write_bytes(b"workspace: {key: k}\n")
    code, out, err = _run(capsys, "validate", "-f", "json", str(tmp_path))
    assert code == 1
    assert err == ""
    assert [r["code"] for r in json.loads(out)] == ["RG102", "RG102"]


def test_validate_does_not_import_wandb() -> None:
    """Start-up time: validate must not pull in wandb or wandb-workspaces."""
    spec = REPO / "specs" / "cifar10.yaml"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reportgen", "validate", str(spec)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "reportgen.commands.validate" in imported, (
        "the -X importtime listing is not what we think"
    )
    heavy = sorted(m for m in imported if m.split(".")[0] in ("wandb", "wandb_workspaces"))
    assert heavy == []


def test_each_file_is_released_once_checked(tmp_path: Path) -> None:
    """Constant memory per file: while a file is validated, no earlier file's document is
    still alive; only keys and positions outlive a file (for the cross-file checks)."""
    import gc
    import weakref

    for i in range(4):
        (tmp_path / f"s{i}.yaml").write_text(
            f"workspace: {{key: k{i}, title: t, project: p}}\n", encoding="utf-8"
        )
    documents: list[weakref.ref[Any]] = []
    alive_when_seen: list[int] = []

    def seen(_path: Path, instance: Instance, _index: int) -> None:
        gc.collect()
        alive_when_seen.append(sum(ref() is not None for ref in documents))
        documents.append(weakref.ref(instance.doc))

    result = validate_paths([tmp_path], on_instance=seen)
    gc.collect()
    assert [o.key for o in result.objects] == ["k0", "k1", "k2", "k3"]
    assert alive_when_seen == [0, 0, 0, 0]
    assert all(ref() is None for ref in documents)
