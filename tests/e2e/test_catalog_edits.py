"""Years of pull requests against the IAM emulator: every kind of change a team makes to a
catalog over time plans as the smallest honest change, and nothing else.

One catalog is deployed for real (Terraform against the patched moto emulator), then edited
the way pull requests edit it, one pull request per test, in file order, on the same
deployment. Each edit is compiled, only the accounts whose compiled folder changed are
planned (``plan -out``), and the saved plan must hold exactly the changes the edit means,
by address and kind: no replacement of what IAM can update in place, no delete and create
where a move or an update would do, and no ``moved`` block taking any address (an address
that moves is an object Terraform hands to another entity). Each plan is then applied on
the first try, planned again (empty), and IAM is read back and compared with the catalog.

The edits proven elsewhere are not repeated here: joining, leaving, a time box added,
a new account, a boundary's document edited and renamed, a role deleted
(test_example_day2.py); a renamed user, a renamed account, a role's path, punctuation twins
(test_stable_identities.py); adoption of live accounts (test_adoption.py).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import (
    Change,
    Deployment,
    Emulator,
    Terraform,
    changes_of,
    compile_catalog,
    moves_of,
    rolecat,
)
from e2e_scenarios import ROOT, CatalogFiles, check_readback, deploy_and_check

IDS = {"sec": "121212121212", "dev": "232323232323", "prod": "343434343434", "stage": "454545454545"}
DEPLOY = "TerraformDeploy"
SAML_METADATA = ROOT / "tests/golden/inputs/labels-and-escapes/saml/corp-sso.xml"


def doc(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }


CATALOG = textwrap.dedent(
    f"""\
    organization: acme
    owners: ["@acme/security"]
    accounts:
      sec: {{id: "{IDS["sec"]}", identity: true}}
      dev: {{id: "{IDS["dev"]}", environment: dev}}
      prod: {{id: "{IDS["prod"]}", environment: prod}}
      stage: {{id: "{IDS["stage"]}", environment: stage}}
    terraform:
      deploy_role: {DEPLOY}
    identity_providers:
      github: {{type: github}}
      corp-sso: {{type: saml, metadata: saml/corp.xml, name: CorpSSO}}
    """
)
USERS = textwrap.dedent(
    """\
    users:
      alice: {email: alice@acme.example, team: platform, name: Alice A}
      bob: {team: platform}
      carol: {team: data}
      dave: {}
      erin: {}
    """
)
ROLES: dict[str, dict[str, Any]] = {
    "roles/platform/Deployer.yaml": {
        "name": "Deployer",
        "description": "Deploys the apps",
        "accounts": ["dev", "prod"],
        "owners": ["@acme/platform"],
        "policies": ["deploy"],
        "managed_policies": ["ReadOnlyAccess"],
        "boundary": "b",
        "members": ["alice"],
        "teams": ["data"],
        "tags": {"cost-center": "cc-1"},
    },
    "roles/platform/Viewer.yaml": {
        "name": "Viewer",
        "description": "Reads dev",
        "accounts": ["dev"],
        "managed_policies": ["job-function/ViewOnlyAccess"],
        "boundary": "b",
        "members": ["bob"],
        "temporary_members": [{"user": "erin", "until": "2021-03-01", "reason": "INC-1"}],
    },
    "roles/data/Loner.yaml": {
        "name": "Loner",
        "description": "Only dave has it",
        "accounts": ["prod"],
        "policies": ["loner"],
        "boundary": "b",
        "members": ["dave"],
    },
    "roles/services/Worker.yaml": {
        "name": "Worker",
        "kind": "service",
        "accounts": ["dev"],
        "trusted_services": ["lambda.amazonaws.com"],
        "policies": ["worker"],
        "boundary": "b",
    },
    "roles/services/Host.yaml": {
        "name": "Host",
        "kind": "service",
        "accounts": ["dev"],
        "trusted_services": ["ec2.amazonaws.com"],
        "boundary": "b",
    },
    "roles/ci/CiDeploy.yaml": {
        "name": "CiDeploy",
        "kind": "service",
        "accounts": ["dev"],
        "federated": [{"provider": "github", "subjects": ["repo:acme/app:ref:refs/heads/main"]}],
        "boundary": "b",
        "policies": ["deploy"],
    },
    "roles/sso/SsoReader.yaml": {
        "name": "SsoReader",
        "kind": "service",
        "accounts": ["prod"],
        "federated": [
            {
                "provider": "corp-sso",
                "claims": {
                    "SAML:sub_type": "persistent",
                    "SAML:sub": ["*@acme.example"],
                    "SAML:edupersonaffiliation": ["staff"],
                },
            }
        ],
        "boundary": "b",
        "managed_policies": ["ReadOnlyAccess"],
    },
    "roles/stage/StageViewer.yaml": {
        "name": "StageViewer",
        "accounts": ["stage"],
        "boundary": "b",
        "members": ["bob"],
        "managed_policies": ["ReadOnlyAccess"],
    },
}


@dataclass
class World(CatalogFiles):
    out: Path
    d: Deployment
    emulator: Emulator

    def move(self, src: str, dst: str) -> None:
        (self.catalog / dst).parent.mkdir(parents=True, exist_ok=True)
        (self.catalog / src).rename(self.catalog / dst)

    def plan(self, accounts: list[str], *extra: str) -> dict[str, dict[str, Change]]:
        """Compile; exactly ``accounts`` changed; plan each (saved plan): the changes.
        No plan may move an address."""
        compile_catalog(self.catalog, self.out, *extra)
        changed = self.d.sync()
        assert changed == accounts, f"changed accounts {changed}, expected {accounts}"
        out = {}
        for account in changed:
            if account not in self.d.inited:
                self.d.init(account)
            plan = self.d.plan_json(account)
            assert moves_of(plan) == {}, f"{account}: addresses moved: {moves_of(plan)}"
            out[account] = changes_of(plan)
        return out

    def apply(self, accounts: list[str]) -> None:
        """Apply the saved plans, identity account first: each on the first try, then empty."""
        self.d.each(accounts, self._apply)
        check_readback(self.catalog, self.emulator)

    def _apply(self, account: str) -> None:
        self.d.apply_saved(account)
        self.d.assert_converged(account)

    def step(self, expected: dict[str, dict[str, str]], *extra: str) -> dict[str, dict[str, Change]]:
        """One pull request: exactly these accounts change, with exactly these changes."""
        plans = self.plan(list(expected), *extra)
        assert {a: kinds(c) for a, c in plans.items()} == expected
        self.apply(list(expected))
        return plans

    def iam(self, account: str) -> Any:
        return self.emulator.iam(IDS[account], DEPLOY)


def kinds(changes: dict[str, Change]) -> dict[str, str]:
    return {a: c.kind for a, c in changes.items()}


def role_file(name: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**ROLES[name], **(extra or {})}


@pytest.fixture(scope="module")
def world(
    tf: Terraform, emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    emulator_server.reset()
    base = tmp_path_factory.mktemp("edits")
    catalog = base / "catalog"
    catalog.mkdir()
    (catalog / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (catalog / "users.yaml").write_text(USERS, encoding="utf-8")
    (catalog / "saml").mkdir()
    shutil.copyfile(SAML_METADATA, catalog / "saml/corp.xml")
    for rel, content in {
        "boundaries/b.json": doc("s3:*", "logs:*", "sts:*"),
        "boundaries/app.json": doc("s3:*"),
        "policies/deploy.json": doc("s3:PutObject", resource="arn:aws:s3:::acme-{{ account.environment }}/*"),
        "policies/worker.json": doc("s3:GetObject"),
        "policies/loner.json": doc("logs:GetLogEvents"),
    }.items():
        (catalog / rel).parent.mkdir(parents=True, exist_ok=True)
        (catalog / rel).write_text(json.dumps(content, indent=2), encoding="utf-8")
    w = World(
        catalog,
        base / "out",
        Deployment(tf, base / "out", base / "deployed", emulator_server.endpoint),
        emulator_server,
    )
    for rel, role in ROLES.items():
        w.dump(rel, role)

    def make(o: Path) -> Deployment:
        return w.d

    deploy_and_check(catalog, w.out, make, emulator_server)
    yield w
    shutil.rmtree(base, ignore_errors=True)


def test_base_catalog_deploys(world: World) -> None:
    # (deployed, converged and read back by the fixture) the providers are where the roles
    # trusting them are, and the EC2 role has its instance profile
    dev, prod = world.iam("dev"), world.iam("prod")
    assert len(dev.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1
    assert [p["Arn"] for p in prod.list_saml_providers()["SAMLProviderList"]] == [
        f"arn:aws:iam::{IDS['prod']}:saml-provider/CorpSSO"
    ]
    assert dev.get_instance_profile(InstanceProfileName="Host")["InstanceProfile"]["Roles"]


def test_codeowners_only_edits_change_no_terraform(world: World) -> None:
    """Owners (the catalog's and a role's), a comment, a README: CODEOWNERS and the
    manifest may change, no account's Terraform does."""
    text = (world.catalog / "catalog.yaml").read_text()
    (world.catalog / "catalog.yaml").write_text(
        "# reviewed by security\n"
        + text.replace('owners: ["@acme/security"]', 'owners: ["@acme/sec-team", "@acme/audit"]')
    )
    world.edit("roles/platform/Deployer.yaml", lambda r: r.update({"owners": ["@acme/deployers"]}))
    world.edit("roles/stage/StageViewer.yaml", lambda r: r.update({"owners": ["@acme/stage"]}))
    (world.catalog / "roles/platform/README.md").write_text("Platform roles\n")
    world.plan([])
    run = rolecat("codeowners", str(world.catalog))
    assert run.returncode == 0, run.stderr
    assert "@acme/deployers" in run.stdout


