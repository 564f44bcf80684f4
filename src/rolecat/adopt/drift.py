"""Differences between live accounts (their exports) and what the catalog compiles to.

Each difference is a ``DriftItem``: what it is (account, kind, name), how it differs
(``change``: ``unmanaged`` exists in AWS only, ``missing`` is in the catalog only,
``changed`` exists in both but differs), which attribute, and both values.  Policy
documents are compared as IAM compares them (``policydoc``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..model import Catalog, PasswordPolicy
from . import policydoc
from .expected import ExpectedAccount, ExpectedRole, expected_accounts
from .export import AccountExport, LivePasswordPolicy, LiveRole

# Attributes IAM cannot change in place, so the AWS provider replaces the object (ForceNew):
# a role's path (UpdateRole takes only its description and session duration: IAM API
# Reference, UpdateRole), a managed policy's path and description ("The policy description is
# immutable": CreatePolicy), an instance profile's path.
REPLACED_BY = {("role", "path"), ("policy", "path"), ("policy", "description"), ("instance-profile", "path")}


@dataclass(frozen=True)
class DriftItem:
    account: str
    kind: str  # user, group, role, policy, attachment
    name: str
    change: str  # unmanaged, missing, changed
    field: str | None
    message: str
    expected: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HygieneItem:
    account: str
    user: str
    finding: str  # console-without-mfa, access-key-old, access-key-never-used
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The AWS provider leaves tags whose key starts with "aws:" alone: it drops them from what it
# reads and never removes them (terraform-provider-aws, internal/tags/key_value_tags.go,
# KeyValueTags.IgnoreAWS).  Every other tag of a resource is the configuration's: without
# ignore_tags (providers.tf.j2 sets none) the next apply removes a tag the configuration and
# the provider's default_tags do not name, and sets the others to their values.
_AWS_TAG_PREFIX = "aws:"


@dataclass(frozen=True)
class TagChanges:
    """What the next apply does to a live resource's tags (``aws:`` tags left out)."""

    added: Mapping[str, str]
    removed: Mapping[str, str]  # the live values
    changed: Mapping[str, tuple[str, str]]  # key -> (live value, the configuration's)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        """``removes "owner" ("x"), sets "team" to "b" (now "a") and adds "ManagedBy" ("rolecat")``."""
        parts = []
        if self.removed:
            parts.append(
                "removes " + ", ".join(f"{json.dumps(k)} ({json.dumps(v)})" for k, v in self.removed.items())
            )
        if self.changed:
            parts.append(
                "sets "
                + ", ".join(
                    f"{json.dumps(k)} to {json.dumps(new)} (now {json.dumps(old)})"
                    for k, (old, new) in self.changed.items()
                )
            )
        if self.added:
            parts.append(
                "adds " + ", ".join(f"{json.dumps(k)} ({json.dumps(v)})" for k, v in self.added.items())
            )
        return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def tag_changes(want: Mapping[str, str], live: Mapping[str, str]) -> TagChanges:
    """The next apply's change to ``live`` tags, ``want`` being the configuration's with the
    provider's default tags."""
    want = {k: v for k, v in want.items() if not k.startswith(_AWS_TAG_PREFIX)}
    have = {k: v for k, v in live.items() if not k.startswith(_AWS_TAG_PREFIX)}
    return TagChanges(
        added={k: want[k] for k in sorted(want) if k not in have},
        removed={k: have[k] for k in sorted(have) if k not in want},
        changed={k: (have[k], want[k]) for k in sorted(have) if k in want and have[k] != want[k]},
    )


def _tags_item(
    acct: str, kind: str, name: str, want: Mapping[str, str], live: Mapping[str, str]
) -> list[DriftItem]:
    change = tag_changes(want, live)
    if not change:
        return []
    shown = {k: v for k, v in live.items() if not k.startswith(_AWS_TAG_PREFIX)}
    return [
        DriftItem(
            acct,
            kind,
            name,
            "changed",
            "tags",
            f"tags differ: the next apply {change.describe()}",
            dict(want),
            shown,
        )
    ]


def _instance_profiles(acct: str, exp: ExpectedRole, live: LiveRole) -> list[DriftItem]:
    """The live role's instance profiles against the one role.tf.j2 writes (named after a
    role EC2 assumes, on the role's path): missing, on another path (IAM cannot move an
    instance profile, and its path forces a new one), or another one, which no apply
    touches.  Their tags are not compared: ListInstanceProfileTags, not the export, says them."""
    out: list[DriftItem] = []
    ours = exp.instance_profile
    if ours is not None and ours not in live.instance_profiles:
        out.append(
            DriftItem(
                acct,
                "instance-profile",
                ours,
                "missing",
                None,
                f"instance profile {ours} of role {exp.name} does not exist in AWS",
                ours,
                None,
            )
        )
    for profile in live.instance_profiles:
        if profile != ours:
            out.append(
                DriftItem(
                    acct,
                    "instance-profile",
                    profile,
                    "unmanaged",
                    None,
                    f"role {exp.name} is in instance profile {profile}, which the catalog does not write",
                    None,
                    profile,
                )
            )
            continue
        path = live.instance_profile_paths.get(profile)
        if path is not None and path != exp.path:
            out.append(
                DriftItem(
                    acct,
                    "instance-profile",
                    profile,
                    "changed",
                    "path",
                    f"path is {path}, the catalog says {exp.path}: the next apply replaces the instance "
                    "profile (IAM cannot move one)",
                    exp.path,
                    path,
                )
            )
    return out


