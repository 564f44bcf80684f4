"""The policy documents rolecat writes itself: trust policies and the identity account's.

Pure functions over the model; the renderer, the manifest and the quota checks all use
the same documents, so what is measured is exactly what is written.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from rolecat.deploy import arns
from rolecat.model import (
    Account,
    AccountRolePrincipal,
    Catalog,
    ExternalAccountPrincipal,
    FederatedPrincipal,
    Role,
    SamlPrincipal,
    ServicePrincipal,
    User,
    UserPrincipal,
)
from rolecat.model.catalog import SAML_CLAIM_KEYS

Document = dict[str, Any]
VERSION = "2012-10-17"


def user_arn(identity: Account, user: str) -> str:
    return arns.user_arn(identity.id, user, identity.partition)


def mfa_arn(identity: Account, user: str) -> str:
    return arns.mfa_arn(identity.id, user, identity.partition)


def trust_actions(role: Role) -> str | list[str]:
    actions = ["sts:AssumeRole"]
    if role.source_identity:
        actions.append("sts:SetSourceIdentity")
    if role.session_tags:
        actions.append("sts:TagSession")
    return actions[0] if len(actions) == 1 else actions


def _human_conditions(role: Role) -> dict[str, dict[str, str]]:
    cond: dict[str, dict[str, str]] = {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(role.mfa_max_age)},
        "StringLike": {"sts:RoleSessionName": "${aws:username}"},
    }
    if role.source_identity:
        cond["StringEquals"] = {"sts:SourceIdentity": "${aws:username}"}
    return cond


def _principals(arns: list[str]) -> str | list[str]:
    return arns[0] if len(arns) == 1 else arns


def _service_statement(services: list[str]) -> Document:
    return {
        "Sid": "TrustedServices",
        "Effect": "Allow",
        "Principal": {"Service": _principals(services)},
        "Action": "sts:AssumeRole",
    }


def people(role: Role) -> list[tuple[str, str | None]]:
    """The ``UserPrincipal``s of ``role.principals`` as (user, until_iso): a human role's
    members, then its temporary members, read from the role without a principal object each
    (a trust policy per role: 10,000 roles with 6 people each)."""
    if not role.is_human:
        return [(p.user, p.until_iso) for p in role.principals if isinstance(p, UserPrincipal)]
    return [(u, None) for u in role.members] + [(t.user, t.until_iso) for t in role.temporary_members]


def _user_statements(identity: Account, role: Role, users: list[tuple[str, str | None]]) -> list[Document]:
    """Standing members in one statement; temporary members one statement per distinct until."""
    statements: list[Document] = []
    # every user ARN is this prefix and the name (arns.user_arn), made once per role
    prefix = arns.user_arn(identity.id, "", identity.partition)
    standing = sorted([prefix + user for user, until in users if until is None])
    if standing:
        statements.append(
            {
                "Sid": "Members",
                "Effect": "Allow",
                "Principal": {"AWS": _principals(standing)},
                "Action": trust_actions(role),
                "Condition": _human_conditions(role),
            }
        )
    by_until: dict[str, set[str]] = defaultdict(set)
    for user, until in users:
        if until is not None:
            by_until[until].add(user)
    for until in sorted(by_until):
        cond = _human_conditions(role)
        cond["DateLessThan"] = {"aws:CurrentTime": until}
        sid = "TemporaryUntil" + until.replace("-", "").replace(":", "")
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": _principals(sorted([prefix + u for u in by_until[until]]))},
                "Action": trust_actions(role),
                "Condition": cond,
            }
        )
    return statements


def _federated_statement(account: Account, p: FederatedPrincipal, subjects: list[str], sid: str) -> Document:
    """Web identity from one OIDC provider: aud one of the audiences, sub one of ``subjects``
    (``StringEquals`` for exact subjects, ``StringLike`` for patterns)."""
    like = any("*" in x or "?" in x for x in subjects)
    cond: dict[str, dict[str, str | list[str]]] = {
        "StringEquals": {f"{p.host}:aud": _principals(sorted(p.audiences))}
    }
    cond.setdefault("StringLike" if like else "StringEquals", {})[f"{p.host}:sub"] = _principals(
        sorted(subjects)
    )
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Federated": arns.oidc_provider_arn(account.id, p.host, account.partition)},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": cond,
    }


def _federated_statements(account: Account, p: FederatedPrincipal) -> list[Document]:
    """Exact subjects and patterns in separate statements (one statement would need both)."""
    sid = "WebIdentity" + "".join(w.capitalize() for w in p.provider.split("-"))
    exact = [x for x in p.subjects if "*" not in x and "?" not in x]
    like = [x for x in p.subjects if "*" in x or "?" in x]
    out = []
    if exact:
        out.append(_federated_statement(account, p, exact, sid))
    if like:
        out.append(_federated_statement(account, p, like, sid + ("Patterns" if exact else "")))
    return out


_SAML_SPELLING = {k.lower(): k for k in SAML_CLAIM_KEYS}


def _saml_statement(account: Account, p: SamlPrincipal) -> Document:
    """People of a SAML IdP: the account's provider, ``SAML:aud`` the partition's sign-in
    endpoint, and each claim one of its values (``StringLike`` when a value has a wildcard;
    ``ForAnyValue:`` for a key whose value may be a list, such as SAML:edupersonaffiliation:
    the assertion must carry one of the values)."""
    cond: dict[str, dict[str, str | list[str]]] = {
        "StringEquals": {"SAML:aud": arns.saml_signin_endpoint(account.partition)}
    }
    for key, values in p.claims:
        known = _SAML_SPELLING.get(key.lower())  # as the action database spells it (K001 otherwise)
        name = "SAML:" + known.split(":", 1)[1] if known else key  # SAML:sub, as AWS's examples
        op = "StringLike" if any("*" in v or "?" in v for v in values) else "StringEquals"
        if known and SAML_CLAIM_KEYS[known]:
            op = "ForAnyValue:" + op
        cond.setdefault(op, {})[name] = _principals(sorted(values))
    return {
        "Sid": "Saml" + "".join(w.capitalize() for w in p.provider.split("-")),
        "Effect": "Allow",
        "Principal": {"Federated": arns.saml_provider_arn(account.id, p.iam_name, account.partition)},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": cond,
    }


def _cross_account_statements(catalog: Catalog, principals: list[AccountRolePrincipal]) -> list[Document]:
    """Roles of other catalog accounts, by ARN (path included), in one statement."""
    if not principals:
        return []
    by_name = catalog.roles_by_name
    found = sorted(
        by_name[p.role].arn(catalog.account(p.account))
        for p in principals
        if p.role in by_name and any(a.name == p.account for a in catalog.accounts)
    )
    if not found:
        return []
    return [
        {
            "Sid": "TrustedRoles",
            "Effect": "Allow",
            "Principal": {"AWS": _principals(found)},
            "Action": "sts:AssumeRole",
        }
    ]


def _external_statements(catalog: Catalog, principals: list[ExternalAccountPrincipal]) -> list[Document]:
    """One statement per external account: its root, and the ExternalId it must pass."""
    return [
        {
            "Sid": f"External{p.account_id}",
            "Effect": "Allow",
            "Principal": {"AWS": arns.iam_arn(p.account_id, "root", catalog.partition)},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": p.external_id}},
        }
        for p in sorted(principals, key=lambda p: (p.account_id, p.external_id))
    ]


def trust_policy(catalog: Catalog, role: Role, account: Account | None = None) -> Document:
    """The role's assume-role policy, identical in every account it is deployed to unless it
    trusts identity providers, OIDC or SAML (their ARN names the account; ``account`` is then
    required).

    Built from the role's principals, one statement shape per kind.  People: by user ARN
    with MFA (``Bool``, never ``BoolIfExists``), MFA age and the session name pinned to
    the user name; temporary members get one statement per distinct ``until`` (so many
    escalations ending together cost one statement), bounded by ``DateLessThan
    aws:CurrentTime``.  Services: one statement naming them all.
    """
    # the principals by kind, in one pass (a trust policy is built per role); people are
    # the role's alone (see ``people``)
    users = people(role)
    services: list[str] = []
    federated: list[FederatedPrincipal | SamlPrincipal] = []
    cross: list[AccountRolePrincipal] = []
    external: list[ExternalAccountPrincipal] = []
    for p in () if role.is_human else role.principals:
        if isinstance(p, ServicePrincipal):
            services.append(p.service)
        elif isinstance(p, FederatedPrincipal | SamlPrincipal):
            federated.append(p)
        elif isinstance(p, AccountRolePrincipal):
            cross.append(p)
        elif isinstance(p, ExternalAccountPrincipal):
            external.append(p)
    statements: list[Document] = []
    if services:
        statements.append(_service_statement(services))
    if federated and account is None:
        raise ValueError(f"role {role.name!r} trusts identity providers: its trust policy is per account")
    for p in federated:
        assert account is not None
        if isinstance(p, SamlPrincipal):
            statements.append(_saml_statement(account, p))
        else:
            statements.extend(_federated_statements(account, p))
    if cross:
        statements.extend(_cross_account_statements(catalog, cross))
    if external:
        statements.extend(_external_statements(catalog, external))
    if users:
        statements.extend(_user_statements(catalog.identity_account, role, users))
    return {"Version": VERSION, "Statement": statements}


def self_service_policy(identity: Account, users: Iterable[User] = ()) -> Document:
    """Every user manages their own password, access keys and MFA device, nothing else.

    Follows AWS's documented "manage own credentials, MFA required" example: until the
    user has signed in with MFA, everything except enrolling MFA and changing the
    password is denied.  Virtual MFA devices must be named after the user, which makes
    ``arn:aws:iam::<id>:mfa/<user>`` every user's MFA serial.
    """
    acct = identity.id
    me = arns.user_arn(acct, "${aws:username}", identity.partition)
    my_mfa = arns.mfa_arn(acct, "${aws:username}", identity.partition)
    doc = _self_service(me, my_mfa)
    # A renamed user keeps the device enrolled under a former name (``mfa_device``):
    # one statement per such user names it, so they can still retry or replace it.
    for n, user in enumerate(u for u in sorted(users, key=lambda u: u.name) if u.mfa_device != u.name):
        doc["Statement"].insert(
            3 + n,
            {
                "Sid": f"OwnMFADeviceUnderFormerName{n + 1}",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": arns.mfa_arn(acct, user.mfa_device, identity.partition),
                "Condition": {"StringEquals": {"aws:username": user.name}},
            },
        )
    return doc


def _self_service(me: str, my_mfa: str) -> Document:
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ViewAccountPasswordPolicyAndMFADevices",
                "Effect": "Allow",
                "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
                "Resource": "*",
            },
            {
                "Sid": "ManageOwnPasswordAndAccessKeys",
                "Effect": "Allow",
                "Action": [
                    "iam:ChangePassword",
                    "iam:CreateAccessKey",
                    "iam:DeleteAccessKey",
                    "iam:GetAccessKeyLastUsed",
                    "iam:GetLoginProfile",
                    "iam:GetUser",
                    "iam:ListAccessKeys",
                    "iam:UpdateAccessKey",
                ],
                "Resource": me,
            },
            {
                # Deleting works only on a device that is not enabled, so a half-finished
                # enrollment can be retried; an enabled one must first be deactivated,
                # which needs MFA.
                "Sid": "CreateOrRetryOwnVirtualMFADevice",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": my_mfa,
            },
            {
                "Sid": "ManageOwnMFA",
                "Effect": "Allow",
                "Action": [
                    "iam:DeactivateMFADevice",
                    "iam:EnableMFADevice",
                    "iam:GetMFADevice",
                    "iam:ListMFADevices",
                    "iam:ResyncMFADevice",
                ],
                "Resource": me,
            },
            {
                "Sid": "DenyAllExceptMFASetupWithoutMFA",
                "Effect": "Deny",
                "NotAction": [
                    "iam:ChangePassword",
                    "iam:CreateVirtualMFADevice",
                    "iam:DeleteVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:GetAccountPasswordPolicy",
                    "iam:GetMFADevice",
                    "iam:GetUser",
                    "iam:ListMFADevices",
                    "iam:ListVirtualMFADevices",
                    "iam:ResyncMFADevice",
                    "sts:GetSessionToken",
                ],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    }


def assume_roles_policy(catalog: Catalog) -> Document:
    """``sts:AssumeRole`` with MFA into the human role paths of every account.

    Who may assume which role is decided by each role's trust policy; this grant only
    opens the door, so adding a member never touches the identity account's policies.
    """
    resources: set[str] = set()
    paths: set[tuple[str, str]] = set()  # (account, path) done: few, and every role names one
    extra: dict[str, set[str]] = defaultdict(set)
    for role in catalog.roles:
        if not role.is_human:
            continue
        for name in role.accounts:
            if (name, role.path) not in paths:
                paths.add((name, role.path))
                acct = catalog.account(name)
                resources.add(arns.role_path_pattern(acct.id, role.path, acct.partition))
            if role.source_identity:
                extra["sts:SetSourceIdentity"].add(role.arn(catalog.account(name)))
            if role.session_tags:
                extra["sts:TagSession"].add(role.arn(catalog.account(name)))
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    statements: list[Document] = []
    if resources:
        statements.append(
            {
                "Sid": "AssumeHumanRolesWithMFA",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": sorted(resources),
                "Condition": mfa,
            }
        )
    for action in sorted(extra):
        sid = "Allow" + action.split(":")[1]
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": action,
                "Resource": sorted(extra[action]),
                "Condition": mfa,
            }
        )
    if not statements:
        statements.append(
            {"Sid": "NoHumanRoles", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
        )
    return {"Version": VERSION, "Statement": statements}


# Characters aws_json writes as a \uXXXX escape: 6 characters for 1.
_ESCAPED = ("<", ">", "&", "\u2028", "\u2029")


def _compact_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def aws_json(doc: Mapping[str, Any]) -> str:
    """The JSON AWS receives from Terraform's ``jsonencode``: sorted keys, no spaces, <>& escaped."""
    return (
        _compact_json(doc)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# What makes a document's size differ from its compact JSON's length (see _size)
_SIZE_CHANGERS = re.compile("[<>&\u2028\u2029 \t\r\n]")
_SIZE_CHANGERS_ASCII = re.compile(b"[<>& \t\r\n]")


def _size(compact: str) -> int:
    """``len(aws_json(doc))`` less whitespace, from ``_compact_json(doc)``: each character
    aws_json escapes counts 6, and the escapes hold no whitespace."""
    if _SIZE_CHANGERS.search(compact) is None:
        return len(compact)  # most documents: one scan instead of nine counts
    escaped = sum(compact.count(c) for c in _ESCAPED)
    return len(compact) + 5 * escaped - sum(compact.count(c) for c in " \t\r\n")


def policy_size(doc: Mapping[str, Any]) -> int:
    """Characters IAM counts against its size quotas: the JSON without whitespace."""
    return _size(_compact_json(doc))


def trust_policy_size(doc: Mapping[str, Any]) -> int:
    """``policy_size`` of a document rolecat builds itself (a trust policy), through orjson.

    Such a document holds only objects with string keys, lists and strings, and for those
    orjson's compact JSON with sorted keys is ``_compact_json``'s text character for
    character (tests/test_quotas.py checks every code point); it differs on floats, which
    these documents never hold.  A catalog has a trust policy per role: json.dumps of
    10,000 of them was most of the quota check.  What orjson refuses (a lone surrogate
    in a string) is measured through json."""
    try:
        raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return policy_size(doc)
    if raw.isascii() and _SIZE_CHANGERS_ASCII.search(raw) is None:
        return len(raw)  # one byte per character, nothing escaped or left out
    return _size(raw.decode())
