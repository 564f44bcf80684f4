"""Who may assume a role, as a tagged type.

A role's trust policy is built from its principals, one statement shape per kind
(``deploy/policies.trust_policy``).  Today there are people (IAM users of the identity
account, standing or until a time) and AWS services; federated providers (OIDC and
SAML), roles of other accounts and teams are new kinds here, each with its resolution in
``model/resolve.py`` and its trust statement in ``deploy/policies.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class UserPrincipal:
    """A person: an IAM user of the identity account, with MFA; until a time when temporary."""

    user: str
    until: dt.datetime | None = None
    until_iso: str | None = None  # the exclusive end as the trust condition writes it
    kind: Literal["user"] = "user"


@dataclass(frozen=True)
class ServicePrincipal:
    """An AWS service, e.g. ``lambda.amazonaws.com``."""

    service: str
    kind: Literal["service"] = "service"


@dataclass(frozen=True)
class FederatedPrincipal:
    """Workloads of an OIDC provider (CI jobs): ``sts:AssumeRoleWithWebIdentity`` with claims.

    ``host`` is the issuer without ``https://`` (the prefix of its claim keys, e.g.
    ``token.actions.githubusercontent.com``); the trust requires ``<host>:aud`` to be one
    of ``audiences`` and ``<host>:sub`` to match one of ``subjects``.
    """

    provider: str
    host: str
    audiences: tuple[str, ...]
    subjects: tuple[str, ...]
    kind: Literal["federated"] = "federated"


@dataclass(frozen=True)
class SamlPrincipal:
    """People signed in at a SAML 2.0 IdP: ``sts:AssumeRoleWithSAML``.

    ``iam_name`` names the provider in each account (``saml-provider/<iam_name>``); the
    trust requires ``SAML:aud`` to be the partition's sign-in endpoint and each of
    ``claims`` (key -> admitted values) to hold.  Authentication, MFA included, is the
    IdP's: the trust has no MFA condition (docs/catalog.md, SAML providers).
    """

    provider: str
    iam_name: str
    claims: tuple[tuple[str, tuple[str, ...]], ...]
    kind: Literal["saml"] = "saml"


@dataclass(frozen=True)
class AccountRolePrincipal:
    """A role of a catalog account (cross-account trust); its ARN comes from the catalog."""

    account: str
    role: str
    kind: Literal["role"] = "role"


@dataclass(frozen=True)
class ExternalAccountPrincipal:
    """An account outside the catalog, admitted only with its ``sts:ExternalId``."""

    account_id: str
    external_id: str
    kind: Literal["external"] = "external"


Principal = (
    UserPrincipal
    | ServicePrincipal
    | FederatedPrincipal
    | SamlPrincipal
    | AccountRolePrincipal
    | ExternalAccountPrincipal
)
