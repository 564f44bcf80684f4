"""Adoption proven against the emulator: seed live accounts by hand (boto3), export them as AWS
does (get_account_authorization_details), `rolecat import`, compile, and let Terraform judge.

The identity account has a password policy made by hand (tighter than rolecat's defaults):
`import --password-policy` writes it into catalog.yaml and records its import, so the first
plan imports it unchanged instead of creating one.

The first plan must create nothing that exists and destroy nothing; the apply adopts; the
second plan is empty; `rolecat drift` then reports nothing (once the one reported item that
does not fit, an inline user policy, is dealt with as the report says). Five out-of-band
edits made with boto3 afterwards are each reported by `rolecat drift`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_harness import Deployment, Emulator, Terraform, changes_of, compile_catalog, moves_of, rolecat

from rolecat.targets.terraform import labels

ROOT = Path(__file__).resolve().parents[2]
IDENTITY_ID = "111111111111"
PROD_ID = "333333333333"
DEPLOY_ROLE = "TerraformDeploy"

MFA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "AWS": [f"arn:aws:iam::{IDENTITY_ID}:user/alice", f"arn:aws:iam::{IDENTITY_ID}:user/bob"]
            },
            "Action": "sts:AssumeRole",
            "Condition": {
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "1800"},
            },
        }
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "logs:*"], "Resource": "*"},
        {
            "Sid": "NoBoundaryEdits",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
        },
    ],
}
READ_REPORTS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::reports-{PROD_ID}", f"arn:aws:s3:::reports-{PROD_ID}/*"],
        }
    ],
}


# Made by hand: longer than rolecat's 14 characters and with a 90-day expiry, otherwise
# rolecat's defaults (all four classes, 24 remembered, users change their own).
LIVE_PASSWORD_POLICY = {
    "MinimumPasswordLength": 16,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}


def _catalog_yaml() -> str:
    return (
        "organization: example\n"
        'owners: ["@example/security"]\n'
        "accounts:\n"
        f'  security: {{id: "{IDENTITY_ID}", identity: true}}\n'
        f'  prod: {{id: "{PROD_ID}", environment: prod}}\n'
        "terraform:\n"
        f"  deploy_role: {DEPLOY_ROLE}\n"
    )


def seed(emulator: Emulator) -> dict[str, Any]:
    """Accounts as a team would have made them by hand."""
    sec = emulator.iam(IDENTITY_ID, DEPLOY_ROLE)
    prod = emulator.iam(PROD_ID, DEPLOY_ROLE)
    sec.create_group(GroupName="example-humans")
    for user in ("alice", "bob"):
        sec.create_user(UserName=user, Tags=[{"Key": "team", "Value": "platform"}])
        sec.add_user_to_group(GroupName="example-humans", UserName=user)
        serial = sec.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
        sec.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
    sec.create_login_profile(UserName="alice", Password="Correct-Horse-1")
    sec.update_account_password_policy(**LIVE_PASSWORD_POLICY)
    sec.put_user_policy(
        UserName="bob",
        PolicyName="legacy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
            }
        ),
    )
    boundary = prod.create_policy(
        PolicyName="DevBoundary",
        Path="/boundaries/",
        Description="Made by hand in 2019",
        PolicyDocument=json.dumps(BOUNDARY),
    )["Policy"]["Arn"]
    reports = prod.create_policy(PolicyName="ReadReports", PolicyDocument=json.dumps(READ_REPORTS))["Policy"][
        "Arn"
    ]
    prod.create_role(
        RoleName="Reader",
        Path="/humans/",
        AssumeRolePolicyDocument=json.dumps(MFA_TRUST),
        PermissionsBoundary=boundary,
        Description="Reads reports",
        MaxSessionDuration=7200,
    )
    prod.attach_role_policy(RoleName="Reader", PolicyArn=reports)
    prod.attach_role_policy(RoleName="Reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    prod.create_role(
        RoleName="ReportJob",
        Path="/services/",
        AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
        PermissionsBoundary=boundary,
    )
    prod.attach_role_policy(RoleName="ReportJob", PolicyArn=reports)
    prod.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    return {"security": sec, "prod": prod, "boundary": boundary, "reports": reports}


def export(iam: Any, path: Path) -> None:
    pages = iam.get_paginator("get_account_authorization_details").paginate()
    merged: dict[str, list[Any]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for page in pages:
        for key, items in merged.items():
            items.extend(page.get(key, []))
    path.write_text(json.dumps(merged, default=str), encoding="utf-8")


def get_roles(iam: Any, names: list[str], path: Path) -> None:
    path.write_text(json.dumps([iam.get_role(RoleName=n) for n in names], default=str), encoding="utf-8")


@dataclass
class World:
    catalog: Path
    out: Path
    exports: Path
    d: Deployment
    clients: dict[str, Any]

    def export_all(self) -> list[str]:
        export(self.clients["security"], self.exports / "security.json")
        export(self.clients["prod"], self.exports / "prod.json")
        get_roles(self.clients["prod"], ["Reader", "ReportJob"], self.exports / "prod-roles.json")
        policy = self.clients["security"].get_account_password_policy()
        (self.exports / "security-password-policy.json").write_text(
            json.dumps({"PasswordPolicy": policy["PasswordPolicy"]}, default=str), encoding="utf-8"
        )
        return [
            f"security={self.exports / 'security.json'}",
            f"prod={self.exports / 'prod.json'}",
            "--get-role",
            f"prod={self.exports / 'prod-roles.json'}",
            "--password-policy",
            f"security={self.exports / 'security-password-policy.json'}",
        ]

    def drift(self) -> dict[str, Any]:
        args = self.export_all()
        proc = rolecat("drift", "--catalog", str(self.catalog), *args, "--format", "json", "--exit-code")
        assert proc.returncode in (0, 3), proc.stderr
        result: dict[str, Any] = json.loads(proc.stdout)
        assert (proc.returncode == 3) == bool(result["drift"] or result["hygiene"])
        return result

    def plan_json(self, account: str) -> dict[str, Any]:
        f = self.d.folder(account)
        self.d.tf(f, "plan", "-input=false", "-no-color", "-out=e2e.tfplan", account=account)
        shown = self.d.tf(f, "show", "-json", "e2e.tfplan", account=account)
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan


@pytest.fixture(scope="module")
def world(
    tf: Terraform, emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    emulator_server.reset()
    base = tmp_path_factory.mktemp("adoption")
    catalog = base / "catalog"
    catalog.mkdir()
    (catalog / "catalog.yaml").write_text(_catalog_yaml(), encoding="utf-8")
    (catalog / "users.yaml").write_text("# people\nusers: {}\n", encoding="utf-8")
    (base / "exports").mkdir()
    clients = seed(emulator_server)
    yield World(
        catalog,
        base / "out",
        base / "exports",
        Deployment(tf, base / "out", base / "deployed", emulator_server.endpoint),
        clients,
    )
    shutil.rmtree(base, ignore_errors=True)


def test_import_then_first_plan_adopts_without_creating_what_exists(world: World) -> None:
    args = world.export_all()
    proc = rolecat("import", "--catalog", str(world.catalog), *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    items = {(i["account"], i["kind"], i["name"]) for i in report["items"]}
    assert ("security", "user-inline-policy", "bob: legacy") in items
    assert any(k == "role" and "AWSServiceRoleForElasticBeanstalk" in n for _, k, n in items)
    reader = (world.catalog / "roles/prod/Reader.yaml").read_text()
    assert "members: [alice, bob]" in reader and "mfa_max_age: 1800" in reader
    assert "max_session_duration: 7200" in reader and 'description: "Reads reports"' in reader
    settings = yaml.safe_load((world.catalog / "catalog.yaml").read_text())
    assert settings["password_policy"] == {"minimum_length": 16, "max_age_days": 90}
    assert not [line for line in report["first_plan"] if "password" in line], report["first_plan"]
    # Running it again changes nothing.
    again = rolecat("import", "--catalog", str(world.catalog), *args, "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["written"] == []

    compile_catalog(world.catalog, world.out)
    world.d.sync()
    record = yaml.safe_load((world.catalog / "imports.yaml").read_text())["accounts"]
    for account in ("security", "prod"):
        world.d.init(account)
        world.d.validate(account)
        plan = world.plan_json(account)
        imported, created, deleted, replaced, updated = set(), [], [], [], []
        for rc in plan["resource_changes"]:
            actions = tuple(rc["change"]["actions"])
            if actions == ("update",):
                updated.append(rc["address"])
            if rc["change"].get("importing"):
                imported.add(rc["address"])
            if actions == ("create",):
                created.append(rc["address"])
            elif actions == ("delete",):
                deleted.append(rc["address"])
            elif "delete" in actions:
                replaced.append(rc["address"])
        assert deleted == [] and replaced == [], (deleted, replaced)
        assert len(imported) == sum(len(v) for v in record[account].values())
        # Creates are only what did not exist: rolecat's own identity-account policies and
        # their attachments to the group. The live password policy is imported, unchanged.
        if account == "prod":
            assert created == []
        else:
            assert "aws_iam_account_password_policy.this" in imported
            assert "aws_iam_account_password_policy.this" not in updated, updated
            assert sorted(created) == [
                "aws_iam_group_policy_attachment.humans__assume_roles",
                "aws_iam_group_policy_attachment.humans__self_service",
                "aws_iam_policy.assume_roles",
                "aws_iam_policy.self_service",
            ]
        world.d.apply_saved(account)
        world.d.assert_converged(account)
    # The live password policy as it was, now managed.
    live = world.clients["security"].get_account_password_policy()["PasswordPolicy"]
    assert live["MinimumPasswordLength"] == 16 and live["MaxPasswordAge"] == 90
    assert live["PasswordReusePrevention"] == 24 and live["RequireSymbols"] is True
    # Same user and role ids as before: adopted, not recreated.
    assert world.clients["prod"].get_role(RoleName="Reader")["Role"]["MaxSessionDuration"] == 7200
    assert world.clients["security"].list_mfa_devices(UserName="alice")["MFADevices"]


def test_drift_is_empty_after_adoption(world: World) -> None:
    # The one item that does not fit, as the import report says: grant it through a role,
    # then delete the inline policy.
    world.clients["security"].delete_user_policy(UserName="bob", PolicyName="legacy")
    result = world.drift()
    assert result == {"drift": [], "hygiene": []}


@pytest.mark.parametrize(
    "name",
    ["extra-attached-policy", "trust-change", "removed-boundary", "new-user", "policy-version-change"],
)
def test_out_of_band_edits_are_reported(world: World, name: str) -> None:
    sec, prod = world.clients["security"], world.clients["prod"]
    undo: Any
    if name == "extra-attached-policy":
        prod.attach_role_policy(RoleName="ReportJob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        expect = ("attachment", "unmanaged")

        def undo() -> None:
            prod.detach_role_policy(
                RoleName="ReportJob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
            )

    elif name == "trust-change":
        before = prod.get_role(RoleName="Reader")["Role"]["AssumeRolePolicyDocument"]
        changed = json.loads(json.dumps(before)) if isinstance(before, dict) else json.loads(before)
        for s in changed["Statement"]:
            s.get("Condition", {}).pop("Bool", None)  # MFA no longer required
        prod.update_assume_role_policy(RoleName="Reader", PolicyDocument=json.dumps(changed))
        expect = ("role", "changed")

        def undo() -> None:
            prod.update_assume_role_policy(RoleName="Reader", PolicyDocument=json.dumps(before))

    elif name == "removed-boundary":
        boundary = prod.get_role(RoleName="ReportJob")["Role"]["PermissionsBoundary"][
            "PermissionsBoundaryArn"
        ]
        prod.delete_role_permissions_boundary(RoleName="ReportJob")
        expect = ("role", "changed")

        def undo() -> None:
            prod.put_role_permissions_boundary(RoleName="ReportJob", PermissionsBoundary=boundary)

    elif name == "new-user":
        sec.create_user(UserName="mallory")
        expect = ("user", "unmanaged")

        def undo() -> None:
            sec.delete_user(UserName="mallory")

    else:
        arn = world.clients["reports"]
        doc = json.loads(json.dumps(READ_REPORTS))
        doc["Statement"][0]["Resource"] = "*"
        version = prod.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=True)
        expect = ("policy", "changed")

        def undo() -> None:
            versions = prod.list_policy_versions(PolicyArn=arn)["Versions"]
            old = next(
                v["VersionId"] for v in versions if v["VersionId"] != version["PolicyVersion"]["VersionId"]
            )
            prod.set_default_policy_version(PolicyArn=arn, VersionId=old)
            prod.delete_policy_version(PolicyArn=arn, VersionId=version["PolicyVersion"]["VersionId"])

    try:
        found = world.drift()["drift"]
        assert [(d["kind"], d["change"]) for d in found] == [expect], found
    finally:
        undo()
    assert world.drift() == {"drift": [], "hygiene": []}


def test_adopted_policies_keep_their_address_through_later_pull_requests(world: World) -> None:
    """The pinned policies (their live names kept) under two later changes: the state an
    earlier rolecat left under the files' labels moves to the pinned labels without any
    change; then the files are renamed (and the import record deleted, as adoption.md
    says): Terraform has nothing to do. Before pinned policies were labelled by their
    IAM name, the rename planned a delete and a create of the same IAM policy, whose
    create failed (EntityAlreadyExists) after the live policy was deleted; and the second
    compile after adoption stopped at W003 (a null description in the manifest)."""
    d = world.d
    settings = yaml.safe_load((world.catalog / "catalog.yaml").read_text())
    pins = {tuple(k.split("/")): v["name"] for k, v in settings["pinned_policies"].items()}
    assert pins, "the import pinned the live names"
    kinds = {"policies": "policy", "boundaries": "boundary"}
    # 1. state where rolecat before this change kept it: under the files' labels
    state = d.tf(d.folder("prod"), "state", "list", account="prod").stdout.split()
    moved = {}
    for (folder, stem), name in pins.items():
        pinned, by_file = labels.policy(kinds[folder], stem, name), labels.policy(kinds[folder], stem)
        moved[f"aws_iam_policy.{pinned}"] = f"aws_iam_policy.{by_file}"
        for address in state:
            if address.startswith("aws_iam_role_policy_attachment.") and address.endswith(f"__{pinned}"):
                moved[address] = address.replace(f"__{pinned}", f"__{by_file}")
    for new, old in moved.items():
        d.tf(d.folder("prod"), "state", "mv", "-no-color", new, old, account="prod")
    plan = d.plan_json("prod")
    assert changes_of(plan) == {} and moves_of(plan) == moved
    d.apply_saved("prod")
    d.assert_converged("prod")
    # 2. the pinned files renamed, the import record gone
    (world.catalog / "imports.yaml").unlink()
    text = (world.catalog / "catalog.yaml").read_text()
    renames = {}
    for folder, stem in pins:
        (world.catalog / folder / f"{stem}.json").rename(world.catalog / folder / f"{stem}-renamed.json")
        text = text.replace(f"{folder}/{stem}:", f"{folder}/{stem}-renamed:")
        renames[stem] = f"{stem}-renamed"
    (world.catalog / "catalog.yaml").write_text(text)
    for path in (world.catalog / "roles").rglob("*.yaml"):
        role = yaml.safe_load(path.read_text())
        role["policies"] = [renames.get(p, p) for p in role.get("policies", [])]
        if role.get("boundary") in renames:
            role["boundary"] = renames[role["boundary"]]
        path.write_text(yaml.safe_dump(role, sort_keys=False))
    compile_catalog(world.catalog, world.out)
    assert d.sync() == ["security", "prod"]  # imports.tf goes
    for account in ("security", "prod"):
        plan = d.plan_json(account)
        assert (changes_of(plan), moves_of(plan)) == ({}, {}), account
        d.apply_saved(account)
    assert world.drift() == {"drift": [], "hygiene": []}
