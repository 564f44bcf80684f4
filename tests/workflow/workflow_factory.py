"""Builders for small in-memory catalogs (the model objects, without the loader)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from rolecat.load.source import SourceDoc
from rolecat.model import (
    Account,
    Catalog,
    Defaults,
    DelegatedRoleCreation,
    PolicyFile,
    Quotas,
    Role,
    TemporaryMember,
    TerraformSettings,
    User,
)

UTC = dt.UTC
REPO = Path(__file__).resolve().parents[2]
FAKE_TERRAFORM = REPO / "scripts" / "fake-terraform"


def read_calls(log: Path) -> list[tuple[str, ...]]:
    """The calls the recording terraform made: (cwd, arg, arg, ...) each."""
    if not log.exists():
        return []
    return [tuple(line.split("\t")) for line in log.read_text().splitlines()]


def at(text: str) -> dt.datetime:
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def temp(user: str, until: str, reason: str | None = None, index: int = 0) -> TemporaryMember:
    return TemporaryMember(user=user, until=at(until), until_text=until, reason=reason, index=index)


def role(
    name: str,
    *,
    accounts: Iterable[str] = ("prod",),
    owners: Iterable[str] = (),
    source: str | None = None,
    members: Iterable[str] = (),
    temporary: Iterable[TemporaryMember] = (),
    policies: Iterable[str] = (),
    boundary: str | None = None,
    kind: str = "human",
    max_session_duration: int = 3600,
    path: str = "/humans/",
    source_identity: bool = False,
    session_tags: bool = False,
    delegated_boundary: str | None = None,
) -> Role:
    accounts = tuple(accounts)
    return Role(
        name=name,
        source=source or f"catalog/roles/{accounts[0]}/{name}.yaml",
        description=None,
        kind=kind,  # type: ignore[arg-type]
        accounts=accounts,
        owners=tuple(owners),
        policies=tuple(policies),
        managed_policies=(),
        managed_policy_arns=(),
        boundary=boundary,
        admin=False,
        path=path,
        max_session_duration=max_session_duration,
        mfa_max_age=3600,
        members=tuple(members),
        temporary_members=tuple(temporary),
        trusted_services=("lambda.amazonaws.com",) if kind == "service" else (),
        session_tags=session_tags,
        source_identity=source_identity,
        delegated_role_creation=(
            DelegatedRoleCreation(delegated_boundary, "/delegated/") if delegated_boundary else None
        ),
    )


def policy_file(kind: str, name: str, root: str = "catalog") -> PolicyFile:
    folder = "policies" if kind == "policy" else "boundaries"
    return PolicyFile(name=name, kind=kind, source=f"{root}/{folder}/{name}.json", text="{}")  # type: ignore[arg-type]


def catalog(
    roles: Iterable[Role] = (),
    *,
    users: Iterable[str] = ("alice", "bob", "carol"),
    policies: Iterable[str] = (),
    boundaries: Iterable[str] = (),
    owners: Iterable[str] = ("@example/security",),
    max_escalation_days: int | None = None,
    docs: dict[str, SourceDoc] | None = None,
    root: str = "catalog",
    accounts: Iterable[Account] | None = None,
) -> Catalog:
    accts = (
        tuple(accounts)
        if accounts is not None
        else (
            Account("nonprod", "222222222222", False, "nonprod", "eu-west-1"),
            Account("prod", "333333333333", False, "prod", "us-east-1"),
            Account("security", "111111111111", True, None, "us-east-1"),
        )
    )
    return Catalog(
        root=root,
        organization="example",
        owners=tuple(owners),
        defaults=Defaults(
            region="us-east-1",
            role_path="/humans/",
            service_role_path="/services/",
            max_session_duration=3600,
            mfa_max_age=3600,
            max_escalation_days=max_escalation_days,
        ),
        accounts=accts,
        users=tuple(User(u, {}) for u in users),
        roles=tuple(sorted(roles, key=lambda r: (r.name, r.accounts))),
        policies={n: policy_file("policy", n, root) for n in policies},
        boundaries={n: policy_file("boundary", n, root) for n in boundaries},
        terraform=TerraformSettings(">= 1.10.0", ">= 5.70", None, None),
        quotas=Quotas(),
        known_actions=(),
        rendered={},
        docs=docs or {},
        catalog_file=f"{root}/catalog.yaml",
        users_file=f"{root}/users.yaml",
    )