def test_role_attributes_update_in_place(world: World) -> None:
    """A description changed and one removed, a longer session, tags added, changed and
    removed: each role is updated in place (and the instance profile, which carries the
    role's tags), nothing else."""
    world.edit(
        "roles/platform/Deployer.yaml",
        lambda r: r.update(
            {
                "description": "Deploys the apps and reads them",
                "max_session_duration": 7200,
                "tags": {"cost-center": "cc-2", "tier": "1"},
            }
        ),
    )
    world.edit("roles/platform/Viewer.yaml", lambda r: r.pop("description"))
    world.edit("roles/services/Host.yaml", lambda r: r.update({"tags": {"app": "web"}}))
    world.step(
        {
            "dev": {
                "aws_iam_role.Deployer": "update",
                "aws_iam_role.Host": "update",
                "aws_iam_instance_profile.Host": "update",
                "aws_iam_role.Viewer": "update",
            },
            "prod": {"aws_iam_role.Deployer": "update"},
        }
    )
    world.edit("roles/platform/Deployer.yaml", lambda r: r.update({"tags": {"tier": "1"}}))
    world.step({"dev": {"aws_iam_role.Deployer": "update"}, "prod": {"aws_iam_role.Deployer": "update"}})
    role = world.iam("prod").get_role(RoleName="Deployer")["Role"]
    assert {t["Key"] for t in role["Tags"]} == {"tier", "rolecat:source", "ManagedBy", "Organization"}
    assert role["MaxSessionDuration"] == 7200
    assert (
        "Description" not in world.iam("dev").get_role(RoleName="Viewer")["Role"]
        or not world.iam("dev").get_role(RoleName="Viewer")["Role"]["Description"]
    )


