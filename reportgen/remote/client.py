"""The only module that talks to W&B: listing, writing and deleting views.

`Remote` receives its transport (a function that executes one GraphQL document) instead
of building a client, so the rest of reportgen never constructs `wandb.Api()` and tests
drive it against the sandbox over real HTTP. The operation texts are the ones wandb 0.31
and wandb-workspaces 0.4.13 send (../shared/wandb-wire/operations), so a server that
serves the official clients serves reportgen.

Every call goes through `RetryPolicy`: what fails retryably (429, 5xx, dropped
connections) is retried here with exponential backoff and full jitter, honouring a
server's Retry-After, then surfaces as `RemoteError`.
"""

from __future__ import annotations

import ipaddress
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from reportgen.problems import ReportgenError

Transport = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]

# The wire study's listing (operations/ProjectWorkspaceViews.graphql) plus `updatedBy`: plan
# says who last saved a drifted view. `user` is the view's owner; W&B's View type also has
# `updatedBy: User` (REPORT.md 6, from weave's generated schema). [infer] a null `updatedBy`
# means nobody saved it since its owner made it, so the owner is named instead.
LIST_VIEWS = """
query ProjectWorkspaceViews($entityName: String!, $projectName: String!, $viewType: String = "project-view", $first: Int = 100, $after: String) {
  project(name: $projectName, entityName: $entityName) {
    allViews(viewType: $viewType, first: $first, after: $after) {
      edges { node { id name displayName type description spec createdAt updatedAt user { username } updatedBy { username } } cursor }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""

UPSERT_VIEW = """
mutation UpsertView2($id: ID, $entityName: String, $projectName: String, $type: String, $name: String, $displayName: String, $description: String, $spec: String) {
  upsertView(
    input: {id: $id, entityName: $entityName, projectName: $projectName, name: $name, displayName: $displayName, description: $description, type: $type, spec: $spec, createdUsing: WANDB_SDK}
  ) {
    view { id name }
    inserted
  }
}
"""

DELETE_VIEW = """
mutation deleteView($id: ID!, $deleteDrafts: Boolean) {
  deleteView(input: { id: $id, deleteDrafts: $deleteDrafts }) { success pendingDrafts __typename }
}
"""

PROJECT_INTERNAL_ID = """
query ProjectInternalId($projectName: String!, $entityName: String!) {
  project(name: $projectName, entityName: $entityName) { id internalId }
}
"""

CREATE_PROJECT = """
mutation CreateProject($input: UpsertModelInput!) {
  result: upsertModel(input: $input) {
    project { ...CreatedProjectFragment }
    model { ...CreatedProjectFragment }
    inserted
  }
}

fragment CreatedProjectFragment on Project { id name entityName description access views }
"""

DEFAULT_ENTITY = """
query GetDefaultEntity { viewer { id entity } }
"""

PAGE_SIZE = 100


RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (no proxy ever leads there, as in wandb-core)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RemoteError(ReportgenError):
    """A request W&B refused or that failed after every retry: an expected failure (exit 1)."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the server asked for (Retry-After)


