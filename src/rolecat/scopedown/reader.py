"""CloudTrail files read on every core, records handed over in file order.

``scopedown`` and ``usage`` spend most of their time decompressing and parsing JSON, and
each file is independent: a pool of worker processes reads the files (``records_of``:
needle test, gzip, orjson) and keeps only the records the command can use (``KEEP``: a
named, exact pre-filter, so the result never depends on it), and the calling process
feeds those to its scanner **in the order of the files**, exactly as a serial read would.
Aggregation, deduplication and every counter stay in one process, so the output is the
same, byte for byte, whatever the number of workers.

At most ``2 x workers`` files are in flight, so memory stays bounded by a few files'
records.  One worker (one core, or one file) reads in the calling process, no pool.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from .logs import FileStats, LogError, records_of

# Every top-level field of a record that ``scopedown`` reads (``rolecat.scopedown.scan``:
# ``feed``; ``arns.record_candidates`` and ``copy_source_arn``).  Of ``userIdentity`` it reads
# only the session issuer's ARN; the rest (userAgent, tlsDetails, responseElements, ...) is
# dropped before the records cross the pipe and are parsed again.
SCOPEDOWN_FIELDS = (
    "eventTime",
    "@timestamp",
    "eventID",
    "eventType",
    "eventName",
    "eventSource",
    "errorCode",
    "requestParameters",
    "resources",
    "awsRegion",
    "recipientAccountId",
)


def _issuer_ends_with(records: list[Any], suffix: str) -> list[Any]:
    """Records of a role session whose issuer ARN ends with ``suffix`` (``/RoleName``),
    with only the fields ``scopedown`` reads."""
    out = []
    fields = SCOPEDOWN_FIELDS
    for rec in records:
        try:
            issuer = rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
        except (KeyError, TypeError, IndexError):
            continue
        if type(issuer) is str and issuer.endswith(suffix):
            kept = {k: rec[k] for k in fields if k in rec}
            kept["userIdentity"] = {"sessionContext": {"sessionIssuer": {"arn": issuer}}}
            out.append(kept)
    return out


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


def _assume_role(records: list[Any], _: str) -> list[Any]:
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


KEEP: dict[str, Callable[[list[Any], str], list[Any]]] = {
    "issuer_ends_with": _issuer_ends_with,
    "assume_role": _assume_role,
}


def read_file(
    path: Path, needles: tuple[bytes, ...], keep: str, arg: str
) -> tuple[FileStats, list[Any], str | None]:
    """One file: its stats, the kept records, and the reason it is unreadable (or None)."""
    stats = FileStats()
    kept: list[Any] = []
    try:
        for batch in records_of(path, needles, stats):
            kept.extend(KEEP[keep](batch, arg))
    except LogError as exc:
        return stats, [], str(exc)
    return stats, kept, None


def _read_in_worker(
    path: Path, needles: tuple[bytes, ...], keep: str, arg: str
) -> tuple[FileStats, bytes, str | None]:
    stats, kept, problem = read_file(path, needles, keep, arg)
    return stats, orjson.dumps(kept), problem  # one bytes object crosses the pipe, not a tree


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
    paths: Iterable[Path], needles: tuple[bytes, ...], keep: str, arg: str = ""
) -> Iterator[tuple[Path, FileStats, list[Any], str | None]]:
    """``(path, stats, kept records, problem)`` for every file, in the order given."""
    files = list(paths)
    workers = workers_for(len(files))
    if workers == 1:
        for path in files:
            yield (path, *read_file(path, needles, keep, arg))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[Path, Future[tuple[FileStats, bytes, str | None]]]] = deque()
        queue = iter(files)
        for path in queue:
            pending.append((path, pool.submit(_read_in_worker, path, needles, keep, arg)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            path, future = pending.popleft()
            stats, data, problem = future.result()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_read_in_worker, nxt, needles, keep, arg)))
            yield path, stats, orjson.loads(data), problem
