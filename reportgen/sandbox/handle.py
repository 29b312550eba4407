"""``Sandbox``: the Python handle that runs the server on a background thread."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from reportgen.sandbox import bulk
from reportgen.sandbox.app import App, UploadSigner
from reportgen.sandbox.backend import Backend
from reportgen.sandbox.client import HTTPResult, http_request
from reportgen.sandbox.db import Database
from reportgen.sandbox.faults import Fault, FaultPlan
from reportgen.sandbox.identity import DEFAULT_ENTITY, Viewer
from reportgen.sandbox.ids import new_token
from reportgen.sandbox.pages import Pages, Renderer
from reportgen.sandbox.routes import GetRoutes, Handler
from reportgen.sandbox.server import SandboxHTTPServer
from reportgen.sandbox.settings import DEFAULT_CRASH_AFTER, UPSERT_BY_NAME, Settings
from reportgen.sandbox.stats import Stats

MIN_KEY_LENGTH = 40  # wandb refuses shorter keys before sending anything
_GENERATED_KEY = "generated_api_key"

CONFLICTING_ENV = (
    "WANDB_PROJECT", "WANDB_RUN_ID", "WANDB_RESUME", "WANDB_NAME", "WANDB_NOTES", "WANDB_TAGS",
    "WANDB_RUN_GROUP", "WANDB_JOB_TYPE", "WANDB_SWEEP_ID", "WANDB_DISABLED", "WANDB_OFFLINE",
    "WANDB_APP_URL", "WANDB_USERNAME", "WANDB_ORGANIZATION", "WANDB_SERVICE",
)  # fmt: skip
"""Variables that would steer wandb away from what ``Sandbox.env()`` sets up.

