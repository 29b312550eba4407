"""Everything a GraphQL resolver may touch, handed to it as the execution context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from graphql import GraphQLResolveInfo

from reportgen.sandbox.db import Database, Row
from reportgen.sandbox.identity import Viewer
from reportgen.sandbox.projects import Projects
from reportgen.sandbox.runpage import RunQueries
from reportgen.sandbox.runs import Runs
from reportgen.sandbox.settings import Settings
from reportgen.sandbox.sortindex import SortIndexes
from reportgen.sandbox.stats import Stats
from reportgen.sandbox.views import Views

Resolver = Callable[..., Any]
"""``(parent, info, **graphql_arguments) -> value``, as graphql-core calls field resolvers."""


@dataclass
class Backend:
    """The stores behind one sandbox, plus how to mint upload URLs for run files."""

    db: Database
    viewer: Viewer
    projects: Projects
    views: Views
    runs: Runs
    queries: RunQueries
    upload_url: Callable[[int, str], str]
    settings: Settings

    @classmethod
    def open(
        cls,
        path: str | Path,
        viewer: Viewer,
        upload_url: Callable[[int, str], str],
        settings: Settings | None = None,
        stats: Stats | None = None,
    ) -> Backend:
        """Open (creating if needed) the SQLite file at ``path``."""
        db = Database(path)
        settings = settings or Settings()
        indexes = SortIndexes()
        db.on_rollback(indexes.forget)
        return cls(
            db,
            viewer,
            Projects(db),
            Views(db, viewer, settings),
            Runs(db, viewer, settings, indexes),
            RunQueries(db, indexes, stats or Stats()),
            upload_url,
            settings,
        )

    def close(self) -> None:
        """Close the database."""
        self.db.close()


Info: TypeAlias = "GraphQLResolveInfo[Backend]"
"""What resolvers receive as ``info``; its context is the Backend."""


def backend_of(info: Info) -> Backend:
    """The Backend passed as ``context_value`` to the executor."""
    backend = info.context
    assert isinstance(backend, Backend)
    return backend


class Registry:
    """Collects field resolvers by (GraphQL type, field) with a decorator."""

    def __init__(self) -> None:
        self.resolvers: dict[tuple[str, str], Resolver] = {}

    def field(self, type_name: str, field_name: str) -> Callable[[Resolver], Resolver]:
        """Register the decorated function as the resolver of ``type_name.field_name``."""

        def register(fn: Resolver) -> Resolver:
            self.resolvers[(type_name, field_name)] = fn
            return fn

        return register


def pk_of(parent: Row) -> int:
    """The database id a record carries under ``_pk``."""
    return int(parent["_pk"])
