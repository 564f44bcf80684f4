"""Write stage: put rendered files into OUT all-or-nothing, and compare them with OUT.

OUT is untrusted input (a pull request controls it): every operation goes through
``outdir.safefs.SafeDir`` (validated relative paths, no symlink followed), rolecat's
working files live in ``OUT/.rolecat/`` (same file system, so a commit is a series of
renames), one compile at a time holds its lock, and a commit is journaled so that the
next compile finishes or rolls back an interrupted one (``outdir.journal``).

What rolecat owns in OUT is what the previous manifest lists plus what it generates
now; besides those, only the paths of ``outdir.layout`` may exist.  Anything else is
reported (``W008``): a warning for compile, which leaves it alone, an error for
``--check`` and for ``plan``/``apply``, which refuse to run Terraform on it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import orjson

from rolecat.diagnostics import Diagnostic, Location, error, warning
from rolecat.report.words import counted
from rolecat.targets.outdir import journal, layout
from rolecat.targets.outdir.lock import LockTimeout, OutLock
from rolecat.targets.outdir.safefs import SafeDir, Stamp, UnsafePath, all_acceptable, check_rel, describe
from rolecat.targets.outdir.snapshot import Snapshot

if TYPE_CHECKING:
    from rolecat.targets.terraform.render import RenderedFile  # render pulls in the model and Jinja

MANIFEST = "manifest.json"
# Largest generated file or manifest rolecat reads back from OUT (anything larger is not ours).
MAX_OUT_FILE = 256 * 1024 * 1024
# Largest file read ahead (``read_ahead``): generated files are far smaller; a larger one,
# generated or planted, is left to the inventory, which reads only files it expects.
AHEAD_MAX_FILE = 1024 * 1024
# How many unexpected entries a diagnostic lists by name.
LIST_LIMIT = 20


class OutFile(Protocol):
    """A file compile puts in OUT, as the comparison with OUT needs it: its bytes
    (``RenderedFile``), or only their size and SHA-256 (``recall.KnownFile``)."""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def digest(self) -> bytes: ...
    def same(self, data: bytes) -> bool: ...


@dataclass(frozen=True)
class Previous:
    files: frozenset[str]
    accounts: frozenset[str]


def _loads(raw: bytes) -> Any:
    """JSON of the previous manifest: orjson for speed (a 10k-role manifest is large); text it
    refuses goes through the standard library, whose error the diagnostic places and words."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8"))


class PreviousManifest:
    """OUT's ``manifest.json`` as a compile read it: the bytes, parsed at most once.

    A compile reads the previous manifest once, before writing (``PreviousManifest.read``):
    the replacement warnings and the write stage's check before it takes the lock share these
    bytes and their parse.  Under the lock the write stage reads the file again (it may have
    changed meanwhile) and reuses the parse only when the bytes are the same."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._data: Any = None
        self._error: UnicodeDecodeError | ValueError | RecursionError | None = None
        self._parsed = False

    @classmethod
    def read(cls, out: Path) -> PreviousManifest | None:
        """OUT's manifest, read as hostile input (no symlink, FIFO or device is opened,
        size-capped); None when there is none or it cannot be read (the write stage, which
        reads it again, reports why)."""
        try:
            with SafeDir(out) as root:
                raw = root.read(MANIFEST, MAX_OUT_FILE)
        except (UnsafePath, OSError):
            return None
        return None if raw is None else cls(raw)

    @functools.cached_property
    def digest(self) -> bytes:
        """SHA-256 of the bytes (40 MB at 10,000 roles: hashed once)."""
        return hashlib.sha256(self.raw).digest()

    def parsed(self) -> Any:
        """``data()``, or None when the bytes do not parse.  Only for advisory uses: the
        write stage validates the manifest (``read_previous``) before trusting it."""
        try:
            return self.data()
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None

    def data(self) -> Any:
        """``_loads`` of the bytes; raises what it raises (each call, the same error)."""
        if not self._parsed:
            try:
                self._data = _loads(self.raw)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                self._error = exc
            self._parsed = True
        if self._error is not None:
            raise self._error
        return self._data


def _loc(display: str, rel: str | None = None) -> Location:
    return Location(display if rel is None else f"{display}/{rel}")


def _manifest_entries(data: object) -> tuple[list[object], list[object]]:
    """(file paths, account folders) as the manifest states them; ValueError if malformed."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    files = data.get("files")
    accounts = data.get("accounts")
    if not isinstance(files, list) or not isinstance(accounts, dict):
        raise ValueError("'files' must be a list and 'accounts' an object")
    paths: list[object] = []
    for f in files:
        if isinstance(f, str):  # manifest version 2: the path itself
            paths.append(f)
            continue
        if not isinstance(f, dict) or "path" not in f:  # version 1: {"path", "sha256"}
            raise ValueError("every entry of 'files' must be a path or an object with a 'path'")
        paths.append(f["path"])
    folders: list[object] = []
    for a in accounts.values():
        if not isinstance(a, dict) or "folder" not in a:
            raise ValueError("every account must be an object with a 'folder'")
        folders.append(a["folder"])
    return paths, folders


