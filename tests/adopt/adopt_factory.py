"""Exports of live accounts for the adoption tests, derived from what a catalog compiles to.

``export_of`` writes an account's ``get-account-authorization-details`` export in the
raw API's shapes (URL-encoded documents, reordered statements and lists), so the
comparison code sees the variations real exports have.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rolecat.adopt.expected import ExpectedAccount

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalog"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _encode(doc: Any) -> str:
    """The raw API's shape: URL-encoded JSON with whitespace, as IAM returns it."""
    return urllib.parse.quote(json.dumps(doc, indent=4))


def _shuffle(doc: dict[str, Any]) -> dict[str, Any]:
    """Same policy as IAM sees it, written differently: statements and lists reversed,
    one-element lists as lists, Sid-less statements with empty Sid removed."""
    doc = copy.deepcopy(doc)
    stmts = doc["Statement"]
    stmts.reverse()
    for s in stmts:
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in s:
                v = s[key]
                s[key] = list(reversed(v)) if isinstance(v, list) else [v]
    return doc


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """As IAM lists them, with a tag AWS set itself, which the AWS provider leaves alone."""
    return [{"Key": "aws:cloudformation:stack-name", "Value": "bootstrap"}] + [
        {"Key": k, "Value": v} for k, v in reversed(tags.items())
    ]


def export_of(exp: ExpectedAccount) -> dict[str, Any]:
    """An authorization-details export of an account that matches the catalog exactly."""
    acct = exp.account.id
    policies = [
        {
            "PolicyName": p.name,
            "PolicyId": "ANPA" + p.name.upper().replace("-", "")[:16],
            "Arn": p.arn(exp.account),
            "Path": p.path,
            "DefaultVersionId": "v2",
            "AttachmentCount": 1,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "Description": p.description,
            "PolicyVersionList": [
                {
                    "Document": _encode(_shuffle(dict(p.document))),
                    "VersionId": "v2",
                    "IsDefaultVersion": True,
                },
                {
                    "Document": _encode({"Version": "2012-10-17", "Statement": []}),
                    "VersionId": "v1",
                    "IsDefaultVersion": False,
                },
            ],
        }
        for p in exp.policies.values()
    ]
    roles = []
    for r in exp.roles.values():
        roles.append(
            {
                "Path": r.path,
                "RoleName": r.name,
                "RoleId": "AROA" + r.name.upper()[:16],
                "Arn": f"arn:aws:iam::{acct}:role{r.path}{r.name}",
                "AssumeRolePolicyDocument": _shuffle(dict(r.trust)),
                "InstanceProfileList": (
                    [{"InstanceProfileName": r.instance_profile, "Path": r.path}]
                    if r.instance_profile
                    else []
                ),
                "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in r.inline.items()],
                "AttachedManagedPolicies": [
                    {"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in reversed(r.attached)
                ],
                "PermissionsBoundary": (
                    {
                        "PermissionsBoundaryType": "Policy",
                        "PermissionsBoundaryArn": f"arn:aws:iam::{acct}:policy/{r.boundary}",
                    }
                    if r.boundary
                    else None
                ),
                "Tags": _tags(r.tags),
            }
        )
        if roles[-1]["PermissionsBoundary"] is None:
            del roles[-1]["PermissionsBoundary"]
    # A service-linked role AWS made itself: never drift.
    roles.append(
        {
            "Path": "/aws-service-role/support.amazonaws.com/",
            "RoleName": "AWSServiceRoleForSupport",
            "RoleId": "AROASUPPORT",
            "Arn": f"arn:aws:iam::{acct}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "RolePolicyList": [],
            "AttachedManagedPolicies": [],
        }
    )
    users = [
        {
            "Path": "/",
            "UserName": u.name,
            "UserId": "AIDA" + u.name.upper(),
            "Arn": f"arn:aws:iam::{acct}:user/{u.name}",
            "GroupList": list(u.groups),
            "AttachedManagedPolicies": [],
            "UserPolicyList": [],
            "Tags": _tags(u.tags),
        }
        for u in exp.users.values()
    ]
    groups = (
        [
            {
                "Path": "/",
                "GroupName": exp.group,
                "GroupId": "AGPAHUMANS",
                "Arn": f"arn:aws:iam::{acct}:group/{exp.group}",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in exp.group_attached
                ],
            }
        ]
        if exp.group
        else []
    )
    return {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}