def test_attachments_and_inline_policies_come_and_go_alone(world: World) -> None:
    """An AWS managed policy added to a role in two accounts and one removed, a customer
    policy attached, an inline revoke_sessions and delegated_role_creation added: one
    attachment or inline policy (and the delegated boundary) each, the roles untouched."""
    world.edit(
        "roles/platform/Deployer.yaml",
        lambda r: r.update({"managed_policies": ["ReadOnlyAccess", "AmazonS3ReadOnlyAccess"]}),
    )
    world.edit(
        "roles/platform/Viewer.yaml",
        lambda r: (r.pop("managed_policies"), r.update({"policies": ["deploy"]})),
    )
    world.edit(
        "roles/services/Worker.yaml",
        lambda r: r.update(
            {
                "revoke_sessions": {"issued_before": "2026-01-01T00:00:00Z", "reason": "key leaked"},
                "delegated_role_creation": {"boundary": "app", "path": "/apps/"},
            }
        ),
    )
    world.step(
        {
            "dev": {
                "aws_iam_role_policy_attachment.Deployer__aws_AmazonS3ReadOnlyAccess": "create",
                "aws_iam_role_policy_attachment.Viewer__aws_job-function_5ViewOnlyAccess": "delete",
                "aws_iam_role_policy_attachment.Viewer__policy_deploy": "create",
                "aws_iam_role_policy.Worker__revoke_older_sessions": "create",
                "aws_iam_role_policy.Worker__delegated_role_creation": "create",
                "aws_iam_policy.boundary_app": "create",
            },
            "prod": {"aws_iam_role_policy_attachment.Deployer__aws_AmazonS3ReadOnlyAccess": "create"},
        }
    )


