"""plan and apply against the sandbox, over HTTP, with the real wandb and wandb-workspaces.

What W&B receives is checked through the sandbox's request counters and stored views;
edits "made in the app" are made the way a W&B user scripts them, with wandb-workspaces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import url_of, views

from reportgen.cli import run
from reportgen.remote.identity import parse_marker
from reportgen.sandbox import Sandbox
from reportgen.sandbox.faults import Fault

PROJECT = "image-classification-leaderboard"


def keys(sb: Sandbox, view_type: str, project: str = PROJECT) -> list[str]:
    found = []
    for view in views(sb, view_type, project):
        marker = parse_marker(str(view["description"]))
        found.append(marker.key if marker else f"<unmanaged:{view['displayName']}>")
    return sorted(found)


def test_second_apply_writes_nothing_and_plan_is_clean(sb: Sandbox, specs: Path) -> None:
    assert run(["apply", str(specs)]) == 0
    first = sb.stats()
    assert (
        first["operations"]["UpsertView2"] == 4
    )  # two leaderboards, each a workspace and a report
    assert keys(sb, "project-view") == ["cifar10", "cifar10-resnet50"]
    assert keys(sb, "runs") == ["cifar10", "cifar10-resnet50"]

    sb.reset_stats()
    assert run(["apply", str(specs)]) == 0
    second = sb.stats()
    assert second["writes"] == 0
    # one Viewer to sign in, one listing per (project, view type), nothing else
    assert second["operations"] == {"Viewer": 1, "ProjectWorkspaceViews": 2}
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0


def test_plan_before_apply_shows_creates_and_exits_2(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert out.count("+ create") == 4
    assert "Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged" in out
    assert sb.stats()["writes"] == 0


def test_changed_spec_is_an_update_with_a_diff(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["apply", str(specs)]) == 0
    seed = specs / "cifar10.yaml"
    seed.write_text(seed.read_text().replace("top: 5", "top: 3"))
    capsys.readouterr()
    assert run(["plan", str(specs), "--detailed-exitcode", "-v"]) == 2  # -v: view JSON diffs
    out = capsys.readouterr().out
    assert "Plan: 0 to create, 4 to update, 0 to delete, 0 unchanged" in out
    removed = [
        line.split() for line in out.splitlines() if line.startswith("-") and "limit" in line
    ]
    added = [line.split() for line in out.splitlines() if line.startswith("+") and "limit" in line]
    assert (
        removed == [["-", "limit:", "5"]] * 8 and added == [["+", "limit:", "3"]] * 8
    )  # 2 curves x 4 views
    sb.reset_stats()
    assert run(["apply", str(specs)]) == 0
    assert sb.stats()["operations"]["UpsertView2"] == 4
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0


def test_edit_in_the_app_is_drift_for_exactly_that_view(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.workspaces as ws

    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "workspace", "cifar10")
    edited = ws.Workspace.from_url(url)
    edited.sections[0].name = "Renamed in the app"
    edited.save()

    assert run(["plan", str(specs), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    drifted = [line for line in out.splitlines() if line.startswith("! drifted")]
    assert len(drifted) == 1 and "workspace" in drifted[0] and " cifar10 " in drifted[0]
    assert "Renamed in the app" in out
    assert "Plan: 0 to create, 1 to update, 0 to delete, 3 unchanged" in out

    assert run(["apply", str(specs)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "overwrote an edit" in out
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0
    assert keys(sb, "project-view") == ["cifar10", "cifar10-resnet50"]


def test_skip_drifted_leaves_the_edit(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.reports.v2 as wr

    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "report", "cifar10")
    report = wr.Report.from_url(url)
    report.blocks = [wr.H1("Edited in the app"), *report.blocks]
    report.save()

    assert run(["apply", str(specs), "--skip-drifted"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 2
    assert "Edited in the app" in capsys.readouterr().out


def test_prune_deletes_only_managed_views_without_a_spec(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.workspaces as ws

    extra = specs / "extra.yaml"
    extra.write_text(
        "workspace:\n  key: extra\n  title: Extra\n  project: image-classification-leaderboard\n"
    )
    assert run(["apply", str(specs)]) == 0
    ws.Workspace(entity=sb.entity, project=PROJECT, name="Made by hand").save()
    extra.unlink()
    capsys.readouterr()

    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0
    out = capsys.readouterr().out
    assert (
        "- delete" not in out
        and "1 managed view(s) have no spec any more; --prune deletes them" in out
    )

    assert run(["plan", str(specs), "--prune", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "- delete" in out and "extra" in out
    assert out.index("- delete") < out.index("Plan:")

    assert run(["apply", str(specs), "--prune"]) == 0
    assert keys(sb, "project-view") == ["<unmanaged:Made by hand>", "cifar10", "cifar10-resnet50"]
    assert run(["plan", str(specs), "--prune", "--detailed-exitcode"]) == 0


def test_target_limits_to_matching_keys(sb: Sandbox, specs: Path) -> None:
    assert run(["apply", str(specs), "--target", "cifar10-res*"]) == 0
    assert keys(sb, "project-view") == ["cifar10-resnet50"]
    assert keys(sb, "runs") == ["cifar10-resnet50"]


def test_duplicate_keys_on_w_and_b_are_an_error_naming_both(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.reports.v2 as wr

    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "report", "cifar10")
    copy = wr.Report.from_url(url)
    copy.save(clone=True)  # "duplicate" in the app: same description, same marker
    capsys.readouterr()  # what wandb itself printed while saving ("Saved report to ...")

    assert run(["plan", str(specs)]) == 1
    err = capsys.readouterr().err
    assert err.count("/reports/") == 2 and "key 'cifar10'" in err and "delete the extra one" in err


def test_apply_survives_thirty_percent_failures(sb: Sandbox, specs: Path) -> None:
    for i in range(8):
        kind = "workspace" if i % 2 else "report"
        (specs / f"many-{i}.yaml").write_text(
            f"{kind}:\n  key: many-{i}\n  title: Many {i}\n  project: image-classification-leaderboard\n"
        )
    # Four kinds, each drawn independently: 1 - (1 - r) ** 4 = 30% of requests fail.
    rate = 1 - 0.7**0.25
    sb.set_faults(
        Fault("429", rate=rate, seconds=1),
        Fault("500", rate=rate),
        Fault("drop", rate=rate),
        Fault("drop_after", rate=rate),  # the write is stored, its response lost
        seed=7,
    )
    codes = [run(["apply", str(specs), "--continue-on-error"]) for _ in range(3)]
    assert sum(f["fired"] for f in sb.faults()["faults"]) > 0
    sb.clear_faults()
    assert 0 in codes or run(["apply", str(specs)]) == 0
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0
    for view_type in ("project-view", "runs"):
        found = [k for k in keys(sb, view_type) if not k.startswith("<unmanaged")]
        assert len(found) == len(set(found)), f"duplicate {view_type} views: {found}"


@pytest.mark.parametrize(("transport", "upserts"), [("http", 4), ("wandb", 8)])
def test_lost_create_responses_make_no_duplicates(
    sb: Sandbox, specs: Path, monkeypatch: pytest.MonkeyPatch, transport: str, upserts: int
) -> None:
    """Every create is stored and its response lost. Through reportgen's own transport the
    create is not sent again: apply lists the scope and finds the view. Through wandb-core
    (REPORTGEN_TRANSPORT=wandb) the client sends it again by itself, and the deterministic
    view name makes the second send name the same view."""
    monkeypatch.setenv("REPORTGEN_TRANSPORT", transport)
    sb.set_faults(Fault("drop_after", op="UpsertView2", times=4))
    assert run(["apply", str(specs)]) == 0
    assert sb.faults()["faults"][0]["fired"] == 4
    assert sb.stats()["operations"]["UpsertView2"] == upserts
    assert keys(sb, "project-view") == ["cifar10", "cifar10-resnet50"]
    assert keys(sb, "runs") == ["cifar10", "cifar10-resnet50"]
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0


def test_a_create_that_never_answers_is_found_not_repeated(sb: Sandbox, specs: Path) -> None:
    """When the client gives up on a create (a timeout, after its own retries) the view
    may exist all the same: apply lists the scope again and finds it instead of creating
    a second one. The transport is the seam apply receives; the server is the sandbox."""
    from reportgen.commands.apply import Options, apply
    from reportgen.commands.declare import declare_views
    from reportgen.remote.client import Remote, RemoteError, RetryPolicy
    from reportgen.remote.session import Session

    class Lost(Exception):
        pass

    lost: list[str] = []

    def transport(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        answer = sb.graphql(query, variables).json
        assert not answer.get("errors"), answer
        if "upsertView" in query and not variables.get("id") and len(lost) < 2:
            lost.append(str(variables["name"]))
            raise Lost("no response in time")
        return dict(answer["data"])

    def classify(exc: BaseException) -> RemoteError | None:
        return RemoteError(str(exc), retryable=True) if isinstance(exc, Lost) else None

    remote = Remote(transport, classify, RetryPolicy(sleep=lambda _: None))
    session = Session(remote=remote, app_url=sb.base_url, default_entity=sb.entity)
    declarations = declare_views([specs], environ={"WANDB_ENTITY": sb.entity})
    outcome = apply(session, declarations, Options())

    assert not outcome.failed and outcome.count("created") == 4 and len(lost) == 2
    assert sb.stats()["operations"]["UpsertView2"] == 4  # the lost two were not sent again
    assert keys(sb, "project-view") == ["cifar10", "cifar10-resnet50"]
    assert keys(sb, "runs") == ["cifar10", "cifar10-resnet50"]


def test_missing_key_is_one_line_pointing_at_the_sandbox(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_ENTITY", "someone")
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    assert run(["plan", str(specs)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WANDB_API_KEY" in err and "reportgen sandbox" in err


def test_api_key_is_never_printed(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At every verbosity, on success and on each kind of failure."""
    assert run(["-v", "apply", str(specs)]) == 0
    assert run(["-vv", "plan", str(specs), "-f", "json"]) == 0
    assert run(["plan", "-vv", str(specs), "-f", "markdown"]) == 0
    (specs / "cifar10.yaml").write_text(
        (specs / "cifar10.yaml").read_text().replace("top: 5", "top: 0")
    )
    assert run(["-vv", "apply", str(specs)]) == 1  # a spec problem
    assert run(["-vv", "plan", str(specs), "--base-url", "ftp://nowhere"]) == 1  # a bad URL
    out = capsys.readouterr()
    assert sb.api_key not in out.out + out.err