def read_previous(
    root: SafeDir,
    display: str,
    rendered: Sequence[OutFile] = (),
    known: PreviousManifest | None = None,
    *,
    reread: bool = True,
) -> tuple[Previous | None, list[Diagnostic]]:
    """What the last compile generated in OUT, from its manifest (validated, never trusted).

    ``rendered``: the files this compile writes.  A previous manifest with exactly the bytes
    of the one among them is the manifest this compile writes, so it is not parsed at all
    (4.7 MB at 1,000 roles): it lists the other rendered files (``files``), and their top
    folders are its accounts' folders (every account has files).

    ``known``: the manifest as this compile already read it.  With ``reread`` False its bytes
    are taken as they are (the check before the lock); otherwise the file is read again and
    ``known``'s parse is reused when the bytes are the same."""
    where = f"{display}/{MANIFEST}"
    hint = "restore it from version control, or pass --force to regenerate the folder"
    if known is not None and not reread:
        raw: bytes | None = known.raw
    else:
        try:
            raw = root.read(MANIFEST, MAX_OUT_FILE)
        except UnsafePath as exc:
            return None, [error("W003", f"the previous manifest {exc.reason}", Location(where), hint)]
        except OSError as exc:
            return None, [
                error("W003", f"cannot read the previous manifest: {exc.strerror}", Location(where), hint)
            ]
    if raw is None:
        return None, []
    mine = next((f for f in rendered if f.path == MANIFEST), None)
    # The rendered (or remembered) files' own paths: write_output refuses an unsafe one,
    # recall a remembered one, SafeDir any.
    if mine is not None and mine.same(raw):
        mine_paths = frozenset(f.path for f in rendered if f.path != MANIFEST)
        return Previous(mine_paths, frozenset(p.split("/", 1)[0] for p in mine_paths if "/" in p)), []
    manifest = known if known is not None and known.raw == raw else PreviousManifest(raw)
    try:
        data = manifest.data()
    except UnicodeDecodeError:
        return None, [error("W003", "cannot read the previous manifest: not UTF-8", Location(where), hint)]
    except (ValueError, RecursionError) as exc:  # json's: said as the catalog's JSON errors, at the place
        from rolecat.load.source import json_syntax

        syntax = json_syntax(raw.decode("utf-8"), exc)
        assert syntax is not None  # json refused it
        at = Location(where, syntax.line, syntax.col)
        return None, [error("W003", f"cannot read the previous manifest: {syntax.message}", at, hint)]
    try:
        paths, folders = _manifest_entries(data)
    except ValueError as exc:
        return None, [error("W003", f"cannot read the previous manifest: {exc}", Location(where), hint)]
    entries = [*paths, *folders]
    acceptable = all_acceptable(entries)  # one match for them all; check_rel then says why not
    for rel in entries:
        why: str | None = None if acceptable else check_rel(rel)
        if why is None and isinstance(rel, str):
            if layout.is_reserved(rel):
                why = "a path reserved for rolecat's and Terraform's working files"
            elif rel in folders and "/" in rel:
                why = "an account folder must be a single name"
        if why is not None:
            message = f"the previous manifest names an unacceptable path {rel!r}: {why}"
            return None, [error("W003", message, Location(where), hint)]
    from rolecat.targets.terraform.manifest import schema_problem

    problem = schema_problem(data)
    if problem is not None:
        message = f"the previous manifest does not match its schema (rolecat schema manifest): {problem}"
        return None, [error("W003", message, Location(where), hint)]
    return Previous(frozenset(str(p) for p in paths), frozenset(str(f) for f in folders)), []


