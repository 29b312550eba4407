"""Plans and apply outcomes as Markdown: one pull-request comment, and job summaries.

A GitHub comment holds at most 65,536 characters, a step summary 1 MiB: Markdown is
rendered at less and less detail until it fits (view JSON diffs shortened, then left out,
then fewer phrases and objects) and, as a last resort, cut at a line with a note; it never
fails for being long. Sizes are counted in UTF-8 bytes, never fewer than GitHub's count. A
plan starts with a hidden marker so a pipeline finds the comment it made before and edits
it; an apply summary that restored views edited in the W&B app carries DRIFT_MARKER.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from reportgen.cli.render import NOTES, SYMBOLS, diff, edits, shows_diff
from reportgen.commands.apply import Event, Outcome
from reportgen.commands.plan import Change, Plan
from reportgen.commands.review import Group, review

PLAN_MARKER = "<!-- reportgen plan -->"
DRIFT_MARKER = "<!-- reportgen drift -->"
COMMENT_LIMIT = 65_536  # GitHub's limit for an issue or pull-request comment
SUMMARY_LIMIT = 1_048_576  # GitHub's limit for one step's job summary


@dataclass(frozen=True)
class Detail:
    """How much to show: lines per raw diff (None: all), raw diffs at all, phrases per
    group and groups (None: all)."""

    diff_lines: int | None = None
    diffs: bool = True
    phrases: int | None = None
    groups: int | None = None


LEVELS = (
    Detail(),
    Detail(diff_lines=40),
    Detail(diffs=False),
    Detail(diffs=False, phrases=10, groups=100),
    Detail(diffs=False, phrases=3, groups=20),
)


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def fitted(render: Callable[[Detail], str], limit: int, rest: str) -> str:
    """The most detailed rendering within `limit`; else the least detailed one, cut with a
    note saying where the `rest` is."""
    for detail in LEVELS:
        text = render(detail)
        if size(text) <= limit:
            return text
    return cut(text, limit, rest)


def cut(text: str, limit: int, rest: str) -> str:
    """`text` cut at a line so that it, closed fences and a note fit within `limit`."""
    note = f"\n\n_Cut here to fit GitHub's size limit: {rest}._\n"
    budget = limit - size(note) - 64  # room for the closing fence and </details> tags
    kept = text.encode("utf-8")[: max(budget, 0)].decode("utf-8", "ignore")
    kept = kept[: kept.rfind("\n") + 1] if "\n" in kept else ""
    closing = "```\n" if kept.count("\n```") % 2 else ""
    opened = kept.count("<details>") - kept.count("</details>")
    tail = closing + "\n</details>\n" * max(opened, 0)
    while size(kept + tail + note) > limit and kept:  # pragma: no cover - many open folds
        kept = kept[: kept.rfind("\n", 0, len(kept) - 1) + 1]
    return kept + tail + note


def code(text: str) -> str:
    """Inline code that survives backticks in the text (``summary.`val acc` ``)."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link(label: str, url: str | None) -> str:
    return f"[{label}]({url})" if url else label


def md_names(changes: Sequence[Change]) -> str:
    """`` `cifar10` ([workspace](url), [report](url)) · `cifar10-resnet50` (...) ``."""
    keys = dict.fromkeys(c.key for c in changes)
    out = []
    for key in keys:
        views = ", ".join(_link(c.kind, c.url) for c in changes if c.key == key)
        out.append(f"{code(key)} ({views})")
    return " · ".join(out)


def group_markdown(group: Group, detail: Detail, verb: str = "") -> str:
    verb = verb or group.action
    head = f"**{SYMBOLS[group.action]} {verb}** {md_names(group.changes)}"
    note = group.note or NOTES.get(group.action, "")
    if group.action == "drifted":
        edit = edits(group)
        head += f" — edited in W&B{' ' + edit if edit else ''}"
        note = "the edit below, which apply reverts" if verb == "drifted" else "the edit below"
    elif group.action == "create":
        where = {f"{c.entity}/{c.project}" for c in group.changes}
        note = note or f"in {', '.join(sorted(where))}"
    lines = [head + (f" — {note}" if note else "")]
    if group.phrases is None:
        lines.append("- not described in spec terms: see the view JSON diff")
    phrases = list(group.phrases or ())
    shown = phrases if detail.phrases is None else phrases[: detail.phrases]
    lines += [f"- {code(str(p))}" for p in shown]
    if len(shown) < len(phrases):
        lines.append(f"- … and {len(phrases) - len(shown)} more")
    out = "\n".join(lines) + "\n"
    diffs = [c for c in group.changes if shows_diff(c)]
    if diffs and detail.diffs:
        out += _folded(diffs, detail)
    return out


