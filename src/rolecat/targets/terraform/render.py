"""Render stage: ``Catalog`` -> Terraform files, as text, writing nothing.

Python prepares plain view objects (labels, names, documents) in sorted order; the
Jinja templates under ``templates/`` (package ``rolecat.templates``) lay them out; ``hcl.align`` applies hclfmt's
alignment; the result is byte-identical to what ``hclfmt`` prints.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rolecat.deploy.deployment import AccountDeployment, Deployment, build_deployment
from rolecat.model import Account, Catalog, PasswordPolicy, Role
from rolecat.targets.terraform import hcl

# Characters AWS accepts in tag values; a file name may hold others.
_TAG_BAD = re.compile(r"[^\w .:/=+@-]")


@dataclass(frozen=True)
class RenderedFile:
    path: str  # relative to OUT, with forward slashes
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Layout:
    """A policy document in a view; the ``jsonencode`` filter lays it out once per renderer."""

    document: Mapping[str, Any]
    renderer: TerraformRenderer = field(repr=False, compare=False)


@dataclass(frozen=True)
class PolicyView:
    label: str
    name: str  # IAM policy name
    kind: str
    source: str  # catalog name
    file: str  # path relative to the catalog root
    description: str | None
    document: Layout
    path: str = "/"


@dataclass(frozen=True)
class AttachmentView:
    label: str
    policy_arn_expr: str  # an HCL expression
    policy_arn: str  # the ARN it evaluates to


@dataclass(frozen=True)
class RoleView:
    role: Role
    label: str
    arn: str
    trust: Layout
    boundary: PolicyView | None
    policies: tuple[PolicyView, ...]
    attachments: tuple[AttachmentView, ...]
    delegated: Layout | None
    tags: Mapping[str, str]
    instance_profile: str | None = None  # name, for a role EC2 assumes
    depends_on: tuple[str, ...] = ()  # addresses: the OIDC providers its trust names


@dataclass(frozen=True)
class AccountView:
    account: Account
    roles: tuple[RoleView, ...]
    policies: tuple[PolicyView, ...]  # boundaries first, then customer policies
    users: tuple[Mapping[str, Any], ...] = ()
    identity_policies: tuple[PolicyView, ...] = ()
    group: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    password_policy: PasswordPolicy | None = None
    oidc_providers: tuple[Mapping[str, Any], ...] = ()  # label, url, audiences, thumbprints
    ci_roles: tuple[RoleView, ...] = ()  # deploy_roles: the CI's plan and deploy roles (deploy.tf)


def _unique_labels(names: Iterable[str], prefix: str = "") -> dict[str, str]:
    """Terraform labels for IAM names; names that sanitise alike get a stable suffix."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(names):
        base = prefix + hcl.label(name)
        lbl = base
        if lbl.lower() in used:
            digest = hashlib.sha256(name.encode()).hexdigest()[:8]
            lbl = f"{base}_{digest}"
        used.add(lbl.lower())
        out[name] = lbl
    return out


def relative_source(catalog: Catalog, source: str) -> str:
    """A display path relative to the catalog root."""
    root = catalog.root.rstrip("/")
    if root in ("", "."):
        return source
    return source[len(root) + 1 :] if source.startswith(root + "/") else source


