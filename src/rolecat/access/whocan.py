"""``rolecat who-can ACTION [RESOURCE]``: every principal that can perform an action.

A query without a resource asks "on at least one resource" (``EffectiveSet.access``);
with one, the resource is the request's resource as AWS sees it (decided as
``engine.decide`` does: a ``*`` is the literal resource of an action without
resource-level permissions).  The answer lists, per role whose permissions allow it,
every principal that reaches that role (``AccessModel.reach``).  ``WhoCan`` decides a
query for every view at once over numbered statements (see its docstring), which gives
what the engine gives view by view (tests/access/test_batch.py, test_model.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress
from typing import Any

from rolecat.iam.engine import Access, Statement, Verdict, decide
from rolecat.iam.globs import compile_glob, has_wildcard

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
    """A query that is malformed or names no known action or account: a usage error for
    the command line's ACTION, a finding (WC001, exit 1) for a line of ``--queries FILE``;
    ``col`` (1-based, 0 unknown) where in the line, and ``hint``, when its JSON is broken."""

    def __init__(self, message: str, col: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.col = col
        self.hint = hint


QUERY_IS = 'a query is a JSON object on one line: {"action": ..., "resource": ..., "account": ...}'


class WhoCan:
    """Answers many queries over one catalog.

    Views are kept in answer order (account, role), each with its answers serialised
    once per access level, so an answer is a join of precomputed text.  Each distinct
    statement of the views' effective sets is numbered, and kept with the bitset of the
    views holding it (as an identity Allow, a boundary Allow, a Deny).  A query is then
    decided for every view at once, by OR-ing the bitsets of the statements that apply:

    * with a resource, like ``engine.decide`` (explicit deny, identity Allow, boundary
      Allow), each distinct statement's patterns matched once per query;
    * without one, ``EffectiveSet.candidates`` and ``EffectiveSet.plain`` for the action
      come from the statements whose actions include it; only the views left between
      the two (granted on some resources, or under a condition) ask their effective set.

    Decisions are memoised per query, answer lines per query without a resource.
    """

    def __init__(self, model: AccessModel) -> None:
        self.model = model
        self.views = sorted(model.views, key=lambda v: (v.account.name, v.role.name))
        n = len(self.views)
        self._stmt_index: dict[int, int] = {}
        self._stmts: list[Statement] = []
        # statement -> views holding it (as an identity Allow, a boundary Allow, a Deny)
        holders: list[list[list[int]]] = [[], [], []]
        unbounded: list[int] = []
        numbered: dict[int, tuple[list[int], list[int] | None, list[int]]] = {}
        for i, view in enumerate(self.views):
            es = view.effective
            found = numbered.get(id(es))
            if found is None:
                bounds = None if es.boundary is None else self._number(es.boundary_allows, holders)
                found = numbered[id(es)] = (
                    self._number(es.allows, holders),
                    bounds,
                    self._number(es.denies, holders),
                )
            allows, bounds, denies = found
            for kind, stmts in ((0, allows), (1, bounds or ()), (2, denies)):
                table = holders[kind]
                for j in stmts:
                    table[j].append(i)
            if bounds is None:
                unbounded.append(i)
        self._v_allow = [_bitset(found) for found in holders[0]]
        self._v_bound = [_bitset(found) for found in holders[1]]
        self._v_deny = [_bitset(found) for found in holders[2]]
        self._v_unbounded = _bitset(unbounded)
        self._all = (1 << n) - 1
        self._ranges: dict[str, tuple[int, int]] = {}
        for i, view in enumerate(self.views):
            first, _ = self._ranges.get(view.account.name, (i, i))
            self._ranges[view.account.name] = (first, i + 1)
        self._masks = {
            name: ((1 << (last - first)) - 1) << first for name, (first, last) in self._ranges.items()
        }
        self._answers: list[dict[Access, list[Answer]]] = [{} for _ in self.views]
        self._frags: tuple[list[bytes | None], list[bytes | None]] = ([None] * n, [None] * n)  # cond, allowed
        self._memo: dict[tuple[str, str | None, str | None], tuple[int, int]] = {}
        self._by_action: dict[str, _ByAction] = {}
        self._lines: dict[tuple[str, str | None, str | None], bytes] = {}

    def _number(self, stmts: Iterable[Statement], holders: list[list[list[int]]]) -> list[int]:
        out = []
        for st in stmts:
            index = self._stmt_index.get(id(st))
            if index is None:
                index = self._stmt_index[id(st)] = len(self._stmts)
                self._stmts.append(st)
                for table in holders:
                    table.append([])
            out.append(index)
        return out

    def check(self, action: str, account: str | None) -> str:
        canonical = self.model.db.canonical(action)
        if canonical is None and has_wildcard(action):
            raise QueryError(
                f"{action!r}: who-can decides one request, so ACTION is one action without wildcards "
                "(e.g. s3:GetObject); ask once per action"
            )
        if canonical is None:
            hint = self.model.db.suggest(action)
            raise QueryError(f"unknown action {action!r}" + (f" (did you mean {hint}?)" if hint else ""))
        if account is not None and not any(a.name == account for a in self.model.catalog.accounts):
            from rolecat.model.catalog import account_hint

            raise QueryError(
                f"unknown account {account!r}; {account_hint(account, self.model.catalog.accounts)}"
            )
        return canonical

    # ------------------------------------------------------------------ deciding
    def _access(self, action: str, resource: str | None, account: str | None) -> tuple[int, int]:
        """Which views of ``account`` (or all) can, and which of those without a
        condition: two bitsets over ``views``, memoised per query."""
        key = (action, resource, account)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        scope = self._all if account is None else self._masks.get(account, 0)
        ba = self._statements_of(action)
        unbounded = self._v_unbounded
        if resource is None:
            # EffectiveSet.candidates and .plain of every view, for this action
            candidates = ba.any_allow & (ba.any_bound | unbounded) & ~ba.deny_plain & scope
            plain = ba.allow_plain & (ba.bound_plain | unbounded) & ~ba.any_deny & candidates
            can = plain
            for i in _indices(candidates & ~plain):
                access = self.views[i].effective.candidate_access(action)
                if access is not Access.NONE:
                    can |= 1 << i
                    if access is Access.UNCONDITIONAL:
                        plain |= 1 << i
            result = (can, plain)
        else:
            # engine.decide for every view at once: explicit deny, identity Allow, boundary Allow
            allow, allow_plain = ba.allow, ba.allow_plain
            bound, bound_plain = ba.bound, ba.bound_plain
            deny, deny_plain = ba.deny, ba.deny_plain
            for j in ba.index.matching(resource):
                allow |= self._v_allow[j]
                bound |= self._v_bound[j]
                deny |= self._v_deny[j]
                if self._stmts[j].condition is None:
                    allow_plain |= self._v_allow[j]
                    bound_plain |= self._v_bound[j]
                    deny_plain |= self._v_deny[j]
            can = allow & (bound | unbounded) & ~deny_plain & scope
            plain = can & allow_plain & (bound_plain | unbounded) & ~deny
            result = (can, plain)
        self._memo[key] = result
        return result

    def _statements_of(self, action: str) -> _ByAction:
        """The view bitsets of the statements whose actions include ``action``, OR-ed once."""
        hit = self._by_action.get(action)
        if hit is None:
            bit = self.model.db.bit(action)
            hit = self._by_action[action] = _ByAction()
            for j, st in enumerate(self._stmts):
                if not st.mask & bit:
                    continue
                a, b, d = self._v_allow[j], self._v_bound[j], self._v_deny[j]
                hit.any_allow |= a
                hit.any_bound |= b
                hit.any_deny |= d
                if not st.resources.everything:
                    hit.index.add(j, st.resources.negated, st.resources.patterns)
                    continue
                hit.allow |= a
                hit.bound |= b
                hit.deny |= d
                if st.condition is None:
                    hit.allow_plain |= a
                    hit.bound_plain |= b
                    hit.deny_plain |= d
        return hit

    def _chosen(self, action: str, resource: str | None, account: str | None) -> list[tuple[int, bool]]:
        """(view index, unconditional) of every view of ``account`` (or all) that can, in
        answer order."""
        can, plain = self._access(action, resource, account)
        unconditional = _selector(plain)
        size = len(unconditional)
        return [(i, i < size and unconditional[i] == 1) for i in _indices(can)]

    # ------------------------------------------------------------------ answers
    def ask(self, action: str, resource: str | None = None, account: str | None = None) -> list[Answer]:
        action = self.check(action, account)
        out: list[Answer] = []
        for i, unconditional in self._chosen(action, resource, account):
            access = Access.UNCONDITIONAL if unconditional else Access.CONDITIONAL
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
        return "[" + self.ask_items(action, resource, account).decode("ascii") + "]"

    def ask_items(self, action: str, resource: str | None = None, account: str | None = None) -> bytes:
        """``ask_json`` as ASCII bytes (``json.dumps`` escapes the rest) without its
        brackets (the caller writes them, sparing a copy of a large answer): one join of the views' answer fragments, serialised once per view and
        access level.  Lines are memoised per query, bar those with a resource (a
        reviewer's batch rarely repeats one, and the lines are large)."""
        action = self.check(action, account)
        key = (action, resource, account)
        done = self._lines.get(key)
        if done is not None:
            return done
        can, plain = self._access(action, resource, account)
        conditional = can & ~plain
        if conditional:
            chosen = [(i, False) for i in _indices(conditional)] + [(i, True) for i in _indices(plain)]
            chosen.sort()
            parts: list[bytes | None] = [self._fragment(i, unconditional) for i, unconditional in chosen]
        else:  # the common case: every view unconditional, its fragments picked in C
            frags = self._frags[True]
            selector = _selector(can)
            parts = list(compress(frags, selector))
            if None in parts:
                for i in compress(range(len(selector)), selector):
                    self._fragment(i, True)
                parts = list(compress(frags, selector))
        found = list(filter(None, parts))
        found.extend(_encode(a.as_json()) for a in self._user_answers(action, resource, account))
        line = b",".join(found)
        if resource is None:
            self._lines[key] = line
        return line

    def _fragment(self, i: int, unconditional: bool) -> bytes:
        """View ``i``'s answers as JSON objects joined by commas (b"" without any)."""
        frags = self._frags[unconditional]
        text = frags[i]
        if text is None:
            # Answer.as_json as json.dumps(..., separators=(",", ":")) prints it, from
            # the JSON text of each string (memoised: names repeat across views)
            view = self.views[i]
            head = b'{"user":'
            middle = b',"role":' + _string(view.role.name) + b',"account":' + _string(view.account.name)
            level = b'"allowed"}' if unconditional else b'"conditional"}'
            text = frags[i] = b",".join(
                b"".join(
                    (
                        head,
                        _string(reach.principal.user),
                        b',"principal":',
                        _string(reach.principal.principal),
                        middle,
                        b',"via":[',
                        b",".join(map(_string, reach.via)),
                        b'],"until":',
                        _string(reach.until_iso),
                        b',"access":',
                        b'"conditional"}' if reach.conditional else level,
                    )
                )
                for reach in self.model.reach(view)
            )
        return text

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


class _ByAction:
    """For one action: the view bitsets of the statements including it, OR-ed (any
    resources; on every resource; on every resource without condition), and an index of
    the resource patterns of the others."""

    def __init__(self) -> None:
        self.any_allow = self.any_bound = self.any_deny = 0
        self.allow = self.bound = self.deny = 0
        self.allow_plain = self.bound_plain = self.deny_plain = 0
        self.index = _Index()


class _Index:
    """The resource patterns of numbered statements, found by their literal prefix.

    A statement applies to a request's resource when one of its patterns matches it
    (``Resource``) or none does (``NotResource``).  A pattern can only match a resource
    that starts with its literal text before the first wildcard, so a query looks up the
    resource's prefixes of each length some pattern has, and runs only the regexes of
    the patterns found there; a pattern without wildcard is one dictionary lookup, and
    one whose wildcards are all trailing ``*`` matches every resource its prefix finds
    (``*`` matches any run of characters)."""

    def __init__(self) -> None:
        self._exact: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[tuple[int, re.Pattern[str] | None]]] = {}
        self._lengths: list[int] = []
        self._negated: list[int] = []  # NotResource statements, in statement order

    def add(self, j: int, negated: bool, patterns: Iterable[str]) -> None:
        if negated:
            self._negated.append(j)
        for pattern in patterns:
            prefix = _prefix(pattern)
            if prefix == pattern:
                self._exact.setdefault(pattern, []).append(j)
                continue
            entries = self._by_prefix.get(prefix)
            if entries is None:
                entries = self._by_prefix[prefix] = []
                if len(prefix) not in self._lengths:
                    self._lengths.append(len(prefix))
                    self._lengths.sort()
            tail = pattern[len(prefix) :]
            entries.append((j, None if tail.strip("*") == "" else compile_glob(pattern)))

    def matching(self, resource: str) -> list[int]:
        """The statements that apply to ``resource`` (any order, each once)."""
        matched = set(self._exact.get(resource, ()))
        by_prefix = self._by_prefix
        size = len(resource)
        for n in self._lengths:
            if n > size:
                break
            entries = by_prefix.get(resource[:n])
            if entries is None:
                continue
            for j, regex in entries:
                if j not in matched and (regex is None or regex.fullmatch(resource) is not None):
                    matched.add(j)
        if not self._negated:
            return list(matched)
        negated = set(self._negated)
        out = [j for j in matched if j not in negated]
        out.extend(j for j in self._negated if j not in matched)
        return out


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _encode(value: dict[str, Any]) -> bytes:
    """``json.dumps(value, separators=(",", ":"))``, as ASCII bytes."""
    return _ENCODER.encode(value).encode("ascii")


