"""rolecat request / grant / revoke / offboard / user add on a copy of the example catalog.

Every test compares whole files before and after, and checks that files the command
had no business touching are byte-identical.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.pipeline import load_catalog
from rolecat.workflow import access

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-03T18:40:00Z"


@pytest.fixture
def cat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", dest)
    monkeypatch.chdir(tmp_path)
    return dest


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def changed(before: dict[str, str], folder: Path) -> dict[str, str]:
    after = snapshot(folder)
    assert set(after) == set(before)
    return {k: after[k] for k in after if after[k] != before[k]}


def run(app, runner, *args: str):
    return runner.invoke(app, [*args, "--catalog", "catalog", "--now", NOW])


PROD_ENGINEER = (ROOT / "catalog/roles/prod/ProdEngineer.yaml").read_text()


# --------------------------------------------------------------------------- request


def test_request_adds_a_temporary_member_and_the_second_run_changes_nothing(app, runner, cat):
    before = snapshot(cat)
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--for", "3d", "--reason", "INC-9, logs"
    )
    assert result.exit_code == 0, result.output
    assert changed(before, cat) == {
        "roles/prod/ProdEngineer.yaml": PROD_ENGINEER
        + "  - user: frank\n    until: 2026-12-06T19:00:00Z\n    reason: INC-9, logs\n"
    }
    assert "frank may assume ProdEngineer (prod) until 2026-12-06T19:00:00Z" in result.stderr
    once = snapshot(cat)
    again = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--for", "3d", "--reason", "INC-9, logs"
    )
    assert again.exit_code == 0, again.output
    assert "already has ProdEngineer (prod) until 2026-12-06T19:00:00Z" in again.stderr
    assert snapshot(cat) == once
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]


def test_request_until_a_date_writes_a_date(app, runner, cat):
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--until", "2026-12-10", "--reason", "x"
    )
    assert result.exit_code == 0, result.output
    assert (
        (cat / "roles/prod/ProdEngineer.yaml")
        .read_text()
        .endswith("  - user: frank\n    until: 2026-12-10\n    reason: x\n")
    )


def test_request_refused_beyond_max_escalation_days(app, runner, cat):
    catalog_yaml = cat / "catalog.yaml"
    catalog_yaml.write_text(
        catalog_yaml.read_text().replace("# max_escalation_days: 14 ", "max_escalation_days: 14")
    )
    for role in ("OnCall", "ProdEngineer"):  # the example's escalations end in 2099
        path = cat / f"roles/prod/{role}.yaml"
        path.write_text(path.read_text().replace("2099-12-05", "2026-12-05"))
    before = snapshot(cat)
    result = run(app, runner, "request", "ProdEngineer", "--user", "frank", "--for", "15d", "--reason", "x")
    assert result.exit_code == 1
    assert "longer than the catalog allows: defaults.max_escalation_days is 14" in result.stderr
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--until", "2026-12-18", "--reason", "x"
    )
    assert result.exit_code == 1
    assert "rolecat: --until 2026-12-18T00:00:00Z is more than 14 days away" in result.stderr
    assert changed(before, cat) == {}
    # Exactly the maximum: rounding up would pass it, so the end is the limit itself.
    result = run(app, runner, "request", "ProdEngineer", "--user", "frank", "--for", "14d", "--reason", "x")
    assert result.exit_code == 0, result.output
    assert "until 2026-12-17T18:40:00Z" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["request", "ProdEnginer", "--user", "frank"],
            "unknown role 'ProdEnginer'; did you mean 'ProdEngineer'?",
        ),
        (
            ["request", "ProdEngineer", "--user", "frnk"],
            "unknown user 'frnk' (not in catalog/users.yaml); did you mean 'frank'?",
        ),
        (
            ["request", "ProdEngineer", "--user", "frank", "--account", "nonprod"],
            "is not in account 'nonprod'",
        ),
        (
            ["request", "ProdEngineer", "--user", "frank", "--account", "prd"],
            "unknown account 'prd'; did you mean 'prod'?",
        ),
        (["request", "AppDeployer", "--user", "frank"], "AppDeployer is a service role"),
        (["grant", "Admn", "--user", "frank"], "did you mean 'Admin'?"),
        (["revoke", "Admin", "--user", "alcie"], "did you mean 'alice'?"),
    ],
)
def test_unknown_names_get_did_you_mean(app, runner, cat, args, message):
    extra = ["--for", "4h", "--reason", "x"] if args[0] == "request" else []
    before = snapshot(cat)
    result = run(app, runner, *args, *extra)
    # a name on the command line the catalog lacks is a usage error (2), as in every command,
    # and so is a role and an --account that are there but not together (as for explain and
    # scopedown); a role that is there but cannot take the request (a service role) is 1
    unknown = "unknown" in message or "did you mean" in message or "not in account" in message
    assert result.exit_code == (2 if unknown else 1), result.output
    assert message in result.stderr
    assert changed(before, cat) == {}


def test_a_former_account_name_is_named_as_such(app, runner, cat):
    """renamed_from on an account: its former name, given to --account (or left in a role
    file), gets the name it has now, from the access commands, who-can, plan and validate."""
    from rolecat.model.catalog import Account, account_hint

    accounts = [
        Account("prod", "333333333333", False, "prod", "us-east-1", renamed_from=("production",)),
        Account("dev", "444444444444", False, "dev", "us-east-1"),
    ]
    assert (
        account_hint("production", accounts) == "'production' was renamed to 'prod' (renamed_from): use prod"
    )
    assert account_hint("dve", accounts) == "did you mean 'dev'?"
    text = (cat / "catalog.yaml").read_text()
    (cat / "catalog.yaml").write_text(
        text.replace("  prod: {id:", "  prod: {renamed_from: [production], id:")
    )
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--account", "production")
    assert result.exit_code == 2
    assert "unknown account 'production'; 'production' was renamed to 'prod'" in result.stderr


def test_request_rounding_and_bad_durations():
    now = dt.datetime(2026, 12, 3, 18, 40, 12, tzinfo=dt.UTC)
    assert access.end_of(now, access.parse_duration("4h"), None) == dt.datetime(
        2026, 12, 3, 23, tzinfo=dt.UTC
    )
    assert access.end_of(now, access.parse_duration("1d12h"), None) == dt.datetime(
        2026, 12, 5, 7, tzinfo=dt.UTC
    )
    on_the_hour = now.replace(minute=0, second=0)
    assert access.end_of(on_the_hour, access.parse_duration("2h"), None) == on_the_hour + dt.timedelta(
        hours=2
    )
    for bad in ("", "4", "h", "4x", "0h", "-1d", "4 h"):
        with pytest.raises(access.AccessError):
            access.parse_duration(bad)
    assert access.until_text(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)) == "2026-12-07"


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=4).filter(lambda d: not d.isascii()),
    st.sampled_from(["w", "d", "h", "m", "1d", "12h"]),
)
def test_a_duration_is_written_in_ascii_digits(digits: str, rest: str) -> None:
    """--for takes 0-9, as --until does (parse_instant): Python's \\d and int() also took other
    scripts' digits, so --for ৪h (Bengali four, drawn like an 8) granted four hours."""
    text = digits + rest if rest.isalpha() else rest[:-1] + digits + rest[-1]
    with pytest.raises(access.AccessError) as info:
        access.parse_duration(text)
    assert info.value.usage and "is not a duration" in str(info.value)


