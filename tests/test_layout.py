"""The package layout stays true: imports go one way, down the pipeline's stages.

`ls reportgen/` reads as the README's pipeline. A folder may import itself and the layers
below it, never one above or beside it; the sandbox stands apart (only the edge starts it)
and imports nothing else of reportgen. The rule is checked by an AST walk over every
module, lazy imports inside functions included, and the checker itself is shown to catch a
deliberate upward import in a synthetic tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"

# Lower number = lower layer. Folders of one rank cannot import each other.
RANKS: dict[str, int] = {
    "base": 0,  # reportgen/__init__.py and problems.py: the one problem type
    "spec": 1,  # YAML with positions, matrix/env, schema, checks, refs, filters, model
    "compile": 2,  # leaderboard sugar, wandb-workspaces objects, filterV2, view JSON, normalize
    "remote": 3,  # credentials, the wandb client, GraphQL calls, identity markers
    "preview": 4,  # runs from W&B, the ranking engine, tables and charts
    "pull": 4,  # view JSON -> spec, round-trip edits of spec files
    "commands": 5,  # one module per verb: plain functions returning results
    "edge": 6,  # cli/ (click, options, output) and demo: options in, text out, exit codes
}
BASE_MODULES = {"__init__", "problems"}
EDGE_FOLDERS = {"cli"}
# The sandbox is a separate program: only the edge may start it, and it imports no layer.
SANDBOX = "sandbox"


def layer_of(module: str, root: Path = PACKAGE) -> str:
    """The layer of a dotted module name inside the package (`reportgen.spec.load` -> spec)."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in BASE_MODULES:
        return "base"
    head = parts[0]
    if head in EDGE_FOLDERS:
        return "edge"
    if len(parts) == 1 and not (root / head).is_dir() and head not in RANKS:
        return "edge"
    return head


def imports_of(path: Path, module: str, root: Path = PACKAGE) -> Iterator[tuple[int, str]]:
    """(line, imported reportgen module) for every import in a file, however deep."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "reportgen":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "reportgen":
                continue
            if target == "reportgen":  # `from reportgen import spec` names submodules
                for alias in node.names:
                    sub = root / alias.name
                    named = sub.is_dir() or sub.with_suffix(".py").is_file()
                    yield node.lineno, f"reportgen.{alias.name}" if named else "reportgen"
            else:
                yield node.lineno, target


def modules(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1] if len(parts) > 1 else parts
        yield path, ".".join(parts)


def violations(root: Path) -> list[str]:
    """Every import that goes up or sideways, as `file:line: a (layer) imports b (layer)`."""
    found = []
    for path, module in modules(root):
        source = layer_of(module, root)
        for line, target in imports_of(path, module, root):
            dest = layer_of(target, root)
            if source == dest:
                continue
            if SANDBOX in (source, dest):
                allowed = source == "edge" and dest == SANDBOX
            elif source not in RANKS or dest not in RANKS:
                allowed = False
            else:
                allowed = RANKS[dest] < RANKS[source]
            if not allowed:
                where = path.relative_to(root.parent)
                found.append(f"{where}:{line}: {module} ({source}) imports {target} ({dest})")
    return found


def test_imports_go_one_way() -> None:
    assert violations(PACKAGE) == []


def test_every_folder_says_what_enters_and_leaves() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.parent.name}/__init__.py has no docstring"
        known = {*RANKS, *EDGE_FOLDERS, SANDBOX}
        assert init.parent.name in known, f"reportgen/{init.parent.name}/ has no layer in RANKS"


def test_the_edge_is_a_handful_of_modules() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in BASE_MODULES)
    assert len(top) <= 8, f"the top of reportgen/ is the edge, not {top}"


def _tree(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "reportgen"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_allows_downward_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "problems.py": "",
            "cli.py": "from reportgen.commands import build\nimport reportgen.sandbox\n",
            "commands/__init__.py": "",
            "commands/build.py": "from reportgen.compile.construct import x\n",
            "compile/__init__.py": "",
            "compile/construct.py": "from reportgen.spec import model\nfrom . import viewspec\n",
            "spec/__init__.py": "",
            "spec/model.py": "from reportgen.problems import Problem\n",
            "sandbox/__init__.py": "from reportgen.sandbox.handle import Sandbox\n",
        },
    )
    assert violations(root) == []


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "spec/model.py",
            "from reportgen.compile.construct import compile_view\n",
            "reportgen/spec/model.py:1: reportgen.spec.model (spec) imports "
            "reportgen.compile.construct (compile)",
        ),
        (
            "spec/model.py",
            "def f():\n    from reportgen import cli\n",
            "reportgen/spec/model.py:2: reportgen.spec.model (spec) imports reportgen.cli (edge)",
        ),
        (
            "compile/construct.py",
            "from ..commands import build\n",
            "reportgen/compile/construct.py:1: reportgen.compile.construct (compile) imports "
            "reportgen.commands (commands)",
        ),
        (
            "sandbox/app.py",
            "import reportgen.spec.model\n",
            "reportgen/sandbox/app.py:1: reportgen.sandbox.app (sandbox) imports "
            "reportgen.spec.model (spec)",
        ),
        (
            "commands/build.py",
            "from reportgen.sandbox import Sandbox\n",
            "reportgen/commands/build.py:1: reportgen.commands.build (commands) imports "
            "reportgen.sandbox (sandbox)",
        ),
        (
            "preview/rank.py",
            "from reportgen.pull import decompile\n",
            "reportgen/preview/rank.py:1: reportgen.preview.rank (preview) imports "
            "reportgen.pull (pull)",
        ),
    ],
)
def test_checker_catches_an_upward_import(
    tmp_path: Path, rel: str, text: str, expected: str
) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "cli.py": "",
            "commands/__init__.py": "",
            "compile/__init__.py": "",
            "spec/__init__.py": "",
            "sandbox/__init__.py": "",
            "preview/__init__.py": "",
            "pull/__init__.py": "",
            rel: text,
        },
    )
    assert violations(root) == [expected]
