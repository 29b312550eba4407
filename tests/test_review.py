"""Plans in the spec's terms, offline: spec bodies described as the YAML says them, changes
grouped across a leaderboard's variants and view types, the Markdown comment within
GitHub's size limit, job summaries. W&B's side is a listing built from specs "applied
earlier" (their compiled JSON, with the marker apply writes), so no server is needed; the
same flows against the sandbox are in test_ci_examples.py and test_apply.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reportgen.cli import run
from reportgen.cli.markdown import (
    COMMENT_LIMIT,
    DRIFT_MARKER,
    PLAN_MARKER,
    apply_summary,
    plan_comment,
    size,
)
from reportgen.cli.options import write_summary
from reportgen.cli.render import plan_text
from reportgen.commands.apply import Event, Outcome
from reportgen.commands.build import BuiltView, build_views
from reportgen.commands.declare import declare_views
from reportgen.commands.plan import Plan, Scope, make_plan, scopes_for
from reportgen.commands.review import Group, last_edit, review
from reportgen.compile.normalize import normalize
from reportgen.pull.describe import describe
from reportgen.remote.client import RemoteView
from reportgen.remote.identity import Marker, digest, view_document, view_name, with_marker

REPO = Path(__file__).resolve().parents[1]
ENV = {"WANDB_ENTITY": "team"}
APP = "https://wandb.example"
SEED = (REPO / "specs" / "cifar10.yaml").read_text()

# (before, after, what a reviewer reads): the issue's own examples first.
DESCRIBED: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
    (
        {"runset": {"sort": ["summary.accuracy desc"]}},
        {"runset": {"sort": ["summary.accuracy desc", "summary.f1 desc"]}},
        ["runset.sort: + summary.f1 desc after summary.accuracy"],
    ),
    (
        {"filter": 'config.dataset == "CIFAR-10"'},
        {"filter": 'config.dataset == "CIFAR-10" and state == "finished"'},
        ['filter: config.dataset == "CIFAR-10" → ... and state == "finished"'],
    ),
    (
        {"columns": ["config.model_architecture"]},
        {"columns": ["config.model_architecture", "config.epochs"]},
        ["columns: + config.epochs after config.model_architecture"],
    ),
    ({"curves": {"top": 5}}, {"curves": {"top": 3}}, ["curves.top: 5 → 3"]),
    (
        {"tiebreak": ["run.name asc"]},
        {"tiebreak": ["summary.f1 desc", "run.name asc"]},
        ["tiebreak: + summary.f1 desc before run.name"],
    ),
    (
        {"metrics": ["accuracy max", "loss min"]},
        {"metrics": ["loss min", "accuracy max"]},
        ["metrics: order accuracy max, loss min → loss min, accuracy max"],
    ),
    (
        {"columns": ["a", "b", "c"]},
        {"columns": ["a", "c"]},
        ["columns: - b"],
    ),
    (
        {"tiebreak": ["run.name asc"]},
        {"tiebreak": ["run.name desc"]},
        ["tiebreak: run.name asc → run.name desc"],
    ),
    ({}, {"baseline": "abc123"}, ["baseline: + abc123"]),
    ({"search": "resnet"}, {}, ["search: - resnet"]),
    ({"title": "CIFAR-10"}, {"title": "CIFAR-100"}, ["title: CIFAR-10 → CIFAR-100"]),
    (
        {"description": "Ranked by accuracy."},
        {"description": "Ranked by accuracy.\n\nEdited by Bob"},
        ["description: + Edited by Bob"],
    ),
    (
        {"sections": [{"name": "Charts", "panels": [{"type": "line", "y": "acc"}]}]},
        {"sections": [{"name": "Curves", "panels": [{"type": "line", "y": "loss"}]}]},
        ["sections[0].name: Charts → Curves", "sections[0].panels[0].y: acc → loss"],
    ),
    (
        {"sections": [{"name": "S", "panels": [{"type": "line", "y": "acc"}]}]},
        {
            "sections": [
                {
                    "name": "S",
                    "panels": [{"type": "line", "y": "acc"}, {"type": "bar", "metrics": ["f1"]}],
                }
            ]
        },
        ["sections[0].panels: + {type: bar, metrics: [f1]} as item 2"],
    ),
    ({"key": "a", "adopt": "Vmlldzox", "publish": ["workspace"]}, {"key": "b"}, []),
]


@pytest.mark.parametrize(("before", "after", "expected"), DESCRIBED)
def test_describe_says_it_as_the_yaml_does(
    before: dict[str, Any], after: dict[str, Any], expected: list[str]
) -> None:
    assert [str(p) for p in describe(before, after)] == expected


def test_a_long_value_is_shortened_not_dropped() -> None:
    (phrase,) = describe({"filter": "x == 1"}, {"filter": "x == 1 and " + "y == 2 and " * 40})
    assert len(phrase.text) < 220 and phrase.text.endswith("…")


# W&B's side, made from specs as apply would have left it


def spec_file(tmp_path: Path, text: str, name: str = "specs.yaml") -> Path:
    folder = tmp_path / name.split(".")[0]
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def remote(built: BuiltView, applied: BuiltView | None = None, **fields: Any) -> RemoteView:
    """The view W&B holds for `built`, with the marker of `applied` (drift when they differ)."""
    marked = applied or built
    doc = view_document(
        marked.view.title, marked.view.description, normalize(marked.spec(), marked.view_type)
    )
    entity, project, view_type, key = built.identity
    return RemoteView(
        id=f"id-{key}-{view_type}",
        entity=entity,
        project=project,
        name=view_name(entity, project, view_type, key),
        type=view_type,
        display_name=built.view.title,
        description=with_marker(built.view.description, Marker(key, digest(doc))),
        spec=built.spec(),
        **fields,
    )


@dataclass
class Planned:
    plan: Plan
    boards: frozenset[str]  # the leaderboard keys of the local specs

    @property
    def groups(self) -> list[Group]:
        return review(self.plan.changes, self.boards)


def planned(
    tmp_path: Path, live_text: str, local_text: str, applied_text: str | None = None, **fields: Any
) -> Planned:
    """The plan of `local_text` against W&B holding `live_text` (applied as `applied_text`)."""
    live = build_views([spec_file(tmp_path, live_text, "live.yaml")], environ=ENV)
    local = declare_views([spec_file(tmp_path, local_text, "local.yaml")], environ=ENV)
    applied = {
        v.identity: v
        for v in build_views([spec_file(tmp_path, applied_text or live_text, "applied.yaml")], ENV)
    }
    listings: dict[Scope, list[RemoteView] | None] = {s: [] for s in scopes_for(local.views)}
    for view in live:
        scope = view.identity[:3]
        listings.setdefault(scope, []).append(remote(view, applied[view.identity], **fields))  # type: ignore[union-attr]
    plan = make_plan(local.views, listings, compile=local.compile, app_url=APP)
    return Planned(plan, frozenset(local.boards))


TIEBREAK = SEED.replace("tiebreak: [run.name asc]", "tiebreak: [summary.f1 desc, run.name asc]")


def outside_folds(markdown: str) -> list[str]:
    """The non-blank lines a reader sees before unfolding anything."""
    shown = re.sub(r"<details>.*?</details>", "<details>", markdown, flags=re.S)
    return [line for line in shown.splitlines() if line.strip()]


def test_a_tiebreak_change_is_one_grouped_change_of_at_most_ten_lines(tmp_path: Path) -> None:
    p = planned(tmp_path, SEED, TIEBREAK)
    plan, groups = p.plan, p.groups
    assert plan.count("update") == 4  # a leaderboard and its variant, each a workspace and a report
    (group,) = groups
    assert [str(p) for p in group.phrases or ()] == ["tiebreak: + summary.f1 desc before run.name"]
    assert [(c.key, c.kind) for c in group.changes] == [
        ("cifar10", "workspace"),
        ("cifar10", "report"),
        ("cifar10-resnet50", "workspace"),
        ("cifar10-resnet50", "report"),
    ]
    md = plan_comment(plan, groups=groups)
    seen = outside_folds(md)
    assert len(seen) <= 10, "\n".join(seen)
    assert seen[0] == PLAN_MARKER
    heads = [line for line in seen if line.startswith("**~ update**")]
    assert len(heads) == 1 and "`cifar10` ([workspace](" in heads[0]
    assert "`cifar10-resnet50` ([workspace](" in heads[0] and heads[0].count("[report](") == 2
    assert "- `tiebreak: + summary.f1 desc before run.name`" in seen
    # the raw view-JSON diffs are there, folded: one fold, four diffs
    (fold,) = re.findall(r"<details>.*?</details>", md, flags=re.S)
    assert fold.startswith("<details><summary>view JSON diff (4 views)</summary>")
    assert fold.count("```diff") == 4
    assert len(re.findall(r"^\+\s+name: f1$", fold, flags=re.M)) == 4


def test_text_plan_says_it_in_spec_terms_and_raw_diffs_need_v(tmp_path: Path) -> None:
    p = planned(tmp_path, SEED, TIEBREAK.replace("top: 5", "top: 3"))
    plan, groups = p.plan, p.groups
    text = plan_text(plan, groups=groups)
    assert "  cifar10 (workspace, report), cifar10-resnet50 (workspace, report):\n" in text
    assert "    tiebreak: + summary.f1 desc before run.name\n    curves.top: 5 → 3\n" in text
    assert "@@" not in text and "(-v shows the view JSON diffs)" in text
    assert "+    - ascending: false" in plan_text(plan, True, groups).replace("  ", " ")


def test_a_variant_change_is_its_own_group(tmp_path: Path) -> None:
    changed = SEED.replace(
        'filter: config.model_architecture == "ResNet50"',
        'filter: config.model_architecture == "ViT"',
    )
    p = planned(tmp_path, SEED, changed)
    groups = p.groups
    (group,) = groups
    assert group.keys == ["cifar10-resnet50"]
    assert [str(p) for p in group.phrases or ()] == [
        'filter: config.dataset == "CIFAR-10" and config.model_architecture == "ResNet50" → ... "ViT"'
    ]


def test_a_workspace_spec_reads_with_its_own_paths(tmp_path: Path) -> None:
    base = (REPO / "examples" / "01-minimal-workspace.yaml").read_text()
    sorted_ = base + "  runset:\n    sort: [summary.accuracy desc]\n"
    p = planned(
        tmp_path,
        sorted_,
        sorted_.replace("[summary.accuracy desc]", "[summary.accuracy desc, summary.f1 desc]"),
    )
    groups = p.groups
    (group,) = groups
    assert [str(p) for p in group.phrases or ()] == [
        "runset.sort: + summary.f1 desc after summary.accuracy"
    ]


def test_drift_reads_as_the_edit_with_who_and_when(tmp_path: Path) -> None:
    edited = SEED.replace(
        "columns: [config.model_architecture, config.learning_rate]",
        "columns: [config.model_architecture, config.learning_rate, config.epochs]",
    )
    # W&B holds the edited leaderboard, but its marker says the seed was applied: drift
    p = planned(
        tmp_path,
        edited,
        SEED,
        applied_text=SEED,
        updated_at="2025-06-01T09:30:12",
        updated_by="alice",
    )
    plan, groups = p.plan, p.groups
    assert plan.count("drifted") == 4
    (group,) = groups
    assert group.action == "drifted"
    assert [str(p) for p in group.phrases or ()] == [
        "columns: + config.epochs after config.learning_rate"
    ]
    assert last_edit(group.changes[0]) == "by alice, 2025-06-01 09:30 UTC"
    md = plan_comment(plan, groups=groups)
    assert (
        "— edited in W&B by alice, 2025-06-01 09:30 UTC — the edit below, which apply reverts" in md
    )
    text = plan_text(plan, groups=groups)
    assert "edited in W&B by alice, 2025-06-01 09:30 UTC; apply reverts this edit:" in text


def test_the_same_change_to_two_leaderboards_is_one_group(tmp_path: Path) -> None:
    both = SEED.replace("top: 5", "top: 3")
    live = (REPO / "examples" / "02-leaderboard.yaml").read_text()
    p = planned(tmp_path, SEED + "---\n" + live, both + "---\n" + live.replace("top: 5", "top: 3"))
    plan, groups = p.plan, p.groups
    actions = [g.action for g in groups]
    assert actions == ["update"] and len(groups[0].changes) == len(plan.changes)


# Fitting one comment


def test_comments_past_the_limit_fold_then_cut_never_fail(tmp_path: Path) -> None:
    boards = 16
    titles = [f"leaderboard {i} " + "x" * 100 for i in range(boards)]
    live = "\n---\n".join(
        SEED.replace("key: cifar10\n", f"key: board-{i}\n")
        .replace("key: cifar10-resnet50", f"key: board-{i}-resnet50")
        .replace("title: CIFAR-10 leaderboard\n", f"title: {titles[i]}\n")
        for i in range(boards)
    )
    local = live.replace(
        "tiebreak: [run.name asc]", "tiebreak: [summary.f1 desc, run.name asc]"
    ).replace("top: 5", "top: 4")
    p = planned(tmp_path, live, local)
    plan, groups = p.plan, p.groups
    full = plan_comment(plan, limit=10**9, groups=groups)
    assert size(full) > COMMENT_LIMIT  # 64 view JSON diffs
    md = plan_comment(plan, groups=groups)
    assert size(md) <= COMMENT_LIMIT and md.startswith(PLAN_MARKER)
    assert "View JSON diffs left out to fit" in md or "more lines (reportgen plan -v)" in md
    assert md.count("<details>") == md.count("</details>")
    # far past it: every object its own group with long phrases, cut at a line with a note
    local = "\n---\n".join(
        SEED.replace("key: cifar10\n", f"key: board-{i}\n")
        .replace("key: cifar10-resnet50", f"key: board-{i}-resnet50")
        .replace("title: CIFAR-10 leaderboard\n", f"title: {titles[i]} {i}\n")
        .replace("top: 5", f"top: {i + 6}")
        for i in range(boards)
    )
    far = planned(tmp_path, live, local)
    tight = plan_comment(far.plan, limit=3000, groups=far.groups)
    assert size(tight) <= 3000 and tight.rstrip().endswith("prints the rest._")
    assert tight.count("```") % 2 == 0


# Summaries


def test_apply_summary_lists_each_restored_view_with_the_edit(tmp_path: Path) -> None:
    edited = SEED.replace("top: 5", "top: 8")
    p = planned(
        tmp_path,
        edited,
        SEED,
        applied_text=SEED,
        updated_at="2025-06-01T09:30:12Z",
        updated_by="bob",
    )
    plan = p.plan
    events = [
        Event("restored" if c.kind == "workspace" else "unchanged", c, c.url) for c in plan.changes
    ]
    summary = apply_summary(Outcome(plan, events), p.boards)
    assert summary.startswith("### reportgen apply\n\n**Apply: 2 restored, 2 unchanged**")
    assert DRIFT_MARKER in summary
    drift = summary[summary.index(DRIFT_MARKER) :]
    assert (
        "**! restored** `cifar10` ([workspace](" in drift
        and "`cifar10-resnet50` ([workspace](" in drift
    )
    assert "edited in W&B by bob, 2025-06-01 09:30 UTC" in drift
    assert "- `curves.top: 5 → 8`" in drift and "report" not in drift.split("\n")[2]
    quiet = apply_summary(
        Outcome(plan, [Event("unchanged", c, c.url) for c in plan.changes]), p.boards
    )
    assert DRIFT_MARKER not in quiet


def test_summary_file_and_github_step_summary(tmp_path: Path) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier step output\n")
    mine = tmp_path / "mine.md"
    assert write_summary("# one\n", mine, {"GITHUB_STEP_SUMMARY": str(step)}) == [mine, step]
    assert mine.read_text() == "# one\n"
    assert step.read_text() == "earlier step output\n# one\n\n"
    assert write_summary("# two\n", step, {"GITHUB_STEP_SUMMARY": str(step)}) == [step]
    assert step.read_text().endswith("# one\n\n# two\n\n")  # appended once, not twice


def test_summary_into_a_missing_folder_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["plan", str(REPO / "specs"), "--summary", str(tmp_path / "nope" / "s.md")])
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1 and "--summary" in err


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_step_summary_that_cannot_be_written_is_refused_before_any_work(
    fresh_sandbox: Any,
    use_sandbox: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """$GITHUB_STEP_SUMMARY is checked as --summary is: before apply writes anything, not
    after (which would report a failed apply that in fact succeeded)."""
    use_sandbox(fresh_sandbox)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a directory
    fresh_sandbox.reset_stats()
    assert run([command, str(REPO / "specs")]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"reportgen: GITHUB_STEP_SUMMARY={tmp_path}: not a file in an existing directory\n"
    )
    assert fresh_sandbox.stats()["operations"] == {}


def test_rank_changes_reuse_the_plans_listing(
    fresh_sandbox: Any, use_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan --rank-changes` shows the moves of a changed leaderboard, as `preview --diff`
    does, from the plan it has made: each (project, view type) is listed once."""
    import shutil

    from reportgen.sandbox.seed import log_seed

    use_sandbox(fresh_sandbox)
    log_seed(fresh_sandbox)
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    assert run(["apply", str(specs)]) == 0
    board = specs / "cifar10.yaml"
    board.write_text(
        board.read_text().replace("[accuracy max, loss min]", "[loss min, accuracy max]")
    )
    capsys.readouterr()
    fresh_sandbox.reset_stats()
    assert run(["plan", str(specs), "--rank-changes", "-f", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "**New #1: resnet50-v1** (was vit-base-patch16-v1)" in out
    assert fresh_sandbox.stats()["operations"]["ProjectWorkspaceViews"] == 2
