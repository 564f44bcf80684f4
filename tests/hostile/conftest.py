"""Fixtures of the hostile-input suite; the helpers live in hostile_support."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_support import make_baseline


@pytest.fixture(scope="session")
def baseline_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_baseline(tmp_path_factory)