``WANDB_SERVICE`` is set by wandb itself once a process has started wandb-core; a child
process that inherits it logs through the parent's wandb-core instead of its own, so a run
outlives its process (and the parent's exit waits on runs it never started).
"""

log = logging.getLogger("reportgen.sandbox")


class SandboxStartError(Exception):
    """The sandbox cannot start: its port cannot be bound or its database cannot be used.

    The message is one line, fit for a command-line error.
    """


class _RedactKey(logging.Filter):
    """Defence in depth: whatever gets logged, the API key is replaced before it is emitted."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self._key = key

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._key in message:
            record.msg, record.args = message.replace(self._key, "***"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._key in record.exc_text:
            record.exc_text = record.exc_text.replace(self._key, "***")
        return True


class Sandbox:
    """A W&B-compatible server for the real ``wandb`` and ``wandb-workspaces`` clients.

    ``with Sandbox() as sb:`` serves on a free port of 127.0.0.1 with a fresh database in a
    temporary directory, removed on exit. ``db`` keeps data in that SQLite file instead.
    Without ``api_key`` one is generated (and, with a ``db``, remembered in it). The viewer's
    default entity and username are ``entity`` (default ``"sandbox"``) and ``username``
    (default: the entity). ``faults`` (see ``Fault``) may be given now or later.
    ``view_upsert`` is what ``upsertView`` without an id does: ``"by-name"`` (update the view
    of that name, else insert) or ``"insert"`` (always a new view); ``crash_after`` the
    seconds without a heartbeat after which a running run reads as crashed; see ``settings``.
    ``renderer`` draws view pages for a browser (see ``pages``); without one, there are none.
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        api_key: str | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        entity: str = DEFAULT_ENTITY,
        username: str | None = None,
        faults: Iterable[Fault] = (),
        fault_seed: int | None = None,
        view_upsert: str = UPSERT_BY_NAME,
        crash_after: float = DEFAULT_CRASH_AFTER,
        renderer: Renderer | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"the port must be within 0..65535 (0: any free port), not {port!r}")
        if api_key is not None and len(api_key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"the API key must have at least {MIN_KEY_LENGTH} characters "
                f"(wandb refuses shorter ones), this one has {len(api_key)}"
            )
        self.viewer = Viewer(entity=entity, username=username or entity)
        self._host, self._port = host, port
        self._tmp = Path(tempfile.mkdtemp(prefix="reportgen-sandbox-"))
        self.db_path = Path(db) if db is not None else self._tmp / "sandbox.db"
        self._api_key = api_key
        self._faults = FaultPlan(faults, fault_seed)
        self._settings = Settings(view_upsert, crash_after)
        self._routes = GetRoutes()
        self._stats = Stats()
        self._server: SandboxHTTPServer | None = None
        self._backend: Backend | None = None
        self._thread: threading.Thread | None = None
        self._redact: _RedactKey | None = None
        # View pages for a browser: the renderer draws them (see pages.py).
        self._pages = Pages(renderer, lambda: self.base_url) if renderer else None

    @property
    def api_key(self) -> str:
        """The key clients must present (known once started, or when given)."""
        if self._api_key is None:
            raise RuntimeError("the API key is generated when the sandbox starts")
        return self._api_key

    @property
    def entity(self) -> str:
        """The viewer's default entity."""
        return self.viewer.entity

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return int(self._server.server_address[1])

    @property
    def bound_address(self) -> tuple[str, int]:
        """The address the server really listens on, e.g. ``("0.0.0.0", 8765)``."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def exposed(self) -> bool:
        """Whether it listens beyond this machine (not only on a loopback address)."""
        host = self.bound_address[0]
        try:
            return not ipaddress.ip_address(host).is_loopback
        except ValueError:
            return True

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: what WANDB_BASE_URL must be."""
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        return f"http://{host}:{self.port}"

    def start(self) -> Sandbox:
        """Bind the port and serve on a daemon thread.

        Raises SandboxStartError when the port cannot be bound (in use, unknown host) or the
        database cannot be opened (not an SQLite file, directory not writable, ...).
        """
        if self._server is not None:
            return self
        try:
            server = SandboxHTTPServer((self._host, self._port))
        except (OSError, OverflowError, ValueError) as exc:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise SandboxStartError(_listen_problem(self._host, self._port, exc)) from exc
        self._server = server
        try:
            self._api_key = self._api_key or self._remembered_key()
            signer = UploadSigner(self._api_key, self.base_url)
            self._backend = Backend.open(
                self.db_path, self.viewer, signer.url, self._settings, self._stats
            )
            server.app = App(
                self._backend,
                self._api_key,
                signer,
                self._stats,
                self._faults,
                self._pages,
                self._routes,
            )
        except BaseException as exc:
            server.server_close()
            self._server = None
            shutil.rmtree(self._tmp, ignore_errors=True)
            if isinstance(exc, (sqlite3.Error, OSError)):
                problem = _one_line(exc)
                raise SandboxStartError(
                    f"cannot use {self.db_path} as the sandbox database: {problem}"
                ) from exc
            raise
        self._redact = _RedactKey(self._api_key)
        log.addFilter(self._redact)
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
            name=f"reportgen-sandbox-{self.port}",
        )  # fmt: skip
        self._thread.start()
        host, port = self.bound_address
        if self.exposed:
            log.warning(
                "the sandbox listens on %s:%d, beyond this machine: whoever can reach it "
                "and has the API key can read and change its data",
                host,
                port,
            )
        log.info(
            "sandbox serving %s (listening on %s:%d, database %s)",
            self.base_url,
            host,
            port,
            self.db_path,
        )
        return self

    def _remembered_key(self) -> str:
        db = Database(self.db_path)
        try:
            key = db.get_meta(_GENERATED_KEY)
            if key is None:
                key = new_token(MIN_KEY_LENGTH // 2)
                db.set_meta(_GENERATED_KEY, key)
            return key
        finally:
            db.close()

    def stop(self) -> None:
        """Stop serving, close the database and remove the temporary directory."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        if self._redact is not None:
            log.removeFilter(self._redact)
            self._redact = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Environment for wandb: this server, this key, quiet, and files in a temp dir."""
        client = self._tmp / "client"
        for sub in ("wandb", "cache", "config", "data", "artifacts"):
            (client / sub).mkdir(parents=True, exist_ok=True)
        return {
            "WANDB_BASE_URL": self.base_url,
            "WANDB_API_KEY": self.api_key,
            "WANDB_ENTITY": self.entity,
            "WANDB_MODE": "online",
            "WANDB_DIR": str(client / "wandb"),
            "WANDB_CACHE_DIR": str(client / "cache"),
            "WANDB_CONFIG_DIR": str(client / "config"),
            "WANDB_DATA_DIR": str(client / "data"),
            "WANDB_ARTIFACT_DIR": str(client / "artifacts"),
            "WANDB_SILENT": "true",
            "WANDB_CONSOLE": "off",
            "WANDB_DISABLE_GIT": "true",
            "WANDB_DISABLE_CODE": "true",
            "WANDB_ERROR_REPORTING": "false",
            "WANDB_X_DISABLE_STATS": "true",
        }

    def subprocess_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default ``os.environ``) without CONFLICTING_ENV (which says why each,
        ``WANDB_SERVICE`` among them), plus ``env()``."""
        merged = {
            k: v
            for k, v in (os.environ if base is None else base).items()
            if k not in CONFLICTING_ENV
        }
        merged.update(self.env())
        return merged

    def login_link(self, next_path: str = "/") -> str:
        """A one-time link that signs a browser in and opens ``next_path`` (a view's URL path);
        needs a ``renderer``."""
        if self._pages is None:
            raise RuntimeError("the sandbox shows no views: start it with a renderer")
        return self._pages.login_link(next_path)

    def stats(self) -> dict[str, Any]:
        """Request counts; see ``reportgen.sandbox.stats`` for the shape."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Start counting from zero."""
        self._stats.reset()

    def set_faults(self, *faults: Fault, seed: int | None = None) -> None:
        """Replace the active faults."""
        self._faults.set(faults, seed)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def faults(self) -> dict[str, Any]:
        """The active faults and how often each fired."""
        return self._faults.describe()

    def settings(self) -> dict[str, Any]:
        """The behaviour switches, e.g. ``{"view_upsert": "by-name", "crash_after": 300.0}``."""
        return self._settings.describe()

    def set_view_upsert(self, mode: str) -> None:
        """``"by-name"`` or ``"insert"``: what ``upsertView`` without an id does from now on."""
        self._settings.update({"view_upsert": mode})

    def set_crash_after(self, seconds: float) -> None:
        """Seconds without a heartbeat after which a running run reads as crashed."""
        self._settings.update({"crash_after": seconds})

    def add_get_route(self, pattern: str, handler: Handler, *, needs_key: bool = True) -> None:
        """Serve GET requests whose whole path matches the regex ``pattern`` with
        ``handler(backend, request, match) -> Response`` (``app.Response``), before or while
        serving. The API key is required unless ``needs_key`` is False; the sandbox's own
        endpoints (``/graphql``, ``/_sandbox/...``) come first."""
        self._routes.add(pattern, handler, needs_key=needs_key)

    def seed_runs(
        self, project: str, runs: Iterable[bulk.SeedRun], *, entity: str | None = None
    ) -> list[str]:
        """Load ``runs`` straight into the database of ``entity/project``; their run ids.

        ``seed_runs(project: str, runs: Iterable[SeedRun], *, entity: str | None = None)
        -> list[str]``. Each ``SeedRun`` describes a run as a script logs it (config,
        ``wandb.log`` rows, summary values, names, tags, state, ``created_at``,
        ``runtime``); the stored run is shaped as the SDK would have logged it and reads
        back the same through every read path (see ``reportgen.sandbox.bulk``).
        ``synthetic_runs(n, config_keys=10, summary_metrics=5, history_metrics=2,
        history_steps=50, seed=0)`` makes a reproducible sweep of ``n`` runs, e.g.::

            sb.seed_runs("bench", synthetic_runs(100_000))   # ~20 s on 2 cores

        Runs go in batches of ``bulk.BATCH`` per transaction; a run id already used in the
        project (or twice in ``runs``) is a StoreError and that batch is not loaded.
        Runs without ``created_at`` are created now. The sandbox must be started.
        """
        if self._backend is None:
            raise RuntimeError("start the sandbox before seeding it")
        backend = self._backend
        return bulk.load(
            backend.db, backend.runs.indexes, self.viewer, entity or self.entity, project, runs
        )

    def request(
        self, method: str, path: str, payload: Any = None, *, api_key: str | None = None
    ) -> HTTPResult:
        """One raw HTTP request (JSON in and out), authenticated with ``api_key`` or ours.

        ``payload`` is sent as JSON, or as is when it is ``bytes``. A connection the server
        drops (fault ``drop`` or ``drop_after``) raises ConnectionError, as in any client.
        """
        return http_request(self.base_url, method, path, payload, api_key or self.api_key)

    def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None, *, api_key: str | None = None
    ) -> HTTPResult:
        """POST a GraphQL request the way wandb-core does (``operationName`` empty)."""
        payload = {"query": query, "variables": dict(variables or {}), "operationName": ""}
        return self.request("POST", "/graphql", payload, api_key=api_key)


def _one_line(exc: BaseException) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _listen_problem(host: str, port: int, exc: BaseException) -> str:
    where = f"{host or '0.0.0.0'}:{port}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: the port is already in use "
            "(another sandbox? choose another port, or 0 for any free one)"
        )
    return f"cannot listen on {where}: {_one_line(exc)}"
