"""Write stage: put rendered files on disk all-or-nothing, and compare them with disk.

Nothing in OUT changes until every new file is safely on disk in a staging folder
beside OUT.  A journal then records the moves; only after the journal is durable are
files moved into OUT and stale ones deleted.  A compile killed before the journal
leaves OUT exactly as it was; one killed after it is completed by the next run
(``recover``).  Files rolecat did not generate (``.terraform/``, lock and plan files)
are never touched: what rolecat owns is exactly what the previous ``manifest.json``
lists.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.targets.terraform.render import RenderedFile

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Previous:
    files: frozenset[str]
    accounts: frozenset[str]


def _staging(out: Path) -> Path:
    return out.parent / f".{out.name}.rolecat-staging"


def _journal(out: Path) -> Path:
    return out.parent / f".{out.name}.rolecat-journal.json"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_durable(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def read_previous(out: Path) -> tuple[Previous | None, list[Diagnostic]]:
    """What the last compile generated in OUT, from its manifest."""
    path = out / MANIFEST
    if not path.is_file():
        return None, []
    try:
        data = json.loads(path.read_text("utf-8"))
        # version 2 lists paths; version 1 listed {"path", "sha256"} objects
        files = frozenset(f if isinstance(f, str) else f["path"] for f in data["files"])
        accounts = frozenset(a["folder"] for a in data["accounts"].values())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, [
            error(
                "W003",
                f"cannot read the previous manifest: {exc}",
                Location(str(path)),
                "restore it from version control, or pass --force to regenerate the folder",
            )
        ]
    for rel in files | accounts:
        if rel.startswith("/") or ".." in Path(rel).parts:
            return None, [
                error(
                    "W003", f"previous manifest names a path outside the folder: {rel!r}", Location(str(path))
                )
            ]
    from .manifest import schema_problem

    problem = schema_problem(data)
    if problem is not None:
        return None, [
            error(
                "W003",
                f"the previous manifest does not match its schema (rolecat schema manifest): {problem}",
                Location(str(path)),
                "restore it from version control, or pass --force to regenerate the folder",
            )
        ]
    return Previous(files, accounts), []


def recover(out: Path) -> None:
    """Finish a compile that was killed after its journal was written."""
    journal = _journal(out)
    staging = _staging(out)
    if journal.is_file():
        data = json.loads(journal.read_text("utf-8"))
        for rel in data["replace"]:
            src = staging / rel
            if src.exists():
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, out / rel)
        for rel in data["delete"]:
            with contextlib.suppress(FileNotFoundError):
                (out / rel).unlink()
        for rel in data.get("rmdirs", []):
            with contextlib.suppress(OSError):
                (out / rel).rmdir()
        journal.unlink()
    if staging.exists():
        shutil.rmtree(staging)
    # A journal still being written when the process died never committed anything.
    with contextlib.suppress(FileNotFoundError):
        _journal(out).with_suffix(".tmp").unlink()


def plan_changes(
    files: Sequence[RenderedFile],
    out: Path,
    *,
    force: bool,
    prune_accounts: bool,
    renamed_accounts: frozenset[str] = frozenset(),
) -> tuple[list[RenderedFile], list[str], list[str], list[Diagnostic]]:
    """(files to write, stale files to delete, folders to remove if empty, problems)."""
    display = str(out)
    prev, diags = read_previous(out)
    if diags and not force:
        return [], [], [], diags
    if prev is None and out.exists() and not force:
        if not out.is_dir():
            return [], [], [], [error("W001", f"{display} exists and is not a folder", Location(display))]
        if any(out.iterdir()):
            return (
                [],
                [],
                [],
                [
                    error(
                        "W001",
                        f"{display} is not empty and has no rolecat {MANIFEST}",
                        Location(display),
                        "choose an empty folder with -o, or pass --force to write into it",
                    )
                ],
            )
    new_paths = {f.path for f in files}
    new_accounts = {f.path.split("/", 1)[0] for f in files if "/" in f.path}
    old_files = prev.files if prev else frozenset()
    old_accounts = prev.accounts if prev else frozenset()
    problems = []
    rmdirs = []
    for acct in sorted(old_accounts - new_accounts):
        if (out / acct).exists():
            if prune_accounts or acct in renamed_accounts:  # a renamed account's folder moves
                rmdirs.append(acct)
            else:
                problems.append(
                    error(
                        "W002",
                        f"account folder {display}/{acct} belongs to an account no longer in the catalog",
                        Location(f"{display}/{acct}"),
                        "its Terraform state still holds IAM resources: run terraform destroy there first, "
                        "then compile with --prune-accounts",
                    )
                )
    if problems:
        return [], [], [], problems
    changed = []
    for f in files:
        target = out / f.path
        try:
            if target.read_bytes() == f.text.encode("utf-8"):
                continue
        except OSError:
            pass
        changed.append(f)
    stale = sorted(p for p in old_files - new_paths if (out / p).exists())
    return changed, stale, rmdirs, []


def write_output(
    files: Sequence[RenderedFile],
    out: Path,
    *,
    force: bool = False,
    prune_accounts: bool = False,
    renamed_accounts: frozenset[str] = frozenset(),
) -> list[Diagnostic]:
    recover(out)
    changed, stale, rmdirs, problems = plan_changes(
        files, out, force=force, prune_accounts=prune_accounts, renamed_accounts=renamed_accounts
    )
    if problems:
        return problems
    if not changed and not stale and not rmdirs:
        return []
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging(out)
    if staging.exists():
        shutil.rmtree(staging)
    for f in changed:
        _write_durable(staging / f.path, f.text.encode("utf-8"))
    journal = {"replace": [f.path for f in changed], "delete": stale, "rmdirs": rmdirs}
    tmp = _journal(out).with_suffix(".tmp")
    _write_durable(tmp, json.dumps(journal).encode("utf-8"))
    os.replace(tmp, _journal(out))
    _fsync_dir(out.parent)
    # From here on the change is committed: recover() completes it if we are killed.
    out.mkdir(parents=True, exist_ok=True)
    recover(out)
    _fsync_dir(out)
    return []


def diff_output(files: Sequence[RenderedFile], out: Path) -> str:
    """A unified diff from what is in OUT to what compile would write; empty when current."""
    prev, _ = read_previous(out)
    chunks: list[str] = []
    new_paths = {f.path for f in files}
    for f in sorted(files, key=lambda f: f.path):
        target = out / f.path
        try:
            old = target.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        if old == f.text:
            continue
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                f.text.splitlines(keepends=True),
                fromfile=f"a/{f.path}" if old is not None else "/dev/null",
                tofile=f"b/{f.path}",
            )
        )
    if prev is not None:
        for rel in sorted(prev.files - new_paths):
            target = out / rel
            if target.exists():
                old = target.read_text("utf-8", errors="replace")
                chunks.extend(
                    difflib.unified_diff(
                        old.splitlines(keepends=True), [], fromfile=f"a/{rel}", tofile="/dev/null"
                    )
                )
    return "".join(c if c.endswith("\n") else c + "\n\\ No newline at end of file\n" for c in chunks)
