"""A trail that logs only read or only write management events (``ReadWriteType``
``ReadOnly``/``WriteOnly``; CloudTrail User Guide, "Logging management events") cannot show
the other kind: scopedown tells it from the ``readOnly`` of every principal's management
calls in the files and keeps the granted actions of the kind left out (``trail.py``)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner
from test_scan_fields import plain
from test_suggest import allow, ctx, suggest

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.scan import BOTH_KINDS, Scanner
from rolecat.scopedown.trail import MIN_EVIDENCE, may_log_as

OTHER_ROLE = "arn:aws:iam::123456789012:role/Deployer"


def call(source: str, name: str, read_only: Any, *, issuer: str = ROLE_ARN, **extra: Any) -> dict[str, Any]:
    """A management API call as CloudTrail writes it since event version 1.06/1.07."""
    return record(
        source,
        name,
        issuer=issuer,
        readOnly=read_only,
        managementEvent=True,
        eventCategory="Management",
        **extra,
    )


def user_call(name: str, read_only: Any, n: int) -> dict[str, Any]:
    """A call of an IAM user: no sessionIssuer, still evidence of what the trail logs."""
    rec = call("ec2.amazonaws.com", name, read_only, event_id=f"user-{name}-{n}")
    rec["userIdentity"] = {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ops", "userName": "ops"}
    return rec


def others(read_only: bool, count: int) -> list[dict[str, Any]]:
    """``count`` management calls of other principals, all reads or all writes."""
    name = "DescribeInstances" if read_only else "RunInstances"
    out = [
        call("ec2.amazonaws.com", name, read_only, issuer=OTHER_ROLE, event_id=f"o{n}")
        for n in range(count - 1)
    ]
    return [*out, user_call(name, read_only, count)] if count else []


def s3_get_object() -> dict[str, Any]:
    """The role's S3 GetObject, a data event: S3 data events are logged."""
    return record(
        "s3.amazonaws.com",
        "GetObject",
        readOnly=True,
        managementEvent=False,
        eventCategory="Data",
        requestParameters={"bucketName": "b", "key": "k"},
    )


def evidence(reads: int, writes: int, of_the_role: list[int], data_calls: int = 0) -> dict[str, Any]:
    """``trail.evidence`` of the JSON report."""
    return {
        "management_reads": reads,
        "management_writes": writes,
        "of_the_role": of_the_role,
        "data_calls": data_calls,
    }


GRANTS = [
    "ssm:GetParameter",  # Read
    "secretsmanager:GetSecretValue",  # Read
    "ec2:DescribeInstances",  # List
    "sqs:CreateQueue",  # Write
    "sqs:DeleteQueue",  # Write
    "kms:Decrypt",  # Write in IAM, a read event in CloudTrail
    "kms:CreateGrant",  # Permissions management
    "s3:GetObject",  # a data event
    "s3:PutObject",  # a data event
]


def test_a_write_only_trail_keeps_the_granted_reads(db: ActionDB) -> None:
    """Twenty write calls of other principals and no read anywhere: the trail logs no read
    events, so the role's granted reads (and kms:Decrypt, which CloudTrail logs as a read:
    "AWS KMS actions such as Encrypt, Decrypt, and GenerateDataKey ... are now logged as Read
    events") are kept, not listed unused; the unused writes are still judged."""
    role = [call("kms.amazonaws.com", "CreateGrant", False), call("sqs.amazonaws.com", "CreateQueue", False)]
    s = suggest(db, ctx(allow(GRANTS)), role + others(False, MIN_EVIDENCE))
    assert {
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
        "ec2:DescribeInstances",
        "kms:Decrypt",
    } <= set(s.kept)
    assert "sqs:DeleteQueue" in s.unused
    assert not {"ssm:GetParameter", "kms:Decrypt", "ec2:DescribeInstances"} & set(s.unused)
    kept = {a for st in s.policy["Statement"] for a in st["Action"]}
    assert {"ssm:GetParameter", "kms:Decrypt"} <= kept
    note = next(n for n in s.notes if n.startswith("the trail logs no read management events"))
    assert "(ReadWriteType WriteOnly)" in note and "20 management calls of other principals" in note
    assert s.trail["management_reads"] is False and s.trail["management_writes"] is True
    assert s.trail["evidence"] == evidence(0, 22, [0, 2])


def test_a_read_only_trail_keeps_the_granted_writes(db: ActionDB) -> None:
    """Twenty reads of other principals, no write: the granted writes are kept (kms:Decrypt
    too: a KMS action may be logged as either); the unused reads are judged; the S3 object
    calls are data events, which the read/write rule of management events does not judge
    (the role's GetObject shows S3 data events logged: s3:PutObject stays unused)."""
    role = [
        call("ec2.amazonaws.com", "DescribeInstances", True),
        s3_get_object(),
    ]
    s = suggest(db, ctx(allow(GRANTS)), role + others(True, MIN_EVIDENCE))
    assert {"sqs:CreateQueue", "sqs:DeleteQueue", "kms:Decrypt", "kms:CreateGrant"} <= set(s.kept)
    assert {"ssm:GetParameter", "secretsmanager:GetSecretValue", "s3:PutObject"} <= set(s.unused)
    assert any(
        n.startswith("the trail logs no write management events (ReadWriteType ReadOnly)") for n in s.notes
    )


