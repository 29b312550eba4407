"""``reportgen sandbox``: run the sandbox in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from reportgen.sandbox.db import default_db_path
from reportgen.sandbox.faults import Fault
from reportgen.sandbox.handle import Sandbox, SandboxStartError
from reportgen.sandbox.pages import Renderer
from reportgen.sandbox.settings import DEFAULT_CRASH_AFTER, UPSERT_BY_NAME

EXIT_OK, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 130


def run_foreground(
    host: str,
    port: int,
    db: str | None,
    api_key: str | None,
    faults: Sequence[Fault] = (),
    fault_seed: int | None = None,
    view_upsert: str = UPSERT_BY_NAME,
    crash_after: float = DEFAULT_CRASH_AFTER,
    renderer: Renderer | None = None,
) -> int:
    """Serve until interrupted; 0 after SIGTERM, 130 after Ctrl-C, 1 if it cannot start.

    Prints the base URL and the ``export`` lines a client shell needs (URL, key, entity). The key is printed
    there only: the request log never contains it. ``faults`` (e.g. from ``parse_fault``)
    are active from the first request, drawn from ``fault_seed``; they are listed on stderr.
    ``view_upsert`` (``"by-name"`` or ``"insert"``) is what ``upsertView`` without an id does;
    ``crash_after`` the seconds without a heartbeat before a running run reads as crashed.
    Bad input (port out of range or in use, a ``db`` that is not a sandbox SQLite file or
    whose directory is missing or not writable) is one line on stderr and exit code 1.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    path = Path(db) if db else default_db_path()
    try:
        if db:
            _check_db_location(path)  # the default location is created, a given one must exist
        sandbox = Sandbox(
            db=path,
            api_key=api_key,
            port=port,
            host=host,
            faults=faults,
            fault_seed=fault_seed,
            view_upsert=view_upsert,
            crash_after=crash_after,
            renderer=renderer,
        ).start()
    except (ValueError, SandboxStartError) as exc:
        return _cannot_start(str(exc))
    except (OSError, OverflowError, sqlite3.Error) as exc:  # not expected: start() wraps these
        return _cannot_start(f"cannot start: {type(exc).__name__}: {exc}")
    received: list[int] = []
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"W&B sandbox at {sandbox.base_url} (entity {sandbox.entity!r}, data in {path})")
        print(f"export WANDB_BASE_URL={sandbox.base_url}")
        print(f"export WANDB_API_KEY={sandbox.api_key}")
        print(f"export WANDB_ENTITY={sandbox.entity}", flush=True)
        if view_upsert != UPSERT_BY_NAME:
            print(f"upsertView without an id: {view_upsert}", file=sys.stderr, flush=True)
        if renderer is not None:
            print(
                "views open in a browser at the URLs apply prints, after this one-time login:"
                f" {sandbox.login_link('/')}",
                flush=True,
            )
        if faults:
            seed = "" if fault_seed is None else f" (seed {fault_seed})"
            listed = "; ".join(str(f) for f in faults)
            print(f"injecting faults{seed}: {listed}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("sandbox stopped", file=sys.stderr)
    return EXIT_INTERRUPTED if received and received[0] == signal.SIGINT else EXIT_OK


def _check_db_location(path: Path) -> None:
    parent = path.parent
    if path.is_dir():
        raise ValueError(f"the database {path} is a directory; give a file path")
    if not parent.exists():
        raise ValueError(f"cannot create the database {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise ValueError(f"cannot create the database {path}: {parent} is not a directory")


def _cannot_start(message: str) -> int:
    print(f"reportgen sandbox: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_FAILURE
