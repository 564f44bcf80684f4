"""Guardrails: access that must never exist, declared in catalog.yaml ``guardrails:``.

```yaml
guardrails:
  - name: only-admin-creates-users
    actions: [iam:CreateUser]
    except_roles: [Admin]
  - name: audit-buckets-stay
    actions: [s3:DeleteBucket]
    resources: ["arn:aws:s3:::acme-audit*"]
    environments: [prod]
  - name: no-service-passes-any-role
    actions: [iam:PassRole]
    resources: ["*"]
    unrestricted: true
    kind: service
```

Each role in scope (accounts, environments, kind, minus ``except_roles``) is evaluated
with the IAM engine after boundary and denies.  A role violates a guardrail when it
can perform one of the actions on a resource the patterns name (with ``unrestricted``,
only through a grant covering every such resource); ``conditional: false`` ignores
access that holds only under a condition.  Each violation is an error G001 naming the
role, account, actions, the statement that grants it and the principals that reach the
role.  ``accept:`` never applies: the registry marks G001 and G002 not acceptable, so
the rule runner reports an ``accept:`` of them (C025).  G002 reports a guardrail naming
an unknown action, account, environment or role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.iam.engine import Access, EffectiveSet, Grant, ResourceSpec
from rolecat.iam.globs import widen
from rolecat.model import Catalog

if TYPE_CHECKING:
    from rolecat.deploy.deployment import Deployment

    from .model import AccessModel

MAX_LISTED = 5


@dataclass(frozen=True)
class Guardrail:
    name: str
    index: int
    actions: tuple[str, ...]
    resources: tuple[str, ...] | None
    unrestricted: bool
    accounts: tuple[str, ...] | None
    environments: tuple[str, ...] | None
    kind: str | None
    except_roles: tuple[str, ...]
    conditional: bool


def _tuple(value: Any) -> tuple[str, ...] | None:
    return tuple(value) if isinstance(value, list) else None


def guardrails(catalog: Catalog) -> list[Guardrail]:
    """The guardrails of catalog.yaml (already schema-valid)."""
    doc = catalog.docs.get(catalog.catalog_file)
    raw = doc.data.get("guardrails") if doc is not None and isinstance(doc.data, Mapping) else None
    out = []
    for i, g in enumerate(raw if isinstance(raw, list) else []):
        out.append(
            Guardrail(
                name=g["name"],
                index=i,
                actions=tuple(g["actions"]),
                resources=_tuple(g.get("resources")),
                unrestricted=bool(g.get("unrestricted", False)),
                accounts=_tuple(g.get("accounts")),
                environments=_tuple(g.get("environments")),
                kind=g.get("kind"),
                except_roles=tuple(g.get("except_roles", ())),
                conditional=bool(g.get("conditional", True)),
            )
        )
    return out


def _covering(grant: Grant, pattern: str) -> bool:
    probe = ResourceSpec((widen(pattern),))
    specs = [grant.identity.resources] + ([grant.boundary.resources] if grant.boundary else [])
    if not all(s.covers(probe) for s in specs):
        return False
    return not any(e.overlaps(probe) for e in grant.excluded)


def _violation(es: EffectiveSet, action: str, g: Guardrail) -> tuple[Access, Grant | None]:
    """The access ``es`` gives ``action`` as the guardrail counts it, and a grant behind it."""
    best: Access = Access.NONE
    chosen: Grant | None = None
    grants = es.grants(action)
    for pattern in g.resources or ("*",):
        if g.unrestricted:
            probe = ResourceSpec((widen(pattern),))
            for grant in grants:
                if not _covering(grant, pattern):
                    continue
                access = grant.access
                if any(d.resources.overlaps(probe) for d in grant.conditional_denies):
                    access = Access.CONDITIONAL
                if access > best:
                    best, chosen = access, grant
            continue
        access = es.access(action) if pattern == "*" else es.access(action, pattern)
        if access > best:
            best = access
            chosen = next((x for x in grants if pattern == "*" or x.applies_to(pattern)), None)
    return best, chosen


def check_guardrails(
    catalog: Catalog, now: dt.datetime, model: AccessModel | None = None, deployment: Deployment | None = None
) -> list[Diagnostic]:
    rails = guardrails(catalog)
    diags: list[Diagnostic] = []
    if not rails:
        return diags
    if model is None:
        from .model import AccessModel

        model = AccessModel(catalog, now, deployment=deployment)
    db = model.db
    accounts = {a.name: a for a in catalog.accounts}
    environments = {a.environment for a in catalog.accounts if a.environment}
    roles = {r.name for r in catalog.roles}
    for g in rails:
        where = catalog.locate(catalog.catalog_file, ("guardrails", g.index))
        expanded: list[str] = []
        for j, pattern in enumerate(g.actions):
            names = sorted(db.expand(pattern))
            if not names:
                diags.append(
                    error(
                        "G002",
                        f"guardrail {g.name}: {pattern} matches no known action",
                        catalog.locate(catalog.catalog_file, ("guardrails", g.index, "actions", j)),
                        "check the spelling (rolecat knows the actions of its action database and known_actions)",
                    )
                )
            expanded += names
        unknown = [
            (key, v)
            for key, values, known in (
                ("accounts", g.accounts, accounts),
                ("environments", g.environments, environments),
                ("except_roles", g.except_roles, roles),
            )
            for v in values or ()
            if v not in known
        ]
        for key, value in unknown:
            diags.append(
                error("G002", f"guardrail {g.name}: unknown {key[:-1].replace('_', ' ')} {value}", where)
            )
        diags.extend(_violations(model, g, sorted(set(expanded)), where))
    return diags


def _in_scope(g: Guardrail, view: Any) -> bool:
    if view.role.name in g.except_roles:
        return False
    if g.kind is not None and view.role.kind != g.kind:
        return False
    if g.accounts is not None and view.account.name not in g.accounts:
        return False
    return g.environments is None or view.account.environment in g.environments


def _violations(model: Any, g: Guardrail, actions: Sequence[str], where: Location) -> Iterator[Diagnostic]:
    db = model.db
    wanted = 0
    for a in actions:
        wanted |= db.bit(a)
    for view in model.views:
        if not _in_scope(g, view) or not wanted & view.effective.candidates:
            continue
        found: list[tuple[str, Access, Grant | None]] = []
        for action in db.names(wanted & view.effective.candidates):
            access, grant = _violation(view.effective, action, g)
            if access is Access.NONE or (access is Access.CONDITIONAL and not g.conditional):
                continue
            found.append((action, access, grant))
        if not found:
            continue
        found.sort(key=lambda f: f[0])
        listed = ", ".join(
            a + (" (conditional)" if acc is Access.CONDITIONAL else "") for a, acc, _ in found[:MAX_LISTED]
        )
        if len(found) > MAX_LISTED:
            listed += f" and {len(found) - MAX_LISTED} more"
        grant = found[0][2]
        through = ""
        if grant is not None:
            through = f" through {grant.identity.describe()}"
            if grant.boundary is not None:
                through += f" (boundary {grant.boundary.describe()})"
        people = sorted({r.principal.user or r.principal.principal for r in model.reach(view)})
        who = ", ".join(people[:MAX_LISTED]) + (
            f" and {len(people) - MAX_LISTED} more" if len(people) > MAX_LISTED else ""
        )
        on = f" on {', '.join(g.resources)}" if g.resources else ""
        yield error(
            "G001",
            f"guardrail {g.name}: role {view.role.name} in account {view.account.name} can {listed}{on}"
            f"{through}; used by {who or 'nobody yet'}",
            model.context.role_location(view.role, "policies", "managed_policies", "boundary", "name"),
            f"remove the access, deny it in the role's boundary, or add the role to except_roles of "
            f"guardrail {g.name} ({where})",
        )
