"""``reportgen sandbox``: run the sandbox in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from reportgen.sandbox.db import default_db_path
from reportgen.sandbox.handle import Sandbox

EXIT_OK, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 130


def run_foreground(host: str, port: int, db: str | None, api_key: str | None) -> int:
    """Serve until interrupted; 0 after SIGTERM, 130 after Ctrl-C, 1 if it cannot start.

    Prints the base URL and the ``export`` lines a client shell needs. The key is printed
    there only: the request log never contains it.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    path = Path(db) if db else default_db_path()
    try:
        sandbox = Sandbox(db=path, api_key=api_key, port=port, host=host).start()
    except (ValueError, OSError) as exc:
        print(f"reportgen sandbox: cannot start: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    received: list[int] = []
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"W&B sandbox at {sandbox.base_url} (entity {sandbox.entity!r}, data in {path})")
        print(f"export WANDB_BASE_URL={sandbox.base_url}")
        print(f"export WANDB_API_KEY={sandbox.api_key}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("sandbox stopped", file=sys.stderr)
    return EXIT_INTERRUPTED if received and received[0] == signal.SIGINT else EXIT_OK