def test_a_role_that_only_writes_shows_nothing_about_the_trail(db: ActionDB) -> None:
    """The role's own calls are all writes, the other principals' include a read: the trail
    logs both kinds, and the role's granted reads are unused, as before."""
    role = [call("sqs.amazonaws.com", "CreateQueue", False, event_id=f"r{n}") for n in range(30)]
    role.append(call("kms.amazonaws.com", "CreateGrant", False))  # KMS events are logged
    s = suggest(db, ctx(allow(GRANTS)), role + others(False, 30) + others(True, 1))
    assert "ssm:GetParameter" in s.unused and "kms:Decrypt" in s.unused
    assert not any("ReadWriteType" in n for n in s.notes)
    assert s.trail["management_reads"] is True and s.trail["management_writes"] is True


def test_too_few_calls_of_other_principals_tell_nothing(db: ActionDB) -> None:
    """An export of the role's own records, or a short window: writes only, but fewer than
    MIN_EVIDENCE of other principals (the role's thirty do not count): nothing is kept, a note
    says the logs cannot tell; at MIN_EVIDENCE the trail is taken to leave reads out."""
    role = [call("sqs.amazonaws.com", "CreateQueue", False, event_id=f"r{n}") for n in range(30)]
    s = suggest(db, ctx(allow(GRANTS)), role + others(False, MIN_EVIDENCE - 1))
    assert "ssm:GetParameter" in s.unused
    assert any(
        n.startswith("the management calls in the logs are all writes, and only 19 calls of other principals")
        and "(ReadWriteType WriteOnly)" in n
        for n in s.notes
    )
    assert s.trail["management_reads"] is None and s.trail["management_writes"] is True
    s = suggest(db, ctx(allow(GRANTS)), role + others(False, MIN_EVIDENCE))
    assert "ssm:GetParameter" in s.kept


def data_calls(count: int, *, issuer: str = OTHER_ROLE) -> list[dict[str, Any]]:
    """``count`` S3 data API calls (``managementEvent`` false)."""
    return [
        record(
            "s3.amazonaws.com",
            "PutObject",
            issuer=issuer,
            event_id=f"d-{issuer[-4:]}-{n}",
            readOnly=False,
            managementEvent=False,
            eventCategory="Data",
            requestParameters={"bucketName": "b", "key": f"k{n}"},
        )
        for n in range(count)
    ]


def test_a_trail_without_management_events_keeps_every_granted_management_action(db: ActionDB) -> None:
    """A trail that logs data events only (EventSelector IncludeManagementEvents false): the
    files hold data API calls and not one management call, so none of the role's management
    calls could show.  Every granted management action is kept (it was listed unused and
    dropped); the data-event families are judged by their own rule (the role's GetObject
    shows S3 data events logged)."""
    role = [s3_get_object()]
    s = suggest(db, ctx(allow(GRANTS)), role + data_calls(MIN_EVIDENCE))
    management = {a for a in GRANTS if not a.startswith("s3:")}
    assert management <= set(s.kept)
    assert not management & set(s.unused)
    assert "s3:PutObject" in s.unused
    note = next(n for n in s.notes if n.startswith("the trail logs no management events"))
    assert "21 data event calls and no management call" in note and "ssm:GetParameter" in note
    assert s.trail["management_reads"] is False and s.trail["management_writes"] is False
    assert s.trail["evidence"] == evidence(0, 0, [0, 0], 21)


def test_too_few_data_calls_tell_nothing_about_management_events(db: ActionDB) -> None:
    """Fewer than MIN_EVIDENCE data calls and no management call: nothing is kept, a note
    says the logs cannot tell; records without managementEvent (before event version 1.06)
    tell nothing at all, and say nothing, as before."""
    s = suggest(db, ctx(allow(GRANTS)), data_calls(MIN_EVIDENCE - 1, issuer=ROLE_ARN))
    assert "ssm:GetParameter" in s.unused
    assert any(
        n.startswith("the logs hold 19 data event calls and no management call: too few to tell")
        and "--trail-selectors FILE" in n
        for n in s.notes
    )
    assert s.trail["management_reads"] is None and s.trail["management_writes"] is None
    old = [record("sqs.amazonaws.com", "CreateQueue", event_id=f"old{n}") for n in range(30)]
    s = suggest(db, ctx(allow(GRANTS)), old)
    assert "ssm:GetParameter" in s.unused
    assert not any("management call" in n for n in s.notes)


def test_management_calls_anywhere_end_the_data_only_reading(db: ActionDB) -> None:
    """One management call in the files, of any kind, and the trail logs management events:
    the data calls are no evidence then (the read/write rule decides, as before)."""
    s = suggest(db, ctx(allow(GRANTS)), data_calls(MIN_EVIDENCE) + others(True, 1) + others(False, 1))
    assert "ssm:GetParameter" in s.unused and "sqs:DeleteQueue" in s.unused
    assert not any(n.startswith("the trail logs no management events") for n in s.notes)
    assert s.trail["evidence"] is None


