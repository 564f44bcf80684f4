"""Stable identities against the IAM emulator (issue 10, item 6), with issue 9's harness.

Each scenario deploys a small catalog for real (Terraform against the patched moto
emulator), changes it the way a pull request would, and looks at the saved plan before
applying it: what is created, updated, replaced or deleted, and what IAM holds after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import Change, Deployment, Emulator, Terraform, compile_catalog

DEPLOY = "TerraformDeploy"
# Each scenario has accounts of its own in the one emulator, so none needs a reset.
_IDS = iter(range(10, 100))
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


SEC = PROD = ""


def catalog_yaml(prod: str = "prod", extra: str = "", defaults: str = "") -> str:
    return textwrap.dedent(
        f"""\
        organization: acme
        owners: ["@acme/sec"]
        accounts:
          sec: {{id: "{SEC}", identity: true}}
          {prod}: {{id: "{PROD}"{extra}}}
        terraform:
          deploy_role: {DEPLOY}
        {defaults}"""
    )


def role_yaml(name: str, account: str, members: list[str], boundary: str = "b", extra: str = "") -> str:
    return (
        f"name: {name}\naccounts: [{account}]\nboundary: {boundary}\nmembers: [{', '.join(members)}]\n{extra}"
    )


def write(root: Path, files: dict[str, str | dict[str, Any] | None]) -> None:
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else content, encoding="utf-8")


def rolecat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], capture_output=True, text=True, check=False
    )


class World:
    def __init__(self, tmp: Path, deployment: Callable[[Path], Deployment], emulator: Emulator) -> None:
        self.catalog = tmp / "catalog"
        self.out = tmp / "out"
        self.make = deployment
        self.emulator = emulator
        self.d: Deployment | None = None

    def deploy(self, files: dict[str, str | dict[str, Any] | None]) -> Deployment:
        write(self.catalog, files)
        compile_catalog(self.catalog, self.out)
        self.d = d = self.make(self.out)
        d.sync()
        for account in d.accounts():
            d.init(account)
            d.apply(account)
            d.assert_converged(account)
        return d

    def plan(self, files: dict[str, str | dict[str, Any] | None]) -> dict[str, dict[str, Change]]:
        """Change the catalog, compile, plan every changed account (saved plan): the changes."""
        assert self.d is not None
        write(self.catalog, files)
        compile_catalog(self.catalog, self.out)
        changed = self.d.sync()
        out = {}
        for account in changed:
            if account not in self.d.inited:
                self.d.init(account)
            out[account] = self.d.plan_changes(account)
        return out

    def apply(self, accounts: list[str]) -> None:
        assert self.d is not None
        for account in accounts:
            self.d.apply_saved(account)  # first try: any failure raises
            self.d.assert_converged(account)

    def iam(self, account_id: str) -> Any:
        return self.emulator.iam(account_id, DEPLOY)


def kinds(changes: dict[str, Change]) -> dict[str, str]:
    return {a: c.kind for a, c in changes.items()}


@pytest.fixture
def world(tmp_path: Path, tf: Terraform, emulator_server: Emulator) -> World:
    global SEC, PROD
    n = next(_IDS)
    SEC, PROD = f"1111111111{n}", f"3333333333{n}"

    def deployment(out: Path) -> Deployment:
        return Deployment(tf, out, tmp_path / "deployed", emulator_server.endpoint)

    return World(tmp_path, deployment, emulator_server)


def base_files(users: str, members: list[str]) -> dict[str, str | dict[str, Any] | None]:
    return {
        "catalog.yaml": catalog_yaml(),
        "users.yaml": users,
        "boundaries/b.json": DOC,
        "roles/R.yaml": role_yaml("R", "prod", members),
    }


def test_punctuation_newcomer_adds_a_user_and_changes_nobody(world: World) -> None:
    world.deploy(base_files("users:\n  alice: {}\n  gina_x: {}\n", ["alice", "gina_x"]))
    iam = world.iam(SEC)
    before = iam.get_user(UserName="gina_x")["User"]["UserId"]
    plans = world.plan({"users.yaml": "users:\n  alice: {}\n  gina_x: {}\n  gina.x: {}\n"})
    assert list(plans) == ["sec"]
    assert kinds(plans["sec"]) == {
        "aws_iam_user.gina_0x": "create",
        "aws_iam_user_group_membership.gina_0x": "create",
    }
    world.apply(["sec"])
    assert iam.get_user(UserName="gina_x")["User"]["UserId"] == before
    assert iam.get_user(UserName="gina.x")["User"]["UserName"] == "gina.x"


def test_a_leaver_and_a_punctuation_twin_joiner_never_share_an_iam_user(world: World) -> None:
    """ann_lee leaves and ann.lee joins in one pull request.  ann.lee's label under the
    earlier scheme was ann_lee's address: a move from it renamed the leaver's IAM user, with
    her access key, into the joiner.  The leaver is deleted, the joiner created."""
    world.deploy(base_files("users:\n  alice: {}\n  ann_lee: {}\n", ["alice", "ann_lee"]))
    iam = world.iam(SEC)
    leaver = iam.get_user(UserName="ann_lee")["User"]["UserId"]
    iam.create_access_key(UserName="ann_lee")
    plans = world.plan(
        {
            "users.yaml": "users:\n  alice: {}\n  ann.lee: {}\n",
            "roles/R.yaml": role_yaml("R", "prod", ["alice", "ann.lee"]),
        }
    )
    assert kinds(plans["prod"]) == {"aws_iam_role.R": "update"}  # its trust names ann.lee
    assert kinds(plans["sec"]) == {
        "aws_iam_user.ann_lee": "delete",
        "aws_iam_user_group_membership.ann_lee": "delete",
        "aws_iam_user.ann_0lee": "create",
        "aws_iam_user_group_membership.ann_0lee": "create",
    }, kinds(plans["sec"])
    world.apply(list(plans))
    joiner = iam.get_user(UserName="ann.lee")["User"]
    assert joiner["UserId"] != leaver
    assert iam.list_access_keys(UserName="ann.lee")["AccessKeyMetadata"] == []
    names = {u["UserName"] for u in iam.list_users()["Users"]}
    assert "ann_lee" not in names


def test_state_under_the_old_labels_follows_without_replacement(world: World) -> None:
    """A catalog applied with the old labels: with terraform.legacy_labels (the upgrade),
    its state is moved, nothing else changes."""
    d = world.deploy(
        {
            **base_files("users:\n  alice: {}\n  gina.x: {}\n", ["alice"]),
            "roles/R.yaml": role_yaml(
                "a.b", "prod", ["alice", "gina.x"], extra="managed_policies: [job-function/ViewOnlyAccess]\n"
            ),
        }
    )
    # Put every object where rolecat before the stable labels kept it.
    old = {
        "sec": [
            ("aws_iam_user.gina_0x", "aws_iam_user.gina_x"),
            ("aws_iam_user_group_membership.gina_0x", "aws_iam_user_group_membership.gina_x"),
        ],
        "prod": [
            ("aws_iam_role.a_0b", "aws_iam_role.a_b"),
            (
                "aws_iam_role_policy_attachment.a_0b__aws_job-function_5ViewOnlyAccess",
                "aws_iam_role_policy_attachment.a_b__aws_job-function_ViewOnlyAccess",
            ),
        ],
    }
    for account, pairs in old.items():
        for new, legacy in pairs:
            d.tf(d.folder(account), "state", "mv", "-no-color", new, legacy, account=account)
    # the upgrade: moves from the earlier labels (a plain compile has none: test_renames)
    write(
        world.catalog,
        {
            "catalog.yaml": catalog_yaml().replace(
                f"deploy_role: {DEPLOY}", f"deploy_role: {DEPLOY}\n  legacy_labels: true"
            )
        },
    )
    compile_catalog(world.catalog, world.out)
    d.sync()
    for account, pairs in old.items():
        changes = d.plan_changes(account)
        assert changes == {}, kinds(changes)  # moves only
        d.apply_saved(account)
        d.assert_converged(account)
        state = d.tf(d.folder(account), "state", "list", account=account).stdout.split()
        assert not {legacy for _, legacy in pairs} & set(state)


def test_renamed_user_keeps_the_iam_user_and_the_mfa_device(world: World) -> None:
    world.deploy(base_files("users:\n  alice: {}\n  dave: {}\n", ["alice", "dave"]))
    iam = world.iam(SEC)
    user_id = iam.get_user(UserName="dave")["User"]["UserId"]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="dave")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="dave", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    assert serial == f"arn:aws:iam::{SEC}:mfa/dave"

    plans = world.plan(
        {
            "users.yaml": "users:\n  alice: {}\n  david: {renamed_from: [dave]}\n",
            "roles/R.yaml": role_yaml("R", "prod", ["alice", "david"]),
        }
    )
    assert plans["sec"]["aws_iam_user.david"].kind == "update"  # renamed in place, not replaced
    # only the membership may be re-made (its user argument cannot change in place)
    others = {a: k for a, k in kinds(plans["sec"]).items() if a != "aws_iam_user_group_membership.david"}
    assert not [a for a, k in others.items() if k in ("create", "delete", "replace")], others
    world.apply(["sec", "prod"])

    assert iam.get_user(UserName="david")["User"]["UserId"] == user_id
    devices = iam.list_mfa_devices(UserName="david")["MFADevices"]
    assert [m["SerialNumber"] for m in devices] == [serial]
    # the self-service policy names the device that exists, for david
    arn = f"arn:aws:iam::{SEC}:policy/acme-self-service"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    former = [s for s in doc["Statement"] if s["Resource"] == serial]
    assert former and former[0]["Condition"] == {"StringEquals": {"aws:username": "david"}}
    # and so do the profiles and the manifest
    run = rolecat("profiles", str(world.catalog), "--user", "david")
    assert run.returncode == 0, run.stderr
    assert f"mfa_serial = {serial}" in run.stdout
    manifest = json.loads((world.out / "manifest.json").read_text())
    assert manifest["accounts"]["sec"]["users"]["david"]["mfa_serial"] == serial


def test_account_rename_plans_no_change(world: World) -> None:
    d = world.deploy(base_files("users:\n  alice: {}\n", ["alice"]))
    before = {p.name: p.read_text() for p in (world.out / "prod").glob("*.tf")}
    write(
        world.catalog,
        {
            "catalog.yaml": catalog_yaml("production", ", renamed_from: [prod]"),
            "roles/R.yaml": role_yaml("R", "production", ["alice"]),
        },
    )
    (world.out / "prod" / ".terraform.lock.hcl").write_text(
        (d.folder("prod") / ".terraform.lock.hcl").read_text()
    )
    compile_catalog(world.catalog, world.out)
    # compile carried the lock file and removed the old folder
    assert not (world.out / "prod").exists()
    assert (world.out / "production" / ".terraform.lock.hcl").exists()
    assert {p.name: p.read_text() for p in (world.out / "production").glob("*.tf")} == before
    # the deployed folder (with its local state) moves like OUT's, then plans nothing
    shutil.move(d.folder("prod"), d.folder("production"))
    d.inited.discard("prod")
    d.sync()
    d.init("production")
    assert d.plan_changes("production") == {}


def test_role_path_change_is_reported_before_it_is_applied(world: World) -> None:
    # R has a customer and an AWS managed policy: a path change replaces the role, and its
    # attachments must be replaced with it in the same apply (the provider detaches them
    # when it deletes the old role; attachments naming the role by its known name were
    # left out of the plan, and the new role ran without them until a second apply)
    files = base_files("users:\n  alice: {}\n", ["alice"])
    files["policies/p.json"] = DOC
    files["roles/R.yaml"] = role_yaml(
        "R", "prod", ["alice"], extra="policies: [p]\nmanaged_policies: [ReadOnlyAccess]\n"
    )
    world.deploy(files)
    write(world.catalog, {"catalog.yaml": catalog_yaml(defaults="defaults: {role_path: /people/}\n")})
    check = rolecat("compile", str(world.catalog), "-o", str(world.out), "--check")
    assert check.returncode == 1
    assert (
        "warning F001: prod: aws_iam_role.R will be replaced (role R: path /humans/ -> /people/)"
        in check.stderr
    )
    assert "new RoleId" in check.stderr
    plans = world.plan({})
    replaced = sorted(a for a, k in kinds(plans["prod"]).items() if k == "replace")
    assert replaced == [
        "aws_iam_role.R",
        "aws_iam_role_policy_attachment.R__aws_ReadOnlyAccess",
        "aws_iam_role_policy_attachment.R__policy_p",
    ]
    world.apply(["prod"])  # converges: the second plan is empty
    attached = world.iam(PROD).list_attached_role_policies(RoleName="R")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == ["ReadOnlyAccess", "policy-p"]


def test_boundary_rename_applies_first_try(world: World) -> None:
    world.deploy(base_files("users:\n  alice: {}\n", ["alice"]))
    iam = world.iam(PROD)
    role_id = iam.get_role(RoleName="R")["Role"]["RoleId"]
    files: dict[str, str | dict[str, Any] | None] = {
        "boundaries/b.json": None,
        "boundaries/b2.json": DOC,
        "roles/R.yaml": role_yaml("R", "prod", ["alice"], boundary="b2"),
    }
    write(world.catalog, files)
    check = rolecat("compile", str(world.catalog), "-o", str(world.out), "--check")
    assert "F001" in check.stderr and "boundary b renamed to b2" in check.stderr
    plans = world.plan({})
    assert kinds(plans["prod"]) == {
        "aws_iam_policy.boundary_b2": "create",
        "aws_iam_role.R": "update",
        "aws_iam_policy.boundary_b": "delete",
    }
    world.apply(["prod"])
    role = iam.get_role(RoleName="R")["Role"]
    assert role["RoleId"] == role_id
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == f"arn:aws:iam::{PROD}:policy/boundary-b2"
    names = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert "boundary-b" not in names
