"""Decompile is the inverse of compile, offline: for every spec, example and valid case, the
decompiled spec compiles to the very same normalised view, with nothing left unsaid. And
the parts around it: URLs, passthrough pointers, round-trip file edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reportgen.commands.build import BuiltView, build_views
from reportgen.compile.normalize import normalize
from reportgen.pull.compiled import compile_document
from reportgen.pull.decompile import Decompiled, LiveView, decompile
from reportgen.pull.emit import file_text
from reportgen.pull.leaderboard import fit
from reportgen.pull.names import file_names, unique
from reportgen.pull.rewrite import Rewriter, merge
from reportgen.pull.urls import UrlError, parse_url
from reportgen.spec.files import iter_spec_files

REPO = Path(__file__).resolve().parents[1]
SOURCES = list(iter_spec_files([REPO / "specs", REPO / "examples", REPO / "tests/cases/valid"]))
ENV = {"WANDB_ENTITY": "ent", "WANDB_PROJECT": "proj"}


def live(view: BuiltView) -> LiveView:
    return LiveView(
        view.view_type,
        view.spec(),
        view.view.title,
        view.view.entity,
        view.view.project,
        view.view.description,
        key=view.key,
    )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_decompile_compiles_back_to_the_same_view(path: Path) -> None:
    for view in build_views([path], environ=ENV):
        part = decompile(live(view))
        (made,) = compile_document(part.document, ENV)
        assert made.spec == normalize(view.spec(), view.view_type), view.key
        if path.name != "passthrough.yaml":
            assert part.unrepresented == (), [u.describe() for u in part.unrepresented]
        # the YAML pull writes loads back to the same document
        text = file_text([part])
        assert yaml.safe_load(text.split("\n", 2)[2]) == part.document


@pytest.mark.parametrize(
    "path", [REPO / "specs" / "cifar10.yaml", REPO / "examples" / "02-leaderboard.yaml"]
)
def test_leaderboard_views_fit_back_into_a_leaderboard(path: Path) -> None:
    built = build_views([path], environ=ENV)
    for key in dict.fromkeys(v.key for v in built):
        parts = [decompile(live(v)) for v in built if v.key == key]
        board = fit(parts)
        assert board is not None and board.kind == "leaderboard"
        compiled = compile_document(board.document, ENV)
        assert [c.spec for c in compiled] == [
            normalize(v.spec(), v.view_type) for v in built if v.key == key
        ]


def test_why_views_no_longer_fit_their_leaderboard_is_said_in_the_specs_words() -> None:
    from dataclasses import replace

    from reportgen.pull.leaderboard import misfit

    built = [v for v in build_views([REPO / "specs" / "cifar10.yaml"], environ=ENV)]
    ws, report = [live(v) for v in built if v.key == "cifar10"]
    local = [decompile(ws), decompile(report)]

    def edited(view: LiveView, old: str, new: str) -> Decompiled:
        text = json.dumps(view.spec)
        assert old in text
        return decompile(replace(view, spec=json.loads(text.replace(old, new))))

    accuracy = '"name": "accuracy"}, "ascending": '
    both = [
        edited(ws, accuracy + "false", accuracy + "true"),
        edited(report, '"value": "CIFAR-10"', '"value": "CIFAR-100"'),
    ]
    assert fit(both) is None
    assert misfit(both, local) == (
        "its workspace now says metrics: accuracy max → accuracy min, "
        'its report now says filter: config.dataset == "CIFAR-10" → config.dataset == "CIFAR-100"'
    )
    assert misfit([both[0], local[1]], local) == (
        "its workspace now says metrics: accuracy max → accuracy min, its report does not"
    )
    unpinned = edited(report, '"name": "accuracy"}', '"name": "f1"}')
    assert misfit([local[0], unpinned], local) == (
        "its report now has blocks[2].panels.runsets[0].sort: summary.accuracy desc → "
        "summary.f1 desc, which no leaderboard makes"
    )
    odd = decompile(replace(ws, spec={**ws.spec, "futureKey": 1, "otherKey": 2}))
    assert misfit([odd, local[1]], local) == (
        "W&B's workspace holds what a spec cannot say (at /futureKey and 1 more)"
    )


def test_a_workspace_that_is_not_a_leaderboard_stays_a_workspace() -> None:
    (view,) = build_views([REPO / "examples" / "05-every-panel.yaml"], environ=ENV)
    assert fit([decompile(live(view))]) is None


def test_unmanaged_views_get_a_key_from_the_title_and_adopt() -> None:
    spec = {"section": {}}
    part = decompile(LiveView("project-view", spec, "CIFAR-10 · ViT!", "e", "p", id="Vmlldzox"))
    assert part.key == "cifar-10-vit" and part.body["adopt"] == "Vmlldzox"
    assert unique("cifar-10-vit", {"CIFAR-10-ViT"}) == "cifar-10-vit-2"


@pytest.mark.parametrize(
    ("url", "entity", "project", "names", "view_id"),
    [
        ("https://wandb.ai/team/proj?nw=abc", "team", "proj", ("nw-abc-v", "abc"), None),
        ("https://wandb.ai/team/proj/?nw=abc&x=1", "team", "proj", ("nw-abc-v", "abc"), None),
        ("https://wandb.ai/team/proj/workspace?nw=abc", "team", "proj", ("nw-abc-v", "abc"), None),
        ("https://host/wandb/team/proj?nw=abc", "team", "proj", ("nw-abc-v", "abc"), None),
        ("https://wandb.ai/team/proj/reports/My-Title--VmlldzoxMzcwNzMyNg", "team", "proj", (), "VmlldzoxMzcwNzMyNg=="),
        ("https://wandb.ai/team/proj/reports/My-Title--VmlldzoxMzcwNzMyNg/", "team", "proj", (), "VmlldzoxMzcwNzMyNg=="),
        ("https://wandb.ai/team/proj/reports/A--B--VmlldzoxMzcwNzMyNg/edit?x=1", "team", "proj", (), "VmlldzoxMzcwNzMyNg=="),
        ("https://host/base/path/team/proj/reports/T--VmlldzoxMzcwNzMyNg", "team", "proj", (), "VmlldzoxMzcwNzMyNg=="),
    ],
)  # fmt: skip
def test_urls_the_library_chokes_on(
    url: str, entity: str, project: str, names: tuple[str, ...], view_id: str | None
) -> None:
    address = parse_url(url)
    assert (address.entity, address.project, address.names, address.view_id) == (
        entity,
        project,
        names,
        view_id,
    )


@pytest.mark.parametrize(
    "url",
    ["wandb.ai/team/proj?nw=abc", "https://wandb.ai/team/proj", "https://x/reports/T--bm90"],
)
def test_urls_that_name_no_view(url: str) -> None:
    with pytest.raises(UrlError):
        parse_url(url)


@pytest.mark.parametrize(
    ("url", "base_url", "same"),
    [
        ("https://wandb.ai/t/p?nw=x", "https://api.wandb.ai", True),  # app at forge.coreweave.com/wandb
        ("https://forge.coreweave.com/wandb/t/p?nw=x", "https://api.wandb.ai", True),
        ("https://app.wandb.ai/t/p?nw=x", "https://api.forge.coreweave.com", True),
        ("https://qa.wandb.ai/t/p?nw=x", "https://api.wandb.ai", False),
        ("http://localhost:8080/t/p?nw=x", "http://127.0.0.1:8080", True),
        ("http://localhost:8081/t/p?nw=x", "http://127.0.0.1:8080", False),
        ("https://WANDB.corp:443/base/t/p?nw=x", "http://wandb.corp", True),  # the scheme's own port
        ("https://app.corp.io/t/p/reports/T--VmlldzoxMzcwNzMyNg", "https://api.corp.io", True),
        ("https://wandb.ai/sandbox/p/reports/T--Vmlldzoz", "http://127.0.0.1:8080", False),
        ("https://wandb.corp/t/p?nw=x", "https://api.wandb.ai", False),
    ],
)  # fmt: skip
def test_a_url_names_the_server_it_is_on(url: str, base_url: str, same: bool) -> None:
    from reportgen.pull.urls import same_server
    from reportgen.remote.session import app_url

    assert same_server(parse_url(url), app_url(base_url, {})) is same


def test_a_url_of_another_server_says_where_to_point_reportgen() -> None:
    from reportgen.commands.pull import check_servers, server
    from reportgen.problems import ReportgenError

    cloud = parse_url("https://wandb.ai/sandbox/p/reports/T--Vmlldzoz")
    here = parse_url("http://127.0.0.1:8080/sandbox/p?nw=x")
    sandbox = server(None, {"WANDB_BASE_URL": "http://127.0.0.1:8080/"})
    check_servers([here], *sandbox)
    with pytest.raises(ReportgenError) as caught:
        check_servers([here, cloud], *sandbox)
    assert caught.value.message == (
        "https://wandb.ai/sandbox/p/reports/T--Vmlldzoz is on wandb.ai, but reportgen asks "
        "http://127.0.0.1:8080 (WANDB_BASE_URL); to pull from wandb.ai, "
        "pass --base-url https://api.wandb.ai or set WANDB_BASE_URL=https://api.wandb.ai"
    )
    corp = parse_url("https://wandb.corp/team/p?nw=x")
    with pytest.raises(ReportgenError) as caught:
        check_servers([cloud, corp], *server(None, {}))
    assert caught.value.message == (
        "https://wandb.corp/team/p?nw=x is on wandb.corp, but reportgen asks "
        "https://forge.coreweave.com/wandb (W&B's cloud: no --base-url or WANDB_BASE_URL is set);"
        " to pull from wandb.corp, pass --base-url https://wandb.corp or set "
        "WANDB_BASE_URL=https://wandb.corp"
    )
    assert server("https://api.corp.io", {"WANDB_BASE_URL": "http://x"}) == (
        "https://app.corp.io",
        "--base-url",
    )


def test_file_names_stay_inside_and_apart() -> None:
    assert file_names(["a", "A", "a-2", "x..y"]) == [
        "a.yaml",
        "a-2.yaml",
        "a-2-2.yaml",
        "x..y.yaml",
    ]


def test_passthrough_that_does_not_fit_is_a_problem(tmp_path: Path) -> None:
    from reportgen.problems import ReportgenError

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "workspace:\n  key: k\n  title: t\n  project: p\n"
        "  passthrough: {set: {/section/runSets/7/x: 1}}\n"
    )
    with pytest.raises(ReportgenError) as caught:
        build_views([spec], environ=ENV)
    assert caught.value.problems[0].code == "RG311"
    assert "/section/runSets/7/x" in caught.value.problems[0].message


ANCHORED = """\
# two documents, an anchor, comments
x-common: &common
  entity: team   # shared
  project: proj
