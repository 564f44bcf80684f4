"""What a compiled catalog puts into each account, as IAM objects (not Terraform).

Drift and import compare this with an account's export.  It is derived from the same
per-account view the Terraform renderer reads, so it names exactly what is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..deploy.arns import policy_arn
from ..model import Account, Catalog

Document = Mapping[str, Any]


@dataclass(frozen=True)
class ExpectedPolicy:
    name: str
    path: str
    description: str | None
    document: Document
    kind: str  # "policy", "boundary" or "identity"
    source: str  # catalog name ("prod-engineer") or generated ("self-service")

    def arn(self, account: Account) -> str:
        return policy_arn(account.id, self.name, self.path, account.partition)


@dataclass(frozen=True)
class ExpectedRole:
    name: str
    path: str
    description: str | None
    max_session_duration: int
    trust: Document
    boundary: str | None  # IAM policy name of the boundary
    boundary_arn: str | None
    attached: tuple[str, ...]  # policy ARNs, sorted
    inline: Mapping[str, Document]
    source: str  # role file, relative to the catalog
    tags: Mapping[str, str] = field(default_factory=dict)  # the provider's default tags included
    instance_profile: str | None = None  # its name; on the role's path, with the role's tags


@dataclass(frozen=True)
class ExpectedUser:
    name: str
    path: str
    groups: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)  # the provider's default tags included


def default_tags(catalog: Catalog) -> dict[str, str]:
    """The provider's ``default_tags`` (providers.tf.j2): every taggable resource gets them,
    and a resource's own tag of the same key wins."""
    return {"ManagedBy": "rolecat", "Organization": catalog.organization}


@dataclass(frozen=True)
class ExpectedAccount:
    account: Account
    roles: Mapping[str, ExpectedRole]
    policies: Mapping[str, ExpectedPolicy]
    users: Mapping[str, ExpectedUser]
    group: str | None
    group_attached: tuple[str, ...]


def expected_accounts(catalog: Catalog) -> dict[str, ExpectedAccount]:
    from ..targets.terraform.render import account_views

    views = account_views(catalog)
    out: dict[str, ExpectedAccount] = {}
    for account in catalog.accounts:
        view = views[account.name]
        policies: dict[str, ExpectedPolicy] = {}
        for p in (*view.policies, *view.identity_policies):
            policies[p.name] = ExpectedPolicy(
                p.name, p.path, p.description, p.document.document, p.kind, p.source
            )
        roles: dict[str, ExpectedRole] = {}
        defaults = default_tags(catalog)
        for rv in (*view.roles, *view.ci_roles):
            r = rv.role
            attached = sorted(
                {policies[p.name].arn(account) for p in rv.policies} | set(r.managed_policy_arns)
            )
            # the inline policies role.tf.j2 and deploy.tf.j2 write, by IAM name
            inline: dict[str, Document] = {}
            if rv.delegated:
                inline["rolecat-delegated-role-creation"] = rv.delegated.document
            if rv.revoke:
                inline["rolecat-revoke-older-sessions"] = rv.revoke.document
            if rv.ci_policy:
                inline[f"rolecat-ci-{r.tags['rolecat:ci']}"] = rv.ci_policy.document
            roles[r.name] = ExpectedRole(
                name=r.name,
                path=r.path,
                description=r.description,
                max_session_duration=r.max_session_duration,
                trust=rv.trust.document,
                boundary=rv.boundary.name if rv.boundary else None,
                boundary_arn=policies[rv.boundary.name].arn(account) if rv.boundary else None,
                attached=tuple(attached),
                inline=inline,
                source=str(rv.tags.get("rolecat:source", r.source)),
                tags={**defaults, **rv.tags},
                instance_profile=rv.instance_profile.name if rv.instance_profile else None,
            )
        users: dict[str, ExpectedUser] = {}
        group = view.group or None
        for u in view.users:
            users[str(u["name"])] = ExpectedUser(
                str(u["name"]), "/", (view.group,), {**defaults, **u["tags"]}
            )
        group_attached = tuple(sorted(p.arn(account) for p in policies.values() if p.kind == "identity"))
        out[account.name] = ExpectedAccount(
            account=account,
            roles=roles,
            policies=policies,
            users=users,
            group=group if account.identity else None,
            group_attached=group_attached,
        )
    return out
