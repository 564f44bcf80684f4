"""rolecat import: live accounts into catalog files, the import record, import blocks."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from adopt_factory import CATALOG, NOW, export_of
from hypothesis import given, settings, strategies

from rolecat.adopt.drift import drift
from rolecat.adopt.expected import expected_accounts
from rolecat.adopt.export import parse_export
from rolecat.adopt.importer import classify_trust, plan_import
from rolecat.pipeline import load_catalog

IDENTITY = "111111111111"


@pytest.fixture(scope="module")
def exports() -> dict[str, dict[str, Any]]:
    cat, diags = load_catalog(CATALOG, NOW)
    assert cat is not None, diags
    return {name: export_of(exp) for name, exp in expected_accounts(cat).items()}


def _empty_catalog(tmp_path: Path, users: str = "users: {}\n") -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    shutil.copy(CATALOG / "catalog.yaml", root / "catalog.yaml")
    (root / "users.yaml").write_text(users)
    return root


def _write_exports(tmp_path: Path, exports: dict[str, dict[str, Any]]) -> list[str]:
    args = []
    for name, data in exports.items():
        f = tmp_path / f"{name}.export.json"
        f.write_text(json.dumps(data))
        args.append(f"{name}={f}")
    return args


def _imported_items(tmp_path: Path, root: Path, security: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of every item ``rolecat import`` of the security export reports (JSON)."""
    done = _rolecat(
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, {"security": security}),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    return {(i["kind"], i["name"]) for i in json.loads(done.stdout)["items"]}