def _role_drift(acct: str, exp: ExpectedRole, live: LiveRole, account_id: str) -> list[DriftItem]:
    out: list[DriftItem] = []

    def changed(field: str, message: str, expected: Any, actual: Any) -> None:
        out.append(DriftItem(acct, "role", exp.name, "changed", field, message, expected, actual))

    if live.path != exp.path:
        changed(
            "path",
            f"path is {live.path}, the catalog says {exp.path}: the next apply replaces the role "
            "(a new role id and ARN; IAM cannot move a role)",
            exp.path,
            live.path,
        )
    out.extend(_tags_item(acct, "role", exp.name, exp.tags, live.tags))
    out.extend(_instance_profiles(acct, exp, live))
    if not policydoc.equivalent(exp.trust, live.trust):
        changed(
            "trust",
            "trust policy differs: " + policydoc.summarize_difference(exp.trust, live.trust),
            exp.trust,
            live.trust,
        )
    want_boundary = exp.boundary_arn
    if live.boundary_arn != want_boundary:
        if live.boundary_arn is None:
            msg = f"permission boundary {exp.boundary} was removed"
        elif want_boundary is None:
            msg = f"has permission boundary {live.boundary_arn}, the catalog names none"
        else:
            msg = f"permission boundary is {live.boundary_arn}, the catalog says {want_boundary}"
        changed("boundary", msg, want_boundary, live.boundary_arn)
    live_attached = {a.arn for a in live.attached}
    for arn in sorted(live_attached - set(exp.attached)):
        out.append(
            DriftItem(
                acct,
                "attachment",
                f"{exp.name} -> {arn}",
                "unmanaged",
                "policies",
                f"role {exp.name} has {arn} attached, which the catalog does not attach",
                None,
                arn,
            )
        )
    for arn in sorted(set(exp.attached) - live_attached):
        out.append(
            DriftItem(
                acct,
                "attachment",
                f"{exp.name} -> {arn}",
                "missing",
                "policies",
                f"role {exp.name} lacks {arn}, which the catalog attaches",
                arn,
                None,
            )
        )
    for name in sorted(set(live.inline) - set(exp.inline)):
        out.append(
            DriftItem(
                acct,
                "role",
                exp.name,
                "unmanaged",
                "inline",
                f"inline policy {name} is not in the catalog",
                None,
                live.inline[name],
            )
        )
    for name in sorted(set(exp.inline) - set(live.inline)):
        out.append(
            DriftItem(
                acct,
                "role",
                exp.name,
                "missing",
                "inline",
                f"inline policy {name} is missing",
                exp.inline[name],
                None,
            )
        )
    for name in sorted(set(exp.inline) & set(live.inline)):
        if not policydoc.equivalent(exp.inline[name], live.inline[name]):
            changed(
                "inline",
                f"inline policy {name} differs: "
                + policydoc.summarize_difference(exp.inline[name], live.inline[name]),
                exp.inline[name],
                live.inline[name],
            )
    if live.details_known:
        if (live.description or None) != (exp.description or None):
            changed("description", "description differs", exp.description, live.description)
        if live.max_session_duration != exp.max_session_duration:
            changed(
                "max_session_duration",
                f"maximum session duration is {live.max_session_duration} s, the catalog says {exp.max_session_duration} s",
                exp.max_session_duration,
                live.max_session_duration,
            )
    return out


