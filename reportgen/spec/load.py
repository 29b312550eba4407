"""Safe YAML loading that remembers where every value came from.

PyYAML composes a node graph with marks; we construct plain JSON-like values from it
ourselves so that we can (a) record each value's 1-based line and column by JSON path,
(b) reject duplicate keys, which PyYAML accepts silently, (c) bound alias expansion
(a billion-laughs file is an error, not a hang), and (d) refuse every tag outside the
JSON-like core: no Python objects, no binary, no sets.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reportgen.problems import Level, Problem
from reportgen.spec.files import describe_os_error, file_kind
from reportgen.spec.positions import LineMap, char_positions
from reportgen.spec.syntax import syntax_problem

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}
# A C1 control character libyaml lets through: YAML 1.1 reads it as a line break, editors
# show nothing at all (it is what Windows-1252's '…' becomes when decoded as Latin-1).
_NEL = "\x85"

_constructor = yaml.constructor.SafeConstructor()
# Called directly, not through construct_object, which would keep every node in a cache.
_CONSTRUCT = {
    _INT: _constructor.construct_yaml_int,
    _FLOAT: _constructor.construct_yaml_float,
    _BOOL: _constructor.construct_yaml_bool,
    _NULL: _constructor.construct_yaml_null,
}


@dataclass
class Document:
    """One YAML document: its value and the node of every value and key, by JSON path."""

    file: str
    index: int
    data: Any
    linemap: LineMap
    nodes: dict[JsonPath, yaml.Node] = field(default_factory=dict)
    key_nodes: dict[JsonPath, yaml.Node] = field(default_factory=dict)

    def position(self, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key; nearest ancestor if absent."""
        if key and path in self.key_nodes:
            return self.mark(self.key_nodes[path])
        for depth in range(len(path), -1, -1):
            node = self.nodes.get(path[:depth])
            if node is not None:
                return self.mark(node)
        return (1, 1)

    def mark(self, node: yaml.Node) -> tuple[int, int]:
        """1-based (line, col) where a node starts, as an editor counts lines."""
        return self.linemap.mark(node.start_mark)

    def scalar_position(self, path: JsonPath, offset: int) -> tuple[int, int]:
        """1-based (line, col) of character `offset` of the string scalar at `path`."""
        node = self.nodes.get(path)
        if not isinstance(node, yaml.ScalarNode):
            return self.position(path)
        table = char_positions(node, self.linemap.yaml_lines, self.linemap.yaml_breaks)
        if not 0 <= offset < len(table):
            return self.mark(node)
        return self.linemap.editor(*table[offset])

    def problem(
        self,
        path: JsonPath,
        code: str,
        message: str,
        *,
        key: bool = False,
        offset: int | None = None,
        level: Level = Level.ERROR,
    ) -> Problem:
        if offset is None:
            line, col = self.position(path, key=key)
        else:
            line, col = self.scalar_position(path, offset)
        return Problem(self.file, line, col, code, message, level)


@dataclass
class LoadResult:
    documents: list[Document]
    problems: list[Problem]


