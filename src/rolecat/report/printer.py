"""Diagnostics out: text for people, JSON for tools, SARIF for code scanning.

``emit`` is the one way every command prints diagnostics.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

from rolecat.diagnostics import Diagnostic, Severity, sort_diagnostics

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


def with_hint(d: Diagnostic) -> Diagnostic:
    """``d``, or when it has no hint of its own, a copy with its rule's fix from the
    registry (when the rule has one): the hint every format prints."""
    from dataclasses import replace

    from rolecat.rules.registry import BY_CODE

    rule = BY_CODE.get(d.code)
    return replace(d, hint=rule.fix) if not d.hint and rule is not None and rule.fix else d


def write_text(diags: Sequence[Diagnostic], stream: TextIO) -> None:
    """One diagnostic per line, its hint below (``with_hint``)."""
    for d in diags:
        print(with_hint(d).format_text(), file=stream)


def to_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([with_hint(d).to_dict() for d in diags], indent=2) + "\n"


def to_sarif(diags: Sequence[Diagnostic]) -> str:
    from rolecat.report.sarif import sarif_log

    return json.dumps(sarif_log(diags), indent=2) + "\n"


def fails(diags: Sequence[Diagnostic], fail_on: Severity) -> bool:
    return any(d.accepted_reason is None and d.severity >= fail_on for d in diags)


def emit(diags: Sequence[Diagnostic], fmt: str = "text", *, to_stdout: bool = False) -> None:
    """Print diagnostics the same way for every command.

    Text goes to stderr: every diagnostic in sorted order (accepted findings marked
    ``accepted``, with their reason), then the summary line.  JSON and SARIF go to stdout
    when they are the command's output (``to_stdout``), else to stderr.
    """
    ordered = sort_diagnostics(diags)
    if fmt == "text":
        write_text(ordered, sys.stderr)
        if ordered:
            print(summary(ordered), file=sys.stderr)
        return
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagnostics format {fmt!r}")
    text = to_json(ordered) if fmt == "json" else to_sarif(ordered)
    (sys.stdout if to_stdout else sys.stderr).write(text)
