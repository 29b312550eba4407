"""A local W&B-compatible server for the real ``wandb`` and ``wandb-workspaces`` clients.

``reportgen sandbox`` runs it in the foreground; tests use the ``Sandbox`` handle (and the
fixtures in ``reportgen.sandbox.pytest_plugin``).

Admin endpoints (all but health need the API key, as HTTP Basic ``api:<key>`` like wandb;
none is counted in the stats, and none ever echoes the key):

* ``GET /_sandbox/health``: ``{"ok": true}`` once serving; no key needed.
* ``GET /_sandbox/stats``: request counts by operation and kind, reads vs writes, injected
  faults and the latency applied (see ``stats``); ``POST /_sandbox/stats/reset`` (or
  ``DELETE /_sandbox/stats``) starts again from zero.
* ``GET /_sandbox/faults``: the active faults, each with how often it ``fired``;
  ``PUT /_sandbox/faults`` replaces them with ``{"faults": [{"kind": "429", "op": "Viewer",
  "rate": 1, "seconds": 1, "times": 1}], "seed": 7}``; ``DELETE /_sandbox/faults`` clears.
* ``GET /_sandbox/settings``, ``PUT /_sandbox/settings``: behaviour switches (see
  ``settings``), e.g. ``{"view_upsert": "insert"}``.
* ``POST /_sandbox/login?next=<path>``: a one-time login link for a browser, when the
  sandbox was started with a renderer (see ``pages``): ``{"url": ...}``. Opening it
  (``GET /_sandbox/login?token=...``, no key) sets a cookie that opens view pages only.

View pages (with a renderer; see ``pages``): ``GET /<entity>/<project>?nw=<id>`` and
``GET /<entity>/<project>/reports/<slug>--<id>``, the URLs apply prints, and ``GET /``, a
list of the viewer's views; for a request with the key or a login cookie.

Upsert modes. ``upsertView`` without an ``id`` either updates the project's view of that
``name`` (``by-name``, the default; [infer] W&B's upsert by name is unverified) or always
inserts a new view (``insert``). A client that must never duplicate views can be tested in
both: ``Sandbox(view_upsert="insert")``, ``reportgen sandbox --view-upsert insert``, or
``PUT /_sandbox/settings {"view_upsert": "insert"}`` at run time.

Faults (see ``faults``) are ``latency``, ``429``, ``500``, ``drop`` (connection reset, nothing
executed) and ``drop_after`` (executed and stored, then the connection reset: a lost
response). On the command line: ``KIND[,op=NAME][,rate=R][,seconds=S][,times=N]``, e.g.
``429,op=UpsertView2,seconds=2,times=1`` or ``drop_after,op=UpsertView2,rate=30%``
(``parse_fault``).
"""

from __future__ import annotations

from reportgen.sandbox.bulk import SeedRun, synthetic_runs
from reportgen.sandbox.faults import Fault, parse_fault
from reportgen.sandbox.handle import Sandbox, SandboxStartError
from reportgen.sandbox.settings import UPSERT_BY_NAME, UPSERT_INSERT, VIEW_UPSERT_MODES

__all__ = [
    "UPSERT_BY_NAME",
    "UPSERT_INSERT",
    "VIEW_UPSERT_MODES",
    "Fault",
    "Sandbox",
    "SandboxStartError",
    "SeedRun",
    "parse_fault",
    "synthetic_runs",
]
