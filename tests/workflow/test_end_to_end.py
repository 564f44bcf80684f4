"""The commands against the real pipeline: the example catalog and small catalogs on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from workflow_factory import REPO, read_calls

from rolecat.workflow.plan import plan_file

pytest.importorskip("rolecat.rules.iam", reason="the IAM checks are not in this tree yet")

EXAMPLE = REPO / "catalog"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git-like repository holding a copy of the example catalog; the working directory."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(EXAMPLE, root / "catalog")
    monkeypatch.chdir(root)
    return root


def write_catalog(root: Path, *, roles: dict[str, str], defaults: str = "") -> Path:
    cat = root / "catalog"
    (cat / "roles").mkdir(parents=True)
    (cat / "boundaries").mkdir()
    (cat / "catalog.yaml").write_text(
        "organization: acme\n"
        'owners: ["@acme/security"]\n'
        f"defaults:\n  region: eu-west-1\n{defaults}"
        "accounts:\n"
        '  sec: {id: "111111111111", identity: true}\n'
        '  prod: {id: "333333333333"}\n'
    )
    (cat / "users.yaml").write_text("users:\n  alice: {}\n  bob: {}\n  carol: {}\n")
    (cat / "boundaries" / "b.json").write_text(
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}\n'
    )
    for name, text in roles.items():
        (cat / "roles" / f"{name}.yaml").write_text(text)
    return cat


ROLE = """\
name: Reader
accounts: [prod]
owners: ["@acme/readers"]
boundary: b
managed_policies: [ReadOnlyAccess]
members: [alice]
temporary_members:
  - user: bob
    until: 2025-03-01
    reason: INC-1
  - user: carol
    until: 2025-06-01
"""


def test_example_escalations_json(app, runner, repo):
    result = runner.invoke(app, ["escalations", "--format", "json", "--now", "2025-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(d["role"], d["user"]) for d in data] == [("OnCall", "carol"), ("ProdEngineer", "erin")]
    assert data[0]["until"] == "2099-12-05T00:00:00Z" and data[0]["status"] == "active"
    assert data[0]["accounts"] == ["prod"]


def test_example_profiles(app, runner, repo):
    result = runner.invoke(app, ["profiles", "--user", "carol", "--now", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert "[profile prod-OnCall]" in result.stdout and "[profile prod-ProdEngineer]" in result.stdout
    assert "mfa_serial = arn:aws:iam::111111111111:mfa/carol" in result.stdout
    assert "source_profile = example-identity" in result.stdout
    assert "duration_seconds = 14400" in result.stdout  # OnCall's max_session_duration
    result = runner.invoke(app, ["profiles", "--user", "carl"])
    assert result.exit_code == 2 and "did you mean 'carol'" in result.stderr


def test_example_codeowners_write_check(app, runner, repo):
    result = runner.invoke(app, ["codeowners", "catalog", "--write", ".github/CODEOWNERS"])
    assert result.exit_code == 0, result.output
    text = (repo / ".github" / "CODEOWNERS").read_text()
    lines = {
        pattern: owners.strip()
        for pattern, _, owners in (
            line.partition(" ") for line in text.splitlines() if line and not line.startswith("#")
        )
    }
    assert lines["/catalog/roles/prod/ProdEngineer.yaml"] == "@example/platform-leads"
    assert lines["/catalog/roles/prod/OnCall.yaml"] == "@example/platform-leads @example/security"
    assert lines["/catalog/catalog.yaml"] == "@example/security"
    assert lines["/build/terraform/"] == "@example/security"
    assert runner.invoke(app, ["codeowners", "catalog", "--check", ".github/CODEOWNERS"]).exit_code == 0


def test_expired_and_too_long_escalations(app, runner, tmp_path, monkeypatch):
    write_catalog(tmp_path, roles={"Reader": ROLE}, defaults="  max_escalation_days: 30\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["escalations", "--now", "2025-03-10", "--format", "json"])
    # carol ends 83 days from now, more than 30: an error (exit 1); bob's has expired: a warning.
    assert result.exit_code == 1
    assert "catalog/roles/Reader.yaml:9:12: warning E101:" in result.stderr
    assert "catalog/roles/Reader.yaml:12:12: error E102:" in result.stderr
    assert [d["status"] for d in json.loads(result.stdout)] == ["expired", "active"]


def test_fail_on_expired_exit_codes(app, runner, tmp_path, monkeypatch):
    write_catalog(tmp_path, roles={"Reader": ROLE})
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["escalations", "--now", "2025-02-01", "--fail-on-expired"]).exit_code == 0
    result = runner.invoke(app, ["escalations", "--now", "2025-03-10", "--fail-on-expired"])
    assert result.exit_code == 1
    assert runner.invoke(app, ["escalations", "--now", "2025-03-10"]).exit_code == 0


def test_plan_real_compile_fake_terraform(app, runner, repo, fake_terraform):
    # The Jinja templates are package data of rolecat.templates (templates/ at the top of the repository).
    pytest.importorskip("rolecat.templates", reason="rolecat is not installed: no rolecat.templates")
    result = runner.invoke(app, ["plan", "catalog", "-o", "out"])
    assert result.exit_code == 0, result.output
    calls = read_calls(fake_terraform)
    folders = [Path(c[0]).name for c in calls]
    assert folders == ["security", "security", "nonprod", "nonprod", "prod", "prod"]
    assert [c[1:] for c in calls[:2]] == [
        ("init", "-input=false"),
        ("plan", "-input=false", f"-out={plan_file(Path('out'), 'security')}"),
    ]
    assert (repo / "out" / "security").is_dir()