def test_plan_formats(sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", str(specs), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["create"] == 4 and data["summary"]["changes"] is True
    assert run(["plan", str(specs), "-f", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("<!-- reportgen plan -->\n### reportgen plan")
    assert (
        "**+ create** `cifar10` (workspace, report) · `cifar10-resnet50` (workspace, report)" in md
    )
    assert run(["plan", str(specs), "-o", "markdown"]) == 0  # the old spelling (issue 13)
    assert capsys.readouterr().out == md


def panel_ids(spec: dict[str, object]) -> list[str]:
    """Every panel and run set id in a stored spec, in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" or (
                    key == "id" and isinstance(value, str) and value and "runFeed" in node
                ):
                    found.append(str(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def test_update_keeps_panel_and_runset_ids(sb: Sandbox, specs: Path) -> None:
    assert run(["apply", str(specs)]) == 0
    before = {
        str(v["displayName"]): panel_ids(json.loads(str(v["spec"])))
        for v in views(sb, "runs", PROJECT)
    }
    before.update(
        {
            str(v["displayName"]): panel_ids(json.loads(str(v["spec"])))
            for v in views(sb, "project-view", PROJECT)
        }
    )
    seed = specs / "cifar10.yaml"
    seed.write_text(seed.read_text().replace("top: 5", "top: 3"))
    assert run(["apply", str(specs)]) == 0
    after = {
        str(v["displayName"]): panel_ids(json.loads(str(v["spec"])))
        for v in views(sb, "runs", PROJECT)
    }
    after.update(
        {
            str(v["displayName"]): panel_ids(json.loads(str(v["spec"])))
            for v in views(sb, "project-view", PROJECT)
        }
    )
    assert after == before and all(before.values())


def test_dry_run_is_a_plan(sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["apply", str(specs), "--dry-run"]) == 0
    assert "Plan: 4 to create" in capsys.readouterr().out
    assert sb.stats()["writes"] == 0


def test_entity_defaults_to_the_viewers_as_in_wandb(
    sb: Sandbox, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_ENTITY")
    assert run(["apply", str(specs)]) == 0
    assert sb.stats()["operations"]["GetDefaultEntity"] == 1
    assert keys(sb, "project-view") == ["cifar10", "cifar10-resnet50"]  # in sb.entity


def test_spec_problems_come_before_any_request(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("workspace:\n  key: k\n  title: t\n  project: p\n  runset: {filter: 'a < 1'}\n")
    assert run(["apply", str(bad)]) == 1
    assert "bad.yaml:5:23: [error]" in capsys.readouterr().err
    assert sb.stats()["requests"] == 0


def test_report_edited_in_the_app_is_drift_and_apply_restores_it(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.reports.v2 as wr

    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "report", "cifar10")
    report = wr.Report.from_url(url)
    report.description += "\nEdited by Bob"  # below the marker line
    report.blocks = [*report.blocks, wr.P("Added in the app")]
    report.save()

    assert run(["plan", str(specs), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert [line.split()[:4] for line in out.splitlines() if line.startswith("! ")] == [
        ["!", "drifted", "report", "cifar10"]
    ]
    assert "Edited by Bob" in out and "Added in the app" in out
    assert run(["apply", str(specs)]) == 0
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0
    assert keys(sb, "runs") == ["cifar10", "cifar10-resnet50"]


def test_block_scalar_descriptions_settle(sb: Sandbox, tmp_path: Path) -> None:
    spec = tmp_path / "described.yaml"
    spec.write_text(
        "workspace:\n  key: described\n  title: Described\n  project: p\n"
        "  description: |\n    Two lines\n    of description.\n"
    )
    assert run(["apply", str(spec)]) == 0
    sb.reset_stats()
    assert run(["apply", str(spec)]) == 0
    assert sb.stats()["writes"] == 0
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 0


def test_workspace_resaved_by_the_library_gets_its_marker_back(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb_workspaces.workspaces as ws

    spec = tmp_path / "bare.yaml"
    spec.write_text(f"workspace:\n  key: bare\n  title: Bare\n  project: {PROJECT}\n")
    assert run(["apply", str(spec)]) == 0
    url = url_of(capsys.readouterr().out, "workspace", "bare")
    ws.Workspace.from_url(url).save()  # no edit, but the library blanks the description
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "~ update" in out and "marker is gone" in out
    assert run(["apply", str(spec)]) == 0
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 0
    other = tmp_path / "other.yaml"
    other.write_text(f"report:\n  key: other\n  title: Other\n  project: {PROJECT}\n")
    spec.unlink()
    assert run(["apply", str(other), "--prune"]) == 0
    assert keys(sb, "project-view") == []  # found by its marker again, so prune could delete it
