"""Behaviour switches of a running sandbox, changeable at run time.

* ``view_upsert``: what ``upsertView`` without an ``id`` does.

  * ``"by-name"`` (default): updates the view of that project with that ``name`` if there is
    one, else inserts. [infer] W&B's upsert by name is not recorded in the wire study.
  * ``"insert"``: always inserts a new view, even under a name already taken, the way a
    server without upsert-by-name would. A client that is duplicate-proof must keep one view
    per identity in both modes.

* ``crash_after``: seconds without a heartbeat (a file_stream request or an ``upsertBucket``
  from the run's process) after which a ``running`` run reads as ``crashed``. Default 300:
  W&B documents "on the order of about five minutes" [infer]. A crashed run that sends
  again reads as ``running`` (W&B: "the run will resume uploading") [infer].

Set them on ``Sandbox(...)``, with ``reportgen sandbox --view-upsert MODE
--crash-after SECONDS``, or at run time
with ``PUT /_sandbox/settings`` and a JSON object of the fields to change, e.g.
``{"view_upsert": "insert"}``; ``GET /_sandbox/settings`` shows them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

UPSERT_BY_NAME, UPSERT_INSERT = "by-name", "insert"
VIEW_UPSERT_MODES = (UPSERT_BY_NAME, UPSERT_INSERT)
DEFAULT_CRASH_AFTER = 300.0


def check_view_upsert(mode: object) -> str:
    """``mode`` if it is a view upsert mode; ValueError naming the choices otherwise."""
    if mode not in VIEW_UPSERT_MODES:
        raise ValueError(f"view_upsert must be one of {', '.join(VIEW_UPSERT_MODES)}, not {mode!r}")
    return str(mode)


def check_crash_after(seconds: object) -> float:
    """``seconds`` as a float if it is a positive finite number; ValueError otherwise."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"crash_after must be a number of seconds, not {seconds!r}")
    value = float(seconds)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"crash_after must be a positive number of seconds, not {seconds!r}")
    return value


class Settings:
    """The switches above; reads and writes are atomic per field."""

    def __init__(
        self, view_upsert: str = UPSERT_BY_NAME, crash_after: float = DEFAULT_CRASH_AFTER
    ) -> None:
        self._lock = threading.Lock()
        self._view_upsert = check_view_upsert(view_upsert)
        self._crash_after = check_crash_after(crash_after)

    @property
    def view_upsert(self) -> str:
        """``"by-name"`` or ``"insert"``."""
        return self._view_upsert

    @property
    def crash_after(self) -> float:
        """Seconds without a heartbeat before a running run reads as crashed."""
        return self._crash_after

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply ``{"view_upsert": ..., "crash_after": ...}`` (fields left out stay).

        Nothing changes unless every given field is valid (ValueError names the first bad one).
        """
        unknown = sorted(set(changes) - {"view_upsert", "crash_after"})
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(map(str, unknown))}")
        mode = check_view_upsert(changes.get("view_upsert", self._view_upsert))
        crash_after = check_crash_after(changes.get("crash_after", self._crash_after))
        with self._lock:
            self._view_upsert, self._crash_after = mode, crash_after

    def describe(self) -> dict[str, Any]:
        """The JSON form: ``{"view_upsert": "by-name", "crash_after": 300.0}``."""
        with self._lock:
            return {"view_upsert": self._view_upsert, "crash_after": self._crash_after}
