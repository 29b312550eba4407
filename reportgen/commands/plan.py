"""`reportgen plan`: what apply would do, computed from the specs and one listing per scope.

Pure: the listings come in (fetched by `reportgen.commands.apply.fetch_listings`), changes go out.
Each declared view is matched to the live view carrying its key (see `identity`) and
both are compared in normalised form:

* create     - nothing on W&B has the key;
* unchanged  - W&B's copy equals the declared one;
* update     - they differ and W&B's copy is what reportgen last applied;
* drifted    - they differ and W&B's copy was edited in the app since the last apply;
* delete     - a managed view whose key no spec declares (with prune only), or a second copy
               of a view that apply made (always; see `reportgen.remote.duplicates`).
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.commands.build import BuiltView
from reportgen.compile.normalize import normalize
from reportgen.compile.viewspec import REPORT_TYPE, WORKSPACE_TYPE
from reportgen.problems import ReportgenError
from reportgen.remote.client import RemoteView
from reportgen.remote.duplicates import Copies, copies_of, split
from reportgen.remote.identity import digest, parse_marker, view_document, view_name, view_url

Scope = tuple[str, str, str]  # entity, project, view type
ACTIONS = ("delete", "create", "update", "drifted", "unchanged")
VIEW_TYPES = (WORKSPACE_TYPE, REPORT_TYPE)


@dataclass
class Change:
    action: str
    key: str
    entity: str
    project: str
    view_type: str
    title: str
    built: BuiltView | None = None
    remote: RemoteView | None = None
    local_doc: dict[str, Any] | None = None
    remote_doc: dict[str, Any] | None = None
    url: str | None = None
    source: str | None = None
    note: str = ""
    duplicate_of: str | None = None  # a delete of an extra copy: the URL of the copy kept

    @property
    def scope(self) -> Scope:
        return (self.entity, self.project, self.view_type)

    @property
    def kind(self) -> str:
        return "workspace" if self.view_type == WORKSPACE_TYPE else "report"

    @property
    def pending(self) -> bool:
        return self.action != "unchanged"

    @property
    def local_digest(self) -> str | None:
        return None if self.local_doc is None else digest(self.local_doc)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    orphans: int = 0  # managed views without a spec, when not pruning

    def count(self, action: str) -> int:
        return sum(c.action == action for c in self.changes)

    @property
    def has_changes(self) -> bool:
        return any(c.pending for c in self.changes)

    def summary(self) -> str:
        update = self.count("update") + self.count("drifted")
        return (
            f"Plan: {self.count('create')} to create, {update} to update, "
            f"{self.count('delete')} to delete, {self.count('unchanged')} unchanged"
        )


def scopes_for(views: Iterable[BuiltView]) -> list[Scope]:
    """Every (entity, project, view type) to list: both types of every project the specs cover."""
    projects = dict.fromkeys((v.view.entity, v.view.project) for v in views)
    return [(e, p, t) for e, p in projects for t in VIEW_TYPES]


def select(views: Sequence[BuiltView], targets: Sequence[str]) -> list[BuiltView]:
    """The views whose key matches one of the --target globs (all when there are none)."""
    if not targets:
        return list(views)
    return [v for v in views if any(fnmatch.fnmatchcase(v.key, t) for t in targets)]


def make_plan(
    views: Sequence[BuiltView],
    listings: Mapping[Scope, list[RemoteView] | None],
    *,
    app_url: str,
    prune: bool = False,
    targets: Sequence[str] = (),
) -> Plan:
    """Compare declared views with W&B's.

    Extra copies of a view that apply made are deleted (the oldest copy is the view); a copy
    of a key under another name raises ReportgenError naming every copy.
    """
    groups = _copies(listings, views, app_url)
    managed = {k: c.keep for k, c in groups.items()}  # declared, or marked on W&B
    known = [v.key for v in views] + [key for _, key in managed]
    for target in targets:
        if not any(fnmatch.fnmatchcase(key, target) for key in known):
            raise ReportgenError(f"--target {target!r} matches no key of the specs or on W&B")
    plan = Plan()
    declared: set[tuple[Scope, str]] = set()
    for built in select(views, targets):
        scope = (built.view.entity, built.view.project, built.view_type)
        declared.add((scope, built.key))
        local_doc = view_document(
            built.view.title, built.view.description, normalize(built.spec(), built.view_type)
        )
        # A workspace saved again through wandb-workspaces loses its description (the
        # library sends ""), but keeps the deterministic name apply gave it.
        copies = groups.get((scope, built.key))
        remote = copies.keep if copies else None
        change = Change(
            action="create",
            key=built.key,
            entity=scope[0],
            project=scope[1],
            view_type=scope[2],
            title=built.view.title,
            built=built,
            local_doc=local_doc,
            source=str(built.view.source),
        )
        if remote is not None:
            change.remote = remote
            change.remote_doc = _remote_doc(remote)
            change.url = _url(app_url, remote)
            change.action = _compare(local_doc, change.remote_doc, remote)
            if parse_marker(remote.description) is None:
                # Found by name: saved by another tool that blanked the description. Even
                # unchanged, it needs its marker back, or prune could never find it again.
                change.note = (
                    "its reportgen marker is gone from the description; apply writes it back"
                )
                if change.action == "unchanged":
                    change.action = "update"
        plan.changes.append(change)
        if copies is not None:
            plan.changes.extend(_extra_deletes(copies, built.key, scope, app_url))
    for scope, key in managed:
        if (scope, key) in declared or not _targeted(key, targets):
            continue
        if not prune:
            plan.orphans += 1
            continue
        for copy in groups[(scope, key)].all:
            plan.changes.append(_delete(copy, key, scope, app_url))
    plan.changes.sort(key=lambda c: (ACTIONS.index(c.action), c.key, c.view_type))
    return plan


def _targeted(key: str, targets: Sequence[str]) -> bool:
    return not targets or any(fnmatch.fnmatchcase(key, t) for t in targets)


def _compare(local_doc: dict[str, Any], remote_doc: dict[str, Any], remote: RemoteView) -> str:
    if local_doc == remote_doc:
        return "unchanged"
    marker = parse_marker(remote.description)
    if marker is not None and marker.digest == digest(remote_doc):
        return "update"
    return "drifted"


def _remote_doc(remote: RemoteView) -> dict[str, Any]:
    return view_document(
        remote.display_name, remote.description, normalize(remote.spec, remote.type)
    )


def _url(app_url: str, remote: RemoteView) -> str:
    return view_url(
        app_url,
        remote.entity,
        remote.project,
        remote.type,
        remote.name,
        remote.id,
        remote.display_name,
    )


def _delete(remote: RemoteView, key: str, scope: Scope, app_url: str) -> Change:
    return Change(
        action="delete",
        key=key,
        entity=scope[0],
        project=scope[1],
        view_type=scope[2],
        title=remote.display_name,
        remote=remote,
        remote_doc=_remote_doc(remote),
        url=_url(app_url, remote),
    )


def _extra_deletes(copies: Copies, key: str, scope: Scope, app_url: str) -> list[Change]:
    """Deletes of the extra copies of a declared view: apply keeps the oldest."""
    kept = _url(app_url, copies.keep)
    deletes = []
    for extra in copies.extra:
        change = _delete(extra, key, scope, app_url)
        change.duplicate_of = kept
        change.note = f"a second copy of this view; the oldest is kept: {kept}"
        deletes.append(change)
    return deletes


def _copies(
    listings: Mapping[Scope, list[RemoteView] | None],
    views: Sequence[BuiltView],
    app_url: str,
) -> dict[tuple[Scope, str], Copies]:
    """Per (scope, key): the views carrying the key, for every key declared or marked on W&B.

    Extra copies apply made are for plan to delete; a copy under another name (duplicated in
    the app, or by another tool) is an error naming every copy, since it may be someone's work.
    """
    keys: dict[Scope, set[str]] = defaultdict(set)
    for built in views:
        keys[(built.view.entity, built.view.project, built.view_type)].add(built.key)
    for scope, listed in listings.items():
        for remote in listed or []:
            marker = parse_marker(remote.description)
            if marker is not None:
                keys[scope].add(marker.key)
    found: dict[tuple[Scope, str], Copies] = {}
    for scope, scope_keys in keys.items():
        listed = listings.get(scope) or []
        for key in sorted(scope_keys):
            name = view_name(scope[0], scope[1], scope[2], key)
            copies = split(copies_of(listed, key, name), name)
            if copies is None:
                continue
            if copies.foreign:
                everyone = copies.all
                urls = " and ".join(_url(app_url, v) for v in everyone)
                raise ReportgenError(
                    f"key {key!r} is on {len(everyone)} W&B views in {scope[0]}/{scope[1]}: "
                    f"{urls}; delete the extra one in the W&B app (or remove the 'managed by "
                    "reportgen' line from its description) and run again"
                )
            found[(scope, key)] = copies
    return found
