"""All-or-nothing commits into OUT, with a journal that can be finished or rolled back.

A commit stages every new file under ``.rolecat/staging/``, then writes
``.rolecat/journal.json`` (atomically, fsynced): from that moment the change is
committed.  Files are then moved into place; each file replaced or deleted is first
moved to ``.rolecat/backup/``, so the change can also be undone.  When the journal is
gone, the commit is complete and staging and backups are removed.

Everything under ``.rolecat/`` is in OUT and therefore untrusted: the journal is read
with a size limit and validated (relative, normalised paths, none of them reserved),
and every move goes through ``SafeDir``, which never follows a symlink.

``recover`` runs before every compile: it finishes an interrupted commit, rolls it
back when it cannot be finished, and only when neither works raises ``RecoveryError``
(OUT stays as it is; the next compile tries again).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rolecat import background
from rolecat.targets.outdir import layout
from rolecat.targets.outdir.safefs import SafeDir, UnsafePath, check_rel

MAX_JOURNAL_BYTES = 16 * 1024 * 1024
VERSION = 1

W = layout.WORKDIR
JOURNAL = f"{W}/{layout.JOURNAL}"
JOURNAL_TMP = f"{W}/{layout.JOURNAL_TMP}"
STAGING = f"{W}/{layout.STAGING}"
BACKUP = f"{W}/{layout.BACKUP}"


class CommitError(Exception):
    """A commit failed; ``rolled_back`` says whether OUT is as it was before."""

    def __init__(self, reason: str, *, rolled_back: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rolled_back = rolled_back


class RecoveryError(Exception):
    """An interrupted commit could be neither finished nor rolled back (yet)."""


class CorruptJournal(Exception):
    pass


@dataclass(frozen=True)
class Journal:
    replace: tuple[str, ...]
    delete: tuple[str, ...]
    rmdirs: tuple[str, ...]

    def to_json(self) -> bytes:
        data = {"version": VERSION, "replace": self.replace, "delete": self.delete, "rmdirs": self.rmdirs}
        # one line: the C encoder (indenting takes the pure-Python one, 31,000 paths at 10,000 roles)
        return json.dumps(data).encode("utf-8")


def parse_journal(raw: bytes) -> Journal:
    """The journal, validated; CorruptJournal for anything else."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptJournal("not UTF-8") from None
    except (ValueError, RecursionError):  # in words: "discarded a corrupt journal (not JSON)"
        raise CorruptJournal("not JSON") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise CorruptJournal(f"not a version-{VERSION} journal object")
    if set(data) != {"version", "replace", "delete", "rmdirs"}:
        raise CorruptJournal("unexpected keys")
    lists: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for key in ("replace", "delete", "rmdirs"):
        items = data[key]
        if not isinstance(items, list):
            raise CorruptJournal(f"{key} is not a list")
        for rel in items:
            reason = check_rel(rel)
            if reason is not None:
                raise CorruptJournal(f"{key} entry {rel!r}: {reason}")
            assert isinstance(rel, str)
            if layout.is_reserved(rel):
                raise CorruptJournal(f"{key} entry {rel!r} names a reserved path")
            if rel in seen:
                raise CorruptJournal(f"{key} entry {rel!r} is listed twice")
            seen.add(rel)
        lists[key] = tuple(items)
    return Journal(lists["replace"], lists["delete"], lists["rmdirs"])


def pending(root: SafeDir) -> list[str]:
    """Working files an unfinished commit left in OUT (journal, staging, backups)."""
    return [rel for rel in (JOURNAL, JOURNAL_TMP, STAGING, BACKUP) if _exists(root, rel)]


def _exists(root: SafeDir, rel: str) -> bool:
    try:
        return root.lstat(rel) is not None
    except UnsafePath:
        return True  # .rolecat itself is something odd: that is pending trouble too


def read_journal(root: SafeDir) -> Journal | None:
    raw = root.read(JOURNAL, MAX_JOURNAL_BYTES)
    return None if raw is None else parse_journal(raw)


def _clean(root: SafeDir) -> None:
    for rel in (STAGING, BACKUP):
        root.rmtree(rel)
    root.unlink(JOURNAL_TMP)


def _move_new_folders(root: SafeDir, replace: Sequence[str]) -> set[str]:
    """Each top-level folder of ``replace`` that OUT does not have, moved from staging in
    one rename (a fresh OUT, a new account: thousands of files, one move); the folders
    moved.  Staging holds exactly the files the journal lists (``commit`` stages only
    those), and no file of a folder OUT lacks has been moved yet (its first move would
    have made the folder), so the folder moved holds what its files' moves would have
    made.  Anything else in the way (a file, a symlink, a folder made meanwhile) leaves
    the folder to the moves of its files, which report it."""
    moved: set[str] = set()
    for top in dict.fromkeys(rel.split("/", 1)[0] for rel in replace if "/" in rel):
        if root.lstat(top) is None and root.kind(f"{STAGING}/{top}") == "dir":
            root.replace(f"{STAGING}/{top}", top)
            moved.add(top)
    return moved


