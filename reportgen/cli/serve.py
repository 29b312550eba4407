"""`reportgen sandbox`: the local W&B-compatible server, with preview's view pages."""

from __future__ import annotations

import click

from reportgen.cli.help import epilog


@click.command(epilog=epilog("sandbox"))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file (default: in the user cache directory).",
)
@click.option(
    "--api-key",
    default=None,
    envvar="REPORTGEN_SANDBOX_API_KEY",
    show_envvar=True,
    help="API key clients must present (default: generated and printed once).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND[,op=NAME][,rate=R][,seconds=S][,times=N]",
    help="Inject a fault: latency, 429, 500, drop or drop_after (repeatable).",
)
@click.option("--fault-seed", type=int, default=None, help="Seed for reproducible fault draws.")
@click.option(
    "--view-upsert",
    type=click.Choice(["by-name", "insert"]),
    default="by-name",
    show_default=True,
    help="What upsertView without an id does: update the view of that name, or always insert.",
)
@click.option(
    "--crash-after",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="A running run without a heartbeat for this long reads as crashed.",
)
def sandbox(
    port: int,
    host: str,
    db: str | None,
    api_key: str | None,
    faults: tuple[str, ...],
    fault_seed: int | None,
    view_upsert: str,
    crash_after: float,
) -> int:
    """Run a local W&B-compatible server in the foreground."""
    from reportgen.sandbox import parse_fault
    from reportgen.sandbox.serve import run_foreground

    try:
        parsed = [parse_fault(text) for text in faults]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    from reportgen.cli.sandbox_views import renderer

    code: int = run_foreground(
        host=host,
        port=port,
        db=db,
        api_key=api_key,
        faults=parsed,
        fault_seed=fault_seed,
        view_upsert=view_upsert,
        crash_after=crash_after,
        renderer=renderer(),
    )
    return code
