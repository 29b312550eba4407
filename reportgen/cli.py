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

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHANGES = 2
EXIT_GATE = 3
EXIT_INTERRUPTED = 130

_verbosity = 0
# Strings, not click's Path: click would turn an empty argument into "." (this directory).
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str))


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-v", "--verbose", count=True, help="More output; -v also prints tracebacks of internal errors."
)
@click.version_option(package_name="reportgen")
def cli(verbose: int) -> None:
    """W&B workspaces, reports and leaderboards as code."""
    global _verbosity
    _verbosity = verbose


@cli.command()
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
@click.option("--strict", is_flag=True, help="Warnings fail too.")
def validate(paths: tuple[str, ...], fmt: str | None, strict: bool) -> int:
    """Check spec files: YAML, schema and semantics. PATHS default to specs/."""
    from reportgen.commands.validate import DEFAULT_PATHS, validate_paths
    from reportgen.reporters import REPORTERS, object_listing

    result = validate_paths([*paths] or list(DEFAULT_PATHS))
    chosen = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    out = REPORTERS[chosen](result.problems, _color(sys.stdout))
    if chosen == "text" and not result.problems:
        out = object_listing(result)
    sys.stdout.write(out)
    failed = not result.ok or (strict and bool(result.problems))
    return EXIT_FAILURE if failed else EXIT_OK


@cli.command()
@_verbose_option
@PATHS
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Directory for the JSON files.",
)
def build(paths: tuple[str, ...], out: Path) -> int:
    """Compile specs into the W&B view JSON that apply would send. No credentials needed.

    Writes one canonical JSON per object (random ids replaced by stable placeholders,
    keys sorted) for review and golden tests. PATHS default to specs/.
    """
    from reportgen.commands.build import build_views, write_build
    from reportgen.commands.validate import DEFAULT_PATHS

    views = build_views([*paths] or list(DEFAULT_PATHS))
    for path in write_build(views, out):
        click.echo(str(path))
    return EXIT_OK


def _summary_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A summary file whose folder exists, checked before any work is done."""
    if value is not None and (value.is_dir() or not value.resolve().parent.is_dir()):
        raise click.BadParameter(f"{value}: not a file in an existing directory")
    return value


SUMMARY = click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    callback=_summary_file,
    metavar="FILE",
    help="Also write a Markdown summary to FILE (and append it to $GITHUB_STEP_SUMMARY when set).",
)


def _remote_options(func: Any) -> Any:
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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _connect(paths: tuple[str, ...], base_url: str | None) -> tuple[Any, Any]:
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
    views = build_views([*paths] or list(DEFAULT_PATHS), environ)
    return session(), views


@cli.command()
@_verbose_option
@PATHS
@_remote_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default=None,
    help="Report format; markdown is one pull-request comment.  [default: text]",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json", "markdown"]),
    default=None,
    hidden=True,
    help="Old spelling of -f/--format.",
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
    fmt: str | None,
    output: str | None,
    detailed_exitcode: bool,
    rank_changes: bool,
    summary: Path | None,
) -> int:
    """Show what apply would change, in the spec's terms (and as view JSON diffs)."""
    from reportgen.commands import apply as applying
    from reportgen.commands.review import review
    from reportgen.markdown import plan_comment, plan_summary, write_summary
    from reportgen.render import plan_json, plan_text

    chosen = fmt or output or "text"
    if rank_changes and chosen == "json":
        raise click.UsageError("--rank-changes shows Markdown tables: use -f markdown or text")
    session, views = _connect(paths, base_url)
    options = applying.Options(prune=prune, targets=targets, concurrency=concurrency)
    made, _ = applying.plan(session, views, options)
    ranks = _rank_changes(session, views, made) if rank_changes else ""
    groups = review(made.changes)
    if chosen == "markdown":
        text = plan_comment(made, ranks, groups=groups)
    elif chosen == "json":
        text = plan_json(made, groups)
    else:
        text = plan_text(made, _verbosity > 0, groups) + ("\n" + ranks if ranks else "")
    sys.stdout.write(text)
    if summary is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        write_summary(plan_summary(made, ranks, groups), summary, os.environ)
    return EXIT_CHANGES if detailed_exitcode and made.has_changes else EXIT_OK


def _rank_changes(session: Any, views: Any, made: Any) -> str:
    """preview --diff's rank moves for the changed leaderboards, as Markdown; a note instead
    when they cannot be ranked (the plan itself stands)."""
    from reportgen.commands.review import rank_changes
    from reportgen.preview.diff import moves_markdown
    from reportgen.problems import ReportgenError

    try:
        moves = rank_changes(session, views, made)
    except ReportgenError as exc:
        return f"## Leaderboard changes\n\n_Not ranked: {exc.message}_\n"
    return moves_markdown(moves) if moves else ""


@cli.command()
@_verbose_option
@PATHS
@_remote_options
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
                fmt="text",
                output=None,
                detailed_exitcode=False,
                rank_changes=False,
                summary=summary,
            )
        )
    from reportgen.commands import apply as applying
    from reportgen.progress import EventPrinter

    session, views = _connect(paths, base_url)
    options = applying.Options(
        prune=prune,
        targets=targets,
        skip_drifted=skip_drifted,
        continue_on_error=continue_on_error,
        concurrency=concurrency,
    )
    with EventPrinter(sys.stdout, color=_color(sys.stdout), verbose=_verbosity > 0) as printer:
        outcome = applying.apply(
            session, views, options, on_event=printer.event, on_plan=printer.plan
        )
        printer.done(outcome.summary())
    if summary is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        from reportgen.markdown import apply_summary, write_summary

        write_summary(apply_summary(outcome), summary, os.environ)
    return EXIT_FAILURE if outcome.failed else EXIT_OK


