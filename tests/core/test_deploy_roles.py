"""catalog.yaml deploy_roles: the CI's plan and deploy roles, their trust, their permissions
(decided by the IAM engine, hand-reasoned from AWS's evaluation logic), the plan/apply switch
of `rolecat plan`, and the deploy role's escalation finding accepted with its reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import Verdict, decide, effective
from rolecat.model import OidcProvider
from rolecat.model.cicd import DEPLOY_ACCEPT, deploy_subject_ok
from rolecat.pipeline import load
from rolecat.workflow.plan import steps

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "tests" / "golden" / "inputs" / "deploy-roles"
PLAIN = ROOT / "tests" / "hostile" / "fixtures" / "minimal"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
GITHUB = OidcProvider(
    "github", "github", "https://token.actions.githubusercontent.com", ("sts.amazonaws.com",)
)
GITLAB = OidcProvider("gitlab", "gitlab", "https://gitlab.com", ("https://gitlab.com",))
STATE = "arn:aws:s3:::acme-iam-state/iam/333333333333.tfstate"


@pytest.mark.parametrize(
    ("provider", "subject", "ok"),
    [
        (GITHUB, "repo:acme/iam:ref:refs/heads/main", True),
        (GITHUB, "repo:acme/iam:environment:production", True),
        (GITHUB, "repo:acme/iam:ref:refs/heads/*", False),  # every branch
        (GITHUB, "repo:acme/iam:ref:refs/heads/feature", False),  # not main
        (GITHUB, "repo:acme/iam:pull_request", False),  # a pull request must never apply
        (GITHUB, "repo:acme/*:ref:refs/heads/main", False),  # any repository of the owner
        (GITHUB, "repo:acme/iam:ref:refs/tags/v1", False),
        (GITLAB, "project_path:acme/iam:ref_type:branch:ref:main", True),
        (GITLAB, "project_path:acme/iam:ref_type:branch:ref:*", False),
    ],
)
def test_deploy_subject_pins_main_or_one_environment(provider: OidcProvider, subject: str, ok: bool) -> None:
    assert deploy_subject_ok(provider, subject) is ok


def _loaded():  # type: ignore[no-untyped-def]
    loaded = load(CATALOG, NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    return loaded


def test_both_roles_in_every_account_trusting_only_the_ci_with_their_subjects() -> None:
    loaded = _loaded()
    subjects = {
        ("RolecatPlan", "security"): "repo:acme/iam:pull_request",
        ("RolecatPlan", "prod"): "repo:acme/iam:pull_request",
        ("RolecatDeploy", "security"): "repo:acme/iam:ref:refs/heads/main",
        ("RolecatDeploy", "prod"): "repo:acme/iam:environment:production",  # accounts: override
    }
    for (role, account), sub in subjects.items():
        placed = loaded.deployment.role(role, account)
        assert placed is not None and placed.trust is not None
        assert placed.arn == f"arn:aws:iam::{placed.account.id}:role/rolecat/{role}"
        (stmt,) = placed.trust["Statement"]
        host = "token.actions.githubusercontent.com"
        assert stmt["Principal"] == {"Federated": f"arn:aws:iam::{placed.account.id}:oidc-provider/{host}"}
        assert stmt["Condition"] == {"StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": sub}}


def _decide(role: str, account: str, action: str, resource: str) -> Verdict:
    loaded = _loaded()
    placed = loaded.deployment.role(role, account)
    assert placed is not None and placed.inline is not None
    return decide(effective([placed.inline], None, ActionDB.load()), action, resource).verdict


@pytest.mark.parametrize(
    ("action", "resource", "verdict"),
    [
        ("iam:GetRole", "arn:aws:iam::111111111111:role/humans/Reader", Verdict.ALLOWED),
        ("iam:ListRoles", "*", Verdict.ALLOWED),
        ("s3:GetObject", STATE, Verdict.ALLOWED),  # reads the state
        ("s3:PutObject", STATE + ".tflock", Verdict.ALLOWED),  # use_lockfile: the lock only
        ("s3:DeleteObject", STATE + ".tflock", Verdict.ALLOWED),
        ("s3:PutObject", STATE, Verdict.NOT_ALLOWED),  # never the state itself
        ("s3:GetObject", "arn:aws:s3:::acme-iam-state/other/data.csv", Verdict.NOT_ALLOWED),
        ("s3:GetObject", "arn:aws:s3:::customer-data/x", Verdict.NOT_ALLOWED),  # no broad data read
        ("iam:CreateRole", "arn:aws:iam::111111111111:role/rolecat/X", Verdict.NOT_ALLOWED),
        ("iam:PutRolePolicy", "arn:aws:iam::111111111111:role/rolecat/RolecatPlan", Verdict.NOT_ALLOWED),
    ],
)
def test_plan_role_reads_iam_and_state_and_writes_only_the_lock(
    action: str, resource: str, verdict: Verdict
) -> None:
    assert _decide("RolecatPlan", "security", action, resource) is verdict


@pytest.mark.parametrize(
    ("account", "action", "resource", "verdict"),
    [
        ("prod", "iam:CreateRole", "arn:aws:iam::333333333333:role/services/New", Verdict.ALLOWED),
        (
            "prod",
            "iam:CreatePolicyVersion",
            "arn:aws:iam::333333333333:policy/policy-reader",
            Verdict.ALLOWED,
        ),
        # not rolecat's: a policy another tool made, a user outside the identity account
        ("prod", "iam:CreatePolicyVersion", "arn:aws:iam::333333333333:policy/TeamX", Verdict.NOT_ALLOWED),
        ("prod", "iam:CreateUser", "arn:aws:iam::333333333333:user/eve", Verdict.NOT_ALLOWED),
        ("prod", "iam:CreateAccessKey", "arn:aws:iam::333333333333:user/eve", Verdict.NOT_ALLOWED),
        ("prod", "s3:PutObject", STATE, Verdict.NOT_ALLOWED),  # state only in the state account
        ("security", "s3:PutObject", STATE, Verdict.ALLOWED),
        ("security", "iam:CreateUser", "arn:aws:iam::111111111111:user/new.person", Verdict.ALLOWED),
        ("security", "ec2:RunInstances", "*", Verdict.NOT_ALLOWED),
    ],
)
def test_deploy_role_writes_what_rolecat_manages(
    account: str, action: str, resource: str, verdict: Verdict
) -> None:
    assert _decide("RolecatDeploy", account, action, resource) is verdict


def test_deploy_role_escalation_is_accepted_with_its_reason_and_the_plan_role_has_none() -> None:
    loaded = _loaded()
    findings = [d for d in loaded.diagnostics if d.code.startswith("I")]
    deploy = [d for d in findings if "RolecatDeploy" in d.message]
    assert deploy and all(d.code == "I001" and d.accepted_reason == DEPLOY_ACCEPT for d in deploy)
    # located at deploy_roles.deploy in catalog.yaml, where the reason is declared
    assert {(d.location.path.rsplit("/", 1)[-1], d.location.line) for d in deploy} == {("catalog.yaml", 26)}
    assert not [d for d in findings if "RolecatPlan" in d.message]
    assert not [d for d in findings if d.accepted_reason is None]


def test_plan_passes_the_mode_only_with_deploy_roles(tmp_path: Path) -> None:
    loaded = _loaded()
    assert loaded.catalog is not None
    for mode in ("plan", "apply", "bootstrap"):
        plans = [s.args for s in steps(loaded.catalog, tmp_path, mode=mode) if s.args[0] == "plan"]
        assert plans and all(a[-1] == f"-var=rolecat_mode={mode}" for a in plans)
    plain = load(PLAIN, NOW).catalog
    assert plain is not None and plain.deploy_roles is None
    assert all(not any(x.startswith("-var") for x in s.args) for s in steps(plain, tmp_path))
    with pytest.raises(ValueError, match="unknown mode"):
        steps(loaded.catalog, tmp_path, mode="admin")


def test_existing_deploy_role_is_imported_not_recreated(tmp_path: Path) -> None:
    import shutil

    from rolecat.targets.terraform.imports import inventory
    from rolecat.targets.terraform.render import account_views

    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    loaded = load(catalog, NOW)
    assert loaded.catalog is not None
    prod = account_views(loaded.catalog)["prod"]
    found = {(r.type, r.label): r.import_id for r in inventory(loaded.catalog, prod)}
    assert found[("aws_iam_role", "RolecatDeploy")] == "RolecatDeploy"
    assert found[("aws_iam_role_policy", "RolecatDeploy__ci")] == "RolecatDeploy:rolecat-ci-deploy"
    assert found[("aws_iam_role_policy", "RolecatPlan__ci")] == "RolecatPlan:rolecat-ci-plan"


def test_codeowners_routes_no_role_file_for_the_ci_roles() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "rolecat", "codeowners", str(CATALOG)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "role.Exporter.tf" in proc.stdout  # catalog roles' generated files are routed
    assert "Rolecat" not in proc.stdout  # the CI roles live in catalog.yaml and deploy.tf


def test_plan_role_lists_only_the_state_and_workspace_prefixes() -> None:
    loaded = _loaded()
    placed = loaded.deployment.role("RolecatPlan", "security")
    assert placed is not None and placed.inline is not None
    (listing,) = [s for s in placed.inline["Statement"] if s["Sid"] == "StateList"]
    assert listing["Resource"] == "arn:aws:s3:::acme-iam-state"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["env:/*", "iam/*"]}}
    assert (
        _decide("RolecatPlan", "prod", "s3:ListBucket", "arn:aws:s3:::acme-iam-state") is Verdict.NOT_ALLOWED
    )


def test_manifest_names_the_ci_policy_as_such_and_reads_older_manifests(tmp_path: Path) -> None:
    """The CI roles' inline rolecat-ci-<mode> policy is ``ci_policy`` / ``ci/<role>@<account>``
    in the manifest, never ``delegated_role_creation``; a manifest written before (the CI
    policy under ``delegated_role_creation``) is still accepted by the next compile."""
    import json
    import shutil

    from rolecat.pipeline import compile_catalog
    from rolecat.targets.terraform.manifest import schema_problem

    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    out = tmp_path / "out"
    ok, diags = compile_catalog(catalog, out, NOW)
    assert ok, [d.message for d in diags]
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    loaded = _loaded()
    for acct in ("prod", "security"):
        for name, mode in (("RolecatPlan", "plan"), ("RolecatDeploy", "deploy")):
            entry = data["accounts"][acct]["roles"][name]
            assert entry["delegated_role_creation"] is None
            assert entry["ci_policy"] == f"ci/{name}@{acct}"
            placed = loaded.deployment.role(name, acct)
            assert data["documents"][entry["ci_policy"]] == placed.inline
            tf = (out / acct / "deploy.tf").read_text("utf-8")
            assert f'name = "rolecat-ci-{mode}"' in tf
    assert not any(k.startswith("delegated/") for k in data["documents"])
    assert all(
        "ci_policy" not in r
        for a in data["accounts"].values()
        for n, r in a["roles"].items()
        if not n.startswith("Rolecat")
    )
    assert schema_problem(data) is None

    # a manifest of the previous rolecat: CI policies under delegated_role_creation
    old = json.loads(json.dumps(data))
    for acct in old["accounts"].values():
        for entry in acct["roles"].values():
            key = entry.pop("ci_policy", None)
            if key is not None:
                legacy = "delegated/" + key.removeprefix("ci/")
                old["documents"][legacy] = old["documents"].pop(key)
                entry["delegated_role_creation"] = legacy
    assert schema_problem(old) is None
    (out / "manifest.json").write_text(json.dumps(old, indent=2) + "\n", "utf-8")
    ok, diags = compile_catalog(catalog, out, NOW)
    assert ok, [d.message for d in diags]
    assert not [d for d in diags if d.code.startswith("F") or d.code.startswith("W")], [d.code for d in diags]
    assert json.loads((out / "manifest.json").read_text("utf-8")) == data


def test_renaming_a_ci_role_warns_that_the_providers_name_it_at_once(tmp_path: Path) -> None:
    """deploy_roles.deploy.name changed: the providers assume the new name from this compile
    on, and the main branch's apply with the deploy role would lock itself out (F006)."""
    import shutil

    from typer.testing import CliRunner

    from rolecat.cli import app

    cat = tmp_path / "catalog"
    shutil.copytree(Path(__file__).resolve().parents[1] / "golden" / "inputs" / "deploy-roles", cat)
    out = tmp_path / "out"

    def compile_() -> str:
        run = CliRunner().invoke(app, ["compile", str(cat), "-o", str(out), "--now", "2026-11-28"])
        assert run.exit_code == 0, run.output
        return run.output

    assert "F006" not in compile_()
    text = (cat / "catalog.yaml").read_text()
    (cat / "catalog.yaml").write_text(text.replace("  deploy:\n", "  deploy:\n    name: CiDeploy\n", 1))
    said = compile_()
    assert (
        "warning F006: deploy_roles: the CI roles RolecatDeploy, RolecatPlan become CiDeploy, RolecatPlan"
        in said
    )
    assert "F006" not in compile_()  # said once, against the compile before
