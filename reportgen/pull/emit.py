"""Decompiled objects as YAML spec text: the schema modeline first, written as a person would.

Short lists of scalars are flow sequences (`metrics: [accuracy max, loss min]`), everything
else block style; key order is the decompiler's. A comment says where pull kept what the
spec language has no words for.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from reportgen.pull.decompile import Decompiled

SCHEMA_RELATIVE = Path("schemas") / "reportgen.schema.json"
MODELINE = "# yaml-language-server: $schema="
_FLOW_WIDTH = 72
PASSTHROUGH_NOTE = "W&B view JSON reportgen has no words for, kept verbatim (README: Passthrough)"
RAW_NOTE = "kept as W&B stores it: reportgen has no words for it"


def schema_path(target: Path | None) -> str:
    """The modeline's schema: relative to the file when a schemas/ folder is above it."""
    start = (target.parent if target is not None else Path.cwd()).resolve()
    for folder in (start, *start.parents):
        schema = folder / SCHEMA_RELATIVE
        if schema.is_file():
            return Path(os.path.relpath(schema, start)).as_posix()
    return "../" + SCHEMA_RELATIVE.as_posix()


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _commented(value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _commented(item, depth + 1)
        small = 2 <= len(value) <= 4 and all(_scalar(v) for v in value.values())
        if depth > 2 and small and len(repr(value)) <= _FLOW_WIDTH:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_commented(v, depth + 1) for v in value)
        if value and all(_scalar(v) for v in value) and len(repr(value)) <= _FLOW_WIDTH:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value


def _annotate(node: Any) -> None:
    """End-of-line comments on passthrough and raw items."""
    if isinstance(node, CommentedMap):
        for key, value in list(node.items()):
            if key == "passthrough":
                node.yaml_add_eol_comment(PASSTHROUGH_NOTE, key)
            elif key == "raw" or (key == "type" and value == "raw"):
                node.yaml_add_eol_comment(RAW_NOTE, key)
            elif key != "json":
                _annotate(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _annotate(item)


def document_text(part: Decompiled) -> str:
    """The object's YAML; checked to load back to exactly its document (else plain YAML)."""
    root = _commented(part.document)
    _annotate(root)
    stream = io.StringIO()
    _yaml().dump(root, stream)
    text = stream.getvalue()
    if yaml.safe_load(text) != part.document:  # pragma: no cover - a style ruamel mis-wrote
        text = yaml.safe_dump(part.document, sort_keys=False, allow_unicode=True, width=4096)
    return text


def file_text(parts: Sequence[Decompiled], target: Path | None = None) -> str:
    """One file of spec documents (`---` between them), the schema modeline first."""
    header = f"{MODELINE}{schema_path(target)}\n"
    sources = sorted({v.project for p in parts for v in p.views})
    body = "---\n".join(document_text(p) for p in parts)
    note = f"# Pulled from W&B ({', '.join(sources)}) by `reportgen pull`.\n" if sources else ""
    return header + note + body
