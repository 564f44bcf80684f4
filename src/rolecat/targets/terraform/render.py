"""Render stage: ``Catalog`` -> Terraform files, as text, writing nothing.

Python prepares plain view objects (labels, names, documents) in sorted order; the
Jinja templates under ``templates/`` (package ``rolecat.templates``) lay them out, hclfmt's
alignment included (see ``environment``); the result is byte-identical to what ``hclfmt``
prints.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from rolecat.deploy.deployment import AccountDeployment, Deployment, build_deployment, instance_profile_name
from rolecat.model import Account, Catalog, IdentityProvider, PasswordPolicy, Role, SamlProvider
from rolecat.packagedata import package_folder
from rolecat.targets.terraform import hcl, labels
from rolecat.targets.terraform.migrations import Chains, Move, Removal

# Characters AWS accepts in tag values; a file name may hold others.
_TAG_BAD = re.compile(r"[^\w .:/=+@-]")


@dataclass(frozen=True)
class RenderedFile:
    """One generated file.  Held as the UTF-8 bytes that are written: a compile keeps every
    file until the write stage, and one copy of the output is enough (90 MB at 10,000 roles)."""

    path: str  # relative to OUT, with forward slashes
    data: bytes  # UTF-8

    @classmethod
    def of(cls, path: str, text: str) -> RenderedFile:
        return cls(path, text.encode("utf-8"))

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @property
    def size(self) -> int:
        return len(self.data)

    @functools.cached_property
    def digest(self) -> bytes:
        """SHA-256 of the bytes."""
        return hashlib.sha256(self.data).digest()

    def same(self, data: bytes) -> bool:
        """Whether ``data`` are this file's bytes."""
        return data == self.data


@dataclass(frozen=True, slots=True)
class Layout:
    """A policy document (or a role's tags) in a view; the ``jsonencode`` (``hcl``) filter lays
    it out once per renderer, however many accounts' views hold the same object."""

    document: Mapping[str, Any]
    renderer: TerraformRenderer = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PolicyView:
    label: str
    name: str  # IAM policy name
    kind: str
    source: str  # catalog name
    file: str  # path relative to the catalog root
    description: str | None
    document: Layout
    moves: tuple[Move, ...] = ()
    path: str = "/"


@dataclass(frozen=True, slots=True)
class AttachmentView:
    label: str
    policy_arn_expr: str  # an HCL expression
    policy_arn: str  # the ARN it evaluates to


@dataclass(frozen=True)
class InstanceProfileView:
    """The instance profile EC2 needs to pass a role to an instance (a role EC2 assumes)."""

    label: str
    name: str  # IAM name: the role's


@dataclass(frozen=True)
class OidcProviderView:
    """An OIDC identity provider in one account, in its own file."""

    label: str
    name: str  # catalog name (identity_providers key)
    url: str
    host: str  # the ARN suffix: issuer host and path
    arn: str
    audiences: tuple[str, ...]
    thumbprints: tuple[str, ...]  # lower case
    file: str


@dataclass(frozen=True)
class SamlProviderView:
    """A SAML identity provider in one account, in its own file."""

    label: str
    name: str  # catalog name (identity_providers key)
    iam_name: str  # the ARN suffix (saml-provider/<iam_name>)
    arn: str
    metadata: str  # the IdP's metadata XML, as read
    metadata_file: str  # relative to the catalog folder
    file: str


@dataclass(frozen=True, slots=True)
class RoleView:
    role: Role
    label: str
    arn: str
    trust: Layout
    boundary: PolicyView | None
    policies: tuple[PolicyView, ...]
    attachments: tuple[AttachmentView, ...]
    delegated: Layout | None  # the inline rolecat-delegated-role-creation policy
    tags: Mapping[str, str]
    revoke: Layout | None = None  # revoke_sessions: the deny on older sessions
    moves: tuple[Move, ...] = ()
    file: str = ""
    managed_policy_arns: tuple[str, ...] = ()  # in the account's partition
    instance_profile: InstanceProfileView | None = None
    depends_on: tuple[str, ...] = ()  # addresses: the identity providers its trust names
    # deploy_roles: the CI plan or deploy role's inline rolecat-ci-<mode> policy (deploy.tf)
    ci_policy: Layout | None = None
    # ``tags`` for the ``hcl`` filter: laid out once per role, not once per account
    tag_layout: Layout | None = None


