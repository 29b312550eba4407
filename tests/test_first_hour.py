"""Issue 13, the first hour of a new user: one test (or more) per item, exact messages.

1. a leaderboard inside a report; 2. no silent column typos; 3. one flag vocabulary;
4. errors that say how to fix; 6. help with examples; 7. apply's lines in spec order.
Item 5 (quick start leaves `reportgen` on the PATH) is `tests/test_transcript.py`.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reportgen import cli
from reportgen.commands.build import build_views
from reportgen.commands.validate import validate_paths
from reportgen.problems import Level
from reportgen.sandbox import Sandbox
from reportgen.sandbox.faults import Fault

REPO = Path(__file__).resolve().parents[1]
INVALID = REPO / "tests" / "cases" / "invalid"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# 1. A leaderboard inside a report.

EMBEDDING = """\
report:
  key: cifar10-notes
  title: CIFAR-10 notes
  entity: ${WANDB_ENTITY}
  project: PROJECT
  blocks:
    - p: Every CIFAR-10 run, best accuracy first.
    - leaderboard: cifar10
    - p: ResNet50 only.
    - leaderboard: cifar10-resnet50
"""


def grids(document: dict[str, Any]) -> list[str]:
    """The panel grids of a built report, as JSON with the grid's position taken out."""
    blocks = document["spec"]["blocks"]
    found = [b for b in blocks if b.get("type") == "panel-grid"]
    return [re.sub(r"<grid:\d+:", "<grid:N:", json.dumps(b, sort_keys=True)) for b in found]


def built(paths: list[Path]) -> dict[str, dict[str, Any]]:
    views = build_views(paths, environ={"WANDB_ENTITY": "team"})
    return {f"{v.key}.{v.kind}": v.document() for v in views}


def test_leaderboard_block_is_the_leaderboards_own_table_and_curves(
    specs: Path, tmp_path: Path
) -> None:
    """The embedded grid is exactly the grid of the leaderboard's own report (and the
    variant's): same filter, ranking, pinned columns and curves, compiled once."""
    (specs / "notes.yaml").write_text(
        EMBEDDING.replace("PROJECT", "image-classification-leaderboard")
    )
    docs = built([specs])
    notes = grids(docs["cifar10-notes.report"])
    own = grids(docs["cifar10.report"]) + grids(docs["cifar10-resnet50.report"])
    assert notes == own and len(notes) == 2
    paragraphs = [
        b["children"][0]["text"]
        for b in docs["cifar10-notes.report"]["spec"]["blocks"]
        if b.get("type") == "paragraph" and b["children"][0]["text"]
    ]
    # The leaderboard's description is not repeated: the report has its own words.
    assert paragraphs == ["Every CIFAR-10 run, best accuracy first.", "ResNet50 only."]


def test_leaderboard_block_keeps_the_leaderboards_project(specs: Path) -> None:
    (specs / "notes.yaml").write_text(EMBEDDING.replace("PROJECT", "weekly-notes"))
    docs = built([specs])
    report = docs["cifar10-notes.report"]
    assert report["project"] == "weekly-notes"
    for grid in report["spec"]["blocks"]:
        if grid.get("type") == "panel-grid":
            (runset,) = grid["metadata"]["runSets"]
            assert runset["project"] == {
                "entityName": "team",
                "name": "image-classification-leaderboard",
            }


def test_variant_description_and_where_a_description_appears(tmp_path: Path) -> None:
    spec = tmp_path / "board.yaml"
    spec.write_text(
        "leaderboard:\n  key: board\n  title: Board\n  description: All runs.\n  project: p\n"
        "  metrics: [accuracy max]\n  variants:\n"
        "    - {key: board-small, filter: config.size == 'small', description: Small only.}\n"
        "    - {key: board-large, filter: config.size == 'large'}\n"
    )
    docs = built([spec])
    for key, description in [
        ("board", "All runs."),
        ("board-small", "Small only."),
        ("board-large", "All runs."),
    ]:
        assert docs[f"{key}.workspace"]["description"] == description
        report = docs[f"{key}.report"]
        assert report["description"] == description
        texts = [
            b["children"][0]["text"]
            for b in report["spec"]["blocks"]
            if b["type"] == "paragraph" and b["children"][0]["text"]
        ]
        assert texts[0] == description  # the first paragraph, before the ranking sentence
        assert texts[1].startswith("Ranked by accuracy")


