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
from rolecat.targets.terraform import hcl

MANIFEST_VERSION = 1
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


@dataclass(frozen=True)
class AccountView:
    account: Account
    roles: tuple[RoleView, ...]
    policies: tuple[PolicyView, ...]  # boundaries first, then customer policies
    users: tuple[Mapping[str, Any], ...] = ()
    identity_policies: tuple[PolicyView, ...] = ()
    group: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


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
    b_labels = _unique_labels(boundary_names, "boundary_")
    p_labels = _unique_labels(policy_names, "policy_")
    views: dict[tuple[str, str], PolicyView] = {}
    for kind, names, labels, iam_name in (
        ("boundary", boundary_names, b_labels, boundary_policy_name),
        ("policy", policy_names, p_labels, customer_policy_name),
    ):
        for n in names:
            rendered = catalog.policy(kind, n, account.name)
            file = _relative(catalog, rendered.file.source)
            desc = f"rolecat {'permission boundary' if kind == 'boundary' else 'policy'} from {file}"
            views[(kind, n)] = PolicyView(labels[n], iam_name(n), kind, n, file, desc, rendered.document)

    role_labels = _unique_labels(r.name for r in roles)
    role_views = []
    for role in roles:
        lbl = role_labels[role.name]
        attachments = [
            AttachmentView(
                f"{lbl}__{views[('policy', p)].label}", f"aws_iam_policy.{views[('policy', p)].label}.arn"
            )
            for p in role.policies
        ]
        for arn in role.managed_policy_arns:
            tail = arn.split(":policy/", 1)[1]
            attachments.append(AttachmentView(f"{lbl}__aws_{hcl.label(tail)}", hcl.quote(arn)))
        delegated = None
        if role.delegated_role_creation is not None:
            from rolecat.deploy.delegation import delegated_role_creation_statements

            delegated = {
                "Version": policies.VERSION,
                "Statement": delegated_role_creation_statements(role, account, catalog),
            }
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
            )
        )
    ordered = tuple(views[("boundary", n)] for n in boundary_names) + tuple(
        views[("policy", n)] for n in policy_names
    )
    if not account.identity:
        return AccountView(account, tuple(role_views), ordered)
    user_labels = _unique_labels(u.name for u in catalog.users)
    users = tuple(
        {
            "label": user_labels[u.name],
            "name": u.name,
            "tags": dict(sorted(u.attributes.items())),
        }
        for u in catalog.users
    )
    identity_policies = (
        PolicyView(
            "self_service",
            f"{catalog.organization}-self-service",
            "identity",
            "self-service",
            "",
            "rolecat: users manage their own password, access keys and MFA device",
            policies.self_service_policy(account),
        ),
        PolicyView(
            "assume_roles",
            f"{catalog.organization}-assume-roles",
            "identity",
            "assume-roles",
            "",
            "rolecat: assume human roles with MFA; each role's trust policy decides who",
            policies.assume_roles_policy(catalog),
        ),
    )
    return AccountView(
        account,
        tuple(role_views),
        ordered,
        users=users,
        identity_policies=identity_policies,
        group=f"{catalog.organization}-humans",
    )


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
    env = environment()
    view = view or account_view(catalog, account)
    ctx = {
        "catalog": catalog,
        "account": account,
        "view": view,
        "terraform": catalog.terraform,
        "partition": PARTITION,
    }
    names = ["versions.tf", "providers.tf"]
    if catalog.terraform.backend is not None:
        names.append("backend.tf")
    names.append("roles.tf")
    if account.identity:
        names.append("users.tf")
    return [
        RenderedFile(f"{account.name}/{n}", _finish(env.get_template(f"{n}.j2").render(ctx))) for n in names
    ]


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
    files.append(RenderedFile("manifest.json", manifest(catalog, views, files)))
    return files


def _policy_entry(v: PolicyView) -> dict[str, Any]:
    return {"name": v.source, "policy_name": v.name, "file": v.file, "document": v.document}


def manifest(catalog: Catalog, views: list[AccountView], files: list[RenderedFile]) -> str:
    from rolecat import __version__

    accounts: dict[str, Any] = {}
    for view in views:
        acct = view.account
        roles = {}
        for rv in view.roles:
            r = rv.role
            roles[r.name] = {
                "arn": rv.arn,
                "kind": r.kind,
                "path": r.path,
                "admin": r.admin,
                "source": _relative(catalog, r.source),
                "max_session_duration": r.max_session_duration,
                "members": sorted(r.members),
                "temporary_members": [
                    {"user": t.user, "until": t.until_iso, "reason": t.reason}
                    for t in sorted(r.temporary_members, key=lambda t: (t.until, t.user))
                ],
                "trusted_services": list(r.trusted_services),
                "trust_policy": rv.trust,
                "boundary": _policy_entry(rv.boundary) if rv.boundary else None,
                "policies": [_policy_entry(p) for p in rv.policies],
                "managed_policy_arns": list(r.managed_policy_arns),
                "delegated_role_creation": rv.delegated,
            }
        entry: dict[str, Any] = {
            "id": acct.id,
            "identity": acct.identity,
            "environment": acct.environment,
            "region": acct.region,
            "folder": acct.name,
            "state_key": f"{catalog.terraform.backend.key_prefix}{acct.name}.tfstate"
            if catalog.terraform.backend
            else None,
            "roles": roles,
        }
        if acct.identity:
            entry["users"] = {
                u["name"]: {
                    "arn": policies.user_arn(acct, u["name"]),
                    "mfa_serial": policies.mfa_arn(acct, u["name"]),
                    "tags": u["tags"],
                }
                for u in view.users
            }
            entry["groups"] = {
                view.group: {
                    "members": [u["name"] for u in view.users],
                    "policies": {p.name: p.document for p in view.identity_policies},
                }
            }
        accounts[acct.name] = entry
    data = {
        "manifest_version": MANIFEST_VERSION,
        "generator": f"rolecat {__version__}",
        "organization": catalog.organization,
        "apply_order": [a.name for a in sorted(catalog.accounts, key=lambda a: (not a.identity, a.name))],
        "files": [{"path": f.path, "sha256": f.sha256} for f in sorted(files, key=lambda f: f.path)],
        "accounts": accounts,
    }
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
