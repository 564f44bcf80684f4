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

``read_records`` (the commands' reader) parses CloudTrail's own delivery files, compact
``{"Records":[{"eventVersion":...},...]}``, a slice of records at a time (``_slices``):
the records of a slice are parsed, used and freed while they are still in the processor's
cache, which makes the whole file cheaper to read than one ``orjson.loads``.  It gives
exactly what ``records_of`` gives, or falls back to it (see ``_slices``).

The needle test also applies a record at a time, when the reader's consumer needs only
the records that name a needle (``needled_only``: ``usage`` always, ``scopedown`` once a
file's records showed that the trail logs reads and writes): msgspec reads the file's JSON
structure without building its values, and only the records holding the needles' common
part are parsed (``_needled``).  The records are found by parsing, never by cutting bytes:
a record's request parameters are its caller's, and may hold an object shaped like a
record of the role.
"""

from __future__ import annotations

import codecs
import functools
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

gunzip: Callable[[bytes], bytes]
InflateError: type[Exception]
try:  # ISA-L's inflate (the isal package): the standard library's output, in a third of its time
    from isal import igzip, isal_zlib

    # its stub declares its error an instance (``error: Exception``); it is the class
    gunzip, InflateError = igzip.decompress, cast("type[Exception]", isal_zlib.error)
except ImportError:  # a machine without isal's wheel (it is a dependency where it has one)
    import gzip

    gunzip, InflateError = gzip.decompress, zlib.error

SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
JSONL_BATCH = 4096  # parsed lines handed over at a time
SLICE_BYTES = 1 << 17  # a delivery file parsed about this many bytes (~75 records) at a time

T = TypeVar("T")


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
            return gunzip(raw)
        except (OSError, EOFError, zlib.error, InflateError) as exc:
            raise LogError(f"corrupt or truncated gzip: {exc}") from None
    return raw


def records_of(path: Path, needles: tuple[bytes, ...], stats: FileStats) -> Iterator[list[Any]]:
    """Lists of raw records from one file; raises ``LogError`` if it is unreadable."""
    data = _data_to_parse(path, needles, stats)
    if data is not None:
        yield from _parsed(data, stats)


def read_records(
    path: Path,
    needles: tuple[bytes, ...],
    stats: FileStats,
    consume: Callable[[Iterable[list[Any]]], T],
    needled_only: Callable[[], bool] | None = None,
) -> T:
    """``consume`` of the file's record lists (those of ``records_of``, maybe in other
    cuts); raises ``LogError`` if the file is unreadable.

    A delivery file is handed over a slice at a time, and each list is emptied once the
    next one is asked for: ``consume`` keeps what it needs of the records, not the lists.
    It may be called a second time, from the start, if the file turns out not to slice.

    ``needled_only``, asked between lists: True when ``consume`` needs from then on only
    the records that hold a needle.  The others may then be left out of the lists (still
    counted in ``stats``), see ``_needled``.
    """
    data = _data_to_parse(path, needles, stats)
    if data is None:
        return consume(())
    if data.startswith(_HEAD):
        part = _common_part(needles) if needled_only is not None else None
        raws = _raw_records(data) if part is not None and _sparse(data, part) else None
        if raws is not None and part is not None and needled_only is not None:
            try:
                return consume(_needled(raws, part, stats, needled_only))
            except _NoSlices:
                stats.records = stats.bad_lines = 0
        try:
            return consume(_slices(data, stats))
        except _NoSlices:
            stats.records = stats.bad_lines = 0
    return consume(_parsed(data, stats))


@functools.cache
def _common_part(needles: tuple[bytes, ...]) -> bytes | None:
    """The longest part every needle holds (so a record holding a needle holds it), or None
    when the needles share no part of at least 4 bytes."""
    if not needles:
        return None
    shortest = min(needles, key=len)
    for size in range(len(shortest), 3, -1):
        for at in range(len(shortest) - size + 1):
            part = shortest[at : at + size]
            if all(part in needle for needle in needles):
                return part
    return None


@functools.cache
def _raw_decoder() -> Callable[[bytes], list[Any] | None] | None:
    """A decoder of a delivery file into its records' raw JSON (msgspec: every value read
    and checked for structure, none built), or None without msgspec."""
    try:
        import msgspec
    except ImportError:  # a machine without msgspec's wheel: every record is parsed
        return None

    delivery = msgspec.defstruct("Delivery", [("Records", list[msgspec.Raw])])
    decode = msgspec.json.Decoder(delivery).decode
    errors = (msgspec.DecodeError, RecursionError)

    def records(data: bytes) -> list[Any] | None:
        try:
            raws: list[Any] = getattr(decode(data), "Records")  # noqa: B009 (a struct made at run time)
        except errors:
            return None
        return raws

    return records


def _raw_records(data: bytes) -> list[Any] | None:
    """The raw JSON of each record of a delivery file, in order, or None when msgspec is
    missing or does not read the file, or the file is not UTF-8 (it is then parsed as ever,
    and refused).  msgspec checks the text of the values it does not build for structure,
    not for UTF-8, which orjson's parse of a file checks."""
    decoder = _raw_decoder()
    if decoder is None or not _utf8(data):
        return None
    return decoder(data)


