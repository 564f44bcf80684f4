from __future__ import annotations

import pytest

from rolecat.iam.actions import ActionDB


@pytest.fixture(scope="session")
def db() -> ActionDB:
    return ActionDB.load()