@contextlib.contextmanager
def read_ahead(out: Path) -> Iterator[Callable[[], Snapshot | None]]:
    """OUT's files read in a forked child (``outdir.snapshot``) while the block loads and
    renders the catalog; the block calls what it is given for the snapshot, which is None
    when reading ahead would save nothing: OUT holds no earlier compile, or no child may
    be forked (the write stage then reads OUT itself, as it would).  A child whose
    snapshot was not asked for is stopped at the end of the block."""
    from rolecat import background
    from rolecat.targets.outdir import snapshot

    if not background.fork_allowed() or not (out / MANIFEST).is_file():
        yield lambda: None
        return
    caller = os.getpid()

    def take() -> snapshot.Snapshot:
        if os.getpid() != caller:  # in the child (``result`` redoes a dead child's work here)
            os.nice(19)  # the second core's idle time only: loading the catalog uses both first
        return snapshot.take(out, AHEAD_MAX_FILE)

    pending = background.start(take)
    try:
        yield pending.result
    finally:
        pending.cancel()  # nothing to do once collected


# --------------------------------------------------------------------------- inventory


F = TypeVar("F", bound=OutFile)


@dataclass
class Inventory(Generic[F]):
    """OUT compared with what rolecat would write."""

    changed: list[F] = field(default_factory=list)  # new or different content
    stale: list[str] = field(default_factory=list)  # generated last time, not now: deleted
    foreign: list[str] = field(default_factory=list)  # "rel: what it is", not written by rolecat
    blocked: list[str] = field(default_factory=list)  # "rel: why" where a generated file cannot go
    pending: list[str] = field(default_factory=list)  # working files of an unfinished commit


def _account_folders(files: Sequence[OutFile], prev: Previous | None) -> set[str]:
    found = {f.path.split("/", 1)[0] for f in files if "/" in f.path}
    return found | (set(prev.accounts) if prev else set())


