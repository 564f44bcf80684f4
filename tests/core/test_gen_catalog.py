"""bench/gen_catalog.py's command line: numbers it cannot generate a catalog for are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gen_catalog.py"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--users", "0"], "argument --users: 0 is less than 8"),
        (["--users", "7"], "argument --users: 7 is less than 8"),
        (["--roles", "-3"], "argument --roles: -3 is less than 1"),
        (["--roles", "x"], "argument --roles: invalid"),
    ],
)
def test_numbers_it_cannot_generate_are_refused(args: list[str], said: str, tmp_path: Path) -> None:
    """'--users 0' ended in a traceback (a role's members are drawn from the users), and
    '--roles -3' said 'wrote -3 roles'."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "cat"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "cat").exists()


def test_the_fewest_users_generate_a_catalog(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "cat"), "--roles", "1", "--users", "8"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"wrote 1 roles and 8 users to {tmp_path / 'cat'}\n"
