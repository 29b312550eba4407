"""One flag vocabulary for every command: `-f/--format NAME` is an output format,
`-o/--output PATH` a file or directory to write; they never mean each other.

Old spellings keep working for one release with a warning on stderr: `plan -o FORMAT`
(now `-f FORMAT`) and `build --out DIR` (now `-o DIR`). An `-o` that names a format while
being taken as a path is warned about too (`build -o json` writes a directory `json/`):
`./json` says that a path is meant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reportgen.problems import ReportgenError

FORMATS = ("text", "parsable", "github", "json", "markdown")


def warn(command: str, message: str) -> None:
    sys.stderr.write(f"reportgen {command}: warning: {message}\n")


def format_or_output(
    command: str, fmt: str | None, output: str | None, formats: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """(format, path) from `-f` and `-o`: an `-o` that names one of `formats`, without `-f`,
    is the old spelling of `-f` (deprecated); otherwise `-o` is a path."""
    if output is not None and output in formats and fmt is None:
        warn(
            command,
            f"-o/--output {output} names a format: use -f/--format {output} "
            "(-o/--output FORMAT is deprecated and will mean a file to write)",
        )
        return output, None
    if output is not None:
        named_like_format(command, output, "file")
    return fmt, output


def named_like_format(command: str, path: str, what: str) -> None:
    """Warn when a path given to -o is exactly a format's name: probably meant for -f."""
    if path in FORMATS:
        warn(
            command,
            f"-o/--output {path} writes the {what} {path!r}; -f/--format chooses a format "
            f"(write -o ./{path} to mean the {what} without this warning)",
        )


def write_output(path: str, text: str) -> None:
    """Write a command's output to a file, whole or not at all."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportgenError(f"cannot write {path}: {exc.strerror or exc}") from None
