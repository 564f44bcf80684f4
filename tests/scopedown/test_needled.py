"""Delivery files read a record at a time: msgspec finds the records, and only those that
name the role (or, for usage, ``AssumeRole``) are parsed, once the reader's consumer says
it needs no other (``logs._needled``)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner
from test_scan_fields import plain

from rolecat.iam.actions import ActionDB
from rolecat.scopedown import logs
from rolecat.scopedown.logs import FileStats, read_records
from rolecat.scopedown.scan import BOTH_KINDS, Scanner

OTHER = "arn:aws:iam::123456789012:role/services/Reporter"  # another name: never needled
SPARSE = logs._sparse  # the rule itself (the fixture below stands in for it in the other tests)


def _other(i: int, read: bool) -> dict[str, Any]:
    return record(
        "ec2.amazonaws.com",
        "DescribeInstances" if read else "RunInstances",
        issuer=OTHER,
        event_id=f"o{i}",
        readOnly=read,
        managementEvent=True,
    )


def _write(path: Path, recs: list[Any]) -> Path:
    path.write_bytes(gzip.compress(orjson.dumps({"Records": recs})))
    return path


def _scan(db: ActionDB, files: list[Path], cls: type[Scanner] = Scanner) -> dict[str, Any]:
    scanner = cls(ROLE_ARN, db)
    scanner.scan_files(files)
    return plain(scanner.result)


@pytest.fixture(autouse=True)
def one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_sparse", lambda data, part: True)
    monkeypatch.setattr(logs, "RAW_BATCH", 8)
    monkeypatch.setenv("ROLECAT_JOBS", "1")


def test_every_record_is_parsed_until_the_trail_shows_reads_and_writes(tmp_path: Path, db: ActionDB) -> None:
    """Another principal's write, late in a file, is what shows that the trail logs writes:
    the records before it are all parsed (none names the role), and the counts say "both"."""
    late = [*(_other(i, True) for i in range(150)), _other(150, False)]
    late[40:40] = [
        record("s3.amazonaws.com", "ListBuckets", event_id=f"r{i}", readOnly=True) for i in range(3)
    ]
    reads_only = [_other(i, True) for i in range(100)] + [
        record("s3.amazonaws.com", "ListBuckets", event_id="m")
    ]
    files = [_write(tmp_path / "a.json.gz", late), _write(tmp_path / "b.json.gz", reads_only)]
    for files_ in (files[:1], files[1:], files):
        assert _scan(db, files_) == _scan(db, files_, SerialScanner)
    scanner = Scanner(ROLE_ARN, db)
    scanner.scan_files(files[:1])
    res = scanner.result
    counts = (
        res.management_reads,
        res.management_writes,
        res.role_management_reads,
        res.role_management_writes,
    )
    assert counts == BOTH_KINDS and res.records == 154 and res.attributed == 3


def test_only_the_records_naming_the_role_are_handed_over(tmp_path: Path) -> None:
    recs = [_other(0, True), _other(1, False)]  # the trail logs both: from here on, the role's only
    recs += [
        record("s3.amazonaws.com", "ListBuckets", event_id=f"m{i}") if i % 5 == 0 else _other(i, True)
        for i in range(2, 60)
    ]
    path = _write(tmp_path / "a.json.gz", recs)
    needles = Scanner(ROLE_ARN, ActionDB.load()).needles
    stats = FileStats()
    handed: list[Any] = []
    asked = iter([False] + [True] * 100)
    read_records(
        path, needles, stats, lambda batches: [handed.extend(b) for b in batches], lambda: next(asked)
    )
    mine = [r for r in recs if r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == ROLE_ARN]
    assert handed == recs[:8] + [r for r in mine if recs.index(r) >= 8]
    assert stats.records == 60 and stats.parsed


def test_the_needles_common_part() -> None:
    assert logs._common_part(Scanner(ROLE_ARN, ActionDB.load()).needles) == b"/Worker"
    assert logs._common_part((b'"AssumeRole"', b'\\"AssumeRole\\"')) == b'"AssumeRole'
    assert logs._common_part((b"abcdef", b"xyz")) is None
    assert logs._common_part(()) is None


def test_sparse_means_fewer_mentions_than_records() -> None:
    """A file is read a record at a time when fewer than about half its records name the
    role (parsing most of them one at a time costs more than parsing slices)."""
    role_part = b"/Worker"
    quarter = [
        record("s3.amazonaws.com", "GetObject", issuer=ROLE_ARN if i % 4 else OTHER) for i in range(40)
    ]
    for share, expected in ((0, True), (4, True), (10, True), (40, False)):
        recs = [
            record("s3.amazonaws.com", "GetObject", issuer=ROLE_ARN if i < share else OTHER)
            for i in range(40)
        ]
        assert SPARSE(orjson.dumps({"Records": recs}), role_part) is expected, share
    assert not SPARSE(orjson.dumps({"Records": quarter}), role_part)  # three in four are the role's


def test_damage_in_a_record_of_the_role_refuses_the_file(tmp_path: Path, db: ActionDB) -> None:
    recs = [_other(0, True), _other(1, False), *(_other(i, True) for i in range(2, 30))]
    recs[20] = record("s3.amazonaws.com", "ListBuckets", event_id="mine", requestParameters={"n": 1.5})
    data = orjson.dumps({"Records": recs}).replace(b'"n":1.5', b'"n":1.5e999')
    bad_utf8 = orjson.dumps({"Records": recs}).replace(b'"o3"', b'"o\xff"')
    for name, raw in (("number", data), ("utf8", bad_utf8)):
        path = tmp_path / f"{name}.json.gz"
        path.write_bytes(gzip.compress(raw))
        result = _scan(db, [path])
        assert result == _scan(db, [path], SerialScanner)
        assert result["problems"][0]["fatal"] and result["attributed"] == 0, name


def test_a_number_out_of_range_in_another_principals_record_goes_unnoticed(
    tmp_path: Path, db: ActionDB
) -> None:
    """The one difference from parsing every record (docs/scopedown.md): msgspec does not
    check a number it does not build, orjson refuses one beyond a double's range."""
    recs = [_other(0, True), _other(1, False), *(_other(i, True) for i in range(2, 30))]
    recs[25]["requestParameters"] = {"n": 1.5}
    recs[20] = record("s3.amazonaws.com", "ListBuckets", event_id="mine")
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps({"Records": recs}).replace(b'"n":1.5', b'"n":1.5e999')))
    result = _scan(db, [path])
    assert not result["problems"] and result["attributed"] == 1 and result["records"] == 30
    serial = _scan(db, [path], SerialScanner)
    assert serial["problems"][0]["fatal"]


