"""HCL text: string escaping, values as HCL expressions, and hclfmt's alignment.

Every user string that reaches the generated Terraform passes through ``quote``: the
one place that knows HCL's escapes.  ``${`` and ``%{`` start template sequences in
HCL strings, so they are doubled (``$${``, ``%%{``) and reach AWS as written.

``align`` reproduces the one layout rule of ``hclfmt``/``terraform fmt`` that values
and templates must follow: in a run of consecutive single-line attributes (no blank
line, comment or multi-line value in between) the ``=`` signs line up.  ``value`` lays
out objects that way itself; the templates align fixed runs in their text and pass a run
whose members depend on the data through ``align`` (the ``aligned`` filter).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

INDENT = "  "
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_KEYWORDS = {"true", "false", "null", "for", "in", "if", "endif", "endfor"}


_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|[$%]\{')


@functools.lru_cache(maxsize=16384)
def quote(text: str) -> str:
    """``text`` as an HCL quoted string literal, template sequences escaped.

    Cached (a pure function): documents repeat the same actions and ARNs many times."""
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    out = ['"']
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "$%" and i + 1 < n and text[i + 1] == "{":
            out.append(ch + ch + "{")
            i += 2
            continue
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:  # lone surrogate: not encodable as UTF-8
            out.append("\ufffd")
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


_WIDE = re.compile("[^\x00-\xff]")


def _escape_wide(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@functools.lru_cache(maxsize=4096)
def key(name: str) -> str:
    """An object key: bare when it is a plain identifier, quoted otherwise.

    A key is the left cell ``align`` lines up, and hclfmt counts its width in grapheme
    clusters of Unicode 15 (``hclwrite.Tokens.Columns``), which Python cannot count as
    it does: so characters above U+00FF (combining marks, Hangul jamo, emoji, ...) are
    written as HCL escapes (\\uNNNN, \\UNNNNNNNN), which stand for the same text, and
    every key is one column per character.  Latin-1 characters are one cluster each.

    Cached: documents repeat a few keys (``Effect``, ``Action``, condition keys) thousands
    of times."""
    if _IDENT.match(name) and name not in _KEYWORDS:
        return name
    quoted = quote(name)
    return _WIDE.sub(_escape_wide, quoted) if not quoted.isascii() else quoted


def value(v: Any, level: int = 0) -> str:
    """A JSON-like value as an HCL expression; multi-line objects and lists.

    ``level`` is the indentation level of the line the expression starts on.  Plain
    ``str``, ``dict`` and ``list`` (what documents are made of) take the short way;
    anything else goes through the general cases below, with the same result.
    """
    t = type(v)
    if t is str:
        return quote(v)
    if t is dict:
        return _object(v, level) if v else "{}"
    if t is list:
        return _array(v, level) if v else "[]"
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return json.dumps(v)
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, Mapping):
        return _object(v, level) if v else "{}"
    if isinstance(v, Sequence):
        return _array(v, level) if v else "[]"
    raise TypeError(f"cannot render {type(v).__name__} as HCL")


def _object(v: Mapping[Any, Any], level: int) -> str:
    """A non-empty object, one entry per line, ``=`` aligned across runs of single-line
    values (hclfmt's rule: a multi-line value ends the run).  Nested plain dicts and lists
    are dispatched here rather than through ``value`` (the same result, one call fewer)."""
    pad = INDENT * (level + 1)
    inner = level + 1
    lines: list[str] = []
    run: list[tuple[str, str]] = []
    for k, item in v.items():
        name = key(k if type(k) is str else str(k))
        t = type(item)
        if t is str:
            run.append((name, quote(item)))
            continue
        if t is dict and item:
            text = _object(item, inner)
        elif t is list and item:
            text = _array(item, inner)
        else:
            text = value(item, inner)
        if "\n" not in text:
            run.append((name, text))
            continue
        if run:
            _flush(run, pad, lines)
            run = []
        lines.append(f"{pad}{name} = {text}")
    if run:
        _flush(run, pad, lines)
    return "{\n" + "\n".join(lines) + "\n" + INDENT * level + "}"


def _flush(run: list[tuple[str, str]], pad: str, lines: list[str]) -> None:
    if len(run) == 1:
        name, text = run[0]
        lines.append(f"{pad}{name} = {text}")
        return
    width = max([len(name) for name, _ in run])
    lines.extend([f"{pad}{name.ljust(width)} = {text}" for name, text in run])


def _array(v: Sequence[Any], level: int) -> str:
    """A non-empty list, one item per line, each followed by a comma."""
    pad = INDENT * (level + 1)
    inner = level + 1
    lines = [f"{pad}{quote(x)}," if type(x) is str else f"{pad}{value(x, inner)}," for x in v]
    return "[\n" + "\n".join(lines) + "\n" + INDENT * level + "]"


def jsonencode(doc: Mapping[str, Any], level: int = 0) -> str:
    """``jsonencode({...})`` of a policy document, as Terraform users write it."""
    inner = value(doc, level)
    return f"jsonencode({inner})"


def string_list(items: Sequence[str], level: int = 0) -> str:
    """A list of strings: inline when short, one per line otherwise."""
    if not items:
        return "[]"
    inline = "[" + ", ".join(quote(s) for s in items) + "]"
    if len(items) == 1 or len(inline) <= 80:
        return inline
    return value(list(items), level)


_ATTR = re.compile(r'^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_-]*|"(?:[^"\\]|\\.)*") = (?P<rest>.*)$')
_OPENERS = ("{", "[", "(", "({", "([")


def _split_attr(line: str) -> tuple[str, str, str] | None:
    """(indent, key, rest) of a single-line attribute; None for anything else."""
    if " = " not in line or line.endswith(_OPENERS):
        return None
    stripped = line.lstrip(" ")
    if stripped.startswith('"'):
        m = _ATTR.match(line)
        if m is None:
            return None
        return m.group("indent"), m.group("key"), m.group("rest")
    k, _, rest = stripped.partition(" = ")
    if not _IDENT_KEY.match(k):
        return None
    return line[: len(line) - len(stripped)], k, rest


_IDENT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def align(text: str) -> str:
    """Line up ``=`` in runs of consecutive single-line attributes, as hclfmt does."""
    out: list[str] = []
    run: list[tuple[str, str, str]] = []

    def flush() -> None:
        if len(run) == 1:
            indent, k, rest = run[0]
            out.append(f"{indent}{k} = {rest}")
        else:
            width = max(len(k) for _, k, _ in run)
            out.extend(f"{indent}{k.ljust(width)} = {rest}" for indent, k, rest in run)
        run.clear()

    for line in text.split("\n"):
        attr = _split_attr(line)
        if attr is not None:
            if run and attr[0] != run[0][0]:
                flush()
            run.append(attr)
            continue
        if run:
            flush()
        out.append(line)
    if run:
        flush()
    return "\n".join(out)


_LABEL_BAD = re.compile(r"[^A-Za-z0-9_-]")


def label(name: str) -> str:
    """A Terraform block label from an IAM name (which may hold ``+=,.@``)."""
    out = _LABEL_BAD.sub("_", name)
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return out