_STRINGS: dict[str | None, bytes] = {None: b"null"}


def _string(value: str | None) -> bytes:
    """A string (or None) as ``json.dumps`` prints it, as ASCII bytes; memoised."""
    done = _STRINGS.get(value)
    if done is None:
        done = _STRINGS[value] = _ENCODER.encode(value).encode("ascii")
    return done


def _prefix(pattern: str) -> str:
    """The literal text before a pattern's first wildcard."""
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    return pattern[:cut]


_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")


def _selector(bits: int) -> bytes:
    """A bitset as bytes 0/1, bit i at position i (up to the highest set bit)."""
    return bin(bits)[:1:-1].encode("ascii").translate(_ZERO_ONE)


def _bitset(indices: Iterable[int]) -> int:
    """The bitset with the given bits set."""
    out = 0
    for i in indices:
        out |= 1 << i
    return out


def _indices(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    text = bin(bits)[:1:-1]  # least significant bit first
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def parse_query(line: str, number: int = 1) -> tuple[str, str | None, str | None]:
    """One JSON line of ``--queries``, its ``number`` in the file: {"action": ...,
    "resource": ..., "account": ...}."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:
        from rolecat.load.source import json_syntax

        syntax = json_syntax(line, exc, number)
        assert syntax is not None  # json refused it
        raise QueryError(syntax.message, syntax.col, syntax.hint or QUERY_IS) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("action"), str):
        raise QueryError('expected an object with "action" (and optional "resource", "account")')
    unknown = sorted(set(data) - {"action", "resource", "account"})
    if unknown:
        raise QueryError(f"unknown key {unknown[0]!r}")
    for key in ("resource", "account"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise QueryError(f"{key} must be a string")
    if data.get("resource") == "":
        raise QueryError('resource is empty: give the resource, or leave "resource" out')
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
