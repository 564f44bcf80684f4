"""Issue 14 item 5 in the emulator: catalog.yaml ``deploy_roles`` generates the CI's plan and
deploy roles in every account. Terraform reaches each account the way CI does: the generated
provider assumes the deploy role (``rolecat_mode = "apply"``) or the plan role (the default)
with a web-identity token file. It applies, converges in both modes, and the trust policies
read back carry the aud and sub conditions; the plan role's policy writes only lock objects."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2e_harness import Deployment, Emulator, compile_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "tests" / "golden" / "inputs" / "deploy-roles"
GITHUB = "token.actions.githubusercontent.com"
IDS = {"security": "111111111111", "prod": "333333333333"}
MODE_FILE = "zz_e2e_mode.auto.tfvars"


def _doc(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return dict(json.loads(urllib.parse.unquote(value)))
    return dict(value)


def _set_mode(d: Deployment, accounts: list[str], mode: str, token: Path) -> None:
    for account in accounts:
        (d.folder(account) / MODE_FILE).write_text(
            f'rolecat_mode = "{mode}"\nrolecat_web_identity_token_file = "{token}"\n', encoding="utf-8"
        )


def test_deploy_and_plan_roles_apply_converge_and_read_back(
    tmp_path: Path, deployment: Callable[[Path], Deployment], emulator: Emulator
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    out = tmp_path / "out"
    compile_catalog(catalog, out)
    token = tmp_path / "github-token.jwt"
    # the emulator does not verify the token's signature; AWS does (against the OIDC provider)
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvaWFtOnJlZjpyZWZzL2hlYWRzL21haW4ifQ.c2ln")
    d = deployment(out)
    accounts = d.accounts()
    assert d.sync() == accounts
    assert sorted(accounts) == sorted(IDS)
    _set_mode(d, accounts, "apply", token)

    def ready(account: str) -> None:
        d.init(account)
        d.validate(account)

    def deploy(account: str) -> None:
        d.apply(account)
        d.assert_converged(account)

    d.each(accounts, ready)
    d.each(accounts, deploy)
    # the pull request's configuration: the plan role, and nothing to change
    _set_mode(d, accounts, "plan", token)
    d.each(accounts, d.assert_converged)

    for account, account_id in IDS.items():
        iam = emulator.iam(account_id, "rolecat/RolecatDeploy")
        provider = f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB}"
        expected_sub = {
            "RolecatDeploy": "repo:acme/iam:environment:production"
            if account == "prod"
            else "repo:acme/iam:ref:refs/heads/main",
            "RolecatPlan": "repo:acme/iam:pull_request",
        }
        for role, sub in expected_sub.items():
            got = iam.get_role(RoleName=role)["Role"]
            assert got["Path"] == "/rolecat/"
            (stmt,) = _doc(got["AssumeRolePolicyDocument"])["Statement"]
            assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert stmt["Principal"] == {"Federated": provider}
            assert stmt["Condition"] == {
                "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": sub}
            }
            assert {t["Key"]: t["Value"] for t in got["Tags"]}["rolecat:ci"] == role[7:].lower()

        plan = _doc(
            iam.get_role_policy(RoleName="RolecatPlan", PolicyName="rolecat-ci-plan")["PolicyDocument"]
        )
        sids = {s["Sid"]: s for s in plan["Statement"]}
        if account == "security":  # the state account: state read, lock write only
            assert sorted(sids) == ["ReadIam", "StateList", "StateLock", "StateRead"]
            assert sids["StateLock"]["Action"] == ["s3:DeleteObject", "s3:PutObject"]
            assert all(r.endswith(".tfstate.tflock") for r in sids["StateLock"]["Resource"])
        else:
            assert sorted(sids) == ["ReadIam"]
        assert sids["ReadIam"]["Action"] == ["iam:Get*", "iam:List*"]
        deploy_doc = _doc(
            iam.get_role_policy(RoleName="RolecatDeploy", PolicyName="rolecat-ci-deploy")["PolicyDocument"]
        )
        writes = {
            a
            for s in deploy_doc["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert "iam:CreateRole" in writes and "iam:*" not in writes and "*" not in writes
