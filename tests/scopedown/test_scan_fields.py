"""What crosses the pipe for ``scopedown`` is a compact digest per file
(``scan.RoleRecords``: strings, numbers and tuples, no record): merging the digests equals
the old single loop over whole records (``serial_scan.SerialScanner``), on the real
samples and on constructed records that exercise every field the scanner reads
(resources, request parameters, copy sources, versions, request headers, errors, windows,
duplicates, non-API events, other roles of the same name, odd values)."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import DATA, ROLE_ARN, record
from serial_scan import SerialScanner
from test_samples import OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.logs import FileStats, discover, records_of
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
        # request headers that add an action, and copy sources read as S3 reads them
        record(
            "s3.amazonaws.com",
            "CopyObject",
            requestParameters={
                "bucketName": "d",
                "key": "y",
                "x-amz-copy-source": "/src/my%20dir/%C3%A9t%C3%A9+1?versionId=2",
                "x-amz-acl": "bucket-owner-full-control",
            },
        ),
        record(
            "s3.amazonaws.com",
            "CopyObject",
            requestParameters={
                "bucketName": "d",
                "key": "z",
                "x-amz-copy-source": "arn%3Aaws%3As3%3Aeu-west-1%3A1%3Aaccesspoint/ap/object/k",
            },
        ),
        record(
            "s3.amazonaws.com",
            "PutObject",
            requestParameters={
                "bucketName": "b",
                "key": "g",
                "accessControlList": {"x-amz-grant-read": "id=1"},
            },
        ),
        record(
            "s3.amazonaws.com",
            "PutObject",
            requestParameters={"bucketName": "b", "key": "o", "x-amz-acl": 5, "accessControlList": "x"},
        ),
        record(
            "s3.amazonaws.com",
            "CreateBucket",
            requestParameters={"bucketName": "n", "x-amz-acl": ["private"]},
        ),
        record(
            "s3.amazonaws.com",
            "CreateBucket",
            requestParameters={"bucketName": "p", "x-amz-acl": ["public-read"]},
            errorCode="AccessDenied",
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
            "lambda.amazonaws.com",
            "Invoke",
            requestParameters={"functionName": "123456789012:function:g:prod"},
        ),
        record("lambda.amazonaws.com", "Invoke", requestParameters={"functionName": "h:7"}),
        # errors returned only after authorisation: used (GetObject with ListBucket)
        record(
            "s3.amazonaws.com",
            "GetObject",
            errorCode="NoSuchKey",
            requestParameters={"bucketName": "b", "key": "gone", "versionId": "v"},
        ),
        record("s3.amazonaws.com", "HeadObject", errorCode="NoSuchKey"),
        record("dynamodb.amazonaws.com", "PutItem", errorCode="ConditionalCheckFailedException"),
        record("secretsmanager.amazonaws.com", "GetSecretValue", requestParameters={"secretId": "db"}),
        record(
            "secretsmanager.amazonaws.com",
            "DescribeSecret",
            requestParameters={"secretId": "arn:aws:secretsmanager:eu-west-1:1:secret:db"},
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
        record("sts.amazonaws.com", "GetCallerIdentity"),
        record(
            "s3.amazonaws.com",
            "DeleteObject",
            requestParameters={"bucketName": "b", "key": "k", "versionId": 3},
        ),
        record(
            "s3.amazonaws.com", "PutObject", errorCode="", requestParameters={"bucketName": "b", "key": "p"}
        ),
        record("kms.amazonaws.com", "ReEncrypt", errorCode=7, eventID=None),
        record("ec2.amazonaws.com", "DescribeInstances", eventType=5, eventName=["odd"]),
        record(
            "lambda.amazonaws.com",
            "ListFunctions20150331",
            eventTime=None,
            **{"@timestamp": "2026-10-02T00:00:00.000Z"},
        ),
        # times as exports write them: an offset (converted), no zone and none at all (skipped)
        record("ec2.amazonaws.com", "DescribeVpcs", when="2026-10-01T12:00:00.5+02:00"),
        record("ec2.amazonaws.com", "DescribeVpcs", when="2026-10-01 10:00:00"),
        record("ec2.amazonaws.com", "DescribeVpcs", eventTime=None),
        # the action's resource is "*" already: the odd region is never read
        record("dynamodb.amazonaws.com", "Query"),
        record("dynamodb.amazonaws.com", "Query", awsRegion=5, requestParameters={"tableName": "t"}),
        record("s3.amazonaws.com", "ListBuckets", issuer=ROLE_ARN.replace("/services/", "/other/")),
        # what the trail logs: every principal's management calls by readOnly (writes only, so
        # that the counts stay exact: a read too and they would say only "both", BOTH_KINDS)
        record("ec2.amazonaws.com", "RunInstances", readOnly=False, managementEvent=True),
        record("ec2.amazonaws.com", "StopInstances", issuer=other, readOnly=False, managementEvent=True),
        record("s3.amazonaws.com", "GetObject", readOnly=True, managementEvent=False),
        record("ec2.amazonaws.com", "DescribeVpcs", readOnly="true", managementEvent=True),
        {"eventName": "no identity", "readOnly": False, "managementEvent": True, "eventType": "AwsApiCall"},
        ["not", "a", "record"],
    ]
    for rec in recs:
        if isinstance(rec, dict) and "userIdentity" in rec:
            rec["userAgent"], rec["responseElements"] = "bulk", {"bulk": "x" * 40}
    return recs


def _scan(arn: str, records: list[Any], db: ActionDB, scanner: type[Scanner] = Scanner) -> ScanResult:
    scan = scanner(arn, db, since="2026-01-01T00:00:00Z" if arn == ROLE_ARN else None)
    for start in range(0, len(records), 7):  # several digests: duplicates across them
        scan.feed(records[start : start + 7])
    return scan.result


def plain(result: ScanResult) -> dict[str, Any]:
    """The result as plain values (a PatternSet by its patterns), dict orders included."""
    out = dataclasses.asdict(result)
    for table in ("used", "denied"):
        for action, use in getattr(result, table).items():
            out[table][action]["resources"] = None if use.resources is None else use.resources.patterns()
    orders = {name: list(getattr(result, name)) for name in ("used", "denied", "not_api_calls", "dropped")}
    orders |= {name: list(getattr(result, name)) for name in ("unknown", "same_name")}
    return out | {"orders": orders}


def _compact(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return all(_compact(v) for v in value)
    return value is None or isinstance(value, str | int | Exception)  # an exception: see RoleRecords


def test_digests_scan_like_whole_records(db: ActionDB) -> None:
    cases = [(arn, _sample_records()) for arn in (OTRF_ROLE, REPLAY_ROLE, TRAILSCRAPER_ROLE)]
    cases.append((ROLE_ARN, _constructed()))
    for arn, records in cases:
        digest = Scanner(arn, db).role_records.keep((records,))
        assert digest.rows and _compact(digest.rows) and all(type(k) is str for k in digest.same_name)
        whole, split = _scan(arn, records, db, SerialScanner), _scan(arn, records, db)
        assert whole.attributed, arn
        assert plain(split) == plain(whole), arn
    constructed = _scan(ROLE_ARN, _constructed(), db)
    assert constructed.duplicates and constructed.outside_window and constructed.not_api_calls
    assert constructed.denied and constructed.unknown and constructed.same_name and constructed.dropped
    assert "s3:GetObjectVersion" in constructed.used
    assert constructed.used["s3:PutObjectAcl"].count == 2 and "s3:PutBucketAcl" in constructed.denied
    assert constructed.used["s3:ListBucket"].errors == {"NoSuchKey": 2}
    assert (
        constructed.bad_time == 2
        and constructed.used["ec2:DescribeVpcs"].first_seen == "2026-10-01T10:00:00Z"
    )
    assert (constructed.management_reads, constructed.management_writes) == (0, 3)
    assert (constructed.role_management_reads, constructed.role_management_writes) == (0, 1)


_CALLS = st.sampled_from(
    [
        ("s3.amazonaws.com", n)
        for n in ("GetObject", "HeadObject", "GetObjectAttributes", "CopyObject", "PutObject", "ListObjects")
    ]
    + [("dynamodb.amazonaws.com", n) for n in ("PutItem", "UpdateItem", "Query", "TransactWriteItems")]
)
_ERRORS = st.sampled_from(
    [
        None,
        "",
        "NoSuchKey",
        "AccessDenied",
        "ConditionalCheckFailedException",
        "NoSuchVersion",
        7,
        ["NoSuchKey"],
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_CALLS, _ERRORS, st.booleans()), min_size=1, max_size=8))
def test_errors_after_authorisation_scan_as_the_serial_scan(
    calls: list[tuple[tuple[str, str], Any, bool]],
) -> None:
    """Any mix of calls and error codes: the split scan (the error in the plan's key) equals
    the serial scan, and a record counts as used exactly when it has no error or one of
    mapping.AUTHORISED_ERRORS for its event."""
    db = ActionDB.load()
    records = []
    for n, ((source, name), error, acl) in enumerate(calls):
        params = {"bucketName": "b", "key": f"k{n}", **({"x-amz-acl": "private"} if acl else {})}
        if source.startswith("dynamodb"):
            params = {"tableName": f"t{n}"}
        records.append(record(source, name, event_id=str(n), errorCode=error, requestParameters=params))
    split, serial = Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)
    split.feed(records)
    serial.feed(records)
    assert plain(split.result) == plain(serial.result)
    res = split.result
    for action, events, code in (
        ("s3:ListBucket", ("GetObject", "HeadObject", "GetObjectAttributes"), "NoSuchKey"),
        ("s3:GetObjectAttributes", ("GetObjectAttributes",), "NoSuchKey"),
        ("dynamodb:PutItem", ("PutItem",), "ConditionalCheckFailedException"),
        ("dynamodb:UpdateItem", ("UpdateItem",), "ConditionalCheckFailedException"),
    ):
        expected = sum(1 for (_, name), error, _ in calls if name in events and error == code)
        assert (res.used[action].errors[code] if action in res.used else 0) == expected, action
    assert all(set(use.errors) <= set(AUTHORISED_ERRORS_CODES) for use in res.used.values())


AUTHORISED_ERRORS_CODES = ("NoSuchKey", "ConditionalCheckFailedException")


_TIME_PARTS = st.sampled_from(
    ["2026-10-01", "2026-02-30", "2026-1-01", "T", " ", "t", "10:00:00", "23:59:59", "24:00:00", "1:00:00",
     ".", ".5", ".000", "Z", "z", "+02:00", "-0430", "+24:00", "+00:60", "-12", "+1:00", "١٢", ""]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_TIME_PARTS, min_size=1, max_size=6))
def test_times_read_as_the_serial_scan_reads_them(parts: list[str]) -> None:
    """Any time made of a date, a separator, a time, a fraction and a zone, well formed or
    not: the scan's pattern and the serial scan's character checks agree, and a time they
    read is CloudTrail's UTC form."""
    from serial_scan import serial_utc_time

    from rolecat.scopedown.scan import utc_time

    text = "".join(parts)
    fast = len(text) == 20 and text[10] == "T" and text[19] == "Z"
    split = text if fast else utc_time(text)
    assert split == serial_utc_time(text), text
    if split is not None and not fast:
        assert len(split) == 20 and split[10] == "T" and split.endswith("Z")
