"""CloudTrail event to IAM action: the default rule and its documented exceptions.

The default: ``eventSource`` minus ``.amazonaws.com`` is the IAM service prefix and
``eventName`` is the action name (``ec2.amazonaws.com`` + ``DescribeInstances`` ->
``ec2:DescribeInstances``).  CloudTrail records API names, IAM grants privileges, and the
two disagree in a few well-known places; every disagreement handled here is a row in one of
the tables below, and ``docs/scopedown.md`` prints them.  Whatever a rule produces is then
looked up in the action database: a name it does not know is reported, never guessed into a
policy.

Order of the rules, per event:

1. event sources that are not IAM services (``signin``) and permissionless calls
   (``sts:GetCallerIdentity``) are dropped;
2. the service prefix: ``SERVICE_RENAMES``, else the source's first label if IAM knows it,
   else its last known dotted label (``runtime.sagemaker`` -> ``sagemaker``);
3. the event name: ``EVENT_RENAMES`` (may give several actions: ``kms:ReEncrypt`` needs
   ``ReEncryptFrom`` and ``ReEncryptTo``), else the name itself if IAM knows it, else the
   name without a trailing API-version date (``ListFunctions20150331v2`` -> ``ListFunctions``,
   ``GetDistribution2020_05_31`` -> ``GetDistribution``).  Only a date is stripped and only
   when the literal name is unknown, so ``kafka:DescribeClusterV2`` stays itself;
4. API Gateway's management API is authorised by HTTP verb (``apigateway:GET`` ...): an
   unknown ``apigateway`` name is mapped by its verb prefix.

S3 object calls that name a ``versionId`` need the ``...Version`` privilege instead
(``GetObject`` -> ``GetObjectVersion``); that depends on the record, so ``scan`` applies
``S3_VERSIONED`` after this mapping.  Likewise an S3 request whose headers set an ACL, tags,
an Object Lock retention or legal hold, or bypass governance retention needs a second action
(``S3_HEADER_RULES``): ``map_event`` names the rules of the event, ``scan`` tests each
record's ``requestParameters`` against them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .actiondb import ActionCatalog

# eventSource label(s) before ".amazonaws.com" -> IAM service prefix.
SERVICE_RENAMES: dict[str, str] = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "appstream2": "appstream",
    "models.lex": "lex",
    "runtime.lex": "lex",
    "mturk-requester": "mechanicalturk",
    "streams.dynamodb": "dynamodb",
    "tagging": "tag",
    "metering.marketplace": "aws-marketplace",
    "runtime.sagemaker": "sagemaker",
    # RDS Data API: "the event source is rdsdata.amazonaws.com" (Aurora Serverless v1, management
    # events), "rdsdataapi.amazonaws.com" (Aurora Serverless v2 and provisioned, data events)
    # (Amazon Aurora User Guide, "Logging RDS Data API calls with AWS CloudTrail"); IAM's prefix
    # is rds-data (Service Authorization Reference: Amazon RDS Data API)
    "rdsdata": "rds-data",
    "rdsdataapi": "rds-data",
}

# Event sources that never map to an IAM action (console sign-in and the like).
NON_IAM_SOURCES: frozenset[str] = frozenset({"signin.amazonaws.com"})

# (IAM prefix, eventName) pairs that need no permission at all.
PERMISSIONLESS: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "GetCallerIdentity"),  # "No permissions are required to perform this operation."
        ("sts", "GetSessionToken"),  # same; and roles cannot call it anyway
    }
)

_S3 = {
    # listing
    "ListBuckets": ("ListAllMyBuckets",),
    "ListObjects": ("ListBucket",),
    "ListObjectsV2": ("ListBucket",),
    "ListObjectVersions": ("ListBucketVersions",),
    "HeadBucket": ("ListBucket",),
    "ListMultipartUploads": ("ListBucketMultipartUploads",),
    "ListParts": ("ListMultipartUploadParts",),
    # objects
    "HeadObject": ("GetObject",),
    "SelectObjectContent": ("GetObject",),
    "CreateMultipartUpload": ("PutObject",),
    "UploadPart": ("PutObject",),
    "CompleteMultipartUpload": ("PutObject",),
    # a browser upload (POST Object): "an alternate form of PUT" (S3 API reference: POST
    # Object), authorised as s3:PutObject; CloudTrail names it PostObject (S3 User Guide:
    # "Amazon S3 CloudTrail events", object-level actions)
    "PostObject": ("PutObject",),
    "CopyObject": ("PutObject", "GetObject"),  # GetObject on the copy source
    "UploadPartCopy": ("PutObject", "GetObject"),
    "DeleteObjects": ("DeleteObject",),
    # "If you do not pass a version ID in your request, you need the s3:GetObject and
    # s3:GetObjectAttributes permissions" (S3 API reference: GetObjectAttributes, Permissions);
    # with one, s3:GetObjectVersion and s3:GetObjectVersionAttributes (``S3_VERSIONED``)
    "GetObjectAttributes": ("GetObjectAttributes", "GetObject"),
    # bucket configuration: IAM names the subresource, and Delete* needs Put*
    "GetBucketEncryption": ("GetEncryptionConfiguration",),
    "PutBucketEncryption": ("PutEncryptionConfiguration",),
    "DeleteBucketEncryption": ("PutEncryptionConfiguration",),
    "GetBucketLifecycle": ("GetLifecycleConfiguration",),
    "GetBucketLifecycleConfiguration": ("GetLifecycleConfiguration",),
    "PutBucketLifecycle": ("PutLifecycleConfiguration",),
    "PutBucketLifecycleConfiguration": ("PutLifecycleConfiguration",),
    "DeleteBucketLifecycle": ("PutLifecycleConfiguration",),
    "GetBucketReplication": ("GetReplicationConfiguration",),
    "PutBucketReplication": ("PutReplicationConfiguration",),
    "DeleteBucketReplication": ("PutReplicationConfiguration",),
    "GetBucketCors": ("GetBucketCORS",),
    "PutBucketCors": ("PutBucketCORS",),
    "DeleteBucketCors": ("PutBucketCORS",),
    "DeleteBucketTagging": ("PutBucketTagging",),
    "DeleteBucketPublicAccessBlock": ("PutBucketPublicAccessBlock",),
    "DeleteBucketOwnershipControls": ("PutBucketOwnershipControls",),
    "GetBucketNotificationConfiguration": ("GetBucketNotification",),
    "PutBucketNotificationConfiguration": ("PutBucketNotification",),
    "GetBucketAccelerateConfiguration": ("GetAccelerateConfiguration",),
    "PutBucketAccelerateConfiguration": ("PutAccelerateConfiguration",),
    "GetBucketAnalyticsConfiguration": ("GetAnalyticsConfiguration",),
    "ListBucketAnalyticsConfigurations": ("GetAnalyticsConfiguration",),
    "PutBucketAnalyticsConfiguration": ("PutAnalyticsConfiguration",),
    "DeleteBucketAnalyticsConfiguration": ("PutAnalyticsConfiguration",),
    "GetBucketInventoryConfiguration": ("GetInventoryConfiguration",),
    "ListBucketInventoryConfigurations": ("GetInventoryConfiguration",),
    "PutBucketInventoryConfiguration": ("PutInventoryConfiguration",),
    "DeleteBucketInventoryConfiguration": ("PutInventoryConfiguration",),
    "GetBucketMetricsConfiguration": ("GetMetricsConfiguration",),
    "ListBucketMetricsConfigurations": ("GetMetricsConfiguration",),
    "PutBucketMetricsConfiguration": ("PutMetricsConfiguration",),
    "DeleteBucketMetricsConfiguration": ("PutMetricsConfiguration",),
    "GetBucketIntelligentTieringConfiguration": ("GetIntelligentTieringConfiguration",),
    "ListBucketIntelligentTieringConfigurations": ("GetIntelligentTieringConfiguration",),
    "PutBucketIntelligentTieringConfiguration": ("PutIntelligentTieringConfiguration",),
    "DeleteBucketIntelligentTieringConfiguration": ("PutIntelligentTieringConfiguration",),
    "GetObjectLockConfiguration": ("GetBucketObjectLockConfiguration",),
    "PutObjectLockConfiguration": ("PutBucketObjectLockConfiguration",),
}

# (IAM prefix, eventName) -> IAM action names in that service.
EVENT_RENAMES: dict[tuple[str, str], tuple[str, ...]] = {
    **{("s3", name): actions for name, actions in _S3.items()},
    ("lambda", "Invoke"): ("InvokeFunction",),
    ("lambda", "InvokeWithResponseStream"): ("InvokeFunction",),
    ("kms", "ReEncrypt"): ("ReEncryptFrom", "ReEncryptTo"),
    # SQS batch calls are authorised as their single-message action (SQS Developer Guide,
    # "Amazon SQS batch actions": no permission of their own)
    ("sqs", "SendMessageBatch"): ("SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("ChangeMessageVisibility",),
    # PublishBatch is "a batch version of Publish" (SNS API reference) and has no IAM action
    # of its own (Service Authorization Reference: Amazon SNS): sns:Publish on the topic
    ("sns", "PublishBatch"): ("Publish",),
    # a read transaction is authorised as GetItem on each table (DynamoDB, "Using IAM with
    # DynamoDB transactions"); a write transaction needs the item actions its items use,
    # which its event name does not say: left unknown, and said so
    ("dynamodb", "TransactGetItems"): ("GetItem",),
}

# S3 object calls with a versionId in requestParameters: action -> versioned action.
S3_VERSIONED: dict[str, str] = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}

# The request headers that set an ACL.  CloudTrail records them in requestParameters under
# these names: x-amz-acl as a string in S3 data events ("bucket-owner-full-control" on a
# PutObject) and as a list in CreateBucket, a management event (["private"]); the
# x-amz-grant-* headers at the top level or, in data events, under accessControlList.
S3_ACL_HEADERS: tuple[str, ...] = (
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
)
_ACL_GROUP = "accessControlList"


def _strings(value: Any) -> list[str]:
    """The non-empty strings of a recorded header value (a string, or a list of them)."""
    if type(value) is str:
        return [value] if value else []
    if type(value) is list:
        return [v for v in value if type(v) is str and v]
    return []


def _acl_values(params: Mapping[str, Any]) -> tuple[list[str], bool]:
    """``(x-amz-acl values, whether any x-amz-grant-* header is set)``."""
    groups = [params]
    nested = params.get(_ACL_GROUP)
    if type(nested) is dict:
        groups.append(nested)
    canned: list[str] = []
    grants = False
    for group in groups:
        canned += _strings(group.get("x-amz-acl"))
        grants = grants or any(_strings(group.get(h)) for h in S3_ACL_HEADERS[1:])
    return canned, grants


def object_acl_set(params: Mapping[str, Any]) -> bool:
    """Whether an object write sets the new object's ACL: any ACL header, whatever its value.
    PutObject: "To successfully change the objects ACL of your PutObject request, you must
    have the s3:PutObjectAcl" (S3 API reference: PutObject, Permissions); it exempts no value,
    where CreateBucket's text exempts private, so x-amz-acl: private counts here too."""
    canned, grants = _acl_values(params)
    return grants or bool(canned)


