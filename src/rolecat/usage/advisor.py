"""IAM Access Advisor reports: services a role may use but has not used in N days.

Input: the JSON that ``aws iam get-service-last-accessed-details --job-id ...`` prints
after ``aws iam generate-service-last-accessed-details --arn <role ARN>``.  It does not
name the role, so each file is paired with its role on the command line
(``--access-advisor ROLE[@ACCOUNT]=FILE``).  Each entry of ``ServicesLastAccessed`` is a
service the role's permissions policies allow (AWS ignores boundaries and resource
policies here); ``LastAuthenticated`` is absent when the role never used it within
IAM's tracking period.  A service not used in N days is a candidate for removal at
service granularity, as Repokid does; rolecat names the actions of that service the
role's catalog policies grant, so the reviewer sees what removal means.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolecat.report.escape import printable


class AdvisorError(Exception):
    """A file that is not an Access Advisor report; the message says why, ``line`` and
    ``col`` (1-based, 0 unknown) where, and ``hint``, when its JSON is broken."""

    def __init__(self, message: str, line: int = 0, col: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.hint = hint


REPORT_IS = (
    "a report is what aws iam get-service-last-accessed-details --job-id ID prints once the job is COMPLETED"
)


@dataclass
class ServiceUse:
    namespace: str
    name: str
    last: str | None  # ISO 8601 UTC, None: never in the tracking period
    entity: str | None
    granted: list[str] = field(default_factory=list)  # actions of the service the catalog grants
    unused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.namespace,
            "name": self.name,
            "last_authenticated": self.last,
            "last_entity": self.entity,
            "unused": self.unused,
            "granted_actions": self.granted,
        }


@dataclass
class AdvisorReport:
    role: str
    account: str
    path: str
    job_completed: str | None
    services: list[ServiceUse]
    notes: list[str]

    @property
    def unused(self) -> list[ServiceUse]:
        return [s for s in self.services if s.unused]

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "account": self.account,
            "file": self.path,
            "job_completed": self.job_completed,
            "services": [s.to_json() for s in self.services],
            "unused_services": [s.namespace for s in self.unused],
            "notes": self.notes,
        }


def _instant(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_report(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The parsed report and notes about its completeness; ``AdvisorError`` if it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AdvisorError(f"cannot read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw)  # UTF-8, or UTF-16 or -32 as json tells them
    except UnicodeDecodeError as exc:  # said as the catalog's L001
        raise AdvisorError(
            f"file is not valid {exc.encoding.upper()} (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    except (ValueError, RecursionError) as exc:
        from rolecat.load.source import json_syntax

        syntax = json_syntax(raw.decode(json.detect_encoding(raw), "surrogatepass"), exc)
        assert syntax is not None  # json refused it
        raise AdvisorError(syntax.message, syntax.line, syntax.col, syntax.hint or REPORT_IS) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("ServicesLastAccessed"), list):
        raise AdvisorError('no "ServicesLastAccessed" list: not get-service-last-accessed-details output')
    for item in doc["ServicesLastAccessed"]:
        when = item.get("LastAuthenticated") if isinstance(item, dict) else None
        if when not in (None, "") and _instant(when) is None:
            # read as "never used", a used service would be suggested for removal
            raise AdvisorError(
                f"service {printable(str(item.get('ServiceNamespace')))}: LastAuthenticated "
                f"{printable(str(when))!r} is not an ISO 8601 time, as the AWS CLI prints it"
            )
    notes = []
    status = doc.get("JobStatus")
    if status not in (None, "COMPLETED"):
        raise AdvisorError(f"the report job is {status}, not COMPLETED")
    if doc.get("IsTruncated"):
        notes.append(
            "the report is truncated (IsTruncated): services on later pages are missing; "
            "merge the pages (--starting-token / Marker) into one file"
        )
    return doc, notes


def evaluate(
    doc: dict[str, Any],
    *,
    role: str,
    account: str,
    path: str,
    granted: set[str],
    cutoff: str,
    notes: list[str],
) -> AdvisorReport:
    """Mark services last used before ``cutoff`` (or never) as unused."""
    services: list[ServiceUse] = []
    for item in doc["ServicesLastAccessed"]:
        if not isinstance(item, dict) or not isinstance(item.get("ServiceNamespace"), str):
            continue
        ns = item["ServiceNamespace"]
        last = _instant(item.get("LastAuthenticated"))
        entity = item.get("LastAuthenticatedEntity")
        use = ServiceUse(
            namespace=ns,
            name=str(item.get("ServiceName") or ns),
            last=last,
            entity=entity if isinstance(entity, str) else None,
            granted=sorted(a for a in granted if a.split(":", 1)[0] == ns),
            unused=last is None or last < cutoff,
        )
        services.append(use)
    services.sort(key=lambda s: s.namespace)
    listed = {s.namespace for s in services}
    missing = sorted({a.split(":", 1)[0] for a in granted} - listed)
    if missing:
        notes.append(
            "the catalog grants services the report does not list (another role or account, an older "
            f"catalog, or a truncated report?): {', '.join(missing)}"
        )
    return AdvisorReport(role, account, path, _instant(doc.get("JobCompletionDate")), services, notes)
