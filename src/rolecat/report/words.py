"""Counted nouns in messages: ``1 file``, ``2 files``, ``1,234 records``; never a noun with ``(s)``."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` agreeing with it (``plural`` when adding ``s`` is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def listed(names: list[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (``last``: the word before the last name)."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def were(n: int) -> str:
    """The verb after ``counted(n, ...)``: was or were."""
    return "was" if n == 1 else "were"