def account_drift(
    catalog: Catalog, exp: ExpectedAccount, live: AccountExport, *, ignore_roles: Iterable[str] = ()
) -> list[DriftItem]:
    acct = exp.account.name
    account_id = exp.account.id
    out: list[DriftItem] = []
    ignored = set(ignore_roles)

    # Roles
    for name, er in exp.roles.items():
        lr = live.roles.get(name)
        if lr is None:
            out.append(
                DriftItem(
                    acct, "role", name, "missing", None, f"role {name} ({er.source}) does not exist in AWS"
                )
            )
        else:
            out.extend(_role_drift(acct, er, lr, account_id))
    for name, lr in live.roles.items():
        if name in exp.roles or lr.reserved or name in ignored:
            continue
        out.append(
            DriftItem(
                acct,
                "role",
                name,
                "unmanaged",
                None,
                f"role {lr.path}{name} exists in AWS but not in the catalog",
                None,
                lr.arn,
            )
        )

    # Customer managed policies (policies, boundaries, the identity account's own)
    for name, ep in exp.policies.items():
        lp = live.policies.get(name)
        if lp is None:
            out.append(
                DriftItem(acct, "policy", name, "missing", None, f"policy {name} does not exist in AWS")
            )
            continue
        if lp.path != ep.path:
            out.append(
                DriftItem(
                    acct,
                    "policy",
                    name,
                    "changed",
                    "path",
                    f"path is {lp.path}, expected {ep.path}: the next apply replaces the policy "
                    "(IAM cannot move a policy)",
                    ep.path,
                    lp.path,
                )
            )
        if (lp.description or "") != (ep.description or ""):
            out.append(
                DriftItem(
                    acct,
                    "policy",
                    name,
                    "changed",
                    "description",
                    "description differs: the next apply replaces the policy (IAM cannot change a "
                    "policy's description)",
                    ep.description,
                    lp.description,
                )
            )
        if not policydoc.equivalent(ep.document, lp.document):
            default = next((v.version_id for v in lp.versions if v.default), "?")
            out.append(
                DriftItem(
                    acct,
                    "policy",
                    name,
                    "changed",
                    "document",
                    f"default version {default} differs: "
                    + policydoc.summarize_difference(ep.document, lp.document),
                    ep.document,
                    lp.document,
                )
            )
    for name, lp in live.policies.items():
        if name not in exp.policies:
            out.append(
                DriftItem(
                    acct,
                    "policy",
                    name,
                    "unmanaged",
                    None,
                    f"customer managed policy {lp.path}{name} exists in AWS but not in the catalog",
                    None,
                    lp.arn,
                )
            )

    # Users and groups outside the identity account: the catalog keeps none there, so each
    # one is a door it does not describe (a hand-made admin user, say).
    if not exp.account.identity:
        for name, stray in sorted(live.users.items()):
            out.append(
                DriftItem(
                    acct,
                    "user",
                    name,
                    "unmanaged",
                    None,
                    f"user {name} exists in {acct}, where the catalog keeps no users (people are users of "
                    "the identity account who assume roles)",
                    None,
                    stray.arn,
                )
            )
        for name, stray_group in sorted(live.groups.items()):
            out.append(
                DriftItem(
                    acct,
                    "group",
                    name,
                    "unmanaged",
                    None,
                    f"group {name} exists in {acct}, where the catalog keeps no groups",
                    None,
                    stray_group.arn,
                )
            )

    # Users and the humans group (identity account)
    if exp.account.identity:
        for name, eu in exp.users.items():
            lu = live.users.get(name)
            if lu is None:
                out.append(
                    DriftItem(acct, "user", name, "missing", None, f"user {name} does not exist in AWS")
                )
                continue
            out.extend(_tags_item(acct, "user", name, eu.tags, lu.tags))
            if lu.path != eu.path:  # users.tf.j2 writes path "/"; UpdateUser moves a user in place
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "changed",
                        "path",
                        f"path is {lu.path}, the catalog says {eu.path}: the next apply moves the user",
                        eu.path,
                        lu.path,
                    )
                )
            missing_groups = sorted(set(eu.groups) - set(lu.groups))
            extra_groups = sorted(set(lu.groups) - set(eu.groups))
            if missing_groups:
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "changed",
                        "groups",
                        f"not in group {', '.join(missing_groups)}",
                        list(eu.groups),
                        list(lu.groups),
                    )
                )
            if extra_groups:
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "unmanaged",
                        "groups",
                        f"also in group {', '.join(extra_groups)}",
                        list(eu.groups),
                        list(lu.groups),
                    )
                )
            for a in lu.attached:
                out.append(
                    DriftItem(
                        acct,
                        "attachment",
                        f"{name} -> {a.arn}",
                        "unmanaged",
                        "policies",
                        f"user {name} has {a.arn} attached directly",
                        None,
                        a.arn,
                    )
                )
            for pname in lu.inline:
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "unmanaged",
                        "inline",
                        f"user {name} has inline policy {pname}",
                        None,
                        lu.inline[pname],
                    )
                )
            if lu.boundary_arn:
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "unmanaged",
                        "boundary",
                        f"user {name} has permission boundary {lu.boundary_arn}",
                        None,
                        lu.boundary_arn,
                    )
                )
        for name, lu in live.users.items():
            if name not in exp.users:
                out.append(
                    DriftItem(
                        acct,
                        "user",
                        name,
                        "unmanaged",
                        None,
                        f"user {name} exists in AWS but not in users.yaml",
                        None,
                        lu.arn,
                    )
                )
        if exp.group:
            lg = live.groups.get(exp.group)
            if lg is None:
                out.append(
                    DriftItem(
                        acct, "group", exp.group, "missing", None, f"group {exp.group} does not exist in AWS"
                    )
                )
            else:
                live_att = {a.arn for a in lg.attached}
                for arn in sorted(live_att - set(exp.group_attached)):
                    out.append(
                        DriftItem(
                            acct,
                            "attachment",
                            f"{exp.group} -> {arn}",
                            "unmanaged",
                            "policies",
                            f"group {exp.group} has {arn} attached",
                            None,
                            arn,
                        )
                    )
                for arn in sorted(set(exp.group_attached) - live_att):
                    out.append(
                        DriftItem(
                            acct,
                            "attachment",
                            f"{exp.group} -> {arn}",
                            "missing",
                            "policies",
                            f"group {exp.group} lacks {arn}",
                            arn,
                            None,
                        )
                    )
                for pname in lg.inline:
                    out.append(
                        DriftItem(
                            acct,
                            "group",
                            exp.group,
                            "unmanaged",
                            "inline",
                            f"group {exp.group} has inline policy {pname}",
                            None,
                            lg.inline[pname],
                        )
                    )
        for gname in live.groups:
            if gname != exp.group:
                out.append(
                    DriftItem(
                        acct,
                        "group",
                        gname,
                        "unmanaged",
                        None,
                        f"group {gname} exists in AWS but is not rolecat's",
                        None,
                        live.groups[gname].arn,
                    )
                )
    return out