def _forward(root: SafeDir, j: Journal) -> None:
    moved = _move_new_folders(root, j.replace)
    for rel in j.replace:
        if "/" in rel and rel.split("/", 1)[0] in moved:
            continue
        staged = f"{STAGING}/{rel}"
        if root.lstat(staged) is None:
            continue  # already moved into place
        kind = root.kind(rel)
        if kind not in (None, "file", "symlink"):
            raise UnsafePath(rel, "is a folder or another odd entry where a file goes")  # never moved away
        if kind is not None and root.lstat(f"{BACKUP}/{rel}") is None:
            root.replace(rel, f"{BACKUP}/{rel}")
        root.replace(staged, rel)
    for rel in j.delete:
        if root.kind(rel) not in ("file", "symlink"):
            continue  # only files are ever deleted; a folder is left to the inventory to report
        if root.lstat(f"{BACKUP}/{rel}") is None:
            root.replace(rel, f"{BACKUP}/{rel}")
        else:
            root.unlink(rel)
    for rel in j.rmdirs:
        root.rmdir(rel)


def _backward(root: SafeDir, j: Journal) -> None:
    for rel in j.rmdirs:
        if root.lstat(rel) is None:
            with root.parent(rel, create=True) as (fd, name):
                os.mkdir(name, 0o755, dir_fd=fd)
    for rel in reversed(j.delete):
        if root.lstat(f"{BACKUP}/{rel}") is not None:
            root.replace(f"{BACKUP}/{rel}", rel)
    for rel in reversed(j.replace):
        moved = root.lstat(f"{STAGING}/{rel}") is None
        backup = root.lstat(f"{BACKUP}/{rel}") is not None
        if backup:
            root.replace(f"{BACKUP}/{rel}", rel)
        elif moved:
            root.unlink(rel)


def _finish(root: SafeDir) -> None:
    root.unlink(JOURNAL)
    root.fsync_dir(W)
    _clean(root)


def recover(root: SafeDir) -> str | None:
    """Finish or roll back an interrupted commit.  Returns a note on what was done, or None.

    Raises CorruptJournal (caller reports and discards) or RecoveryError."""
    j = read_journal(root)  # UnsafePath / CorruptJournal propagate
    if j is None:
        if pending(root):
            _clean(root)  # killed before the commit point: nothing in OUT changed
            return "removed the working files of a compile interrupted before it committed"
        return None
    try:
        _forward(root, j)
    except (OSError, UnsafePath) as exc:
        forward_error = _reason(exc)
        try:
            _backward(root, j)
        except (OSError, UnsafePath) as exc2:
            raise RecoveryError(
                f"an interrupted commit could not be finished ({forward_error}) "
                f"nor rolled back ({_reason(exc2)})"
            ) from None
        _finish(root)
        return f"rolled back a compile interrupted after it committed (it could not be finished: {forward_error})"
    _finish(root)
    return "finished a compile interrupted after it committed"


def discard(root: SafeDir) -> None:
    """Remove a corrupt journal and the working files that belong to it."""
    root.unlink(JOURNAL)
    _clean(root)


# From this many files on, a commit stages them on two cores.
PARALLEL_FILES = 200


def _stage(root: SafeDir, files: Sequence[tuple[str, bytes]]) -> None:
    for path, data in files:
        root.write(path, data, durable=False, new=True)  # staging was just removed


def commit(
    root: SafeDir,
    writes: Sequence[tuple[str, bytes]],
    delete: Sequence[str],
    rmdirs: Sequence[str],
    *,
    meanwhile: Callable[[], object] | None = None,
) -> None:
    """Write ``writes``, delete ``delete``, remove empty ``rmdirs``: all or nothing.

    ``meanwhile``: the caller's work, run on a thread while the staged files are made
    durable (this process only waits on the disk then); it must neither fork nor touch
    OUT.  What it raises is raised once the commit is done.

    Raises CommitError; with ``rolled_back`` False the journal stays for ``recover``."""
    failed: list[BaseException] = []
    try:
        _clean(root)
        root.write(f"{W}/{layout.GITIGNORE}", layout.GITIGNORE_TEXT.encode())
        staged = [(f"{STAGING}/{rel}", data) for rel, data in writes]
        if len(staged) < PARALLEL_FILES:
            _stage(root, staged)
        else:  # creating files is system calls: shared with a forked child, from both ends
            background.from_both_ends(functools.partial(_stage, root), staged)
        with _beside(meanwhile, failed):  # every staged file durable before the journal commits them
            root.sync([path for path, _ in staged])
        j = Journal(tuple(rel for rel, _ in writes), tuple(delete), tuple(rmdirs))
        root.write(JOURNAL_TMP, j.to_json())
        root.replace(JOURNAL_TMP, JOURNAL)
        root.fsync_dir(W)
    except (OSError, UnsafePath) as exc:
        with contextlib.suppress(OSError, UnsafePath):
            _clean(root)
        raise CommitError(f"staging failed: {_reason(exc)}", rolled_back=True) from None
    # Committed: from here on recover() finishes (or undoes) it if we are killed.
    try:
        _forward(root, j)
    except (OSError, UnsafePath) as exc:
        reason = _reason(exc)
        try:
            _backward(root, j)
            _finish(root)
        except (OSError, UnsafePath):
            raise CommitError(reason, rolled_back=False) from None
        raise CommitError(reason, rolled_back=True) from None
    _finish(root)
    root.fsync_dir()
    if failed:
        raise failed[0]


@contextlib.contextmanager
def _beside(work: Callable[[], object] | None, failed: list[BaseException]) -> Iterator[None]:
    """``work`` on a thread for the length of the block (joined at its end, whatever
    happens); what it raises is put in ``failed``."""
    if work is None:
        yield
        return

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, name="rolecat-meanwhile", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnsafePath):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return str(exc)
