"""Options several commands share, and what they set up: spec paths, --strict, the
options of commands that talk to W&B, and a connected session with the views built.

Part of the edge, with `cli`: the command functions stay short.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

# Strings, not click's Path: click would turn an empty argument into "." (this directory).
# Not checked by click either: a missing or unreadable path is a problem (RG001) like any
# other, in every output format.
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
STRICT = click.option("--strict", is_flag=True, help="Warnings fail too.")


class Group(click.Group):
    """Lists every command with its whole first sentence: nothing cut off with '...'."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def print_warnings(problems: list[Any]) -> None:
    """Warnings of specs that build, plan and apply go on to use: on stderr."""
    from reportgen.reporters import parsable

    sys.stderr.write(parsable(problems))


def remote_options(func: Any) -> Any:
    options = [
        click.option(
            "--base-url",
            default=None,
            help="W&B server (default: WANDB_BASE_URL, else W&B's cloud).",
        ),
        click.option(
            "--prune", is_flag=True, help="Delete managed views whose key no spec declares."
        ),
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="GLOB",
            help="Only keys matching GLOB (repeatable).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 32),
            default=6,
            show_default=True,
            help="Requests in flight at once.",
        ),
        STRICT,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def connect_and_build(
    paths: tuple[str, ...], base_url: str | None, strict: bool
) -> tuple[Any, Any]:
    """Build the views (specs first: their problems come before any network), then connect."""
    from reportgen.commands.build import build_views
    from reportgen.commands.validate import DEFAULT_PATHS
    from reportgen.remote.session import DefaultEntityEnviron, Session, connect, resolve_credentials

    sessions: list[Session] = []

    def session() -> Session:
        if not sessions:
            sessions.append(connect(resolve_credentials(base_url)))
        return sessions[0]

    environ = DefaultEntityEnviron(os.environ, lambda: session().remote.default_entity())
    views = build_views(
        [*paths] or list(DEFAULT_PATHS), environ, warn=print_warnings, strict=strict
    )
    return session(), views


def color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
