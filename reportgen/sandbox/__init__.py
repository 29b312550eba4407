"""A local W&B-compatible server for the real ``wandb`` and ``wandb-workspaces`` clients.

``reportgen sandbox`` runs it in the foreground; tests use the ``Sandbox`` handle (and the
fixtures in ``reportgen.sandbox.pytest_plugin``). What enters: HTTP from the clients (and
``Sandbox.seed_runs`` from Python). What leaves: HTTP answers and an SQLite file. It imports
no other reportgen layer; only the edge (``cli/``, ``demo``, tests, benchmarks) imports it.

Admin endpoints (all but health need the API key, as HTTP Basic ``api:<key>`` like wandb;
none is counted in the stats, and none ever echoes the key):

* ``GET /_sandbox/health``: ``{"ok": true}`` once serving; no key needed.
* ``GET /_sandbox/stats``: request counts by operation and kind, reads vs writes, injected
  faults and the latency applied, server time per operation, run-count cache use and
  connections accepted (see ``stats``); ``POST /_sandbox/stats/reset`` (or ``DELETE
  /_sandbox/stats``) starts again from zero.
* ``GET /_sandbox/faults``: the active faults, each with how often it ``fired``;
  ``PUT /_sandbox/faults`` replaces them with ``{"faults": [{"kind": "429", "op": "Viewer",
  "rate": 1, "seconds": 1, "times": 1}], "seed": 7}``; ``DELETE /_sandbox/faults`` clears.
* ``GET /_sandbox/settings``, ``PUT /_sandbox/settings``: behaviour switches (see
  ``settings``), e.g. ``{"view_upsert": "insert", "crash_after": 5}``.
* ``POST /_sandbox/login?next=<path>``: a one-time login link for a browser, when the
  sandbox was started with a renderer (see ``pages``): ``{"url": ...}``. Opening it
  (``GET /_sandbox/login?token=...``, no key) sets a cookie that opens view pages only.

View pages (with a renderer; see ``pages``): ``GET /<entity>/<project>?nw=<id>`` and
``GET /<entity>/<project>/reports/<slug>--<id>``, the URLs apply prints, and ``GET /``, a
list of the viewer's views; for a request with the key or a login cookie. Other GET
endpoints plug in with ``Sandbox.add_get_route(pattern, handler, needs_key=True)``,
``handler(backend, request, match) -> Response`` (see ``routes``).

Upsert modes. ``upsertView`` without an ``id`` either updates the project's view of that
``name`` (``by-name``, the default; [infer] W&B's upsert by name is unverified) or always
inserts a new view (``insert``). A client that must never duplicate views can be tested in
both: ``Sandbox(view_upsert="insert")``, ``reportgen sandbox --view-upsert insert``, or
``PUT /_sandbox/settings {"view_upsert": "insert"}`` at run time.

Runs (``runquery``, ``runpage``, ``values``, ``paths``). ``runs(filters, order, first,
after)`` and ``runCount(filters)`` follow one value contract, each rule [infer] (W&B's
behaviour is not recorded in the wire study):

* values: a path (``summary_metrics.acc``, ``summary_metrics.acc.max``, ``config.lr`` =
  ``config.lr.value``, ``createdAt``, ``duration``, ...) holds a JSON value or is missing;
  null counts as missing. ``summary.x`` and ``summaryMetrics.x`` are unknown keys (errors).
  ``duration`` is the seconds from createdAt to heartbeatAt.
* order: exactly one ``[+|-]path``; tiers numbers (-inf < finite < +inf), strings (code
  points), booleans, NaN, objects and arrays, missing, in this order in both directions;
  the direction orders values inside a tier; ties by creation (createdAt, then storage id)
  ascending in both directions. Anything but one key is an error in the GraphQL response
  (HTTP 200, so wandb-core does not retry it).
* filters: the MongoDB subset ``$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $nor
  $regex`` with JSON equality (1 == 1.0, true != 1, NaN equals nothing, missing equals only
  null), comparisons only within numbers or within strings, arrays matching by any
  element, ``$regex`` in RE2 syntax (``regex``: lookaround and backreferences refused).
* cost: a page walks a per-path index from a keyset cursor, O(page + log N); runCount is
  computed once per (project, filters, database state).

NaN and ±inf (``values``): JSON strings (``summaryMetrics``, ``history`` lines) keep the
tokens ``NaN``/``Infinity``/``-Infinity`` as wandb-core writes them, which Python's json and
wandb-core read back as numbers; JSON values (``sampledHistory``, ``liveData``) carry the
strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (W&B's simplejsonext convention), because
wandb-core parses them with Go's encoding/json. [infer]

History (``history``): nested logged dicts are addressed with dots (``val.loss``), as
``history(keys=...)`` and ``scan_history(keys=...)`` send them; ``historyKeys`` lists leaves.

Crashed runs: a ``running`` run with no heartbeat (file_stream or upsertBucket) for
``crash_after`` seconds (default 300, W&B's "about five minutes") reads as ``crashed``; one
that sends again reads as ``running``. [infer]

Bulk seeding: ``Sandbox.seed_runs(project, runs)`` loads ``SeedRun`` objects (or
``synthetic_runs(n)``) straight into the database, shaped as the SDK logs them (``bulk``).

Hardening (``server``): the API key (or an upload URL's signature) is checked before a body
is read; gzip bodies inflate to at most 32 MiB; responses leave in one write with
TCP_NODELAY (no delayed-ACK stall on kept-alive connections); listening beyond loopback logs
a warning with the real bound address.

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