UTF8_CHUNK = 1 << 20  # bytes decoded at a time to check a file's UTF-8


def _utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8, checked a chunk at a time (a whole file decoded at once
    would hold up to four times its size as text)."""
    if data.isascii():
        return True
    check = codecs.getincrementaldecoder("utf-8")().decode
    view = memoryview(data)
    try:
        for at in range(0, len(data), UTF8_CHUNK):
            check(view[at : at + UTF8_CHUNK])
        check(b"", True)
    except UnicodeDecodeError:
        return False
    return True


_PROBE = 1 << 17  # bytes of a file looked at to tell whether most of its records name the role
_RECORD = b'{"eventVersion":'


def _sparse(data: bytes, part: bytes) -> bool:
    """Whether fewer than about half of the file's records name the role, judged on its first
    ``_PROBE`` bytes: fewer times ``part`` than records there (a record of the role names it
    about twice, in its issuer's ARN and its session's).  Where most records are the role's,
    parsing them one at a time costs more than parsing the file in slices."""
    return data.count(part, 0, _PROBE) < data.count(_RECORD, 0, _PROBE)


RAW_BATCH = 64  # records looked at between two questions to ``needled_only``


def _needled(
    raws: list[Any], part: bytes, stats: FileStats, needled_only: Callable[[], bool]
) -> Iterator[list[Any]]:
    """Lists of the records whose raw JSON holds ``part`` (all of them while
    ``needled_only()`` says False), parsed with orjson; every record counted.

    msgspec's reading checks the file's structure, so each raw record is one whole value of
    "Records" as orjson would read it (the last "Records" of the file too), and
    ``_raw_records`` checked the file's UTF-8.  A record orjson refuses all the same (a
    number beyond a double's range, which msgspec does not check in a value it does not
    build) ends this reading (``_NoSlices``): the file is then read as ever, and refused.
    Such a number in a record left out goes unnoticed, as in a file without a needle.
    """
    stats.records += len(raws)
    loads = orjson.loads
    batch: list[Any] = []
    for at in range(0, len(raws), RAW_BATCH):
        only = needled_only()
        for raw in raws[at : at + RAW_BATCH]:
            text = bytes(raw)
            if only and part not in text:
                continue
            try:
                batch.append(loads(text))
            except orjson.JSONDecodeError:
                raise _NoSlices from None
        if batch:
            yield batch
            batch.clear()  # freed now, as ``_slices`` does


def _data_to_parse(path: Path, needles: tuple[bytes, ...], stats: FileStats) -> bytes | None:
    """The file's bytes, or None if no needle is in them (the file not parsed)."""
    data = read_bytes(path)
    if needles and not any(n in data for n in needles):
        if not _plausible(data):
            raise LogError("not a CloudTrail JSON file (truncated?)")
        return None
    stats.parsed = True
    return data


