"""Attribution, window, dedup, denied, resources: records constructed for each rule."""

from __future__ import annotations

from typing import Any

from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.scan import Scanner, ScanResult


def scan(db: ActionDB, records: list[Any], **kw: Any) -> ScanResult:
    scanner = Scanner(ROLE_ARN, db, **kw)
    scanner.feed(records)
    return scanner.result


def test_attribution_by_session_issuer_with_path(db: ActionDB) -> None:
    records = [
        record("ec2.amazonaws.com", "DescribeInstances"),
        # same role name, other account
        record(
            "ec2.amazonaws.com", "DescribeVolumes", issuer="arn:aws:iam::999999999999:role/services/Worker"
        ),
        # same name without the path: another role
        record("ec2.amazonaws.com", "DescribeVpcs", issuer="arn:aws:iam::123456789012:role/Worker"),
        # an IAM user: no session issuer
        {
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeTags",
            "userIdentity": {"type": "IAMUser"},
        },
        {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeTags"},
        "not a record",
    ]
    res = scan(db, records)
    assert list(res.used) == ["ec2:DescribeInstances"]
    assert res.attributed == 1


def test_duplicate_event_ids_count_once(db: ActionDB) -> None:
    a = record("kms.amazonaws.com", "Decrypt", event_id="e1")
    res = scan(db, [a, dict(a), record("kms.amazonaws.com", "Decrypt", event_id="e2")])
    assert res.used["kms:Decrypt"].count == 2
    assert res.duplicates == 1


def test_error_codes_go_to_denied(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record("kms.amazonaws.com", "Decrypt", errorCode="AccessDenied", event_id="1"),
            record("kms.amazonaws.com", "Decrypt", errorCode="AccessDenied", event_id="2"),
            record("s3.amazonaws.com", "GetObject", errorCode="AccessDenied", event_id="3"),
            record("s3.amazonaws.com", "CopyObject", errorCode="NoSuchKey", event_id="4"),
        ],
    )
    assert res.used == {}
    assert res.denied["kms:Decrypt"].count == 2
    assert dict(res.denied["kms:Decrypt"].errors) == {"AccessDenied": 2}
    assert dict(res.denied["s3:GetObject"].errors) == {"AccessDenied": 1, "NoSuchKey": 1}


def test_errors_returned_only_after_authorisation_count_as_used(db: ActionDB) -> None:
    """S3 answers NoSuchKey only to a caller allowed s3:GetObject and s3:ListBucket (without
    ListBucket, 403 AccessDenied: S3 API reference, GetObject, Permissions); a conditional
    write fails its condition only once authorised.  Such calls went to denied, the actions
    were listed unused and left out, and after the scope-down the 404 became a 403."""
    params = {"bucketName": "b", "key": "k/1"}
    res = scan(
        db,
        [
            record("s3.amazonaws.com", "GetObject", errorCode="NoSuchKey", requestParameters=params),
            record("s3.amazonaws.com", "HeadObject", errorCode="NoSuchKey", requestParameters=params),
            record(
                "dynamodb.amazonaws.com",
                "UpdateItem",
                errorCode="ConditionalCheckFailedException",
                requestParameters={"tableName": "t"},
            ),
            record("dynamodb.amazonaws.com", "Query", errorCode="ConditionalCheckFailedException"),
        ],
    )
    assert sorted(res.used) == ["dynamodb:UpdateItem", "s3:GetObject", "s3:ListBucket"]
    assert dict(res.used["s3:GetObject"].errors) == {"NoSuchKey": 2}
    assert res.used["s3:ListBucket"].resources is not None
    assert res.used["s3:ListBucket"].resources.patterns() == ["arn:aws:s3:::b"]
    assert res.used["s3:GetObject"].resources is not None
    assert res.used["s3:GetObject"].resources.patterns() == ["arn:aws:s3:::b/k/1"]
    assert dict(res.used["dynamodb:UpdateItem"].errors) == {"ConditionalCheckFailedException": 1}
    assert list(res.denied) == ["dynamodb:Query"]  # only the allowlisted calls