@dataclass(frozen=True)
class RemoteView:
    """A view as W&B has it."""

    id: str
    entity: str
    project: str
    name: str
    type: str
    display_name: str
    description: str
    spec: dict[str, Any]
    updated_at: str | None = None
    created_at: str | None = None
    updated_by: str | None = None  # who saved it last, where W&B's record says


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits U(0, min(cap, base * 2**n))."""

    # Through wandb-core, which has already retried each request for up to its timeout
    # (19 s by default, backing off 2 s, 4 s, 8 s), a few more attempts are enough; the
    # session gives reportgen's own transport more (`session.connect`).
    attempts: int = 3
    base: float = 0.25
    cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts - 1):
            yield self.rng.uniform(0, min(self.cap, self.base * 2**n))


Classifier = Callable[[BaseException], RemoteError | None]


class Remote:
    """W&B's view API, over one shared transport."""

    def __init__(
        self, transport: Transport, classify: Classifier, policy: RetryPolicy | None = None
    ) -> None:
        self._transport = transport
        self._classify = classify
        self.policy = policy or RetryPolicy()
        self.retries = 0
        self._local = threading.local()

    @contextmanager
    def no_retry(self) -> Iterator[None]:
        """Within this block (on this thread), a failure is raised at once, not retried."""
        self._local.no_retry = True
        try:
            yield
        finally:
            self._local.no_retry = False

    def execute(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """Run one operation, retrying what can be retried."""
        delays = iter(()) if getattr(self._local, "no_retry", False) else self.policy.delays()
        while True:
            try:
                return self._transport(query, variables)
            except Exception as exc:
                error = self._classify(exc)
                if error is None:
                    raise
                delay = next(delays, None) if error.retryable else None
                if delay is None:
                    raise error from None
                if error.retry_after is not None:
                    delay = max(delay, min(error.retry_after, self.policy.cap))
                self.retries += 1
                self.policy.sleep(delay)

    def list_views(self, entity: str, project: str, view_type: str) -> list[RemoteView] | None:
        """Every view of one type in a project; None when the project does not exist."""
        views: list[RemoteView] = []
        after: str | None = None
        while True:
            variables = {
                "entityName": entity,
                "projectName": project,
                "viewType": view_type,
                "first": PAGE_SIZE,
                "after": after,
            }
            try:
                data = self.execute(LIST_VIEWS, variables)
            except RemoteError as exc:
                kind = "workspace" if view_type == "project-view" else "report"
                msg = f"cannot list the {kind} views of {entity}/{project}: {exc.message}"
                raise RemoteError(msg, retryable=exc.retryable) from None
            node = data.get("project")
            if node is None:
                return None
            connection = node.get("allViews") or {}
            for edge in connection.get("edges") or []:
                views.append(_view(edge["node"], entity, project, view_type))
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return views
            after = page.get("endCursor")

    def upsert_view(
        self,
        *,
        entity: str,
        project: str,
        view_type: str,
        name: str,
        display_name: str,
        description: str,
        spec: str,
        view_id: str | None = None,
    ) -> tuple[str, str]:
        """Create (no id) or update a view; returns its (id, name)."""
        variables: dict[str, Any] = {
            "entityName": entity,
            "projectName": project,
            "type": view_type,
            "name": name,
            "displayName": display_name,
            "description": description,
            "spec": spec,
        }
        if view_id:
            variables["id"] = view_id
        data = self.execute(UPSERT_VIEW, variables)
        view = (data.get("upsertView") or {}).get("view") or {}
        if not view.get("id"):
            raise RemoteError(f"W&B did not return the view it saved ({display_name!r})")
        return str(view["id"]), str(view.get("name") or name)

    def delete_view(self, view_id: str) -> None:
        data = self.execute(DELETE_VIEW, {"id": view_id, "deleteDrafts": True})
        if not (data.get("deleteView") or {}).get("success"):
            raise RemoteError(f"W&B did not delete view {view_id}")

    def project_internal_id(self, entity: str, project: str) -> str | None:
        data = self.execute(PROJECT_INTERNAL_ID, {"entityName": entity, "projectName": project})
        node = data.get("project")
        return None if node is None else str(node.get("internalId"))

    def default_entity(self) -> str | None:
        """The signed-in user's default entity, as wandb's `Api.default_entity`."""
        viewer = self.execute(DEFAULT_ENTITY, {}).get("viewer") or {}
        entity = viewer.get("entity")
        return str(entity) if entity else None

    def create_project(self, entity: str, project: str) -> None:
        self.execute(CREATE_PROJECT, {"input": {"entityName": entity, "name": project}})


def _view(node: Mapping[str, Any], entity: str, project: str, view_type: str) -> RemoteView:
    raw = node.get("spec")
    try:
        spec = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    except json.JSONDecodeError:
        spec = {"__unparsable__": raw}
    if not isinstance(spec, dict):
        spec = {"__unparsable__": raw}
    return RemoteView(
        id=str(node["id"]),
        entity=entity,
        project=project,
        name=str(node.get("name") or ""),
        type=str(node.get("type") or view_type),
        display_name=str(node.get("displayName") or ""),
        description=str(node.get("description") or ""),
        spec=spec,
        updated_at=node.get("updatedAt"),
        created_at=node.get("createdAt"),
        updated_by=_username(node.get("updatedBy")) or _username(node.get("user")),
    )


def _username(user: Any) -> str | None:
    name = user.get("username") if isinstance(user, Mapping) else None
    return str(name) if name else None
