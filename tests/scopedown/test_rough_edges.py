"""Issue 16, item 1: path hint, honest counts, named unused actions, boundary notes, object prefixes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from scopedown_cli import PROD_ROLE, make_catalog, run
from scopedown_records import ROLE_ARN, record

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.arns import object_prefixes
from rolecat.scopedown.report import unused_lines
from rolecat.scopedown.scan import Scanner
from rolecat.scopedown.suggest import RoleContext, build_suggestion


def test_object_prefixes_narrowest_folder() -> None:
    b = "arn:aws:s3:::bucket"
    assert object_prefixes([f"{b}/ring.txt"]) == [f"{b}/*"]
    assert object_prefixes([f"{b}/reports/2026/10/a.csv"]) == [f"{b}/reports/2026/10/*"]
    assert object_prefixes([f"{b}/reports/2026/10/a.csv", f"{b}/reports/2026/11/b.csv"]) == [
        f"{b}/reports/2026/*"
    ]
    # a common prefix cut inside a folder name goes back to the folder: "rep" is not a folder
    assert object_prefixes([f"{b}/reports/x", f"{b}/repo/y"]) == [f"{b}/*"]
    # patterns from the bounded set count by their prefix; buckets and other ARNs stay exact
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/jobs"
    assert object_prefixes([f"{b}/logs/2026-*", b, table, "arn:aws:s3:::other/k"]) == sorted(
        [f"{b}/logs/*", b, table, "arn:aws:s3:::other/*"]
    )
    assert object_prefixes(["*"]) == ["*"]


def test_unused_list_names_actions() -> None:
    lines = unused_lines(["s3:GetObject", "s3:PutObject", "sqs:SendMessage"])
    assert lines == ["  s3 (2):", "    GetObject, PutObject", "  sqs (1):", "    SendMessage"]
    many = unused_lines([f"ec2:Action{i:03}" for i in range(50)])
    assert many[0] == "  ec2 (50):" and "and 10 more" in many[-1]


def _ctx(boundary_actions: list[str]) -> RoleContext:
    allow = {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": "*"}
    return RoleContext(
        role="Worker",
        account="prod",
        account_id="123456789012",
        arn=ROLE_ARN,
        policies={"worker": {"Version": "2012-10-17", "Statement": [allow]}},
        boundary={"Statement": [{"Effect": "Allow", "Action": boundary_actions, "Resource": "*"}]},
        boundary_name="app",
    )


def test_boundary_block_is_not_called_granted_elsewhere(db: ActionDB) -> None:
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(
        [
            record("sns.amazonaws.com", "Publish"),  # policy allows, boundary does not
            record("dynamodb.amazonaws.com", "GetItem"),  # no policy allows: granted elsewhere
        ]
    )
    s = build_suggestion(scanner.result, _ctx(["sqs:*"]), db)
    assert s.outside_boundary == ["sns:Publish"]
    assert s.not_granted == ["dynamodb:GetItem"]
    boundary_notes = [n for n in s.notes if "outside its permission boundary app" in n]
    elsewhere = [n for n in s.notes if "granted elsewhere" in n]
    assert len(boundary_notes) == 1 and boundary_notes[0].endswith("sns:Publish")
    assert len(elsewhere) == 1 and elsewhere[0].endswith("dynamodb:GetItem")


def test_a_grant_the_boundary_blocks_and_nobody_used_is_said_to_be_left_out(db: ActionDB) -> None:
    """The policies allow sns:Publish, the boundary does not, the logs show no call: it is
    not in the suggestion (nothing AWS allows changes), and it is said so, in the notes,
    the JSON and the pull request's summary, not dropped without a word."""
    from dataclasses import replace

    from rolecat.scopedown.report import Report
    from rolecat.scopedown.summary import render_markdown

    scanner = Scanner(ROLE_ARN, db)
    scanner.feed([record("sqs.amazonaws.com", "SendMessage")])
    s = build_suggestion(scanner.result, _ctx(["sqs:*"]), db)
    assert s.blocked_unused == ["sns:Publish"] and s.unused == [] and s.outside_boundary == []
    assert "sns:Publish" not in json.dumps(s.policy)
    (note,) = [n for n in s.notes if "outside its permission boundary app" in n]
    assert note.startswith("1 action allowed by the role's policies but outside its permission boundary app")
    assert note.endswith(
        "left out of the suggestion, which changes no access (the boundary denies them): sns:Publish"
    )
    report = Report(ctx=_ctx(["sqs:*"]), scan=scanner.result, suggestion=s, db_version="test")
    assert report.to_json()["blocked_unused"] == ["sns:Publish"]
    summary = render_markdown(report, policy_path="policies/worker.json")
    assert "### Removed: allowed by the policies, outside the boundary, never used (1)" in summary
    assert "- **sns** (1): `Publish`" in summary
    # within the boundary, or without one, the grant is judged as before (a data event the logs
    # hold none of: kept); nothing is blocked
    for ctx in (_ctx(["sqs:*", "sns:*"]), replace(_ctx([]), boundary=None, boundary_name=None)):
        judged = build_suggestion(scanner.result, ctx, db)
        assert judged.blocked_unused == [] and judged.kept == ["sns:Publish"]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path)


