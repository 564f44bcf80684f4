"""The permission documents of the CI's plan and deploy roles (catalog.yaml ``deploy_roles``).

Plan role (pull requests): reads IAM (``iam:Get*``, ``iam:List*``); in the state account it
also reads each account's state object and writes only its lock object (``use_lockfile``
writes ``<key>.tflock`` next to the state, and deletes it when done).  No other data.

Deploy role (the main branch): the plan role's reads, IAM writes limited to what rolecat
manages in the account (roles under the catalog's role paths, rolecat's policies, the
identity account's users and group, OIDC providers, instance profiles, the password
policy), and in the state account read and write of the state and lock objects.

Both documents are per account (ARNs name the account and partition); the model roles
that carry them are built by ``model.cicd``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rolecat.model import Account, Catalog, OidcProvider, Role, SamlProvider
from rolecat.model.catalog import FederatedTrust
from rolecat.model.cicd import DeployRoles, Mode

from . import arns

Document = dict[str, Any]
VERSION = "2012-10-17"
IAM_READ = ["iam:Get*", "iam:List*"]
# IAM writes on the objects rolecat manages (each statement narrows the resources)
ROLE_WRITES = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
POLICY_WRITES = [
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
]
PROFILE_WRITES = [
    "iam:AddRoleToInstanceProfile",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:UntagInstanceProfile",
]
SAML_WRITES = [
    "iam:CreateSAMLProvider",
    "iam:DeleteSAMLProvider",
    "iam:TagSAMLProvider",
    "iam:UntagSAMLProvider",
    "iam:UpdateSAMLProvider",
]
OIDC_WRITES = [
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
]
USER_WRITES = [
    "iam:AddUserToGroup",
    "iam:CreateUser",
    "iam:DeleteUser",
    "iam:RemoveUserFromGroup",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:UpdateUser",
]
GROUP_WRITES = [
    "iam:AttachGroupPolicy",
    "iam:CreateGroup",
    "iam:DeleteGroup",
    "iam:DeleteGroupPolicy",
    "iam:DetachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateGroup",
]
PASSWORD_POLICY_WRITES = ["iam:DeleteAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"]


def state_keys(catalog: Catalog) -> list[str]:
    """The state object key of every account (``backend.tf``'s ``key``)."""
    backend = catalog.terraform.backend
    assert backend is not None
    return [f"{backend.key_prefix}{a.id}.tfstate" for a in catalog.accounts]


def _s3(account: Account, bucket: str, key: str | None = None) -> str:
    return f"arn:{account.partition}:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def _state_statements(catalog: Catalog, account: Account, mode: Mode) -> list[Document]:
    """State access, granted in the state account only (the CI job's first role)."""
    spec = catalog.deploy_roles
    backend = catalog.terraform.backend
    if spec is None or backend is None or account.name != spec.state_account:
        return []
    keys = state_keys(catalog)
    bucket = backend.bucket
    statements: list[Document] = [
        {
            "Sid": "StateList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": _s3(account, bucket),
            # the state keys, and the workspaces' prefix the backend lists (workspace_key_prefix)
            "Condition": {"StringLike": {"s3:prefix": sorted({f"{backend.key_prefix}*", "env:/*"})}},
        }
    ]
    locks = [_s3(account, bucket, k + ".tflock") for k in keys]
    states = [_s3(account, bucket, k) for k in keys]
    if mode == "plan":
        statements += [
            {"Sid": "StateRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": states + locks},
            {
                "Sid": "StateLock",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:PutObject"],
                "Resource": locks,
            },
        ]
    else:
        statements.append(
            {
                "Sid": "StateReadWrite",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": sorted(states + locks),
            }
        )
    return statements


def _managed_role_paths(catalog: Catalog, account: Account) -> list[str]:
    paths = {r.path for r in catalog.roles_in(account.name)}
    paths |= {catalog.defaults.role_path, catalog.defaults.service_role_path}
    return sorted(arns.role_path_pattern(account.id, p, account.partition) for p in paths)


def _managed_policies(catalog: Catalog, account: Account) -> list[str]:
    found = {
        arns.policy_arn(account.id, "boundary-*", "/", account.partition),
        arns.policy_arn(account.id, "policy-*", "/", account.partition),
    }
    found |= {arns.policy_arn(account.id, p.name, p.path, account.partition) for p in catalog.pinned.values()}
    if account.identity:
        found.add(arns.policy_arn(account.id, f"{catalog.organization}-*", "/", account.partition))
    return sorted(found)


def _deploy_statements(catalog: Catalog, account: Account) -> list[Document]:
    p, aid = account.partition, account.id
    statements: list[Document] = [
        {
            "Sid": "ManagedRoles",
            "Effect": "Allow",
            "Action": ROLE_WRITES,
            "Resource": _managed_role_paths(catalog, account),
        },
        {
            "Sid": "ManagedPolicies",
            "Effect": "Allow",
            "Action": POLICY_WRITES,
            "Resource": _managed_policies(catalog, account),
        },
        {
            "Sid": "InstanceProfiles",
            "Effect": "Allow",
            "Action": [*PROFILE_WRITES, "iam:PassRole"],
            "Resource": sorted(
                {
                    arns.iam_arn(aid, f"instance-profile{path}*", p)
                    for path in {r.path for r in catalog.roles_in(account.name)} | {"/"}
                }
                | set(_managed_role_paths(catalog, account))
            ),
        },
        {
            "Sid": "OidcProviders",
            "Effect": "Allow",
            "Action": OIDC_WRITES,
            "Resource": sorted(
                arns.oidc_provider_arn(aid, prov.host, p)
                for prov in catalog.identity_providers.values()
                if isinstance(prov, OidcProvider)
            )
            or arns.oidc_provider_arn(aid, "*", p),
        },
    ]
    saml = sorted(
        arns.saml_provider_arn(aid, prov.iam_name, p)
        for prov in catalog.identity_providers.values()
        if isinstance(prov, SamlProvider)
    )
    if saml:  # only the catalog's SAML providers, and only when it declares one
        statements.append(
            {"Sid": "SamlProviders", "Effect": "Allow", "Action": SAML_WRITES, "Resource": saml}
        )
    if account.identity:
        statements += [
            {
                "Sid": "Users",
                "Effect": "Allow",
                "Action": USER_WRITES,
                "Resource": [arns.iam_arn(aid, "group/*", p), arns.iam_arn(aid, "user/*", p)],
            },
            {
                "Sid": "Group",
                "Effect": "Allow",
                "Action": GROUP_WRITES,
                "Resource": arns.iam_arn(aid, f"group/{catalog.organization}-*", p),
            },
            {"Sid": "PasswordPolicy", "Effect": "Allow", "Action": PASSWORD_POLICY_WRITES, "Resource": "*"},
        ]
    return statements


def policy_document(catalog: Catalog, role: Role, account: Account, mode: Mode) -> Document:
    """The inline policy of the plan or deploy role in ``account``."""
    statements: list[Document] = [{"Sid": "ReadIam", "Effect": "Allow", "Action": IAM_READ, "Resource": "*"}]
    if mode == "deploy":
        statements += _deploy_statements(catalog, account)
    statements += _state_statements(catalog, account, mode)
    return {"Version": VERSION, "Statement": statements}


def role_in(spec: DeployRoles, role: Role, mode: Mode, account: Account) -> Role:
    """The role with the account's own subjects (``deploy_roles.accounts`` overrides)."""
    subjects = spec.role(mode).subjects_in(account.name)
    if subjects == role.federated[0].subjects:
        return role
    return replace(role, federated=(FederatedTrust(spec.provider, subjects, 0),))
