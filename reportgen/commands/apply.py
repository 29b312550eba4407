"""`reportgen apply`: carry out a plan against W&B, idempotently.

One listing per (entity, project, view type), then one write per view that differs; a
second apply right after the first writes nothing (and compiles nothing: see `plan`). A
view is compiled again when it is written, so no compiled view outlives its write. Writes
run on a bounded thread pool.
Creates are never blindly retried: after a failed create the scope is listed again and a
view that carries the key counts as created. And whatever W&B's id-less upsert does (upsert
by name, or insert), each scope with creates is listed once more after them and every extra
copy of a created key is deleted by the keep-the-oldest rule (`settle`, `remote.duplicates`),
so lost responses and racing applies end with one view per (key, view type).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reportgen.commands.declare import Declarations
from reportgen.commands.plan import Change, Plan, Scope, make_plan, scopes_for
from reportgen.commands.settle import Created, Settler
from reportgen.compile.normalize import id_translation, stable_ids
from reportgen.problems import ReportgenError
from reportgen.remote.client import Remote, RemoteError, RemoteView
from reportgen.remote.identity import Marker, parse_marker, view_name, view_url, with_marker
from reportgen.remote.session import Session

DEFAULT_CONCURRENCY = 6


@dataclass
class Options:
    prune: bool = False
    targets: Sequence[str] = ()
    skip_drifted: bool = False
    continue_on_error: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass
class Event:
    """What happened to one object: created, updated, restored, unchanged, pruned, deduplicated
    (an extra copy deleted), skipped, failed."""

    outcome: str
    change: Change
    url: str | None = None
    message: str = ""


@dataclass
class Outcome:
    plan: Plan
    events: list[Event] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(e.outcome == "failed" for e in self.events)

    def count(self, outcome: str) -> int:
        return sum(e.outcome == outcome for e in self.events)

    def summary(self) -> str:
        outcomes = (
            *("created", "adopted", "updated", "restored"),
            *("pruned", "deduplicated", "unchanged", "skipped", "failed"),
        )
        shown = [f"{self.count(o)} {o}" for o in outcomes if self.count(o)]
        return "Apply: " + (", ".join(shown) or "nothing to do")


Listings = dict[Scope, list[RemoteView] | None]


def fetch_listings(
    remote: Remote, scopes: Sequence[Scope], concurrency: int = DEFAULT_CONCURRENCY
) -> Listings:
    """One listing per scope, concurrently."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = pool.map(lambda s: remote.list_views(*s), scopes)
        return dict(zip(scopes, results, strict=True))


def plan(session: Session, declarations: Declarations, options: Options) -> tuple[Plan, Listings]:
    views = declarations.views
    listings = fetch_listings(session.remote, scopes_for(views), options.concurrency)
    made = make_plan(
        views,
        listings,
        compile=declarations.compile,
        app_url=session.app_url,
        prune=options.prune,
        targets=options.targets,
    )
    return made, listings


def apply(
    session: Session,
    declarations: Declarations,
    options: Options,
    on_event: Callable[[Event], None] = lambda e: None,
    on_plan: Callable[[Plan], None] = lambda p: None,
) -> Outcome:
    made, listings = plan(session, declarations, options)
    on_plan(made)
    executor = _Executor(session, declarations, listings, options, on_event)
    return Outcome(made, executor.run(made.changes))


