"""Access requests as edits of the catalog: request, grant, revoke, offboard, user add.

Each operation reads the loaded ``Catalog`` (to find files, users and what is already
granted) and returns a ``Plan``: the edited text of every file it changes, a sentence
per effect, and the who/what/until/why of a commit message.  Nothing here writes; the
command validates the edited catalog with the whole pipeline, then writes atomically
(``edits.py``).  The edits themselves are ``yamledit`` splices, so the files keep the
form their authors gave them.

An operation that finds the access already in place returns a plan without changes
(``Plan.changed`` is False): running the same request twice changes nothing the second
time.  Mistakes a person can fix (an unknown user or role, a duration beyond the
catalog's maximum) raise ``AccessError`` with a did-you-mean where one helps; a name
on the command line that the catalog lacks is a usage error (exit 2), as in every command.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import did_you_mean
from ..model import Catalog, Role, TemporaryMember
from ..model.catalog import account_hint
from ..model.timeutil import MAX_YEAR
from .clock import iso_z
from .codeowners import catalog_relative
from .yamledit import Document, EditError

HOUR = dt.timedelta(hours=1)
# Each unit at most once, largest first: 1d12h, not 12h1d or 1d1d.  Digits 0-9, as --until's
# (re.ASCII: Python's \d and int() also take other scripts' digits, ৪ is a Bengali 4).
_DURATION = re.compile(r"(?=\d)(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?", re.ASCII)
MAX_DURATION = dt.timedelta(days=36_500)  # a century: longer is a typo, and past what a date can hold
_DURATION_PART = re.compile(r"(\d+)([wdhm])", re.ASCII)
_UNITS = {"w": dt.timedelta(weeks=1), "d": dt.timedelta(days=1), "h": HOUR, "m": dt.timedelta(minutes=1)}
REASON_MAX = 256  # the role schema's maxLength of temporary_members[].reason


class AccessError(Exception):
    """A request that cannot be carried out as asked (exit 1), or a flag value that is not
    one (``usage``: exit 2); the message says why."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass
class Plan:
    """What an operation would change, file by file, and what to say about it."""

    verb: str
    catalog_dir: Path
    documents: dict[Path, Document] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)  # one sentence per effect, or why nothing changes
    who: str = ""
    what: str = ""
    until: str | None = None
    why: str | None = None
    why_kept: bool = False  # the edit writes ``why`` into a file (a temporary membership, revoked sessions)
    subject: str = ""

    def document(self, path: Path) -> Document:
        if path not in self.documents:
            if path.is_symlink():
                raise EditError(f"{path} is a symbolic link; edit the file it points to by hand")
            with path.open(encoding="utf-8", newline="") as handle:  # keep CRLF as written
                text = handle.read()
            self.documents[path] = Document(text, str(path))
        return self.documents[path]

    @property
    def edits(self) -> dict[Path, tuple[str, str]]:
        """path -> (before, after), only the files whose text changes."""
        return {
            p: (d.original, d.result) for p, d in sorted(self.documents.items()) if d.result != d.original
        }

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def commit_message(self) -> str:
        lines = [self.subject, "", f"Who: {self.who}", f"What: {self.what}"]
        lines.append(f"Until: {self.until or 'permanent'}")
        lines.append(f"Why: {self.why or '(no reason given)'}")
        lines.append("")
        lines.append("Edited by `rolecat " + self.verb + "`: " + ", ".join(str(p) for p in self.edits))
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- time


def parse_duration(text: str) -> dt.timedelta:
    """``4h``, ``3d``, ``1w``, ``90m`` or combinations such as ``1d12h``."""
    if not _DURATION.fullmatch(text.strip()):
        raise AccessError(
            f"--for {text!r} is not a duration: numbers with units w, d, h, m, each once and largest "
            "first, e.g. 4h, 3d, 1w or 1d12h",
            usage=True,
        )
    try:
        total = sum((int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text)), dt.timedelta())
    except OverflowError:
        total = MAX_DURATION + HOUR
    if total <= dt.timedelta(0):
        raise AccessError(f"--for {text!r} is no time at all", usage=True)
    if total > MAX_DURATION:
        raise AccessError(f"--for {text!r} is longer than a century", usage=True)
    return total


def until_text(moment: dt.datetime) -> str:
    """How an end is written into the catalog: a date at midnight UTC, else ISO 8601 with Z."""
    moment = moment.astimezone(dt.UTC)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return iso_z(moment)


