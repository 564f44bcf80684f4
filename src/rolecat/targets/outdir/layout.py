"""What may be in OUT besides the generated files, in one place (documented in docs/output.md).

- ``.rolecat/``: rolecat's working folder (lock, journal, staging, backups, saved plans);
  never committed (it carries its own ``.gitignore``).
- ``<account>/.terraform.lock.hcl``: the provider lock file a team commits.
- ``<account>/.terraform/``: Terraform's working folder, never trusted: ``plan`` and
  ``apply`` delete it and run a fresh ``terraform init``.
- ``<account>/terraform.tfstate`` (with its ``.backup`` and a run's lock file) in an account
  without ``backend.tf``: Terraform's local state, where the catalog configures no backend.

Everything else in OUT must be a file rolecat generates.
"""

from __future__ import annotations

WORKDIR = ".rolecat"
LOCK = "lock"
JOURNAL = "journal.json"
JOURNAL_TMP = "journal.json.tmp"
STAGING = "staging"
BACKUP = "backup"
PLANS = "plans"  # saved plans of `rolecat plan`, for `rolecat apply`
GITIGNORE = ".gitignore"
GITIGNORE_TEXT = "# rolecat's working files (lock, journal, staging): never commit them\n*\n"

# Inside the working folder: what a finished, idle compile leaves.
WORKDIR_IDLE = frozenset({LOCK, GITIGNORE, PLANS})
# Inside the working folder: what an unfinished commit leaves.
WORKDIR_PENDING = frozenset({JOURNAL, JOURNAL_TMP, STAGING, BACKUP})

ACCOUNT_LOCK_FILE = ".terraform.lock.hcl"
ACCOUNT_TF_DIR = ".terraform"
# Per account folder: name -> required kind ("file" or "dir").
ACCOUNT_EXTRAS = {ACCOUNT_LOCK_FILE: "file", ACCOUNT_TF_DIR: "dir"}
# Per account folder without a backend (no backend.tf generated): Terraform's local state.
BACKEND_FILE = "backend.tf"
LOCAL_STATE_FILES = frozenset(
    {"terraform.tfstate", "terraform.tfstate.backup", ".terraform.tfstate.lock.info"}
)


def is_reserved(rel: str) -> bool:
    """Paths a manifest or journal may never claim as generated files."""
    if rel[:1] != "." and "/." not in rel:  # every reserved name starts with a dot
        return False
    parts = rel.split("/")
    return parts[0] == WORKDIR or any(p in ACCOUNT_EXTRAS for p in parts)
