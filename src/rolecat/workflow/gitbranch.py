"""``--branch``: put an access change on a new git branch, as one commit, ready for a pull request.

Nothing is pushed.  The branch starts at the current HEAD; the commit holds only the
files the command edited (other staged or unstaged work is left alone), and a file the
command must edit may not have uncommitted changes of its own.  The commit message says
who, what, until when and why (``Plan.commit_message``); the author is whoever git says
the person running the command is.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .codeowners import find_repo_root

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class GitError(Exception):
    """git refused, or the repository is not in a state to take the commit (exit 2); or
    ``usage``: the branch's name is not one or is taken, or the catalog is in no git repository."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Committed:
    branch: str
    base: str  # commit the branch started from
    commit: str


class _NoGit(GitError):
    """git could not be run (not on PATH): whether ``start`` is in a repository is unknown."""


def _git(args: Sequence[str], cwd: Path, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise _NoGit("git is not on PATH") from None
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def branch_name(*parts: str) -> str:
    """``access/<parts>``, each part reduced to characters every git ref accepts."""
    cleaned = [_UNSAFE.sub("-", p).strip(".-") for p in parts if p]
    return "access/" + "-".join(c for c in cleaned if c)


def repository_root(start: Path) -> Path:
    """The root of the work tree holding ``start``.  With no .git at or above it, a usage
    error (the catalog named, or --branch, is the mistake), as ``diff --base`` says it; with
    one, git refusing it (a repository another user owns) is the repository's state."""
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], start).strip())
    except _NoGit:
        raise
    except GitError:
        if find_repo_root(start) is not None:
            raise
        raise GitError(f"{start} is not inside a git repository; --branch needs one", usage=True) from None


def tracked(root: Path, path: Path) -> bool:
    """Whether git tracks ``path`` (a file) in the repository at ``root``."""
    done = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", str(path.resolve())],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def prepare(
    start: Path, branch: str, files: Sequence[Path], *, whole: Sequence[Path] = (), why: str = ""
) -> tuple[Path, str]:
    """Check that the branch can be made and the files committed; (root, HEAD).

    ``files`` (the ones the command edits) may not have uncommitted changes; nor may
    anything in the folders ``whole`` (untracked and ignored files included), which the
    command reads in full (``why`` says so in the refusal)."""
    root = repository_root(start)
    # --branch reads @{-1} and the like as the branches they stand for; a name it reads as
    # another, @ (HEAD to every git command, so `git push origin @` pushes HEAD), or one
    # under refs/ (refs/heads/x would become refs/heads/refs/heads/x) names no new branch
    try:
        read = _git(["check-ref-format", "--branch", branch], root).strip()
    except GitError as exc:  # git's own rules for a branch name
        raise GitError(str(exc), usage=True) from None
    if read != branch or branch == "@" or branch.startswith("refs/"):
        raise GitError(f"{branch!r} is not a name for a new branch: git reads it as another ref", usage=True)
    exists = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if exists.returncode == 0:
        # the name, given or made, is the command line's to change: a usage error
        raise GitError(f"branch {branch} already exists; choose another with --branch-name", usage=True)
    head = _git(["rev-parse", "--verify", "HEAD"], root).strip()
    dirty = _git(["status", "--porcelain", "--", *(str(f.resolve()) for f in files)], root)
    if dirty.strip():
        names = ", ".join(line[3:] for line in dirty.splitlines())
        raise GitError(f"uncommitted changes in {names}: commit or stash them first")
    if whole:
        folders = [str(f.resolve()) for f in whole]
        dirty = _git(
            ["status", "--porcelain", "--ignored=matching", "--untracked-files=all", "--", *folders], root
        )
        if dirty.strip():
            names = ", ".join(line[3:] for line in dirty.splitlines())
            raise GitError(
                f"uncommitted changes in {names}: {why}, so the catalog must be as committed; "
                "commit or stash them first"
            )
    return root, head


def commit(root: Path, branch: str, base: str, files: Sequence[Path], message: str) -> Committed:
    """Commit ``files`` (already written; folders too, deletions included) with ``message``."""
    paths = [str(f.resolve()) for f in files]
    _git(["add", "--all", "--", *paths], root)
    _git(["commit", "--quiet", "-F", "-", "--only", "--", *paths], root, stdin=message)
    return Committed(branch, base, _git(["rev-parse", "HEAD"], root).strip())


def switch(root: Path, branch: str) -> None:
    _git(["switch", "--quiet", "-c", branch], root)
