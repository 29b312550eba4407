"""Command line: options in, one library call, an exit code out.

Exit codes for every command: 0 ok; 1 problems or failure (an internal error too,
with a one-line message); 2 changes pending (only with --detailed-exitcode);
3 a leaderboard gate failed; 130 interrupted.
"""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHANGES = 2
EXIT_GATE = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More output; -v shows tracebacks of internal errors.")
@click.version_option(package_name="reportgen")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """W&B workspaces, reports and leaderboards as code."""
    ctx.obj = {"verbose": verbose}


@cli.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="SQLite file (default: in the user cache directory).")
@click.option("--api-key", default=None, envvar="REPORTGEN_SANDBOX_API_KEY", help="API key clients must present (default: generated and printed once).")
def sandbox(port: int, host: str, db: str | None, api_key: str | None) -> None:
    """Run a local W&B-compatible server in the foreground."""
    from reportgen.sandbox.serve import run_foreground

    raise SystemExit(run_foreground(host=host, port=port, db=db, api_key=api_key))


def main() -> None:
    cli(prog_name="reportgen")
