"""A record written inside another record's parameters is never read as a record.

A record's request parameters are its caller's: a call that takes a list of objects can
place, among them, one that looks like a record of another principal, right after the
very bytes ``logs._slices`` cuts records at (``},{"eventVersion":``).  Were such an object
read as a record, a principal could make scopedown suggest an action for a role that never
called it, or make ``usage`` see an ``sts:AssumeRole`` that never happened.  The reader
cuts a file only where the whole file parses into the cut records (``logs._slices``), so
the forged record stays a parameter; so does reading a file's records one at a time
(``logs._needled``), whose records are those msgspec's parse of the file finds.  (A reader
that cut out the records around the role's name at those bytes and left the rest
unparsed read it as a record.)"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from scopedown_records import ROLE_ARN, record

from rolecat.iam.actions import ActionDB
from rolecat.scopedown import logs
from rolecat.scopedown.scan import Scanner
from rolecat.usage.scan import RoleKey, UsageScanner

OTHER = "arn:aws:iam::123456789012:role/services/Intruder"


def _log(folder: Path, forged: dict[str, Any]) -> list[Path]:
    """Files of the role's own reads, other principals' reads and writes (so that the trail
    logs both), and one record of another principal whose parameters hold ``forged``
    between two objects, each starting where a record would."""
    carrier = record(
        "events.amazonaws.com",
        "PutEvents",
        issuer=OTHER,
        event_id="carrier",
        requestParameters={"entries": [{"a": 1}, forged, {"eventVersion": "1.09", "b": 2}]},
    )
    files = []
    for n in range(3):
        recs: list[Any] = []
        for i in range(40):
            if i % 4 == 0:
                recs.append(record("s3.amazonaws.com", "ListBuckets", event_id=f"own-{n}-{i}"))
            else:
                recs.append(
                    record(
                        "ec2.amazonaws.com",
                        "DescribeInstances",
                        issuer=OTHER,
                        event_id=f"other-{n}-{i}",
                        readOnly=i % 2 == 0,
                        managementEvent=True,
                    )
                )
        recs.insert(25, carrier)
        path = folder / f"{n}.json.gz"
        path.write_bytes(gzip.compress(orjson.dumps({"Records": recs})))
        files.append(path)
    return files


@pytest.mark.parametrize("slice_bytes", [1, 3000, 1 << 17])
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("sparse", [True, False])
def test_a_forged_record_of_the_role_is_not_scanned(
    tmp_path: Path, db: ActionDB, monkeypatch: pytest.MonkeyPatch, slice_bytes: int, jobs: str, sparse: bool
) -> None:
    monkeypatch.setattr(logs, "SLICE_BYTES", slice_bytes)
    monkeypatch.setattr(logs, "_sparse", lambda data, part: sparse)  # records one by one, or slices
    monkeypatch.setenv("ROLECAT_JOBS", jobs)
    forged = record("iam.amazonaws.com", "CreateAccessKey", event_id="forged", managementEvent=True)
    scanner = Scanner(ROLE_ARN, db)
    scanner.scan_files(_log(tmp_path, forged))
    res = scanner.result
    assert "iam:CreateAccessKey" not in res.used
    assert set(res.used) == {"s3:ListAllMyBuckets"}
    assert res.attributed == 30 and res.records == 3 * 41


@pytest.mark.parametrize("slice_bytes", [1, 3000, 1 << 17])
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("sparse", [True, False])
def test_a_forged_assume_role_is_not_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int, jobs: str, sparse: bool
) -> None:
    monkeypatch.setattr(logs, "SLICE_BYTES", slice_bytes)
    monkeypatch.setattr(logs, "_sparse", lambda data, part: sparse)
    monkeypatch.setenv("ROLECAT_JOBS", jobs)
    forged = {
        "eventVersion": "1.09",
        "eventName": "AssumeRole",
        "eventSource": "sts.amazonaws.com",
        "eventTime": "2026-10-01T09:00:00Z",
        "eventID": "forged",
        "recipientAccountId": "123456789012",
        "requestParameters": {"roleArn": ROLE_ARN, "roleSessionName": "mallory"},
        "userIdentity": {"type": "IAMUser", "accountId": "111111111111", "userName": "mallory"},
    }
    scanner = UsageScanner({ROLE_ARN: RoleKey("Worker", "prod")}, "111111111111")
    scanner.scan_files(_log(tmp_path, forged))
    assert scanner.result.assume_role == 0
    assert scanner.result.records == 3 * 41