def account_view(renderer: TerraformRenderer, deployed: AccountDeployment) -> AccountView:
    """The Terraform view of one account's deployment: labels and descriptions added."""
    catalog, account = renderer.catalog, deployed.account

    def layout(doc: Mapping[str, Any]) -> Layout:
        return Layout(doc, renderer)

    labels = {
        "boundary": _unique_labels((p.name for p in deployed.policies if p.kind == "boundary"), "boundary_"),
        "policy": _unique_labels((p.name for p in deployed.policies if p.kind == "policy"), "policy_"),
    }
    views: dict[tuple[str, str], PolicyView] = {}
    for dp in deployed.policies:
        if dp.document is None:
            raise ValueError(
                f"{dp.kind} {dp.name!r} has no document in {account.name}; render needs a valid catalog"
            )
        file = relative_source(catalog, dp.source)
        desc: str | None = (
            f"rolecat {'permission boundary' if dp.kind == 'boundary' else 'policy'} from {file}"
        )
        pin = catalog.pinned.get((dp.kind, dp.name))
        if pin is not None:
            desc = pin.description  # adopted: the live description (ForceNew in the provider)
        views[(dp.kind, dp.name)] = PolicyView(
            labels[dp.kind][dp.name], dp.iam_name, dp.kind, dp.name, file, desc, layout(dp.document), dp.path
        )

    role_labels = _unique_labels(deployed.roles)
    role_views = []
    for dr in deployed.roles.values():
        role = dr.role
        lbl = role_labels[role.name]
        attachments = [
            AttachmentView(
                f"{lbl}__{views[('policy', p.name)].label}",
                f"aws_iam_policy.{views[('policy', p.name)].label}.arn",
                p.arn,
            )
            for p in dr.policies
        ]
        for arn in dr.managed_policy_arns:
            tail = arn.split(":policy/", 1)[1]
            attachments.append(AttachmentView(f"{lbl}__aws_{hcl.label(tail)}", hcl.quote(arn), arn))
        tags = {**role.tags, "rolecat:source": _TAG_BAD.sub("_", relative_source(catalog, role.source))[:256]}
        if dr.trust is None:
            raise ValueError(f"role {role.name!r} has no trust policy; render needs a valid catalog")
        role_views.append(
            RoleView(
                role=role,
                label=lbl,
                arn=dr.arn,
                trust=layout(dr.trust),
                boundary=views[("boundary", dr.boundary.name)] if dr.boundary else None,
                policies=tuple(views[("policy", p.name)] for p in dr.policies),
                attachments=tuple(sorted(attachments, key=lambda a: a.label)),
                delegated=layout(dr.inline) if dr.inline is not None else None,
                tags=dict(sorted(tags.items())),
                instance_profile=dr.instance_profile,
                depends_on=tuple(
                    sorted(
                        {
                            f"aws_iam_openid_connect_provider.oidc_{hcl.label(f.provider)}"
                            for f in role.federated
                        }
                    )
                ),
            )
        )
    ci = catalog.deploy_roles
    ci_views = tuple(
        rv for rv in role_views if ci is not None and ci.mode_of(rv.role, catalog.catalog_file) is not None
    )
    ci_labels = {rv.label for rv in ci_views}
    role_views = [rv for rv in role_views if rv.label not in ci_labels]
    ordered = tuple(views[(p.kind, p.name)] for p in deployed.policies)
    oidc = tuple(
        {
            "label": "oidc_" + hcl.label(d.name),
            "name": d.name,
            "url": d.provider.url,
            "audiences": list(d.provider.audiences),
            "thumbprints": [t.lower() for t in d.provider.thumbprints],
        }
        for d in deployed.oidc_providers
    )
    if not deployed.groups:
        return AccountView(account, tuple(role_views), ordered, oidc_providers=oidc, ci_roles=ci_views)
    user_labels = _unique_labels(u.name for u in deployed.users)
    users = tuple({"label": user_labels[u.name], "name": u.name, "tags": u.tags} for u in deployed.users)
    (group,) = deployed.groups
    descriptions = {
        "self-service": (
            "self_service",
            "rolecat: users manage their own password, access keys and MFA device",
        ),
        "assume-roles": (
            "assume_roles",
            "rolecat: assume human roles with MFA; each role's trust policy decides who",
        ),
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
        users=users,
        identity_policies=identity_policies,
        group=group.name,
        password_policy=deployed.password_policy,
        oidc_providers=oidc,
        ci_roles=ci_views,
    )


# --------------------------------------------------------------------------- Jinja