# 2. No silent column typos.

TYPO = (
    "leaderboard:\n  key: typo\n  title: t\n  project: p\n  metrics: [accuracy max]\n"
    "  columns: [cfg.learning_rate, summary.cfg.learning_rate]\n"
)
TYPO_WARNING = (
    "{file}:6:13: [warning] 'cfg.learning_rate' is read as the summary metric "
    "'cfg.learning_rate'; did you mean 'config.learning_rate'? (to mean that summary metric, "
    "write 'summary.cfg.learning_rate') (RG312)\n"
)


def test_a_prefix_typo_warns_and_fails_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text(TYPO)
    warning = TYPO_WARNING.format(file=spec)
    error = warning.replace("[warning]", "[error]")  # --strict: reported as an error
    assert run(capsys, "validate", "-f", "parsable", str(spec)) == (0, warning, "")
    assert run(capsys, "validate", "-f", "parsable", "--strict", str(spec)) == (1, error, "")
    (problem,) = validate_paths([spec]).problems
    assert problem.level is Level.WARNING
    # build (and plan and apply) say it on stderr and go on; with --strict they stop.
    monkeypatch.setenv("WANDB_ENTITY", "team")
    code, _, err = run(capsys, "build", str(spec), "-o", str(tmp_path / "out"))
    assert (code, err) == (0, warning)
    built = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert built == ["typo.report.json", "typo.workspace.json"]  # a warning drops nothing
    code, out, err = run(capsys, "build", "--strict", str(spec), "-o", str(tmp_path / "strict"))
    assert (code, out, err) == (1, "", error)
    assert not (tmp_path / "strict").exists()


# 3. One flag vocabulary: -f/--format is a format, -o/--output a path.


def test_build_output_is_a_directory_and_out_is_deprecated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_ENTITY", "team")
    monkeypatch.chdir(tmp_path)
    spec = str(REPO / "specs")
    code, out, err = run(capsys, "build", spec, "--output", "long")
    assert (code, err) == (0, "") and sorted(p.name for p in Path("long").iterdir()) == sorted(
        Path(line).name for line in out.splitlines()
    )
    code, _, err = run(capsys, "build", spec, "--out", "old")
    assert (code, err) == (
        0,
        "reportgen build: warning: --out is deprecated: use -o/--output DIR\n",
    )
    assert len(list(Path("old").iterdir())) == 4
    code, _, err = run(capsys, "build", spec, "-o", "json")
    assert code == 0 and Path("json").is_dir()
    assert err == (
        "reportgen build: warning: -o/--output json writes the directory 'json'; -f/--format "
        "chooses a format (write -o ./json to mean the directory without this warning)\n"
    )
    assert run(capsys, "build", spec, "-o", "./json")[2] == ""


def test_plan_format_and_output(
    sb: Sandbox, specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "plan", str(specs), "-f", "json")
    assert (code, err) == (0, "") and json.loads(out)["summary"]["create"] == 4
    target = tmp_path / "plan.md"
    code, out, err = run(capsys, "plan", str(specs), "--format", "markdown", "-o", str(target))
    assert (code, out) == (0, "")
    summary = "Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged"
    assert err == f"reportgen plan: wrote {target} ({summary})\n"
    assert target.read_text().startswith(
        f"<!-- reportgen plan -->\n### reportgen plan\n\n**{summary}**"
    )
    # The old spelling: -o FORMAT, for one release, with a warning.
    code, out, err = run(capsys, "plan", str(specs), "-o", "json")
    assert code == 0 and json.loads(out)["summary"]["create"] == 4
    assert err == (
        "reportgen plan: warning: -o/--output json names a format: use -f/--format json "
        "(-o/--output FORMAT is deprecated and will mean a file to write)\n"
    )


# 4. Errors that say how to fix.