def test_request_for_a_member_or_a_longer_escalation_says_so(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "request", "ProdEngineer", "--user", "bob", "--for", "4h", "--reason", "x")
    assert result.exit_code == 0
    assert "bob is already a permanent member of ProdEngineer (prod)" in result.stderr
    result = run(app, runner, "request", "ProdEngineer", "--user", "erin", "--for", "4h", "--reason", "x")
    assert result.exit_code == 0
    assert "erin already has ProdEngineer (prod) until 2099-12-05T00:00:00Z" in result.stderr
    assert changed(before, cat) == {}


def test_request_extends_an_existing_entry_in_place(app, runner, cat):
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "erin", "--until", "2100-01-01", "--reason", "INC-5"
    )
    assert result.exit_code == 0, result.output
    assert (cat / "roles/prod/ProdEngineer.yaml").read_text() == PROD_ENGINEER.replace(
        "until: 2099-12-05\n    reason: INC-4211 data pipeline investigation",
        "until: 2100-01-01\n    reason: INC-5",
    )


def test_request_refuses_hostile_reason(app, runner, cat):
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--for", "4h", "--reason", "a\nb: c"
    )
    assert result.exit_code == 2 and "one line of printable text" in result.stderr


# --------------------------------------------------------------------------- grant, revoke


def test_grant_replaces_a_temporary_membership(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "grant", "ProdEngineer", "--user", "erin")
    assert result.exit_code == 0, result.output
    expected = PROD_ENGINEER.replace(
        "members: [bob, carol, dave]", "members: [bob, carol, dave, erin]"
    ).split("temporary_members:")[0]
    assert changed(before, cat) == {"roles/prod/ProdEngineer.yaml": expected}
    again = run(app, runner, "grant", "ProdEngineer", "--user", "erin")
    assert again.exit_code == 0 and "already a member" in again.stderr


def test_revoke_member_and_nothing_to_revoke(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "revoke", "ProdEngineer", "--user", "carol")
    assert result.exit_code == 0, result.output
    assert changed(before, cat) == {
        "roles/prod/ProdEngineer.yaml": PROD_ENGINEER.replace("[bob, carol, dave]", "[bob, dave]")
    }
    again = run(app, runner, "revoke", "ProdEngineer", "--user", "carol")
    assert (
        again.exit_code == 0
        and "carol has no access to ProdEngineer (prod): nothing to revoke" in again.stderr
    )


def test_revoke_that_would_leave_a_role_empty_writes_nothing(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "revoke", "CustomerSuccess", "--user", "frank")
    assert result.exit_code == 1
    assert "catalog/roles/prod/CustomerSuccess.yaml:" in result.stderr
    assert "error C019: human role 'CustomerSuccess' has no members" in result.stderr
    assert "nothing was written" in result.stderr
    assert changed(before, cat) == {}


def test_revoke_with_sessions_records_the_deny(app, runner, cat):
    oncall = (cat / "roles/prod/OnCall.yaml").read_text()
    result = run(
        app, runner, "revoke", "OnCall", "--user", "carol", "--revoke-sessions", "--reason", "rotation over"
    )
    assert result.exit_code == 0, result.output
    expected = oncall.split("temporary_members:")[0] + (
        "revoke_sessions: {issued_before: 2026-12-03T18:40:00Z, reason: rotation over}\n"
    )
    assert (cat / "roles/prod/OnCall.yaml").read_text() == expected
    assert "sessions issued before 2026-12-03T18:40:00Z are denied (everyone's" in result.stderr
    # A later revocation moves the same record forward.
    later = runner.invoke(
        app,
        [
            "revoke",
            "OnCall",
            "--user",
            "bob",
            "--revoke-sessions",
            "--catalog",
            "catalog",
            "--now",
            "2026-12-04T09:00:00Z",
        ],
    )
    assert later.exit_code == 1  # bob is the last member: C019, nothing written
    assert (cat / "roles/prod/OnCall.yaml").read_text() == expected


def test_revoke_sessions_never_moves_back(app, runner, cat):
    """A --now (or a clock) earlier than the recorded instant keeps the record: moving
    issued_before back would let the sessions issued in between live again."""
    path = cat / "roles/prod/ProdEngineer.yaml"
    path.write_text(
        path.read_text() + "revoke_sessions: {issued_before: 2026-12-05T00:00:00Z, reason: INC-1}\n"
    )
    before = path.read_text()
    result = run(app, runner, "revoke", "ProdEngineer", "--user", "dave", "--revoke-sessions")
    assert result.exit_code == 0, result.output
    assert path.read_text() == before.replace("[bob, carol, dave]", "[bob, carol]")
    assert "sessions issued before 2026-12-05T00:00:00Z are already denied (kept)" in result.stderr


# --------------------------------------------------------------------------- offboard, user add


def test_offboard_removes_the_person_everywhere(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "offboard", "carol", "--revoke-sessions", "--reason", "left the company")
    assert result.exit_code == 0, result.output
    diff = changed(before, cat)
    assert sorted(diff) == [
        "roles/nonprod/Engineer.yaml",
        "roles/prod/OnCall.yaml",
        "roles/prod/ProdEngineer.yaml",
        "users.yaml",
    ]
    assert diff["users.yaml"] == before["users.yaml"].replace(
        "  carol: {email: carol@example.com, team: backend}\n", ""
    )
    deny = "revoke_sessions: {issued_before: 2026-12-03T18:40:00Z, reason: left the company}\n"
    assert (
        diff["roles/nonprod/Engineer.yaml"]
        == before["roles/nonprod/Engineer.yaml"].replace("[alice, bob, carol]", "[alice, bob]") + deny
    )
    assert (
        diff["roles/prod/ProdEngineer.yaml"]
        == PROD_ENGINEER.replace("[bob, carol, dave]", "[bob, dave]") + deny
    )
    assert (
        diff["roles/prod/OnCall.yaml"]
        == before["roles/prod/OnCall.yaml"].split("temporary_members:")[0] + deny
    )
    once = snapshot(cat)
    again = run(app, runner, "offboard", "carol")
    assert again.exit_code == 0 and "carol is not in the catalog: nothing to offboard" in again.stderr
    assert snapshot(cat) == once
    typo = run(app, runner, "offboard", "alcie")
    assert typo.exit_code == 2 and "did you mean 'alice'?" in typo.stderr
    for name in ("", "a b", "x" * 65):
        bad = run(app, runner, "offboard", name)
        assert bad.exit_code == 2 and "is not an IAM user name" in bad.stderr, bad.output


