"""`reportgen plan`: what apply would do, computed from the specs and one listing per scope.

Pure: the listings come in (fetched by `reportgen.commands.apply.fetch_listings`), changes go out.
Each declared view is matched to the live view carrying its key (see `identity`). A view
whose marker says it was compiled from what the spec says now, and whose W&B copy still
hashes to what was applied, is unchanged without compiling anything; every other view is
compiled (`Declarations.compile`) and both sides are compared in normalised form:

* create     - nothing on W&B has the key;
* adopt      - a view made outside reportgen that the spec names with `adopt:` (written by
               pull): apply updates that view and marks it managed, never making a second;
* unchanged  - W&B's copy equals the declared one;
* update     - they differ and W&B's copy is what reportgen last applied;
* drifted    - they differ and W&B's copy was edited in the app since the last apply;
* delete     - a managed view whose key no spec declares (with prune only), or a second copy
               of a view that apply made (always; see `reportgen.remote.duplicates`).

A plan lists its changes in spec order: the declared views in the order validate reads
them (files, documents in a file, objects in a document, a leaderboard's views), then the
deletes by key. apply prints its lines in this order too, whatever order its writes end in.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.commands.build import BuiltView
from reportgen.commands.declare import Declared
from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE, normalize
from reportgen.problems import ReportgenError
from reportgen.remote.client import RemoteView
from reportgen.remote.duplicates import Copies, copies_of, split
from reportgen.remote.identity import (
    digest,
    parse_marker,
    unchanged,
    view_document,
    view_name,
    view_url,
)

Scope = tuple[str, str, str]  # entity, project, view type
VIEW_TYPES = (WORKSPACE_TYPE, REPORT_TYPE)
Compile = Callable[[Sequence[Declared]], Iterator[tuple[Declared, BuiltView]]]


@dataclass
class Change:
    action: str
    key: str
    entity: str
    project: str
    view_type: str
    title: str
    declared: Declared | None = None
    remote: RemoteView | None = None
    remote_doc: dict[str, Any] | None = None
    url: str | None = None
    source: str | None = None
    note: str = ""
    duplicate_of: str | None = None  # a delete of an extra copy: the URL of the copy kept
    local_digest: str | None = None  # the `applied` digest of the declared view, once compiled
    compiler: Compile | None = field(default=None, repr=False, compare=False)
    # Kept where a diff shows it (update, drifted, adopt); else made again on first use.
    _local_doc: dict[str, Any] | None = field(default=None, repr=False)
    _built: BuiltView | None = field(default=None, repr=False, compare=False)

    @property
    def built(self) -> BuiltView | None:
        """The declared view compiled (None for a delete). Plan holds no compiled view (an
        unchanged one was never compiled), so it is compiled again on first use, through
        `compiler`, and kept: for the few changes a caller looks into (`pull --key`)."""
        if self._built is None and self.declared is not None and self.compiler is not None:
            ((_, self._built),) = self.compiler([self.declared])
        return self._built

    @property
    def local_doc(self) -> dict[str, Any] | None:
        """The declared view as compared with W&B's (title, description, normalised spec)."""
        if self._local_doc is None and self.declared is not None:
            built = self.built
            self._local_doc = None if built is None else local_document(built)
        return self._local_doc

    @local_doc.setter
    def local_doc(self, value: dict[str, Any] | None) -> None:
        self._local_doc = value

    @property
    def scope(self) -> Scope:
        return (self.entity, self.project, self.view_type)

    @property
    def kind(self) -> str:
        return "workspace" if self.view_type == WORKSPACE_TYPE else "report"

    @property
    def pending(self) -> bool:
        return self.action != "unchanged"


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
        adopt = f"{self.count('adopt')} to adopt, " if self.count("adopt") else ""
        return (
            f"Plan: {self.count('create')} to create, {update} to update, {adopt}"
            f"{self.count('delete')} to delete, {self.count('unchanged')} unchanged"
        )