@dataclass(frozen=True)
class AccountView:
    account: Account
    roles: tuple[RoleView, ...]
    policies: tuple[PolicyView, ...]  # boundaries first, then customer policies
    users: tuple[Mapping[str, Any], ...] = ()
    identity_policies: tuple[PolicyView, ...] = ()
    group: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    released: tuple[Removal, ...] = ()
    password_policy: PasswordPolicy | None = None  # the identity account's
    oidc_providers: tuple[OidcProviderView, ...] = ()
    saml_providers: tuple[SamlProviderView, ...] = ()
    password_policy_label: str = labels.PASSWORD_POLICY
    ci_roles: tuple[RoleView, ...] = ()  # deploy_roles: the CI's plan and deploy roles (deploy.tf)


class RoleFile(NamedTuple):
    """All that ``role.tf.j2`` reads of a role's view.  The template is rendered with this
    alone (a name it reads from anywhere else is an error: ``StrictUndefined``), so a role's
    file is a function of it, and a role whose accounts give equal ones, as a job
    function's role usually does, is rendered once (``TerraformRenderer.role_file``)."""

    role: Role
    label: str
    trust: Layout
    boundary_label: str | None
    tag_layout: Layout | None
    depends_on: tuple[str, ...]
    attachments: tuple[tuple[str, str], ...]  # (label, policy ARN as an HCL expression)
    instance_profile: InstanceProfileView | None
    delegated: Layout | None
    revoke: Layout | None
    moves: tuple[Move, ...]


class RoleParts(NamedTuple):
    """What a role's views share in every account it is in (``TerraformRenderer.role_parts``)."""

    role: Role
    label: str
    source: str  # relative_source of the role's file
    tags: Mapping[str, str]  # sorted, rolecat:source included
    tag_layout: Layout
    depends_on: tuple[str, ...]  # addresses: the identity providers its trust names
    declared: tuple[tuple[str, str], ...]  # role_declared


_label_of = operator.attrgetter("label")
_path_of = operator.attrgetter("path")


def relative_source(catalog: Catalog, source: str) -> str:
    """A display path relative to the catalog root."""
    root = catalog.root.rstrip("/")
    if root in ("", "."):
        return source
    return source[len(root) + 1 :] if source.startswith(root + "/") else source