def take_inventory(
    root: SafeDir,
    files: Sequence[F],
    prev: Previous | None,
    *,
    compare: bool = True,
    ahead: Snapshot | None = None,
) -> Inventory[F]:
    """OUT against ``files`` (what compile writes) and the previous manifest.  With ``compare``
    False, contents are not compared: only what is there, and what it is.  ``ahead``: what
    OUT's files held when read ahead (``outdir.snapshot``); a file it still knows is not
    read again."""
    inv: Inventory[F] = Inventory()
    expected = {f.path: f for f in files}
    parents: set[str] = set()  # every folder on the way to a file
    for path in expected:
        folder = path.rpartition("/")[0]
        while folder and folder not in parents:  # a folder's own are in once it is
            parents.add(folder)
            folder = folder.rpartition("/")[0]
    accounts = _account_folders(files, prev)
    # accounts compiled without a backend keep Terraform's local state in their folder
    local_state = {a for a in accounts if f"{a}/{layout.BACKEND_FILE}" not in expected}
    owned = set(prev.files) if prev else set()
    skip = frozenset({layout.WORKDIR, *(f"{a}/{layout.ACCOUNT_TF_DIR}" for a in accounts)})
    seen: set[str] = set()
    stamps: dict[str, Stamp] = {}  # of the generated files found, as walked
    for entry in root.walk(skip=skip):
        rel, kind = entry.rel, entry.kind
        if kind == "unreadable":
            inv.foreign.append(f"{rel}: a folder rolecat cannot read")
            continue
        seen.add(rel)
        top, _, rest = rel.partition("/")
        if rel == layout.WORKDIR:
            if kind != "dir":
                inv.foreign.append(f"{rel}: {describe(kind)} where rolecat keeps its working folder")
            continue
        if rest and "/" not in rest and top in accounts and rest in layout.ACCOUNT_EXTRAS:
            want = layout.ACCOUNT_EXTRAS[rest]
            if kind != want:
                inv.foreign.append(f"{rel}: {describe(kind)}, not {describe(want)}")
            continue
        if rest in layout.LOCAL_STATE_FILES and top in local_state and rel not in expected:
            if kind != "file":
                inv.foreign.append(f"{rel}: {describe(kind)}, not {describe('file')}")
            continue
        if rel in expected:
            if kind != "file":
                inv.blocked.append(f"{rel}: {describe(kind)} where rolecat writes a file")
            else:
                stamps[rel] = entry.stamp
            continue
        if rel in parents:
            if kind != "dir":
                inv.blocked.append(f"{rel}: {describe(kind)} where rolecat needs a folder")
            continue
        if rel in owned and kind in ("file", "symlink"):
            if kind == "file":
                inv.stale.append(rel)
            else:
                inv.foreign.append(f"{rel}: a symlink where rolecat wrote a file")
            continue
        if rel in accounts and kind == "dir":
            continue  # an account folder being pruned, or left with only extras in it
        inv.foreign.append(f"{rel}: {describe(kind)} rolecat did not write")
    if layout.WORKDIR in seen and root.kind(layout.WORKDIR) == "dir":
        for entry in root.walk(layout.WORKDIR, skip=frozenset({f"{layout.WORKDIR}/{layout.PLANS}"})):
            rel, kind = entry.rel, entry.kind
            name = rel.split("/", 2)[1]
            if rel.count("/") == 1 and name in layout.WORKDIR_PENDING:
                inv.pending.append(rel)
            elif rel.count("/") == 1 and name in layout.WORKDIR_IDLE:
                want = "dir" if name == layout.PLANS else "file"
                if kind != want:
                    inv.foreign.append(f"{rel}: {describe(kind)}, not {describe(want)}")
            elif rel.split("/")[1] not in layout.WORKDIR_PENDING:
                inv.foreign.append(f"{rel}: {describe(kind)} rolecat did not write")
    blocked = {b.split(":", 1)[0] for b in inv.blocked}
    same_size: list[F] = []
    for rel, f in sorted(expected.items()) if compare else ():
        if blocked and (rel in blocked or any(rel.startswith(b + "/") for b in blocked)):
            continue
        stamp = stamps.get(rel)
        if stamp is None or (stamp[2] != f.size and stamp[2] <= MAX_OUT_FILE):
            inv.changed.append(f)  # missing, or of another size: no need to read it
        elif ahead is None or not ahead.holds(rel, stamp, f.digest):
            same_size.append(f)
    for f, (rel, current) in zip(
        same_size, root.read_each([f.path for f in same_size], MAX_OUT_FILE), strict=True
    ):
        if isinstance(current, UnsafePath):
            inv.blocked.append(f"{rel}: {current.reason}")
        elif isinstance(current, OSError):
            inv.blocked.append(f"{rel}: cannot be read ({current.strerror})")
        elif not isinstance(current, bytes) or not f.same(current):
            inv.changed.append(f)
    inv.changed.sort(key=lambda f: f.path)
    inv.stale.sort()
    return inv


def _listing(items: Sequence[str]) -> str:
    from rolecat.report.escape import printable

    shown = [printable(i) for i in items[:LIST_LIMIT]]
    more = f"; and {len(items) - LIST_LIMIT} more" if len(items) > LIST_LIMIT else ""
    return "; ".join(shown) + more


def foreign_diagnostic(display: str, inv: Inventory[Any], *, as_error: bool) -> list[Diagnostic]:
    if not inv.foreign:
        return []
    message = (
        f"{counted(len(inv.foreign), 'thing')} in OUT that rolecat did not write: {_listing(inv.foreign)}"
    )
    hint = (
        "only generated files, each account's .terraform.lock.hcl and .terraform/, and .rolecat/ may be in "
        "OUT (docs/output.md); remove the rest: Terraform would read any .tf file there"
    )
    if as_error:
        return [error("W008", message, _loc(display), hint)]
    return [warning("W011", message, _loc(display), hint)]


def pending_diagnostic(display: str, inv: Inventory[Any]) -> list[Diagnostic]:
    if not inv.pending:
        return []
    return [
        error(
            "W007",
            f"OUT is half-committed: an interrupted compile left {_listing(inv.pending)}",
            _loc(display),
            "run rolecat compile: it finishes or rolls back the interrupted commit",
        )
    ]


# --------------------------------------------------------------------------- compile