FIVE_YAML_MISTAKES = (
    "syntax-misaligned-item.yaml",
    "syntax-tab-indent.yaml",
    "syntax-missing-colon.yaml",
    "syntax-unterminated-quote.yaml",
    "syntax-bad-indent.yaml",
)


def test_the_five_usual_yaml_mistakes_say_what_to_change() -> None:
    import yaml

    expected = yaml.safe_load((INVALID / "expected.yaml").read_text())
    for name in FIVE_YAML_MISTAKES:
        ((entry),) = expected[name]
        assert set(entry) == {"at", "message"}, f"{name}: give the exact message"
        (problem,) = validate_paths([INVALID / name]).problems
        assert [problem.line, problem.col, problem.code] == entry["at"]
        assert problem.message == entry["message"]
        assert "while parsing" not in problem.message and "expected" not in problem.message


def test_bang_equals_suggests_not_equals(tmp_path: Path) -> None:
    spec = tmp_path / "f.yaml"
    spec.write_text(
        "leaderboard:\n  key: k\n  title: t\n  project: p\n  metrics: [accuracy max]\n"
        '  filter: config.arch =! "ViT"\n'
    )
    (problem,) = validate_paths([spec]).problems
    assert (
        str(problem) == f"{spec}:6:23: [error] '=!' is not an operator; did you mean '!='? (RG201)"
    )


def test_missing_entity_says_how_to_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_ENTITY", raising=False)
    spec = tmp_path / "w.yaml"
    spec.write_text(
        "workspace: {key: k, title: t, project: p}\n---\n"
        "workspace:\n  key: k2\n  title: t\n  entity: ${WANDB_ENTITY}\n  project: p\n"
    )
    code, out, err = run(capsys, "build", str(spec), "-o", str(tmp_path / "out"))
    advice = (
        "WANDB_ENTITY is not set: export WANDB_ENTITY=<your W&B user or team> (`reportgen "
        "sandbox` prints its own), or name the entity in the spec (entity: my-team); plan and "
        "apply default to your W&B default entity"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"{spec}:1:12: [error] no entity: {advice} (RG505)\n{spec}:6:11: [error] {advice} (RG505)\n"
    )