def bucket_acl_set(params: Mapping[str, Any]) -> bool:
    """Whether a CreateBucket sets an ACL that needs s3:PutBucketAcl: "if you specify an
    access control list (ACL) and set it to public-read, public-read-write,
    authenticated-read, or if you explicitly specify any other custom ACLs, both
    s3:CreateBucket and s3:PutBucketAcl permissions are required ... if you set the ACL to
    private, or if you don't specify any ACLs, only the s3:CreateBucket permission is
    required" (S3 API reference: CreateBucket, Permissions)."""
    canned, grants = _acl_values(params)
    return grants or any(value != "private" for value in canned)


def _true(values: list[str]) -> bool:
    """Whether a boolean header is set to true: S3 reads ``true`` in any case."""
    return any(v.lower() == "true" for v in values)


def tagging_set(params: Mapping[str, Any]) -> bool:
    """Whether an upload sets the new object's tags: ``x-amz-tagging`` with a tag-set."""
    return bool(_strings(params.get("x-amz-tagging")))


def retention_set(params: Mapping[str, Any]) -> bool:
    """Whether a write puts a retention mode or date on the object it creates."""
    return bool(
        _strings(params.get("x-amz-object-lock-mode"))
        or _strings(params.get("x-amz-object-lock-retain-until-date"))
    )


