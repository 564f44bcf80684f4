"""Every mapping rule, on the real action database."""

from __future__ import annotations

from pathlib import Path

import pytest

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.mapping import EVENT_RENAMES, S3_VERSIONED, SERVICE_RENAMES, EventMapper, map_event

CASES = [
    # the default rule
    ("ec2.amazonaws.com", "DescribeInstances", ("ec2:DescribeInstances",)),
    ("dynamodb.amazonaws.com", "Query", ("dynamodb:Query",)),
    # service renames
    ("monitoring.amazonaws.com", "DescribeAlarms", ("cloudwatch:DescribeAlarms",)),
    ("email.amazonaws.com", "SendEmail", ("ses:SendEmail",)),
    ("tagging.amazonaws.com", "GetResources", ("tag:GetResources",)),
    ("appstream2.amazonaws.com", "DescribeFleets", ("appstream:DescribeFleets",)),
    ("streams.dynamodb.amazonaws.com", "GetRecords", ("dynamodb:GetRecords",)),
    ("runtime.sagemaker.amazonaws.com", "InvokeEndpoint", ("sagemaker:InvokeEndpoint",)),
    ("metering.marketplace.amazonaws.com", "MeterUsage", ("aws-marketplace:MeterUsage",)),
    # the RDS Data API's sources: every call was unknown, and its granted actions unused
    ("rdsdata.amazonaws.com", "ExecuteStatement", ("rds-data:ExecuteStatement",)),
    ("rdsdataapi.amazonaws.com", "BatchExecuteStatement", ("rds-data:BatchExecuteStatement",)),
    # S3 names
    ("s3.amazonaws.com", "ListBuckets", ("s3:ListAllMyBuckets",)),
    ("s3.amazonaws.com", "ListObjects", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "ListObjectsV2", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "ListObjectVersions", ("s3:ListBucketVersions",)),
    ("s3.amazonaws.com", "HeadObject", ("s3:GetObject",)),
    ("s3.amazonaws.com", "HeadBucket", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "CreateMultipartUpload", ("s3:PutObject",)),
    ("s3.amazonaws.com", "UploadPart", ("s3:PutObject",)),
    ("s3.amazonaws.com", "CompleteMultipartUpload", ("s3:PutObject",)),
    ("s3.amazonaws.com", "PostObject", ("s3:PutObject",)),  # a browser upload, a form of PUT
    ("s3.amazonaws.com", "CopyObject", ("s3:PutObject", "s3:GetObject")),
    ("s3.amazonaws.com", "UploadPartCopy", ("s3:PutObject", "s3:GetObject")),
    ("s3.amazonaws.com", "ListParts", ("s3:ListMultipartUploadParts",)),
    ("s3.amazonaws.com", "DeleteObjects", ("s3:DeleteObject",)),
    # both permissions are needed (S3 API reference: GetObjectAttributes, Permissions)
    ("s3.amazonaws.com", "GetObjectAttributes", ("s3:GetObjectAttributes", "s3:GetObject")),
    # batch and transaction calls, authorised as their single-item actions
    ("sqs.amazonaws.com", "SendMessageBatch", ("sqs:SendMessage",)),
    ("sqs.amazonaws.com", "DeleteMessageBatch", ("sqs:DeleteMessage",)),
    ("sqs.amazonaws.com", "ChangeMessageVisibilityBatch", ("sqs:ChangeMessageVisibility",)),
    # no sns:PublishBatch in IAM: it was unknown, a note, and the suggestion left publishing out
    ("sns.amazonaws.com", "PublishBatch", ("sns:Publish",)),
    ("dynamodb.amazonaws.com", "TransactGetItems", ("dynamodb:GetItem",)),
    ("s3.amazonaws.com", "PutBucketReplication", ("s3:PutReplicationConfiguration",)),
    ("s3.amazonaws.com", "DeleteBucketCors", ("s3:PutBucketCORS",)),
    ("s3.amazonaws.com", "GetBucketEncryption", ("s3:GetEncryptionConfiguration",)),
    ("s3.amazonaws.com", "GetObject", ("s3:GetObject",)),
    # Lambda
    ("lambda.amazonaws.com", "ListFunctions20150331", ("lambda:ListFunctions",)),
    ("lambda.amazonaws.com", "GetFunction20150331v2", ("lambda:GetFunction",)),
    (
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        ("lambda:UpdateFunctionConfiguration",),
    ),
    ("lambda.amazonaws.com", "Invoke", ("lambda:InvokeFunction",)),
    ("cloudfront.amazonaws.com", "GetDistribution2020_05_31", ("cloudfront:GetDistribution",)),
    # real names that look versioned stay intact
    ("kafka.amazonaws.com", "DescribeClusterV2", ("kafka:DescribeClusterV2",)),
    ("kafka.amazonaws.com", "ListClustersV2", ("kafka:ListClustersV2",)),
    # one event, two privileges
    ("kms.amazonaws.com", "ReEncrypt", ("kms:ReEncryptFrom", "kms:ReEncryptTo")),
    # API Gateway management is authorised by HTTP verb
    ("apigateway.amazonaws.com", "GetResource", ("apigateway:GET",)),
    ("apigateway.amazonaws.com", "DeleteStage", ("apigateway:DELETE",)),
]


