"""Policy files written in the catalog's own layout, safe for the placeholder renderer.

``--write-policy`` produces a file a person reviews in a pull request, next to files a
person wrote.  So the layout follows the catalog's existing policy and boundary files:
the indentation unit, whether short lists of strings stay on one line
(``"Action": ["s3:GetObject", "s3:PutObject"]``) and how wide such a line may get.
Without any file to learn from, the layout is ``json.dumps(indent=2)``'s.

Policy files are templates (``{{ account.id }}``), and every string in a suggestion that
came from a log is hostile: an S3 key ``{{ cycler }}`` would be template syntax.  Each
``{`` that opens a template delimiter and each ``}`` that closes one is written as the
JSON escape ``\\u007b``/``\\u007d``: JSON readers see the same string, the template scan
sees no delimiter.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_OPEN = re.compile(r"\{(?=[{%#])")
_CLOSE = re.compile(r"(?<=[}%#])\}")
_INLINE_LIST = re.compile(r'^\s*"[^"]+":\s*\[\s*".*\]\s*,?\s*$')
_INDENT = re.compile(r"^([ \t]+)\S")


@dataclass(frozen=True)
class JsonStyle:
    indent: str = "  "
    inline_lists: bool = False  # short lists of strings on one line
    width: int = 100  # longest line a one-line list may make


DEFAULT_STYLE = JsonStyle()


def detect_style(texts: Iterable[str]) -> JsonStyle:
    """The most common indentation unit and list layout of existing policy files."""
    units: Counter[str] = Counter()
    inline = multi = 0
    width = 0
    for text in texts:
        lines = text.splitlines()
        for line in lines:
            m = _INDENT.match(line)
            if m:
                units[m.group(1)] += 1
                break  # the first indented line is one level deep
        for i, line in enumerate(lines):
            stripped = line.rstrip()
            if _INLINE_LIST.match(stripped):
                inline += 1
                width = max(width, len(stripped))
            elif stripped.endswith("[") and i + 1 < len(lines) and lines[i + 1].strip().startswith('"'):
                multi += 1
    if not units:
        return DEFAULT_STYLE
    unit = units.most_common(1)[0][0]
    return JsonStyle(indent=unit, inline_lists=inline > 0 and inline >= multi // 4, width=max(width, 80))


def catalog_style(catalog: Path) -> JsonStyle:
    texts = []
    for folder in ("policies", "boundaries"):
        for path in sorted((catalog / folder).glob("*.json")):
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return detect_style(texts)


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    text = _OPEN.sub(r"\\u007b", text)
    return _CLOSE.sub(r"\\u007d", text)


def _scalar(value: Any) -> str:
    return _string(value) if isinstance(value, str) else json.dumps(value)


def format_json(value: Any, style: JsonStyle = DEFAULT_STYLE) -> str:
    """``value`` as JSON text in ``style``, with a final newline."""
    return _format(value, style, 0, 0) + "\n"


def _format(value: Any, style: JsonStyle, level: int, used: int) -> str:
    """``used``: characters already on the line before this value."""
    pad = style.indent * (level + 1)
    end = style.indent * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for k, v in value.items():
            head = f"{pad}{_string(str(k))}: "
            items.append(head + _format(v, style, level + 1, len(head)))
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if style.inline_lists and all(isinstance(v, str) for v in value):
            one = "[" + ", ".join(_string(v) for v in value) + "]"
            if used + len(one) + 1 <= style.width:
                return one
        return (
            "[\n" + ",\n".join(pad + _format(v, style, level + 1, len(pad)) for v in value) + "\n" + end + "]"
        )
    return _scalar(value)


def templated(text: str, account_id: str, region: str | None = None) -> str:
    """The account's id inside ARNs becomes ``{{ account.id }}``, and its region ``{{ region }}``.

    Both render back to the same value for this account, and to the right one for every
    other account the policy is used in.
    """
    head = r"(arn:[^:\"]*:[^:\"]*:)"
    if region:
        text = re.sub(
            head + re.escape(region) + ":" + re.escape(account_id) + r"(?=:)",
            r"\1{{ region }}:" + account_id,
            text,
        )
    return re.sub(
        r"(arn:[^:\"]*:[^:\"]*:[^:\"]*:)" + re.escape(account_id) + r"(?=:)", r"\1{{ account.id }}", text
    )