def test_offboard_takes_the_comments_written_about_the_person(app, runner, cat):
    """The comment lines written directly above carol's entries go with them: they stayed,
    above dave, and said of him what was true of carol.  The file's header, above the first
    entry, stays."""
    users = cat / "users.yaml"
    users.write_text(
        users.read_text().replace(
            "  carol:", "  # carol: contractor until 2027-03, ask legal before extending\n  carol:"
        )
    )
    role = cat / "roles/prod/ProdEngineer.yaml"
    role.write_text(
        PROD_ENGINEER.replace(
            "members: [bob, carol, dave]\n",
            "members:\n  # the platform on-call rotation\n  - bob\n"
            "  # carol: on call for the payments launch, ask @alice before removing\n  - carol\n  - dave\n",
        )
    )
    before = snapshot(cat)
    result = run(app, runner, "offboard", "carol")
    assert result.exit_code == 0, result.output
    diff = changed(before, cat)
    assert diff["users.yaml"] == (
        "# yaml-language-server: $schema=../src/rolecat/schemas/users.schema.json\n"
        "#\n"
        "# One IAM user per person, in the security account.  Users get no permissions of their\n"
        "# own beyond managing their password, access keys and MFA device; everything else is a\n"
        "# role they assume with MFA.  Removing someone here removes their user and every\n"
        "# membership at the next apply (validate reports roles that still name them).\n"
        "users:\n"
        "  alice: {email: alice@example.com, team: platform}\n"
        "  bob: {email: bob@example.com, team: platform}\n"
        "  dave: {email: dave@example.com, team: backend}\n"
        "  erin: {email: erin@example.com, team: data}\n"
        "  frank: {email: frank@example.com, team: customer-success}\n"
    )
    assert diff["roles/prod/ProdEngineer.yaml"] == PROD_ENGINEER.replace(
        "members: [bob, carol, dave]\n", "members:\n  # the platform on-call rotation\n  - bob\n  - dave\n"
    )


def test_offboard_refused_when_a_role_would_be_left_empty(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "offboard", "frank")
    assert result.exit_code == 1
    assert "C019" in result.stderr and "CustomerSuccess" in result.stderr
    assert (
        "First give the role another member (rolecat grant ROLE -u NAME), or delete its file" in result.stderr
    )
    assert changed(before, cat) == {}
    # the way out the note gives: with the role's file deleted, the offboarding goes through
    (cat / "roles" / "prod" / "CustomerSuccess.yaml").unlink()
    result = run(app, runner, "offboard", "frank")
    assert result.exit_code == 0, result.output
    assert "frank" not in (cat / "users.yaml").read_text()


def test_a_role_file_that_did_not_load_is_never_passed_over(app, runner, cat):
    """A role file with an error builds no role: offboard could not take the person out
    of it (it reported success while the file still named them), and grant said
    "unknown role".  Both now name the file and change nothing; an unrelated broken
    file still lets them through, with the note about the errors it had before."""
    broken = cat / "roles" / "prod" / "CustomerSuccess.yaml"
    broken.write_text(
        broken.read_text().replace("max_session_duration: 28800", 'max_session_duration: "a day"')
    )
    before = snapshot(cat)
    result = run(app, runner, "offboard", "frank")
    assert result.exit_code == 1
    assert "roles/prod/CustomerSuccess.yaml could not be read into the catalog" in result.stderr
    assert "names user frank" in result.stderr
    result = run(app, runner, "grant", "CustomerSuccess", "--user", "dave")
    assert result.exit_code == 1 and "names role CustomerSuccess" in result.stderr
    assert changed(before, cat) == {}
    result = run(app, runner, "grant", "ProdEngineer", "--user", "erin")
    assert result.exit_code == 0, result.output
    assert "still has 1 error it had before this edit" in result.stderr


def test_a_role_file_that_did_not_load_is_read_for_teams_accounts_not_comments(app, runner, cat):
    """The review's three gaps: a broken file naming the team its last person takes along
    (erin is data's only person); a broken file defining the role in the account asked
    for, while the role exists elsewhere; a person named only in a comment."""
    broken = cat / "roles" / "prod" / "Broken.yaml"
    broken.write_text(
        "name: Broken\naccounts: [prod]\nboundary: prod-readonly\nteams: [data]\nmax_session_duration: x\n"
    )
    result = run(app, runner, "offboard", "erin")
    assert result.exit_code == 1 and "names team data, whose last person erin is" in result.stderr
    broken.write_text(
        "name: ProdEngineer\naccounts: [nonprod]\nboundary: prod-readonly\nmembers: [dave]\nmax_session_duration: x\n"
    )
    result = run(app, runner, "grant", "ProdEngineer", "--user", "erin", "--account", "nonprod")
    assert result.exit_code == 1 and "names role ProdEngineer" in result.stderr
    broken.write_text("name: Broken\naccounts: [prod]  # ask carol first\nmax_session_duration: x\n")
    result = run(app, runner, "offboard", "carol", "--dry-run")
    assert result.exit_code == 0, result.output


def test_a_role_file_that_did_not_load_is_read_for_names_inside_flow_lists(app, runner, cat):
    """A comma ends a name: `carol,` in `[bob, carol, dave]` (the example's own layout),
    in a flow mapping or in a flow list of teams was taken for part of a longer name, so
    offboard went through and left the broken file naming the person it removed."""
    broken = cat / "roles" / "prod" / "ProdEngineer.yaml"
    broken.write_text(PROD_ENGINEER.replace("boundary: prod-readonly ", "boundary: prod-readonly\r"))
    before = snapshot(cat)
    result = run(app, runner, "offboard", "carol")
    assert result.exit_code == 1
    assert "roles/prod/ProdEngineer.yaml could not be read into the catalog" in result.stderr
    assert "names user carol" in result.stderr
    assert changed(before, cat) == {}
    broken.write_text(PROD_ENGINEER)
    (cat / "roles" / "prod" / "Broken.yaml").write_text(
        "name: Broken\naccounts: [prod]\nteams: [data,platform]\n"
        "temporary_members: [{user: dave, until: 2099-01-01}]\nmax_session_duration: x\n"
    )
    before = snapshot(cat)
    result = run(app, runner, "offboard", "dave")
    assert result.exit_code == 1 and "names user dave" in result.stderr
    result = run(app, runner, "offboard", "erin")
    assert result.exit_code == 1 and "names team data, whose last person erin is" in result.stderr
    assert changed(before, cat) == {}


