"""rolecat apply's account loop, with the recording terraform of scripts/fake-terraform."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from workflow_factory import read_calls

from rolecat.workflow import apply as tfapply
from rolecat.workflow.plan import plan_file

ORDER = ["security", "nonprod", "prod"]


def planned(out: Path, *accounts: str) -> None:
    for a in accounts:
        folder = out / a
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "roles.tf").write_text("# roles\n")
        past = time.time() - 60
        os.utime(folder / "roles.tf", (past, past))
        plan_file(out, a).parent.mkdir(parents=True, exist_ok=True)
        plan_file(out, a).write_bytes(b"plan")


def run(out: Path, said: list[str]) -> tfapply.Outcome:
    return tfapply.apply(ORDER, out, "terraform", say=said.append)


def test_applies_saved_plans_in_order_and_removes_them(tmp_path, fake_terraform):
    out = tmp_path / "out"
    planned(out, *ORDER)
    said: list[str] = []
    outcome = run(out, said)
    assert outcome.ok and outcome.applied == ORDER and outcome.not_applied == []
    calls = []
    for a in ORDER:
        calls.append((str((out / a).resolve()), "init", "-input=false"))
        calls.append((str((out / a).resolve()), "apply", "-input=false", str(plan_file(out, a))))
    assert read_calls(fake_terraform) == calls
    assert not any(plan_file(out, a).exists() for a in ORDER)
    assert outcome.report() == ["applied:     security, nonprod, prod", "not applied: (none)"]


def test_stops_at_first_failing_apply(tmp_path, fake_terraform, monkeypatch):
    out = tmp_path / "out"
    planned(out, *ORDER)
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "nonprod:apply")
    outcome = run(out, [])
    assert not outcome.ok
    assert (outcome.applied, outcome.failed, outcome.not_applied) == (["security"], "nonprod", ["prod"])
    assert "terraform apply exited 3" in outcome.reason
    assert [Path(c[0]).name for c in read_calls(fake_terraform)] == ["security"] * 2 + ["nonprod"] * 2
    assert plan_file(out, "nonprod").exists()  # kept: nothing of it was applied


def test_missing_plan_stops_before_anything_of_that_account(tmp_path, fake_terraform):
    out = tmp_path / "out"
    planned(out, "security", "prod")
    (out / "nonprod").mkdir()
    outcome = run(out, [])
    assert (outcome.applied, outcome.failed, outcome.not_applied) == (["security"], "nonprod", ["prod"])
    assert "no saved plan" in outcome.reason and "rolecat plan" in outcome.reason
    assert outcome.report()[1].startswith("failed:      nonprod: no saved plan")


@pytest.mark.parametrize("newer", ["roles.tf", ".terraform.lock.hcl"])
def test_plan_older_than_the_files_is_refused(tmp_path, fake_terraform, newer):
    out = tmp_path / "out"
    planned(out, *ORDER)
    past = time.time() - 30
    os.utime(plan_file(out, "security"), (past, past))
    (out / "security" / newer).write_text("# changed after the plan\n")
    outcome = run(out, [])
    assert outcome.failed == "security" and outcome.applied == []
    assert f"older than {newer}" in outcome.reason
    assert read_calls(fake_terraform) == []