def account_view(renderer: TerraformRenderer, deployed: AccountDeployment) -> AccountView:
    """The Terraform view of one account's deployment: labels, moves and descriptions added.

    Labels are a pure function of each entity (``labels.py``); ``moved`` blocks bring
    state kept under the earlier scheme's labels, or under a renamed user's former
    label, to them (``migrations.py``).
    """
    catalog, account = renderer.catalog, deployed.account

    layout = renderer.layout
    roles = tuple(dr.role for dr in deployed.roles.values())
    names = {k: [p.name for p in deployed.policies if p.kind == k] for k in ("boundary", "policy")}
    # moves from the earlier scheme's labels only while a catalog upgrades (terraform.legacy_labels):
    # a legacy label is often another name's label now (gina.x's was gina_x), so once gina_x
    # leaves, a move from it would hand gina_x's IAM user to a newcomer gina.x
    upgrade = catalog.terraform.legacy_labels
    legacy = {
        "boundary": labels.legacy_labels(names["boundary"], labels.BOUNDARY_PREFIX) if upgrade else {},
        "policy": labels.legacy_labels(names["policy"], labels.POLICY_PREFIX) if upgrade else {},
    }
    hosts = [d.provider.host for d in deployed.oidc_providers]
    saml_names = [d.provider.iam_name for d in deployed.saml_providers]
    chains = Chains(
        _declared(renderer, account, roles, names["boundary"], names["policy"], hosts, saml_names)
    )
    views: dict[tuple[str, str], PolicyView] = {}
    for dp in deployed.policies:
        if dp.document is None:
            raise ValueError(
                f"{dp.kind} {dp.name!r} has no document in {account.name}; render needs a valid catalog"
            )
        file = relative_source(catalog, dp.source)
        lbl = policy_label(catalog, dp.kind, dp.name)
        desc: str | None = policy_description(dp.kind, dp.name)
        pin = catalog.pinned.get((dp.kind, dp.name))
        if pin is not None:
            desc = pin.description  # adopted: the live description (ForceNew in the provider)
        sources = [legacy[dp.kind][dp.name]] if upgrade else []
        if pin is not None:  # state kept under the file's label before pins labelled by IAM name
            sources.append(labels.policy(dp.kind, dp.name))
        views[(dp.kind, dp.name)] = PolicyView(
            lbl,
            dp.iam_name,
            dp.kind,
            dp.name,
            file,
            desc,
            layout(dp.document),
            moves=chains.chain("aws_iam_policy", sources, lbl) if sources else (),
            path=dp.path,
        )

    role_legacy = labels.legacy_labels(deployed.roles) if upgrade else {}
    policy_views = {name: pv for (kind, name), pv in views.items() if kind == "policy"}
    legacy_policy = legacy["policy"]
    role_views = []
    # A chain from a source equal to its target is empty (Chains.chain skips such a source
    # without recording it), so the common case, where the earlier scheme gave the same
    # label, costs no call.
    for dr in deployed.roles.values():
        role = dr.role
        parts = renderer.role_parts(role)
        lbl = parts.label
        old = role_legacy.get(role.name, lbl)
        moves = list(chains.chain("aws_iam_role", [old], lbl)) if old != lbl else []
        attachments = []
        pvs = tuple(policy_views[p.name] for p in dr.policies)
        for p, pv in zip(dr.policies, pvs, strict=True):
            a_lbl = labels.attachment(role.name, pv.label)
            sources = [f"{old}__{legacy_policy[p.name]}"] if upgrade else []
            if ("policy", p.name) in catalog.pinned:
                sources.append(labels.attachment(role.name, labels.policy("policy", p.name)))
            if sources and sources != [a_lbl]:
                moves.extend(chains.chain(ATTACHMENT, sources, a_lbl))
            attachments.append(AttachmentView(a_lbl, f"aws_iam_policy.{pv.label}.arn", p.arn))
        for arn in dr.managed_policy_arns:
            a_lbl = labels.attachment(role.name, labels.managed_ref(arn))
            if upgrade:
                tail = arn.split(":policy/", 1)[1]
                moves.extend(chains.chain(ATTACHMENT, [f"{old}__aws_{labels.legacy_label(tail)}"], a_lbl))
            attachments.append(AttachmentView(a_lbl, hcl.quote(arn), arn))
        if upgrade and role.delegated_role_creation is not None and dr.inline is not None:
            moves.extend(
                chains.chain(
                    "aws_iam_role_policy", [f"{old}__delegated_role_creation"], labels.delegated(role.name)
                )
            )
        profile = None
        if dr.instance_profile is not None:
            profile = InstanceProfileView(labels.instance_profile(dr.instance_profile), dr.instance_profile)
        if dr.trust is None:
            raise ValueError(f"role {role.name!r} has no trust policy; render needs a valid catalog")
        if len(attachments) > 1:
            attachments.sort(key=_label_of)
        role_views.append(
            RoleView(
                role=role,
                label=lbl,
                arn=dr.arn,
                trust=layout(dr.trust),
                boundary=views[("boundary", dr.boundary.name)] if dr.boundary else None,
                policies=pvs,
                attachments=tuple(attachments),
                delegated=layout(dr.inline) if dr.inline is not None else None,
                tags=parts.tags,
                revoke=layout(dr.revoke) if dr.revoke is not None else None,
                moves=tuple(moves),
                file=role_file(account.name, role.name),
                managed_policy_arns=dr.managed_policy_arns,
                instance_profile=profile,
                depends_on=parts.depends_on,
                tag_layout=parts.tag_layout,
            )
        )
    ci = catalog.deploy_roles
    ci_views = tuple(
        # a CI role's inline document is its rolecat-ci-<mode> policy, not delegated role creation
        replace(rv, file=f"{account.name}/{DEPLOY_FILE}", delegated=None, ci_policy=rv.delegated)
        for rv in role_views
        if ci is not None and ci.mode_of(rv.role, catalog.catalog_file) is not None
    )
    ci_labels = {rv.label for rv in ci_views}
    role_views = [rv for rv in role_views if rv.label not in ci_labels]
    ordered = tuple(views[(p.kind, p.name)] for p in deployed.policies)
    oidc = tuple(
        OidcProviderView(
            labels.oidc_provider(d.provider.host),
            d.name,
            d.provider.url,
            d.provider.host,
            d.arn,
            tuple(d.provider.audiences),
            tuple(t.lower() for t in d.provider.thumbprints),
            oidc_provider_file(account.name, d.name),
        )
        for d in deployed.oidc_providers
    )
    saml = tuple(
        SamlProviderView(
            labels.saml_provider(d.provider.iam_name),
            d.name,
            d.provider.iam_name,
            d.arn,
            d.provider.metadata,
            d.provider.metadata_file,
            saml_provider_file(account.name, d.name),
        )
        for d in deployed.saml_providers
    )
    # a removed block may not name an address the configuration declares
    released = tuple(
        x
        for x in _released(catalog, account, names["boundary"], names["policy"], hosts, saml_names)
        if (x.type, x.label) not in chains.declared
    )
    if not deployed.groups:
        return AccountView(
            account,
            tuple(role_views),
            ordered,
            released=released,
            oidc_providers=oidc,
            saml_providers=saml,
            ci_roles=ci_views,
        )
    by_name = {u.name: u for u in catalog.users}
    user_legacy = labels.legacy_labels(u.name for u in deployed.users) if upgrade else {}
    formers = {
        u.name: [
            a
            for o in (by_name[u.name].renamed_from if u.name in by_name else ())
            for a in ((labels.legacy_label(o), labels.user(o)) if upgrade else (labels.user(o),))
        ]
        for u in deployed.users
    }
    # a renamed user's former labels are theirs: no other user's legacy label takes one first
    for kind in ("aws_iam_user", "aws_iam_user_group_membership"):
        chains.reserve(kind, {a for sources in formers.values() for a in sources})
    users = []
    for u in deployed.users:
        lbl = labels.user(u.name)
        sources = formers[u.name]
        if upgrade:
            sources = [*sources, user_legacy[u.name]]
        users.append(
            {
                "label": lbl,
                "name": u.name,
                "tags": u.tags,
                "moves": chains.chain("aws_iam_user", sources, lbl, own=formers[u.name]),
                "membership_moves": chains.chain(
                    "aws_iam_user_group_membership", sources, lbl, own=formers[u.name]
                ),
            }
        )
    (group,) = deployed.groups
    descriptions = {
        "self-service": ("self_service", SELF_SERVICE_DESCRIPTION),
        "assume-roles": ("assume_roles", ASSUME_ROLES_DESCRIPTION),
    }
    identity_policies = tuple(
        PolicyView(
            descriptions[gp.key][0],
            gp.iam_name,
            "identity",
            gp.key,
            "",
            descriptions[gp.key][1],
            layout(gp.document),
        )
        for gp in group.policies
    )
    return AccountView(
        account,
        tuple(role_views),
        ordered,
        users=tuple(users),
        identity_policies=identity_policies,
        group=group.name,
        released=released,
        password_policy=deployed.password_policy,
        oidc_providers=oidc,
        saml_providers=saml,
        ci_roles=ci_views,
    )


