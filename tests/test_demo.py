"""`make demo`, the README's first command, keeps working: the whole loop on the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_runs_the_whole_loop(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "reportgen.demo"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,  # not a terminal: the demo does not wait for Enter
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "ok: 2 objects in 1 file" in out  # the validated objects
    assert "Apply: 4 created" in out
    assert "Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged" in out
    ranked = [
        line.split()[:2]
        for line in out.splitlines()
        if line.split()[1:2] and line.split()[0].isdigit() and "-v1" in line
    ]
    assert ranked[:3] == [["1", "vit-base-patch16-v1"], ["2", "resnet50-v1"], ["1", "resnet50-v1"]]
    page = REPO / "build" / "preview.html"
    assert (
        f"build/preview.html: the ranked tables and the training curves, one offline HTML file: {page.as_uri()}"
        in out
    )
    assert page.read_text().count("<svg") == 4
    assert "Traceback" not in done.stderr
