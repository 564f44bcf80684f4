"""``rolecat usage`` as text (people) and Markdown (an issue or pull-request body).

User names come from the catalog, but principals, session names of non-members and
service names come from logs and reports: everything is escaped for Markdown through
``rolecat.scopedown.summary``'s ``md``/``code``, and printed on one line in text.
"""

from __future__ import annotations

from rolecat.report.words import counted
from rolecat.scopedown.summary import code, md

from .report import UsageReport

_STATUS = {"used": "used", "candidate": "REMOVAL CANDIDATE", "no-logs": "no logs"}


def _one_line(text: object) -> str:
    return " ".join(str(text).split()).encode("ascii", "backslashreplace").decode()


def _escalation(m: object) -> str:
    """Whether a temporary member used the escalation: unknown without logs of the role."""
    if getattr(m, "status", None) == "no-logs":
        return "escalation use unknown (no logs)"
    count = getattr(m, "count", 0)
    return "escalation used" if count else "escalation NEVER used"


def render_text(report: UsageReport) -> str:
    lines = [f"now {report.now}; removal candidates: not assumed since {report.cutoff} ({report.days} days)"]
    sc = report.scan
    if sc is not None:
        lines.append(
            f"read {counted(sc.files, 'file')}: {sc.files_parsed:,} parsed, {sc.files_without_assume_role:,} without "
            f"AssumeRole (not parsed), {sc.files_skipped:,} unreadable"
        )
        lines.append(
            f"records: {sc.records:,} parsed, {sc.assume_role:,} AssumeRole of catalog roles, "
            f"{sc.duplicates:,} seen in two accounts (counted once), {sc.via_session_name:,} attributed by "
            "session name"
        )
        if sc.first_event or sc.last_event:
            lines.append(f"AssumeRole events: {sc.first_event or '-'} .. {sc.last_event or '-'}")
        elif sc.assume_role_any:
            left = sc.after_now + sc.bad_time
            which = f" counted ({left:,} left out, see the notes)" if left else ""
            seen = ", ".join(sorted(sc.accounts_seen)) or "none named"
            ours = ", ".join(f"{i} {n}" for i, n in report.catalog_accounts.items())
            lines.append(
                f"AssumeRole events: {sc.assume_role_any:,} in these logs, none of a catalog role{which} "
                f"(accounts seen: {_one_line(seen)}; the catalog's: {ours})"
            )
        else:
            lines.append("AssumeRole events: none in these logs")
    for role in report.roles:
        lines += ["", f"{role.role} ({', '.join(role.accounts)}):"]
        width = max((len(m.user) for m in role.members), default=0)
        for m in role.members:
            last = m.last or "never"
            extra = ""
            if m.temporary:
                extra = f"  temporary until {m.until}, {_escalation(m)}"
            if m.failed:
                extra += f"  {counted(m.failed, 'failed attempt')}"
            lines.append(
                f"  {_one_line(m.user):<{width}}  {_STATUS[m.status]:<17}  last {last}  x{m.count:,}{extra}"
            )
        for row in role.not_members:
            lines.append(
                f"  not a member: {_one_line(row['user'])} assumed it {counted(row['assumptions'], 'time')}, "
                f"last {row['last_assumed']}"
            )
        for row in role.other:
            lines.append(
                f"  other: {_one_line(row['principal'])} in {row['account']}: {row['assumptions']:,}"
            )
    for adv in report.advisor:
        lines += ["", f"Access Advisor: {adv.role} in {adv.account} ({_one_line(adv.path)}):"]
        for s in adv.services:
            state = "UNUSED, remove" if s.unused else "used"
            lines.append(
                f"  {_one_line(s.namespace):<24} {state:<15} last {s.last or 'never'}"
                + (f"  ({counted(len(s.granted), 'granted action')})" if s.granted else "")
            )
        lines += [f"  note: {_one_line(n)}" for n in adv.notes]
    if report.notes:
        lines += ["", "notes:"] + [f"  - {_one_line(n)}" for n in report.notes]
    lines.append("")
    lines.append(f"{counted(report.candidates, 'removal candidate')}")
    return "\n".join(lines) + "\n"


def render_markdown(report: UsageReport) -> str:
    out = [
        "## Unused access",
        "",
        f"Members who did not assume a role since {md(report.cutoff)} ({report.days} days before "
        f"{md(report.now)}) are candidates for removal. This is a report: remove them from the role "
        "files in a pull request if they no longer need the access.",
    ]
    sc = report.scan
    if sc is not None:
        out += [
            "",
            f"Logs: {counted(sc.files, 'file')}, {counted(sc.records, 'record')}, {sc.assume_role:,} AssumeRole of "
            f"catalog roles ({sc.duplicates:,} logged in two accounts, counted once).",
        ]
    candidates = [(r, m) for r in report.roles for m in r.candidates]
    out += ["", f"### Removal candidates ({len(candidates)})", ""]
    if candidates:
        out += ["| Role | Member | Last assumed | Temporary |", "|---|---|---|---|"]
        for r, m in candidates:
            temp = f"until {md(m.until or '')}, {_escalation(m)}" if m.temporary else ""
            out.append(f"| {code(r.role)} | {code(m.user)} | {md(m.last or 'never')} | {temp} |")
    else:
        out.append("None.")
    if report.roles:
        out += ["", "### All members", "", "| Role | Member | Status | Last assumed | Assumptions |"]
        out.append("|---|---|---|---|---:|")
        for r in report.roles:
            for m in r.members:
                status = _STATUS[m.status] + (f"; temporary, {_escalation(m)}" if m.temporary else "")
                out.append(
                    f"| {code(r.role)} | {code(m.user)} | {md(status)} | {md(m.last or 'never')} | {m.count:,} |"
                )
    strangers = [(r, row) for r in report.roles for row in r.not_members]
    if strangers:
        out += ["", "### Assumed by people who are not members", ""]
        for r, row in strangers:
            out.append(
                f"- {code(r.role)}: {code(row['user'])}, {counted(row['assumptions'], 'time')}, last "
                f"{md(row['last_assumed'])}"
            )
    for adv in report.advisor:
        out += ["", f"### Access Advisor: {code(adv.role)} in {code(adv.account)}", ""]
        unused = adv.unused
        if unused:
            out.append(f"Services not used since {md(report.cutoff)}, suggested for removal:")
            out.append("")
            for s in unused:
                out.append(
                    f"- {code(s.namespace)} ({md(s.name)}): last {md(s.last or 'never')}, "
                    f"{counted(len(s.granted), 'granted action')}"
                )
        else:
            out.append("Every service was used.")
        out += [f"- note: {md(n)}" for n in adv.notes]
    if report.notes:
        out += ["", "### Notes", ""] + [f"- {md(n)}" for n in report.notes]
    return "\n".join(out) + "\n"