# From this many role views on, ``TerraformRenderer.render`` shares the roles' files with a child.
PARALLEL_RENDER = 200
ATTACHMENT = "aws_iam_role_policy_attachment"
INSTANCE_PROFILE = "aws_iam_instance_profile"
OIDC_PROVIDER = "aws_iam_openid_connect_provider"
SAML_PROVIDER = "aws_iam_saml_provider"
PASSWORD_POLICY = "aws_iam_account_password_policy"
# Texts in ForceNew attributes: changing one replaces the policy in every account.
# tests/identity/test_frozen_texts.py fails if they change.
SELF_SERVICE_DESCRIPTION = "rolecat: users manage their own password, access keys and MFA device"
ASSUME_ROLES_DESCRIPTION = "rolecat: assume human roles with MFA; each role's trust policy decides who"


def policy_label(catalog: Catalog, kind: str, name: str) -> str:
    """The label of the customer managed policy made from a policy or boundary file: by its
    pinned IAM name when ``pinned_policies`` pins one (``labels.policy``)."""
    pin = catalog.pinned.get((kind, name))
    return labels.policy(kind, name, pin.name if pin is not None else None)


def policy_description(kind: str, name: str) -> str:
    """The ``description`` of a catalog policy (ForceNew: frozen, see above)."""
    if kind == "boundary":
        return f"rolecat permission boundary from boundaries/{name}.json"
    return f"rolecat policy from policies/{name}.json"


def role_file(account: str, role: str) -> str:
    """The file holding a role's Terraform: one per role, so CODEOWNERS can route it."""
    return f"{account}/role.{role}.tf"


def policy_file(account: str, kind: str, name: str) -> str:
    return f"{account}/{kind}.{name}.tf"


def oidc_provider_file(account: str, name: str) -> str:
    """The file of an OIDC provider, by its catalog name (``identity_providers`` key)."""
    return f"{account}/oidc.{name}.tf"


def saml_provider_file(account: str, name: str) -> str:
    """The file of a SAML provider, by its catalog name (``identity_providers`` key)."""
    return f"{account}/saml.{name}.tf"


def provider_resource(provider: IdentityProvider) -> tuple[str, str]:
    """(resource type, label) of an identity provider; its label is IAM's name for it."""
    if isinstance(provider, SamlProvider):
        return SAML_PROVIDER, labels.saml_provider(provider.iam_name)
    return OIDC_PROVIDER, labels.oidc_provider(provider.host)


