"""`reportgen build`: golden files, determinism, no credentials, no partial output.

``tests/golden`` holds ``reportgen build specs/ examples/ -o tests/golden`` run with
``WANDB_ENTITY=golden``: one canonical JSON per object (``<key>.<kind>.json``). After a
deliberate change to the compiled output, regenerate them and review the diff::

    REPORTGEN_UPDATE_GOLDEN=1 .venv/bin/pytest -p no:warnings tests/test_build.py

The build runs in subprocesses, as users run it: with different hash seeds, without an API
key, and with WANDB_BASE_URL at a closed port or at a sandbox that counts every request.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from reportgen.cli import run
from reportgen.commands.build import build_views, output_name
from reportgen.compile.normalize import normalize
from reportgen.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
SOURCES = ("specs", "examples")
UPDATE = os.environ.get("REPORTGEN_UPDATE_GOLDEN") == "1"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def clean_env(tmp: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """No WANDB_* from the caller, no ~/.netrc or wandb settings: HOME is a fresh directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "NETRC": str(home / ".netrc"),
        }
    )
    env.update(extra)
    return env


def build_cli(out: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`reportgen build specs examples -o OUT` in a fresh interpreter, from the repo root."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", "build", *SOURCES, "-o", str(out)],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``directory`` with its bytes and modification time."""
    return {
        p.relative_to(directory).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def contents(directory: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _) in snapshot(directory).items()}


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build as CI runs it: no API key, W&B's address a closed port, hash seed 1."""
    tmp = tmp_path_factory.mktemp("build")
    env = clean_env(
        tmp,
        {
            "WANDB_ENTITY": "golden",
            "PYTHONHASHSEED": "1",
            "WANDB_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        },
    )
    target = GOLDEN if UPDATE else tmp / "out"
    done = build_cli(target, env)
    assert done.returncode == 0, done.stderr
    return target


def test_build_equals_the_golden_files(first_build: Path) -> None:
    """Same file set, same bytes. On purpose changes: REPORTGEN_UPDATE_GOLDEN=1 (see top)."""
    golden = contents(GOLDEN)
    assert golden, "tests/golden is empty: run with REPORTGEN_UPDATE_GOLDEN=1"
    built = contents(first_build)
    assert sorted(built) == sorted(golden)
    for name, data in built.items():
        assert data == golden[name], f"{name} differs from tests/golden (see the module doc)"


def test_golden_files_are_one_per_object() -> None:
    """One `<key>.<kind>.json` per declared object, each with its view fields and spec."""
    views = build_views([REPO / name for name in SOURCES], environ={"WANDB_ENTITY": "golden"})
    assert sorted(contents(GOLDEN)) == sorted(output_name(v) for v in views)
    for view in views:
        document = json.loads((GOLDEN / output_name(view)).read_text(encoding="utf-8"))
        assert (document["key"], document["kind"], document["type"]) == (
            view.key,
            view.kind,
            view.view_type,
        )
        assert document["spec"] == normalize(view.spec(), view.view_type)


def test_build_is_deterministic_and_offline_with_credentials_at_hand(
    first_build: Path, tmp_path: Path
) -> None:
    """Another process, another hash seed, real credentials for a server that counts every
    request: the same bytes, and not one request (also no telemetry)."""
    with Sandbox() as sb:
        env = clean_env(tmp_path, {**sb.env(), "WANDB_ENTITY": "golden", "PYTHONHASHSEED": "2"})
        assert env["WANDB_API_KEY"]
        done = build_cli(tmp_path / "out", env)
        assert done.returncode == 0, done.stderr
        assert sb.stats()["requests"] == 0
    assert contents(tmp_path / "out") == contents(first_build)


def test_build_in_process_gives_the_same_bytes(
    first_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("WANDB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WANDB_ENTITY", "golden")
    monkeypatch.chdir(REPO)
    assert run(["build", *SOURCES, "-o", str(tmp_path / "a")]) == 0
    assert run(["build", *SOURCES, "-o", str(tmp_path / "b")]) == 0
    assert contents(tmp_path / "a") == contents(tmp_path / "b") == contents(first_build)


# --- failures write nothing ------------------------------------------------------------------

BROKEN = {
    # a schema error (validate)
    "schema": "workspace: {key: broken, title: Broken, project: p, colour: red}\n",
    # a filter W&B cannot store (compile)
    "too-deep": (
        "workspace:\n  key: broken\n  title: Broken\n  project: p\n  runset:\n"
        "    filter: config.a == 1 and (config.b == 2 or (config.c == 3 and "
        "(config.d == 4 or config.e == 5)))\n"
    ),
    # an entity the environment cannot resolve (parse)
    "environment": "workspace: {key: broken, title: Broken, entity: '${NO_SUCH_VARIABLE}', project: p}\n",
}


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copies of specs/ and examples/ in a scratch directory, made the working directory."""
    root = tmp_path / "repo"
    for name in SOURCES:
        shutil.copytree(REPO / name, root / name)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_failing_spec_writes_nothing(
    broken: str,
    sources: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WANDB_ENTITY", "golden")
    out = tmp_path / "out"
    shutil.copytree(GOLDEN, out)
    (out / "old.workspace.json").write_text("{}\n")  # stale, but nothing may be removed either
    (out / "notes.txt").write_text("mine\n")
    before = snapshot(out)
    (sources / "specs" / "broken.yaml").write_text(BROKEN[broken], encoding="utf-8")

    assert run(["build", *SOURCES, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "broken.yaml" in err
    assert snapshot(out) == before
    assert run(["build", *SOURCES, "-o", str(tmp_path / "new")]) == 1
    assert not (tmp_path / "new").exists()


def test_stale_build_files_are_removed(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Build files of objects that are gone go; files reportgen did not write stay, whatever
    their name."""
    monkeypatch.setenv("WANDB_ENTITY", "golden")
    out = tmp_path / "out"
    out.mkdir()
    earlier = (GOLDEN / "cifar10.workspace.json").read_bytes()
    for name in ("gone.workspace.json", "gone.report.json", "cifar10.workspace.json"):
        (out / name).write_bytes(earlier)
    (out / "notes.txt").write_text("mine\n")
    (out / "other.json").write_text("{}\n")
    (out / "mine.report.json").write_text('{"written": "by hand"}\n')

    assert run(["build", *SOURCES, "-o", str(out)]) == 0
    after = contents(out)
    assert "gone.workspace.json" not in after and "gone.report.json" not in after
    assert after.pop("notes.txt") == b"mine\n" and after.pop("other.json") == b"{}\n"
    assert after.pop("mine.report.json") == b'{"written": "by hand"}\n'
    assert after == contents(GOLDEN)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left"


def test_unwritable_output_is_one_line(
    sources: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WANDB_ENTITY", "golden")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run(["build", *SOURCES, "-o", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("reportgen: cannot write the build to") and err.count("\n") == 1


def test_a_directory_in_the_way_stops_the_build_before_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing half-written: when one of the build's files cannot be written (a directory
    holds its name), none is, and the message names that file, not a temporary one."""
    monkeypatch.setenv("WANDB_ENTITY", "team")
    out = tmp_path / "out"
    (out / "cifar10.report.json").mkdir(parents=True)
    assert run(["build", str(REPO / "specs"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"reportgen: cannot write the build to {out}/cifar10.report.json: Is a directory\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["cifar10.report.json"]
