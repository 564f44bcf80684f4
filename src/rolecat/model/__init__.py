"""The model stage: the typed catalog (``catalog.py``) and how it is made.

``resolve.py`` resolves each section of the documents (a new role key or principal kind
goes there), ``principals.py`` says who may assume a role, ``documents.py`` renders and
checks the policy files, ``build.py`` runs them in order.  The catalog's types are
re-exported here: ``from rolecat.model import Catalog, Role``.
"""

from .catalog import (
    Acceptance,
    Account,
    Backend,
    Catalog,
    Defaults,
    DelegatedRoleCreation,
    FederatedTrust,
    IdentityProvider,
    OidcProvider,
    PasswordPolicy,
    PinnedPolicy,
    PolicyFile,
    Quotas,
    RenderedPolicy,
    RevokeSessions,
    Role,
    RoleKind,
    SamlProvider,
    TemporaryMember,
    TerraformSettings,
    User,
)
from .principals import (
    AccountRolePrincipal,
    ExternalAccountPrincipal,
    FederatedPrincipal,
    Principal,
    SamlPrincipal,
    ServicePrincipal,
    UserPrincipal,
)

__all__ = [
    "Acceptance",
    "Account",
    "AccountRolePrincipal",
    "Backend",
    "Catalog",
    "Defaults",
    "DelegatedRoleCreation",
    "ExternalAccountPrincipal",
    "FederatedPrincipal",
    "FederatedTrust",
    "IdentityProvider",
    "OidcProvider",
    "PasswordPolicy",
    "PinnedPolicy",
    "PolicyFile",
    "Principal",
    "Quotas",
    "RenderedPolicy",
    "RevokeSessions",
    "Role",
    "RoleKind",
    "SamlPrincipal",
    "SamlProvider",
    "ServicePrincipal",
    "TemporaryMember",
    "TerraformSettings",
    "User",
    "UserPrincipal",
]
