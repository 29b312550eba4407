"""The commands that talk to W&B: plan, apply, preview and pull.

Each parses its options, calls one library function (`reportgen.commands`), renders the
result and returns an exit code; library modules are imported inside the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reportgen.cli.help import epilog
from reportgen.cli.options import (
    EXIT_CHANGES,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_OK,
    PATHS,
    SUMMARY,
    color,
    connect_and_build,
    not_empty,
    preview_options,
    pull_back_paths,
    pull_notes,
    pull_options,
    remote_options,
    verbose_option,
    verbosity,
)

PLAN_FORMATS = ("text", "json", "markdown")


@click.command(epilog=epilog("plan", environment=True))
@verbose_option
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
    callback=not_empty,
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
    from reportgen.cli.markdown import plan_comment, plan_summary
    from reportgen.cli.options import format_or_output, write_output, write_summary
    from reportgen.cli.render import plan_json, plan_text
    from reportgen.commands import apply as applying
    from reportgen.commands.review import review

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
        text = plan_text(made, verbosity() > 0, groups) + ("\n" + ranks if ranks else "")
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


@click.command(epilog=epilog("apply", environment=True))
@verbose_option
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
    from reportgen.cli.progress import EventPrinter
    from reportgen.commands import apply as applying

    session, declarations = connect_and_build(paths, base_url, strict)
    options = applying.Options(
        prune=prune,
        targets=targets,
        skip_drifted=skip_drifted,
        continue_on_error=continue_on_error,
        concurrency=concurrency,
    )
    with EventPrinter(sys.stdout, color=color(sys.stdout), verbose=verbosity() > 0) as printer:
        outcome = applying.apply(
            session, declarations, options, on_event=printer.event, on_plan=printer.plan
        )
        printer.done(outcome.summary())
    if summary is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        from reportgen.cli.markdown import apply_summary
        from reportgen.cli.options import write_summary

        write_summary(apply_summary(outcome, declarations.boards), summary, os.environ)
    return EXIT_FAILURE if outcome.failed else EXIT_OK


@click.command(epilog=epilog("preview", environment=True))
@verbose_option
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
    from reportgen.cli.options import write_output
    from reportgen.cli.progress import FetchProgress
    from reportgen.cli.render import preview_outcome, render_preview
    from reportgen.commands.preview import PreviewOptions
    from reportgen.commands.preview import preview as run_preview

    if diff and fmt == "csv":
        raise click.UsageError("--diff shows rank moves, which CSV cannot hold: use -f markdown")
    session, declarations = connect_and_build(paths, base_url, strict)
    options = PreviewOptions(targets, rows, everything, strict, gates, diff)
    with FetchProgress(sys.stderr, enabled=color(sys.stderr)) as bar:
        result = run_preview(session, declarations, options, progress=bar.update)
    text = render_preview(result, fmt, color=output is None and color(sys.stdout))
    said, outcome = preview_outcome(result, strict)
    if output is None:
        sys.stdout.write(text)
    elif outcome != "problems":
        write_output(output, text)
        said = f"reportgen preview: wrote {output}\n" + said
    else:  # --strict made the data checks' problems errors: exit 1, nothing written
        said += f"reportgen preview: {output} not written: --strict makes these problems errors\n"
    sys.stderr.write(said)
    return {"ok": EXIT_OK, "problems": EXIT_FAILURE, "gate": EXIT_GATE}[outcome]


@click.command(epilog=epilog("pull", environment=True))
@verbose_option
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
        if urls := [a for a in args if "://" in a]:
            raise click.UsageError(
                f"--key/--drifted take spec files, not URLs ({urls[0]}): pull a URL on its own"
            )
        failed = pull_back_paths(args, keys, drifted, strict, base_url, concurrency)
        return EXIT_FAILURE if failed else EXIT_OK
    if not args and not project:
        raise click.UsageError("give W&B URLs, --project ENTITY/PROJECT, --key KEY or --drifted")
    # bad URLs, and URLs of another server, before credentials
    pulling.check_servers(pulling.parse_urls(args), *pulling.server(base_url, os.environ))
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
