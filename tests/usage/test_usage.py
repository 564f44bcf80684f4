"""``rolecat usage`` on the example catalog with SYNTHETIC AssumeRole logs (assumerole_records.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from assumerole_records import IDENTITY, NONPROD, PROD, assume_role, service_assume_role, write_delivery
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rolecat.usage.command import register

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T00:00:00Z"  # with --days 90 the cutoff is 2026-09-02T00:00:00Z
ENGINEER = f"arn:aws:iam::{PROD}:role/humans/ProdEngineer"
ONCALL = f"arn:aws:iam::{PROD}:role/humans/OnCall"
CS = f"arn:aws:iam::{PROD}:role/humans/CustomerSuccess"
NONPROD_ENGINEER = f"arn:aws:iam::{NONPROD}:role/humans/Engineer"
EXPORTER = f"arn:aws:iam::{PROD}:role/services/ReportExporter"


def run(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    result = CliRunner().invoke(app, ["usage", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "trail"

    def pair(user: str, role: str, when: str) -> None:
        write_delivery(root, IDENTITY, when, [assume_role(user, role, when, copy="identity")])
        write_delivery(root, role.split(":")[4], when, [assume_role(user, role, when, copy="target")])

    pair("bob", ENGINEER, "2026-11-20T09:00:00Z")  # seen in both accounts: counted once
    pair("bob", ENGINEER, "2026-11-21T09:00:00Z")
    # dave: only the target account's copy, long ago -> by session name, a candidate
    write_delivery(
        root,
        PROD,
        "2026-05-01T08:00:00Z",
        [assume_role("dave", ENGINEER, "2026-05-01T08:00:00Z", copy="target")],
    )
    # erin, temporary member: only the identity account's copy
    write_delivery(
        root,
        IDENTITY,
        "2026-11-25T10:00:00Z",
        [assume_role("erin", ENGINEER, "2026-11-25T10:00:00Z", copy="identity")],
    )
    # frank: the target copy, the role ARN written without its path
    no_path = f"arn:aws:iam::{PROD}:role/CustomerSuccess"
    write_delivery(
        root,
        PROD,
        "2026-11-01T10:00:00Z",
        [assume_role("frank", no_path, "2026-11-01T10:00:00Z", copy="target")],
    )
    # a denied attempt by carol on OnCall, in both accounts: not a use
    for copy, acct in (("identity", IDENTITY), ("target", PROD)):
        rec = assume_role("carol", ONCALL, "2026-11-10T10:00:00Z", copy=copy, error="AccessDenied")
        write_delivery(root, acct, "2026-11-10T10:00:00Z", [rec])
    # mallory is not a member of nonprod's Engineer (any more)
    pair("mallory", NONPROD_ENGINEER, "2026-11-02T10:00:00Z")
    # a service assuming a service role, another account's principal, and an event after --now
    write_delivery(
        root, PROD, "2026-11-03T10:00:00Z", [service_assume_role(EXPORTER, "2026-11-03T10:00:00Z")]
    )
    foreign = assume_role(
        "eve", ENGINEER, "2026-11-04T10:00:00Z", copy="target", caller_account="999999999999"
    )
    write_delivery(root, PROD, "2026-11-04T10:00:00Z", [foreign])
    write_delivery(
        root,
        IDENTITY,
        "2026-12-02T10:00:00Z",
        [assume_role("carol", ENGINEER, "2026-12-02T10:00:00Z", copy="identity")],
    )
    # a delivery file without any AssumeRole: not parsed
    (root / "other.json").write_text(json.dumps({"Records": [{"eventName": "GetObject"}]}))
    return root


def _member(doc: dict[str, Any], role: str, user: str) -> dict[str, Any]:
    r = next(r for r in doc["roles"] if r["role"] == role)
    return next(m for m in r["members"] if m["user"] == user)


def test_members_and_candidates(logs: Path) -> None:
    code, out, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["cutoff"] == "2026-09-02T00:00:00Z"
    bob = _member(doc, "ProdEngineer", "bob")
    assert (bob["status"], bob["assumptions"], bob["last_assumed"]) == ("used", 2, "2026-11-21T09:00:00Z")
    dave = _member(doc, "ProdEngineer", "dave")
    assert (dave["status"], dave["last_assumed"]) == ("candidate", "2026-05-01T08:00:00Z")
    carol = _member(doc, "ProdEngineer", "carol")
    assert (carol["status"], carol["last_assumed"]) == ("candidate", None)  # the 12-02 event is after --now
    erin = _member(doc, "ProdEngineer", "erin")
    assert erin["temporary"] and erin["escalation_used"] and erin["status"] == "used"
    oncall_carol = _member(doc, "OnCall", "carol")
    assert oncall_carol["temporary"] and not oncall_carol["escalation_used"]
    assert oncall_carol["failed_attempts"] == 1  # denied in both accounts: one attempt
    assert _member(doc, "CustomerSuccess", "frank")["status"] == "used"
    engineer = next(r for r in doc["roles"] if r["role"] == "Engineer")
    assert engineer["not_members"] == [
        {"user": "mallory", "assumptions": 1, "last_assumed": "2026-11-02T10:00:00Z"}
    ]
    prod_engineer = next(r for r in doc["roles"] if r["role"] == "ProdEngineer")
    assert prod_engineer["candidates"] == ["carol", "dave"]
    assert prod_engineer["other_principals"] == [
        {
            "principal": "AWSAccount "
            + prod_engineer["other_principals"][0]["principal"].split(" ")[1]
            + " of account 999999999999",
            "account": "prod",
            "assumptions": 1,
        }
    ]
    # service roles have no members: not in the report
    assert "ReportExporter" not in {r["role"] for r in doc["roles"]}
    inp = doc["input"]
    # 2 bob pairs + mallory pair + denied pair = 4 second copies
    assert inp["duplicates"] == 4
    assert inp["after_now"] == 1
    assert inp["files_without_assume_role"] == 1
    assert inp["attributed_by_session_name"] >= 2  # dave and frank at least


def test_a_renamed_users_assumptions_under_the_former_name_are_theirs(logs: Path, tmp_path: Path) -> None:
    """users.yaml renamed_from: IAM renames the user in place, so the logs before the rename
    name it as it was.  Those assumptions are the user's (dave was reported a candidate who
    never assumed the role, and 'dave-old' a non-member)."""
    import shutil

    cat = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", cat)
    users = cat / "users.yaml"
    users.write_text(users.read_text().replace("  dave: {", "  dave: {renamed_from: [dave-old], "))
    when = "2026-11-28T09:00:00Z"
    write_delivery(logs, IDENTITY, when, [assume_role("dave-old", ENGINEER, when, copy="identity")])
    code, out, err = run(str(logs), "--catalog", str(cat), "--now", NOW, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    dave = _member(doc, "ProdEngineer", "dave")
    assert (dave["status"], dave["assumptions"], dave["last_assumed"]) == ("used", 2, when)
    assert next(r for r in doc["roles"] if r["role"] == "ProdEngineer")["not_members"] == []


def test_text_markdown_and_exit_code(logs: Path) -> None:
    base = [str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW]
    code, out, _ = run(*base)
    assert code == 0
    assert "dave" in out and "REMOVAL CANDIDATE" in out and "escalation NEVER used" in out
    assert "seen in two accounts (counted once)" in out
    code, md, _ = run(*base, "-f", "markdown", "--exit-code")
    assert code == 3
    assert "| `ProdEngineer` | `dave` | 2026-05-01T08:00:00Z |" in md
    assert "### Assumed by people who are not members" in md


def test_no_logs_of_the_accounts_is_not_a_candidate(tmp_path: Path) -> None:
    root = tmp_path / "trail"
    write_delivery(
        root,
        NONPROD,
        "2026-11-02T10:00:00Z",
        [assume_role("bob", NONPROD_ENGINEER, "2026-11-02T10:00:00Z", copy="target")],
    )
    code, out, _ = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert _member(doc, "ProdEngineer", "dave")["status"] == "no-logs"
    assert _member(doc, "Engineer", "alice")["status"] == "candidate"
    assert any("identity account" in n for n in doc["notes"])
    # the text says what it cannot know: a temporary member of a role without logs
    code, out, _ = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW)
    assert code == 0
    assert "escalation use unknown (no logs)" in out and "no logs" in out
    assert not any("no logs" in line and "NEVER used" in line for line in out.splitlines())


def test_logs_without_assume_role_events_say_so(tmp_path: Path) -> None:
    root = tmp_path / "trail"
    write_delivery(root, NONPROD, "2026-11-02T10:00:00Z", [])
    code, out, _ = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW)
    assert code == 0
    assert "AssumeRole events: none in these logs" in out and "- .. -" not in out


def test_a_file_skipped_whole_is_not_also_counted_as_parsed(logs: Path) -> None:
    """A file that holds AssumeRole but is not valid JSON is read, then skipped: it was
    counted as parsed too, so the text said '1 parsed, -1 without AssumeRole, 1 unreadable'."""
    (logs / "broken.json").write_text('{"Records": [{"eventName": "AssumeRole", "n": 1e999}]}')
    code, out, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0, err
    inp = json.loads(out)["input"]
    assert inp["files_skipped"] == 1
    assert inp["files_parsed"] + inp["files_without_assume_role"] + 1 == inp["files"]
    assert inp["files_without_assume_role"] == 1  # the fixture's one file without AssumeRole
    code, out, _ = run(str(logs / "broken.json"), "--catalog", str(ROOT / "catalog"), "--now", NOW)
    assert "read 1 file: 0 parsed, 0 without AssumeRole (not parsed), 1 unreadable" in out


def test_a_record_whose_ids_are_not_strings_is_read(tmp_path: Path) -> None:
    """A damaged record with a list as sharedEventID stopped the run with an internal error
    (unhashable type: 'list'); its next ID that is a string keys it instead."""
    root = tmp_path / "trail"
    when = "2026-11-02T10:00:00Z"
    first = assume_role("bob", NONPROD_ENGINEER, when, copy="identity")
    second = assume_role("bob", NONPROD_ENGINEER, when, copy="target")
    first["sharedEventID"] = ["x"]
    second["sharedEventID"] = {"x": 1}
    second["requestID"] = first["requestID"] = "req-1"  # the same STS request: counted once
    write_delivery(root, IDENTITY, when, [first])
    write_delivery(root, NONPROD, when, [second])
    code, out, err = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["input"]["duplicates"] == 1
    assert _member(doc, "Engineer", "bob")["assumptions"] == 1


def test_hostile_session_name_is_escaped(tmp_path: Path) -> None:
    root = tmp_path / "trail"
    evil = "x|<img src=x>`"
    rec = assume_role("bob", NONPROD_ENGINEER, "2026-11-02T10:00:00Z", copy="target", session_name=evil)
    write_delivery(root, NONPROD, "2026-11-02T10:00:00Z", [rec])
    code, md, _ = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "markdown")
    assert code == 0
    assert re.search(r"(?<!\\)[<>|`]img", md) is None  # every metacharacter escaped
    assert "x\\|\\<img src=x\\>\\`" in md


def test_usage_errors(tmp_path: Path) -> None:
    cat = str(ROOT / "catalog")
    assert run("--catalog", cat)[0] == 2
    assert run(str(tmp_path / "missing"), "--catalog", cat)[0] == 2
    assert run("--catalog", cat, "--access-advisor", "nofile")[0] == 2
    assert run(str(tmp_path), "--catalog", cat, "--role", "Nobody")[0] == 2
    code, _, err = run(str(tmp_path), "--catalog", cat)  # a folder without log files
    assert code == 1 and "U003" in err


def test_athena_sql() -> None:
    code, out, _ = run("--catalog", str(ROOT / "catalog"), "--now", NOW, "--days", "30", "--emit-athena-sql")
    assert code == 0
    assert "coalesce(sharedeventid, eventid)" in out
    assert f"'{ENGINEER}'" in out and EXPORTER not in out  # human roles only
    assert "eventtime >= '2026-11-01T00:00:00Z'" in out and f"caller_account = '{IDENTITY}'" in out


def test_athena_table_is_a_name_never_sql_and_logs_are_not_ignored(logs: Path) -> None:
    """--athena-table went into the query as given (``x; DROP TABLE y --`` printed a second
    statement), and log paths or --access-advisor given with --emit-athena-sql were
    ignored without a word; both are usage errors, as in scopedown."""
    cat = ("--catalog", str(ROOT / "catalog"), "--now", NOW)
    for table in ("x; DROP TABLE y --", "a b", 'db."t"', "db.t.u", ""):
        code, out, err = run(*cat, "--emit-athena-sql", "--athena-table", table)
        assert (code, out) == (2, ""), table
        assert "--athena-table" in err and "letters, digits and underscores" in err
    code, out, _ = run(*cat, "--emit-athena-sql", "--athena-table", "cloudtrail.org_trail_2")
    assert code == 0 and "FROM cloudtrail.org_trail_2\n" in out
    code, out, err = run(str(logs), *cat, "--emit-athena-sql")
    assert (code, out) == (2, "") and "leave out the log paths" in err
    code, out, err = run(*cat, "--emit-athena-sql", "--access-advisor", "OnCall=report.json")
    assert (code, out) == (2, "") and "leave out --access-advisor" in err


def test_logs_shorter_than_the_window_are_said(logs: Path) -> None:
    code, out, _ = run(
        str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "--days", "400", "-f", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["input"]["first_event"] == "2026-05-01T08:00:00Z"
    assert any("shorter window than 400 days" in n for n in doc["notes"])
    _, out90, _ = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert not any("shorter window" in n for n in json.loads(out90)["notes"])


def test_role_is_matched_as_iam_does_and_a_role_without_members_is_refused(logs: Path) -> None:
    cat = str(ROOT / "catalog")
    code, out, err = run(str(logs), "--catalog", cat, "--now", NOW, "--role", "prodengineer", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [r["role"] for r in doc["roles"]] == ["ProdEngineer"]
    assert not any("Engineer:" in n and "ProdEngineer" not in n for n in doc["notes"]), doc["notes"]
    code, _, err = run(str(logs), "--catalog", cat, "--role", "ReportExporter")
    assert code == 2 and "role ReportExporter has no members" in err and "rolecat scopedown" in err


def test_records_after_now_are_said_in_text(logs: Path) -> None:
    code, out, _ = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW)
    assert code == 0
    assert f"1 AssumeRole record of catalog roles at or after now ({NOW}) is left out" in out


def test_errors_say_rolecat_and_days_have_a_range(logs: Path) -> None:
    code, _, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", "tomorrow")
    assert code == 2 and err.startswith("rolecat: --now: ")
    code, _, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--days", "1000000")
    assert code == 2 and "1000000 is above 36500, the most it takes" in err


def test_control_characters_from_logs_are_escaped_in_markdown(tmp_path: Path) -> None:
    root = tmp_path / "trail"
    rec = assume_role(
        "bob", NONPROD_ENGINEER, "2026-11-02T10:00:00Z", copy="target", session_name="x\x1b[31mEVIL"
    )
    write_delivery(root, NONPROD, "2026-11-02T10:00:00Z", [rec])
    code, md, _ = run(str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "markdown")
    assert code == 0
    assert "\x1b" not in md and "x\\\\x1b\\[31mEVIL" in md


_ASCII_TIME = "2026-10-15T08:00:00Z"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([i for i, c in enumerate(_ASCII_TIME) if c.isdigit()]),
            st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_an_event_time_in_other_digits_names_no_instant(swaps: list[tuple[int, str]]) -> None:
    """CloudTrail writes eventTime in 0-9; usage compared any string with --now and the cutoff,
    and another script's digit sorts after every ASCII one: '2026-0٩-15T08:00:00Z' counted as
    an assumption after the cutoff (2026-09-02), so a member unused since May was no candidate."""
    from rolecat.usage.scan import RoleKey, UsageScanner

    chars = list(_ASCII_TIME)
    for i, c in swaps:
        chars[i] = c
    when = "".join(chars)
    scanner = UsageScanner({ENGINEER: RoleKey("ProdEngineer", "prod")}, IDENTITY, now=NOW)
    scanner.feed([assume_role("dave", ENGINEER, when, copy="identity")])
    assert scanner.result.uses == {} and scanner.result.bad_time == 1
    scanner.feed([assume_role("dave", ENGINEER, _ASCII_TIME, copy="identity")])
    assert [u.last for u in scanner.result.uses.values()] == [_ASCII_TIME]


def test_an_event_time_with_an_offset_is_read_in_utc() -> None:
    """'2026-11-30T23:30:00-02:00' is 2026-12-01T01:30:00Z, after --now: it was cut to
    '2026-11-30T23:30:00Z' and counted as a use."""
    from rolecat.usage.scan import RoleKey, UsageScanner

    scanner = UsageScanner({ENGINEER: RoleKey("ProdEngineer", "prod")}, IDENTITY, now=NOW)
    scanner.feed([assume_role("dave", ENGINEER, "2026-11-30T23:30:00-02:00", copy="identity")])
    assert scanner.result.uses == {} and scanner.result.after_now == 1
    scanner.feed([assume_role("dave", ENGINEER, "2026-11-30T21:30:00.250-02:00", copy="identity")])
    assert [u.last for u in scanner.result.uses.values()] == ["2026-11-30T23:30:00Z"]


def test_a_forged_event_time_keeps_no_member_off_the_candidates(logs: Path) -> None:
    forged = "2026-0\u0669-15T08:00:00Z"  # an Arabic-Indic 9
    write_delivery(
        logs, IDENTITY, "2026-11-29T08:00:00Z", [assume_role("dave", ENGINEER, forged, copy="identity")]
    )
    code, out, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    prod_engineer = next(r for r in doc["roles"] if r["role"] == "ProdEngineer")
    assert "dave" in prod_engineer["candidates"]
    assert doc["input"]["bad_time"] == 1
    assert any("1 AssumeRole record of catalog roles names no instant" in n for n in doc["notes"]), doc[
        "notes"
    ]


def _other_accounts_logs(tmp_path: Path) -> Path:
    """The identity and prod copies of two assumptions, their account ids replaced by others'
    (the logs of another organisation's bucket)."""
    root = tmp_path / "trail"
    other = ENGINEER.replace(PROD, "999999999999")
    for user, when in (("bob", "2026-11-20T09:00:00Z"), ("dave", "2026-11-21T09:00:00Z")):
        for copy in ("identity", "target"):
            rec = assume_role(user, other, when, copy=copy, caller_account="888888888888")
            write_delivery(root, rec["recipientAccountId"], when, [rec])
    return root


def test_logs_of_accounts_the_catalog_does_not_have_say_so(tmp_path: Path) -> None:
    """AssumeRole records of other accounts only: the text said 'AssumeRole events: none in
    these logs', accounts_seen was [] and the exit 0, as if the logs held nothing."""
    root = _other_accounts_logs(tmp_path)
    base = [str(root), "--catalog", str(ROOT / "catalog"), "--now", NOW]
    code, out, err = run(*base)
    assert code == 1
    assert (
        "AssumeRole events: 4 in these logs, none of a catalog role (accounts seen: 888888888888, "
        "999999999999; the catalog's: 111111111111 security, 222222222222 nonprod, 333333333333 prod)"
    ) in out
    assert "U005" in err and "no AssumeRole record in the logs is of an account of the catalog" in err
    assert "are these the logs of account 111111111111 (security), 222222222222 (nonprod) or" in err
    code, out, _ = run(*base, "-f", "json")
    assert code == 1
    inp = json.loads(out)["input"]
    assert inp["accounts_seen"] == ["888888888888", "999999999999"]
    assert (inp["assume_role_records"], inp["assume_role_records_any_role"]) == (0, 4)
    code, _, _ = run(*base, "--exit-code")
    assert code == 1


def test_logs_of_the_catalogs_accounts_report_as_before(logs: Path) -> None:
    code, out, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW, "-f", "json")
    assert code == 0 and "U005" not in err
    inp = json.loads(out)["input"]
    assert inp["accounts_seen"] == [IDENTITY, NONPROD, PROD]
    assert inp["assume_role_records"] == 13 and inp["assume_role_records_any_role"] == 14
    code, out, err = run(str(logs), "--catalog", str(ROOT / "catalog"), "--now", NOW)
    assert code == 0 and "U005" not in err
    assert "AssumeRole events: 2026-05-01T08:00:00Z .. 2026-11-25T10:00:00Z" in out
    assert "none of a catalog role" not in out
