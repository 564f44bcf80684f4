"""``who-can --queries`` on a generated catalog (bench/gen_catalog.py, 60 roles in 6
accounts): every batched answer line equals the answer of the same question asked on
its own (``who-can ACTION [RESOURCE] [--account A] --format json``), and each equals
what the engine says view by view (``decide`` with a resource, ``EffectiveSet.access``
without one), so the batch's shared bitsets, prefix index and cached fragments change
no answer."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from rolecat.access.load import load_model
from rolecat.iam.engine import Access, Verdict, decide

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen_catalog import ACTIONS, generate

NOW = ["--now", "2026-01-01"]


def _queries() -> list[dict[str, str]]:
    rng = random.Random(3)
    accounts = ["identity", *(f"workload-{i}" for i in range(1, 6))]
    out: list[dict[str, str]] = []
    for i in range(36):
        acct = rng.choice(accounts)
        kind = i % 6
        if kind == 0:  # an object of a data bucket, in one account
            bucket = f"bench-{acct}-data-{rng.randrange(12)}"
            out.append(
                {"action": "s3:GetObject", "resource": f"arn:aws:s3:::{bucket}/r/{i}.csv", "account": acct}
            )
        elif kind == 1:  # the same without account, and the bucket itself
            bucket = f"bench-{acct}-data-{rng.randrange(12)}"
            out.append(
                {
                    "action": rng.choice(["s3:PutObject", "s3:ListBucket"]),
                    "resource": f"arn:aws:s3:::{bucket}",
                }
            )
        elif kind == 2:
            out.append(
                {"action": rng.choice(["iam:PassRole", "sts:AssumeRole", "kms:Decrypt"]), "resource": "*"}
            )
        elif kind == 3:
            out.append({"action": rng.choice(ACTIONS)})
        else:
            out.append({"action": rng.choice(ACTIONS), "account": acct})
    return out


def _engine_answer(model: Any, q: dict[str, str]) -> set[tuple[str | None, str, str, str]]:
    level = {Verdict.ALLOWED: "allowed", Verdict.CONDITIONAL: "conditional"}
    found = set()
    for view in model.views:
        if "account" in q and view.account.name != q["account"]:
            continue
        if "resource" in q:
            got = level.get(decide(view.effective, q["action"], q["resource"]).verdict)
        else:
            access = view.effective.access(q["action"])
            got = {Access.UNCONDITIONAL: "allowed", Access.CONDITIONAL: "conditional"}.get(access)
        if got is not None:
            found |= {
                (r.principal.user, view.role.name, view.account.name, "conditional" if r.conditional else got)
                for r in model.reach(view)
            }
    return found


def test_batched_answers_equal_single_answers_and_the_engine(app: typer.Typer, tmp_path: Path) -> None:
    catalog = generate(tmp_path / "catalog", roles=60, users=80)
    queries = _queries()
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps(q) + "\n" for q in queries))
    runner = CliRunner()
    batch = runner.invoke(app, ["who-can", "--queries", str(qfile), "-c", str(catalog), *NOW])
    assert batch.exit_code == 0, batch.output
    lines = batch.stdout.splitlines()
    assert len(lines) == len(queries)
    model, _ = load_model(catalog, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert model is not None
    nonempty = 0
    for q, line in zip(queries, lines, strict=True):
        args = ["who-can", q["action"], *([q["resource"]] if "resource" in q else [])]
        args += ["--account", q["account"]] if "account" in q else []
        single = runner.invoke(app, [*args, "-c", str(catalog), "-f", "json", *NOW])
        assert single.exit_code == 0, single.output
        answers = json.loads(line)
        assert answers == json.loads(single.stdout), q
        roles = {(a["user"], a["role"], a["account"], a["access"]) for a in answers if a["role"] is not None}
        assert roles == _engine_answer(model, q), q
        nonempty += bool(roles)
    assert nonempty >= len(queries) // 2  # the questions find people, not only empty answers
