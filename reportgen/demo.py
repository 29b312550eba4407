"""`make demo`: the whole loop on the embedded sandbox, with no W&B account.

1. start a sandbox (a local W&B-compatible server) on a free port;
2. log the seed's two training runs with the real wandb SDK (examples/train_seed.py);
3. validate specs/;
4. apply them: the W&B workspace views and reports are created;
5. plan: nothing left to change (a second apply would write nothing);
6. preview: the ranked seed leaderboard, and build/preview.html with its curves;
7. print where to look: on a terminal the sandbox keeps serving the views apply created
   (a one-time login link opens them in a browser) until Enter; then it stops, and the
   demo says how to get `reportgen` on the PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from reportgen.cli import run

SPECS = Path("specs")
PAGE = Path("build") / "preview.html"


def step(number: int, text: str) -> None:
    print(
        f"\n\033[1m[{number}] {text}\033[0m" if sys.stdout.isatty() else f"\n[{number}] {text}",
        flush=True,
    )


def main() -> int:
    from reportgen.cli.sandbox_views import renderer
    from reportgen.sandbox import Sandbox
    from reportgen.sandbox.seed import log_seed

    with Sandbox(renderer=renderer()) as sb:
        os.environ.update(sb.env())
        step(1, f"sandbox: a local W&B-compatible server at {sb.base_url} (entity {sb.entity!r})")
        step(2, "logging the seed's runs with the real wandb SDK (examples/train_seed.py)")
        log_seed(sb)
        print("resnet50-v1 and vit-base-patch16-v1: 50 epochs of epoch, accuracy and loss each")
        checks = [
            (3, "reportgen validate specs/", ["validate", str(SPECS)], 0),
            (4, "reportgen apply specs/", ["apply", str(SPECS)], 0),
            (
                5,
                "reportgen plan specs/ --detailed-exitcode (expect no changes)",
                ["plan", str(SPECS), "--detailed-exitcode"],
                0,
            ),
            (
                6,
                "reportgen preview specs/ (the leaderboard, ranked from the runs)",
                ["preview", str(SPECS)],
                0,
            ),
        ]
        for number, title, argv, expected in checks:
            step(number, title)
            code = run(argv)
            if code != expected:
                print(f"demo: step {number} exited {code}, expected {expected}", file=sys.stderr)
                return 1
        PAGE.parent.mkdir(exist_ok=True)
        if run(["preview", str(SPECS), "-f", "html", "-o", str(PAGE)]) != 0:
            print("demo: writing the HTML preview failed", file=sys.stderr)
            return 1
        step(7, "what to look at")
        stats = sb.stats()
        print(
            f"- the sandbox served {stats['requests']} requests ({stats['writes']} writes);"
            " run `reportgen apply specs/` again and it would write nothing\n"
            "- specs/cifar10.yaml: the seed leaderboard, two views each for it and its ResNet50 variant\n"
            "- `reportgen build` writes the exact view JSON apply sends into build/ (no credentials)\n"
            f"- {PAGE}: the ranked tables and the training curves, one offline HTML file:"
            f" {PAGE.resolve().as_uri()}"
        )
        if sys.stdin.isatty() and sys.stdout.isatty():
            print(
                "- the leaderboard as W&B's URL shows it, served by this sandbox; open this"
                f" one-time login link in your browser:\n\n    {sb.login_link(_leaderboard_path(sb))}\n"
            )
            try:
                input("Press Enter to stop the sandbox. ")
            except (EOFError, KeyboardInterrupt):
                print()
        print(
            "- the URLs above pointed at this demo's sandbox, which stops now; keep one running"
            " with `reportgen sandbox` (it prints the three export lines and a login link for a"
            " browser), or set WANDB_API_KEY to apply to your own W&B"
        )
    print(f"\n{on_path_line()}")
    return 0


def _leaderboard_path(sb: Any) -> str:
    """The path of the seed leaderboard's workspace view in the sandbox."""
    from reportgen.remote.identity import view_name

    name = view_name(sb.entity, "image-classification-leaderboard", "project-view", "cifar10")
    nw = name.removeprefix("nw-").removesuffix("-v")
    return f"/{sb.entity}/image-classification-leaderboard?nw={nw}"


def on_path_line() -> str:
    """How to get `reportgen` on the PATH: the line README's quick start ends with."""
    if sys.prefix == sys.base_prefix:  # not in a virtual environment
        return "reportgen: `pip install .` puts the `reportgen` command on your PATH"
    where = (
        os.path.relpath(sys.prefix) if Path(sys.prefix).is_relative_to(Path.cwd()) else sys.prefix
    )
    activate = Path(where) / ("Scripts" if os.name == "nt" else "bin") / "activate"
    return (
        f"reportgen is installed in {where}: run `. {activate.as_posix()}` to put the `reportgen`"
        " command on your PATH (or `pip install .` into an environment of your own)"
    )


if __name__ == "__main__":
    sys.exit(main())
