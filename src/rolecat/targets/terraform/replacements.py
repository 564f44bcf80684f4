"""Replacements: catalog changes that make Terraform destroy and re-create, not update.

IAM cannot change some attributes in place; the AWS provider marks them ForceNew:

- a role's ``name`` or ``path``: the new role gets a new RoleId, so open sessions of the
  role end and resource policies elsewhere that name it (bucket and key policies, other
  roles' trust policies) stop matching until they are updated; IAM cannot rename a
  role, so ``renamed_from`` on a role is reported here too;
- a customer managed policy's ``name``, ``path`` or ``description``: a new policy ARN;
  its attachments are replaced with it; a pinned ``path`` or ``description`` under the
  same name cannot be applied at all (the replacement is created first, while the old
  policy holds the name: ``name_kept``, error F003);
- a boundary renamed (its file renamed): roles move to the new boundary policy, which
  is created first (``create_before_destroy``), and the old one is deleted last;
  conditions elsewhere naming the old ARN (``iam:PermissionsBoundary``) stop matching;
- an instance profile's ``name`` or ``path`` (the role's): instances associated with the
  old profile lose the role's credentials;
- an OIDC provider's ``url``: a new provider ARN, which the trust policies of the roles
  trusting it then name;
- a SAML provider's ``name`` (ForceNew): the same, and the IdP must send the new ARN.

``compile`` reports them against the previous ``manifest.json`` in OUT, with two other
changes no single apply makes safely (``label_scheme``, ``ci_role_renames``); the access diff
(``rolecat diff --base``) calls ``between_catalogs`` with the base and head catalogs.
Both compare ``Inventory`` values: the few facts that decide a replacement, keyed by
account id (an account rename is no change) and by IAM name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rolecat.deploy.arns import boundary_policy_name, policy_policy_name
from rolecat.diagnostics import Diagnostic, Location, error, warning
from rolecat.model import Catalog, OidcProvider, SamlProvider

ROLE_COST = (
    "a replaced role gets a new RoleId: its open sessions end, and resource policies elsewhere "
    "that name it (bucket, key and queue policies, other roles' trust policies) stop matching "
    "until they are updated"
)
POLICY_COST = "a replaced policy gets a new ARN; its attachments are replaced with it"
PROFILE_COST = (
    "a replaced instance profile gets a new ARN: running instances associated with the old one "
    "lose the role's credentials until they are associated with the new one"
)
OIDC_COST = (
    "the old provider is deleted and a new one created; the trust policies of the roles that "
    "trust it change to the new ARN, and tokens of the old issuer no longer assume them"
)
SAML_COST = (
    "the old provider is deleted and a new one created under the new name; the trust policies of "
    "the roles that trust it change to the new ARN, and the IdP must send the new provider ARN in "
    "its Role attribute before its users can sign in again"
)
BOUNDARY_COST = (
    "the new boundary policy is created and every role moved onto it before the old one is "
    "deleted; conditions naming the old ARN (iam:PermissionsBoundary) stop matching"
)


@dataclass(frozen=True)
class RoleFacts:
    name: str
    path: str
    boundary: str | None  # catalog name of the boundary
    renamed_from: tuple[str, ...] = ()
    source: str = ""  # role file, relative to the catalog folder
    instance_profile: str | None = None  # its name, for a role EC2 assumes


@dataclass(frozen=True)
class PolicyFacts:
    kind: str  # "policy", "boundary" or "identity"
    name: str  # catalog name ("self-service" for rolecat's own)
    iam_name: str
    path: str
    description: str
    file: str = ""
    label: str = ""  # of its aws_iam_policy ("" where the facts do not say: labels.policy)
    # False: a manifest of a rolecat before pinned labels wrote "/" for a pinned policy's path
    path_known: bool = True


@dataclass(frozen=True)
class AccountFacts:
    name: str
    roles: Mapping[str, RoleFacts] = field(default_factory=dict)  # by lower-case IAM name
    policies: Mapping[tuple[str, str], PolicyFacts] = field(default_factory=dict)  # (kind, name)
    mfa_devices: Mapping[str, str] = field(default_factory=dict)  # user -> MFA device name
    oidc_providers: Mapping[str, str] = field(default_factory=dict)  # catalog name -> issuer url
    catalog_file: str = "catalog.yaml"  # relative to the catalog folder
    saml_providers: Mapping[str, str] = field(default_factory=dict)  # catalog name -> IAM name


Inventory = Mapping[str, AccountFacts]  # by account id


@dataclass(frozen=True)
class Replacement:
    account: str  # account name in the head catalog
    address: str  # Terraform address, e.g. aws_iam_role.ProdEngineer
    kind: str  # "role", "policy", "boundary", "instance_profile", "oidc_provider" or "saml_provider"
    name: str  # IAM name after the change
    reason: str
    cost: str
    file: str = ""  # catalog file to point at, relative to the catalog folder
    # the IAM name changes in case only: AWS refuses the new name while the old exists
    # (names are unique ignoring case), so no single apply can make this change
    case_only: bool = False
    # a policy replaced under the name it has (a pinned path or description changed): the
    # new policy is created before the old one is deleted (create_before_destroy), and IAM
    # refuses a second policy of that name, so no single apply can make this change either
    name_kept: bool = False

    def as_json(self) -> dict[str, str]:
        return {
            "account": self.account,
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "reason": self.reason,
            "cost": self.cost,
        }


# --------------------------------------------------------------------------- inventories


def from_catalog(catalog: Catalog) -> Inventory:
    from rolecat.deploy.deployment import instance_profile_name
    from rolecat.targets.terraform.render import (
        ASSUME_ROLES_DESCRIPTION,
        SELF_SERVICE_DESCRIPTION,
        policy_description,
        policy_label,
    )

    out: dict[str, AccountFacts] = {}
    for acct in catalog.accounts:
        roles = catalog.roles_in(acct.name)
        role_facts = {
            r.name.lower(): RoleFacts(
                r.name,
                r.path,
                r.boundary,
                r.renamed_from,
                _relative(catalog, r.source),
                instance_profile_name(r),
            )
            for r in roles
        }
        pols: dict[tuple[str, str], PolicyFacts] = {}
        for kind, name, a in catalog.rendered:
            if a != acct.name or not any(_uses(r, kind, name) for r in roles):
                continue
            iam = boundary_policy_name(name) if kind == "boundary" else policy_policy_name(name)
            folder = "boundaries" if kind == "boundary" else "policies"
            path, desc = "/", policy_description(kind, name)
            pin = catalog.pinned.get((kind, name))
            if pin is not None:  # adopted: the live name, path and description
                iam, path, desc = pin.name, pin.path, pin.description or ""
            pols[(kind, name)] = PolicyFacts(
                kind, name, iam, path, desc, f"{folder}/{name}.json", policy_label(catalog, kind, name)
            )
        if acct.identity:
            for short, desc in (
                ("self-service", SELF_SERVICE_DESCRIPTION),
                ("assume-roles", ASSUME_ROLES_DESCRIPTION),
            ):
                pols[("identity", short)] = PolicyFacts(
                    "identity", short, f"{catalog.organization}-{short}", "/", desc
                )
        devices = {u.name: u.mfa_device for u in catalog.users} if acct.identity else {}
        used = {f.provider for r in roles for f in r.federated}
        oidc = {
            n: p.url
            for n, p in catalog.identity_providers.items()
            if n in used and isinstance(p, OidcProvider)
        }
        saml = {
            n: p.iam_name
            for n, p in catalog.identity_providers.items()
            if n in used and isinstance(p, SamlProvider)
        }
        out[acct.id] = AccountFacts(
            acct.name, role_facts, pols, devices, oidc, _relative(catalog, catalog.catalog_file), saml
        )
    return out


def _uses(role: Any, kind: str, name: str) -> bool:
    if kind == "policy":
        return name in role.policies
    dele = role.delegated_role_creation
    return bool(role.boundary == name or (dele is not None and dele.boundary == name))


def _relative(catalog: Catalog, source: str) -> str:
    root = catalog.root.rstrip("/")
    if root in ("", "."):
        return source
    return source[len(root) + 1 :] if source.startswith(root + "/") else source


def from_manifest(data: Mapping[str, Any]) -> Inventory:
    """The inventory a previous compile recorded (manifest version 1 or 2)."""
    out: dict[str, AccountFacts] = {}
    version = data.get("manifest_version", 1)
    org = data.get("organization", "")
    for name, acct in data.get("accounts", {}).items():
        roles: dict[str, RoleFacts] = {}
        pols: dict[tuple[str, str], PolicyFacts] = {}
        for rname, r in acct.get("roles", {}).items():
            boundary = r.get("boundary")
            if isinstance(boundary, dict):  # version 1: the policy entry itself
                boundary = boundary.get("name")
            elif boundary is not None:  # version 2: the IAM name, an entry of the account's policies
                boundary = acct.get("policies", {}).get(boundary, {}).get("name", boundary)
            profile = r.get("instance_profile")
            roles[rname.lower()] = RoleFacts(
                rname,
                r["path"],
                boundary,
                tuple(r.get("renamed_from", ())),
                r.get("source", ""),
                profile.get("name") if isinstance(profile, dict) else None,
            )
            if version == 1:
                for p in [*(r.get("policies") or []), *([r["boundary"]] if r.get("boundary") else [])]:
                    kind = "boundary" if p["policy_name"].startswith("boundary-") else "policy"
                    pols[(kind, p["name"])] = PolicyFacts(
                        kind,
                        p["name"],
                        p["policy_name"],
                        "/",
                        _v1_description(kind, p.get("file", "")),
                        p.get("file", ""),
                    )
        if version >= 2:
            for iam_name, p in acct.get("policies", {}).items():
                kind, pname = p["kind"], p["name"]
                # a pinned policy without a description is null here, "" in from_catalog
                desc = p["description"] or ""
                generated = (
                    boundary_policy_name(pname) if kind == "boundary" else policy_policy_name(pname),
                    _v1_description(
                        kind, f"{'boundaries' if kind == 'boundary' else 'policies'}/{pname}.json"
                    ),
                )
                # a pinned policy recorded before pins had labels of their own: its path was "/"
                old_pin = (
                    kind != "identity"
                    and not str(p.get("label", "")).startswith("pinned_")
                    and (iam_name, desc) != generated
                )
                pols[(kind, pname)] = PolicyFacts(
                    kind, pname, iam_name, p["path"], desc, p.get("file") or "", path_known=not old_pin
                )
        elif acct.get("identity"):
            from rolecat.targets.terraform.render import ASSUME_ROLES_DESCRIPTION, SELF_SERVICE_DESCRIPTION

            for short, desc in (
                ("self-service", SELF_SERVICE_DESCRIPTION),
                ("assume-roles", ASSUME_ROLES_DESCRIPTION),
            ):
                pols[("identity", short)] = PolicyFacts("identity", short, f"{org}-{short}", "/", desc)
        devices = {
            u: str(entry.get("mfa_serial", "")).rsplit(":mfa/", 1)[-1]
            for u, entry in acct.get("users", {}).items()
        }
        oidc = {n: str(o.get("url", "")) for n, o in acct.get("oidc_providers", {}).items()}
        saml = {n: str(o.get("name", "")) for n, o in acct.get("saml_providers", {}).items()}
        out[acct["id"]] = AccountFacts(name, roles, pols, devices, oidc, saml_providers=saml)
    return out


def _v1_description(kind: str, file: str) -> str:
    return f"rolecat {'permission boundary' if kind == 'boundary' else 'policy'} from {file}"


# --------------------------------------------------------------------------- comparison


def compare(base: Inventory, head: Inventory) -> list[Replacement]:
    """Every replacement that applying ``head`` over ``base`` makes, sorted."""
    from rolecat.targets.terraform import labels

    found: list[Replacement] = []
    for acct_id, h in head.items():
        b = base.get(acct_id)
        if b is None:
            continue  # a new account: everything is created, nothing replaced
        for key, role in h.roles.items():
            address = f"aws_iam_role.{labels.role(role.name)}"
            before = b.roles.get(key)
            if before is not None and before.path != role.path:
                found.append(
                    Replacement(
                        h.name,
                        address,
                        "role",
                        role.name,
                        f"role {role.name}: path {before.path} -> {role.path}",
                        ROLE_COST,
                        role.source,
                    )
                )
            if before is not None and before.name != role.name:
                found.append(
                    Replacement(
                        h.name,
                        address,
                        "role",
                        role.name,
                        f"role {before.name} -> {role.name}: IAM names differ in case only, and a role cannot be renamed",
                        ROLE_COST,
                        role.source,
                        case_only=True,
                    )
                )
            if before is None:
                old = next((b.roles[o.lower()] for o in role.renamed_from if o.lower() in b.roles), None)
                if old is not None:
                    found.append(
                        Replacement(
                            h.name,
                            address,
                            "role",
                            role.name,
                            f"role {old.name} renamed to {role.name}: IAM cannot rename a role",
                            ROLE_COST,
                            role.source,
                        )
                    )
            found.extend(_profile_replacement(h.name, b, role, before))
            new_b = h.policies.get(("boundary", role.boundary or ""))
            old_b = b.policies.get(("boundary", before.boundary or "")) if before is not None else None
            if (
                before is not None
                and before.boundary
                and role.boundary
                and before.boundary != role.boundary
                and ("boundary", before.boundary) not in h.policies
                and ("boundary", role.boundary) not in b.policies
                # a pinned boundary's file renamed: the same IAM policy, at the same address
                and not (new_b and old_b and new_b.iam_name == old_b.iam_name)
            ):
                found.append(
                    Replacement(
                        h.name,
                        f"aws_iam_policy.{_policy_label(new_b, 'boundary', role.boundary)}",
                        "boundary",
                        new_b.iam_name if new_b else boundary_policy_name(role.boundary),
                        f"role {role.name}: boundary {before.boundary} renamed to {role.boundary}",
                        BOUNDARY_COST,
                        role.source,
                    )
                )
        by_name = {p.iam_name.lower(): p for p in b.policies.values()}
        for pkey, pol in h.policies.items():
            before_p = b.policies.get(pkey)
            was = by_name.get(pol.iam_name.lower()) if before_p is None else None
            if was is not None and was.iam_name != pol.iam_name and (was.kind, was.name) not in h.policies:
                found.append(  # a file renamed in case only: the IAM name changes in case only
                    Replacement(
                        h.name,
                        f"aws_iam_policy.{_policy_label(pol, pol.kind, pol.name)}",
                        "boundary" if pol.kind == "boundary" else "policy",
                        pol.iam_name,
                        f"policy {was.iam_name} -> {pol.iam_name}: IAM names differ in case only",
                        POLICY_COST,
                        pol.file,
                        case_only=True,
                    )
                )
            if before_p is None:
                continue
            changed = [
                f"{attr} {getattr(before_p, f)!r} -> {getattr(pol, f)!r}"
                for attr, f in (("name", "iam_name"), ("path", "path"), ("description", "description"))
                if getattr(before_p, f) != getattr(pol, f) and (f != "path" or before_p.path_known)
            ]
            if changed:
                label = {"self-service": "self_service", "assume-roles": "assume_roles"}.get(pol.name)
                if pol.kind != "identity":
                    label = _policy_label(pol, pol.kind, pol.name)
                found.append(
                    Replacement(
                        h.name,
                        f"aws_iam_policy.{label}",
                        "boundary" if pol.kind == "boundary" else "policy",
                        pol.iam_name,
                        f"policy {pol.iam_name}: " + ", ".join(changed),
                        POLICY_COST,
                        pol.file,
                        name_kept=before_p.iam_name.lower() == pol.iam_name.lower(),
                    )
                )
        for pname, url in h.oidc_providers.items():
            old_url = b.oidc_providers.get(pname)
            if old_url is not None and old_url != url:
                host = url.removeprefix("https://").rstrip("/")
                found.append(
                    Replacement(
                        h.name,
                        f"aws_iam_openid_connect_provider.{labels.oidc_provider(host)}",
                        "oidc_provider",
                        host,
                        f"OIDC provider {pname}: url {old_url} -> {url}",
                        OIDC_COST,
                        h.catalog_file,
                    )
                )
        for pname, iam_name in h.saml_providers.items():
            old_name = b.saml_providers.get(pname)
            if old_name and old_name != iam_name:  # name is ForceNew
                found.append(
                    Replacement(
                        h.name,
                        f"aws_iam_saml_provider.{labels.saml_provider(iam_name)}",
                        "saml_provider",
                        iam_name,
                        f"SAML provider {pname}: name {old_name} -> {iam_name}",
                        SAML_COST,
                        h.catalog_file,
                    )
                )
    return sorted(set(found), key=lambda r: (r.account, r.address, r.reason))


def _profile_replacement(
    account: str, base: AccountFacts, role: RoleFacts, before: RoleFacts | None
) -> list[Replacement]:
    """The role's instance profile, when its name (a renamed role) or path changes."""
    from rolecat.targets.terraform import labels

    if role.instance_profile is None:
        return []
    if before is None:
        before = next((base.roles[o.lower()] for o in role.renamed_from if o.lower() in base.roles), None)
    if before is None or before.instance_profile is None:
        return []
    changed = [
        f"{attr} {old} -> {new}"
        for attr, old, new in (
            ("name", before.instance_profile, role.instance_profile),
            ("path", before.path, role.path),
        )
        if old != new
    ]
    if not changed:
        return []
    return [
        Replacement(
            account,
            f"aws_iam_instance_profile.{labels.instance_profile(role.instance_profile)}",
            "instance_profile",
            role.instance_profile,
            f"instance profile of role {role.name}: " + ", ".join(changed),
            PROFILE_COST,
            role.source,
        )
    ]


