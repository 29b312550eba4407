"""W&B's names for run data, read back into the spec's words: the inverse of `compile`'s.

Columns (`config:lr.value`), sort and filter keys (`{section, name}`), group-by keys and
filterV2 lists become references (`config.lr`, `summary.acc`, `run.name`) and filter text.
Every function returns None for what the spec language cannot say; the caller leaves it
out and the residue check keeps it verbatim (`pull.residue`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from reportgen.spec.filters import FilterError, parse_filter
from reportgen.spec.refs import (
    LIBRARY_RENAMES,
    RUN_ATTRIBUTES,
    RUN_STATES,
    Ref,
    RefError,
    Section,
    parse_whole_ref,
    prefix_typo,
)

BY_BACKEND = {a.backend: a.name for a in RUN_ATTRIBUTES.values()}
# The app's front-end names of run attributes, as wandb-workspaces writes panel group-by.
BY_FRONT_NAME = {f: BY_BACKEND[b] for f, b in LIBRARY_RENAMES.items() if b in BY_BACKEND}
BY_COLUMN = {a.column: a.name for a in RUN_ATTRIBUTES.values()}
_OPS = {"=": "==", "!=": "!=", "<=": "<=", ">=": ">=", "IN": "in", "NIN": "not in"}
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def _segment(text: str) -> str | None:
    if not text or "`" in text:
        return None
    if all(not ch.isspace() and ch not in ".`\"'()[],=!<>" for ch in text):
        return text
    return f"`{text}`"


def ref_text(ref: Ref, *, bare: bool = False) -> str | None:
    """The shortest text that parses back to `ref` (bare names only when `bare`)."""
    if ref.section is Section.RUN:
        candidates = [ref.name, f"run.{ref.name}"] if bare else [f"run.{ref.name}"]
    else:
        parts = [_segment(s) for s in ref.name.split(".")]
        if any(p is None for p in parts):
            return None
        path = ".".join(p for p in parts if p is not None)
        candidates = [path, f"{ref.section.value}.{path}"] if bare else []
        candidates.append(f"{ref.section.value}.{path}")
    for text in candidates:
        if bare and prefix_typo(text) is not None:
            continue  # `cfg.lr` reads as intended, but validate warns that it looks misspelt
        try:
            if parse_whole_ref(text) == ref:
                return text
        except RefError:
            continue
    return None


def bare_config(name: str) -> str:
    """A config name without W&B's `.value` envelope: `lr.value` -> `lr`, `a.value.b` -> `a.b`."""
    segments = name.split(".")
    if len(segments) >= 2 and segments[1] == "value":
        return ".".join([segments[0], *segments[2:]])
    if len(segments) >= 2 and segments[-1] == "value":
        return ".".join(segments[:-1])
    return name


def enveloped(name: str) -> str:
    first, _, rest = name.partition(".")
    return f"{first}.value" + (f".{rest}" if rest else "")


def column_ref(column: Any) -> Ref | None:
    """`config:lr.value` / `summary:acc` / `run:displayName` / `tags:__ALL__` -> a reference."""
    if not isinstance(column, str):
        return None
    if column in BY_COLUMN:
        return Ref(Section.RUN, BY_COLUMN[column])
    section, _, name = column.partition(":")
    if section == "config" and name and enveloped(bare_config(name)) == name:
        return Ref(Section.CONFIG, bare_config(name))
    if section == "summary" and name:
        return Ref(Section.SUMMARY, name)
    return None


def key_ref(key: Any, *, config_envelope: bool) -> Ref | None:
    """A sort, filter or group-by key `{section, name}` -> a reference.

    `config_envelope`: the place writes config keys with `.value` (group-by) or bare (sort).
    """
    if not isinstance(key, dict):
        return None
    section, name = key.get("section"), key.get("name")
    if not isinstance(name, str) or not name:
        return None
    if section == "run":
        attr = BY_BACKEND.get(name)
        return None if attr is None else Ref(Section.RUN, attr)
    if section == "summary":
        return Ref(Section.SUMMARY, name)
    if section == "config":
        bare = bare_config(name)
        if config_envelope and enveloped(bare) != name:
            return None
        return Ref(Section.CONFIG, bare)
    return None


def text_of(ref: Ref | None, *, bare: bool = False) -> str | None:
    return None if ref is None else ref_text(ref, bare=bare)


# filters


def filter_text(filters: Any) -> str | None:
    """A filterV2 dict as filter text, or None: empty, or not expressible in the spec."""
    if not isinstance(filters, dict) or filters.get("filterFormat") != "filterV2":
        return None
    items = filters.get("filters")
    if not isinstance(items, list) or not items:
        return None
    text = _items_text(items, 0)
    if text is None:
        return None
    try:
        parse_filter(text)
    except FilterError:
        return None
    return text


def _items_text(items: list[Any], depth: int) -> str | None:
    terms: list[list[str]] = [[]]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return None
        connector = item.get("connector", "AND") if index else None
        if connector == "OR":
            terms.append([])
        elif connector not in (None, "AND"):
            return None
        if "filters" in item:
            inner = item["filters"]
            if depth or not isinstance(inner, list) or not inner:
                return None
            text = _items_text(inner, depth + 1)
            if text is None:
                return None
            terms[-1].append(f"({text})")
        else:
            leaf = _leaf_text(item)
            if leaf is None:
                return None
            terms[-1].append(leaf)
    return " or ".join(" and ".join(term) for term in terms)


def _leaf_text(item: dict[str, Any]) -> str | None:
    if item.get("disabled") is True:
        return None
    ref = key_ref(item.get("key"), config_envelope=False)
    ref_str = text_of(ref)
    if ref is None or ref_str is None:
        return None
    op, value = item.get("op"), item.get("value")
    if op == "WITHINSECONDS":
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            return None
        unit = next(u for u, size in _UNITS if value % size == 0)
        return f"{ref_str} within {value // dict(_UNITS)[unit]}{unit}"
    if op not in _OPS:
        return None
    if ref.section is Section.RUN and ref.name == "state":
        states = [s for s in (value if isinstance(value, list) else [value]) if isinstance(s, str)]
        if len(states) != (len(value) if isinstance(value, list) else 1):
            return None
        if not all(s.lower() in RUN_STATES for s in states):
            return None
        value = [s.lower() for s in states] if isinstance(value, list) else states[0].lower()
    if op in ("IN", "NIN"):
        if not isinstance(value, list):
            return None
        if op == "IN" and ref == Ref(Section.RUN, "tags") and len(value) == 1:
            literal = _literal(value[0])
            return None if literal is None else f"{ref_str} contains {literal}"
        literals = [_literal(v) for v in value]
        if any(lit is None for lit in literals):
            return None
        return f"{ref_str} {_OPS[op]} [{', '.join(str(lit) for lit in literals)}]"
    literal = _literal(value)
    return None if literal is None else f"{ref_str} {_OPS[op]} {literal}"


def _literal(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return None
