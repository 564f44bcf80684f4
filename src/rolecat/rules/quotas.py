"""AWS IAM quotas, checked on the documents exactly as they will be written.

Sizes are measured on the JSON that Terraform's ``jsonencode`` sends to AWS, without
whitespace, which is how IAM counts.  Defaults and maximums: shared/refs/iam_facts.md
section 1; ``quotas:`` in catalog.yaml raises the adjustable ones.
"""

from __future__ import annotations

from rolecat.deploy import policies
from rolecat.deploy.deployment import Deployment, build_deployment
from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.model import Catalog

POLICY_NAME_MAX = 128
INLINE_ROLE_POLICIES_MAX = 10_240
USERS_PER_ACCOUNT = 5_000  # IAM and STS quotas: "Users in an AWS account", not adjustable


def check(catalog: Catalog, deployment: Deployment | None = None) -> list[Diagnostic]:
    """Quota findings on the deployment: the documents and counts exactly as rolecat writes them."""
    deployment = deployment or build_deployment(catalog)
    q = catalog.quotas
    out: list[Diagnostic] = []

    def at_role(role_source: str) -> Location:
        return catalog.locate(role_source, ("name",))

    for role in catalog.roles:
        placements = deployment.placements(role)
        # Without exactly one identity account (C001, already reported) human trust policies
        # have no principals to name; their size is measured once that is fixed.
        trust = placements[0].trust if placements else None
        size = policies.trust_policy_size(trust) if trust is not None else 0
        if trust is not None and size > q.trust_policy_size:
            statements = len(trust["Statement"])
            out.append(
                error(
                    "Q001",
                    f"trust policy of role {role.name!r} ({', '.join(role.accounts)}) is {size:,} characters; "
                    f"the quota is {q.trust_policy_size:,}",
                    at_role(role.source),
                    (
                        f"its teams ({', '.join(role.teams)}) expand to {len(role.members)} people; "
                        if role.teams
                        else ""
                    )
                    + f"{statements} statements: give temporary members a common until (one statement each date), "
                    "split the role, or raise quotas.trust_policy_size in catalog.yaml after raising the "
                    "Service Quotas value L-C07B4B0D (AWS maximum 8,192)",
                )
            )
        attached = len(role.policies) + len(role.managed_policy_arns)
        if attached > q.managed_policies_per_role:
            out.append(
                error(
                    "Q002",
                    f"role {role.name!r} ({', '.join(role.accounts)}) attaches {attached} managed policies; "
                    f"the quota is {q.managed_policies_per_role}",
                    catalog.locate(
                        role.source, ("managed_policies" if role.managed_policies else "policies",), key=True
                    ),
                    "merge customer policies into one file, or raise quotas.managed_policies_per_role "
                    "(Service Quotas L-0DA4ABF3, AWS maximum 25)",
                )
            )
        for placed in placements:
            inline = [doc for doc in (placed.inline, placed.revoke) if doc is not None]
            if not inline:
                continue
            size = sum(policies.policy_size(doc) for doc in inline)  # the role's inline policies together
            if size > INLINE_ROLE_POLICIES_MAX:
                out.append(
                    error(
                        "Q003",
                        f"inline policies of role {role.name!r} in {placed.account.name} are {size:,} characters; "
                        f"IAM allows {INLINE_ROLE_POLICIES_MAX:,}",
                        at_role(role.source),
                    )
                )

    for acct in deployment.accounts.values():
        account = acct.account
        n = len(catalog.roles_in(account.name))
        if n > q.roles_per_account:
            out.append(
                error(
                    "Q004",
                    f"account {account.name!r} would hold {n:,} rolecat roles; the quota is {q.roles_per_account:,}",
                    catalog.locate(catalog.catalog_file, ("accounts", account.name), key=True),
                    "raise quotas.roles_per_account (Service Quotas L-FE177D64, AWS maximum 5,000); "
                    "roles made outside rolecat count too",
                )
            )
        count = len(acct.policies) + (2 if account.identity else 0)
        if count > q.customer_managed_policies_per_account:
            out.append(
                error(
                    "Q005",
                    f"account {account.name!r} would hold {count:,} rolecat managed policies; the quota is "
                    f"{q.customer_managed_policies_per_account:,}",
                    catalog.locate(catalog.catalog_file, ("accounts", account.name), key=True),
                    "share boundaries and policies between roles, or raise "
                    "quotas.customer_managed_policies_per_account (L-E95E4862, AWS maximum 5,000)",
                )
            )

    seen: set[tuple[str, ...]] = set()
    written = sorted(
        ((p.kind, p.name, acct.name), p)
        for acct in deployment.accounts.values()
        for p in acct.policies
        if p.document is not None
    )
    for (kind, name, acct_name), policy in written:
        assert policy.document is not None
        size = policies.policy_size(policy.document)
        if size > q.managed_policy_size and (kind, name) not in seen:
            seen.add((kind, name))
            out.append(
                error(
                    "Q006",
                    f"{kind} {name!r} is {size:,} characters in account {acct_name!r} (without whitespace); "
                    f"a managed policy may have {q.managed_policy_size:,}",
                    Location(policy.source, 1, 1),
                    "use wildcards for families of actions, merge statements with the same resources, "
                    "or split the file into two policies",
                )
            )
        if len(policy.iam_name) > POLICY_NAME_MAX and (kind, name, "name") not in seen:
            seen.add((kind, name, "name"))
            out.append(
                error(
                    "Q007",
                    f"IAM policy name {policy.iam_name!r} is {len(policy.iam_name)} characters; IAM allows {POLICY_NAME_MAX}",
                    Location(policy.source),
                    "rename the file",
                )
            )
    users = len(catalog.users) + len(catalog.released_users)
    if users > USERS_PER_ACCOUNT:
        out.append(
            error(
                "Q009",
                f"the identity account would hold {users:,} IAM users; an account may hold "
                f"{USERS_PER_ACCOUNT:,} (a quota AWS does not raise)",
                catalog.locate(catalog.users_file, ("users",), key=True),
                "give people roles to assume in fewer identity accounts, or federate them (SAML, "
                "identity_providers) instead of IAM users",
            )
        )
    identity = deployment.identity()
    for group in identity.groups if identity is not None else ():
        for gp in group.policies:
            if gp.key != "assume-roles":
                continue
            size = policies.policy_size(gp.document)
            if size > q.managed_policy_size:
                out.append(
                    error(
                        "Q008",
                        f"the identity account's assume-roles policy is {size:,} characters; "
                        f"a managed policy may have {q.managed_policy_size:,}",
                        Location(catalog.catalog_file),
                        "use fewer distinct human role paths",
                    )
                )
    return out
