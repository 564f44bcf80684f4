"""``~/.aws/config`` profiles for one user: every role they may assume right now.

One ``[profile <account>-<role>]`` per (human role, account) where the user is a member
or an active temporary member.  Each profile assumes the role from the user's long-term
IAM user credentials (``source_profile``) with MFA, so the session is not a chained
one and may last up to the role's ``max_session_duration``.

The trust policy requires ``sts:RoleSessionName`` to equal ``${aws:username}``, hence
``role_session_name = <user>``.  A role with ``source_identity: true`` also requires a
source identity equal to the user name, which the AWS CLI cannot send from a profile:
its profile carries aws-vault's ``source_identity`` key (the AWS CLI ignores unknown
keys) and a comment saying what works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rolecat.report.escape import printable

from ..deploy.arns import mfa_arn
from ..diagnostics import did_you_mean
from .clock import iso_z

if TYPE_CHECKING:
    from ..model import Account, Catalog, Role

MIN_DURATION = 900  # AssumeRole's DurationSeconds floor


class UnknownUserError(LookupError):
    def __init__(self, user: str, suggestion: str | None) -> None:
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"unknown user {user!r}: not in users.yaml{hint}")
        self.user = user
        self.suggestion = suggestion


@dataclass(frozen=True)
class Profile:
    name: str
    account: str
    role: str
    role_arn: str
    source_profile: str
    mfa_serial: str
    role_session_name: str
    duration_seconds: int
    region: str
    temporary_until: dt.datetime | None  # set when access comes from a temporary membership
    temporary_reason: str | None
    source_identity: bool
    session_tags: bool


def default_source_profile(catalog: Catalog) -> str:
    return f"{catalog.organization}-identity"


def profile_name(account: str, role: str) -> str:
    """The AWS CLI profile of a role in an account (``rolecat profiles``)."""
    return f"{account}-{role}"


def mfa_serial(catalog: Catalog, user: str) -> str:
    """The user's MFA device: named after the user, or as ``mfa_device`` says (a renamed
    user keeps the device enrolled under the former name)."""
    device = next((u.mfa_device for u in catalog.users if u.name == user), user)
    return mfa_arn(catalog.identity_account.id, device, catalog.identity_account.partition)


def _grant(role: Role, user: str, now: dt.datetime) -> tuple[bool, dt.datetime | None, str | None]:
    """(may assume, until if only temporarily, reason)."""
    if user in role.members:
        return True, None, None
    active = [m for m in role.temporary_members if m.user == user and m.is_active(now)]
    if not active:
        return False, None, None
    latest = max(active, key=lambda m: m.until)
    return True, latest.until, latest.reason


def profiles_for(
    catalog: Catalog,
    user: str,
    now: dt.datetime,
    *,
    source_profile: str | None = None,
    max_duration: int | None = None,
) -> list[Profile]:
    """The user's profiles, sorted by profile name.  Raises UnknownUserError."""
    names = [u.name for u in catalog.users]
    if user not in names:
        raise UnknownUserError(user, did_you_mean(user, names))
    source = source_profile or default_source_profile(catalog)
    serial = mfa_serial(catalog, user)
    found: list[Profile] = []
    for role in catalog.roles:
        if not role.is_human:
            continue
        allowed, until, reason = _grant(role, user, now)
        if not allowed:
            continue
        duration = role.max_session_duration
        if max_duration is not None:
            duration = max(MIN_DURATION, min(duration, max_duration))
        for account_name in role.accounts:
            account: Account = catalog.account(account_name)
            found.append(
                Profile(
                    name=profile_name(account.name, role.name),
                    account=account.name,
                    role=role.name,
                    role_arn=role.arn(account),
                    source_profile=source,
                    mfa_serial=serial,
                    role_session_name=user,
                    duration_seconds=duration,
                    region=account.region,
                    temporary_until=until,
                    temporary_reason=reason,
                    source_identity=role.source_identity,
                    session_tags=role.session_tags,
                )
            )
    return sorted(found, key=lambda p: p.name)


def _source_identity_comment(profile: Profile) -> list[str]:
    return [
        f"; {profile.role} requires a source identity equal to your user name (source_identity: true).",
        "; The AWS CLI cannot send a source identity from a profile, so `aws --profile` is refused here.",
        f"; aws-vault reads the source_identity key below: aws-vault exec {profile.name} -- aws ...",
        "; granted has no source-identity setting: point a profile's credential_process at",
        f";   aws-vault export --format=json {profile.name}   (see rolecat docs/workflow.md).",
    ]


def render(catalog: Catalog, user: str, profiles: list[Profile], now: dt.datetime, command: str) -> str:
    """An ``~/.aws/config`` fragment (INI; ``;`` comments are what botocore and aws-vault accept).

    ``now`` chose the profiles; it is not printed, so the same access gives the same text
    (``--write`` then leaves the config file alone)."""
    del now
    source = profiles[0].source_profile if profiles else default_source_profile(catalog)
    lines = [
        f"; AWS CLI profiles for {user}, generated by `{command}`",
        "; for the roles the catalog lets you assume. Temporary access ends on its own; run this again then.",
        f"; Source profile {source}: your IAM user's access keys in the identity account",
        f"; {catalog.identity_account.name} ({catalog.identity_account.id}),"
        f" e.g. `aws configure --profile {source}` or `aws-vault add {source}`.",
        f"; Your MFA device: {mfa_serial(catalog, user)}",
    ]
    if not profiles:
        lines.append(f"; {user} may assume no role right now.")
    for p in profiles:
        lines.append("")
        if p.temporary_until is not None:
            reason = f" ({p.temporary_reason})" if p.temporary_reason else ""
            lines.append(f"; temporary access until {iso_z(p.temporary_until)}{reason}")
        if p.source_identity:
            lines.extend(_source_identity_comment(p))
        if p.session_tags:
            lines.append(
                "; session tags allowed (session_tags: true): aws-vault's session_tags key sets them."
            )
        lines.append(f"[profile {p.name}]")
        lines.append(f"role_arn = {p.role_arn}")
        lines.append(f"source_profile = {p.source_profile}")
        lines.append(f"mfa_serial = {p.mfa_serial}")
        lines.append(f"role_session_name = {p.role_session_name}")
        lines.append(f"duration_seconds = {p.duration_seconds}")
        lines.append(f"region = {p.region}")
        if p.source_identity:
            lines.append(f"source_identity = {p.role_session_name}")
    # One INI line per entry: no catalog value may open a section or add a key.
    return "\n".join(printable(line) for line in lines) + "\n"
