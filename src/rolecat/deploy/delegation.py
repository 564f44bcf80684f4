"""Delegated role creation: let a role create roles only inside a box.

A role with ``delegated_role_creation: {boundary: NAME, path: /apps/}`` may create and
manage roles on that path only if they carry boundary NAME, pass only those roles to
services, and can neither remove a boundary nor edit the boundary policies.  This is
AWS's delegated-admin pattern (iam_facts.md section 3) written for roles; the
escalation check recognises it as safe.
"""

from __future__ import annotations

from typing import Any

from rolecat.deploy.arns import role_path_pattern
from rolecat.model import Account, Catalog, Role

# Role writes that IAM can pin to a boundary through the iam:PermissionsBoundary key.
PINNED_ROLE_WRITES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
ROLE_READS_AND_TAGS = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListRoleTags",
    "iam:TagRole",
    "iam:UntagRole",
)
BOUNDARY_EDITS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


def delegated_path_pattern(account: Account, path: str) -> str:
    return role_path_pattern(account.id, path, account.partition)


def delegated_role_creation_statements(
    role: Role, account: Account, catalog: Catalog
) -> list[dict[str, Any]]:
    """Statements the compiler adds to ``role``'s permissions in ``account``; [] if not delegated."""
    spec = role.delegated_role_creation
    if spec is None:
        return []
    boundary_arn = catalog.policy_arn("boundary", spec.boundary, account)
    roles = delegated_path_pattern(account, spec.path)
    protected = [boundary_arn]
    if role.boundary is not None and role.boundary != spec.boundary:
        protected.append(catalog.policy_arn("boundary", role.boundary, account))
    return [
        {
            "Sid": "DelegatedRoleWritesWithBoundary",
            "Effect": "Allow",
            "Action": list(PINNED_ROLE_WRITES),
            "Resource": roles,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "DelegatedRoleReads",
            "Effect": "Allow",
            "Action": list(ROLE_READS_AND_TAGS),
            "Resource": roles,
        },
        {
            "Sid": "DelegatedPassRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": roles,
        },
        {
            "Sid": "DenyBoundaryRemoval",
            "Effect": "Deny",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": "*",
        },
        {
            "Sid": "DenySelfBoundaryChange",
            "Effect": "Deny",
            "Action": "iam:PutRolePermissionsBoundary",
            "Resource": role.arn(account),
        },
        {
            "Sid": "DenyBoundaryPolicyEdits",
            "Effect": "Deny",
            "Action": list(BOUNDARY_EDITS),
            "Resource": protected if len(protected) > 1 else protected[0],
        },
    ]
