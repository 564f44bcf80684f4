"""Time-boxed escalations: list them, and check them against the clock.

A temporary member is a ``temporary_members`` entry of a role file.  The trust policy
refuses new sessions from ``until`` on through ``aws:CurrentTime``, so an expired entry
is harmless but stale: it stays in the catalog (and in the Terraform) until someone
removes it.  ``check_escalations`` turns that, and escalations that run longer than
``defaults.max_escalation_days``, into diagnostics; the pipeline calls it during
validation.  Codes (table in docs/workflow.md):

- E101 warning: the escalation has expired; remove the entry.
- E102 error: the escalation ends further from now than ``defaults.max_escalation_days``.
- E103 warning: a role's ``revoke_sessions`` deny has done its work (every session issued
  before it has expired, ``issued_before + max_session_duration <= now``); remove it.

(A temporary member who is also a permanent member is the model stage's C022.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rolecat.report.escape import printable

from ..diagnostics import Diagnostic, error, warning
from .clock import iso_z

if TYPE_CHECKING:
    from ..model import Catalog

Status = Literal["active", "expired"]

DAY = dt.timedelta(days=1)

# (code, severity, summary) of every diagnostic check_escalations emits, for reports
# (SARIF rule metadata) and docs/workflow.md's table.
CODES: tuple[tuple[str, str, str], ...] = (
    ("E101", "warning", "temporary membership has expired; remove the entry"),
    ("E102", "error", "temporary membership ends further from now than defaults.max_escalation_days"),
    ("E103", "warning", "revoke_sessions has done its work: every session it denies has expired; remove it"),
)


@dataclass(frozen=True)
class Escalation:
    """One temporary member of one role, evaluated at a given instant."""

    user: str
    role: str
    accounts: tuple[str, ...]
    until: dt.datetime
    reason: str | None
    status: Status
    days_left: int  # whole days from now to until, rounded down (negative once expired)
    source: str  # the role file
    # the role's teams (role teams:, users.yaml team:) the person is also a standing member
    # through (``Role.teams_of``): such a time box grants nothing the team does not
    teams: tuple[str, ...] = ()

    def sort_key(self) -> tuple[dt.datetime, str, str, tuple[str, ...], str]:
        return (self.until, self.role, self.user, self.accounts, self.source)

    def to_dict(self) -> dict[str, object]:
        return {
            "user": self.user,
            "teams": list(self.teams),
            "role": self.role,
            "accounts": list(self.accounts),
            "until": iso_z(self.until),
            "reason": self.reason,
            "status": self.status,
            "days_left": self.days_left,
        }


def days_left(until: dt.datetime, now: dt.datetime) -> int:
    """Whole days from ``now`` to ``until``, rounded down (floor, so -0.5 days is -1)."""
    return (until - now) // DAY


def escalations(catalog: Catalog, now: dt.datetime) -> list[Escalation]:
    """Every temporary member in the catalog, sorted by until, then role, then user."""
    found: list[Escalation] = []
    for role in catalog.roles:
        for member in role.temporary_members:
            found.append(
                Escalation(
                    user=member.user,
                    role=role.name,
                    accounts=tuple(role.accounts),
                    until=member.until,
                    reason=member.reason,
                    status="active" if member.is_active(now) else "expired",
                    days_left=days_left(member.until, now),
                    source=role.source,
                    teams=role.teams_of(member.user),
                )
            )
    return sorted(found, key=Escalation.sort_key)


def ending_within(items: Iterable[Escalation], days: int, now: dt.datetime) -> list[Escalation]:
    """Active escalations that end at most ``days`` days after ``now``."""
    limit = now + dt.timedelta(days=days)
    return [e for e in items if e.status == "active" and e.until <= limit]


def to_json(items: Sequence[Escalation]) -> str:
    return json.dumps([e.to_dict() for e in items], indent=2, ensure_ascii=False) + "\n"


def to_text(items: Sequence[Escalation], empty: str = "no temporary members") -> str:
    """An aligned table, one escalation a line; the sentence ``empty`` when there is none.

    A person who is also a standing member through one of the role's teams is shown as
    ``alice (team platform)``, as ``explain`` and the access diff show team members."""
    if not items:
        return f"{empty}\n"
    header = ("UNTIL", "DAYS LEFT", "STATUS", "ROLE", "USER", "ACCOUNTS", "REASON")
    rows = [header] + [
        (
            iso_z(e.until),
            str(e.days_left),
            e.status,
            e.role,
            e.user + (f" (team {', '.join(e.teams)})" if e.teams else ""),
            ",".join(e.accounts),
            e.reason or "-",
        )
        for e in items
    ]
    rows = [(*(printable(cell) for cell in row),) for row in rows]  # type: ignore[misc]  # one line each
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- checks


def check_escalations(catalog: Catalog, now: dt.datetime) -> list[Diagnostic]:
    """E101 expired (warning), E102 longer than max_escalation_days (error), E103 stale revocation."""
    diags: list[Diagnostic] = []
    max_days = catalog.defaults.max_escalation_days
    for role in catalog.roles:
        revoke = role.revoke_sessions
        if revoke is not None:
            harmless = revoke.issued_before + dt.timedelta(seconds=role.max_session_duration)
            if now >= harmless:
                diags.append(
                    warning(
                        "E103",
                        f"revoke_sessions of {role.name} denies sessions issued before "
                        f"{revoke.issued_before_iso}; the last of them expired by {iso_z(harmless)} "
                        f"(max_session_duration {role.max_session_duration} s)",
                        catalog.locate(role.source, ("revoke_sessions",), key=True),
                        "the deny is harmless now; remove revoke_sessions from the role file",
                    )
                )
        for member in role.temporary_members:
            until = iso_z(member.until)
            reason = f" ({member.reason})" if member.reason else ""
            if not member.is_active(now):
                diags.append(
                    warning(
                        "E101",
                        f"temporary membership of {member.user!r} in {role.name} expired at {until}{reason}",
                        catalog.locate(role.source, ("temporary_members", member.index, "until")),
                        "AWS already refuses new sessions through aws:CurrentTime; "
                        "remove the entry to keep the catalog honest",
                    )
                )
            elif max_days is not None and member.until - now > dt.timedelta(days=max_days):
                diags.append(
                    error(
                        "E102",
                        f"temporary membership of {member.user!r} in {role.name} ends at {until}, "
                        f"{days_left(member.until, now)} days from now: longer than "
                        f"defaults.max_escalation_days ({max_days})",
                        catalog.locate(role.source, ("temporary_members", member.index, "until")),
                        "shorten the escalation, or add the user to members if the access is permanent",
                    )
                )
    return diags
