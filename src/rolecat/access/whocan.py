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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rolecat.iam.engine import Access, EffectiveSet, Statement, Verdict, decide, spec_matches

from .model import AccessModel, RoleView


@dataclass(frozen=True)
class Answer:
    user: str | None
    principal: str
    role: str | None  # None: the person's own IAM user, no role
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
        # statement -> groups holding it, as bitsets over the groups
        self._g_allow: list[int] = [0] * len(self._stmts)
        self._g_bound: list[int] = [0] * len(self._stmts)
        self._g_deny: list[int] = [0] * len(self._stmts)
        self._g_unbounded = 0
        for gi, g in enumerate(self._groups):
            for table, bits in (
                (self._g_allow, g.allows),
                (self._g_bound, g.bounds or 0),
                (self._g_deny, g.denies),
            ):
                for j in _indices(bits):
                    table[j] |= 1 << gi
            if g.bounds is None:
                self._g_unbounded |= 1 << gi
        self._answers: list[dict[Access, list[Answer]]] = [{} for _ in self.views]
        self._json: list[dict[Access, str]] = [{} for _ in self.views]
        self._memo: dict[tuple[str, str | None], list[Access]] = {}
        self._by_action: dict[str, list[int]] = {}
        self._group_of = [0] * len(self.views)
        for gi, g in enumerate(self._groups):
            for i in g.views:
                self._group_of[i] = gi
        self._ranges: dict[str, tuple[int, int]] = {}
        for i, view in enumerate(self.views):
            first, _ = self._ranges.get(view.account.name, (i, i))
            self._ranges[view.account.name] = (first, i + 1)
        self._lines: dict[tuple[str, str | None, str | None], str] = {}

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
    def _group_access(self, action: str, resource: str | None) -> list[Access]:
        """The access of every group (indexed like ``_groups``), memoised per query."""
        key = (action, resource)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        bit = self.model.db.bit(action)
        out = [Access.NONE] * len(self._groups)
        if resource is None:
            for gi, g in enumerate(self._groups):
                if bit & g.es.candidates:
                    out[gi] = g.es.access(action)
        else:
            # engine.decide for every group at once: explicit deny, identity Allow, boundary Allow
            allow = allow_plain = bound = bound_plain = deny = deny_plain = 0
            for j in self._statements_of(action, bit):
                if not spec_matches(self._stmts[j].resources, resource):
                    continue
                allow |= self._g_allow[j]
                bound |= self._g_bound[j]
                deny |= self._g_deny[j]
                if self._stmts[j].condition is None:
                    allow_plain |= self._g_allow[j]
                    bound_plain |= self._g_bound[j]
                    deny_plain |= self._g_deny[j]
            unbounded = self._g_unbounded
            can = allow & (bound | unbounded) & ~deny_plain
            plain = can & allow_plain & (bound_plain | unbounded) & ~deny
            for gi in _indices(can & ~plain):
                out[gi] = Access.CONDITIONAL
            for gi in _indices(plain):
                out[gi] = Access.UNCONDITIONAL
        self._memo[key] = out
        return out

    def _statements_of(self, action: str, bit: int) -> list[int]:
        """Indices of the statements whose actions include ``action``."""
        hit = self._by_action.get(action)
        if hit is None:
            hit = self._by_action[action] = [j for j, st in enumerate(self._stmts) if st.mask & bit]
        return hit

    def _chosen(self, action: str, resource: str | None, account: str | None) -> Iterator[tuple[int, Access]]:
        """(view index, access) of every view of ``account`` (or all) that can, in answer order."""
        access = self._group_access(action, resource)
        first, last = self._ranges.get(account, (0, 0)) if account is not None else (0, len(self.views))
        group_of = self._group_of
        for i in range(first, last):
            a = access[group_of[i]]
            if a is not Access.NONE:
                yield i, a

    # ------------------------------------------------------------------ answers
    def ask(self, action: str, resource: str | None = None, account: str | None = None) -> list[Answer]:
        action = self.check(action, account)
        out: list[Answer] = []
        for i, access in self._chosen(action, resource, account):
            out.extend(self._view_answers(i, self.views[i], access))
        out.extend(self._user_answers(action, resource, account))
        return out

    def _user_answers(self, action: str, resource: str | None, account: str | None) -> list[Answer]:
        """People acting with their own IAM user (the identity account's group policies):
        ``role`` empty, ``via`` empty; after the role answers."""
        out: list[Answer] = []
        for us in self.model.user_sets:
            if account is not None and us.account.name != account:
                continue
            if resource is None:
                access = us.effective.access(action)
            else:
                verdict = decide(us.effective, action, resource).verdict
                access = {Verdict.ALLOWED: Access.UNCONDITIONAL, Verdict.CONDITIONAL: Access.CONDITIONAL}.get(
                    verdict, Access.NONE
                )
            if access is Access.NONE:
                continue
            level = "conditional" if access is Access.CONDITIONAL else "allowed"
            out.extend(Answer(name, arn, None, us.account.name, (), None, level) for name, arn in us.users)
        return out

    def ask_json(self, action: str, resource: str | None = None, account: str | None = None) -> str:
        """``ask`` as one compact JSON line (the --queries output), from cached fragments."""
        action = self.check(action, account)
        key = (action, resource, account)
        done = self._lines.get(key)
        if done is not None:
            return done
        parts: list[str] = []
        for i, access in self._chosen(action, resource, account):
            text = self._json[i].get(access)
            if text is None:
                answers = self._view_answers(i, self.views[i], access)
                text = self._json[i][access] = ",".join(
                    json.dumps(a.as_json(), separators=(",", ":")) for a in answers
                )
            if text:
                parts.append(text)
        users = self._user_answers(action, resource, account)
        parts.extend(json.dumps(a.as_json(), separators=(",", ":")) for a in users)
        line = self._lines[key] = "[" + ",".join(parts) + "]"
        return line

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


def _indices(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    text = bin(bits)[:1:-1]  # least significant bit first
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


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
        until = f" until {a.until}" if a.until else ""
        if a.role is None:
            lines.append(f"{who}\town IAM user in {a.account}{until}\t{a.access}")
            continue
        via = " -> ".join(a.via)
        lines.append(f"{who}\t{a.role} in {a.account}\tvia {via}{until}\t{a.access}")
    return "\n".join(lines)