def test_membership_through_a_team(app, runner, cat):
    """A role's teams: (users.yaml team:) grant standing membership that no members: list
    holds: offboard ends it with the user's entry (and takes a team whose last person
    leaves out of teams:, as validate would refuse a team nobody has), revoke refuses
    rather than leave it in place, grant and request say where it comes from."""
    role = cat / "roles/prod/CustomerSuccess.yaml"
    role.write_text(role.read_text().replace("members: [frank]", "members: [frank]\nteams: [data, backend]"))
    before = snapshot(cat)
    refused = run(app, runner, "revoke", "CustomerSuccess", "--user", "erin")
    assert refused.exit_code == 1, refused.output
    assert "erin has CustomerSuccess (prod) through team data (users.yaml team:)" in refused.stderr
    granted = run(app, runner, "grant", "CustomerSuccess", "--user", "carol")
    assert granted.exit_code == 0 and "through team backend: nothing to change" in granted.stderr
    assert changed(before, cat) == {}

    result = run(app, runner, "offboard", "erin")  # data's last person
    assert result.exit_code == 0, result.output
    assert "team data removed from its teams (erin was its last person)" in result.stderr
    diff = changed(before, cat)
    assert diff["roles/prod/CustomerSuccess.yaml"] == before["roles/prod/CustomerSuccess.yaml"].replace(
        "teams: [data, backend]", "teams: [backend]"
    )
    before = snapshot(cat)
    result = run(app, runner, "offboard", "carol")  # backend keeps dave
    assert result.exit_code == 0, result.output
    assert "carol is no longer a member of CustomerSuccess (prod) through team backend" in result.stderr
    assert "roles/prod/CustomerSuccess.yaml" not in changed(before, cat)
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]


def test_revoke_removes_what_the_role_file_holds_and_says_the_team_remains(app, runner, cat):
    """A person who is a member through a team and also listed, or holding a leftover
    escalation (C022 says to remove one): revoke removes the listing and the entry, and
    says that the team's access remains and how to end it.  Only a person the file holds
    nothing of is refused; --revoke-sessions is refused while the team's access remains
    (it would end everyone's older sessions, and not the person's access)."""
    role = cat / "roles/prod/CustomerSuccess.yaml"
    role.write_text(
        role.read_text().replace(
            "members: [frank]",
            "members: [frank, carol]\nteams: [backend]\n"
            "temporary_members:\n  - user: dave\n    until: 2026-12-01\n    reason: INC-1",
        )
    )
    before = snapshot(cat)
    refused = run(app, runner, "revoke", "CustomerSuccess", "--user", "carol", "--revoke-sessions")
    assert refused.exit_code == 1, refused.output
    assert (
        "carol keeps CustomerSuccess (prod) through team backend (users.yaml team:), so --revoke-sessions"
        in (refused.stderr)
    )
    assert changed(before, cat) == {}

    result = run(app, runner, "revoke", "CustomerSuccess", "--user", "dave")
    assert result.exit_code == 0, result.output
    assert (
        "dave: temporary membership of CustomerSuccess (prod) until 2026-12-01T00:00:00Z removed"
        in result.stderr
    )
    assert (
        "dave still has CustomerSuccess (prod) through team backend (users.yaml team:), which revoke cannot "
        "end: change dave's team in catalog/users.yaml, or take the team out of the role's teams"
    ) in result.stderr
    assert changed(before, cat) == {
        "roles/prod/CustomerSuccess.yaml": before["roles/prod/CustomerSuccess.yaml"].replace(
            "temporary_members:\n  - user: dave\n    until: 2026-12-01\n    reason: INC-1\n", ""
        )
    }
    before = snapshot(cat)
    result = run(app, runner, "revoke", "CustomerSuccess", "--user", "carol")
    assert result.exit_code == 0, result.output
    assert "carol is no longer a member of CustomerSuccess (prod)" in result.stderr
    assert "carol still has CustomerSuccess (prod) through team backend" in result.stderr
    assert changed(before, cat) == {
        "roles/prod/CustomerSuccess.yaml": before["roles/prod/CustomerSuccess.yaml"].replace(
            "[frank, carol]", "[frank]"
        )
    }
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]
    before = snapshot(cat)
    again = run(app, runner, "revoke", "CustomerSuccess", "--user", "carol")  # nothing of hers is left
    assert again.exit_code == 1 and "through team backend (users.yaml team:), which revoke cannot end" in (
        again.stderr
    )
    assert changed(before, cat) == {}


def test_a_revoke_that_leaves_team_access_says_so_in_its_commit(cat):
    role = cat / "roles/prod/CustomerSuccess.yaml"
    role.write_text(role.read_text().replace("members: [frank]", "members: [frank, carol]\nteams: [backend]"))
    now = dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC)
    loaded, _ = load_catalog(cat, now)
    assert loaded is not None
    plan = access.revoke(
        loaded, Path("catalog"), "CustomerSuccess", None, "carol", "INC-2", now, sessions=False
    )
    assert (
        "What: carol's entries in CustomerSuccess (prod) removed; access through team backend remains\n"
        in (plan.commit_message())
    )


def test_released_roles_and_users(app, runner, cat):
    """A released role (release: true) is no longer rolecat's, but its file still names
    members, which validate checks against users.yaml: offboard takes the person out of it
    too (it used to refuse every offboarding of its members), and a released role may be
    left with nobody (its trust policy is not rolecat's).  A released user or role is
    named as such, not as unknown."""
    (cat / "roles/prod/Legacy.yaml").write_text(
        "name: Legacy\naccounts: [prod]\nboundary: prod-readonly\nmembers: [erin]\nrelease: true\n"
    )
    users = cat / "users.yaml"
    users.write_text(users.read_text().replace("  frank:", "  hank: {release: true}\n  frank:"))
    before = snapshot(cat)
    for args, said in (
        (("grant", "Legacy", "--user", "bob"), "role 'Legacy' is released (release: true in"),
        (("grant", "ProdEngineer", "--user", "hank"), "hank is released (release: true in"),
        (("offboard", "hank"), "offboard it in AWS by hand"),
        (("user", "add", "hank"), "hank is released (release: true in"),
    ):
        refused = run(app, runner, *args)
        assert refused.exit_code == 1 and said in refused.stderr, (args, refused.output)
    assert changed(before, cat) == {}
    result = run(app, runner, "offboard", "erin", "--revoke-sessions")
    assert result.exit_code == 0, result.output
    assert "erin is no longer a member of Legacy (prod)" in result.stderr
    assert "Legacy (prod) is released: its sessions are not rolecat's to revoke" in result.stderr
    assert changed(before, cat)["roles/prod/Legacy.yaml"] == before["roles/prod/Legacy.yaml"].replace(
        "[erin]", "[]"
    )
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]