def test_get_object_attributes_of_a_missing_key_was_authorised(db: ActionDB) -> None:
    """GetObjectAttributes answers 404 NoSuchKey only with s3:ListBucket allowed, 403 without
    it (S3 API reference: GetObjectAttributes, Permissions), as GetObject does: it went to
    denied, s3:GetObjectAttributes was listed unused, and the 404 became a 403."""
    params = {"bucketName": "b", "key": "k/1"}
    rec = record("s3.amazonaws.com", "GetObjectAttributes", errorCode="NoSuchKey", requestParameters=params)
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed([rec])
        res = scanner.result
        assert (
            sorted(res.used) == ["s3:GetObject", "s3:GetObjectAttributes", "s3:ListBucket"] and not res.denied
        )
        assert dict(res.used["s3:GetObjectAttributes"].errors) == {"NoSuchKey": 1}
        listing = res.used["s3:ListBucket"].resources
        assert listing is not None and listing.patterns() == ["arn:aws:s3:::b"]


def test_get_object_attributes_needs_get_object_too(db: ActionDB) -> None:
    """GetObjectAttributes needs s3:GetObject and s3:GetObjectAttributes, or with a version ID
    s3:GetObjectVersion and s3:GetObjectVersionAttributes (S3 API reference:
    GetObjectAttributes, Permissions): it counted only the attributes action, and a role that
    only asked for attributes lost the call after the scope-down."""
    plain = {"bucketName": "b", "key": "k/1"}
    versioned = {**plain, "versionId": "v1"}
    recs = [
        record("s3.amazonaws.com", "GetObjectAttributes", requestParameters=plain, event_id="1"),
        record("s3.amazonaws.com", "GetObjectAttributes", requestParameters=versioned, event_id="2"),
    ]
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed(recs)
        used = scanner.result.used
        assert sorted(used) == [
            "s3:GetObject",
            "s3:GetObjectAttributes",
            "s3:GetObjectVersion",
            "s3:GetObjectVersionAttributes",
        ]
        assert all(u.resources and u.resources.patterns() == ["arn:aws:s3:::b/k/1"] for u in used.values())


def test_a_partiql_statement_that_failed_its_condition_was_authorised(db: ActionDB) -> None:
    """An ExecuteStatement whose statement failed its condition check (it can return the
    stored item: DynamoDB API reference, ExecuteStatement, ReturnValuesOnConditionCheckFailure)
    counts as the use of its verb's action, as a conditional PutItem does; a batch's calls
    report their statements' errors in the response, not as the record's error code, and
    another code stays denied."""
    update = {"statement": "UPDATE Orders SET s = ***(Redacted) WHERE id = 'a' AND s = ***(Redacted)"}
    batch = {"requestItems": [update]}
    recs = [
        record("dynamodb.amazonaws.com", "ExecuteStatement", requestParameters=update,
               errorCode="ConditionalCheckFailedException", event_id="1"),
        record("dynamodb.amazonaws.com", "BatchExecuteStatement", requestParameters=batch,
               errorCode="ConditionalCheckFailedException", event_id="2"),
        record("dynamodb.amazonaws.com", "ExecuteStatement", requestParameters=update,
               errorCode="ValidationException", event_id="3"),
    ]  # fmt: skip
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed(recs)
        res = scanner.result
        assert dict(res.used["dynamodb:PartiQLUpdate"].errors) == {"ConditionalCheckFailedException": 1}
        table = res.used["dynamodb:PartiQLUpdate"].resources
        assert table is not None and table.patterns() == [
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"
        ]
        assert dict(res.denied["dynamodb:PartiQLUpdate"].errors) == {
            "ConditionalCheckFailedException": 1,
            "ValidationException": 1,
        }


