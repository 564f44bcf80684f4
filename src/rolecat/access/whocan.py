"""``rolecat who-can ACTION [RESOURCE]``: every principal that can perform an action.

A query without a resource asks "on at least one resource" (``EffectiveSet.access``);
with one, the resource is the request's resource as AWS sees it (decided as
``engine.decide`` does: a ``*`` is the literal resource of an action without
resource-level permissions).  The answer lists, per role whose permissions allow it,
every principal that reaches that role (``AccessModel.reach``).  Views that share one
effective set are evaluated once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rolecat.iam.engine import Access, EffectiveSet, Statement, spec_matches

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


@dataclass
class _Group:
    """Views sharing one effective set, with its statements as bits of ``WhoCan._stmts``."""

    es: EffectiveSet
    views: list[int]  # indices into WhoCan.views
    allows: int
    bounds: int | None  # None: no boundary
    denies: int


class WhoCan:
    """Answers many queries over one catalog.

    Views are kept in answer order (account, role), each with its answers serialised
    once per access level, so an answer is a join of precomputed text.  A query with a
    resource is decided like ``engine.decide`` but over numbered statements: each
    distinct statement is matched once per query, then each effective set is three
    bitset tests.  Answers are memoised per (action, resource).
    """

    def __init__(self, model: AccessModel) -> None:
        self.model = model
        self.views = sorted(model.views, key=lambda v: (v.account.name, v.role.name))
        self._stmt_index: dict[int, int] = {}
        self._stmts: list[Statement] = []
        groups: dict[int, _Group] = {}
        for i, view in enumerate(self.views):
            es = view.effective
            group = groups.get(id(es))
            if group is None:
                bounds = None if es.boundary is None else self._bits(es._bound_allows)
                group = groups[id(es)] = _Group(
                    es, [], self._bits(es._allows), bounds, self._bits(es._denies)
                )
            group.views.append(i)
        self._groups = list(groups.values())
        self._answers: list[dict[Access, list[Answer]]] = [{} for _ in self.views]
        self._json: list[dict[Access, str]] = [{} for _ in self.views]
        self._memo: dict[tuple[str, str | None], list[tuple[int, Access]]] = {}

    def _bits(self, stmts: Iterable[Statement]) -> int:
        out = 0
        for st in stmts:
            index = self._stmt_index.get(id(st))
            if index is None:
                index = self._stmt_index[id(st)] = len(self._stmts)
                self._stmts.append(st)
            out |= 1 << index
        return out

    def check(self, action: str, account: str | None) -> str:
        canonical = self.model.db.canonical(action)
        if canonical is None:
            hint = self.model.db.suggest(action)
            raise QueryError(f"unknown action {action!r}" + (f" (did you mean {hint}?)" if hint else ""))
        if account is not None and not any(a.name == account for a in self.model.catalog.accounts):
            names = ", ".join(a.name for a in self.model.catalog.accounts)
            raise QueryError(f"unknown account {account!r}; the catalog has: {names}")
        return canonical

    # ------------------------------------------------------------------ deciding
    def _decisions(self, action: str, resource: str | None) -> list[tuple[int, Access]]:
        """(view index, access) of every view that can, in answer order."""
        key = (action, resource)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        bit = self.model.db.bit(action)
        out: list[tuple[int, Access]] = []
        if resource is None:
            for g in self._groups:
                if bit & g.es.candidates:
                    access = g.es.access(action)
                    if access is not Access.NONE:
                        out.extend((i, access) for i in g.views)
        else:
            matched = plain = 0
            for index, st in enumerate(self._stmts):
                if st.mask & bit and spec_matches(st.resources, resource):
                    matched |= 1 << index
                    if st.condition is None:
                        plain |= 1 << index
            for g in self._groups:
                access = _decide_bits(g, matched, plain)
                if access is not Access.NONE:
                    out.extend((i, access) for i in g.views)
        out.sort()
        self._memo[key] = out
        return out

    # ------------------------------------------------------------------ answers
    def ask(self, action: str, resource: str | None = None, account: str | None = None) -> list[Answer]:
        action = self.check(action, account)
        out: list[Answer] = []
        for i, access in self._decisions(action, resource):
            view = self.views[i]
            if account is None or view.account.name == account:
                out.extend(self._view_answers(i, view, access))
        return out

    def ask_json(self, action: str, resource: str | None = None, account: str | None = None) -> str:
        """``ask`` as one compact JSON line (the --queries output), from cached fragments."""
        action = self.check(action, account)
        parts: list[str] = []
        for i, access in self._decisions(action, resource):
            view = self.views[i]
            if account is not None and view.account.name != account:
                continue
            text = self._json[i].get(access)
            if text is None:
                answers = self._view_answers(i, view, access)
                text = self._json[i][access] = ",".join(
                    json.dumps(a.as_json(), separators=(",", ":")) for a in answers
                )
            if text:
                parts.append(text)
        return "[" + ",".join(parts) + "]"

    def _view_answers(self, i: int, view: RoleView, access: Access) -> list[Answer]:
        cached = self._answers[i].get(access)
        if cached is None:
            cached = self._answers[i][access] = [
                Answer(
                    reach.principal.user,
                    reach.principal.principal,
                    view.role.name,
                    view.account.name,
                    reach.via,
                    reach.until_iso,
                    "conditional" if access is Access.CONDITIONAL or reach.conditional else "allowed",
                )
                for reach in self.model.reach(view)
            ]
        return cached


def _decide_bits(g: _Group, matched: int, plain: int) -> Access:
    """``engine.decide`` over statement bits: explicit deny, identity Allow, boundary Allow."""
    if g.denies & plain:
        return Access.NONE
    if not g.allows & matched or (g.bounds is not None and not g.bounds & matched):
        return Access.NONE
    unconditional = g.allows & plain and (g.bounds is None or g.bounds & plain) and not g.denies & matched
    return Access.UNCONDITIONAL if unconditional else Access.CONDITIONAL


def parse_query(line: str, number: int) -> tuple[str, str | None, str | None]:
    """One JSON line of ``--queries``: {"action": ..., "resource": ..., "account": ...}."""
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