def _load_template(name: str) -> str:
    return resources.files("rolecat.templates").joinpath(name).read_text("utf-8")


def _jsonencode(doc: Layout | Mapping[str, Any], level: int = 0) -> str:
    if isinstance(doc, Layout):
        return doc.renderer.jsonencode(doc.document, level)
    return hcl.jsonencode(doc, level)


@functools.cache
def environment() -> Any:
    """The Jinja environment (stateless: per-run state lives in the ``TerraformRenderer``)."""
    from jinja2 import Environment, FunctionLoader, StrictUndefined

    env = Environment(
        loader=FunctionLoader(_load_template),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = hcl.quote
    env.filters["hcl"] = hcl.value
    env.filters["jsonencode"] = _jsonencode
    env.filters["strlist"] = hcl.string_list
    env.filters["label"] = hcl.label
    return env


def _finish(text: str) -> str:
    """hclfmt layout: aligned attributes, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    # collapse runs of blank lines the templates' conditionals may leave
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return hcl.align("\n".join(out)) + "\n"


class TerraformRenderer:
    """One render of one catalog.  Owns its caches; nothing outlives the object.

    Policy documents are the bulk of the output; the same document object (a trust
    policy shared by a role's accounts, a policy file without placeholders) is laid out
    once per renderer.  ``hcl.align`` leaves the laid-out documents as they are (their
    runs are already aligned), so they go into the templates' output as they are.
    """

    def __init__(self, catalog: Catalog, deployment: Deployment) -> None:
        self.catalog = catalog
        self.deployment = deployment
        self._layouts: dict[tuple[int, int], tuple[Mapping[str, Any], str]] = {}

    def jsonencode(self, doc: Mapping[str, Any], level: int = 0) -> str:
        key = (id(doc), level)
        hit = self._layouts.get(key)
        if hit is None or hit[0] is not doc:
            hit = self._layouts[key] = (doc, hcl.jsonencode(doc, level))
        return hit[1]

    def render_account(self, view: AccountView) -> list[RenderedFile]:
        catalog, account = self.catalog, view.account
        env = environment()
        ctx = {
            "catalog": catalog,
            "account": account,
            "view": view,
            "terraform": catalog.terraform,
            "partition": account.partition,
        }
        names = ["versions.tf", "providers.tf"]
        if catalog.terraform.backend is not None:
            names.append("backend.tf")
        names.append("roles.tf")
        if view.ci_roles:
            names.append("deploy.tf")
        if account.identity:
            names.append("users.tf")
        files = [
            RenderedFile(f"{account.name}/{n}", _finish(env.get_template(f"{n}.j2").render(ctx)))
            for n in names
        ]
        from .imports import import_blocks

        imports = import_blocks(catalog, view)
        if imports is not None:
            files.append(RenderedFile(f"{account.name}/imports.tf", _finish(imports)))
        return sorted(files, key=lambda f: f.path)

    def render(self) -> list[RenderedFile]:
        """Every generated file, manifest.json last; deterministic."""
        from .manifest import manifest_text

        files: list[RenderedFile] = []
        for deployed in self.deployment.accounts.values():
            files.extend(self.render_account(account_view(self, deployed)))
        files.append(RenderedFile("manifest.json", manifest_text(self.catalog, self.deployment, files)))
        return files


def account_views(catalog: Catalog, deployment: Deployment | None = None) -> dict[str, AccountView]:
    """The Terraform view of every account, by account name (import blocks, adoption)."""
    renderer = TerraformRenderer(catalog, deployment or build_deployment(catalog))
    return {name: account_view(renderer, d) for name, d in renderer.deployment.accounts.items()}


def render(catalog: Catalog, deployment: Deployment | None = None) -> list[RenderedFile]:
    """Every generated file, manifest.json last; pure and deterministic."""
    return TerraformRenderer(catalog, deployment or build_deployment(catalog)).render()
