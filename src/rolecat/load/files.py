"""Finding and reading a catalog's files without trusting the folder.

A pull request controls the catalog folder, so nothing in it is silently skipped and
nothing is read before it has been checked:

- every entry of ``roles/``, ``policies/`` and ``boundaries/`` is accounted for: a
  file rolecat reads, a documented extra (``README.md``, ``.gitkeep``), or an error
  (a wrong extension such as ``.yml`` or ``.YAML``, a sub-folder of ``policies/``, a
  name outside the safe character set, a FIFO or device, an unreadable folder);
- a symlink is followed only when it stays inside the catalog and ends at a regular
  file; a broken or looping one, or one that leaves the catalog, is an error;
- a file is opened without blocking (a FIFO cannot hang the run), checked to be a
  regular file with ``fstat``, and refused before reading when it is larger than the
  limit for its kind (a policy larger than any IAM accepts, a symlink to ``/dev/zero``).
"""

from __future__ import annotations

import copy
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from rolecat.diagnostics import Diagnostic, Location, error

# IAM's largest managed policy is 6,144 characters without whitespace; a policy file may
# indent generously and use placeholders, but not beyond this.
MAX_POLICY_BYTES = 64 * 1024
MAX_ROLE_BYTES = 256 * 1024
MAX_SETTINGS_BYTES = 16 * 1024 * 1024  # catalog.yaml, users.yaml (thousands of users)

# Files that roles/, policies/ and boundaries/ may hold besides their documents.
DOCUMENTED_EXTRAS = frozenset({"README.md", ".gitkeep"})

# Catalog file and folder names: what CODEOWNERS, HCL tags, SARIF URIs and every
# terminal can carry unescaped.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+=,@-]{0,127}")
MAX_DEPTH = 8


