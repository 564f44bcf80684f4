"""What OUT's files hold, read ahead on the second core.

A compile compares every generated file it renders with the one in OUT; at 10,000 roles
that is 31,000 files to read, in the write stage, after everything else.  Reading OUT
needs nothing from the catalog, so ``compile`` has a forked child
(``rolecat.background``) read it while the catalog is loaded and rendered: the child
reads the files of the folders at OUT's top (where every generated file but the
manifest is) and returns, for each, its stamp and the SHA-256 of its bytes.  The write
stage then takes a file whose stamp is still the same as holding those bytes, and reads
every other file itself, as it always did.

A stamp (``safefs.Entry.stamp``) is the file's device, inode, size and change time:
every write moves the change time, and no user can set it.  Each file is stamped before
it is read, so bytes written after the stamp was taken change the stamp.  A file
changed less than ``RACY_SECONDS`` before the child started is left out: on a file
system whose clock ticks coarser than its timestamps' digits, a later write could
leave the same change time (git's "racily clean" index entries).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from rolecat.targets.outdir import layout
from rolecat.targets.outdir.safefs import SafeDir, Stamp, UnsafePath

RACY_SECONDS = 3


@dataclass(frozen=True)
class Snapshot:
    """rel -> (stamp, SHA-256 of the bytes) of each file read."""

    files: dict[str, tuple[Stamp, bytes]]

    def holds(self, rel: str, stamp: Stamp, digest: bytes) -> bool:
        """Whether the file at ``rel``, stamped ``stamp`` now, holds the bytes whose SHA-256
        is ``digest`` (False when the snapshot does not know)."""
        seen = self.files.get(rel)
        return seen is not None and seen[0] == stamp and seen[1] == digest


def take(out: Path, limit: int) -> Snapshot:
    """The regular files of ``out``'s folders, one level down, never through a symlink,
    each of at most ``limit`` bytes; empty when ``out`` cannot be read."""
    racy = time.time_ns() - RACY_SECONDS * 1_000_000_000
    files: dict[str, tuple[Stamp, bytes]] = {}
    try:
        with SafeDir(out) as root:
            folders = [e.rel for e in root.walk(deep=False) if e.kind == "dir" and e.rel != layout.WORKDIR]
            stamped = []
            for folder in folders:
                try:
                    stamped += [
                        e
                        for e in root.walk(folder, deep=False)
                        if e.kind == "file" and e.size <= limit and e.stamp[3] < racy
                    ]
                except (OSError, UnsafePath):
                    continue  # replaced by a symlink, unreadable: the write stage says so
            read = root.read_each([e.rel for e in stamped], limit)
            for entry, (rel, data) in zip(stamped, read, strict=True):
                if isinstance(data, bytes) and len(data) == entry.size:
                    files[rel] = (entry.stamp, hashlib.sha256(data).digest())
    except (OSError, UnsafePath):
        pass  # OUT missing or not a folder: nothing known ahead
    return Snapshot(files)