class _LoadError(Exception):
    def __init__(self, node: yaml.Node | None, code: str, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.code = code
        self.message = message


# Opening never blocks: a FIFO that slipped in after the check opens at once, and is refused.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def load_file(path: Path, display: str | None = None) -> LoadResult:
    """Read and load one spec file; every failure becomes a problem, nothing raises.

    Only regular files are read: a FIFO would block, a device never ends."""
    name = display if display is not None else os.fspath(path)

    def failed(message: str, code: str = "RG001") -> LoadResult:
        return LoadResult([], [Problem(name, 1, 1, code, message)])

    if os.fspath(path) == "":
        return failed("empty path: name a file or directory")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return failed(describe_os_error(path, exc))
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a socket: ENXIO
            return failed(f"not a regular file ({file_kind(mode)})")
        return failed(describe_os_error(path, exc))
    try:
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISDIR(info.st_mode):
                return failed("is a directory")
            if not stat.S_ISREG(info.st_mode):
                return failed(f"not a regular file ({file_kind(info.st_mode)})")
            if info.st_size > MAX_FILE_BYTES:
                msg = f"file is {info.st_size} bytes; spec files are limited to {MAX_FILE_BYTES} bytes"
                return failed(msg, "RG003")
            raw = stream.read(MAX_FILE_BYTES + 1)  # bounded: the file may be growing
    except OSError as exc:
        return failed(describe_os_error(path, exc))
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> LoadResult:
    if len(raw) > MAX_FILE_BYTES:
        msg = f"file is {len(raw)} bytes; spec files are limited to {MAX_FILE_BYTES} bytes"
        return LoadResult([], [Problem(name, 1, 1, "RG003", msg)])
    if b"\x00" in raw:
        line, col = _byte_position(raw, raw.index(b"\x00"))
        return LoadResult([], [Problem(name, line, col, "RG002", "binary file (NUL byte)")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        msg = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})"
        return LoadResult([], [Problem(name, line, col, "RG002", msg)])
    return load_text(text.removeprefix("\ufeff"), name)


def _byte_position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based line and column of byte `index`, in characters and lines as editors count."""
    before = raw[:index].decode("utf-8", "replace").removeprefix("\ufeff")
    return LineMap(before).at(len(before))


def load_text(text: str, name: str) -> LoadResult:
    """Load every document of a YAML text."""
    documents: list[Document] = []
    linemap = LineMap(text)
    if _NEL in text:
        line, col = linemap.at(text.index(_NEL))
        msg = (
            "character U+0085 is not allowed in YAML (a control character: YAML reads it as "
            "a line break, editors show nothing)"
        )
        return LoadResult(documents, [Problem(name, line, col, "RG002", msg)])
    try:
        for index, root in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if root is None:
                continue
            doc = Document(name, index, None, linemap)
            try:
                doc.data = _Builder(doc).build(root)
            except _LoadError as exc:
                line, col = doc.mark(exc.node) if exc.node is not None else (1, 1)
                return LoadResult(documents, [Problem(name, line, col, exc.code, exc.message)])
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        return LoadResult(documents, [syntax_problem(name, exc, text, linemap)])
    except yaml.reader.ReaderError as exc:  # libyaml gives a byte offset into UTF-8
        index = len(
            text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "replace")
        )
        line, col = linemap.at(index)
        char = exc.character
        what = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        msg = f"character {what} is not allowed in YAML (a control character)"
        return LoadResult(documents, [Problem(name, line, col, "RG002", msg)])
    except UnicodeEncodeError as exc:  # lone surrogates, from callers passing str
        line, col = linemap.at(exc.start)
        return LoadResult(documents, [Problem(name, line, col, "RG002", "not valid Unicode")])
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        return LoadResult(documents, [Problem(name, 1, 1, "RG004", f"YAML error: {exc}")])
    except RecursionError:
        return LoadResult(documents, [Problem(name, 1, 1, "RG006", "YAML nested too deeply")])
    return LoadResult(documents, [])


class _Builder:
    """Constructs JSON-like values from nodes, recording positions by path."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()
        self.built: set[int] = set()
        self.alias: JsonPath | None = None  # the outermost alias being expanded

    def build(self, node: yaml.Node, path: JsonPath = ()) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._too_big(node)
        if len(path) > MAX_DEPTH:
            raise _LoadError(node, "RG006", f"nested deeper than {MAX_DEPTH} levels")
        self.doc.nodes[path] = node
        if id(node) in self.active:
            raise _LoadError(node, "RG006", "recursive alias: a node contains itself")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        outermost = self.alias is None and id(node) in self.built
        if outermost:
            self.alias = path
        self.built.add(id(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    raise _LoadError(node, "RG007", f"unsupported tag {node.tag}")
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
            if outermost:
                self.alias = None
        raise _LoadError(node, "RG004", "unexpected YAML node")  # pragma: no cover

    def _too_big(self, node: yaml.Node) -> _LoadError:
        """Point a billion-laughs file at the alias that blows up, not deep inside its anchor."""
        alias = self.alias
        if alias is None:
            return _LoadError(node, "RG006", f"document has more than {MAX_NODES} values")
        where = (
            self.doc.key_nodes[alias] if isinstance(alias[-1], str) else self.doc.nodes[alias[:-1]]
        )
        msg = f"aliases here expand to more than {MAX_NODES} values"
        return _LoadError(where, "RG006", msg)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise _LoadError(node, "RG007", f"unsupported tag {node.tag}; only plain YAML data")
        if node.tag in (_STR, _TIMESTAMP):
            return node.value
        try:
            value = _CONSTRUCT[node.tag](node)
        except (yaml.YAMLError, ValueError, ArithmeticError, LookupError):  # e.g. "!!int" alone
            raise _LoadError(
                node, "RG007", f"invalid {node.tag.rsplit(':', 1)[-1]}: {node.value!r}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _LoadError(node, "RG007", f"{node.value!r} is not a number JSON can hold")
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        if node.tag != _MAP:
            raise _LoadError(node, "RG007", f"unsupported tag {node.tag}")
        result: dict[str, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        merge_key: yaml.Node | None = None
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                if merge_key is not None:
                    line, col = self.doc.mark(merge_key)
                    msg = (
                        f"duplicate merge key '<<' (first at line {line}, column {col}); "
                        "merge several mappings with one: '<<: [*a, *b]'"
                    )
                    raise _LoadError(key_node, "RG005", msg)
                merge_key = key_node
                merged.extend(self._merge_pairs(key_node, value_node, set()))
                continue
            key = self._key(key_node)
            child = (*path, key)
            if key in result:
                line, col = self.doc.mark(self.doc.key_nodes[child])
                msg = f"duplicate key {key!r} (first defined at line {line}, column {col})"
                raise _LoadError(key_node, "RG005", msg)
            self.doc.key_nodes[child] = key_node
            result[key] = self.build(value_node, child)
        for key_node, value_node in merged:
            key = self._key(key_node)
            if key not in result:
                child = (*path, key)
                self.doc.key_nodes[child] = key_node
                result[key] = self.build(value_node, child)
        return result

    def _merge_pairs(
        self, key: yaml.Node, node: yaml.Node, seen: set[int]
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        """The pairs a merge key brings in, highest precedence first (as PyYAML flattens them):
        each source's own keys, then what its own merge keys bring in."""
        if isinstance(node, yaml.MappingNode):
            sources = [node]
        elif isinstance(node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in node.value
        ):
            sources = list(node.value)
        else:
            raise _LoadError(key, "RG007", "a merge key '<<' needs a mapping or a list of mappings")
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for source in sources:
            if source.tag != _MAP:
                raise _LoadError(source, "RG007", f"unsupported tag {source.tag}")
            if id(source) in self.active:
                raise _LoadError(source, "RG006", "recursive alias: a mapping merges itself")
            if id(source) in seen:  # merged twice: the first time wins every key anyway
                continue
            seen.add(id(source))
            self.count += 1
            if self.count > MAX_NODES:
                raise self._too_big(source)
            own = [(k, v) for k, v in source.value if k.tag != _MERGE]
            pairs.extend(own)
            self.active.add(id(source))
            try:
                for k, v in source.value:
                    if k.tag == _MERGE:
                        pairs.extend(self._merge_pairs(k, v, seen))
            finally:
                self.active.discard(id(source))
        return pairs

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise _LoadError(node, "RG009", "mapping keys must be plain strings")
        if node.tag == _STR:
            return str(node.value)
        kind = node.tag.rsplit(":", 1)[-1]
        msg = f"mapping key {node.value!r} is read as a {kind}; quote it to make it a string"
        raise _LoadError(node, "RG009", msg)
