"""`reportgen pull --key KEY` / `--drifted`: an edit made in the W&B app, into the spec file.

For each chosen object the live views are decompiled into the object's own form (a
leaderboard stays a leaderboard, a variant stays a variant) and merged into the file it
came from with `pull.rewrite`, so the rest of the file (comments, key order, other
documents, anchors) stays as it was. Only the fields the live view needs change
(`pull.edits`): one that reads otherwise but means the same once normalised (a default
wandb-workspaces writes, the spec's own spelling) keeps the file's text. Every rewrite is checked before it is written: the
rewritten file must compile the chosen objects to exactly the live views and every other
object to exactly what it compiled to before. An object whose live edit does not fit its
template (a matrix, a leaderboard, a variant, a value shared through an anchor) is
reported instead.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.commands.build import build_views
from reportgen.commands.files import write_atomically
from reportgen.commands.plan import Change, Plan, local_document
from reportgen.commands.review import declared_view, live_view
from reportgen.compile.filterv2 import to_v2
from reportgen.compile.normalize import WORKSPACE_TYPE, normalize
from reportgen.problems import ReportgenError
from reportgen.pull.decompile import Decompiled, DecompileError, decompile
from reportgen.pull.edits import Edit, applied, edits
from reportgen.pull.leaderboard import fit, misfit
from reportgen.pull.refs import filter_text
from reportgen.pull.residue import same
from reportgen.pull.rewrite import Rewriter, merge
from reportgen.remote.identity import view_document
from reportgen.spec import model as m
from reportgen.spec.filters import BoolOp

_KEEP = ("key", "entity", "project", "variants", "adopt")


@dataclass
class PullBack:
    rewritten: dict[str, list[str]] = field(default_factory=dict)  # file -> keys
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # key, why

    @property
    def failed(self) -> bool:
        return bool(self.refused)

    def lines(self) -> list[str]:
        out = [f"rewrote {file}: {', '.join(keys)}" for file, keys in self.rewritten.items()]
        out += [f"unchanged {key}: the spec already says what W&B has" for key in self.unchanged]
        out += [f"not rewritten {key}: {why}" for key, why in self.refused]
        if not out:
            out.append("nothing to pull: no object was edited in W&B since the last apply")
        return out


def chosen(plan: Plan, keys: Sequence[str], drifted: bool) -> dict[str, list[Change]]:
    """The changes of the objects to pull back, by key (a leaderboard has two)."""
    by_key: dict[str, list[Change]] = defaultdict(list)
    for change in plan.changes:
        if change.declared is not None:  # not a delete (and not compiled just to know that)
            by_key[change.key].append(change)
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ReportgenError(f"--key {', '.join(unknown)}: no spec declares it")
    wanted = set(keys)
    if drifted:
        wanted |= {k for k, cs in by_key.items() if any(c.action == "drifted" for c in cs)}
    return {k: by_key[k] for k in sorted(wanted)}


def pull_back(
    plan: Plan, *, keys: Sequence[str] = (), drifted: bool = False, strict: bool = False
) -> PullBack:
    result = PullBack()
    targets = chosen(plan, keys, drifted)
    files: dict[str, list[str]] = defaultdict(list)
    for key, changes in targets.items():
        missing = [c for c in changes if c.remote is None]
        if missing:
            result.refused.append((key, f"its {missing[0].kind} is not on W&B (apply creates it)"))
        elif all(c.action == "unchanged" for c in changes):
            result.unchanged.append(key)
        else:
            files[str(changes[0].declared.source.file)].append(key)  # type: ignore[union-attr]
    for file, file_keys in files.items():
        _rewrite_file(Path(file), file_keys, plan, targets, result, strict)
    return result


def _expected(change: Change) -> dict[str, Any]:
    live = live_view(change)
    return view_document(live.title, live.description, normalize(live.spec, live.view_type))


def _decompiled(key: str, changes: list[Change], kind: str) -> Decompiled:
    changes = sorted(changes, key=lambda c: c.view_type != WORKSPACE_TYPE)
    parts = [decompile(live_view(c), key) for c in changes]
    if kind != "leaderboard":
        return parts[0]
    board = fit(parts)
    if board is None:
        local = [decompile(declared_view(c), key) for c in changes]
        raise DecompileError(
            f"W&B's views no longer fit the leaderboard: {misfit(parts, local)}; "
            + _by_hand(changes)
        )
    return board


def _by_hand(changes: list[Change]) -> str:
    """What to do instead: edit the YAML, or pull the edited views as specs of their own."""
    edited = [c for c in changes if c.action == "drifted" and c.url]
    edited = edited or [c for c in changes if c.url]
    kinds = dict.fromkeys(c.kind for c in edited)
    if not kinds:
        return "edit the YAML by hand"
    urls = " ".join(str(c.url) for c in edited)
    plain = "a plain spec" if len(edited) == 1 else "plain specs"
    return f"edit the YAML by hand, or pull the {' and '.join(kinds)} as {plain}: reportgen pull {urls}"


@dataclass
class _Target:
    """One object to rewrite: where its `key:` is, what the file says, what it should say,
    and the edits between the two."""

    key: str
    line: int
    old: dict[str, Any]
    desired: dict[str, Any]
    edits: list[Edit]


def _rewrite_file(
    path: Path,
    keys: list[str],
    plan: Plan,
    targets: dict[str, list[Change]],
    result: PullBack,
    strict: bool,
) -> None:
    try:
        original = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportgenError(f"cannot read {path}: {exc.strerror}") from None
    rewriter = Rewriter(original)
    found: list[_Target] = []
    for key in keys:
        changes = targets[key]
        built = changes[0].built
        assert built is not None
        located = rewriter.locate(built.view.source.line)
        if located is None:
            result.refused.append((key, "generated by a matrix; edit its template by hand"))
            continue
        _, node, where = located
        kind = where.split(".")[0]
        try:
            part = _decompiled(key, changes, kind)
        except DecompileError as exc:
            result.refused.append((key, exc.message))
            continue
        if strict and part.unrepresented:
            result.refused.append((key, "W&B holds parts the spec cannot say (--strict)"))
            continue
        desired = _desired(part, where, node, built.view)
        if desired is None:
            result.refused.append(
                (
                    key,
                    f"W&B's filter ({part.body.get('filter', 'none')}) is no longer the "
                    f"leaderboard's filter and-ed with the variant's own; {_by_hand(changes)}",
                )
            )
            continue
        old = _plain(node)
        wanted = [e for e in edits(old, desired) if e.path[0] not in _KEEP]
        found.append(_Target(key, built.view.source.line, old, desired, wanted))
    if not found:
        return
    done = [t.key for t in found]
    text = _smallest(rewriter, found, lambda t: _checks(t, path, plan, targets, done))
    if text is None:
        for key in done:
            result.refused.append(
                (
                    key,
                    "the live edit does not fit its template (it would change other objects or "
                    f"not reproduce W&B's view); {_by_hand(targets[key])}",
                )
            )
        return
    if text != original:
        write_atomically(path, text)
    result.rewritten[str(path)] = done


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _desired(part: Decompiled, where: str, node: Any, view: m.View) -> dict[str, Any] | None:
    body = dict(part.body)
    body.pop("adopt", None)
    for name in ("entity", "project"):  # the spec's own spelling (${WANDB_ENTITY}) stays
        if name in node:
            body[name] = _plain(node[name])
        else:
            body.pop(name, None)
    if "." not in where:
        return body
    # A variant: the leaderboard's filter and-ed with its own; the rest is the leaderboard's
    # (the check after the rewrite makes sure of it).
    extra = _variant_filter(str(body.get("filter", "")), view)
    if extra is None:
        return None
    wanted: dict[str, Any] = {"key": body["key"]}
    if "title" in node or body["title"] != view.title:
        wanted["title"] = body["title"]
    wanted["filter"] = extra
    return wanted


def _filter_of(view: m.View) -> m.Filter | None:
    if isinstance(view, m.Workspace):
        return view.runset.filter
    grids = [b for b in view.blocks if isinstance(b, m.PanelGrid)]
    return grids[0].runsets[0].filter if grids and grids[0].runsets else None


def _variant_filter(text: str, view: m.View) -> str | None:
    """The variant's own part of a decompiled filter `text`, or None."""
    current = _filter_of(view)
    tree = current.tree if current is not None else None
    if not isinstance(tree, BoolOp) or tree.op != "and" or len(tree.items) != 2:
        return None
    base = filter_text(to_v2(tree.items[0]))
    if base is None:
        return None
    for prefix in (f"{base} and ", f"({base}) and "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return None


def _render(rewriter: Rewriter, found: list[_Target], chosen: set[int]) -> str:
    """The file with only the `chosen` edits (by id) made."""
    fresh = rewriter.again()
    for target in found:
        located = fresh.locate(target.line)
        assert located is not None
        _, node, _ = located
        made = [e for e in target.edits if id(e) in chosen]
        for gone in merge(node, target.old, applied(target.old, target.desired, made)):
            del node[gone]
    return fresh.render()


def _smallest(
    rewriter: Rewriter, found: list[_Target], checks: Callable[[str], bool]
) -> str | None:
    """The rewritten text that checks out with the fewest edits: the live view decompiled
    says some things (a default, a spelling) differently from the file although both mean
    the same once normalised; those parts keep the file's own text."""
    every = [e for t in found for e in t.edits]
    chosen = {id(e) for e in every}
    text = _render(rewriter, found, chosen)
    if not checks(text):
        chosen = {id(e) for e in every if not e.removes}  # what the author wrote may matter
        text = _render(rewriter, found, chosen)
        if not checks(text):
            return None
    for edit in every:
        if id(edit) not in chosen:
            continue
        candidate = _render(rewriter, found, chosen - {id(edit)})
        if checks(candidate):
            chosen.discard(id(edit))
            text = candidate
    return text


def _checks(
    text: str, path: Path, plan: Plan, targets: dict[str, list[Change]], done: list[str]
) -> bool:
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    environ = dict(os.environ)
    for change in plan.changes:
        if change.declared is None or change.source is None:
            continue
        if Path(change.declared.source.file).resolve() != path.resolve():
            continue
        environ.setdefault("WANDB_ENTITY", change.entity)
        wanted = _expected(change) if change.key in done else change.local_doc
        expected[(change.key, change.view_type)] = wanted or {}
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / path.name
        candidate.write_text(text, encoding="utf-8")
        try:
            views = build_views([candidate], environ=environ)
        except ReportgenError:
            return False
    got = {(v.key, v.view_type): local_document(v) for v in views}
    return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in got)