def _check_out_path(out: Path, display: str) -> list[Diagnostic]:
    """OUT itself, and every folder on the way to it below the working directory, is no symlink."""
    parts = [out] if out.is_absolute() else [Path(*out.parts[: i + 1]) for i in range(len(out.parts))]
    for p in parts:
        if p.is_symlink():
            return [
                error(
                    "W004",
                    f"{p} is a symlink; rolecat does not write through symlinks",
                    _loc(display),
                    "point -o at a real folder",
                )
            ]
    if out.exists() and not out.is_dir():
        return [
            error(
                "W001",
                f"{display} exists and is not a folder",
                _loc(display),
                "-o names a folder: give a new or empty one (--force does not write over a file)",
            )
        ]
    return []


def _refusals(
    root: SafeDir,
    display: str,
    files: Sequence[F],
    prev: Previous | None,
    *,
    force: bool,
    prune: bool,
    renamed: frozenset[str] = frozenset(),
    ahead: Snapshot | None = None,
) -> tuple[Inventory[F] | None, list[str], list[Diagnostic]]:
    inv = take_inventory(root, files, prev, ahead=ahead)
    if prev is None and not force:
        others = [e for e in root.walk(skip=frozenset({layout.WORKDIR})) if e.rel != layout.WORKDIR]
        if others:
            return (
                None,
                [],
                [
                    error(
                        "W001",
                        f"{display} is not empty and has no rolecat {MANIFEST}",
                        _loc(display),
                        "choose an empty folder with -o, or pass --force to write into it",
                    )
                ],
            )
    new_accounts = {f.path.split("/", 1)[0] for f in files if "/" in f.path}
    rmdirs: list[str] = []
    problems: list[Diagnostic] = []
    for acct in sorted((prev.accounts if prev else frozenset()) - new_accounts):
        if root.kind(acct) is None:
            continue
        if prune or acct in renamed:  # a renamed account's folder moves (renamed_from)
            rmdirs.append(acct)
        else:
            problems.append(
                error(
                    "W002",
                    f"account folder {display}/{acct} belongs to an account no longer in the catalog",
                    _loc(display, acct),
                    "its Terraform state still holds IAM resources: run terraform destroy there first, "
                    "then compile with --prune-accounts",
                )
            )
    if inv.blocked:
        problems.append(
            error(
                "W004",
                f"cannot write into OUT without following or replacing what rolecat did not write: "
                f"{_listing(inv.blocked)}",
                _loc(display),
                "remove those entries; rolecat never follows a symlink or replaces a folder in OUT",
            )
        )
    return inv, rmdirs, problems


def _lock_timeout(display: str) -> Diagnostic:
    return error(
        "W005",
        "another rolecat is writing OUT (its lock .rolecat/lock is held)",
        _loc(display),
        "wait for the other compile or plan to finish, then run again; set ROLECAT_LOCK_TIMEOUT "
        "(seconds) to wait longer",
    )


def write_output(
    files: Sequence[RenderedFile],
    out: Path,
    *,
    force: bool = False,
    prune_accounts: bool = False,
    renamed_accounts: Mapping[str, str] | None = None,
    previous: PreviousManifest | None = None,
    ahead: Snapshot | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Diagnostic]:
    """Write ``files`` into OUT atomically.  ``renamed_accounts`` maps a former account folder
    to its new name: after the commit, what Terraform keeps there (lock file, ``.terraform/``,
    a local state) moves to the new folder, never following a symlink.  ``previous``: OUT's
    manifest as this compile already read it (``read_previous``); ``ahead``: OUT's files as
    read ahead (``outdir.snapshot``); ``meanwhile``: the caller's work, run while the
    files written are made durable, when any are (``journal.commit``)."""
    display = str(out)
    paths = [f.path for f in files]
    if not all_acceptable(paths) or any(map(layout.is_reserved, paths)):  # pragma: no cover - renderer bug
        bad = next(p for p in paths if check_rel(p) is not None or layout.is_reserved(p))
        raise ValueError(f"rendered file with an unsafe path: {bad!r}")
    problems = _check_out_path(out, display)
    if problems:
        return problems
    try:
        out.mkdir(parents=True, exist_ok=True)
        with SafeDir(out) as root, root.cached_dirs():
            return _write_locked(
                root,
                display,
                files,
                force=force,
                prune=prune_accounts,
                renamed=renamed_accounts or {},
                previous=previous,
                ahead=ahead,
                meanwhile=meanwhile,
            )
    except UnsafePath as exc:
        return [
            error(
                "W004", f"refused to follow {exc}", _loc(display), "remove the symlink or odd entry from OUT"
            )
        ]
    except LockTimeout:
        return [_lock_timeout(display)]
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return [
            error(
                "W006",
                f"cannot write OUT: {exc.strerror}{where}",
                _loc(display),
                "nothing was changed in OUT",
            )
        ]