def provider_address(provider: IdentityProvider) -> str:
    """The Terraform address of an identity provider."""
    kind, label = provider_resource(provider)
    return f"{kind}.{label}"


def _provider_resources(oidc_hosts: Iterable[str], saml_names: Iterable[str]) -> set[tuple[str, str]]:
    """(resource type, label) of the identity providers an account declares."""
    out = {(OIDC_PROVIDER, labels.oidc_provider(h)) for h in oidc_hosts}
    return out | {(SAML_PROVIDER, labels.saml_provider(n)) for n in saml_names}


PASSWORD_POLICY_FILE = "password_policy.tf"
DEPLOY_FILE = "deploy.tf"  # the CI's plan and deploy roles (catalog.yaml deploy_roles)


def _declared(
    renderer: TerraformRenderer,
    account: Account,
    roles: Iterable[Role],
    boundaries: Iterable[str],
    pols: Iterable[str],
    oidc_hosts: Iterable[str],
    saml_names: Iterable[str],
) -> set[tuple[str, str]]:
    """Every (resource type, label) the account's configuration declares; a role's part
    comes from ``renderer``'s cache (a role is in several accounts)."""
    catalog = renderer.catalog
    out = {("aws_iam_policy", policy_label(catalog, "boundary", n)) for n in boundaries}
    out |= {("aws_iam_policy", policy_label(catalog, "policy", n)) for n in pols}
    out |= _provider_resources(oidc_hosts, saml_names)
    for r in roles:
        out.update(renderer.role_parts(r).declared)
    if account.identity:
        out |= {("aws_iam_user", labels.user(u.name)) for u in catalog.users}
        out |= {("aws_iam_user_group_membership", labels.user(u.name)) for u in catalog.users}
        out |= {("aws_iam_policy", "self_service"), ("aws_iam_policy", "assume_roles")}
        out.add((PASSWORD_POLICY, labels.PASSWORD_POLICY))
    return out


def role_declared(catalog: Catalog, r: Role) -> tuple[tuple[str, str], ...]:
    """Every (resource type, label) a role declares in each of its accounts."""
    out = [("aws_iam_role", labels.role(r.name))]
    if instance_profile_name(r) is not None:
        out.append((INSTANCE_PROFILE, labels.instance_profile(r.name)))
    for p in r.policies:
        out.append((ATTACHMENT, labels.attachment(r.name, policy_label(catalog, "policy", p))))
    for arn in r.managed_policy_arns:
        out.append((ATTACHMENT, labels.attachment(r.name, labels.managed_ref(arn))))
    if r.delegated_role_creation is not None:
        out.append(("aws_iam_role_policy", labels.delegated(r.name)))
    return tuple(out)


def _released(
    catalog: Catalog,
    account: Account,
    boundaries: Iterable[str],
    pols: Iterable[str],
    oidc_hosts: Iterable[str] = (),
    saml_names: Iterable[str] = (),
) -> tuple[Removal, ...]:
    """``removed`` blocks (destroy = false) for what leaves management in this account:
    released roles with their attachments and instance profiles, and the policies, boundaries
    and identity providers only released roles used (a released role keeps trusting them).
    The earlier scheme's labels too only while upgrading (``terraform.legacy_labels``): such
    a label may be another entity's address, which a removed block would forget."""
    legacy = catalog.terraform.legacy_labels
    out: list[Removal] = []

    def policy_labels(kind: str, name: str) -> set[str]:
        # a pinned policy's state may still be under its file's label (before pins were
        # labelled by IAM name): both are forgotten, neither destroyed
        return {policy_label(catalog, kind, name), labels.policy(kind, name)}

    kept = _provider_resources(oidc_hosts, saml_names)
    kept_b, kept_p = set(boundaries), set(pols)
    gone_b: set[str] = set()
    gone_p: set[str] = set()
    for r in catalog.released_roles:
        if account.name not in r.accounts:
            continue
        for name in {labels.role(r.name), *((labels.legacy_label(r.name),) if legacy else ())}:
            out.append(Removal("aws_iam_role", name))
        if instance_profile_name(r) is not None:  # the profile stays with the role
            out.append(Removal(INSTANCE_PROFILE, labels.instance_profile(r.name)))
        for f in r.federated:
            provider = r.federated_providers.get(f.provider)
            if provider is not None and provider_resource(provider) not in kept:
                out.append(Removal(*provider_resource(provider)))
        for p in r.policies:
            out.extend(Removal(ATTACHMENT, labels.attachment(r.name, x)) for x in policy_labels("policy", p))
            if p not in kept_p:
                gone_p.add(p)
        for arn in r.managed_policy_arns:
            out.append(Removal(ATTACHMENT, labels.attachment(r.name, labels.managed_ref(arn))))
        if r.delegated_role_creation is not None:
            out.append(Removal("aws_iam_role_policy", labels.delegated(r.name)))
            if r.delegated_role_creation.boundary not in kept_b:
                gone_b.add(r.delegated_role_creation.boundary)
        if r.boundary and r.boundary not in kept_b:
            gone_b.add(r.boundary)
    out.extend(Removal("aws_iam_policy", x) for n in gone_b for x in policy_labels("boundary", n))
    out.extend(Removal("aws_iam_policy", x) for n in gone_p for x in policy_labels("policy", n))
    if account.identity:
        for u in catalog.released_users:
            for name in {labels.user(u.name), *((labels.legacy_label(u.name),) if legacy else ())}:
                out.append(Removal("aws_iam_user", name))
    return tuple(sorted(set(out), key=lambda r: (r.type, r.label)))


