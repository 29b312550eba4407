"""Two specs compared in the spec's own terms: which field, before and after.

`spec_diff(local, live)` lists each differing field of two spec bodies (plain data, as
`decompile` returns and as a spec file holds after loading) by its path in the spec
(`runset.sort[0]`), so a plan can say "sort: summary.accuracy desc -> asc" instead of
showing view JSON. The walk is `edits.edits`, the one pull's round-trip edits use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.pull.edits import MISSING, Path, edits

__all__ = ["MISSING", "SpecDifference", "spec_diff"]


@dataclass(frozen=True)
class SpecDifference:
    """One field that differs: its spec path, and its value on each side (`MISSING` if absent)."""

    path: str
    before: Any
    after: Any


def spec_diff(before: Any, after: Any) -> list[SpecDifference]:
    """Fields that differ between two spec bodies; lists of another length differ whole."""
    return [
        SpecDifference(e.describe(), _at(before, e.path), e.value) for e in edits(before, after)
    ]


def _at(body: Any, path: Path) -> Any:
    for part in path:
        try:
            body = body[part]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return body
