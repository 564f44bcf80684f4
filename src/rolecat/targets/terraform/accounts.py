"""Renamed accounts: what Terraform keeps in an account folder moves with the account.

Nothing rolecat generates depends on an account's name except its folder: the state key
is ``<key_prefix><account id>.tfstate`` and no tag carries the name.  An account entry
with ``renamed_from: [old]`` therefore plans no change once the folder's own files
(``.terraform.lock.hcl``, ``.terraform/``, a local ``terraform.tfstate``, notes) are
in the new folder; ``carry`` moves them after a successful compile, and the old folder,
then empty, is removed instead of being reported as orphaned (``W002``).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from rolecat.model import Catalog


def renamed(catalog: Catalog) -> dict[str, str]:
    """Former account name -> current name."""
    return {old: a.name for a in catalog.accounts for old in a.renamed_from}


def previous_files(out: Path) -> frozenset[str]:
    try:
        data = json.loads((out / "manifest.json").read_text("utf-8"))
        return frozenset(f if isinstance(f, str) else f["path"] for f in data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def carry(catalog: Catalog, out: Path, generated_before: frozenset[str]) -> list[str]:
    """Move what is not generated from each former account folder to the new one.

    Returns the paths moved (relative to OUT).  Nothing already in the new folder is
    overwritten; a former folder is removed once empty.
    """
    moved: list[str] = []
    for old, new in sorted(renamed(catalog).items()):
        src = out / old
        if src.is_symlink() or not src.is_dir():
            continue
        dst = out / new
        dst.mkdir(parents=True, exist_ok=True)
        for entry in sorted(src.iterdir()):
            rel = f"{old}/{entry.name}"
            if rel in generated_before or (dst / entry.name).exists():
                continue
            os.replace(entry, dst / entry.name)
            moved.append(f"{new}/{entry.name}")
        with contextlib.suppress(OSError):
            src.rmdir()
    return moved
