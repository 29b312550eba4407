"""Validated instances -> the typed spec model (`reportgen.spec.model`).

Runs after validation, so shapes are known good; what can still fail here is the
environment: `${VAR}` in entity and project, and a missing entity with no WANDB_ENTITY.
Those failures are problems at the offending value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reportgen.problems import Problem, ReportgenError
from reportgen.spec import model as m
from reportgen.spec.checks import split_metric, split_sort_key
from reportgen.spec.env import ENTITY_ADVICE, EnvError, resolve_env
from reportgen.spec.expand import Instance
from reportgen.spec.filters import BoolOp, parse_filter
from reportgen.spec.gates import parse_gate
from reportgen.spec.load import JsonPath
from reportgen.spec.refs import parse_whole_ref
from reportgen.spec.schema import NAME_REFUSED


def parse_instances(
    instances: list[Instance], environ: Mapping[str, str] | None = None
) -> list[m.Spec]:
    """The spec objects of validated instances; raises ReportgenError with every env problem."""
    env = os.environ if environ is None else environ
    specs: list[m.Spec] = []
    problems: list[Problem] = []
    for instance in instances:
        for kind in ("workspace", "report", "leaderboard"):
            body = instance.data.get(kind)
            if isinstance(body, dict):
                reader = _Reader(instance, (kind,), env)
                try:
                    specs.extend(reader.spec(kind, body))
                except _EnvProblem as exc:
                    problems.append(exc.problem)
    if problems:
        raise ReportgenError(f"{len(problems)} problem(s) resolving the environment", problems)
    return specs


class _EnvProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Reader:
    def __init__(self, instance: Instance, path: JsonPath, env: Mapping[str, str]) -> None:
        self.instance = instance
        self.path = path
        self.env = env

    def source(self, path: JsonPath) -> m.Source:
        line, col = self.instance.doc.position(path)
        return m.Source(self.instance.doc.file, line, col)

    def resolved(self, body: dict[str, Any], name: str) -> str:
        """Entity or project with the environment read: the spec's value, else WANDB_ENTITY."""
        path = (*self.path, name)
        raw = body.get(name)
        if raw is None and name == "entity":
            value = self.env.get("WANDB_ENTITY") or ""
            if not value:
                msg = f"no entity: {ENTITY_ADVICE}"
                raise _EnvProblem(self.instance.doc.problem(self.path, "RG505", msg))
            where, origin = self.path, " (from WANDB_ENTITY)"
        else:
            try:
                value = resolve_env(str(raw), self.env)
            except EnvError as exc:
                problem = self.instance.doc.problem(path, "RG505", exc.message, offset=exc.offset)
                raise _EnvProblem(problem) from None
            where, origin = path, " (after reading the environment)"
        refused = NAME_REFUSED.search(value)
        if not value or refused:
            what = f"{refused.group()!r}" if refused and refused.group().isprintable() else "it"
            msg = f"{name} {value!r}{origin}: W&B refuses {what} in {name} names"
            raise _EnvProblem(self.instance.doc.problem(where, "RG506", msg))
        return value

    def spec(self, kind: str, body: dict[str, Any]) -> list[m.Spec]:
        common = {
            "key": body["key"],
            "title": body["title"],
            "entity": self.resolved(body, "entity"),
            "project": self.resolved(body, "project"),
            "source": self.source((*self.path, "key")),
            "description": body.get("description", ""),
            "adopt": _strings(body.get("adopt") or ()),
        }
        if kind != "leaderboard":
            common["passthrough"] = passthrough(body.get("passthrough"))
        if kind == "workspace":
            return [
                m.Workspace(
                    **common,
                    runset=runset(body.get("runset") or {}),
                    settings=settings(body.get("settings") or {}),
                    sections=tuple(section(s) for s in body.get("sections") or []),
                )
            ]
        if kind == "report":
            report_blocks = tuple(block(b) for b in body.get("blocks") or [])
            return [m.Report(**common, width=body.get("width", "readable"), blocks=report_blocks)]
        return self.leaderboards(body, common)

    def leaderboards(self, body: dict[str, Any], common: dict[str, Any]) -> list[m.Spec]:
        curves = body.get("curves")
        base = m.Leaderboard(
            **common,
            metrics=tuple(m.RankedMetric(*split_metric(t)) for t in body["metrics"]),
            filter=filter_of(body.get("filter")),
            search=body.get("search", ""),
            tiebreak=tuple(sort_key(t) for t in body.get("tiebreak") or []),
            columns=tuple(parse_whole_ref(t) for t in body.get("columns") or []),
            curves=None
            if curves is None
            else m.Curves(
                y=_strings(curves["y"]),
                x=curves.get("x", "_step"),
                top=curves.get("top", 5),
                smoothing=smoothing(curves.get("smoothing")),
            ),
            baseline=body.get("baseline"),
            publish=tuple(body.get("publish") or ("workspace", "report")),
            group_by=_refs(body.get("group_by")),
            min_group_size=body.get("min_group_size", 1),
            gates=tuple(parse_gate(t) for t in _strings(body.get("gate") or ())),
        )
        boards: list[m.Spec] = [base]
        for i, variant in enumerate(body.get("variants") or []):
            extra = filter_of(variant["filter"])
            assert extra is not None
            boards.append(
                _replace(
                    base,
                    key=variant["key"],
                    title=variant.get("title") or f"{base.title} · {variant['key']}",
                    description=variant.get("description", base.description),
                    filter=extra if base.filter is None else and_filters(base.filter, extra),
                    source=self.source((*self.path, "variants", i, "key")),
                    adopt=(),
                )
            )
        return boards


