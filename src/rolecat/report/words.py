"""Counted nouns in messages: ``1 file``, ``2 files``, ``1,234 records``; never a noun with ``(s)``."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` agreeing with it (``plural`` when adding ``s`` is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def were(n: int) -> str:
    """The verb after ``counted(n, ...)``: was or were."""
    return "was" if n == 1 else "were"
