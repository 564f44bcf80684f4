"""The scopedown run as one object, and its three renderings: json, text, policy."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .actiondb import ActionCatalog
from .scan import Scanner, ScanResult
from .suggest import RoleContext, Suggestion, build_suggestion


@dataclass
class Report:
    ctx: RoleContext
    scan: ScanResult
    suggestion: Suggestion
    db_version: str

    def to_json(self) -> dict[str, Any]:
        s, sc = self.suggestion, self.scan
        return {
            "role": self.ctx.role,
            "account": self.ctx.account,
            "account_id": self.ctx.account_id,
            "role_arn": self.ctx.arn,
            "window": {
                "since": sc.since,
                "until": sc.until,
                "first_event": sc.first_event,
                "last_event": sc.last_event,
            },
            "used": s.used,
            "denied": s.denied,
            "unused": s.unused,
            "kept": s.kept,
            "suggested_policy": s.policy,
            "policy_size": s.size,
            "notes": s.notes,
            "input": {
                "files": sc.files,
                "files_parsed": sc.files_parsed,
                "files_skipped": sc.files_skipped,
                "records": sc.records,
                "records_for_role": sc.attributed,
                "duplicates": sc.duplicates,
                "outside_window": sc.outside_window,
                "action_database": self.db_version,
            },
        }


def scopedown(
    paths: Iterable[Path],
    ctx: RoleContext,
    db: ActionCatalog,
    *,
    since: str | None = None,
    until: str | None = None,
    progress: Callable[[Path, int], None] | None = None,
) -> Report:
    """Scan log files for one role and build the report (the library entry point)."""
    scanner = Scanner(ctx.arn, db, since=since, until=until)
    scanner.scan_files(paths, progress)
    return Report(ctx, scanner.result, build_suggestion(scanner.result, ctx, db), db.version)


def policy_text(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


def render_text(report: Report) -> str:
    s, sc, ctx = report.suggestion, report.scan, report.ctx
    lines = [
        f"role {ctx.role} in {ctx.account} ({ctx.arn})",
        f"window: {sc.since or 'start'} .. {sc.until or 'end'}; "
        f"events {sc.first_event or '-'} .. {sc.last_event or '-'}",
        f"read {sc.files} file(s), {sc.records:,} record(s); {sc.attributed:,} by this role"
        + (f"; {sc.files_skipped} file(s) skipped as unreadable" if sc.files_skipped else ""),
        "",
        f"used ({len(s.used)}):",
    ]
    width = max((len(u["action"]) for u in s.used), default=0)
    for u in s.used:
        lines.append(f"  {u['action']:<{width}}  {u['count']:>8,}  {u['first_seen']} .. {u['last_seen']}")
    if s.denied:
        lines += ["", f"denied ({len(s.denied)}):"]
        for d in s.denied:
            errs = ", ".join(f"{k} x{v}" for k, v in d["errors"].items())
            lines.append(f"  {d['action']}  {d['count']:,}  ({errs})")
    if s.kept:
        lines += ["", f"kept without use ({len(s.kept)}): {', '.join(s.kept)}"]
    by_service = Counter(a.split(":", 1)[0] for a in s.unused)
    lines += ["", f"unused ({len(s.unused)} granted action(s) never used):"]
    if by_service:
        lines.append("  " + ", ".join(f"{svc} {n}" for svc, n in sorted(by_service.items())))
    if s.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in s.notes]
    lines += ["", f"suggested policy ({s.size:,} characters without whitespace):", policy_text(s.policy)]
    return "\n".join(lines)
