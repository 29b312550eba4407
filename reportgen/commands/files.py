"""Writing a file whole or not at all: what build, pull, pull_back and every `-o` share."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomically(target: Path, text: str) -> None:
    """Write `text` next to `target`, then rename it into place.

    A reader sees the old file or the new one, never half of one; an interrupted or failed
    write leaves no temporary file behind.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
