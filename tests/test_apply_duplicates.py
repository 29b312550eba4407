"""One view per (key, view type) whatever W&B's id-less upsert does, under lost responses and
racing applies (issue 14).

Every test runs against the sandbox in both upsert modes: `by-name` (an id-less upsertView
under an existing name updates that view) and `insert` (every id-less upsertView inserts a
new view, as a proxy or a W&B that does not upsert by name would). Racers are threads, each
with its own `wandb.Api` session, released together by a barrier after compiling; the
server is real HTTP, the clients are the real wandb and wandb-workspaces.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reportgen.commands.apply import Options, Outcome, apply
from reportgen.commands.build import BuiltView, build_views
from reportgen.remote.identity import parse_marker
from reportgen.remote.session import Credentials, Session, connect
from reportgen.sandbox import Sandbox
from reportgen.sandbox.faults import Fault

MODES = ("by-name", "insert")
RACERS = (2, 4, 8)
REPETITIONS = 20
KEYS = ("race",)  # a leaderboard: a workspace view and a report under one key


def start(mode: str) -> Sandbox:
    """A sandbox in one upsert mode."""
    import os

    if mode == "insert":
        os.environ["TMP_INSERT_ALWAYS"] = "1"
    else:
        os.environ.pop("TMP_INSERT_ALWAYS", None)
    return Sandbox().start()


@pytest.fixture(scope="module", params=MODES)
def server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    sb = start(request.param)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in sb.env().items():
            mp.setenv(name, value)
        try:
            yield sb
        finally:
            sb.stop()


@pytest.fixture(scope="module")
def sessions(server: Sandbox) -> list[Session]:
    """One signed-in client per racer, reused across repetitions."""
    credentials = Credentials(server.base_url, server.api_key, server.entity)
    return [connect(credentials) for _ in range(max(RACERS))]


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("race-specs")
    for key in KEYS:
        (folder / f"{key}.yaml").write_text(leaderboard(key, "${RACE_PROJECT}"))
    return folder


def leaderboard(key: str, project: str) -> str:
    """A leaderboard: a workspace view and a report under one key."""
    return f"leaderboard:\n  key: {key}\n  title: {key}\n  project: {project}\n  metrics: [accuracy max]\n"


def build(spec_dir: Path, server: Sandbox, project: str) -> list[BuiltView]:
    return build_views([spec_dir], environ={"WANDB_ENTITY": server.entity, "RACE_PROJECT": project})


def listed(sb: Sandbox, project: str) -> dict[tuple[str, str], list[str]]:
    """(key, view type) -> the ids of the views carrying it, read straight from the server."""
    query = """query($e: String!, $p: String!, $t: String) { project(name: $p, entityName: $e) {
      allViews(viewType: $t, first: 1000) { edges { node { id description } } } } }"""
    found: dict[tuple[str, str], list[str]] = {}
    for view_type in ("project-view", "runs"):
        data = sb.graphql(query, {"e": sb.entity, "p": project, "t": view_type}).json["data"]
        for edge in (data["project"] or {"allViews": {"edges": []}})["allViews"]["edges"]:
            marker = parse_marker(edge["node"]["description"])
            key = marker.key if marker else "<unmanaged>"
            found.setdefault((key, view_type), []).append(edge["node"]["id"])
    return found


def assert_one_each(sb: Sandbox, project: str) -> dict[tuple[str, str], str]:
    found = listed(sb, project)
    expected = {(k, t) for k in KEYS for t in ("project-view", "runs")}
    assert set(found) == expected, found
    extra = {k: ids for k, ids in found.items() if len(ids) != 1}
    assert not extra, f"more than one view for {extra}"
    return {k: ids[0] for k, ids in found.items()}


def urls_by_key(outcome: Outcome) -> dict[tuple[str, str], str]:
    return {(e.change.key, e.change.view_type): e.url or "" for e in outcome.events}


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
        survivors = assert_one_each(server, project)
        # Every racer reports the view that survived, whichever copy it made itself.
        for outcome in outcomes:
            for where, url in urls_by_key(outcome).items():
                assert url, (rep, where)
            copies_removed += sum(
                "extra cop" in e.message for e in outcome.events if e.outcome == "created"
            )
        reported = {frozenset(urls_by_key(o).items()) for o in outcomes}
        assert len(reported) == 1, f"repetition {rep}: racers disagree on the URLs: {reported}"
        assert len(survivors) == 2 * len(KEYS)
    if server_mode(server) == "insert":
        assert copies_removed > 0  # the race did make copies, and they were removed


def server_mode(sb: Sandbox) -> str:
    import os

    return "insert" if os.environ.get("TMP_INSERT_ALWAYS") else "by-name"


def test_thirty_percent_lost_responses_leave_one_view_per_key_and_type(
    server: Sandbox, sessions: list[Session], tmp_path: Path
) -> None:
    """Every write is stored, and 30% of their answers are lost (the connection reset after the
    write). wandb-core sends the request again by itself: an insert-always server then holds a
    second copy, which apply's own listing after its creates finds and deletes; a delete sent
    again finds its view gone. (Reads are left alone: a lost read answer is only a resend,
    and each costs wandb-core's 2 s back-off.)"""
    project = "lost-responses"
    folder = tmp_path / "specs"
    folder.mkdir()
    keys = [f"lost-{i}" for i in range(4)]
    for key in keys:
        (folder / f"{key}.yaml").write_text(leaderboard(key, project))
    views = build_views([folder], environ={"WANDB_ENTITY": server.entity})
    writes = ("UpsertView2", "deleteView", "CreateProject")
    server.set_faults(*(Fault("drop_after", op=op, rate=0.3) for op in writes), seed=14)
    try:
        outcome = apply(sessions[0], views, Options(concurrency=8))
        fired = sum(f["fired"] for f in server.faults()["faults"])
    finally:
        server.clear_faults()
    assert fired > 0
    assert not outcome.failed, [(e.change.key, e.message) for e in outcome.events]
    found = listed(server, project)
    assert {k: len(v) for k, v in found.items()} == {
        (k, t): 1 for k in keys for t in ("project-view", "runs")
    }
    again = apply(sessions[0], views, Options())
    assert {e.outcome for e in again.events} == {"unchanged"}
