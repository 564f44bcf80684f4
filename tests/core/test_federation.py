"""Federated principals: OIDC providers in the accounts that need them, trust with aud and sub."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rolecat.deploy import arns
from rolecat.diagnostics import Severity
from rolecat.model import FederatedPrincipal
from rolecat.pipeline import load
from rolecat.targets.terraform.imports import inventory
from rolecat.targets.terraform.render import account_views

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "inputs" / "labels-and-escapes"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
GITHUB = "token.actions.githubusercontent.com"


def test_web_identity_trust_names_the_accounts_provider_with_aud_and_sub() -> None:
    loaded = load(GOLDEN, NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    role = next(r for r in loaded.catalog.roles if r.name == "CiDeploy")
    kinds = {type(p) for p in role.principals}
    assert kinds == {FederatedPrincipal}
    for account in ("dev-eu", "dev-two"):
        placed = loaded.deployment.role("CiDeploy", account)
        assert placed is not None and placed.trust is not None
        acct_id = placed.account.id
        statements = {s["Sid"]: s for s in placed.trust["Statement"]}
        exact = statements["WebIdentityGithub"]
        assert exact["Principal"] == {"Federated": arns.oidc_provider_arn(acct_id, GITHUB)}
        assert exact["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert exact["Condition"]["StringEquals"][f"{GITHUB}:aud"] == "sts.amazonaws.com"
        assert exact["Condition"]["StringEquals"][f"{GITHUB}:sub"] == [
            "repo:acme-co/app:environment:prod",
            "repo:acme-co/app:ref:refs/heads/main",
        ]
        # a pattern needs StringLike, and may not share a statement with exact subjects
        pattern = statements["WebIdentityGithubPatterns"]
        assert pattern["Condition"]["StringLike"] == {f"{GITHUB}:sub": "repo:acme-co/app:ref:refs/tags/v*"}
        assert pattern["Condition"]["StringEquals"] == {f"{GITHUB}:aud": "sts.amazonaws.com"}
        corp = statements["WebIdentityCorpCi"]
        assert corp["Condition"]["StringEquals"] == {
            "ci.example.com/oidc:aud": "aws",
            "ci.example.com/oidc:sub": "pipeline:app/deploy",
        }
    providers = {a: [p.name for p in d.oidc_providers] for a, d in loaded.deployment.accounts.items()}
    assert providers == {"ident": [], "dev-eu": ["corp-ci", "github"], "dev-two": ["corp-ci", "github"]}


def test_every_new_resource_is_in_the_import_inventory() -> None:
    loaded = load(GOLDEN, NOW)
    assert loaded.catalog is not None
    views = account_views(loaded.catalog, loaded.deployment)
    dev = {(r.type, r.import_id) for r in inventory(loaded.catalog, views["dev-eu"])}
    assert ("aws_iam_openid_connect_provider", arns.oidc_provider_arn("222222222222", GITHUB)) in dev
    assert ("aws_iam_instance_profile", "Web.Host") in dev
    ident = {(r.type, r.import_id) for r in inventory(loaded.catalog, views["ident"])}
    assert ("aws_iam_account_password_policy", "iam-account-password-policy") in ident
    two = {r.type for r in inventory(loaded.catalog, views["dev-two"])}
    assert "aws_iam_instance_profile" not in two  # Web.Host is only in dev-eu


def test_claim_keys_of_declared_providers_are_known_condition_keys() -> None:
    loaded = load(GOLDEN, NOW)
    assert loaded.catalog is not None
    keys = {k for p in loaded.catalog.identity_providers.values() for k in p.claim_keys}
    assert f"{GITHUB}:sub" in keys and "ci.example.com/oidc:aud" in keys


def test_long_provider_lists_are_laid_out_as_hclfmt_prints_them(hclfmt: str, tmp_path: Path) -> None:
    """Two thumbprints (or long audiences) do not fit on one line: one per line, indented
    inside the resource block, as hclfmt lays them out."""
    import shutil
    import subprocess

    from rolecat.targets.terraform.render import render

    root = tmp_path / "catalog"
    shutil.copytree(GOLDEN, root)
    catalog_yaml = root / "catalog.yaml"
    text = catalog_yaml.read_text("utf-8")
    one = "thumbprints: [9E99A48A9960B14926BB7F3B02E22DA2B0AB7280]"
    assert one in text
    catalog_yaml.write_text(
        text.replace(
            "audiences: [aws]", "audiences: [aws, sts.amazonaws.com, ci-audience-with-a-long-name]"
        ).replace(
            one,
            "thumbprints: [9E99A48A9960B14926BB7F3B02E22DA2B0AB7280, 1c58a3a8518e8759bf075b76b750d4f2df264fcd]",
        ),
        "utf-8",
    )
    loaded = load(root, NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    (oidc,) = [f for f in render(loaded.catalog, loaded.deployment) if f.path == "dev-eu/oidc.corp-ci.tf"]
    assert '    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",\n  ]\n' in oidc.text
    out = tmp_path / "oidc.tf"
    out.write_text(oidc.text, "utf-8")
    result = subprocess.run(
        [hclfmt, "-check", "-require-no-change", str(out)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, oidc.text + result.stderr


def test_oidc_provider_without_audiences_is_one_error_not_two(tmp_path: Path) -> None:
    """A generic OIDC provider needs url and audiences (C064, at catalog.yaml); a role that
    names the refused provider gets no second "unknown identity provider" error (C061)."""
    import shutil

    root = tmp_path / "catalog"
    shutil.copytree(GOLDEN, root)
    catalog_yaml = root / "catalog.yaml"
    text = catalog_yaml.read_text("utf-8")
    assert "    audiences: [aws]\n" in text
    catalog_yaml.write_text(text.replace("    audiences: [aws]\n", "", 1), "utf-8")
    loaded = load(root, NOW)
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["C064"], errors
    assert errors[0].location is not None and errors[0].location.path.endswith("catalog.yaml")
    assert "needs audiences" in errors[0].message