def test_policy_documents_edited_and_inline_policies_removed(world: World) -> None:
    (world.catalog / "policies/worker.json").write_text(json.dumps(doc("s3:GetObject", "s3:ListBucket")))
    world.edit(
        "roles/services/Worker.yaml", lambda r: (r.pop("revoke_sessions"), r.pop("delegated_role_creation"))
    )
    world.step(
        {
            "dev": {
                "aws_iam_policy.policy_worker": "update",
                "aws_iam_role_policy.Worker__revoke_older_sessions": "delete",
                "aws_iam_role_policy.Worker__delegated_role_creation": "delete",
                "aws_iam_policy.boundary_app": "delete",
            }
        }
    )


def test_role_files_moved_and_renamed(world: World) -> None:
    """A role file moved to another team's folder, another renamed: the role keeps its
    address; only its rolecat:source tag (and its instance profile's) says where it is now."""
    world.move("roles/platform/Deployer.yaml", "roles/ops/deployer-role.yaml")
    world.move("roles/services/Host.yaml", "roles/services/web-host.yaml")
    world.step(
        {
            "dev": {
                "aws_iam_role.Deployer": "update",
                "aws_iam_role.Host": "update",
                "aws_iam_instance_profile.Host": "update",
            },
            "prod": {"aws_iam_role.Deployer": "update"},
        }
    )
    tags = world.iam("prod").get_role(RoleName="Deployer")["Role"]["Tags"]
    assert {"Key": "rolecat:source", "Value": "roles/ops/deployer-role.yaml"} in tags


def test_policy_file_renamed(world: World) -> None:
    """policies/deploy.json renamed: a new customer managed policy (IAM cannot rename one),
    each role moved onto it, the old one deleted after its attachments, in one apply; the
    roles themselves are untouched."""
    world.move("policies/deploy.json", "policies/deployment.json")
    for rel in ("roles/ops/deployer-role.yaml", "roles/platform/Viewer.yaml", "roles/ci/CiDeploy.yaml"):
        world.edit(
            rel,
            lambda r: r.update({"policies": ["deployment" if p == "deploy" else p for p in r["policies"]]}),
        )
    world.step(
        {
            "dev": {
                "aws_iam_policy.policy_deployment": "create",
                "aws_iam_policy.policy_deploy": "delete",
                "aws_iam_role_policy_attachment.Deployer__policy_deploy": "delete",
                "aws_iam_role_policy_attachment.Deployer__policy_deployment": "create",
                "aws_iam_role_policy_attachment.Viewer__policy_deploy": "delete",
                "aws_iam_role_policy_attachment.Viewer__policy_deployment": "create",
                "aws_iam_role_policy_attachment.CiDeploy__policy_deploy": "delete",
                "aws_iam_role_policy_attachment.CiDeploy__policy_deployment": "create",
            },
            "prod": {
                "aws_iam_policy.policy_deployment": "create",
                "aws_iam_policy.policy_deploy": "delete",
                "aws_iam_role_policy_attachment.Deployer__policy_deploy": "delete",
                "aws_iam_role_policy_attachment.Deployer__policy_deployment": "create",
            },
        }
    )


def test_roles_move_to_another_account_and_into_a_third(world: World) -> None:
    """Viewer moves from dev to prod; Deployer, in dev and prod, is added to stage. Each
    account gets exactly its part; dev and prod keep Deployer as it is (their folders do
    not even change for it), and the identity account's policy is untouched (prod and
    stage already had human roles on the same path)."""
    world.edit("roles/platform/Viewer.yaml", lambda r: r.update({"accounts": ["prod"]}))
    world.edit("roles/ops/deployer-role.yaml", lambda r: r.update({"accounts": ["dev", "prod", "stage"]}))
    world.step(
        {
            "dev": {
                "aws_iam_role.Viewer": "delete",
                "aws_iam_role_policy_attachment.Viewer__policy_deployment": "delete",
            },
            "prod": {
                "aws_iam_role.Viewer": "create",
                "aws_iam_role_policy_attachment.Viewer__policy_deployment": "create",
            },
            "stage": {
                "aws_iam_policy.policy_deployment": "create",
                "aws_iam_role.Deployer": "create",
                "aws_iam_role_policy_attachment.Deployer__aws_AmazonS3ReadOnlyAccess": "create",
                "aws_iam_role_policy_attachment.Deployer__aws_ReadOnlyAccess": "create",
                "aws_iam_role_policy_attachment.Deployer__policy_deployment": "create",
            },
        }
    )


