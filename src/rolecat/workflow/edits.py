"""Validate an edited catalog with the whole pipeline, then write it atomically.

The edited files are laid over a private copy of the catalog folder, which is loaded
and checked exactly as ``rolecat validate`` would (same ``now``), under the original
folder's name so that diagnostics point at the real files.  Only when that copy has no
error are the files written, each through a temporary file renamed over the original.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..atomicfile import stage, write_atomic
from ..diagnostics import Diagnostic
from ..load.files import display_path
from ..pipeline import load_catalog


def validate_edits(catalog_dir: Path, edits: Mapping[Path, str], now: dt.datetime) -> list[Diagnostic]:
    """Diagnostics of the catalog as it would be after ``edits`` (path -> new text)."""
    with tempfile.TemporaryDirectory(prefix="rolecat-edit-") as tmp:
        copy = Path(tmp) / "catalog"
        shutil.copytree(catalog_dir, copy, symlinks=True, copy_function=copy_present)
        for path, text in edits.items():
            target = copy / path.relative_to(catalog_dir)
            target.unlink(missing_ok=True)  # never write through a link into the real catalog
            target.write_text(text, encoding="utf-8", newline="")
        _, diags = load_catalog(copy, now, display=display_path(catalog_dir))
    return diags


def copy_present(src: str, dst: str) -> None:
    """``shutil.copy2``, except that a file gone since its folder was listed (an editor's
    swap file, removed as the editor saves) is left out, as it is no longer in the catalog,
    instead of failing the copy."""
    try:
        shutil.copy2(src, dst)
    except FileNotFoundError:
        if os.path.lexists(src):
            raise  # the destination's problem, not a vanished file


class Busy(Exception):
    """Another command is editing the catalog (exit 1, nothing written)."""


@contextlib.contextmanager
def editing(catalog_dir: Path, timeout: float) -> Iterator[None]:
    """One editing command at a time in a catalog: an exclusive ``flock`` on the catalog
    folder itself (nothing is created in it), held from reading the files to writing
    them.  Two offboardings at once both edit users.yaml: without it, both could pass
    ``write_edits``' check before either wrote, and the second would write over the
    first, which puts the first person back.  A second command waits up to ``timeout``
    seconds (``ROLECAT_LOCK_TIMEOUT``, as compile's lock of OUT), then raises ``Busy``.
    The kernel releases the lock when the process ends, however it ends."""
    try:
        fd = os.open(catalog_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        fd = -1  # no such folder: loading it says so
    try:
        deadline = time.monotonic() + timeout
        while fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another rolecat command is editing {catalog_dir} (waited {timeout:g}s); "
                        "run this again once it is done"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        if fd >= 0:
            os.close(fd)


class ChangedMeanwhile(Exception):
    """A file changed on disk between reading it and writing the edit (exit 1, nothing written)."""


class WriteFailed(Exception):
    """A file could not be written (a read-only folder, a full disk); the message says
    whether every file is as it was."""


def write_edits(edits: Mapping[Path, tuple[str, str]]) -> None:
    """Write path -> (before, after), all or nothing: refuse all of it if any file no
    longer holds ``before``; stage every new text beside its file before renaming any
    (an offboarding edits many files, and one that fails halfway would leave the person
    in some roles and not others); put back the files already renamed if a rename fails."""
    for path, (before, _) in sorted(edits.items()):
        with path.open(encoding="utf-8", newline="") as handle:
            if handle.read() != before:
                raise ChangedMeanwhile(f"{path} changed while rolecat was editing it; run the command again")
    staged: list[tuple[Path, Path]] = []
    done: list[Path] = []
    try:
        for path, (_, after) in sorted(edits.items()):
            staged.append((path, stage(path, after)))
        for path, tmp in staged:
            tmp.replace(path)
            done.append(path)
    except OSError as exc:
        what = f"cannot write {path}: {exc.strerror or exc}"
        left = []
        for renamed in done:
            try:
                write_atomic(renamed, edits[renamed][0])
            except OSError:
                left.append(str(renamed))
        if left:
            raise WriteFailed(f"{what}; {', '.join(left)} could not be put back and hold the edit") from None
        raise WriteFailed(f"{what}; nothing was written") from None
    finally:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
