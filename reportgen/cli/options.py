"""The edge's shared vocabulary: options several commands take, what they set up, and
what `--help` ends with.

* One flag vocabulary for every command: `-f/--format NAME` is an output format, `-o/--output
  PATH` a file or directory to write; they never mean each other. Old spellings keep working
  for one release with a warning on stderr: `plan -o FORMAT` (now `-f FORMAT`) and `build
  --out DIR` (now `-o DIR`). An `-o` that names a format while being taken as a path is
  warned about too (`build -o json` writes a directory `json/`): `./json` says a path is meant.
* Spec paths, --strict, the options of commands that talk to W&B, and a connected session
  with the views built.
* Help: the environment a command reads, and example invocations (click rewraps epilog
  paragraphs; one starting with a line of `\\b` is kept as is).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from reportgen.commands.files import write_atomically
from reportgen.problems import ReportgenError

# Exit codes, one table for every command (README)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHANGES = 2
EXIT_GATE = 3
EXIT_INTERRUPTED = 130

_verbosity = 0  # -v count, before or after the command


def _more_verbose(ctx: click.Context, param: click.Parameter, value: int) -> int:
    global _verbosity
    _verbosity += value
    return value


def verbose_option(func: Any) -> Any:
    """-v after the command too (`reportgen plan -v`), as before it."""
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help="More output; -v also prints tracebacks of internal errors.",
    )(func)


def verbosity() -> int:
    return _verbosity


def set_verbosity(value: int) -> None:
    global _verbosity
    _verbosity = value


# Strings, not click's Path: click would turn an empty argument into "." (this directory).
# Not checked by click either: a missing or unreadable path is a problem (RG001) like any
# other, in every output format.
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
STRICT = click.option(
    "--strict", is_flag=True, help="Warnings are errors: reported as errors, and exit 1."
)


def not_empty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An option given as '' is a mistake (an unset variable, say), not "the default"."""
    if isinstance(value, str) and not value.strip():
        raise click.BadParameter("must not be empty")
    return value


TARGETS = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="GLOB",
    help="Only keys matching GLOB (repeatable).",
)
CONCURRENCY = click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=6,
    show_default=True,
    help="Requests in flight at once.",
)
BASE_URL = click.option(
    "--base-url",
    default=None,
    callback=not_empty,
    help="W&B server (default: WANDB_BASE_URL, else W&B's cloud).",
)


def _summary_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A summary file whose folder exists, checked before any work is done; so is
    $GITHUB_STEP_SUMMARY's, which the summary is appended to as well."""
    if value is not None and not _summary_target(value):
        raise click.BadParameter(f"{value}: not a file in an existing directory")
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step and not _summary_target(Path(step)):
        raise ReportgenError(f"GITHUB_STEP_SUMMARY={step}: not a file in an existing directory")
    return value


def _summary_target(path: Path) -> bool:
    return not path.is_dir() and path.resolve().parent.is_dir()


SUMMARY = click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    callback=_summary_file,
    metavar="FILE",
    help="Also write a Markdown summary to FILE (and append it to $GITHUB_STEP_SUMMARY when set).",
)


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
    from reportgen.cli.reporters import parsable

    sys.stderr.write(parsable(problems))


