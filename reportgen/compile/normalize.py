"""Canonical form of W&B view specs, for diffs, drift hashes and golden files.

``normalize(spec, view_type)`` takes the ``spec`` of a workspace (``project-view``) or a report
(``runs`` / ``runs/draft``), whoever wrote it (reportgen, wandb-workspaces, the W&B app), and
returns a new plain-JSON dict in which what W&B or its clients randomise, and each pair of
spellings that mean the same to W&B, is written one way. Pure (no network, no wandb import),
never mutates its input, idempotent, total: unknown shapes pass through. View fields
(``displayName``, ``description``, ``name``, ``id``) are not in a spec; callers compare them.
Sources are sections of ``wandb-wire/REPORT.md``.

Ignored (REPORT 2, 7):

* panel and section ``__id__`` -> positional placeholders: workspace ``<section:i>``,
  ``<panel:i:j>`` (``panelBankConfig.sections[i]``), ``<panel:j>`` (``panelBankSectionConfig``);
  report panel grids prefix them with the grid's ordinal among grids (``<grid:g:panel:j>``,
  grids inside a heading's ``collapsedChildren`` counted too); also the ``__custom_panel__:<panel id>`` keys
  of ``panelConfigOverrides`` / ``panelPlacementOverrides`` and their ``sectionId`` (5.1);
* runset ``id`` -> ``<runset:k>`` / ``<grid:g:runset:k>``, also inside ``customRunColors`` keys
  (workspace ``run-color-group:<runset id>:…``, report ``<runset id>-<key>:<value>…``);
* ``ref`` objects under ``ref`` / ``*Ref`` / ``*Refs`` keys, by the library's own test (1.3);
  report ``runSets[].project.id``, the environment's project internalId (1.3); a spec-level
  ``createdAt`` / ``updatedAt``.

Unified (REPORT 4, 5, 7):

* legacy filter trees become filterV2 as ``expr.filters_tree_to_v2`` converts them on load
  (4.1, 5.1); ``null``, ``{}``, an absent ``filters`` and empty trees become the empty v2 dict;
* filterV2 items drop ``disabled: false`` (only a true flag disables, 4.3) and a ``connector``
  on the first item of a list (nothing precedes it; the SDK writes none, 4.1);
* config filter keys take the UI form, ``.value`` after the first segment (``lr`` ->
  ``lr.value``, ``a.b`` -> ``a.value.b``; a name with a ``value`` segment is kept): the server
  reads both (4.2); config sort keys take the bare form the frontend writes (``lr.value``,
  ``a.value.b``, ``a.b.value`` -> ``lr``, ``a.b``), as reports' ``OrderBy`` does on load (4.2, 5.1);
* ``run``/``state`` filter values are lower-cased, as the SDK does (4.1);
* workspaces: ``run:displayName`` is pinned, visible and first in ``columnOrder`` (the SDK forces
  it whenever columns are pinned, 4.4, and the app always shows it); ``customRunColors`` entries
  ``""`` are dropped (the SDK's default colour, written for every disabled run, 5.1);
* ``pinned: false`` on panel-bank sections equals absent (the SDK adds it, 5.1);
* report ``blocks`` start and end with an empty paragraph (the SDK adds them, ``from_url`` strips
  them, 5.3); ``[]`` becomes two, as ``Report._to_model`` writes;
* an integral float is written as an int (``0.0`` -> ``0``): the app reads specs with
  JavaScript, which has one number type.

Decisions:

* ``<`` / ``>`` are *not* unified with ``<=`` / ``>=`` (REPORT 7 lists them): they become
  ``$lt`` / ``$lte`` (4.3) and differ at the boundary; the SDK's rewrite (4.1) is a loss a plan
  must show.
* Legacy nesting deeper than ``filters_tree_to_v2`` accepts becomes nested groups; a tree the
  library's models would reject (wrong types), and filter groups or collapsed headings nested
  more than 64 deep, are left as they are.
* Kept as written, since users or the app mean something by them: grouping keys, columns and
  panel metrics (their ``.value`` forms differ, 4.2), ``columnVisible`` ``"run:name": false``,
  panel ``layout``, ``isAuto``, report ``authors``, the order of lists.
* Another ``view_type`` gets only the rules that do not depend on it (refs, times, numbers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, cast
from urllib.parse import quote, unquote

import orjson

from reportgen.compile.normalize_filters import MAX_DEPTH as _MAX_DEPTH
from reportgen.compile.normalize_filters import dicts as _dicts
from reportgen.compile.normalize_filters import normalize_filters

WORKSPACE_TYPE = "project-view"  # the W&B view types, here without wandb-workspaces' imports
REPORT_TYPE = "runs"
REPORT_VIEW_TYPES = frozenset({REPORT_TYPE, "runs/draft"})

_JSON = dict[str, Any]
_CUSTOM_PANEL = "__custom_panel__:"
_COLOR_GROUP = "run-color-group:"
# The characters JavaScript's encodeURIComponent keeps, as wandb_workspaces encodes group keys.
_URI_SAFE = "-_.!~*'()"
_NAME_COLUMN = "run:displayName"
_EMPTY_PARAGRAPH: _JSON = {"type": "paragraph", "children": [{"text": ""}]}


def normalize(spec: Mapping[str, Any], view_type: str) -> dict[str, Any]:
    """Return the canonical form of a view spec; the rules are in the module docstring.

    ``view_type`` is ``"project-view"`` (workspace) or ``"runs"`` / ``"runs/draft"`` (report).
    A top-level value that is not a mapping is returned as a plain copy.
    """
    return _canonical(spec, view_type, {})


# Where orjson's text differs from json.dumps': floats below 1e-4 (orjson writes 0.00001 and
# 1e-9 where Python writes 1e-05 and 1e-09). Matches inside strings only cost the fallback.
_ORJSON_DIFFERS = re.compile(rb"0\.0000[0-9]|e-[0-9](?![0-9])")


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` with sorted keys, two-space indent, real Unicode and a final newline.

    The text of ``json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False)``, made by
    orjson (Python's json writes indented output with its pure-Python encoder); json.dumps
    itself where orjson would write it differently or refuses it (tiny floats, integers past
    64 bits, non-string keys, lone surrogates).
    """
    try:
        raw = orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except TypeError:
        raw = None
    if raw is None or _ORJSON_DIFFERS.search(raw):
        return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return raw.decode("utf-8") + "\n"


