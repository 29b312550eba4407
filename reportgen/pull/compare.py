"""Two specs compared in the spec's own terms: which field, before and after.

`spec_diff(local, live)` walks two spec bodies (plain data, as `decompile` returns and as a
spec file holds after loading) and lists each differing field by its path in the spec
(`runset.sort[0]`), so a plan can say "sort: summary.accuracy desc -> asc" instead of
showing view JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.pull.residue import same

MISSING: Any = object()


@dataclass(frozen=True)
class SpecDifference:
    """One field that differs: its spec path, and its value on each side (`MISSING` if absent)."""

    path: str
    before: Any
    after: Any


def spec_diff(before: Any, after: Any, path: str = "") -> list[SpecDifference]:
    """Fields that differ between two spec bodies; lists of another length differ whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[SpecDifference] = []
        for key in [*before, *(k for k in after if k not in before)]:
            where = f"{path}.{key}" if path else str(key)
            found.extend(spec_diff(before.get(key, MISSING), after.get(key, MISSING), where))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (a, b) in enumerate(zip(before, after, strict=True))
            for d in spec_diff(a, b, f"{path}[{i}]")
        ]
    if before is MISSING and after is MISSING:
        return []
    if before is not MISSING and after is not MISSING and same(before, after):
        return []
    return [SpecDifference(path, before, after)]