def end_of(now: dt.datetime, duration: dt.timedelta, max_days: int | None) -> dt.datetime:
    """``now + duration`` rounded up to the next full hour (UTC).

    When the rounding would pass ``defaults.max_escalation_days``, the end is that limit
    rounded down to the minute instead; a duration longer than the limit is refused.
    """
    limit = now + dt.timedelta(days=max_days) if max_days is not None else None
    end = now + duration
    if limit is not None and end > limit:
        raise AccessError(
            f"{_human(duration)} is longer than the catalog allows: defaults.max_escalation_days is {max_days}"
        )
    rounded = end.replace(minute=0, second=0, microsecond=0)
    if rounded < end:
        rounded += HOUR
    if limit is not None and rounded > limit:
        rounded = limit.replace(second=0, microsecond=0)
    return _within_years("--for", rounded)


def check_until(now: dt.datetime, until: dt.datetime, max_days: int | None) -> dt.datetime:
    if until <= now:
        raise AccessError(f"--until {iso_z(until)} is not in the future (now is {iso_z(now)})", usage=True)
    if max_days is not None and until - now > dt.timedelta(days=max_days):
        raise AccessError(
            f"--until {iso_z(until)} is more than {max_days} days away: defaults.max_escalation_days is {max_days}"
        )
    return _within_years("--until", until.replace(microsecond=0))


def _within_years(flag: str, end: dt.datetime) -> dt.datetime:
    """``end``, which the role file gets in UTC, when the catalog can hold it: a catalog
    date's year is at most ``MAX_YEAR`` (spec, "Time"), so a later one is no end the flag
    can give (a usage error), not an edit to refuse once written."""
    if end.astimezone(dt.UTC).year > MAX_YEAR:
        raise AccessError(
            f"{flag} ends at {iso_z(end)}, after the year {MAX_YEAR}, the last a catalog date may have",
            usage=True,
        )
    return end


def _human(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} hours"


def check_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = reason.strip()
    if not reason:
        raise AccessError("--reason is empty: say why (a ticket, an incident)", usage=True)
    if not reason.isprintable():
        raise AccessError("--reason must be one line of printable text", usage=True)
    if len(reason) > REASON_MAX:
        raise AccessError(f"--reason is {len(reason)} characters; at most {REASON_MAX}", usage=True)
    return reason


# --------------------------------------------------------------------------- lookups


def find_user(catalog: Catalog, name: str, *, adding: bool = True) -> str:
    """``name`` from users.yaml; ``adding``: the command gives access (so a person not yet
    in users.yaml is added first)."""
    names = [u.name for u in catalog.users]
    if name in names:
        return name
    if any(u.name == name for u in catalog.released_users):
        raise AccessError(_released_user(catalog, name))
    _check_user_name(name)  # no `rolecat user add` hint for a name no IAM user can have
    guess = did_you_mean(name, names)
    if guess:
        hint = f"did you mean {guess!r}?"
    elif adding:
        hint = f"add the person first: rolecat user add {name}"
    else:
        hint = "there is no access of theirs to remove"
    raise AccessError(f"unknown user {name!r} (not in {catalog.users_file}); {hint}", usage=True)


def _released_user(catalog: Catalog, name: str) -> str:
    return (
        f"{name} is released (release: true in {catalog.users_file}): rolecat no longer manages this "
        "IAM user and it can be in no role; remove release: true to manage it again"
    )


def unread_role_files(catalog: Catalog, catalog_dir: Path) -> list[tuple[str, str]]:
    """(display path, text) of each role file under ``roles/`` that is not in the
    catalog as loaded: one with errors (validate lists them) that built no role.  An edit
    cannot see what such a file says, so commands that must find every mention of a
    person or a role read its text."""
    from ..load import files as cf

    roles_dir = catalog_dir / "roles"
    if not roles_dir.is_dir():
        return []
    loaded = {
        role_path(catalog, catalog_dir, r.source).resolve() for r in (*catalog.roles, *catalog.released_roles)
    }
    walker = cf.Walker(catalog_dir, str(catalog_dir))
    out = []
    for found in walker.roles(roles_dir):
        if found.path.resolve() in loaded:
            continue
        try:
            text = found.path.read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        out.append((found.display, _without_comments(text)))
    return out


def _without_comments(text: str) -> str:
    """``text`` without YAML comments (a `#` at a line's start or after a blank): a
    mention in a comment is no membership.  A `#` inside a quoted value may cut it short;
    that only misses a mention the model would have found had the file loaded."""
    return "\n".join(re.split(r"(?:^|(?<=\s))#", line, maxsplit=1)[0] for line in text.split("\n"))


