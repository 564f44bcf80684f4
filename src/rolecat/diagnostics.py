"""Errors as data: every stage returns diagnostics instead of raising.

A ``Diagnostic`` names a code, a severity, a message, where it is (file, line, column,
1-based) and, where we know one, a hint on how to fix it.  Exceptions are reserved for
bugs and I/O; user mistakes never become tracebacks.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` over diagnostics gives the worst one."""

    NOTE = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file. ``line``/``col`` are 1-based; 0 means unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    location: Location | None = None
    hint: str | None = None
    # A finding the catalog explicitly accepted (role ``accept:``); reported, never failing.
    accepted_reason: str | None = field(default=None, compare=False)
    # What within its code the finding is about, for ``accept:`` to name: an I001 finding's
    # escalation method (``rhino-18``).  Not printed: the message says it.
    subject: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.code, self.message)
        return (loc.path, loc.line, loc.col, self.code, self.message)

    def format_text(self) -> str:
        """``path:line:col: severity CODE: message`` and an indented hint line.

        Every part is escaped (``escape.printable``), so a value from the catalog can
        neither start a line of its own nor reach the terminal as a control sequence."""
        from rolecat.report.escape import printable

        where = f"{printable(str(self.location))}: " if self.location else ""
        sev = "accepted" if self.accepted_reason is not None else str(self.severity)
        text = f"{where}{sev} {printable(self.code)}: {printable(self.message)}"
        if self.accepted_reason is not None:
            text += f" (accepted: {printable(self.accepted_reason)})"
        if self.hint:
            text += f"\n    hint: {printable(self.hint)}"
        return text

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "path": loc.path if loc else None,
            "line": loc.line if loc and loc.line else None,
            "column": loc.col if loc and loc.col else None,
            "hint": self.hint,
            "accepted": self.accepted_reason,
        }

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR and self.accepted_reason is None


def error(code: str, message: str, location: Location | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, location, hint)


def warning(code: str, message: str, location: Location | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, location, hint)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by file, line, column, code; exact duplicates dropped."""
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        key = (d.code, d.severity, d.message, d.location, d.hint, d.accepted_reason)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice, case-insensitively, or None when nothing is close."""
    import difflib

    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
