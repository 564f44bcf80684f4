"""Picking the role and account in a loaded catalog, and what scopedown needs from them."""

from __future__ import annotations

from typing import Any

from rolecat.diagnostics import did_you_mean
from rolecat.iam import managed
from rolecat.model import Catalog, Role

from .suggest import RoleContext


class SelectionError(Exception):
    """``--role``/``--account`` do not pick exactly one deployed role (exit 1 or 2, see ``usage``)."""

    def __init__(self, message: str, *, usage: bool) -> None:
        super().__init__(message)
        self.usage = usage


def find_role(catalog: Catalog, name: str) -> Role:
    for role in catalog.roles:
        if role.name == name:
            return role
    lowered = [r for r in catalog.roles if r.name.lower() == name.lower()]
    if lowered:
        return lowered[0]  # IAM role names are case-insensitive
    hint = did_you_mean(name, [r.name for r in catalog.roles])
    raise SelectionError(
        f'no role named "{name}" in the catalog' + (f'; did you mean "{hint}"?' if hint else ""), usage=True
    )


def pick_account(catalog: Catalog, role: Role, account: str | None) -> str:
    if account is not None:
        if account not in role.accounts:
            names = ", ".join(role.accounts) or "none"
            raise SelectionError(
                f'role {role.name} is not deployed in "{account}" (it is in: {names})', usage=True
            )
        return account
    if len(role.accounts) == 1:
        return role.accounts[0]
    if not role.accounts:
        raise SelectionError(f"role {role.name} is deployed in no account", usage=False)
    raise SelectionError(
        f"role {role.name} exists in several accounts ({', '.join(role.accounts)}): pass --account",
        usage=True,
    )


def role_context(catalog: Catalog, role: Role, account_name: str) -> RoleContext:
    account = catalog.account(account_name)
    policies: dict[str, Any] = {}
    for name in role.policies:
        rendered = catalog.rendered.get(("policy", name, account_name))
        if rendered is not None:
            policies[name] = rendered.document
    boundary = None
    if role.boundary is not None:
        rendered = catalog.rendered.get(("boundary", role.boundary, account_name))
        boundary = rendered.document if rendered is not None else None
    managed_docs = {arn: managed.document(arn) for arn in role.managed_policy_arns}
    return RoleContext(
        role=role.name,
        account=account_name,
        account_id=account.id,
        arn=role.arn(account),
        policies=policies,
        managed=managed_docs,
        boundary=boundary,
        boundary_name=role.boundary,
    )