def test_the_sandbox_prints_its_entity_with_the_other_exports(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "sandbox", "--port", "0", "--db", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        process.terminate()
        process.wait(timeout=30)
    finally:
        process.kill()
        if process.stdout is not None:
            process.stdout.close()
    assert [line.split("=")[0] for line in lines[1:]] == [
        "export WANDB_BASE_URL",
        "export WANDB_API_KEY",
        "export WANDB_ENTITY",
    ]
    assert lines[3] == "export WANDB_ENTITY=sandbox"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_cannot_reach_within_seconds(
    specs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("WANDB_ENTITY", "team")
    build_views([specs])  # the specs compile (and wandb is imported) before the clock starts
    started = time.monotonic()
    code, out, err = run(capsys, "plan", str(specs), "--base-url", url)
    elapsed = time.monotonic() - started
    assert (code, out) == (1, "")
    assert err == (
        f"reportgen: cannot reach {url}: connection refused (is `reportgen sandbox` running? "
        "It prints the WANDB_BASE_URL to use)\n"
    )
    assert elapsed < 5, f"{elapsed:.1f} s"


# 6. Help with examples.


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    code, out, err = run(capsys, *command, "--help")
    assert (code, err) == (0, "")
    return out


def test_every_commands_help_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for name in [*cli.cli.commands, None]:
        words = [name] if name else []
        lines = help_of(capsys, *words).rstrip("\n").splitlines()
        header = max(i for i, line in enumerate(lines) if line.strip() == "Examples:")
        examples = [line.strip() for line in lines[header + 1 :] if line.strip()]
        assert 2 <= len(examples) <= 3, (name, examples)
        assert all(e.startswith(f"reportgen {name or ''}".rstrip()) for e in examples), examples


@pytest.mark.parametrize("name", ["plan", "apply", "preview"])
def test_commands_that_talk_to_wandb_name_their_environment(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if name not in cli.cli.commands:
        pytest.skip(f"no {name} command on this branch")
    text = help_of(capsys, name)
    for variable in ("WANDB_API_KEY", "WANDB_ENTITY", "WANDB_BASE_URL"):
        assert variable in text, (name, variable)


def test_top_level_help_cuts_no_description_short(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    listing = help_of(capsys).split("Commands:", 1)[1].split("Examples:", 1)[0]
    text = " ".join(listing.split())
    assert "..." not in text
    for name, command in cli.cli.commands.items():
        first = (command.help or "").split(". ")[0].split("\n\n")[0]
        assert f"{name} {' '.join(first.split())}" in text, name


# 7. Deterministic output: apply's lines in spec order, whatever the completion order.


# Files in an order their keys do not share: names sort 1, 2, 3; keys zulu, mike, kilo
# (and its variant bravo), alpha.
ORDERED_SPECS = {
    "1-first.yaml": "workspace: {key: zulu, title: Zulu, project: p}\n---\n"
    "workspace: {key: mike, title: Mike, project: p}\n",
    "2-second.yaml": "leaderboard:\n  key: kilo\n  title: Kilo\n  project: p\n"
    "  metrics: [accuracy max]\n  variants:\n    - {key: bravo, filter: config.size == 'small'}\n",
    "3-third.yaml": "workspace: {key: alpha, title: Alpha, project: p}\n",
}
IN_SPEC_ORDER = [
    ["workspace", "zulu"],
    ["workspace", "mike"],
    ["workspace", "kilo"],
    ["report", "kilo"],
    ["workspace", "bravo"],
    ["report", "bravo"],
    ["workspace", "alpha"],
]


def lines_of(out: str, word: str, columns: slice = slice(0, 3)) -> list[list[str]]:
    return [line.split()[columns] for line in out.splitlines() if line.startswith(word)]


def test_apply_lines_come_in_spec_order(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """apply prints, and plan lists, the views in the order validate reads the specs (files,
    documents, objects, a leaderboard's views), not by key and not as the writes finish;
    deletes follow, by key."""
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, text in ORDERED_SPECS.items():
        (specs / name).write_text(text)
    objects = run(capsys, "validate", str(specs))[1].splitlines()[1:]
    assert [line.split()[1] for line in objects] == ["zulu", "mike", "kilo", "bravo", "alpha"]
    # The first write to arrive waits: every later one finishes before it.
    sb.set_faults(Fault("latency", op="UpsertView2", seconds=1.5, times=1))
    code, out, _ = run(capsys, "apply", str(specs), "--concurrency", "8")
    assert code == 0
    assert sb.faults()["faults"][0]["fired"] == 1
    assert lines_of(out, "created", slice(1, 3)) == IN_SPEC_ORDER
    code, plan_out, _ = run(capsys, "plan", str(specs), "-v")
    assert lines_of(plan_out, "=", slice(2, 4)) == IN_SPEC_ORDER
    # zulu and mike lose their spec, a new file comes first: created, unchanged in spec
    # order, then the deletes by key (they finish first: apply deletes before it writes).
    (specs / "1-first.yaml").unlink()
    (specs / "0-zero.yaml").write_text("workspace: {key: yankee, title: Yankee, project: p}\n")
    code, out, _ = run(capsys, "apply", str(specs), "--prune", "--concurrency", "8")
    assert code == 0
    expected = [
        ["created", "workspace", "yankee"],
        *(["unchanged", *view] for view in IN_SPEC_ORDER[2:]),
        ["pruned", "workspace", "mike"],
        ["pruned", "workspace", "zulu"],
    ]
    assert [line.split()[:3] for line in out.splitlines()[:-1]] == expected


def test_files_named_on_the_command_line_keep_their_order(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files given one by one are read in the order given, also when the specs wait for the
    viewer's default entity (no WANDB_ENTITY) before they are declared."""
    for name, text in ORDERED_SPECS.items():
        (tmp_path / name).write_text(text)
    monkeypatch.delenv("WANDB_ENTITY")
    paths = [str(tmp_path / name) for name in ("3-third.yaml", "1-first.yaml")]
    code, out, _ = run(capsys, "plan", *paths)
    assert code == 0
    assert lines_of(out, "+", slice(2, 4)) == [["workspace", k] for k in ("alpha", "zulu", "mike")]
