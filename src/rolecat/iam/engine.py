"""Effective permissions of a role: identity policies ∩ boundary, minus explicit denies.

The engine works on plain policy documents (mappings as in JSON) and the action
database.  It answers, per action: is it granted unconditionally, only under a
condition, or not at all; and through which statements, on which resources.

Evaluation follows IAM's rules for one principal without resource policies or SCPs:

* an action is allowed when some identity Allow statement and some boundary Allow
  statement (any Allow, when there is no boundary) both cover it on a common
  resource;
* an explicit Deny in any document, identity or boundary, wins.  A Deny without
  condition that covers every resource of a grant removes the grant; a Deny with a
  condition makes the grant conditional where its Resource matches (all of the
  grant when it covers all of its resources, else only those resources); a Deny on
  some resources only excludes those;
* a grant under a Condition is conditional, never unconditional;
* a statement applies to an action only where its resources can name a resource of
  that action (the action database's resource types): an action without
  resource-level permissions is requested on ``*``, so only statements whose Resource
  matches ``*`` apply to it; ``NotResource: "*"`` matches nothing.

Action sets are bitsets over the database (see ``ActionDB.mask``), so whole-policy
set algebra is cheap; resource and condition detail is computed per action on
demand and cached.  ``Normalizer`` caches each distinct document's statements for
the lifetime of one run.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

from .actions import ActionDB
from .globs import (
    FIELD_STAR,
    NAME_STAR,
    compile_glob,
    covers,
    has_wildcard,
    overlaps,
    overlaps_arn,
    overlaps_format,
    resolve_variables,
    variables,
    widen,
)


class Access(enum.IntEnum):
    NONE = 0
    CONDITIONAL = 1
    UNCONDITIONAL = 2


@dataclass(frozen=True)
class Condition:
    """A statement's Condition block: (operator, key, values), sorted; keys lower-cased."""

    tests: tuple[tuple[str, str, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, block: Any) -> Condition | None:
        if not isinstance(block, Mapping) or not block:
            return None
        tests = []
        for operator, pairs in block.items():
            if not isinstance(pairs, Mapping):
                continue
            for key, values in pairs.items():
                items = values if isinstance(values, list) else [values]
                tests.append((str(operator), str(key).lower(), tuple(_text(v) for v in items)))
        return cls(tuple(sorted(tests)))

    def __str__(self) -> str:
        return ", ".join(
            f"{values[0]} names {key}" if op == VARIABLE_TEST else f"{op} {key} {'|'.join(values)}"
            for op, key, values in self.tests
        )

    def with_variables(self, element: str, names: Iterable[str]) -> Condition:
        """This block and a test per policy variable of the statement's ``element``
        (``VARIABLE_TEST``)."""
        extra = [(VARIABLE_TEST, name, (element,)) for name in sorted(set(names))]
        return Condition(tuple(sorted([*self.tests, *extra])))


# The test a statement gets for a policy variable in its Resource or NotResource: which
# resources it names depends on the request ("If AWS cannot resolve a variable, this might
# cause the entire statement to be invalid", IAM: policy variables), as if a condition held, so the
# statement is conditional: an Allow grants under conditions and a Deny never removes a
# grant outright.
VARIABLE_TEST = "PolicyVariable"


@dataclass(frozen=True)
class ResourceSpec:
    """``Resource`` (negated=False) or ``NotResource`` (negated=True) patterns, variables widened."""

    patterns: tuple[str, ...]
    negated: bool = False

    @property
    def everything(self) -> bool:
        return not self.negated and "*" in self.patterns

    @property
    def empty(self) -> bool:
        """``NotResource`` of a pattern matching every string (``"*"``): names nothing."""
        return self.negated and any(p and set(p) == {"*"} for p in self.patterns)

    def applies_to(self, resource: str) -> bool:
        """Whether this spec covers some of the resources ``resource`` (a pattern) names."""
        if self.empty:
            return False
        if self.negated:
            return not any(covers(p, resource) for p in self.patterns)
        return any(overlaps(p, resource) for p in self.patterns)

    def overlaps(self, other: ResourceSpec, *, iam: bool = False) -> bool:
        """Whether the two specs name a common resource; ``iam``: of an action whose
        resources are all IAM's, whose ARNs hold exactly five colons (``overlaps_arn``)."""
        if self.empty or other.empty:
            return False
        if self.negated and other.negated:
            return True  # the complements of two finite pattern sets always meet
        if self.negated:
            return other.overlaps(self, iam=iam)
        if other.negated:
            return any(not any(covers(n, p) for n in other.patterns) for p in self.patterns)
        meet = overlaps_arn if iam else overlaps
        return any(meet(p, q) for p in self.patterns for q in other.patterns)

    def covers(self, other: ResourceSpec) -> bool:
        """Whether every resource ``other`` names is also named here (sound, not complete)."""
        if self.everything or other.empty:
            return True
        if other.negated:
            # complement(other) within complement(self): what self excludes, other excludes too
            return self.negated and all(any(covers(q, p) for q in other.patterns) for p in self.patterns)
        if self.negated:
            return all(not any(overlaps(p, n) for n in self.patterns) for p in other.patterns)
        return all(any(covers(p, q) for p in self.patterns) for q in other.patterns)

    def names_all(self, universe: tuple[str, ...]) -> bool:
        """Whether this spec names every ARN of every format in ``universe``: Resource
        patterns that match them all, or NotResource patterns that exclude none of them
        (``NotResource: arn:aws:s3:::*`` names every IAM ARN).  A pattern naming a
        partition (``arn:aws:...``) is compared in that partition: a request in an
        account of it names that partition, the only place the pattern can match."""
        if self.negated:
            return not any(overlaps_format(p, u) for p in self.patterns for u in universe)
        return all(any(_covers_format(p, _in_partition_of(p, u)) for p in self.patterns) for u in universe)

    def within(self, universe: tuple[str, ...] | None) -> ResourceSpec | None:
        """This spec as it applies to an action whose requests name ``universe``
        (``ActionDB.resource_universe``): patterns that cannot name such a resource
        dropped; None when nothing is left."""
        if self.empty:
            return None
        if universe is None:
            return self
        if not universe:
            # The request's resource is always the string "*": the statement applies to all
            # of the action's requests or to none of them.
            hit = any(compile_glob(p).fullmatch("*") for p in self.patterns)
            return EVERYTHING if hit != self.negated else None
        if self.negated:
            # NotResource applies unless it excludes every resource the action can name.
            left = [u for u in universe if not any(_covers_format(n, u) for n in self.patterns)]
            return self if left else None
        kept = tuple(p for p in self.patterns if any(overlaps_format(p, u) for u in universe))
        if not kept:
            return None
        return self if len(kept) == len(self.patterns) else ResourceSpec(kept)


def _in_partition_of(pattern: str, typed: str) -> str:
    """``typed`` with its partition field set to ``pattern``'s, when that is a literal."""
    p_parts, t_parts = pattern.split(":", 2), typed.split(":", 2)
    if len(p_parts) < 3 or len(t_parts) < 3 or p_parts[0] != "arn" or has_wildcard(p_parts[1]):
        return typed
    return f"arn:{p_parts[1]}:{t_parts[2]}"


def _covers_format(outer: str, typed: str) -> bool:
    """Whether the policy pattern ``outer`` matches every ARN of a typed format."""
    return covers(outer, typed.replace(FIELD_STAR, "*").replace(NAME_STAR, "*"))


EVERYTHING = ResourceSpec(("*",))


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: actions as a bitset, resources, condition."""

    effect: str  # Allow or Deny
    mask: int
    resources: ResourceSpec
    condition: Condition | None
    origin: str  # label of the document, e.g. policies/dev.json or the managed policy ARN
    index: int  # position in the document's Statement list
    sid: str | None = None

    @property
    def unconditional(self) -> bool:
        return self.condition is None

    def describe(self) -> str:
        return f"{self.origin} statement {self.sid or self.index + 1}"


@dataclass(frozen=True)
class Grant:
    """One way an action is allowed: an identity Allow, the boundary Allow that admits it,
    and the denies that narrow it."""

    identity: Statement
    boundary: Statement | None  # None when the role has no boundary
    conditional_denies: tuple[Statement, ...] = ()  # conditional denies on some or all resources
    excluded: tuple[ResourceSpec, ...] = ()  # unconditional denies on some resources
    denied_when: bool = False  # some conditional deny covers all of the grant's resources

    @property
    def conditions(self) -> tuple[Condition, ...]:
        out = [
            s.condition for s in (self.identity, self.boundary) if s is not None and s.condition is not None
        ]
        return tuple(out)

    @property
    def conditional(self) -> bool:
        """Conditional on every resource it grants (a deny on some resources only makes
        just those conditional; see ``EffectiveSet.access`` with a resource)."""
        return bool(self.conditions) or self.denied_when

    @property
    def access(self) -> Access:
        return Access.CONDITIONAL if self.conditional else Access.UNCONDITIONAL

    @property
    def on_everything(self) -> bool:
        """Both statements name every resource ("*"); denies on some resources (with or
        without condition) may still take those out: see ``excluded``."""
        return self.identity.resources.everything and (
            self.boundary is None or self.boundary.resources.everything
        )

    def applies_to(self, resource: str) -> bool:
        if not self.identity.resources.applies_to(resource):
            return False
        if self.boundary is not None and not self.boundary.resources.applies_to(resource):
            return False
        probe = ResourceSpec((widen(resource),))
        return not any(spec.covers(probe) for spec in self.excluded)

    def resources(self) -> tuple[str, ...]:
        """The narrower of the identity and boundary resource patterns, for reports."""
        ident, bound = self.identity.resources, self.boundary.resources if self.boundary else EVERYTHING
        chosen = bound if (ident.everything or (not bound.negated and ident.covers(bound))) else ident
        return tuple(("NotResource " if chosen.negated else "") + p for p in chosen.patterns)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _statements_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = doc.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, list):
        return [s for s in raw if isinstance(s, Mapping)]
    return []


# The policy variables every signed request has a value for, whoever makes it: "This
# key is included in the request context for all signed requests" (aws:PrincipalArn,
# aws:PrincipalType, aws:userid; aws:PrincipalAccount: "for all requests, including
# anonymous requests"), "This key is always included in the request context"
# (aws:CurrentTime, aws:EpochTime): IAM, AWS global condition context keys.  A role
# session has no aws:username ("requests that are made using ... IAM roles do not
# include this key"); an IAM user's requests add it (``access.model.USER_VARIABLES``).
SIGNED_REQUEST_VARIABLES = frozenset(
    {
        "${aws:principalarn}",
        "${aws:principalaccount}",
        "${aws:principaltype}",
        "${aws:userid}",
        "${aws:currenttime}",
        "${aws:epochtime}",
    }
)
# A variable with a default value always resolves: "If a variable is not present, AWS
# uses the default text that you provide" (IAM: policy variables, specifying default
# values: "${aws:PrincipalTag/team, 'company-wide'}").  ${*} and ${?} are the literal
# characters (IAM's escapes): read as wildcards they name more, never nothing.
_ALWAYS_RESOLVES = re.compile(r"\$\{(?:[^,}]*, '[^'}]*'|\*|\?)\}")


class Normalizer:
    """Turns documents into ``Statement`` tuples, once per distinct document object.

    Keeps a reference to every document it has seen, so ``id()`` keys stay valid for
    the normaliser's lifetime; create one per run.
    """

    def __init__(self, db: ActionDB, *, known_variables: frozenset[str] = SIGNED_REQUEST_VARIABLES) -> None:
        """``known_variables``: policy variables (lower-cased, ``${aws:username}``) that have
        a value in every request of the principals these documents are evaluated for (by
        default those of every signed request); an Allow naming only those, or variables
        with a default value, is widened but not made conditional."""
        self.db = db
        self.known = known_variables
        self._docs: dict[int, tuple[Mapping[str, Any], tuple[Statement, ...]]] = {}
        # id(document) -> (document, its part, the number of the part's unions)
        self._parts: dict[int, tuple[Mapping[str, Any], Part, int]] = {}
        self._unions: dict[tuple[int, int, int, int], int] = {}  # a part's unions -> their number
        # the numbers of identity parts' unions and the boundary part's -> their bitsets
        self._bitsets: dict[tuple[tuple[int, ...], int | None], Bitsets] = {}
        self._masks: dict[tuple[tuple[str, ...], bool], int] = {}

    def statements(self, doc: Mapping[str, Any], origin: str) -> tuple[Statement, ...]:
        hit = self._docs.get(id(doc))
        if hit is not None and hit[0] is doc:
            return hit[1]
        result = tuple(
            s for i, raw in enumerate(_statements_of(doc)) for s in self._statements(raw, origin, i)
        )
        self._docs[id(doc)] = (doc, result)
        return result

    def part(self, doc: Mapping[str, Any], origin: str) -> tuple[Part, int]:
        """``Part.of(self.statements(doc, origin))``, once per distinct document object (the
        effective sets of many roles combine the same few documents), and the number of
        its unions: equal for documents whose statements have the same actions, effects and
        conditions and name every resource alike (one policy file rendered for two accounts)."""
        hit = self._parts.get(id(doc))
        if hit is not None and hit[0] is doc:
            return hit[1], hit[2]
        part = Part.of(self.statements(doc, origin))
        unions = (part.allow_any, part.allow_plain, part.deny_total, part.deny_any)
        number = self._unions.setdefault(unions, len(self._unions))
        self._parts[id(doc)] = (doc, part, number)
        return part, number

    def bitsets(self, idents: Sequence[tuple[Part, int]], bound: tuple[Part, int] | None) -> Bitsets:
        """The bitsets of these parts (numbered by ``part``), shared with every earlier set
        whose parts had the same unions."""
        key = (tuple([n for _, n in idents]), None if bound is None else bound[1])
        found = self._bitsets.get(key)
        if found is None:
            found = self._bitsets[key] = Bitsets(
                tuple([p for p, _ in idents]), None if bound is None else bound[0]
            )
        return found

    def action_mask(self, patterns: tuple[str, ...], negated: bool) -> int:
        key = (patterns, negated)
        mask = self._masks.get(key)
        if mask is None:
            mask = 0
            for p in patterns:
                mask |= self.db.mask(p)
            if negated:
                mask = self.db.all_mask & ~mask
            self._masks[key] = mask
        return mask

    def _resolves(self, variable: str) -> bool:
        """Whether ``variable`` has a value in every request these documents are evaluated for."""
        return variable.lower() in self.known or _ALWAYS_RESOLVES.fullmatch(variable) is not None

    def _statements(self, raw: Mapping[str, Any], origin: str, index: int) -> tuple[Statement, ...]:
        """The statement normalised: none when it grants or denies nothing the engine reads,
        two for an Allow whose ``Resource`` mixes patterns with and without a policy
        variable that may have no value: the others as written (a variable that always
        resolves read as ``*``), these under the variables' tests.
        ("If AWS cannot resolve a variable, this might cause the entire statement to be
        invalid", IAM: policy variables.  For an Allow the split reads more into it, the
        safe side for the checks; a Deny stays whole and conditional, so that it never
        removes a grant it might not make.)"""
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            return ()
        if "Action" in raw:
            mask = self.action_mask(_strings(raw["Action"]), negated=False)
        elif "NotAction" in raw:
            mask = self.action_mask(_strings(raw["NotAction"]), negated=True)
        else:
            return ()
        element = "Resource" if "Resource" in raw else "NotResource" if "NotResource" in raw else None
        if element is None:
            return ()
        patterns = _strings(raw[element])
        condition = Condition.parse(raw.get("Condition"))
        sid = raw.get("Sid") if isinstance(raw.get("Sid"), str) else None

        # each pattern as a pattern here (``resolve_variables``) and its variables
        read = [(resolve_variables(p), variables(p)) for p in patterns]
        whole = tuple(p for p, _ in read)
        negated = element == "NotResource"
        if not any(found for _, found in read):
            return (
                Statement(str(effect), mask, ResourceSpec(whole, negated), condition, origin, index, sid),
            )
        base = condition or Condition(())
        if effect == "Deny":
            # A variable read as ``*`` names more than the request does, known or not: a
            # Deny holding one stays whole and conditional, never removing a grant outright.
            held = base.with_variables(element, [v for _, found in read for v in found])
            return (Statement(str(effect), mask, ResourceSpec(whole, negated), held, origin, index, sid),)
        # An Allow: a variable every request has (``known``) is read as ``*``, which
        # grants more than the request does (the safe side); one that may have no value
        # makes what it names conditional.
        # per pattern, its variables that may have no value
        unresolved = [[v for v in found if not self._resolves(v)] for _, found in read]
        unknown = [v for vs in unresolved for v in vs]
        if negated:
            # what a pattern with a variable excludes depends on the request: to bound what
            # the Allow may grant, it excludes nothing
            plain = tuple(p for p, found in read if not found)
            spec = ResourceSpec(plain, negated=True) if plain else ResourceSpec(("*",))
            kept = base.with_variables(element, unknown) if unknown else condition
            return (Statement(str(effect), mask, spec, kept, origin, index, sid),)
        sure = tuple(p for (p, _), vs in zip(read, unresolved, strict=True) if not vs)
        varied = tuple(p for (p, _), vs in zip(read, unresolved, strict=True) if vs)
        held = base.with_variables(element, unknown)
        if not varied:
            return (Statement(str(effect), mask, ResourceSpec(sure), condition, origin, index, sid),)
        if not sure:
            return (Statement(str(effect), mask, ResourceSpec(varied), held, origin, index, sid),)
        return (
            Statement(str(effect), mask, ResourceSpec(sure), condition, origin, index, sid),
            Statement(str(effect), mask, ResourceSpec(varied), held, origin, index, sid),
        )


@dataclass(frozen=True)
class Part:
    """Statements (one document's, or several's) sorted for evaluation, with the action
    unions the effective set's two bitsets are made of.  An effective set combines the
    parts of its documents, so these unions are computed once per document, not once
    per set of documents."""

    statements: tuple[Statement, ...]
    allows: tuple[Statement, ...]  # the Allow statements that can grant anything
    denies: tuple[Statement, ...]  # the Deny statements that can deny anything
    allow_any: int  # actions of any Allow
    allow_plain: int  # actions of the unconditional Allows on every resource
    deny_total: int  # actions of the unconditional Denies on every resource
    deny_any: int  # actions of any Deny

    @classmethod
    def of(cls, statements: tuple[Statement, ...]) -> Part:
        allows = tuple(s for s in statements if s.effect == "Allow" and not s.resources.empty)
        denies = tuple(s for s in statements if s.effect == "Deny" and not s.resources.empty)
        return cls(
            statements,
            allows,
            denies,
            _union(s.mask for s in allows),
            _union(s.mask for s in allows if s.unconditional and s.resources.everything),
            _union(s.mask for s in denies if s.unconditional and s.resources.everything),
            _union(s.mask for s in denies),
        )


class Bitsets:
    """The two action bitsets of an effective set, from its parts' unions; computed on
    first use (a caller that decides over the statements, as who-can does, may never need
    them).  The normaliser shares one between the sets whose parts have the same unions:
    a role's documents rendered for each of its accounts usually differ in resources
    only, so these are computed once per role rather than once per account.

    ``a & ~b`` is written ``_minus(a, b)``: the complement of a bitset over every action is
    a negative int as long as the database, and most sets' denies miss their allows."""

    __slots__ = ("_bound", "_candidates", "_idents", "_plain")

    def __init__(self, idents: tuple[Part, ...], bound: Part | None) -> None:
        self._idents, self._bound = idents, bound
        # Plain attributes, not functools.cached_property: in Python 3.11 that takes a lock
        # on each first use, and there is one first use per effective set.
        self._candidates: int | None = None
        self._plain: int | None = None

    @property
    def candidates(self) -> int:
        """Actions some grant may allow: allowed, within the boundary, not denied outright."""
        if self._candidates is None:
            allow_any = deny_total = 0
            for p in self._idents:
                allow_any |= p.allow_any
                deny_total |= p.deny_total
            if self._bound is not None:
                allow_any &= self._bound.allow_any
                deny_total |= self._bound.deny_total
            self._candidates = _minus(allow_any, deny_total)
        return self._candidates

    @property
    def plain(self) -> int:
        """Granted unconditionally on every resource, without looking at a single action."""
        if self._plain is None:
            plain_allow = deny_any = 0
            for p in self._idents:
                plain_allow |= p.allow_plain
                deny_any |= p.deny_any
            if self._bound is not None:
                plain_allow &= self._bound.allow_plain
                deny_any |= self._bound.deny_any
            self._plain = _minus(plain_allow, deny_any)
        return self._plain


@dataclass
class EffectiveSet:
    """What one role can do in one account."""

    db: ActionDB
    identity: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None
    _grants: dict[int, tuple[Grant, ...]] = field(default_factory=dict, repr=False)
    # ``identity`` as the parts of its documents, in order, and ``boundary`` as one part
    # (None: made here from the statements; ``effective`` passes its documents' cached parts)
    parts: tuple[tuple[Part, ...], Part | None] | None = field(default=None, repr=False, compare=False)
    # ``candidates`` and ``plain``, shared between sets of equal unions (None: made here)
    bitsets: Bitsets | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.parts is None:
            self.parts = (
                (Part.of(self.identity),),
                None if self.boundary is None else Part.of(self.boundary),
            )
        if self.bitsets is None:
            self.bitsets = Bitsets(*self.parts)

    @property
    def candidates(self) -> int:
        """Actions some grant may allow: allowed, within the boundary, not denied outright."""
        assert self.bitsets is not None  # set by __post_init__
        return self.bitsets.candidates

    @property
    def plain(self) -> int:
        """Granted unconditionally on every resource, without looking at a single action."""
        assert self.bitsets is not None  # set by __post_init__
        return self.bitsets.plain

    @property
    def _split(self) -> tuple[tuple[Part, ...], Part | None]:
        assert self.parts is not None  # set by __post_init__
        return self.parts

    # ------------------------------------------------------------------ statements
    # Made on first use: the checks decide most sets on the bitsets alone.
    @functools.cached_property
    def _allows(self) -> list[Statement]:
        return [s for part in self._split[0] for s in part.allows]

    @functools.cached_property
    def _bound_allows(self) -> list[Statement]:
        bound = self._split[1]
        return list(bound.allows) if bound is not None else []

    @functools.cached_property
    def _denies(self) -> list[Statement]:
        idents, bound = self._split
        # identity denies first, then the boundary's
        return [s for part in (*idents, *(() if bound is None else (bound,))) for s in part.denies]

    @property
    def allows(self) -> list[Statement]:
        """The identity Allow statements that can grant anything."""
        return self._allows

    @property
    def boundary_allows(self) -> list[Statement]:
        return self._bound_allows

    @property
    def denies(self) -> list[Statement]:
        """Every Deny, identity and boundary."""
        return self._denies

    # ------------------------------------------------------------------ per action
    def grants(self, action: str) -> tuple[Grant, ...]:
        """Every way ``action`` is allowed, after boundary and denies; () if it is not."""
        bit = self.db.bit(action)
        if not bit & self.candidates:
            return ()
        return self._grants_of(action, bit)

    def _grants_of(self, action: str, bit: int) -> tuple[Grant, ...]:
        cached = self._grants.get(bit)
        if cached is None:
            cached = self._compute(action, bit)
            self._grants[bit] = cached
        return cached

    def candidate_access(self, action: str) -> Access:
        """``access(action)`` for a caller that knows ``action`` is among ``candidates``
        and not in ``plain`` (who-can derives both from the statements of many sets at
        once): the best access of its grants, without computing those two bitsets."""
        best = Access.NONE
        for grant in self._grants_of(action, self.db.bit(action)):
            best = max(best, grant.access)
            if best is Access.UNCONDITIONAL:
                break
        return best

    def _within(
        self, stmts: Iterable[Statement], bit: int, universe: tuple[str, ...] | None, *, denies: bool = False
    ) -> list[Statement]:
        """The statements that apply to the action, resources narrowed to what it acts on.

        ``denies``: a Deny whose patterns name every ARN the action can act on (``iam:*``
        on ``arn:aws:iam::*:*`` for ``iam:PutRolePolicy``) denies every request of it, as
        a Deny on ``*`` does; it is made one, so that it removes every grant of the action
        instead of excluding only its own pattern."""
        out: list[Statement] = []
        for s in stmts:
            if not s.mask & bit:
                continue
            spec = s.resources.within(universe)
            if spec is None:
                continue
            if denies and universe and spec is not EVERYTHING and spec.names_all(universe):
                spec = EVERYTHING
            out.append(s if spec is s.resources else replace(s, resources=spec))
        return out

    def _compute(self, action: str, bit: int) -> tuple[Grant, ...]:
        universe = self.db.resource_universe(action)
        bounds: list[Statement | None] = (
            [None] if self.boundary is None else list(self._within(self._bound_allows, bit, universe))
        )
        denies = self._within(self._denies, bit, universe, denies=True)
        iam = _iam_only(universe)
        out: list[Grant] = []
        for ident in self._within(self._allows, bit, universe):
            for bound in bounds:
                if bound is not None and not ident.resources.overlaps(bound.resources, iam=iam):
                    continue
                grant = self._narrow(Grant(ident, bound), denies, iam=iam)
                if grant is not None:
                    out.append(grant)
        return tuple(out)

    def held_back(self, denies: Sequence[Statement], action: str) -> bool:
        """Whether the Deny statements ``denies``, were they added to this set, would take
        from a grant of ``action`` requests the set's own Denies leave it: a Deny meeting
        the grant's resources, unless a Deny without condition already excludes all of its
        resources from the grant, or one with the same condition already holds them.  What
        a role gets back when it takes off the policy holding ``denies`` ("An explicit deny
        in any of these policies overrides the allow", AWS: policy evaluation logic).
        Sound, not complete: Denies written differently from the set's own count as new."""
        bit = self.db.bit(action)
        universe = self.db.resource_universe(action)
        iam = _iam_only(universe)
        for deny in self._within(denies, bit, universe, denies=True):
            for grant in self.grants(action):
                specs = [grant.identity.resources] + ([grant.boundary.resources] if grant.boundary else [])
                if not all(deny.resources.overlaps(spec, iam=iam) for spec in specs):
                    continue
                if any(spec.covers(deny.resources) for spec in grant.excluded):
                    continue
                if deny.condition is not None and any(
                    other.condition == deny.condition and other.resources.covers(deny.resources)
                    for other in grant.conditional_denies
                ):
                    continue
                return True
        return False

    @staticmethod
    def _narrow(grant: Grant, denies: Sequence[Statement], *, iam: bool = False) -> Grant | None:
        conditional: list[Statement] = []
        excluded: list[ResourceSpec] = []
        denied_when = False
        for deny in denies:
            specs = [grant.identity.resources] + ([grant.boundary.resources] if grant.boundary else [])
            if not all(deny.resources.overlaps(spec, iam=iam) for spec in specs):
                continue
            whole = any(deny.resources.covers(spec) for spec in specs)
            if deny.condition is not None:
                conditional.append(deny)
                denied_when = denied_when or whole
            elif whole:
                return None
            else:
                excluded.append(deny.resources)
        return Grant(grant.identity, grant.boundary, tuple(conditional), tuple(excluded), denied_when)

    def granted_by_resource_policy(self, action: str, resource: str) -> Access:
        """The access a resource-based policy in the same account that names this role's
        ARN gives it to ``action`` on ``resource``: no Allow of its own policies is needed,
        but every Deny applies and so does the boundary ("Resource-based policies that
        grant permissions to an IAM role ARN are limited by an implicit deny in a
        permissions boundary", AWS: policy evaluation logic; "If a permissions boundary is
        set ..., then it must allow the sts:AssumeRole action", IAM: update a role trust
        policy)."""
        granted = Statement(
            "Allow", self.db.mask(action), ResourceSpec((resource,)), None, "resource policy", 0
        )
        denies = tuple(s for s in self.identity if s.effect == "Deny")
        return EffectiveSet(self.db, (granted, *denies), self.boundary).access(action, resource)

    def access(self, action: str, resource: str | None = None) -> Access:
        """The best access any grant gives ``action`` (on ``resource``, a pattern, if given)."""
        bit = self.db.bit(action)
        if bit & self.plain:
            return Access.UNCONDITIONAL
        best = Access.NONE
        for grant in self.grants(action):
            if resource is not None and not grant.applies_to(resource):
                continue
            cond = grant.access
            if resource is not None and cond is Access.UNCONDITIONAL:
                probe = widen(resource)
                if any(d.resources.applies_to(probe) for d in grant.conditional_denies):
                    cond = Access.CONDITIONAL
            best = max(best, cond)
            if best is Access.UNCONDITIONAL:
                break
        return best

    # ------------------------------------------------------------------ whole set
    def mask(self, minimum: Access = Access.CONDITIONAL) -> int:
        """Bitset of the actions granted at least at ``minimum``."""
        result = self.plain
        rest = self.candidates & ~self.plain
        for name in self.db.names(rest):
            if self.access(name) >= minimum:
                result |= self.db.bit(name)
        return result

    def actions(self, minimum: Access = Access.CONDITIONAL) -> frozenset[str]:
        return self.db.names(self.mask(minimum))

    def everywhere_mask(self, within: int) -> int:
        """Actions of ``within`` granted unconditionally on every resource."""
        result = self.plain & within
        for name in self.db.names(self.candidates & within & ~self.plain):
            if any(not g.conditional and g.on_everything for g in self.grants(name)):
                result |= self.db.bit(name)
        return result


def _iam_only(universe: tuple[str, ...] | None) -> bool:
    """Whether every resource an action names is an IAM ARN (sts:AssumeRole's roles too):
    five colons (``ResourceSpec.overlaps``)."""
    return bool(universe) and all(u.split(":", 3)[2] == "iam" for u in universe or ())


def _union(masks: Iterable[int]) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


def _minus(a: int, b: int) -> int:
    """``a & ~b`` for non-negative bitsets, without making the (negative, database-long) ``~b``."""
    return a ^ (a & b)


def effective(
    identity_docs: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    db: ActionDB,
    *,
    normalizer: Normalizer | None = None,
    labels: Sequence[str] | None = None,
    boundary_label: str = "boundary",
) -> EffectiveSet:
    """The effective permissions of identity documents under an optional boundary."""
    norm = normalizer or Normalizer(db)
    names = labels if labels is not None else [f"policy {i + 1}" for i in range(len(identity_docs))]
    numbered = [norm.part(doc, label) for doc, label in zip(identity_docs, names, strict=True)]
    parts = tuple([p for p, _ in numbered])
    ident = (
        parts[0].statements if len(parts) == 1 else tuple(chain.from_iterable([p.statements for p in parts]))
    )
    bound = None if boundary is None else norm.part(boundary, boundary_label)
    return EffectiveSet(
        db,
        ident,
        None if bound is None else bound[0].statements,
        parts=(parts, None if bound is None else bound[0]),
        bitsets=norm.bitsets(numbered, bound),
    )


# ---------------------------------------------------------------------- one request
class Verdict(enum.Enum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # allowed only when the conditions listed hold (or do not)
    DENIED = "denied"  # an explicit Deny without condition applies
    NOT_ALLOWED = "not allowed"  # implicit deny: no Allow, or the boundary does not allow it


@dataclass(frozen=True)
class Decision:
    """The answer to one request (action on one concrete resource) with every statement
    that made it: the identity Allows, the boundary Allows and the Denies that apply."""

    action: str
    resource: str
    verdict: Verdict
    allows: tuple[Statement, ...]
    boundary_allows: tuple[Statement, ...] | None  # None: the role has no boundary
    denies: tuple[Statement, ...]
    reason: str


def spec_matches(spec: ResourceSpec, resource: str) -> bool:
    """Whether a Resource/NotResource element matches the request's concrete resource
    (wildcards in ``resource`` are plain characters, as AWS would see them)."""
    hit = any(compile_glob(p).fullmatch(resource) is not None for p in spec.patterns)
    return not hit if spec.negated else hit


def decide(es: EffectiveSet, action: str, resource: str = "*") -> Decision:
    """IAM's evaluation of one request by this role: explicit deny, then an identity
    Allow and (when there is a boundary) a boundary Allow that match action and resource.

    A statement with a Condition matches only when the condition holds: such a statement
    makes an Allow conditional, and a Deny a condition under which the request fails."""
    bit = es.db.bit(action)
    name = es.db.canonical(action) or action

    def hits(stmts: Iterable[Statement]) -> tuple[Statement, ...]:
        return tuple(s for s in stmts if s.mask & bit and spec_matches(s.resources, resource))

    allows = hits(es._allows)
    bounds = hits(es._bound_allows) if es.boundary is not None else None
    denies = hits(es._denies)
    hard = [d for d in denies if d.unconditional]
    if not bit:
        verdict, reason = Verdict.NOT_ALLOWED, f"{action} is not in the action database"
    elif hard:
        verdict, reason = Verdict.DENIED, f"explicitly denied by {hard[0].describe()}"
    elif not allows:
        verdict, reason = Verdict.NOT_ALLOWED, "no identity policy statement allows it (implicit deny)"
    elif bounds is not None and not bounds:
        verdict, reason = Verdict.NOT_ALLOWED, "the permissions boundary does not allow it (implicit deny)"
    else:
        plain = any(a.unconditional for a in allows) and (
            bounds is None or any(b.unconditional for b in bounds)
        )
        if plain and not denies:
            verdict, reason = Verdict.ALLOWED, "allowed"
        else:
            verdict = Verdict.CONDITIONAL
            parts = [f"{d.describe()} denies it when {d.condition}" for d in denies]
            if not plain:
                parts.insert(0, "every matching Allow has a condition")
            reason = "; ".join(parts)
    return Decision(name, resource, verdict, allows, bounds, denies, reason)
