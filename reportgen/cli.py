"""Command line: options in, one library call, an exit code out.

Exit codes for every command: 0 ok; 1 problems or failure (an internal error too, with a
one-line message; the traceback with -v, and always in the log file); 2 changes pending
(only with --detailed-exitcode); 3 a leaderboard gate failed; 130 interrupted.

Library modules are imported inside the commands so that `reportgen validate` starts fast
and never imports wandb.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reportgen.options import (
    PATHS,
    STRICT,
    SUMMARY,
    Group,
    color,
    connect_and_build,
    epilog,
    internal_error,
    preview_options,
    print_warnings,
    pull_back_paths,
    pull_notes,
    pull_options,
    remote_options,
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHANGES = 2
EXIT_GATE = 3
EXIT_INTERRUPTED = 130

_verbosity = 0


def _more_verbose(ctx: click.Context, param: click.Parameter, value: int) -> int:
    global _verbosity
    _verbosity += value
    return value


def _verbose_option(func: Any) -> Any:
    """-v after the command too (`reportgen plan -v`), as before it."""
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help="More output; -v also prints tracebacks of internal errors.",
    )(func)


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=epilog("reportgen"),
)
@click.option(
    "-v", "--verbose", count=True, help="More output; -v also prints tracebacks of internal errors."
)
@click.version_option(package_name="reportgen")
def cli(verbose: int) -> None:
    """W&B workspaces, reports and leaderboards as code."""
    global _verbosity
    _verbosity = verbose


@cli.command(epilog=epilog("validate"))
@_verbose_option
@PATHS
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "parsable", "github", "json"]),
    default=None,
    help="Output format (default: github inside GitHub Actions, else text).",
)
@STRICT
def validate(paths: tuple[str, ...], fmt: str | None, strict: bool) -> int:
    """Check spec files: YAML, schema and semantics. PATHS default to specs/."""
    from reportgen.commands.validate import DEFAULT_PATHS, validate_paths
    from reportgen.reporters import REPORTERS, object_listing

    result = validate_paths([*paths] or list(DEFAULT_PATHS))
    chosen = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    out = REPORTERS[chosen](result.problems, color(sys.stdout))
    if chosen == "text" and not result.problems:
        out = object_listing(result)
    sys.stdout.write(out)
    failed = not result.ok or (strict and bool(result.problems))
    return EXIT_FAILURE if failed else EXIT_OK


@cli.command(epilog=epilog("build"))
@_verbose_option
@PATHS
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Directory for the JSON files.  [default: build]",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    hidden=True,
    help="Deprecated spelling of -o/--output.",
)
@STRICT
def build(paths: tuple[str, ...], output: str | None, out: str | None, strict: bool) -> int:
    """Compile specs into the W&B view JSON that apply would send. No credentials needed.

    Writes one canonical JSON per object (random ids replaced by stable placeholders,
    keys sorted) for review and golden tests. PATHS default to specs/.
    """
    from reportgen.commands.build import build_views, write_build
    from reportgen.commands.validate import DEFAULT_PATHS
    from reportgen.options import named_like_format, warn

    if out is not None:
        warn("build", "--out is deprecated: use -o/--output DIR")
    directory = output if output is not None else out
    if directory is not None:
        named_like_format("build", directory, "directory")
    views = build_views([*paths] or list(DEFAULT_PATHS), warn=print_warnings, strict=strict)
    for path in write_build(views, Path(directory or "build")):
        click.echo(str(path))
    return EXIT_OK


PLAN_FORMATS = ("text", "json", "markdown")


@cli.command(epilog=epilog("plan", environment=True))
@_verbose_option
@PATHS
@remote_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(PLAN_FORMATS),
    default=None,
    help="Report format; markdown is one pull-request comment.  [default: text]",
)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0 none, 1 error)."
)
@click.option(
    "--rank-changes",
    is_flag=True,
    help="Also rank the runs of each changed leaderboard as W&B has it and as the specs say "
    "(preview --diff), and show the moves.",
)
@SUMMARY
def plan(
    paths: tuple[str, ...],
    base_url: str | None,
    prune: bool,
    targets: tuple[str, ...],
    concurrency: int,
    strict: bool,
    fmt: str | None,
    output: str | None,
    detailed_exitcode: bool,
    rank_changes: bool,
    summary: Path | None,
) -> int:
    """Show what apply would change, in the spec's terms (and as view JSON diffs)."""
    from reportgen.commands import apply as applying
    from reportgen.commands.review import review
    from reportgen.options import format_or_output, write_output, write_summary
    from reportgen.render import plan_comment, plan_json, plan_summary, plan_text

    fmt, output = format_or_output("plan", fmt, output, PLAN_FORMATS)
    chosen = fmt or "text"
    if rank_changes and chosen == "json":
        raise click.UsageError("--rank-changes shows Markdown tables: use -f markdown or text")
    session, declarations = connect_and_build(paths, base_url, strict)
    options = applying.Options(prune=prune, targets=targets, concurrency=concurrency)
    made, _ = applying.plan(session, declarations, options)
    ranks = _rank_changes(session, declarations, made) if rank_changes else ""
    groups = review(made.changes, declarations.boards)
    if chosen == "markdown":
        text = plan_comment(made, ranks, groups=groups)
    elif chosen == "json":
        text = plan_json(made, groups)
    else:
        text = plan_text(made, _verbosity > 0, groups) + ("\n" + ranks if ranks else "")
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)
        sys.stderr.write(f"reportgen plan: wrote {output} ({made.summary()})\n")
    if summary is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        write_summary(plan_summary(made, ranks, groups), summary, os.environ)
    return EXIT_CHANGES if detailed_exitcode and made.has_changes else EXIT_OK