def _policy_label(facts: PolicyFacts | None, kind: str, name: str) -> str:
    """The label the facts give, else the one of an unpinned policy file."""
    from rolecat.targets.terraform import labels

    return facts.label if facts is not None and facts.label else labels.policy(kind, name)


def mfa_device_changes(base: Inventory, head: Inventory) -> list[tuple[str, str, str]]:
    """(user, device before, device now) for users whose MFA device name would change.

    A device keeps the name it was enrolled under; dropping ``renamed_from`` from a
    renamed user without setting ``mfa_device`` would point profiles and the
    self-service policy at a device that does not exist.
    """
    out = []
    for acct_id, h in head.items():
        b = base.get(acct_id)
        if b is None:
            continue
        for user, device in sorted(h.mfa_devices.items()):
            old = b.mfa_devices.get(user)
            if old and old != device:
                out.append((user, old, device))
    return out


def between_catalogs(base: Catalog, head: Catalog) -> list[Replacement]:
    """For ``rolecat diff --base``: what applying ``head`` over ``base`` replaces."""
    return compare(from_catalog(base), from_catalog(head))


def diagnostics(
    found: list[Replacement], catalog_root: str, devices: Sequence[tuple[str, str, str]] = ()
) -> list[Diagnostic]:
    """One warning (``F001``) per replacement, at the catalog file that causes it, and one
    (``F002``) per user whose MFA device name would change."""
    root = catalog_root.rstrip("/")
    users = f"{root}/users.yaml" if root not in ("", ".") else "users.yaml"
    out = [
        warning(
            "F002",
            f"user {user!r}: MFA device changes from mfa/{old} to mfa/{new}, which the user may not have",
            Location(users),
            f"keep renamed_from, or set mfa_device: {old} on the user (a device keeps the name it was enrolled under)",
        )
        for user, old, new in devices
    ]
    for r in found:
        path = f"{root}/{r.file}" if r.file and root not in ("", ".") else (r.file or root)
        if r.case_only:
            out.append(
                error(
                    "F003",
                    f"{r.account}: {r.address} cannot be applied ({r.reason}): IAM names are unique "
                    "ignoring case, so AWS refuses the new name while the old one exists",
                    Location(path),
                    "rename in two pull requests: first to another name (apply it), then to this one",
                )
            )
            continue
        if r.name_kept:
            out.append(
                error(
                    "F003",
                    f"{r.account}: {r.address} cannot be applied ({r.reason}): IAM cannot change a "
                    "policy's path or description, and its replacement is created before the old "
                    "policy is deleted, which IAM refuses while the name is taken",
                    Location(path),
                    "in two pull requests: first pin another name (apply it), then this name "
                    "with the new path or description",
                )
            )
            continue
        out.append(
            warning(
                "F001",
                f"{r.account}: {r.address} will be replaced ({r.reason})",
                Location(path),
                r.cost,
            )
        )
    return out


