"""``rolecat who-can ACTION [RESOURCE]``: every principal that can perform an action.

A query without a resource asks "on at least one resource" (``EffectiveSet.access``);
with one, the resource is the request's resource as AWS sees it (``engine.decide``: a
``*`` is the literal resource of an action without resource-level permissions).  The
answer lists, per role whose permissions allow it, every principal that reaches that
role (``AccessModel.reach``).  Views that share one effective set are evaluated once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rolecat.iam.engine import Access, EffectiveSet, Verdict, decide

from .model import AccessModel, RoleView


@dataclass(frozen=True)
class Answer:
    user: str | None
    principal: str
    role: str
    account: str
    via: tuple[str, ...]
    until: str | None
    access: str  # "allowed" or "conditional"

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "principal": self.principal,
            "role": self.role,
            "account": self.account,
            "via": list(self.via),
            "until": self.until,
            "access": self.access,
        }


class QueryError(ValueError):
    """A query that names no known action or account (exit 2)."""


def role_access(es: EffectiveSet, action: str, resource: str | None) -> Access:
    if resource is None:
        return es.access(action)
    verdict = decide(es, action, resource).verdict
    if verdict is Verdict.ALLOWED:
        return Access.UNCONDITIONAL
    return Access.CONDITIONAL if verdict is Verdict.CONDITIONAL else Access.NONE


class WhoCan:
    """Answers many queries over one catalog."""

    def __init__(self, model: AccessModel) -> None:
        self.model = model
        self._groups: dict[int, tuple[EffectiveSet, list[RoleView]]] = {}
        for view in model.views:
            group = self._groups.setdefault(id(view.effective), (view.effective, []))
            group[1].append(view)

    def check(self, action: str, account: str | None) -> str:
        canonical = self.model.db.canonical(action)
        if canonical is None:
            hint = self.model.db.suggest(action)
            raise QueryError(f"unknown action {action!r}" + (f" (did you mean {hint}?)" if hint else ""))
        if account is not None and not any(a.name == account for a in self.model.catalog.accounts):
            names = ", ".join(a.name for a in self.model.catalog.accounts)
            raise QueryError(f"unknown account {account!r}; the catalog has: {names}")
        return canonical

    def ask(self, action: str, resource: str | None = None, account: str | None = None) -> list[Answer]:
        action = self.check(action, account)
        bit = self.model.db.bit(action)
        out: list[Answer] = []
        for es, views in self._groups.values():
            if not bit & es.candidates:
                continue
            chosen = [v for v in views if account is None or v.account.name == account]
            if not chosen:
                continue
            access = role_access(es, action, resource)
            if access is Access.NONE:
                continue
            for view in chosen:
                out.extend(self._answers(view, access))
        out.sort(key=lambda a: (a.account, a.role, a.user or "~", a.principal, a.via, a.until or ""))
        return out

    def _answers(self, view: RoleView, access: Access) -> Iterable[Answer]:
        for reach in self.model.reach(view):
            conditional = access is Access.CONDITIONAL or reach.conditional
            yield Answer(
                reach.principal.user,
                reach.principal.principal,
                view.role.name,
                view.account.name,
                reach.via,
                reach.until_iso,
                "conditional" if conditional else "allowed",
            )


def parse_query(line: str, number: int) -> tuple[str, str | None, str | None]:
    """One JSON line of ``--queries``: {"action": ..., "resource": ..., "account": ...}."""
    import json

    try:
        data = json.loads(line)
    except ValueError as exc:
        raise QueryError(f"line {number}: not JSON ({exc})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("action"), str):
        raise QueryError(
            f'line {number}: expected an object with "action" (and optional "resource", "account")'
        )
    unknown = sorted(set(data) - {"action", "resource", "account"})
    if unknown:
        raise QueryError(f"line {number}: unknown key {unknown[0]!r}")
    for key in ("resource", "account"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise QueryError(f"line {number}: {key} must be a string")
    return data["action"], data.get("resource"), data.get("account")


def answer_text(answers: list[Answer]) -> str:
    lines = []
    for a in answers:
        who = a.user if a.user is not None else a.principal
        via = " -> ".join(a.via)
        until = f" until {a.until}" if a.until else ""
        lines.append(f"{who}\t{a.role} in {a.account}\tvia {via}{until}\t{a.access}")
    return "\n".join(lines)
