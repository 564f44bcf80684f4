"""Members against their assumptions: who used a role, who did not within N days.

Per role with members (or temporary members) and per member: the last assumption in any
account of the role, the count, and a status:

* ``used``: assumed within the last N days;
* ``candidate``: not assumed within N days (or never in the logs): a candidate for removal;
  the report suggests, a person decides in a pull request;
* ``no-logs``: the logs hold no ``AssumeRole`` record from the identity account nor from
  any account of the role, so nothing can be said.

A temporary member also shows whether the escalation was used at all (any assumption in
the logs, whatever the window).  People who assumed a role without being a member (former
members, usually) are listed per role as ``not_members``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rolecat.deploy.deployment import Deployment
from rolecat.model import Catalog, Role, TemporaryMember
from rolecat.report.words import counted

from .advisor import AdvisorReport
from .scan import RoleKey, UsageScan


@dataclass
class MemberUsage:
    user: str
    temporary: bool
    until: str | None
    reason: str | None
    count: int
    last: str | None
    accounts: dict[str, str]  # account -> last assumption there
    failed: int
    status: str  # used | candidate | no-logs

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "user": self.user,
            "temporary": self.temporary,
            "status": self.status,
            "assumptions": self.count,
            "last_assumed": self.last,
            "last_by_account": self.accounts,
            "failed_attempts": self.failed,
        }
        if self.temporary:
            out["until"] = self.until
            out["reason"] = self.reason
            out["escalation_used"] = self.count > 0
        return out


@dataclass
class RoleUsage:
    role: str
    source: str
    accounts: list[str]
    members: list[MemberUsage]
    not_members: list[dict[str, Any]]  # people who assumed it without being members
    other: list[dict[str, Any]]  # services, role sessions, other accounts

    @property
    def candidates(self) -> list[MemberUsage]:
        return [m for m in self.members if m.status == "candidate"]

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "accounts": self.accounts,
            "members": [m.to_json() for m in self.members],
            "candidates": [m.user for m in self.candidates],
            "not_members": self.not_members,
            "other_principals": self.other,
        }


@dataclass
class UsageReport:
    now: str
    days: int
    cutoff: str
    scan: UsageScan | None
    roles: list[RoleUsage]
    advisor: list[AdvisorReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    catalog_accounts: dict[str, str] = field(default_factory=dict)  # account id -> name

    @property
    def foreign_logs(self) -> bool:
        """The logs hold AssumeRole records, and none of an account of the catalog (another
        organisation's bucket, say): nothing can be said of its roles."""
        seen = self.scan.accounts_seen if self.scan is not None else set()
        return bool(seen) and not seen & self.catalog_accounts.keys()

    @property
    def candidates(self) -> int:
        return sum(len(r.candidates) for r in self.roles) + sum(len(a.unused) for a in self.advisor)

    def to_json(self) -> dict[str, Any]:
        sc = self.scan
        out: dict[str, Any] = {"now": self.now, "days": self.days, "cutoff": self.cutoff}
        if sc is not None:
            out["input"] = {
                "files": sc.files,
                "files_parsed": sc.files_parsed,
                "files_without_assume_role": sc.files_without_assume_role,
                "files_skipped": sc.files_skipped,
                "records": sc.records,
                "assume_role_records": sc.assume_role,
                "assume_role_records_any_role": sc.assume_role_any,
                "duplicates": sc.duplicates,
                "attributed_by_session_name": sc.via_session_name,
                "after_now": sc.after_now,
                "bad_time": sc.bad_time,
                "accounts_seen": sorted(sc.accounts_seen),
                "first_event": sc.first_event,
                "last_event": sc.last_event,
            }
            out["roles"] = [r.to_json() for r in self.roles]
        if self.advisor:
            out["access_advisor"] = [a.to_json() for a in self.advisor]
        out["notes"] = self.notes
        return out


def cutoff_of(now: str, days: int) -> str:
    end = dt.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ")
    return (end - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def role_arns(deployment: Deployment) -> dict[str, RoleKey]:
    """Every role's ARN in every account it is deployed in (path included)."""
    return {placed.arn: RoleKey(placed.name, placed.account.name) for placed in deployment.roles()}


def _member(
    role: Role,
    user: str,
    scan: UsageScan,
    cutoff: str,
    covered: bool,
    temporary: TemporaryMember | None = None,
    former: tuple[str, ...] = (),
) -> MemberUsage:
    """``user``'s use of ``role``, under the user's name and its ``former`` names (an IAM user
    renamed in place keeps assuming roles; the logs before the rename name it as it was)."""
    count = 0
    last: str | None = None
    accounts: dict[str, str] = {}
    failed = 0
    for account in role.accounts:
        key = RoleKey(role.name, account)
        for name in (user, *former):
            use = scan.uses.get((key, name))
            failed += scan.failed.get((key, name), 0)
            if use is None:
                continue
            count += use.count
            accounts[account] = max(accounts.get(account, use.last), use.last)
            if last is None or use.last > last:
                last = use.last
    if last is not None and last >= cutoff:
        status = "used"
    elif covered:
        status = "candidate"
    else:
        status = "no-logs"
    return MemberUsage(
        user=user,
        temporary=temporary is not None,
        until=temporary.until_iso if temporary is not None else None,
        reason=temporary.reason if temporary is not None else None,
        count=count,
        last=last,
        accounts=accounts,
        failed=failed,
        status=status,
    )


def build_report(
    catalog: Catalog, scan: UsageScan, *, now: str, days: int, only: str | None = None
) -> UsageReport:
    """Members' use of each role with members (``only``: of that role alone)."""
    cutoff = cutoff_of(now, days)
    identity = catalog.identity_account.id
    notes: list[str] = []
    if identity not in scan.accounts_seen:
        notes.append(
            f"no AssumeRole record of the identity account ({identity}) in the logs: only the target "
            "accounts' copies are counted (attributed by session name)"
        )
    if scan.first_event is not None and scan.first_event > cutoff:
        notes.append(
            f"the logs' first AssumeRole of a catalog role is at {scan.first_event}, after the cutoff "
            f"{cutoff}: candidates are judged on a shorter window than {days} days"
        )
    if scan.after_now:
        notes.append(
            f"{counted(scan.after_now, 'AssumeRole record')} of catalog roles at or after now ({now}) "
            f"{'is' if scan.after_now == 1 else 'are'} left out"
        )
    if scan.bad_time:
        notes.append(
            f"{counted(scan.bad_time, 'AssumeRole record')} of catalog roles "
            f"{'names' if scan.bad_time == 1 else 'name'} no instant (an eventTime that is not "
            "YYYY-MM-DDTHH:MM:SS with Z or an offset, in digits 0-9) and "
            f"{'is' if scan.bad_time == 1 else 'are'} left out"
        )
    now_dt = dt.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    former = {u.name: u.renamed_from for u in catalog.users}
    now_named = catalog.user_renames
    roles: list[RoleUsage] = []
    for role in catalog.roles:
        temporaries = [t for t in role.temporary_members if t.is_active(now_dt)]
        if (not role.members and not temporaries) or (only is not None and role.name != only):
            continue
        ids = {catalog.account(a).id for a in role.accounts}
        covered = identity in scan.accounts_seen or bool(ids & scan.accounts_seen)
        members = [_member(role, u, scan, cutoff, covered, None, former.get(u, ())) for u in role.members]
        members += [
            _member(role, t.user, scan, cutoff, covered, t, former.get(t.user, ())) for t in temporaries
        ]
        listed = {m.user for m in members}
        not_members: dict[str, dict[str, Any]] = {}
        for (key, user), use in scan.uses.items():
            if key.role != role.name or now_named.get(user, user) in listed:
                continue
            row = not_members.setdefault(user, {"user": user, "assumptions": 0, "last_assumed": use.last})
            row["assumptions"] += use.count
            row["last_assumed"] = max(row["last_assumed"], use.last)
        other = [
            {"principal": who, "account": key.account, "assumptions": n}
            for (key, who), n in sorted(scan.other.items(), key=lambda kv: (kv[0][0].account, kv[0][1]))
            if key.role == role.name
        ]
        if not covered:
            notes.append(
                f"{role.name}: no AssumeRole record from the identity account nor from its accounts "
                f"({', '.join(role.accounts)}): its members are reported as no-logs, not as candidates"
            )
        roles.append(
            RoleUsage(
                role=role.name,
                source=role.source,
                accounts=list(role.accounts),
                members=sorted(members, key=lambda m: (m.temporary, m.user)),
                not_members=sorted(not_members.values(), key=lambda r: r["user"]),
                other=other,
            )
        )
    return UsageReport(
        now=now,
        days=days,
        cutoff=cutoff,
        scan=scan,
        roles=roles,
        notes=notes,
        catalog_accounts={a.id: a.name for a in sorted(catalog.accounts, key=lambda a: a.id)},
    )
