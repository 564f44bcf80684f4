"""Reading logs on every core gives the serial answer, in the serial order."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from scopedown_records import ROLE_ARN, record

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.reader import read_logs, workers_for
from rolecat.scopedown.scan import Scanner
from rolecat.usage.scan import RoleKey, UsageScanner

OTHER = "arn:aws:iam::123456789012:role/other/Worker"  # same name, another path


def _logs(folder: Path) -> list[Path]:
    files = []
    for n in range(9):
        records = [
            record(
                "s3.amazonaws.com", "GetObject", when=f"2026-10-0{1 + n}T10:00:{i:02d}Z", event_id=f"e{n}-{i}"
            )
            for i in range(5)
        ]
        records.append(record("s3.amazonaws.com", "PutObject", event_id="shared-across-files"))
        records.append(record("kms.amazonaws.com", "Decrypt", issuer=OTHER, event_id=f"o{n}"))
        records.append(
            {
                "eventName": "AssumeRole",
                "eventSource": "sts.amazonaws.com",
                "eventTime": f"2026-10-0{1 + n}T09:00:00Z",
                "sharedEventID": f"s{n % 4}",
                "recipientAccountId": "123456789012",
                "requestParameters": {"roleArn": ROLE_ARN, "roleSessionName": "alice"},
                "userIdentity": {"type": "IAMUser", "accountId": "111111111111", "userName": f"u{n % 3}"},
            }
        )
        path = folder / f"f{n}.json.gz"
        if n == 4:
            path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode())[:-9])  # truncated
        elif n == 6:
            path = folder / f"f{n}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
        else:
            path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
        files.append(path)
    return files


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_scopedown_scan_is_the_same_on_several_cores(
    tmp_path: Path, db: ActionDB, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    files = _logs(tmp_path)
    results = []
    for setting in ("1", jobs):
        monkeypatch.setenv("ROLECAT_JOBS", setting)
        assert workers_for(len(files)) == int(setting)
        seen: list[tuple[str, int]] = []
        scanner = Scanner(ROLE_ARN, db)
        scanner.scan_files(files, lambda p, n, seen=seen: seen.append((p.name, n)))
        results.append((scanner.result, seen))
    (serial, serial_seen), (parallel, parallel_seen) = results
    assert parallel == serial
    assert parallel_seen == serial_seen == [(f.name, 0 if f.name == "f4.json.gz" else 8) for f in files]
    assert serial.duplicates == 7 and serial.files_skipped == 1 and serial.same_name
    assert [p.message for p in serial.problems][-1] == "1 unreadable line(s) skipped"


def test_usage_scan_is_the_same_on_several_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _logs(tmp_path)
    results = []
    for setting in ("1", "2"):
        monkeypatch.setenv("ROLECAT_JOBS", setting)
        scanner = UsageScanner({ROLE_ARN: RoleKey("Worker", "prod")}, "111111111111")
        scanner.scan_files(files)
        results.append(scanner.result)
    assert results[0] == results[1]
    assert results[0].assume_role == 8 and results[0].duplicates == 4


def test_the_reader_keeps_only_what_the_filter_names(tmp_path: Path) -> None:
    files = _logs(tmp_path)
    kept = [len(recs) for _, _, recs, _ in read_logs(files, (), "assume_role")]
    assert kept == [0 if i == 4 else 1 for i in range(9)]