def spec_hash(spec: Mapping[str, Any], view_type: str) -> str:
    """Return the sha256 hex digest of ``canonical_json(normalize(spec, view_type))``."""
    text = canonical_json(normalize(spec, view_type))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_ids(spec: Mapping[str, Any], view_type: str) -> dict[str, str]:
    """Map each placeholder ``normalize`` writes to the real id found at that place in ``spec``.

    Covers panel and section ``__id__`` and runset ``id``; empty and non-string ids are left out
    (a new workspace's runset id is ``""``). Positions are those of the normalised spec: report
    block indices count the empty paragraph ``normalize`` may add at the start.
    """
    found: dict[str, str] = {}
    _canonical(spec, view_type, found)
    return found


def id_translation(
    local: Mapping[str, Any], remote: Mapping[str, Any], view_type: str
) -> dict[str, str]:
    """Map ids of a freshly compiled ``local`` spec to the ids at the same places in ``remote``.

    ``apply`` uses it to keep W&B's per-panel state: for each compiled panel ``p._id =
    table.get(p._id, p._id)``, likewise report ``runset._id``. A new workspace's runset id is
    ``""`` and so has no entry: take ``stable_ids(remote, ...)["<runset:0>"]`` for
    ``_internal_runset_id``. Matching is by position, so a panel inserted in the middle shifts
    the ids of the panels after it.
    """
    here, there = stable_ids(local, view_type), stable_ids(remote, view_type)
    return {real: there[slot] for slot, real in here.items() if slot in there}