def test_user_add_sorted_idempotent_and_validated(app, runner, cat):
    before = snapshot(cat)
    dry = run(app, runner, "user", "add", "bea", "--email", "bea@example.com", "--dry-run")
    assert dry.exit_code == 0 and changed(before, cat) == {}
    # what the edit gives, then that it was not written: never that the user was added
    assert dry.stderr.splitlines()[0] == "bea is now a user in catalog/users.yaml"
    assert dry.stderr.splitlines()[-1] == "dry run: nothing was written"
    assert "added" not in dry.stderr
    result = run(app, runner, "user", "add", "bea", "--email", "bea@example.com", "--team", "data")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "bea is now a user in catalog/users.yaml"
    assert changed(before, cat) == {
        "users.yaml": before["users.yaml"].replace(
            "  bob:", "  bea: {email: bea@example.com, team: data}\n  bob:"
        )
    }
    once = snapshot(cat)
    assert run(app, runner, "user", "add", "bea", "--email", "bea@example.com").exit_code == 0
    assert snapshot(cat) == once
    other = run(app, runner, "user", "add", "bea", "--email", "other@example.com")
    assert other.exit_code == 1 and "already exists with email='bea@example.com'" in other.stderr
    case = run(app, runner, "user", "add", "Alice")
    assert case.exit_code == 1 and "case-insensitive" in case.stderr
    bad = run(app, runner, "user", "add", "zed", "--email", "not an email")
    assert bad.exit_code == 2, bad.output  # a value the flag cannot take: a usage error
    assert bad.stderr.startswith("rolecat: --email 'not an email' is not valid: an email address")
    assert "a valid example: alice@example.com" in bad.stderr  # an address, not a person's name
    for name in ("12:30", "x" * 65, ""):
        refused = run(app, runner, "user", "add", name)
        assert refused.exit_code == 2 and "is not an IAM user name" in refused.stderr, refused.output
        # and not `unknown user ...; add the person first: rolecat user add 12:30`
        for args in (
            ("grant", "Admin"),
            ("revoke", "Admin"),
            ("request", "Admin", "--for", "1h", "--reason", "x"),
        ):
            refused = run(app, runner, *args, "--user", name)
            assert refused.exit_code == 2 and "is not an IAM user name" in refused.stderr, refused.output
    assert snapshot(cat) == once


def test_dry_run_prints_the_diff_and_writes_nothing(app, runner, cat):
    before = snapshot(cat)
    result = run(app, runner, "grant", "Admin", "--user", "bob", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "-members: [alice]\n+members: [alice, bob]\n" in result.stdout
    assert changed(before, cat) == {}


def test_a_catalog_with_errors_is_edited_when_the_edit_adds_none(app, runner, cat):
    """An unrelated mistake does not hold up a grant (or an offboarding); the note says the
    errors are still there.  An edit that adds an error is refused as ever."""
    (cat / "roles/prod/Admin2.yaml").write_text("name: Admin2\naccounts: [nowhere]\nmembers: [alice]\n")
    result = run(app, runner, "grant", "Admin", "--user", "bob")
    assert result.exit_code == 0, result.output
    assert "still has 2 errors it had before this edit" in result.stderr
    assert "bob" in (cat / "roles/admin/Admin.yaml").read_text()
    before = snapshot(cat)
    result = run(app, runner, "offboard", "frank", "--reason", "left")  # empties CustomerSuccess: C019
    assert result.exit_code == 1 and "C019" in result.stderr
    assert changed(before, cat) == {}


def test_an_edit_that_fixes_an_error_is_allowed(app, runner, cat):
    """max_escalation_days: 14 makes erin's long escalation an error (E102); revoking it is the fix."""
    cfg = cat / "catalog.yaml"
    text = cfg.read_text()
    assert "# max_escalation_days: 14" in text
    cfg.write_text(text.replace("# max_escalation_days: 14", "max_escalation_days: 14"))
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert any(d.code == "E102" and d.is_error for d in diags)
    result = run(app, runner, "revoke", "ProdEngineer", "--user", "erin")
    assert result.exit_code == 0, result.output
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not any(d.code == "E102" and "erin" in d.message for d in diags)


def test_a_catalog_that_does_not_load_is_not_edited(app, runner, cat):
    (cat / "catalog.yaml").write_text("organization: [unclosed\n")
    before = snapshot(cat)
    result = run(app, runner, "grant", "Admin", "--user", "bob")
    assert result.exit_code == 1 and "keep it from loading" in result.stderr
    assert changed(before, cat) == {}


# --------------------------------------------------------------------------- --branch


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(cat: Path) -> Path:
    root = cat.parent
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "lead@example.com")
    git(root, "config", "user.name", "Lead")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "catalog")
    return root


def test_branch_commits_the_change_with_who_what_until_why(app, runner, repo):
    (repo / "notes.txt").write_text("unrelated work in progress\n")
    git(repo, "add", "notes.txt")
    result = run(
        app,
        runner,
        "request",
        "ProdEngineer",
        "--user",
        "frank",
        "--for",
        "4h",
        "--reason",
        "INC-77",
        "--branch",
    )
    assert result.exit_code == 0, result.output
    branch = "access/request-frank-ProdEngineer-20261203T1840Z"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == branch
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Request ProdEngineer for frank until 2026-12-03T23:00:00Z\n\n")
    for line in (
        "Who: frank",
        "What: temporary membership of ProdEngineer (prod)",
        "Until: 2026-12-03T23:00:00Z",
        "Why: INC-77",
    ):
        assert line in message
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "catalog/roles/prod/ProdEngineer.yaml"
    ]
    assert git(repo, "status", "--porcelain").splitlines() == ["A  notes.txt"]  # left alone, still staged
    assert git(repo, "log", "--format=%an", "-1").strip() == "Lead"
    # The pull request's body: the access diff of the commit against its base.
    assert "### rolecat diff: Access grows" in result.stdout
    assert "frank" in result.stdout and "ProdEngineer" in result.stdout


def test_branch_refuses_dirty_files_and_existing_branches(app, runner, repo):
    role = repo / "catalog/roles/prod/ProdEngineer.yaml"
    role.write_text(role.read_text() + "# local edit\n")
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch")
    assert (
        result.exit_code == 2
        and "uncommitted changes in catalog/roles/prod/ProdEngineer.yaml" in result.stderr
    )
    assert "Try " not in result.stderr  # the repository's state: no command line's mistake, no hint
    git(repo, "checkout", "--", "catalog")
    git(repo, "branch", "taken")
    result = run(
        app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch", "--branch-name", "taken"
    )
    assert result.exit_code == 2 and "branch taken already exists" in result.stderr
    # --branch-name fixes it: a usage error, with the hint
    assert result.stderr.endswith("\nTry 'root grant --help' for help.\n"), result.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo, "status", "--porcelain") == ""
    # names git reads as other refs: a branch @ (HEAD to git), refs/heads/refs/heads/x
    for name in ("@", "refs/heads/x"):
        result = run(
            app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch", "--branch-name", name
        )
        assert result.exit_code == 2 and "is not a name for a new branch" in result.stderr, (
            name,
            result.output,
        )
        assert result.stderr.endswith("\nTry 'root grant --help' for help.\n"), result.stderr  # a usage error
    # a name git's own rules refuse: a usage error too, in git's words
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch", "--branch-name", "a..b")
    assert result.exit_code == 2 and "'a..b' is not a valid branch name" in result.stderr, result.stderr
    assert result.stderr.endswith("\nTry 'root grant --help' for help.\n"), result.stderr
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch", "--branch-name", "")
    assert result.exit_code == 2 and "the name is empty" in result.stderr, result.output
    assert git(repo, "branch", "--format=%(refname)").split() == ["refs/heads/main", "refs/heads/taken"]
    assert git(repo, "status", "--porcelain") == ""


def test_branch_outside_git_is_a_usage_error(app, runner, cat):
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch")
    assert result.exit_code == 2 and "not inside a git repository; --branch needs one" in result.stderr
    assert result.stderr.endswith("\nTry 'root grant --help' for help.\n"), result.stderr


# --------------------------------------------------------------------------- revoke_sessions in the output


