"""The model stage: the typed catalog (``catalog.py``) and how it is made.

``resolve.py`` resolves each section of the documents (a new role key or principal kind
goes there), ``principals.py`` says who may assume a role, ``documents.py`` renders and
checks the policy files, ``build.py`` runs them in order.  The catalog's types are
re-exported here: ``from rolecat.model import Catalog, Role``.

They are imported on first use (PEP 562 ``__getattr__``), so that importing a module of
the package (``rolecat.model.timeutil``) does not build the catalog's classes: a
``validate`` starts the child that parses role files first and imports them meanwhile
(``pipeline._load_later_stages``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        for module in (".catalog", ".principals"):
            value = getattr(importlib.import_module(module, __name__), name, None)
            if value is not None:
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
