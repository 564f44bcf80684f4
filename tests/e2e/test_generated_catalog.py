"""Catalogs the tests generate, deployed with rolecat's own commands: ``rolecat plan`` saves a
plan per account, ``rolecat apply`` applies them identity first; then a second plan must
be empty and IAM must hold what the catalog says.

The generator (seeded, so a failure can be replayed) uses what AWS allows and what the
example catalog does not: user and role names with ``+=,.@-``, descriptions with quotes,
backslashes, ``${...}``, ``%{...}`` and Latin-1 letters, deep role paths, tags, several
trusted services, session tags, source identity, maximum session durations at both ends
and AWS managed policies with a path.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_harness import Deployment, Emulator, Run, Terraform, compile_catalog
from e2e_scenarios import check_readback

from rolecat.workflow.plan import plan_file

PUNCTUATED = ["ann.lee", "bo+ops", "cy=admin", "di,ana", "ed@corp", "fay-x", "gus_y", "Hal9"]
DESCRIPTIONS = [
    'Say "hi" and \\ back',
    "Template-looking ${aws:username} and %{ if true }x%{ endif } stay text",
    "Café owner — naïve façade",  # Latin-1 (— is not: see below)
    "Tabs\tand trailing spaces   ",
    "",
]
MANAGED = ["ReadOnlyAccess", "job-function/ViewOnlyAccess", "AmazonS3ReadOnlyAccess"]
SERVICES = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com"]

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:GetLogEvents", "logs:FilterLogEvents"],
            "Resource": "arn:aws:logs:*:{{ account.id }}:log-group:/app/{{ account.name }}/*",
        }
    ],
}
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadMost", "Effect": "Allow", "Action": ["logs:*", "s3:Get*", "s3:List*"], "Resource": "*"},
        {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}


def generate(root: Path, seed: int) -> dict[str, Any]:
    """Write a catalog under ``root``; return a summary for the assertions."""
    rnd = random.Random(seed)
    users = {
        name: {
            "email": f"{name.replace(',', '').replace('@', '.')}@example.org",
            "team": rnd.choice(["a b", "c/d"]),
        }
        for name in PUNCTUATED
    }
    accounts = {
        "hub": {"id": "555555555555", "identity": True},
        "work-1": {"id": "666666666666"},
    }
    catalog = {
        "organization": f"gen{seed}",
        "owners": ["@gen/security"],
        "defaults": {"region": "us-east-1", "role_path": "/people/", "service_role_path": "/svc/deep/"},
        "accounts": accounts,
        # No backend: state stays local in each account folder, and rolecat plan/apply run on
        # OUT exactly as compiled (no override file: OUT must hold nothing rolecat did not write).
        "terraform": {"deploy_role": "Deployer"},
    }
    root.mkdir(parents=True)
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    (root / "users.yaml").write_text(yaml.safe_dump({"users": users}, sort_keys=False))
    for sub in ("roles", "policies", "boundaries"):
        (root / sub).mkdir()
    (root / "policies" / "logs.read.json").write_text(json.dumps(POLICY, indent=2))
    (root / "boundaries" / "read_most.json").write_text(json.dumps(BOUNDARY, indent=2))
    roles = []
    for i, desc in enumerate(DESCRIPTIONS):
        members = rnd.sample(PUNCTUATED, 3)
        role: dict[str, Any] = {
            "name": f"Job{i}+x=y,z.w@v-u"[: 10 + i * 3],
            "description": desc.replace("—", "-"),
            "accounts": ["hub", "work-1"] if i % 2 == 0 else ["work-1"],
            "owners": ["@gen/owners"],
            "policies": ["logs.read"],
            "managed_policies": [MANAGED[i % len(MANAGED)]],
            "boundary": "read_most",
            "max_session_duration": [3600, 43200, 7200][i % 3],
            "members": members[:2],
            "temporary_members": [{"user": members[2], "until": "2099-01-01", "reason": "gen"}],
            "tags": {"cost-center": f"cc {i}", "x:y/z": "a=b+c@d"},
        }
        if i == 1:
            role["path"] = "/people/team.a/on-call/"
            role["session_tags"] = True
        if i == 2:
            role["source_identity"] = True
        roles.append(role)
    roles.append(
        {
            "name": "svc.Worker",
            "description": "Runs the workers",
            "kind": "service",
            "accounts": ["work-1"],
            "owners": ["@gen/owners"],
            "trusted_services": SERVICES,
            "policies": ["logs.read"],
            "boundary": "read_most",
        }
    )
    for r in roles:
        (root / "roles" / f"{r['name']}.yaml").write_text(
            yaml.safe_dump(r, sort_keys=False, allow_unicode=True)
        )
    return {"roles": [r["name"] for r in roles], "users": list(users)}


def rolecat_cmd(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], env=env, capture_output=True, text=True, check=False
    )


def count_runs(tf: Terraform, progress: str) -> None:
    """Count the terraform runs rolecat made (its ``==> account: terraform ...`` lines)."""
    for line in progress.splitlines():
        if line.startswith("==> ") and ": terraform " in line:
            account, rest = line[4:].split(": terraform ", 1)
            tf.runs.append(Run(account, tuple(rest.split()[:1]), 0, 0.0))


@pytest.mark.parametrize("seed", [7])
def test_generated_catalog_with_rolecat_plan_and_apply(
    seed: int, tf: Terraform, emulator: Emulator, tmp_path: Path
) -> None:
    catalog, out = tmp_path / "catalog", tmp_path / "out"
    summary = generate(catalog, seed)
    compile_catalog(catalog, out)
    # The provider's IAM and STS calls go to the emulator through the AWS SDK's standard
    # AWS_ENDPOINT_URL, so the compiled folders stay as rolecat wrote them.
    env = {**tf.env, "AWS_ENDPOINT_URL": emulator.endpoint}
    tf = Terraform(tf.binary, env, tf.runs)

    planned = rolecat_cmd(env, "plan", str(catalog), "-o", str(out))
    assert planned.returncode == 0, planned.stderr + planned.stdout
    assert planned.stderr.index("==> hub: terraform plan") < planned.stderr.index(
        "==> work-1: terraform plan"
    )
    count_runs(tf, planned.stderr)
    assert all(plan_file(out, a).is_file() for a in ("hub", "work-1"))
    d = Deployment(tf, out, out, emulator.endpoint)
    for account in ("hub", "work-1"):
        d.validate(account)

    # A plan missing for the identity account stops apply before anything is applied.
    plan_file(out, "hub").rename(tmp_path / "hub.tfplan")
    refused = rolecat_cmd(env, "apply", str(catalog), "-o", str(out))
    assert refused.returncode == 1
    assert "applied:     (none)" in refused.stderr
    assert "failed:      hub: no saved plan" in refused.stderr
    assert "not applied: work-1" in refused.stderr
    (tmp_path / "hub.tfplan").rename(plan_file(out, "hub"))

    applied = rolecat_cmd(env, "apply", str(catalog), "-o", str(out))
    assert applied.returncode == 0, applied.stderr + applied.stdout
    count_runs(tf, applied.stderr)
    assert "applied:     hub, work-1" in applied.stderr
    assert not any(plan_file(out, a).exists() for a in ("hub", "work-1"))

    for account in ("hub", "work-1"):
        d.assert_converged(account)
    check_readback(catalog, emulator)
    iam = emulator.iam("666666666666", "Deployer")
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert names == set(summary["roles"])
    hub = emulator.iam("555555555555", "Deployer")
    assert {u["UserName"] for u in hub.list_users()["Users"]} == set(summary["users"])
