"""``rolecat explain user NAME`` / ``explain role NAME``: what a person or a role can do.

For a person: per account and role reached (directly or by chaining), the MFA age and
session length the trust and role allow, the end of a temporary grant, and the role's
effective permissions summarised by service and access level.  For a role: its members
and what its boundary and its denies remove from its policies.  With ``--action``, the
decision for one request and every statement that made it (``engine.decide``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import Access, Decision, EffectiveSet, Statement, decide
from rolecat.report.escape import printable

from .model import AccessModel, Reach, RoleView, iso
from .whocan import QueryError

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging", "Unknown")


def summarise(db: ActionDB, mask: int, conditional: int = 0) -> dict[str, Any]:
    """Actions of ``mask`` by service and access level; a service granted whole is "all"."""
    if mask == db.all_mask:
        return {"all": True, "actions": len(db), "services": {}}
    if mask.bit_count() > len(db) // 2:  # mostly everything: say what is missing
        missing = summarise(db, db.all_mask & ~mask)
        return {"all": False, "actions": mask.bit_count(), "services": {}, "except": missing["services"]}
    per: dict[str, Counter[str]] = {}
    cond: Counter[str] = Counter()
    for name in db.names(mask):
        service = name.split(":", 1)[0]
        per.setdefault(service, Counter())[db.access_level(name) or "Unknown"] += 1
        if conditional & db.bit(name):
            cond[service] += 1
    services: dict[str, Any] = {}
    for service in sorted(per):
        total = sum(per[service].values())
        entry: dict[str, Any] = {level: per[service][level] for level in LEVELS if per[service][level]}
        if total == len(db.actions_of(service)):
            entry = {"all": total}
        if cond[service]:
            entry["conditional"] = cond[service]
        services[service] = entry
    return {"all": False, "actions": mask.bit_count(), "services": services}


def _summary_text(summary: dict[str, Any], indent: str = "    ") -> list[str]:
    if summary["all"]:
        return [f"{indent}every action ({summary['actions']})"]
    if "except" in summary:
        rest = _summary_text({"all": False, "services": summary["except"]}, indent + "  ")
        return [f"{indent}{summary['actions']} actions: every action except", *rest]
    if not summary["services"]:
        return [f"{indent}nothing"]
    lines = []
    for service, entry in summary["services"].items():
        parts = [f"all {v}" if k == "all" else f"{k} {v}" for k, v in entry.items()]
        lines.append(f"{indent}{service}: {', '.join(parts)}")
    return lines


def _role_summary(model: AccessModel, view: RoleView) -> dict[str, Any]:
    es = view.effective
    granted = es.mask(Access.CONDITIONAL)
    plain = es.mask(Access.UNCONDITIONAL)
    return summarise(model.db, granted, granted & ~plain)


def _reach_json(r: Reach) -> dict[str, Any]:
    return {
        "user": r.principal.user,
        "principal": r.principal.principal,
        "via": list(r.via),
        "until": iso(r.until),
        "conditional": r.conditional,
        "teams": list(r.teams),
    }


def _unknown(kind: str, name: str, names: list[str]) -> str:
    from rolecat.diagnostics import did_you_mean
    from rolecat.report.escape import printable

    guess = did_you_mean(name, names)
    return f"unknown {kind} {printable(name)!r}" + (f"; did you mean {guess!r}?" if guess else "")


def explain_user(model: AccessModel, name: str) -> dict[str, Any]:
    if not any(u.name == name for u in model.catalog.users):
        raise QueryError(_unknown("user", name, [u.name for u in model.catalog.users]))
    roles = []
    for view in model.views:
        for reach in model.reach(view):
            if reach.principal.user != name:
                continue
            roles.append(
                {
                    "role": view.role.name,
                    "account": view.account.name,
                    "via": list(reach.via),
                    "teams": list(reach.teams),
                    "until": iso(reach.until),
                    "mfa_max_age": view.role.mfa_max_age,
                    "max_session_duration": view.role.max_session_duration,
                    "admin": view.role.admin,
                    "permissions": _role_summary(model, view),
                }
            )
    roles.sort(key=lambda r: (r["account"], r["role"], r["via"], r["until"] or ""))
    own = [
        {
            "account": us.account.name,
            "group": us.group,
            "permissions": summarise(
                model.db,
                us.effective.mask(Access.CONDITIONAL),
                us.effective.mask(Access.CONDITIONAL) & ~us.effective.mask(Access.UNCONDITIONAL),
            ),
        }
        for us in model.user_sets
        if any(u == name for u, _ in us.users)
    ]
    return {"user": name, "roles": roles, "own_user": own}


def _removed(model: AccessModel, es: EffectiveSet) -> tuple[int, int]:
    """(actions the boundary removes from the policies, actions the denies remove)."""
    allows = tuple(s for s in es.identity if s.effect == "Allow")
    bound = None if es.boundary is None else tuple(s for s in es.boundary if s.effect == "Allow")
    policies_only = EffectiveSet(model.db, allows, None).mask()
    without_denies = EffectiveSet(model.db, allows, bound).mask() if bound is not None else policies_only
    return policies_only & ~without_denies, without_denies & ~es.mask()


def _not_in(model: AccessModel, name: str, account: str | None) -> str:
    names = ", ".join(v.account.name for v in model.views_of(name))
    return f"role {name} is not deployed in account {account!r} (its accounts: {names})"


def explain_role(model: AccessModel, name: str, account: str | None) -> dict[str, Any]:
    views = [v for v in model.views_of(name) if account is None or v.account.name == account]
    if not model.views_of(name):
        raise QueryError(_unknown("role", name, [r.name for r in model.catalog.roles]))
    if not views:
        raise QueryError(_not_in(model, name, account))
    out = []
    for view in views:
        by_boundary, by_denies = _removed(model, view.effective)
        out.append(
            {
                "role": view.role.name,
                "account": view.account.name,
                "arn": view.arn,
                "boundary": view.role.boundary,
                "members": [_reach_json(r) for r in model.reach(view)],
                "permissions": _role_summary(model, view),
                "removed_by_boundary": summarise(model.db, by_boundary),
                "removed_by_denies": summarise(model.db, by_denies),
            }
        )
    return {"role": name, "accounts": out}


def _statement_json(kind: str, s: Statement) -> dict[str, Any]:
    return {
        "kind": kind,
        "effect": s.effect,
        "source": s.origin,
        "sid": s.sid,
        "index": s.index,
        "condition": str(s.condition) if s.condition is not None else None,
    }


def explain_decision(
    model: AccessModel, name: str, account: str | None, action: str, resource: str | None
) -> dict[str, Any]:
    views = [v for v in model.views_of(name) if account is None or v.account.name == account]
    if not model.views_of(name):
        raise QueryError(_unknown("role", name, [r.name for r in model.catalog.roles]))
    if not views:  # --account names an account the role is not in
        raise QueryError(_not_in(model, name, account))
    if len(views) != 1:
        names = ", ".join(v.account.name for v in model.views_of(name))
        raise QueryError(f"role {name} is in several accounts ({names}): choose one with --account")
    if model.db.canonical(action) is None:
        hint = model.db.suggest(action)
        raise QueryError(f"unknown action {action!r}" + (f" (did you mean {hint}?)" if hint else ""))
    view = views[0]
    decision = decide(view.effective, action, resource if resource is not None else "*")
    return decision_json(view, decision)


def decision_json(view: RoleView, d: Decision) -> dict[str, Any]:
    statements = [_statement_json("identity", s) for s in d.allows]
    statements += [_statement_json("boundary", s) for s in d.boundary_allows or ()]
    statements += [_statement_json("deny", s) for s in d.denies]
    return {
        "role": view.role.name,
        "account": view.account.name,
        "action": d.action,
        "resource": d.resource,
        "decision": d.verdict.value,
        "reason": d.reason,
        "boundary": view.role.boundary,
        "statements": statements,
    }


# ---------------------------------------------------------------------- text
def user_text(data: dict[str, Any]) -> str:
    lines = [f"user {data['user']}"]
    for own in data.get("own_user", []):
        lines.append(f"  own IAM user in {own['account']} (group {own['group']}):")
        lines += _summary_text(own["permissions"])
    if not data["roles"]:
        lines.append("  can assume no role")
    for r in data["roles"]:
        chain = " -> ".join(r["via"])
        until = f", until {r['until']}" if r["until"] else ", permanent"
        team = f" as a member of team {', '.join(r['teams'])}" if r["teams"] else ""
        lines.append(
            f"  {r['role']} in {r['account']} (via {chain}{team}{until}; MFA within {r['mfa_max_age']} s, "
            f"sessions up to {r['max_session_duration']} s{', admin' if r['admin'] else ''})"
        )
        lines += _summary_text(r["permissions"])
    return _joined(lines)


def role_text(data: dict[str, Any]) -> str:
    lines = []
    for v in data["accounts"]:
        lines.append(f"role {v['role']} in {v['account']} ({v['arn']})")
        lines.append("  members:")
        if not v["members"]:
            lines.append("    nobody")
        for m in v["members"]:
            who = m["user"] or m["principal"]
            until = f" until {m['until']}" if m["until"] else ""
            via = f" via {' -> '.join(m['via'])}" if len(m["via"]) > 1 else ""
            team = f" (team {', '.join(m['teams'])})" if m["teams"] else ""
            lines.append(f"    {who}{team}{via}{until}")
        lines.append("  effective permissions:")
        lines += _summary_text(v["permissions"])
        if v["boundary"] is not None:
            lines.append(f"  removed by boundary {v['boundary']}:")
            lines += _summary_text(v["removed_by_boundary"])
        lines.append("  removed by denies:")
        lines += _summary_text(v["removed_by_denies"])
    return _joined(lines)


def decision_text(data: dict[str, Any]) -> str:
    lines = [
        f"{data['role']} in {data['account']}: {data['action']} on {data['resource']}: {data['decision']}",
        f"  {data['reason']}",
    ]
    for s in data["statements"]:
        label = f"Sid {s['sid']}" if s["sid"] else f"statement {s['index'] + 1}"
        cond = f" when {s['condition']}" if s["condition"] else ""
        lines.append(f"  {s['kind']:<8} {s['effect']:<5} {s['source']} {label}{cond}")
    return _joined(lines)


def _joined(lines: list[str]) -> str:
    """The text's lines, each ``printable``: a policy's resources, Sids and condition
    values are the catalog's own strings, and IAM takes a newline or a C1 control in them
    (a forged line, a terminal escape) as readily as any character."""
    return "\n".join(map(printable, lines))
