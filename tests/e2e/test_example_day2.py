"""The example catalog deployed for real, then day-2 edits, one after another on the same deployment.

First: init + validate every account, apply identity account first, a second plan must be
empty, and IAM must hold what the catalog says. Then the
edits: each is made to a copy of the catalog, compiled, and only the accounts whose compiled
folder changed are planned (``plan -out``), their saved plan inspected (``show -json``) for
what is created, updated, replaced and destroyed, applied, and planned again (must be empty).
IAM is then read back and compared with what the edited catalog says. The tests run in file
order and build on each other (one module-scoped deployment).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import Change, Deployment, Emulator, Terraform, compile_catalog
from e2e_scenarios import ROOT, CatalogFiles, check_readback, deploy_and_check

IDENTITY_ID = "111111111111"


@dataclass
class World(CatalogFiles):
    out: Path
    d: Deployment
    emulator: Emulator

    def step(self, expected_accounts: list[str], *extra: str) -> dict[str, dict[str, Change]]:
        """Compile, check which accounts changed, plan/apply/converge them, read IAM back."""
        compile_catalog(self.catalog, self.out, *extra)
        changed = self.d.sync()
        assert changed == expected_accounts, f"changed accounts {changed}, expected {expected_accounts}"
        for account in changed:
            if account not in self.d.inited:
                self.d.init(account)
                self.d.validate(account)
        result = self.d.step(changed)
        check_readback(self.catalog, self.emulator)
        return result


def kinds(changes: dict[str, Change]) -> dict[str, str]:
    return {a: c.kind for a, c in changes.items()}


def assert_no_replace_or_delete(changes: dict[str, dict[str, Change]]) -> None:
    bad = {
        acct: k for acct, ch in changes.items() for a, k in kinds(ch).items() if k in ("replace", "delete")
    }
    assert not bad, f"expected only creates and in-place updates: {bad}"


@pytest.fixture(scope="module")
def world(
    tf: Terraform, emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    emulator_server.reset()
    base = tmp_path_factory.mktemp("day2")
    catalog = base / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    out = base / "out"

    def make(o: Path) -> Deployment:
        return Deployment(tf, o, base / "deployed", emulator_server.endpoint)

    d = deploy_and_check(catalog, out, make, emulator_server)
    yield World(catalog, out, d, emulator_server)


def test_example_catalog_applies_converges_and_reads_back(world: World) -> None:
    # (deployed and read back by the fixture) Every account's provider assumed that account's
    # deploy role: the ARNs in its state carry its own id.
    manifest = json.loads((world.out / "manifest.json").read_text(encoding="utf-8"))
    for account in world.d.accounts():
        state = json.loads((world.d.folder(account) / "e2e.tfstate").read_text(encoding="utf-8"))
        arns = {
            i["attributes"].get("arn", "")
            for r in state["resources"]
            for i in r["instances"]
            if r["type"] in ("aws_iam_role", "aws_iam_user")
        }
        assert arns, account
        assert all(f":{manifest['accounts'][account]['id']}:" in a for a in arns), (account, arns)


def test_person_joins_and_gets_a_role(world: World) -> None:
    world.edit("users.yaml", lambda u: u["users"].update({"grace_hopper": {"email": "grace@example.com"}}))
    world.edit("roles/prod/ProdEngineer.yaml", lambda r: r["members"].append("grace_hopper"))
    changes = world.step(["security", "prod"])
    assert_no_replace_or_delete(changes)
    assert kinds(changes["security"]) == {
        "aws_iam_user.grace_hopper": "create",
        "aws_iam_user_group_membership.grace_hopper": "create",
    }
    assert kinds(changes["prod"]) == {"aws_iam_role.ProdEngineer": "update"}


def test_temporary_escalation_then_expired(world: World) -> None:
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    world.edit(
        "roles/prod/CustomerSuccess.yaml",
        lambda r: r.setdefault("temporary_members", []).append(
            {"user": "dave", "until": until, "reason": "INC-1 customer escalation"}
        ),
    )
    changes = world.step(["prod"])
    assert kinds(changes["prod"]) == {"aws_iam_role.CustomerSuccess": "update"}
    # Past its end the escalation is still written (its aws:CurrentTime condition ends it):
    # compiling with --now after `until` changes nothing.
    later = (dt.date.fromisoformat(until) + dt.timedelta(days=1)).isoformat()
    compile_catalog(world.catalog, world.out, "--now", later)
    assert world.d.sync() == []


def test_person_leaves(world: World) -> None:
    # carol made herself a console password and an access key: force_destroy must remove them.
    iam = world.emulator.iam(IDENTITY_ID, "TerraformDeploy")
    iam.create_login_profile(UserName="carol", Password="Correct-Horse-1!")
    iam.create_access_key(UserName="carol")

    def drop(role: dict[str, Any]) -> None:
        role["members"] = [m for m in role.get("members", []) if m != "carol"]
        temp = [t for t in role.get("temporary_members", []) if t["user"] != "carol"]
        if temp:
            role["temporary_members"] = temp
        else:
            role.pop("temporary_members", None)

    world.edit("users.yaml", lambda u: u["users"].pop("carol"))
    for rel in ("roles/nonprod/Engineer.yaml", "roles/prod/OnCall.yaml", "roles/prod/ProdEngineer.yaml"):
        world.edit(rel, drop)
    changes = world.step(["security", "nonprod", "prod"])
    assert kinds(changes["security"]) == {
        "aws_iam_user.carol": "delete",
        "aws_iam_user_group_membership.carol": "delete",
    }
    assert kinds(changes["nonprod"]) == {"aws_iam_role.Engineer": "update"}
    assert kinds(changes["prod"]) == {"aws_iam_role.OnCall": "update", "aws_iam_role.ProdEngineer": "update"}


def test_new_account_and_existing_role_put_into_it(world: World) -> None:
    world.edit(
        "catalog.yaml",
        lambda c: c["accounts"].update({"staging": {"id": "444444444444", "environment": "nonprod"}}),
    )
    world.edit("roles/nonprod/Engineer.yaml", lambda r: r["accounts"].append("staging"))
    changes = world.step(["security", "staging"])
    assert kinds(changes["security"]) == {"aws_iam_policy.assume_roles": "update"}
    assert set(kinds(changes["staging"]).values()) == {"create"}
    assert "aws_iam_role.Engineer" in changes["staging"]


SERVICE_ROLE = {
    "name": "Builder",
    "description": "CodeBuild projects that build the application images",
    "kind": "service",
    "accounts": ["nonprod"],
    "owners": ["@example/platform-leads"],
    "trusted_services": ["codebuild.amazonaws.com"],
    "policies": ["builder"],
    "boundary": "app",
}
DELEGATING_ROLE = {
    "name": "PlatformProvisioner",
    "description": "Creates the roles of platform tooling, only under /platform/ with the app boundary",
    "kind": "service",
    "accounts": ["nonprod"],
    "owners": ["@example/platform-leads"],
    "trusted_services": ["cloudformation.amazonaws.com"],
    "policies": ["builder"],
    "boundary": "app-deployer",
    "delegated_role_creation": {"boundary": "app", "path": "/platform/"},
}
BUILDER_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "BuildLogs",
      "Effect": "Allow",
      "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "arn:aws:logs:us-east-1:{{ account.id }}:log-group:/aws/codebuild/*"
    }
  ]
}
"""


