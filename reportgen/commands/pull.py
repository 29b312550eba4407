"""`reportgen pull`: W&B views into spec files (and `--key` / `--drifted`: back into them).

`pull_views` decompiles the views some URLs name, or every saved view and report of a
project, into the most natural spec objects (a leaderboard where a workspace/report pair or
one view fits it), each with a unique key; `write_pulled` writes them out without ever
overwriting a file unless forced. Rewriting existing spec files with the live state is
`reportgen.commands.pull_back`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.commands.apply import fetch_listings
from reportgen.commands.files import refuse_directories, write_atomically
from reportgen.compile.normalize import REPORT_TYPE, WORKSPACE_TYPE
from reportgen.problems import ReportgenError
from reportgen.pull.decompile import Decompiled, DecompileError, LiveView, decompile, slug
from reportgen.pull.emit import file_text
from reportgen.pull.leaderboard import fit
from reportgen.pull.names import file_names, safe_key, unique
from reportgen.pull.urls import UrlError, ViewAddress, api_url_for, parse_url, same_server
from reportgen.remote.client import RemoteView
from reportgen.remote.session import DEFAULT_BASE_URL, Session, app_url

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Pulled:
    """The spec objects of a pull, and what could not be said in the spec language."""

    parts: list[Decompiled] = field(default_factory=list)

    @property
    def unrepresented(self) -> list[tuple[Decompiled, str]]:
        return [(p, u.describe()) for p in self.parts for u in p.unrepresented]


def parse_urls(urls: Sequence[str]) -> list[ViewAddress]:
    """Every URL parsed before any request; one error listing the bad ones."""
    addresses, bad = [], []
    for url in urls:
        try:
            addresses.append(parse_url(url))
        except UrlError as exc:
            bad.append(exc.message)
    if bad:
        raise ReportgenError("; ".join(bad))
    return addresses


def server(base_url: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The app URL of the server reportgen would ask, and what chose it (no request made)."""
    url = (base_url or environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if base_url:
        chosen = "--base-url"
    elif environ.get("WANDB_BASE_URL"):
        chosen = "WANDB_BASE_URL"
    else:
        chosen = "W&B's cloud: no --base-url or WANDB_BASE_URL is set"
    if environ.get("WANDB_APP_URL"):
        chosen += ", app URL from WANDB_APP_URL"
    return app_url(url, environ), chosen


def check_servers(addresses: Sequence[ViewAddress], app: str, chosen: str = "") -> None:
    """Every URL must be on the server reportgen talks to (app URL `app`): its views are
    looked up there, and another server's would be "no such view", or the wrong view."""
    bad = [a for a in addresses if not same_server(a, app)]
    if not bad:
        return
    where = ", ".join(f"{a.url} is on {a.host}" for a in bad)
    by = f" ({chosen})" if chosen else ""
    api = api_url_for(bad[0])
    several = " (one server per pull)" if len({a.host for a in bad}) > 1 else ""
    raise ReportgenError(
        f"{where}, but reportgen asks {app}{by}; to pull from {bad[0].host}, "
        f"pass --base-url {api} or set WANDB_BASE_URL={api}{several}"
    )


def parse_project(text: str) -> tuple[str, str]:
    entity, slash, project = text.strip().strip("/").partition("/")
    if not slash or not entity or not project or "/" in project:
        raise ReportgenError(f"--project {text!r}: expected ENTITY/PROJECT")
    return entity, project


def pull_views(
    session: Session,
    *,
    urls: Sequence[str] = (),
    project: str | None = None,
    concurrency: int = 6,
) -> Pulled:
    """Decompile what the URLs name, or (`project`) every view and report of a project."""
    addresses = parse_urls(urls)
    check_servers(addresses, session.app_url)
    scopes: list[tuple[str, str, str]] = [(a.entity, a.project, a.view_type) for a in addresses]
    if project is not None:
        entity, name = parse_project(project)
        scopes += [(entity, name, WORKSPACE_TYPE), (entity, name, REPORT_TYPE)]
    listings = fetch_listings(session.remote, list(dict.fromkeys(scopes)), concurrency)
    chosen: list[RemoteView] = []
    for address in addresses:
        listed = listings.get((address.entity, address.project, address.view_type))
        found = [v for v in listed or [] if address.matches(v.name, v.id)]
        if not found:
            where = f"{address.entity}/{address.project}"
            raise ReportgenError(f"{address.url}: no such view in {where} on {session.app_url}")
        chosen.append(found[0])
    if project is not None:
        entity, name = parse_project(project)
        for view_type in (WORKSPACE_TYPE, REPORT_TYPE):
            if listings.get((entity, name, view_type)) is None:
                raise ReportgenError(f"--project {project}: no such project on {session.app_url}")
            chosen.extend(listings[(entity, name, view_type)] or [])
    unique_views = {(v.type, v.id): v for v in chosen}.values()
    return Pulled(decompile_all([LiveView.of(v) for v in unique_views]))


def decompile_all(views: Sequence[LiveView]) -> list[Decompiled]:
    """Decompile views with unique keys; a workspace and a report of one key (or, made in
    the app, of one title) become one leaderboard when they fit it."""
    groups: dict[str, list[LiveView]] = defaultdict(list)
    for view in views:
        groups[view.key or f"title:{view.title}"].append(view)
    taken = {v.key for v in views if v.key}
    parts: list[Decompiled] = []
    problems: list[str] = []
    for group_key, members in groups.items():
        members.sort(key=lambda v: v.view_type != WORKSPACE_TYPE)
        if group_key.startswith("title:"):
            key = unique(safe_key(slug(members[0].title)), taken)
        else:
            key = group_key
        taken.add(key)
        try:
            parts.extend(_decompile_group(members, key, taken))
        except DecompileError as exc:
            problems.append(exc.message)
    if problems:
        raise ReportgenError("; ".join(problems))
    return parts


def _decompile_group(members: list[LiveView], key: str, taken: set[str]) -> list[Decompiled]:
    by_type: dict[str, list[LiveView]] = defaultdict(list)
    for view in members:
        by_type[view.view_type].append(view)
    # One of each type can share the key; more (duplicates) each get a key of their own.
    first = [views[0] for views in by_type.values()]
    rest = [v for views in by_type.values() for v in views[1:]]
    singles = [decompile(v, key) for v in first]
    board = fit(singles)
    out: list[Decompiled] = []
    if board is not None:
        out.append(board)
    else:
        for index, part in enumerate(singles):
            if index and len(singles) > 1:
                part = _renamed(part.views[0], unique(f"{key}-{part.kind}", taken), taken)
            out.append(_alone(part))
    for view in rest:
        out.append(_alone(_renamed(view, unique(key, taken), taken)))
    return out


def _renamed(view: LiveView, key: str, taken: set[str]) -> Decompiled:
    """A view decompiled under a key of its own; apply adopts it under that key."""
    taken.add(key)
    part = decompile(view, key)
    if view.managed and view.id and "adopt" not in part.body:
        part = decompile(LiveView(**{**view.__dict__, "key": None}), key)
    return part


def _alone(part: Decompiled) -> Decompiled:
    return fit([part]) or part


def refuse_unrepresented(pulled: Pulled) -> None:
    """--strict: what the spec language cannot say is an error, nothing is written."""
    found = pulled.unrepresented
    if found:
        lines = "; ".join(f"{p.kind} {p.key!r}: {text}" for p, text in found)
        raise ReportgenError(
            f"{len(found)} part(s) of the views cannot be said in the spec language "
            f"(--strict): {lines}"
        )


def targets(pulled: Pulled, output: Path) -> list[tuple[Path, list[Decompiled]]]:
    """Where each object goes: all in one file (`-o x.yaml`) or one file each (`-o DIR`)."""
    if output.suffix.lower() in YAML_SUFFIXES and not output.is_dir():
        return [(output, pulled.parts)]
    names = file_names(p.key for p in pulled.parts)
    return [(output / name, [part]) for name, part in zip(names, pulled.parts, strict=True)]


def write_pulled(pulled: Pulled, output: Path, *, force: bool = False) -> list[Path]:
    """Write the spec files; refuse (before writing any) to overwrite one unless `force`."""
    planned = targets(pulled, output)
    existing = [str(path) for path, _ in planned if path.exists()]
    if existing and not force:
        if len(existing) == 1:
            said = f"{existing[0]} exists; pass --force to overwrite it"
        else:
            names = f"{', '.join(existing[:-1])} and {existing[-1]}"
            said = f"{names} exist; pass --force to overwrite them"
        raise ReportgenError(f"{said}, or choose another -o")
    written: list[Path] = []
    try:
        refuse_directories(path for path, _ in planned)
        for path, parts in planned:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, file_text(parts, path))
            written.append(path)
    except OSError as exc:
        raise ReportgenError(f"cannot write {exc.filename or output}: {exc.strerror}") from None
    return written
