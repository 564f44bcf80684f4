"""The deployment layer: what rolecat puts in each account, built once after the model.

"What is role R in account A" has one answer, here: its ARN, its trust policy, the
customer managed policies attached to it (as rendered for that account), the AWS
managed policies, its inline policy and its boundary.  Per account it also lists the
customer managed policies rolecat creates there and, in the identity account, the
users and the group with its policies.

The renderer, the quota checks, the IAM checks, scopedown and the review commands all
read this structure, so what is checked is exactly what is written.  It is keyed by
names (account name, role name) and ARNs, never by object identity.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from rolecat.model import Account, Catalog, OidcProvider, PasswordPolicy, Role, SamlProvider

from . import arns, cicd, policies

PolicyKind = Literal["policy", "boundary"]
EC2_SERVICE = "ec2.amazonaws.com"


@dataclass(frozen=True)
class DeployedPolicy:
    """A customer managed policy rolecat creates in one account (a policy or boundary file)."""

    kind: PolicyKind
    name: str  # catalog name (the file's stem)
    iam_name: str
    arn: str
    source: str  # display path of the file ("" when the file is missing; already reported)
    document: Mapping[str, Any] | None  # None when the file did not render (already reported)
    path: str = "/"  # IAM path: "/" unless pinned (catalog.yaml pinned_policies)


@dataclass(frozen=True, slots=True)
class DeployedRole:
    """One role in one account."""

    role: Role
    account: Account
    arn: str
    trust: Mapping[str, Any] | None  # None for a human role without an identity account
    policies: tuple[DeployedPolicy, ...]  # attached customer managed policies, in the role's order
    managed_policy_arns: tuple[str, ...]  # attached AWS managed policies
    # the inline policy: delegated_role_creation's, or a deploy_roles CI role's rolecat-ci-<mode>
    inline: Mapping[str, Any] | None
    boundary: DeployedPolicy | None
    revoke: Mapping[str, Any] | None = None  # revoke_sessions: the deny on older sessions (inline too)

    @property
    def name(self) -> str:
        return self.role.name

    @property
    def instance_profile(self) -> str | None:
        """The instance profile EC2 needs to pass the role to an instance (see below)."""
        return instance_profile_name(self.role)


def instance_profile_name(role: Role) -> str | None:
    """The IAM name of the instance profile EC2 needs to pass ``role`` to an instance: the
    role's own name; None unless the role trusts ec2.amazonaws.com."""
    return role.name if EC2_SERVICE in role.trusted_services else None


@dataclass(frozen=True)
class DeployedUser:
    name: str
    arn: str
    mfa_serial: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class GroupPolicy:
    key: str  # "self-service", "assume-roles"
    iam_name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class DeployedGroup:
    name: str
    members: tuple[str, ...]
    policies: tuple[GroupPolicy, ...]


ProviderT = TypeVar("ProviderT", OidcProvider, SamlProvider)


@dataclass(frozen=True)
class DeployedProvider(Generic[ProviderT]):
    """An identity provider, OIDC or SAML, in one account (an account with a role that trusts it)."""

    provider: ProviderT
    arn: str

    @property
    def name(self) -> str:
        return self.provider.name


@dataclass(frozen=True)
class AccountDeployment:
    account: Account
    roles: Mapping[str, DeployedRole]  # by role name, in the catalog's order
    policies: tuple[DeployedPolicy, ...]  # boundaries by name, then customer policies by name
    users: tuple[DeployedUser, ...] = ()
    groups: tuple[DeployedGroup, ...] = ()
    password_policy: PasswordPolicy | None = None  # the identity account's
    oidc_providers: tuple[DeployedProvider[OidcProvider], ...] = ()  # by name
    saml_providers: tuple[DeployedProvider[SamlProvider], ...] = ()  # by name

    @property
    def name(self) -> str:
        return self.account.name


@dataclass(frozen=True)
class Deployment:
    accounts: Mapping[str, AccountDeployment]  # by account name, in the catalog's order
    _by_arn: Mapping[str, DeployedRole] = field(default_factory=dict, repr=False)
    # (role name, role file) -> the role in each of its accounts; a role name is unique
    # once the catalog is valid, the file tells apart duplicates reported as errors
    _placements: Mapping[tuple[str, str], tuple[DeployedRole, ...]] = field(default_factory=dict, repr=False)

    def account(self, name: str) -> AccountDeployment:
        return self.accounts[name]

    def role(self, role: str, account: str) -> DeployedRole | None:
        acct = self.accounts.get(account)
        return acct.roles.get(role) if acct is not None else None

    def role_by_arn(self, arn: str) -> DeployedRole | None:
        return self._by_arn.get(arn)

    def placements(self, role: Role) -> list[DeployedRole]:
        """The role in each of its accounts that exists, in the order the role lists them."""
        return list(self._placements.get((role.name, role.source), ()))

    def roles(self) -> Iterator[DeployedRole]:
        for acct in self.accounts.values():
            yield from acct.roles.values()

    def identity(self) -> AccountDeployment | None:
        return next((a for a in self.accounts.values() if a.account.identity), None)


def _policy(catalog: Catalog, account: Account, kind: PolicyKind, name: str) -> DeployedPolicy:
    iam_name = catalog.policy_iam_name(kind, name)  # pinned_policies keep an adopted policy's name
    rendered = catalog.rendered.get((kind, name, account.name))
    file = (
        rendered.file
        if rendered is not None
        else (catalog.boundaries if kind == "boundary" else catalog.policies).get(name)
    )
    return DeployedPolicy(
        kind,
        name,
        iam_name,
        catalog.policy_arn(kind, name, account),
        file.source if file is not None else "",
        rendered.document if rendered is not None else None,
        catalog.policy_iam_path(kind, name),
    )