def _gate(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Any, ...]:
    from reportgen.spec.gates import GateError, parse_gate

    try:
        return tuple(parse_gate(v) for v in values)
    except GateError as exc:
        raise click.BadParameter(exc.message, param_hint="--gate") from None


@cli.command()
@_verbose_option
@PATHS
@click.option(
    "--base-url", default=None, help="W&B server (default: WANDB_BASE_URL, else W&B's cloud)."
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="GLOB",
    help="Only keys matching GLOB (repeatable).",
)
@click.option(
    "-f", "--format", "fmt",
    type=click.Choice(["table", "markdown", "csv", "json", "html"]), default="table", show_default=True,
    help="Output format: a table on a terminal, Markdown, CSV, JSON, or one self-contained HTML page.",
)  # fmt: skip
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--rows",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="Rows to show per table.",
)
@click.option("--all", "everything", is_flag=True, help="Every matching run (reads them all).")
@click.option("--strict", is_flag=True, help="Data-check warnings fail too (exit 1).")
@click.option(
    "--gate",
    "gates",
    multiple=True,
    metavar="EXPR",
    callback=_gate,
    help="A gate for every previewed table, e.g. 'accuracy >= 0.95' (repeatable); exit 3 if one fails.",
)
@click.option(
    "--diff", is_flag=True, help="Also rank the views live on W&B and show the rank moves."
)
def preview(
    paths: tuple[str, ...],
    base_url: str | None,
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
    rows: int,
    everything: bool,
    strict: bool,
    gates: tuple[Any, ...],
    diff: bool,
) -> int:
    """Rank the specs' runs tables from live runs, as W&B's runs table would. PATHS default to specs/."""
    from reportgen.commands.preview import PreviewOptions
    from reportgen.commands.preview import preview as run_preview
    from reportgen.progress import FetchProgress
    from reportgen.render import render_preview, write_output
    from reportgen.reporters import parsable

    if diff and fmt == "csv":
        raise click.UsageError(
            "--diff shows rank moves, which CSV cannot hold: use -f markdown or json"
        )
    session, views = _connect(paths, base_url)
    options = PreviewOptions(targets, rows, everything, strict, gates, diff)
    with FetchProgress(sys.stderr, enabled=_color(sys.stderr)) as bar:
        result = run_preview(session, views, options, progress=bar.update)
    text = render_preview(result, fmt, color=output is None and _color(sys.stdout))
    if output is not None:
        write_output(output, text)
    else:
        sys.stdout.write(text)
    if result.problems:
        sys.stderr.write(parsable(result.problems))
    if strict and result.problems:
        return EXIT_FAILURE
    failed = result.failed_gates
    if failed:
        board, gate = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        sys.stderr.write(
            f"reportgen: gate failed: {board.target.kind} {board.target.key!r}: {gate.reason}{more}\n"
        )
        return EXIT_GATE
    return EXIT_OK


@cli.command()
@_verbose_option
@click.argument("args", nargs=-1, type=click.Path(path_type=str), metavar="URL... | PATH...")
@click.option(
    "--project", metavar="ENTITY/PROJECT", help="Every saved view and report of a project."
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="KEY",
    help="Rewrite this object in its spec file with W&B's live state (repeatable).",
)
@click.option("--drifted", is_flag=True, help="Rewrite every object edited in W&B since apply.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="A .yaml file for all objects, or a directory for one file each (default: stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--strict", is_flag=True, help="Fail if a view holds what specs cannot say.")
@click.option(
    "--base-url", default=None, help="W&B server (default: WANDB_BASE_URL, else W&B's cloud)."
)
@click.option(
    "--concurrency", type=click.IntRange(1, 32), default=6, show_default=True,
    help="Requests in flight at once.",
)  # fmt: skip
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
        return _pull_back(args, keys, drifted, strict, base_url, concurrency)
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
    _pull_notes(pulled.unrepresented)
    return EXIT_OK


def _pull_notes(found: list[Any]) -> None:
    for part, text in found:
        sys.stderr.write(f"reportgen: {part.kind} {part.key!r} kept {text}\n")


def _pull_back(
    paths: tuple[str, ...],
    keys: tuple[str, ...],
    drifted: bool,
    strict: bool,
    base_url: str | None,
    concurrency: int,
) -> int:
    from reportgen.commands import apply as applying
    from reportgen.commands.pull_back import pull_back

    session, views = _connect(paths, base_url)
    options = applying.Options(concurrency=concurrency)
    made, _ = applying.plan(session, views, options)
    result = pull_back(made, keys=keys, drifted=drifted, strict=strict)
    for line in result.lines():
        click.echo(line)
    return EXIT_FAILURE if result.failed else EXIT_OK


@cli.command()
def schema() -> int:
    """Print the JSON Schema of spec files (for editors and other tools)."""
    from reportgen.spec.schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


@cli.command()
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


def _color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _log_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reportgen" / "last-error.log"


def _internal_error(exc: BaseException) -> int:
    import traceback

    from reportgen.remote.secrets import redact

    trace = redact("".join(traceback.format_exception(exc)))
    log = _log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(trace, encoding="utf-8")
        where = f"; traceback in {log}"
    except OSError:
        where = ""
    if _verbosity:
        sys.stderr.write(trace)
    first = redact(str(exc).splitlines()[0]) if str(exc) else ""
    sys.stderr.write(f"reportgen: internal error: {type(exc).__name__}: {first}{where}\n")
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