def scopes_for(views: Iterable[Declared]) -> list[Scope]:
    """Every (entity, project, view type) to list: both types of every project the specs cover."""
    projects = dict.fromkeys((v.entity, v.project) for v in views)
    return [(e, p, t) for e, p in projects for t in VIEW_TYPES]


def select(views: Sequence[Declared], targets: Sequence[str]) -> list[Declared]:
    """The views whose key matches one of the --target globs (all when there are none)."""
    if not targets:
        return list(views)
    return [v for v in views if any(fnmatch.fnmatchcase(v.key, t) for t in targets)]


def make_plan(
    views: Sequence[Declared],
    listings: Mapping[Scope, list[RemoteView] | None],
    *,
    compile: Compile,
    app_url: str,
    prune: bool = False,
    targets: Sequence[str] = (),
) -> Plan:
    """Compare declared views with W&B's; raises ReportgenError with the problems of views
    that wandb-workspaces refuses.

    Extra copies of a view that apply made are deleted (the oldest copy is the view); a copy
    of a key under another name raises ReportgenError naming every copy.
    """
    groups = _copies(listings, views, app_url)
    managed = {k: c.keep for k, c in groups.items()}  # declared, or marked on W&B
    by_id = _adoptable(views, listings)
    adopted: set[str] = set()
    known = [v.key for v in views] + [key for _, key in managed]
    for target in targets:
        if not any(fnmatch.fnmatchcase(key, target) for key in known):
            raise ReportgenError(f"--target {target!r} matches no key of the specs or on W&B")
    plan = Plan()
    deletes: list[Change] = []
    declared_at: set[tuple[Scope, str]] = set()
    to_compile: list[tuple[Declared, Change]] = []
    for declared in select(views, targets):
        scope = (declared.entity, declared.project, declared.view_type)
        declared_at.add((scope, declared.key))
        # A workspace saved again through wandb-workspaces loses its description (the
        # library sends ""), but keeps the deterministic name apply gave it.
        copies = groups.get((scope, declared.key))
        remote = copies.keep if copies else None
        change = Change(
            action="create",
            key=declared.key,
            entity=scope[0],
            project=scope[1],
            view_type=scope[2],
            title=declared.title,
            declared=declared,
            source=str(declared.source),
            compiler=compile,
        )
        plan.changes.append(change)
        if copies is not None:
            deletes.extend(_extra_deletes(copies, declared.key, scope, app_url))
        if remote is not None:
            change.remote = remote
            change.url = remote_url(app_url, remote)
            marker = parse_marker(remote.description)
            if unchanged(marker, declared.digest, _remote_doc(remote)):
                change.action = "unchanged"
                continue
        adopted_view = None if remote else _adopted(by_id, scope, declared.adopt)
        if adopted_view is not None:
            change.remote = adopted_view
            change.url = remote_url(app_url, adopted_view)
            change.action = "adopt"
            adopted.add(adopted_view.id)
        to_compile.append((declared, change))
    changes = dict(to_compile)
    for declared, built in compile([d for d, _ in to_compile]):
        _compare(changes[declared], built)
    for (scope, key), remote in managed.items():
        if (scope, key) in declared_at or not _targeted(key, targets) or remote.id in adopted:
            continue
        if not prune:
            plan.orphans += 1
            continue
        for copy in groups[(scope, key)].all:
            if copy.id not in adopted:
                deletes.append(_delete(copy, key, scope, app_url))
    # Spec order: the declared views as the specs list them, then the deletes (which have
    # no spec, or are a second copy of one) by key; a stable sort keeps the copies' order.
    deletes.sort(key=lambda c: (c.key, c.view_type, c.entity, c.project))
    plan.changes.extend(deletes)
    return plan


def _adoptable(
    views: Sequence[Declared], listings: Mapping[Scope, list[RemoteView] | None]
) -> dict[tuple[Scope, str], RemoteView]:
    """Views `adopt:` may name: made outside reportgen, or managed under a key no spec
    declares any more (a pulled object that had to take a new key)."""
    declared = {((v.entity, v.project, v.view_type), v.key) for v in views}
    found: dict[tuple[Scope, str], RemoteView] = {}
    for scope, listed in listings.items():
        for view in listed or []:
            marker = parse_marker(view.description)
            if marker is None or (scope, marker.key) not in declared:
                found[(scope, view.id)] = view
    return found


