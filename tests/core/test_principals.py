"""Principals are a tagged type; the trust policy has one statement shape per kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rolecat.deploy.policies import trust_policy
from rolecat.model import ServicePrincipal, UserPrincipal
from rolecat.pipeline import load

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def test_principals_by_kind_and_their_trust_statements() -> None:
    loaded = load(ROOT / "tests" / "golden" / "inputs" / "labels-and-escapes", NOW)
    catalog = loaded.catalog
    assert catalog is not None
    roles = {r.name: r for r in catalog.roles}

    builder = roles["Builder"].principals
    assert builder == (ServicePrincipal("codebuild.amazonaws.com"), ServicePrincipal("lambda.amazonaws.com"))
    assert [s["Sid"] for s in trust_policy(catalog, roles["Builder"])["Statement"]] == ["TrustedServices"]

    dev = roles["Dev.Ops"].principals
    assert all(isinstance(p, UserPrincipal) and p.kind == "user" for p in dev)
    standing = [p.user for p in dev if isinstance(p, UserPrincipal) and p.until is None]
    temporary = sorted(p.until_iso for p in dev if isinstance(p, UserPrincipal) and p.until_iso)
    assert standing == ["a.b", "a_b"]
    assert temporary == ["2099-01-01T12:30:00Z", "2099-01-02T00:00:00Z"]
    sids = [s["Sid"] for s in trust_policy(catalog, roles["Dev.Ops"])["Statement"]]
    assert sids == ["Members", "TemporaryUntil20990101T123000Z", "TemporaryUntil20990102T000000Z"]


def test_the_deployment_answers_role_in_account_once() -> None:
    loaded = load(ROOT / "catalog", NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    dep = loaded.deployment
    for role in loaded.catalog.roles:
        placements = dep.placements(role)
        assert [p.account.name for p in placements] == list(role.accounts)
        for placed in placements:
            assert dep.role_by_arn(placed.arn) is placed
            assert placed.trust is placements[0].trust  # one trust policy, shared by every account
            assert (placed.inline is not None) == (role.delegated_role_creation is not None)
    identity = dep.identity()
    assert identity is not None and len(identity.groups) == 1
    assert [u.name for u in identity.users] == [u.name for u in loaded.catalog.users]


def test_scopedown_sees_the_delegated_role_statements_rolecat_writes() -> None:
    """The bug the deployment layer fixes: scopedown's view of a role left out its inline policy."""
    from rolecat.scopedown.actiondb import load_action_db
    from rolecat.scopedown.context import role_context
    from rolecat.scopedown.suggest import granted_actions

    loaded = load(ROOT / "catalog", NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    deployer = next(r for r in loaded.catalog.roles if r.name == "AppDeployer")
    ctx = role_context(loaded.deployment, deployer, "prod")
    placed = loaded.deployment.role("AppDeployer", "prod")
    assert placed is not None and placed.inline is not None
    assert ctx.inline == {"delegated_role_creation": placed.inline}
    assert ctx.arn == placed.arn
    assert "iam:PassRole" in granted_actions(ctx, load_action_db())


def test_trust_policies_read_people_as_the_principals_name_them() -> None:
    """``policies.people`` reads a role's people without making their principals: the same
    (user, until) pairs in the same order, and a human role has no other principal."""
    from rolecat.deploy import arns
    from rolecat.deploy.policies import people

    roots = [
        ROOT / "catalog",
        *sorted(p for p in (ROOT / "tests" / "golden" / "inputs").iterdir() if p.is_dir()),
    ]
    seen_temporary = False
    for root in roots:
        catalog = load(root, NOW).catalog
        assert catalog is not None
        for role in catalog.roles:
            principals = role.principals
            users = [(p.user, p.until_iso) for p in principals if isinstance(p, UserPrincipal)]
            assert people(role) == users, role.name
            if role.is_human:
                assert len(users) == len(principals), role.name
            seen_temporary = seen_temporary or any(until for _, until in users)
    assert seen_temporary
    assert arns.user_arn("123456789012", "", "aws-cn") + "a.b" == arns.user_arn(
        "123456789012", "a.b", "aws-cn"
    )
