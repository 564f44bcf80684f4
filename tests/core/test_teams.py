"""Teams as members: a role's teams expand to the people of users.yaml with that team."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from rolecat.deploy import arns
from rolecat.pipeline import load

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "hostile" / "fixtures" / "minimal"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)

READER = """name: Reader
description: Read logs in prod
accounts: [prod]
policies: [reader]
boundary: base
members: [carol]
teams: [platform]
"""


def _catalog(tmp_path: Path, users: str, role: str = READER) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(MINIMAL, root)
    (root / "users.yaml").write_text(users, "utf-8")
    (root / "roles" / "prod" / "Reader.yaml").write_text(role, "utf-8")
    return root


def test_a_team_expands_to_its_people_in_the_trust_policy(tmp_path: Path) -> None:
    users = (
        "users:\n  alice: {team: platform}\n  dave: {team: platform}\n  bob: {team: backend}\n  carol: {}\n"
    )
    loaded = load(_catalog(tmp_path, users), NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    assert [d.code for d in loaded.diagnostics if d.severity.value == "error"] == []
    role = next(r for r in loaded.catalog.roles if r.name == "Reader")
    assert role.members == ("carol", "alice", "dave")  # listed first, then the team's people
    assert role.teams == {"platform": ("alice", "dave")}
    assert role.teams_of("dave") == ("platform",) and role.teams_of("carol") == ()
    placed = loaded.deployment.role("Reader", "prod")
    assert placed is not None and placed.trust is not None
    members = next(s for s in placed.trust["Statement"] if s["Sid"] == "Members")
    assert members["Principal"]["AWS"] == sorted(
        arns.user_arn("111111111111", u) for u in ("alice", "carol", "dave")
    )
    assert "bob" not in str(members)  # another team
    assert members["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_the_trust_quota_is_checked_on_the_expanded_team(tmp_path: Path) -> None:
    people = "".join(f"  engineer-{i:03d}-with-a-long-name: {{team: platform}}\n" for i in range(60))
    loaded = load(_catalog(tmp_path, "users:\n  carol: {}\n" + people), NOW)
    codes = [d.code for d in loaded.diagnostics]
    assert "Q001" in codes
    q = next(d for d in loaded.diagnostics if d.code == "Q001")
    assert "Reader" in q.message


def test_a_service_role_cannot_name_teams(tmp_path: Path) -> None:
    role = READER.replace("members: [carol]\n", "kind: service\ntrusted_services: [lambda.amazonaws.com]\n")
    loaded = load(_catalog(tmp_path, "users:\n  alice: {team: platform}\n  carol: {}\n", role), NOW)
    c018 = [d for d in loaded.diagnostics if d.code == "C018"]
    assert c018 and "teams" in c018[0].message


def test_escalations_show_the_team_next_to_the_person_in_every_format(tmp_path: Path) -> None:
    """A temporary member who is also a standing member through a role's team: the team is
    shown next to the person (text and JSON), from ``Role.teams_of``, and C022 warns."""
    import json

    import typer
    from typer.testing import CliRunner

    from rolecat.workflow import escalations as esc
    from rolecat.workflow.command import register

    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)  # a group, as in rolecat.cli
    register(app)

    role = READER + (
        "temporary_members:\n"
        "  - {user: dave, until: '2026-12-01', reason: INC-7}\n"
        "  - {user: bob, until: '2026-12-02'}\n"
    )
    users = (
        "users:\n  alice: {team: platform}\n  dave: {team: platform}\n  bob: {team: backend}\n  carol: {}\n"
    )
    root = _catalog(tmp_path, users, role)
    loaded = load(root, NOW)
    assert loaded.catalog is not None
    c022 = [d for d in loaded.diagnostics if d.code == "C022"]
    assert len(c022) == 1 and "'dave'" in c022[0].message and "team platform" in c022[0].message
    items = esc.escalations(loaded.catalog, NOW)
    assert [(e.user, e.teams) for e in items] == [("dave", ("platform",)), ("bob", ())]

    runner = CliRunner()
    text = runner.invoke(app, ["escalations", str(root), "--now", "2026-11-28"])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert "dave (team platform)" in lines[1] and "INC-7" in lines[1]
    assert " bob " in lines[2] and "team" not in lines[2]  # bob's team is not one of Reader's

    out = runner.invoke(app, ["escalations", str(root), "--now", "2026-11-28", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [(d["user"], d["teams"]) for d in data] == [("dave", ["platform"]), ("bob", [])]


def test_escalation_team_names_are_escaped_in_text(tmp_path: Path) -> None:
    """A team name is user text: the table prints it on one line, control characters escaped."""
    from rolecat.workflow import escalations as esc

    e = esc.Escalation(
        "dave", "Reader", ("prod",), NOW, None, "active", 3, "r.yaml", teams=("evil\nteam\x1b[31m",)
    )
    text = esc.to_text([e])
    assert len(text.splitlines()) == 2 and "\x1b" not in text and "\nteam" not in text
