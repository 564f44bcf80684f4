"""Load stage: YAML and JSON files into plain data plus a side table of positions.

``SourceDoc.data`` holds ordinary JSON-like values (dict, list, str, int, float, bool,
None) so that the schema stage sees plain types.  ``SourceDoc.spans`` maps a key path
such as ``("accounts", "prod", "id")`` to the 1-based position of that value, and
``key_spans`` to the position of its mapping key, so any later stage can point at
file:line:column for any node (ints and bools included).  Both tables are filled on the
first ``locate`` of a file, from its text (``pending_yaml``, ``pending_text``): most files
never need a position, and a catalog of 10,000 roles would otherwise keep ~60 MB of them.

The YAML loader refuses what would surprise a reviewer: duplicate keys, non-standard
tags (``!!python/...``), alias bombs, non-UTF-8 text.  The JSON loader is a small
position-tracking parser (the stdlib one gives no positions) that also refuses
duplicate keys.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rolecat.diagnostics import Diagnostic, Location, error

if TYPE_CHECKING:
    from collections.abc import Callable

KeyPath = tuple[str | int, ...]

# Constructed values a single YAML file may expand to through aliases.  A real catalog
# file has a few hundred nodes; a "billion laughs" file hits this in milliseconds.
ALIAS_NODE_BUDGET = 100_000

_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# Numbers as JSON writes them: what jsonencode, HCL and AWS all read the same way.
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)", re.ASCII)
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)
# Integers beyond this lose precision in JSON parsers that use doubles (JavaScript, jq).
MAX_SAFE_INTEGER = 2**53 - 1
_NUMBER_HINT = "write numbers in plain decimal within +/-(2^53-1); if you meant text, quote it"


def yaml_number_problem(text: str, is_int: bool) -> str | None:
    """Why a YAML 1.1 number as written is refused, or None (1:00:00, 0x1F, 0o17, 1_000, .inf)."""
    if ":" in text:
        return "sexagesimal (base 60) number"
    if is_int and not _DECIMAL_INT.fullmatch(text):
        return "integer not written in plain decimal"
    if not is_int and not _DECIMAL_FLOAT.fullmatch(text):
        return "number that is not a finite decimal"
    if len(text) > 40:
        return "number with too many digits"
    return None


def number_problem(value: int | float) -> str | None:
    """Why a parsed number is refused: not finite, or outside JSON's safe integer range."""
    if isinstance(value, float):
        return None if math.isfinite(value) else "number that is not finite"
    if abs(value) > MAX_SAFE_INTEGER:
        return "integer beyond JSON's safe range (2^53 - 1)"
    return None


try:  # libyaml when present: the composer is the hot path of every compile
    _Base: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
