"""One writer at a time: an exclusive ``flock`` on ``OUT/.rolecat/lock``.

A second compile into the same OUT waits up to ``timeout`` seconds (default 10, or
``ROLECAT_LOCK_TIMEOUT``), then gives up with a W005 diagnostic.  The lock is released
by the kernel when the process dies, so a killed compile never leaves OUT locked.
Readers (``compile --check``) take the lock shared, so they never see a commit half done;
a reader creates nothing: where no compile ever made the lock file, it reads unlocked.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time

from rolecat.targets.outdir import layout
from rolecat.targets.outdir.safefs import SafeDir, UnsafePath

DEFAULT_TIMEOUT = 10.0


class LockTimeout(Exception):
    pass


def timeout_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get("ROLECAT_LOCK_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


class OutLock:
    """``with OutLock(root):`` holds the lock of the folder ``root`` for the block."""

    def __init__(self, root: SafeDir, timeout: float | None = None, *, shared: bool = False) -> None:
        self.root = root
        self.timeout = timeout_from_env() if timeout is None else timeout
        self.shared = shared  # a reader's lock: never creates the lock file or its folder
        self.fd = -1

    def __enter__(self) -> OutLock:
        rel = f"{layout.WORKDIR}/{layout.LOCK}"
        if self.shared and self.root.kind(rel) is None:
            return self  # no compile ever locked OUT: nothing to wait for
        flags = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        flags |= os.O_RDONLY if self.shared else os.O_RDWR | os.O_CREAT
        with self.root.parent(rel, create=not self.shared) as (dfd, name):
            try:
                fd = os.open(name, flags, 0o644, dir_fd=dfd)
            except OSError as exc:
                if self.shared and exc.errno == errno.ENOENT:
                    return self  # removed since: as if no compile ever locked OUT
                if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
                    raise UnsafePath(rel, "is not a regular file") from None
                raise
        if not _is_regular(fd):
            os.close(fd)
            raise UnsafePath(rel, "is not a regular file")
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(rel) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)