def _rank_changes(session: Any, declarations: Any, made: Any) -> str:
    """preview --diff's rank moves for the changed leaderboards, as Markdown; a note instead
    when they cannot be ranked (the plan itself stands)."""
    from reportgen.commands.review import rank_changes
    from reportgen.preview.diff import moves_markdown
    from reportgen.problems import ReportgenError

    try:
        moves = rank_changes(session, declarations, made)
    except ReportgenError as exc:
        return f"## Leaderboard changes\n\n_Not ranked: {exc.message}_\n"
    return moves_markdown(moves) if moves else ""


@cli.command(epilog=epilog("apply", environment=True))
@_verbose_option
@PATHS
@remote_options
@click.option(
    "--skip-drifted", is_flag=True, help="Leave views edited in W&B since the last apply alone."
)
@click.option("--continue-on-error", is_flag=True, help="Keep going after a failed object.")
@click.option("--dry-run", is_flag=True, help="Only show the plan.")
@SUMMARY
def apply(
    paths: tuple[str, ...],
    base_url: str | None,
    prune: bool,
    targets: tuple[str, ...],
    concurrency: int,
    strict: bool,
    skip_drifted: bool,
    continue_on_error: bool,
    dry_run: bool,
    summary: Path | None,
) -> int:
    """Create or update W&B views so they match the specs. Safe to run again and again."""
    if dry_run:
        ctx = click.get_current_context()
        return int(
            ctx.invoke(
                plan,
                paths=paths,
                base_url=base_url,
                prune=prune,
                targets=targets,
                concurrency=concurrency,
                strict=strict,
                fmt=None,
                output=None,
                detailed_exitcode=False,
                rank_changes=False,
                summary=summary,
            )
        )
    from reportgen.commands import apply as applying
    from reportgen.progress import EventPrinter

    session, declarations = connect_and_build(paths, base_url, strict)
    options = applying.Options(
        prune=prune,
        targets=targets,
        skip_drifted=skip_drifted,
        continue_on_error=continue_on_error,
        concurrency=concurrency,
    )
    with EventPrinter(sys.stdout, color=color(sys.stdout), verbose=_verbosity > 0) as printer:
        outcome = applying.apply(
            session, declarations, options, on_event=printer.event, on_plan=printer.plan
        )
        printer.done(outcome.summary())
    if summary is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        from reportgen.options import write_summary
        from reportgen.render import apply_summary

        write_summary(apply_summary(outcome, declarations.boards), summary, os.environ)
    return EXIT_FAILURE if outcome.failed else EXIT_OK