class _Executor:
    def __init__(
        self,
        session: Session,
        declarations: Declarations,
        listings: Listings,
        options: Options,
        on_event: Callable[[Event], None],
    ) -> None:
        self.remote = session.remote
        self.app_url = session.app_url
        self.declarations = declarations
        self.listings = listings
        self.options = options
        self.on_event = on_event
        self.lock = threading.Lock()
        self.project_ids: dict[tuple[str, str], str | None] = {}
        self.project_locks: dict[tuple[str, str], threading.Lock] = {}
        self.created_projects: set[tuple[str, str]] = set()
        self.stopped = False
        self.events: list[Event] = []
        self.settler = Settler(self.remote, self.app_url, options.concurrency, self.tell)

    def tell(self, outcome: str, change: Change, url: str, message: str) -> None:
        self.emit(Event(outcome, change, url, message))

    def emit(self, event: Event) -> Event:
        with self.lock:
            self.events.append(event)
            self.on_event(event)
        return event

    def run(self, changes: Sequence[Change]) -> list[Event]:
        quiet = [c for c in changes if c.action == "unchanged"]
        for change in quiet:
            self.emit(Event("unchanged", change, change.url))
        deletes = [c for c in changes if c.action == "delete"]
        writes = [c for c in changes if c.action in ("create", "adopt", "update", "drifted")]
        for batch in (deletes, writes):
            with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
                list(pool.map(self.one, batch))
        self.settler.settle()
        # Events come in as writes finish; the outcome lists them in plan (spec) order.
        order = {id(change): i for i, change in enumerate(changes)}
        return sorted(self.events, key=lambda e: order.get(id(e.change), len(order)))

    def one(self, change: Change) -> None:
        if self.stopped:
            self.emit(
                Event("skipped", change, change.url, "not attempted after an earlier failure")
            )
            return
        if change.action == "drifted" and self.options.skip_drifted:
            self.emit(
                Event(
                    "skipped",
                    change,
                    change.url,
                    "edited in W&B since the last apply (--skip-drifted)",
                )
            )
            return
        try:
            if change.action == "delete":
                self.delete(change)
            else:
                self.write(change)
        except RemoteError as exc:
            if not self.options.continue_on_error:
                self.stopped = True
            self.emit(Event("failed", change, change.url, exc.message))

    def delete(self, change: Change) -> None:
        assert change.remote is not None
        self.remove(change.remote)
        if change.duplicate_of is not None:
            message = f"an extra copy; kept the oldest, {change.duplicate_of}"
            self.emit(Event("deduplicated", change, change.url, message))
        else:
            self.emit(Event("pruned", change, change.url))

    def remove(self, view: RemoteView) -> None:
        """Delete a view; one that is gone already (another apply deleted it) counts as deleted."""
        left = self.settler.remove_all((view.entity, view.project, view.type), [view])
        if left:
            raise RemoteError(left[view.id])

    def write(self, change: Change) -> None:
        remote = change.remote
        assert change.declared is not None and change.local_digest is not None
        try:
            ((_, built),) = self.declarations.compile([change.declared])
        except ReportgenError as exc:  # its file changed since the plan: this object fails
            raise RemoteError(exc.message) from None
        if remote is None and self.listings.get(change.scope, []) is None:
            self.ensure_project(change.entity, change.project)
        if remote is not None:
            reuse_ids(built.compiled, built.spec(), remote.spec, built.view_type)
        spec = json.dumps(built.spec(self.project_id), separators=(",", ":"))
        marker = Marker(built.key, change.local_digest, change.declared.digest)
        fields: dict[str, Any] = {
            "entity": change.entity,
            "project": change.project,
            "view_type": change.view_type,
            "display_name": built.view.title,
            "description": with_marker(built.view.description, marker),
            "spec": spec,
        }
        if remote is not None:
            view_id, name = self.remote.upsert_view(view_id=remote.id, name=remote.name, **fields)
        else:
            view_id, name = self.create(change, fields)
            self.settler.add(Created(change, fields, marker, view_id, name))
            return
        url = view_url(
            self.app_url,
            change.entity,
            change.project,
            change.view_type,
            name,
            view_id,
            built.view.title,
        )
        outcome = {
            "create": "created",
            "adopt": "adopted",
            "update": "updated",
            "drifted": "restored",
        }[change.action]
        note = (
            "overwrote an edit made in W&B since the last apply"
            if change.action == "drifted"
            else ""
        )
        self.emit(Event(outcome, change, url, note))

    def create(self, change: Change, fields: dict[str, Any]) -> tuple[str, str]:
        name = view_name(change.entity, change.project, change.view_type, change.key)
        attempts = max(1, self.remote.policy.attempts)
        delays = self.remote.policy.delays()
        for attempt in range(attempts):
            try:
                with self.remote.no_retry():
                    return self.remote.upsert_view(name=name, **fields)
            except RemoteError as exc:
                landed = self.find(change)
                if landed is not None:
                    if parse_marker(landed.description) != parse_marker(fields["description"]):
                        return self.remote.upsert_view(
                            view_id=landed.id, name=landed.name, **fields
                        )
                    return landed.id, landed.name
                delay = next(delays, None)
                if not exc.retryable or delay is None or attempt == attempts - 1:
                    raise
                self.remote.policy.sleep(delay)
        raise RemoteError(
            f"could not create {change.key}"
        )  # pragma: no cover - loop returns or raises

    def find(self, change: Change) -> RemoteView | None:
        """The live view carrying this change's key, listed afresh."""
        listed = self.remote.list_views(change.entity, change.project, change.view_type) or []
        for view in listed:
            marker = parse_marker(view.description)
            if marker is not None and marker.key == change.key:
                return view
        return None

    def ensure_project(self, entity: str, project: str) -> None:
        """Create a project the listing found missing, once, before the first view in it."""
        with self.lock:
            gate = self.project_locks.setdefault(
                ("create", entity + "/" + project), threading.Lock()
            )
        with gate:
            if (entity, project) not in self.created_projects:
                self.remote.create_project(entity, project)
                self.created_projects.add((entity, project))

    def project_id(self, entity: str, project: str) -> str | None:
        """A project's internal id, looked up once per project however many writes need it."""
        with self.lock:
            gate = self.project_locks.setdefault((entity, project), threading.Lock())
        with gate:
            if (entity, project) not in self.project_ids:
                self.project_ids[(entity, project)] = self.remote.project_internal_id(
                    entity, project
                )
            return self.project_ids[(entity, project)]


def reuse_ids(
    compiled: Any, local_spec: dict[str, Any], remote_spec: dict[str, Any], view_type: str
) -> None:
    """Give freshly compiled panels and run sets the ids W&B already knows, by position.

    W&B keys per-panel state (zoom, hidden series, the open run set) by these ids; keeping
    them makes an update an edit rather than a replacement (REPORT.md 2, 7).
    """
    import wandb_workspaces.reports.v2 as wr
    import wandb_workspaces.workspaces as ws

    table = id_translation(local_spec, remote_spec, view_type)
    if isinstance(compiled, ws.Workspace):
        for section in compiled.sections:
            for panel in section.panels:
                _swap(panel, table)
        runset_id = stable_ids(remote_spec, view_type).get("<runset:0>")
        if runset_id:
            object.__setattr__(compiled, "_internal_runset_id", runset_id)
        return
    assert isinstance(compiled, wr.Report)
    for block in compiled.blocks:
        if isinstance(block, wr.PanelGrid):
            for item in [*block.panels, *block.runsets]:
                _swap(item, table)


def _swap(item: Any, table: dict[str, str]) -> None:
    current = getattr(item, "_id", None)
    if isinstance(current, str) and current in table:
        object.__setattr__(item, "_id", table[current])