def display_path(path: Path) -> str:
    """How diagnostics name a catalog's files: relative to the working directory when
    inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return rel.as_posix() or "."


@dataclass(frozen=True)
class Found:
    path: Path
    display: str


def _name_problem(name: str) -> str | None:
    if SAFE_NAME.fullmatch(name):
        return None
    from rolecat.report.escape import printable

    return (
        f"file name '{printable(name)}' has characters outside A-Z a-z 0-9 _ . + = , @ - "
        "(or does not start with a letter or digit)"
    )


class Walker:
    """Lists a catalog's folders, reporting everything it does not return."""

    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.display_root = display_root
        try:
            self.real_root = root.resolve(strict=True)
        except (OSError, RuntimeError):
            self.real_root = root.absolute()
        self.diags: list[Diagnostic] = []

    def with_own_diagnostics(self) -> Walker:
        """A walker over the same catalog whose reports go to a list of its own."""
        other = copy.copy(self)
        other.diags = []
        return other

    def display(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return f"{self.display_root.rstrip('/')}/{rel}" if self.display_root not in ("", ".") else rel

    def err(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        self.diags.append(error(code, message, Location(self.display(path)), hint))

    def link_target(self, path: Path) -> Path | None:
        """Where a symlink ends, if it stays inside the catalog; reports and returns None otherwise."""
        try:
            real = path.resolve(strict=True)
        except FileNotFoundError:
            self.err("L011", "broken symlink: its target does not exist", path, "remove it or fix its target")
            return None
        except (OSError, RuntimeError) as exc:
            loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
            what = "symlink loop" if loop else f"cannot follow the symlink: {getattr(exc, 'strerror', exc)}"
            self.err("L011", what, path, "remove it or fix its target")
            return None
        if not real.is_relative_to(self.real_root):
            self.err(
                "L011",
                "symlink leads outside the catalog",
                path,
                "copy the file into the catalog; rolecat reads nothing outside it",
            )
            return None
        return real

    def kind(self, path: Path) -> str | None:
        """file, dir, or None (reported: broken or outside symlink, FIFO, device, vanished)."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.err("L000", f"cannot read: {exc.strerror}", path)
            return None
        return self._kind(path, st.st_mode)

    def _kind(self, path: Path, mode: int) -> str | None:
        """``kind`` of ``path``, whose ``lstat`` gave ``mode`` (only the file type is read)."""
        if stat.S_ISLNK(mode):
            real = self.link_target(path)
            if real is None:
                return None
            if real.is_dir():
                self.err("L011", "symlink to a folder; rolecat does not follow folder symlinks", path)
                return None
            try:
                mode = real.stat().st_mode
            except OSError as exc:
                self.err("L000", f"cannot read: {exc.strerror}", path)
                return None
        if stat.S_ISDIR(mode):
            return "dir"
        if stat.S_ISREG(mode):
            return "file"
        self.err(
            "L012", "not a regular file (a FIFO, socket or device)", path, "catalog files are plain files"
        )
        return None

    def entries(self, folder: Path) -> list[tuple[str, Path, str]]:
        """The folder's entries by name as (name, path, kind), with ``kind`` as ``kind``
        gives it and every entry that is not a valid name, or whose kind could not be
        told, reported and left out.  The types come from the folder listing itself
        (``os.scandir``): a catalog of 10,000 roles costs no ``lstat`` per file."""
        try:
            with os.scandir(folder) as it:
                listed = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.err("L000", f"cannot read folder: {exc.strerror}", folder, "make it readable")
            return []
        out: list[tuple[str, Path, str]] = []
        for entry in listed:
            name, path = entry.name, folder / entry.name
            problem = _name_problem(name)
            if problem is not None and name not in DOCUMENTED_EXTRAS:
                self.err("L013", problem, path, "rename it")
                continue
            try:
                mode = _mode_of(entry)
            except OSError as exc:
                self.err("L000", f"cannot read: {exc.strerror}", path)
                continue
            kind = self._kind(path, mode)
            if kind is not None:
                out.append((name, path, kind))
        return out

    def roles(self, folder: Path, depth: int = 0) -> list[Found]:
        """Every role file under ``roles/``."""
        found: list[Found] = []
        shown = self.display(folder)
        for name, path, kind in self.entries(folder):
            if kind == "dir":
                if depth >= MAX_DEPTH:
                    self.err("L013", f"folders nested deeper than {MAX_DEPTH} levels under roles/", path)
                    continue
                found.extend(self.roles(path, depth + 1))
            elif name.endswith(".yaml"):
                found.append(Found(path, f"{shown}/{name}"))
            elif name in DOCUMENTED_EXTRAS:
                continue
            else:
                ext = path.suffix
                hint = (
                    f"rename it to {name[: -len(ext)]}.yaml"
                    if ext.lower() in (".yaml", ".yml")
                    else "roles/ holds role files (*.yaml) and README.md only; move it elsewhere"
                )
                self.err(
                    "C030",
                    f"unexpected file in roles/: role files end in .yaml, not {ext or 'nothing'}",
                    path,
                    hint,
                )
        return found

    def documents(self, folder: Path, what: str) -> list[Found]:
        """Every ``*.json`` of ``policies/`` or ``boundaries/`` (no sub-folders)."""
        found: list[Found] = []
        for name, path, kind in self.entries(folder):
            if kind == "dir":
                self.err("C031", f"{what}/ holds no folders", path, f"move the documents up into {what}/")
            elif name.endswith(".json"):
                stem = name[: -len(".json")]
                if not re.fullmatch(r"[A-Za-z0-9_.-]+", stem):
                    self.err("L013", f"{what} names use A-Z a-z 0-9 _ . - only", path, "rename it")
                    continue
                found.append(Found(path, self.display(path)))
            elif name not in DOCUMENTED_EXTRAS:
                ext = path.suffix
                self.err(
                    "C031",
                    f"unexpected file in {what}/: documents end in .json, not {ext or 'nothing'}",
                    path,
                    f"{what}/ holds *.json documents and README.md only",
                )
        return found


def _mode_of(entry: os.DirEntry[str]) -> int:
    """The entry's file type, as ``lstat`` gives it: from the listing's own type where the
    file system gives one (a symlink, a folder, a regular file), else from ``lstat``."""
    if entry.is_symlink():
        return stat.S_IFLNK
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    return entry.stat(follow_symlinks=False).st_mode


_OPEN = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # a FIFO cannot block the open
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 where there is none: lstat first, as for a symlink
# What opening a symlink with O_NOFOLLOW fails with: ELOOP (Linux, macOS), EMLINK (FreeBSD).
_SYMLINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})


def read_bytes(walker: Walker, path: Path, display: str, limit: int) -> bytes | None:
    """The file's bytes, or None with a diagnostic: checked (symlink, kind, size) before reading."""
    loc = Location(display)
    try:
        # Opened as it is when it is no symlink (one system call, no lstat first); a
        # symlink is opened at its target once that is known to stay inside the catalog.
        fd = os.open(path, _OPEN | _NOFOLLOW) if _NOFOLLOW else None
    except OSError as exc:
        if exc.errno not in _SYMLINK_ERRNOS:
            walker.diags.append(error("L000", f"cannot read file: {exc.strerror}", loc))
            return None
        fd = None
    if fd is None:
        try:
            st = os.lstat(path)
        except OSError as exc:
            walker.diags.append(error("L000", f"cannot read file: {exc.strerror}", loc))
            return None
        target = path
        if stat.S_ISLNK(st.st_mode):
            real = walker.link_target(path)
            if real is None:
                return None
            target = real
        try:
            fd = os.open(target, _OPEN)
        except OSError as exc:
            walker.diags.append(error("L000", f"cannot read file: {exc.strerror}", loc))
            return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
        walker.diags.append(error("L012", f"not a regular file ({what})", loc))
        return None
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > limit:
            walker.diags.append(
                error("L010", f"file is {st.st_size:,} bytes; the limit for this file is {limit:,}", loc)
            )
            return None
        try:
            # the size fstat gave, and one byte more to see a file that grew since: asking
            # for ``limit + 1`` would allocate that much for every small file
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:
                data += fh.read(limit + 1 - len(data))
        except OSError as exc:
            walker.diags.append(error("L000", f"cannot read file: {exc.strerror}", loc))
            return None
    if len(data) > limit:
        walker.diags.append(
            error("L010", f"file is larger than the limit for this file ({limit:,} bytes)", loc)
        )
        return None
    return data