@cli.command(epilog=epilog("preview", environment=True))
@_verbose_option
@PATHS
@preview_options
def preview(
    paths: tuple[str, ...],
    base_url: str | None,
    targets: tuple[str, ...],
    fmt: str,
    output: str | None,
    rows: int,
    everything: bool,
    strict: bool,
    gates: tuple[Any, ...],
    diff: bool,
) -> int:
    """Rank the specs' runs tables from live runs, as W&B's runs table would. PATHS default
    to specs/."""
    from reportgen.commands.preview import PreviewOptions
    from reportgen.commands.preview import preview as run_preview
    from reportgen.options import write_output
    from reportgen.progress import FetchProgress
    from reportgen.render import preview_outcome, render_preview

    if diff and fmt == "csv":
        raise click.UsageError("--diff shows rank moves, which CSV cannot hold: use -f markdown")
    session, declarations = connect_and_build(paths, base_url, strict)
    options = PreviewOptions(targets, rows, everything, strict, gates, diff)
    with FetchProgress(sys.stderr, enabled=color(sys.stderr)) as bar:
        result = run_preview(session, declarations, options, progress=bar.update)
    text = render_preview(result, fmt, color=output is None and color(sys.stdout))
    if output is not None:
        write_output(output, text)
    else:
        sys.stdout.write(text)
    said, outcome = preview_outcome(result, strict)
    sys.stderr.write(said)
    return {"ok": EXIT_OK, "problems": EXIT_FAILURE, "gate": EXIT_GATE}[outcome]


@cli.command(epilog=epilog("pull", environment=True))
@_verbose_option
@pull_options
def pull(
    args: tuple[str, ...],
    project: str | None,
    keys: tuple[str, ...],
    drifted: bool,
    output: Path | None,
    force: bool,
    strict: bool,
    base_url: str | None,
    concurrency: int,
) -> int:
    """W&B views into specs: URLs (or --project) to new spec files; with --key or --drifted,
    PATHS (default specs/) are rewritten in place with what W&B has now."""
    from reportgen.commands import pull as pulling
    from reportgen.remote.session import connect, resolve_credentials

    if keys or drifted:
        if project or output or force:
            raise click.UsageError(
                "--key/--drifted rewrite spec files in place; drop --project, -o, --force"
            )
        failed = pull_back_paths(args, keys, drifted, strict, base_url, concurrency)
        return EXIT_FAILURE if failed else EXIT_OK
    if not args and not project:
        raise click.UsageError("give W&B URLs, --project ENTITY/PROJECT, --key KEY or --drifted")
    pulling.parse_urls(args)  # bad URLs before credentials
    if project:
        pulling.parse_project(project)
    session = connect(resolve_credentials(base_url))
    pulled = pulling.pull_views(session, urls=args, project=project, concurrency=concurrency)
    if strict:
        pulling.refuse_unrepresented(pulled)
    if output is None:
        from reportgen.pull.emit import file_text

        sys.stdout.write(file_text(pulled.parts))
    else:
        for path in pulling.write_pulled(pulled, output, force=force):
            click.echo(str(path))
    pull_notes(pulled.unrepresented)
    return EXIT_OK


@cli.command(epilog=epilog("schema"))
def schema() -> int:
    """Print the JSON Schema of spec files (for editors and other tools)."""
    from reportgen.spec.schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


@cli.command(epilog=epilog("sandbox"))
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
    from reportgen.sandbox_views import renderer

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


def _internal_error(exc: BaseException) -> int:
    internal_error(exc, verbose=_verbosity > 0)
    return EXIT_FAILURE


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (no sys.exit), for tests and `main`.

    Everything the command writes goes through `redact`: the W&B API key from the
    environment is masked before any spec, message or traceback can print it.
    """
    from reportgen.remote.secrets import Redacting, register_secret

    register_secret(os.environ.get("WANDB_API_KEY", ""))
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Redacting(out), Redacting(err)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: list[str] | None) -> int:
    from reportgen.problems import ReportgenError

    try:
        result = cli.main(args=argv, prog_name="reportgen", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        sys.stderr.write("reportgen: interrupted\n")
        return EXIT_INTERRUPTED
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "reportgen"
        message = " ".join(exc.format_message().split())
        sys.stderr.write(f"{where}: {message} (see {where} --help)\n")
        return EXIT_FAILURE
    except click.ClickException as exc:
        sys.stderr.write(f"reportgen: {' '.join(exc.format_message().split())}\n")
        return EXIT_FAILURE
    except ReportgenError as exc:
        from reportgen.reporters import parsable

        sys.stderr.write(parsable(exc.problems) if exc.problems else f"reportgen: {exc.message}\n")
        return EXIT_FAILURE
    except Exception as exc:
        return _internal_error(exc)
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    sys.exit(run())