DENY_HCL = """
# Revoke older sessions: deny everything to sessions issued before the instant (revoke_sessions)
resource "aws_iam_role_policy" "OnCall__revoke_older_sessions" {
  name = "rolecat-revoke-older-sessions"
  role = aws_iam_role.OnCall.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RevokeOlderSessions"
        Effect   = "Deny"
        Action   = "*"
        Resource = "*"
        Condition = {
          DateLessThan = {
            "aws:TokenIssueTime" = "2026-12-03T18:40:00Z"
          }
        }
      },
    ]
  })
}
"""


def test_revoke_sessions_is_rendered_and_validate_says_when_it_can_go(app, runner, cat, tmp_path):
    from rolecat.pipeline import render_catalog

    result = run(app, runner, "revoke", "OnCall", "--user", "carol", "--revoke-sessions")
    assert result.exit_code == 0, result.output
    issued = dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC)
    # The output depends on the catalog alone: the same text whatever the clock says.
    texts = []
    for now in (issued, issued + dt.timedelta(days=30)):
        _, diags, files = render_catalog(cat, now)
        assert not [d for d in diags if d.is_error]
        roles_tf = next(f.text for f in files if f.path == "prod/role.OnCall.tf")
        assert DENY_HCL in roles_tf
        texts.append(roles_tf)
    assert texts[0] == texts[1]
    manifest = next(f.text for f in files if f.path == "manifest.json")
    assert '"revoke_older_sessions"' in manifest
    # OnCall's max_session_duration is 14400 s: the deny is useful until 22:40:00Z, then E103.
    almost = run_validate(cat, issued + dt.timedelta(seconds=14399))
    assert "E103" not in almost
    done = run_validate(cat, issued + dt.timedelta(seconds=14400))
    assert (
        "catalog/roles/prod/OnCall.yaml:15:1: warning E103: revoke_sessions of OnCall denies sessions issued "
        "before 2026-12-03T18:40:00Z; the last of them expired by 2026-12-03T22:40:00Z" in done
    )


def run_validate(cat: Path, now: dt.datetime) -> str:
    _, diags = load_catalog(cat, now)
    return "\n".join(d.format_text() for d in diags)


def test_revoke_sessions_output_is_what_hclfmt_prints(app, runner, cat, tmp_path, hclfmt):
    from rolecat.pipeline import render_catalog

    assert run(app, runner, "offboard", "carol", "--revoke-sessions").exit_code == 0
    _, _, files = render_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    for f in files:
        if "/role." in f.path:
            target = tmp_path / f.path.replace("/", "_")
            target.write_text(f.text)
            formatted = subprocess.run(
                [hclfmt, str(target)], capture_output=True, text=True, check=True
            ).stdout
            assert formatted == f.text


def test_revoke_sessions_bad_time_is_c020(cat):
    role = cat / "roles/prod/OnCall.yaml"
    role.write_text(role.read_text() + "revoke_sessions: {issued_before: 2026-12-03T18:40:00}\n")
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    assert [d.format_text().splitlines()[0] for d in diags if d.is_error] == [
        "catalog/roles/prod/OnCall.yaml:19:34: error C020: revoke_sessions: '2026-12-03T18:40:00' has no time "
        "zone; add Z (UTC) or an offset such as +02:00"
    ]


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("x,y", "'x,y'"),
        ("yes", "'yes'"),
        ("null", "'null'"),
        ("+1", "'+1'"),
        ("1_000", "'1_000'"),
        ("=", "'='"),
        ("a@b.c", "a@b.c"),
    ],
)
def test_hostile_user_names_are_quoted_where_yaml_needs_it(app, runner, cat, name, written):
    assert run(app, runner, "user", "add", name).exit_code == 0
    result = run(app, runner, "grant", "Admin", "--user", name)
    assert result.exit_code == 0, result.output
    items = ", ".join(written if n == name else n for n in sorted(["alice", name]))  # the list stays sorted
    assert f"members: [{items}]\n" in (cat / "roles/admin/Admin.yaml").read_text()
    assert run(app, runner, "revoke", "Admin", "--user", name).exit_code == 0
    assert "members: [alice]\n" in (cat / "roles/admin/Admin.yaml").read_text()
    assert run(app, runner, "offboard", name).exit_code == 0
    assert (cat / "users.yaml").read_text() == (ROOT / "catalog/users.yaml").read_text()


REQUEST_CAROL = ("request", "OnCall", "--user", "carol", "--for", "4h", "--reason", "INC-8")


def test_request_renews_an_expired_entry_in_place(app, runner, cat):
    oncall = (cat / "roles/prod/OnCall.yaml").read_text()
    result = runner.invoke(
        app,
        [*REQUEST_CAROL, "--catalog", "catalog", "--now", "2100-01-01T10:15:00Z"],
    )
    assert result.exit_code == 0, result.output
    assert "carol: OnCall (prod) now until 2100-01-01T15:00:00Z (was 2099-12-05T00:00:00Z)" in result.stderr
    assert (cat / "roles/prod/OnCall.yaml").read_text() == oncall.replace(
        "until: 2099-12-05", "until: 2100-01-01T15:00:00Z"
    ).replace("reason: on-call rotation, example of a time-boxed escalation", "reason: INC-8")


def test_grant_to_the_only_temporary_member_of_a_role_without_members(app, runner, cat):
    role = cat / "roles/prod/Break.yaml"
    role.write_text(
        "name: Break\naccounts: [prod]\nadmin: true\nboundary: prod-admin\n"
        "temporary_members:\n  - user: dave\n    until: 2099-01-01\n\n# end of file\n"
    )
    result = run(app, runner, "grant", "Break", "--user", "dave")
    assert result.exit_code == 0, result.output
    assert (
        role.read_text()
        == "name: Break\naccounts: [prod]\nadmin: true\nboundary: prod-admin\nmembers: [dave]\n\n# end of file\n"
    )


def test_a_new_members_key_leaves_the_comment_above_temporary_members_where_it_was(app, runner, cat):
    """grant adds members: before temporary_members:, above the comment written about the
    escalations, which stays with them; nothing else in the file changes."""
    role = cat / "roles/prod/Break.yaml"
    text = (
        "name: Break\naccounts: [prod]\nadmin: true\nboundary: prod-admin\n"
        "# break-glass only: security approves each entry\n"
        "temporary_members:\n  - user: dave\n    until: 2099-01-01\n  - user: erin\n    until: 2099-01-01\n"
    )
    role.write_text(text)
    before = snapshot(cat)
    result = run(app, runner, "grant", "Break", "--user", "frank")
    assert result.exit_code == 0, result.output
    assert changed(before, cat) == {
        "roles/prod/Break.yaml": text.replace("# break-glass", "members: [frank]\n# break-glass")
    }