def _rolecat(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_adopts_everything_that_fits_and_is_idempotent(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    args = ["import", "--catalog", str(root), *_write_exports(tmp_path, exports), "--format", "json"]
    first = _rolecat(*args)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert "imports.yaml" in report["written"] and "users.yaml" in report["written"]
    # Roles that fit are written, with members and temporary members from the trust policy.
    oncall = (root / "roles/prod/OnCall.yaml").read_text()
    assert "members: [bob]" in oncall and 'until: "2099-12-05T00:00:00Z"' in oncall
    assert "boundary: prod-admin" in oncall
    # A role without a boundary is reported, never guessed as admin.
    reasons = {(i["account"], i["name"]): i["reason"] for i in report["items"]}
    assert "no permission boundary" in reasons[("prod", "Admin")]
    assert (
        "service-linked"
        in reasons[("prod", "/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport")]
    )
    # Every item has all five fields.
    assert all(set(i) == {"account", "kind", "name", "reason", "action"} for i in report["items"])
    before = _snapshot(root)
    second = _rolecat(*args)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["written"] == []
    assert _snapshot(root) == before


def test_record_becomes_import_blocks_at_the_compiled_addresses(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    assert _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, exports)).returncode == 0
    out = tmp_path / "out"
    done = _rolecat("compile", str(root), "-o", str(out))
    assert done.returncode == 0, done.stderr
    import hcl2

    record = __import__("yaml").safe_load((root / "imports.yaml").read_text())["accounts"]
    for acct, types in record.items():
        blocks = hcl2.loads((out / acct / "imports.tf").read_text())["import"]
        got = sorted((b["to"].removeprefix("${").removesuffix("}"), b["id"].strip('"')) for b in blocks)
        assert len(got) == sum(len(v) for v in types.values())
        # every `to` names a resource that the account's other files declare
        declared = set()
        for tf in (out / acct).glob("*.tf"):
            for res in hcl2.loads(tf.read_text()).get("resource", []):
                for rtype, by_label in res.items():
                    declared |= {f"{rtype}.{label}".replace(chr(34), "") for label in by_label}
        assert {to for to, _ in got} <= declared
        ids = {(to.split(".")[0], i) for to, i in got}
        assert ids == {(t, i) for t, v in types.items() for i in v}


def test_imported_catalog_matches_the_live_accounts_but_for_what_is_reported(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    parsed = {n: parse_export(d, n) for n, d in exports.items()}
    cat, _ = load_catalog(root, NOW)
    assert cat is not None
    res = plan_import(cat, root, parsed, NOW)
    assert res.diagnostics == []
    from rolecat.adopt.importer import write_files

    write_files(root, res.files)
    new, diags = load_catalog(root, NOW)
    assert new is not None and not [d for d in diags if d.is_error]
    items, _ = drift(new, parsed, NOW)
    reported = {(i.account, i.name.split(":")[0].rsplit("/", 1)[-1]) for i in res.items}
    for d in items:
        if d.change == "unmanaged" and d.kind == "role":
            assert (d.account, d.name) in reported  # everything not adopted was reported
    # A role file written elsewhere than the live role's rolecat:source tag says (roles/shared/
    # for a role of two accounts) changes that tag, as the report's first plan says.
    for d in items:
        if d.field == "tags":
            assert set(d.expected) ^ set(d.actual) <= {"aws:cloudformation:stack-name"}, d
            assert any(line.startswith(f"{d.account}: role {d.name}: ") for line in res.first_plan), d
    # Only the admin roles left out change what the identity account's assume-roles grant
    # names; nothing else imported differs from the live account.
    assert {
        (d.account, d.kind, d.name, d.change) for d in items if d.change != "unmanaged" and d.field != "tags"
    } <= {
        ("security", "policy", "example-assume-roles", "changed"),
    }


def test_template_delimiters_in_a_live_policy_are_written_escaped(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """{{ and {% are legal in IAM strings (an S3 key may hold braces), and a policy file is a
    template: written raw, one such resource refused the whole import (T001).  They are
    written as JSON escapes (the same string), and the adopted policy matches the live one."""
    from urllib.parse import quote, unquote

    from rolecat.adopt.importer import write_files

    e = copy.deepcopy(exports)
    live = next(p for p in e["prod"]["Policies"] if p["PolicyName"].endswith("prod-engineer"))
    version = next(v for v in live["PolicyVersionList"] if v["IsDefaultVersion"])
    doc = json.loads(unquote(version["Document"]))
    doc["Statement"].append(
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/{{ x }}/{% y %}/*"}
    )
    version["Document"] = quote(json.dumps(doc))
    root = _empty_catalog(tmp_path)
    parsed = {n: parse_export(d, n) for n, d in e.items()}
    cat, _ = load_catalog(root, NOW)
    assert cat is not None
    res = plan_import(cat, root, parsed, NOW)
    assert res.diagnostics == []
    write_files(root, res.files)
    text = (root / "policies/prod-engineer.json").read_text()
    assert "secret/\\u007b{ x }\\u007d/\\u007b% y %\\u007d/*" in text
    assert ":{{ account.id }}:log-group:" in text  # the placeholder rolecat writes stays one
    new, diags = load_catalog(root, NOW)
    assert new is not None and not [d for d in diags if d.is_error], diags
    items, _ = drift(new, parsed, NOW)
    assert not [d for d in items if d.account == "prod" and d.kind == "policy" and d.change != "unmanaged"]


def test_live_names_that_do_not_follow_rolecat_naming_are_pinned(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    e = copy.deepcopy(exports)
    prod = e["prod"]
    pol = next(p for p in prod["Policies"] if p["PolicyName"] == "boundary-prod-readonly")
    old_arn = pol["Arn"]
    pol.update(
        PolicyName="ReadOnlyBoundary",
        Path="/boundaries/",
        Arn="arn:aws:iam::333333333333:policy/boundaries/ReadOnlyBoundary",
        Description="Hand-made in 2019",
    )
    for r in prod["RoleDetailList"]:
        if r.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == old_arn:
            r["PermissionsBoundary"]["PermissionsBoundaryArn"] = pol["Arn"]
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e))
    assert done.returncode == 0, done.stderr
    assert (root / "boundaries/ReadOnlyBoundary.json").exists()
    settings = (root / "catalog.yaml").read_text()
    assert (
        'boundaries/ReadOnlyBoundary: {name: ReadOnlyBoundary, path: /boundaries/, description: "Hand-made in 2019"}'
        in settings
    )
    out = tmp_path / "out"
    assert _rolecat("compile", str(root), "-o", str(out)).returncode == 0
    roles_tf = "".join(p.read_text() for p in sorted((out / "prod").glob("boundary.*.tf")))
    assert 'name        = "ReadOnlyBoundary"' in roles_tf
    assert 'path        = "/boundaries/"' in roles_tf
    assert 'description = "Hand-made in 2019"' in roles_tf
    assert f'id = "{pol["Arn"]}"' in (out / "prod/imports.tf").read_text()


def test_case_twins_and_user_extras_are_reported_not_guessed(tmp_path: Path, exports: dict[str, Any]) -> None:
    e = copy.deepcopy(exports)
    users = e["security"]["UserDetailList"]
    users[0]["UserName"] = "Alice"
    users[0]["Arn"] = "arn:aws:iam::111111111111:user/Alice"
    users[1]["UserPolicyList"] = [
        {"PolicyName": "legacy", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}
    ]
    users[1]["GroupList"] = [*users[1]["GroupList"], "admins"]
    root = _empty_catalog(tmp_path, "# the people\nusers:\n  alice: {team: platform}  # since 2020\n")
    items = _imported_items(tmp_path, root, e["security"])
    assert ("user", "Alice") in items
    assert ("user-inline-policy", f"{users[1]['UserName']}: legacy") in items
    assert ("group-membership", f"{users[1]['UserName']} in admins") in items
    text = (root / "users.yaml").read_text()
    assert text.startswith("# the people\nusers:\n  alice: {team: platform}  # since 2020\n")
    assert "Alice" not in text


def test_access_the_humans_group_grants_beyond_rolecats_is_reported(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """The humans group is adopted, but what else it grants stays: apply never detaches an
    attachment or deletes an inline policy it does not manage, so each is in the report."""
    e = copy.deepcopy(exports)
    [group] = e["security"]["GroupDetailList"]
    ours = [a["PolicyArn"] for a in group["AttachedManagedPolicies"]]
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    group["AttachedManagedPolicies"].append({"PolicyName": "AdministratorAccess", "PolicyArn": admin})
    group["GroupPolicyList"] = [
        {"PolicyName": "break-glass", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}
    ]
    root = _empty_catalog(tmp_path)
    items = _imported_items(tmp_path, root, e["security"])
    name = group["GroupName"]
    assert ("group-policy", f"{name}: {admin}") in items
    assert ("group-inline-policy", f"{name}: break-glass") in items
    assert ours and not [n for k, n in items if k == "group-policy" and n != f"{name}: {admin}"]


def test_live_tags_are_kept_where_the_catalog_can_and_the_rest_is_reported(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """The first apply makes every tag the catalog's (tags_all): a role file keeps the live
    role's tags; what no file can hold (a user's tag other than email, team or name, a value
    with a line break) would be removed, and the report's first plan says so."""
    e = copy.deepcopy(exports)
    role = next(r for r in e["prod"]["RoleDetailList"] if r["RoleName"] == "OnCall")
    role["Tags"] = [
        {"Key": "cost-center", "Value": "4711"},
        {"Key": "owner", "Value": "line\nbreak"},
        {"Key": "ManagedBy", "Value": "console"},
    ]
    user = e["security"]["UserDetailList"][0]
    user["Tags"] = [{"Key": "team", "Value": "platform"}, {"Key": "badge", "Value": "42"}]
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    oncall = (root / "roles/prod/OnCall.yaml").read_text()
    assert 'tags:\n  ManagedBy: console\n  cost-center: "4711"\n' in oncall
    plan = json.loads(done.stdout)["first_plan"]
    tagged = [line for line in plan if "the first plan removes" in line]
    assert tagged == [
        'prod: role OnCall: the first plan removes "owner" ("line\\nbreak"): tags the catalog does not keep',
        f'security: user {user["UserName"]}: the first plan removes "badge" ("42"): tags the catalog does not keep',
    ]
    out = tmp_path / "out"
    assert _rolecat("compile", str(root), "-o", str(out)).returncode == 0
    assert re.search(r'\n +cost-center += "4711"\n', (out / "prod/role.OnCall.tf").read_text())


def test_a_user_outside_the_identity_account_is_reported_not_imported(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    e = copy.deepcopy(exports)
    e["prod"]["UserDetailList"].append(
        {
            "Path": "/",
            "UserName": "mallory",
            "UserId": "AIDAM",
            "Arn": "arn:aws:iam::333333333333:user/mallory",
        }
    )
    root = _empty_catalog(tmp_path, "users:\n  alice: {}\n")
    done = _rolecat(
        "import", "--catalog", str(root), *_write_exports(tmp_path, {"prod": e["prod"]}), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    [item] = [i for i in json.loads(done.stdout)["items"] if i["name"] == "mallory"]
    assert (item["account"], item["kind"]) == ("prod", "user")
    assert "outside the identity account" in item["reason"]
    assert "mallory" not in (root / "users.yaml").read_text()


def test_what_the_catalog_cannot_hold_is_left_out_and_reported_not_the_whole_account(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """IAM took them; the catalog cannot write them: a role trusted by forty people over the
    trust policy quota (Q001), a role on a path with a colon, an MFA age of 30 seconds, an end
    of access written in epoch seconds, a policy with a condition key rolecat does not know
    (K001).  Any one of them stopped the whole import (nothing written, file:line).  Each is
    now left out and reported with the catalog's words, a role using a policy left out too,
    the policy files and pins only they needed with them; the rest is imported."""
    import yaml

    root = _empty_catalog(tmp_path)
    (root / "catalog.yaml").write_text(
        (root / "catalog.yaml").read_text() + "quotas:\n  trust_policy_size: 2048\n"
    )
    e = copy.deepcopy(exports)
    roles = {r["RoleName"]: r for r in e["prod"]["RoleDetailList"]}
    many = [f"arn:aws:iam::111111111111:user/person{i:03d}-with-a-rather-long-name" for i in range(40)]
    e["security"]["UserDetailList"] += [
        {"UserName": a.rsplit("/", 1)[1], "Arn": a, "Path": "/", "GroupList": []} for a in many
    ]
    roles["ProdEngineer"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] = many
    roles["CustomerSuccess"]["Path"] = "/team:ops/"
    for st in roles["OnCall"]["AssumeRolePolicyDocument"]["Statement"]:
        if "DateLessThan" in st.get("Condition", {}):
            st["Condition"]["DateLessThan"] = {"aws:CurrentTime": "4102444800"}  # IAM takes epoch seconds
    policy = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "boundary-app-deployer")
    version = next(v for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])
    version["Document"] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:NoSuchKeyYet": "x"}},
            }
        ],
    }
    # a policy on a path the catalog (and the provider's aws_iam_policy) cannot write
    moved = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "policy-report-exporter")
    old_arn, moved["Path"] = moved["Arn"], "/a:b/"
    moved["Arn"] = "arn:aws:iam::333333333333:policy/a:b/policy-report-exporter"
    for r in roles.values():
        for a in r["AttachedManagedPolicies"]:
            if a["PolicyArn"] == old_arn:
                a["PolicyArn"] = moved["Arn"]
    users_of_boundary = sorted(
        n
        for n, r in roles.items()
        if r.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == policy["Arn"]
    )
    assert users_of_boundary
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    items = {(i["account"], i["kind"], i["name"]): i["reason"] for i in json.loads(done.stdout)["items"]}
    assert "Q001" in items[("prod", "role", "ProdEngineer")]
    assert "/team:ops/" in items[("prod", "role", "CustomerSuccess")]
    assert "C020" in items[("prod", "role", "OnCall")] and "4102444800" in items[("prod", "role", "OnCall")]
    assert "K001" in items[("prod", "policy", "boundary-app-deployer")]
    assert '"/a:b/"' in items[("prod", "policy", "policy-report-exporter")]
    assert "policy-report-exporter cannot be adopted" in items[("prod", "role", "ReportExporter")]
    for name in users_of_boundary:
        assert items[("prod", "role", name)] == (
            "its boundary boundary-app-deployer cannot be adopted (see that policy's item)"
        )
    written = {p.relative_to(root).as_posix() for p in root.rglob("*.yaml")}
    for name in ("ProdEngineer", "CustomerSuccess", "OnCall", *users_of_boundary):
        assert f"roles/prod/{name}.yaml" not in written
    assert "roles/prod/ProdAdmin.yaml" in written  # the rest is imported
    # nonprod's boundary-app-deployer is adopted (boundaries/app-deployer.json); prod's, which
    # differs, would have been boundaries/app-deployer-prod.json, pinned to the live name
    assert (root / "boundaries/app-deployer.json").exists()
    assert not (root / "boundaries/app-deployer-prod.json").exists()
    pins = yaml.safe_load((root / "catalog.yaml").read_text()).get("pinned_policies") or {}
    assert "boundaries/app-deployer-prod" not in pins
    new, diags = load_catalog(root, NOW)
    assert new is not None and not [d for d in diags if d.is_error], diags
    assert not [d for d in diags if d.code == "C032"], diags  # no policy file left unused


# ------------------------------------------------------------------ trust, hand-reasoned


def _stmt(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def test_trust_of_identity_users_with_mfa_is_a_human_role() -> None:
    t = classify_trust(
        {
            "Statement": [
                _stmt(
                    {"AWS": [f"arn:aws:iam::{IDENTITY}:user/alice", f"arn:aws:iam::{IDENTITY}:user/ops/bob"]},
                    Condition={
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": "900"},
                    },
                ),
                _stmt(
                    {"AWS": f"arn:aws:iam::{IDENTITY}:user/carol"},
                    Condition={"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}},
                ),
            ]
        },
        IDENTITY,
    )
    assert not isinstance(t, str)
    assert (t.kind, t.members, t.temporary, t.mfa_max_age) == (
        "human",
        ("alice", "bob"),
        (("carol", "2099-01-01T00:00:00Z"),),
        900,
    )


def test_mfa_condition_values_written_as_json_booleans_and_numbers_are_read() -> None:
    """IAM keeps a document as it was written: jsonencode writes true and 900, not "true" and "900"."""
    t = classify_trust(
        {
            "Statement": _stmt(
                {"AWS": f"arn:aws:iam::{IDENTITY}:user/alice"},
                Condition={
                    "Bool": {"aws:MultiFactorAuthPresent": True},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 900},
                },
            )
        },
        IDENTITY,
    )
    assert not isinstance(t, str), t
    assert (t.kind, t.members, t.mfa_max_age) == ("human", ("alice",), 900)
    # false is no MFA requirement the catalog can write
    f = classify_trust(
        {
            "Statement": _stmt(
                {"AWS": f"arn:aws:iam::{IDENTITY}:user/alice"},
                Condition={"Bool": {"aws:MultiFactorAuthPresent": False}},
            )
        },
        IDENTITY,
    )
    assert isinstance(f, str) and "condition Bool" in f


@pytest.mark.parametrize(
    "statements, why",
    [
        ([_stmt({"AWS": "arn:aws:iam::999999999999:root"})], "not a user of the identity account"),
        ([_stmt({"AWS": f"arn:aws:iam::{IDENTITY}:role/ci"})], "not a user of the identity account"),
        ([_stmt({"Federated": "arn:aws:iam::1:oidc-provider/x"})], "Federated principals"),
        (
            [_stmt({"Service": "ec2.amazonaws.com"}, Condition={"StringEquals": {"aws:SourceAccount": "1"}})],
            "service trust with conditions",
        ),
        (
            [
                _stmt(
                    {"AWS": f"arn:aws:iam::{IDENTITY}:user/a"},
                    Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                )
            ],
            "condition IpAddress",
        ),
        (
            [_stmt({"Service": "ec2.amazonaws.com"}), _stmt({"AWS": f"arn:aws:iam::{IDENTITY}:user/a"})],
            "both service and user",
        ),
        ([{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}], "other than Allow"),
        ([], "no statements"),
    ],
)
def test_trust_the_catalog_cannot_express(statements: list[Any], why: str) -> None:
    t = classify_trust({"Statement": statements}, IDENTITY)
    assert isinstance(t, str) and why in t


def _mfa_trust(age: Any, principal: str = f"arn:aws:iam::{IDENTITY}:user/alice") -> dict[str, Any]:
    return {
        "Statement": _stmt(
            {"AWS": principal},
            Condition={
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": age},
            },
        )
    }


# Digits of other scripts and superscripts: str.isdigit() takes them all, int() only some.
_OTHER_DIGITS = strategies.characters(categories=["Nd", "No"]).filter(
    lambda c: c.isdigit() and not c.isascii()
)


@settings(max_examples=200, deadline=None)
@given(strategies.text(_OTHER_DIGITS, min_size=1, max_size=4), strategies.sampled_from(["", "36", "9"]))
def test_an_mfa_age_in_other_digits_is_not_the_catalogs(other: str, ascii_digits: str) -> None:
    """The catalog writes mfa_max_age in 0-9; str.isdigit() also took other scripts' digits and
    superscripts: '３６００' was adopted as 3600 (a trust the first apply rewrites) and '²'
    stopped the import (int() refuses it: ValueError)."""
    t = classify_trust(_mfa_trust(ascii_digits + other), IDENTITY)
    assert isinstance(t, str) and "condition NumericLessThan" in t
    ascii_age = classify_trust(_mfa_trust("3600"), IDENTITY)
    assert not isinstance(ascii_age, str) and ascii_age.mfa_max_age == 3600


def test_a_principal_ending_in_a_line_break_is_none_the_catalog_has() -> None:
    """The ARN and service patterns ended in $, which also matches before a final newline: a
    principal '...:user/alice\\n' (no ARN IAM stores) was adopted as alice, and a service
    'ec2.amazonaws.com\\n' went into trusted_services, which the role file then refused (S005)."""
    t = classify_trust(_mfa_trust("3600", f"arn:aws:iam::{IDENTITY}:user/alice\n"), IDENTITY)
    assert isinstance(t, str) and "not a user of the identity account" in t
    other_digits = (
        "arn:aws:iam::\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661:user/alice"
    )
    t = classify_trust(_mfa_trust("3600", other_digits), IDENTITY)
    assert isinstance(t, str) and "not a user of the identity account" in t
    t = classify_trust({"Statement": _stmt({"Service": "ec2.amazonaws.com\n"})}, IDENTITY)
    assert isinstance(t, str) and "service principal" in t


def test_now_is_irrelevant_to_the_written_files(tmp_path: Path, exports: dict[str, Any]) -> None:
    parsed = {n: parse_export(d, n) for n, d in exports.items()}
    root = _empty_catalog(tmp_path)
    cat, _ = load_catalog(root, NOW)
    assert cat is not None
    a = plan_import(cat, root, parsed, NOW).files
    b = plan_import(cat, root, parsed, NOW + dt.timedelta(days=400)).files
    assert a == b


def test_instance_profile_of_a_role_ec2_assumes_is_recorded(tmp_path: Path, exports: dict[str, Any]) -> None:
    """Issue 14: rolecat writes an instance profile for a role trusting ec2.amazonaws.com; a live one
    listed with the role in the export is recorded, so the first apply adopts it."""
    live = copy.deepcopy(exports)
    account = next(a for a, e in live.items() if any(_services(r) for r in e["RoleDetailList"]))
    template = next(r for r in live[account]["RoleDetailList"] if _services(r))
    role = copy.deepcopy(template)
    role["RoleName"] = "WebHost"
    role["RoleId"] = "AROAWEBHOST"
    role["Arn"] = role["Arn"].rsplit("/", 1)[0] + "/WebHost"
    trust = role["AssumeRolePolicyDocument"]
    for s in trust["Statement"]:
        if "Service" in s.get("Principal", {}):
            s["Principal"] = {"Service": "ec2.amazonaws.com"}
    role["InstanceProfileList"] = [{"InstanceProfileName": "WebHost", "Path": role["Path"]}]
    live[account]["RoleDetailList"].append(role)
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, live))
    assert done.returncode == 0, done.stderr
    record = __import__("yaml").safe_load((root / "imports.yaml").read_text())["accounts"]
    assert record[account]["aws_iam_instance_profile"] == ["WebHost"]
    assert "WebHost" in record[account]["aws_iam_role"]


def test_instance_profiles_rolecat_does_not_write_as_they_are_are_reported(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """rolecat writes one instance profile per role EC2 assumes, named after it, on its path:
    another profile of the role stays (an item), its own on another path is replaced by the
    first apply (IAM cannot move a profile) and a missing one is created (the first plan)."""
    live = copy.deepcopy(exports)
    account = next(a for a, e in live.items() if any(_services(r) for r in e["RoleDetailList"]))
    template = next(r for r in live[account]["RoleDetailList"] if _services(r))
    for name, profiles in (
        ("WebHost", [{"InstanceProfileName": "WebHost", "Path": "/"}]),
        ("Batch", [{"InstanceProfileName": "BatchProfile", "Path": template["Path"]}]),
    ):
        role = copy.deepcopy(template)
        role["RoleName"] = name
        role["RoleId"] = "AROA" + name.upper()
        role["Arn"] = role["Arn"].rsplit("/", 1)[0] + "/" + name
        for st in role["AssumeRolePolicyDocument"]["Statement"]:
            if "Service" in st.get("Principal", {}):
                st["Principal"] = {"Service": "ec2.amazonaws.com"}
        role["InstanceProfileList"] = profiles
        live[account]["RoleDetailList"].append(role)
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, live), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    items = {(i["account"], i["kind"], i["name"]) for i in report["items"]}
    assert (account, "instance-profile", "BatchProfile (role Batch)") in items
    plan = [line for line in report["first_plan"] if "instance profile" in line]
    assert plan == [
        f"{account}: instance profile Batch: the first plan creates it",
        f"{account}: instance profile WebHost: the first plan replaces it (deletes it and creates it again): "
        f"its path is /, the catalog's is {template['Path']}, and IAM cannot move an instance profile; "
        "instances using it lose the role in between",
    ]


def _services(role: dict[str, Any]) -> bool:
    doc = role["AssumeRolePolicyDocument"]
    statements = doc["Statement"] if isinstance(doc, dict) else []
    return any("Service" in s.get("Principal", {}) for s in statements)


# --------------------------------------------------------------------------- password policy

LIVE_POLICY = {
    "PasswordPolicy": {
        "MinimumPasswordLength": 16,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 24,
        "HardExpiry": False,
    }
}


def _policy_file(tmp_path: Path, data: Any, name: str = "policy.json") -> Path:
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data))
    return f


def test_live_password_policy_is_adopted_into_the_catalog_and_recorded(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    policy = _policy_file(tmp_path, LIVE_POLICY)
    args = [
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, exports),
        "--password-policy",
        f"security={policy}",
        "--format",
        "json",
    ]
    first = _rolecat(*args)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert "catalog.yaml" in report["written"]
    written = __import__("yaml").safe_load((root / "catalog.yaml").read_text())
    assert written["password_policy"] == {"minimum_length": 16, "max_age_days": 90}
    record = __import__("yaml").safe_load((root / "imports.yaml").read_text())["accounts"]
    assert record["security"]["aws_iam_account_password_policy"] == ["iam-account-password-policy"]
    assert "aws_iam_account_password_policy" not in record.get("prod", {})
    # The catalog now says what is live: the first plan changes nothing of the policy.
    assert not [line for line in report["first_plan"] if "password" in line]
    # Idempotent.
    before = _snapshot(root)
    again = _rolecat(*args)
    assert again.returncode == 0 and json.loads(again.stdout)["written"] == []
    assert _snapshot(root) == before
    # compile turns the record into an import block at the address the catalog's policy uses
    out = tmp_path / "out"
    done = _rolecat("compile", str(root), "-o", str(out))
    assert done.returncode == 0, done.stderr
    imports_tf = (out / "security" / "imports.tf").read_text()
    assert "aws_iam_account_password_policy.this" in imports_tf
    assert '"iam-account-password-policy"' in imports_tf
    pp = (out / "security" / "password_policy.tf").read_text()
    assert re.search(r"minimum_password_length\s+= 16\n", pp) and re.search(r"max_password_age\s+= 90\n", pp)


def test_a_live_policy_weaker_than_the_floor_is_tightened_by_the_first_plan(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    weak = copy.deepcopy(LIVE_POLICY)
    weak["PasswordPolicy"].update(
        MinimumPasswordLength=8, RequireSymbols=False, PasswordReusePrevention=5, HardExpiry=True
    )
    weak["PasswordPolicy"].pop("MaxPasswordAge")
    root = _empty_catalog(tmp_path)
    args = [
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, exports),
        "--password-policy",
        f"security={_policy_file(tmp_path, weak)}",
        "--format",
        "json",
    ]
    done = _rolecat(*args)
    assert done.returncode == 0, done.stderr
    written = __import__("yaml").safe_load((root / "catalog.yaml").read_text())
    assert written["password_policy"] == {"hard_expiry": True}  # 8 is below the floor: not kept
    lines = [line for line in json.loads(done.stdout)["first_plan"] if "password" in line]
    assert any("minimum_password_length is 8, the catalog says 14" in line for line in lines), lines
    assert any("require_symbols is false, the catalog says true" in line for line in lines), lines
    assert any("password_reuse_prevention is 5, the catalog says 24" in line for line in lines), lines
    assert not any("hard_expiry" in line or "max_password_age" in line for line in lines), lines


def test_a_catalog_policy_that_differs_is_kept_and_reported(tmp_path: Path, exports: dict[str, Any]) -> None:
    root = _empty_catalog(tmp_path)
    text = (root / "catalog.yaml").read_text() + "password_policy:\n  minimum_length: 20\n"
    (root / "catalog.yaml").write_text(text)
    args = ["import", "--catalog", str(root), *_write_exports(tmp_path, exports)]
    args += ["--password-policy", f"security={_policy_file(tmp_path, LIVE_POLICY)}", "--format", "json"]
    done = _rolecat(*args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    kept = __import__("yaml").safe_load((root / "catalog.yaml").read_text())
    assert kept["password_policy"] == {"minimum_length": 20}  # what a person wrote stays
    item = next(i for i in report["items"] if i["kind"] == "password-policy")
    assert item["account"] == "security" and "minimum_length: 20" in item["reason"]
    assert any("minimum_password_length is 16, the catalog says 20" in line for line in report["first_plan"])


def test_password_policy_of_a_non_identity_account_is_refused(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    args = ["import", "--catalog", str(root), *_write_exports(tmp_path, exports)]
    before = _snapshot(root)
    done = _rolecat(*args, "--password-policy", f"prod={_policy_file(tmp_path, LIVE_POLICY)}")
    assert done.returncode == 2
    assert "identity account (security) only" in done.stderr and "prod" in done.stderr
    assert _snapshot(root) == before


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            "not json",
            "policy.json:1:1: error X005: JSON syntax error: unexpected character 'n'\n    hint: a "
            "--password-policy file is what aws iam get-account-password-policy --output json prints",
        ),
        ({"Policy": {}}, "no PasswordPolicy object"),
        ({"PasswordPolicy": []}, "no PasswordPolicy object"),
        ({"PasswordPolicy": {"MinimumPasswordLength": "16"}}, "MinimumPasswordLength must be an integer"),
        ({"PasswordPolicy": {"MinimumPasswordLength": True}}, "MinimumPasswordLength must be an integer"),
        ({"PasswordPolicy": {"MinimumPasswordLength": 5}}, "from 6 to 128"),
        ({"PasswordPolicy": {"MaxPasswordAge": 1096}}, "from 1 to 1095"),
        ({"PasswordPolicy": {"MaxPasswordAge": 1e400}}, "MaxPasswordAge must be an integer"),
        ({"PasswordPolicy": {"PasswordReusePrevention": 0}}, "from 1 to 24"),
        ({"PasswordPolicy": {"HardExpiry": "true\nx: 1"}}, "HardExpiry must be true or false"),
        ({"PasswordPolicy": {"RequireSymbols": 1}}, "RequireSymbols must be true or false"),
    ],
)
def test_hostile_password_policy_files_are_refused_with_x005(
    tmp_path: Path, exports: dict[str, Any], data: Any, why: str
) -> None:
    root = _empty_catalog(tmp_path)
    before = _snapshot(root)
    bad = _policy_file(tmp_path, data if not isinstance(data, dict) else json.dumps(data))
    done = _rolecat(
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, exports),
        "--password-policy",
        f"security={bad}",
    )
    assert done.returncode == 1, done.stderr
    assert "X005" in done.stderr and why in done.stderr, done.stderr
    assert _snapshot(root) == before


def test_drift_compares_the_password_policy(tmp_path: Path, exports: dict[str, Any]) -> None:
    from rolecat.adopt.export import AccountExport, parse_password_policy

    cat, _ = load_catalog(CATALOG, NOW)
    assert cat is not None
    parsed: dict[str, AccountExport] = {n: parse_export(d, n) for n, d in exports.items()}
    live = parse_password_policy(LIVE_POLICY)
    parsed["security"] = AccountExport(**{**parsed["security"].__dict__, "password_policy": live})
    items, _ = drift(cat, parsed, NOW)
    assert cat.password_policy.minimum_length == 14 and cat.password_policy.max_age_days is None
    found = {(d.field, d.expected, d.actual) for d in items if d.kind == "password-policy"}
    assert found == {("minimum_password_length", 14, 16), ("max_password_age", None, 90)}
    # without --password-policy the policy is unknown, not reported
    bare = {n: parse_export(d, n) for n, d in exports.items()}
    assert not [d for d in drift(cat, bare, NOW)[0] if d.kind == "password-policy"]


def test_a_file_that_does_not_exist_is_a_usage_error_and_one_that_is_no_export_a_finding(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    root = _empty_catalog(tmp_path)
    [prod] = _write_exports(tmp_path, {"prod": exports["prod"]})
    for command in ("import", "drift"):
        missing = _rolecat(command, "--catalog", str(root), f"prod={tmp_path / 'nope.json'}")
        assert missing.returncode == 2 and "no such file" in missing.stderr, missing.stderr
        assert missing.stderr.startswith("rolecat: an export: "), missing.stderr  # as every command says
        flag = _rolecat(command, "--catalog", str(root), "--get-role", f"prod={tmp_path / 'nope.json'}", prod)
        assert flag.returncode == 2 and "--get-role: no such file" in flag.stderr, flag.stderr
        other = _rolecat(command, "--catalog", str(root), prod, prod.replace("prod=", "dev=", 1))
        assert other.returncode == 2 and other.stderr.startswith("rolecat: dev is not an account")
    (tmp_path / "bad.json").write_text("{not json")
    bad = _rolecat("drift", "--catalog", str(root), f"prod={tmp_path / 'bad.json'}")
    assert bad.returncode == 1
    [line] = [x for x in bad.stderr.splitlines() if "X001" in x]
    assert line.count("bad.json") == 1, line
    assert ":1:2: error X001: JSON syntax error: expected a quoted key" in line, line


def test_an_export_with_a_role_twice_writes_nothing_and_names_both(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """Two RoleDetailList entries of one name (a concatenated export): the import adopted the
    last one and said nothing; now it stops with X001 naming both entries, before writing."""
    e = copy.deepcopy(exports)
    roles = e["prod"]["RoleDetailList"]
    stale = copy.deepcopy(next(r for r in roles if r["RoleName"] == "OnCall"))
    stale["AttachedManagedPolicies"] = []
    roles.append(stale)
    root = _empty_catalog(tmp_path)
    before = _snapshot(root)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e))
    assert done.returncode == 1, done.stdout
    first = next(i for i, r in enumerate(roles) if r["RoleName"] == "OnCall")
    assert f"X001: RoleDetailList[{first}] and RoleDetailList[{len(roles) - 1}] both name role 'OnCall'" in (
        done.stderr
    )
    assert _snapshot(root) == before


def test_a_live_description_ending_in_a_line_break_is_written_as_it_is(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """IAM allows a line break in a role description. "on-call\\n" matched the plain-scalar
    pattern (its $ matches before a final newline), was written unquoted and read back as
    "on-call": the first apply changed the description, and the report said so only as a
    difference found after the import it had caused."""
    import yaml

    roles = tmp_path / "roles.json"
    live = "on-call\n"
    roles.write_text(
        json.dumps([{"Role": {"RoleName": "OnCall", "Description": live, "MaxSessionDuration": 3600}}])
    )
    root = _empty_catalog(tmp_path)
    done = _rolecat(
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, exports),
        "--get-role",
        f"prod={roles}",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((root / "roles/prod/OnCall.yaml").read_text())["description"] == live
    assert not [line for line in json.loads(done.stdout)["first_plan"] if "OnCall" in line], done.stdout


@pytest.mark.parametrize(
    "text",
    [
        "on-call\n",
        "a\u2028b",
        "x\x85y",
        "\u202eevil",
        "café 日本",
        "\x7f",
        "\U0001f600",
        "tab\tx",
        "yes",
        "/p/",
    ],
)
def test_a_written_scalar_reads_back_as_the_same_string(text: str) -> None:
    """What import writes into YAML (_q) is read back by the catalog's loader unchanged:
    JSON leaves U+0085, U+2028 and U+2029 raw, which YAML folds as line breaks."""
    from rolecat.adopt.importer import _q
    from rolecat.load.source import load_yaml_text

    doc, diags = load_yaml_text(f"k: {_q(text)}\n", "x.yaml")
    assert doc is not None and not diags, diags
    assert doc.data["k"] == text


def test_a_live_policy_description_iam_takes_is_pinned_and_compiles_as_it_is(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """IAM takes any characters in a managed policy's description (CreatePolicy: Description,
    at most 1000, no pattern), and cannot change it: a boundary described in Japanese, or on
    two lines, stopped the whole import (catalog.yaml:N: S005, nothing written), as the pin
    took only printable ASCII and Latin-1.  It is pinned as it is now, and the Terraform
    carries it exactly (HCL escapes)."""
    import yaml

    e = copy.deepcopy(exports)
    live = '本番の読み取り専用\n\tbis: ${var} %{x} "q" \\'
    boundary = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "boundary-prod-readonly")
    boundary["Description"] = live
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    pins = yaml.safe_load((root / "catalog.yaml").read_text())["pinned_policies"]
    assert pins["boundaries/prod-readonly"]["description"] == live
    assert not [line for line in json.loads(done.stdout)["first_plan"] if "prod-readonly" in line]
    out = tmp_path / "out"
    compiled = _rolecat("compile", str(root), "-o", str(out))
    assert compiled.returncode == 0, compiled.stderr
    tf = (out / "prod/boundary.prod-readonly.tf").read_text()
    # HCL's escapes: \n, \t, \" and \\, and $${ and %%{ for a literal ${ and %{
    assert '  description = "本番の読み取り専用\\n\\tbis: $${var} %%{x} \\"q\\" \\\\"\n' in tf


def test_a_description_the_catalog_refuses_does_not_stop_the_import(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """A live description the catalog cannot carry was a validation error of the written file,
    and the whole account's import stopped with nothing written.  A role is imported without
    it, the first plan saying it removes the description; a policy, whose description IAM
    cannot change, is reported and left outside the catalog."""
    import yaml

    e = copy.deepcopy(exports)
    policy = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "policy-prod-engineer")
    policy["Description"] = "reads\u202etxt.exe"  # a bidirectional override: refused
    roles = tmp_path / "roles.json"
    roles.write_text(
        json.dumps(
            [{"Role": {"RoleName": "OnCall", "Description": "当番 " + "x" * 10, "MaxSessionDuration": 3600}}]
        )
    )
    root = _empty_catalog(tmp_path)
    done = _rolecat(
        "import",
        "--catalog",
        str(root),
        *_write_exports(tmp_path, e),
        "--get-role",
        f"prod={roles}",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    oncall = yaml.safe_load((root / "roles/prod/OnCall.yaml").read_text())
    assert "description" not in oncall
    [line] = [line for line in report["first_plan"] if line.startswith("prod: role OnCall:")]
    assert line == (
        'prod: role OnCall: the first plan removes its description ("\\u5f53\\u756a xxxxxxxxxx"): it holds '
        "the characters U+5F53, U+756A, which a role file cannot; give the role file a description to keep one"
    )
    [item] = [i for i in report["items"] if i["kind"] == "policy" and i["name"] == "policy-prod-engineer"]
    assert item["account"] == "prod" and "U+202E" in item["reason"] and "replace" in item["reason"]
    assert not (root / "policies/prod-engineer.json").exists()


def test_a_role_whose_policy_cannot_be_adopted_is_reported_too(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """A policy that cannot be adopted (used both as a boundary and as a policy, no free file
    name, a description the catalog refuses) is an item; the roles using it were neither
    written nor reported: "nothing is silently dropped" did not hold for them."""
    e = copy.deepcopy(exports)
    policy = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "policy-prod-engineer")
    policy["Description"] = "zero\u200bwidth"
    users = [
        r["RoleName"]
        for r in e["prod"]["RoleDetailList"]
        for a in r["AttachedManagedPolicies"]
        if a["PolicyArn"] == policy["Arn"]
    ]
    assert users
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    items = {(i["account"], i["kind"], i["name"]): i for i in json.loads(done.stdout)["items"]}
    for name in users:
        item = items[("prod", "role", name)]
        assert item["reason"] == "its policy policy-prod-engineer cannot be adopted (see that policy's item)"
        assert not (root / f"roles/prod/{name}.yaml").exists()


def test_the_first_plan_says_replaces_for_what_iam_cannot_change_in_place(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """A catalog role on another path than the live one, and a catalog policy whose live
    description differs: IAM cannot change either in place (UpdateRole takes a description and
    a session duration; a policy's description is immutable), so the first apply deletes and
    creates them, a new role id and ARN.  The report said the first plan 'updates path'."""
    e = copy.deepcopy(exports)
    role = next(r for r in e["prod"]["RoleDetailList"] if r["RoleName"] == "ProdEngineer")
    assert role["Path"] != "/"
    role["Path"] = "/"
    role["Arn"] = "arn:aws:iam::333333333333:role/ProdEngineer"
    policy = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "policy-prod-engineer")
    policy["Description"] = "made by hand"
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = [
        line
        for line in json.loads(done.stdout)["first_plan"]
        if "ProdEngineer" in line or "prod-engineer" in line
    ]
    assert plan == [
        "prod: policy policy-prod-engineer: the first plan replaces it: description differs: the next apply "
        "replaces the policy (IAM cannot change a policy's description)",
        "prod: role ProdEngineer: the first plan replaces it: path is /, the catalog says /humans/: the next "
        "apply replaces the role (a new role id and ARN; IAM cannot move a role)",
    ], plan


def test_user_tags_users_yaml_cannot_hold_are_left_out_not_fatal(
    tmp_path: Path, exports: dict[str, Any]
) -> None:
    """email, team and name tags become users.yaml attributes when users.schema.json takes
    them.  The importer restated the patterns with $, so an email ending in a line break got
    through, users.yaml failed validation and nothing of any account was written; a team
    name in decomposed form (NFD), which the loader refuses, did the same."""
    import yaml

    e = copy.deepcopy(exports)
    user = e["security"]["UserDetailList"][0]
    user["Tags"] = [t for t in user["Tags"] if t["Key"] not in ("email", "team")] + [
        {"Key": "email", "Value": "alice@example.com\n"},
        {"Key": "team", "Value": "Cafe\u0301"},
        {"Key": "name", "Value": "Alice"},
    ]
    root = _empty_catalog(tmp_path)
    done = _rolecat("import", "--catalog", str(root), *_write_exports(tmp_path, e), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((root / "users.yaml").read_text())["users"][user["UserName"]] == {"name": "Alice"}
    [line] = [
        x
        for x in json.loads(done.stdout)["first_plan"]
        if x.startswith(f"security: user {user['UserName']}:")
    ]
    assert '"email" ("alice@example.com\\n")' in line and '"team" ("Cafe\\u0301")' in line