def _folded(changes: Sequence[Change], detail: Detail) -> str:
    label = "view JSON diff" + (f" ({len(changes)} views)" if len(changes) > 1 else "")
    blocks = []
    for change in changes:
        lines = diff(change).splitlines(keepends=True)
        if detail.diff_lines is not None and len(lines) > detail.diff_lines:
            more = len(lines) - detail.diff_lines
            lines = [*lines[: detail.diff_lines], f"… {more} more lines (reportgen plan -v)\n"]
        blocks.append("```diff\n" + "".join(lines).replace("```", "``\u200b`") + "```\n")
    return f"\n<details><summary>{label}</summary>\n\n" + "\n".join(blocks) + "\n</details>\n"


def plan_comment(
    plan: Plan, ranks: str = "", limit: int = COMMENT_LIMIT, groups: list[Group] | None = None
) -> str:
    """The plan as one comment: the marker, the summary line, each group of changes with its
    view JSON diffs folded, the rank moves (`preview --diff`), fitted within `limit`.
    `groups` is `review(plan.changes)` when the caller has it already."""
    groups = review(plan.changes) if groups is None else groups

    def render(detail: Detail) -> str:
        out = [f"{PLAN_MARKER}\n### reportgen plan\n\n**{plan.summary()}**\n"]
        shown = groups if detail.groups is None else groups[: detail.groups]
        out += ["\n" + group_markdown(g, detail) for g in shown]
        if len(shown) < len(groups):
            rest = [c for g in groups[len(shown) :] for c in g.changes]
            out.append(f"\n… and {len(rest)} more changes (reportgen plan lists them all)\n")
        if not detail.diffs and any(shows_diff(c) for c in plan.changes):
            out.append("\n_View JSON diffs left out to fit: `reportgen plan -v` prints them._\n")
        if plan.orphans:
            out.append(
                f"\n{plan.orphans} managed view(s) have no spec any more; `--prune` deletes them.\n"
            )
        if ranks:
            out.append("\n" + ranks.rstrip("\n") + "\n")
        return "".join(out)

    return fitted(render, limit, "`reportgen plan -v` prints the rest")


def apply_summary(
    outcome: Outcome, boards: Collection[str] = (), limit: int = SUMMARY_LIMIT
) -> str:
    """What apply did, for a job summary: a table of the objects it wrote or failed on, and
    each view edited in the W&B app that it restored, with the edit it overwrote."""
    done = [e for e in outcome.events if e.outcome != "unchanged"]
    restored = [e.change for e in outcome.events if e.outcome == "restored"]
    groups = review(restored, boards)

    def render(detail: Detail) -> str:
        out = [f"### reportgen apply\n\n**{outcome.summary()}**\n"]
        if done:
            out.append("\n| outcome | kind | key | view |\n|---|---|---|---|\n")
            out += [_event_row(e) for e in done]
        if groups:
            out.append(f"\n{DRIFT_MARKER}\n#### Edits made in W&B that apply overwrote\n")
            out += ["\n" + group_markdown(g, detail, verb="restored") for g in groups]
        return "".join(out)

    return fitted(render, limit, "the job's log lists every view")


def _event_row(event: Event) -> str:
    change = event.change
    where = _link(f"{change.entity}/{change.project}", event.url or change.url)
    message = f" — {event.message}" if event.message and event.outcome == "failed" else ""
    cells = (event.outcome, change.kind, code(change.key), where + message)
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n"


def plan_summary(plan: Plan, ranks: str = "", groups: list[Group] | None = None) -> str:
    """The plan for a job summary: the comment's content, with room for more detail."""
    return plan_comment(plan, ranks, SUMMARY_LIMIT, groups)
