"""rolecat apply's account loop, with the recording terraform of scripts/fake-terraform."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("edit", ["delete", "add", "change"])
def test_plan_made_from_other_files_is_refused(tmp_path, fake_terraform, edit):
    """rolecat plan records the account folder's files beside the plan: a file deleted
    since (a role removed from the account) leaves no newer time behind, and the plan of
    the folder as it was used to be applied (the next plan then showed the deletion)."""
    from rolecat.workflow.plan import folder_files, planned_files_of

    out = tmp_path / "out"
    planned(out, *ORDER)
    folder = out / "security"
    (folder / "role.Gone.tf").write_text("# a role\n")
    planned_files_of(plan_file(out, "security")).write_text(json.dumps(folder_files(folder)))
    if edit == "delete":
        (folder / "role.Gone.tf").unlink()
    elif edit == "add":
        (folder / "role.New.tf").write_text("# a role\n")
    else:
        (folder / "roles.tf").write_text("# changed\n")
    past = time.time() - 3600  # the files are older than the plan: only the record tells
    for p in folder.iterdir():
        os.utime(p, (past, past))
    outcome = run(out, [])
    assert outcome.failed == "security" and outcome.applied == []
    expected = {
        "delete": "role.Gone.tf (deleted)",
        "add": "role.New.tf (added)",
        "change": "roles.tf (changed)",
    }
    assert f"made from other files than the folder holds now: {expected[edit]}" in outcome.reason
    assert read_calls(fake_terraform) == []


def test_plan_step_records_the_files_and_finds_the_out_argument(tmp_path):
    """The record is written beside the plan once terraform plan succeeds; -out= is found
    wherever it is among the arguments (with deploy_roles a -var follows it, and the plan
    of an earlier run was left in place)."""
    from rolecat.workflow.plan import Step, folder_files, planned_files_of
    from rolecat.workflow.plan import run as run_steps

    folder = tmp_path / "out" / "security"
    folder.mkdir(parents=True)
    (folder / "roles.tf").write_text("# roles\n")
    saved = plan_file(tmp_path / "out", "security")
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"an earlier run's plan")
    seen: list[bool] = []

    def runner(argv: list[str], cwd: Path) -> int:
        seen.append(saved.exists())
        saved.write_bytes(b"plan")
        return 0

    step = Step("security", folder, ("plan", "-input=false", f"-out={saved}", "-var=rolecat_mode=plan"))
    assert run_steps([step], "terraform", runner=runner, say=lambda _: None) == 0
    assert seen == [False]  # the earlier plan was removed before terraform ran
    assert json.loads(planned_files_of(saved).read_text()) == folder_files(folder)