class _Made(dict[str, DeployedPolicy]):
    """An account's customer managed policies of one kind by name, each made on its first
    lookup: the account needs those its roles name (their boundaries, those a role may
    hand out through delegated_role_creation, whose statements name that boundary's ARN,
    and the policies they attach).  A dict, so that the lookups of the roles that follow,
    one per policy of each role in each account, stay plain dict lookups."""

    def __init__(self, catalog: Catalog, account: Account, kind: PolicyKind) -> None:
        super().__init__()
        self._catalog, self._account, self._kind = catalog, account, kind

    def __missing__(self, name: str) -> DeployedPolicy:
        made = self[name] = _policy(self._catalog, self._account, self._kind, name)
        return made

    def by_name(self) -> tuple[DeployedPolicy, ...]:
        return tuple(self[name] for name in sorted(self))


def _identity(
    catalog: Catalog, account: Account
) -> tuple[tuple[DeployedUser, ...], tuple[DeployedGroup, ...]]:
    users = tuple(
        DeployedUser(
            u.name,
            arns.user_arn(account.id, u.name, account.partition),
            # a renamed user keeps the device's name
            arns.mfa_arn(account.id, u.mfa_device, account.partition),
            dict(sorted(u.attributes.items())),
        )
        for u in catalog.users
    )
    group = DeployedGroup(
        f"{catalog.organization}-humans",
        tuple(u.name for u in users),
        (
            GroupPolicy(
                "self-service",
                f"{catalog.organization}-self-service",
                policies.self_service_policy(account, catalog.users),
            ),
            GroupPolicy(
                "assume-roles", f"{catalog.organization}-assume-roles", policies.assume_roles_policy(catalog)
            ),
        ),
    )
    return users, (group,)


def build_deployment(catalog: Catalog) -> Deployment:
    """The deployment of a built catalog (also of one with errors: what could be built)."""
    from .delegation import delegated_role_creation_statements
    from .revocation import revoke_older_sessions_policy

    # Without exactly one identity account (C001, already reported) human trust policies
    # have no principals to name.
    has_identity = sum(1 for a in catalog.accounts if a.identity) == 1
    trusts = {
        id(role): policies.trust_policy(catalog, role) if has_identity or not role.is_human else None
        for role in catalog.roles
        if not role.federated
    }
    accounts: dict[str, AccountDeployment] = {}
    by_arn: dict[str, DeployedRole] = {}
    placed: dict[tuple[str, str], dict[str, DeployedRole]] = {}
    deploy_roles, catalog_file = catalog.deploy_roles, catalog.catalog_file
    federated = [r for r in catalog.roles if r.federated]  # the roles that trust identity providers
    for account in catalog.accounts:
        roles = catalog.roles_in(account.name)
        partition = account.partition
        made_boundaries = _Made(catalog, account, "boundary")
        made_policies = _Made(catalog, account, "policy")
        deployed: dict[str, DeployedRole] = {}
        for role in roles:
            if role.delegated_role_creation:
                made_boundaries[role.delegated_role_creation.boundary]  # the account needs it: see _Made
            inline = None
            ci_mode = deploy_roles.mode_of(role, catalog_file) if deploy_roles else None
            trust_role = role
            if ci_mode is not None and deploy_roles is not None:
                inline = cicd.policy_document(catalog, role, account, ci_mode)
                trust_role = cicd.role_in(deploy_roles, role, ci_mode, account)
            if role.delegated_role_creation is not None:
                inline = {
                    "Version": policies.VERSION,
                    "Statement": delegated_role_creation_statements(role, account, catalog),
                }
            dr = DeployedRole(
                role=role,
                account=account,
                arn=role.arn(account),
                # a role trusting identity providers names the account's provider ARNs
                trust=policies.trust_policy(catalog, trust_role, account)
                if role.federated
                else trusts[id(role)],
                policies=tuple([made_policies[p] for p in role.policies]),
                managed_policy_arns=tuple(arns.in_partition(a, partition) for a in role.managed_policy_arns)
                if role.managed_policy_arns
                else (),
                inline=inline,
                boundary=made_boundaries[role.boundary] if role.boundary else None,
                revoke=revoke_older_sessions_policy(role) if role.revoke_sessions is not None else None,
            )
            deployed.setdefault(role.name, dr)
            by_arn.setdefault(dr.arn, dr)
            placed.setdefault((role.name, role.source), {})[account.name] = dr
        users, groups = _identity(catalog, account) if account.identity and has_identity else ((), ())
        password = catalog.password_policy if account.identity and has_identity else None
        trusted = {f.provider for r in federated if account.name in r.accounts for f in r.federated}
        oidc = tuple(
            DeployedProvider(p, arns.oidc_provider_arn(account.id, p.host, account.partition))
            for name, p in catalog.identity_providers.items()
            if name in trusted and isinstance(p, OidcProvider)
        )
        saml = tuple(
            DeployedProvider(p, arns.saml_provider_arn(account.id, p.iam_name, account.partition))
            for name, p in catalog.identity_providers.items()
            if name in trusted and isinstance(p, SamlProvider)
        )
        accounts[account.name] = AccountDeployment(
            account,
            deployed,
            made_boundaries.by_name() + made_policies.by_name(),  # boundaries, then policies
            users,
            groups,
            password,
            oidc,
            saml,
        )
    placements: dict[tuple[str, str], tuple[DeployedRole, ...]] = {}
    for role in catalog.roles:
        key = (role.name, role.source)
        where = placed.get(key, {})
        placements[key] = tuple([where[a] for a in role.accounts if a in where])
    return Deployment(accounts, by_arn, placements)
