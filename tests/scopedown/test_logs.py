"""Formats, discovery, and damaged files (reported and skipped, never fatal)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from scopedown_records import ROLE_ARN, record

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.logs import discover
from rolecat.scopedown.scan import Scanner


def _records(n: int) -> list[dict[str, Any]]:
    return [record("ec2.amazonaws.com", "DescribeInstances", event_id=f"e{i}") for i in range(n)]


def _scan(db: ActionDB, paths: list[Path]) -> Scanner:
    files, missing = discover(paths)
    assert not missing
    scanner = Scanner(ROLE_ARN, db)
    scanner.scan_files(files)
    return scanner


def test_formats_and_recursive_discovery(db: ActionDB, tmp_path: Path) -> None:
    nested = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "eu-west-1" / "2026" / "10" / "01"
    nested.mkdir(parents=True)
    recs = _records(6)
    (nested / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs[:2]}).encode()))
    (nested / "b.json").write_text(json.dumps({"Records": recs[2:3]}))
    (tmp_path / "export.jsonl").write_text("\n".join(json.dumps(r) for r in recs[3:5]) + "\n")
    lookup = {"Events": [{"EventId": "x", "CloudTrailEvent": json.dumps(recs[5])}]}
    (tmp_path / "lookup.json").write_text(json.dumps(lookup))
    (tmp_path / "notes.txt").write_text("ignored: not a log file name")
    s = _scan(db, [tmp_path])
    assert s.result.files == 4
    assert s.result.problems == []
    assert s.result.used["ec2:DescribeInstances"].count == 6


def test_damaged_files_are_reported_and_skipped(db: ActionDB, tmp_path: Path) -> None:
    good = gzip.compress(json.dumps({"Records": _records(3)}).encode())
    (tmp_path / "1-good.json.gz").write_bytes(good)
    (tmp_path / "2-truncated.json.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "3-cut.json").write_text(json.dumps({"Records": _records(3)})[:-40])
    (tmp_path / "4-garbage.json.gz").write_bytes(b"\x1f\x8bnot gzip at all")
    (tmp_path / "5-notrail.json").write_text('{"hello": "world"}')
    lines = [
        json.dumps(record("ec2.amazonaws.com", "DescribeInstances", event_id=f"line{i}")) for i in range(2)
    ]
    (tmp_path / "6-lines.jsonl").write_text(lines[0] + "\n{broken\n" + lines[1][:30] + "\n")
    # one record per line after a blank or a cut-off first line: lines, not one document (SD001)
    more = [
        json.dumps(record("ec2.amazonaws.com", "DescribeInstances", event_id=f"more{i}")) for i in range(3)
    ]
    (tmp_path / "7-blank-first.jsonl").write_text("\n" + "\n".join(more[:2]) + "\n")
    (tmp_path / "8-cut-first.jsonl").write_text(more[2][:40] + "\n" + more[2] + "\n")
    s = _scan(db, [tmp_path])
    fatal = sorted(Path(p.path).name for p in s.result.problems if p.fatal)
    partial = [(Path(p.path).name, p.message) for p in s.result.problems if not p.fatal]
    assert fatal == ["2-truncated.json.gz", "3-cut.json", "4-garbage.json.gz"]
    assert partial == [
        ("6-lines.jsonl", "2 unreadable lines skipped"),
        ("8-cut-first.jsonl", "1 unreadable line skipped"),
    ]
    assert s.result.files_skipped == 3
    # 3 from the good file, 1 from the readable line, 2 + 1 after a blank or cut first line;
    # 5-notrail holds no role record
    assert s.result.used["ec2:DescribeInstances"].count == 7


def test_files_without_the_role_are_not_parsed(db: ActionDB, tmp_path: Path) -> None:
    other = [record("ec2.amazonaws.com", "DescribeInstances", issuer="arn:aws:iam::1:role/Other")]
    (tmp_path / "other.json").write_text(json.dumps({"Records": other}))
    s = _scan(db, [tmp_path])
    assert (s.result.files, s.result.files_parsed, s.result.attributed) == (1, 0, 0)


def test_escaped_slashes_still_match(db: ActionDB, tmp_path: Path) -> None:
    text = json.dumps({"Records": _records(1)}).replace("/", "\\/")
    (tmp_path / "escaped.json").write_text(text)
    assert _scan(db, [tmp_path]).result.attributed == 1


def test_missing_paths_are_returned(tmp_path: Path) -> None:
    files, missing = discover([tmp_path / "nope"])
    assert files == [] and missing == [tmp_path / "nope"]


def test_a_file_that_is_not_json_says_what_and_where_in_words(db: ActionDB, tmp_path: Path) -> None:
    """It said orjson's "not valid JSON (truncated?): unexpected end of data: line 1 column
    3519 (char 3518)"; now the catalog's words and the place, once: the file's diagnostic
    names no line of its own (the line of a gzip file is one of its text)."""
    text = json.dumps({"Records": _records(3)}, indent=1)
    cut = text[: text.rfind("\n", 0, len(text) - 40)]  # at the end of a line, after a ',' a '[' or a '{'
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(cut.encode()))
    lines, col = cut.count("\n") + 1, len(cut) - cut.rfind("\n")
    broken = text.replace('"eventName"', "eventName", 1)
    (tmp_path / "edited.json").write_text(broken)
    at = broken.index("eventName")
    s = _scan(db, [tmp_path])
    said = sorted((Path(p.path).name, p.message) for p in s.result.problems)
    assert said == [
        ("cut.json.gz", f"not valid JSON (truncated?): unexpected end of file at line {lines}, column {col}"),
        (
            "edited.json",
            f"not valid JSON (truncated?): expected a quoted key at line {broken[:at].count(chr(10)) + 1}, "
            f"column {at - broken.rfind(chr(10), 0, at)}",
        ),
    ]
