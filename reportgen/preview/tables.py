"""Ranked tables as text: Markdown (a PR comment, a README), CSV and JSON.

Every format shows the same rows in the same order with the same ranks; Markdown and the
terminal show numbers to 6 significant digits and seed groups' results as `mean ± std`
(a config value as the value the group's runs share, else `a, b` up to three distinct
values, else `mixed (N values)`; JSON lists them under `distinct`), CSV and JSON carry
full precision (JSON writes NaN and infinities as the strings "NaN",
"Infinity", "-Infinity", as JavaScript's JSON cannot hold them).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from reportgen.preview.engine import Row
from reportgen.preview.evaluate import Board, Table
from reportgen.preview.values import MISSING, display
from reportgen.problems import one_line


def header(table: Table) -> list[str]:
    labels = [c.label for c in table.ranking.columns]
    if table.ranking.grouped:
        labels[0] = "group"
        labels.insert(1, "n")
    return ["rank", *labels]


MAX_LISTED = 3  # distinct values a group's cell lists; more read "mixed (N values)"


def distinct_text(values: Sequence[Any]) -> str:
    """A group's distinct values of a setting: `1, 2` (up to three), else `mixed (N values)`."""
    if len(values) > MAX_LISTED:
        return f"mixed ({len(values)} values)"
    return ", ".join(display(v) for v in values)


def _stat_cell(row: Row, path: str | None, value: Any) -> str:
    if row.group is None or path is None or path not in row.group.stats:
        return display(value)
    stat = row.group.stats[path]
    if stat.distinct:
        return distinct_text(stat.distinct)
    text = display(stat.mean)
    return f"{text} ± {display(stat.std)}" if stat.std is not None else text


def rank_cell(row: Row, table: Table) -> str:
    if row.rank is not None:
        return str(row.rank)
    return f"n<{table.ranking.min_group_size}" if row.small else "—"


def cells(row: Row, table: Table) -> list[str]:
    """A row as display text, in `header` order."""
    columns = table.ranking.columns
    values = [_stat_cell(row, c.path, v) for c, v in zip(columns, row.values, strict=True)]
    values[0] = row.name
    if table.ranking.grouped:
        values.insert(1, str(row.group.n if row.group else 1))
    return [rank_cell(row, table), *values]


def caption(board: Board, table: Table) -> str:
    """'2 of 2 matching runs · sandbox/image-classification-leaderboard'."""
    target = board.target
    what = "groups" if table.ranking.grouped else "rows"
    count = len(table.shown)
    total = "?" if table.total is None else f"{table.total:,}"
    place = f"{target.entity}/{target.project}"
    shown = (
        f"{count} {what} of {total} matching runs"
        if table.ranking.grouped
        else f"{count} of {total} matching runs"
    )
    return f"{shown} · {place}"


def _md(text: str) -> str:
    shown = one_line(text.replace("\n", " "))  # data: no control character reaches the page
    return shown.replace("\\", "\\\\").replace("|", "\\|")


def markdown(boards: Sequence[Board]) -> str:
    out: list[str] = []
    for board in boards:
        out.append(f"### {_md(board.target.title)} (`{board.target.key}`)\n")
        for table in board.tables:
            head = header(table)
            out.append("| " + " | ".join(_md(h) for h in head) + " |")
            out.append("|" + "|".join("---:" if h in ("rank", "n") else "---" for h in head) + "|")
            for row in table.shown:
                out.append("| " + " | ".join(_md(c) for c in cells(row, table)) + " |")
            out.append(f"\n{caption(board, table)}\n")
        for gate in board.gates:
            state = gate.state if gate.ok else f"**{gate.state}**"
            out.append(f"- gate {state}: {_md(gate.reason)}")
        if board.gates:
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def plain(value: Any) -> Any:
    """A value for JSON: NaN and infinities as strings, missing as null."""
    if value is MISSING:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _csv_value(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def csv_text(boards: Sequence[Board]) -> str:
    """One CSV for all boards: leaderboard, rank, name, id (or n), then the columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    wrote_header: tuple[str, ...] | None = None
    for board in boards:
        for table in board.tables:
            columns = table.ranking.columns[1:]
            grouped = table.ranking.grouped
            head = ("leaderboard", "rank", "group" if grouped else "name", "n" if grouped else "id")
            labels = [c.label for c in columns]
            if grouped:
                labels = [f"{c.label}{suffix}" for c in columns for suffix in ("", "_std")]
            full = (*head, *labels)
            if full != wrote_header:
                writer.writerow(full)
                wrote_header = full
            for row in table.shown:
                first = [board.target.key, "" if row.rank is None else row.rank, row.name]
                if grouped and row.group is not None:
                    stats = row.group.stats
                    rest: list[Any] = [row.group.n]
                    for c in columns:
                        stat = stats.get(c.path or "")
                        if stat is not None and stat.distinct:
                            rest += [distinct_text(stat.distinct), ""]
                        else:
                            rest += [stat.mean, stat.std] if stat else ["", ""]
                else:
                    rest = [row.run.id if row.run else "", *row.values[1:]]
                writer.writerow([*first[:2], first[2], *(_csv_value(v) for v in rest)])
    return buffer.getvalue()


def to_json(boards: Sequence[Board]) -> str:
    out = []
    for board in boards:
        target = board.target
        tables = []
        for table in board.tables:
            columns = table.ranking.columns
            rows = []
            for row in table.shown:
                item: dict[str, Any] = {"rank": row.rank, "name": row.name}
                if row.run is not None:
                    item["id"] = row.run.id
                if row.group is not None:
                    item["n"] = row.group.n
                    item["runs"] = [r.id for r in row.group.runs]
                    item["std"] = {
                        c.label: plain(row.group.stats[c.path].std)
                        for c in columns[1:]
                        if c.path in row.group.stats
                    }
                    item["below_min_group_size"] = row.small
                    mixed = {
                        c.label: [plain(v) for v in row.group.stats[c.path].distinct]
                        for c in columns[1:]
                        if c.path in row.group.stats and row.group.stats[c.path].distinct
                    }
                    if mixed:
                        item["distinct"] = mixed
                item["values"] = {
                    c.label: plain(v) for c, v in zip(columns[1:], row.values[1:], strict=True)
                }
                rows.append(item)
            tables.append({
                "runset": table.ranking.runset.name,
                "columns": [c.label for c in columns],
                "matching_runs": table.total,
                "rows": rows,
            })  # fmt: skip
        out.append({
            "key": target.key,
            "title": target.title,
            "kind": target.kind,
            "entity": target.entity,
            "project": target.project,
            "tables": tables,
            "gates": [
                {"gate": g.gate.text, "ok": g.ok, "checked": g.checked, "reason": g.reason}
                for g in board.gates
            ],
            "problems": [str(p) for p in board.problems],
        })  # fmt: skip
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
