"""`reportgen validate`: load, stamp, schema-check and semantically check spec files.

Pure library code: returns problems and the objects found, never prints or exits.
It must not import wandb (its start-up time would dominate a pre-commit hook).

Memory stays constant per file: each file is loaded, checked and released; what the
cross-file checks need (each object's key, kind and position, and each leaderboard block's
key and position) is all that is kept. A
caller that needs more (build, plan) receives each clean instance through `on_instance`
while its file is still loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.problems import Level, Problem, has_errors
from reportgen.spec.checks import check
from reportgen.spec.expand import KINDS, Instance, expand
from reportgen.spec.files import find_spec_files
from reportgen.spec.load import JsonPath, load_file
from reportgen.spec.refs import did_you_mean
from reportgen.spec.schema import matrix_problems, schema_problems, whole_numbers

DEFAULT_PATHS = (Path("specs"),)


@dataclass(frozen=True)
class ObjectRef:
    """Where an object with a key was declared (for duplicate detection and listings), and
    where it will live as written (`entity` None: the default entity)."""

    key: str
    kind: str
    file: str
    line: int
    col: int
    label: str = ""
    entity: str | None = None
    project: str = ""


@dataclass(frozen=True)
class BlockRef:
    """Where a report's `- leaderboard: KEY` block names a leaderboard (checked at the end)."""

    key: str
    file: str
    line: int
    col: int
    label: str = ""


@dataclass
class ValidationResult:
    files: list[str] = field(default_factory=list)
    objects: list[ObjectRef] = field(default_factory=list)
    leaderboard_blocks: list[BlockRef] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


OnInstance = Callable[[Path, Instance, int], None]


def validate_paths(
    paths: Sequence[str | os.PathLike[str]] = DEFAULT_PATHS,
    on_instance: OnInstance | None = None,
) -> ValidationResult:
    """Validate files and directories (directories: their *.yaml / *.yml, recursively).

    A path that is missing, empty, unreadable or not a regular file, and a directory that
    cannot be listed, is an error (RG001): validation then fails, so that nothing is built
    or applied from a partial view of the specs.

    `on_instance(path, instance, index)` receives every instance without errors of its
    own (the `index`-th of its document), whole numbers made ints, while its file is loaded;
    problems across files (duplicate keys, leaderboard blocks) are known only at the end.
    """
    result = ValidationResult()
    found = find_spec_files(paths)
    for where, message in found.problems:
        result.problems.append(Problem(_display(where), 1, 1, "RG001", message))
    if not found.files and not result.problems:
        where = ", ".join(_display(p) for p in paths) or "."
        result.problems.append(Problem(where, 1, 1, "RG001", "no spec files (*.yaml, *.yml) found"))
    for file in found.files:
        _validate_file(file, result, on_instance)
    _check_duplicate_keys(result)
    _check_leaderboard_blocks(result)
    result.problems = sorted(set(result.problems))
    return result


def _validate_file(path: Path, result: ValidationResult, on_instance: OnInstance | None) -> None:
    name = _display(path)
    result.files.append(name)
    loaded = load_file(path, name)
    result.problems.extend(loaded.problems)
    documents = [d for d in loaded.documents if d.data is not None]
    if not documents and not loaded.problems:
        result.problems.append(
            Problem(name, 1, 1, "RG008", "file holds no spec documents", Level.WARNING)
        )
    for doc in documents:
        instances, problems = expand(doc)
        result.problems.extend(problems)
        if isinstance(doc.data, dict) and "matrix" in doc.data:
            result.problems.extend(matrix_problems(doc))
        seen: set[tuple[int, int, str, str]] = set()
        for index, instance in enumerate(instances):
            shape = schema_problems(instance)
            own = [*shape, *check(instance)]
            for problem in own:
                # A template's mistake shows in every matrix instance: report it once.
                unlabelled = problem.message.replace(instance.label, "")
                if (problem.line, problem.col, problem.code, unlabelled) not in seen:
                    seen.add((problem.line, problem.col, problem.code, unlabelled))
                    result.problems.append(problem)
            if not shape:
                whole_numbers(instance)
                result.objects.extend(_objects(instance))
                result.leaderboard_blocks.extend(_leaderboard_blocks(instance))
                if on_instance is not None and not has_errors(own):
                    on_instance(path, instance, index)