@pytest.mark.parametrize(
    ("teams_above", "temporary_above", "emptied"),
    [
        # comments of their own above them: removed, they would describe the key that
        # follows; kept, ``key: []`` keeps them
        (
            "# the data team's analysts, for the delivery reports",
            "# escalations need an incident ticket",
            lambda key: f"{key}: []\n",
        ),
        # a key commented out or a heading right above them is not their own comment and
        # stays where it is: the emptied key goes (it stayed as ``key: []``)
        ("# boundary: cs-old-boundary", "# ---- escalations ----", lambda key: ""),
    ],
)
def test_an_emptied_list_goes_unless_comments_of_its_own_are_above_it(
    app, runner, cat, teams_above, temporary_above, emptied
):
    """An emptied temporary_members (``revoke``) or teams (``offboard``) key is removed,
    unless comments of its own are written above it."""
    role = cat / "roles/prod/CustomerSuccess.yaml"
    text = role.read_text().replace(
        "members: [frank]",
        f"members: [frank]\n{teams_above}\nteams: [data]\n"
        f"{temporary_above}\ntemporary_members:\n  - user: dave\n    until: 2099-01-01",
    )
    role.write_text(text)
    before = snapshot(cat)
    result = run(app, runner, "revoke", "CustomerSuccess", "--user", "dave")
    assert result.exit_code == 0, result.output
    expected = text.replace(
        "temporary_members:\n  - user: dave\n    until: 2099-01-01\n", emptied("temporary_members")
    )
    assert changed(before, cat) == {"roles/prod/CustomerSuccess.yaml": expected}
    result = run(app, runner, "offboard", "erin")  # data's last person
    assert result.exit_code == 0, result.output
    assert role.read_text() == expected.replace("teams: [data]\n", emptied("teams"))
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]


def test_symlinked_role_files_are_left_to_people(app, runner, cat, tmp_path):
    (cat / "shared").mkdir()  # inside the catalog: a link leading outside it is L011
    real = cat / "shared/Admin.yaml"
    role = cat / "roles/admin/Admin.yaml"
    real.write_text(role.read_text())
    role.unlink()
    role.symlink_to(real)
    before = real.read_text()
    result = run(app, runner, "grant", "Admin", "--user", "bob")
    assert result.exit_code == 1 and "is a symbolic link" in result.stderr
    assert role.is_symlink() and real.read_text() == before


def test_a_file_changed_meanwhile_stops_every_write(tmp_path):
    from rolecat.workflow.edits import ChangedMeanwhile, write_edits

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("x: 1\n")
    b.write_text("y: 2\n")
    with pytest.raises(ChangedMeanwhile, match=r"b\.yaml changed"):
        write_edits({a: ("x: 1\n", "x: 3\n"), b: ("y: 1\n", "y: 3\n")})
    assert a.read_text() == "x: 1\n" and b.read_text() == "y: 2\n"
    write_edits({a: ("x: 1\n", "x: 3\n"), b: ("y: 2\n", "y: 3\n")})
    assert a.read_text() == "x: 3\n" and b.read_text() == "y: 3\n"


@contextlib.contextmanager
def unwritable(path: Path, *, folder: bool):
    """``path`` made unwritable for real: a folder no file can be created in, or a file
    that cannot be replaced (root ignores modes, so it gets the immutable attribute)."""
    if os.geteuid() != 0 and folder:
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(0o755)
        return
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr to make a file unreplaceable")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode:
        pytest.skip("this file system has no immutable attribute")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("fails", ["a folder", "a file"])
def test_an_offboarding_that_cannot_write_one_file_writes_none(app, runner, cat, fails):
    """offboard carol edits four files; when one of them cannot be written (its folder is
    read-only, or the file cannot be replaced), none is: the ones staged or already
    renamed are put back, no temporary file is left, and the exit is 2 with no traceback."""
    before = snapshot(cat)
    target = cat / "roles/prod" if fails == "a folder" else cat / "roles/prod/ProdEngineer.yaml"
    with unwritable(target, folder=fails == "a folder"):
        result = run(app, runner, "offboard", "carol")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("rolecat: cannot write catalog/roles/prod/") and result.stderr.endswith(
        "; nothing was written\n"
    ), result.stderr
    assert changed(before, cat) == {}
    assert "edited" not in result.stderr and "removed from" not in result.stderr


def test_an_edit_waits_for_another_command_editing_the_catalog(app, runner, cat, monkeypatch):
    """The access commands hold a lock on the catalog folder from reading the files to
    writing them: a command that finds it held waits ROLECAT_LOCK_TIMEOUT seconds, then
    gives up (exit 1, nothing written); two offboardings at once both go through, neither
    writing users.yaml over the other's edit."""
    import fcntl

    monkeypatch.setenv("ROLECAT_LOCK_TIMEOUT", "0.3")
    before = snapshot(cat)
    fd = os.open(cat, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as another rolecat editing it
        result = run(app, runner, "offboard", "dave")
    finally:
        os.close(fd)
    assert result.exit_code == 1, result.output
    assert "another rolecat command is editing catalog (waited 0.3s)" in result.stderr
    assert changed(before, cat) == {}

    monkeypatch.setenv("ROLECAT_LOCK_TIMEOUT", "60")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rolecat", "offboard", name, "--catalog", "catalog", "--now", NOW],
            cwd=cat.parent,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("dave", "erin", "carol")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    users = (cat / "users.yaml").read_text()
    assert all(f"  {name}:" not in users for name in ("dave", "erin", "carol")), users
    _, diags = load_catalog(cat, dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC))
    assert not [d for d in diags if d.is_error]


def test_branch_recompiles_committed_terraform_in_the_same_commit(app, runner, repo):
    from rolecat.pipeline import compile_catalog, render_catalog
    from rolecat.targets.terraform.write import diff_output

    instant = dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC)
    ok, _ = compile_catalog(repo / "catalog", repo / "build/terraform", instant)
    assert ok
    git(repo, "add", "build")
    git(repo, "commit", "-q", "-m", "terraform")
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch")
    assert result.exit_code == 0, result.output
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "build/terraform/manifest.json",
        "build/terraform/prod/role.ProdEngineer.tf",
        "catalog/roles/prod/ProdEngineer.yaml",
    ]
    assert git(repo, "status", "--porcelain") == ""
    _, _, files = render_catalog(repo / "catalog", instant)
    assert diff_output(files, repo / "build/terraform") == ""  # what CI's compile --check sees


def _commit_terraform(repo: Path) -> None:
    from rolecat.pipeline import compile_catalog

    ok, _ = compile_catalog(
        repo / "catalog", repo / "build/terraform", dt.datetime(2026, 12, 3, 18, 40, tzinfo=dt.UTC)
    )
    assert ok
    git(repo, "add", "build")
    git(repo, "commit", "-q", "-m", "terraform")