def test_window_is_utc_and_until_exclusive(db: ActionDB) -> None:
    records = [
        record("ec2.amazonaws.com", "DescribeA", when="2026-09-30T23:59:59Z"),
        record("ec2.amazonaws.com", "DescribeInstances", when="2026-10-01T00:00:00Z"),
        record("ec2.amazonaws.com", "DescribeVolumes", when="2026-10-01T23:59:59Z"),
        record("ec2.amazonaws.com", "DescribeVpcs", when="2026-10-02T00:00:00Z"),
    ]
    res = scan(db, records, since="2026-10-01T00:00:00Z", until="2026-10-02T00:00:00Z")
    assert sorted(res.used) == ["ec2:DescribeInstances", "ec2:DescribeVolumes"]
    assert res.outside_window == 2
    assert (res.first_event, res.last_event) == ("2026-10-01T00:00:00Z", "2026-10-01T23:59:59Z")


def test_first_and_last_seen(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record("sqs.amazonaws.com", "SendMessage", when="2026-10-05T00:00:00Z"),
            record("sqs.amazonaws.com", "SendMessage", when="2026-10-01T00:00:00Z"),
            record("sqs.amazonaws.com", "SendMessage", when="2026-10-03T00:00:00Z"),
        ],
    )
    use = res.used["sqs:SendMessage"]
    assert (use.count, use.first_seen, use.last_seen) == (3, "2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")


def test_logstash_timestamp_is_normalised(db: ActionDB) -> None:
    rec = record("ec2.amazonaws.com", "DescribeInstances")
    del rec["eventTime"]
    rec["@timestamp"] = "2020-09-14T01:02:34.000Z"
    res = scan(db, [rec])
    assert res.used["ec2:DescribeInstances"].first_seen == "2020-09-14T01:02:34Z"


def test_non_api_events_and_dropped_calls_are_counted_not_used(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record("kms.amazonaws.com", "RotateKey", eventType="AwsServiceEvent"),
            record("sts.amazonaws.com", "GetCallerIdentity"),
            record("ec2.amazonaws.com", "DescribeUnicorns"),
        ],
    )
    assert res.used == {}
    assert res.not_api_calls == {"AwsServiceEvent": 1}
    assert sum(res.dropped.values()) == 1
    assert res.unknown == {"ec2:DescribeUnicorns": 1}


def test_s3_version_id_needs_the_version_privilege(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record(
                "s3.amazonaws.com",
                "GetObject",
                requestParameters={"bucketName": "b", "key": "k", "versionId": "3"},
            ),
            record("s3.amazonaws.com", "DeleteObject", requestParameters={"bucketName": "b", "key": "k"}),
        ],
    )
    assert sorted(res.used) == ["s3:DeleteObject", "s3:GetObjectVersion"]


def test_s3_resources_bucket_versus_object(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record(
                "s3.amazonaws.com",
                "ListObjects",
                requestParameters={"bucketName": "data"},
                resources=[
                    {"ARNPrefix": "arn:aws:s3:::data/", "type": "AWS::S3::Object"},
                    {"ARN": "arn:aws:s3:::data", "type": "AWS::S3::Bucket"},
                ],
            ),
            record(
                "s3.amazonaws.com", "GetObject", requestParameters={"bucketName": "data", "key": "a/b.csv"}
            ),
            record("s3.amazonaws.com", "ListBuckets", requestParameters={"Host": "s3.amazonaws.com"}),
        ],
    )
    assert _patterns(res, "s3:ListBucket") == ["arn:aws:s3:::data"]
    assert _patterns(res, "s3:GetObject") == ["arn:aws:s3:::data/a/b.csv"]
    assert res.used["s3:ListAllMyBuckets"].resources is None  # takes no resource: "*"


def test_copy_object_reads_the_source_and_writes_the_destination(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record(
                "s3.amazonaws.com",
                "CopyObject",
                requestParameters={"bucketName": "dst", "key": "out/x", "x-amz-copy-source": "src/in/x"},
            )
        ],
    )
    assert _patterns(res, "s3:PutObject") == ["arn:aws:s3:::dst/out/x"]
    assert _patterns(res, "s3:GetObject") == ["arn:aws:s3:::src/in/x"]