def _write_locked(
    root: SafeDir,
    display: str,
    files: Sequence[RenderedFile],
    *,
    force: bool,
    prune: bool,
    renamed: Mapping[str, str],
    previous: PreviousManifest | None = None,
    ahead: Snapshot | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Diagnostic]:
    notes: list[Diagnostic] = []
    old_folders = frozenset(renamed)
    # An empty OUT (a fresh compile) can be neither refused nor up to date: straight to the lock.
    if next(root.walk(deep=False), None) is not None and not journal.pending(root):
        # Refusals and no-op compiles need no lock and leave OUT exactly as it was.
        prev, diags = read_previous(root, display, files, previous, reread=False)
        if diags and not force:
            return diags
        inv, rmdirs, problems = _refusals(
            root, display, files, prev, force=force, prune=prune, renamed=old_folders, ahead=ahead
        )
        if problems or inv is None:
            return problems
        if not inv.changed and not inv.stale and not rmdirs:
            return foreign_diagnostic(display, inv, as_error=False)
    with OutLock(root):
        try:
            note = journal.recover(root)
        except journal.CorruptJournal as exc:
            journal.discard(root)
            note = f"discarded a corrupt journal ({exc}); the compile below writes OUT afresh"
        except journal.RecoveryError as exc:
            return [
                error(
                    "W006",
                    str(exc),
                    _loc(display),
                    "fix the cause (e.g. make OUT writable) and compile again",
                )
            ]
        if note is not None:
            notes.append(warning("W009", note, _loc(display)))
        prev, diags = read_previous(root, display, files, previous)
        if diags and not force:
            return notes + diags
        inv, rmdirs, problems = _refusals(
            root, display, files, prev, force=force, prune=prune, renamed=old_folders, ahead=ahead
        )
        if problems or inv is None:
            return notes + problems
        notes.extend(foreign_diagnostic(display, inv, as_error=False))
        if not inv.changed and not inv.stale and not rmdirs:
            return notes
        writes = [(f.path, f.data) for f in inv.changed]
        try:
            journal.commit(root, writes, inv.stale, rmdirs, meanwhile=meanwhile)
        except journal.CommitError as exc:
            if exc.rolled_back:
                return [
                    *notes,
                    error(
                        "W006",
                        f"writing OUT failed and was rolled back: {exc.reason}",
                        _loc(display),
                        "OUT is as it was",
                    ),
                ]
            return [
                *notes,
                error(
                    "W006",
                    f"writing OUT failed and could not be rolled back: {exc.reason}",
                    _loc(display),
                    "OUT is half-committed; the next compile finishes or rolls it back once the cause is fixed",
                ),
            ]
        _carry_renamed(root, renamed, prev.files if prev is not None else frozenset())
        notes.extend(_clear_pruned(root, display, [a for a in rmdirs if a not in renamed]))
    return notes


def _clear_pruned(root: SafeDir, display: str, pruned: Sequence[str]) -> list[Diagnostic]:
    """A pruned account's folder, once its generated files are gone: Terraform's working
    folder and the provider lock file go too (both only serve the account's Terraform,
    and left behind they would be things in OUT no account explains: W008 at the next
    plan); what else is there (a local state) is kept, and said."""
    out: list[Diagnostic] = []
    for acct in pruned:
        if root.kind(acct) != "dir":
            continue
        tf_dir = f"{acct}/{layout.ACCOUNT_TF_DIR}"
        if root.kind(tf_dir) == "dir":
            root.rmtree(tf_dir)
        if root.kind(f"{acct}/{layout.ACCOUNT_LOCK_FILE}") == "file":
            root.unlink(f"{acct}/{layout.ACCOUNT_LOCK_FILE}")
        if root.rmdir(acct):
            continue
        left = [e.rel for e in root.walk(acct, deep=False)]
        out.append(
            warning(
                "W011",
                f"account folder {display}/{acct} is pruned of rolecat's files but keeps {_listing(left)}",
                _loc(display, acct),
                "a local terraform.tfstate is the account's state: delete the folder once the account's "
                "resources are destroyed (plan and --check refuse OUT while it is there)",
            )
        )
    return out