def legal_hold_set(params: Mapping[str, Any]) -> bool:
    """Whether a write places a legal hold: ``x-amz-object-lock-legal-hold: ON`` (OFF, the
    other value S3 takes, places none)."""
    return any(v.upper() == "ON" for v in _strings(params.get("x-amz-object-lock-legal-hold")))


def bypass_header_used(params: Mapping[str, Any]) -> bool:
    """DeleteObject and DeleteObjects: "To use this header, you must have the
    s3:BypassGovernanceRetention permission" (S3 API reference: DeleteObject and
    DeleteObjects, request headers): any value counts."""
    return bool(_strings(params.get("x-amz-bypass-governance-retention")))


def bypass_asked(params: Mapping[str, Any]) -> bool:
    """PutObjectRetention: "Bypassing a Governance Retention configuration requires the
    s3:BypassGovernanceRetention permission" (S3 API reference: PutObjectRetention), and a
    request bypasses only with "x-amz-bypass-governance-retention:true" (S3 User Guide, Object
    Lock, governance mode): the header set to true."""
    return _true(_strings(params.get("x-amz-bypass-governance-retention")))


def bucket_lock_enabled(params: Mapping[str, Any]) -> bool:
    """CreateBucket: "if you set x-amz-bucket-object-lock-enabled to true, the
    s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning permissions are required"."""
    return _true(_strings(params.get("x-amz-bucket-object-lock-enabled")))


