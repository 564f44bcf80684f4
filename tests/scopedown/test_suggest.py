"""Suggested policy: kept actions, unused, resources, quota."""

from __future__ import annotations

from typing import Any

from scopedown_records import ROLE_ARN, record

from rolecat.deploy.policies import policy_size
from rolecat.iam.actions import ActionDB
from rolecat.scopedown.scan import Scanner
from rolecat.scopedown.suggest import RoleContext, build_suggestion, granted_actions


def ctx(*statements: dict[str, Any], boundary: dict[str, Any] | None = None) -> RoleContext:
    return RoleContext(
        role="Worker",
        account="prod",
        account_id="123456789012",
        arn=ROLE_ARN,
        policies={"worker": {"Version": "2012-10-17", "Statement": list(statements)}},
        boundary=boundary,
    )


def allow(actions: list[str], resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def suggest(db: ActionDB, context: RoleContext, records: list[dict[str, Any]], **kw: Any) -> Any:
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(records)
    return build_suggestion(scanner.result, context, db, **kw)


def test_used_actions_and_unused(db: ActionDB) -> None:
    # management events of SQS (its message calls are data events: kept when none is logged)
    c = ctx(allow(["sqs:PurgeQueue", "sqs:CreateQueue", "ec2:Describe*"]))
    s = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")])
    assert [u["action"] for u in s.used] == ["ec2:DescribeInstances"]
    assert "sqs:PurgeQueue" in s.unused and "ec2:DescribeVolumes" in s.unused
    assert "ec2:DescribeInstances" not in s.unused
    assert s.policy["Statement"] == [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]
    assert any('Resource "*"' in n for n in s.notes)


def test_boundary_and_deny_limit_what_is_granted(db: ActionDB) -> None:
    c = ctx(
        allow(["sqs:*", "sns:Publish"]),
        {"Effect": "Deny", "Action": "sqs:Delete*", "Resource": "*"},
        boundary={"Version": "2012-10-17", "Statement": [allow(["sqs:*"])]},
    )
    granted = granted_actions(c, db)
    assert "sns:Publish" not in granted
    assert "sqs:DeleteQueue" not in granted
    assert "sqs:SendMessage" in granted


def test_passrole_is_kept_with_its_resource_and_condition(db: ActionDB) -> None:
    cond = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    c = ctx(allow(["iam:PassRole"], "arn:aws:iam::123456789012:role/fn-*", Condition=cond), allow(["ec2:*"]))
    s = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")])
    assert s.kept == ["iam:PassRole"]
    assert {
        "Effect": "Allow",
        "Action": ["iam:PassRole"],
        "Resource": "arn:aws:iam::123456789012:role/fn-*",
        "Condition": cond,
    } in s.policy["Statement"]
    assert any(n.startswith("iam:PassRole is kept") for n in s.notes)
    assert "iam:PassRole" not in s.unused


def test_deny_statements_and_not_resource_are_kept_as_written(db: ActionDB) -> None:
    """A suggestion replaces the policy file: a Deny left out would lift what it forbids
    (an Allow of s3:GetObject on * kept, the Deny on the secrets bucket gone), and a kept
    action granted with NotResource keeps it (it became Resource "*")."""
    no_secrets = {
        "Sid": "NoSecrets",
        "Effect": "Deny",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::secrets/*",
    }
    tls = {
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    listing = {"Effect": "Allow", "Action": "s3:ListBucket", "NotResource": "arn:aws:s3:::secrets"}
    c = ctx(allow(["ec2:DescribeInstances", "s3:GetObject", "s3:PutObject"]), listing, no_secrets, tls)
    s = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")])
    assert s.kept == ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    assert no_secrets in s.policy["Statement"] and tls in s.policy["Statement"]
    assert {
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "NotResource": "arn:aws:s3:::secrets",
    } in s.policy["Statement"]
    assert any(n.startswith("2 Deny statements of the current policies kept as written") for n in s.notes)
    # compacted to a small quota: the Deny statements and the NotResource one stay as they are
    small = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")], limit=200)
    assert [st for st in small.policy["Statement"] if st["Effect"] != "Allow"] == [no_secrets, tls]


def test_actions_granted_only_outside_the_catalog_policies_are_not_repeated(db: ActionDB) -> None:
    """iam:PassRole granted by a generated inline policy (delegated_role_creation: roles
    under /apps/ only) stays granted by it: repeating it here on Resource "*" widened it."""
    inline = {
        "Version": "2012-10-17",
        "Statement": [allow(["iam:PassRole"], "arn:aws:iam::123456789012:role/apps/*")],
    }
    c = ctx(allow(["ec2:DescribeInstances"]))
    c = RoleContext(
        role=c.role,
        account=c.account,
        account_id=c.account_id,
        arn=c.arn,
        policies=c.policies,
        inline={"delegated": inline},
    )
    s = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")])
    assert all("iam:PassRole" not in repr(st) for st in s.policy["Statement"])
    assert any("not repeated here: iam:PassRole" in n for n in s.notes)


def test_data_events_kept_when_the_logs_hold_none(db: ActionDB) -> None:
    c = ctx(
        allow(["s3:GetObject", "s3:ListAllMyBuckets"], ["arn:aws:s3:::data/*"]),
        allow(["lambda:InvokeFunction"], "arn:aws:lambda:eu-west-1:123456789012:function:x"),
    )
    s = suggest(db, c, [record("s3.amazonaws.com", "ListBuckets")])
    assert s.kept == ["lambda:InvokeFunction", "s3:GetObject"]
    assert any(n.startswith("S3 object-level calls are data events") for n in s.notes)
    assert any(n.startswith("Lambda Invoke are data events") for n in s.notes)
    actions = [
        a
        for st in s.policy["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    ]
    assert sorted(actions) == ["lambda:InvokeFunction", "s3:GetObject", "s3:ListAllMyBuckets"]


def test_data_events_not_kept_when_the_logs_have_some(db: ActionDB) -> None:
    c = ctx(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::data/*"))
    rec = record("s3.amazonaws.com", "GetObject", requestParameters={"bucketName": "data", "key": "k"})
    s = suggest(db, c, [rec])
    assert s.kept == []
    assert s.unused == ["s3:PutObject"]
    # the object ARN widens to the narrowest folder wildcard ("data/" is the root folder) ...
    assert s.policy["Statement"] == [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
    ]
    assert any("data/k -> arn:aws:s3:::data/*" in n for n in s.notes)
    # ... unless the exact ARNs are asked for
    exact = suggest(db, c, [rec], exact_resources=True)
    assert exact.policy["Statement"][0]["Resource"] == "arn:aws:s3:::data/k"


def test_denied_calls_stay_out_of_the_policy(db: ActionDB) -> None:
    c = ctx(allow(["kms:Decrypt"]))
    s = suggest(db, c, [record("kms.amazonaws.com", "Decrypt", errorCode="AccessDenied")])
    assert s.denied[0]["action"] == "kms:Decrypt" and s.denied[0]["errors"] == {"AccessDenied": 1}
    assert s.policy["Statement"] == []


def test_oversized_suggestion_is_compacted_without_widening(db: ActionDB) -> None:
    names = sorted(db.expand("ec2:Describe*"))
    records = [record("ec2.amazonaws.com", a.split(":")[1], event_id=str(i)) for i, a in enumerate(names)]
    c = ctx(allow(["ec2:*"]))
    s = suggest(db, c, records)
    assert s.fits and s.size == policy_size(s.policy)
    assert s.size <= 6144
    granted: set[str] = set()
    for st in s.policy["Statement"]:
        acts = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        for a in acts:
            granted |= db.expand(a)
    assert granted == set(names)  # exactly what was used: wildcards match nothing more
    assert any("wildcards" in n for n in s.notes)


def test_too_big_even_compacted_is_reported(db: ActionDB) -> None:
    c = ctx(allow(["ec2:*"]))
    s = suggest(db, c, [record("ec2.amazonaws.com", "DescribeInstances")], limit=50)
    assert not s.fits
    assert any("over the 50-character" in n for n in s.notes)


def test_batch_and_transaction_calls(db: ActionDB) -> None:
    """SQS batch calls are authorised as their single-message actions (no permission of their
    own), a DynamoDB read transaction as GetItem; a write transaction's record does not say
    which item actions it needs: the granted ones are kept, not reported unused (they used
    to be, and the service broke once the suggestion was merged)."""
    c = ctx(
        allow(["sqs:SendMessage", "sqs:DeleteMessage", "sqs:ReceiveMessage"]),
        allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"]),
    )
    recs = [
        record("sqs.amazonaws.com", "SendMessageBatch"),
        record("sqs.amazonaws.com", "DeleteMessageBatch"),
        record("dynamodb.amazonaws.com", "TransactGetItems"),
        record("dynamodb.amazonaws.com", "TransactWriteItems"),
    ]
    s = suggest(db, c, recs)
    assert [u["action"] for u in s.used] == ["dynamodb:GetItem", "sqs:DeleteMessage", "sqs:SendMessage"]
    assert s.kept == ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    assert s.unused == ["dynamodb:Scan", "sqs:ReceiveMessage"]
    assert any(n.startswith("dynamodb:TransactWriteItems calls need the actions") for n in s.notes)


def test_sns_and_sqs_data_events_kept_when_the_logs_hold_none(db: ActionDB) -> None:
    """SNS Publish/PublishBatch and SQS's message calls are data events, which a trail logs
    only when configured to: with management events alone, a queue worker's SendMessage,
    ReceiveMessage and DeleteMessage and its sns:Publish were listed unused and left out,
    and the worker stopped after the scope-down.  A logged call of a family shows the
    family is logged: the rest of it is judged as usual."""
    queue = "arn:aws:sqs:eu-west-1:123456789012:jobs"
    c = ctx(
        allow(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"], queue),
        allow(["sns:Publish"], "arn:aws:sns:eu-west-1:123456789012:done"),
    )
    s = suggest(db, c, [record("sqs.amazonaws.com", "GetQueueUrl", requestParameters={"queueName": "jobs"})])
    assert s.kept == ["sns:Publish", "sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"]
    assert s.unused == []
    assert any(n.startswith("SNS Publish calls are data events") for n in s.notes)
    assert any(n.startswith("SQS message calls are data events") for n in s.notes)

    logged = suggest(
        db,
        c,
        [
            record("sqs.amazonaws.com", "SendMessageBatch", requestParameters={"queueUrl": "x"}),
            record("sns.amazonaws.com", "PublishBatch", requestParameters={"topicArn": "x"}),
        ],
    )
    assert logged.kept == []
    assert logged.unused == ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]


def test_partiql_calls_keep_the_granted_partiql_actions(db: ActionDB) -> None:
    """ExecuteStatement, BatchExecuteStatement and ExecuteTransaction are authorised as
    dynamodb:PartiQLSelect/Insert/Update/Delete by each statement's verb, which the event
    name does not say: they were unknown, and with another DynamoDB item call in the logs
    (the family taken to be logged) the granted PartiQL actions were listed unused and left
    out, so the service's statements were denied after the scope-down."""
    partiql = [
        "dynamodb:PartiQLSelect",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    ]
    c = ctx(allow([*partiql, "dynamodb:GetItem"]))
    for call in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        recs = [record("dynamodb.amazonaws.com", "GetItem"), record("dynamodb.amazonaws.com", call)]
        s = suggest(db, c, recs)
        assert s.kept == sorted(partiql), call
        assert s.unused == [], call
        assert any(n.startswith(f"dynamodb:{call} calls need the PartiQL action") for n in s.notes), call
    s = suggest(db, c, [record("dynamodb.amazonaws.com", "GetItem")])
    assert s.unused == sorted(partiql)  # without a PartiQL call they are judged as usual


def test_a_read_of_a_missing_key_keeps_get_object_and_list_bucket(db: ActionDB) -> None:
    """A GetObject answered NoSuchKey was listed denied, s3:GetObject and s3:ListBucket
    unused and left out, and after the scope-down S3 answered 403 where the service
    expected 404 (S3 API reference, GetObject, Permissions)."""
    c = ctx(allow(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]))
    recs = [
        record("s3.amazonaws.com", "PutObject", requestParameters={"bucketName": "b", "key": "k/x"}),
        record(
            "s3.amazonaws.com",
            "GetObject",
            errorCode="NoSuchKey",
            requestParameters={"bucketName": "b", "key": "k/y"},
        ),
    ]
    s = suggest(db, c, recs)
    assert [u["action"] for u in s.used] == ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    assert s.unused == [] and s.denied == []
    assert any(n.startswith("s3:GetObject: 1 call failed after authorisation (NoSuchKey 1)") for n in s.notes)
    statements = s.policy["Statement"]
    assert {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"} in statements


KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _kms_via(service: str, name: str, **extra: Any) -> dict[str, Any]:
    """A KMS call an AWS service made with the role's identity, as the AWS KMS Developer Guide
    shows DynamoDB's Decrypt ("The user is the principal in your AWS account who is accessing
    the table"): the role's session, invokedBy and sourceIPAddress the service."""
    rec = record(
        "kms.amazonaws.com",
        name,
        sourceIPAddress=service,
        userAgent=service,
        resources=[{"ARN": KEY, "accountId": "123456789012", "type": "AWS::KMS::Key"}],
        readOnly=True,
        **extra,
    )
    rec["userIdentity"]["invokedBy"] = service
    return rec


def test_kms_calls_a_service_makes_for_the_role_count_as_its_own(db: ActionDB) -> None:
    """S3 (SSE-KMS), DynamoDB (customer managed key), SQS, SNS and Secrets Manager call KMS
    with the caller's identity (IAM User Guide, "Forward access sessions"): the records are the
    role's, so a writer of SSE-KMS objects keeps kms:GenerateDataKey on the key; with KMS
    events logged, a granted KMS action no record shows is unused as any other."""
    c = ctx(
        allow(["s3:PutObject"], "arn:aws:s3:::vault/*"), allow(["kms:GenerateDataKey", "kms:Decrypt"], KEY)
    )
    recs = [
        _kms_via(
            "s3.amazonaws.com",
            "GenerateDataKey",
            requestParameters={"keyId": KEY, "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::vault/a"}},
        ),
        record("s3.amazonaws.com", "PutObject", requestParameters={"bucketName": "vault", "key": "a"}),
    ]
    s = suggest(db, c, recs)
    used = {u["action"]: u["resources"] for u in s.used}
    assert used["kms:GenerateDataKey"] == [KEY]
    assert s.unused == ["kms:Decrypt"]


def test_kms_actions_kept_when_the_trail_may_exclude_kms_events(db: ActionDB) -> None:
    """A trail can exclude AWS KMS events (CloudTrail User Guide, "Logging management
    events"), and with them every KMS call S3, DynamoDB, SQS, SNS or Secrets Manager made for
    the role: the granted kms:GenerateDataKey and kms:Decrypt of a role that writes SSE-KMS
    objects were listed unused and left out, and its uploads were denied after the
    scope-down.  With no KMS record of the role they are kept, as the current policy has
    them; a KMS record, even of a call the database does not know, shows KMS is logged."""
    c = ctx(
        allow(["s3:PutObject"], "arn:aws:s3:::vault/*"), allow(["kms:GenerateDataKey", "kms:Decrypt"], KEY)
    )
    put = record("s3.amazonaws.com", "PutObject", requestParameters={"bucketName": "vault", "key": "a"})
    s = suggest(db, c, [put])
    assert s.kept == ["kms:Decrypt", "kms:GenerateDataKey"] and s.unused == []
    assert any(n.startswith("AWS KMS calls are management events a trail can exclude") for n in s.notes)
    kept = [st for st in s.policy["Statement"] if "kms:Decrypt" in st["Action"]]
    assert kept == [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": KEY}]

    s = suggest(db, c, [put, _kms_via("s3.amazonaws.com", "SomeFutureKmsCall")])
    assert s.kept == [] and s.unused == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_rds_data_actions_kept_when_the_trail_may_exclude_them(db: ActionDB) -> None:
    """A trail can exclude Amazon RDS Data API events as it excludes KMS's."""
    cluster = "arn:aws:rds:eu-west-1:123456789012:cluster:orders"
    c = ctx(allow(["rds-data:ExecuteStatement", "rds:DescribeDBClusters"], cluster))
    s = suggest(db, c, [record("rds.amazonaws.com", "DescribeDBClusters")])
    assert s.kept == ["rds-data:ExecuteStatement"]
    assert any(n.startswith("RDS Data API calls are management events") for n in s.notes)


def test_log_event_calls_cloudtrail_does_not_log_are_kept(db: ActionDB) -> None:
    """CloudTrail logs CloudWatch Logs' CreateLogStream but not PutLogEvents (CloudWatch Logs
    User Guide: the list of actions logged leaves out PutLogEvents, GetLogEvents,
    FilterLogEvents, GetQueryResults): a Lambda function's logs:PutLogEvents was listed unused
    and left out, and the function could no longer write its logs after the scope-down."""
    group = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/worker:*"
    c = ctx(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], group))
    s = suggest(
        db,
        c,
        [
            record(
                "logs.amazonaws.com",
                "CreateLogStream",
                requestParameters={"logGroupName": "/aws/lambda/worker"},
            )
        ],
    )
    assert s.kept == ["logs:PutLogEvents"]
    assert s.unused == ["logs:CreateLogGroup"]
    assert any(n.startswith("CloudWatch Logs log-event calls are not among") for n in s.notes)


def test_ses_sending_calls_cloudtrail_does_not_record_are_kept(db: ActionDB) -> None:
    """Amazon SES delivers only management events to CloudTrail: SendEmail, SendRawEmail and
    the other sending calls "aren't recorded in CloudTrail" (Amazon SES Developer Guide), so a
    mailer's ses:SendRawEmail was listed unused beside its logged GetSendQuota, left out, and
    the service could no longer send mail after the scope-down."""
    c = ctx(allow(["ses:SendRawEmail", "ses:GetSendQuota", "ses:DeleteIdentity"]))
    s = suggest(db, c, [record("ses.amazonaws.com", "GetSendQuota")])
    assert s.kept == ["ses:SendRawEmail"]
    assert s.unused == ["ses:DeleteIdentity"]
    assert any(n.startswith("SES email sending calls are data events") for n in s.notes)