def _canonical(spec: Any, view_type: str, found: dict[str, str]) -> dict[str, Any]:
    data = _plain(spec)
    if not isinstance(data, dict):
        return cast("dict[str, Any]", data)
    section = data.get("section")
    if view_type == WORKSPACE_TYPE and isinstance(section, dict):
        _normalize_bank(section, "", found)
        runsets = _normalize_runsets(section, "", found, workspace=True)
        colors = section.get("customRunColors")
        if isinstance(colors, dict):
            section["customRunColors"] = {
                _rename_color_group(key, runsets): color
                for key, color in colors.items()
                if color != ""
            }
    elif view_type in REPORT_VIEW_TYPES:
        if isinstance(data.get("blocks"), list):
            data["blocks"] = _pad_blocks(data["blocks"])
        for prefix, grid in _report_grids(data.get("blocks"), ""):
            _normalize_bank(grid, prefix, found)
            runsets = _normalize_runsets(grid, prefix, found, workspace=False)
            colors = grid.get("customRunColors")
            if isinstance(colors, dict):
                grid["customRunColors"] = {
                    _rename_runset_color(key, runsets): color for key, color in colors.items()
                }
    for key in ("createdAt", "updatedAt"):
        data.pop(key, None)
    return data


def _plain(value: Any) -> Any:
    """Deep-copy into dicts and lists, dropping ref objects and writing integral floats as ints.

    Iterative, as inputs may nest as deeply as JSON parsers allow. Integral floats become ints
    because the app reads specs with JavaScript, which has one number type.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, Mapping):
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for key, child in item.items():
                if not (_is_ref_key(key) and _is_ref(child, 0)):
                    copy[key] = None
                    stack.append((child, copy, key))
        elif isinstance(item, (list, tuple)):
            parent[slot] = [None] * len(item)
            stack.extend((child, parent[slot], index) for index, child in enumerate(item))
        elif isinstance(item, float) and item.is_integer():
            parent[slot] = int(item)
        else:
            parent[slot] = item
    return root[0]


def _is_ref_key(key: Any) -> bool:
    return isinstance(key, str) and (key == "ref" or key.endswith(("Ref", "Refs")))


def _is_ref(value: Any, depth: int) -> bool:
    # The test of wandb_workspaces.reports.v2.interface._strip_refs, so we drop what it drops.
    if isinstance(value, Mapping):
        return all(isinstance(value.get(field), str) for field in ("viewID", "type", "id"))
    if isinstance(value, (list, tuple)) and depth < _MAX_DEPTH:
        return bool(value) and all(_is_ref(item, depth + 1) for item in value)
    return False


def _pad_blocks(blocks: list[Any]) -> list[Any]:
    if not blocks or blocks[0] != _EMPTY_PARAGRAPH:
        blocks = [_plain(_EMPTY_PARAGRAPH), *blocks]
    if len(blocks) == 1 or blocks[-1] != _EMPTY_PARAGRAPH:
        blocks = [*blocks, _plain(_EMPTY_PARAGRAPH)]
    return blocks


def _report_grids(
    blocks: Any, prefix: str, depth: int = 0, count: Iterator[int] | None = None
) -> Iterator[tuple[str, _JSON]]:
    """Yield ``(placeholder prefix, metadata)`` of every panel grid, nested ones included.

    Grids are numbered in document order among grids only, so adding a paragraph or a
    heading above a grid changes neither its placeholders nor the ids apply reuses.
    """
    count = itertools.count() if count is None else count
    for _, block in _dicts(blocks if depth < _MAX_DEPTH else None):
        metadata = block.get("metadata")
        if block.get("type") == "panel-grid" and isinstance(metadata, dict):
            yield f"{prefix}grid:{next(count)}:", metadata
        yield from _report_grids(block.get("collapsedChildren"), prefix, depth + 1, count)


def _swap(obj: _JSON, key: str, slot: str, seen: dict[Any, str], found: dict[str, str]) -> None:
    """Put placeholder ``slot`` at ``obj[key]``, noting ``real id -> slot`` and ``slot -> real``."""
    if key not in obj:
        return
    real = obj[key]
    if isinstance(real, str):
        seen.setdefault(real, slot)
        if real:
            found[slot] = real
    obj[key] = slot


def _normalize_bank(owner: _JSON, prefix: str, found: dict[str, str]) -> None:
    """Sections and panels of ``panelBankConfig`` and ``panelBankSectionConfig``."""
    panels: dict[Any, str] = {}
    sections: dict[Any, str] = {}
    bank = owner.get("panelBankConfig")
    bank = bank if isinstance(bank, dict) else {}
    for i, section in _dicts(bank.get("sections")):
        _swap(section, "__id__", f"<{prefix}section:{i}>", sections, found)
        for j, panel in _dicts(section.get("panels")):
            _swap(panel, "__id__", f"<{prefix}panel:{i}:{j}>", panels, found)
        if section.get("pinned") is False:
            del section["pinned"]
    grid = owner.get("panelBankSectionConfig")
    if isinstance(grid, dict):
        for j, panel in _dicts(grid.get("panels")):
            _swap(panel, "__id__", f"<{prefix}panel:{j}>", panels, found)
        if grid.get("pinned") is False:
            del grid["pinned"]
    for field in ("panelConfigOverrides", "panelPlacementOverrides"):
        overrides = bank.get(field)
        if isinstance(overrides, dict):
            renamed: _JSON = {}
            for key, value in overrides.items():
                if isinstance(key, str) and key.startswith(_CUSTOM_PANEL):
                    panel_id = key[len(_CUSTOM_PANEL) :]
                    key = _CUSTOM_PANEL + panels.get(panel_id, panel_id)
                section_id = value.get("sectionId") if isinstance(value, dict) else None
                if isinstance(section_id, str) and section_id in sections:
                    value["sectionId"] = sections[section_id]
                renamed[key] = value
            bank[field] = renamed


def _normalize_runsets(
    owner: _JSON, prefix: str, found: dict[str, str], *, workspace: bool
) -> dict[Any, str]:
    """Normalise ``owner["runSets"]``; return the map from their real ids to placeholders."""
    seen: dict[Any, str] = {}
    for k, runset in _dicts(owner.get("runSets")):
        _swap(runset, "id", f"<{prefix}runset:{k}>", seen, found)
        runset["filters"] = normalize_filters(runset.get("filters"))
        sort = runset.get("sort")
        for _, sort_key in _dicts(sort.get("keys") if isinstance(sort, dict) else None):
            key = sort_key.get("key")
            if isinstance(key, dict) and key.get("section") == "config" and "name" in key:
                key["name"] = _bare_config_name(key["name"])
        feed, project = runset.get("runFeed"), runset.get("project")
        if workspace and isinstance(feed, dict):
            for field in ("columnPinned", "columnVisible"):
                if isinstance(feed.get(field), dict):
                    feed[field].setdefault(_NAME_COLUMN, True)
            if isinstance(feed.get("columnOrder"), list):
                rest = [column for column in feed["columnOrder"] if column != _NAME_COLUMN]
                feed["columnOrder"] = [_NAME_COLUMN, *rest]
        if not workspace and isinstance(project, dict):
            project.pop("id", None)
    return seen


def _strip_envelope(segments: list[str]) -> list[str] | None:
    if len(segments) >= 2 and segments[1] == "value":
        return [segments[0], *segments[2:]]
    if len(segments) >= 3 and segments[-1] == "value":
        return segments[:-1]
    return None


def _bare_config_name(name: Any) -> Any:
    if not isinstance(name, str):
        return name
    stripped = _strip_envelope(name.split("."))
    # If one strip is not enough (``x.value.value``) the name is ambiguous: keep it, so that
    # normalising twice gives the same result.
    if stripped is None or _strip_envelope(stripped) is not None:
        return name
    return ".".join(stripped)


def _rename_color_group(key: Any, runsets: dict[Any, str]) -> Any:
    """Rewrite the runset id in a workspace ``run-color-group:<json id>:<json path>`` key."""
    if not isinstance(key, str) or not key.startswith(_COLOR_GROUP):
        return key
    encoded, colon, path = key[len(_COLOR_GROUP) :].partition(":")
    try:
        runset_id = json.loads(unquote(encoded))
    except (ValueError, RecursionError):
        return key
    if not colon or not isinstance(runset_id, str) or runset_id not in runsets:
        return key
    slot = quote(json.dumps(runsets[runset_id], ensure_ascii=False), safe=_URI_SAFE)
    return f"{_COLOR_GROUP}{slot}:{path}"


def _rename_runset_color(key: Any, runsets: dict[Any, str]) -> Any:
    """Rewrite the runset id in a report ``<runset id>-<key>:<value>…`` colour key."""
    if not isinstance(key, str):
        return key
    runset_id, dash, rest = key.partition("-")
    if dash and runset_id in runsets:
        return f"{runsets[runset_id]}-{rest}"
    return key
