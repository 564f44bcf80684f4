"""Shared helpers of the hostile-input suite: a minimal valid catalog, CLI runs, snapshots.

Every test here builds its catalog under ``tmp_path/catalog`` and runs the CLI with
``tmp_path`` as the working directory, so diagnostics name files ``catalog/...``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolecat.cli import app

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "minimal"
EXAMPLE = HERE.parents[1] / "catalog"
HCLFMT = shutil.which("hclfmt")

# hclfmt-dependent tests may skip on a laptop without it, never in CI.
needs_hclfmt = pytest.mark.skipif(
    HCLFMT is None and not os.environ.get("CI"), reason="hclfmt not installed (set CI=1 to require it)"
)


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def diagnostics(self) -> list[dict[str, object]]:
        """The JSON diagnostics of ``validate --format json``."""
        result: list[dict[str, object]] = json.loads(self.stdout)
        return result


def cli(args: list[str], cwd: Path) -> Run:
    """Run ``rolecat ARGS`` in-process in ``cwd``; an uncaught exception fails the test."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, args, catch_exceptions=True)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rolecat {' '.join(args)} raised {result.exception!r}") from result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def cli_subprocess(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point (``python -m rolecat``), as users do."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_minimal(dest: Path) -> Path:
    shutil.copytree(MINIMAL, dest)
    return dest


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (hidden ones included), never following a symlink or
    opening a FIFO: files by content hash, symlinks by target, folders and others by kind."""
    if not folder.exists() and not folder.is_symlink():
        return {}
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for name in [*dirnames, *filenames]:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = f"symlink -> {path.readlink()}"
            elif stat.S_ISDIR(st.st_mode):
                out[rel + "/"] = "dir"
            elif stat.S_ISREG(st.st_mode):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = f"special {stat.S_IFMT(st.st_mode):o}"
    return dict(sorted(out.items()))


def siblings(folder: Path) -> set[str]:
    """Names next to ``folder``: staging folders or journals left behind show up here."""
    return {p.name for p in folder.parent.iterdir()} if folder.parent.exists() else set()


def make_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compile of the minimal catalog, to be copied where a test needs a previous output."""
    root = tmp_path_factory.mktemp("baseline")
    copy_minimal(root / "catalog")
    run = cli(["compile", "catalog", "-o", "out"], root)
    assert run.exit_code == 0, run.stderr
    return root / "out"