@pytest.mark.parametrize(("source", "name", "expected"), CASES)
def test_mapping(db: ActionDB, source: str, name: str, expected: tuple[str, ...]) -> None:
    mapped = map_event(source, name, db)
    assert mapped.actions == expected
    assert mapped.dropped is None and mapped.unknown is None


@pytest.mark.parametrize(
    ("source", "name"),
    [("sts.amazonaws.com", "GetCallerIdentity"), ("signin.amazonaws.com", "ConsoleLogin")],
)
def test_permissionless_and_non_iam_events_are_dropped(db: ActionDB, source: str, name: str) -> None:
    mapped = map_event(source, name, db)
    assert mapped.actions == () and mapped.dropped


def test_only_an_ascii_date_is_an_api_version(db: ActionDB) -> None:
    """An API-version date is 0-9 digits: Python's \\d also took other scripts' digits, so
    ListFunctions20 followed by Arabic-Indic digits became lambda:ListFunctions."""
    for name in ("ListFunctions20١٥٠٣٣١", "ListFunctions20１５０３３１", "ListFunctions20150331v٢"):
        mapped = map_event("lambda.amazonaws.com", name, db)
        assert mapped.actions == () and mapped.unknown == f"lambda:{name}"


def test_unknown_names_are_reported_not_guessed(db: ActionDB) -> None:
    mapped = map_event("ec2.amazonaws.com", "DescribeUnicorns", db)
    assert mapped.actions == ()
    assert mapped.unknown == "ec2:DescribeUnicorns"
    assert map_event("nosuch.amazonaws.com", "Foo", db).unknown == "nosuch:Foo"


def test_every_table_target_is_a_known_action(db: ActionDB) -> None:
    for (prefix, _), names in EVENT_RENAMES.items():
        for name in names:
            assert db.canonical(f"{prefix}:{name}") == f"{prefix}:{name}", (prefix, name)
    for plain, versioned in S3_VERSIONED.items():
        assert db.canonical(plain) == plain
        assert db.canonical(versioned) == versioned
    for target in SERVICE_RENAMES.values():
        assert db.is_known_service(target), target


def test_mapper_caches_per_pair(db: ActionDB) -> None:
    mapper = EventMapper(db)
    first = mapper("s3.amazonaws.com", "ListBuckets")
    assert mapper("s3.amazonaws.com", "ListBuckets") is first


def test_docs_list_every_exception() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scopedown.md").read_text()
    for (prefix, name), actions in EVENT_RENAMES.items():
        row = f"| `{prefix}` `{name}` | " + ", ".join(f"`{prefix}:{a}`" for a in actions) + " |"
        assert row in doc, row
    for source, prefix in SERVICE_RENAMES.items():
        assert f"| `{source}.amazonaws.com` | `{prefix}` |" in doc, source
    for plain, versioned in S3_VERSIONED.items():
        assert f"| `{plain}` | `{versioned}` |" in doc, plain