def _carry_renamed(root: SafeDir, renamed: Mapping[str, str], generated_before: frozenset[str]) -> None:
    """Move what rolecat did not generate from each former account folder to its new one.

    Nothing already in the new folder is overwritten; symlinks are moved as entries, never
    followed; a former folder that is a symlink or not a folder is left alone (the OUT check
    reports it).  The former folder is removed once empty."""
    for old, new in sorted(renamed.items()):
        if root.kind(old) != "dir" or root.kind(new) not in ("dir", None):
            continue
        for entry in list(root.walk(old)):
            if entry.rel.count("/") != 1 or entry.rel in generated_before:
                continue
            target = f"{new}/{entry.rel.split('/', 1)[1]}"
            if root.lstat(target) is None:
                root.replace(entry.rel, target)
        root.rmdir(old)


# --------------------------------------------------------------------------- up to date


def holds_manifest(files: Sequence[OutFile], previous: PreviousManifest | None) -> bool:
    """Whether OUT's manifest (``previous``) is the one among ``files``."""
    mine = next((f for f in files if f.path == MANIFEST), None)
    if mine is None or previous is None:
        return False
    return mine.size == len(previous.raw) and mine.digest == previous.digest


def up_to_date(
    files: Sequence[OutFile],
    out: Path,
    previous: PreviousManifest | None,
    ahead: Snapshot | None = None,
    *,
    shared_lock: bool = False,
) -> bool:
    """Whether OUT holds exactly ``files`` and nothing else a compile would touch or report:
    its manifest is the one among them, every file is there with the same bytes, nothing
    is stale, foreign or blocked, and no commit is unfinished.  Writes nothing; False for
    anything else, which the ordinary compile (or ``--check``) then handles and reports.
    ``shared_lock``: hold OUT's lock shared meanwhile, as ``--check`` does."""
    if not holds_manifest(files, previous):
        return False  # a manifest that differs already says that something is to be written
    if _check_out_path(out, str(out)):
        return False
    try:
        with contextlib.ExitStack() as stack:
            root = stack.enter_context(SafeDir(out))
            if shared_lock:
                stack.enter_context(OutLock(root, shared=True))
            stack.enter_context(root.cached_dirs())
            if journal.pending(root):
                return False
            prev, diags = read_previous(root, str(out), files, previous, reread=shared_lock)
            if diags or prev is None:
                return False
            inv, rmdirs, problems = _refusals(
                root, str(out), files, prev, force=False, prune=False, ahead=ahead
            )
    except (UnsafePath, LockTimeout, OSError):
        return False
    return (
        inv is not None
        and not problems
        and not rmdirs
        and not (inv.changed or inv.stale or inv.foreign or inv.blocked or inv.pending)
    )


# --------------------------------------------------------------------------- --check


def check_output(
    files: Sequence[RenderedFile],
    out: Path,
    previous: PreviousManifest | None = None,
    ahead: Snapshot | None = None,
) -> tuple[str, list[Diagnostic]]:
    """(unified diff from OUT to what compile would write, problems).  Empty and [] when current.
    ``previous``: OUT's manifest as the caller already read it (its parse is reused);
    ``ahead``: OUT's files as read ahead (``outdir.snapshot``)."""
    display = str(out)
    problems = _check_out_path(out, display)
    if problems:
        return "", problems
    if not out.exists():
        return _diff(files, {}, []), []
    try:
        with SafeDir(out) as root, OutLock(root, shared=True), root.cached_dirs():
            prev, diags = read_previous(root, display, files, previous)
            if diags:
                return "", diags
            inv = take_inventory(root, files, prev, ahead=ahead)
            old: dict[str, str | None] = {}
            for f in inv.changed:
                old[f.path] = _read_text(root, f.path)
            stale = {rel: _read_text(root, rel) or "" for rel in inv.stale}
    except UnsafePath as exc:
        return "", [error("W004", f"refused to follow {exc}", _loc(display), None)]
    except LockTimeout:
        return "", [_lock_timeout(display)]
    except OSError as exc:
        return "", [error("W004", f"cannot read OUT: {exc.strerror}", _loc(display), None)]
    problems = [
        *pending_diagnostic(display, inv),
        *foreign_diagnostic(display, inv, as_error=True),
    ]
    if inv.blocked:
        problems.append(
            error(
                "W004",
                f"OUT holds entries where generated files go: {_listing(inv.blocked)}",
                _loc(display),
                None,
            )
        )
    diff = _diff(inv.changed, old, sorted(stale.items()))
    return diff, problems