def test_people_change(world: World) -> None:
    """A user's e-mail and display name change, a team is renamed (in users.yaml and in
    the role that names it), a newcomer joins without a role, an escalation is granted in
    three accounts and an expired one is cleaned up: users and trust policies are updated
    in place, the newcomer created, nothing else."""
    users = world.load("users.yaml")
    users["users"]["alice"].update({"email": "alice@acme.dev", "name": "Alice B"})
    users["users"]["carol"]["team"] = "analytics"
    users["users"]["frank"] = {"email": "frank@acme.example"}
    world.dump("users.yaml", users)
    world.edit(
        "roles/ops/deployer-role.yaml",
        lambda r: r.update(
            {
                "teams": ["analytics"],
                "temporary_members": [{"user": "erin", "until": "2099-06-01", "reason": "INC-2"}],
            }
        ),
    )
    world.edit("roles/platform/Viewer.yaml", lambda r: r.pop("temporary_members"))
    world.step(
        {
            "sec": {
                "aws_iam_user.alice": "update",
                "aws_iam_user.carol": "update",
                "aws_iam_user.frank": "create",
                "aws_iam_user_group_membership.frank": "create",
            },
            "dev": {"aws_iam_role.Deployer": "update"},
            "prod": {"aws_iam_role.Deployer": "update", "aws_iam_role.Viewer": "update"},
            "stage": {"aws_iam_role.Deployer": "update"},
        }
    )


def test_only_member_leaves_with_their_role(world: World) -> None:
    """dave leaves, and Loner, the role only he had, goes with him (a human role without
    members is an error, C019): his user, the role, its attachment and the policy only it
    used are deleted, in one apply per account; nobody else changes."""
    world.edit("users.yaml", lambda u: u["users"].pop("dave"))
    refused = rolecat("validate", str(world.catalog))
    assert refused.returncode == 1 and "C012" in refused.stderr  # Loner still names him
    (world.catalog / "roles/data/Loner.yaml").unlink()
    (world.catalog / "policies/loner.json").unlink()
    world.step(
        {
            "sec": {"aws_iam_user.dave": "delete", "aws_iam_user_group_membership.dave": "delete"},
            "prod": {
                "aws_iam_role.Loner": "delete",
                "aws_iam_role_policy_attachment.Loner__policy_loner": "delete",
                "aws_iam_policy.policy_loner": "delete",
            },
        }
    )


def test_service_roles_become_human(world: World) -> None:
    """Worker becomes a human role on the path it had: its trust is updated in place, and
    the identity account's policy opens that path. Host becomes a human role on the human
    default path: IAM cannot move a role, so the role is replaced (F001 says so before the
    apply) and its instance profile, which only EC2 roles get, is deleted."""

    def human(r: dict[str, Any], path: str | None) -> None:
        r.pop("kind")
        r.pop("trusted_services")
        r["members"] = ["bob"]
        if path:
            r["path"] = path

    world.edit("roles/services/Worker.yaml", lambda r: human(r, "/services/"))
    world.edit("roles/services/web-host.yaml", lambda r: human(r, None))
    check = rolecat("compile", str(world.catalog), "-o", str(world.out), "--check")
    f001 = [line for line in check.stderr.splitlines() if "F001" in line]
    assert (
        len(f001) == 1
        and "aws_iam_role.Host will be replaced (role Host: path /services/ -> /humans/)" in f001[0]
    )
    world.step(
        {
            "sec": {"aws_iam_policy.assume_roles": "update"},
            "dev": {
                "aws_iam_role.Worker": "update",
                "aws_iam_role.Host": "replace",
                "aws_iam_instance_profile.Host": "delete",
            },
        }
    )


CORP_CI = {
    "type": "oidc",
    "url": "https://ci.acme.example/oidc",
    "audiences": ["aws"],
    "thumbprints": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
}


