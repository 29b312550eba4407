"""Specs -> the views they declare, and those views compiled again when needed.

Two steps that every command talking to W&B starts from, neither touching the network:

* `declare_views`: validate, resolve the environment, expand leaderboards. Each view the
  specs declare becomes a small `Declared` (identity, title, where it came from, and the
  `source_digest` of what it compiles from); memory stays constant per file, so 100,000
  views fit.
* `Declarations.compile`: compile views through wandb-workspaces (imported only then),
  file by file, reading each file again: a compiled view is held only while it is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.commands.build import BuiltView, compile_one
from reportgen.commands.validate import validate_paths
from reportgen.compile import leaderboard
from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE
from reportgen.problems import Problem, ReportgenError, strictly
from reportgen.remote.identity import digest, source_digest
from reportgen.spec import model as m
from reportgen.spec.expand import KINDS, Instance, expand
from reportgen.spec.load import load_file
from reportgen.spec.parse import parse_instances
from reportgen.spec.schema import whole_numbers

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Origin:
    """Where a declared view comes from: the file (and its place among the files validate
    read), and its place among what the file holds."""

    path: Path
    display: str
    document: int
    instance: int
    view: int
    file: int  # files are read in validate's order (`find_spec_files`), not by name


@dataclass(frozen=True)
class Declared:
    """One view the specs declare, before compiling: what plan needs to find and compare it."""

    key: str
    kind: str
    entity: str
    project: str
    title: str
    description: str
    source: m.Source
    digest: str  # `source_digest` of what it is compiled from
    origin: Origin
    adopt: tuple[str, ...] = ()  # ids of views made outside reportgen it may adopt (pull)
    boards: tuple[str, ...] = ()  # keys of the leaderboards a report places (`- leaderboard:`)

    @property
    def view_type(self) -> str:
        return WORKSPACE_TYPE if self.kind == "workspace" else REPORT_TYPE

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """(entity, project, view type, key): one W&B view per identity."""
        return (self.entity, self.project, self.view_type, self.key)


@dataclass(frozen=True)
class Board:
    """Where a leaderboard (or a variant) is declared, for the reports that place it, and
    the digest of what its runs table and curves are made from."""

    path: Path
    display: str
    document: int
    instance: int
    digest: str


@dataclass
class Declarations:
    """The views of a set of specs, and how to compile them again from their files."""

    views: list[Declared] = field(default_factory=list)
    environ: Mapping[str, str] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)  # every leaderboard, by key

    def compile(self, declared: Sequence[Declared]) -> Iterator[tuple[Declared, BuiltView]]:
        """Compile views, reading each file once (and the files of the leaderboards its
        reports place); raises ReportgenError with every view that wandb-workspaces refuses
        (RG310), after the others were yielded."""
        problems: list[Problem] = []
        ordered = sorted(declared, key=lambda d: _order(d.origin))
        for path, group in groupby(ordered, key=lambda d: d.origin.path):
            wanted = list(group)
            models, boards = _reload(path, wanted[0].origin.display, self.environ)
            placed = {path: boards}  # the leaderboards of files read for this one
            for item in wanted:
                found = models.get(_place(item.origin))
                if found is None or _placing(found[1], item.boards, self.boards) != item.digest:
                    raise ReportgenError(
                        f"{item.origin.display} changed while reportgen was running; run again"
                    )
                view = found[0]
                if item.boards:
                    view = leaderboard.embed(view, self._placed(item.boards, placed))
                try:
                    built = BuiltView(view, compile_one(view))
                except ReportgenError as exc:
                    problems.extend(exc.problems)
                    continue
                yield item, built
        if problems:
            raise ReportgenError("W&B cannot store some specs as written", problems)

    def _placed(
        self, keys: Sequence[str], read: dict[Path, dict[str, tuple[m.Leaderboard, str]]]
    ) -> dict[str, m.Leaderboard]:
        """The leaderboards of `keys`, read again from their files (`read` keeps each file's)."""
        found: dict[str, m.Leaderboard] = {}
        for key in keys:
            board = self.boards[key]
            if board.path not in read:
                read[board.path] = _reload(board.path, board.display, self.environ)[1]
            again = read[board.path].get(key)
            if again is None or again[1] != board.digest:
                raise ReportgenError(
                    f"{board.display} changed while reportgen was running; run again"
                )
            found[key] = again[0]
        return found


def declare_views(
    paths: Sequence[str | os.PathLike[str]],
    environ: Mapping[str, str] | None = None,
    *,
    default_entity: Callable[[], str | None] | None = None,
    warn: Callable[[list[Problem]], None] | None = None,
    strict: bool = False,
) -> Declarations:
    """Validate and parse; raise ReportgenError with every problem if any.

    `default_entity` is asked (it may cost a request) only once every spec is valid, and
    only if a spec names no entity and the environment has no WANDB_ENTITY. Warnings go to
    `warn` when the specs are otherwise fine; with `strict` they are errors (`strictly`)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    declarations = Declarations(environ=env)
    problems: list[Problem] = []
    # Parsed once the default entity is known: (file's place, path, display, document, index).
    waiting: list[tuple[int, Path, str, int, int]] = []
    offline = _NoDefaultEntity(env) if default_entity is not None else env
    files: dict[Path, int] = {}  # each file's place in validate's order

    def declare(path: Path, instance: Instance, index: int) -> None:
        file = files.setdefault(path, len(files))
        try:
            specs = parse_instances([instance], offline)
        except _DefaultEntityNeeded:
            waiting.append((file, path, instance.doc.file, instance.doc.index, index))
            return
        except ReportgenError as exc:
            problems.extend(exc.problems)
            return
        _add(declarations, (file, path), instance, index, specs)

    result = validate_paths(paths, on_instance=declare)
    if not result.ok or (strict and result.problems):
        raise ReportgenError("the specs have problems", strictly(result.problems, strict))
    if result.problems and warn is not None:
        warn(result.problems)
    if waiting and default_entity is not None:
        entity = default_entity()
        declarations.environ = {**env, "WANDB_ENTITY": entity} if entity else env
        for file, path, display, document, index in waiting:
            instance = _instances(path, display)[(document, index)]
            try:
                specs = parse_instances([instance], declarations.environ)
            except ReportgenError as exc:
                problems.extend(exc.problems)
                continue
            _add(declarations, (file, path), instance, index, specs)
        declarations.views.sort(key=lambda d: _order(d.origin))
    if problems:
        raise ReportgenError(f"{len(problems)} problem(s) resolving the environment", problems)
    # A report that places leaderboards is made from them too (validation made sure that
    # every key names one).
    declarations.views = [
        replace(d, digest=_placing(d.digest, d.boards, declarations.boards)) if d.boards else d
        for d in declarations.views
    ]
    return declarations


class _DefaultEntityNeeded(Exception):
    pass


class _NoDefaultEntity(Mapping[str, str]):
    """The environment, where a missing WANDB_ENTITY waits for the viewer's default entity."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        if name == "WANDB_ENTITY" and not self._environ.get(name):
            raise _DefaultEntityNeeded
        return self._environ[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


def _views(specs: list[m.Spec]) -> list[m.View]:
    views: list[m.View] = []
    for spec in specs:
        views.extend(leaderboard.views(spec) if isinstance(spec, m.Leaderboard) else [spec])
    return views


def _objects(instance: Instance) -> dict[str, str]:
    return {kind: digest(body) for kind, body in instance.data.items() if kind in KINDS}


def _digests(instance: Instance, views: list[m.View]) -> list[str]:
    """Each view's `source_digest`: its object as stamped, where it lives, which view it is.
    (A report that places leaderboards: see `_placing`.)"""
    objects = _objects(instance)
    return [
        source_digest(
            {
                "object": objects,
                "entity": view.entity,
                "project": view.project,
                "kind": view.kind,
                "key": view.key,
            }
        )
        for view in views
    ]


def _board_digests(instance: Instance, specs: list[m.Spec]) -> dict[str, str]:
    """Each leaderboard's (and variant's) digest: its object as stamped, where it lives."""
    objects = _objects(instance)
    return {
        spec.key: digest(
            {"object": objects, "entity": spec.entity, "project": spec.project, "key": spec.key}
        )
        for spec in specs
        if isinstance(spec, m.Leaderboard)
    }


def _placing(own: str, keys: Sequence[str], boards: Mapping[str, Board]) -> str:
    """The source digest of a view that places the leaderboards `keys`: its own and theirs."""
    if not keys:
        return own
    return digest({"source": own, "boards": [[key, boards[key].digest] for key in keys]})


def _placed_keys(view: m.View) -> tuple[str, ...]:
    if not isinstance(view, m.Report):
        return ()
    return tuple(b.key for b in view.blocks if isinstance(b, m.LeaderboardBlock))


def _add(
    declarations: Declarations,
    where: tuple[int, Path],
    instance: Instance,
    index: int,
    specs: list[m.Spec],
) -> None:
    file, path = where
    for key, board_digest in _board_digests(instance, specs).items():
        declarations.boards[key] = Board(
            path, instance.doc.file, instance.doc.index, index, board_digest
        )
    views = _views(specs)
    digests = _digests(instance, views)
    for number, view in enumerate(views):
        origin = Origin(path, instance.doc.file, instance.doc.index, index, number, file)
        declarations.views.append(
            Declared(
                key=view.key,
                kind=view.kind,
                entity=view.entity,
                project=view.project,
                title=view.title,
                description=view.description,
                source=view.source,
                digest=digests[number],
                origin=origin,
                adopt=view.adopt,
                boards=_placed_keys(view),
            )
        )


def _order(origin: Origin) -> tuple[int, int, int, int]:
    """Spec order: validate's order of files, then the documents, instances and views."""
    return (origin.file, origin.document, origin.instance, origin.view)


def _place(origin: Origin) -> tuple[int, int, int]:
    return (origin.document, origin.instance, origin.view)


def _instances(path: Path, display: str) -> dict[tuple[int, int], Instance]:
    """A file's instances again, as validation saw them (whole numbers made ints)."""
    found: dict[tuple[int, int], Instance] = {}
    for doc in load_file(path, display).documents:
        if doc.data is None:
            continue
        for index, instance in enumerate(expand(doc)[0]):
            whole_numbers(instance)
            found[(doc.index, index)] = instance
    return found


def _reload(
    path: Path, display: str, environ: Mapping[str, str]
) -> tuple[dict[tuple[int, int, int], tuple[m.View, str]], dict[str, tuple[m.Leaderboard, str]]]:
    """A file's views again, each with its own source digest (before `_placing`), and its
    leaderboards, each with its digest."""
    views: dict[tuple[int, int, int], tuple[m.View, str]] = {}
    boards: dict[str, tuple[m.Leaderboard, str]] = {}
    for (document, index), instance in _instances(path, display).items():
        try:
            specs = parse_instances([instance], environ)
        except ReportgenError:
            continue  # not declared: validation or the environment refused it
        digests = _board_digests(instance, specs)
        for spec in specs:
            if isinstance(spec, m.Leaderboard):
                boards[spec.key] = (spec, digests[spec.key])
        parsed = _views(specs)
        for number, pair in enumerate(zip(parsed, _digests(instance, parsed), strict=True)):
            views[(document, index, number)] = pair
    return views, boards


def leaderboards(declarations: Declarations) -> dict[str, m.Leaderboard]:
    """Every leaderboard (and variant) of the specs by key, parsed again from its file: what
    only the spec knows about it (gates, seed group sizes) for `preview`."""
    read: dict[Path, dict[str, tuple[m.Leaderboard, str]]] = {}
    found: dict[str, m.Leaderboard] = {}
    for key, board in declarations.boards.items():
        if board.path not in read:
            read[board.path] = _reload(board.path, board.display, declarations.environ)[1]
        again = read[board.path].get(key)
        if again is not None:
            found[key] = again[0]
    return found
