"""`make bench`: what the IAM checks add to a run, and the same documents through parliament.

Builds the benchmark catalog (bench/gen_catalog.py), times rolecat's IAM checks over
every role and account (effective permissions, escalation, admin, boundary
self-protection, resources), and times parliament (if installed: `pip install
parliament`) analysing every rendered policy and boundary document once.  Parliament
checks documents one at a time, with no boundaries, so the ratio compares tools that do
different amounts of work; it is printed for scale, not as a like-for-like race.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_catalog import generate

from rolecat.iam.actions import ActionDB
from rolecat.load.discover import discover
from rolecat.model.build import build
from rolecat.rules.iam import run_checks

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "catalog")
        ActionDB.load()  # loaded by any validate anyway; timed separately below
        catalog, _ = build(discover(root, str(root)), NOW)  # the model, before any check ran
        assert catalog is not None
        start = time.perf_counter()
        findings = run_checks(catalog, NOW)
        checks_s = time.perf_counter() - start
        pairs = sum(len(r.accounts) for r in catalog.roles)
        docs = [json.dumps(r.document) for r in catalog.rendered.values()]
    print(
        f"IAM checks: {checks_s:.2f} s for {pairs:,} role-account pairs, {len(findings)} findings  (target <= 1 s)"
    )
    try:
        from parliament import analyze_policy_string
    except ImportError:
        print("parliament: not installed (pip install parliament) -- ratio not measured")
        return
    start = time.perf_counter()
    issues = sum(len(analyze_policy_string(d).findings) for d in docs)
    parliament_s = time.perf_counter() - start
    print(f"parliament: {parliament_s:.2f} s for {len(docs):,} documents, {issues} findings")
    print(f"ratio rolecat checks / parliament: {checks_s / parliament_s:.2f}")


if __name__ == "__main__":
    main()