def test_identity_providers_renamed_and_added(world: World) -> None:
    """The OIDC and SAML entries are renamed in catalog.yaml (the SAML provider keeps its
    IAM name): the providers keep their addresses and stay as they are; the trust
    policies that name them are updated in place, since their statement ids are the entry
    names. A new OIDC provider comes with the role that trusts it."""

    def providers(c: dict[str, Any]) -> None:
        ip = c["identity_providers"]
        c["identity_providers"] = {"gh-actions": ip["github"], "okta": ip["corp-sso"], "corp-ci": CORP_CI}

    world.edit("catalog.yaml", providers)
    world.edit("roles/ci/CiDeploy.yaml", lambda r: r["federated"][0].update({"provider": "gh-actions"}))
    world.edit("roles/sso/SsoReader.yaml", lambda r: r["federated"][0].update({"provider": "okta"}))
    world.dump(
        "roles/ci/CorpCi.yaml",
        {
            "name": "CorpCi",
            "kind": "service",
            "accounts": ["dev"],
            "federated": [
                {"provider": "corp-ci", "subjects": ["pipeline:app/deploy"]},
                {"provider": "gh-actions", "subjects": ["repo:acme/app:environment:prod"]},
            ],
            "boundary": "b",
        },
    )
    plans = world.step(
        {
            "dev": {
                "aws_iam_role.CiDeploy": "update",
                "aws_iam_openid_connect_provider.ci_0acme_0example_5oidc": "create",
                "aws_iam_role.CorpCi": "create",
            },
            "prod": {"aws_iam_role.SsoReader": "update"},
        }
    )
    # the trusts' statement ids, nothing else
    for account, role in (("dev", "aws_iam_role.CiDeploy"), ("prod", "aws_iam_role.SsoReader")):
        change = plans[account][role]
        assert change.before and change.after
        before, after = (
            json.loads(x["assume_role_policy"])["Statement"] for x in (change.before, change.after)
        )
        assert [st.pop("Sid") for st in before] != [st.pop("Sid") for st in after]
        assert before == after


def test_order_only_edits_plan_nothing(world: World) -> None:
    """Lists and mappings written in another order: a role's federated entries and SAML
    claims (the trust's text changes: its statements and condition operators follow the
    file), its policies, AWS managed policies, accounts and tags (the generated files do
    not change). Terraform plans nothing: IAM policies are compared for equivalence."""
    world.edit("roles/ci/CorpCi.yaml", lambda r: r.update({"federated": r["federated"][::-1]}))
    world.edit(
        "roles/sso/SsoReader.yaml",
        lambda r: r["federated"][0].update({"claims": dict(reversed(r["federated"][0]["claims"].items()))}),
    )
    world.edit(
        "roles/ops/deployer-role.yaml",
        lambda r: r.update(
            {
                "accounts": r["accounts"][::-1],
                "managed_policies": r["managed_policies"][::-1],
                "tags": dict(reversed(r["tags"].items())),
            }
        ),
    )
    plans = world.plan(["dev", "prod"])
    assert plans == {"dev": {}, "prod": {}}, {a: kinds(c) for a, c in plans.items()}
    world.apply(["dev", "prod"])


def test_identity_providers_changed_and_removed(world: World) -> None:
    """A rotated thumbprint updates the OIDC provider in place. A new SAML name is a new
    provider (IAM cannot rename one, F001): created, the role's trust moved to it, the
    old one deleted. The last role trusting GitHub goes, another stops trusting it, and
    the provider goes with them."""
    world.edit(
        "catalog.yaml",
        lambda c: (
            c["identity_providers"]["corp-ci"].update(
                {"thumbprints": ["6938fd4d98bab03faadb97b34396831e3780aea1"]}
            ),
            c["identity_providers"]["okta"].update({"name": "CorpIdP"}),
        ),
    )
    (world.catalog / "roles/ci/CiDeploy.yaml").unlink()
    world.edit(
        "roles/ci/CorpCi.yaml",
        lambda r: r.update({"federated": [f for f in r["federated"] if f["provider"] == "corp-ci"]}),
    )
    world.step(
        {
            "dev": {
                "aws_iam_openid_connect_provider.ci_0acme_0example_5oidc": "update",
                "aws_iam_role.CorpCi": "update",
                "aws_iam_role.CiDeploy": "delete",
                "aws_iam_role_policy_attachment.CiDeploy__policy_deployment": "delete",
                "aws_iam_openid_connect_provider.token_0actions_0githubusercontent_0com": "delete",
            },
            "prod": {
                "aws_iam_saml_provider.CorpIdP": "create",
                "aws_iam_role.SsoReader": "update",
                "aws_iam_saml_provider.CorpSSO": "delete",
            },
        }
    )
    arns = [p["Arn"] for p in world.iam("prod").list_saml_providers()["SAMLProviderList"]]
    assert arns == [f"arn:aws:iam::{IDS['prod']}:saml-provider/CorpIdP"]


