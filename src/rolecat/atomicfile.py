"""Writing a file a person keeps (a role file, CODEOWNERS, a scopedown summary): all or
nothing, with the mode it had.

The text goes to a temporary file beside ``path``, is flushed to disk and renamed over
``path``: a reader sees the old file or the new one, and a failure (a full disk, a
read-only folder) leaves the old one and no temporary file.  A new file gets mode 0644,
an existing one keeps its mode.  (The Terraform output has its own journal,
``targets.outdir``; the AWS CLI config its own, stricter rules, ``workflow.managedblock``.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """``text`` (UTF-8, newlines as given) in ``path``, creating its folder if needed."""
    tmp = stage(path, text)
    try:
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stage(path: Path, text: str) -> Path:
    """The temporary file beside ``path`` that holds ``text``, on disk with ``path``'s mode,
    for the caller to rename over ``path`` (several files: all staged before any is renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