def _names(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as a whole IAM name (not inside a longer one).  A
    comma ends a name here although IAM names may hold one: it separates the items of a
    flow list (``[bob, carol]``, ``{user: carol, until: ...}``), and a name taken for part
    of ``carol,x`` only refuses an edit that could have gone through."""
    return re.search(rf"(?<![A-Za-z0-9_+=.@-]){re.escape(name)}(?![A-Za-z0-9_+=.@-])", text) is not None


def _unread(catalog: Catalog, catalog_dir: Path | None, *needles: tuple[str, str]) -> None:
    """Refuse when a role file that did not load names one of ``needles``: (name, what it
    is, as printed), a role, a person or a team.  The files are read once."""
    if catalog_dir is None:
        return
    unread = unread_role_files(catalog, catalog_dir)
    for name, what in needles:
        files = [shown for shown, text in unread if _names(text, name)]
        if files:
            raise AccessError(
                f"{', '.join(files)} could not be read into the catalog (rolecat validate lists its errors) "
                f"and names {what}: fix it, then run this again"
            )


def find_role(catalog: Catalog, name: str, account: str | None, catalog_dir: Path | None = None) -> Role:
    if account is not None and account not in {a.name for a in catalog.accounts}:
        raise AccessError(
            f"unknown account {account!r}; {account_hint(account, catalog.accounts)}", usage=True
        )
    found = [r for r in catalog.roles if r.name == name and (account is None or account in r.accounts)]
    if not found:
        released = [r for r in catalog.released_roles if r.name == name]
        if released:
            raise AccessError(
                f"role {name!r} is released (release: true in {released[0].source}): rolecat no longer "
                "manages it, so its members are not rolecat's to change; remove release: true to manage it again"
            )
        _unread(catalog, catalog_dir, (name, f"role {name}"))  # the role's own file may be the one in error
        others = [r for r in catalog.roles if r.name == name]
        if others:
            where = ", ".join(a for r in others for a in r.accounts)
            raise AccessError(f"role {name!r} is not in account {account!r}; it is in: {where}", usage=True)
        guess = did_you_mean(name, sorted({r.name for r in catalog.roles if r.is_human}))
        raise AccessError(
            f"unknown role {name!r}" + (f"; did you mean {guess!r}?" if guess else ""), usage=True
        )
    if len(found) > 1:
        files = ", ".join(f"{r.source} ({','.join(r.accounts)})" for r in found)
        raise AccessError(f"several roles are named {name!r}: {files}; choose one with --account", usage=True)
    role = found[0]
    if not role.is_human:
        raise AccessError(f"{name} is a service role: AWS services assume it, people cannot be members")
    return role


def role_path(catalog: Catalog, catalog_dir: Path, source: str) -> Path:
    return catalog_dir / catalog_relative(catalog, source)


def _where(role: Role) -> str:
    return f"{role.name} ({', '.join(role.accounts)})"


def _temps(role: Role, user: str) -> list[TemporaryMember]:
    return [t for t in role.temporary_members if t.user == user]


_IAM_USER_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")


def _check_user_name(name: str) -> None:
    """A usage error for a name no IAM user (so no one in the catalog) can have."""
    if not _IAM_USER_NAME.fullmatch(name):
        raise AccessError(f"{name!r} is not an IAM user name (1 to 64 of A-Z a-z 0-9 _+=,.@-)", usage=True)


def _check_attribute(key: str, value: str) -> None:
    """A usage error for an ``--email``/``--team`` value users.yaml cannot hold: what
    users.schema.json accepts there, in Unicode NFC (C087).  Refused as the flag's value,
    not as an edit that would leave users.yaml invalid."""
    from ..load.hints import pattern_hint
    from ..load.schema import draft7_schema, schema

    def rule(of: dict[str, Any]) -> dict[str, Any]:
        field: dict[str, Any] = of["properties"]["users"]["additionalProperties"]["properties"][key]
        return field

    matched = rule(draft7_schema("users"))  # Python's spelling of the pattern: no newline at the end
    if not re.search(matched["pattern"], value):
        words, hint = pattern_hint(rule(schema("users"))["pattern"], value)
        raise AccessError(f"--{key} {value!r} is not valid: {words} ({hint})", usage=True)
    if len(value) > matched.get("maxLength", len(value)):
        raise AccessError(f"--{key} is {len(value)} characters; at most {matched['maxLength']}", usage=True)
    if not unicodedata.is_normalized("NFC", value):
        nfc = unicodedata.normalize("NFC", value)
        raise AccessError(
            f"--{key} {value!a} is not in Unicode NFC (Terraform would turn it into {nfc!a}): write it composed",
            usage=True,
        )


def _through(role: Role, user: str) -> str:
    """How ``user`` is a standing member of ``role`` besides being listed: `` through team
    x`` (users.yaml ``team:``), or nothing."""
    teams = role.teams_of(user)
    return f" through team {', '.join(teams)}" if teams else ""


def _remove_listed(doc: Document, role: Role, user: str, plan: Plan) -> None:
    """Take ``user`` out of the role's ``members:`` list, where it is listed."""
    listed = list(doc.data.get("members", ()))
    if user in listed:
        doc.remove_from_list(("members",), listed.index(user))
        plan.said.append(f"{user} is no longer a member of {_where(role)}")


# --------------------------------------------------------------------------- operations


def request(
    catalog: Catalog,
    catalog_dir: Path,
    role_name: str,
    account: str | None,
    user: str,
    until: dt.datetime,
    reason: str | None,
    now: dt.datetime,
) -> Plan:
    """A temporary membership of ``user`` in the role until ``until`` (exclusive)."""
    role = find_role(catalog, role_name, account, catalog_dir)
    user = find_user(catalog, user)
    end = until_text(until)
    plan = Plan("request", catalog_dir, who=user, until=iso_z(until), why=reason)
    plan.what = f"temporary membership of {_where(role)}"
    plan.subject = f"Request {role.name} for {user} until {iso_z(until)}"
    if user in role.members:
        plan.said.append(
            f"{user} is already a permanent member of {_where(role)}{_through(role, user)}: nothing to request"
        )
        return plan
    temps = _temps(role, user)
    active = [t for t in temps if t.is_active(now)]
    if active and max(t.until for t in active) >= until:
        best = max(active, key=lambda t: t.until)
        because = f" ({best.reason})" if best.reason else ""
        plan.said.append(
            f"{user} already has {_where(role)} until {iso_z(best.until)}{because}: nothing to change"
        )
        return plan
    doc = plan.document(role_path(catalog, catalog_dir, role.source))
    if temps:  # extend the (latest) existing entry rather than adding a second one
        entry = max(temps, key=lambda t: t.until)
        doc.set_scalar(("temporary_members", entry.index, "until"), end)
        if reason is not None:
            plan.why_kept = True
            if "reason" in doc.data["temporary_members"][entry.index]:
                doc.set_scalar(("temporary_members", entry.index, "reason"), reason)
            else:
                doc.add_key(("temporary_members", entry.index), "reason", reason)
        plan.said.append(f"{user}: {_where(role)} now until {iso_z(until)} (was {iso_z(entry.until)})")
    else:
        item: dict[str, str] = {"user": user, "until": end}
        if reason is not None:
            item["reason"] = reason
            plan.why_kept = True
        doc.add_to_list(("temporary_members",), item)
        plan.said.append(f"{user} may assume {_where(role)} until {iso_z(until)}")
    return plan


def grant(
    catalog: Catalog, catalog_dir: Path, role_name: str, account: str | None, user: str, reason: str | None
) -> Plan:
    """A permanent membership; it replaces a temporary one."""
    role = find_role(catalog, role_name, account, catalog_dir)
    user = find_user(catalog, user)
    plan = Plan("grant", catalog_dir, who=user, why=reason, what=f"permanent membership of {_where(role)}")
    plan.subject = f"Grant {role.name} to {user}"
    if user in role.members:
        plan.said.append(
            f"{user} is already a member of {_where(role)}{_through(role, user)}: nothing to change"
        )
        return plan
    doc = plan.document(role_path(catalog, catalog_dir, role.source))
    _remove_temporary(doc, role, user, plan)
    doc.add_to_list(("members",), user, before_key="temporary_members")
    plan.said.append(f"{user} is now a member of {_where(role)}")
    return plan


def _emptied(doc: Document, key: str) -> bool:
    """Whether taking the last item out of the list ``key`` removes the key: it does,
    unless comments are written above it, which then stay with it (``key: []``)."""
    return len(doc.data[key]) == 1 and not doc.has_comments_above((key,))


def _remove_temporary(doc: Document, role: Role, user: str, plan: Plan) -> bool:
    temps = _temps(role, user)
    for entry in sorted(temps, key=lambda t: t.index, reverse=True):
        if _emptied(doc, "temporary_members"):
            doc.remove_key((), "temporary_members")
        else:
            doc.remove_from_list(("temporary_members",), entry.index)
        plan.said.append(f"{user}: temporary membership of {_where(role)} until {iso_z(entry.until)} removed")
    return bool(temps)


def _revoke_sessions(doc: Document, role: Role, now: dt.datetime, reason: str, plan: Plan) -> None:
    """Deny sessions of the role issued before ``now`` (one record per role; a later one wins).
    A record that already denies sessions issued before a later instant is kept as it is:
    moving it back would let the sessions issued in between live again."""
    if role.revoke_sessions is not None and role.revoke_sessions.issued_before >= now:
        plan.said.append(
            f"{_where(role)}: sessions issued before {iso_z(role.revoke_sessions.issued_before)} are already "
            "denied (kept)"
        )
        return
    plan.why_kept = True
    stamp = iso_z(now)
    current = doc.data.get("revoke_sessions")
    if current is None:
        doc.add_key((), "revoke_sessions", {"issued_before": stamp, "reason": reason})
    else:
        doc.set_scalar(("revoke_sessions", "issued_before"), stamp)
        if "reason" in current:
            doc.set_scalar(("revoke_sessions", "reason"), reason)
        else:
            doc.add_key(("revoke_sessions",), "reason", reason)
    plan.said.append(
        f"{_where(role)}: sessions issued before {stamp} are denied (everyone's, not only this person's)"
    )


def revoke(
    catalog: Catalog,
    catalog_dir: Path,
    role_name: str,
    account: str | None,
    user: str,
    reason: str | None,
    now: dt.datetime,
    *,
    sessions: bool,
) -> Plan:
    """End ``user``'s membership of the role, permanent and temporary.

    A membership through one of the role's teams (users.yaml ``team:``) is not the role
    file's to end.  What the file holds of the person (a listing, a temporary entry, which
    validate calls redundant, C022) is still removed, and the plan says that the team's
    access remains and how to end it; only when the file holds nothing of theirs is the
    revoke refused.  ``sessions`` is refused then: denying everyone's older sessions of
    the role would not end the person's access."""
    role = find_role(catalog, role_name, account, catalog_dir)
    user = find_user(catalog, user, adding=False)
    plan = Plan("revoke", catalog_dir, who=user, why=reason, what=f"no more access to {_where(role)}")
    plan.subject = f"Revoke {role.name} from {user}"
    temps = _temps(role, user)
    if user not in role.members and not temps:
        plan.said.append(f"{user} has no access to {_where(role)}: nothing to revoke")
        return plan
    doc = plan.document(role_path(catalog, catalog_dir, role.source))
    teams = role.teams_of(user)
    if teams:  # the role file cannot end what users.yaml grants
        how = f"change {user}'s team in {catalog.users_file}, or take the team out of the role's teams"
        if user not in doc.data.get("members", ()) and not temps:
            raise AccessError(
                f"{user} has {_where(role)}{_through(role, user)} (users.yaml team:), which revoke cannot end: {how}"
            )
        if sessions:
            raise AccessError(
                f"{user} keeps {_where(role)}{_through(role, user)} (users.yaml team:), so --revoke-sessions "
                f"would end everyone's older sessions of the role while {user} can start new ones: first {how}; "
                f"or leave out --revoke-sessions to remove only what {role.source} holds of {user}"
            )
    live = user in role.members or any(t.is_active(now) for t in temps)
    _remove_listed(doc, role, user, plan)
    _remove_temporary(doc, role, user, plan)
    if teams:
        plan.said.append(
            f"{user} still has {_where(role)}{_through(role, user)} (users.yaml team:), which revoke cannot "
            f"end: {how}"
        )
        plan.what = f"{user}'s entries in {_where(role)} removed; access{_through(role, user)} remains"
    if sessions and live:
        _revoke_sessions(doc, role, now, reason or f"access of {user} revoked", plan)
        plan.what += ", live sessions revoked"
    return plan


def offboard(
    catalog: Catalog, catalog_dir: Path, user: str, reason: str | None, now: dt.datetime, *, sessions: bool
) -> Plan:
    """Remove a person from users.yaml and from every role, permanent and temporary."""
    plan = Plan("offboard", catalog_dir, who=user, why=reason, what="removed from users.yaml and every role")
    plan.subject = f"Offboard {user}"
    _check_user_name(user)
    if any(u.name == user for u in catalog.released_users):
        raise AccessError(
            f"{user} is released (release: true in {catalog.users_file}): rolecat no longer manages the "
            "IAM user, so offboard it in AWS by hand; once the release is applied, delete its entry"
        )
    known = any(u.name == user for u in catalog.users)
    # such a file could not be edited to take the person out, nor a team that leaves with them
    needles = [(user, f"user {user}")]
    team = next((u.attributes.get("team") for u in catalog.users if u.name == user), None)
    if team and not any(u.attributes.get("team") == team for u in catalog.users if u.name != user):
        needles.append((team, f"team {team}, whose last person {user} is"))
    _unread(catalog, catalog_dir, *needles)
    # released roles too: their files still name members, which validate checks against users.yaml
    roles = [r for r in (*catalog.roles, *catalog.released_roles) if user in r.members or _temps(r, user)]
    if not known and not roles:
        guess = did_you_mean(user, [u.name for u in catalog.users])
        if guess is not None:
            raise AccessError(f"unknown user {user!r}; did you mean {guess!r}?", usage=True)
        plan.said.append(f"{user} is not in the catalog: nothing to offboard")
        return plan
    for role in roles:
        doc = plan.document(role_path(catalog, catalog_dir, role.source))
        live = user in role.members or any(t.is_active(now) for t in _temps(role, user))
        _remove_listed(doc, role, user, plan)
        for team in role.teams_of(user):  # the membership ends with the user's entry in users.yaml
            if role.teams[team] == (user,):  # the team's last person: the team is gone with them
                teams = list(doc.data["teams"])
                if _emptied(doc, "teams"):
                    doc.remove_key((), "teams")
                else:
                    doc.remove_from_list(("teams",), teams.index(team))
                plan.said.append(
                    f"{_where(role)}: team {team} removed from its teams ({user} was its last person)"
                )
            else:
                plan.said.append(f"{user} is no longer a member of {_where(role)} through team {team}")
        _remove_temporary(doc, role, user, plan)
        if sessions and live and any(role is r for r in catalog.released_roles):
            plan.said.append(f"{_where(role)} is released: its sessions are not rolecat's to revoke")
        elif sessions and live:
            _revoke_sessions(doc, role, now, reason or f"{user} offboarded", plan)
    if known:
        doc = plan.document(role_path(catalog, catalog_dir, catalog.users_file))
        doc.remove_key(("users",), user)
        plan.said.append(
            f"{user} removed from {catalog.users_file} (the IAM user is deleted at the next apply)"
        )
    if sessions:
        plan.what += ", live sessions revoked"
    return plan


def user_add(
    catalog: Catalog, catalog_dir: Path, name: str, attributes: dict[str, str], reason: str | None
) -> Plan:
    """Add a person to users.yaml (sorted when the file is sorted, else last)."""
    plan = Plan("user add", catalog_dir, who=name, why=reason, what="new IAM user in the identity account")
    plan.subject = f"Add user {name}"
    _check_user_name(name)
    for key, value in attributes.items():
        _check_attribute(key, value)
    released = next((u for u in catalog.released_users if u.name.lower() == name.lower()), None)
    if released is not None:
        raise AccessError(_released_user(catalog, released.name))
    existing = next((u for u in catalog.users if u.name.lower() == name.lower()), None)
    if existing is not None:
        if existing.name != name:
            raise AccessError(f"{existing.name!r} already exists; IAM user names are case-insensitive")
        differs = {k: v for k, v in attributes.items() if existing.attributes.get(k) != v}
        if differs:
            now_is = ", ".join(f"{k}={existing.attributes.get(k)!r}" for k in differs)
            raise AccessError(f"{name} already exists with {now_is}; change {catalog.users_file} by hand")
        plan.said.append(f"{name} is already in {catalog.users_file}: nothing to change")
        return plan
    doc = plan.document(role_path(catalog, catalog_dir, catalog.users_file))
    users = doc.data.get("users")
    if not isinstance(users, dict):
        raise EditError(f"{catalog.users_file}: users is not a mapping")
    doc.add_key(("users",), name, dict(attributes), before_key="<sorted>")
    plan.said.append(f"{name} is now a user in {catalog.users_file}")
    return plan


def summary(plans: Iterable[Plan]) -> list[str]:
    return [line for p in plans for line in p.said]
