"""``rolecat apply`` (``make apply``): apply the plans ``rolecat plan`` saved, account by account.

Plans are read from OUT's working folder (``.rolecat/plans/<account>.tfplan``), and each
account's ``.terraform/`` was deleted by the OUT check that runs first, so every account is
initialised afresh (with ``-lockfile=readonly`` when a lock file is committed) before its
plan is applied.  Identity account first, as ``plan`` ran: other accounts' trust policies name its users, and
AWS refuses a trust policy whose principal does not exist. Only saved plans are applied, so
what is applied is exactly what was reviewed; an account without a saved plan, or whose
plan is older than its compiled files, stops the run before anything of it is applied.
The first failure stops the run, and the report says which accounts were applied, which
failed and which were not applied. A saved plan is removed once applied (Terraform would
refuse it a second time as stale).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .plan import (
    INIT_ARGS,
    LOCK_FILE,
    READONLY_LOCK,
    Runner,
    folder_files,
    plan_file,
    planned_files_of,
    subprocess_runner,
)

APPLY_ARGS = ("apply", "-input=false")


@dataclass
class Outcome:
    applied: list[str] = field(default_factory=list)
    failed: str | None = None
    reason: str = ""
    not_applied: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def report(self) -> list[str]:
        lines = [f"applied:     {', '.join(self.applied) or '(none)'}"]
        if self.failed is not None:
            lines.append(f"failed:      {self.failed}: {self.reason}")
        lines.append(f"not applied: {', '.join(self.not_applied) or '(none)'}")
        return lines


def _stale(folder: Path, plan: Path, shown: Path) -> str | None:
    """Why the saved plan of ``folder`` must not be applied, or None (``shown``: its path as
    the user named OUT): the folder's files are not those the plan was made from (recorded
    beside it, ``plan.folder_files``), or, for a plan without that record, newer than it."""
    if plan.is_symlink() or not plan.is_file():
        return f"no saved plan ({shown} is missing): run rolecat plan first"
    record = planned_files_of(plan)
    if record.is_file() and not record.is_symlink():
        try:
            planned = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            planned = None
        if not isinstance(planned, dict):
            return f"the record of the files the saved plan was made from is damaged ({record.name}): run rolecat plan again"
        now = folder_files(folder)
        changed = sorted(n for n in planned.keys() | now.keys() if planned.get(n) != now.get(n))
        if changed:
            what = ", ".join(
                f"{n} ({'deleted' if n not in now else 'added' if n not in planned else 'changed'})"
                for n in changed
            )
            return f"the saved plan was made from other files than the folder holds now: {what}: run rolecat plan again"
        return None
    made = plan.stat().st_mtime
    newer = sorted(
        p.name for p in [*folder.glob("*.tf"), folder / LOCK_FILE] if p.is_file() and p.stat().st_mtime > made
    )
    if newer:
        return f"the saved plan is older than {', '.join(newer)}: run rolecat plan again"
    return None


def apply(
    accounts: Sequence[str],
    out: Path,
    terraform: str,
    *,
    runner: Runner = subprocess_runner,
    say: Callable[[str], None] = print,
) -> Outcome:
    """Apply each account's saved plan in ``accounts`` order; stop at the first failure."""
    outcome = Outcome()
    for i, account in enumerate(accounts):
        folder = out / account
        plan = plan_file(out, account)
        shown = out / plan.relative_to(out.absolute())
        problem = (
            _stale(folder, plan, shown)
            if folder.is_dir()
            else f"{folder} does not exist: run rolecat plan first"
        )
        if problem is None:
            init = (*INIT_ARGS, READONLY_LOCK) if (folder / LOCK_FILE).is_file() else INIT_ARGS
            say(f"==> {account}: terraform {' '.join(init)}  ({folder})")
            code = runner([terraform, *init], folder)
            if code != 0:
                problem = f"terraform init exited {code} (see its output above)"
        if problem is None:
            args = (*APPLY_ARGS, str(plan))
            say(f"==> {account}: terraform {' '.join(args)}  ({folder})")
            code = runner([terraform, *args], folder)
            if code == 0:
                plan.unlink(missing_ok=True)
                planned_files_of(plan).unlink(missing_ok=True)
                outcome.applied.append(account)
                continue
            problem = f"terraform apply exited {code} (see its output above)"
        outcome.failed, outcome.reason = account, problem
        outcome.not_applied = list(accounts[i + 1 :])
        break
    return outcome
