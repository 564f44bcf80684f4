"""The hot loop of ``rolecat usage``: ``AssumeRole`` records in, per member aggregates out.

A person assumes a role from the identity account, so one assumption can be logged twice:

* in the **identity account**'s CloudTrail, made by ``userIdentity.type: IAMUser`` with
  ``userName``;
* in the **target account** (the role's), made by ``userIdentity.type: AWSAccount`` with
  only the caller's account id and principal id: no user name.  There the member is the
  ``requestParameters.roleSessionName``, which every human role's trust policy pins to
  ``${aws:username}`` (``sts:RoleSessionName``), so it *is* the user name.

Both copies carry the same ``sharedEventID`` (each has its own ``eventID``), so an
assumption is counted once by ``sharedEventID``; a record without one is keyed by its
``requestID`` (the same STS request in both copies), else its ``eventID``.  Only aggregates are kept: per
(role, account, member) a count and the first and last time, plus one 64-bit hash per
``AssumeRole`` record of a catalog role for the dedup.

Records that are not a successful ``sts:AssumeRole`` of a catalog role are skipped:
failed calls (``errorCode``) are counted per member as ``failed``; assumptions by a
service (``AWSService``), by a role session (role chaining) or by a principal of another
account are counted per role under ``other``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolecat.report.words import counted
from rolecat.scopedown.reader import AssumeRoleKeeper, read_logs
from rolecat.scopedown.scan import FileProblem, utc_time

NEEDLES = (b'"AssumeRole"', b'\\"AssumeRole\\"')


@dataclass(frozen=True)
class RoleKey:
    role: str  # catalog role name
    account: str  # catalog account name


@dataclass(slots=True)
class Use:
    count: int
    first: str
    last: str


_Entry = tuple[RoleKey, dict[str, Use]]  # a role's key and its members' uses


@dataclass
class UsageScan:
    identity_account_id: str
    now: str | None
    files: int = 0
    files_parsed: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    records: int = 0  # parsed
    assume_role: int = 0  # sts:AssumeRole records of a catalog role (copies included)
    assume_role_any: int = 0  # sts:AssumeRole records of any role, the catalog's or not
    duplicates: int = 0  # the second copy of an assumption (same sharedEventID / eventID)
    after_now: int = 0
    bad_time: int = 0  # records of catalog roles whose time names no instant: left out
    uses: dict[tuple[RoleKey, str], Use] = field(default_factory=dict)  # (role, member) -> use
    via_session_name: int = 0  # assumptions attributed by the session name (target-account copy)
    failed: Counter[tuple[RoleKey, str]] = field(default_factory=Counter)
    other: Counter[tuple[RoleKey, str]] = field(default_factory=Counter)  # (role, who) -> count
    # recipientAccountId of every sts:AssumeRole record read, of any role (so logs of accounts
    # the catalog does not have show as such, not as logs without AssumeRole)
    accounts_seen: set[str] = field(default_factory=set)
    first_event: str | None = None  # of the AssumeRole records of catalog roles: the logs' span
    last_event: str | None = None

    @property
    def files_skipped(self) -> int:
        return sum(1 for p in self.problems if p.fatal)

    @property
    def files_without_assume_role(self) -> int:
        return self.files - self.files_parsed - self.files_skipped


# The IDs that key an assumption for the dedup, in order (the module docstring says why).
_ID_KEYS = ("sharedEventID", "requestID", "eventID")


class UsageScanner:
    """Feeds record lists through the AssumeRole filter, role lookup, dedup and attribution."""

    def __init__(
        self,
        roles: dict[str, RoleKey],
        identity_account_id: str,
        *,
        now: str | None = None,
    ) -> None:
        """``roles``: role ARN (path included) -> key, for every role and account of the catalog."""
        self.result = UsageScan(identity_account_id, now)
        self.identity = identity_account_id
        self.now = now
        # role ARN -> the role's key and its members' uses (so the hot loop never hashes a
        # RoleKey: a use is entered in ``result.uses`` once, then updated in place)
        entries: dict[RoleKey, _Entry] = {}
        for key in roles.values():
            entries.setdefault(key, (key, {}))
        self._by_arn: dict[Any, _Entry | None] = {arn: entries[key] for arn, key in roles.items()}
        self._by_name = {
            (arn.split(":")[4], arn.rsplit("/", 1)[-1].lower()): entries[key] for arn, key in roles.items()
        }
        self._seen: set[int] = set()

    def _lookup(self, arn: Any) -> _Entry | None:
        """An ARN not written exactly as the catalog's (no path, other case): by account and name."""
        entry = None
        if isinstance(arn, str) and arn.startswith("arn:") and ":role/" in arn:
            parts = arn.split(":")
            if len(parts) >= 6:
                entry = self._by_name.get((parts[4], arn.rsplit("/", 1)[-1].lower()))
        if len(self._by_arn) < 100_000:
            self._by_arn[arn] = entry
        return entry

    def scan_files(self, paths: Iterable[Path], progress: Callable[[Path, int], None] | None = None) -> None:
        res = self.result
        for path, stats, records, problem in read_logs(paths, NEEDLES, AssumeRoleKeeper()):
            res.files += 1
            if records is None:
                res.problems.append(FileProblem(str(path), problem or "", fatal=True))
            else:
                self.feed(records)
                if stats.bad_lines:
                    res.problems.append(
                        FileProblem(
                            str(path), f"{counted(stats.bad_lines, 'unreadable line')} skipped", fatal=False
                        )
                    )
            if records is not None:  # a file skipped whole counts as skipped, not also as parsed
                res.files_parsed += stats.parsed
            res.records += stats.records
            if progress is not None:
                progress(path, stats.records)

    def feed(self, records: list[Any]) -> None:
        res = self.result
        by_arn = self._by_arn
        seen = self._seen
        now = self.now
        identity = self.identity
        uses = res.uses
        accounts_seen = res.accounts_seen
        assume_role = any_role = duplicates = after_now = via_session = bad_time = 0
        first_event, last_event = res.first_event, res.last_event
        for rec in records:
            try:  # most records are other calls: one subscript and out
                if rec["eventName"] != "AssumeRole" or rec["eventSource"] != "sts.amazonaws.com":
                    continue
                any_role += 1
                recipient = rec.get("recipientAccountId")
                if type(recipient) is str:
                    accounts_seen.add(recipient)
                params = rec["requestParameters"]
                arn = params["roleArn"]
            except (KeyError, TypeError, IndexError):
                continue
            try:
                entry = by_arn[arn]
            except (KeyError, TypeError):
                entry = self._lookup(arn)
            if entry is None:
                continue
            get = rec.get
            when = get("eventTime") or get("@timestamp")
            if type(when) is not str:
                continue
            # Compared as strings, so only YYYY-MM-DDTHH:MM:SSZ in 0-9 (scopedown's reading): as it
            # was written, another script's digit sorted after every ASCII one ('2026-0٩-15' is
            # past the cutoff 2026-09-02), and an offset (-02:00) was cut off, not applied.
            when = utc_time(when)
            if when is None:
                bad_time += 1
                continue
            if now is not None and when >= now:
                after_now += 1
                continue
            assume_role += 1
            if first_event is None or when < first_event:
                first_event = when
            if last_event is None or when > last_event:
                last_event = when
            eid = get("sharedEventID") or get("requestID") or get("eventID")
            if eid is not None and type(eid) is not str:  # a damaged record: a list would not hash
                eid = next((i for k in _ID_KEYS if type(i := get(k)) is str and i), None)
            if eid is not None:
                h = hash(eid)
                if h in seen:
                    duplicates += 1
                    continue
                seen.add(h)
            ui = get("userIdentity")
            if type(ui) is not dict:
                continue
            member: Any = None
            if ui.get("accountId") == identity:
                kind = ui.get("type")
                if kind == "IAMUser":
                    member = ui.get("userName")
                elif kind == "AWSAccount":  # the target account's copy: the trust pins the session name
                    member = params.get("roleSessionName")
                    via_session += 1
            key, members = entry
            if type(member) is not str or not member:
                res.other[(key, _who(ui, rec))] += 1
                continue
            if get("errorCode"):
                res.failed[(key, member)] += 1
                continue
            use = members.get(member)
            if use is None:
                members[member] = uses[(key, member)] = Use(1, when, when)
            else:
                use.count += 1
                if when < use.first:
                    use.first = when
                elif when > use.last:
                    use.last = when
        res.first_event, res.last_event = first_event, last_event
        res.assume_role += assume_role
        res.assume_role_any += any_role
        res.duplicates += duplicates
        res.after_now += after_now
        res.bad_time += bad_time
        res.via_session_name += via_session


def _who(ui: dict[str, Any], rec: dict[str, Any]) -> str:
    kind = str(ui.get("type") or "unknown")
    if kind == "AWSService":
        return f"service {ui.get('invokedBy') or rec.get('sourceIPAddress') or '?'}"
    if kind == "AssumedRole":
        ctx = ui.get("sessionContext")
        issuer = ctx.get("sessionIssuer") if isinstance(ctx, dict) else None
        arn = issuer.get("arn") if isinstance(issuer, dict) else None
        return f"role session of {arn or ui.get('arn') or '?'}"
    who = ui.get("arn") or ui.get("principalId") or "?"
    return f"{kind} {who} of account {ui.get('accountId') or '?'}"