def test_oidc_audience_change_plans_an_update(world: World) -> None:
    """A changed audience list updates the provider in place (plan only: the emulator
    does not implement AddClientIDToOpenIDConnectProvider); undone, nothing is planned."""
    world.edit(
        "catalog.yaml", lambda c: c["identity_providers"]["corp-ci"].update({"audiences": ["aws", "ci"]})
    )
    plans = world.plan(["dev"])
    assert {a: kinds(c) for a, c in plans.items()} == {
        "dev": {
            "aws_iam_openid_connect_provider.ci_0acme_0example_5oidc": "update",
            "aws_iam_role.CorpCi": "update",  # its trust's aud condition
        }
    }
    world.edit("catalog.yaml", lambda c: c["identity_providers"]["corp-ci"].update({"audiences": ["aws"]}))
    compile_catalog(world.catalog, world.out)
    assert world.d.sync() == ["dev"]
    world.d.assert_converged("dev")


def test_role_renamed(world: World) -> None:
    """IAM cannot rename a role: the renamed role is a new role (F001), its attachment goes
    with it; nothing else, and no address is moved onto another role."""
    world.move("roles/stage/StageViewer.yaml", "roles/stage/StageReader.yaml")
    world.edit(
        "roles/stage/StageReader.yaml",
        lambda r: r.update({"name": "StageReader", "renamed_from": ["StageViewer"]}),
    )
    world.step(
        {
            "stage": {
                "aws_iam_role.StageViewer": "delete",
                "aws_iam_role_policy_attachment.StageViewer__aws_ReadOnlyAccess": "delete",
                "aws_iam_role.StageReader": "create",
                "aws_iam_role_policy_attachment.StageReader__aws_ReadOnlyAccess": "create",
            }
        }
    )


def test_role_and_user_released(world: World) -> None:
    """release: true forgets the role, its attachment and the policy only it used, and the
    user: they stay in IAM as they are; the user leaves the group."""
    world.edit("roles/services/Worker.yaml", lambda r: r.update({"release": True}))
    world.edit("users.yaml", lambda u: u["users"]["frank"].update({"release": True}))
    plans = world.plan(["sec", "dev"])
    assert {a: kinds(c) for a, c in plans.items()} == {
        "sec": {
            "aws_iam_policy.assume_roles": "update",  # Worker's path is no longer rolecat's
            "aws_iam_user.frank": "forget",
            "aws_iam_user_group_membership.frank": "delete",
        },
        "dev": {
            "aws_iam_role.Worker": "forget",
            "aws_iam_role_policy_attachment.Worker__policy_worker": "forget",
            "aws_iam_policy.policy_worker": "forget",
        },
    }
    world.apply(["sec", "dev"])


def test_settings_that_change_files_and_nothing_in_aws(world: World) -> None:
    """A role marked admin (its file's comment says so), an account's region (IAM is
    global), the Terraform version constraint, guardrails and known actions: every
    account's files change, and no plan has anything to do."""

    def settings(c: dict[str, Any]) -> None:
        c["accounts"]["dev"]["region"] = "eu-west-1"
        c["terraform"]["required_version"] = ">= 1.11.0"
        c["known_actions"] = ["bedrock:InvokeNewThing"]
        c["guardrails"] = [{"name": "no-user-creation", "actions": ["iam:CreateUser"]}]

    world.edit("catalog.yaml", settings)
    world.edit("roles/platform/Viewer.yaml", lambda r: r.update({"admin": True}))
    plans = world.plan(["sec", "dev", "prod", "stage"])
    assert plans == {"sec": {}, "dev": {}, "prod": {}, "stage": {}}, {a: kinds(c) for a, c in plans.items()}
    world.apply(list(plans))