def test_copy_of_a_source_version_reads_that_version(db: ActionDB) -> None:
    """x-amz-copy-source: bucket/key?versionId=v copies one version of the source, which
    needs s3:GetObjectVersion on it (S3 CopyObject); s3:GetObject would deny the call."""
    params = {"bucketName": "dst", "key": "out/x", "x-amz-copy-source": "src/in/x?versionId=abc123"}
    res = scan(db, [record("s3.amazonaws.com", "CopyObject", requestParameters=params)])
    assert "s3:GetObject" not in res.used
    assert _patterns(res, "s3:GetObjectVersion") == ["arn:aws:s3:::src/in/x"]
    assert _patterns(res, "s3:PutObject") == ["arn:aws:s3:::dst/out/x"]


def test_a_parameter_arn_is_not_taken_for_the_target(db: ActionDB) -> None:
    # iam:AttachRolePolicy targets the role; policyArn is a parameter: the resource stays "*".
    rec = record(
        "iam.amazonaws.com",
        "AttachRolePolicy",
        requestParameters={"roleName": "x", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
    )
    res = scan(db, [rec])
    assert res.used["iam:AttachRolePolicy"].resources is None


def test_one_record_without_resource_makes_the_action_unscoped(db: ActionDB) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/k1"
    res = scan(
        db,
        [
            record("kms.amazonaws.com", "Decrypt", event_id="1", resources=[{"ARN": key}]),
            record("kms.amazonaws.com", "Decrypt", event_id="2"),
        ],
    )
    assert res.used["kms:Decrypt"].resources is None


def test_names_become_arns(db: ActionDB) -> None:
    res = scan(
        db,
        [
            record("dynamodb.amazonaws.com", "GetItem", requestParameters={"tableName": "orders"}),
            record(
                "sqs.amazonaws.com",
                "SendMessage",
                requestParameters={"queueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"},
            ),
            record("lambda.amazonaws.com", "Invoke", requestParameters={"functionName": "resize"}),
        ],
    )
    assert _patterns(res, "dynamodb:GetItem") == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
    assert _patterns(res, "sqs:SendMessage") == ["arn:aws:sqs:eu-west-1:123456789012:jobs"]
    assert _patterns(res, "lambda:InvokeFunction") == [
        "arn:aws:lambda:eu-west-1:123456789012:function:resize"
    ]


def _patterns(res: ScanResult, action: str) -> list[str]:
    ps = res.used[action].resources
    assert ps is not None, action
    return ps.patterns()


def test_an_event_id_that_is_not_a_string_is_no_id(db: ActionDB) -> None:
    """A malformed record's eventID (a list, an object) crashed the deduplication
    (unhashable); it is no ID: the record counts, and is never taken for a duplicate."""
    recs = [
        record("ec2.amazonaws.com", "DescribeInstances", event_id=eid) for eid in (["x"], {"a": 1}, ["x"])
    ]
    res = scan(db, recs)
    assert res.used["ec2:DescribeInstances"].count == 3 and res.duplicates == 0


def test_queue_region_is_the_region_label_of_the_url_host(db: ActionDB) -> None:
    """An SQS queue URL's region was taken from the second label of its host: right for
    sqs.<region>.amazonaws.com, wrong for the legacy and VPC endpoint hosts SDKs and
    GetQueueUrl still hand out, whose ARN named the region `amazonaws`, `queue` or `sqs`:
    a policy on a queue that does not exist, AccessDenied after the scope-down."""
    urls = {
        "https://queue.amazonaws.com/123456789012/a": "eu-west-1",  # legacy us-east-1 host: the record's region
        "https://us-west-2.queue.amazonaws.com/123456789012/b": "us-west-2",
        "https://vpce-0a1b2c3d-e4f5.sqs.eu-central-1.vpce.amazonaws.com/123456789012/c": "eu-central-1",
        "https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/d": "us-gov-west-1",
        "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/e": "cn-north-1",
    }
    recs = [
        record("sqs.amazonaws.com", "SendMessage", event_id=str(i), requestParameters={"queueUrl": url})
        for i, url in enumerate(urls)
    ]
    got = _patterns(scan(db, recs), "sqs:SendMessage")
    # the partition is the record's (eu-west-1: aws), as for every ARN built from a name
    assert sorted(got) == sorted(
        f"arn:aws:sqs:{region}:123456789012:{url.rsplit('/', 1)[1]}" for url, region in urls.items()
    )


def test_a_query_of_an_index_is_on_the_index(db: ActionDB) -> None:
    """A Query or Scan of a secondary index is authorised on the index ARN
    (table/T/index/I), which a grant on the table does not cover; the record's resources[]
    and tableName only name the table, so the suggestion granted the table and the query
    was denied after the scope-down."""
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
    recs = [
        record(
            "dynamodb.amazonaws.com",
            "Query",
            event_id="1",
            requestParameters={"tableName": "orders", "indexName": "by-date"},
            resources=[{"accountId": "123456789012", "type": "AWS::DynamoDB::Table", "ARN": table}],
        ),
        record("dynamodb.amazonaws.com", "Scan", event_id="2", requestParameters={"tableName": "orders"}),
        record(
            "dynamodb.amazonaws.com",
            "GetItem",
            event_id="3",
            requestParameters={"tableName": "orders", "indexName": ["odd"]},
        ),
    ]
    res = scan(db, recs)
    assert _patterns(res, "dynamodb:Query") == [table + "/index/by-date"]
    assert _patterns(res, "dynamodb:Scan") == [table]
    assert _patterns(res, "dynamodb:GetItem") == [table]


def test_times_with_an_offset_are_read_in_utc_and_times_without_a_zone_skipped(db: ActionDB) -> None:
    """CloudTrail writes ...Z; an export may not.  12:00:00+02:00 was cut to 12:00:00Z (two
    hours late) and "2026-10-01 10:00:00" kept as "2026-10-01 10:00:00Z", which sorts before
    every time of that day, so a --since of that day left it out."""
    records = [
        record("ec2.amazonaws.com", "DescribeInstances", when="2026-10-01T12:00:00+02:00"),
        record("ec2.amazonaws.com", "DescribeVolumes", when="2026-10-01T05:30:00.123-0430"),
        record("ec2.amazonaws.com", "DescribeVpcs", when="2026-10-01 10:00:00"),
        record("ec2.amazonaws.com", "DescribeTags", when="2026-10-01T10:00:00"),
        record("ec2.amazonaws.com", "DescribeHosts", when="yesterday"),
        record("ec2.amazonaws.com", "DescribeImages", when="2026-10-01 11:00:00Z"),
    ]
    res = scan(db, records, since="2026-10-01T00:00:00Z")
    assert res.used["ec2:DescribeInstances"].first_seen == "2026-10-01T10:00:00Z"
    assert res.used["ec2:DescribeVolumes"].first_seen == "2026-10-01T10:00:00Z"
    assert res.used["ec2:DescribeImages"].first_seen == "2026-10-01T11:00:00Z"
    assert sorted(res.used) == ["ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeVolumes"]
    assert res.bad_time == 3 and res.outside_window == 0


def test_a_time_in_cloudtrails_form_with_another_scripts_digits_names_no_instant(db: ActionDB) -> None:
    """'2026-0٩-15T08:00:00Z' has CloudTrail's shape, and its Arabic-Indic nine sorts after
    every ASCII digit: taken as written, it was inside any --until of September or later
    and after any --since, a call counted as used in a window it is not in."""
    records = [
        record("ec2.amazonaws.com", "DescribeInstances", when="2026-0\u0669-15T08:00:00Z"),
        record("ec2.amazonaws.com", "DescribeVolumes", when="\uff12026-09-15T08:00:00Z"),
        record("ec2.amazonaws.com", "DescribeVpcs", when="2026-09-15T08:00:00Z"),
    ]
    res = scan(db, records, since="2026-09-01T00:00:00Z", until="2026-10-01T00:00:00Z")
    assert sorted(res.used) == ["ec2:DescribeVpcs"]
    assert res.bad_time == 2 and res.outside_window == 0
