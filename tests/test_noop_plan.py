"""A plan with nothing to change compiles nothing: each marker records the digest of what
its view was compiled from (`source=`), and a view whose source digest and W&B-side digest
both match is unchanged as it stands. Markers written before `source=` existed keep working.
Against the sandbox, over HTTP, with the real wandb client."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import views

from reportgen.cli import run
from reportgen.remote.client import UPSERT_VIEW
from reportgen.remote.identity import parse_marker
from reportgen.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
PROJECT = "image-classification-leaderboard"
# A plan in a process of its own; afterwards, whether wandb-workspaces, and wandb itself,
# were ever imported.
PLAN = (
    "import sys; from reportgen.cli import run; "
    "code = run(['plan', sys.argv[1], '--detailed-exitcode']); "
    "print(code, 'wandb_workspaces.workspaces' in sys.modules, 'wandb' in sys.modules)"
)


def stored(sb: Sandbox) -> list[dict[str, Any]]:
    return stored_in(sb, PROJECT)


def stored_in(sb: Sandbox, project: str) -> list[dict[str, Any]]:
    return [v for view_type in ("project-view", "runs") for v in views(sb, view_type, project)]


def plan_process(specs: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PLAN, str(specs)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=300,
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_plan_with_nothing_to_change_compiles_nothing(sb: Sandbox, specs: Path) -> None:
    assert run(["apply", str(specs)]) == 0
    for view in stored(sb):
        marker = parse_marker(view["description"])
        assert marker is not None and marker.source and re.fullmatch("[0-9a-f]{16}", marker.source)
    sb.reset_stats()
    assert plan_process(specs) == "0 False False"  # nor wandb: no wandb-core started
    assert sb.stats()["operations"] == {"Viewer": 1, "ProjectWorkspaceViews": 2}

    spec = specs / "cifar10.yaml"
    spec.write_text(spec.read_text().replace("top: 5", "top: 4"))
    assert plan_process(specs) == "2 True True"  # the changed leaderboard was compiled


def test_markers_without_a_source_digest_still_work(sb: Sandbox, specs: Path) -> None:
    """Views applied by a reportgen that wrote no `source=`: compiled, found unchanged, and
    left alone (apply writes nothing for them)."""
    assert run(["apply", str(specs)]) == 0
    for view in stored(sb):
        old = re.sub(r" · source=[0-9a-f]+", "", view["description"])
        variables = {
            "id": view["id"],
            "name": view["name"],
            "entityName": sb.entity,
            "projectName": PROJECT,
            "type": view["type"],
            "displayName": view["displayName"],
            "description": old,
            "spec": view["spec"],
        }
        assert not sb.graphql(UPSERT_VIEW, variables).json.get("errors")
    assert all(parse_marker(v["description"]).source is None for v in stored(sb))  # type: ignore[union-attr]
    assert plan_process(specs) == "0 True True"
    sb.reset_stats()
    assert run(["apply", str(specs)]) == 0
    assert sb.stats()["writes"] == 0


ADOPTED = """\
workspace:
  key: made-in-the-app
  title: Made in the app
  project: pulled
  adopt: {view_id}
  sections:
    - name: Charts
      panels:
        - {{type: line, y: accuracy}}
        - type: raw
          json: {{viewType: Some Future Panel, config: {{foo: 1}}}}
  passthrough:
    set:
      /section/panelBankConfig/settings/searchQuery: acc
"""


def test_what_pull_adds_is_part_of_the_source_digest(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A view adopted from the app, with a raw panel and a passthrough (as pull writes them):
    once applied, a plan compiles nothing; a changed passthrough value is an update."""
    made = {"entityName": sb.entity, "projectName": "pulled", "type": "project-view"}
    made.update(name="nw-app-v", displayName="Made in the app", description="", spec="{}")
    view_id = sb.graphql(UPSERT_VIEW, made).json["data"]["upsertView"]["view"]["id"]
    spec = tmp_path / "adopted.yaml"
    spec.write_text(ADOPTED.format(view_id=view_id))
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 2
    assert "@ adopt" in capsys.readouterr().out
    assert run(["apply", str(spec)]) == 0
    assert "adopted" in capsys.readouterr().out
    assert plan_process(spec) == "0 False False"

    spec.write_text(spec.read_text().replace("searchQuery: acc", "searchQuery: loss"))
    assert plan_process(spec) == "2 True True"
    assert run(["plan", str(spec), "--detailed-exitcode", "-v"]) == 2  # -v: the JSON diff
    out = capsys.readouterr().out
    assert "~ update" in out and "+        searchQuery: loss" in out
    assert run(["apply", str(spec)]) == 0
    (view,) = [v for v in stored_in(sb, "pulled") if v["type"] == "project-view"]
    assert view["id"] == view_id  # still the adopted view, not a second one
    assert json.loads(view["spec"])["section"]["panelBankConfig"]["settings"]["searchQuery"] == (
        "loss"
    )
    assert plan_process(spec) == "0 False False"


BOARD = """\
leaderboard:
  key: placed-board
  title: Board
  project: placed
  metrics: [accuracy max]
  curves: {y: accuracy, top: 5}
  publish: [workspace]
"""
NOTES = """\
report:
  key: placed-notes
  title: Notes
  project: placed
  blocks:
    - p: The board.
    - leaderboard: placed-board
"""


def test_a_report_is_made_from_the_leaderboards_it_places(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`- leaderboard: KEY` of a leaderboard in another file (read after the report's): a
    no-op plan compiles nothing; a change to the leaderboard alone updates the report too."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a-notes.yaml").write_text(NOTES)
    (specs / "z-board.yaml").write_text(BOARD)
    assert run(["apply", str(specs)]) == 0
    assert plan_process(specs) == "0 False False"  # nor wandb: no wandb-core started

    (specs / "z-board.yaml").write_text(BOARD.replace("top: 5", "top: 3"))
    capsys.readouterr()
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    updated = sorted(line.split()[3] for line in out.splitlines() if line.startswith("~ update"))
    assert updated == ["placed-board", "placed-notes"]
    assert run(["apply", str(specs)]) == 0
    assert plan_process(specs) == "0 False False"  # nor wandb: no wandb-core started