def test_defaults_account_environment_session_tags_and_password_policy(world: World) -> None:
    """A shorter MFA age for every human role, a role that now passes session tags and
    drops its boundary (an admin role), an account's environment (a placeholder of a
    policy), EC2 added to a service role and a longer minimum password: each human role's
    trust, the policy rendered for that account, the identity account's assume-roles
    policy (sts:TagSession) and password policy are updated in place; EC2 gets the role's
    instance profile."""

    def settings(c: dict[str, Any]) -> None:
        c.update({"defaults": {"mfa_max_age": 1800}, "password_policy": {"minimum_length": 16}})
        c["accounts"]["stage"]["environment"] = "staging"

    world.edit("catalog.yaml", settings)
    world.edit("roles/platform/Viewer.yaml", lambda r: (r.update({"session_tags": True}), r.pop("boundary")))
    world.edit("roles/ci/CorpCi.yaml", lambda r: r.update({"trusted_services": ["ec2.amazonaws.com"]}))
    world.step(
        {
            "sec": {
                "aws_iam_account_password_policy.this": "update",
                "aws_iam_policy.assume_roles": "update",
            },
            "dev": {
                "aws_iam_role.Deployer": "update",
                "aws_iam_role.Host": "update",
                "aws_iam_role.CorpCi": "update",
                "aws_iam_instance_profile.CorpCi": "create",
            },
            "prod": {"aws_iam_role.Deployer": "update", "aws_iam_role.Viewer": "update"},
            "stage": {
                "aws_iam_role.Deployer": "update",
                "aws_iam_role.StageReader": "update",
                "aws_iam_policy.policy_deployment": "update",
            },
        }
    )
    assert world.iam("sec").get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 16
    assert "PermissionsBoundary" not in world.iam("prod").get_role(RoleName="Viewer")["Role"]


# Resource types the provider's default_tags reach (the Organization tag).
TAGGED = (
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_user",
    "aws_iam_instance_profile",
    "aws_iam_openid_connect_provider",
    "aws_iam_saml_provider",
)


def test_organization_renamed(world: World) -> None:
    """The organization is in the Organization tag of everything tagged (updated in
    place), the group's name (renamed in place: members and attachments stay) and the
    names of the identity account's two policies, which IAM cannot rename: those two are
    new policies, attached to the renamed group in place of the old ones."""
    world.edit("catalog.yaml", lambda c: c.update({"organization": "acme-corp"}))
    expected: dict[str, dict[str, str]] = {}
    for account in world.d.accounts():
        state = world.d.tf(world.d.folder(account), "state", "list", account=account).stdout.split()
        expected[account] = {a: "update" for a in state if a.split(".")[0] in TAGGED}
        # the group membership of each person names the group
        expected[account].update(
            {a: "update" for a in state if a.startswith("aws_iam_user_group_membership.")}
        )
    expected["sec"].update(
        {
            "aws_iam_group.humans": "update",
            "aws_iam_policy.self_service": "replace",
            "aws_iam_policy.assume_roles": "replace",
            "aws_iam_group_policy_attachment.humans__self_service": "replace",
            "aws_iam_group_policy_attachment.humans__assume_roles": "replace",
        }
    )
    expected["sec"].update(
        {
            a: "update"
            for a in world.d.tf(world.d.folder("sec"), "state", "list").stdout.split()
            if a.startswith("aws_iam_user_group_membership.")
        }
    )
    world.step(expected)
    group = world.iam("sec").get_group(GroupName="acme-corp-humans")
    assert {u["UserName"] for u in group["Users"]} == {"alice", "bob", "carol", "erin"}


def test_account_removed_and_pruned(world: World) -> None:
    """An account leaves the catalog: destroyed first, then compiled with
    --prune-accounts; the other accounts are untouched but for the identity account's
    policy, which no longer opens the account's human role path."""
    d = world.d
    d.tf(d.folder("stage"), "destroy", "-auto-approve", "-input=false", "-no-color", account="stage")
    world.edit("catalog.yaml", lambda c: c["accounts"].pop("stage"))
    world.edit("roles/ops/deployer-role.yaml", lambda r: r.update({"accounts": ["dev", "prod"]}))
    (world.catalog / "roles/stage/StageReader.yaml").unlink()
    refused = rolecat("compile", str(world.catalog), "-o", str(world.out))
    assert refused.returncode == 1 and "W002" in refused.stderr
    world.step({"sec": {"aws_iam_policy.assume_roles": "update"}}, "--prune-accounts")
    assert not (world.out / "stage").exists()
    assert world.iam("stage").list_roles()["Roles"] == [] or {
        r["RoleName"] for r in world.iam("stage").list_roles()["Roles"]
    } == {DEPLOY}