def password_policy_fields(p: PasswordPolicy | LivePasswordPolicy) -> dict[str, Any]:
    """A password policy by the attributes of ``aws_iam_account_password_policy``."""
    return {
        "minimum_password_length": p.minimum_length,
        "require_lowercase_characters": p.require_lowercase,
        "require_uppercase_characters": p.require_uppercase,
        "require_numbers": p.require_numbers,
        "require_symbols": p.require_symbols,
        "password_reuse_prevention": p.reuse_prevention,
        "allow_users_to_change_password": p.allow_users_to_change,
        "max_password_age": p.max_age_days,
        "hard_expiry": p.hard_expiry,
    }


def password_policy_drift(acct: str, expected: PasswordPolicy, live: LivePasswordPolicy) -> list[DriftItem]:
    """The identity account's live password policy against the one the catalog writes."""
    want, have = password_policy_fields(expected), password_policy_fields(live)
    return [
        DriftItem(
            acct,
            "password-policy",
            "account password policy",
            "changed",
            key,
            f"{key} is {_shown(have[key])}, the catalog says {_shown(want[key])}",
            want[key],
            have[key],
        )
        for key in want
        if want[key] != have[key]
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    return str(value).lower() if isinstance(value, bool) else str(value)


def hygiene(acct: str, live: AccountExport, now: dt.datetime, key_age_days: int) -> list[HygieneItem]:
    out: list[HygieneItem] = []
    if not live.credentials:
        return out
    limit = now - dt.timedelta(days=key_age_days)
    for name, row in sorted(live.credentials.items()):
        if row.password_enabled and not row.mfa_active:
            out.append(
                HygieneItem(
                    acct,
                    name,
                    "console-without-mfa",
                    f"{name} can sign in to the console without an MFA device",
                )
            )
        for n, (active, rotated, used) in enumerate(row.access_keys, start=1):
            if not active:
                continue
            if used is None:
                out.append(
                    HygieneItem(
                        acct,
                        name,
                        "access-key-never-used",
                        f"{name}'s access key {n} is active and has never been used",
                    )
                )
            if rotated is not None and rotated < limit:
                days = (now - rotated).days
                out.append(
                    HygieneItem(
                        acct,
                        name,
                        "access-key-old",
                        f"{name}'s access key {n} is {days} days old (limit {key_age_days})",
                    )
                )
    return out


def drift(
    catalog: Catalog, exports: Mapping[str, AccountExport], now: dt.datetime, *, key_age_days: int = 90
) -> tuple[list[DriftItem], list[HygieneItem]]:
    expected = expected_accounts(catalog)
    ignore = [catalog.terraform.deploy_role] if catalog.terraform.deploy_role else []
    items: list[DriftItem] = []
    hyg: list[HygieneItem] = []
    for acct, live in exports.items():
        items.extend(account_drift(catalog, expected[acct], live, ignore_roles=ignore))
        if live.password_policy is not None and catalog.account(acct).identity:
            items.extend(password_policy_drift(acct, catalog.password_policy, live.password_policy))
        hyg.extend(hygiene(acct, live, now, key_age_days))
    items.sort(key=lambda d: (d.account, d.kind, d.name, d.change, d.field or "", d.message))
    return items, hyg