# --------------------------------------------------------------------------- Jinja


# Not a template: the comment at the top of every generated file, a global of the templates.
HEADER_TEXT = "_header.j2"


def _load_template(name: str) -> str:
    return (package_folder("rolecat.templates") / name).read_text("utf-8")


def _value(v: Any, level: int = 0) -> str:
    if isinstance(v, Layout):
        return v.renderer.value(v.document, level)
    return hcl.value(v, level)


def _jsonencode(doc: Layout | Mapping[str, Any], level: int = 0) -> str:
    if isinstance(doc, Layout):
        return doc.renderer.jsonencode(doc.document, level)
    return hcl.jsonencode(doc, level)


@functools.cache
def environment() -> Any:
    """The Jinja environment (stateless: per-run state lives in the ``TerraformRenderer``).

    The templates print hclfmt's layout themselves: attributes whose run is fixed are
    aligned in the template text, a run whose members depend on the data is wrapped in
    ``{% filter aligned %}`` (``hcl.align`` over those few lines), and laid-out values
    (``hcl``, ``jsonencode``) come aligned from ``hcl``.  Nothing passes over a whole
    file a second time.  A template must therefore print exactly hclfmt's text: no trailing
    spaces, one blank line between blocks, none at the end; the goldens are checked with
    ``hclfmt`` (tests/test_golden.py), and so are the hostile catalogs' outputs.

    Each template's code is imported as compiled ahead of time when it was compiled from
    this text by this Jinja with these settings (``targets/terraform/precompiled``), else
    compiled from the text.
    """
    from collections.abc import MutableMapping

    from jinja2 import BaseLoader, Environment, StrictUndefined, Template

    from rolecat.targets.terraform import precompiled

    class _Loader(BaseLoader):
        def get_source(
            self, environment: Environment, name: str
        ) -> tuple[str, str | None, Callable[[], bool]]:
            return _load_template(name), None, lambda: True

        def load(
            self, environment: Environment, name: str, globals: MutableMapping[str, Any] | None = None
        ) -> Template:
            source = _load_template(name)
            made = precompiled.load(environment, name, source)
            if made is not None:
                return environment.template_class.from_module_dict(environment, made, globals or {})
            code = environment.compile(source, name)  # what BaseLoader.load does, the text read once
            return environment.template_class.from_code(environment, code, globals or {})

    class _Environment(Environment):
        def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
            """A template's globals as a plain dict, not Jinja's ChainMap over the
            environment's: Jinja iterates them for every render (new context, macro
            imports), and a ChainMap makes that the dearest step of a small template.
            Jinja asks not to change globals once a template is loaded; ours are set
            here, before any is."""
            return {**self.globals, **(d or {})}

    env = _Environment(
        loader=_Loader(),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are package data: load each once
    )
    env.filters["q"] = hcl.quote
    env.filters["hcl"] = _value
    env.filters["jsonencode"] = _jsonencode
    env.filters["strlist"] = hcl.string_list
    env.filters["label"] = hcl.label
    env.filters["aligned"] = hcl.align
    env.globals["header"] = _load_template(HEADER_TEXT).rstrip("\n")
    return env


