"""After apply's creates: each scope listed once more, and every extra copy deleted.

A server that inserts on every id-less `upsertView` makes a copy per send: one per apply
racing this one, one per create wandb-core sent again after a lost response. `Settler`
lists each scope apply created in once all its creates are done, keeps the oldest copy of
each created key (`reportgen.remote.duplicates`) and deletes the others before the create is
reported, with the kept copy's URL. Every apply computes the same oldest copy, so racing
applies agree on what stays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reportgen.commands.plan import Change, Scope, remote_url
from reportgen.remote.client import Remote, RemoteError, RemoteView
from reportgen.remote.duplicates import Copies, copies_of, split
from reportgen.remote.identity import Marker, parse_marker, view_name, view_url

Report = Callable[[str, Change, str, str], None]
"""How an outcome is told: (outcome, change, url, message)."""


@dataclass
class Created:
    """A view this apply created, until `settle` has looked for extra copies of it."""

    change: Change
    fields: dict[str, Any]
    marker: Marker
    view_id: str
    name: str


def _same_copy(view: RemoteView, now: RemoteView | None) -> bool:
    """Whether `now` (listed under `view`'s id) is still that view, not gone or another one."""
    return (
        now is not None
        and now.name == view.name
        and parse_marker(now.description) == parse_marker(view.description)
    )


class Settler:
    """The views an apply created, until each scope has been listed again (`settle`)."""

    def __init__(self, remote: Remote, app_url: str, concurrency: int, report: Report) -> None:
        self.remote = remote
        self.app_url = app_url
        self.concurrency = concurrency
        self.report = report
        self.created: list[Created] = []
        self._lock = threading.Lock()

    def add(self, created: Created) -> None:
        """A view just created: reported once `settle` has seen every copy of it."""
        with self._lock:
            self.created.append(created)

    def settle(self) -> None:
        """List each scope with creates once more and delete the extra copies of created keys.

        A server that inserts on every id-less upsert makes a copy per send: one per apply
        racing this one, one per create wandb-core sent again after a lost response. Every
        apply keeps the oldest copy (`reportgen.remote.duplicates`), so racing applies agree.
        """
        by_scope: dict[Scope, list[Created]] = {}
        for created in self.created:
            by_scope.setdefault(created.change.scope, []).append(created)
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            list(pool.map(lambda item: self.settle_scope(*item), by_scope.items()))

    def settle_scope(self, scope: Scope, created: list[Created]) -> None:
        try:
            listed = self.remote.list_views(*scope) or []
        except RemoteError as exc:
            message = (
                f"created, but W&B could not be listed to look for extra copies ({exc.message}); "
                "run apply again"
            )
            for item in created:
                self.report("failed", item.change, self.url_of(item), message)
            return
        found = []
        for item in created:
            name = view_name(*scope, item.change.key)
            found.append((item, split(copies_of(listed, item.change.key, name), name)))
        doomed = [extra for _, copies in found if copies for extra in copies.extra]
        left = self.remove_all(scope, doomed)
        for item, copies in found:
            try:
                self.settle_one(item, copies, left)
            except RemoteError as exc:
                self.report("failed", item.change, self.url_of(item), exc.message)

    def remove_all(self, scope: Scope, views: list[RemoteView]) -> dict[str, str]:
        """Delete views; those that could not be deleted and are still listed, with why.

        A delete that fails because another apply deleted the view first is no failure: one
        listing after the deletes tells which views are really left, and a view still listed
        as the same copy (same id, name and marker) is deleted again, up to the retry
        policy's attempts.
        """

        def attempt(view: RemoteView) -> str | None:
            try:
                self.remote.delete_view(view.id)
            except RemoteError as exc:
                return exc.message
            return None

        failed: dict[str, str] = {}
        for _ in range(max(1, self.remote.policy.attempts)):
            with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
                answers = list(pool.map(attempt, views))
            failed = {v.id: why for v, why in zip(views, answers, strict=True) if why is not None}
            if not failed:
                return {}
            try:
                listed = {v.id: v for v in self.remote.list_views(*scope) or []}
            except RemoteError as exc:
                return {view_id: f"{why}; then {exc.message}" for view_id, why in failed.items()}
            views = [v for v in views if v.id in failed and _same_copy(v, listed.get(v.id))]
            if not views:
                return {}
            failed = {v.id: failed[v.id] for v in views}
        return failed

    def settle_one(self, item: Created, copies: Copies | None, left: dict[str, str]) -> None:
        change = item.change
        if copies is None:  # not listed (yet): the create's own answer stands
            self.report("created", change, self.url_of(item), "")
            return
        keep = copies.keep
        item.view_id, item.name = keep.id, keep.name
        stuck = [extra for extra in copies.extra if extra.id in left]
        if stuck:
            urls = ", ".join(remote_url(self.app_url, extra) for extra in stuck)
            message = f"could not delete the extra copies {urls} ({left[stuck[0].id]})"
            self.report("failed", change, self.url_of(item), message)
            return
        if parse_marker(keep.description) != item.marker:
            # The copy kept is another apply's (or lost its marker): make it this one.
            self.remote.upsert_view(view_id=keep.id, name=keep.name, **item.fields)
        removed = len(copies.extra)
        message = (
            f"deleted {removed} extra {'copy' if removed == 1 else 'copies'} "
            "(a resent create or a concurrent apply)"
            if removed
            else ""
        )
        self.report("created", change, self.url_of(item), message)

    def url_of(self, item: Created) -> str:
        change = item.change
        return view_url(
            self.app_url,
            change.entity,
            change.project,
            change.view_type,
            item.name,
            item.view_id,
            str(item.fields["display_name"]),
        )
