"""who-can, explain and diff through the command line, on copies of the example catalog."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rolecat.access.diff import md

NOW = ["--now", "2026-12-01"]


def run(runner: CliRunner, app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args])
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------- who-can
def test_who_can_json_shape_and_temporary_member(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    code, out, _ = run(
        runner, app, "who-can", "ec2:DescribeInstances", "-c", str(example_catalog), "-f", "json", *NOW
    )
    assert code == 0
    answers = json.loads(out)
    assert all(set(a) == {"user", "principal", "role", "account", "via", "until", "access"} for a in answers)
    erin = [a for a in answers if a["user"] == "erin"]
    assert erin == [
        {
            "user": "erin",
            "principal": "arn:aws:iam::111111111111:user/erin",
            "role": "ProdEngineer",
            "account": "prod",
            "via": ["ProdEngineer"],
            "until": "2099-12-05T00:00:00Z",
            "access": "allowed",
        }
    ]
    # after the grant ends, erin is gone
    code, out, _ = run(
        runner,
        app,
        "who-can",
        "ec2:DescribeInstances",
        "-c",
        str(example_catalog),
        "-f",
        "json",
        "--now",
        "2099-12-05",
    )
    assert code == 0 and not [a for a in json.loads(out) if a["user"] == "erin"]


def test_who_can_respects_boundary_and_account(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    # prod-admin's boundary denies IAM changes: in prod only Admin can create users.
    args = [
        "who-can",
        "iam:CreateUser",
        "*",
        "-c",
        str(example_catalog),
        "--account",
        "prod",
        "-f",
        "json",
        *NOW,
    ]
    code, out, _ = run(runner, app, *args)
    assert code == 0
    assert {(a["user"], a["role"]) for a in json.loads(out)} == {("alice", "Admin")}


def test_who_can_queries_one_line_per_query_in_order(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"action": "iam:CreateUser", "account": "prod"}\n'
        "\n"
        '{"action": "transfer:CreateUser", "resource": "*"}\n'
        '{"action": "s3:ListAllMyBuckets", "resource": "*", "account": "nonprod"}\n'
    )
    code, out, _ = run(runner, app, "who-can", "--queries", str(queries), "-c", str(example_catalog), *NOW)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert {a["role"] for a in first} == {"Admin"}
    assert {a["role"] for a in second} >= {"CustomerSuccess"}
    assert all(a["account"] == "nonprod" for a in third)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["who-can", "s3:GetObjekt"], "did you mean s3:GetObject"),
        (["who-can", "s3:GetObject", "--account", "nope"], "unknown account"),
        (["who-can"], "needs an ACTION"),
    ],
)
def test_who_can_usage_errors_exit_2(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, args: list[str], message: str
) -> None:
    code, _, err = run(runner, app, *args, "-c", str(example_catalog), *NOW)
    assert code == 2 and message in err


def test_who_can_bad_query_lines_are_findings_naming_file_and_line(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """A line of FILE that is no query is a problem in an input file, as an export's or an
    Access Advisor report's is: a finding at FILE:LINE, every such line in one run, exit 1
    (it was a usage error, exit 2 with "Try ... -h", about the one line found first)."""
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"action": "iam:CreateUser"}\n{"action": "x", "acount": "prod"}\n{"actoin": "x"}\n')
    code, out, err = run(runner, app, "who-can", "--queries", str(queries), "-c", str(example_catalog))
    assert (code, out) == (1, "")
    assert err == (
        f"{queries}:2:1: error WC001: unknown key 'acount'\n"
        f'{queries}:3:1: error WC001: expected an object with "action" (and optional "resource", "account")\n'
    )


def test_who_can_unknown_action_or_account_in_queries_names_its_line(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """An unknown action or account in FILE was said without its line ('rolecat: unknown
    account ...'), so in a file of thousands of queries it could not be found."""
    queries = tmp_path / "q.jsonl"
    for bad, message in (
        ('{"action": "iam:CreateUsr"}', "unknown action 'iam:CreateUsr'"),
        ('{"action": "iam:CreateUser", "account": "staging"}', "unknown account 'staging'"),
    ):
        queries.write_text(f'{{"action": "iam:CreateUser"}}\n\n{bad}\n')  # a blank line is skipped
        code, out, err = run(runner, app, "who-can", "--queries", str(queries), "-c", str(example_catalog))
        assert code == 1 and out == ""
        assert err.startswith(f"{queries}:3:1: error WC001: {message}") and "Try " not in err


def test_who_can_summary_prints_the_resource_on_one_line(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    """The stderr summary repeated RESOURCE as given: a line break in it started a line of
    its own (a GitHub ::error command in a CI log), a bidi override or ESC reached the
    terminal; explain's decision line already escaped the same resource."""
    resource = "arn:aws:s3:::x\n::error::forged\u202e\x1b[31m"
    code, _, err = run(runner, app, "who-can", "s3:GetObject", resource, "-c", str(example_catalog), *NOW)
    assert code == 0
    assert err.count("\n") == 1 and "\x1b" not in err and "\u202e" not in err
    assert "on arn:aws:s3:::x\\n::error::forged\\u202e\\x1b[31m" in err


def test_an_empty_resource_is_a_usage_error(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """RESOURCE '' (an unset "$RESOURCE") was evaluated as a resource named '' (only
    Resource "*" statements match it: frank's CustomerSuccess was missing) while the
    summary said "N principal-role pairs can s3:GetObject", the question without RESOURCE."""
    cat = ("-c", str(example_catalog), *NOW)
    code, out, err = run(runner, app, "who-can", "s3:GetObject", "", *cat)
    assert (code, out) == (2, "") and "rolecat: RESOURCE is empty" in err
    code, out, err = run(runner, app, "explain", "role", "CustomerSuccess", "--action", "s3:GetObject",
                         "--resource", "", *cat)  # fmt: skip
    assert (code, out) == (2, "") and "rolecat: --resource is empty" in err
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"action": "s3:GetObject", "resource": ""}\n')
    code, out, err = run(runner, app, "who-can", "--queries", str(queries), *cat)
    assert (code, out) == (1, "") and f"{queries}:1:1: error WC001: resource is empty" in err
    code, out, _ = run(runner, app, "who-can", "s3:GetObject", *cat)
    assert code == 0 and "frank\tCustomerSuccess in prod" in out


def test_explain_an_account_the_role_is_not_in(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    """With --action, an --account the role is not in was answered "role OnCall is in
    several accounts (prod): choose one with --account", for a role in one account."""
    for extra in (["--action", "s3:GetObject"], []):
        code, out, err = run(
            runner, app, "explain", "role", "OnCall", "--account", "nonprod", *extra,
            "-c", str(example_catalog), *NOW,
        )  # fmt: skip
        assert (code, out) == (2, ""), extra
        assert "rolecat: role OnCall is not deployed in account 'nonprod' (its accounts: prod)" in err
        assert "several" not in err


def test_catalog_errors_exit_1(app: typer.Typer, runner: CliRunner, example_catalog: Path) -> None:
    role = example_catalog / "roles" / "prod" / "ProdEngineer.yaml"
    role.write_text(role.read_text().replace("members: [bob, carol, dave]", "members: [bob, zed]"))
    for args in (["who-can", "iam:CreateUser"], ["explain", "user", "bob"]):
        code, out, err = run(runner, app, *args, "-c", str(example_catalog), *NOW)
        assert code == 1 and "ProdEngineer.yaml:" in err and "zed" in err
        # the errors, then what they mean for the command: no answer, not an empty one
        assert (
            err.splitlines()[-1]
            == "1 error in the catalog: nothing was evaluated (rolecat validate lists every finding)"
        )
        assert out == ""


# ---------------------------------------------------------------------- explain
def test_explain_decision_lists_the_statements(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    args = ["explain", "role", "ProdAdmin", "--account", "prod", "--action", "iam:CreateUser", "-f", "json"]
    code, out, _ = run(runner, app, *args, "-c", str(example_catalog), *NOW)
    assert code == 0
    data = json.loads(out)
    assert data["decision"] == "denied" and data["resource"] == "*"
    kinds = {(s["kind"], s["source"].rsplit("/", 1)[-1], s["sid"]) for s in data["statements"]}
    assert ("deny", "prod-admin.json", "NoIAMChanges") in kinds
    assert ("identity", "AdministratorAccess", None) in kinds
    # an action the policies allow and the boundary lets through
    args = ["explain", "role", "ProdEngineer", "--account", "prod", "--action", "logs:FilterLogEvents"]
    code, out, _ = run(
        runner,
        app,
        *args,
        "--resource",
        "arn:aws:logs:us-east-1:333333333333:log-group:x",
        "-c",
        str(example_catalog),
        *NOW,
    )
    assert code == 0 and ": allowed" in out.splitlines()[0]


def test_explain_user_and_role(app: typer.Typer, runner: CliRunner, example_catalog: Path) -> None:
    code, out, _ = run(runner, app, "explain", "user", "erin", "-c", str(example_catalog), "-f", "json", *NOW)
    assert code == 0
    data = json.loads(out)
    (only,) = data["roles"]
    assert only["role"] == "ProdEngineer" and only["until"] == "2099-12-05T00:00:00Z"
    assert only["mfa_max_age"] == 3600 and "logs" in only["permissions"]["services"]
    (own,) = data["own_user"]  # the identity account's group policies
    assert own["account"] == "security" and "iam" in own["permissions"]["services"]
    code, out, _ = run(
        runner, app, "explain", "role", "ProdEngineer", "-c", str(example_catalog), "-f", "json", *NOW
    )
    (view,) = json.loads(out)["accounts"]
    # ViewOnlyAccess holds more than the read-only boundary lets through
    assert view["removed_by_boundary"]["services"]
    assert {m["user"] for m in view["members"]} == {"bob", "carol", "dave", "erin"}
    code, _, err = run(runner, app, "explain", "user", "nobody", "-c", str(example_catalog), *NOW)
    assert code == 2 and "unknown user" in err


# ---------------------------------------------------------------------- diff
SECTIONS = {"access", "permissions", "trust", "replacements", "findings", "base_errors", "head_errors"}


def _diff(runner: CliRunner, app: typer.Typer, base: Path, head: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, _ = run(runner, app, "diff", str(base), str(head), "-f", "json", *extra, *NOW)
    return code, json.loads(out)


def test_diff_of_a_catalog_with_itself_is_empty(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    code, data = _diff(runner, app, example_catalog, example_catalog, "--exit-code")
    assert code == 0
    assert set(data) == SECTIONS
    assert data == {
        "access": {"added": [], "removed": []},
        "permissions": {"added": [], "removed": []},
        "trust": [],
        "replacements": [],
        "findings": {"added": [], "removed": []},
        "base_errors": [],
        "head_errors": [],
    }


def test_diff_reads_renamed_accounts_and_users_as_the_same(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """An account rename (renamed_from, same id) changes nothing in AWS, and a user rename
    renames the IAM user in place: neither is access lost and gained (both used to show
    every access, permission and finding of the account as removed and added, and
    --exit-code failed the pull request)."""
    import re

    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    cat = head / "catalog.yaml"
    cat.write_text(
        cat.read_text().replace(
            '  prod: {id: "333333333333"', '  production: {renamed_from: [prod], id: "333333333333"'
        )
    )
    for path in head.rglob("*.yaml"):
        text = re.sub(r"^(accounts: \[.*)\bprod\b", r"\1production", path.read_text(), flags=re.M)
        text = re.sub(r"^(\s+account: )prod$", r"\1production", text, flags=re.M)
        path.write_text(re.sub(r"^(members: \[.*)\bbob\b", r"\1robert", text, flags=re.M))
    users = head / "users.yaml"
    users.write_text(users.read_text().replace("  bob: {", "  robert: {renamed_from: [bob], "))
    code, data = _diff(runner, app, example_catalog, head, "--exit-code")
    assert code == 0, data
    assert data["access"] == {"added": [], "removed": []}
    assert data["permissions"] == {"added": [], "removed": []}
    assert data["trust"] == [] and data["findings"] == {"added": [], "removed": []}
    assert not data["head_errors"]


def test_diff_membership_until_and_trust(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    cs = head / "roles" / "prod" / "CustomerSuccess.yaml"
    cs.write_text(cs.read_text().replace("members: [frank]", "members: [frank, dave]\nmfa_max_age: 7200"))
    pe = head / "roles" / "prod" / "ProdEngineer.yaml"
    pe.write_text(pe.read_text().replace("until: 2099-12-05", "until: 2099-12-06"))
    code, data = _diff(runner, app, example_catalog, head, "--exit-code")
    assert code == 3  # access grows
    assert data["access"]["added"] == [
        {
            "user": "dave",
            "principal": "arn:aws:iam::111111111111:user/dave",
            "role": "CustomerSuccess",
            "account": "prod",
            "until": None,
            "teams": [],
        },
        {
            "user": "erin",
            "principal": "arn:aws:iam::111111111111:user/erin",
            "role": "ProdEngineer",
            "account": "prod",
            "until": "2099-12-06T00:00:00Z",
            "teams": [],
        },
    ]
    # a changed until is one removal and one addition
    assert data["access"]["removed"] == [
        {
            "user": "erin",
            "principal": "arn:aws:iam::111111111111:user/erin",
            "role": "ProdEngineer",
            "account": "prod",
            "until": "2099-12-05T00:00:00Z",
            "teams": [],
        },
    ]
    fields = {(t["role"], t["field"], json.dumps(t["before"]), json.dumps(t["after"])) for t in data["trust"]}
    assert ("CustomerSuccess", "mfa_max_age", "3600", "7200") in fields
    assert ("CustomerSuccess", "members", '["frank"]', '["dave", "frank"]') in fields
    assert data["permissions"] == {"added": [], "removed": []}


def test_diff_shows_revoked_sessions(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """revoke_sessions denies every session of the role issued before an instant: a
    reviewer sees it, though nobody's membership or permissions change."""
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    pa = head / "roles" / "prod" / "ProdAdmin.yaml"
    pa.write_text(
        pa.read_text() + "revoke_sessions: {issued_before: 2026-12-05T12:00:00Z, reason: key leak}\n"
    )
    code, data = _diff(runner, app, example_catalog, head)
    assert code == 0
    assert data["trust"] == [
        {
            "role": "ProdAdmin",
            "account": "prod",
            "field": "revoke_sessions",
            "before": None,
            "after": {"issued_before": "2026-12-05T12:00:00Z", "reason": "key leak"},
        }
    ]


def test_diff_permissions_after_boundary(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    # ProdEngineer's boundary is read-only: adding s3:PutObject to its policy adds nothing.
    pol = head / "policies" / "prod-engineer.json"
    doc = json.loads(pol.read_text())
    doc["Statement"].append(
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::logs/*"}
    )
    pol.write_text(json.dumps(doc, indent=2))
    code, data = _diff(runner, app, example_catalog, head, "--exit-code")
    assert code == 0 and data["permissions"] == {"added": [], "removed": []}
    # CustomerSuccess gains sqs:SendMessage on one queue, which its boundary allows? It does not:
    # the boundary decides; an action both allow appears with the narrowest resource.
    cs = head / "policies" / "customer-success.json"
    doc = json.loads(cs.read_text())
    doc["Statement"].append(
        {
            "Effect": "Allow",
            "Action": ["transfer:DescribeServer"],
            "Resource": "arn:aws:transfer:us-east-1:333333333333:server/s-1",
        }
    )
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "ManageSftpUsers"]
    cs.write_text(json.dumps(doc, indent=2))
    code, data = _diff(runner, app, example_catalog, head, "--exit-code")
    added = {(p["action"], p["resource"]) for p in data["permissions"]["added"]}
    removed = {(p["action"], p["resource"]) for p in data["permissions"]["removed"]}
    assert ("transfer:DescribeServer", "arn:aws:transfer:us-east-1:333333333333:server/s-1") in added
    assert ("transfer:DescribeServer", "*") in removed
    assert code == 3


MINIMAL = Path(__file__).resolve().parents[1] / "hostile" / "fixtures" / "minimal"


def test_diff_shows_a_deny_deleted_from_a_boundary(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    """Effective permissions are identity ∩ boundary, and "An explicit deny in either of
    these policies overrides the allow" (IAM User Guide, Permissions boundaries for IAM
    entities): Reader reads every object but secrets-*, under a Deny of its boundary; a
    pull request that deletes the Deny lets it read those too, so access grows.  A Deny
    with a condition makes those objects conditional, and deleting it grows access too."""
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(MINIMAL, base)
    (base / "policies" / "reader.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        )
    )
    allow = {"Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*", "s3:GetObject"], "Resource": "*"}
    no_secrets = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secrets-*"}
    shutil.copytree(base, head)
    (head / "boundaries" / "base.json").write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [allow]})
    )
    for deny, before in (
        (no_secrets, "* except arn:aws:s3:::secrets-*"),
        (
            {**no_secrets, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            "* (conditional on arn:aws:s3:::secrets-*)",
        ),
    ):
        (base / "boundaries" / "base.json").write_text(
            json.dumps({"Version": "2012-10-17", "Statement": [allow, deny]})
        )
        code, data = _diff(runner, app, base, head, "--exit-code")
        reader = {(p["action"], p["resource"]) for p in data["permissions"]["added"] if p["role"] == "Reader"}
        gone = {(p["action"], p["resource"]) for p in data["permissions"]["removed"] if p["role"] == "Reader"}
        assert code == 3 and reader == {("s3:GetObject", "*")} and gone == {("s3:GetObject", before)}


def test_diff_base_errors_and_markdown(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    shutil.copytree(example_catalog, base)
    pe = base / "roles" / "prod" / "ProdEngineer.yaml"
    pe.write_text(pe.read_text().replace("members: [bob, carol, dave]", "members: [bob, carol, dave, zed]"))
    code, data = _diff(runner, app, base, example_catalog)
    assert code == 0
    assert [e["code"] for e in data["base_errors"]] and "zed" in data["base_errors"][0]["message"]
    code, out, _ = run(runner, app, "diff", str(base), str(example_catalog), "-f", "markdown", *NOW)
    assert code == 0 and out.startswith("### rolecat diff: ")
    assert "**Base errors" in out or "<details>" in out


def test_markdown_cells_are_escaped() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert md("line\nbreak") == "line break"
    assert (
        md("[link](http://x) **bold** `code`")
        == "\\[link\\](http:<!-- -->//x) \\*\\*bold\\*\\* &#96;code&#96;"
    )
    # a file name's terminal escapes, bidi override, bell and non-UTF-8 byte: visible escapes
    cell = md("roles/a\u202eb\x1b[2Jc\x07d\udcff.yaml")
    assert cell == "roles/a\\\\u202eb\\\\x1b\\[2Jc\\\\x07d\\\\xff.yaml", cell
    assert cell.isprintable() and cell.isascii()
    # GitHub links these after Markdown is parsed, whatever the backslashes: an empty comment splits them
    assert md("@acme/security and #12, GH-3, www.x.example, https://x.example, a@b.example") == (
        "@<!-- -->acme/security and \\#<!-- -->12, GH-<!-- -->3, www<!-- -->.x.example, "
        "https:<!-- -->//x.example, a@<!-- -->b.example"
    )


def test_diff_against_git_base(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = example_catalog.parent

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "catalog")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    pe = example_catalog / "roles" / "prod" / "ProdEngineer.yaml"
    pe.write_text(pe.read_text().replace("members: [bob, carol, dave]", "members: [bob, carol]"))
    code, out, _ = run(
        runner, app, "diff", "--base", "HEAD", str(example_catalog), "-f", "json", "--exit-code", *NOW
    )
    assert code == 0, _  # access shrinks
    data = json.loads(out)
    assert [(a["user"], a["role"]) for a in data["access"]["removed"]] == [("dave", "ProdEngineer")]
    code, _, err = run(runner, app, "diff", "--base", "no-such-ref", str(example_catalog), *NOW)
    assert code == 2 and "'no-such-ref' is not a commit of the repository at" in err
    assert err.endswith(" diff --help' for help.\n"), err  # a usage error, not git's stderr
    # -c names the catalog, as for every other command (the README says so)
    code, out_c, _ = run(
        runner, app, "diff", "--base", "HEAD", "-c", str(example_catalog), "-f", "json", *NOW
    )
    assert code == 0 and json.loads(out_c) == data
    code, _, err = run(runner, app, "diff", "--base", "HEAD", str(example_catalog), "-c", str(tmp_path), *NOW)
    assert code == 2 and "the catalog is named twice" in err


def test_diff_against_a_base_without_the_catalog_shows_everything_as_new(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    """The pull request that adds the catalog: every access is new, nothing is an error."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = example_catalog.parent
    (repo / "README").write_text("x\n")
    for args in (("init", "-q"), ("add", "README"), ("commit", "-qm", "before the catalog")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True
        )
    code, out, err = run(
        runner, app, "diff", "--base", "HEAD", str(example_catalog), "-f", "json", "--exit-code", *NOW
    )
    assert code == 3, err  # access grows
    data = json.loads(out)
    assert ("frank", "CustomerSuccess") in [(a["user"], a["role"]) for a in data["access"]["added"]]
    assert data["access"]["removed"] == [] and data["base_errors"] == []


def test_diff_loads_with_the_same_diagnostics_as_validate(example_catalog: Path) -> None:
    # diff shares the access model's effective sets with the checks; the findings must be
    # exactly those of the pipeline.
    from rolecat.access.diff import _load
    from rolecat.iam.actions import ActionDB
    from rolecat.load.files import display_path
    from rolecat.model.timeutil import parse_instant
    from rolecat.pipeline import load_catalog

    now = parse_instant("2026-12-01")
    cat = example_catalog / "catalog.yaml"
    cat.write_text(cat.read_text() + "\nguardrails:\n  - name: g\n    actions: [s3:DeleteBucket]\n")
    _, expected = load_catalog(example_catalog, now)
    snap = _load(example_catalog, display_path(example_catalog), now, ActionDB.load())
    from rolecat.diagnostics import sort_diagnostics

    assert sort_diagnostics(snap.diags) == expected
    assert any(d.code == "G001" for d in expected) and any(d.code == "I001" for d in expected)


def test_diff_reports_a_role_replacement(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    # An IAM role's path cannot change in place (ForceNew): Terraform replaces the role.
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    cs = head / "roles" / "prod" / "CustomerSuccess.yaml"
    cs.write_text(cs.read_text() + "path: /support/\n")
    code, data = _diff(runner, app, example_catalog, head)
    assert code == 0
    (only,) = data["replacements"]
    assert only["account"] == "prod" and only["kind"] == "role" and only["name"] == "CustomerSuccess"
    assert "path" in only["reason"] and only["cost"]
    code, out, _ = run(runner, app, "diff", str(example_catalog), str(head), *NOW)
    assert (
        code == 0
        and "  ! aws_iam_role.CustomerSuccess in prod: role CustomerSuccess: path /humans/ -> /support/;"
        in out
    )
    code, out, _ = run(runner, app, "diff", str(example_catalog), str(head), "-f", "markdown", *NOW)
    assert code == 0 and "| aws\\_iam\\_role.CustomerSuccess | prod |" in out


def test_git_base_export_skips_symlinks(example_catalog: Path, tmp_path: Path) -> None:
    # A committed symlink in the catalog (to a file outside it) is not a catalog file:
    # the base is read from git blobs, and links are neither followed nor written.
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    from rolecat.access.diff import _export

    repo = example_catalog.parent
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    (example_catalog / "policies" / "leak.json").symlink_to(secret)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", "catalog")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    into = tmp_path / "export"
    into.mkdir()
    _export("HEAD", example_catalog, into)
    assert (into / "catalog.yaml").read_text() == (example_catalog / "catalog.yaml").read_text()
    assert not (into / "policies" / "leak.json").exists()
    assert {p.name for p in (into / "roles" / "prod").iterdir()} == {
        p.name for p in (example_catalog / "roles" / "prod").iterdir()
    }


def test_who_can_includes_people_acting_with_their_own_user(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    # The identity account's group policies let every person change their own password
    # (self-service) and call sts:AssumeRole on the human role paths only with MFA
    # (assume-roles: a condition in a permission policy, so "conditional").
    args = ["who-can", "iam:ChangePassword", "-c", str(example_catalog), "-f", "json", *NOW]
    code, out, _ = run(runner, app, *args)
    own = [a for a in json.loads(out) if a["role"] is None]
    assert {a["user"] for a in own} == {"alice", "bob", "carol", "dave", "erin", "frank"}
    assert all(a["via"] == [] and a["account"] == "security" and a["access"] == "allowed" for a in own)
    target = "arn:aws:iam::333333333333:role/humans/ProdEngineer"
    code, out, _ = run(
        runner, app, "who-can", "sts:AssumeRole", target, "-c", str(example_catalog), "-f", "json", *NOW
    )
    assert code == 0
    own = [a for a in json.loads(out) if a["role"] is None]
    assert own and all(a["access"] == "conditional" for a in own)


def test_team_members_show_their_team_in_diff_and_explain(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    """Issue 14: a role that names a team lists the people, and says through which team."""
    import yaml

    users = yaml.safe_load((example_catalog / "users.yaml").read_text())["users"]
    team = "backend"
    members = sorted(name for name, attrs in users.items() if (attrs or {}).get("team") == team)
    assert members == ["carol", "dave"]
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    cs = head / "roles" / "prod" / "CustomerSuccess.yaml"
    cs.write_text(cs.read_text().replace("members: [frank]", f"members: [frank]\nteams: [{team}]"))
    code, data = _diff(runner, app, example_catalog, head)
    assert code == 0
    added = {e["user"]: e["teams"] for e in data["access"]["added"] if e["role"] == "CustomerSuccess"}
    assert added == {m: [team] for m in members if m != "frank"} or added == {m: [team] for m in members}
    code, out, _ = run(runner, app, "diff", str(example_catalog), str(head), *NOW)
    assert f"(team {team})" in out
    code, out, _ = run(
        runner, app, "explain", "role", "CustomerSuccess", "--catalog", str(head), "-f", "json", *NOW
    )
    assert code == 0, out
    (view,) = json.loads(out)["accounts"]
    by_user = {m["user"]: m["teams"] for m in view["members"]}
    assert all(by_user[m] == [team] for m in members)


def test_names_that_are_not_there_get_a_did_you_mean_and_wildcards_are_explained(
    app: typer.Typer, runner: CliRunner, example_catalog: Path
) -> None:
    cat = ["--catalog", str(example_catalog), *NOW]
    code, _, err = run(runner, app, "explain", "user", "bobb", *cat)
    assert code == 2 and "unknown user 'bobb'; did you mean 'bob'?" in err
    code, _, err = run(runner, app, "explain", "role", "ProdAdmn", *cat)
    assert code == 2 and "did you mean 'ProdAdmin'?" in err
    code, _, err = run(runner, app, "who-can", "s3:Get*", *cat)
    assert code == 2 and "ACTION is one action without wildcards" in err
    assert "(role only)" in " ".join(run(runner, app, "explain", "--help")[1].split())


def test_a_head_with_errors_says_so_before_any_comparison(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    head = tmp_path / "head"
    shutil.copytree(example_catalog, head)
    cs = head / "roles" / "prod" / "CustomerSuccess.yaml"
    cs.write_text(cs.read_text().replace("members: [frank]", "members: [frank, nobody]"))
    code, out, err = run(runner, app, "diff", str(example_catalog), str(head), "-f", "markdown", *NOW)
    assert code == 1 and "nobody" in err
    assert out.startswith("### rolecat diff: the head catalog has errors\n")
    assert "**Head errors (fix them first; until then the comparison reads it as it loaded)** (1)" in out
    code, out, _ = run(runner, app, "diff", str(example_catalog), str(head), "-f", "json", *NOW)
    [only] = json.loads(out)["head_errors"]
    assert "nobody" in only["message"] and only["location"].startswith(str(head))
