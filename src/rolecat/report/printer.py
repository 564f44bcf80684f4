"""Diagnostics out: text for people, JSON for tools, SARIF for code scanning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from rolecat.diagnostics import Diagnostic, Severity

FORMATS = ("text", "json", "sarif")


def summary(diags: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.is_error)
    warnings = sum(1 for d in diags if d.severity is Severity.WARNING and d.accepted_reason is None)
    accepted = sum(1 for d in diags if d.accepted_reason is not None)
    parts = [
        f"{errors} error{'s' if errors != 1 else ''}",
        f"{warnings} warning{'s' if warnings != 1 else ''}",
    ]
    if accepted:
        parts.append(f"{accepted} accepted")
    return ", ".join(parts)


def write_text(diags: Sequence[Diagnostic], stream: TextIO) -> None:
    for d in diags:
        print(d.format_text(), file=stream)


def to_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diags], indent=2) + "\n"


def to_sarif(diags: Sequence[Diagnostic]) -> str:
    from rolecat.report.sarif import sarif_log

    return json.dumps(sarif_log(diags), indent=2) + "\n"


def fails(diags: Sequence[Diagnostic], fail_on: Severity) -> bool:
    return any(d.accepted_reason is None and d.severity >= fail_on for d in diags)
