"""Resolvers for the viewer, projects, views and share tokens."""

from __future__ import annotations

from typing import Any

from reportgen.sandbox.backend import Info, Registry, backend_of, pk_of
from reportgen.sandbox.db import Row, StoreError
from reportgen.sandbox.identity import entity_record

registry = Registry()
field = registry.field


@field("Query", "viewer")
def viewer(_: Any, info: Info, **args: Any) -> Row:
    return backend_of(info).viewer.user()


def _project(info: Info, args: dict[str, Any]) -> Row | None:
    backend = backend_of(info)
    name = args.get("name")
    return (
        backend.projects.get(args.get("entityName") or backend.viewer.entity, name)
        if name
        else None
    )


@field("Query", "project")
def project(_: Any, info: Info, **args: Any) -> Row | None:
    return _project(info, args)


@field("Query", "model")
def model(_: Any, info: Info, **args: Any) -> Row | None:
    return _project(info, args)


@field("Query", "models")
def models(_: Any, info: Info, **args: Any) -> Row:
    backend = backend_of(info)
    entity = args.get("entityName") or backend.viewer.entity
    return backend.projects.page(entity, args.get("first"), args.get("after"))


@field("Query", "view")
def view(_: Any, info: Info, **args: Any) -> Row | None:
    record = backend_of(info).views.get(args["id"])
    if record is None or (args.get("type") and record["type"] != args["type"]):
        return None
    return record


@field("Query", "entity")
def entity(_: Any, info: Info, **args: Any) -> Row | None:
    backend = backend_of(info)
    name = args["name"] or backend.viewer.entity
    pk = backend.projects.entity_pk(name)
    if pk is None and name == backend.viewer.entity:
        return entity_record(0, name)  # the viewer's entity exists before anything is saved
    return None if pk is None else entity_record(pk, name)


@field("Query", "serverInfo")
def server_info(_: Any, info: Info, **args: Any) -> Row:
    # No optional server features: wandb-core then keeps to its baseline protocol.
    return {"features": []}


@field("Mutation", "upsertView")
def upsert_view(_: Any, info: Info, **args: Any) -> Row:
    record, inserted = backend_of(info).views.upsert(args["input"])
    return {"view": record, "inserted": inserted}


@field("Mutation", "deleteView")
def delete_view(_: Any, info: Info, **args: Any) -> Row:
    inp = args["input"]
    success, pending = backend_of(info).views.delete(inp.get("id"), bool(inp.get("deleteDrafts")))
    return {"success": success, "pendingDrafts": pending}


@field("Mutation", "upsertModel")
def upsert_model(_: Any, info: Info, **args: Any) -> Row:
    backend, inp = backend_of(info), args["input"]
    if not inp.get("name"):
        raise StoreError("upsertModel: name is required")
    record, inserted = backend.projects.upsert(
        inp.get("entityName") or backend.viewer.entity,
        inp["name"],
        inp.get("description"),
        inp.get("access"),
    )
    return {"project": record, "model": record, "inserted": inserted}


@field("Mutation", "createAccessToken")
def create_access_token(_: Any, info: Info, **args: Any) -> Row:
    inp = args["input"]
    return {"accessToken": backend_of(info).views.create_token(inp["viewId"], inp["projects"])}


@field("Mutation", "updateAccessTokenProjects")
def update_access_token_projects(_: Any, info: Info, **args: Any) -> Row:
    inp = args["input"]
    return {"success": backend_of(info).views.set_token_projects(inp["token"], inp["projects"])}


@field("Mutation", "revokeAccessToken")
def revoke_access_token(_: Any, info: Info, **args: Any) -> Row:
    return {"success": backend_of(info).views.revoke_token(args["input"]["token"])}


@field("Project", "allViews")
def all_views(parent: Row, info: Info, **args: Any) -> Row:
    return backend_of(info).views.page(
        pk_of(parent),
        args.get("viewType"),
        args.get("viewName"),
        args.get("userName"),
        args.get("first"),
        args.get("after"),
    )


@field("View", "project")
def view_project(parent: Row, info: Info, **args: Any) -> Row | None:
    return backend_of(info).projects.by_pk(int(parent["_project_pk"]))


@field("View", "children")
def view_children(parent: Row, info: Info, **args: Any) -> Row:
    return backend_of(info).views.children(pk_of(parent))


@field("View", "accessTokens")
def view_access_tokens(parent: Row, info: Info, **args: Any) -> list[Row]:
    return backend_of(info).views.tokens(pk_of(parent))


@field("AccessToken", "projects")
def access_token_projects(parent: Row, info: Info, **args: Any) -> list[Row]:
    projects = backend_of(info).projects
    found = (projects.get(entity_name, name) for entity_name, name in parent["_projects"])
    return [p for p in found if p is not None]
