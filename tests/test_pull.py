"""`reportgen pull` against the sandbox, over HTTP, with the real wandb and wandb-workspaces.

* every example and spec: apply -> pull -> the pulled YAML validates and plan shows no
  changes;
* the app-made fixtures of the wire study (../shared/wandb-wire/fixtures), upserted as views
  through the GraphQL API: pull names exactly what the spec language cannot say, plan shows
  only the adoption, apply adopts the view without changing it;
* copying a view to another project;
* an edit made in the app (through wandb-workspaces) -> `pull --drifted` -> the spec file's
  diff is exactly the edited line, comments intact, also where the spec leaves out what
  wandb-workspaces writes on save; an edit that does not fit a leaderboard's template is
  reported by its spec path, not written;
* a URL of another server than the one reportgen talks to is refused before any request.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import url_of
from sandbox_helpers import views as stored_views

from reportgen.cli import run
from reportgen.compile.normalize import normalize
from reportgen.remote.client import UPSERT_VIEW
from reportgen.remote.identity import parse_marker
from reportgen.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
PROJECT = "image-classification-leaderboard"
MODELINE = "# yaml-language-server: $schema="
Json = dict[str, Any]


def views(sb: Sandbox, view_type: str, project: str = PROJECT) -> list[Json]:
    """Views as stored, their spec decoded."""
    found = stored_views(sb, view_type, project)
    for node in found:
        node["spec"] = json.loads(node["spec"])
    return found


def upsert(
    sb: Sandbox, view_type: str, title: str, spec: Json, project: str = PROJECT, nw: str = "app"
) -> str:
    """A view made outside reportgen, saved through W&B's GraphQL API with wandb's client."""
    import wandb
    from wandb_workspaces._graphql import execute_graphql

    api = wandb.Api()
    api.create_project(project, sb.entity)
    name = f"nw-{nw}-v" if view_type == "project-view" else nw
    variables = {
        "entityName": sb.entity,
        "projectName": project,
        "type": view_type,
        "name": name,
        "displayName": title,
        "description": "",
        "spec": json.dumps(spec),
    }
    return str(execute_graphql(api, UPSERT_VIEW, variables)["upsertView"]["view"]["id"])


def pulled_text(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.yaml"))}


def test_every_example_and_spec_pulls_back_to_no_changes(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["apply", str(REPO / "examples"), str(REPO / "specs")]) == 0
    created = sum(len(views(sb, t)) for t in ("project-view", "runs"))
    out = tmp_path / "pulled"
    assert run(["pull", "--project", f"{sb.entity}/{PROJECT}", "-o", str(out)]) == 0
    capsys.readouterr()
    files = pulled_text(out)
    assert all(text.startswith(MODELINE) for text in files.values())
    # leaderboards come back as leaderboards: one file holds a workspace and its report
    assert (
        "leaderboard:" in files["cifar10.yaml"]
        and "metrics: [accuracy max, loss min]" in (files["cifar10.yaml"])
    )
    assert run(["validate", str(out)]) == 0
    assert "0 errors" not in capsys.readouterr().err
    sb.reset_stats()
    assert run(["plan", str(out), "--detailed-exitcode"]) == 0
    out_text = capsys.readouterr().out
    assert f"Plan: 0 to create, 0 to update, 0 to delete, {created} unchanged" in out_text
    assert sb.stats()["writes"] == 0


def test_one_url_at_a_time_trailing_slash_edit_and_query(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["apply", str(REPO / "examples" / "03-report.yaml")]) == 0
    url = url_of(capsys.readouterr().out, "report", "cifar10-weekly-report")
    for variant in (url, url + "/", url + "/edit", url + "/edit?firstReport=true#x"):
        assert run(["pull", variant]) == 0
        text = capsys.readouterr().out
        assert text.startswith(MODELINE) and "key: cifar10-weekly-report" in text


def load_fixture(sb: Sandbox, wire_dir: Path, name: str, view_type: str, project: str) -> str:
    spec = json.loads((wire_dir / "fixtures" / name).read_text())
    return upsert(sb, view_type, "Made in the app", spec, project)


FIXTURES = [
    ("ui_like_workspace_spec.json", "project-view"),
    ("ui_like_report_spec.json", "runs"),
]
# What the spec language cannot say about the fixtures: every path, and how pull keeps it.
UNREPRESENTED = {
    "project-view": [
        "/section/panelBankConfig/sections/0/panels/1: raw panel",
        "/section/panelBankConfig/settings/searchQuery: set",
        "/section/panelBankConfig/settings/unknownSetting: set",
        "/section/panelBankConfig/sections/0/__id__: set",
        "/section/panelBankConfig/sections/0/isPanelsAuto: set",
        "/section/panelBankConfig/sections/0/defaultName: set",
        "/section/panelBankConfig/sections/0/panels/0/config/unknownPanelKey: set",
        "/section/panelBankConfig/sections/0/panels/0/config/groupBy: set",
        "/section/panelBankConfig/sections/0/panels/0/isAuto: set",
        "/section/runSets/0/runFeed/columnVisible/run:name: set",
        "/section/runSets/0/runFeed/columnVisible/config:lr.value: set",
        "/section/runSets/0/runFeed/columnWidths/run:displayName: set",
        "/section/runSets/0/runFeed/columnOrder: set",
        "/section/runSets/0/filters/filters: set",  # a disabled filter: the spec has none
        "/section/runSets/0/futureRunsetKey: set",
        "/section/settings/shouldAutoGeneratePanels: unset",
        "/section/workspaceSettings: set",
        "/section/futureSectionKey: set",
        "/futureTopKey: set",
    ],
    "runs": [
        "/blocks/1: raw block",
        "/blocks/3: raw block",  # bold text and a link
        "/blocks/5/metadata/openViz: set",
        "/blocks/5/metadata/runSets/0/futureKey: set",
        "/blocks/5/metadata/panelBankConfig/state: set",
        "/blocks/5/metadata/panelBankConfig/sections/0/name: set",
        "/blocks/5/metadata/panelBankSectionConfig/panels/0/config/unknownKey: set",
        "/blocks/5/metadata/panelBankSectionConfig/panels/0/config/groupBy: set",
        "/blocks/5/futureBlockKey: set",
        "/authors: set",
        "/futureTopKey: set",
    ],
}


@pytest.mark.parametrize(("name", "view_type"), FIXTURES)
def test_app_made_views_adopted_unchanged(
    name: str,
    view_type: str,
    sb: Sandbox,
    wire_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reportgen.commands.pull import pull_views
    from reportgen.remote.session import connect, resolve_credentials

    view_id = load_fixture(sb, wire_dir, name, view_type, PROJECT)
    before = views(sb, view_type)
    assert [v["id"] for v in before] == [view_id]

    pulled = pull_views(connect(resolve_credentials()), project=f"{sb.entity}/{PROJECT}")
    (part,) = pulled.parts
    assert [f"{u.pointer}: {u.how}" for u in part.unrepresented] == UNREPRESENTED[view_type]

    spec = tmp_path / "pulled.yaml"
    assert run(["pull", "--project", f"{sb.entity}/{PROJECT}", "-o", str(spec)]) == 0
    err = capsys.readouterr().err
    for line in UNREPRESENTED[view_type]:  # the report names each path
        assert line.split(":")[0] + ":" in err
    assert run(["pull", "--project", f"{sb.entity}/{PROJECT}", "--strict"]) == 1
    assert "--strict" in capsys.readouterr().err

    assert run(["plan", str(spec), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "@ adopt" in out and "Plan: 0 to create, 0 to update, 1 to adopt" in out
    assert "\n-" not in out and "\n+" not in out  # no diff: only the adoption

    assert run(["apply", str(spec)]) == 0
    assert "adopted" in capsys.readouterr().out
    (after,) = views(sb, view_type)  # the same view, not a second one
    assert after["id"] == view_id
    assert normalize(after["spec"], view_type) == normalize(before[0]["spec"], view_type)
    assert parse_marker(after["description"]) is not None
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 0


def test_copy_a_view_to_another_project(sb: Sandbox, wire_dir: Path, tmp_path: Path) -> None:
    load_fixture(sb, wire_dir, "ui_like_workspace_spec.json", "project-view", "project-a")
    spec = tmp_path / "copy.yaml"
    assert run(["pull", "--project", f"{sb.entity}/project-a", "-o", str(spec)]) == 0
    spec.write_text(spec.read_text().replace("project: project-a", "project: project-b"))
    assert run(["apply", str(spec)]) == 0
    (a,) = views(sb, "project-view", "project-a")
    (b,) = views(sb, "project-view", "project-b")
    assert a["id"] != b["id"] and parse_marker(a["description"]) is None  # A left alone
    assert normalize(b["spec"], "project-view") == normalize(a["spec"], "project-view")
    assert b["displayName"] == a["displayName"]


COMMENTED = f"""\
# yaml-language-server: $schema=../schemas/reportgen.schema.json
# The team's overview: keep the comments when pulling edits back.
workspace:
  key: overview   # stable key
  title: Overview
  project: {PROJECT}
  runset:
    filter: config.dataset == "CIFAR-10"   # only CIFAR-10
    # best first, then by name
    sort: [summary.accuracy desc, run.name asc]
    columns: [run.name, summary.accuracy]
  settings:
    auto_panels: false   # a default, written out on purpose
  sections:
    - name: Curves
      panels:
        - {{type: line, x: epoch, y: accuracy}}