def _parsed(data: bytes, stats: FileStats) -> Iterator[list[Any]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _looks_like_json_lines(data):
            yield from _json_lines(data, stats)
            return
        raise LogError(f"not valid JSON (truncated?): {_json_problem(data, exc)}") from None
    yield _records_from_document(doc, stats)


def _json_problem(data: bytes, exc: orjson.JSONDecodeError) -> str:
    """What is wrong where, in the words of the catalog's JSON errors (``unexpected end of
    file at line 1, column 37``): the file's diagnostic names no line (a line of a gzip
    file is one of its text)."""
    from rolecat.load.source import json_syntax

    syntax = json_syntax(data.decode("utf-8", errors="replace"))
    if syntax is None:  # what orjson alone refuses (a lone surrogate, a number beyond a double)
        reason, line, col = exc.msg, exc.lineno, exc.colno
    else:
        reason, line, col = syntax.reason, syntax.line, syntax.col
    return f"{reason} at line {line}, column {col}" if line else reason


_HEAD = b'{"Records":['  # a delivery file as CloudTrail writes it ...
_CUT = b'},{"eventVersion":'  # ... where one record ends and the next begins
_TAIL = b"]}"
_JSON_SPACE = b" \t\r\n"


class _NoSlices(Exception):
    """The file is not cut as a delivery file: parse it whole."""


def _slices(data: bytes, stats: FileStats) -> Iterator[list[Any]]:
    """The records of ``{"Records":[...]}`` a slice at a time, cut before an ``eventVersion``.

    The file is cut into ``_HEAD S1 "," S2 "," ... Sn _TAIL`` (trailing JSON whitespace
    allowed), and each ``[[Si]]`` must parse as an array holding one array: then every Si
    is a comma-separated list of JSON values, so the whole file is valid JSON whose
    "Records" are those values in order -- what ``orjson.loads`` of the file gives (the two
    brackets keep the records' nesting depth, which orjson limits, as deep as in the
    file).  Otherwise (a cut inside a record, a damaged or other file) ``_NoSlices``,
    possibly after some slices were handed over.
    """
    end = len(data)
    while end and data[end - 1] in _JSON_SPACE:
        end -= 1
    if not data.endswith(_TAIL, 0, end):
        raise _NoSlices
    stop = end - len(_TAIL)
    view = memoryview(data)
    start = len(_HEAD)
    loads = orjson.loads
    while start <= stop:
        cut = data.find(_CUT, start + SLICE_BYTES, stop)
        last = cut < 0
        if last:
            cut = stop - 1
        try:
            outer = loads(b"".join((b"[[", view[start : cut + 1], b"]]")))
        except orjson.JSONDecodeError:
            raise _NoSlices from None
        if len(outer) != 1 or type(outer[0]) is not list:
            raise _NoSlices
        records = outer[0]
        del outer
        stats.records += len(records)
        yield records
        records.clear()  # freed now, while in cache, not after the next slice is parsed
        if last:
            return
        start = cut + 2


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


_JSON_LINES_PROBE = 8  # non-blank lines looked at


def _looks_like_json_lines(data: bytes) -> bool:
    """One record per line: one of the first non-blank lines is a whole JSON object that is
    not a delivery file's (a blank or cut-off first line does not make the file one
    document; a pretty-printed document has no line that parses alone as an object)."""
    looked, start = 0, 0
    while looked < _JSON_LINES_PROBE and start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line, start = data[start:end].strip(), end + 1  # one line at a time: no copy of the rest
        if not line:
            continue
        looked += 1
        if not line.startswith(b"{"):
            continue
        try:
            head = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        return isinstance(head, dict) and "Records" not in head
    return False


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
