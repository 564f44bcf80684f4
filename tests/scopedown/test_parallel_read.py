"""Reading logs on every core gives the serial answer, in the serial order."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from scopedown_records import DATA, ROLE_ARN, record
from serial_scan import SerialScanner
from test_samples import OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE
from test_scan_fields import plain

from rolecat.iam.actions import ActionDB
from rolecat.scopedown import logs
from rolecat.scopedown.logs import discover
from rolecat.scopedown.reader import AssumeRoleKeeper, read_logs, workers_for
from rolecat.scopedown.scan import BOTH_KINDS, Scanner
from rolecat.usage.scan import RoleKey, UsageScanner

OTHER = "arn:aws:iam::123456789012:role/other/Worker"  # same name, another path


def _logs(folder: Path, compact: bool = False) -> list[Path]:
    dumps = orjson.dumps if compact else (lambda doc: json.dumps(doc).encode())
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
            path.write_bytes(gzip.compress(dumps({"Records": records}))[:-9])  # truncated
        elif n == 6:
            path = folder / f"f{n}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
        else:
            path.write_bytes(gzip.compress(dumps({"Records": records})))
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
    assert [p.message for p in serial.problems][-1] == "1 unreadable line skipped"


@pytest.mark.parametrize("sparse", [True, False])
def test_usage_scan_is_the_same_on_several_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sparse: bool
) -> None:
    files = _logs(tmp_path)
    (tmp_path / "compact").mkdir()
    compact = _logs(tmp_path / "compact", compact=True)  # read in slices, or a record at a time
    monkeypatch.setattr(logs, "SLICE_BYTES", 500)
    monkeypatch.setattr(logs, "_sparse", lambda data, part: sparse)
    results = []
    for setting, paths in (("1", files), ("2", files), ("1", compact), ("2", compact)):
        monkeypatch.setenv("ROLECAT_JOBS", setting)
        scanner = UsageScanner({ROLE_ARN: RoleKey("Worker", "prod")}, "111111111111")
        scanner.scan_files(paths)
        for problem in scanner.result.problems:
            problem.path = Path(problem.path).name
        results.append(scanner.result)
    assert results[0] == results[1] == results[2] == results[3]
    assert results[0].assume_role == 8 and results[0].duplicates == 4


def test_the_reader_keeps_only_what_the_filter_names(tmp_path: Path) -> None:
    files = _logs(tmp_path)
    kept = [len(recs or ()) for _, _, recs, _ in read_logs(files, (), AssumeRoleKeeper())]
    assert kept == [0 if i == 4 else 1 for i in range(9)]


def _mixed_log(folder: Path) -> list[Path]:
    """Delivery files (compact, sliced; and spaced, parsed whole) with every kind of record:
    duplicates within and across files (also of records outside the window), roles of the
    same name, errors, versioned and copied S3 objects (encoded copy sources, ACL headers),
    non-API, unknown and dropped events, lookup-events, JSON lines, a damaged file and one
    without the role."""
    other_path = ROLE_ARN.replace("/services/", "/other/")
    other_account = ROLE_ARN.replace("123456789012", "999999999999")
    files = []
    for n in range(14):
        day = f"2026-10-{1 + n:02d}"
        recs: list[Any] = []
        for i in range(60):
            when = f"{day}T{i % 24:02d}:{i:02d}:00Z"
            kind = (n * 7 + i) % 13
            eid = f"e{n}-{i}" if i % 9 else f"e{max(n - 1, 0)}-{i}"  # every 9th: a copy of the file before
            if kind == 0:
                recs.append(
                    record(
                        "s3.amazonaws.com",
                        "GetObject",
                        when=when,
                        event_id=eid,
                        requestParameters={"bucketName": f"b{i % 3}", "key": f"k/{n}/{i}", "versionId": "v"}
                        if i % 2
                        else {"bucketName": f"b{i % 3}", "key": f"k/{n}/{i}"},
                        resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::b{i % 3}/k/{n}/{i}"}],
                        # a read of a key not there: used after authorisation, with s3:ListBucket
                        **({"errorCode": "NoSuchKey"} if i % 5 == 0 else {}),
                    )
                )
            elif kind == 1:
                recs.append(
                    record(
                        "s3.amazonaws.com",
                        "CopyObject",
                        when=when,
                        event_id=eid,
                        requestParameters={
                            "bucketName": "d",
                            "key": "x",
                            "x-amz-copy-source": f"src/o{i}?v=1" if i % 3 else f"/src/o%20{i}%2Bx",
                            **({"x-amz-acl": "bucket-owner-full-control"} if i % 2 else {}),
                        },
                    )
                )
            elif kind == 2:
                recs.append(
                    record(
                        "kms.amazonaws.com",
                        "Decrypt",
                        when=when,
                        event_id=eid,
                        errorCode="AccessDenied",
                        readOnly=True,
                        managementEvent=True,
                    )
                )
            elif kind == 3:
                recs.append(
                    record(
                        "dynamodb.amazonaws.com",
                        "Query",
                        when=when,
                        event_id=eid,
                        requestParameters={"tableName": f"t{n % 40}-{i}"}
                        if i % 3
                        else {"tableName": f"t{n % 40}-{i}", "indexName": f"ix{i % 2}"},
                    )
                )
            elif kind == 4:
                recs.append(
                    record(
                        "s3.amazonaws.com",
                        "ListObjects",
                        when=f"2025-01-0{1 + i % 9}T00:00:00Z",
                        event_id=f"late-{i}",
                    )
                )  # outside the window; in it in a later file
            elif kind == 5:
                recs.append(
                    record(
                        "s3.amazonaws.com",
                        "ListObjects",
                        when=when,
                        event_id=f"late-{i}",
                        requestParameters={"bucketName": f"b{i % 4}"},
                    )
                )
            elif kind == 6:
                recs.append(record("sts.amazonaws.com", "GetCallerIdentity", when=when, event_id=eid))
            elif kind == 7:
                recs.append(
                    record(
                        "signin.amazonaws.com",
                        "ConsoleLogin",
                        when=when,
                        event_id=eid,
                        eventType="AwsConsoleSignIn",
                    )
                )
            elif kind == 8:
                recs.append(record("nosuch.amazonaws.com", "DoThing", when=when, event_id=eid))
            elif kind == 9:
                recs.append(
                    record(
                        "lambda.amazonaws.com",
                        "ListFunctions20150331",
                        issuer=other_path,
                        when=when,
                        event_id=eid,
                    )
                )
            elif kind == 10:
                # a management call of another principal: evidence of what the trail logs
                recs.append(
                    record(
                        "ec2.amazonaws.com",
                        "DescribeInstances",
                        issuer=other_account,
                        when=when,
                        readOnly=i % 3 == 0,
                        managementEvent=True,
                    )
                )
            elif kind == 11:
                recs.append(
                    record(
                        "sqs.amazonaws.com",
                        "SendMessage",
                        when=when,
                        event_id=eid,
                        # the current host, the legacy ones and a VPC endpoint's
                        requestParameters={"queueUrl": f"https://{SQS_HOSTS[i % 4]}/1/q{i}"},
                    )
                )
            else:
                recs.append(
                    record(
                        "s3.amazonaws.com",
                        "DeleteObject",
                        when=when,
                        event_id=None,
                        requestParameters={"bucketName": "b", "key": f"d{i}", "versionId": "1"},
                    )
                )
        path = folder / f"{n:02d}.json.gz"
        # every fourth file spaced (read whole), the others compact (read in slices)
        data = json.dumps({"Records": recs}).encode() if n % 4 == 3 else orjson.dumps({"Records": recs})
        path.write_bytes(gzip.compress(data))
        files.append(path)
    (folder / "lookup.json").write_text(
        json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in recs[:20]]})
    )
    (folder / "export.jsonl").write_text("\n".join(json.dumps(r) for r in recs[20:40]) + "\nnot json\n")
    (folder / "damaged.json.gz").write_bytes(gzip.compress(orjson.dumps({"Records": recs}))[:-20])
    (folder / "z-other.json.gz").write_bytes(gzip.compress(orjson.dumps({"Records": []})))
    return [
        *files,
        folder / "lookup.json",
        folder / "export.jsonl",
        folder / "damaged.json.gz",
        folder / "z-other.json.gz",
    ]


SQS_HOSTS = (
    "sqs.eu-west-1.amazonaws.com",
    "queue.amazonaws.com",
    "us-west-2.queue.amazonaws.com",
    "vpce-0a1b-c2d3.sqs.eu-west-1.vpce.amazonaws.com",
)


def _report(scanner: Scanner, db: ActionDB) -> tuple[str, str]:
    from rolecat.scopedown.report import Report, policy_text, render_text
    from rolecat.scopedown.suggest import RoleContext, build_suggestion

    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ctx = RoleContext(
        role="Worker",
        account="prod",
        account_id="123456789012",
        arn=scanner.role_arn,
        policies={"p.json": policy},
    )
    report = Report(ctx, scanner.result, build_suggestion(scanner.result, ctx, db), db.version)
    return render_text(report), json.dumps(report.to_json()) + policy_text(report.suggestion.policy)


@pytest.mark.parametrize("sparse", [True, False])
def test_every_worker_count_gives_the_serial_scan(
    tmp_path: Path, db: ActionDB, monkeypatch: pytest.MonkeyPatch, sparse: bool
) -> None:
    """The mixed log and the real samples, on 1, 2 and 3 workers, against the old single loop
    over whole records: every counter, table, pattern, order, problem and the report; with
    delivery files read a record at a time (only the records naming the role parsed, once
    the trail's reads and writes are seen) and in slices."""
    monkeypatch.setattr(logs, "SLICE_BYTES", 4000)  # several slices a file (inherited by the workers)
    monkeypatch.setattr(logs, "RAW_BATCH", 7)
    monkeypatch.setattr(logs, "_sparse", lambda data, part: sparse)
    cases = [(ROLE_ARN, _mixed_log(tmp_path), "2026-10-01T00:00:00Z", "2026-10-12T12:00:00Z")]
    samples, _ = discover([DATA])
    cases += [(arn, samples, None, None) for arn in (OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE)]
    for arn, files, since, until in cases:
        serial = SerialScanner(arn, db, since=since, until=until)
        serial_seen: list[tuple[str, int]] = []
        serial.scan_files(files, lambda p, n, seen=serial_seen: seen.append((p.name, n)))
        expected = (plain(serial.result), serial_seen, _report(serial, db))
        assert serial.result.attributed and serial.result.used, arn
        for jobs in ("1", "2", "3"):
            monkeypatch.setenv("ROLECAT_JOBS", jobs)
            scanner = Scanner(arn, db, since=since, until=until)
            seen: list[tuple[str, int]] = []
            scanner.scan_files(files, lambda p, n, seen=seen: seen.append((p.name, n)))
            assert (plain(scanner.result), seen, _report(scanner, db)) == expected, (arn, jobs)
    mixed = SerialScanner(ROLE_ARN, db, since=cases[0][2], until=cases[0][3])
    mixed.scan_files(cases[0][1])
    res = mixed.result
    assert res.duplicates and res.outside_window and res.same_name and res.not_api_calls and res.dropped
    assert res.unknown and res.denied and res.files_skipped == 1 and res.files_without_role == 1
    # a read and a write of other principals: the counts say only that the trail logs both
    assert (
        res.management_reads,
        res.management_writes,
        res.role_management_reads,
        res.role_management_writes,
    ) == (BOTH_KINDS)
    assert {"s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:GetObject", "s3:ListBucket"} <= set(res.used)
    assert "s3:PutObjectAcl" in res.used  # an ACL header on a copy
    assert any(p.message.endswith("skipped") and "unreadable line" in p.message for p in res.problems)


def test_an_error_on_an_odd_value_is_raised_where_the_serial_scan_raises(
    tmp_path: Path, db: ActionDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = record("dynamodb.amazonaws.com", "Query", awsRegion=5, requestParameters={"tableName": "t"})
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps({"Records": [odd]})))
    for scanner in (SerialScanner(ROLE_ARN, db), Scanner(ROLE_ARN, db)):
        with pytest.raises(AttributeError):
            scanner.scan_files([path])
    star = record("dynamodb.amazonaws.com", "Query")  # no table: the resource is "*", the region never read
    path.write_bytes(gzip.compress(orjson.dumps({"Records": [star, odd]})))
    results = []
    for scanner in (SerialScanner(ROLE_ARN, db), Scanner(ROLE_ARN, db)):
        scanner.scan_files([path])
        results.append(plain(scanner.result))
    assert results[0] == results[1] and results[0]["used"]["dynamodb:Query"]["count"] == 2