def _check_duplicate_keys(result: ValidationResult) -> None:
    """Keys are unique across all specs, and unique ignoring case: build writes one file per
    key, and on case-insensitive file systems (macOS, Windows) `A` and `a` are one file."""
    first: dict[str, ObjectRef] = {}
    reported: set[tuple[str, int, int]] = set()
    for obj in result.objects:
        seen = first.setdefault(obj.key.lower(), obj)
        if seen is obj:
            continue
        # A key without ${{ matrix.x }} repeats in every instance: report it once.
        position = (obj.file, obj.line, obj.col)
        if position in reported:
            continue
        reported.add(position)
        where = f"{seen.file}:{seen.line}:{seen.col}"
        if seen.key == obj.key:
            msg = f"duplicate key {obj.key!r}: also used at {where}{obj.label}"
        else:
            msg = (
                f"key {obj.key!r} differs from {seen.key!r} (at {where}) only in case: "
                "build writes one file per key, and macOS and Windows file systems "
                f"would take them for one; rename one of them{obj.label}"
            )
        result.problems.append(Problem(obj.file, obj.line, obj.col, "RG401", msg))


def _check_leaderboard_blocks(result: ValidationResult) -> None:
    """A report's `- leaderboard: KEY` names a leaderboard (or a variant) among the specs."""
    kinds = {obj.key: obj.kind for obj in result.objects}
    boards = [key for key, kind in kinds.items() if kind == "leaderboard"]
    reported: set[tuple[str, int, int]] = set()
    for block in result.leaderboard_blocks:
        key = block.key
        if kinds.get(key) == "leaderboard":
            continue
        if (block.file, block.line, block.col) in reported:
            continue
        reported.add((block.file, block.line, block.col))
        if key in kinds:
            msg = f"{key!r} is a {kinds[key]}, not a leaderboard: a leaderboard block places a leaderboard or one of its variants"
        else:
            hint = did_you_mean(key, boards) or (
                "; validate the report together with the spec that declares it"
            )
            msg = f"no leaderboard has the key {key!r}{hint}"
        result.problems.append(
            Problem(block.file, block.line, block.col, "RG402", msg + block.label)
        )


def _leaderboard_blocks(instance: Instance) -> list[BlockRef]:
    body = instance.data.get("report")
    blocks = body.get("blocks") if isinstance(body, dict) else None
    found: list[BlockRef] = []
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        key = block.get("leaderboard") if isinstance(block, dict) else None
        if isinstance(key, str):
            line, col = instance.doc.position(("report", "blocks", i, "leaderboard"))
            found.append(BlockRef(key, instance.doc.file, line, col, instance.label))
    return found


def _objects(instance: Instance) -> list[ObjectRef]:
    found: list[ObjectRef] = []
    for kind in KINDS:
        body = instance.data.get(kind)
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            continue
        entity = None if body.get("entity") is None else str(body.get("entity"))
        project = str(body.get("project"))
        keys: list[tuple[str, JsonPath]] = [(body["key"], (kind, "key"))]
        for i, variant in enumerate(body.get("variants") or []):
            if isinstance(variant, dict) and isinstance(variant.get("key"), str):
                keys.append((variant["key"], (kind, "variants", i, "key")))
        for key, path in keys:
            line, col = instance.doc.position(path)
            found.append(
                ObjectRef(key, kind, instance.doc.file, line, col, instance.label, entity, project)
            )
    return found


def _display(path: str | os.PathLike[str]) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    text = os.fspath(path)
    if text == "":
        return "''"
    try:
        return (
            os.path.relpath(text)
            if os.path.isabs(text) and Path.cwd() in Path(text).parents
            else text
        )
    except (ValueError, OSError):  # another drive on Windows; a deleted working directory
        return text
