"""Finding and reading CloudTrail log files, one file at a time.

Formats (told apart by content, not by name):

* CloudTrail's S3 delivery: ``{"Records": [...]}``, gzipped (``*.json.gz``) or plain;
* ``aws cloudtrail lookup-events`` output: ``{"Events": [{"CloudTrailEvent": "<json>"}]}``;
* JSON lines (one event per line: Athena/CloudWatch/SIEM exports, the OTRF data sets),
  gzipped or plain.  Unreadable lines are skipped and counted; the rest of the file counts.

A file is read whole (decompressed), so memory is bounded by the largest file.  A file
that does not contain any of the ``needles`` (the role ARN as bytes) is not parsed at
all: no record in it can belong to the role.  Such a file is only checked for shape
(starts with ``{``/``[``, ends with ``}``/``]``), which catches truncation but not every
corruption inside it; a broken gzip stream is always caught.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
JSONL_BATCH = 4096  # parsed lines handed over at a time


class LogError(Exception):
    """A file that cannot be read as CloudTrail; the message says why."""


@dataclass
class FileStats:
    parsed: bool = False  # False: skipped by the needle test
    records: int = 0
    bad_lines: int = 0


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Log files under ``paths`` (files as given, folders searched recursively) and missing paths."""
    found: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
            )
        else:
            missing.append(path)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique, missing


def read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LogError(f"cannot read: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise LogError(f"corrupt or truncated gzip: {exc}") from None
    return raw


def records_of(path: Path, needles: tuple[bytes, ...], stats: FileStats) -> Iterator[list[Any]]:
    """Lists of raw records from one file; raises ``LogError`` if it is unreadable."""
    data = read_bytes(path)
    if needles and not any(n in data for n in needles):
        if not _plausible(data):
            raise LogError("not a CloudTrail JSON file (truncated?)")
        return
    stats.parsed = True
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _looks_like_json_lines(data):
            yield from _json_lines(data, stats)
            return
        raise LogError(f"not valid JSON (truncated?): {exc}") from None
    yield _records_from_document(doc, stats)


def _plausible(data: bytes) -> bool:
    """Cheap shape test for files that are not parsed: JSON text that is not cut short."""
    head = data[:64].lstrip()
    tail = data[-64:].rstrip()
    return head[:1] in (b"{", b"[") and tail[-1:] in (b"}", b"]")


def _records_from_document(doc: Any, stats: FileStats) -> list[Any]:
    if isinstance(doc, dict):
        records = doc.get("Records")
        if isinstance(records, list):
            stats.records += len(records)
            return records
        events = doc.get("Events")
        if isinstance(events, list):  # lookup-events output
            out = []
            for ev in events:
                raw = ev.get("CloudTrailEvent") if isinstance(ev, dict) else None
                try:
                    out.append(orjson.loads(raw) if isinstance(raw, str) else None)
                except orjson.JSONDecodeError:
                    stats.bad_lines += 1
            stats.records += len(out)
            return out
        if "eventName" in doc or "eventSource" in doc:  # a JSON-lines file of one record
            stats.records += 1
            return [doc]
        raise LogError('no "Records" list: not a CloudTrail log file')
    if isinstance(doc, list):
        stats.records += len(doc)
        return doc
    raise LogError("not a CloudTrail log file")


def _looks_like_json_lines(data: bytes) -> bool:
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].strip()
    if not first.startswith(b"{"):
        return False
    try:
        head = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(head, dict) and "Records" not in head


def _json_lines(data: bytes, stats: FileStats) -> Iterator[list[Any]]:
    batch: list[Any] = []
    loads = orjson.loads
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            batch.append(loads(line))
        except orjson.JSONDecodeError:
            stats.bad_lines += 1
            continue
        if len(batch) >= JSONL_BATCH:
            stats.records += len(batch)
            yield batch
            batch = []
    if batch:
        stats.records += len(batch)
        yield batch
