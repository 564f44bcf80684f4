"""File operations confined to one folder: no symlink followed, no path leaves it.

``SafeDir`` holds a file descriptor of the root folder (opened without following a
symlink) and resolves every relative path one component at a time with ``O_NOFOLLOW``
relative to its parent's descriptor, so a symlink planted anywhere on the way, or
swapped in while rolecat runs, makes the operation fail instead of leaving the folder.
Paths are validated first (``check_rel``): relative, normalised, a safe character set.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

MAX_REL_LENGTH = 1024
MAX_DEPTH = 16
_COMPONENT = re.compile(r"[A-Za-z0-9_.+=,@-]{1,255}")

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafePath(Exception):
    """A path that is malformed, leaves the folder, or meets a symlink or a non-folder on the way."""

    def __init__(self, rel: str, reason: str) -> None:
        super().__init__(f"{rel}: {reason}")
        self.rel = rel
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnsafePath], tuple[str, str]]:
        return UnsafePath, (self.rel, self.reason)  # made again as it was (from a child's pipe)


# A path every check below accepts, in one match (most paths checked are): at most
# MAX_DEPTH components of _COMPONENT's characters, none of them "." or ".." (followed by
# "/", the end, or, in ``all_acceptable``'s text, a line break).
_ONE = rf"(?!\.\.?(?:[/\n]|\Z)){_COMPONENT.pattern}"
_LINE = rf"{_ONE}(?:/{_ONE}){{0,{MAX_DEPTH - 1}}}"
_ACCEPTED = re.compile(_LINE)
_ACCEPTED_LINES = re.compile(rf"{_LINE}(?:\n{_LINE})*")  # many paths, one per line


def check_rel(rel: object) -> str | None:
    """Why ``rel`` is not an acceptable relative path inside the folder, or None."""
    if type(rel) is str and len(rel) <= MAX_REL_LENGTH and _ACCEPTED.fullmatch(rel):
        return None
    return _why_unsafe(rel)


def all_acceptable(rels: Sequence[object]) -> bool:
    """Whether ``check_rel`` accepts every one of ``rels``: one match over them all (a
    compile checks every path it writes, 31,000 at 10,000 roles)."""
    if not rels:
        return True
    if not all(type(rel) is str for rel in rels):
        return False
    strs = cast("Sequence[str]", rels)
    text = "\n".join(strs)
    return (
        max(map(len, strs)) <= MAX_REL_LENGTH
        and text.count("\n") == len(strs) - 1  # no line break within a path
        and _ACCEPTED_LINES.fullmatch(text) is not None
    )


def _why_unsafe(rel: object) -> str | None:
    """``check_rel``, one check at a time (the reason given for a path refused)."""
    if not isinstance(rel, str):
        return f"not a string ({type(rel).__name__})"
    if not rel:
        return "empty"
    if len(rel) > MAX_REL_LENGTH:
        return "too long"
    if rel.startswith("/"):
        return "absolute"
    parts = rel.split("/")
    if len(parts) > MAX_DEPTH:
        return "nested too deeply"
    for part in parts:
        if part in ("", ".", ".."):
            return "not normalised (empty, '.' or '..' component)"
        if not _COMPONENT.fullmatch(part):
            return "characters outside A-Z a-z 0-9 _ . + = , @ -"
    return None


def safe_rel(rel: object) -> str:
    reason = check_rel(rel)
    if reason is not None:
        raise UnsafePath(repr(rel), reason)
    assert isinstance(rel, str)
    return rel


# (st_dev, st_ino, st_size, st_ctime_ns): the same while the entry is not written to
Stamp = tuple[int, int, int, int]


@dataclass(frozen=True)
class Entry:
    """One directory entry, not followed: kind is file, dir, symlink or other."""

    rel: str
    kind: str
    size: int
    stamp: Stamp = (0, 0, 0, 0)


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def describe(kind: str) -> str:
    return {"file": "a file", "dir": "a folder", "symlink": "a symlink", "other": "not a regular file"}[kind]


class SafeDir:
    """A folder opened without following symlinks; operations take validated relative paths."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._dirs: dict[tuple[str, ...], int] | None = None  # see ``cached_dirs``
        try:
            self.fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafePath(str(path), "is a symlink or not a folder") from None
            raise

    @contextlib.contextmanager
    def cached_dirs(self) -> Iterator[None]:
        """Within the block, keep the descriptors of the folders walked to, so a batch of
        operations on thousands of files opens each folder once.  A descriptor is taken
        the same way (component by component, ``O_NOFOLLOW``); a rename or removal through
        this object drops the descriptors at and below the path it touched."""
        if self._dirs is not None:
            yield
            return
        self._dirs = {}
        try:
            yield
        finally:
            dirs, self._dirs = self._dirs, None
            for fd in dirs.values():
                os.close(fd)

    def _forget(self, rel: str) -> None:
        if self._dirs:
            parts = tuple(rel.split("/"))
            for key in [k for k in self._dirs if k[: len(parts)] == parts]:
                os.close(self._dirs.pop(key))

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> SafeDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ walking
    def _open_dir(self, parts: list[str], rel: str, *, create: bool) -> int:
        fd, owned = self._folder(parts, rel, create=create)
        return fd if owned else os.dup(fd)

    def _folder(self, parts: list[str], rel: str, *, create: bool) -> tuple[int, bool]:
        """(descriptor of the folder ``parts``; whether the caller owns it): within
        ``cached_dirs`` the cached descriptor itself, which the caller uses before any
        other call on this object could close it (no ``dup`` and ``close`` per file)."""
        dirs = self._dirs
        if dirs is None:
            return self._walk_dir(parts, rel, create=create), True
        key = tuple(parts)
        cached = dirs.get(key)
        if cached is None:
            cached = dirs[key] = self._walk_dir(parts, rel, create=create)
        return cached, False

    def _walk_dir(self, parts: list[str], rel: str, *, create: bool) -> int:
        fd = os.dup(self.fd)
        try:
            for i, part in enumerate(parts):
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=fd)
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        where = "/".join(parts[: i + 1])
                        raise UnsafePath(rel, f"{where} is a symlink or not a folder") from None
                    raise
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextlib.contextmanager
    def parent(self, rel: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
        """(descriptor of the folder holding ``rel``, last component)."""
        parts = safe_rel(rel).split("/")
        fd = self._open_dir(parts[:-1], rel, create=create)
        try:
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry itself (not followed), or None when it or a folder on the way is missing."""
        try:
            with self.parent(rel) as (fd, name):
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def kind(self, rel: str) -> str | None:
        st = self.lstat(rel)
        return None if st is None else _kind(st.st_mode)

    def read(self, rel: str, limit: int) -> bytes | None:
        """A regular file's bytes; None when missing.  UnsafePath for anything else or too large."""
        try:
            with self.parent(rel) as (dfd, name):
                return _read_at(dfd, name, rel, limit)
        except FileNotFoundError:
            return None

    def read_each(self, rels: Iterable[str], limit: int) -> Iterator[tuple[str, bytes | Exception | None]]:
        """``read`` of each path, in order, as (rel, its bytes, or None when missing, or the
        ``UnsafePath`` or ``OSError`` that ``read`` raises): thousands of files at the cost
        of their reads, each folder's descriptor taken once."""
        dirs: dict[str, int] = {}
        try:
            for rel in rels:
                try:
                    folder, _, name = safe_rel(rel).rpartition("/")
                    dfd = dirs.get(folder)
                    if dfd is None:
                        dfd = dirs[folder] = self._open_dir(
                            folder.split("/") if folder else [], rel, create=False
                        )
                    yield rel, _read_at(dfd, name, rel, limit)
                except FileNotFoundError:
                    yield rel, None
                except (UnsafePath, OSError) as exc:
                    yield rel, exc
        finally:
            for dfd in dirs.values():
                os.close(dfd)

    def write(self, rel: str, data: bytes, *, durable: bool = True, new: bool = False) -> None:
        """Create or truncate a regular file (never through a symlink), durably unless
        ``durable`` is False (then the caller makes a batch durable with ``sync``).
        ``new``: the file cannot be there yet (a folder just emptied): one system call
        less, and ``FileExistsError`` if it is."""
        parts = safe_rel(rel).split("/")
        name = parts.pop()
        dfd, owned = self._folder(parts, rel, create=True)
        try:
            try:
                if not new:
                    os.unlink(name, dir_fd=dfd)
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                raise UnsafePath(rel, "is a folder") from None
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(name, flags, 0o644, dir_fd=dfd)
            try:
                view = memoryview(data)
                while view:  # os.write may write less than asked
                    view = view[os.write(fd, view) :]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            if owned:
                os.close(dfd)

    def sync(self, rels: Sequence[str]) -> None:
        """Make the files ``rels`` (written with ``durable=False``) durable.

        One ``syncfs`` of the folder's file system where the platform has it (a batch of
        thousands of files costs one flush instead of one journal commit each), else an
        ``fsync`` of every file, opened again without following a symlink."""
        if _syncfs(self.fd):
            return
        for rel in rels:
            with self.parent(rel) as (dfd, name):
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dfd)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def replace(self, src: str, dst: str, *, create_parents: bool = True) -> None:
        """Rename ``src`` over ``dst`` (the entry itself is replaced; nothing is followed)."""
        with self.parent(src) as (sfd, sname), self.parent(dst, create=create_parents) as (dfd, dname):
            os.replace(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
        self._forget(src)
        self._forget(dst)

    def unlink(self, rel: str) -> bool:
        """Remove a file or symlink (not followed); False when it was not there."""
        try:
            with self.parent(rel) as (fd, name):
                os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            return False
        return True

    def rmdir(self, rel: str) -> bool:
        """Remove an empty folder; False when missing or not empty."""
        self._forget(rel)
        try:
            with self.parent(rel) as (fd, name):
                os.rmdir(name, dir_fd=fd)
        except (FileNotFoundError, OSError):
            return False
        return True

    def rmtree(self, rel: str) -> None:
        """Remove a folder and everything in it, never following a symlink."""
        self._forget(rel)
        try:
            with self.parent(rel) as (pfd, name):
                st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
                if not stat.S_ISDIR(st.st_mode):
                    os.unlink(name, dir_fd=pfd)
                    return
                _rmtree_at(pfd, name)
        except FileNotFoundError:
            return

    def fsync_dir(self, rel: str | None = None) -> None:
        with contextlib.suppress(OSError):
            if rel is None:
                os.fsync(self.fd)
                return
            fd = self._open_dir(safe_rel(rel).split("/"), rel, create=False)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def walk(
        self, rel: str | None = None, *, skip: frozenset[str] = frozenset(), deep: bool = True
    ) -> Iterator[Entry]:
        """Every entry below ``rel`` (or the root), sorted, symlinks reported and never entered.

        Folders whose relative path is in ``skip`` are reported but not entered; with
        ``deep`` False, none is."""
        fd = self.fd if rel is None else self._open_dir(safe_rel(rel).split("/"), rel, create=False)
        try:
            yield from _walk_fd(fd, rel or "", skip, deep)
        finally:
            if rel is not None:
                os.close(fd)


def _read_at(dfd: int, name: str, rel: str, limit: int) -> bytes:
    """The regular file ``name`` in the folder ``dfd``, never through a symlink."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(rel, "is a symlink") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(rel, f"is {describe(_kind(st.st_mode))}")
        if st.st_size > limit:
            raise UnsafePath(rel, f"is larger than {limit:,} bytes")
        # The size fstat gave, and one byte more to see a file that grew since: a read of
        # ``limit + 1`` bytes would allocate that much (256 MiB) for every file.
        data = _read_up_to(fd, st.st_size + 1)
        if len(data) > st.st_size:
            data += _read_up_to(fd, limit + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnsafePath(rel, f"is larger than {limit:,} bytes")
    return data


def _read_up_to(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the file."""
    parts = []
    while size > 0 and (chunk := os.read(fd, size)):
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _syncfs(fd: int) -> bool:
    """syncfs(2) of the file system holding ``fd``; False where it is not available or fails."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.syncfs(fd) == 0)
    except (OSError, AttributeError):
        return False


def _walk_fd(fd: int, prefix: str, skip: frozenset[str], deep: bool) -> Iterator[Entry]:
    names = sorted(os.listdir(fd))
    for name in names:
        rel = f"{prefix}/{name}" if prefix else name
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        kind = _kind(st.st_mode)
        yield Entry(rel, kind, st.st_size, (st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns))
        if deep and kind == "dir" and rel not in skip:
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                yield Entry(rel, "unreadable", 0)
                continue
            try:
                yield from _walk_fd(sub, rel, skip, deep)
            except PermissionError:
                yield Entry(rel, "unreadable", 0)
            finally:
                os.close(sub)


def _rmtree_at(parent_fd: int, name: str) -> None:
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    try:
        for child in os.listdir(fd):  # noqa: PTH208 - a descriptor, not a path
            st = os.stat(child, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                _rmtree_at(fd, child)
            else:
                os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)
