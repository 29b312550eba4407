"""`reportgen preview` against the sandbox, with the seed's runs logged by the real wandb SDK.

The seed (examples/train_seed.py): vit-base-patch16-v1 ends at accuracy 0.9584, loss 0.264;
resnet50-v1 at 0.948, 0.216. Ranked by accuracy (max), then loss (min): ViT first.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sandbox_helpers import run_sdk

from reportgen.cli import run
from reportgen.sandbox import Sandbox
from reportgen.sandbox.seed import log_seed

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
VIT, RESNET = "vit-base-patch16-v1", "resnet50-v1"

UseSandbox = Callable[[Sandbox], None]
Capture = pytest.CaptureFixture[str]


def _spec(tmp_path: Path, body: str, name: str = "board.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "leaderboard:\n  project: image-classification-leaderboard\n" + body, encoding="utf-8"
    )
    return path


def _table_rows(out: str, title: str) -> list[list[str]]:
    """The data rows (rank first) of the terminal table titled `title`."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title + " ("))
    rows = []
    for line in lines[start + 1 :]:
        if line.strip() and "matching runs" in line:
            break
        words = line.split()
        if words and words[0].isdigit():
            rows.append(words)
    return rows


def test_seed_ranks_vit_first_and_the_resnet_variant_shows_only_resnet(
    seeded: Sandbox, capsys: Capture
) -> None:
    assert run(["preview", str(SPECS)]) == 0
    out = capsys.readouterr().out
    board = _table_rows(out, "CIFAR-10 leaderboard")
    assert [r[:5] for r in board] == [
        ["1", VIT, "0.9584", "0.264", "VisionTransformer"],
        ["2", RESNET, "0.948", "0.216", "ResNet50"],
    ]
    variant = _table_rows(out, "CIFAR-10 leaderboard · ResNet50")
    assert [r[:4] for r in variant] == [["1", RESNET, "0.948", "0.216"]]
    # Off a terminal (a pipe, a file), no line ends in rich's padding.
    assert [line for line in out.splitlines() if line.endswith(" ")] == []


def test_on_a_terminal_each_table_is_drawn_once(
    seeded: Sandbox, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With colour (a terminal), rich draws straight to the output: once, not again."""
    monkeypatch.setattr("reportgen.cli.online.color", lambda stream: True)
    assert run(["preview", str(SPECS)]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out  # drawn in colour
    assert out.count("matching runs") == 2  # two tables: the leaderboard and its variant


def test_csv_prints_the_same_ranking(seeded: Sandbox, capsys: Capture) -> None:
    assert run(["preview", str(SPECS), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    ranked = [(r["leaderboard"], r["rank"], r["name"]) for r in rows]
    assert ranked == [
        ("cifar10", "1", VIT),
        ("cifar10", "2", RESNET),
        ("cifar10-resnet50", "1", RESNET),
    ]
    vit, resnet = rows[0], rows[1]
    assert float(vit["accuracy"]) == pytest.approx(0.9584) and float(vit["loss"]) == pytest.approx(
        0.264
    )
    assert float(resnet["accuracy"]) == pytest.approx(0.948)
    assert float(resnet["loss"]) == pytest.approx(0.216)


def test_json_and_output_file(seeded: Sandbox, tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "preview.json"
    assert run(["preview", str(SPECS), "-f", "json", "-o", str(out), "--target", "cifar10"]) == 0
    assert capsys.readouterr().out == ""
    (board,) = json.loads(out.read_text())
    rows = board["tables"][0]["rows"]
    assert [(r["rank"], r["name"]) for r in rows] == [(1, VIT), (2, RESNET)]
    assert rows[0]["values"]["accuracy"] == pytest.approx(0.9584)
    assert board["tables"][0]["matching_runs"] == 2


def test_gate_failure_exits_3_with_one_line(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(
        tmp_path,
        "  key: gated\n  title: Gated\n  metrics: [accuracy max]\n"
        '  gate: ["accuracy >= 0.97", \'"resnet50-v1" in top 2\']\n',
    )
    assert run(["preview", str(spec)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "reportgen: gate failed: leaderboard 'gated': accuracy >= 0.97: "
        f"accuracy is 0.9584 for {VIT} (rank 1)"
    ]


def test_gates_that_hold_exit_0_and_cli_gates_add_to_them(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(
        tmp_path, "  key: ok\n  title: Ok\n  metrics: [accuracy max]\n  gate: accuracy >= 0.95\n"
    )
    assert run(["preview", str(spec), "--gate", '"resnet50-v1" in top 2']) == 0
    assert run(["preview", str(spec), "--gate", '"resnet50-v1" in top 1']) == 3
    err = capsys.readouterr().err
    assert err.strip().endswith(f'"resnet50-v1" in top 1: {RESNET} ranks 2')
    assert run(["preview", str(spec), "--gate", "accuracy >>= 1"]) == 1
    assert "expected a number" in capsys.readouterr().err


def test_a_gate_on_a_key_no_run_has_is_a_data_problem_not_a_failed_gate(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    """A typo in a gate is RG601 with its suggestion and exit 1, never "gate failed" (3),
    with or without --strict: a gate the data cannot answer never passes either."""
    spec = _spec(
        tmp_path, '  key: g\n  title: G\n  metrics: [accuracy max]\n  gate: ["acuracy >= 0.9"]\n'
    )
    check = f"{spec}:3:8: [%s] leaderboard 'g': gate 'acuracy >= 0.9': no run of the project has summary.acuracy; did you mean 'accuracy'? (RG601)"
    unchecked = "reportgen: gate not checked: leaderboard 'g': acuracy >= 0.9: no matching run has summary.acuracy"
    assert run(["preview", str(spec), "--strict"]) == 1
    assert capsys.readouterr().err.splitlines() == [check % "error", unchecked]
    assert run(["preview", str(spec)]) == 1
    assert capsys.readouterr().err.splitlines() == [check % "warning", unchecked]
    plain = _spec(tmp_path, "  key: b\n  title: B\n  metrics: [accuracy max]\n", "b.yaml")
    assert run(["preview", str(plain), "--gate", "nonexist >= 3"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{plain}:3:8: [warning] leaderboard 'b': gate 'nonexist >= 3': no run of the project has summary.nonexist (RG601)",
        "reportgen: gate not checked: leaderboard 'b': nonexist >= 3: no matching run has summary.nonexist",
    ]


def test_a_gate_reads_its_key_when_no_column_shows_it(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(tmp_path, "  key: g\n  title: G\n  metrics: [accuracy max]\n  gate: loss <= 0.3\n")
    assert run(["preview", str(spec), "-f", "json"]) == 0
    (board,) = json.loads(capsys.readouterr().out)
    assert board["gates"][0]["reason"] == f"loss <= 0.3: loss is 0.264 for {VIT} (rank 1)"
    assert board["tables"][0]["columns"] == ["name", "accuracy"]


def test_a_gate_on_a_key_the_best_run_lacks_fails(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path, capsys: Capture
) -> None:
    """The gate is about the best run: when it did not report the key (other runs did),
    the gate fails (exit 3), and the reason says the others have it; no RG601."""
    from reportgen.sandbox.bulk import SeedRun

    use_sandbox(fresh_sandbox)
    fresh_sandbox.seed_runs("gaps", [
        SeedRun(display_name="best", summary={"accuracy": 0.9}),
        SeedRun(display_name="second", summary={"accuracy": 0.8, "robustness": 0.5}),
    ])  # fmt: skip
    spec = tmp_path / "gaps.yaml"
    spec.write_text(
        "leaderboard:\n  key: gaps\n  title: Gaps\n  project: gaps\n"
        "  metrics: [accuracy max]\n  gate: robustness >= 0.1\n"
    )
    assert run(["preview", str(spec), "--strict"]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "reportgen: gate failed: leaderboard 'gaps': robustness >= 0.1: robustness is — for "
        "best (rank 1), though other matching runs have it"
    ]


GATE_ERRORS = [
    ("accuracy >= 0.9 and loss <= 0.3",
     "'and loss <= 0.3' follows the number 0.9: a gate is one comparison; for more, repeat "
     "--gate (in a spec, one gate per item of gate:)"),
    ("run.name == 3",
     "run.name is a run attribute: a gate compares a leaderboard metric or a summary value "
     "with a number"),
    ("config.learning_rate <= 0.01",
     "config.learning_rate is a config key: a gate compares a leaderboard metric or a summary "
     "value with a number"),
    ("accuracy >= 95%", "'%' follows the number 95: a threshold is a plain number"),
]  # fmt: skip


@pytest.mark.parametrize(("gate", "message"), GATE_ERRORS, ids=[g for g, _ in GATE_ERRORS])
def test_a_gate_is_one_comparison_of_a_result(gate: str, message: str, capsys: Capture) -> None:
    """Refused before any request: two gates in one string, a setting compared with a number."""
    assert run(["preview", str(SPECS), "--gate", gate]) == 1
    assert capsys.readouterr().err == (
        f"reportgen preview: Invalid value for --gate: {message} (see reportgen preview --help)\n"
    )


def test_data_checks_name_the_typo_with_a_suggestion(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(
        tmp_path,
        "  key: typo\n  title: Typo\n  metrics: [acuracy max]\n  columns: [config.learning_rat]\n"
        "  curves: {x: epoch, y: [accuracy, los]}\n",
    )
    assert run(["preview", str(spec)]) == 0
    err = capsys.readouterr().err
    where = f"{spec}:3:8: [warning] leaderboard 'typo'"
    assert (
        f"{where}: no run of the project has summary.acuracy; did you mean 'accuracy'? (RG601)"
        in err
    )
    assert (
        "no run of the project has config.learning_rat; did you mean 'config.learning_rate'? (RG601)"
        in err
    )
    assert "logged the history key 'los'; did you mean 'loss'? (RG601)" in err
    assert run(["preview", str(spec), "--strict"]) == 1
    assert "[error]" in capsys.readouterr().err


def test_a_filter_that_matches_nothing_is_reported(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(
        tmp_path,
        '  key: none\n  title: None\n  filter: config.dataset == "cifar10"\n  metrics: [accuracy max]\n',
    )
    assert run(["preview", str(spec), "-f", "markdown"]) == 0
    captured = capsys.readouterr()
    assert "| rank | name | accuracy |" in captured.out
    assert "matches none of the project's 2 runs (RG602)" in captured.err
    assert "RG601" not in captured.err  # the keys exist; the filter is the problem


def test_a_report_placing_leaderboards_reports_each_problem_once(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    example = tmp_path / "09.yaml"
    shutil.copyfile(REPO / "examples" / "09-leaderboard-in-a-report.yaml", example)
    assert run(["preview", str(example), "--target", "imagenet-monthly"]) == 0
    where = f"{example}:29:8: [warning] report 'imagenet-monthly'"
    assert capsys.readouterr().err.splitlines() == [
        f"{where}: no run of the project has summary.top1 (RG601)",
        f"{where}: run set 'ImageNet leaderboard · ResNet' matches none of the project's 2 runs (RG602)",
        f"{where}: run set 'ImageNet leaderboard' matches none of the project's 2 runs (RG602)",
    ]


def test_references_print_as_the_spec_writes_them_with_near_suggestions_only(
    seeded: Sandbox, tmp_path: Path, capsys: Capture
) -> None:
    spec = _spec(
        tmp_path,
        "  key: odd\n  title: Odd\n  metrics: [Accuracy max]\n"
        "  columns: [config.`batch size`, config.lr, config.loss, summary.`val acc`]\n",
    )
    assert run(["preview", str(spec)]) == 0
    where = f"{spec}:3:8: [warning] leaderboard 'odd': no run of the project has"
    assert capsys.readouterr().err.splitlines() == [
        f"{where} config.`batch size` (RG601)",  # not 'config.dataset': too far
        f"{where} config.loss; did you mean 'loss'? (RG601)",  # a summary key, that close
        f"{where} config.lr (RG601)",  # not 'config.epochs'
        f"{where} summary.Accuracy; did you mean 'accuracy'? (RG601)",
        f"{where} summary.`val acc` (RG601)",
    ]


def test_a_project_without_runs_is_said_once(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path, capsys: Capture
) -> None:
    use_sandbox(fresh_sandbox)
    made = fresh_sandbox.graphql(
        'mutation { upsertModel(input: {name: "empty"}) { model { name } } }'
    )
    assert "errors" not in made.json
    body = (
        "  title: T\n  metrics: [accuracy max, loss min]\n"
        '  filter: config.dataset == "x"\n  columns: [config.lr]\n  gate: accuracy >= 0.9\n'
    )
    empty = tmp_path / "empty.yaml"
    empty.write_text(f"leaderboard:\n  key: e\n  project: empty\n{body}")
    nowhere = tmp_path / "nowhere.yaml"
    nowhere.write_text(f"leaderboard:\n  key: n\n  project: nowhere\n{body}")
    assert run(["preview", str(empty), str(nowhere), "-f", "csv"]) == 1
    entity = fresh_sandbox.entity
    assert capsys.readouterr().err.splitlines() == [
        f"{empty}:2:8: [warning] leaderboard 'e': project {entity}/empty has no runs (RG602)",
        f"{nowhere}:2:8: [warning] leaderboard 'n': project {entity}/nowhere does not exist (RG602)",
        "reportgen: gate not checked: leaderboard 'e': accuracy >= 0.9: no run matches",
        "reportgen: gate not checked: leaderboard 'n': accuracy >= 0.9: no run matches",
    ]


def test_diff_shows_the_rank_moves_of_a_spec_change(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path, capsys: Capture
) -> None:
    use_sandbox(fresh_sandbox)
    log_seed(fresh_sandbox)
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    assert run(["apply", str(specs)]) == 0
    board = specs / "cifar10.yaml"
    board.write_text(
        board.read_text().replace("[accuracy max, loss min]", "[loss min, accuracy max]")
    )
    capsys.readouterr()
    assert run(["preview", str(specs), "--diff", "-f", "markdown", "--target", "cifar10*"]) == 0
    out = capsys.readouterr().out
    moves = out[out.index("## Leaderboard changes") :]
    assert f"**New #1: {RESNET}** (was {VIT})" in moves
    assert f"| {RESNET} | 2 | 1 | ▲ 1 |" in moves and f"| {VIT} | 1 | 2 | ▼ 1 |" in moves
    assert "No rank changes in the top 1." in moves  # the ResNet50 variant
    # On a terminal (the default format) the same moves are text, not Markdown.
    assert run(["preview", str(specs), "--diff", "--target", "cifar10*"]) == 0
    out = capsys.readouterr().out
    assert "## " not in out and "|" not in out
    assert out[out.index("Leaderboard changes") :] == (
        "Leaderboard changes\n"
        "\n"
        "CIFAR-10 leaderboard (cifar10)\n"
        f"  New #1: {RESNET} (was {VIT})\n"
        "  run                   W&B now   with this change   move\n"
        f"  {RESNET}                 2                  1   ▲ 1\n"
        f"  {VIT}         1                  2   ▼ 1\n"
        "\n"
        "CIFAR-10 leaderboard · ResNet50 (cifar10-resnet50)\n"
        "  No rank changes in the top 1.\n"
    )


@pytest.mark.parametrize("command", ["preview", "plan"])
def test_a_target_that_matches_nothing_is_named_quoted(
    seeded: Sandbox, capsys: Capture, command: str
) -> None:
    """preview and plan say the same thing of a --target glob no key matches, naming the
    one that matched nothing even when another --target matches."""
    code = run([command, str(SPECS), "--target", "cifar10", "--target", "cifar-1O*"])
    err = capsys.readouterr().err
    assert code == 1
    assert "--target 'cifar-1O*' matches no key of the specs" in err
    assert "Traceback" not in err


def test_preview_reads_few_requests(seeded: Sandbox, capsys: Capture) -> None:
    """Per leaderboard: one page (which counts the matching runs too), one history request
    for the curves; every key was seen in the page, so no count for the data checks."""
    seeded.reset_stats()
    assert run(["preview", str(SPECS), "--target", "cifar10"]) == 0
    ops = seeded.stats()["operations"]
    assert {k: v for k, v in ops.items() if k != "Viewer"} == {"Runs": 1, "RunCurves": 1}
    assert "Run" not in ops  # no lazy per-run query (REPORT.md 1.5)


def test_top_rows_read_one_page_and_a_first_key_no_run_has_is_skipped(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path, capsys: Capture
) -> None:
    from reportgen.sandbox.bulk import synthetic_runs

    use_sandbox(fresh_sandbox)
    fresh_sandbox.seed_runs("sweep", synthetic_runs(400))
    body = (
        '  key: sweep\n  title: Sweep\n  project: sweep\n  filter: config.dataset == "CIFAR-10"\n'
    )
    spec = tmp_path / "sweep.yaml"

    def ranked(metrics: str) -> tuple[list[tuple[int, str]], dict[str, int], str]:
        spec.write_text(f"leaderboard:\n{body}  metrics: {metrics}\n")
        fresh_sandbox.reset_stats()
        assert run(["preview", str(spec), "--rows", "5", "-f", "json"]) == 0
        captured = capsys.readouterr()
        rows = json.loads(captured.out)[0]["tables"][0]["rows"]
        ops = {k: v for k, v in fresh_sandbox.stats()["operations"].items() if k != "Viewer"}
        return [(r["rank"], r["id"]) for r in rows], ops, captured.err

    by_loss, ops, _ = ranked("[loss min]")
    assert len(by_loss) == 5 and ops == {"Runs": 1}  # 100 matching runs, one page of 50
    by_typo_then_loss, ops, err = ranked("[acuracy max, loss min]")
    assert by_typo_then_loss == by_loss  # every run ties on the missing key
    assert ops == {"Runs": 2, "RunCounts": 1}  # a page re-read by loss, a count for the check
    assert "no run of the project has summary.acuracy; did you mean 'accuracy'?" in err


SEEDS_SCRIPT = """
import wandb
# Two configurations, three seeds of A and one of B; accuracy peaks mid-training, so its
# max (define_metric summary="max") differs from its last value.
for arch, seed, peak in [("A", 1, 0.90), ("A", 2, 0.92), ("A", 3, 0.94), ("B", 1, 0.99)]:
    run = wandb.init(project="seeds", name=f"{arch}-{seed}", config={"arch": arch, "seed": seed})
    run.define_metric("accuracy", summary="max")
    for epoch, acc in enumerate([peak - 0.1, peak, peak - 0.05]):
        run.log({"epoch": epoch, "accuracy": acc})
    run.finish()
"""


def test_seed_groups_with_best_epoch_metrics_logged_by_the_sdk(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path, capsys: Capture
) -> None:
    script = tmp_path / "seeds.py"
    script.write_text(SEEDS_SCRIPT)
    done = run_sdk(fresh_sandbox, str(script))
    assert done.returncode == 0, done.stderr[-3000:]
    use_sandbox(fresh_sandbox)
    spec = tmp_path / "seeds.yaml"
    spec.write_text(
        "leaderboard:\n  key: seeds\n  title: Seeds\n  project: seeds\n"
        "  metrics: [accuracy.max max]\n  group_by: [config.arch]\n  min_group_size: 2\n"
        "  columns: [config.seed]\n"
        "  curves: {x: epoch, y: accuracy, top: 2}\n  gate: accuracy.max >= 0.9\n"
    )
    assert run(["preview", str(spec), "-f", "json"]) == 0
    (board,) = json.loads(capsys.readouterr().out)
    rows = board["tables"][0]["rows"]
    a, b = rows
    assert (a["rank"], a["name"], a["n"], a["below_min_group_size"]) == (1, "A", 3, False)
    assert a["values"]["accuracy.max"] == pytest.approx(0.92)
    assert a["std"]["accuracy.max"] == pytest.approx(0.02)
    assert a["distinct"] == {"seed": [1, 2, 3]} and "distinct" not in b
    assert (b["rank"], b["name"], b["n"], b["below_min_group_size"]) == (None, "B", 1, True)
    assert board["gates"] == [
        {
            "gate": "accuracy.max >= 0.9",
            "ok": True,
            "checked": True,
            "reason": "accuracy.max >= 0.9: accuracy.max is 0.92 for A (rank 1)",
        }
    ]
    assert run(["preview", str(spec), "-f", "markdown"]) == 0
    table = capsys.readouterr().out
    assert (
        "| 1 | A | 3 | 0.92 ± 0.02 | 1, 2, 3 |" in table and "| n<2 | B | 1 | 0.99 | 1 |" in table
    )
    html_page = tmp_path / "seeds.html"
    assert run(["preview", str(spec), "-f", "html", "-o", str(html_page)]) == 0
    assert "A (n=3)" in html_page.read_text()  # the group's mean curve, with its band
