"""Which files a set of paths names: spec files to load, and what cannot be looked at.

Directories are walked recursively (hidden entries aside, symbolic links followed once);
nothing is opened here, so a FIFO or a device is reported instead of read. A directory
that cannot be listed is a problem, never silently skipped: `apply --prune` must not
delete the views of specs it never saw.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")  # compared case-insensitively: x.YAML is a spec too


@dataclass
class SpecFiles:
    """What a set of paths holds: the spec files to load, sorted within each directory, and
    every entry that could not be looked at (path, what is wrong). A directory that cannot be
    listed is such an entry, never skipped: `apply --prune` must not miss specs."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def find_spec_files(paths: Sequence[str | os.PathLike[str]]) -> SpecFiles:
    """Each file as given, each directory's YAML files recursively (hidden entries aside).

    Symbolic links to directories are followed, each directory once. Nothing is opened
    here; a FIFO, device or socket is reported, not read.
    """
    found = SpecFiles()
    for given in paths:
        text = os.fspath(given)
        if text == "":
            found.problems.append((text, "empty path: name a file or directory"))
            continue
        path = Path(text)
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            found.problems.append((text, describe_os_error(path, exc)))
            continue
        if stat.S_ISDIR(mode):
            _walk(path, found)
        elif stat.S_ISREG(mode):
            found.files.append(path)
        else:
            found.problems.append((text, f"not a regular file ({file_kind(mode)})"))
    return found


def iter_spec_files(paths: list[Path]) -> Iterator[Path]:
    """The spec files of `find_spec_files`, without its problems."""
    yield from find_spec_files(paths).files


def is_spec_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in YAML_SUFFIXES


def _walk(root: Path, found: SpecFiles) -> None:
    def unreadable(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else os.fspath(root)
        message = describe_os_error(Path(where), exc)
        found.problems.append((os.fspath(where), f"cannot list this directory: {message}"))

    seen: set[tuple[int, int]] = set()
    files: list[Path] = []
    for top, dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            info = os.stat(top)
        except OSError as exc:  # pragma: no cover - removed while walking
            unreadable(exc)
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:  # a link back up, or a second link to it
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not is_spec_name(name):
                continue
            path = Path(top, name)
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                found.problems.append((os.fspath(path), describe_os_error(path, exc)))
                continue
            if stat.S_ISREG(mode):
                files.append(path)
            else:
                found.problems.append((os.fspath(path), f"not a regular file ({file_kind(mode)})"))
    found.files.extend(sorted(files))


def describe_os_error(path: Path, exc: OSError) -> str:
    """What an error of the operating system means for a spec path, in a few words."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (a link that leads back to itself)"
    if isinstance(exc, FileNotFoundError):
        try:
            target = os.readlink(path)
        except OSError:  # not a link (or no longer one)
            return "no such file or directory"
        return f"dangling symbolic link: its target {target!r} does not exist"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, NotADirectoryError):
        return "not a directory (a part of the path is a file)"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return f"cannot read: {exc.strerror or exc}"


def file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file or directory"  # pragma: no cover - doors, event ports