# ---------------------------------------------------------------------- against OUT only


def ci_role_renames(catalog: Catalog, previous: Any) -> list[Diagnostic]:
    """``F006`` when the CI roles of ``deploy_roles`` (roles with a ``ci_policy`` in OUT's
    manifest) get other names: each account's providers assume the new names at once, and
    those roles exist only once an apply made with the old ones creates them."""
    accounts = previous.get("accounts") if isinstance(previous, dict) else None
    if not isinstance(accounts, dict):
        return []
    before = sorted(
        {
            name
            for entry in accounts.values()
            if isinstance(entry, dict) and isinstance(entry.get("roles"), dict)
            for name, role in entry["roles"].items()
            if isinstance(role, dict) and role.get("ci_policy")
        }
    )
    ci = catalog.deploy_roles
    now = sorted({ci.plan.name, ci.deploy.name}) if ci is not None else []
    if not before or not now or before == now:
        return []
    return [
        warning(
            "F006",
            f"deploy_roles: the CI roles {', '.join(before)} become {', '.join(now)}; each account's providers "
            "assume the new names from this compile on, and they exist only once an apply creates them",
            Location(catalog.catalog_file),
            "apply this change with administrator credentials (rolecat plan --bootstrap, then rolecat apply, "
            "account by account: docs/deploy-roles.md), then set ROLECAT_PLAN_ROLE_ARN and "
            "ROLECAT_DEPLOY_ROLE_ARN to the new roles",
        )
    ]


