"""One view per (key, view type) whatever W&B's id-less upsert does, under lost responses and
racing applies (issue 14).

Every test runs against the sandbox in both upsert modes: `by-name` (an id-less upsertView
under an existing name updates that view) and `insert` (every id-less upsertView inserts a
new view, as a proxy or a W&B that does not upsert by name would), and through both of
apply's transports: reportgen's own (`http`, which never sends a create twice) and
wandb-core's (`wandb`, which sends a request again by itself when its answer is lost).
Racers are threads, each with its own signed-in session (half of them through each
transport), released together by a barrier; the server is real HTTP. One test races
`reportgen apply` processes, as separate machines would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reportgen.commands.apply import Options, Outcome, apply
from reportgen.commands.declare import Declarations, declare_views
from reportgen.remote.identity import parse_marker, view_url
from reportgen.remote.session import Credentials, Session, app_url, connect
from reportgen.sandbox import UPSERT_INSERT, VIEW_UPSERT_MODES, Sandbox
from reportgen.sandbox.faults import Fault

MODES = VIEW_UPSERT_MODES
TRANSPORTS = ("http", "wandb")
RACERS = (2, 4, 8)
REPETITIONS = 20
KEYS = ("race",)  # a leaderboard: a workspace view and a report under one key


@pytest.fixture(scope="module", params=MODES)
def server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    sb = Sandbox(view_upsert=request.param).start()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in sb.env().items():
            mp.setenv(name, value)
        try:
            yield sb
        finally:
            sb.stop()


@pytest.fixture(scope="module")
def sessions(server: Sandbox) -> list[Session]:
    """One signed-in client per racer, reused across repetitions: even ones through
    reportgen's own transport, odd ones through wandb-core."""
    credentials = Credentials(server.base_url, server.api_key, server.entity)
    return [connect(credentials, environ=transport(TRANSPORTS[i % 2])) for i in range(max(RACERS))]


def transport(name: str) -> dict[str, str]:
    return {**os.environ, "REPORTGEN_TRANSPORT": name}


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("race-specs")
    for key in KEYS:
        (folder / f"{key}.yaml").write_text(leaderboard(key, "${RACE_PROJECT}"))
    # Compiled once here first: pydantic completes wandb-workspaces' model classes on first
    # use, and several threads doing that at once (racing applies in one process, which
    # `reportgen apply` never is) can leave `Report` unable to validate assignments.
    declared = declare_views([folder], environ={"WANDB_ENTITY": "e", "RACE_PROJECT": "warm"})
    assert len(list(declared.compile(declared.views))) == 2 * len(KEYS)
    return folder


def leaderboard(key: str, project: str) -> str:
    """A leaderboard: a workspace view and a report under one key."""
    return f"leaderboard:\n  key: {key}\n  title: {key}\n  project: {project}\n  metrics: [accuracy max]\n"


def build(spec_dir: Path, server: Sandbox, project: str) -> Declarations:
    return declare_views(
        [spec_dir], environ={"WANDB_ENTITY": server.entity, "RACE_PROJECT": project}
    )


def listed(sb: Sandbox, project: str, app_url: str) -> dict[tuple[str, str], list[str]]:
    """(key, view type) -> the app URLs of the views carrying it, read straight from the server."""
    query = """query($e: String!, $p: String!, $t: String) { project(name: $p, entityName: $e) {
      allViews(viewType: $t, first: 1000) {
        edges { node { id name displayName description } } } } }"""
    found: dict[tuple[str, str], list[str]] = {}
    for view_type in ("project-view", "runs"):
        data = sb.graphql(query, {"e": sb.entity, "p": project, "t": view_type}).json["data"]
        for edge in (data["project"] or {"allViews": {"edges": []}})["allViews"]["edges"]:
            node = edge["node"]
            marker = parse_marker(node["description"])
            key = marker.key if marker else "<unmanaged>"
            url = view_url(
                app_url,
                sb.entity,
                project,
                view_type,
                node["name"],
                node["id"],
                node["displayName"],
            )
            found.setdefault((key, view_type), []).append(url)
    return found


def assert_one_each(
    sb: Sandbox, project: str, keys: tuple[str, ...], app_url: str
) -> dict[tuple[str, str], str]:
    """Exactly one view per (key, view type); returns its URL."""
    found = listed(sb, project, app_url)
    assert set(found) == {(k, t) for k in keys for t in ("project-view", "runs")}, found
    extra = {k: urls for k, urls in found.items() if len(urls) != 1}
    assert not extra, f"more than one view for {extra}"
    return {k: urls[0] for k, urls in found.items()}


