"""Issue 14's resource kinds deployed in the emulator: OIDC and SAML providers with web-identity
and SAML trust, instance profiles, the identity account's password policy, cross-account and
external trust, teams. Each applies, converges (a second plan is empty), and IAM read back
holds what the catalog says, trust conditions included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from e2e_harness import Deployment, Emulator, compile_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "tests" / "golden" / "inputs" / "labels-and-escapes"
GITHUB = "token.actions.githubusercontent.com"
IDS = {"ident": "111111111111", "dev-eu": "222222222222", "dev-two": "333333333333"}


def _statements(role: dict[str, Any]) -> dict[str, Any]:
    doc = role["AssumeRolePolicyDocument"]
    return {s["Sid"]: s for s in doc["Statement"]}


def test_new_principal_kinds_apply_converge_and_read_back(
    tmp_path: Path, deployment: Callable[[Path], Deployment], emulator: Emulator
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    data = yaml.safe_load((catalog / "catalog.yaml").read_text("utf-8"))
    data["terraform"]["deploy_role"] = "Deployer"
    (catalog / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    out = tmp_path / "out"
    compile_catalog(catalog, out)
    d = deployment(out)
    accounts = d.accounts()
    assert d.sync() == accounts

    def ready(account: str) -> None:
        d.init(account)
        d.validate(account)

    def deploy(account: str) -> None:
        d.apply(account)
        d.assert_converged(account)

    d.each(accounts, ready)
    d.each(accounts, deploy)

    # OIDC providers: in the accounts with a federated role, with their audiences
    for account in ("dev-eu", "dev-two"):
        iam = emulator.iam(IDS[account], "Deployer")
        arns = sorted(p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
        assert arns == [
            f"arn:aws:iam::{IDS[account]}:oidc-provider/ci.example.com/oidc",
            f"arn:aws:iam::{IDS[account]}:oidc-provider/{GITHUB}",
        ]
        github = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arns[1])
        assert github["ClientIDList"] == ["sts.amazonaws.com"]
        # the web-identity trust read back carries the aud and sub conditions
        stmts = _statements(iam.get_role(RoleName="CiDeploy")["Role"])
        exact = stmts["WebIdentityGithub"]
        assert exact["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert exact["Principal"] == {"Federated": arns[1]}
        assert exact["Condition"]["StringEquals"] == {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": ["repo:acme-co/app:environment:prod", "repo:acme-co/app:ref:refs/heads/main"],
        }
        assert stmts["WebIdentityGithubPatterns"]["Condition"]["StringLike"] == {
            f"{GITHUB}:sub": "repo:acme-co/app:ref:refs/tags/v*"
        }
    ident = emulator.iam(IDS["ident"], "Deployer")
    assert ident.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []

    # SAML provider: only in dev-eu (the account of the role that trusts it), its metadata
    # as the catalog's file holds it; the SAML trust read back carries SAML:aud and the claims
    metadata = (catalog / "saml" / "corp-sso.xml").read_text("utf-8")
    saml_arn = f"arn:aws:iam::{IDS['dev-eu']}:saml-provider/Corp.SSO@acme"
    dev_iam = emulator.iam(IDS["dev-eu"], "Deployer")
    assert [p["Arn"] for p in dev_iam.list_saml_providers()["SAMLProviderList"]] == [saml_arn]
    assert dev_iam.get_saml_provider(SAMLProviderArn=saml_arn)["SAMLMetadataDocument"] == metadata
    for account in ("ident", "dev-two"):
        assert emulator.iam(IDS[account], "Deployer").list_saml_providers()["SAMLProviderList"] == []
    saml = _statements(dev_iam.get_role(RoleName="Sso.Reader")["Role"])["SamlCorpSso"]
    assert saml["Action"] == "sts:AssumeRoleWithSAML"
    assert saml["Principal"] == {"Federated": saml_arn}
    assert saml["Condition"] == {
        "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml", "SAML:sub_type": "persistent"},
        "ForAnyValue:StringEquals": {"SAML:edupersonaffiliation": ["faculty", "staff"]},
        "StringLike": {"SAML:sub": ["*@acme.example", 'ops"${x}@acme.example']},
    }

    # instance profile of the role EC2 assumes
    dev = emulator.iam(IDS["dev-eu"], "Deployer")
    profile = dev.get_instance_profile(InstanceProfileName="Web.Host")["InstanceProfile"]
    assert profile["Path"] == "/svc/"
    assert [r["RoleName"] for r in profile["Roles"]] == ["Web.Host"]

    # password policy of the identity account, tightened by the catalog
    policy = ident.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 20
    assert policy["MaxPasswordAge"] == 365
    assert policy["PasswordReusePrevention"] == 24
    assert policy["RequireSymbols"] and policy["RequireNumbers"]
    assert policy["RequireUppercaseCharacters"] and policy["RequireLowercaseCharacters"]
    assert policy["AllowUsersToChangePassword"]

    # cross-account and external trust
    two = emulator.iam(IDS["dev-two"], "Deployer")
    stmts = _statements(two.get_role(RoleName="Reporter")["Role"])
    assert stmts["TrustedRoles"]["Principal"] == {"AWS": f"arn:aws:iam::{IDS['dev-eu']}:role/svc/Builder"}
    external = stmts["External999988887777"]
    assert external["Principal"] == {"AWS": "arn:aws:iam::999988887777:root"}
    assert external["Condition"] == {"StringEquals": {"sts:ExternalId": "acme-co-reporting"}}

    # a team expands to its people in the trust policy, with the MFA conditions
    members = _statements(dev.get_role(RoleName="Dev_Ops")["Role"])["Members"]
    assert sorted(members["Principal"]["AWS"]) == [
        f"arn:aws:iam::{IDS['ident']}:user/a.b",
        f"arn:aws:iam::{IDS['ident']}:user/zed",
    ]
    assert members["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