def label_scheme(catalog: Catalog, previous: Any) -> list[Diagnostic]:
    """``F004`` when OUT was last compiled by a rolecat before stable labels (its state is
    under the earlier labels) and ``terraform.legacy_labels`` is off: every user and role
    whose label changed would be destroyed and created.  ``F005`` when it is on over an
    OUT compiled with stable labels: once that compile is applied it must go."""
    version = previous.get("manifest_version") if isinstance(previous, dict) else None
    where = Location(catalog.catalog_file)
    if version == 1 and not catalog.terraform.legacy_labels:
        return [
            error(
                "F004",
                "OUT was last compiled by a rolecat before stable labels (manifest_version 1): its "
                "Terraform state is under the earlier labels, and without moves from them every user and "
                "role whose label changed would be destroyed and created",
                where,
                "set terraform: {legacy_labels: true} in catalog.yaml for this compile and its apply, "
                "then remove it",
            )
        ]
    if version != 1 and catalog.terraform.legacy_labels:
        return [
            warning(
                "F005",
                "terraform.legacy_labels is on, and OUT was compiled with stable labels already",
                where,
                "remove it once the compile that moved the state to the stable labels is applied: while on, "
                "a newcomer whose name differs from a leaver's only by punctuation could be given the "
                "leaver's IAM user",
            )
        ]
    return []