def test_boundary_document_changes_and_service_roles_added(world: World) -> None:
    # Two edits in one pull request, in two accounts (planned and applied side by side):
    # prod: a boundary's document changes (the policy is updated in place, nothing else);
    # nonprod: a service role and a delegated-role-creation role are added, used by nothing
    # else (only creates).
    path = world.catalog / "boundaries/customer-success.json"
    path.write_text(
        path.read_text().replace('"transfer:StopServer"', '"transfer:StopServer",\n"transfer:TagResource"')
    )
    (world.catalog / "policies/builder.json").write_text(BUILDER_POLICY)
    world.dump("roles/services/Builder.yaml", SERVICE_ROLE)
    world.dump("roles/services/PlatformProvisioner.yaml", DELEGATING_ROLE)
    changes = world.step(["nonprod", "prod"])
    assert kinds(changes["prod"]) == {"aws_iam_policy.boundary_customer-success": "update"}
    assert set(kinds(changes["nonprod"]).values()) == {"create"}
    assert {
        "aws_iam_role.Builder",
        "aws_iam_role.PlatformProvisioner",
        "aws_iam_role_policy.PlatformProvisioner__delegated_role_creation",
        "aws_iam_policy.policy_builder",
    } <= set(changes["nonprod"])


def test_boundary_renamed_and_role_deleted(world: World) -> None:
    # Two edits in prod. The boundary rename: the role must switch to the new boundary before
    # the old policy is deleted, since AWS (and the patched emulator) refuse to delete a policy
    # that is still some role's boundary; the role is updated, not replaced. The role
    # deletion: the role, its attachment and the policies only it used go, nothing else.
    (world.catalog / "boundaries/prod-readonly.json").rename(world.catalog / "boundaries/prod-view.json")
    world.edit("roles/prod/ProdEngineer.yaml", lambda r: r.update({"boundary": "prod-view"}))
    (world.catalog / "roles/prod/CustomerSuccess.yaml").unlink()
    changes = world.step(["prod"])
    assert kinds(changes["prod"]) == {
        "aws_iam_policy.boundary_prod-view": "create",
        "aws_iam_role.ProdEngineer": "update",
        "aws_iam_policy.boundary_prod-readonly": "delete",
        "aws_iam_role.CustomerSuccess": "delete",
        "aws_iam_role_policy_attachment.CustomerSuccess__policy_customer-success": "delete",
        "aws_iam_policy.policy_customer-success": "delete",
        "aws_iam_policy.boundary_customer-success": "delete",
    }


def test_user_differing_only_by_punctuation_leaves_existing_users_alone(world: World) -> None:
    # grace_hopper joined above; grace.hopper sorts before her and sanitises to the same label.
    world.edit("users.yaml", lambda u: u["users"].update({"grace.hopper": {"email": "gh@example.com"}}))
    compile_catalog(world.catalog, world.out)
    assert world.d.sync() == ["security"]
    changes = world.d.plan_changes("security")
    touched = {a: k for a, k in kinds(changes).items() if "grace_hopper" in a and k != "create"}
    assert not touched, f"existing user changed: {touched}"
    new = [c for c in changes.values() if c.type == "aws_iam_user" and c.kind == "create"]
    assert [c.after["name"] for c in new if c.after] == ["grace.hopper"]