workspace:
  <<: *common
  key: one
  title: One
  runset:
    sort: [summary.accuracy desc]   # best first
---
report:
  key: two
  title: Two
  project: proj
"""


def test_rewrite_changes_one_value_and_keeps_the_rest() -> None:
    rewriter = Rewriter(ANCHORED)
    found = rewriter.locate(7)
    assert found is not None
    _, node, where = found
    assert where == "workspace"
    old = json.loads(json.dumps(node))
    new = {**old, "runset": {"sort": ["summary.accuracy asc"]}}
    assert merge(node, old, new) == []
    before, after = ANCHORED.splitlines(), rewriter.render().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [9]  # only the edited line; its comment keeps its column
    assert after[9] == "    sort: [summary.accuracy asc]    # best first"


def test_spec_diff_names_fields_in_the_specs_terms() -> None:
    from reportgen.pull.compare import MISSING, SpecDifference, spec_diff

    before = {"runset": {"sort": ["summary.accuracy desc", "run.name asc"]}, "title": "A"}
    after = {"runset": {"sort": ["summary.accuracy asc", "run.name asc"]}, "title": "A", "x": 1}
    assert spec_diff(before, after) == [
        SpecDifference("runset.sort[0]", "summary.accuracy desc", "summary.accuracy asc"),
        SpecDifference("x", MISSING, 1),
    ]


def test_edits_made_one_by_one_keep_the_rest_and_place_new_keys_as_written() -> None:
    from reportgen.pull.edits import applied, edits

    old = {"key": "k", "title": "T", "project": "p", "settings": {"auto_panels": False}}
    new = {"key": "k", "title": "U", "project": "p", "runset": {"sort": ["run.name asc"]}}
    found = edits(old, new)
    assert [(e.describe(), e.removes) for e in found] == [
        ("title", False),
        ("settings", True),
        ("runset", False),
    ]
    title, settings, runset = found
    assert applied(old, new, [title]) == {**old, "title": "U"}
    assert list(applied(old, new, [runset, settings])) == ["key", "title", "project", "runset"]
    assert applied(old, new, found) == new and old["title"] == "T"  # old is left alone
    sort = edits({"s": ["a desc", "b asc"]}, {"s": ["a asc", "b asc"]})
    assert [(e.path, e.value) for e in sort] == [(("s", 0), "a asc")]


@pytest.mark.parametrize(
    ("section", "name", "written"),
    [
        ("summary", "accuracy", "accuracy"),
        ("summary", "train.loss", "train.loss"),
        ("summary", "cfg.lr", "summary.cfg.lr"),  # bare, validate would ask: config.lr?
        ("summary", "Config.arch", "summary.Config.arch"),
        ("config", "lr", "config.lr"),
        ("run", "name", "name"),
    ],
)
def test_pulled_references_are_ones_validate_takes_without_a_warning(
    section: str, name: str, written: str
) -> None:
    """A summary key written bare only where validate reads it without RG312's warning."""
    from reportgen.pull.refs import ref_text
    from reportgen.spec.refs import Ref, Section, prefix_typo

    text = ref_text(Ref(Section(section), name), bare=True)
    assert text == written
    assert prefix_typo(text) is None