def urls_by_key(outcome: Outcome) -> dict[tuple[str, str], str]:
    """The URL apply reports for each declared view (a deleted extra copy is not the view:
    its `deduplicated` line names the copy it deleted)."""
    return {
        (e.change.key, e.change.view_type): e.url or ""
        for e in outcome.events
        if e.change.action != "delete"
    }


def race(
    server: Sandbox, sessions: list[Session], spec_dir: Path, project: str, n: int
) -> list[Outcome]:
    """n applies of the same specs into one empty project, started together."""
    barrier = threading.Barrier(n)

    def one(i: int) -> Outcome:
        views = build(spec_dir, server, project)
        barrier.wait(timeout=60)
        return apply(sessions[i], views, Options())

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.parametrize("racers", RACERS)
def test_racing_applies_leave_one_view_per_key_and_type(
    server: Sandbox, sessions: list[Session], spec_dir: Path, racers: int
) -> None:
    copies_removed = 0
    for rep in range(REPETITIONS):
        project = f"race-{racers}-{rep}"
        outcomes = race(server, sessions, spec_dir, project, racers)
        for outcome in outcomes:
            failed = [(e.change.key, e.message) for e in outcome.events if e.outcome == "failed"]
            assert not failed, f"repetition {rep}: {failed}"
        survivors = assert_one_each(server, project, KEYS, sessions[0].app_url)
        # Every racer reports the view that survived, whichever copy it made itself.
        for outcome in outcomes:
            assert urls_by_key(outcome) == survivors, f"repetition {rep}"
            copies_removed += sum("extra cop" in e.message for e in outcome.events)
    if server.settings()["view_upsert"] == UPSERT_INSERT:
        assert copies_removed > 0  # the race did make copies, and they were removed


@pytest.mark.parametrize("via", TRANSPORTS)
def test_thirty_percent_lost_responses_leave_one_view_per_key_and_type(
    server: Sandbox, sessions: list[Session], tmp_path: Path, via: str
) -> None:
    """Every write is stored, and 30% of their answers are lost (the connection reset after the
    write). wandb-core sends such a request again by itself: an insert-always server then
    holds a second copy, which apply's own listing after its creates finds and deletes.
    reportgen's transport never sends a create again: apply lists the scope and finds the view
    the lost answer was about. A delete sent again finds its view gone. (Reads are left alone:
    a lost read answer is only a resend, and each costs wandb-core 2 s of back-off.)"""
    session = sessions[TRANSPORTS.index(via)]
    project = f"lost-responses-{via}"
    folder = tmp_path / "specs"
    folder.mkdir()
    keys = [f"lost-{i}" for i in range(4)]
    for key in keys:
        (folder / f"{key}.yaml").write_text(leaderboard(key, project))
    views = declare_views([folder], environ={"WANDB_ENTITY": server.entity})
    writes = ("UpsertView2", "deleteView", "CreateProject")
    server.set_faults(*(Fault("drop_after", op=op, rate=0.3) for op in writes), seed=14)
    try:
        outcome = apply(session, views, Options(concurrency=8))
        fired = sum(f["fired"] for f in server.faults()["faults"])
    finally:
        server.clear_faults()
    assert fired > 0
    assert not outcome.failed, [(e.change.key, e.message) for e in outcome.events]
    survivors = assert_one_each(server, project, tuple(keys), session.app_url)
    assert urls_by_key(outcome) == survivors
    again = apply(session, views, Options())
    assert {e.outcome for e in again.events} == {"unchanged"}


@pytest.mark.parametrize("via", TRANSPORTS)
def test_every_lost_create_leaves_one_view(
    server: Sandbox, sessions: list[Session], tmp_path: Path, via: str
) -> None:
    """The first send of each create is stored and its answer lost. wandb-core sends it
    again: by name the resend updates the view it made; inserting, it makes a copy that apply
    deletes (the copy kept is the first, whose id is the lower). reportgen's transport does
    not send it again: apply lists the scope and finds the view."""
    session = sessions[TRANSPORTS.index(via)]
    project = f"every-create-lost-{via}"
    (tmp_path / "lb.yaml").write_text(leaderboard("lost", project))
    views = declare_views([tmp_path], environ={"WANDB_ENTITY": server.entity})
    server.reset_stats()
    server.set_faults(Fault("drop_after", op="UpsertView2", times=2))
    try:
        outcome = apply(session, views, Options())
    finally:
        server.clear_faults()
    operations = server.stats()["operations"]
    resent = via == "wandb"
    assert operations["UpsertView2"] == (4 if resent else 2)  # two creates
    copies = resent and server.settings()["view_upsert"] == UPSERT_INSERT
    assert operations.get("deleteView", 0) == (2 if copies else 0)
    messages = sorted(e.message for e in outcome.events)
    deleted = "deleted 1 extra copy (a resent create or a concurrent apply)"
    assert messages == ([deleted] * 2 if copies else ["", ""])
    assert urls_by_key(outcome) == assert_one_each(server, project, ("lost",), session.app_url)


