"""Renamed accounts: what Terraform keeps in an account folder moves with the account.

Nothing rolecat generates depends on an account's name except its folder: the state key
is ``<key_prefix><account id>.tfstate`` and no tag carries the name.  An account entry
with ``renamed_from: [old]`` therefore plans no change once the folder's own files
(``.terraform.lock.hcl``, ``.terraform/``, a local ``terraform.tfstate``, notes) are
in the new folder; the write stage moves them after a successful commit, and the old folder,
then empty, is removed instead of being reported as orphaned (``W002``).
"""

from __future__ import annotations

from rolecat.model import Catalog


def renamed(catalog: Catalog) -> dict[str, str]:
    """Former account name -> current name."""
    return dict(catalog.account_renames)
