"""Two pull requests that change different roles merge without a conflict in any
generated file (issue 10, item 5): a real three-way merge (``git merge-file``) of every
file the compiler writes, manifest.json included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from rolecat.pipeline import render_catalog

from .support import NOW

ROOT = Path(__file__).resolve().parents[2]
GIT = shutil.which("git")


def compiled(catalog: Path) -> dict[str, str]:
    _, diags, files = render_catalog(catalog, NOW)
    assert not [d for d in diags if d.is_error]
    return {f.path: f.text for f in files}


def edit_members(catalog: Path, role_file: str, user: str) -> None:
    path = catalog / role_file
    data = yaml.safe_load(path.read_text("utf-8"))
    members = data.setdefault("members", [])
    if user in members:
        members.remove(user)
    else:
        members.append(user)
    data["description"] = (data.get("description") or "") + " (edited)"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")


def merge(base: str, ours: str, theirs: str, tmp: Path) -> int:
    assert GIT is not None
    files = []
    for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
        p = tmp / name
        p.write_text(text, "utf-8")
        files.append(str(p))
    return subprocess.run([GIT, "merge-file", "-p", *files], capture_output=True, check=False).returncode


# Neighbours in every sorted order of the output (roles, trust documents, files).
PAIRS = [
    ("roles/prod/ProdAdmin.yaml", "roles/prod/ProdEngineer.yaml"),
    ("roles/prod/CustomerSuccess.yaml", "roles/prod/OnCall.yaml"),
]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_changes_to_different_roles_never_conflict(tmp_path: Path, first: str, second: str) -> None:
    base_cat = tmp_path / "base"
    shutil.copytree(ROOT / "catalog", base_cat)
    a_cat, b_cat = tmp_path / "a", tmp_path / "b"
    shutil.copytree(base_cat, a_cat)
    shutil.copytree(base_cat, b_cat)
    edit_members(a_cat, first, "erin")
    edit_members(b_cat, second, "erin")
    base, a, b = compiled(base_cat), compiled(a_cat), compiled(b_cat)
    assert base not in (a, b)
    work = tmp_path / "merge"
    work.mkdir()
    conflicts = [
        path
        for path in sorted(set(base) | set(a) | set(b))
        if merge(base.get(path, ""), a.get(path, ""), b.get(path, ""), work) != 0
    ]
    assert conflicts == []
    changed_by_both = sorted(p for p in base if a.get(p) != base[p] and b.get(p) != base[p])
    assert changed_by_both == ["manifest.json"]  # and even that merges cleanly
