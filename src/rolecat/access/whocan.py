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
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rolecat.iam.engine import Access, EffectiveSet, Statement, Verdict, decide
from rolecat.iam.globs import compile_glob

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
                bounds = None if es.boundary is None else self._bits(es.boundary_allows)
                group = groups[id(es)] = _Group(es, [], self._bits(es.allows), bounds, self._bits(es.denies))
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
        self._frags: list[list[str | None]] = [[None, None] for _ in self.views]  # [conditional, allowed]
        self._memo: dict[tuple[str, str | None, str | None], tuple[str, str]] = {}
        self._by_action: dict[str, tuple[tuple[int, ...], list[_Test]]] = {}
        self._group_of = [0] * len(self.views)
        for gi, g in enumerate(self._groups):
            for i in g.views:
                self._group_of[i] = gi
        self._ranges: dict[str, tuple[int, int]] = {}
        self._account_groups: dict[str, list[int]] = {}
        for i, view in enumerate(self.views):
            groups_here = self._account_groups.setdefault(view.account.name, [])
            if not groups_here or groups_here[-1] != self._group_of[i]:
                groups_here.append(self._group_of[i])
        for name, found in self._account_groups.items():
            self._account_groups[name] = sorted(set(found))
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
    def _group_access(self, action: str, resource: str | None, account: str | None) -> tuple[str, str]:
        """Which groups (indexed like ``_groups``) can, and which of those without a
        condition: two strings of "0"/"1", memoised per query (groups outside
        ``account`` may be left "0")."""
        key = (action, resource, account if resource is None else None)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        bit = self.model.db.bit(action)
        n = len(self._groups)
        if resource is None:
            can_c, plain_c = ["0"] * n, ["0"] * n
            chosen = range(n) if account is None else self._account_groups.get(account, ())
            for gi in chosen:
                g = self._groups[gi]
                if bit & g.es.candidates:
                    access = g.es.access(action)
                    if access is not Access.NONE:
                        can_c[gi] = "1"
                        if access is Access.UNCONDITIONAL:
                            plain_c[gi] = "1"
            result = ("".join(can_c), "".join(plain_c))
        else:
            # engine.decide for every group at once: explicit deny, identity Allow, boundary Allow
            fixed, specific = self._statements_of(action, bit)
            allow, allow_plain, bound, bound_plain, deny, deny_plain = fixed
            for j, negated, tests in specific:
                matched = any(
                    resource.startswith(prefix) and regex.fullmatch(resource) is not None
                    for prefix, regex in tests
                )
                if matched == negated:
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
            result = (_bits_text(can, n), _bits_text(plain, n))
        self._memo[key] = result
        return result

    def _statements_of(self, action: str, bit: int) -> tuple[tuple[int, ...], list[_Test]]:
        """For the statements whose actions include ``action``: the group bitsets of those
        on every resource ("*", so they match any request), OR-ed once (allow, allow
        without condition, boundary, boundary without condition, deny, deny without
        condition); and a matcher for each of the others (literal prefix, then regex)."""
        hit = self._by_action.get(action)
        if hit is None:
            fixed = [0] * 6
            specific: list[_Test] = []
            for j, st in enumerate(self._stmts):
                if not st.mask & bit:
                    continue
                if st.resources.everything:
                    plain = st.condition is None
                    for k, table in enumerate((self._g_allow, self._g_bound, self._g_deny)):
                        fixed[2 * k] |= table[j]
                        if plain:
                            fixed[2 * k + 1] |= table[j]
                    continue
                tests = tuple((_prefix(p), compile_glob(p)) for p in st.resources.patterns)
                specific.append((j, st.resources.negated, tests))
            hit = self._by_action[action] = (tuple(fixed), specific)
        return hit

    def _chosen(self, action: str, resource: str | None, account: str | None) -> Iterator[tuple[int, Access]]:
        """(view index, access) of every view of ``account`` (or all) that can, in answer order."""
        can, plain = self._group_access(action, resource, account)
        first, last = self._ranges.get(account, (0, 0)) if account is not None else (0, len(self.views))
        group_of = self._group_of
        for i in range(first, last):
            gi = group_of[i]
            if can[gi] == "1":
                yield i, Access.UNCONDITIONAL if plain[gi] == "1" else Access.CONDITIONAL

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
        can, plain = self._group_access(action, resource, account)
        first, last = self._ranges.get(account, (0, 0)) if account is not None else (0, len(self.views))
        group_of, frags = self._group_of, self._frags
        chosen = [(i, plain[group_of[i]] == "1") for i in range(first, last) if can[group_of[i]] == "1"]
        parts: list[str] = []
        for i, unconditional in chosen:
            text = frags[i][unconditional]
            if text is None:
                access = Access.UNCONDITIONAL if unconditional else Access.CONDITIONAL
                answers = self._view_answers(i, self.views[i], access)
                text = frags[i][unconditional] = ",".join(
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


_Test = tuple[int, bool, tuple[tuple[str, re.Pattern[str]], ...]]  # statement, negated, (prefix, regex)


def _prefix(pattern: str) -> str:
    """The literal text before a pattern's first wildcard."""
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    return pattern[:cut]


def _indices(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    text = bin(bits)[:1:-1]  # least significant bit first
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def _bits_text(bits: int, n: int) -> str:
    """A bitset as n characters "0"/"1", bit i at position i."""
    return bin(bits)[:1:-1].ljust(n, "0") if bits else "0" * n


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
