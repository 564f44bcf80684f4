"""The reader hands ``usage`` AssumeRole records with only the fields it reads
(``scopedown.reader.ASSUME_ROLE_FIELDS``): the scan of those equals the scan of the
whole records, on a varied generated set (both copies, errors, services, other
accounts, ARNs without path or in another case, records after --now, odd values)."""

from __future__ import annotations

import copy
import random
from typing import Any

from assumerole_records import IDENTITY, NONPROD, PROD, assume_role, service_assume_role

from rolecat.scopedown.reader import assume_role_records
from rolecat.usage.scan import RoleKey, UsageScan, UsageScanner

ROLES = {
    f"arn:aws:iam::{acct}:role/humans/{name}": RoleKey(name, label)
    for acct, label in ((PROD, "prod"), (NONPROD, "nonprod"))
    for name in ("Engineer", "OnCall", "Reader")
}
NOW = "2026-12-01T00:00:00Z"


def _records(seed: int, n: int) -> list[Any]:
    rng = random.Random(seed)
    arns = [*ROLES, f"arn:aws:iam::{PROD}:role/Engineer", f"arn:aws:iam::{PROD}:role/humans/ONCALL"]
    arns.append(f"arn:aws:iam::{PROD}:role/NotInCatalog")
    out: list[Any] = []
    for i in range(n):
        arn = rng.choice(arns)
        when = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        kind = rng.random()
        if kind < 0.1:
            service = service_assume_role(arn, when)
            if rng.random() < 0.5:
                del service["userIdentity"]["invokedBy"]  # named by its source address then
            out.append(service)
            continue
        rec = assume_role(
            rng.choice(["ann", "bob", "carol"]),
            arn,
            when,
            copy=rng.choice(["identity", "target"]),
            caller_account=IDENTITY if kind < 0.9 else "999999999999",
            error="AccessDenied" if rng.random() < 0.1 else None,
        )
        rec["responseElements"] = {"bulk": "x" * 50}
        if rng.random() < 0.1:
            rec["eventTime"] = when[:19] + ".123Z"  # a fractional second
        if rng.random() < 0.05:
            rec["userIdentity"] = "not an object"
        out.append(rec)
        if rng.random() < 0.2:  # the other account's copy of the same assumption
            out.append(copy.deepcopy(rec) | {"eventID": f"other-{i}"})
    out.append({"eventName": "AssumeRole"})  # no eventSource: skipped by both
    out.append(["not", "a", "record"])
    return out


def _scan(records: list[Any]) -> UsageScan:
    scanner = UsageScanner(ROLES, IDENTITY, now=NOW)
    for start in range(0, len(records), 50):
        scanner.feed(records[start : start + 50])
    return scanner.result


def test_kept_fields_scan_like_whole_records() -> None:
    for seed in range(5):
        records = _records(seed, 400)
        kept = assume_role_records(records)
        assert kept and all("responseElements" not in rec for rec in kept)  # the bulk is gone
        whole, projected = _scan(records), _scan(kept)
        assert projected.uses == whole.uses and whole.uses
        assert projected.failed == whole.failed and whole.failed
        assert projected.other == whole.other and whole.other
        for name in (
            "assume_role",
            "duplicates",
            "after_now",
            "via_session_name",
            "first_event",
            "last_event",
        ):
            assert getattr(projected, name) == getattr(whole, name), name
        assert whole.after_now and whole.duplicates and whole.via_session_name
        assert projected.accounts_seen == whole.accounts_seen
