"""The scopedown run as one object, and its three renderings: json, text, policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolecat.report.escape import printable
from rolecat.report.words import counted

from .actiondb import ActionCatalog
from .scan import Scanner, ScanResult
from .selectors import EventSelectors
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
            "blocked_unused": s.blocked_unused,
            "kept": s.kept,
            "suggested_policy": s.policy if sc.attributed else None,  # SD006: no policy to suggest
            "policy_size": s.size,
            "notes": s.notes,
            "trail": s.trail,
            "input": {
                "files": sc.files,
                "files_parsed": sc.files_parsed,
                "files_without_role": sc.files_without_role,
                "files_skipped": sc.files_skipped,
                "records": sc.records,
                "records_for_role": sc.attributed,
                "duplicates": sc.duplicates,
                "outside_window": sc.outside_window,
                "same_name_elsewhere": dict(sorted(sc.same_name.items())),
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
    exact_resources: bool = False,
    selectors: EventSelectors | None = None,
) -> Report:
    """Scan log files for one role and build the report (the library entry point)."""
    scanner = Scanner(ctx.arn, db, since=since, until=until)
    scanner.scan_files(paths, progress)
    suggestion = build_suggestion(
        scanner.result, ctx, db, exact_resources=exact_resources, selectors=selectors
    )
    return Report(ctx, scanner.result, suggestion, db.version)


def policy_text(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


def counts_line(sc: ScanResult) -> str:
    """Files read, records parsed, records of the role: three different numbers."""
    files = f"read {counted(sc.files, 'file')}: {sc.files_parsed:,} parsed"
    if sc.files_without_role:
        files += f", {sc.files_without_role:,} not parsed (the role's name is not in them)"
    if sc.files_skipped:
        files += f", {sc.files_skipped:,} unreadable and skipped"
    return f"{files}\nrecords: {sc.records:,} parsed, {sc.attributed:,} of this role"


def wrap_names(names: list[str], indent: str = "    ", width: int = 100, limit: int = 40) -> list[str]:
    shown = names[:limit]
    lines: list[str] = []
    line = indent
    for i, n in enumerate(shown):
        piece = n + (", " if i < len(shown) - 1 else "")
        if len(line) + len(piece) > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    if len(names) > limit:
        line += f" and {len(names) - limit:,} more (--format json lists all)"
    lines.append(line.rstrip())
    return lines


def unused_lines(unused: list[str]) -> list[str]:
    by_service: dict[str, list[str]] = {}
    for a in unused:
        service, _, name = a.partition(":")
        by_service.setdefault(service, []).append(name)
    lines: list[str] = []
    for service, names in sorted(by_service.items()):
        lines.append(f"  {service} ({len(names)}):")
        lines += wrap_names(names)
    return lines


def render_text(report: Report) -> str:
    s, sc, ctx = report.suggestion, report.scan, report.ctx
    lines = [
        f"role {ctx.role} in {ctx.account} ({ctx.arn})",
        f"window: {sc.since or 'start'} .. {sc.until or 'end'}; "
        f"events {sc.first_event or '-'} .. {sc.last_event or '-'}",
        *counts_line(sc).split("\n"),
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
    lines += ["", f"unused ({counted(len(s.unused), 'granted action')} never used):"]
    lines += unused_lines(s.unused)
    if s.blocked_unused:
        lines += [
            "",
            f"outside the boundary ({counted(len(s.blocked_unused), 'action')} the policies allow, never used):",
        ]
        lines += unused_lines(s.blocked_unused)
    if s.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in s.notes]
    # Action names, error codes and ARNs come from the logs: each line is printed on one
    # line, its control characters escaped (the policy is JSON, escaped by json.dumps).
    if sc.attributed == 0:
        lines += ["", "no record of this role: no policy to suggest", ""]
        return "\n".join(printable(line) for line in lines)
    lines += ["", f"suggested policy ({s.size:,} characters without whitespace):"]
    return "\n".join([*(printable(line) for line in lines), policy_text(s.policy)])
