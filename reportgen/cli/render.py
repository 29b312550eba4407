"""Plans and apply events as text and JSON (Markdown: `markdown`), and previews.

A plan says what changes in the spec's terms (`commands.review`), grouped where a
leaderboard's views and variants change alike. The raw diffs render both sides to the same
canonical YAML and are labelled remote -> local, as `grizzly diff` and `terraform plan` do:
in text with -v, in JSON always, folded in Markdown (a plan is one pull-request comment
within GitHub's size limit; apply writes job summaries).
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Any

import yaml

from reportgen.commands.apply import Event
from reportgen.commands.plan import Change, Plan
from reportgen.commands.review import Group, last_edit, review

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


def shows_diff(change: Change) -> bool:
    if change.action == "adopt":
        return change.local_doc != change.remote_doc
    return change.action in ("update", "drifted")


def names(group: Group) -> str:
    """`cifar10 (workspace, report), cifar10-resnet50 (workspace)`."""
    return ", ".join(f"{key} ({', '.join(c.kind for c in group.of(key))})" for key in group.keys)


def edits(group: Group) -> str:
    """Who edited the drifted views in W&B and when, once if they agree."""
    found = {f"{c.key} {c.kind}": last_edit(c) for c in group.changes}
    if len(set(found.values())) == 1:
        return next(iter(found.values()))
    return "; ".join(f"{view} {when}".strip() for view, when in found.items())


def described(group: Group) -> bool:
    """Whether a group has something to say beyond its plan line."""
    return group.action in ("update", "drifted", "adopt") and group.phrases != ()


def group_text(group: Group) -> str:
    head = f"  {names(group)}"
    if group.action == "drifted":
        edit = edits(group)
        head += f", edited in W&B{' ' + edit if edit else ''}; apply reverts this edit"
    lines = [head + ":"]
    if group.phrases is None:
        lines.append("    (not described in spec terms: plan -v shows the view JSON diff)")
    lines += [f"    {phrase}" for phrase in group.phrases or ()]
    return "\n".join(lines) + "\n"


def plan_text(plan: Plan, verbose: bool = False, groups: list[Group] | None = None) -> str:
    out: list[str] = []
    for change in plan.changes:
        if change.action != "unchanged" or verbose:
            out.append(_line(change) + "\n")
    said = [g for g in (review(plan.changes) if groups is None else groups) if described(g)]
    if said:
        out.append("\nIn the spec's terms:\n" + "".join(group_text(g) for g in said))
    diffs = [diff(c) for c in plan.changes if shows_diff(c)]
    if verbose:
        out.extend("\n" + text for text in diffs)
    elif diffs:
        out.append("\n(-v shows the view JSON diffs)\n")
    if plan.orphans:
        out.append(
            f"\n{plan.orphans} managed view(s) have no spec any more; --prune deletes them\n"
        )
    out.append(("\n" if out else "") + plan.summary() + "\n")
    return "".join(out)


def plan_json(plan: Plan, groups: list[Group] | None = None) -> str:
    said = {
        id(c): None if g.phrases is None else [str(p) for p in g.phrases]
        for g in (review(plan.changes) if groups is None else groups)
        for c in g.changes
    }
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
            "diff": diff(c) if shows_diff(c) else None,
            "described": said.get(id(c)),
            "updated_at": c.remote.updated_at if c.remote else None,
            "updated_by": c.remote.updated_by if c.remote else None,
        }
        for c in plan.changes
    ]
    actions = ("create", "adopt", "update", "drifted", "delete", "unchanged")
    counts = {a: plan.count(a) for a in actions}
    summary = {"changes": plan.has_changes, "orphans": plan.orphans, **counts}
    return json.dumps({"changes": rows, "summary": summary}, indent=2, ensure_ascii=False) + "\n"


def event_line(event: Event) -> str:
    change = event.change
    note = f"  ({event.message})" if event.message else ""
    where = event.url or f"{change.entity}/{change.project}"
    return f"{event.outcome:<9} {change.kind:<9} {change.key:<24} {where}{note}"


def render_preview(result: PreviewResult, fmt: str, *, color: bool = False) -> str:
    """A preview in one of `reportgen preview --format`'s formats."""
    from reportgen.preview import tables
    from reportgen.preview.diff import moves_markdown, moves_text

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
    return text + ("\n" + moves_text(result.moves) if result.moves else "")


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
    "problems" (data checks with --strict, or a gate the data cannot answer) or "gate" (a
    gate failed; its first reason is one line)."""
    from reportgen.cli.reporters import parsable

    text = parsable(result.problems) if result.problems else ""
    unchecked = result.unchecked_gates
    for board, gate in unchecked:
        target = board.target
        text += f"reportgen: gate not checked: {target.kind} {target.key!r}: {gate.reason}\n"
    if (strict and result.problems) or unchecked:
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