def ownership_set(params: Mapping[str, Any]) -> bool:
    """CreateBucket: "If your CreateBucket request includes the x-amz-object-ownership header,
    then the s3:PutBucketOwnershipControls permission is required"."""
    return bool(_strings(params.get("x-amz-object-ownership")))


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A second IAM action an S3 request needs when its headers ask for it.

    ``action`` is authorised on the resource of the request's own action (the object or
    bucket the request writes); ``keys`` are the requestParameters keys that can hold such a
    header (a record without any of them never needs the action); ``applies`` reads their
    values.
    """

    action: str
    keys: frozenset[str]
    applies: Callable[[Mapping[str, Any]], bool]


_ACL_KEYS = frozenset({*S3_ACL_HEADERS, _ACL_GROUP})
_TAGGING_KEYS = frozenset({"x-amz-tagging"})
_RETENTION_KEYS = frozenset({"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date"})
_LEGAL_HOLD_KEYS = frozenset({"x-amz-object-lock-legal-hold"})
_BYPASS_KEYS = frozenset({"x-amz-bypass-governance-retention"})
_LOCK_ENABLED_KEYS = frozenset({"x-amz-bucket-object-lock-enabled"})

# An S3 request header that needs an action of its own, and the requestParameters keys it
# is recorded under: (IAM action name, keys, test of requestParameters).  CloudTrail records
# S3's request headers in requestParameters under the header's name, as a string in data
# events ("x-amz-server-side-encryption": "aws:kms" on a PutObject: S3 User Guide, "CloudTrail
# log file entries for Amazon S3 and S3 on Outposts"; "x-amz-acl": "bucket-owner-full-control")
# and as a list in management events ("x-amz-acl": ["private"] on CreateBucket).
_OBJECT_ACL = ("PutObjectAcl", _ACL_KEYS, object_acl_set)
# "To successfully set the tag-set with your PutObject request, you must have the
# s3:PutObjectTagging" (S3 API reference: PutObject, Permissions)
_TAGGING = ("PutObjectTagging", _TAGGING_KEYS, tagging_set)
# with the permission to configure object retention denied, S3 "rejects any request to put an
# object that includes a retention mode and setting" (S3 User Guide, Object Lock, default
# retention settings): any write that creates the object, CopyObject and a multipart upload's
# CreateMultipartUpload (which carries the object's headers) too
_RETENTION = ("PutObjectRetention", _RETENTION_KEYS, retention_set)
# "Legal holds can be freely placed and removed by any user who has the s3:PutObjectLegalHold
# permission" (S3 User Guide, Object Lock, legal holds): placing one with the write is placing one
_LEGAL_HOLD = ("PutObjectLegalHold", _LEGAL_HOLD_KEYS, legal_hold_set)
_OBJECT_WRITE = (_OBJECT_ACL, _RETENTION, _LEGAL_HOLD)

# eventName (s3) -> the actions its request headers may add.  PutObject: "To successfully
# change the objects ACL of your PutObject request, you must have the s3:PutObjectAcl" (S3 API
# reference: PutObject, Permissions); POST Object is a form of PUT; CopyObject and
# CreateMultipartUpload take the same headers for the ACL of the object they create, and
# s3:PutObjectAcl is the permission "to set the access control list (ACL) permissions for new
# or existing objects" (Service Authorization Reference: Amazon S3).  x-amz-tagging only where
# AWS says it needs s3:PutObjectTagging: PutObject, and POST Object as its form; for
# CopyObject and CreateMultipartUpload AWS says nothing, and s3:PutObjectTagging is the
# permission "to set the supplied tag-set to an object that already exists" (docs/scopedown.md,
# known limits).  CreateBucket: S3 API reference, CreateBucket, Permissions (``bucket_acl_set``,
# ``bucket_lock_enabled``, ``ownership_set``).
_Rule = tuple[str, frozenset[str], Callable[[Mapping[str, Any]], bool]]
S3_HEADER_RULES: dict[str, tuple[_Rule, ...]] = {
    "PutObject": (*_OBJECT_WRITE, _TAGGING),
    "PostObject": (*_OBJECT_WRITE, _TAGGING),
    "CopyObject": _OBJECT_WRITE,
    "CreateMultipartUpload": _OBJECT_WRITE,
    "DeleteObject": (("BypassGovernanceRetention", _BYPASS_KEYS, bypass_header_used),),
    "DeleteObjects": (("BypassGovernanceRetention", _BYPASS_KEYS, bypass_header_used),),
    "PutObjectRetention": (("BypassGovernanceRetention", _BYPASS_KEYS, bypass_asked),),
    "CreateBucket": (
        ("PutBucketAcl", _ACL_KEYS, bucket_acl_set),
        ("PutBucketObjectLockConfiguration", _LOCK_ENABLED_KEYS, bucket_lock_enabled),
        ("PutBucketVersioning", _LOCK_ENABLED_KEYS, bucket_lock_enabled),
        ("PutBucketOwnershipControls", frozenset({"x-amz-object-ownership"}), ownership_set),
    ),
}

# Errors AWS returns only to a caller the request's action is allowed: a record with one is a
# call that failed after authorisation, and counts as used (a policy without the action turns
# the error into AccessDenied).  (IAM prefix, eventName) -> error code -> the further IAM
# actions the error shows the caller was allowed.  Only what AWS's documentation supports:
# * S3 GetObject/HeadObject NoSuchKey: "If you have the s3:ListBucket permission on the
#   bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the
#   s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error"
#   (S3 API reference: GetObject and HeadObject, Permissions): s3:ListBucket was allowed too,
#   and the service that reads a 404 as "not there yet" needs it;
# * DynamoDB PutItem/UpdateItem/DeleteItem ConditionalCheckFailedException: the condition is
#   evaluated against the stored item, which the operation reads once the request is
#   authorised (IAM User Guide, "How IAM works": "Once authorized, the principal can take
#   action or perform operations"), and the error can carry that item
#   (ReturnValuesOnConditionCheckFailure; DynamoDB API reference, PutItem).  The same for a
#   PartiQL ExecuteStatement, whose statement's condition "failed a condition check" against
#   the stored item it can return (DynamoDB API reference, ExecuteStatement,
#   ReturnValuesOnConditionCheckFailure): used, as the action of its statement's verb;
# * S3 GetObjectAttributes NoSuchKey: "If you have the s3:ListBucket permission on the bucket,
#   Amazon S3 returns an HTTP status code 404 Not Found ("no such key") error. If you don't
#   have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden"
#   (S3 API reference: GetObjectAttributes, Permissions), as for GetObject.
# Left out, for want of a statement by AWS: S3 NoSuchVersion, InvalidRange, PreconditionFailed,
# NoSuchUpload, DynamoDB TransactionCanceledException (whose reasons include validation).
AUTHORISED_ERRORS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("s3", "GetObject"): {"NoSuchKey": ("ListBucket",)},
    ("s3", "HeadObject"): {"NoSuchKey": ("ListBucket",)},
    ("s3", "GetObjectAttributes"): {"NoSuchKey": ("ListBucket",)},
    ("dynamodb", "PutItem"): {"ConditionalCheckFailedException": ()},
    ("dynamodb", "UpdateItem"): {"ConditionalCheckFailedException": ()},
    ("dynamodb", "DeleteItem"): {"ConditionalCheckFailedException": ()},
    ("dynamodb", "ExecuteStatement"): {"ConditionalCheckFailedException": ()},
}

# DynamoDB's PartiQL calls: their event name says no action; each statement is authorised as
# dynamodb:PartiQLSelect, PartiQLInsert, PartiQLUpdate or PartiQLDelete "on the table or index"
# by its verb (DynamoDB Developer Guide, "IAM security policies with PartiQL for DynamoDB").
# CloudTrail logs the statement text, non-key attribute values redacted: "statement" in
# ExecuteStatement's requestParameters, one "statement" per "requestItems" entry in
# BatchExecuteStatement's (DynamoDB Developer Guide, "Understanding DynamoDB log file entries",
# whose examples show both).  For ExecuteTransaction AWS shows no record, and the key is not
# the API's name (BatchExecuteStatement's Statements are logged as requestItems): its
# statements are not read, and the call stays unknown (``suggest.UNSAID_ACTIONS`` keeps the
# PartiQL actions the role is granted).
PARTIQL_EVENTS = frozenset({"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})
PARTIQL_VERBS: dict[str, str] = {
    "SELECT": "PartiQLSelect",
    "INSERT": "PartiQLInsert",
    "UPDATE": "PartiQLUpdate",
    "DELETE": "PartiQLDelete",
}
# "Table names and index names must be between 3 and 255 characters long, and can contain
# only the following characters: a-z, A-Z, 0-9, _ (underscore), - (dash), . (dot)" (DynamoDB
# Developer Guide, "Supported data types and naming rules").
_DYNAMODB_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
# a PartiQL token: white space, a comment, a quoted string or name, a bare word, or one character
_PARTIQL_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)|'(?P<string>(?:[^']|'')*)'|"(?P<quoted>(?:[^"]|"")*)"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>.)""",
    re.DOTALL,
)


