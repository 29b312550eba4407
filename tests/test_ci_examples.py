"""The ready-made pipelines in examples/ci/ work: they validate against GitHub's and GitLab's
schemas, and their shell steps, run in order against the sandbox, review a pull request,
apply a push and repair drift on a schedule.

Everything reportgen does in them runs for real (the `reportgen` of this checkout, over HTTP
against the sandbox, with the real wandb clients). Only the steps' calls to GitHub's and
GitLab's APIs (the comment or note, the commit status, the drift issue) and the install
line go to a STUB, tests/ci/stub.py, that records what would have been posted; that is
what the assertions below read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ci.runner import Run, base_env, run_github, run_gitlab, tools
from sandbox_helpers import url_of

from reportgen.cli import run
from reportgen.cli.markdown import COMMENT_LIMIT, PLAN_MARKER, size
from reportgen.sandbox import Sandbox
from reportgen.sandbox.bulk import SeedRun

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "examples" / "ci"
WORKFLOWS = CI / "github" / ".github" / "workflows"
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
PROJECT = "image-classification-leaderboard"
VIT, RESNET = "vit-base-patch16-v1", "resnet50-v1"
SHA = "f" * 40
PR = 7

UseSandbox = Callable[[Sandbox], None]


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        *((p, "vendor.github-workflows") for p in sorted(WORKFLOWS.glob("*.yml"))),
        (GITLAB, "vendor.gitlab-ci"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_pipelines_validate_against_their_schemas(path: Path, schema: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def seed(sb: Sandbox) -> None:
    """The seed's two runs (as examples/train_seed.py logs them), loaded directly."""

    def history(accuracy: float, loss: float) -> list[dict[str, Any]]:
        return [
            {"epoch": e, "accuracy": accuracy - (4 - e) / 100, "loss": loss + (4 - e) / 10}
            for e in range(5)
        ]

    runs = [
        (RESNET, "ResNet50", 0.001, 0.948, 0.216),
        (VIT, "VisionTransformer", 0.0005, 0.9584, 0.264),
    ]
    sb.seed_runs(
        PROJECT,
        [
            SeedRun(
                config={"dataset": "CIFAR-10", "model_architecture": arch, "learning_rate": lr},
                history=history(accuracy, loss),
                display_name=name,
            )
            for name, arch, lr, accuracy, loss in runs
        ],
    )


def checkout(folder: Path) -> Path:
    """A clone of the team's repository: its specs are this repository's."""
    shutil.copytree(REPO / "specs", folder / "specs")
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    spec = folder / "specs" / "cifar10.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def stub_state(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def people_comment(state: Path, author: dict[str, Any], bodies: list[str]) -> list[int]:
    """Comments (GitHub) or notes (GitLab) a person wrote on the pull or merge request before
    the pipeline ran; the pipeline must neither edit them nor take one for its own."""
    data = {"comments": [], "ids": 100}
    for number, body in enumerate(bodies, start=1):
        author_field = "user" if "login" in author else "author"
        data["comments"].append({"id": number, "issue": PR, "body": body, author_field: author})
    state.write_text(json.dumps(data))
    return list(range(1, len(bodies) + 1))


# A reviewer quotes an earlier plan in a comment of their own: it starts with the marker too.
QUOTED_PLAN = f"{PLAN_MARKER}\n> (quoting the bot) 1 to update\n\nWhy does the order change?"


def bots_only(comments: list[dict[str, Any]], people: list[int]) -> list[dict[str, Any]]:
    """The comments the pipeline wrote, after checking the people's are untouched."""
    theirs = [c for c in comments if c["id"] in people]
    assert [c["body"] for c in theirs] == [QUOTED_PLAN, "LGTM"]
    assert all("edits" not in c for c in theirs)
    return [c for c in comments if c["id"] not in people]