def _write(folder: Path, name: str, recs: list[dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))


def test_role_under_another_path_is_hinted_and_fails(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    root_path_arn = "arn:aws:iam::333333333333:role/Worker"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=root_path_arn)] * 3)
    _write(
        logs, "b.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer="arn:aws:iam::3:role/Other")]
    )
    code, out, err = run(str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod")
    assert code == 1
    assert "SD006" in err and f"made with {root_path_arn}" in err and "path '/'" in err
    assert "'/services/'" in err
    # the counts say what happened to each file, and no policy is printed
    assert "read 2 files: 1 parsed, 1 not parsed (the role's name is not in them)" in out
    assert "records: 3 parsed, 0 of this role" in out
    assert "suggested policy" not in out
    code, out, _ = run(
        str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod", "-f", "policy"
    )
    assert code == 1 and out == ""


def test_role_in_another_account_is_hinted(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE)])
    code, _, err = run(str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "nonprod")
    assert code == 1 and "the same role in account 333333333333" in err


def test_counts_in_json(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE)] * 2)
    _write(logs, "b.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer="arn:aws:iam::3:role/X")])
    code, out, _ = run(
        str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod", "-f", "json"
    )
    assert code == 0
    doc = json.loads(out)["input"]
    assert (doc["files"], doc["files_parsed"], doc["files_without_role"], doc["files_skipped"]) == (
        2,
        1,
        1,
        0,
    )
    assert (doc["records"], doc["records_for_role"]) == (2, 1)  # same eventID twice: one record
    assert doc["duplicates"] == 1


def test_summary_that_is_a_folder_is_a_usage_error_and_leaves_nothing(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE)])
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "Worker",
        "--account",
        "prod",
        "--summary",
        str(folder),
    )
    assert code == 2 and "--summary" in err and "is a folder" in err
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "catalog",
        "logs",
        "out",
    ]


def test_options_that_would_be_ignored_are_refused(catalog: Path, tmp_path: Path) -> None:
    base = ("--catalog", str(catalog), "--role", "Worker", "--account", "prod")
    code, _, err = run(str(tmp_path), *base, "--now", "2026-01-01")
    assert code == 2 and "--now is the end of the --days window" in err
    code, _, err = run(str(tmp_path), *base, "--emit-athena-sql")
    assert code == 2 and "reads no logs: leave out the log paths" in err
    code, _, err = run(*base, "--emit-athena-sql", "--summary", "s.md")
    assert code == 2 and "leave out --summary" in err
    code, _, err = run(*base, "--emit-athena-sql", "--athena-table", "t; DROP TABLE x --")
    assert code == 2 and "--athena-table" in err
    code, out, _ = run(*base, "--emit-athena-sql", "--athena-table", "trail_db.cloudtrail_logs")
    assert code == 0 and "FROM trail_db.cloudtrail_logs" in out
    code, _, err = run(str(tmp_path), *base, "--days", "1000000")
    assert code == 2 and "1000000 is above 36500, the most it takes" in err
    code, _, err = run("--catalog", str(catalog), "--opted-in", "--role", "Worker")
    assert code == 2 and "leave out --role" in err
    for fmt in ("text", "policy"):  # --opted-in prints JSON: a format it would ignore is refused
        code, _, err = run("--catalog", str(catalog), "--opted-in", "-f", fmt)
        assert code == 2 and f"leave out -f {fmt}" in err, err
    code, out, _ = run("--catalog", str(catalog), "--opted-in", "-f", "json")
    assert code == 0 and isinstance(json.loads(out), list)


