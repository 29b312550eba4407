"""Semantic rules the schema cannot express, placed at the offending character.

Filter expressions and references are parsed here (the same parsers `model` uses), so a
malformed sort key or filter is reported at its column inside the string. Rules about
W&B's behaviour live here too: what workspaces cannot store, which run attributes can be
sorted or plotted. Every check tolerates ill-typed input: the schema reports that.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from reportgen.problems import Level, Problem
from reportgen.spec.board_checks import seed_groups_and_gates
from reportgen.spec.expand import Instance, reported_references
from reportgen.spec.filters import BoolOp, FilterError, Node, check_nesting, parse_filter, walk
from reportgen.spec.load import JsonPath
from reportgen.spec.refs import (
    LIBRARY_RENAMES,
    X_AXIS_NAMES,
    Ref,
    RefError,
    Section,
    parse_ref,
    parse_whole_ref,
    prefix_typo,
    prefix_typo_message,
)

SORT_DIRECTIONS = ("asc", "desc")
GOALS = ("max", "min")
WORKSPACE_COLUMN_KEYS = ("pinned",)
AXIS_PANELS = {"scatter": ("x", "y", "z")}
# wandb-workspaces refuses a workspace view name holding a character of these Unicode
# categories (`utils.validators.validate_no_emoji`): other symbols (emoji), modifier, math
# and currency symbols (so '+', '<', '=', '$', '^', '`', '|', '~' too), lone surrogates.
# Reports take any title.
VIEW_NAME_REFUSED = ("So", "Sk", "Sm", "Sc", "Cs")
_CATEGORY_NAMES = {
    "So": "an emoji or symbol",
    "Sk": "a modifier symbol",
    "Sm": "a math symbol",
    "Sc": "a currency symbol",
    "Cs": "a lone surrogate",
}


def refused_in_view_name(text: str, skip: Iterable[tuple[int, int]] = ()) -> int | None:
    """Offset of the first character wandb-workspaces refuses in a workspace view name,
    outside the `skip` spans."""
    chars = list(text)
    for start, end in skip:
        chars[start:end] = " " * (end - start)
    for i, char in enumerate(chars):
        if unicodedata.category(char) in VIEW_NAME_REFUSED:
            return i
    return None


def check(instance: Instance) -> list[Problem]:
    """Semantic problems of one (schema-shaped) instance."""
    checker = _Checker(instance)
    data = instance.data
    kinds = {
        "workspace": checker.workspace,
        "report": checker.report,
        "leaderboard": checker.leaderboard,
    }
    for kind, body in data.items():
        if kind in kinds and isinstance(body, dict):
            kinds[kind](body, (kind,))
    return checker.problems


def split_sort_key(text: str) -> tuple[Ref, bool]:
    """`summary.accuracy desc` -> (ref, ascending=False); raises RefError with an offset."""
    ref, end = parse_ref(text)
    rest = text[end:]
    word = rest.strip()
    if not word:
        return ref, True
    if word not in SORT_DIRECTIONS:
        raise RefError(
            f"expected 'asc' or 'desc' after the reference, found {word!r}",
            end + len(rest) - len(rest.lstrip()),
        )
    return ref, word == "asc"


def split_metric(text: str) -> tuple[Ref, str]:
    """`accuracy max` -> (summary.accuracy, "max"); raises RefError with an offset."""
    ref, end = parse_ref(text)
    rest = text[end:]
    word = rest.strip()
    if word not in GOALS:
        raise RefError(
            f"expected 'max' or 'min' after the metric, found {word or 'nothing'!r}",
            end + len(rest) - len(rest.lstrip()),
        )
    return ref, word


class _Checker:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.doc = instance.doc
        self.label = instance.label
        self.problems: list[Problem] = []

    def add(
        self,
        path: JsonPath,
        code: str,
        message: str,
        offset: int | None = None,
        key: bool = False,
        level: Level = Level.ERROR,
    ) -> None:
        if offset is not None:
            offset = self.instance.template_offset(path, offset)
        problem = self.doc.problem(path, code, message + self.label, offset=offset, key=key)
        self.problems.append(problem if level is Level.ERROR else replace(problem, level=level))

    def typo(self, text: str, path: JsonPath, start: int = 0) -> None:
        """A bare name that reads like a misspelt prefix (`cfg.lr`): a warning (RG312)."""
        found = prefix_typo(text, start)
        if found is not None:
            self.add(path, "RG312", prefix_typo_message(*found), start, level=Level.WARNING)

    # kinds

    def workspace(self, body: dict[str, Any], path: JsonPath) -> None:
        self.view_name(body.get("title"), (*path, "title"))
        runset = body.get("runset")
        if isinstance(runset, dict):
            self.runset(runset, (*path, "runset"), workspace=True)
        settings = body.get("settings")
        if isinstance(settings, dict):
            self.history_key(settings.get("x"), (*path, "settings", "x"), axis=True)
        for i, section in _items(body.get("sections")):
            if isinstance(section, dict):
                where = (*path, "sections", i)
                local = section.get("settings")
                if isinstance(local, dict):
                    self.history_key(local.get("x"), (*where, "settings", "x"), axis=True)
                self.panels(section.get("panels"), (*where, "panels"))

    def report(self, body: dict[str, Any], path: JsonPath) -> None:
        for i, block in _items(body.get("blocks")):
            grid = block.get("panels") if isinstance(block, dict) else None
            if isinstance(grid, dict):
                grid_path = (*path, "blocks", i, "panels")
                for j, runset in _items(grid.get("runsets")):
                    if isinstance(runset, dict):
                        self.runset(runset, (*grid_path, "runsets", j), workspace=False)
                self.panels(grid.get("panels"), (*grid_path, "panels"))

    def leaderboard(self, body: dict[str, Any], path: JsonPath) -> None:
        base = self.filter(body.get("filter"), (*path, "filter"))
        publish = body.get("publish")
        workspace = not isinstance(publish, list) or "workspace" in publish
        if workspace:
            self.view_name(body.get("title"), (*path, "title"), leaderboard=True)
            for i, variant in _items(body.get("variants")):
                if isinstance(variant, dict):
                    where = (*path, "variants", i, "title")
                    self.view_name(variant.get("title"), where, leaderboard=True)
        seen: dict[Ref, int] = {}
        for i, text in _strings(body.get("metrics")):
            where = (*path, "metrics", i)
            try:
                ref, _ = split_metric(text)
            except RefError as exc:
                self.add(where, "RG301", exc.message, exc.offset)
                continue
            self.typo(text, where)
            if ref.section is not Section.SUMMARY:
                self.add(
                    where,
                    "RG307",
                    f"a leaderboard metric is a summary metric, not {ref}; rank by it in tiebreak",
                    0,
                )
            elif ref in seen:
                self.add(where, "RG303", f"metric {ref} is listed twice", 0)
            elif workspace:
                self.renamed_sort(ref, where)
            seen.setdefault(ref, i)
        self.sort_keys(
            body.get("tiebreak"), (*path, "tiebreak"), seen=set(seen), workspace=workspace
        )
        for i, text in _strings(body.get("columns")):
            self.ref(text, (*path, "columns", i))
        seed_groups_and_gates(self, body, path)
        curves = body.get("curves")
        if isinstance(curves, dict):
            self.history_key(curves.get("x"), (*path, "curves", "x"), axis=True)
            self.history_keys(curves.get("y"), (*path, "curves", "y"))
        for i, variant in _items(body.get("variants")):
            if isinstance(variant, dict):
                where = (*path, "variants", i, "filter")
                extra = self.filter(variant.get("filter"), where)
                if base is not None and extra is not None:
                    self.depth(BoolOp("and", (base, extra)), where, combined=True)

    # parts

    def view_name(self, title: Any, path: JsonPath, *, leaderboard: bool = False) -> None:
        """A title that becomes a workspace view's name (RG309)."""
        if not isinstance(title, str):
            return
        # In a document without a matrix, references left in the title are reported as
        # such (expand); a stamped title holds only what the matrix put there.
        skip = () if self.instance.bindings else reported_references(title)
        at = refused_in_view_name(title, skip)
        if at is None:
            return
        char = title[at]
        shown = f"'{char}'" if char.isprintable() else ""
        what = f"{shown} (U+{ord(char):04X}, {_CATEGORY_NAMES[unicodedata.category(char)]})"
        hint = "; publish only a report, or " if leaderboard else "; "
        msg = (
            f"wandb-workspaces refuses emoji and symbols in workspace view names: {what.lstrip()}"
            f"{hint}leave it out of the title"
        )
        self.add(path, "RG309", msg, at)

    def runset(self, runset: dict[str, Any], path: JsonPath, *, workspace: bool) -> None:
        self.filter(runset.get("filter"), (*path, "filter"))
        sort = runset.get("sort")
        if isinstance(sort, str):
            self.sort_key(sort, (*path, "sort"), set(), workspace=workspace)
        else:
            self.sort_keys(sort, (*path, "sort"), workspace=workspace)
        for i, text in _strings(runset.get("group_by")):
            where = (*path, "group_by", i)
            ref = self.ref(text, where)
            if ref is not None and ref.section is Section.SUMMARY:
                self.renamed(ref.name, where, "group by")
        self.columns(runset.get("columns"), (*path, "columns"), workspace=workspace)

    def columns(self, columns: Any, path: JsonPath, *, workspace: bool) -> None:
        if isinstance(columns, list):
            for i, text in _strings(columns):
                self.ref(text, (*path, i))
            return
        if not isinstance(columns, dict):
            return
        refs: dict[str, set[Ref]] = {}
        for name in ("pinned", "visible", "hidden", "order"):
            refs[name] = set()
            for i, text in _strings(columns.get(name)):
                ref = self.ref(text, (*path, name, i))
                if ref is not None:
                    refs[name].add(ref)
        widths = columns.get("widths")
        if isinstance(widths, dict):
            for text in widths:
                self.ref(text, (*path, "widths", text), key=True)
        both = refs["hidden"] & (refs["pinned"] | refs["visible"])
        for ref in sorted(both, key=str):
            self.add((*path, "hidden"), "RG305", f"column {ref} is both hidden and shown")
        if workspace:
            for name in columns:
                if name not in WORKSPACE_COLUMN_KEYS:
                    msg = f"workspace views keep only pinned columns; '{name}' works in report run sets"
                    self.add((*path, name), "RG306", msg, key=True)

    def sort_keys(
        self, keys: Any, path: JsonPath, seen: set[Ref] | None = None, *, workspace: bool = False
    ) -> None:
        seen = set() if seen is None else seen
        for i, text in _strings(keys):
            self.sort_key(text, (*path, i), seen, workspace=workspace)

    def sort_key(
        self, text: str, path: JsonPath, seen: set[Ref], *, workspace: bool = False
    ) -> None:
        try:
            ref, _ = split_sort_key(text)
        except RefError as exc:
            self.add(path, "RG302", exc.message, exc.offset)
            return
        self.typo(text, path)
        if ref.section is Section.RUN and not ref.attribute.sortable:
            self.add(path, "RG304", f"runs cannot be sorted by {ref}", 0)
        elif ref in seen:
            self.add(path, "RG303", f"{ref} is already a sort key", 0)
        elif workspace:
            self.renamed_sort(ref, path)
        seen.add(ref)

    def renamed_sort(self, ref: Ref, path: JsonPath) -> None:
        """Workspace sort keys go through the library's renaming; report ones do not."""
        if ref.section is not Section.RUN:
            self.renamed(ref.name, path, "sort a workspace by", hint="report run sets keep it")

    def renamed(self, name: str, path: JsonPath, use: str, *, hint: str = "") -> None:
        backend = LIBRARY_RENAMES.get(name)
        if backend is not None:
            msg = (
                f"wandb-workspaces reads {name!r} as W&B's {backend!r}, so it cannot {use} a key "
                f"logged as {name!r}{'; ' + hint if hint else ''} (REPORT.md 4.1)"
            )
            self.add(path, "RG308", msg, 0)

    def history_key(self, name: Any, path: JsonPath, *, axis: bool = False) -> None:
        """A key as logged: the library renames the W&B app's front-end names (RG308)."""
        if isinstance(name, str) and not (axis and name in X_AXIS_NAMES):
            self.renamed(name, path, "plot")

    def history_keys(self, value: Any, path: JsonPath) -> None:
        if isinstance(value, str):
            self.history_key(value, path)
        for i, name in _strings(value):
            self.history_key(name, (*path, i))

    def ref(self, text: str, path: JsonPath, *, key: bool = False) -> Ref | None:
        try:
            ref = parse_whole_ref(text)
        except RefError as exc:
            self.add(path, "RG301", exc.message, None if key else exc.offset, key=key)
            return None
        if not key:
            self.typo(text, path)
        return ref

    def filter(self, text: Any, path: JsonPath) -> Node | None:
        if not isinstance(text, str):
            return None
        try:
            tree = parse_filter(text)
        except FilterError as exc:
            self.add(path, "RG201", exc.message, exc.offset)
            return None
        for comparison in walk(tree):
            self.typo(text, path, comparison.start)
        return tree if self.depth(tree, path) else None

    def depth(self, tree: Node, path: JsonPath, *, combined: bool = False) -> bool:
        """Whether W&B's filter bar can hold the tree (one level of parentheses)."""
        try:
            check_nesting(tree)
        except FilterError as exc:
            if combined:
                msg = f"combined with the leaderboard's filter by 'and': {exc.message}"
                self.add(path, "RG201", msg, 0)
            else:
                self.add(path, "RG201", exc.message, exc.offset)
            return False
        return True

    def panels(self, panels: Any, path: JsonPath) -> None:
        for i, panel in _items(panels):
            if not isinstance(panel, dict):
                continue
            where = (*path, i)
            kind = panel.get("type")
            group = panel.get("group_by")
            if isinstance(group, str):
                ref = self.ref(group, (*where, "group_by"))
                if ref is not None and ref.section is Section.SUMMARY:
                    msg = f"panels group by a config key or a run attribute, not {ref}"
                    self.add((*where, "group_by"), "RG304", msg, 0)
            if kind == "line":
                self.history_key(panel.get("x"), (*where, "x"), axis=True)
                self.history_keys(panel.get("y"), (*where, "y"))
            elif kind == "bar":
                self.history_keys(panel.get("metrics"), (*where, "metrics"))
            elif kind == "scalar":
                self.history_key(panel.get("metric"), (*where, "metric"))
            for axis in AXIS_PANELS.get(str(kind), ()):
                self.data_ref(panel.get(axis), (*where, axis))
            if kind == "parallel_coordinates":
                for j, text in _strings(panel.get("columns")):
                    self.data_ref(text, (*where, "columns", j))

    def data_ref(self, text: Any, path: JsonPath) -> None:
        """A reference that W&B only accepts for config and summary values."""
        if not isinstance(text, str):
            return
        ref = self.ref(text, path)
        if ref is not None and ref.section is Section.RUN:
            self.add(path, "RG304", f"this axis takes config or summary values, not {ref}", 0)


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def _strings(value: Any) -> Iterator[tuple[int, str]]:
    return ((i, v) for i, v in _items(value) if isinstance(v, str))