def runner_env(sb: Sandbox, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The runner's environment: wandb's folders, but no W&B credentials, server or entity:
    those must come from the pipeline (its secrets and variables)."""
    state = tmp_path / "stub.json"
    (tmp_path / "home").mkdir()
    wandb = {k: v for k, v in sb.env().items() if k not in CREDENTIALS}
    return base_env(tools(tmp_path / "bin"), state, wandb), state


CREDENTIALS = ("WANDB_API_KEY", "WANDB_BASE_URL", "WANDB_ENTITY")


def edit_in_the_app(sb: Sandbox, use_sandbox: UseSandbox, url: str) -> None:
    """A W&B user narrows the workspace's filter in the app (scripted with wandb-workspaces)."""
    import wandb_workspaces.workspaces as ws

    use_sandbox(sb)
    workspace = ws.Workspace.from_url(url)
    workspace.runset_settings.filters = (
        'Config("dataset") == "CIFAR-10" and Metric("State") == "finished"'
    )
    workspace.save()


def plan_is_clean(sb: Sandbox, use_sandbox: UseSandbox, folder: Path) -> bool:
    use_sandbox(sb)
    return run(["plan", str(folder / "specs"), "--detailed-exitcode"]) == 0


def codes(result: Run) -> dict[str, int | None]:
    return {s.name: s.code for s in result.steps}


def github(event: str, sb: Sandbox) -> dict[str, Any]:
    """The contexts a workflow reads, as GitHub would fill them for `event`."""
    repo = "acme/dashboards"
    event_data: dict[str, Any] = {}
    if event == "pull_request":
        event_data = {
            "pull_request": {
                "number": PR,
                "head": {"sha": SHA, "repo": {"full_name": repo}},
            }
        }
    return {
        "github": {
            "event_name": event,
            "event": event_data,
            "repository": repo,
            "sha": SHA,
            "token": "ghs_test_token",
            "server_url": "https://github.com",
            "run_id": "1234",
        },
        "secrets": {"WANDB_API_KEY": sb.api_key},
        "vars": {"WANDB_ENTITY": sb.entity, "WANDB_BASE_URL": sb.base_url},
    }


def test_github_actions_pull_request_push_and_schedule(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path
) -> None:
    sb = fresh_sandbox
    seed(sb)
    env, state = runner_env(sb, tmp_path)
    apply_yml, plan_yml = WORKFLOWS / "reportgen-apply.yml", WORKFLOWS / "reportgen-plan.yml"
    main = checkout(tmp_path / "main")

    # A push to main applies the specs.
    push = run_github(apply_yml, "push", github("push", sb), main, env)
    assert codes(push) == {
        "actions/checkout@v4": None,
        "actions/setup-python@v5": None,
        "Install reportgen (pinned)": 0,
        "Validate": 0,
        "Apply": 0,
        "Open or update the drift issue": None,  # schedules only
    }, push.steps[4].stderr
    assert "**Apply: 4 created**" in push.summary
    assert stub_state(state)["installs"][0].startswith("reportgen @ git+https://")
    workspace = url_of(push.step("Apply").stdout, "workspace", "cifar10")
    assert plan_is_clean(sb, use_sandbox, main)

    # A pull request swaps the order of the metrics: one comment, in the spec's terms, with
    # the rank moves; a status says there are changes to apply on merge. A reviewer's
    # comment that quotes an older plan (so starts with the marker) is not the bot's: the
    # bot writes its own and leaves theirs alone (editing it would be refused: HTTP 403).
    octocat = {"login": "octocat", "type": "User"}
    people = people_comment(state, octocat, [QUOTED_PLAN, "LGTM"])
    pr = checkout(tmp_path / "pr")
    edit(pr, "metrics: [accuracy max, loss min]", "metrics: [loss min, accuracy max]")
    review = run_github(plan_yml, "pull_request", github("pull_request", sb), pr, env)
    assert set(codes(review).values()) == {None, 0}, [s.stderr for s in review.ran]
    (comment,) = bots_only(stub_state(state)["comments"], people)
    assert comment["user"] == {"login": "github-actions[bot]", "type": "Bot"}
    body = comment["body"]
    assert comment["issue"] == PR and body.startswith(PLAN_MARKER) and size(body) <= COMMENT_LIMIT
    assert "- `metrics: order accuracy max, loss min → loss min, accuracy max`" in body
    assert "`cifar10` ([workspace](" in body and "`cifar10-resnet50` ([workspace](" in body
    assert f"**New #1: {RESNET}** (was {VIT})" in body
    (status,) = stub_state(state)["statuses"]
    assert status == {
        "sha": SHA,
        "state": "success",
        "context": "reportgen/plan",
        "description": "changes to apply on merge",
        "target_url": "https://github.com/acme/dashboards/actions/runs/1234",
    }
    assert review.step("Plan").summary.startswith(PLAN_MARKER)  # the job summary too

    # The next push to the pull request edits the same comment.
    edit(pr, "tiebreak: [run.name asc]", "tiebreak: [summary.f1 desc, run.name asc]")
    again = run_github(plan_yml, "pull_request", github("pull_request", sb), pr, env)
    assert set(codes(again).values()) == {None, 0}, [s.stderr for s in again.ran]
    (comment,) = bots_only(stub_state(state)["comments"], people)
    assert comment["edits"] == 1
    assert "- `tiebreak: + summary.f1 desc before run.name`" in comment["body"]
    assert plan_is_clean(sb, use_sandbox, main)  # a plan writes nothing

    # Someone edits the workspace in the W&B app; the nightly apply restores it, names it in
    # the job summary with the edit, opens an issue; the next plan is clean.
    edit_in_the_app(sb, use_sandbox, workspace)
    nightly = run_github(apply_yml, "schedule", github("schedule", sb), main, env)
    assert codes(nightly)["Apply"] == 0 and codes(nightly)["Open or update the drift issue"] == 0
    drift = 'filter: config.dataset == "CIFAR-10" → ... and run.state == "finished"'
    assert "**Apply: 1 restored, 3 unchanged**" in nightly.summary
    assert f"**! restored** `cifar10` ([workspace]({workspace}))" in nightly.summary
    assert f"- `{drift}`" in nightly.summary and "edited in W&B by sandbox" in nightly.summary
    (issue,) = stub_state(state)["issues"]
    assert issue["labels"] == ["reportgen-drift"] and f"- `{drift}`" in issue["body"]
    assert plan_is_clean(sb, use_sandbox, main)

    # A second drift while the issue is open: a comment on it, not a second issue.
    edit_in_the_app(sb, use_sandbox, workspace)
    run_github(apply_yml, "schedule", github("schedule", sb), main, env)
    data = stub_state(state)
    assert len(data["issues"]) == 1
    assert [c["issue"] for c in bots_only(data["comments"], people)] == [PR, issue["number"]]


def gitlab(source: str, sb: Sandbox, cwd: Path) -> dict[str, str]:
    """GitLab's predefined variables for a pipeline of `source`, and the project's CI/CD
    variables (secrets)."""
    found = {
        "CI_PIPELINE_SOURCE": source,
        "CI_DEFAULT_BRANCH": "main",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_DIR": str(cwd),
        "GITLAB_CI": "true",
        "WANDB_API_KEY": sb.api_key,
        "WANDB_BASE_URL": sb.base_url,
        "WANDB_ENTITY": sb.entity,
        "REPORTGEN_GITLAB_TOKEN": "glpat-test-token",
    }
    if source == "merge_request_event":
        found["CI_MERGE_REQUEST_IID"] = str(PR)
    else:
        found["CI_COMMIT_BRANCH"] = "main"
    return found


def test_gitlab_ci_merge_request_push_and_schedule(
    fresh_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path
) -> None:
    sb = fresh_sandbox
    seed(sb)
    env, state = runner_env(sb, tmp_path)
    main = checkout(tmp_path / "main")

    push = run_gitlab(GITLAB, gitlab("push", sb, main), main, env)
    assert list(push) == ["apply"] and push["apply"].code == 0, push["apply"].stderr
    assert "**Apply: 4 created**" in (main / "apply.md").read_text()
    workspace = url_of(push["apply"].stdout, "workspace", "cifar10")
    assert plan_is_clean(sb, use_sandbox, main)

    # As on GitHub: a reviewer's note that starts with the marker is not the pipeline's.
    people = people_comment(state, {"id": 7, "username": "alice"}, [QUOTED_PLAN, "LGTM"])
    mr = checkout(tmp_path / "mr")
    edit(mr, "metrics: [accuracy max, loss min]", "metrics: [loss min, accuracy max]")
    review = run_gitlab(GITLAB, gitlab("merge_request_event", sb, mr), mr, env)
    assert list(review) == ["plan"]
    assert review["plan"].code == 2 and review["plan"].allowed_failure, review["plan"].stderr
    (note,) = bots_only(stub_state(state)["comments"], people)
    assert note["author"]["username"] == "project_42_bot_5f3a"
    assert note["issue"] == PR and note["body"].startswith(PLAN_MARKER)
    assert "- `metrics: order accuracy max, loss min → loss min, accuracy max`" in note["body"]
    assert f"**New #1: {RESNET}** (was {VIT})" in note["body"]

    edit(mr, "tiebreak: [run.name asc]", "tiebreak: [summary.f1 desc, run.name asc]")
    again = run_gitlab(GITLAB, gitlab("merge_request_event", sb, mr), mr, env)
    assert again["plan"].code == 2, again["plan"].stderr
    (note,) = bots_only(stub_state(state)["comments"], people)
    assert note["edits"] == 1 and "tiebreak: + summary.f1 desc before run.name" in note["body"]

    edit_in_the_app(sb, use_sandbox, workspace)
    nightly = run_gitlab(GITLAB, gitlab("schedule", sb, main), main, env)
    assert nightly["apply"].code == 0, nightly["apply"].stderr
    summary = (main / "apply.md").read_text()
    assert f"**! restored** `cifar10` ([workspace]({workspace}))" in summary
    assert 'and run.state == "finished"' in summary and summary in nightly["apply"].stdout
    (issue,) = stub_state(state)["issues"]
    assert issue["labels"] == ["reportgen-drift"] and issue["body"] == summary
    assert plan_is_clean(sb, use_sandbox, main)