def test_no_record_of_the_role_prints_no_policy_in_json(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer="arn:aws:iam::3:role/X")])
    code, out, err = run(
        str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod", "-f", "json"
    )
    assert code == 1 and "SD006" in err
    assert json.loads(out)["suggested_policy"] is None


def test_log_values_print_on_one_line_with_control_characters_escaped(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    evil = "Access\x1b[31mDenied|`\n**x**"
    _write(
        logs,
        "a.json.gz",
        [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE, errorCode=evil, event_id="e1")],
    )
    _write(logs, "b.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE, event_id="e2")])
    summary = tmp_path / "s.md"
    code, out, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "Worker",
        "--account",
        "prod",
        "--summary",
        str(summary),
    )
    assert code == 0, err
    assert "\x1b" not in out and "\n**x**" not in out and "Access\\x1b[31mDenied|`\\n**x**" in out
    text = summary.read_text()
    assert "\x1b" not in text and "\n**x**" not in text


def test_an_arn_a_policy_cannot_hold_is_widened_so_the_written_policy_validates(
    catalog: Path, tmp_path: Path
) -> None:
    """An S3 key may hold any character; IAM refuses control characters in a policy and
    reads ``${`` as a variable.  The suggestion cuts such an ARN at that character with a
    ``*`` (which covers the key as named), so --write-policy never breaks the catalog."""
    from rolecat.pipeline import load_catalog

    logs = tmp_path / "logs"
    keys = ["in/a\x1b[31mb.csv", "in/x${aws:username}.csv"]
    recs = [
        record(
            "s3.amazonaws.com",
            "GetObject",
            issuer=PROD_ROLE,
            event_id=f"e{i}",
            requestParameters={"bucketName": "data", "key": key},
            resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::data/{key}"}],
        )
        for i, key in enumerate(keys)
    ]
    _write(logs, "a.json.gz", recs)
    args = ("--catalog", str(catalog), "--role", "Worker", "--account", "prod", "--exact-resources")
    code, _, err = run(str(logs), *args, "--write-policy", "worker")
    assert code == 0, err
    written = (catalog / "policies" / "worker.json").read_text()
    assert "arn:aws:s3:::data/in/a*" in written and "arn:aws:s3:::data/in/x*" in written
    assert "\\u001b" not in written and "${" not in written
    _, diags = load_catalog(catalog)
    assert not [d for d in diags if d.is_error], diags


def test_one_unreadable_file_is_said_once(catalog: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "empty.json").write_text("")
    code, _, err = run(str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod")
    assert code == 1 and "SD004" in err
    assert err.count("warning SD001") == 1, err


def test_a_file_skipped_whole_is_not_also_counted_parsed(catalog: Path, tmp_path: Path) -> None:
    """A file that names the role but is cut short is skipped (SD001): it counted as parsed
    and as skipped, and 'not parsed' came out as -1."""
    logs = tmp_path / "logs"
    _write(logs, "a.json.gz", [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE)])
    text = json.dumps({"Records": [record("sqs.amazonaws.com", "SendMessage", issuer=PROD_ROLE)]})
    (logs / "b.json").write_text(text[: len(text) // 2])
    code, out, err = run(
        str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod", "-f", "json"
    )
    assert code == 0 and "SD001" in err, err  # the rest is read: a suggestion, with the file named
    doc = json.loads(out)["input"]
    assert (doc["files"], doc["files_parsed"], doc["files_without_role"], doc["files_skipped"]) == (
        2,
        1,
        0,
        1,
    )