def _adopted(
    by_id: Mapping[tuple[Scope, str], RemoteView], scope: Scope, ids: Sequence[str]
) -> RemoteView | None:
    """The unmanaged view of this scope that `adopt:` names, if W&B has it."""
    for view_id in ids:
        found = by_id.get((scope, view_id))
        if found is not None:
            return found
    return None


def _targeted(key: str, targets: Sequence[str]) -> bool:
    return not targets or any(fnmatch.fnmatchcase(key, t) for t in targets)


def local_document(built: BuiltView) -> dict[str, Any]:
    """What plan compares of a compiled view: title, description and normalised spec."""
    return view_document(
        built.view.title, built.view.description, normalize(built.spec(), built.view_type)
    )


def _compare(change: Change, built: BuiltView) -> None:
    """Settle a change from the compiled view; keep both sides only where a diff shows them."""
    local_doc = local_document(built)
    change.local_digest = digest(local_doc)
    remote = change.remote
    if remote is None:
        return
    remote_doc = _remote_doc(remote)
    if change.action == "adopt":  # both sides kept: the diff shows only if they differ
        change.note = "made outside reportgen; apply marks it managed" + (
            "" if local_doc == remote_doc else " and updates it"
        )
        change.local_doc, change.remote_doc = local_doc, remote_doc
        return
    marker = parse_marker(remote.description)
    if local_doc == remote_doc:
        change.action = "unchanged"
    elif marker is not None and marker.digest == digest(remote_doc):
        change.action = "update"
    else:
        change.action = "drifted"
    if marker is None:
        # Found by name: saved by another tool that blanked the description. Even
        # unchanged, it needs its marker back, or prune could never find it again.
        change.note = "its reportgen marker is gone from the description; apply writes it back"
        if change.action == "unchanged":
            change.action = "update"
    if change.action != "unchanged":
        change.local_doc, change.remote_doc = local_doc, remote_doc


def _remote_doc(remote: RemoteView) -> dict[str, Any]:
    return view_document(
        remote.display_name, remote.description, normalize(remote.spec, remote.type)
    )


def remote_url(app_url: str, remote: RemoteView) -> str:
    """The app URL of a view as W&B lists it."""
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
        url=remote_url(app_url, remote),
    )


def _extra_deletes(copies: Copies, key: str, scope: Scope, app_url: str) -> list[Change]:
    """Deletes of the extra copies of a declared view: apply keeps the oldest."""
    kept = remote_url(app_url, copies.keep)
    deletes = []
    for extra in copies.extra:
        change = _delete(extra, key, scope, app_url)
        change.duplicate_of = kept
        change.note = f"a second copy of this view; the oldest is kept: {kept}"
        deletes.append(change)
    return deletes


def _copies(
    listings: Mapping[Scope, list[RemoteView] | None],
    views: Sequence[Declared],
    app_url: str,
) -> dict[tuple[Scope, str], Copies]:
    """Per (scope, key): the views carrying the key, for every key declared or marked on W&B.

    Extra copies apply made are for plan to delete; a copy under another name (duplicated in
    the app, or by another tool) is an error naming every copy, since it may be someone's work.
    """
    keys: dict[Scope, set[str]] = defaultdict(set)
    for declared in views:
        keys[(declared.entity, declared.project, declared.view_type)].add(declared.key)
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
                urls = " and ".join(remote_url(app_url, v) for v in everyone)
                raise ReportgenError(
                    f"key {key!r} is on {len(everyone)} W&B views in {scope[0]}/{scope[1]}: "
                    f"{urls}; delete the extra one in the W&B app (or remove the 'managed by "
                    "reportgen' line from its description) and run again"
                )
            found[(scope, key)] = copies
    return found