def _replace(board: m.Leaderboard, **changes: Any) -> m.Leaderboard:
    from dataclasses import replace

    return replace(board, **changes)


def and_filters(left: m.Filter, right: m.Filter) -> m.Filter:
    return m.Filter(f"({left.text}) and ({right.text})", BoolOp("and", (left.tree, right.tree)))


def filter_of(text: Any) -> m.Filter | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return m.Filter(text, parse_filter(text))


def sort_key(text: str) -> m.SortKey:
    ref, ascending = split_sort_key(text)
    return m.SortKey(ref, ascending)


def passthrough(value: Any) -> m.Passthrough | None:
    if not isinstance(value, dict):
        return None
    sets = tuple((value.get("set") or {}).items())
    unsets = tuple(value.get("unset") or ())
    return m.Passthrough(sets, unsets) if sets or unsets else None


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _refs(value: Any) -> tuple[Any, ...]:
    return tuple(parse_whole_ref(t) for t in value or [])


def columns(value: Any) -> m.Columns:
    if isinstance(value, list):
        return m.Columns(pinned=_refs(value))
    if not isinstance(value, dict):
        return m.Columns()
    return m.Columns(
        pinned=_refs(value.get("pinned")),
        visible=_refs(value.get("visible")),
        hidden=_refs(value.get("hidden")),
        order=_refs(value.get("order")),
        widths=tuple((parse_whole_ref(k), int(v)) for k, v in (value.get("widths") or {}).items()),
        locked=value.get("locked"),
    )


def runset(body: dict[str, Any]) -> m.Runset:
    sort = body.get("sort")
    keys = [sort] if isinstance(sort, str) else sort or []
    return m.Runset(
        name=body.get("name", "Run set"),
        entity=body.get("entity"),
        project=body.get("project"),
        filter=filter_of(body.get("filter")),
        search=body.get("search", ""),
        search_regex=bool(body.get("search_regex", False)),
        group_by=_refs(body.get("group_by")),
        sort=tuple(sort_key(k) for k in keys),
        columns=columns(body.get("columns")),
        run_colors=tuple((body.get("run_colors") or {}).items()),
        hidden_runs=tuple(body.get("hidden_runs") or ()),
        baseline=body.get("baseline"),
        pinned_runs=tuple(body.get("pinned_runs") or ()),
    )


def smoothing(value: Any) -> m.Smoothing | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return m.Smoothing(value["type"], value.get("weight", 0))
    return m.Smoothing("exponential", value)


def layout(value: Any) -> m.Layout | None:
    return None if value is None else m.Layout(**value)


def _ref_or_none(value: Any) -> Any:
    return None if value is None else parse_whole_ref(value)