def test_only_management_api_calls_with_a_boolean_read_only_are_evidence(db: ActionDB) -> None:
    """A data event (managementEvent false), a record before event version 1.06 (no
    managementEvent), a service event, a readOnly that is not a JSON boolean: none counts; an
    IAM user's call (no sessionIssuer) counts for other principals."""
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(
        [
            record("s3.amazonaws.com", "GetObject", readOnly=True, managementEvent=False),
            record("ec2.amazonaws.com", "DescribeInstances", readOnly=True),
            call("kms.amazonaws.com", "RotateKey", False, issuer=OTHER_ROLE, eventType="AwsServiceEvent"),
            call("ec2.amazonaws.com", "DescribeVpcs", "true", issuer=OTHER_ROLE),
            call("ec2.amazonaws.com", "DescribeVpcs", 1, issuer=OTHER_ROLE),
            {**call("ec2.amazonaws.com", "DescribeVpcs", True, issuer=OTHER_ROLE), "managementEvent": 1},
            user_call("DescribeImages", True, 1),
            call("ec2.amazonaws.com", "DescribeVpcs", True),
            call("ec2.amazonaws.com", "DescribeVpcs", True, when="2020-01-01T00:00:00Z", event_id="old"),
        ]
    )
    res = scanner.result  # reads only: the counts are exact (a write too would make them BOTH_KINDS)
    assert (res.management_reads, res.management_writes) == (3, 0)
    assert (res.role_management_reads, res.role_management_writes) == (2, 0)


def test_what_cloudtrail_may_log_an_action_as(db: ActionDB) -> None:
    assert may_log_as("ssm:GetParameter", db) == {True}
    assert may_log_as("ec2:DescribeInstances", db) == {True}
    assert may_log_as("sqs:CreateQueue", db) == {False}
    assert may_log_as("iam:AttachRolePolicy", db) == {False}  # Permissions management
    assert may_log_as("kms:Decrypt", db) == {True, False}  # Write in IAM, Read in CloudTrail
    assert may_log_as("kms:DescribeKey", db) == {True}
    assert may_log_as("nosuch:Thing", db) == {True, False}


_MANAGEMENT = st.sampled_from([True, False, None, 1, "true"])
_READ_ONLY = st.sampled_from([True, False, None, "true", "false", 0, 1])
_TYPE = st.sampled_from(["AwsApiCall", "AwsServiceEvent", None])
_WHO = st.sampled_from([ROLE_ARN, OTHER_ROLE, "user", ROLE_ARN.replace("/services/", "/other/")])
_WHEN = st.sampled_from(["2026-10-01T10:00:00Z", "2020-01-01T00:00:00Z", "2026-10-01 10:00:00"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_MANAGEMENT, _READ_ONLY, _TYPE, _WHO, _WHEN), min_size=1, max_size=12))
def test_the_evidence_is_counted_as_the_serial_scan_counts_it(
    calls: list[tuple[Any, Any, Any, str, str]],
) -> None:
    """Any mix of managementEvent, readOnly, eventType, principal and time: the split scan
    counts what the serial scan restates, and the counts are what the rule says."""
    db = ActionDB.load()
    records: list[Any] = []
    for n, (management, read_only, etype, who, when) in enumerate(calls):
        rec = record("ec2.amazonaws.com", "DescribeVpcs", event_id=str(n), when=when, readOnly=read_only)
        rec["managementEvent"], rec["eventType"] = management, etype
        if who == "user":
            rec["userIdentity"] = {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ops"}
        else:
            rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = who
        records.append(rec)
    split, serial = (
        Scanner(ROLE_ARN, db, since="2026-01-01T00:00:00Z"),
        SerialScanner(ROLE_ARN, db, since="2026-01-01T00:00:00Z"),
    )
    split.feed(records[: len(records) // 2])
    split.feed(records[len(records) // 2 :])
    serial.feed(records)
    assert plain(split.result) == plain(serial.result)
    counted = [
        (ro, who)
        for management, ro, etype, who, _ in calls
        if management is True and etype == "AwsApiCall" and (ro is True or ro is False)
    ]
    res = split.result
    found = (
        res.management_reads,
        res.management_writes,
        res.role_management_reads,
        res.role_management_writes,
    )
    if any(ro is True for ro, _ in counted) and any(ro is False for ro, _ in counted):
        assert found == BOTH_KINDS  # both kinds: the counts say only that (settle_management)
        assert res.data_calls == 0
        return
    assert res.data_calls == sum(
        1 for management, _, etype, _, _ in calls if management is False and etype == "AwsApiCall"
    )
    assert res.management_reads == sum(ro is True for ro, _ in counted)
    assert res.management_writes == sum(ro is False for ro, _ in counted)
    assert res.role_management_reads == sum(ro is True and who == ROLE_ARN for ro, who in counted)
    assert res.role_management_writes == sum(ro is False and who == ROLE_ARN for ro, who in counted)