def remote_options(func: Any) -> Any:
    options = [
        BASE_URL,
        click.option(
            "--prune", is_flag=True, help="Delete managed views whose key no spec declares."
        ),
        TARGETS,
        CONCURRENCY,
        STRICT,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def connect_and_build(
    paths: tuple[str, ...], base_url: str | None, strict: bool
) -> tuple[Any, Any]:
    """Declare the views (specs first: their problems come before any network), then connect."""
    from reportgen.commands.declare import declare_views
    from reportgen.commands.validate import DEFAULT_PATHS
    from reportgen.remote.session import Session, connect, resolve_credentials

    sessions: list[Session] = []

    def session() -> Session:
        if not sessions:
            sessions.append(connect(resolve_credentials(base_url)))
        return sessions[0]

    declarations = declare_views(
        [*paths] or list(DEFAULT_PATHS),
        os.environ,
        default_entity=lambda: session().remote.default_entity(),
        warn=print_warnings,
        strict=strict,
    )
    return session(), declarations


def color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# Flag vocabulary

FORMATS = ("text", "parsable", "github", "json", "markdown")


def warn(command: str, message: str) -> None:
    sys.stderr.write(f"reportgen {command}: warning: {message}\n")


def format_or_output(
    command: str, fmt: str | None, output: str | None, formats: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """(format, path) from `-f` and `-o`: an `-o` that names one of `formats`, without `-f`,
    is the old spelling of `-f` (deprecated); otherwise `-o` is a path."""
    if output is not None and output in formats and fmt is None:
        warn(
            command,
            f"-o/--output {output} names a format: use -f/--format {output} "
            "(-o/--output FORMAT is deprecated and will mean a file to write)",
        )
        return output, None
    if output is not None:
        named_like_format(command, output, "file")
    return fmt, output


def named_like_format(command: str, path: str, what: str) -> None:
    """Warn when a path given to -o is exactly a format's name: probably meant for -f."""
    if path in FORMATS:
        warn(
            command,
            f"-o/--output {path} writes the {what} {path!r}; -f/--format chooses a format "
            f"(write -o ./{path} to mean the {what} without this warning)",
        )


def write_output(path: str, text: str) -> None:
    """Write a command's output to a file, whole or not at all."""
    try:
        write_atomically(Path(path), text)
    except OSError as exc:
        raise ReportgenError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_summary(text: str, path: Path | None, environ: Mapping[str, str]) -> list[Path]:
    """A Markdown summary into `path` (replaced) and appended to `$GITHUB_STEP_SUMMARY` when it
    is set (GitHub's contract: each step's file collects what its commands append)."""
    step = environ.get("GITHUB_STEP_SUMMARY")
    targets = [(path, "w")] if path is not None else []
    if step and path is not None and Path(step).resolve() == path.resolve():
        targets = [(path, "a")]
    elif step:
        targets.append((Path(step), "a"))
    for target, mode in targets:
        try:
            with target.open(mode, encoding="utf-8") as stream:
                stream.write(text if mode == "w" else text + "\n")
        except OSError as exc:
            raise ReportgenError(f"cannot write the summary to {target}: {exc.strerror}") from None
    return [target for target, _ in targets]


# preview


def _gates(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Any, ...]:
    from reportgen.spec.gates import GateError, parse_gate

    try:
        return tuple(parse_gate(v) for v in values)
    except GateError as exc:
        raise click.BadParameter(exc.message, param_hint="--gate") from None


def preview_options(func: Any) -> Any:
    """The options of `preview`, outermost first."""
    options = [
        BASE_URL,
        TARGETS,
        click.option(
            "-f", "--format", "fmt",
            type=click.Choice(["table", "markdown", "csv", "json", "html"]), default="table",
            show_default=True,
            help="A table on a terminal, Markdown, CSV, JSON, or one self-contained HTML page.",
        ),
        click.option(
            "-o", "--output", default=None, metavar="PATH", callback=not_empty,
            help="Write to this file (default: stdout).",
        ),
        click.option(
            "--rows", type=click.IntRange(1, 100_000), default=20, show_default=True, help="Rows per table."
        ),
        click.option("--all", "everything", is_flag=True, help="Every matching run (reads them all)."),
        click.option("--strict", is_flag=True, help="Data-check warnings fail too (exit 1)."),
        click.option(
            "--gate", "gates", multiple=True, metavar="EXPR", callback=_gates,
            help="A gate for every table, e.g. 'accuracy >= 0.95' (repeatable); exit 3 if one fails.",
        ),
        click.option("--diff", is_flag=True, help="Also rank the views live on W&B: the rank moves."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


# pull (the command, in cli, stays short)


def pull_options(func: Any) -> Any:
    """The options of `pull`, outermost first."""
    options = [
        click.argument(
            "args",
            nargs=-1,
            type=click.Path(path_type=str, readable=False),
            metavar="URL... | PATH...",
        ),
        click.option(
            "--project", metavar="ENTITY/PROJECT", help="Every saved view and report of a project."
        ),
        click.option(
            "--key",
            "keys",
            multiple=True,
            metavar="KEY",
            help="Rewrite this object in its spec file with W&B's live state (repeatable).",
        ),
        click.option(
            "--drifted", is_flag=True, help="Rewrite every object edited in W&B since apply."
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path),
            default=None,
            help="A .yaml file for all objects, or a directory for one file each (default: stdout).",
        ),
        click.option("--force", is_flag=True, help="Overwrite existing output files."),
        click.option("--strict", is_flag=True, help="Fail if a view holds what specs cannot say."),
        BASE_URL,
        CONCURRENCY,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pull_notes(found: list[Any]) -> None:
    for part, text in found:
        sys.stderr.write(f"reportgen: {part.kind} {part.key!r} kept {text}\n")


def pull_back_paths(
    paths: tuple[str, ...],
    keys: tuple[str, ...],
    drifted: bool,
    strict: bool,
    base_url: str | None,
    concurrency: int,
) -> bool:
    """Rewrite objects in their spec files with W&B's state; whether any failed."""
    from reportgen.commands import apply as applying
    from reportgen.commands.pull_back import pull_back

    session, declarations = connect_and_build(paths, base_url, strict=False)
    options = applying.Options(concurrency=concurrency)
    made, _ = applying.plan(session, declarations, options)
    result = pull_back(made, keys=keys, drifted=drifted, strict=strict)
    for line in result.lines():
        click.echo(line)
    return result.failed


# internal errors


def log_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reportgen" / "last-error.log"


def internal_error(exc: BaseException, *, verbose: bool) -> None:
    """One line on stderr; the traceback in the log file, and on stderr with -v."""
    import traceback

    from reportgen.remote.secrets import redact

    trace = redact("".join(traceback.format_exception(exc)))
    log = log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(trace, encoding="utf-8")
        where = f"; traceback in {log}"
    except OSError:
        where = ""
    if verbose:
        sys.stderr.write(trace)
    first = redact(str(exc).splitlines()[0]) if str(exc) else ""
    sys.stderr.write(f"reportgen: internal error: {type(exc).__name__}: {first}{where}\n")
