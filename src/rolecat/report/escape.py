"""Escaping for every text format rolecat prints, in one place.

Catalog values and file names are hostile; whatever reaches a terminal, a log, an INI
file, CODEOWNERS, Markdown or a GitHub workflow command goes through one of these.
JSON and SARIF are written with ``json.dumps`` (``ensure_ascii``), which escapes every
control character already; HCL has its own ``hcl.quote``.

- ``printable``: one line of plain text.  Control characters (C0, DEL, C1), Unicode
  line and paragraph separators, bidirectional overrides and lone surrogates (the
  bytes of a non-UTF-8 file name) become visible escapes, so no value can start a new
  line, forge a diagnostic, move the cursor or recolour a terminal.
- ``markdown``: ``printable`` plus backslash escapes for Markdown's punctuation and
  HTML's ``<``/``>``/``&``.
- ``workflow_command``: the data of a GitHub Actions ``::error`` annotation (``%``,
  CR and LF percent-encoded, as the runner's toolkit does); ``workflow_property``
  also encodes ``:`` and ``,``.
"""

from __future__ import annotations

import re

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


def has_unsafe(text: str, *, allow: str = "") -> bool:
    """True when ``text`` holds a character ``printable`` would escape (except those in ``allow``)."""
    return any(ch not in allow for ch in _UNSAFE.findall(text))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown(text: str) -> str:
    """Literal text inside a Markdown paragraph or table cell."""
    s = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def workflow_command(text: str) -> str:
    """The message of a GitHub Actions workflow command (``::error file=...::MESSAGE``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (``file=``, ``title=``)."""
    return workflow_command(text).replace(":", "%3A").replace(",", "%2C")