def test_plan_shows_copies_an_older_apply_left_and_apply_deletes_them(
    use_sandbox: Callable[[Sandbox], None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before issue 14, an insert-always server kept every resent create. Those copies carry
    the key under apply's own name: plan shows their deletion, apply heals, oldest kept."""
    from reportgen.cli import run
    from reportgen.remote.client import UPSERT_VIEW

    with Sandbox(view_upsert=UPSERT_INSERT) as sb:
        use_sandbox(sb)
        (tmp_path / "lb.yaml").write_text(leaderboard("old", "older-copies"))
        assert run(["apply", str(tmp_path)]) == 0
        first = capsys.readouterr().out
        for view_type in ("project-view", "runs"):  # what a lost answer did before
            node = next(
                e["node"]
                for e in sb.graphql(
                    """query($e: String!, $p: String!, $t: String) { project(name: $p,
                    entityName: $e) { allViews(viewType: $t) { edges { node {
                    name displayName description spec } } } } }""",
                    {"e": sb.entity, "p": "older-copies", "t": view_type},
                ).json["data"]["project"]["allViews"]["edges"]
            )
            variables = {
                "entityName": sb.entity,
                "projectName": "older-copies",
                "type": view_type,
                **{k: node[k] for k in ("name", "displayName", "description", "spec")},
            }
            assert not sb.graphql(UPSERT_VIEW, variables).json.get("errors")

        assert run(["plan", str(tmp_path), "--detailed-exitcode"]) == 2
        out = capsys.readouterr().out
        deletes = [line for line in out.splitlines() if line.startswith("- delete")]
        assert len(deletes) == 2 and all("a second copy of this view" in d for d in deletes)
        assert "Plan: 0 to create, 0 to update, 2 to delete, 2 unchanged" in out

        assert run(["apply", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert out.count("deduplicated") == 3  # two lines and the summary
        assert run(["plan", str(tmp_path), "--detailed-exitcode"]) == 0
        kept = listed(sb, "older-copies", sb.base_url)
        assert all(len(urls) == 1 and urls[0] in first for urls in kept.values()), kept


PROCESS_RACERS = 4
PROCESS_REPETITIONS = 3
KEPT = ("created", "updated", "restored", "unchanged")


def test_racing_apply_processes_leave_one_view_per_key_and_type(
    server: Sandbox, spec_dir: Path
) -> None:
    """The race as users run it: `reportgen apply` in separate processes (as from separate
    machines, half through each transport), started together. A second of latency on each
    listing holds every racer between listing the empty project and creating, so that all
    of them create; each one's listing after its creates finds the copies, and every racer
    reports the same, oldest copy."""
    copies_removed = 0
    app = app_url(server.base_url, {})
    try:
        for rep in range(PROCESS_REPETITIONS):
            project = f"race-processes-{rep}"
            env = server.subprocess_env({**os.environ, "RACE_PROJECT": project})
            server.set_faults(Fault("latency", op="ProjectWorkspaceViews", seconds=1.0))
            racers = [
                subprocess.Popen(
                    [sys.executable, "-m", "reportgen", "apply", str(spec_dir)],
                    env={**env, "REPORTGEN_TRANSPORT": TRANSPORTS[i % 2]},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(PROCESS_RACERS)
            ]
            results = [(p.wait(timeout=240), *p.communicate()) for p in racers]
            server.clear_faults()
            assert [code for code, _, _ in results] == [0] * PROCESS_RACERS, results
            survivors = assert_one_each(server, project, KEYS, app)
            for _, out, err in results:
                lines = [line.split() for line in out.splitlines()]
                reported = {words[3] for words in lines if words and words[0] in KEPT}
                assert reported == set(survivors.values()), (out, err)
                copies_removed += out.count("extra cop")
    finally:
        server.clear_faults()
    if server.settings()["view_upsert"] == UPSERT_INSERT:
        assert copies_removed > 0  # the racers did make copies, and they were removed
