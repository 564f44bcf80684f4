from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "catalog"


def pytest_configure(config: pytest.Config) -> None:
    """The suite's own per-user cache (``rolecat.cache``), shared by every test and every
    rolecat it runs, and removed at the end: tests neither read a developer's entries nor
    leave theirs behind (compile remembers each catalog folder it compiles)."""
    if "ROLECAT_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="rolecat-test-cache-")
        os.environ["ROLECAT_CACHE_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def hclfmt_path() -> str | None:
    """hclfmt, or None; in CI its absence is a failure, not a skip."""
    found = shutil.which("hclfmt")
    if found is None and os.environ.get("CI"):
        pytest.fail("hclfmt is required in CI: .ci/run installs it with scripts/install-hclfmt.sh")
    return found


@pytest.fixture
def hclfmt() -> str:
    found = hclfmt_path()
    if found is None:
        pytest.skip("hclfmt not installed (scripts/install-hclfmt.sh)")
    return found


@pytest.fixture
def example_catalog(tmp_path: Path) -> Path:
    """A private copy of the example catalog, free to modify."""
    dest = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, dest)
    return dest
