"""Fixtures shared by the core tests."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from rolecat import background


class Started(NamedTuple):
    """One ``background.start``: whether it forked, and the child's pid then."""

    forked: bool
    pid: int | None


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[Started]:
    """Every ``background.start`` from here on, in order (the work still runs)."""
    seen: list[Started] = []
    real = background.start

    def recording(fn, **kwargs):  # type: ignore[no-untyped-def]
        pending = real(fn, **kwargs)
        seen.append(Started(pending.forked, pending._pid))
        return pending

    monkeypatch.setattr(background, "start", recording)
    return seen
