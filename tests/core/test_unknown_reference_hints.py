"""Hints of an unknown reference in a role file that say what the name is: a team, a role
or a user's email written where a user name goes (C012) is said to be one, not a user to
add; a missing policy or boundary file (C011, C013) is a file to create, with the real
name, a close match second."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def validate(
    tmp_path: Path,
    edit: tuple[str, str, str] | None = None,
    remove: str | None = None,
    raw: tuple[str, bytes] | None = None,
) -> str:
    """``rolecat validate`` of the example catalog with one edit, one file removed or one
    file's bytes replaced (``raw``): its diagnostics (stderr), after checking that it
    refused (exit 1)."""
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    if raw is not None:
        (catalog / raw[0]).write_bytes(raw[1])
    if edit is not None:
        relative, pattern, replacement = edit
        path = catalog / relative
        text = path.read_text("utf-8")
        assert re.search(pattern, text, flags=re.M), (relative, pattern)
        path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.M), encoding="utf-8")
    if remove is not None:
        (catalog / remove).unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "rolecat", "validate", "catalog"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return proc.stderr


def reported(stderr: str, where: str, code: str, message: str, hint: str) -> None:
    """``where: error code: message`` followed by exactly ``hint``."""
    wanted = f"{where}: error {code}: {message}\n    hint: {hint}\n"
    assert wanted in stderr, stderr


ONCALL = "roles/prod/OnCall.yaml"
ONCALL_AT = "catalog/roles/prod/OnCall.yaml"


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("platform", "'platform' is a team, not a user: list it under the role's teams: instead"),
        ("ProdAdmin", "'ProdAdmin' is a role, not a user: a role cannot be a member"),
        (
            "alice@example.com",
            "'alice@example.com' is the email of user 'alice' in users.yaml: write the user name, 'alice'",
        ),
        # otherwise as before: the closest user, else adding one
        ("bbo", "did you mean 'bob'?"),
        ("zed", "add the user to users.yaml"),
    ],
)
def test_a_member_that_is_not_a_user(tmp_path: Path, written: str, hint: str) -> None:
    stderr = validate(tmp_path, (ONCALL, r"^members: \[bob\]", f"members: [{written}]"))
    reported(stderr, f"{ONCALL_AT}:14:11", "C012", f'unknown user "{written}"', hint)


def test_a_released_user_as_a_member_is_said_to_be_released(tmp_path: Path) -> None:
    """A user released from management (release: true) is in users.yaml: not one to add."""
    catalog_users = "users.yaml"
    stderr = validate(
        tmp_path,
        (
            catalog_users,
            r"^  bob: \{email: bob@example.com, team: platform\}",
            "  bob: {email: bob@example.com, release: true}",
        ),
    )
    reported(
        stderr,
        f"{ONCALL_AT}:14:11",
        "C012",
        'unknown user "bob"',
        "'bob' is released (release: true in users.yaml): rolecat no longer manages the user, so no role "
        "may name them; remove them here, or remove release: true to manage them again",
    )


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        # teams: would give the team standing access: the hint keeps the time box
        (
            "backend",
            "'backend' is a team, not a user: list each of its people as a temporary member (carol, dave)",
        ),
        ("OnCall", "'OnCall' is a role, not a user: a role cannot be a member"),
        # an email is matched ignoring case
        (
            "Carol@Example.com",
            "'Carol@Example.com' is the email of user 'carol' in users.yaml: write the user name, 'carol'",
        ),
    ],
)
def test_a_temporary_member_that_is_not_a_user(tmp_path: Path, written: str, hint: str) -> None:
    stderr = validate(tmp_path, (ONCALL, r"^  - user: carol", f"  - user: {written}"))
    reported(stderr, f"{ONCALL_AT}:16:11", "C012", f'unknown user "{written}"', hint)


def test_a_missing_boundary_file_is_a_file_to_create(tmp_path: Path) -> None:
    """A close match comes second: 'prod-readonly' for a missing 'prod-admin' is a
    read-only boundary, not the fix."""
    stderr = validate(tmp_path, remove="boundaries/prod-admin.json")
    for where in (f"{ONCALL_AT}:11:11", "catalog/roles/prod/ProdAdmin.yaml:10:11"):
        reported(
            stderr,
            where,
            "C013",
            "unknown boundary 'prod-admin': no file boundaries/prod-admin.json",
            "create boundaries/prod-admin.json or correct the name (did you mean 'prod-readonly'?)",
        )


def test_a_missing_boundary_without_a_close_match(tmp_path: Path) -> None:
    stderr = validate(tmp_path, (ONCALL, r"^boundary: prod-admin", "boundary: oncall"))
    reported(
        stderr,
        f"{ONCALL_AT}:11:11",
        "C013",
        "unknown boundary 'oncall': no file boundaries/oncall.json",
        "create boundaries/oncall.json or correct the name",
    )


def test_a_missing_delegation_boundary(tmp_path: Path) -> None:
    """delegated_role_creation.boundary had no hint of its own: the rule's text with its
    <name> placeholder was printed."""
    stderr = validate(
        tmp_path,
        ("roles/services/AppDeployer.yaml", r"\{boundary: app,", "{boundary: apps,"),
    )
    reported(
        stderr,
        "catalog/roles/services/AppDeployer.yaml:15:37",
        "C013",
        "unknown boundary 'apps': no file boundaries/apps.json",
        "create boundaries/apps.json or correct the name (did you mean 'app'?)",
    )


def test_a_missing_policy_file(tmp_path: Path) -> None:
    """No close match: the hint named policies/<name>.json, a placeholder."""
    stderr = validate(tmp_path, remove="policies/prod-engineer.json")
    reported(
        stderr,
        "catalog/roles/prod/ProdEngineer.yaml:8:12",
        "C011",
        "unknown policy 'prod-engineer': no file policies/prod-engineer.json",
        "create policies/prod-engineer.json or correct the name",
    )
    assert "<name>" not in stderr


def test_a_misspelt_policy(tmp_path: Path) -> None:
    stderr = validate(
        tmp_path,
        (
            "roles/services/ReportExporter.yaml",
            r"^policies: \[report-exporter\]",
            "policies: [report-export]",
        ),
    )
    reported(
        stderr,
        "catalog/roles/services/ReportExporter.yaml:11:12",
        "C011",
        "unknown policy 'report-export': no file policies/report-export.json",
        "create policies/report-export.json or correct the name (did you mean 'report-exporter'?)",
    )


def test_an_unreadable_delegation_boundary_is_not_a_missing_one(tmp_path: Path) -> None:
    """The file is there: its own error (L001) says what is wrong with it, and no C013
    says to create it (as for a role's boundary:)."""
    stderr = validate(tmp_path, raw=("boundaries/app.json", b'\xff{"Version": "2012-10-17"}'))
    assert "catalog/boundaries/app.json:1:1: error L001: file is not valid UTF-8" in stderr
    assert "C013" not in stderr, stderr
