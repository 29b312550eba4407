"""Command line: options in, one library call, an exit code out.

Exit codes for every command: 0 ok; 1 problems or failure (an internal error too, with a
one-line message; the traceback with -v, and always in the log file); 2 changes pending
(only with --detailed-exitcode); 3 a leaderboard gate failed; 130 interrupted.

Library modules are imported inside the commands so that `reportgen validate` starts fast
and never imports wandb.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from pathlib import Path

import click

from reportgen.cli import online, serve
from reportgen.cli.help import epilog
from reportgen.cli.options import (
    EXIT_CHANGES,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    PATHS,
    STRICT,
    Group,
    color,
    internal_error,
    not_empty,
    print_warnings,
    set_verbosity,
    verbose_option,
    verbosity,
)

__all__ = ["EXIT_CHANGES", "EXIT_FAILURE", "EXIT_GATE", "EXIT_INTERRUPTED", "EXIT_OK"]


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
    set_verbosity(verbose)


@cli.command(epilog=epilog("validate"))
@verbose_option
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
    from reportgen.cli.reporters import REPORTERS, object_listing
    from reportgen.commands.validate import DEFAULT_PATHS, validate_paths
    from reportgen.problems import has_errors, strictly

    result = validate_paths([*paths] or list(DEFAULT_PATHS))
    problems = strictly(result.problems, strict)  # --strict: warnings are errors
    chosen = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    out = REPORTERS[chosen](problems, color(sys.stdout))
    if chosen == "text" and not problems:
        out = object_listing(result)
    sys.stdout.write(out)
    return EXIT_FAILURE if has_errors(problems) else EXIT_OK


@cli.command(epilog=epilog("build"))
@verbose_option
@PATHS
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    callback=not_empty,
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
    from reportgen.cli.options import named_like_format, warn
    from reportgen.commands.build import build_views, write_build
    from reportgen.commands.validate import DEFAULT_PATHS

    if out is not None:
        warn("build", "--out is deprecated: use -o/--output DIR")
    directory = output if output is not None else out
    if directory is not None:
        named_like_format("build", directory, "directory")
    views = build_views([*paths] or list(DEFAULT_PATHS), warn=print_warnings, strict=strict)
    for path in write_build(views, Path(directory or "build")):
        click.echo(str(path))
    return EXIT_OK


@cli.command(epilog=epilog("schema"))
def schema() -> int:
    """Print the JSON Schema of spec files (for editors and other tools)."""
    from reportgen.spec.schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


for _command in (online.plan, online.apply, online.preview, online.pull, serve.sandbox):
    cli.add_command(_command)


def _internal_error(exc: BaseException) -> int:
    internal_error(exc, verbose=verbosity() > 0)
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
        from reportgen.cli.reporters import parsable

        sys.stderr.write(parsable(exc.problems) if exc.problems else f"reportgen: {exc.message}\n")
        return EXIT_FAILURE
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EBADF):
            return _unwritable(exc)
        return _internal_error(exc)
    except Exception as exc:
        return _internal_error(exc)
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    # A terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, LC_ALL=C)
    # gets it escaped (`\xb7`) rather than failing the command.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if sys.stdout is None:  # started with its standard output closed (`>&-`)
        sys.stderr.write("reportgen: cannot write the output: standard output is closed\n")
        sys.exit(EXIT_FAILURE)
    code = run()
    try:
        sys.stdout.flush()
    except OSError as exc:
        code = _unwritable(exc)
    sys.exit(code)


def _unwritable(exc: OSError) -> int:
    """The output could not be written (a full disk, a closed pipe): one line, exit 1."""
    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # nothing more to flush at exit  # noqa: SIM115
    if exc.errno != errno.EPIPE:  # a reader that went away (`| head`) needs no message
        sys.stderr.write(f"reportgen: cannot write the output: {exc.strerror or exc}\n")
    return EXIT_FAILURE
