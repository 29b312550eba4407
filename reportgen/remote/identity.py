"""How reportgen recognises its views on W&B without a state file.

A managed view carries a marker line in its description (apply writes it last; it is
found on any line, so text added below it in the W&B app does not orphan the view):

    managed by reportgen · key=cifar10 · applied=3f2a9c0d41b7e655 · source=9b1c2d3e4f506172

`key` is the object's stable key; `applied` is the first 16 hex digits of the sha256 of the
view as last applied (title, description and normalised spec). When W&B's copy no longer
hashes to `applied`, someone edited it in the app since: that is drift. `source` is the
digest of what that view was compiled from (`source_digest`): when it still matches the
spec and W&B's copy still hashes to `applied`, the view is unchanged and nothing needs to
be compiled to know it. Markers written before `source` existed still parse (without it).

New views get a deterministic internal name derived from their identity, so a create that
is retried after a lost response names the same view instead of making a second one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import reportgen
from reportgen.compile.normalize import canonical_json

MARKER_PREFIX = "managed by reportgen"
_MARKER = re.compile(
    r"^\s*managed by reportgen · key=(?P<key>[A-Za-z0-9._-]+) · applied=(?P<digest>[0-9a-f]{16,64})"
    r"(?: · source=(?P<source>[0-9a-f]{16,64}))?\s*$"
)
DIGEST_LENGTH = 16


@dataclass(frozen=True)
class Marker:
    key: str
    digest: str
    source: str | None = None  # None in markers written before source digests

    def __str__(self) -> str:
        tail = f" · source={self.source}" if self.source else ""
        return f"{MARKER_PREFIX} · key={self.key} · applied={self.digest}{tail}"


def _find(description: str) -> tuple[int, Marker] | None:
    """The last marker line of a description: its index among the lines, and the marker."""
    lines = description.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        match = _MARKER.match(lines[index])
        if match:
            return index, Marker(match["key"], match["digest"], match["source"])
    return None


def parse_marker(description: str) -> Marker | None:
    """The marker of a description, on whatever line it stands."""
    found = _find(description)
    return found[1] if found else None


def user_description(description: str) -> str:
    """The description without its marker line, trailing white space removed (both sides of a
    comparison go through here, so a YAML block scalar's final newline is not a change)."""
    found = _find(description)
    if found is None:
        return description.rstrip()
    lines = description.split("\n")
    del lines[found[0]]
    return "\n".join(lines).strip("\n").rstrip()


def with_marker(description: str, marker: Marker) -> str:
    text = description.rstrip()
    return f"{text}\n\n{marker}" if text else str(marker)


def view_document(display_name: str, description: str, spec: dict[str, Any]) -> dict[str, Any]:
    """What a view is, for diffs and hashes: its title, its own description, its normalised spec."""
    return {"displayName": display_name, "description": user_description(description), "spec": spec}


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def source_digest(source: dict[str, Any]) -> str:
    """What a view is compiled from, as a digest: `source` (the object as the spec states it,
    after matrix stamping and with the environment read, and which of its views this is)
    and the compiler (`compiler_fingerprint`). Equal digests compile to equal views, so an
    object whose marker holds this digest need not be compiled again."""
    return digest({"compiler": compiler_fingerprint(), "source": source})


def unchanged(marker: Marker | None, source: str, remote_doc: dict[str, Any]) -> bool:
    """Whether a view is known unchanged without compiling: W&B's copy is what reportgen
    applied (`applied`), and it was compiled from what the spec says now (`source`)."""
    return marker is not None and marker.source == source and marker.digest == digest(remote_doc)


@cache
def compiler_fingerprint() -> str:
    """reportgen's version with a digest of the code between a spec and its view (a checkout
    changes code without a new version): the parser and model, the compiler; and
    wandb-workspaces' version, read without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    package = Path(__file__).resolve().parents[1]
    code = hashlib.sha256()
    for path in sorted([*(package / "compile").glob("*.py"), *(package / "spec").glob("*.py")]):
        code.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        library = version("wandb-workspaces")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        library = "unknown"
    return f"reportgen {reportgen.__version__}+{code.hexdigest()[:16]}; wandb-workspaces {library}"


def view_name(entity: str, project: str, view_type: str, key: str) -> str:
    """A deterministic internal name: workspaces `nw-<11 chars>-v` as the app names them."""
    seed = hashlib.sha256(f"{entity}/{project}/{view_type}/{key}".encode()).hexdigest()
    short = format(int(seed[:16], 16), "x")[:11].rjust(11, "0")
    return f"nw-{short}-v" if view_type == "project-view" else f"rg{short}"


def view_url(
    app_url: str, entity: str, project: str, view_type: str, name: str, view_id: str, title: str
) -> str:
    """The W&B app URL of a view (a workspace `?nw=`, a report `/reports/<title>--<id>`)."""
    place = f"{app_url}/{quote(entity, safe='')}/{quote(project, safe='')}"
    if view_type == "project-view":
        return f"{place}?nw={quote(_nw(name), safe='')}"
    slug = re.sub(r"\W+", "-", title).strip("-") or "report"
    return f"{place}/reports/{quote(slug, safe='-')}--{quote(view_id.rstrip('='), safe='')}"


def workspace_url(workspace: Any) -> str:
    """The URL of a saved `ws.Workspace`, without the library's bug in `Workspace.url`.

    The library removes every "nw-" and "-v" from the internal name, so a random id that
    ends in "nw" (about one in 1,300) gives a URL naming no view (REPORT.md 3).
    """
    base = str(workspace.url).split("?", 1)[0]
    return f"{base}?nw={_nw(str(workspace._internal_name))}"


def _nw(name: str) -> str:
    """The `?nw=` of a workspace's internal name `nw-<id>-v`: exactly one prefix and suffix off."""
    return name.removeprefix("nw-").removesuffix("-v")