def test_without_msgspec_every_record_is_parsed(tmp_path: Path) -> None:
    recs = [_other(0, True), _other(1, False)] + [
        record("s3.amazonaws.com", "ListBuckets", event_id=f"m{i}") for i in range(3)
    ]
    path = _write(tmp_path / "a.json.gz", recs)
    script = (
        "import sys; sys.modules['msgspec'] = None\n"  # import msgspec raises ImportError
        "from pathlib import Path\n"
        "from rolecat.scopedown import logs\n"
        "assert logs._raw_records(b'{}') is None\n"
        "stats = logs.FileStats()\n"
        "n = logs.read_records(Path(sys.argv[1]), (b'/Worker\"',), stats, lambda bs: sum(map(len, bs)), lambda: True)\n"
        "print(n, stats.records)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["5", "5"]  # every record handed over, as before msgspec


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_utf8_is_checked_a_chunk_at_a_time(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """A character cut by a chunk's end is read whole; a byte UTF-8 does not allow, or a
    character cut by the file's end, is not UTF-8."""
    monkeypatch.setattr(logs, "UTF8_CHUNK", chunk)
    text = '{"Records":[{"a":"é€𝄞 ok"}]}'.encode()
    assert logs._utf8(text) and logs._utf8(b"plain")
    assert not logs._utf8(text.replace(b"ok", b"o\xff"))
    assert not logs._utf8(text[: text.index("€".encode()) + 1])
    assert not logs._utf8("€".encode()[:2] + b"abc")
