"""Picking the role and account in a loaded catalog, and what scopedown needs from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rolecat.diagnostics import did_you_mean
from rolecat.iam import managed
from rolecat.model import Catalog, Role
from rolecat.report.escape import printable

from .suggest import RoleContext

if TYPE_CHECKING:
    from rolecat.deploy.deployment import Deployment


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
        f'no role named "{printable(name)}" in the catalog' + (f'; did you mean "{hint}"?' if hint else ""),
        usage=True,
    )


def pick_account(catalog: Catalog, role: Role, account: str | None, *, choose: str = "pass --account") -> str:
    """The account of ``role`` that ``account`` names, or its only one; ``choose`` says how
    to name one when the role is in several."""
    if account is not None:
        if account not in role.accounts:
            names = ", ".join(role.accounts) or "none"
            known = any(a.name == account for a in catalog.accounts)
            raise SelectionError(
                (
                    f"role {role.name} is not deployed in {account}"
                    if known
                    else f"no account named {printable(account)!r} in catalog.yaml"
                )
                + f" (role {role.name} is in: {names})",
                usage=True,
            )
        return account
    if len(role.accounts) == 1:
        return role.accounts[0]
    if not role.accounts:
        raise SelectionError(f"role {role.name} is deployed in no account", usage=False)
    raise SelectionError(
        f"role {role.name} exists in several accounts ({', '.join(role.accounts)}): {choose}",
        usage=True,
    )


def role_context(deployment: Deployment, role: Role, account_name: str) -> RoleContext:
    """What scopedown needs from the role's deployment in one account: the same documents
    rolecat writes (customer policies, AWS managed policies, the inline policy, boundary)."""
    placed = deployment.role(role.name, account_name)
    if placed is None:
        raise SelectionError(f'role {role.name} is not deployed in "{account_name}"', usage=True)
    policies = {p.name: p.document for p in placed.policies if p.document is not None}
    inline = {"delegated_role_creation": placed.inline} if placed.inline is not None else {}
    boundary = placed.boundary.document if placed.boundary is not None else None
    managed_docs = {arn: managed.document(arn) for arn in placed.managed_policy_arns}
    return RoleContext(
        role=role.name,
        account=account_name,
        account_id=placed.account.id,
        arn=placed.arn,
        policies=policies,
        managed=managed_docs,
        boundary=boundary,
        inline=inline,
        boundary_name=role.boundary,
    )
