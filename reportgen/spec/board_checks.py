"""Semantic rules of a leaderboard's seed groups and gates (part of `checks`).

`group_by` names config keys or run attributes W&B groups runs by; `min_group_size` needs
`group_by`; every gate parses (`reportgen.spec.gates`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from reportgen.spec.gates import GateError, parse_gate
from reportgen.spec.load import JsonPath
from reportgen.spec.refs import Ref, Section

# Run attributes a leaderboard's seed groups may group by (W&B groups runs by these too).
GROUPING_ATTRIBUTES = ("group", "job_type", "sweep", "user", "host", "state")


class Checker(Protocol):
    def add(
        self, path: JsonPath, code: str, message: str, offset: int | None = None, key: bool = False
    ) -> None: ...

    def ref(self, text: str, path: JsonPath, *, key: bool = False) -> Ref | None: ...


def _strings(value: Any) -> Iterator[tuple[int, str]]:
    items = value if isinstance(value, list) else []
    return ((i, v) for i, v in enumerate(items) if isinstance(v, str))


def seed_groups_and_gates(checker: Checker, body: dict[str, Any], path: JsonPath) -> None:
    for i, text in _strings(body.get("group_by")):
        where = (*path, "group_by", i)
        ref = checker.ref(text, where)
        if ref is None or ref.section is Section.CONFIG:
            continue
        if ref.section is Section.SUMMARY or ref.name not in GROUPING_ATTRIBUTES:
            allowed = ", ".join(f"run.{a}" for a in GROUPING_ATTRIBUTES)
            checker.add(
                where, "RG304", f"seed groups group by config keys or {allowed}, not {ref}", 0
            )
    if "min_group_size" in body and "group_by" not in body:
        msg = "min_group_size applies to seed groups: add group_by (the config keys but the seed)"
        checker.add((*path, "min_group_size"), "RG313", msg, key=True)
    gates = body.get("gate")
    found = [(path_, text) for path_, text in [((*path, "gate"), gates)] if isinstance(text, str)]
    found += [((*path, "gate", i), text) for i, text in _strings(gates)]
    for where, text in found:
        try:
            parse_gate(text)
        except GateError as exc:
            checker.add(where, "RG202", exc.message, exc.offset)
