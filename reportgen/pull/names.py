"""Keys and file names for pulled objects: derived from titles, unique, safe on any disk.

A key is the view's marker key when reportgen manages it, else a slug of its title
(`CIFAR-10 · ViT` -> `cifar-10-vit`), made unique with `-2`, `-3`. File names are the key,
lower-cased (two keys differing only in case do not share a file on macOS or Windows),
`.yaml`: keys hold only letters, digits, `.`, `_`, `-` and start with a letter or digit,
so a name never leaves the output directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def unique(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, … : the first not in `taken` (case-insensitive)."""
    lowered = {t.lower() for t in taken}
    candidate, n = wanted, 1
    while candidate.lower() in lowered:
        n += 1
        suffix = f"-{n}"
        candidate = wanted[: 100 - len(suffix)] + suffix
    return candidate


def safe_key(key: str) -> str:
    """A key that satisfies the spec's pattern (marker keys already do)."""
    if _KEY.match(key):
        return key
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-._")[:100]
    return cleaned or "view"


def file_names(keys: Iterable[str]) -> list[str]:
    """One distinct `<key>.yaml` per key, in order."""
    taken: set[str] = set()
    names = []
    for key in keys:
        stem = unique(safe_key(key).lower(), taken)
        taken.add(stem)
        names.append(f"{stem}.yaml")
    return names
