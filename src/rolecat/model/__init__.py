"""The model stage: the typed catalog (``catalog.py``) and the builder that makes it (``build.py``).

The catalog's types are re-exported here: ``from rolecat.model import Catalog, Role``.
"""

from .catalog import (
    Acceptance,
    Account,
    Backend,
    Catalog,
    Defaults,
    DelegatedRoleCreation,
    PolicyFile,
    Quotas,
    RenderedPolicy,
    Role,
    RoleKind,
    TemporaryMember,
    TerraformSettings,
    User,
)

__all__ = [
    "Acceptance",
    "Account",
    "Backend",
    "Catalog",
    "Defaults",
    "DelegatedRoleCreation",
    "PolicyFile",
    "Quotas",
    "RenderedPolicy",
    "Role",
    "RoleKind",
    "TemporaryMember",
    "TerraformSettings",
    "User",
]
