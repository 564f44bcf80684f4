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