"""


def edit_sort_direction(url: str) -> None:
    """The app edit, made as a W&B user scripts it: wandb-workspaces' load, change, save."""
    import wandb_workspaces.workspaces as ws

    workspace = ws.Workspace.from_url(url)
    order = list(workspace.runset_settings.order)
    order[0] = ws.Ordering(order[0].item, ascending=True)
    workspace.runset_settings.order = order
    workspace.save()


def test_app_edit_pulled_back_is_a_one_line_diff(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "specs" / "overview.yaml"
    spec.parent.mkdir()
    spec.write_text(COMMENTED)
    assert run(["apply", str(spec)]) == 0
    edit_sort_direction(url_of(capsys.readouterr().out, "workspace", "overview"))
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 2
    capsys.readouterr()

    assert run(["pull", "--drifted", str(spec.parent)]) == 0
    assert f"rewrote {spec}: overview" in capsys.readouterr().out
    diff = [
        line
        for line in difflib.unified_diff(COMMENTED.splitlines(), spec.read_text().splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert diff == [
        "-    sort: [summary.accuracy desc, run.name asc]",
        "+    sort: [summary.accuracy asc, run.name asc]",
    ]
    # the view now matches the spec, and the spec still says what it said elsewhere
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 2  # the marker goes back on
    assert "marker is gone" in capsys.readouterr().out
    assert run(["apply", str(spec)]) == 0
    assert run(["plan", str(spec), "--detailed-exitcode"]) == 0


def app_edit(url: str, change: Callable[[Any], None]) -> None:
    """`change` made to a workspace as wandb-workspaces loads it, then saved by the library
    (which writes its defaults: a sort by creation time, for one)."""
    import wandb_workspaces.workspaces as ws

    workspace = ws.Workspace.from_url(url)
    change(workspace)
    workspace.save()


def retitle(workspace: Any) -> None:
    workspace.name += " (edited)"


def refilter(workspace: Any) -> None:
    workspace.runset_settings.filters = 'Config("dataset") == "CIFAR-100"'


def replot(workspace: Any) -> None:
    workspace.sections[0].panels[0].y = ["loss"]


def more_runs(workspace: Any) -> None:
    workspace.settings.max_runs = 30


def retitle_report(url: str) -> None:
    import wandb_workspaces.reports.v2 as wr

    report = wr.Report.from_url(url)
    report.title += " (edited)"
    report.save()


SPARE = f"""\
# yaml-language-server: $schema=../schemas/reportgen.schema.json
# No sort, no settings, no sections: the defaults left unsaid.
workspace:
  key: spare
  title: Spare
  project: {PROJECT}
"""
# (spec, the app edit, the line before, the line after): each spec leaves out what W&B's
# copy spells out (wandb-workspaces saves a sort by creation time), or says something its
# own way; pulling the edit back changes exactly one line.
SPARE_EDITS = {
    "example-01-title": (
        (REPO / "examples" / "01-minimal-workspace.yaml").read_text(),
        lambda url: app_edit(url, retitle),
        "  title: Image classification · overview",
        "  title: Image classification · overview (edited)",
    ),
    "filter-only": (
        SPARE + '  runset:\n    filter: config.dataset == "CIFAR-10"\n',
        lambda url: app_edit(url, refilter),
        '    filter: config.dataset == "CIFAR-10"',
        '    filter: config.dataset == "CIFAR-100"',
    ),
    "sections-only": (
        SPARE
        + "  sections:\n    - name: Curves\n      panels:\n        - {type: line, x: epoch, y: accuracy}\n",
        lambda url: app_edit(url, replot),
        "        - {type: line, x: epoch, y: accuracy}",
        "        - {type: line, x: epoch, y: loss}",
    ),
    "settings-only": (
        SPARE + "  settings:\n    max_runs: 20\n",
        lambda url: app_edit(url, more_runs),
        "    max_runs: 20",
        "    max_runs: 30",
    ),
    "own-spellings": (  # a bare sort key, single quotes, 1e-3: W&B's copy reads otherwise
        SPARE
        + "  runset:\n    sort: run.name\n"
        + "    filter: config.dataset == 'CIFAR-10' and config.lr >= 1e-3\n"
        + "    columns: [summary.accuracy]\n",
        lambda url: app_edit(url, retitle),
        "  title: Spare",
        "  title: Spare (edited)",
    ),
    "report-without-sort": (
        SPARE.replace("workspace:", "report:").replace("spare", "spare-report")
        + '  blocks:\n    - panels:\n        runsets:\n          - filter: config.dataset == "CIFAR-10"\n'
        + "        panels:\n          - {type: line, x: epoch, y: accuracy}\n",
        retitle_report,
        "  title: Spare",
        "  title: Spare (edited)",
    ),
}


@pytest.mark.parametrize("case", list(SPARE_EDITS))
def test_app_edit_of_a_spec_leaving_defaults_unsaid_is_a_one_line_diff(
    case: str, sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where W&B's copy and the spec are equal once normalised, the spec keeps its own text:
    only what the app edit changed is rewritten (issue 11's done-when, without a sort)."""
    text, edit, before, after = SPARE_EDITS[case]
    spec = tmp_path / "specs" / "spare.yaml"
    spec.parent.mkdir()
    spec.write_text(text)
    assert run(["apply", str(spec)]) == 0
    out = capsys.readouterr().out
    edit(next(line.split()[-1] for line in out.splitlines() if line.startswith("created")))
    assert run(["pull", "--drifted", str(spec.parent)]) == 0
    assert "rewrote" in capsys.readouterr().out
    diff = [
        line
        for line in difflib.unified_diff(text.splitlines(), spec.read_text().splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert diff == [f"-{before}", f"+{after}"]


def test_leaderboard_edit_that_does_not_fit_is_reported_not_written(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (specs / "cifar10.yaml").read_text()
    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "workspace", "cifar10")
    edit_sort_direction(url)  # the workspace only: its report still ranks the old way
    assert run(["pull", "--drifted", str(specs)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "not rewritten cifar10: W&B's views no longer fit the leaderboard: its workspace now "
        "says metrics: accuracy max → accuracy min, its report does not; edit the YAML by "
        f"hand, or pull the workspace as a plain spec: reportgen pull {url}"
    ]
    assert (specs / "cifar10.yaml").read_text() == before


def add_section(workspace: Any) -> None:
    import wandb_workspaces.reports.v2 as wr
    import wandb_workspaces.workspaces as ws

    workspace.sections.append(ws.Section(name="Mine", panels=[wr.LinePlot(x="epoch", y=["loss"])]))


def test_leaderboard_view_no_leaderboard_makes_is_reported_by_its_spec_path(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (specs / "cifar10.yaml").read_text()
    assert run(["apply", str(specs)]) == 0
    url = url_of(capsys.readouterr().out, "workspace", "cifar10")
    app_edit(url, add_section)  # a leaderboard's workspace has one section of curves
    assert run(["pull", "--key", "cifar10", str(specs)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "not rewritten cifar10: W&B's views no longer fit the leaderboard: its workspace now "
        "has sections: + {name: Mine, open: false, panels: [{type: line, x: epoch, y: loss}]} "
        "as item 2, which no leaderboard makes; edit the YAML by hand, or pull the workspace "
        f"as a plain spec: reportgen pull {url}"
    ]
    assert (specs / "cifar10.yaml").read_text() == before


def test_output_files_are_never_overwritten_without_force(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["apply", str(REPO / "specs")]) == 0
    out = tmp_path / "out"
    args = ["pull", "--project", f"{sb.entity}/{PROJECT}", "-o", str(out)]
    assert run(args) == 0
    mine, *theirs = [out / "cifar10.yaml", *(p for p in out.glob("*.yaml") if p.stem != "cifar10")]
    assert theirs
    for path in theirs:
        path.unlink()
    mine.write_text("# mine\n")
    capsys.readouterr()
    assert run(args) == 1
    assert capsys.readouterr().err.endswith(
        f": {mine} exists; pass --force to overwrite it, or choose another -o\n"
    )
    assert mine.read_text() == "# mine\n" and not any(p.exists() for p in theirs)
    for path in theirs:
        path.write_text("# theirs\n")
    assert run(args) == 1
    err = capsys.readouterr().err  # every file named, the last after "and"
    assert err.endswith(" exist; pass --force to overwrite them, or choose another -o\n")
    named = err.split(": ", 1)[1].split(" exist;")[0].replace(" and ", ", ").split(", ")
    assert sorted(named) == sorted(map(str, [mine, *theirs]))
    assert run([*args, "--force"]) == 0
    assert (out / "cifar10.yaml").read_text().startswith(MODELINE)


def test_two_app_views_with_one_title_get_two_keys_and_files(sb: Sandbox, tmp_path: Path) -> None:
    for nw in ("one", "two"):
        upsert(sb, "project-view", "../../etc/passwd", {"section": {}}, nw=nw)
    out = tmp_path / "out"
    assert run(["pull", "--project", f"{sb.entity}/{PROJECT}", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["etc-passwd-2.yaml", "etc-passwd.yaml"]
    assert run(["validate", str(out)]) == 0


def test_bad_urls_fail_before_any_request(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["pull", "https://wandb.ai/team/proj", "ftp://x/y"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "?nw=" in err and "ftp://x/y" in err
    assert sb.stats()["requests"] == 0


def test_a_url_of_another_server_is_refused_before_any_request(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """WANDB_BASE_URL names the sandbox, the URL W&B's cloud: the sandbox is not asked (it
    could even hold a view of that id, and pull would silently read the wrong one)."""
    assert run(["apply", str(REPO / "examples" / "03-report.yaml")]) == 0
    url = url_of(capsys.readouterr().out, "report", "cifar10-weekly-report")
    elsewhere = url.replace(sb.base_url, "https://wandb.ai")
    assert elsewhere != url
    sb.reset_stats()
    assert run(["pull", elsewhere]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{elsewhere} is on wandb.ai" in err
    assert f"reportgen asks {sb.base_url} (WANDB_BASE_URL)" in err and "--base-url" in err
    assert sb.stats()["requests"] == 0
    assert run(["pull", "--base-url", "https://api.wandb.ai", url]) == 1  # and the other way
    assert f"{url} is on 127.0.0.1:" in capsys.readouterr().err
    assert sb.stats()["requests"] == 0
    localhost = url.replace("127.0.0.1", "localhost")  # one host, two names: pulled
    assert run(["pull", localhost]) == 0 and "key: cifar10-weekly-report" in capsys.readouterr().out


def test_a_self_hosted_url_without_base_url_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("WANDB_BASE_URL", "WANDB_APP_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert run(["pull", "https://wandb.corp.example/team/proj/reports/T--Vmlldzoz"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is on wandb.corp.example" in err
    assert "no --base-url or WANDB_BASE_URL is set" in err
    assert "--base-url https://wandb.corp.example" in err and "no such view" not in err


def edit_variant(sb: Sandbox, old: str, new: str) -> None:
    """Both views of the variant cifar10-resnet50 edited alike, as the app saves them (the
    stored spec changes, the description stays)."""
    for view_type in ("project-view", "runs"):
        (node,) = [v for v in views(sb, view_type) if "key=cifar10-resnet50 " in v["description"]]
        spec = json.dumps(node["spec"]).replace(old, new)
        variables = {"id": node["id"], "type": view_type, "spec": spec, "name": node["name"]}
        variables.update(displayName=node["displayName"], description=node["description"])
        assert sb.graphql(UPSERT_VIEW, variables).status == 200


def test_variant_whose_filter_no_longer_extends_the_leaderboards_is_reported(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (specs / "cifar10.yaml").read_text()
    assert run(["apply", str(specs)]) == 0
    out = capsys.readouterr().out
    urls = [url_of(out, kind, "cifar10-resnet50") for kind in ("workspace", "report")]
    edit_variant(sb, '"CIFAR-10"', '"CIFAR-100"')  # the leaderboard's part of the filter
    assert run(["pull", "--drifted", str(specs)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        'not rewritten cifar10-resnet50: W&B\'s filter (config.dataset == "CIFAR-100" and '
        'config.model_architecture == "ResNet50") is no longer the leaderboard\'s filter '
        "and-ed with the variant's own; edit the YAML by hand, or pull the workspace and "
        f"report as plain specs: reportgen pull {' '.join(urls)}"
    ]
    assert (specs / "cifar10.yaml").read_text() == before


def test_variant_edited_in_the_app_rewrites_only_its_own_filter(
    sb: Sandbox, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both views of a leaderboard variant edited alike (as the app saves them: the stored
    spec changes, the description stays): the variant's own filter is rewritten, nothing else."""
    before = (specs / "cifar10.yaml").read_text()
    assert run(["apply", str(specs)]) == 0
    edit_variant(sb, '"ResNet50"', '"ViT"')
    capsys.readouterr()
    assert run(["pull", "--drifted", str(specs)]) == 0
    assert "rewrote" in capsys.readouterr().out
    assert (specs / "cifar10.yaml").read_text() == before.replace(
        'filter: config.model_architecture == "ResNet50"',
        'filter: config.model_architecture == "ViT"',
    )
    assert run(["pull", "--key", "cifar10", str(specs)]) == 0
    assert "unchanged cifar10" in capsys.readouterr().out
    assert run(["plan", str(specs), "--detailed-exitcode"]) == 0
