"""Policy and boundary files: placeholders replaced per account, by plain substitution.

The files come from pull requests, so nothing in them may run.  Every template sequence
in a file is checked against the spec's short list of placeholders; anything else
(``{% ... %}``, filters, attribute walks such as ``{{ cycler.__init__.__globals__ }}``)
is an error and the file is not rendered.  The allowed placeholders are then replaced
by plain substitution (the spec's "or by plain substitution"): no template engine runs
on a catalog file at all.  The result is exactly what Jinja would print for the same
file (its newlines normalised to ``\n``, the final one kept), which a property test
checks against Jinja's immutable sandbox; a placeholder without a value is an error,
never an empty string.  AWS policy variables (``${aws:username}``) are not template
syntax and pass through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.model import Account, PolicyFile

PLACEHOLDERS = ("account.id", "account.name", "account.environment", "organization", "region", "partition")
_ALLOWED = re.compile(r"\{\{\s*(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + r")\s*\}\}")
# A whole construct ("{% for x in y %}") is one finding; a stray delimiter is one too.
_ANY_TEMPLATE = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}|\{\{|\{%|\{#|%\}|#\}", re.DOTALL)
_NEWLINES = re.compile(r"\r\n?")


@dataclass(frozen=True)
class Scan:
    """What a file's template sequences are, found once per file."""

    used: frozenset[str]
    problems: tuple[Diagnostic, ...]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def scan(file: PolicyFile) -> Scan:
    text = file.text
    used: set[str] = set()
    problems: list[Diagnostic] = []
    allowed_spans = []
    for m in _ALLOWED.finditer(text):
        used.add(m.group(1))
        allowed_spans.append((m.start(), m.end()))
    covered = {pos for start, end in allowed_spans for pos in range(start, end)}
    for m in _ANY_TEMPLATE.finditer(text):
        if m.start() in covered:
            continue
        line, col = _line_col(text, m.start())
        snippet = m.group().split("\n")[0]
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
        problems.append(
            error(
                "T001",
                f"template syntax other than the catalog placeholders: {snippet!r}",
                Location(file.source, line, col),
                "policy files may use only {{ account.id }}, {{ account.name }}, {{ account.environment }},"
                " {{ organization }}, {{ region }} and {{ partition }}",
            )
        )
    return Scan(frozenset(used), tuple(problems))


def render(
    file: PolicyFile, found: Scan, account: Account, organization: str
) -> tuple[str | None, list[Diagnostic]]:
    """The file's text for one account, or None with the reason."""
    if found.problems:
        return None, list(found.problems)
    if not found.used:
        return file.text, []
    missing = [p for p in sorted(found.used) if p == "account.environment" and account.environment is None]
    if missing:
        m = re.search(r"\{\{\s*account\.environment\s*\}\}", file.text)
        line, col = _line_col(file.text, m.start()) if m else (1, 1)
        return None, [
            error(
                "T002",
                f"placeholder {{{{ account.environment }}}} has no value for account {account.name!r}",
                Location(file.source, line, col),
                f"set environment: on account {account.name} in catalog.yaml, or do not use this file there",
            )
        ]
    values = {
        "account.id": account.id,
        "account.name": account.name,
        "account.environment": account.environment or "",
        "organization": organization,
        "region": account.region,
        "partition": account.partition,
    }
    text = _ALLOWED.sub(lambda m: values[m.group(1)], file.text)
    return _NEWLINES.sub("\n", text), []
