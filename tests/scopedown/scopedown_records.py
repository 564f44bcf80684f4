"""Constructed CloudTrail records for the scopedown tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
ROLE_ARN = "arn:aws:iam::123456789012:role/services/Worker"


def record(
    source: str,
    name: str,
    *,
    issuer: str = ROLE_ARN,
    when: str = "2026-10-01T10:00:00Z",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A CloudTrail record made with a role session, as AWS writes it."""
    role_name = issuer.rsplit("/", 1)[-1]
    account = issuer.split(":")[4]
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/session",
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "arn": issuer, "accountId": account, "userName": role_name},
                "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-10-01T00:00:00Z"},
            },
        },
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "eventID": event_id or f"{source}-{name}-{when}-{id(extra)}",
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }
    rec.update(extra)
    return rec
