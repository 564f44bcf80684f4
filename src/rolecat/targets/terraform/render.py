"""Render stage: ``Catalog`` -> Terraform files, as text, writing nothing.

Python prepares plain view objects (labels, names, documents) in sorted order; the
Jinja templates under ``templates/`` lay them out; ``hcl.align`` applies hclfmt's
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

from rolecat.deploy import policies
from rolecat.deploy.arns import PARTITION, boundary_policy_name
from rolecat.deploy.arns import policy_policy_name as customer_policy_name
from rolecat.model import Account, Catalog, Role
from rolecat.targets.terraform import hcl, labels, manifest
from rolecat.targets.terraform.migrations import Chains, Move, Removal

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
class PolicyView:
    label: str
    name: str  # IAM policy name
    kind: str
    source: str  # catalog name
    file: str  # path relative to the catalog root
    description: str
    document: Mapping[str, Any]
    moves: tuple[Move, ...] = ()


@dataclass(frozen=True)
class AttachmentView:
    label: str
    policy_arn_expr: str  # an HCL expression


@dataclass(frozen=True)
class RoleView:
    role: Role
    label: str
    arn: str
    trust: Mapping[str, Any]
    boundary: PolicyView | None
    policies: tuple[PolicyView, ...]
    attachments: tuple[AttachmentView, ...]
    delegated: Mapping[str, Any] | None
    tags: Mapping[str, str]
    moves: tuple[Move, ...] = ()
    file: str = ""


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


def _relative(catalog: Catalog, source: str) -> str:
    root = catalog.root.rstrip("/")
    if root in ("", "."):
        return source
    return source[len(root) + 1 :] if source.startswith(root + "/") else source


def _boundaries_in(roles: Iterable[Role]) -> set[str]:
    """Boundaries an account needs: the roles' own, and those a role may hand out
    through delegated_role_creation (its statements name that boundary's ARN)."""
    names = {r.boundary for r in roles if r.boundary}
    names |= {r.delegated_role_creation.boundary for r in roles if r.delegated_role_creation}
    return names


def _trust(catalog: Catalog, role: Role) -> Mapping[str, Any]:
    """A role's trust policy is the same in all its accounts: one object, laid out once."""
    hit = _memo.trust.get(id(role))
    if hit is None or hit[0] is not role:
        hit = _memo.trust[id(role)] = (role, policies.trust_policy(catalog, role))
    return hit[1]


def account_view(catalog: Catalog, account: Account) -> AccountView:
    roles = catalog.roles_in(account.name)
    boundary_names = sorted(_boundaries_in(roles))
    policy_names = sorted({p for r in roles for p in r.policies})
    legacy = {
        "boundary": labels.legacy_labels(boundary_names, labels.BOUNDARY_PREFIX),
        "policy": labels.legacy_labels(policy_names, labels.POLICY_PREFIX),
    }
    role_legacy = labels.legacy_labels(r.name for r in roles)
    chains = Chains(_declared(catalog, account, roles, boundary_names, policy_names))
    views: dict[tuple[str, str], PolicyView] = {}
    for kind, names, iam_name in (
        ("boundary", boundary_names, boundary_policy_name),
        ("policy", policy_names, customer_policy_name),
    ):
        for n in names:
            rendered = catalog.policy(kind, n, account.name)
            file = _relative(catalog, rendered.file.source)
            lbl = labels.policy(kind, n)
            views[(kind, n)] = PolicyView(
                lbl,
                iam_name(n),
                kind,
                n,
                file,
                policy_description(kind, n),
                rendered.document,
                chains.chain("aws_iam_policy", [legacy[kind][n]], lbl),
            )

    role_views = []
    for role in roles:
        lbl = labels.role(role.name)
        old = role_legacy[role.name]
        moves = list(chains.chain("aws_iam_role", [old], lbl))
        attachments = []
        for p in role.policies:
            pv = views[("policy", p)]
            a_lbl = labels.attachment(role.name, pv.label)
            moves.extend(chains.chain(ATTACHMENT, [f"{old}__{legacy['policy'][p]}"], a_lbl))
            attachments.append(AttachmentView(a_lbl, f"aws_iam_policy.{pv.label}.arn"))
        for arn in role.managed_policy_arns:
            a_lbl = labels.attachment(role.name, labels.managed_ref(arn))
            tail = arn.split(":policy/", 1)[1]
            moves.extend(chains.chain(ATTACHMENT, [f"{old}__aws_{labels.legacy_label(tail)}"], a_lbl))
            attachments.append(AttachmentView(a_lbl, hcl.quote(arn)))
        delegated = None
        if role.delegated_role_creation is not None:
            from rolecat.deploy.delegation import delegated_role_creation_statements

            delegated = {
                "Version": policies.VERSION,
                "Statement": delegated_role_creation_statements(role, account, catalog),
            }
            moves.extend(
                chains.chain(
                    "aws_iam_role_policy", [f"{old}__delegated_role_creation"], labels.delegated(role.name)
                )
            )
        tags = {**role.tags, "rolecat:source": _TAG_BAD.sub("_", _relative(catalog, role.source))[:256]}
        role_views.append(
            RoleView(
                role=role,
                label=lbl,
                arn=role.arn(account),
                trust=_trust(catalog, role),
                boundary=views[("boundary", role.boundary)] if role.boundary else None,
                policies=tuple(views[("policy", p)] for p in role.policies),
                attachments=tuple(sorted(attachments, key=lambda a: a.label)),
                delegated=delegated,
                tags=dict(sorted(tags.items())),
                moves=tuple(moves),
                file=role_file(account.name, role.name),
            )
        )
    ordered = tuple(views[("boundary", n)] for n in boundary_names) + tuple(
        views[("policy", n)] for n in policy_names
    )
    # a removed block may not name an address the configuration declares
    released = tuple(
        x
        for x in _released(catalog, account, boundary_names, policy_names)
        if (x.type, x.label) not in chains.declared
    )
    if not account.identity:
        return AccountView(account, tuple(role_views), ordered, released=released)
    user_legacy = labels.legacy_labels(u.name for u in catalog.users)
    users = []
    for u in catalog.users:
        lbl = labels.user(u.name)
        sources = [a for old in u.renamed_from for a in (labels.legacy_label(old), labels.user(old))]
        sources.append(user_legacy[u.name])
        users.append(
            {
                "label": lbl,
                "name": u.name,
                "tags": dict(sorted(u.attributes.items())),
                "moves": chains.chain("aws_iam_user", sources, lbl),
            }
        )
    identity_policies = (
        PolicyView(
            "self_service",
            f"{catalog.organization}-self-service",
            "identity",
            "self-service",
            "",
            SELF_SERVICE_DESCRIPTION,
            policies.self_service_policy(account, catalog.users),
        ),
        PolicyView(
            "assume_roles",
            f"{catalog.organization}-assume-roles",
            "identity",
            "assume-roles",
            "",
            ASSUME_ROLES_DESCRIPTION,
            policies.assume_roles_policy(catalog),
        ),
    )
    return AccountView(
        account,
        tuple(role_views),
        ordered,
        users=tuple(users),
        identity_policies=identity_policies,
        group=f"{catalog.organization}-humans",
        released=released,
    )


ATTACHMENT = "aws_iam_role_policy_attachment"
# Texts in ForceNew attributes: changing one replaces the policy in every account.
# tests/identity/test_frozen_texts.py fails if they change.
SELF_SERVICE_DESCRIPTION = "rolecat: users manage their own password, access keys and MFA device"
ASSUME_ROLES_DESCRIPTION = "rolecat: assume human roles with MFA; each role's trust policy decides who"


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


def _declared(
    catalog: Catalog, account: Account, roles: Iterable[Role], boundaries: Iterable[str], pols: Iterable[str]
) -> set[tuple[str, str]]:
    """Every (resource type, label) the account's configuration declares."""
    out = {("aws_iam_policy", labels.policy("boundary", n)) for n in boundaries}
    out |= {("aws_iam_policy", labels.policy("policy", n)) for n in pols}
    for r in roles:
        out.add(("aws_iam_role", labels.role(r.name)))
        for p in r.policies:
            out.add((ATTACHMENT, labels.attachment(r.name, labels.policy("policy", p))))
        for arn in r.managed_policy_arns:
            out.add((ATTACHMENT, labels.attachment(r.name, labels.managed_ref(arn))))
        if r.delegated_role_creation is not None:
            out.add(("aws_iam_role_policy", labels.delegated(r.name)))
    if account.identity:
        out |= {("aws_iam_user", labels.user(u.name)) for u in catalog.users}
        out |= {("aws_iam_policy", "self_service"), ("aws_iam_policy", "assume_roles")}
    return out


def _released(
    catalog: Catalog, account: Account, boundaries: Iterable[str], pols: Iterable[str]
) -> tuple[Removal, ...]:
    """``removed`` blocks (destroy = false) for what leaves management in this account."""
    out: list[Removal] = []
    kept_b, kept_p = set(boundaries), set(pols)
    gone_b: set[str] = set()
    gone_p: set[str] = set()
    for r in catalog.released_roles:
        if account.name not in r.accounts:
            continue
        for name in {labels.role(r.name), labels.legacy_label(r.name)}:
            out.append(Removal("aws_iam_role", name))
        for p in r.policies:
            out.append(Removal(ATTACHMENT, labels.attachment(r.name, labels.policy("policy", p))))
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
    out.extend(Removal("aws_iam_policy", labels.policy("boundary", n)) for n in gone_b)
    out.extend(Removal("aws_iam_policy", labels.policy("policy", n)) for n in gone_p)
    if account.identity:
        for u in catalog.released_users:
            for name in {labels.user(u.name), labels.legacy_label(u.name)}:
                out.append(Removal("aws_iam_user", name))
    return tuple(sorted(set(out), key=lambda r: (r.type, r.label)))


# --------------------------------------------------------------------------- Jinja


# Policy documents are the bulk of the output.  The templates see a one-line stand-in
# (ending in "({" like the real first line, so alignment treats it the same); the
# documents, already laid out by hcl.value, replace the stand-ins after ``hcl.align``.
# The same document object (a trust policy shared by a role's accounts, a policy file
# without placeholders) is laid out once per render.
_STANDIN = "\x00{}\x00jsonencode({{"


class _RenderMemo:
    """Per-render memory, keyed by object identity (objects are kept alive alongside)."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[int, int], tuple[object, int]] = {}
        self.texts: list[str] = []  # stand-in number -> laid-out jsonencode(...)
        self.trust: dict[int, tuple[Role, Mapping[str, Any]]] = {}

    def clear(self) -> None:
        self.numbers.clear()
        self.texts.clear()
        self.trust.clear()


_memo = _RenderMemo()


def _jsonencode(doc: Mapping[str, Any], level: int = 0) -> str:
    key = (id(doc), level)
    hit = _memo.numbers.get(key)
    if hit is None or hit[0] is not doc:
        hit = _memo.numbers[key] = (doc, len(_memo.texts))
        _memo.texts.append(hcl.jsonencode(doc, level))
    return _STANDIN.format(hit[1])


def _substitute(text: str) -> str:
    if "\x00" not in text:
        return text
    parts = text.split("\x00")
    # parts: [before, n, "jsonencode({" + after, n, ...]
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out.append(_memo.texts[int(parts[i])])
        out.append(parts[i + 1].removeprefix("jsonencode({"))
    return "".join(out)


def _load_template(name: str) -> str:
    return resources.files("rolecat.templates").joinpath(name).read_text("utf-8")


@functools.cache
def environment() -> Any:
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
    return _substitute(hcl.align("\n".join(out))) + "\n"


def render_account(catalog: Catalog, account: Account, view: AccountView | None = None) -> list[RenderedFile]:
    """An account's root module: one file per role and per policy, so that two pull
    requests changing different roles never touch the same generated file, and
    CODEOWNERS can route each file to the owners of what it holds."""
    env = environment()
    view = view or account_view(catalog, account)
    ctx: dict[str, Any] = {
        "catalog": catalog,
        "account": account,
        "view": view,
        "terraform": catalog.terraform,
        "partition": PARTITION,
    }

    def one(path: str, template: str, **extra: Any) -> RenderedFile:
        return RenderedFile(path, _finish(env.get_template(template).render({**ctx, **extra})))

    out = [
        one(f"{account.name}/versions.tf", "versions.tf.j2"),
        one(f"{account.name}/providers.tf", "providers.tf.j2"),
    ]
    if catalog.terraform.backend is not None:
        out.append(one(f"{account.name}/backend.tf", "backend.tf.j2"))
    for p in view.policies:
        out.append(one(policy_file(account.name, p.kind, p.source), "policy.tf.j2", p=p))
    for rv in view.roles:
        out.append(one(rv.file, "role.tf.j2", rv=rv))
    if view.released:
        out.append(one(f"{account.name}/released.tf", "released.tf.j2"))
    if account.identity:
        out.append(one(f"{account.name}/users.tf", "users.tf.j2"))
    return sorted(out, key=lambda f: f.path)


def render(catalog: Catalog) -> list[RenderedFile]:
    """Every generated file, manifest.json last; pure and deterministic."""
    files: list[RenderedFile] = []
    views = []
    _memo.clear()
    try:
        for account in catalog.accounts:
            view = account_view(catalog, account)
            files.extend(render_account(catalog, account, view))
            views.append(view)
    finally:
        _memo.clear()
    files.append(RenderedFile("manifest.json", manifest.dumps(manifest.build(catalog, views, files))))
    return files