@pytest.mark.parametrize("other", ["edited", "untracked"])
def test_branch_that_recompiles_refuses_any_other_uncommitted_catalog_file(app, runner, repo, other):
    """The recompile reads the whole catalog: an uncommitted edit elsewhere in it (dave
    added to CustomerSuccess) would reach the committed Terraform without its catalog
    change, unreviewed.  Refused, nothing written, still on main."""
    _commit_terraform(repo)
    if other == "edited":
        stray = repo / "catalog/roles/prod/CustomerSuccess.yaml"
        stray.write_text(stray.read_text().replace("members: [frank]", "members: [frank, dave]"))
    else:
        stray = repo / "catalog/roles/prod/Sneaky.yaml"
        stray.write_text(
            (repo / "catalog/roles/prod/CustomerSuccess.yaml")
            .read_text()
            .replace("CustomerSuccess", "Sneaky")
        )
    before = snapshot(repo / "catalog")
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--branch")
    assert result.exit_code == 2, result.output
    assert f"uncommitted changes in catalog/roles/prod/{stray.name}: --branch recompiles" in result.stderr
    assert "is now a permanent member" not in result.stderr and "frank" not in result.stderr.split(":")[0]
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert changed(before, repo / "catalog") == {}


def test_branch_from_a_subfolder_recompiles_the_repository_terraform(app, runner, repo, monkeypatch):
    _commit_terraform(repo)
    monkeypatch.chdir(repo / "catalog/roles")
    result = runner.invoke(
        app,
        ["grant", "ProdEngineer", "--user", "frank", "--branch", "--catalog", "../../catalog", "--now", NOW],
    )
    assert result.exit_code == 0, result.output
    assert (
        "build/terraform/prod/role.ProdEngineer.tf"
        in git(repo, "show", "--name-only", "--format=", "HEAD").split()
    )


def test_nothing_is_said_done_before_a_refusal(app, runner, cat):
    """`offboard` of the last member of a role is refused (C019): no line says it happened."""
    result = run(app, runner, "offboard", "frank", "--reason", "left")
    assert result.exit_code == 1 and "C019" in result.stderr
    assert "no longer a member" not in result.stderr and "removed from" not in result.stderr


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("1000000w", "longer than a century"),
        ("99999999999999999999h", "longer than a century"),
        ("1d1d", "each once and largest first"),
        ("12h1d", "each once and largest first"),
        ("3D", "is not a duration"),
        ("0h", "no time at all"),
        ("\u09eah", "is not a duration"),  # Bengali four, drawn like an 8
        ("1\uff12h", "is not a duration"),  # 1 and a full-width 2
    ],
)
def test_a_duration_that_is_not_one_is_a_usage_error(app, runner, cat, duration, message):
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--for", duration, "--reason", "x"
    )
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_dry_run_labels_the_edit_and_a_reason_without_a_place_is_noted(app, runner, cat):
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--dry-run")
    assert result.exit_code == 0
    assert "+++ catalog/roles/prod/ProdEngineer.yaml (edited)" in result.stdout
    result = run(app, runner, "grant", "ProdEngineer", "--user", "frank", "--reason", "INC-9")
    assert result.exit_code == 0
    assert "note: this edit has no place for --reason" in result.stderr
    result = run(app, runner, "request", "OnCall", "--user", "frank", "--for", "4h", "--reason", "INC-9")
    assert result.exit_code == 0 and "no place for --reason" not in result.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "rolecat", "offboard", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "in every role NAME could assume" in " ".join(help_text.split())


def test_an_until_in_the_past_is_a_usage_error(app, runner, cat):
    """A --until that is not in the future is not an instant the flag can take (exit 2,
    as a --until that does not parse); one beyond max_escalation_days is refused (1)."""
    before = snapshot(cat)
    result = run(
        app, runner, "request", "ProdEngineer", "--user", "frank", "--until", "2020-01-01", "--reason", "x"
    )
    assert result.exit_code == 2
    assert "rolecat: --until 2020-01-01T00:00:00Z is not in the future (now is " in result.stderr
    assert changed(before, cat) == {}


@pytest.mark.parametrize("given", [[], ["--for", "4h", "--until", "2099-01-01"]])
def test_request_needs_exactly_one_end(app, runner, cat, given):
    """Neither --for nor --until, or both: a usage error that blames neither flag alone."""
    before = snapshot(cat)
    result = run(app, runner, "request", "ProdEngineer", "--user", "frank", *given, "--reason", "x")
    both = " (both were given)" if given else ""
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"rolecat: give exactly one of --for DURATION and --until WHEN{both}\n")
    assert result.stderr.splitlines()[1].startswith("Try '") and " request " in result.stderr.splitlines()[1]
    assert changed(before, cat) == {}


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("user add zed --team 'bad team!'", "--team 'bad team!' is not valid: 1 to 256 letters"),
        ("user add zed --team ''", "--team '' is not valid"),
        ("user add zed --email zed@example.com$NL", "--email 'zed@example.com\\n' is not valid"),
        ("user add zed --email z@" + "x" * 300, "--email is 302 characters; at most 256"),
        ("user add zed --team \u212bngstr\u00f6m", "is not in Unicode NFC"),
        # the end lands after 2999, the last year of a catalog date (spec, Time)
        (
            "request ProdEngineer -u frank --for 36000d --reason x --now 2990-01-01",
            "--for ends at 3088-07-26T00:00:00Z, after the year 2999",
        ),
        (
            "request ProdEngineer -u frank --until 2999-12-31T23:00:00-05:00 --reason x",
            "--until ends at 3000-01-01T04:00:00Z, after the year 2999",
        ),
        (
            "revoke ProdEngineer -u bob --revoke-sessions --now 2999-12-31T23:00:00-05:00",
            "is 3000-01-01T04:00:00Z in UTC, after the year 2999",
        ),
    ],
)
def test_a_value_the_command_cannot_write_is_a_usage_error(app, runner, cat, command, message):
    """A flag's value that the edited catalog could not hold is refused as that value (exit
    2, the flag named, no traceback, nothing written), not as an edit that failed validation."""
    args = [a.replace("$NL", "\n") for a in shlex.split(command)]
    before = snapshot(cat)
    result = runner.invoke(app, [*args, "--catalog", "catalog", *(() if "--now" in args else ("--now", NOW))])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert message in said, result.stderr
    # --now's is typer's (a BadParameter), in rolecat's words too; no catalog finding
    assert said.startswith(("rolecat: --", "rolecat: invalid value for '--now'")) and " error " not in said
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert changed(before, cat) == {}


def test_escalations_within_is_at_most_a_century(app, runner, cat):
    result = runner.invoke(app, ["escalations", "catalog", "--within", "99999999999"])
    assert result.exit_code == 2 and "99999999999 is above 36500, the most it takes" in result.stderr, (
        result.output
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_gone_before_the_validation_copy_reaches_it_is_left_out(tmp_path: Path) -> None:
    # An editor's swap file listed with the catalog's folder and removed before copytree
    # copies it: the copy leaves it out, as the catalog no longer holds it, instead of
    # failing the command as an internal error (shutil.Error).
    from rolecat.workflow.edits import copy_present

    copy_present(str(tmp_path / ".ProdAdmin.yaml.swp"), str(tmp_path / "copy.swp"))
    assert not (tmp_path / "copy.swp").exists()
    (tmp_path / "here.yaml").write_text("x: 1\n")
    with pytest.raises(FileNotFoundError):  # a destination that cannot be written still fails
        copy_present(str(tmp_path / "here.yaml"), str(tmp_path / "no-such-folder" / "here.yaml"))
