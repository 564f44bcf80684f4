"""SYNTHETIC CloudTrail AssumeRole records for the ``rolecat usage`` tests.

These records are generated, not captured: no real AssumeRole logs of a cross-account,
MFA-protected role assumption were available with a licence.  They follow the CloudTrail
record format as AWS documents it (CloudTrail User Guide, "CloudTrail record contents"
and "CloudTrail userIdentity element"; IAM User Guide, "Logging IAM and AWS STS API calls
with AWS CloudTrail"):

* the caller's (identity account's) copy: ``userIdentity.type`` ``IAMUser`` with
  ``userName``, ``recipientAccountId`` the identity account;
* the role owner's (target account's) copy: ``userIdentity.type`` ``AWSAccount`` with only
  ``principalId`` and ``accountId`` of the caller, ``recipientAccountId`` the target
  account;
* both: ``eventSource`` ``sts.amazonaws.com``, ``eventName`` ``AssumeRole``,
  ``requestParameters`` (``roleArn``, ``roleSessionName``, ``durationSeconds``,
  ``serialNumber`` of the MFA device), ``responseElements.assumedRoleUser``, a
  ``resources`` entry of type ``AWS::IAM::Role``, the same ``requestID`` and
  ``sharedEventID``, and each its own ``eventID``.

Every identifier (ids, keys, addresses from 203.0.113.0/24) is made up.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

IDENTITY = "111111111111"
NONPROD = "222222222222"
PROD = "333333333333"


def _id(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


def _principal(user: str) -> str:
    return "AIDA" + hashlib.sha256(user.encode()).hexdigest()[:17].upper()


def assume_role(
    user: str,
    role_arn: str,
    when: str,
    *,
    copy: str,
    caller_account: str = IDENTITY,
    session_name: str | None = None,
    error: str | None = None,
    shared: bool = True,
) -> dict[str, Any]:
    """One copy (``"identity"`` or ``"target"``) of ``user`` assuming ``role_arn`` at ``when``."""
    target = role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]
    session = session_name or user
    request_id = _id("request", user, role_arn, when)
    if copy == "identity":
        identity: dict[str, Any] = {
            "type": "IAMUser",
            "principalId": _principal(user),
            "arn": f"arn:aws:iam::{caller_account}:user/{user}",
            "accountId": caller_account,
            "accessKeyId": "AKIA" + _principal(user)[4:20],
            "userName": user,
        }
        recipient = caller_account
    else:
        identity = {"type": "AWSAccount", "principalId": _principal(user), "accountId": caller_account}
        recipient = target
    rec: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.17.0 Python/3.11.9 Linux/6.8 exe/x86_64 command/sts.assume-role",
        "requestParameters": {
            "roleArn": role_arn,
            "roleSessionName": session,
            "durationSeconds": 3600,
            "serialNumber": f"arn:aws:iam::{caller_account}:mfa/{user}",
        },
        "responseElements": None
        if error
        else {
            "credentials": {
                "accessKeyId": "ASIA" + _principal(session + when)[4:20],
                "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE" + _principal(when)[4:],
                "expiration": "Oct 1, 2026, 11:00:00 AM",
            },
            "assumedRoleUser": {
                "assumedRoleId": "AROA" + _principal(role_arn)[4:] + ":" + session,
                "arn": f"arn:aws:sts::{target}:assumed-role/{role_name}/{session}",
            },
        },
        "requestID": request_id,
        "eventID": _id("event", copy, request_id),
        "readOnly": True,
        "resources": [{"accountId": target, "type": "AWS::IAM::Role", "ARN": role_arn}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": recipient,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "sts.amazonaws.com",
        },
    }
    if shared:
        rec["sharedEventID"] = _id("shared", request_id)
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = (
            f"User: arn:aws:iam::{caller_account}:user/{user} is not authorized to perform: sts:AssumeRole"
        )
    return rec


def service_assume_role(role_arn: str, when: str, service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    """A service (Lambda) assuming its execution role, as logged in the role's account."""
    target = role_arn.split(":")[4]
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AWSService", "invokedBy": service},
        "eventTime": when,
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "sourceIPAddress": service,
        "userAgent": service,
        "requestParameters": {"roleArn": role_arn, "roleSessionName": "awslambda_123_20261001"},
        "responseElements": None,
        "requestID": _id("request", role_arn, when),
        "eventID": _id("event", role_arn, when),
        "readOnly": True,
        "resources": [{"accountId": target, "type": "AWS::IAM::Role", "ARN": role_arn}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": target,
        "sharedEventID": _id("shared", role_arn, when),
        "eventCategory": "Management",
    }


def write_delivery(root: Path, account: str, when: str, records: list[dict[str, Any]]) -> Path:
    """A gzipped delivery file at CloudTrail's S3 key layout under ``root``."""
    day = when[:10].replace("-", "/")
    stamp = when[:16].replace("-", "").replace(":", "") + "Z"
    folder = root / "AWSLogs" / account / "CloudTrail" / "us-east-1" / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{account}_CloudTrail_us-east-1_{stamp}_{_id(stamp, account)[:16]}.json.gz"
    existing: list[dict[str, Any]] = []
    if path.exists():
        existing = json.loads(gzip.decompress(path.read_bytes()))["Records"]
    path.write_bytes(gzip.compress(json.dumps({"Records": existing + records}).encode()))
    return path
