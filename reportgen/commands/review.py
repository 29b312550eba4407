"""A plan's changes in the spec's terms, grouped: what a pull-request reviewer reads.

For each pending change that has a view on W&B, the live view and the declared one are
both decompiled (`pull.decompile`) into spec bodies, a leaderboard's views back into the
leaderboard (`pull.leaderboard.fit`), and compared with `pull.describe`: the comparison
is of what the views mean, never of their JSON text. Changes that read the same (a
leaderboard's variants, its workspace view and its report) form one `Group`.

Updates and adoptions read as what apply will do (W&B's view -> the spec). Drift reads as
the edit made in the W&B app (the spec -> W&B's view), the edit apply reverts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportgen.commands.declare import Declarations
from reportgen.commands.plan import Change, Plan
from reportgen.compile.normalize import WORKSPACE_TYPE
from reportgen.problems import ReportgenError
from reportgen.pull.describe import Phrase, describe

if TYPE_CHECKING:  # decompiling and ranking import wandb-workspaces: only when describing
    from reportgen.preview.diff import BoardMoves
    from reportgen.pull.decompile import Decompiled, LiveView
    from reportgen.remote.session import Session

Phrases = tuple[Phrase, ...]


@dataclass
class Group:
    """Changes of one action that read the same. `phrases` is None when the views could not
    be put in spec terms (the raw diff still shows them)."""

    action: str
    phrases: Phrases | None
    changes: list[Change] = field(default_factory=list)
    note: str = ""

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(c.key for c in self.changes))

    def of(self, key: str) -> list[Change]:
        return [c for c in self.changes if c.key == key]


def review(changes: Sequence[Change], boards: Collection[str] = ()) -> list[Group]:
    """The pending changes, described and grouped, in plan order. `boards` are the keys of
    the specs' leaderboards (and variants), whose views are described as the leaderboard."""
    groups: dict[tuple[str, Phrases | None, str], Group] = {}
    for part in _parts(c for c in changes if c.pending):
        for subset, phrases in _described(part, part[0].key in boards):
            ident = (part[0].action, phrases, part[0].note)
            group = groups.setdefault(ident, Group(part[0].action, phrases, note=part[0].note))
            group.changes.extend(subset)
    return list(groups.values())


def _parts(changes: Iterable[Change]) -> list[list[Change]]:
    """The changes of one object (key, project, action): a leaderboard's views together."""
    parts: dict[tuple[str, str, str, str, str], list[Change]] = {}
    for change in changes:
        ident = (change.key, change.entity, change.project, change.action, change.note)
        parts.setdefault(ident, []).append(change)
    for part in parts.values():
        part.sort(key=lambda c: c.view_type != WORKSPACE_TYPE)  # workspace first, as fit wants
    return list(parts.values())


def _described(changes: list[Change], board: bool) -> list[tuple[list[Change], Phrases | None]]:
    from reportgen.pull.compiled import DocumentProblems
    from reportgen.pull.decompile import decompile
    from reportgen.pull.leaderboard import fit

    first = changes[0]
    if first.remote is None or first.built is None or first.local_doc == first.remote_doc:
        return [(changes, ())]  # created, deleted, or adopted as it is: nothing to compare
    try:
        live = [decompile(live_view(c), c.key) for c in changes]
        local = [decompile(declared_view(c), c.key) for c in changes]
        edit = first.action == "drifted"
        if board:
            whole = _compare(fit(live), fit(local), edit)
            if whole is not None:
                return [(changes, whole)]
        out: list[tuple[list[Change], Phrases | None]] = []
        for change, mine, theirs in zip(changes, live, local, strict=True):
            one = _compare(fit([mine]), fit([theirs]), edit) if board else None
            out.append(([change], one if one is not None else _compare(mine, theirs, edit)))
        return out
    except (ReportgenError, DocumentProblems):
        return [(changes, None)]


def _compare(live: Decompiled | None, local: Decompiled | None, edit: bool) -> Phrases | None:
    if live is None or local is None:
        return None
    before, after = (local, live) if edit else (live, local)
    return tuple(describe(before.body, after.body))


def live_view(change: Change) -> LiveView:
    """W&B's copy of a changed view, as decompile reads a view."""
    from reportgen.pull.decompile import LiveView

    assert change.remote is not None and change.built is not None
    live = LiveView.of(change.remote)
    # wandb-workspaces blanks a workspace's description when it saves one (REPORT.md 1.2):
    # a blank description without our marker is the library's doing, not an edit to describe.
    if live.kind == "workspace" and not change.remote.description.strip():
        live = LiveView(**{**live.__dict__, "description": change.built.view.description})
    return live


def declared_view(change: Change) -> LiveView:
    """The view the spec compiles to, as decompile reads a view."""
    from reportgen.pull.decompile import LiveView

    assert change.built is not None
    view = change.built.view
    return LiveView(
        view_type=change.view_type,
        spec=change.built.spec(),
        title=view.title,
        entity=change.entity,
        project=change.project,
        description=view.description,
        key=change.key,
    )


def last_edit(change: Change) -> str:
    """Who saved W&B's copy last and when, as far as W&B's view record says: 'by alice,
    2025-06-01 09:30 UTC' (an empty string when it says neither)."""
    remote = change.remote
    if remote is None:
        return ""
    parts = [f"by {remote.updated_by}"] if remote.updated_by else []
    if remote.updated_at:
        parts.append(_when(remote.updated_at))
    return ", ".join(parts)


def _when(stamp: str) -> str:
    """W&B's `updatedAt` (ISO 8601, UTC, often without a zone) as 'YYYY-MM-DD HH:MM UTC'."""
    try:
        parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc)
    return parsed.strftime("%Y-%m-%d %H:%M UTC")


def rank_changes(session: Session, declarations: Declarations, plan: Plan) -> list[BoardMoves]:
    """The rank moves of every leaderboard the plan changes (`preview --diff`): the runs as
    W&B's live view ranks them against the ranking the spec makes."""
    keys = sorted(
        {c.key for c in plan.changes if c.pending and c.action != "delete"}
        & set(declarations.boards)
    )
    if not keys:
        return []
    from reportgen.commands.preview import PreviewOptions, preview

    options = PreviewOptions(targets=tuple(keys), diff=True)
    return preview(session, declarations, options, plan=plan).moves
