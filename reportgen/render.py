"""Plans and apply events as text, JSON and Markdown (for a pull-request comment).

Diffs render both sides to the same canonical YAML and are labelled remote -> local,
as `grizzly diff` and `terraform plan` do.
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Any

import yaml

from reportgen.commands.apply import Event
from reportgen.commands.plan import Change, Plan

if TYPE_CHECKING:
    from reportgen.commands.preview import PreviewResult
    from reportgen.preview.diff import BoardMoves

SYMBOLS = {
    "create": "+",
    "adopt": "@",
    "update": "~",
    "drifted": "!",
    "delete": "-",
    "unchanged": "=",
}
NOTES = {
    "drifted": "edited in W&B since the last apply; apply restores the spec",
    "delete": "no spec declares this key",
}


def as_yaml(doc: dict[str, Any] | None) -> str:
    if doc is None:
        return ""
    return yaml.safe_dump(
        doc, sort_keys=True, allow_unicode=True, width=100, default_flow_style=False
    )


def diff(change: Change) -> str:
    """Unified diff of the normalised view, remote -> local."""
    before = as_yaml(change.remote_doc).splitlines(keepends=True)
    after = as_yaml(change.local_doc).splitlines(keepends=True)
    remote = f"remote {change.url}" if change.url else "remote (none)"
    local = f"local {change.source}" if change.source else "local (none)"
    return "".join(difflib.unified_diff(before, after, fromfile=remote, tofile=local))


def _where(change: Change) -> str:
    return change.url or f"{change.entity}/{change.project}"


def _line(change: Change) -> str:
    note = change.note or NOTES.get(change.action, "")
    tail = f"  ({note})" if note else ""
    return f"{SYMBOLS[change.action]} {change.action:<9} {change.kind:<9} {change.key:<24} {_where(change)}{tail}"


def _shows_diff(change: Change) -> bool:
    if change.action == "adopt":
        return change.local_doc != change.remote_doc
    return change.action in ("update", "drifted")


def plan_text(plan: Plan, verbose: bool = False) -> str:
    out: list[str] = []
    for change in plan.changes:
        if change.action != "unchanged" or verbose:
            out.append(_line(change) + "\n")
    for change in plan.changes:
        if _shows_diff(change):
            out.append("\n" + diff(change))
    if plan.orphans:
        out.append(
            f"\n{plan.orphans} managed view(s) have no spec any more; --prune deletes them\n"
        )
    out.append(("\n" if out else "") + plan.summary() + "\n")
    return "".join(out)


def plan_json(plan: Plan) -> str:
    rows = [
        {
            "action": c.action,
            "key": c.key,
            "kind": c.kind,
            "type": c.view_type,
            "entity": c.entity,
            "project": c.project,
            "title": c.title,
            "url": c.url,
            "source": c.source,
            "diff": diff(c) if _shows_diff(c) else None,
        }
        for c in plan.changes
    ]
    actions = ("create", "adopt", "update", "drifted", "delete", "unchanged")
    counts = {a: plan.count(a) for a in actions}
    summary = {"changes": plan.has_changes, "orphans": plan.orphans, **counts}
    return json.dumps({"changes": rows, "summary": summary}, indent=2, ensure_ascii=False) + "\n"


def plan_markdown(plan: Plan) -> str:
    out = [f"### reportgen plan\n\n**{plan.summary()}**\n\n"]
    pending = [c for c in plan.changes if c.pending]
    if pending:
        out.append("| | action | kind | key | where |\n|---|---|---|---|---|\n")
        for c in pending:
            where = f"[{c.entity}/{c.project}]({c.url})" if c.url else f"{c.entity}/{c.project}"
            out.append(f"| {SYMBOLS[c.action]} | {c.action} | {c.kind} | `{c.key}` | {where} |\n")
    for c in pending:
        if _shows_diff(c):
            note = f" — {NOTES[c.action]}" if c.action in NOTES else ""
            out.append(
                f"\n<details><summary>{c.action} {c.kind} <code>{c.key}</code>{note}</summary>\n\n"
                f"```diff\n{diff(c)}```\n\n</details>\n"
            )
    if plan.orphans:
        out.append(
            f"\n{plan.orphans} managed view(s) have no spec any more; `--prune` deletes them.\n"
        )
    return "".join(out)


PLAN_FORMATS = {"json": plan_json, "markdown": plan_markdown}


def event_line(event: Event) -> str:
    change = event.change
    note = f"  ({event.message})" if event.message else ""
    where = event.url or f"{change.entity}/{change.project}"
    return f"{event.outcome:<9} {change.kind:<9} {change.key:<24} {where}{note}"


def render_preview(result: PreviewResult, fmt: str, *, color: bool = False) -> str:
    """A preview in one of `reportgen preview --format`'s formats."""
    from reportgen.preview import tables
    from reportgen.preview.diff import moves_markdown

    boards = result.boards
    if fmt == "markdown":
        text = tables.markdown(boards)
        return text + ("\n" + moves_markdown(result.moves) if result.moves else "")
    if fmt == "csv":
        return tables.csv_text(boards)
    if fmt == "json":
        if not result.moves:
            return tables.to_json(boards)
        data = {
            "boards": json.loads(tables.to_json(boards)),
            "moves": [_moves_json(m) for m in result.moves],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        from reportgen.preview.html import page

        keys = ", ".join(b.target.key for b in boards)
        return page(boards, title="reportgen preview", subtitle=keys)
    import io

    from reportgen.preview.terminal import render

    buffer = io.StringIO()
    render(boards, buffer, color=color)
    text = buffer.getvalue()
    return text + ("\n" + moves_markdown(result.moves) if result.moves else "")


def _moves_json(moves: BoardMoves) -> dict[str, Any]:
    return {
        "key": moves.key,
        "title": moves.title,
        "top": moves.top,
        "live_exists": moves.live_exists,
        "new_first": moves.new_first,
        "old_first": moves.old_first,
        "moves": [
            {"name": m.name, "live": m.live, "local": m.local, "kind": m.kind} for m in moves.moves
        ],
    }


def preview_outcome(result: PreviewResult, strict: bool) -> tuple[str, str]:
    """What preview says on stderr once its output is written, and how it ended: "ok",
    "problems" (data checks with --strict) or "gate" (a gate failed; its first reason is
    one line)."""
    from reportgen.reporters import parsable

    text = parsable(result.problems) if result.problems else ""
    if strict and result.problems:
        return text, "problems"
    failed = result.failed_gates
    if not failed:
        return text, "ok"
    board, gate = failed[0]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    target = board.target
    return (
        text + f"reportgen: gate failed: {target.kind} {target.key!r}: {gate.reason}{more}\n",
        "gate",
    )
