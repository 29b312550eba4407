"""Who the sandbox says you are: one user, whose default entity owns what gets created."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.sandbox.db import Row
from reportgen.sandbox.ids import relay_id

DEFAULT_ENTITY = "sandbox"
"""The viewer's default entity (and username) unless ``Sandbox(entity=...)`` says otherwise."""


@dataclass(frozen=True)
class Viewer:
    """The single account behind the API key."""

    entity: str = DEFAULT_ENTITY
    username: str = DEFAULT_ENTITY

    @property
    def email(self) -> str:
        """A placeholder address on a reserved domain."""
        return f"{self.username}@sandbox.invalid"

    def user(self) -> Row:
        """The ``User`` object, with every field the recorded operations select."""
        return {
            "id": relay_id("User", 1),
            "name": self.username,
            "username": self.username,
            "email": self.email,
            "admin": False,
            "flags": "{}",
            "entity": self.entity,
            "deletedAt": None,
            "photoUrl": "",
            # Never list keys: the real server lists key names here, not secrets, but the
            # sandbox has nothing worth showing.
            "apiKeys": {"edges": []},
            "teams": {"edges": [{"node": entity_record(1, self.entity), "cursor": None}]},
        }


def entity_record(pk: int, name: str) -> Row:
    """An ``Entity`` object; organizations do not exist in the sandbox."""
    return {"id": relay_id("Entity", pk), "name": name, "organization": None}
