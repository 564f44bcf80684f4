"""The reader hands ``scopedown`` records with only the fields it reads
(``scopedown.reader.SCOPEDOWN_FIELDS``, the issuer ARN of ``userIdentity``): the scan of
those equals the scan of the whole records, on the real samples and on constructed
records that exercise every field the scanner reads (resources, request parameters,
copy sources, errors, windows, duplicates, non-API events, other roles of the same name)."""

from __future__ import annotations

import dataclasses
from typing import Any

from scopedown_records import DATA, ROLE_ARN, record
from test_samples import OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.logs import FileStats, discover, records_of
from rolecat.scopedown.reader import KEEP
from rolecat.scopedown.scan import Scanner, ScanResult


def _sample_records() -> list[Any]:
    files, _ = discover([DATA])
    return [rec for path in files for batch in records_of(path, (), FileStats()) for rec in batch]


def _constructed() -> list[Any]:
    other = ROLE_ARN.replace("123456789012", "999999999999")
    recs: list[Any] = [
        record("s3.amazonaws.com", "GetObject", requestParameters={"bucketName": "b", "key": "k/1"}),
        record(
            "s3.amazonaws.com",
            "GetObject",
            requestParameters={"bucketName": "b", "key": "k/2", "versionId": "v1"},
        ),
        record(
            "s3.amazonaws.com",
            "CopyObject",
            requestParameters={"bucketName": "d", "key": "x", "x-amz-copy-source": "src/obj?versionId=1"},
        ),
        record(
            "kms.amazonaws.com",
            "Decrypt",
            resources=[{"ARN": "arn:aws:kms:eu-west-1:123456789012:key/k1"}, {"ARNPrefix": "arn:aws:kms:"}],
        ),
        record(
            "dynamodb.amazonaws.com", "Query", requestParameters={"tableName": "t"}, errorCode="AccessDenied"
        ),
        record(
            "lambda.amazonaws.com",
            "Invoke",
            requestParameters={"functionName": "f"},
            awsRegion="us-gov-west-1",
        ),
        record(
            "sqs.amazonaws.com",
            "SendMessage",
            requestParameters={"queueUrl": "https://sqs.eu-west-1.amazonaws.com/1/q"},
        ),
        record(
            "s3.amazonaws.com", "GetObject", event_id="dup", requestParameters={"bucketName": "b", "key": "k"}
        ),
        record(
            "s3.amazonaws.com", "GetObject", event_id="dup", requestParameters={"bucketName": "b", "key": "k"}
        ),
        record("s3.amazonaws.com", "ListBuckets", when="2020-01-01T00:00:00Z"),
        record("signin.amazonaws.com", "ConsoleLogin", eventType="AwsConsoleSignIn"),
        record("nosuch.amazonaws.com", "DoThing"),
        record("s3.amazonaws.com", "ListBuckets", issuer=other),
        {"eventName": "no identity"},
        ["not", "a", "record"],
    ]
    for rec in recs:
        if isinstance(rec, dict) and "userIdentity" in rec:
            rec["userAgent"], rec["responseElements"] = "bulk", {"bulk": "x" * 40}
    return recs


def _scan(arn: str, records: list[Any], db: ActionDB) -> ScanResult:
    scanner = Scanner(arn, db, since="2026-01-01T00:00:00Z" if arn == ROLE_ARN else None)
    scanner.feed(records)
    return scanner.result


def _plain(result: ScanResult) -> dict[str, Any]:
    """The result as plain values (a PatternSet by its patterns)."""
    out = dataclasses.asdict(result)
    for table in ("used", "denied"):
        for action, use in getattr(result, table).items():
            out[table][action]["resources"] = None if use.resources is None else use.resources.patterns()
    return out


def test_kept_fields_scan_like_whole_records(db: ActionDB) -> None:
    cases = [(arn, _sample_records()) for arn in (OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE)]
    cases.append((ROLE_ARN, _constructed()))
    for arn, records in cases:
        kept = KEEP["issuer_ends_with"](records, "/" + arn.rsplit("/", 1)[-1])
        assert kept and all("userAgent" not in rec and "responseElements" not in rec for rec in kept)
        whole, projected = _scan(arn, records, db), _scan(arn, kept, db)
        assert whole.attributed, arn
        assert _plain(projected) == _plain(whole), arn
    constructed = _scan(ROLE_ARN, _constructed(), db)
    assert constructed.duplicates and constructed.outside_window and constructed.not_api_calls
    assert constructed.denied and constructed.unknown and constructed.same_name
