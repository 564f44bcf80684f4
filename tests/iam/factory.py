"""Hand-built catalogs for the IAM check tests (the loader and build stage are not ours)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from rolecat.load.source import SourceDoc, load_json_text, load_yaml_text
from rolecat.model import (
    Acceptance,
    Account,
    Catalog,
    Defaults,
    DelegatedRoleCreation,
    PolicyFile,
    Quotas,
    RenderedPolicy,
    Role,
    TerraformSettings,
    User,
)

ACCOUNTS = (
    Account("security", "111111111111", True, None, "us-east-1"),
    Account("nonprod", "222222222222", False, "nonprod", "us-east-1"),
    Account("prod", "333333333333", False, "prod", "us-east-1"),
)


def role(name: str, **kw: Any) -> Role:
    fields: dict[str, Any] = {
        "name": name,
        "source": f"catalog/roles/{name}.yaml",
        "description": None,
        "kind": "human",
        "accounts": ("nonprod",),
        "owners": (),
        "policies": (),
        "managed_policies": (),
        "managed_policy_arns": (),
        "boundary": None,
        "admin": False,
        "path": "/humans/",
        "max_session_duration": 3600,
        "mfa_max_age": 3600,
        "members": ("alice",),
        "temporary_members": (),
        "trusted_services": (),
    }
    fields.update(kw)
    if "delegated" in fields:
        boundary, path = fields.pop("delegated")
        fields["delegated_role_creation"] = DelegatedRoleCreation(boundary, path)
    if "accepts" in fields:
        fields["accept"] = tuple(Acceptance(c, r) for c, r in fields.pop("accepts"))
    return Role(**fields)


def _role_yaml(r: Role) -> str:
    data: dict[str, Any] = {"name": r.name, "accounts": list(r.accounts)}
    if r.policies:
        data["policies"] = list(r.policies)
    if r.managed_policies:
        data["managed_policies"] = list(r.managed_policies)
    if r.boundary:
        data["boundary"] = r.boundary
    data["members"] = list(r.members)
    return yaml.safe_dump(data, sort_keys=False)


def _doc(text: str, path: str) -> SourceDoc:
    doc, diags = load_json_text(text, path)
    assert doc is not None, diags
    return doc


def catalog(
    roles: list[Role],
    policies: dict[str, dict[str, Any]] | None = None,
    boundaries: dict[str, dict[str, Any]] | None = None,
    known_actions: tuple[str, ...] = (),
    admin_member_limit: int = 3,
) -> Catalog:
    files: dict[tuple[str, str], PolicyFile] = {}
    rendered: dict[tuple[str, str, str], RenderedPolicy] = {}
    for kind, table in (("policy", policies or {}), ("boundary", boundaries or {})):
        folder = "policies" if kind == "policy" else "boundaries"
        for name, document in table.items():
            source = f"catalog/{folder}/{name}.json"
            text = json.dumps(document, indent=2)
            pf = PolicyFile(name, kind, source, text)  # type: ignore[arg-type]
            files[(kind, name)] = pf
            for account in ACCOUNTS:
                sd = _doc(text, source)
                rendered[(kind, name, account.name)] = RenderedPolicy(pf, account.name, sd.data, sd)
    docs: dict[str, SourceDoc] = {}
    for r in roles:
        sd, _ = load_yaml_text(_role_yaml(r), r.source)
        assert sd is not None
        docs[r.source] = sd
    return Catalog(
        root="catalog",
        organization="example",
        owners=(),
        defaults=Defaults(
            "us-east-1", "/humans/", "/services/", 3600, 3600, admin_member_limit=admin_member_limit
        ),
        accounts=ACCOUNTS,
        users=(User("alice", {}), User("bob", {}), User("carol", {}), User("dave", {})),
        roles=tuple(roles),
        policies={n: f for (k, n), f in files.items() if k == "policy"},
        boundaries={n: f for (k, n), f in files.items() if k == "boundary"},
        terraform=TerraformSettings(">= 1.10.0", ">= 5.70", None, None),
        quotas=Quotas(),
        known_actions=known_actions,
        rendered=rendered,
        docs=docs,
        catalog_file="catalog/catalog.yaml",
        users_file="catalog/users.yaml",
    )


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}