class TerraformRenderer:
    """One render of one catalog.  Owns its caches; nothing outlives the object.

    Policy documents are the bulk of the output; the same document object (a trust
    policy shared by a role's accounts, a policy file without placeholders) is laid out
    once per renderer, already aligned, and goes into the templates' output as it is.
    """

    def __init__(self, catalog: Catalog, deployment: Deployment) -> None:
        self.catalog = catalog
        self.deployment = deployment
        self._layouts: dict[tuple[int, int], tuple[Mapping[str, Any], str]] = {}
        self._values: dict[tuple[int, int], tuple[Mapping[str, Any], str]] = {}
        self._roles: dict[int, RoleParts] = {}
        self._wrapped: dict[int, Layout] = {}
        self._role_files: dict[int, tuple[RoleFile, bytes]] = {}

    def layout(self, doc: Mapping[str, Any]) -> Layout:
        """``doc`` wrapped for the templates; one wrapper per document object (a trust policy
        is the same object in each of the role's accounts)."""
        hit = self._wrapped.get(id(doc))
        if hit is None or hit.document is not doc:
            hit = self._wrapped[id(doc)] = Layout(doc, self)
        return hit

    def role_parts(self, role: Role) -> RoleParts:
        """The parts of a role's view that are the same in each of its accounts, built once."""
        hit = self._roles.get(id(role))
        if hit is not None and hit.role is role:
            return hit
        source = relative_source(self.catalog, role.source)
        tags = {**role.tags, "rolecat:source": _TAG_BAD.sub("_", source)[:256]}
        tags = dict(sorted(tags.items()))
        depends_on = tuple(
            sorted(
                provider_address(role.federated_providers[f.provider])
                for f in role.federated
                if f.provider in role.federated_providers
            )
        )
        hit = self._roles[id(role)] = RoleParts(
            role,
            labels.role(role.name),
            source,
            tags,
            Layout(tags, self),
            depends_on,
            role_declared(self.catalog, role),
        )
        return hit

    def role_file(self, rv: RoleView, template: Any) -> bytes:
        """The text of ``rv``'s file (``template``: role.tf.j2), rendered again only when
        what the template reads differs from the role's last account."""
        key = RoleFile(
            rv.role,
            rv.label,
            rv.trust,
            rv.boundary.label if rv.boundary else None,
            rv.tag_layout,
            rv.depends_on,
            tuple((a.label, a.policy_arn_expr) for a in rv.attachments),
            rv.instance_profile,
            rv.delegated,
            rv.revoke,
            rv.moves,
        )
        hit = self._role_files.get(id(rv.role))
        if hit is None or hit[0] != key:
            hit = self._role_files[id(rv.role)] = (key, template.render(rv=key).encode("utf-8"))
        return hit[1]

    def value(self, v: Mapping[str, Any], level: int = 0) -> str:
        """``hcl.value`` of an object a view holds, laid out once per renderer."""
        return _laid_out(self._values, hcl.value, v, level)

    def jsonencode(self, doc: Mapping[str, Any], level: int = 0) -> str:
        """``hcl.jsonencode`` of a document a view holds, laid out once per renderer."""
        return _laid_out(self._layouts, hcl.jsonencode, doc, level)

    def render_account(self, view: AccountView) -> list[RenderedFile]:
        """An account's root module: one file per role and per policy, so that two pull
        requests changing different roles never touch the same generated file, and
        CODEOWNERS can route each file to the owners of what it holds."""
        roles = [RenderedFile(path, text) for path, text in self.role_files([view.roles])]
        return self._account_files(view, roles)

    def role_files(self, groups: Sequence[Sequence[RoleView]]) -> list[tuple[str, bytes]]:
        """(path, text) of the role files of ``groups`` (each: one role's views, in all its
        accounts, so that the role's file is rendered once where they read the same)."""
        role_tf = environment().get_template("role.tf.j2")
        return [(rv.file, self.role_file(rv, role_tf)) for views in groups for rv in views]

    def _account_files(self, view: AccountView, roles: list[RenderedFile]) -> list[RenderedFile]:
        """The account's files: ``roles`` (its role files, rendered) and all the others."""
        catalog, account = self.catalog, view.account
        env = environment()
        ctx: dict[str, Any] = {
            "catalog": catalog,
            "account": account,
            "view": view,
            "terraform": catalog.terraform,
            "partition": account.partition,
        }

        def one(path: str, template: str, **extra: Any) -> RenderedFile:
            return RenderedFile.of(path, env.get_template(template).render({**ctx, **extra}))

        out = [
            one(f"{account.name}/versions.tf", "versions.tf.j2"),
            one(f"{account.name}/providers.tf", "providers.tf.j2"),
        ]
        if catalog.terraform.backend is not None:
            out.append(one(f"{account.name}/backend.tf", "backend.tf.j2"))
        # one template for many files: looked up once (each render copies the variables)
        policy_tf = env.get_template("policy.tf.j2")
        for p in view.policies:
            out.append(
                RenderedFile.of(policy_file(account.name, p.kind, p.source), policy_tf.render(ctx, p=p))
            )
        out.extend(roles)
        for o in view.oidc_providers:
            out.append(one(o.file, "oidc_provider.tf.j2", o=o))
        for sp in view.saml_providers:
            out.append(one(sp.file, "saml_provider.tf.j2", s=sp))
        if view.password_policy is not None:
            out.append(one(f"{account.name}/{PASSWORD_POLICY_FILE}", "password_policy.tf.j2"))
        if view.released:
            out.append(one(f"{account.name}/released.tf", "released.tf.j2"))
        if account.identity:
            out.append(one(f"{account.name}/users.tf", "users.tf.j2"))
        if view.ci_roles:
            out.append(one(f"{account.name}/{DEPLOY_FILE}", "deploy.tf.j2"))
        from .imports import import_blocks

        imports = import_blocks(catalog, view)
        if imports is not None:
            out.append(RenderedFile.of(f"{account.name}/imports.tf", imports))
        return sorted(out, key=_path_of)

    def render(self, *, may_share: Callable[[], bool] | None = None) -> list[RenderedFile]:
        """Every generated file, manifest.json last; deterministic.

        Every account's view is built, then every file but the roles' (users, policies,
        providers).  From ``PARALLEL_RENDER`` role views on, the roles' files are then
        shared with a forked child (``background.BothEnds``) that takes them from the back
        while this process takes them from the front.  A role's files in all its accounts
        are one item, rendered by one process (once where they read the same).  The bytes
        are the same either way.

        A forked child copies every page it writes to (reference counts included): the
        roles' files cost it two fifths of this process's memory.  So while
        ``may_share()`` is false (in a compile: the checks' child still runs), this
        process renders the roles' files alone, one part at a time, and forks the child
        only once it is true, so that two children's copies are never held at once; the
        manifest is made here once the roles' files are done, so that a child's copies
        and the manifest are not held at once either."""
        from rolecat import background

        from .manifest import manifest_bytes

        views = [account_view(self, deployed) for deployed in self.deployment.accounts.values()]
        groups: dict[int, list[RoleView]] = {}
        for view in views:
            for rv in view.roles:
                groups.setdefault(id(rv.role), []).append(rv)
        others = [self._account_files(view, []) for view in views]
        share = sum(len(v.roles) for v in views) >= PARALLEL_RENDER
        environment().get_template("role.tf.j2")  # compiled once, before a fork
        ends: background.BothEnds[list[RoleView], list[tuple[str, bytes]], None] = background.BothEnds(
            self.role_files, list(groups.values()), fork=share, deferred=may_share is not None
        )
        if may_share is not None:
            while not may_share() and ends.take():
                pass
            ends.fork()
        rendered = dict(file for part in ends.join()[1] for file in part)
        out: list[RenderedFile] = []
        for view, other in zip(views, others, strict=True):
            roles = [RenderedFile(rv.file, rendered[rv.file]) for rv in view.roles]
            out.extend(sorted([*other, *roles], key=_path_of))
        out.append(RenderedFile("manifest.json", manifest_bytes(self.catalog, views, [f.path for f in out])))
        return out


def _laid_out(
    cache: dict[tuple[int, int], tuple[Mapping[str, Any], str]],
    lay_out: Callable[[Mapping[str, Any], int], str],
    obj: Mapping[str, Any],
    level: int,
) -> str:
    """``lay_out(obj, level)``, once per object and level (keyed by identity; the entry holds
    the object, so its id cannot be reused while cached)."""
    key = (id(obj), level)
    hit = cache.get(key)
    if hit is None or hit[0] is not obj:
        hit = cache[key] = (obj, lay_out(obj, level))
    return hit[1]


def account_views(catalog: Catalog, deployment: Deployment | None = None) -> dict[str, AccountView]:
    """The Terraform view of every account, by account name (import blocks, adoption)."""
    renderer = TerraformRenderer(catalog, deployment or build_deployment(catalog))
    return {name: account_view(renderer, d) for name, d in renderer.deployment.accounts.items()}


def render(catalog: Catalog, deployment: Deployment | None = None) -> list[RenderedFile]:
    """Every generated file, manifest.json last; pure and deterministic."""
    return TerraformRenderer(catalog, deployment or build_deployment(catalog)).render()