def panel(body: dict[str, Any]) -> m.Panel:
    kind = body["type"]
    if kind == "raw":
        return m.RawPanel(dict(body["json"]))
    shared: dict[str, Any] = {"title": body.get("title"), "layout": layout(body.get("layout"))}
    grouping = {
        "group_by": _ref_or_none(body.get("group_by")),
        "aggregate": body.get("aggregate"),
        "range": body.get("range"),
    }
    if kind == "line":
        plain = (
            "log_x",
            "log_y",
            "x_min",
            "x_max",
            "y_min",
            "y_max",
            "max_runs",
            "style",
            "legend",
        )
        return m.LinePanel(
            y=_strings(body["y"]),
            x=body.get("x", "_step"),
            smoothing=smoothing(body.get("smoothing")),
            **{k: body.get(k) for k in plain},
            **grouping,
            **shared,
        )
    if kind == "bar":
        return m.BarPanel(
            metrics=_strings(body["metrics"]),
            orientation=body.get("orientation"),
            max_runs=body.get("max_runs"),
            max_bars=body.get("max_bars"),
            **grouping,
            **shared,
        )
    if kind == "scalar":
        return m.ScalarPanel(
            body["metric"], aggregate=body.get("aggregate"), range=body.get("range"), **shared
        )
    if kind == "scatter":
        flags = {k: body.get(k) for k in ("log_x", "log_y", "regression")}
        z = _ref_or_none(body.get("z"))
        return m.ScatterPanel(
            parse_whole_ref(body["x"]), parse_whole_ref(body["y"]), z, **flags, **shared
        )
    if kind == "parallel_coordinates":
        return m.ParallelPanel(_refs(body["columns"]), **shared)
    if kind == "run_comparer":
        return m.RunComparerPanel(diff_only=body.get("diff_only"), layout=shared["layout"])
    if kind == "markdown":
        return m.MarkdownPanel(body["text"], layout=shared["layout"])
    return m.ImportancePanel(body["metric"], layout=shared["layout"])


def section(body: dict[str, Any]) -> m.Section:
    lay = body.get("layout") or {}
    local = body.get("settings") or {}
    return m.Section(
        name=body["name"],
        panels=tuple(panel(p) for p in body.get("panels") or []),
        open=body.get("open", True),
        pinned=body.get("pinned", False),
        columns=lay.get("columns"),
        rows=lay.get("rows"),
        x=local.get("x"),
        x_min=local.get("x_min"),
        x_max=local.get("x_max"),
        smoothing=smoothing(local.get("smoothing")),
    )


def settings(body: dict[str, Any]) -> m.WorkspaceSettings:
    plain = (
        "x", "x_min", "x_max", "ignore_outliers", "max_runs", "tooltip_runs", "legends",
        "point_visualization", "sort_panels", "group_panels_by",
    )  # fmt: skip
    return m.WorkspaceSettings(
        smoothing=smoothing(body.get("smoothing")),
        auto_panels=body.get("auto_panels", False),
        **{k: body.get(k) for k in plain},
    )


_TEXT_BLOCKS = ("p", "markdown", "quote", "callout", "latex")


def block(body: dict[str, Any]) -> m.Block:
    ((kind, value),) = body.items()
    if kind in ("h1", "h2", "h3"):
        return m.Heading(int(kind[1]), value)
    if kind in _TEXT_BLOCKS:
        return m.TextBlock(kind, value)
    if kind == "code":
        return m.CodeBlock(value["code"], value.get("language"))
    if kind in ("list", "numbered"):
        return m.ListBlock(tuple(value), numbered=kind == "numbered")
    if kind == "image":
        return m.ImageBlock(value["url"], value.get("caption", ""))
    if kind in ("hr", "toc"):
        return m.MarkerBlock(kind)
    if kind == "leaderboard":
        return m.LeaderboardBlock(value)
    if kind == "raw":
        return m.RawBlock(dict(value))
    grid_runsets = tuple(runset(r) for r in value.get("runsets") or [{}])
    return m.PanelGrid(
        runsets=grid_runsets,
        panels=tuple(panel(p) for p in value.get("panels") or []),
        hide_runsets=value.get("hide_runsets", False),
    )
