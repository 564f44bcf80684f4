"""``read_records`` parses CloudTrail delivery files a slice of records at a time: it gives
exactly the records, counts and errors ``records_of`` (one ``orjson.loads`` of the file)
gives, for files that slice and for every file that only looks as if it did."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from scopedown_records import ROLE_ARN, record

from rolecat.scopedown import logs
from rolecat.scopedown.logs import FileStats, LogError, read_records, records_of

NEEDLES: tuple[bytes, ...] = ()  # every file parsed


def _records(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [record("s3.amazonaws.com", "GetObject", event_id=f"e{i}", **extra) for i in range(n)]


def _calls(path: Path) -> tuple[Any, ...]:
    """What ``read_records`` hands over (every call of the consumer) and what ``records_of`` gives."""
    calls: list[list[Any]] = []

    def consume(batches: Iterable[list[Any]]) -> None:
        calls.append([])
        for batch in batches:
            calls[-1].extend(batch)  # the records, not the list: it is emptied

    def outcome(fn: Any) -> tuple[Any, ...]:
        stats = FileStats()
        try:
            result = fn(stats)
        except LogError as exc:
            return ("error", str(exc), stats)
        return (result, stats)

    sliced = outcome(lambda stats: read_records(path, NEEDLES, stats, consume) or calls[-1])
    whole = outcome(lambda stats: [r for batch in records_of(path, NEEDLES, stats) for r in batch])
    return sliced, whole, len(calls)


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "SLICE_BYTES", 3000)  # a few records a slice


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def test_a_delivery_file_slices_into_the_same_records(tmp_path: Path) -> None:
    recs = _records(40)
    for n, data in enumerate(
        [
            orjson.dumps({"Records": recs}),
            orjson.dumps({"Records": recs}) + b"\n \r\n\t",
            orjson.dumps({"Records": recs[:1]}),
            orjson.dumps({"Records": []}) + b"\n",
        ]
    ):
        sliced, whole, calls = _calls(_write(tmp_path / f"{n}.json.gz", data))
        assert sliced == whole and calls == 1
    stats = FileStats()
    sizes = read_records(
        tmp_path / "0.json.gz", NEEDLES, stats, lambda batches: [len(batch) for batch in batches]
    )
    assert len(sizes) > 5 and sum(sizes) == stats.records == 40  # sliced indeed


@pytest.mark.parametrize("slice_bytes", [1, 3000])
def test_files_that_only_look_like_delivery_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    monkeypatch.setattr(logs, "SLICE_BYTES", slice_bytes)  # 1: a cut at every record
    recs = _records(30)
    nested = record(
        "events.amazonaws.com",
        "PutEvents",
        requestParameters={"entries": [{"a": 1}, {"eventVersion": "1", "x": [1]}]},
    )
    ok = orjson.dumps({"Records": recs})
    cases = {
        # a record holding the cut inside it: the slices do not parse, the file is read whole
        "nested": orjson.dumps({"Records": [*recs[:12], nested, *recs[12:]]}),
        "nested_first": orjson.dumps({"Records": [nested, *recs]}),
        # another key after the records (orjson: the last "Records" wins)
        "second_key": ok[:-1] + b',"Other":[{"a":1},{"eventVersion":2}]}',
        "twice": ok[:-1] + b',"Records":[{"z":1},{"eventVersion":2}]}',
        "truncated": ok[: len(ok) // 2],
        "cut_at_a_record": ok[: ok.rindex(b'},{"eventVersion"') + 1] + b"]}",
        "bad_utf8": ok.replace(b"e20", b"e2\xff"),
        "bad_late": ok.replace(b'"e28"', b'"e28'),
        "trailing_garbage": ok + b"x",
        "json_lines": ok + b"\n" + ok + b"\n",
        "pretty": orjson.dumps({"Records": recs}, option=orjson.OPT_INDENT_2),
        "list_of_lists": b'{"Records":[' + b"[1],[2]" + b"]}",
        "deep": b'{"Records":[' + b"[" * 1022 + b"]" * 1022 + b"]}",
        "too_deep": b'{"Records":[' + b"[" * 1023 + b"]" * 1023 + b"]}",
    }
    for name, data in cases.items():
        for suffix in (".json", ".json.gz"):
            path = _write(tmp_path / f"{name}{suffix}", data)
            sliced, whole, _ = _calls(path)
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(5000)  # to compare the 1,024-deep record
            try:
                assert sliced == whole, name
            finally:
                sys.setrecursionlimit(limit)
    if slice_bytes == 1:
        assert _calls(tmp_path / "nested.json")[2] == 2  # handed over twice: sliced, then whole
    assert _calls(tmp_path / "truncated.json")[1][0] == "error"
    assert _calls(tmp_path / "too_deep.json")[1][0] == "error"
    assert len(_calls(tmp_path / "deep.json")[1][0]) == 1


def test_a_record_of_the_role_is_found_in_any_slice(tmp_path: Path) -> None:
    recs = _records(50, issuer=ROLE_ARN.replace("Worker", "Other"))
    recs[37] = record("s3.amazonaws.com", "PutObject", event_id="mine")
    sliced, whole, _ = _calls(_write(tmp_path / "a.json.gz", orjson.dumps({"Records": recs})))
    assert sliced == whole and sliced[0][37]["eventID"] == "mine"