def _read_text(root: SafeDir, rel: str) -> str | None:
    try:
        raw = root.read(rel, MAX_OUT_FILE)
    except (UnsafePath, OSError):
        return None
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _diff(
    changed: Sequence[RenderedFile], old: dict[str, str | None], stale: Sequence[tuple[str, str]]
) -> str:
    import difflib  # only for --check: 4 ms to import (its regular expressions)

    from rolecat.report.escape import diff_line

    chunks: list[str] = []
    for f in sorted(changed, key=lambda f: f.path):
        before = old.get(f.path)
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                f.text.splitlines(keepends=True),
                fromfile=f"a/{f.path}" if before is not None else "/dev/null",
                tofile=f"b/{f.path}",
            )
        )
    for rel, text in stale:
        chunks.extend(
            difflib.unified_diff(text.splitlines(keepends=True), [], fromfile=f"a/{rel}", tofile="/dev/null")
        )
    lines = map(diff_line, chunks)  # OUT's side is the pull request's: no terminal escapes
    return "".join(c if c.endswith("\n") else c + "\n\\ No newline at end of file\n" for c in lines)


def diff_output(files: Sequence[RenderedFile], out: Path) -> str:
    """The unified diff alone (kept for callers that only want the text)."""
    return check_output(files, out)[0]


# --------------------------------------------------------------------------- plan / apply


def ready_for_terraform(out: Path, accounts: Sequence[str]) -> list[Diagnostic]:
    """Right after a compile: refuse to run Terraform on an OUT that --check would reject
    (anything rolecat did not write, a half-committed commit), then delete each account's
    untrusted ``.terraform/`` so that ``terraform init`` starts afresh.  ``plan`` and
    ``apply`` call it before any Terraform command."""
    display = str(out)
    problems = _check_out_path(out, display)
    if problems:
        return problems
    try:
        with SafeDir(out) as root:
            prev, diags = read_previous(root, display)
            if diags:
                return diags
            if prev is None:
                return [
                    error(
                        "W010",
                        f"{display} has no rolecat {MANIFEST}",
                        _loc(display),
                        "run rolecat compile first",
                    )
                ]
            from rolecat.targets.terraform.render import RenderedFile

            generated = [RenderedFile(rel, b"") for rel in sorted(prev.files | {MANIFEST})]
            inv = take_inventory(root, generated, prev, compare=False)
            problems = [*pending_diagnostic(display, inv), *foreign_diagnostic(display, inv, as_error=True)]
            if inv.blocked:
                problems.append(
                    error(
                        "W004",
                        f"OUT holds odd entries where generated files go: {_listing(inv.blocked)}",
                        _loc(display),
                        None,
                    )
                )
            missing = [rel for rel in sorted(prev.files) if root.kind(rel) is None]
            if missing:
                problems.append(
                    error(
                        "W010",
                        f"generated files are missing: {_listing(missing)}",
                        _loc(display),
                        "run rolecat compile",
                    )
                )
            if problems:
                return [
                    *problems,
                    error(
                        "W010",
                        "refusing to run Terraform on an OUT that compile --check rejects",
                        _loc(display),
                        None,
                    ),
                ]
            for acct in accounts:
                if acct in prev.accounts or root.kind(acct) == "dir":
                    root.rmtree(f"{acct}/{layout.ACCOUNT_TF_DIR}")
    except UnsafePath as exc:
        return [error("W004", f"refused to follow {exc}", _loc(display), None)]
    except OSError as exc:
        return [error("W004", f"cannot prepare OUT for Terraform: {exc.strerror}", _loc(display), None)]
    return []


__all__ = [
    "MANIFEST",
    "Inventory",
    "Previous",
    "PreviousManifest",
    "check_output",
    "diff_output",
    "read_previous",
    "ready_for_terraform",
    "take_inventory",
    "write_output",
]
