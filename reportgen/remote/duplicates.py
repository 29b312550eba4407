"""One view per (key, view type), whatever W&B's `upsertView` does without an id.

apply creates a view with an id-less `upsertView` under a deterministic name
(`identity.view_name`). If W&B upserts by name, a create sent twice (a lost response that
wandb-core sends again, two applies racing) names the same view. If W&B inserts on every
such call, each send makes a copy. This module tells the copies apart by one rule that every
apply computes the same way from what W&B lists:

* the *copies* of a key in a scope are the views whose marker carries the key, and the
  unmarked views under the key's deterministic name (a workspace saved again through
  wandb-workspaces loses its description, not its name);
* the copy kept is the oldest: the lowest numeric view id (`base64("View:<n>")`; the
  database counts them up as views are stored), then the earliest `createdAt`, then the id
  as text. These never change, so two applies that both see two copies agree on which one
  stays, and neither deletes the other's choice. (The id comes first: `createdAt` is
  stamped before the row is stored, so two copies made in the same instant can carry times
  in the other order than their ids, and a copy listed first would lose to one stored later);
* the others are duplicates. Those under the deterministic name were made by apply and
  are deleted; a copy under any other name (duplicated in the W&B app, made by another
  tool) may be someone's work and is reported instead (`foreign`).

Why this leaves exactly one view when applies race: the oldest copy ever made is never
deleted (a copy is deleted only when an older one is seen). Every other copy is seen next to
an older one by whoever lists last: its creator lists after its create, and if the oldest
copy did not exist yet then, the oldest's creator lists after making it and sees both.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reportgen.remote.client import RemoteView
from reportgen.remote.identity import parse_marker


@dataclass(frozen=True)
class Copies:
    """The views carrying one key in one scope, oldest first split into what to do with them."""

    keep: RemoteView
    extra: list[RemoteView] = field(default_factory=list)  # made by apply: delete
    foreign: list[RemoteView] = field(default_factory=list)  # under another name: report

    @property
    def all(self) -> list[RemoteView]:
        return sorted([self.keep, *self.extra, *self.foreign], key=precedence)


def copies_of(views: Iterable[RemoteView], key: str, name: str) -> list[RemoteView]:
    """The listed views that are this key's view: marked with it, or unmarked under `name`."""
    found = []
    for view in views:
        marker = parse_marker(view.description)
        if (marker is not None and marker.key == key) or (marker is None and view.name == name):
            found.append(view)
    return found


def split(copies: Sequence[RemoteView], name: str) -> Copies | None:
    """Keep the oldest copy; the rest are apply's extras (under `name`) or foreign copies."""
    if not copies:
        return None
    ordered = sorted(copies, key=precedence)
    keep, rest = ordered[0], ordered[1:]
    return Copies(
        keep=keep,
        extra=[v for v in rest if v.name == name],
        foreign=[v for v in rest if v.name != name],
    )


def precedence(view: RemoteView) -> tuple[tuple[int, int], tuple[int, float], str]:
    """The sort key of the keep-the-oldest rule: numeric id, then created, then id text.

    Values W&B might send in another form still give a total order (unparsable ones last),
    so every apply orders the same listing the same way.
    """
    number = _id_number(view.id)
    created = _instant(view.created_at)
    return (
        (0, number) if number is not None else (1, 0),
        (0, created) if created is not None else (1, 0.0),
        view.id,
    )


def _instant(value: str | None) -> float | None:
    """An ISO 8601 time as seconds since the epoch; a time without a zone is UTC, as W&B's."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def _id_number(view_id: str) -> int | None:
    """`n` of a Relay id `base64("View:<n>")` (padding optional), else None."""
    try:
        text = base64.b64decode(view_id + "=" * (-len(view_id) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "View" and number.isdigit() else None