def _partiql_tokens(statement: str) -> list[tuple[str, str]] | None:
    """``(kind, text)`` of each token but white space and comments, a quoted name unquoted;
    None for a statement that does not tokenise (an unclosed string, name or comment)."""
    out: list[tuple[str, str]] = []
    for m in _PARTIQL_TOKEN.finditer(statement):
        kind = m.lastgroup
        if kind == "space":
            continue
        if kind == "other" and (m[0] in "'\"" or statement.startswith("/*", m.start())):
            return None
        assert kind is not None
        out.append((kind, m[kind].replace('""', '"') if kind == "quoted" else m[kind]))
    return out


def partiql_statement(statement: str) -> tuple[str, str, str | None] | None:
    """``(action name, table, index or None)`` of one PartiQL statement: its leading verb (in
    any case, after white space and comments) and the table it names, ``FROM`` a table for a
    SELECT or DELETE, ``INTO`` for an INSERT, right after UPDATE for an UPDATE; a SELECT may
    name an index (``"Table"."Index"``).  None when it is not one of the four or its table is
    not a name DynamoDB takes: the call's action is then not known."""
    tokens = _partiql_tokens(statement)
    if not tokens or tokens[0][0] != "word":
        return None
    verb = tokens[0][1].upper()
    action = PARTIQL_VERBS.get(verb)
    if action is None:
        return None
    if verb in ("SELECT", "DELETE"):
        at = next((i for i, (k, t) in enumerate(tokens) if k == "word" and t.upper() == "FROM"), None)
    elif verb == "INSERT":
        at = 1 if len(tokens) > 1 and tokens[1][0] == "word" and tokens[1][1].upper() == "INTO" else None
    else:
        at = 0
    if at is None:
        return None
    rest = tokens[at + 1 :]
    if not rest or rest[0][0] not in ("word", "quoted"):
        return None
    table, index = rest[0][1], None
    if len(rest) >= 3 and rest[1] == ("other", ".") and rest[2][0] in ("word", "quoted"):
        if verb != "SELECT":  # only a read names an index
            return None
        index = rest[2][1]
    if not _DYNAMODB_NAME.fullmatch(table) or (index is not None and not _DYNAMODB_NAME.fullmatch(index)):
        return None
    return action, table, index


