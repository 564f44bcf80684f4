"""``--trail-selectors``: the trail's event selectors (``aws cloudtrail get-event-selectors``)
say which calls it logs; a grant is judged only when the trail logs every call it allows, and
kept as granted otherwise (``selectors.py``).  Shapes: CloudTrail API reference,
GetEventSelectors, EventSelector, DataResource, AdvancedEventSelector, AdvancedFieldSelector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scopedown_cli import PROD_ROLE, make_catalog, run
from scopedown_records import ROLE_ARN, record
from test_suggest import allow, ctx

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.mapping import event_sources
from rolecat.scopedown.scan import Scanner
from rolecat.scopedown.selectors import SelectorError, parse_selectors, read_selectors
from rolecat.scopedown.suggest import Suggestion, build_suggestion


def judged(
    db: ActionDB, selectors: dict[str, Any] | None, records: list[Any], *statements: Any
) -> Suggestion:
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(records)
    parsed = None if selectors is None else parse_selectors(selectors, "sel.json")
    return build_suggestion(scanner.result, ctx(*statements), db, selectors=parsed)


def basic(**selector: Any) -> dict[str, Any]:
    return {"TrailARN": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main", "EventSelectors": [selector]}


def advanced(*selectors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "AdvancedEventSelectors": [{"Name": f"s{i}", "FieldSelectors": fs} for i, fs in enumerate(selectors)]
    }


MANAGEMENT = [{"Field": "eventCategory", "Equals": ["Management"]}]


def s3_data(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        *more,
    ]


def get_object(bucket: str, key: str = "k") -> dict[str, Any]:
    return record(
        "s3.amazonaws.com",
        "GetObject",
        requestParameters={"bucketName": bucket, "key": key},
        event_id=f"{bucket}/{key}",
    )


def kept_resources(s: Suggestion, action: str) -> list[Any]:
    return [
        st["Resource"] for st in s.policy["Statement"] if action in st["Action"] and st["Effect"] == "Allow"
    ]


# ---------------------------------------------------------------------- management events
def test_a_write_only_selector_keeps_the_reads_and_judges_the_writes(db: ActionDB) -> None:
    """The User Guide's way to leave out KMS's high-volume events: ReadWriteType WriteOnly
    ("Logging management events"). The logs hold no evidence here (no readOnly fields): the
    selectors alone say reads are not logged, so ssm:GetParameter (Read) and kms:Decrypt (a
    Read event in CloudTrail) are kept, the unused write sqs:DeleteQueue is judged."""
    grants = allow(
        ["ssm:GetParameter", "kms:Decrypt", "kms:CreateGrant", "sqs:DeleteQueue", "sqs:CreateQueue"]
    )
    records = [record("sqs.amazonaws.com", "CreateQueue"), record("kms.amazonaws.com", "CreateGrant")]
    s = judged(db, basic(ReadWriteType="WriteOnly", IncludeManagementEvents=True), records, grants)
    assert {"ssm:GetParameter", "kms:Decrypt"} <= set(s.kept)
    assert s.unused == ["sqs:DeleteQueue"]
    assert s.trail["selectors"] == "sel.json"
    assert (s.trail["management_reads"], s.trail["management_writes"]) == (False, True)
    without = judged(db, None, records, grants)
    assert "ssm:GetParameter" in without.unused  # the logs alone cannot tell


def test_selectors_that_log_kms_events_judge_the_kms_grants(db: ActionDB) -> None:
    """Without selectors a KMS grant is kept when the logs hold no KMS call (a trail can
    exclude KMS events); a trail whose selectors log every management event, KMS's too,
    would have logged them: unused. One that excludes kms.amazonaws.com keeps them."""
    grants = allow(["kms:Decrypt", "ec2:DescribeInstances"])
    records = [record("ec2.amazonaws.com", "DescribeInstances")]
    assert "kms:Decrypt" in judged(db, None, records, grants).kept
    s = judged(db, advanced(MANAGEMENT), records, grants)
    assert s.unused == ["kms:Decrypt"] and not s.kept
    excluded = advanced([*MANAGEMENT, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}])
    assert judged(db, excluded, records, grants).kept == ["kms:Decrypt"]
    basic_excluded = basic(ReadWriteType="All", ExcludeManagementEventSources=["kms.amazonaws.com"])
    assert judged(db, basic_excluded, records, grants).kept == ["kms:Decrypt"]


def test_an_excluded_event_source_is_matched_under_its_iam_prefix(db: ActionDB) -> None:
    """CloudWatch's calls come from monitoring.amazonaws.com (CloudTrail record contents: "the
    eventSource for Amazon CloudWatch is monitoring.amazonaws.com"), its IAM prefix is
    cloudwatch: a selector leaving out that source leaves out cloudwatch:PutMetricData."""
    assert event_sources("cloudwatch") == {"cloudwatch.amazonaws.com", "monitoring.amazonaws.com"}
    selectors = advanced([*MANAGEMENT, {"Field": "eventSource", "NotEquals": ["monitoring.amazonaws.com"]}])
    s = judged(db, selectors, [], allow(["cloudwatch:PutMetricData", "sqs:CreateQueue"]))
    assert s.kept == ["cloudwatch:PutMetricData"] and s.unused == ["sqs:CreateQueue"]


def test_a_trail_without_management_events_keeps_every_management_grant(db: ActionDB) -> None:
    """IncludeManagementEvents false ("Specify if you want your event selector to include
    management events": EventSelector) and every S3 object logged ("the prefix as arn:aws:s3"):
    the management grant is kept, the unused S3 write judged."""
    selectors = basic(
        IncludeManagementEvents=False, DataResources=[{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    )
    s = judged(
        db,
        selectors,
        [get_object("b")],
        allow(["ec2:DescribeInstances"]),
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::*"),
    )
    assert s.kept == ["ec2:DescribeInstances"] and s.unused == ["s3:PutObject"]
    assert (s.trail["management_reads"], s.trail["management_writes"]) == (False, False)


# ---------------------------------------------------------------------- data events
def test_data_events_logged_for_one_bucket_keep_the_grants_on_the_others(db: ActionDB) -> None:
    """Data events for bucket-a only ("specify the bucket and an empty object prefix such as
    arn:aws:s3:::amzn-s3-demo-bucket1/": DataResource). Without selectors the role's GetObject
    on bucket-a makes S3 object calls "logged" and the grant on bucket-b is lost (the
    suggestion names bucket-a only) and DeleteObject, granted on bucket-b, is unused; with
    them, the bucket-b grants are kept, the bucket-a ones judged."""
    statements = [
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket-a/*"),
        allow(["s3:GetObject", "s3:DeleteObject"], "arn:aws:s3:::bucket-b/*"),
    ]
    records = [get_object("bucket-a")]
    selectors = basic(
        ReadWriteType="All", DataResources=[{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket-a/"]}]
    )
    before = judged(db, None, records, *statements)
    assert kept_resources(before, "s3:GetObject") == ["arn:aws:s3:::bucket-a/*"]
    assert "s3:DeleteObject" in before.unused
    assert any(
        n.startswith("S3 object-level calls are in the logs, so taken as logged") for n in before.notes
    )
    s = judged(db, selectors, records, *statements)
    assert kept_resources(s, "s3:GetObject") == ["arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-b/*"]
    assert kept_resources(s, "s3:DeleteObject") == ["arn:aws:s3:::bucket-b/*"]
    assert "s3:PutObject" in s.unused and "s3:DeleteObject" in s.kept
    assert any("s3:GetObject (used) on arn:aws:s3:::bucket-b/*" in n for n in s.notes)
    # a bucket named without its "/" is read as its objects alone: bucket-a2 is not taken in
    alone = basic(DataResources=[{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket-a"]}])
    s = judged(
        db, alone, records, allow(["s3:PutObject"], ["arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-a2/*"])
    )
    assert s.kept == ["s3:PutObject"]


def test_a_lambda_function_arn_is_exact(db: ActionDB) -> None:
    """ "Lambda function ARNs are exact. For example, if you specify a function ARN
    arn:aws:lambda:us-west-2:111111111111:function:helloworld, data events will only be logged
    for ... helloworld. They will not be logged for ... helloworld2" (DataResource)."""
    fn = "arn:aws:lambda:us-west-2:111111111111:function:helloworld"
    selectors = basic(DataResources=[{"Type": "AWS::Lambda::Function", "Values": [fn]}])
    s = judged(
        db,
        selectors,
        [record("ec2.amazonaws.com", "DescribeInstances")],
        allow(["lambda:InvokeFunction"], fn),
    )
    assert s.unused == ["lambda:InvokeFunction"]
    for other in (fn + "2", "arn:aws:lambda:us-west-2:111111111111:function:hello*", "*"):
        s = judged(db, selectors, [], allow(["lambda:InvokeFunction"], other))
        assert s.kept == ["lambda:InvokeFunction"], other
    every = basic(DataResources=[{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}])
    s = judged(db, every, [], allow(["lambda:InvokeFunction"], "arn:aws:lambda:*:*:function:*"))
    assert s.unused == ["lambda:InvokeFunction"]


def test_advanced_selectors_that_exclude_a_bucket(db: ActionDB) -> None:
    """ "to exclude data events for two S3 buckets ... set the field to resources.ARN, set the
    operator for NotStartsWith" (User Guide, "Logging data events"): a grant that may touch the
    excluded bucket is kept, one that cannot is judged; a grant on "*" may also name access
    points, whose events are of another type: kept."""
    selectors = advanced(s3_data({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::secret-"]}))
    for resource, kept in (
        ("arn:aws:s3:::secret-vault/*", True),
        ("arn:aws:s3:::se*/*", True),
        ("arn:aws:s3:::public/*", False),
        ("*", True),
    ):
        s = judged(db, selectors, [], allow(["s3:PutObject"], resource))
        assert (s.kept == ["s3:PutObject"]) is kept, resource


def test_a_read_only_value_and_unevaluated_fields(db: ActionDB) -> None:
    """readOnly Equals false logs only writes ("A value of false logs only write events":
    AdvancedFieldSelector): the S3 read is kept, the write judged. A selector on eventName
    says nothing certain for an IAM action (the calls behind it are not listed here): kept."""
    writes = advanced(s3_data({"Field": "readOnly", "Equals": ["false"]}))
    s = judged(db, writes, [], allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))
    assert s.kept == ["s3:GetObject"] and s.unused == ["s3:PutObject"]
    named = advanced(s3_data({"Field": "eventName", "Equals": ["PutObject", "GetObject"]}))
    s = judged(db, named, [], allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"))
    assert s.kept == ["s3:GetObject", "s3:PutObject"]
    # DeleteObjects is authorised as s3:DeleteObject: leaving it out leaves some of its calls out
    unnamed = advanced(s3_data({"Field": "eventName", "NotEquals": ["DeleteObjects"]}))
    s = judged(db, unnamed, [], allow(["s3:DeleteObject"], "arn:aws:s3:::b/*"))
    assert s.kept == ["s3:DeleteObject"]


def test_a_grant_beyond_the_resource_type_is_kept(db: ActionDB) -> None:
    """Every S3 object logged: a grant on "*" also allows calls through access points
    (arn:aws:s3:REGION:ACCOUNT:accesspoint/...), data events of another resource type
    (AWS::S3::AccessPoint: User Guide, "Logging data events"): kept; one on S3 ARNs is judged.
    Likewise a Publish grant on an SNS platform endpoint is no topic's."""
    every = advanced(s3_data())
    assert judged(db, every, [], allow(["s3:PutObject"], "*")).kept == ["s3:PutObject"]
    assert judged(db, every, [], allow(["s3:PutObject"], "arn:aws:s3:::*")).unused == ["s3:PutObject"]
    topics = advanced(
        [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::SNS::Topic"]},
        ]
    )
    topic = "arn:aws:sns:eu-west-1:123456789012:orders"
    assert judged(db, topics, [], allow(["sns:Publish"], topic)).unused == ["sns:Publish"]
    endpoint = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/0d1e"
    assert judged(db, topics, [], allow(["sns:Publish"], [topic, endpoint])).kept == ["sns:Publish"]


def test_a_selector_on_the_principal(db: ActionDB) -> None:
    """userIdentity.arn is the session's ARN (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION):
    a selector that leaves out another role's calls still logs this role's; one that takes in
    another role's only does not."""
    for condition, kept in (
        ({"NotStartsWith": ["arn:aws:sts::123456789012:assumed-role/Noisy/"]}, False),
        ({"StartsWith": ["arn:aws:sts::123456789012:assumed-role/Worker/"]}, False),
        ({"StartsWith": ["arn:aws:sts::123456789012:assumed-role/Other/"]}, True),
        ({"NotEndsWith": ["/batch"]}, True),  # a session name rolecat does not know
    ):
        selectors = advanced([*MANAGEMENT, {"Field": "userIdentity.arn", **condition}])
        s = judged(db, selectors, [], allow(["sqs:CreateQueue"]))
        assert (s.kept == ["sqs:CreateQueue"]) is kept, condition


def test_a_literal_star_in_a_selector_value_is_no_wildcard(db: ActionDB) -> None:
    """ "Selectors don't support the use of wildcards like *": a StartsWith of
    "arn:aws:s3:::b*" names keys of the bucket "b*" only, not every bucket starting with b."""
    selectors = advanced(s3_data({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b*"]}))
    s = judged(db, selectors, [], allow(["s3:PutObject"], "arn:aws:s3:::bx/*"))
    assert s.kept == ["s3:PutObject"]


# ---------------------------------------------------------------------- reading the file
@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "no EventSelectors or AdvancedEventSelectors"),
        ({"EventSelectors": [], "Extra": 1}, "unknown key 'Extra'"),
        (
            advanced([{"Field": "resources.arn", "Equals": ["x"]}]),
            "field 'resources.arn' is not one rolecat knows",
        ),
        (advanced([{"Field": "eventName", "Contains": ["x"]}]), "unknown key 'Contains'"),
        (advanced([{"Field": "eventName"}]), "field 'eventName' without an operator"),
        (advanced([{"Field": "eventName", "Equals": []}]), "Equals is empty"),
        (advanced([{"Field": "eventName", "Equals": [7]}]), "is not a list of non-empty strings"),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [], "Tag": "x"}]}, "unknown key 'Tag'"),
        (basic(ReadWriteType="Write"), "ReadWriteType 'Write' is not ReadOnly, WriteOnly or All"),
        (basic(ReadWriteTypes="All"), "unknown key 'ReadWriteTypes'"),
        (basic(IncludeManagementEvents="yes"), "IncludeManagementEvents is not true or false"),
        (
            basic(DataResources=[{"Type": "AWS::SNS::Topic", "Values": ["arn:aws:sns"]}]),
            "Type 'AWS::SNS::Topic' is not one of",
        ),
        (basic(DataResources=[{"Type": "AWS::S3::Object"}]), "no Values"),
        ({**basic(), **advanced(MANAGEMENT)}, "both EventSelectors and AdvancedEventSelectors"),
        ([], "is not a JSON object"),
    ],
)
def test_a_file_it_cannot_read_fully_is_refused(doc: Any, message: str) -> None:
    with pytest.raises(SelectorError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_selectors(doc, "sel.json")


def test_the_command_refuses_a_selectors_file_it_cannot_read(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    logs = tmp_path / "logs.json"
    logs.write_text(json.dumps({"Records": [record("sqs.amazonaws.com", "CreateQueue", issuer=PROD_ROLE)]}))
    bad = tmp_path / "selectors.json"
    bad.write_text(json.dumps(advanced([{"Field": "eventTime", "Equals": ["x"]}])))
    args = [str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod"]
    # what the file says is a finding in an input file (exit 1), as a log's or an export's,
    # not a usage error with "Try ... --help" (no command line fixes it)
    code, out, err = run(*args, "--trail-selectors", str(bad))
    assert code == 1 and out == ""
    assert err.startswith(
        f"{bad}: error SD011: --trail-selectors: AdvancedEventSelectors[0].FieldSelectors[0]: field "
        "'eventTime' is not one rolecat knows\n"
    )
    assert "Try " not in err
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "EventSelectors": [\n    {,\n  ]\n}\n')
    code, out, err = run(*args, "--trail-selectors", str(broken))
    assert (code, out) == (1, "") and err.startswith(
        f"{broken}:3:6: error SD011: --trail-selectors: JSON syntax error: expected a quoted key\n"
        "    hint: give the output of aws cloudtrail get-event-selectors --trail-name NAME\n"
    )
    code, _, err = run(*args, "--trail-selectors", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read" in err and "Try " in err
    code, _, err = run(
        "--catalog", str(catalog), "--role", "Worker", "--emit-athena-sql", "--trail-selectors", str(bad)
    )
    assert code == 2 and "leave out --trail-selectors" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps(basic(ReadWriteType="WriteOnly")))
    code, out, _ = run(*args, "--trail-selectors", str(good), "-f", "json")
    assert code == 0
    report = json.loads(out)
    assert report["trail"]["selectors"] == str(good) and "dynamodb:GetItem" in report["kept"]


SELECTORS_ARE = "give the output of aws cloudtrail get-event-selectors --trail-name NAME"


@pytest.mark.parametrize(
    ("raw", "place", "message", "hint"),
    [
        # "not JSON: unexpected character: line 3 column 6 (char 33)", at line 3 alone
        (b'{\n  "EventSelectors": [\n    {,\n  ]\n}\n', (3, 6), "expected a quoted key", SELECTORS_ARE),
        (
            b'{"EventSelectors": [],}',
            (1, 23),
            "expected a quoted key",
            "remove the comma on line 1, column 22: JSON allows none after the last item",
        ),
        (b'{"EventSelectors": [\n', (2, 1), "unexpected end of file", SELECTORS_ARE),
        # what orjson alone refuses: its words, without its "(char N)"
        (b'{"EventSelectors": [1e999]}', (1, 21), "number is infinity when parsed as double", SELECTORS_ARE),
    ],
)
def test_a_selectors_file_that_is_not_json_is_placed_and_said_in_words(
    tmp_path: Path, raw: bytes, place: tuple[int, int], message: str, hint: str
) -> None:
    f = tmp_path / "selectors.json"
    f.write_bytes(raw)
    with pytest.raises(SelectorError) as caught:
        read_selectors(f)
    exc = caught.value
    assert ((exc.line, exc.col), str(exc), exc.hint) == (place, f"JSON syntax error: {message}", hint)


def test_a_selectors_file_that_is_not_utf8_is_said_as_the_catalogs(tmp_path: Path) -> None:
    f = tmp_path / "selectors.json"
    f.write_bytes(b'{\n "TrailARN": "\xe9t\xc3\xa9"}')
    with pytest.raises(SelectorError) as caught:
        read_selectors(f)
    exc = caught.value
    assert ((exc.line, exc.col), str(exc)) == ((2, 15), "file is not valid UTF-8 (byte 0xe9 at offset 16)")
