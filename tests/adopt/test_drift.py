"""rolecat drift: exports compared with the catalog, policy documents compared as IAM does."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from adopt_factory import CATALOG, NOW, ROOT, export_of

from rolecat.adopt import policydoc
from rolecat.adopt.drift import drift
from rolecat.adopt.expected import expected_accounts
from rolecat.adopt.export import decode_document, parse_export, read_credential_report, read_export
from rolecat.pipeline import load_catalog


@pytest.fixture(scope="module")
def catalog() -> Any:
    cat, diags = load_catalog(CATALOG, NOW)
    assert cat is not None, diags
    return cat


@pytest.fixture(scope="module")
def exports(catalog: Any) -> dict[str, dict[str, Any]]:
    return {name: export_of(exp) for name, exp in expected_accounts(catalog).items()}


def _run(catalog: Any, exports: dict[str, dict[str, Any]]) -> list[Any]:
    parsed = {name: parse_export(data, f"{name}.json") for name, data in exports.items()}
    items, _ = drift(catalog, parsed, NOW)
    return items


def test_matching_accounts_have_no_drift(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    assert _run(catalog, exports) == []


def _mutated(exports: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return copy.deepcopy(exports)


def _role(export: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in export["RoleDetailList"] if r["RoleName"] == name)


def test_extra_attached_policy(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    _role(e["prod"], "ProdEngineer")["AttachedManagedPolicies"].append(
        {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    )
    [item] = _run(catalog, e)
    assert (item.account, item.kind, item.change) == ("prod", "attachment", "unmanaged")
    assert "AdministratorAccess" in item.message and "ProdEngineer" in item.message


def test_trust_change(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    trust = _role(e["prod"], "CustomerSuccess")["AssumeRolePolicyDocument"]
    for s in trust["Statement"]:
        s.pop("Condition", None)  # someone dropped the MFA condition by hand
    [item] = _run(catalog, e)
    assert (item.kind, item.name, item.field) == ("role", "CustomerSuccess", "trust")


def test_removed_boundary(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    del _role(e["prod"], "ProdEngineer")["PermissionsBoundary"]
    [item] = _run(catalog, e)
    assert (item.field, item.actual) == ("boundary", None)
    assert "removed" in item.message


def test_new_user(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    e["security"]["UserDetailList"].append(
        {
            "Path": "/",
            "UserName": "mallory",
            "UserId": "AIDAMALLORY",
            "Arn": "arn:aws:iam::111111111111:user/mallory",
        }
    )
    [item] = _run(catalog, e)
    assert (item.kind, item.name, item.change) == ("user", "mallory", "unmanaged")


def test_a_user_or_group_outside_the_identity_account_is_reported(
    catalog: Any, exports: dict[str, dict[str, Any]]
) -> None:
    """The catalog keeps people only as users of the identity account; a user made by hand
    in prod (with AdministratorAccess, say) is a door the catalog does not describe."""
    e = _mutated(exports)
    e["prod"]["UserDetailList"].append(
        {
            "Path": "/",
            "UserName": "mallory",
            "UserId": "AIDAMALLORY",
            "Arn": "arn:aws:iam::333333333333:user/mallory",
            "AttachedManagedPolicies": [
                {
                    "PolicyName": "AdministratorAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                }
            ],
        }
    )
    e["prod"]["GroupDetailList"].append(
        {
            "Path": "/",
            "GroupName": "admins",
            "GroupId": "AGPAADMINS",
            "Arn": "arn:aws:iam::333333333333:group/admins",
        }
    )
    items = _run(catalog, e)
    assert sorted((i.account, i.kind, i.name, i.change) for i in items) == [
        ("prod", "group", "admins", "unmanaged"),
        ("prod", "user", "mallory", "unmanaged"),
    ]
    assert "where the catalog keeps no users" in next(i for i in items if i.kind == "user").message


def test_policy_version_change(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    pol = next(p for p in e["prod"]["Policies"] if p["PolicyName"] == "policy-prod-engineer")
    for v in pol["PolicyVersionList"]:
        v["IsDefaultVersion"] = False
    pol["PolicyVersionList"].append(
        {
            "VersionId": "v3",
            "IsDefaultVersion": True,
            "Document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            },
        }
    )
    [item] = _run(catalog, e)
    assert (item.kind, item.name, item.field) == ("policy", "policy-prod-engineer", "document")
    assert "v3" in item.message


def test_missing_role_and_group_membership(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    e = _mutated(exports)
    e["prod"]["RoleDetailList"] = [r for r in e["prod"]["RoleDetailList"] if r["RoleName"] != "OnCall"]
    e["security"]["UserDetailList"][0]["GroupList"] = []
    items = _run(catalog, e)
    assert {(i.kind, i.name, i.change) for i in items} == {
        ("role", "OnCall", "missing"),
        ("user", e["security"]["UserDetailList"][0]["UserName"], "changed"),
    }


# ------------------------------------------------------------------ policy documents


def test_equivalence_as_iam_compares() -> None:
    a = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            {
                "Sid": "Trust",
                "Effect": "Allow",
                "Principal": {"AWS": "111111111111"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": True}},
            },
        ],
    }
    b = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Trust",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111111111111:root"]},
                "Action": ["STS:AssumeRole"],
                "Condition": {"Bool": {"aws:multifactorauthpresent": ["true"]}},
            },
            {"Sid": "", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": ["*"]},
        ],
    }
    assert policydoc.equivalent(a, b)
    c = copy.deepcopy(b)
    c["Statement"][1]["Resource"] = ["arn:aws:s3:::x"]
    assert not policydoc.equivalent(a, c)
    d = copy.deepcopy(b)
    d["Statement"][0]["Effect"] = "Deny"
    assert not policydoc.equivalent(a, d)
    # Resources are case-sensitive in IAM; actions are not.
    e = copy.deepcopy(a)
    e["Statement"][0]["Resource"] = "ARN:aws:s3:::x"
    assert not policydoc.equivalent(
        e, {**a, "Statement": [{**a["Statement"][0], "Resource": "arn:aws:s3:::x"}, a["Statement"][1]]}
    )


@pytest.mark.parametrize(
    "account",
    [
        "\u0661" * 12,  # Arabic-Indic digits: Python's \\d took them for an account id
        "\uff11" * 12,  # full-width
        "111111111111\n",  # $ matched before a final newline
    ],
)
def test_only_a_12_digit_account_id_is_its_root_arn(account: str) -> None:
    """IAM stores a principal's 12-digit account id (0-9) as its root ARN; nothing else is
    rewritten, so a principal of other digits is not the same as an ARN made of them
    (Organizations API reference, DescribeAccount: an account ID is exactly 12 digits)."""

    def trust(aws: str) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}]}

    assert policydoc.equivalent(trust("111111111111"), trust("arn:aws:iam::111111111111:root"))
    assert not policydoc.equivalent(trust(account), trust(f"arn:aws:iam::{account}:root"))
    assert policydoc.normalize(trust(account))["Statement"][0]["Principal"] == {"AWS": [account]}


def test_a_policy_document_is_url_decoded_only_when_it_is_url_encoded() -> None:
    """The raw API's URL-encoded text is decoded once; JSON text (or a JSON object) is taken
    as it is, whatever it holds: a Sid or an S3 key may contain %22, which is no quote."""
    doc = {"Version": "2012-10-17", "Id": "a%22,%22Statement%22:%5B%5D,%22x%22:%22", "Statement": []}
    text = json.dumps(doc)
    assert decode_document(text, "p") == doc
    assert decode_document(urllib.parse.quote(text), "p") == doc
    assert decode_document(" " + urllib.parse.quote(json.dumps(doc, indent=4)), "p") == doc
    assert decode_document(doc, "p") == doc


# ------------------------------------------------------------------ inputs are hostile


def _only(key: str, value: str) -> str:
    """An export (all four lists: a partial one is refused first) whose ``key`` is ``value``, JSON text."""
    others = [
        f'"{k}": []' for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies") if k != key
    ]
    return "{" + ", ".join([*others, f'"{key}": {value}']) + "}"


@pytest.mark.parametrize(
    "content, needle",
    [
        ("[]", "expected an object"),
        ("{}", "not an export"),
        (_only("RoleDetailList", '[{"RoleName": 1}]'), "RoleName must be a string"),
        (
            _only("RoleDetailList", '[{"RoleName": "r", "Arn": "a", "AssumeRolePolicyDocument": "%7Bbad"}]'),
            "not a JSON policy",
        ),
        ("not json", "JSON syntax error: unexpected character 'n'"),
        (
            _only(
                "UserDetailList",
                '[{"UserName": "a", "Arn": "arn:aws:iam::111111111111:user/a"},'
                ' {"UserName": "b", "Arn": "arn:aws:iam::222222222222:user/b"}]',
            ),
            "mixes accounts",
        ),
        # a count that is no whole number, and JSON deeper than the parser follows: they crashed
        (
            _only(
                "Policies",
                '[{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "AttachmentCount": "many"}]',
            ),
            "AttachmentCount must be a whole number",
        ),
        (
            _only(
                "Policies",
                '[{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "AttachmentCount": Infinity}]',
            ),
            "AttachmentCount must be a whole number",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            _only(
                "RoleDetailList",
                '[{"RoleName": "r", "Arn": "a", "AssumeRolePolicyDocument": "' + "[" * 100_000 + '"}]',
            ),
            "nested too deeply",
        ),
    ],
)
def test_bad_exports_are_diagnostics(tmp_path: Path, content: str, needle: str) -> None:
    f = tmp_path / "x.json"
    f.write_text(content)
    exp, diags = read_export(f, "x.json")
    assert exp is None
    [d] = diags
    assert d.code == "X001" and needle in d.message and d.location is not None and d.location.path == "x.json"


def test_an_export_with_a_name_twice_is_refused_naming_each_duplicate(
    exports: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """IAM names are unique in an account, whatever their case (IAM API Reference, CreateRole:
    "Names are not distinguished by case"): an export listing one twice is corrupt or two
    exports joined.  Each duplicate is an X001 naming both entries; none is kept silently."""
    e = copy.deepcopy(exports["prod"])
    roles = e["RoleDetailList"]
    twin = copy.deepcopy(roles[0])
    twin["RoleName"] = roles[0]["RoleName"].upper()
    roles.append(twin)
    first_inline = {"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}
    roles[1]["RolePolicyList"] = [first_inline, {**first_inline, "PolicyDocument": {"Statement": []}}]
    roles[1]["Tags"] = [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]
    e["Policies"].append(copy.deepcopy(e["Policies"][0]))
    e["UserDetailList"] = [
        {"UserName": "bob", "Arn": "arn:aws:iam::333333333333:user/bob"},
        {"UserName": "Bob", "Arn": "arn:aws:iam::333333333333:user/Bob"},
    ]
    f = tmp_path / "prod.json"
    f.write_text(json.dumps(e))
    exp, diags = read_export(f, "prod.json")
    assert exp is None
    n = len(roles) - 1
    assert sorted(d.message.split(":")[0] for d in diags) == sorted(
        [
            f"RoleDetailList[0] and RoleDetailList[{n}] both name role {roles[0]['RoleName']!r} "
            f"(the second as {twin['RoleName']!r})",
            "RoleDetailList[1].RolePolicyList[0] and RoleDetailList[1].RolePolicyList[1] both name "
            f"inline policy 'p' of role {roles[1]['RoleName']}",
            f"RoleDetailList[1].Tags[0] and RoleDetailList[1].Tags[1] both name tag 'team' of role {roles[1]['RoleName']}",
            f"Policies[0] and Policies[{len(e['Policies']) - 1}] both name customer managed policy "
            f"{e['Policies'][0]['PolicyName']!r}",
            "UserDetailList[0] and UserDetailList[1] both name user 'bob' (the second as 'Bob')",
        ]
    )
    assert {d.code for d in diags} == {"X001"}
    assert all(d.location is not None and d.location.path == "prod.json" for d in diags)
    # an AWS managed policy listed twice (two exports joined) is refused too
    aws = {
        "PolicyName": "ReadOnlyAccess",
        "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "PolicyVersionList": [],
    }
    f.write_text(
        json.dumps(
            {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [aws, aws]}
        )
    )
    _, [d] = read_export(f, "prod.json")
    assert d.message.startswith("Policies[0] and Policies[1] both name AWS managed policy")


def test_get_role_and_credential_report_files_with_a_name_twice_are_refused(
    exports: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    from rolecat.adopt.export import read_get_role

    live = parse_export(exports["prod"], "prod.json")
    role = {"Role": {"RoleName": "OnCall", "Description": "a", "MaxSessionDuration": 3600}}
    other = {"Role": {"RoleName": "OnCall", "Description": "b", "MaxSessionDuration": 7200}}
    f = tmp_path / "roles.json"
    f.write_text(json.dumps([role, other]))
    _, [d] = read_get_role(f, live, "roles.json")
    assert d.code == "X002" and d.message.startswith("[0] and [1] both name role 'OnCall'")
    csv = tmp_path / "report.csv"
    head = "user,arn,password_enabled,mfa_active,access_key_1_active\n"
    csv.write_text(head + "bob,a,true,true,false\nalice,b,true,true,false\nbob,a,false,false,true\n")
    unchanged, [d] = read_credential_report(csv, live, "report.csv")
    assert d.code == "X003" and d.message.startswith("line 2 and line 4 both name user 'bob'")
    assert unchanged.credentials is None


def test_credential_report_hygiene(catalog: Any, exports: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    csv = tmp_path / "report.csv"
    csv.write_text(
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
        "<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,N/A,"
        "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        "alice,arn:aws:iam::111111111111:user/alice,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,"
        "true,2026-01-01T00:00:00+00:00,2026-11-30T00:00:00+00:00,us-east-1,s3,"
        "true,2026-11-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
        "bob,arn:aws:iam::111111111111:user/bob,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,true,"
        "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    )
    live = parse_export(exports["security"], "security.json")
    live, diags = read_credential_report(csv, live, "report.csv")
    assert diags == []
    _, hyg = drift(catalog, {"security": live}, NOW, key_age_days=90)
    assert sorted((h.user, h.finding) for h in hyg) == [
        ("alice", "access-key-never-used"),
        ("alice", "access-key-old"),
        ("alice", "console-without-mfa"),
    ]


def test_cli_json_and_exit_codes(exports: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    e = copy.deepcopy(exports)
    for name, data in e.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    args = [sys.executable, "-m", "rolecat", "drift", "--catalog", str(CATALOG)]
    args += [f"{n}={tmp_path / n}.json" for n in e]
    ok = subprocess.run(
        [*args, "--exit-code", "--format", "json"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"drift": [], "hygiene": []}
    del _role(e["prod"], "OnCall")["PermissionsBoundary"]
    (tmp_path / "prod.json").write_text(json.dumps(e["prod"]))
    bad = subprocess.run([*args, "--exit-code"], capture_output=True, text=True, check=False)
    assert bad.returncode == 3
    assert "prod: role OnCall: changed: permission boundary" in bad.stdout
    without = subprocess.run(args, capture_output=True, text=True, check=False)
    assert without.returncode == 0
    wrong = subprocess.run(
        [*args[:-3], f"nonprod={tmp_path / 'prod.json'}"], capture_output=True, text=True, check=False
    )
    assert wrong.returncode == 1 and "X004" in wrong.stderr
    usage = subprocess.run([*args[:6], "nosuch=x.json"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2


def test_roles_and_inline_policies_the_catalog_writes_outside_role_files_are_no_drift(
    tmp_path: Path,
) -> None:
    """deploy_roles' CI roles (deploy.tf, each with its rolecat-ci-<mode> inline policy) and a
    role's rolecat-revoke-older-sessions policy (revoke_sessions) are written by compile, but
    drift did not expect them: a live account exactly as applied showed the CI roles as
    unmanaged roles and the revoke policy as an unmanaged inline policy, and a deleted revoke
    policy (sessions no longer revoked) went unreported."""
    import shutil

    from rolecat.targets.terraform.render import account_views

    root = tmp_path / "catalog"
    shutil.copytree(ROOT / "tests/golden/inputs/deploy-roles", root)
    role_file = next((root / "roles").rglob("*.yaml"))
    role_file.write_text(
        role_file.read_text()
        + 'revoke_sessions:\n  issued_before: "2026-11-01T00:00:00Z"\n  reason: offboarded\n'
    )
    cat, diags = load_catalog(root, NOW)
    assert cat is not None, diags
    live: dict[str, dict[str, Any]] = {}
    for name, view in account_views(cat).items():
        exp = expected_accounts(cat)[name]
        live[name] = export_of(exp)
        ci = {rv.role.name: rv for rv in view.ci_roles}
        assert ci, "the catalog has deploy_roles"
        live[name]["RoleDetailList"] = [r for r in live[name]["RoleDetailList"] if r["RoleName"] not in ci]
        for rv in ci.values():  # as deploy.tf makes them
            live[name]["RoleDetailList"].append(
                {
                    "RoleName": rv.role.name,
                    "Path": rv.role.path,
                    "Arn": rv.arn,
                    "AssumeRolePolicyDocument": rv.trust.document,
                    "RolePolicyList": [
                        {
                            "PolicyName": f"rolecat-ci-{rv.role.tags['rolecat:ci']}",
                            "PolicyDocument": rv.ci_policy.document,
                        }
                    ],
                    "Tags": [{"Key": k, "Value": v} for k, v in exp.roles[rv.role.name].tags.items()],
                }
            )
        revoked = [rv for rv in view.roles if rv.revoke]
        for rv in revoked:  # as role.tf.j2 writes it
            role = next(r for r in live[name]["RoleDetailList"] if r["RoleName"] == rv.role.name)
            role["RolePolicyList"] = [
                p for p in role["RolePolicyList"] if p["PolicyName"] != "rolecat-revoke-older-sessions"
            ] + [{"PolicyName": "rolecat-revoke-older-sessions", "PolicyDocument": rv.revoke.document}]
    assert any(rv.revoke for v in account_views(cat).values() for rv in v.roles)
    assert _run(cat, live) == []
    # the revoke policy deleted by hand: missing
    for data in live.values():
        for r in data["RoleDetailList"]:
            r["RolePolicyList"] = [p for p in r.get("RolePolicyList", []) if "revoke" not in p["PolicyName"]]
    missing = _run(cat, live)
    assert missing and all(
        (d.change, d.field, d.message)
        == ("missing", "inline", "inline policy rolecat-revoke-older-sessions is missing")
        for d in missing
    )


def test_tags_are_drift_as_the_next_apply_changes_them(
    catalog: Any, exports: dict[str, dict[str, Any]]
) -> None:
    """The provider makes a role's and a user's tags those of the configuration and its
    default_tags: a tag added by hand is removed by the next apply, one changed is set back,
    one deleted is added again; a tag whose key starts with aws: is left alone by the provider
    (KeyValueTags.IgnoreAWS) and is no drift.  drift compared no tags at all."""
    e = _mutated(exports)
    role = _role(e["prod"], "ProdEngineer")
    tags = {t["Key"]: t["Value"] for t in role["Tags"]}
    assert tags["ManagedBy"] == "rolecat" and "rolecat:source" in tags
    del tags["ManagedBy"]
    tags["rolecat:source"] = "elsewhere.yaml"
    tags["owner"] = "mallory"
    tags["aws:cloudformation:stack-id"] = "arn:aws:cloudformation:us-east-1:333333333333:stack/x/y"
    role["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    user = e["security"]["UserDetailList"][0]
    user["Tags"] = [t for t in user["Tags"] if t["Key"] != "team"] + [{"Key": "team", "Value": "intruders"}]
    items = _run(catalog, e)
    assert [(i.account, i.kind, i.name, i.change, i.field) for i in items] == [
        ("prod", "role", "ProdEngineer", "changed", "tags"),
        ("security", "user", user["UserName"], "changed", "tags"),
    ]
    role_item = items[0]
    assert role_item.message.startswith(
        'tags differ: the next apply removes "owner" ("mallory"), sets "rolecat:source" to '
    )
    assert role_item.message.endswith(' and adds "ManagedBy" ("rolecat")')
    assert "aws:" not in role_item.message and "aws:cloudformation:stack-id" not in role_item.actual
    # a tag AWS set is no drift on its own
    only_aws = _mutated(exports)
    _role(only_aws["prod"], "ProdEngineer")["Tags"].append({"Key": "aws:servicecatalog:x", "Value": "1"})
    assert _run(catalog, only_aws) == []


def test_instance_profiles_are_drift_as_the_next_apply_changes_them(tmp_path: Path) -> None:
    """role.tf.j2 writes one instance profile for a role EC2 assumes, named after it, on its
    path.  A live profile that is missing, renamed, on another path (replaced by the next
    apply: IAM cannot move one) or another one the role is in showed no drift at all."""
    cat, diags = load_catalog(ROOT / "tests/golden/inputs/labels-and-escapes", NOW)
    assert cat is not None, diags
    exports = {name: export_of(exp) for name, exp in expected_accounts(cat).items()}
    assert _run(cat, exports) == []
    account, role = next(
        (a, r) for a, data in exports.items() for r in data["RoleDetailList"] if r.get("InstanceProfileList")
    )
    [ours] = role["InstanceProfileList"]
    name = ours["InstanceProfileName"]
    cases: list[tuple[list[dict[str, str]], list[tuple[str, str, str | None]]]] = [
        ([], [(name, "missing", None)]),
        (
            [{**ours, "InstanceProfileName": "WebProfile"}],
            [("WebProfile", "unmanaged", None), (name, "missing", None)],
        ),
        ([{**ours, "Path": "/moved/"}], [(name, "changed", "path")]),
        ([ours, {"InstanceProfileName": "Spare", "Path": "/"}], [("Spare", "unmanaged", None)]),
    ]
    for profiles, expect in cases:
        role["InstanceProfileList"] = profiles
        items = _run(cat, exports)
        got = [(i.name, i.change, i.field) for i in items if i.kind == "instance-profile"]
        assert sorted(got, key=str) == sorted(expect, key=str), (profiles, items)
        assert all(i.account == account for i in items) and len(items) == len(expect)
    role["InstanceProfileList"] = [{**ours, "Path": "/moved/"}]
    [moved] = _run(cat, exports)
    assert "replaces the instance profile" in moved.message


def test_a_user_moved_to_another_path_is_drift(catalog: Any, exports: dict[str, dict[str, Any]]) -> None:
    """users.tf.j2 writes every user on path "/", so the next apply moves back a user moved by
    hand (UpdateUser NewPath; their ARN changes meanwhile): drift did not compare user paths."""
    e = _mutated(exports)
    user = e["security"]["UserDetailList"][0]
    user["Path"] = "/contractors/"
    [item] = _run(catalog, e)
    assert (item.kind, item.name, item.change, item.field) == ("user", user["UserName"], "changed", "path")
    assert item.message == "path is /contractors/, the catalog says /: the next apply moves the user"