def partiql_statements(event_name: str, params: Any) -> list[str] | None:
    """The statement texts a PartiQL record logs; None when it logs none that can be read (an
    ExecuteTransaction, a field missing or of another type)."""
    if type(params) is not dict:
        return None
    if event_name == "ExecuteStatement":
        statement = params.get("statement")
        return [statement] if type(statement) is str else None
    if event_name == "BatchExecuteStatement":
        items = params.get("requestItems")
        if type(items) is not list or not items:
            return None
        out = [item.get("statement") if type(item) is dict else None for item in items]
        return [t for t in out if type(t) is str] if all(type(t) is str for t in out) else None
    return None


# API Gateway management calls are authorised by HTTP verb on a resource path.
_APIGATEWAY_VERBS: tuple[tuple[str, str], ...] = (
    ("Get", "GET"),
    ("Create", "POST"),
    ("Update", "PATCH"),
    ("Delete", "DELETE"),
    ("Put", "PUT"),
    ("Import", "PUT"),
    ("Flush", "DELETE"),
    ("Generate", "POST"),
    ("Test", "POST"),
)

# A trailing API-version date: 20150331, 20150331v2, 2020_05_31; in ASCII digits (Python's \d
# would take other scripts' digits, and strip a date from a name no API version ends with).
_VERSION_DATE = re.compile(r"(?:19|20)[0-9]{2}_?[0-9]{2}_?[0-9]{2}(?:v[0-9]+)?\Z")


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one (eventSource, eventName) pair means.

    ``actions`` are canonical IAM action names, empty when the event is dropped
    (``dropped`` says why) or maps to nothing the database knows (``unknown`` holds the
    candidate name that was tried).  ``headers``: the actions the event's request headers
    may add (``S3_HEADER_RULES``), tested per record.  ``after_auth``: the error codes AWS
    returns only after authorising the call (``AUTHORISED_ERRORS``).
    """

    actions: tuple[str, ...] = ()
    dropped: str | None = None
    unknown: str | None = None
    rule: str = "default"
    headers: tuple[HeaderRule, ...] = ()
    # error code -> the further actions a call that failed with it was allowed
    # (``AUTHORISED_ERRORS``): such a record counts as used
    after_auth: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a DynamoDB PartiQL call (``PARTIQL_EVENTS``): its actions are read per record from its
    # statements (``partiql_statements``); ``unknown`` stands when they cannot be read
    partiql: bool = False


def service_prefix(event_source: str, db: ActionCatalog) -> str:
    host = event_source.removesuffix(".amazonaws.com")
    renamed = SERVICE_RENAMES.get(host)
    if renamed is not None:
        return renamed
    labels = host.split(".")
    if db.is_known_service(labels[0]):
        return labels[0]
    for label in reversed(labels[1:]):
        if db.is_known_service(label):
            return label
    return labels[0]


def event_sources(prefix: str) -> frozenset[str]:
    """The ``eventSource`` values of the calls of an IAM service prefix, as ``service_prefix``
    maps them back: ``<prefix>.amazonaws.com`` and every renamed source of the prefix
    (``cloudwatch``: also ``monitoring.amazonaws.com``)."""
    renamed = {f"{host}.amazonaws.com" for host, to in SERVICE_RENAMES.items() if to == prefix}
    return frozenset({f"{prefix}.amazonaws.com", *renamed})


def map_event(event_source: str, event_name: str, db: ActionCatalog) -> Mapped:
    """Map one pair; pure, so callers cache it per pair (see ``EventMapper``)."""
    if event_source in NON_IAM_SOURCES:
        return Mapped(dropped=f"{event_source} is not an IAM service", rule="non-iam source")
    prefix = service_prefix(event_source, db)
    if (prefix, event_name) in PERMISSIONLESS:
        return Mapped(dropped=f"{prefix}:{event_name} needs no permission", rule="permissionless")

    if prefix == "dynamodb" and event_name in PARTIQL_EVENTS:
        return Mapped(
            unknown=f"dynamodb:{event_name}",
            rule="partiql",
            after_auth=_after_auth(prefix, event_name, db),
            partiql=True,
        )

    renamed = EVENT_RENAMES.get((prefix, event_name))
    if renamed is not None:
        targets = [db.canonical(f"{prefix}:{name}") for name in renamed]
        known = tuple(c for c in targets if c is not None)
        if len(known) == len(targets):
            return Mapped(
                actions=known,
                rule="exception table",
                headers=_header_rules(prefix, event_name, db),
                after_auth=_after_auth(prefix, event_name, db),
            )
        return Mapped(unknown=f"{prefix}:{renamed[targets.index(None)]}", rule="exception table")

    literal = db.canonical(f"{prefix}:{event_name}")
    if literal is not None:
        return Mapped(
            actions=(literal,),
            headers=_header_rules(prefix, event_name, db),
            after_auth=_after_auth(prefix, event_name, db),
        )

    stripped = _VERSION_DATE.sub("", event_name)
    if stripped and stripped != event_name:
        canon = db.canonical(f"{prefix}:{stripped}")
        if canon is not None:
            return Mapped(actions=(canon,), rule="version date stripped")

    if prefix == "apigateway":
        for start, verb in _APIGATEWAY_VERBS:
            if event_name.startswith(start):
                canon = db.canonical(f"apigateway:{verb}")
                if canon is not None:
                    return Mapped(actions=(canon,), rule="apigateway verb")
    return Mapped(unknown=f"{prefix}:{event_name}")


def _header_rules(prefix: str, event_name: str, db: ActionCatalog) -> tuple[HeaderRule, ...]:
    rules = S3_HEADER_RULES.get(event_name, ()) if prefix == "s3" else ()
    out = []
    for name, keys, applies in rules:
        action = db.canonical(f"s3:{name}")
        if action is not None:  # an action the database does not know is never added
            out.append(HeaderRule(action, keys, applies))
    return tuple(out)


def _after_auth(prefix: str, event_name: str, db: ActionCatalog) -> dict[str, tuple[str, ...]]:
    out = {}
    for code, names in AUTHORISED_ERRORS.get((prefix, event_name), {}).items():
        actions = tuple(a for a in (db.canonical(f"{prefix}:{n}") for n in names) if a is not None)
        if len(actions) == len(names):  # a further action the database does not know: not read
            out[code] = actions
    return out


class EventMapper:
    """``map_event`` with a cache: a log holds millions of records but few distinct pairs."""

    def __init__(self, db: ActionCatalog) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], Mapped] = {}

    def __call__(self, event_source: str, event_name: str) -> Mapped:
        key = (event_source, event_name)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = map_event(event_source, event_name, self.db)
        return hit