# A plain scalar's tag depends on its text alone (the safe resolver's implicit resolvers,
# without path resolvers): remembered per process for short texts, which repeat across a
# catalog's files (account names, users, actions).  Bounded, so a hostile file cannot grow it.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAG_TEXT = 128
_PLAIN_TAG_ENTRIES = 65_536


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader, with its resolver's per-node work cut down: a fifth of composing.

    ``yaml_path_resolvers`` is empty (asserted below), so descending and ascending the
    node path (called for every node) change nothing, and a scalar's tag is a function of
    its text and whether it was plain: quoted, it is a string; plain, the implicit
    resolvers decide, as ``BaseResolver.resolve`` does."""

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool] | bool) -> str:
        if kind is not yaml.ScalarNode:
            return str(_Base.resolve(self, kind, value, implicit))
        assert isinstance(implicit, tuple)
        if not implicit[0]:
            return _STR
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = str(_Base.resolve(self, kind, value, implicit))
            if len(value) <= _PLAIN_TAG_TEXT and len(_PLAIN_TAGS) < _PLAIN_TAG_ENTRIES:
                _PLAIN_TAGS[value] = tag
        return tag


assert not _Base.yaml_path_resolvers, "path resolvers make a tag depend on the node's place"


@dataclass
class SourceDoc:
    """One loaded file. ``path`` is the display path used in diagnostics."""

    path: str
    data: Any
    spans: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_spans: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    # Where a YAML 1.1 scalar was resolved to a non-string from plain (unquoted) text:
    # path -> the text as written, so the schema stage can say "quote it".
    plain_scalars: dict[KeyPath, str] = field(default_factory=dict)
    # Values the loader refused (reported, None in their place): the schema stage skips them.
    refused: set[KeyPath] = field(default_factory=set)
    # JSON parsed on the fast path: positions are computed from this text on first use.
    pending_text: str | None = None
    # YAML loaded without positions (most files never need one): they are computed from
    # this text on first use, by composing it again (it composed once, so it does again).
    pending_yaml: str | None = None
    # SHA-256 of the file's bytes, for loaded files: what a compile remembers it compiled
    # (``targets.terraform.recall``).
    digest: bytes | None = None

    def has_key(self, path: KeyPath) -> bool:
        """Whether the mapping key at ``path`` was written in the file."""
        self._positions()
        return tuple(path) in self.key_spans

    def _positions(self) -> None:
        if self.pending_text is not None:
            text, self.pending_text = self.pending_text, None
            _JsonParser(text, self, []).parse()
        if self.pending_yaml is not None:
            text, self.pending_yaml = self.pending_yaml, None
            scratch = SourceDoc(self.path, None)
            node = yaml.compose(text, Loader=_Loader)
            assert node is not None  # it composed to a document the first time
            _YamlBuilder(scratch, [], positions=True).build(node, ())
            self.spans, self.key_spans = scratch.spans, scratch.key_spans

    def locate(self, path: KeyPath, *, key: bool = False) -> Location:
        """Position of the node at ``path``; falls back to the nearest ancestor."""
        self._positions()
        table = self.key_spans if key else self.spans
        p = tuple(path)
        while True:
            if p in table:
                line, col = table[p]
                return Location(self.path, line, col)
            if key and p in self.spans:
                line, col = self.spans[p]
                return Location(self.path, line, col)
            if not p:
                return Location(self.path, 1, 1)
            p = p[:-1]


class _AliasBudgetExceeded(Exception):
    pass


class _YamlBuilder:
    """Turns a composed node tree into plain values, recording positions."""

    def __init__(self, doc: SourceDoc, diags: list[Diagnostic], *, positions: bool) -> None:
        self.doc = doc
        self.diags = diags
        self.positions = positions  # record spans and key_spans (else SourceDoc.pending_yaml)
        self.constructor = yaml.constructor.SafeConstructor()
        self.budget = ALIAS_NODE_BUDGET

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.doc.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _AliasBudgetExceeded
        if self.positions:
            self.doc.spans[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag == _STR and isinstance(node, yaml.ScalarNode):  # most nodes: a string
            return node.value
        if node.tag not in _STD_TAGS:
            self.diags.append(
                error(
                    "L004",
                    f"YAML tag {node.tag!r} is not allowed",
                    self.loc(node),
                    "catalog files may use only plain YAML values; remove the tag",
                )
            )
            self.doc.refused.add(path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        tag = node.tag  # not a string: ``build`` returned those
        if tag == "tag:yaml.org,2002:timestamp":
            # Keep dates as written; the model parses them with our own, stricter rules.
            self.doc.plain_scalars[path] = node.value
            return node.value
        if tag in (_INT, _FLOAT):
            problem = yaml_number_problem(node.value, tag == _INT)
            if problem is not None:
                hint = f'{_NUMBER_HINT}: "{node.value}"' if not node.style else _NUMBER_HINT
                self.diags.append(error("L014", f"{problem}: {node.value!r}", self.loc(node), hint))
                self.doc.refused.add(path)
                return None
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            problem = number_problem(value)
            hint = _NUMBER_HINT
            if problem is None and isinstance(value, float) and value.is_integer():
                # JSON Schema takes 3600.0 as an integer, and it would reach the Terraform,
                # the manifest and the AWS CLI's config (which drops duration_seconds = 3600.0)
                problem = "whole number written as a decimal fraction"
                hint = f"write {int(value)}; if you meant text, quote it"
            if problem is not None:
                self.diags.append(error("L014", f"{problem}: {node.value!r}", self.loc(node), hint))
                self.doc.refused.add(path)
                return None
        # Plain (unquoted) style is None with the pure-Python composer and '' with libyaml.
        if not node.style and tag != "tag:yaml.org,2002:null":
            self.doc.plain_scalars[path] = node.value
        return value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.diags.append(
                    error(
                        "L005",
                        "YAML merge keys (<<) are not supported",
                        self.loc(key_node),
                        "write the keys out; merges hide what a role really gets from reviewers",
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.diags.append(error("L006", "mapping keys must be plain strings", self.loc(key_node)))
                continue
            if key_node.tag not in _STD_TAGS:
                self.diags.append(
                    error(
                        "L004",
                        f"YAML tag {key_node.tag!r} is not allowed (on a key)",
                        self.loc(key_node),
                        "catalog files may use only plain YAML values; remove the tag",
                    )
                )
                continue
            key = key_node.value
            if key_node.tag != "tag:yaml.org,2002:str" and not key_node.style:
                # `yes:`/`on:`/`123:` are still used as their text; a key is always a name here.
                key = str(key_node.value)
            if key in first_seen:
                self.diags.append(
                    error(
                        "L003",
                        f"duplicate key {key!r} (first defined on line {first_seen[key]})",
                        self.loc(key_node),
                        "YAML keeps only the last value silently; remove one of them",
                    )
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            child = (*path, key)
            if self.positions:
                self.doc.key_spans[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child)
        return out


def _decode(raw: bytes, display: str, diags: list[Diagnostic]) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        diags.append(
            error(
                "L001",
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                Location(display, line, col),
                "save the file as UTF-8",
            )
        )
        return None
    return text.removeprefix("\ufeff")


# Line breaks to PyYAML (YAML 1.1) that git does not count: a lone CR, NEL, LS, PS.
_HIDDEN_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def _hidden_break(text: str, display: str) -> Diagnostic | None:
    """L015 at the first line break only PyYAML sees, at git's line and column."""
    if "\r" not in text and "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return None  # the common case, four scans at C speed
    found = _HIDDEN_BREAK.search(text)
    if found is None:
        return None
    start = text.rfind("\n", 0, found.start()) + 1
    line, col = text.count("\n", 0, found.start()) + 1, found.start() - start + 1
    name, escape = {
        "\r": ("a carriage return", "\\r"),
        "\x85": ("U+0085 (NEL)", "\\x85"),
        "\u2028": ("U+2028", "\\u2028"),
        "\u2029": ("U+2029", "\\u2029"),
    }[found.group()]
    return error(
        "L015",
        f"{name} breaks the line for rolecat, but not for git or a reviewer: what follows it reads as "
        "part of this line in a diff",
        Location(display, line, col),
        f"remove it; in a double-quoted string write it as {escape}; use LF or CRLF line endings",
    )


