"""CloudTrail files read on every core, each file's digest handed over in file order.

``scopedown`` and ``usage`` spend most of their time decompressing and parsing JSON, and
each file is independent: a pool of worker processes reads the files (``read_records``:
needle test, gzip, orjson) and reduces each file's records with the command's
``Keeper`` (the work that depends on one record alone: for ``usage`` the
``sts:AssumeRole`` records, for ``scopedown`` a compact row per record of the role, see
``rolecat.scopedown.scan.RoleRecords``).  The calling process merges those digests **in
the order of the files**, exactly as a serial read would: everything that depends on
earlier records (deduplication, counters, first and last times, resource patterns) stays
in one process, so the output is the same, byte for byte, whatever the number of workers.

A keeper that needs only the records naming a needle says so (``Keeper.needled_only``):
the reader then builds no other record (``logs.read_records``).

The keeper reaches the workers once, when they start (inherited on ``fork``); a file's
task carries only its path.  At most ``2 x workers`` files are in flight, so memory stays
bounded by a few files' records.  One worker (one core, or one file) reads in the
calling process, no pool.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from .logs import FileStats, LogError, read_records

T = TypeVar("T")


class Keeper(Generic[T]):
    """What a command keeps of one file: ``keep`` gets the file's record batches in order.

    ``keep`` must depend on nothing but the records (it runs in a worker process, on a
    copy of the keeper taken when the pool started, and may be run twice on a file, see
    ``read_records``), and keep what it needs of a batch before asking for the next: the
    batch is emptied then.  ``pack`` turns its result into what
    crosses the pipe (pickled), ``unpack`` back; by default the result is pickled as is.
    """

    def keep(self, batches: Iterable[list[Any]]) -> T:
        raise NotImplementedError

    def needled_only(self) -> bool:
        """Whether the batches from now on may leave out the records that name no needle
        (the reader asks between batches, while ``keep`` runs); by default never."""
        return False

    def pack(self, kept: T) -> Any:
        return kept

    def unpack(self, packed: Any) -> T:
        return packed  # type: ignore[no-any-return]


# Every top-level field of a record that ``usage`` reads (``rolecat.usage.scan``: the
# ``feed`` loop and ``_who``); the others (responseElements, resources, userAgent, ...)
# are a record's bulk, dropped before the records cross the pipe and are parsed again.
ASSUME_ROLE_FIELDS = (
    "eventName",
    "eventSource",
    "requestParameters",
    "eventTime",
    "@timestamp",
    "sharedEventID",
    "requestID",
    "eventID",
    "recipientAccountId",
    "userIdentity",
    "errorCode",
    "sourceIPAddress",
)


def assume_role_records(records: list[Any]) -> list[Any]:
    """``sts:AssumeRole`` records, with only the fields ``usage`` reads."""
    out = []
    fields = ASSUME_ROLE_FIELDS
    for rec in records:
        try:
            if rec["eventName"] == "AssumeRole" and rec["eventSource"] == "sts.amazonaws.com":
                out.append({k: rec[k] for k in fields if k in rec})
        except (KeyError, TypeError, IndexError):
            continue
    return out


class AssumeRoleKeeper(Keeper[list[Any]]):
    """``usage``: a file's ``sts:AssumeRole`` records (``assume_role_records``), sent as JSON
    (one bytes object crosses the pipe, not a tree)."""

    def keep(self, batches: Iterable[list[Any]]) -> list[Any]:
        kept: list[Any] = []
        for batch in batches:
            kept.extend(assume_role_records(batch))
        return kept

    def needled_only(self) -> bool:
        return True  # an sts:AssumeRole record names "AssumeRole", usage's needle

    def pack(self, kept: list[Any]) -> Any:
        return orjson.dumps(kept)

    def unpack(self, packed: Any) -> list[Any]:
        return orjson.loads(packed)  # type: ignore[no-any-return]


def read_file(
    path: Path, needles: tuple[bytes, ...], keeper: Keeper[T]
) -> tuple[FileStats, T | None, str | None]:
    """One file: its stats, what the keeper keeps of it (None if unreadable), and the reason
    it is unreadable (or None)."""
    stats = FileStats()
    try:
        kept = read_records(path, needles, stats, keeper.keep, keeper.needled_only)
    except LogError as exc:
        return stats, None, str(exc)
    return stats, kept, None


_WORKER: dict[str, Keeper[Any]] = {}  # in a worker process: "keeper", the keeper of its pool


def _start_worker(keeper: Keeper[Any]) -> None:
    _WORKER["keeper"] = keeper
    gc.disable()  # the records are trees, never cycles: reference counting frees them


def _read_in_worker(path: Path, needles: tuple[bytes, ...]) -> tuple[FileStats, Any, str | None]:
    keeper = _WORKER["keeper"]
    stats, kept, problem = read_file(path, needles, keeper)
    return stats, None if kept is None else keeper.pack(kept), problem


def workers_for(files: int) -> int:
    """``ROLECAT_JOBS`` if set, else the cores this process may run on; never more than files."""
    configured = os.environ.get("ROLECAT_JOBS", "")
    if configured.isdigit() and int(configured) > 0:
        cores = int(configured)
    elif hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(cores, files))


def read_logs(
    paths: Iterable[Path], needles: tuple[bytes, ...], keeper: Keeper[T]
) -> Iterator[tuple[Path, FileStats, T | None, str | None]]:
    """``(path, stats, kept, problem)`` for every file, in the order given; ``kept`` is None
    exactly when ``problem`` is not."""
    files = list(paths)
    workers = workers_for(len(files))
    if workers == 1:
        for path in files:
            yield (path, *read_file(path, needles, keeper))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(keeper,)) as pool:
        pending: deque[tuple[Path, Future[tuple[FileStats, Any, str | None]]]] = deque()
        queue = iter(files)
        for path in queue:
            pending.append((path, pool.submit(_read_in_worker, path, needles)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            path, future = pending.popleft()
            stats, packed, problem = future.result()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_read_in_worker, nxt, needles)))
            yield path, stats, None if packed is None else keeper.unpack(packed), problem
