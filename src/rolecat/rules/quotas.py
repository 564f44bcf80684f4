"""AWS IAM quotas, checked on the documents exactly as they will be written.

Sizes are measured on the JSON that Terraform's ``jsonencode`` sends to AWS, without
whitespace, which is how IAM counts.  Defaults and maximums: shared/refs/iam_facts.md
section 1; ``quotas:`` in catalog.yaml raises the adjustable ones.
"""

from __future__ import annotations

from collections import defaultdict

from rolecat.deploy import policies
from rolecat.deploy.arns import boundary_policy_name
from rolecat.deploy.arns import policy_policy_name as customer_policy_name
from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.model import Catalog

POLICY_NAME_MAX = 128
INLINE_ROLE_POLICIES_MAX = 10_240


def check(catalog: Catalog) -> list[Diagnostic]:
    q = catalog.quotas
    out: list[Diagnostic] = []

    def at_role(role_source: str) -> Location:
        return catalog.locate(role_source, ("name",))

    per_account_roles: dict[str, int] = defaultdict(int)
    per_account_policies: dict[str, set[tuple[str, str]]] = defaultdict(set)
    # Without exactly one identity account (C001, already reported) human trust policies
    # have no principals to name; their size is measured once that is fixed.
    has_identity = sum(1 for a in catalog.accounts if a.identity) == 1
    for role in catalog.roles:
        trust = policies.trust_policy(catalog, role) if has_identity or not role.is_human else None
        size = policies.policy_size(trust) if trust is not None else 0
        if trust is not None and size > q.trust_policy_size:
            statements = len(trust["Statement"])
            out.append(
                error(
                    "Q001",
                    f"trust policy of role {role.name!r} ({', '.join(role.accounts)}) is {size:,} characters; "
                    f"the quota is {q.trust_policy_size:,}",
                    at_role(role.source),
                    f"{statements} statements: give temporary members a common until (one statement each date), "
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
        for acct in role.accounts:
            per_account_roles[acct] += 1
            for p in role.policies:
                per_account_policies[acct].add(("policy", p))
            if role.boundary:
                per_account_policies[acct].add(("boundary", role.boundary))
            if role.delegated_role_creation:
                per_account_policies[acct].add(("boundary", role.delegated_role_creation.boundary))
        if role.delegated_role_creation is not None:
            from rolecat.deploy.delegation import delegated_role_creation_statements

            for acct_name in role.accounts:
                doc = {
                    "Version": policies.VERSION,
                    "Statement": delegated_role_creation_statements(
                        role, catalog.account(acct_name), catalog
                    ),
                }
                size = policies.policy_size(doc)
                if size > INLINE_ROLE_POLICIES_MAX:
                    out.append(
                        error(
                            "Q003",
                            f"inline policies of role {role.name!r} in {acct_name} are {size:,} characters; "
                            f"IAM allows {INLINE_ROLE_POLICIES_MAX:,}",
                            at_role(role.source),
                        )
                    )

    for account in catalog.accounts:
        n = per_account_roles.get(account.name, 0)
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
        count = len(per_account_policies.get(account.name, ())) + (2 if account.identity else 0)
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
    for (kind, name, acct), rendered in sorted(catalog.rendered.items()):
        size = policies.policy_size(rendered.document)
        if size > q.managed_policy_size and (kind, name) not in seen:
            seen.add((kind, name))
            out.append(
                error(
                    "Q006",
                    f"{kind} {name!r} is {size:,} characters in account {acct!r} (without whitespace); "
                    f"a managed policy may have {q.managed_policy_size:,}",
                    Location(rendered.file.source, 1, 1),
                    "use wildcards for families of actions, merge statements with the same resources, "
                    "or split the file into two policies",
                )
            )
        iam_name = boundary_policy_name(name) if kind == "boundary" else customer_policy_name(name)
        if len(iam_name) > POLICY_NAME_MAX and (kind, name, "name") not in seen:
            seen.add((kind, name, "name"))
            out.append(
                error(
                    "Q007",
                    f"IAM policy name {iam_name!r} is {len(iam_name)} characters; IAM allows {POLICY_NAME_MAX}",
                    Location(rendered.file.source),
                    "rename the file",
                )
            )
    if has_identity:
        doc = policies.assume_roles_policy(catalog)
        size = policies.policy_size(doc)
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
