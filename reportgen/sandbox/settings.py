"""Behaviour switches of a running sandbox, changeable at run time.

* ``view_upsert``: what ``upsertView`` without an ``id`` does.

  * ``"by-name"`` (default): updates the view of that project with that ``name`` if there is
    one, else inserts. [infer] W&B's upsert by name is not recorded in the wire study.
  * ``"insert"``: always inserts a new view, even under a name already taken, the way a
    server without upsert-by-name would. A client that is duplicate-proof must keep one view
    per identity in both modes.

Set them on ``Sandbox(...)``, with ``reportgen sandbox --view-upsert MODE``, or at run time
with ``PUT /_sandbox/settings`` and a JSON object of the fields to change, e.g.
``{"view_upsert": "insert"}``; ``GET /_sandbox/settings`` shows them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

UPSERT_BY_NAME, UPSERT_INSERT = "by-name", "insert"
VIEW_UPSERT_MODES = (UPSERT_BY_NAME, UPSERT_INSERT)


def check_view_upsert(mode: object) -> str:
    """``mode`` if it is a view upsert mode; ValueError naming the choices otherwise."""
    if mode not in VIEW_UPSERT_MODES:
        raise ValueError(f"view_upsert must be one of {', '.join(VIEW_UPSERT_MODES)}, not {mode!r}")
    return str(mode)


class Settings:
    """The switches above; reads and writes are atomic per field."""

    def __init__(self, view_upsert: str = UPSERT_BY_NAME) -> None:
        self._lock = threading.Lock()
        self._view_upsert = check_view_upsert(view_upsert)

    @property
    def view_upsert(self) -> str:
        """``"by-name"`` or ``"insert"``."""
        return self._view_upsert

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply ``{"view_upsert": ...}`` (fields left out keep their value).

        Nothing changes unless every given field is valid (ValueError names the first bad one).
        """
        unknown = sorted(set(changes) - {"view_upsert"})
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(map(str, unknown))}")
        mode = check_view_upsert(changes.get("view_upsert", self._view_upsert))
        with self._lock:
            self._view_upsert = mode

    def describe(self) -> dict[str, Any]:
        """The JSON form: ``{"view_upsert": "by-name"}``."""
        with self._lock:
            return {"view_upsert": self._view_upsert}
