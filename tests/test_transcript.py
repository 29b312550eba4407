"""README's quick start and "A leaderboard in 15 lines", followed as a new user would, in a
fresh copy of the repository: every command shown in a README `sh` block is run in order
and exits as README says (0 unless its comment says `exits N`).

The copy holds the files git tracks (and new ones not ignored): no `.venv`, no build, no
caches. Instead of installing the world again, its `.venv` is a bare virtual environment
that sees this checkout's installed dependencies (a `.pth` file, as `pip install --no-deps
-e .` would arrange) and gets the `reportgen` script pip would write; it is stamped as
installed so that `make` does not reinstall. `reportgen` is not on the PATH until README's
activation line puts it there.

Two commands are not run as written: `make test` (it is this suite), and `reportgen
sandbox`, which runs in the background here, on a free port with its own database (README
runs it in a second terminal); its `export` lines are applied to the commands after it,
as README says to paste them, and Ctrl-C stops it with 130.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
NOT_RUN = {"make test": "the whole suite, this test included"}
EXITS = re.compile(r"#.*?\bexits (\d+)")


def sh_commands(text: str) -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of every ```sh block, in order."""
    found: list[tuple[str, int]] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                wanted = EXITS.search(line)
                found.append((command, int(wanted.group(1)) if wanted else 0))
    return found


def leaderboard_file() -> tuple[str, str]:
    """The file README says to save the 15-line leaderboard as, and the YAML itself."""
    section = README.split("## A leaderboard in 15 lines", 1)[1]
    yaml_text = re.search(r"```yaml\n(.*?)```", section, flags=re.S)
    target = re.search(r"Save it as `([^`]+)`", section)
    assert yaml_text and target, "README's leaderboard section changed shape"
    return target.group(1), yaml_text.group(1)


def fresh_copy(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def bare_venv(clone: Path) -> None:
    """`.venv` as `make` leaves it, without installing: this checkout's dependencies, the
    copy's own reportgen first, and the `reportgen` script."""
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "reportgen-transcript.pth").write_text("\n".join([str(clone), *ours]) + "\n")
    script = venv / "bin" / "reportgen"
    script.write_text(f"#!{python}\nimport sys\nfrom reportgen.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    (venv / ".installed-stamp").touch()  # newer than pyproject.toml: make installs nothing


def clean_environment(home: Path) -> dict[str, str]:
    """No W&B settings, no reportgen on the PATH, caches in the scratch directory."""
    path = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not (Path(d) / "reportgen").exists()
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=os.pathsep.join(path),
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_COLOR="1",
    )
    return env


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="git, make")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs a git checkout")
def test_readme_commands_exit_as_readme_says(tmp_path: Path) -> None:
    clone, home = tmp_path / "reportgen", tmp_path / "home"
    home.mkdir()
    fresh_copy(clone)
    bare_venv(clone)
    env = clean_environment(home)
    saved_as, yaml_text = leaderboard_file()
    (clone / saved_as).parent.mkdir(parents=True, exist_ok=True)
    (clone / saved_as).write_text(yaml_text, encoding="utf-8")

    prelude: list[str] = []  # what the user's shell has been told so far
    transcript: list[str] = []
    sandbox: subprocess.Popen[str] | None = None

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        script = "\n".join([*prelude, command])
        return subprocess.run(
            ["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=120
        )

    assert shell("command -v reportgen").returncode != 0, "reportgen is on the PATH already"
    commands = sh_commands(README)
    assert [c for c, _ in commands[:2]] == ["make demo", "make test"], commands
    try:
        for command, expected in commands:
            if command in NOT_RUN:
                continue
            if command.startswith("reportgen sandbox"):
                sandbox, exports = start_sandbox(command, prelude, clone, env, tmp_path)
                prelude.extend(exports)
                continue
            done = shell(command)
            transcript.append(f"$ {command}\n{done.stdout}{done.stderr}")
            assert done.returncode == expected, "\n".join(transcript)
            assert "Traceback" not in done.stderr, "\n".join(transcript)
            if command.startswith(". ") or command.startswith("source "):
                prelude.append(command)  # the rest of the session has it
            check_output(command, done.stdout, prelude)
    finally:
        code = stop(sandbox)
    assert sandbox is not None, "README shows no sandbox"
    assert code == 130, "Ctrl-C stops the sandbox with 130, as README says"
    assert len(transcript) == len([c for c, _ in commands if c not in NOT_RUN]) - 1


def stop(sandbox: subprocess.Popen[str] | None) -> int | None:
    """Ctrl-C, as README says; the exit code."""
    if sandbox is None:
        return None
    if sandbox.poll() is None:
        sandbox.send_signal(signal.SIGINT)
    try:
        return sandbox.wait(timeout=30)
    finally:
        if sandbox.stdout is not None:
            sandbox.stdout.close()


def start_sandbox(
    command: str, prelude: list[str], clone: Path, env: dict[str, str], tmp: Path
) -> tuple[subprocess.Popen[str], list[str]]:
    """README's sandbox command in the background; the export lines it prints."""
    isolated = f"{command} --port 0 --db {tmp / 'sandbox.db'}"
    process = subprocess.Popen(
        ["bash", "-c", "\n".join([*prelude, f"exec {isolated}"])],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    exports = [process.stdout.readline().strip() for _ in range(3)]
    names = [line.split("=", 1)[0] for line in exports]
    assert names == [
        "export WANDB_BASE_URL",
        "export WANDB_API_KEY",
        "export WANDB_ENTITY",
    ], banner + "\n".join(exports)
    assert exports[2] == "export WANDB_ENTITY=sandbox", "the sandbox's entity"
    return process, exports


def check_output(command: str, out: str, prelude: list[str]) -> None:
    """What README says a command shows, where it says it."""
    if command == "make demo":
        activation = next(c for c, _ in sh_commands(README) if c.startswith(". "))
        assert f"run `{activation}`" in out, "make demo ends with README's activation line"
        assert "Apply: 4 created" in out
        assert "Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged" in out
        assert ranked(out)[:3] == [("1", VIT), ("2", RESNET), ("1", RESNET)], out  # preview
        assert "build/preview.html: the ranked tables and the training curves" in out
    elif (
        command.startswith("reportgen preview")
        and " -f " not in command
        and "--gate" not in command
    ):
        assert ranked(out) == [("1", VIT), ("2", RESNET), ("1", RESNET)], out
    elif command.startswith("reportgen validate"):
        assert out.startswith("ok: 2 objects in 1 file"), out
    elif command.startswith("reportgen apply"):
        assert "Apply: 4 created" in out, out


VIT, RESNET = "vit-base-patch16-v1", "resnet50-v1"


def ranked(out: str) -> list[tuple[str, str]]:
    """(rank, run) of the rows of preview's terminal tables, in order."""
    rows = (line.split() for line in out.splitlines())
    return [(w[0], w[1]) for w in rows if len(w) > 1 and w[0].isdigit() and w[1] in (VIT, RESNET)]
