"""Escaping for every text format rolecat prints, in one place.

Catalog values and file names are hostile; whatever reaches a terminal, a log, an INI
file, CODEOWNERS or Markdown goes through ``printable``.
JSON and SARIF are written with ``json.dumps`` (``ensure_ascii``), which escapes every
control character already; HCL has its own ``hcl.quote``.

- ``printable``: one line of plain text.  Control characters (C0, DEL, C1), Unicode
  line and paragraph separators, bidirectional overrides and lone surrogates (the
  bytes of a non-UTF-8 file name) become visible escapes, so no value can start a new
  line, forge a diagnostic, move the cursor or recolour a terminal.

Markdown cells (``rolecat diff -f markdown``, the scopedown and usage summaries) are
``printable`` text with Markdown's and HTML's own characters escaped where they are
written (``access.diff.md``, ``scopedown.summary``, ``usage``), then ``inert``:

- ``inert``: GitHub turns text into links after Markdown is parsed, in each text node:
  ``@name`` and ``@org/team`` notify people, ``#12`` and ``GH-12`` link (and leave a
  mention on) an issue, ``www.`` and ``scheme://`` become links.  A backslash does not
  stop any of these (github/markup#1168); an empty HTML comment does, as it splits the
  text node.  So ``inert`` puts ``<!-- -->`` inside each such mark (shown as the text was).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a non-UTF-8 name, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` on one line with every control or invisible formatting character escaped."""
    return _UNSAFE.sub(_escape_char, text)


# What ``str.splitlines`` also ends a line at, besides "\n".
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def diff_line(line: str) -> str:
    """One line of a unified diff (``difflib``, lines from ``splitlines``), as printed: its
    text ``printable``, tabs kept, one newline at its end.  A line that ends in another
    break (a lone CR, U+2028) shows it escaped and still ends the printed line.  The old
    side of ``compile --check`` and ``codeowners --check`` is a file a pull request
    controls, and may hold terminal escapes."""
    if line.endswith("\n"):
        body, end = line[:-1], "\n"
    elif line and line[-1] in _LINE_BREAKS:
        body, end = line, "\n"
    else:
        body, end = line, ""
    return "\t".join(map(printable, body.split("\t"))) + end


def has_unsafe(text: str, *, allow: str = "") -> bool:
    """True when ``text`` holds a character ``printable`` would escape (except those in ``allow``)."""
    return any(ch not in allow for ch in _UNSAFE.findall(text))


# Where GitHub would start a mention, an issue reference or an autolink: after an @ before a
# name, after a # or GH- before a number, between www and its dot, between a scheme's colon
# and its slashes.
_LINK_MARKS = re.compile(
    r"(?<=@)(?=[A-Za-z0-9])|(?<=#)(?=[0-9])|(?<=\bGH-)(?=[0-9])|(?<=\bwww)(?=\.)|(?<=:)(?=//)", re.I
)
_MARK = "\x00"  # never in printable text
LINK_BREAK = "<!-- -->"


def inert(text: str, markup: Callable[[str], str]) -> str:
    """``markup(text)``, the Markdown of printable ``text``, with an empty HTML comment
    (``LINK_BREAK``) inside every mention, issue reference and autolink it would hold on
    GitHub.  ``markup`` escapes Markdown and HTML and leaves NUL alone."""
    if _MARK in text:
        raise ValueError("inert() takes printable text")
    return markup(_LINK_MARKS.sub(_MARK, text)).replace(_MARK, LINK_BREAK)
