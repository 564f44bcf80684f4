"""IAM names are unique per account, ignoring case, including the names rolecat makes.

AWS refuses the second of two users, roles, groups or customer managed policies whose
names differ only in case, but only at apply, half-way through.  These checks find the
clash in the catalog and point at both places:

- ``C004``: two customer managed policies of one account, catalog files
  (``policy-<name>``, ``boundary-<name>``) or rolecat's own
  (``<organization>-self-service``, ``<organization>-assume-roles``);
- ``C005``: one AWS managed policy attached twice to a role (by name and by ARN, say);
- ``C006``: a ``renamed_from`` name that is another entity's current or former name;
- ``C007``: two OIDC identity providers with one issuer URL (IAM's name for a provider), or
  two SAML providers with one IAM name.

Users (``C003``) and roles (``C015``) are checked where they are built; the one group,
``<organization>-humans``, has no catalog name to clash with.  An instance profile is
named after its role (``deploy.deployment.instance_profile_name``), so ``C015``, which
counts released roles too, keeps instance profile names unique per account as well.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..deploy.arns import boundary_policy_name, policy_policy_name
from ..diagnostics import Diagnostic, Location, error
from ..model import Catalog, Role, SamlProvider


def _where(loc: Location) -> str:
    return str(loc)


def _policy_names(catalog: Catalog, account: str) -> list[tuple[str, Location]]:
    """(IAM policy name, where it comes from) of every customer managed policy in an account."""
    found: list[tuple[str, Location]] = []
    for kind, name, acct in sorted(catalog.rendered):
        if acct != account:
            continue
        table = catalog.policies if kind == "policy" else catalog.boundaries
        iam = policy_policy_name(name) if kind == "policy" else boundary_policy_name(name)
        found.append((iam, Location(table[name].source, 1, 1)))
    if any(a.identity and a.name == account for a in catalog.accounts):
        org = catalog.organization
        loc = catalog.locate(catalog.catalog_file, ("organization",))
        found.extend((f"{org}-{suffix}", loc) for suffix in ("self-service", "assume-roles"))
    return found


def _clashes(items: Iterable[tuple[str, Location]]) -> list[tuple[str, Location, str, Location]]:
    seen: dict[str, tuple[str, Location]] = {}
    out = []
    for name, loc in items:
        first = seen.get(name.lower())
        if first is None:
            seen[name.lower()] = (name, loc)
        elif first[1] != loc or first[0] != name:
            out.append((name, loc, first[0], first[1]))
    return out


def check_policy_names(catalog: Catalog) -> list[Diagnostic]:
    diags = []
    for account in catalog.accounts:
        for name, loc, other, other_loc in _clashes(_policy_names(catalog, account.name)):
            same = "is also" if name == other else f"differs only in case from {other!r},"
            diags.append(
                error(
                    "C004",
                    f"IAM policy name {name!r} {same} created in account {account.name!r} "
                    f"by {_where(other_loc)}",
                    loc,
                    "customer managed policy names are unique per account, ignoring case; rename one file "
                    "(rolecat names its own policies <organization>-self-service and -assume-roles)",
                )
            )
    return diags


def _managed_duplicates(catalog: Catalog, role: Role) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    diags = []
    for i, arn in enumerate(role.managed_policy_arns):
        j = seen.setdefault(arn.lower(), i)
        if j != i:
            first = catalog.locate(role.source, ("managed_policies", j))
            diags.append(
                error(
                    "C005",
                    f"AWS managed policy {arn} is attached twice "
                    f"({role.managed_policies[j]!r} at {first} and {role.managed_policies[i]!r})",
                    catalog.locate(role.source, ("managed_policies", i)),
                    "remove one of the two entries",
                )
            )
    return diags


def check_renames(catalog: Catalog) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    users = [*catalog.users, *catalog.released_users]
    current = {u.name.lower(): u.name for u in users}
    former: dict[str, str] = {}
    for u in users:
        for i, old in enumerate(u.renamed_from):
            loc = catalog.locate(catalog.users_file, ("users", u.name, "renamed_from", i))
            if old.lower() in current:
                diags.append(
                    error(
                        "C006",
                        f"user {u.name!r} was renamed from {old!r}, but {current[old.lower()]!r} is a user "
                        f"(at {catalog.locate(catalog.users_file, ('users', current[old.lower()]), key=True)})",
                        loc,
                        "IAM user names are unique ignoring case; a former name cannot be in use",
                    )
                )
            elif old.lower() in former and former[old.lower()] != u.name:
                diags.append(
                    error(
                        "C006",
                        f"{old!r} is a former name of both {former[old.lower()]!r} and {u.name!r}",
                        loc,
                    )
                )
            former.setdefault(old.lower(), u.name)
    roles_by_account: dict[str, dict[str, Role]] = {}
    for r in [*catalog.roles, *catalog.released_roles]:
        for acct in r.accounts:
            roles_by_account.setdefault(acct, {})[r.name.lower()] = r
    for r in catalog.roles:
        for i, old in enumerate(r.renamed_from):
            for acct in r.accounts:
                other = roles_by_account.get(acct, {}).get(old.lower())
                if other is not None:
                    diags.append(
                        error(
                            "C006",
                            f"role {r.name!r} was renamed from {old!r}, but role {other.name!r} exists in "
                            f"account {acct!r} (at {catalog.locate(other.source, ('name',))})",
                            catalog.locate(r.source, ("renamed_from", i)),
                        )
                    )
    accounts = {a.name for a in catalog.accounts}
    for a in catalog.accounts:
        for i, old in enumerate(a.renamed_from):
            if old in accounts:
                diags.append(
                    error(
                        "C006",
                        f"account {a.name!r} was renamed from {old!r}, but {old!r} is an account "
                        f"(at {catalog.locate(catalog.catalog_file, ('accounts', old), key=True)})",
                        catalog.locate(catalog.catalog_file, ("accounts", a.name, "renamed_from", i)),
                    )
                )
    return diags


def check_identity_providers(catalog: Catalog) -> list[Diagnostic]:
    """``C007``: an issuer URL, or a SAML provider name, declared twice (case-insensitively)."""
    diags = []
    seen: dict[str, tuple[str, Location]] = {}
    where = {
        n: catalog.locate(catalog.catalog_file, ("identity_providers", n), key=True)
        for n in catalog.identity_providers
    }
    # in file order: the later entry is the one reported
    for name in sorted(where, key=lambda n: (where[n].line, where[n].col, n)):
        provider = catalog.identity_providers[name]
        if isinstance(provider, SamlProvider):
            first, other = seen.setdefault("saml-provider/" + provider.iam_name.lower(), (name, where[name]))
            if first != name:
                diags.append(
                    error(
                        "C007",
                        f"identity provider {name!r} has the SAML provider name {provider.iam_name} of "
                        f"{first!r} (at {other})",
                        where[name],
                        "IAM names a SAML provider once per account; give each entry its own name (its name: key)",
                    )
                )
            continue
        first, other = seen.setdefault(provider.host.lower(), (name, where[name]))
        if first != name:
            diags.append(
                error(
                    "C007",
                    f"identity provider {name!r} has the issuer {provider.url} of {first!r} (at {other})",
                    where[name],
                    "IAM holds one OIDC provider per issuer URL in an account; keep one entry and list "
                    "every audience there",
                )
            )
    return diags


def check_profile_names(catalog: Catalog) -> list[Diagnostic]:
    """``C088``: two human roles whose AWS CLI profiles (``<account>-<role>``) are one name,
    or a profile named as the source profile (``<organization>-identity``).  Account and
    role names may both hold '-': prod-eu + Viewer and prod + eu-Viewer are both
    prod-eu-Viewer.  A config file with a section twice fails to parse in botocore (every
    profile of the person breaks); other tools let the later one win."""
    from ..workflow.profiles import default_source_profile, profile_name

    diags = []
    source = default_source_profile(catalog)
    seen: dict[str, tuple[Role, str]] = {}
    for role in catalog.roles:
        if not role.is_human:
            continue
        for account in role.accounts:
            name = profile_name(account, role.name)
            if name != source and name not in seen:
                seen[name] = (role, account)
                continue
            # located only for a finding: locating parses the file's positions
            where = catalog.locate(role.source, ("name",))
            said = f"the AWS CLI profile of role {role.name!r} in account {account!r} is {name!r}"
            if name == source:
                diags.append(
                    error(
                        "C088",
                        f"{said}, the profile rolecat profiles uses for the identity account's credentials",
                        where,
                        "rename the role or the account",
                    )
                )
                continue
            other, other_account = seen[name]
            if other.name.lower() == role.name.lower() and other_account == account:
                continue  # one role name twice in one account: C015 says so
            diags.append(
                error(
                    "C088",
                    f"{said}, as is that of role {other.name!r} in account {other_account!r} "
                    f"(at {catalog.locate(other.source, ('name',))})",
                    where,
                    "rename one role (or account): a config file with a profile twice is refused by the AWS CLI",
                )
            )
    return diags


def check_mfa_devices(catalog: Catalog) -> list[Diagnostic]:
    """``C091``: two users whose virtual MFA devices have one name (``User.mfa_device``):
    a renamed user that keeps its former device name, and a new user given that name.  The
    new user cannot enroll (the name is taken), profiles and the self-service policy point
    at the other's device, and the self-service statement on ``mfa/${aws:username}`` lets
    the new user delete it."""
    diags = []
    seen: dict[str, str] = {}
    for u in sorted([*catalog.users, *catalog.released_users], key=lambda u: u.name):
        device = u.mfa_device
        first = seen.setdefault(device.lower(), u.name)
        if first != u.name:
            diags.append(
                error(
                    "C091",
                    f"users {first!r} and {u.name!r} would both use the MFA device mfa/{device}",
                    catalog.locate(catalog.users_file, ("users", u.name), key=True),
                    "virtual MFA device names are one per account: give one of them another mfa_device, "
                    "or rename the new user",
                )
            )
    return diags


def check(catalog: Catalog) -> list[Diagnostic]:
    """Every name-uniqueness check that needs the whole catalog."""
    diags = check_policy_names(catalog) + check_identity_providers(catalog) + check_profile_names(catalog)
    diags += check_mfa_devices(catalog)
    for role in (*catalog.roles, *catalog.released_roles):
        diags.extend(_managed_duplicates(catalog, role))
    diags.extend(check_renames(catalog))
    return diags