def load_yaml_text(text: str, display: str) -> tuple[SourceDoc | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    doc = SourceDoc(display, None)
    hidden = _hidden_break(text, display)
    if hidden is not None:  # the file means one thing to PyYAML and another to its reviewer
        return None, [hidden]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:  # the pure-Python composer recurses per nesting level
        diags.append(error("L008", "YAML document is nested too deeply", Location(display, 1, 1)))
        return None, diags
    except yaml.MarkedYAMLError as exc:
        from .hints import YAML_RULES, yaml_error

        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            diags.append(error("L002", f"YAML syntax error: {problem}", Location(display), YAML_RULES))
            return None, diags
        context = exc.context_mark if exc.problem_mark is not None else None
        explained = yaml_error(
            text,
            problem,
            mark.line,
            mark.column,
            exc.context if context is not None else None,
            context.line if context is not None else None,
            context.column if context is not None else None,
        )
        diags.append(
            error("L002", explained.message, Location(display, explained.line, explained.col), explained.hint)
        )
        return None, diags
    except yaml.YAMLError as exc:
        diags.append(error("L002", f"YAML syntax error: {exc}", Location(display)))
        return None, diags
    if node is None:
        diags.append(
            error("L007", "file is empty", Location(display, 1, 1), "see docs/catalog.md for its keys")
        )
        return None, diags
    try:
        doc.data = _YamlBuilder(doc, diags, positions=False).build(node, ())
        doc.pending_yaml = text
    except _AliasBudgetExceeded:
        diags.append(
            error(
                "L008",
                f"YAML aliases expand to more than {ALIAS_NODE_BUDGET:,} values",
                Location(display, 1, 1),
                "this looks like an alias bomb; write the values out",
            )
        )
        return None, diags
    except RecursionError:
        diags.append(error("L008", "YAML document is nested too deeply", Location(display, 1, 1)))
        return None, diags
    return doc, diags


def load_yaml(path: Path, display: str) -> tuple[SourceDoc | None, list[Diagnostic]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error("L000", f"cannot read file: {exc.strerror}", Location(display))]
    return load_yaml_bytes(raw, display)


def load_yaml_bytes(raw: bytes, display: str) -> tuple[SourceDoc | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    text = _decode(raw, display, diags)
    if text is None:
        return None, diags
    doc, diags = load_yaml_text(text, display)
    if doc is not None:
        doc.digest = hashlib.sha256(raw).digest()
    return doc, diags


# --------------------------------------------------------------------------- JSON

_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


# What the JSON parser says (L009), and ``json_syntax`` in the same words.
_AFTER_DOCUMENT = "unexpected text after the JSON document"
_TOO_DEEP = "JSON nested too deeply"
_END_OF_FILE = "unexpected end of file"
_BAD_STRING = "invalid string (unterminated, a raw control character or a bad escape)"
_QUOTED_KEY = "expected a quoted key"
_COLON = "expected ':' after the key"


class JsonSyntaxError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _JsonParser:
    """Recursive-descent JSON parser recording a position for every value and key."""

    def __init__(self, text: str, doc: SourceDoc, diags: list[Diagnostic]) -> None:
        self.text = text
        self.doc = doc
        self.diags = diags
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def linecol(self, pos: int) -> tuple[int, int]:
        import bisect

        i = bisect.bisect_right(self.line_starts, pos) - 1
        return i + 1, pos - self.line_starts[i] + 1

    def ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()

    def parse(self) -> Any:
        self.ws()
        value = self.value(())
        self.ws()
        if self.pos != len(self.text):
            raise JsonSyntaxError(_AFTER_DOCUMENT, self.pos)
        return value

    def value(self, path: KeyPath) -> Any:
        if len(path) > 200:
            raise JsonSyntaxError(_TOO_DEEP, self.pos)
        self.doc.spans[path] = self.linecol(self.pos)
        ch = self.text[self.pos : self.pos + 1]
        if ch == "{":
            return self.obj(path)
        if ch == "[":
            return self.arr(path)
        if ch == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        m = _NUMBER.match(self.text, self.pos)
        if m:
            start = self.pos
            self.pos = m.end()
            s = m.group()
            value: int | float | None = None
            problem = "number with too many digits" if len(s) > 40 else None
            if problem is None:
                value = float(s) if any(c in s for c in ".eE") else int(s)
                problem = number_problem(value)
            if problem is not None:
                line, col = self.linecol(start)
                self.diags.append(
                    error("L014", f"{problem}: {s}", Location(self.doc.path, line, col), _NUMBER_HINT)
                )
                self.doc.refused.add(path)
                return None
            return value
        if not ch:
            raise JsonSyntaxError(_END_OF_FILE, self.pos)
        raise JsonSyntaxError(f"unexpected character {ch!r}", self.pos)

    def string(self) -> str:
        m = _STRING.match(self.text, self.pos)
        if not m:
            raise JsonSyntaxError(_BAD_STRING, self.pos)
        self.pos = m.end()
        result: str = json.loads(m.group())
        return result

    def obj(self, path: KeyPath) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        self.ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            self.ws()
            if not self.text.startswith('"', self.pos):
                raise JsonSyntaxError(_QUOTED_KEY, self.pos)
            key_pos = self.pos
            key = self.string()
            self.ws()
            if not self.text.startswith(":", self.pos):
                raise JsonSyntaxError(_COLON, self.pos)
            self.pos += 1
            self.ws()
            child = (*path, key)
            if key in out:
                line, col = self.linecol(key_pos)
                self.diags.append(
                    error(
                        "L003",
                        f"duplicate key {key!r}",
                        Location(self.doc.path, line, col),
                        "JSON parsers keep only one of them silently; remove one",
                    )
                )
                # Parse and drop the duplicate so the rest of the file is still checked.
                saved = dict(self.doc.spans)
                self.value(child)
                self.doc.spans = saved
            else:
                self.doc.key_spans[child] = self.linecol(key_pos)
                out[key] = self.value(child)
            self.ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return out
            raise JsonSyntaxError("expected ',' or '}'", self.pos)

    def arr(self, path: KeyPath) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        self.ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return out
        while True:
            self.ws()
            out.append(self.value((*path, len(out))))
            self.ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return out
            raise JsonSyntaxError("expected ',' or ']'", self.pos)


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _checked_float(text: str) -> float:
    value = float(text)
    if len(text) > 40 or number_problem(value) is not None:
        raise ValueError(text)  # the position-tracking parser reports it
    return value


def _checked_int(text: str) -> int:
    if len(text) > 40:
        raise ValueError(text)
    value = int(text)
    if number_problem(value) is not None:
        raise ValueError(text)
    return value


def load_json_text(text: str, display: str) -> tuple[SourceDoc | None, list[Diagnostic]]:
    """Parse JSON.  The common case (valid, no duplicate keys) takes the C parser and
    computes positions only when a later stage asks for one."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_checked_float,
            parse_int=_checked_int,
        )
    except (ValueError, _Duplicate, RecursionError):
        pass
    else:
        return SourceDoc(display, data, pending_text=text), []
    diags: list[Diagnostic] = []
    doc = SourceDoc(display, None)
    parser = _JsonParser(text, doc, diags)
    try:
        doc.data = parser.parse()
    except JsonSyntaxError as exc:
        pos = min(exc.pos, len(text))
        line, col = parser.linecol(pos)
        diags.append(
            error(
                "L009",
                f"JSON syntax error: {exc.message}",
                Location(display, line, col),
                _json_hint(text, pos, parser.linecol),
            )
        )
        return None, diags
    return doc, diags


def _json_hint(text: str, pos: int, linecol: Callable[[int], tuple[int, int]]) -> str | None:
    """What a person most likely did at ``pos`` (a comma after the last item, a comma
    left out, single quotes, a comment), or None for the rule's own hint."""
    here = text[pos : pos + 1]
    before = text[:pos].rstrip()
    previous = before[-1:]
    if here in ("]", "}") and previous == ",":
        line, col = linecol(len(before) - 1)
        return f"remove the comma on line {line}, column {col}: JSON allows none after the last item"
    if here == "'":
        return "JSON strings take double quotes: \"s3:GetObject\", not 's3:GetObject'"
    if text.startswith(("//", "/*", "#"), pos):
        return "JSON has no comments: remove it (a statement's Sid can say what it is for)"
    ends_value = (
        previous in ('"', "]", "}") or previous.isdigit() or before.endswith(("true", "false", "null"))
    )
    starts_value = (
        here in ('"', "{", "[", "-") or here.isdigit() or text.startswith(("true", "false", "null"), pos)
    )
    if starts_value and ends_value:
        line, col = linecol(len(before) - 1)
        return f"a comma is missing between the value that ends on line {line}, column {col} and this one"
    return None


@dataclass(frozen=True)
class JsonSyntax:
    """Where and why a text is not JSON, in the words of the catalog's own JSON errors (L009)."""

    line: int  # 1-based; 0: unknown
    col: int
    reason: str  # "unexpected character 'n'"
    hint: str | None  # what a person most likely did (a comma after the last item...), else None

    @property
    def message(self) -> str:
        """The message of L009: ``JSON syntax error: unexpected character 'n'``."""
        return f"JSON syntax error: {self.reason}"


# The standard library's words (json.decoder) that the catalog's parser says otherwise
_STDLIB_WORDS = {
    "Expecting property name enclosed in double quotes": _QUOTED_KEY,
    "Expecting ':' delimiter": _COLON,
    "Extra data": _AFTER_DOCUMENT,
    "Unterminated string starting at": _BAD_STRING,
    "Invalid control character at": _BAD_STRING,
    "Invalid \\escape": _BAD_STRING,
    "Invalid \\uXXXX escape": _BAD_STRING,
}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^][{}]+")


def json_syntax(
    text: str, exc: ValueError | RecursionError | None = None, first_line: int = 1
) -> JsonSyntax | None:
    """Where and why ``text`` is not JSON, as the catalog says it of its own JSON files (L009:
    ``JSON syntax error: expected ',' or '}'``, a hint for a common mistake), for a file that
    is not the catalog's: an export, a line of ``who-can --queries``, a selectors file.  No
    Python exception text, no character offset: the line and column are the file's.

    ``exc``: what ``json.loads(text)`` raised, when the caller has it (else the text is parsed
    here); ``first_line``: the file's line the text starts on (a line of a JSON Lines file),
    for the place and the hint's.  None when the standard library reads the text (orjson
    refuses a few texts it reads: a lone surrogate, a number beyond a double's range).

    The place is the standard library's, which the catalog's parser finds too, ten times
    slower (an export may be hundreds of megabytes); an error at the end of the text is
    ``unexpected end of file`` (a file cut short) whatever was expected there, and one in a
    string is placed at what is wrong in it, not where it starts."""
    if exc is None:
        try:
            json.loads(text)
        except (ValueError, RecursionError) as found:
            exc = found
        else:
            return None
    if isinstance(exc, RecursionError):
        return JsonSyntax(0, 0, _TOO_DEEP, None)
    if not isinstance(exc, json.JSONDecodeError):  # an integer of more than 4,300 digits
        return JsonSyntax(0, 0, "number with too many digits", None)
    pos, words = exc.pos, exc.msg
    if words.startswith("Illegal trailing comma"):  # Python 3.13+, at the comma: the bracket, as the parser
        pos = text.index("}" if words.endswith("object") else "]", pos)
        words = (
            "Expecting property name enclosed in double quotes"
            if words.endswith("object")
            else "Expecting value"
        )
    hint = None
    if _STDLIB_WORDS.get(words) == _BAD_STRING:
        said = _BAD_STRING
    elif pos >= len(text):
        said = _END_OF_FILE
    elif words == "Expecting value" or words.startswith("Unexpected UTF-8 BOM"):
        said = f"unexpected character {text[pos]!r}"
        if text[pos] == "\ufeff":
            hint = "save the file as UTF-8 without a byte order mark (U+FEFF)"
    elif words == "Expecting ',' delimiter":
        said = f"expected ',' or {_closing(text, pos)!r}"
    else:
        said = _STDLIB_WORDS.get(words, words[:1].lower() + words[1:])

    def linecol(at: int) -> tuple[int, int]:
        return first_line + text.count("\n", 0, at), at - text.rfind("\n", 0, at)

    line, col = linecol(pos)
    return JsonSyntax(line, col, said, hint or _json_hint(text, pos, linecol))


def _closing(text: str, pos: int) -> str:
    """The bracket that closes the list or object open at ``pos`` (``]`` or ``}``), in text
    the standard library read up to ``pos``: its brackets outside strings, with every pair
    that opens and closes taken out, end with the one still open."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text[:pos]))
    while True:
        paired = brackets.replace("[]", "").replace("{}", "")
        if len(paired) == len(brackets):
            return "]" if paired.endswith("[") else "}"
        brackets = paired


def read_text(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error("L000", f"cannot read file: {exc.strerror}", Location(display))]
    return _decode(raw, display, diags), diags


def decode_text(raw: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    return _decode(raw, display, diags), diags
