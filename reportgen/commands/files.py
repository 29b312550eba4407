"""Writing a file whole or not at all: what build, pull, pull_back and every `-o` share."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable
from pathlib import Path


def write_atomically(target: Path, text: str) -> None:
    """Write `text` next to `target`, then rename it into place.

    A reader sees the old file or the new one, never half of one; an interrupted or failed
    write leaves no temporary file behind, and an OSError names `target`, not the
    temporary file.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise


def refuse_directories(targets: Iterable[Path]) -> None:
    """Before writing several files: an OSError for the first target that is a directory,
    so that no file is written when one of them cannot be."""
    for target in targets:
        if target.is_dir():
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
