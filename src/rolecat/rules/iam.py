"""IAM-aware checks over the built catalog, run after the model stage.

Each check is a ``Check`` with its code, severity, summary, rationale and fix (the
metadata docs/checks.md is generated from) and a function yielding ``Finding``s.
They are registered explicitly in ``CHECKS``.  ``run_checks`` turns findings into
diagnostics and marks those a role accepted (``accept:`` in the role file) with the
reason, without dropping them.

Run ``python -m rolecat.rules.iam --markdown`` to print docs/checks.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rolecat.deploy import arns
from rolecat.deploy.delegation import delegated_path_pattern, delegated_role_creation_statements
from rolecat.deploy.deployment import DeployedRole, Deployment, build_deployment
from rolecat.diagnostics import Diagnostic, Location, Severity
from rolecat.iam import managed
from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import Access, Bitsets, EffectiveSet, Grant, Normalizer, Statement, effective
from rolecat.iam.escalation import METHODS, Method
from rolecat.iam.globs import covers, matches, widen
from rolecat.model import Account, Catalog, DelegatedRoleCreation, Role
from rolecat.rules.registry import BY_CODE, Rule

__all__ = [
    "CHECKS",
    "Check",
    "Finding",
    "delegated_role_creation_statements",
    "render_markdown",
    "run_checks",
]

NEAR_ADMIN_SHARE = 0.8  # share of all write actions granted on every resource
WRITE_LEVELS = ("Write", "Permissions management", "Tagging")


@dataclass(frozen=True)
class Finding:
    message: str
    location: Location
    role: Role | None = None
    hint: str | None = None
    subject: str | None = None  # ``Diagnostic.subject``


@dataclass(frozen=True)
class RoleView:
    """One role in one account, with its effective permissions."""

    role: Role
    account: Account
    effective: EffectiveSet
    # the identity documents ``effective`` was made from: (label, document, the managed
    # policy's ARN or None for the inline policy), and the boundary's (label, document);
    # what taking one of them off leaves (``_lifted``)
    documents: tuple[tuple[str, Mapping[str, Any], str | None], ...] = ()
    boundary: tuple[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Screen:
    """What an effective set's candidate actions alone decide, before any resource is looked
    at; equal for the sets that share their bitsets (a role in each of its accounts)."""

    methods: tuple[Method, ...]  # the escalation methods whose every action is a candidate
    near_admin: bool  # enough write actions are candidates to reach NEAR_ADMIN_SHARE
    iam_writes: int  # the candidate IAM write actions (I003)


@dataclass
class Context:
    catalog: Catalog
    now: dt.datetime
    db: ActionDB
    normalizer: Normalizer
    deployment: Deployment
    # the roles the per-role checks look at (None: all); see Checker.runs
    roles_checked: Sequence[Role] | None = None
    _views: dict[tuple[str, str], list[RoleView]] = field(default_factory=dict)  # by role name and file
    _sets: dict[tuple[int, ...], EffectiveSet] = field(default_factory=dict)
    applies_cache: dict[tuple[str, tuple[str, ...]], bool | None] = field(default_factory=dict)
    narrower_cache: dict[tuple[str, str, str], frozenset[str]] = field(default_factory=dict)
    # by account id, delegated path pattern and safe boundaries: whether a catalog role on
    # the path carries a broader boundary (``_broader_roles_on``)
    path_cache: dict[tuple[str, str, frozenset[str]], bool] = field(default_factory=dict)
    boundary_arns: dict[str, frozenset[str]] = field(default_factory=dict)  # by account id
    # by account name: each boundary's (actions allowed anywhere, unconditionally everywhere)
    boundary_masks: dict[str, dict[str, tuple[int, int, EffectiveSet]]] = field(default_factory=dict)
    # per effective set (keyed by id, the set kept alive beside its answer): roles share few
    _admin_memo: dict[int, tuple[EffectiveSet, str | None]] = field(default_factory=dict)
    _escalation_memo: dict[
        tuple[int, str, DelegatedRoleCreation | None, str | None, frozenset[str], str | None],
        tuple[EffectiveSet, list[tuple[str, str]]],
    ] = field(default_factory=dict)
    # by id of the bitsets (kept alive beside the answer)
    _screens: dict[int, tuple[Bitsets, Screen]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        catalog: Catalog,
        now: dt.datetime,
        db: ActionDB | None = None,
        deployment: Deployment | None = None,
    ) -> Context:
        """A fresh context: the action database with the catalog's ``known_actions``, and
        the catalog's deployment (built when not given)."""
        view = (db or ActionDB.load()).with_known_actions(catalog.known_actions)
        return cls(catalog, now, view, Normalizer(view), deployment or build_deployment(catalog))

    @property
    def roles(self) -> Sequence[Role]:
        return self.catalog.roles if self.roles_checked is None else self.roles_checked

    def views(self, role: Role) -> list[RoleView]:
        """The role in each of its accounts (effective sets shared between equal inputs)."""
        key = (role.name, role.source)
        cached = self._views.get(key)
        if cached is None:
            cached = self._views[key] = [self._view(placed) for placed in self.deployment.placements(role)]
        return cached

    def _view(self, placed: DeployedRole) -> RoleView:
        docs: list[Mapping[str, Any]] = []
        labels: list[str] = []
        policy_arns: list[str | None] = []
        for policy in placed.policies:
            if policy.document is not None:
                docs.append(policy.document)
                labels.append(policy.source)
                policy_arns.append(policy.arn)
        for arn in placed.managed_policy_arns:
            document = managed.document(arn)
            if document is not None:  # unknown documents are reported by I007
                docs.append(document)
                labels.append(arn)
                policy_arns.append(arn)
        boundary = None
        boundary_label = "boundary"
        if placed.boundary is not None and placed.boundary.document is not None:
            boundary, boundary_label = placed.boundary.document, placed.boundary.source
        inline = placed.inline if placed.inline is not None and placed.inline["Statement"] else None
        key = (*map(id, docs), -1, id(boundary))
        if inline:
            docs.append(inline)
            labels.append("delegated_role_creation" if placed.role.delegated_role_creation else "inline")
            policy_arns.append(None)
        es = None if inline else self._sets.get(key)
        if es is None:
            es = effective(
                docs,
                boundary,
                self.db,
                normalizer=self.normalizer,
                labels=labels,
                boundary_label=boundary_label,
            )
            if not inline:
                self._sets[key] = es
        documents = tuple(zip(labels, docs, policy_arns, strict=True))
        return RoleView(
            placed.role,
            placed.account,
            es,
            documents,
            None if boundary is None else (boundary_label, boundary),
        )

    @functools.cached_property
    def _method_index(self) -> tuple[tuple[tuple[Method, int], ...], tuple[int, ...], int]:
        """The escalation methods with their actions as bits of a small int (bit i: the i-th
        action any method needs), those actions' bit positions in the database, and the
        database mask of all of them."""
        positions: dict[int, int] = {}  # action bit position -> its index in the small int
        methods = []
        for method in METHODS:
            small = 0
            for action in sorted(method.actions):
                bit = self.db.bit(action)
                if bit:  # an action the database lacks cuts nothing off
                    small |= 1 << positions.setdefault(bit.bit_length() - 1, len(positions))
            methods.append((method, small))
        return tuple(methods), tuple(positions), sum(1 << pos for pos in positions)

    def candidate_methods(self, candidates: int) -> tuple[Method, ...]:
        """The escalation methods whose every action is among ``candidates`` (an effective
        set's candidate bits), in ``METHODS`` order; ``screen`` asks once per bitsets.

        One AND over the actions any method needs, then per method a test on a small int,
        instead of one AND over the whole action database per method and per effective set."""
        methods, positions, union = self._method_index
        present = candidates & union
        have = 0
        if present:
            raw = present.to_bytes((present.bit_length() + 7) // 8, "little")
            for i, pos in enumerate(positions):
                if pos >> 3 < len(raw) and raw[pos >> 3] >> (pos & 7) & 1:
                    have |= 1 << i
        return tuple(method for method, small in methods if small & have == small)

    def screen(self, es: EffectiveSet) -> Screen:
        """``Screen`` of an effective set, once per bitsets."""
        bitsets = es.bitsets
        hit = self._screens.get(id(bitsets))
        if hit is not None and hit[0] is bitsets:
            return hit[1]
        candidates = es.candidates
        writes, total = self.write_mask
        screen = Screen(
            self.candidate_methods(candidates),
            (candidates & writes).bit_count() >= NEAR_ADMIN_SHARE * total,
            candidates & self.iam_write_mask,
        )
        assert bitsets is not None
        self._screens[id(bitsets)] = (bitsets, screen)
        return screen

    @functools.cached_property
    def write_mask(self) -> tuple[int, int]:
        """The database's write actions (``WRITE_LEVELS``) as a bitset, and how many they are."""
        writes = self.db.level_mask(*WRITE_LEVELS)
        return writes, writes.bit_count()

    @functools.cached_property
    def iam_write_mask(self) -> int:
        """The IAM actions of access level Write or Permissions management."""
        return self.db.mask("iam:*") & self.db.level_mask("Write", "Permissions management")

    def role_location(self, role: Role, *keys: str) -> Location:
        ci = self.catalog.deploy_roles
        mode = ci.mode_of(role, self.catalog.catalog_file) if ci is not None else None
        if mode is not None:  # a generated CI role: its section of catalog.yaml deploy_roles
            return self.catalog.locate(role.source, ("deploy_roles", mode), key=True)
        doc = self.catalog.docs.get(role.source)
        for key in keys:
            if doc is not None and doc.has_key((key,)):
                return self.catalog.locate(role.source, (key,), key=True)
        return self.catalog.locate(role.source, ())


@dataclass(frozen=True)
class Check:
    """An IAM check: its code (metadata in ``rules/registry.py``) and the function finding it."""

    code: str
    run: Callable[[Context], Iterator[Finding]]
    per_role: bool = True  # looks at ctx.roles, one role at a time (else: the catalog's documents)

    @property
    def rule(self) -> Rule:
        return BY_CODE[self.code]

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def summary(self) -> str:
        return self.rule.summary

    @property
    def rationale(self) -> str:
        return self.rule.rationale

    @property
    def fix(self) -> str:
        return self.rule.fix


def _accounts_text(names: Sequence[str]) -> str:
    return ("account " if len(names) == 1 else "accounts ") + ", ".join(names)


D = TypeVar("D", bound=Hashable)  # a detail: its text, or (method id, text)


def _grouped(pairs: Sequence[tuple[str, D]]) -> list[tuple[D, list[str]]]:
    """(account, detail) pairs -> detail with the accounts it holds in, first-seen order."""
    out: dict[D, list[str]] = {}
    for account, detail in pairs:
        out.setdefault(detail, []).append(account)
    return list(out.items())


# ---------------------------------------------------------------------- I001 escalation
def _boundary_arns(ctx: Context, account: Account) -> frozenset[str]:
    cached = ctx.boundary_arns.get(account.id)
    if cached is None:
        cached = frozenset(
            ctx.catalog.policy_arn("boundary", name, account) for name in ctx.catalog.boundaries
        )
        ctx.boundary_arns[account.id] = cached
    return cached


# The operators an Allow pins iam:PermissionsBoundary with.  StringLike and ArnLike match
# a value without wildcards exactly, as StringEquals and ArnEquals do ("You must specify
# wildcards to achieve partial string matches", IAM JSON policy elements: condition
# operators); a pattern with wildcards pins nothing: it matches policies outside the
# catalog too (any policy named so, made later).  ARNs of catalog boundaries hold no
# wildcard, so a value counts when it is one of them.
PIN_OPERATORS = frozenset({"StringEquals", "ArnEquals", "StringLike", "ArnLike"})


def _pinned(grant: Grant, boundaries: frozenset[str]) -> bool:
    """Whether the grant holds only for entities carrying one of ``boundaries``."""
    for condition in grant.conditions:
        for operator, key, values in condition.tests:
            pins = key == "iam:permissionsboundary" and operator in PIN_OPERATORS
            if pins and values and all(v in boundaries for v in values):
                return True
    return False


# A Deny that holds unless iam:PermissionsBoundary is one of its values: for a negated
# operator a key the request lacks makes the condition true ("If the policy condition
# requires that the key is not matched ... and the right key is not present, the condition
# is true", IAM: condition operators), and several values are a NOR, so the Deny leaves
# exactly the requests an Allow-if pin with the same values admits (the ...NotLike
# operators too, as ``PIN_OPERATORS``: values without wildcards only).
_NEGATED_PINS = frozenset(
    {
        f"{operator}{suffix}"
        for operator in ("StringNotEquals", "ArnNotEquals", "StringNotLike", "ArnNotLike")
        for suffix in ("", "IfExists")
    }
)


def _pinned_by_deny(grant: Grant, boundaries: frozenset[str]) -> bool:
    """Whether a Deny on all of the grant's resources holds unless the entity carries one
    of ``boundaries``: the grant then holds only for those, as if pinned (``_pinned``)."""
    specs = [grant.identity.resources] + ([grant.boundary.resources] if grant.boundary else [])
    for deny in grant.conditional_denies:
        tests = deny.condition.tests if deny.condition is not None else ()
        pins = bool(tests) and all(
            key == "iam:permissionsboundary"
            and operator in _NEGATED_PINS
            and values
            and set(values) <= boundaries
            for operator, key, values in tests
        )
        if pins and any(deny.resources.covers(spec) for spec in specs):
            return True
    return False


# Writes of a role's own permissions policies: pinned to its own boundary, they still
# raise the role from what its policies grant to all its boundary allows.
SELF_WRITES = frozenset({"iam:AttachRolePolicy", "iam:PutRolePolicy"})

# Removals of the role's own identity policies: iam:DetachRolePolicy takes an attached
# managed policy off a role (a catalog policy or an AWS managed one), iam:DeleteRolePolicy
# an inline one (DetachRolePolicy, DeleteRolePolicy: IAM API reference).  Both act on the
# role, and their iam:PermissionsBoundary is the boundary it carries (Service
# Authorization Reference, actions defined by IAM), as for ``SELF_WRITES``.  On itself, a
# role so lifts the Denies of the policy it removes, as far as its other policies and its
# boundary allow ("An explicit deny in any of these policies overrides the allow", AWS:
# policy evaluation logic); a boundary's own Denies stay.
REMOVALS = frozenset({"iam:DetachRolePolicy", "iam:DeleteRolePolicy"})
# The escalation method that reports policies taken off by these removals (``_lifted``).
REMOVAL_METHODS = {m.actions: m for m in METHODS if m.actions <= REMOVALS}

# Actions a pin cannot make safe: for them iam:PermissionsBoundary is the boundary the
# entity carries now ("Filters access if the specified policy is set as the permissions
# boundary on the IAM entity", Service Authorization Reference), which the call removes.
# Pinned to a safe boundary, they lift exactly the entities that boundary held.
UNPINNABLE = frozenset({"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"})


def _pin_misses_self(ctx: Context, view: RoleView, grant: Grant, es: EffectiveSet | None = None) -> bool:
    """Whether a write of the role's own policies (``SELF_WRITES``), or a removal of one
    (``REMOVALS``), is pinned to boundaries the role does not carry and cannot put on
    itself: for these actions
    iam:PermissionsBoundary is the boundary the target role carries ("Filters access if
    the specified policy is set as the permissions boundary on the IAM entity", Service
    Authorization Reference), and a pin (``PIN_OPERATORS``) of a key that does not
    match (or that a role without a boundary lacks) is false, so the grant never applies
    to the role itself.  ``es``: what the role has at that moment (default: all of it)."""
    own = view.role.arn(view.account)
    if any(g.applies_to(own) for g in (es or view.effective).grants("iam:PutRolePermissionsBoundary")):
        return False  # it may first put a boundary the pin names on itself
    carried = (
        ctx.catalog.policy_arn("boundary", view.role.boundary, view.account)
        if view.role.boundary is not None
        else None
    )
    for condition in grant.conditions:
        for operator, key, values in condition.tests:
            if key != "iam:permissionsboundary" or operator not in PIN_OPERATORS or not values:
                continue
            # ArnEquals takes wildcards, as ArnLike and StringLike do (IAM JSON policy
            # elements: condition operators)
            test = str.__eq__ if operator == "StringEquals" else matches
            if carried is None or not any(test(v, carried) for v in values):
                return True
    return False


def _path_scoped(grant: Grant, paths: Sequence[str]) -> bool:
    spec = grant.identity.resources
    if spec.negated or not paths:
        return False
    return all(any(covers(p, r) for p in paths) for r in spec.patterns)


def _passes_to(grant: Grant, services: frozenset[str]) -> bool:
    """Whether an iam:PassRole grant may hand a role to one of ``services`` (any, when
    they are not known): a StringEquals/StringLike test of iam:PassedToService that names
    none of them holds for no request of the method (every PassRole request carries the
    key: the service the role is passed to)."""
    if not services:
        return True
    for condition in grant.conditions:
        for operator, key, values in condition.tests:
            if key == "iam:passedtoservice" and operator in ("StringEquals", "StringLike"):
                test = matches if operator == "StringLike" else str.__eq__
                if not any(test(v, s) for v in values for s in services):
                    return False
    return True


def _self_writes(ctx: Context, view: RoleView) -> frozenset[str]:
    """The ``SELF_WRITES`` and ``REMOVALS`` some grant lets the role make on itself."""
    if not ctx.screen(view.effective).methods:
        return frozenset()
    own = view.role.arn(view.account)
    return frozenset(
        action
        for action in SELF_WRITES | REMOVALS
        if any(g.applies_to(own) for g in view.effective.grants(action))
    )


# Sets of a role's policies ``_removals`` tries to take off in some order, at most: each
# costs an effective set, and they double with each policy that holds a Deny and allows a
# removal too (the others are taken off together).  Past them, ``_removals`` errs towards
# reporting: see there.
REMOVAL_SETS = 1024

# Taking off a policy that allows one of these may stop a later removal: a removal's own
# grants, and iam:PutRolePermissionsBoundary, which decides ``_pin_misses_self``.
_REMOVAL_SUPPORT = (*REMOVALS, "iam:PutRolePermissionsBoundary")


@dataclass(frozen=True)
class Removal:
    """Policies of a role that it may take off itself (``REMOVALS``) one after the other."""

    order: tuple[int, ...]  # indices into ``RoleView.documents``, in an order the role may take them off
    conditional: frozenset[str]  # the removals one of whose requests is allowed only under conditions
    denies: tuple[Statement, ...]  # the Denies they hold
    without: EffectiveSet  # the role's effective set once they are off
    tried: bool = True  # False: past ``REMOVAL_SETS``, in an order not tried


def _removal_action(arn: str | None) -> str:
    """The removal that takes a policy off a role: a managed one (``arn``) or the inline one."""
    return "iam:DeleteRolePolicy" if arn is None else "iam:DetachRolePolicy"


def _removal_access(ctx: Context, view: RoleView, es: EffectiveSet, arn: str | None) -> Access:
    """How the role may take one of its policies (the managed policy ``arn``, or its inline
    one) off itself when ``es`` is what it has at that moment: a grant of the removal on the
    role itself (``_pin_misses_self``), and for iam:DetachRolePolicy one whose iam:PolicyARN
    test names the policy (``_names_policy``); ``Access.NONE`` if none."""
    own = view.role.arn(view.account)
    probe = widen(own)
    best = Access.NONE
    for g in es.grants(_removal_action(arn)):
        if not g.applies_to(own) or _pin_misses_self(ctx, view, g, es):
            continue
        if arn is not None and not _names_policy(g, arn):
            continue
        access = g.access
        if access is Access.UNCONDITIONAL and any(
            d.resources.applies_to(probe) for d in g.conditional_denies
        ):
            access = Access.CONDITIONAL
        best = max(best, access)
        if best is Access.UNCONDITIONAL:
            break
    return best


def _removals(ctx: Context, view: RoleView) -> list[Removal]:
    """What the role may take off itself of its policies that hold a Deny (a policy without
    one gives nothing back): each policy alone, then each set of them it may take off one
    after the other that it cannot add to (at least two).

    Each request is evaluated on its own, against the policies the role has when it makes
    it (the request context holds the principal's policies, "Information about the
    principal includes the policies that are associated with that principal", IAM User
    Guide, Processing the request context; "An explicit deny in any of these policies
    overrides the allow", policy evaluation logic).  So a set counts when its policies can
    be ordered so that each removal is allowed by a policy still there (the very policy
    removed included: the request is evaluated while it is there) and denied by none: a
    policy whose Deny denies a removal goes before it, the only policy allowing a removal
    after it.  Policies that allow neither removal nor iam:PutRolePermissionsBoundary
    (``_REMOVAL_SUPPORT``) take away nothing a later removal needs, so they are taken off
    together as soon as they may be; the others one at a time, in every order.

    Past ``REMOVAL_SETS`` sets, the policies it might take off were no Allow ever lost are
    taken off at once, in an order not tried (``Removal.tried``): a set no order may allow
    is then reported rather than a set some order allows missed."""
    own = view.role.arn(view.account)
    if not any(g.applies_to(own) for action in REMOVALS for g in view.effective.grants(action)):
        return []  # it may take nothing off itself: most roles
    support = 0
    for action in _REMOVAL_SUPPORT:
        support |= ctx.db.bit(action)
    held: dict[int, tuple[Statement, ...]] = {}
    supporting: set[int] = set()  # those whose Allows a later removal may need
    for i, (label, document, _) in enumerate(view.documents):
        statements = ctx.normalizer.statements(document, label)
        denies = tuple(s for s in statements if s.effect == "Deny")
        if denies:
            held[i] = denies
            if any(s.effect == "Allow" and s.mask & support for s in statements):
                supporting.add(i)
    sets: dict[frozenset[int], EffectiveSet] = {frozenset(): view.effective}

    def without(removed: frozenset[int]) -> EffectiveSet:
        es = sets.get(removed)
        if es is None:
            rest = [d for j, d in enumerate(view.documents) if j not in removed]
            es = sets[removed] = effective(
                [doc for _, doc, _ in rest],
                None if view.boundary is None else view.boundary[1],
                ctx.db,
                normalizer=ctx.normalizer,
                labels=[name for name, _, _ in rest],
                boundary_label="boundary" if view.boundary is None else view.boundary[0],
            )
        return es

    def removal(order: Sequence[int], conditional: frozenset[str], *, tried: bool = True) -> Removal:
        removed = frozenset(order)
        return Removal(
            tuple(order), conditional, tuple(d for i in order for d in held[i]), without(removed), tried
        )

    out: list[Removal] = []
    queue: deque[tuple[tuple[int, ...], frozenset[str]]] = deque([((), frozenset())])
    reached: set[frozenset[int]] = {frozenset()}
    while queue:
        order, conditional = queue.popleft()
        removed = frozenset(order)
        es = without(removed)
        now = {i: _removal_access(ctx, view, es, view.documents[i][2]) for i in held if i not in removed}
        now = {i: access for i, access in now.items() if access is not Access.NONE}
        if not order:
            out.extend(removal((i,), _conditional(view, {i: access})) for i, access in now.items())
        elif not now and len(order) > 1:
            out.append(removal(order, conditional))
        plain = [i for i in now if i not in supporting]
        for step in [plain] if plain else [[i] for i in now]:
            after = removed.union(step)
            if after in reached:
                continue  # in another order
            if len(reached) >= REMOVAL_SETS:
                return [*out, _unordered(ctx, view, held, removal)]
            reached.add(after)
            queue.append(((*order, *step), conditional | _conditional(view, {i: now[i] for i in step})))
    return out


def _conditional(view: RoleView, steps: Mapping[int, Access]) -> frozenset[str]:
    """The removals of these steps (policy index -> how it is allowed) allowed only under conditions."""
    return frozenset(
        _removal_action(view.documents[i][2]) for i, access in steps.items() if access is Access.CONDITIONAL
    )


def _unordered(
    ctx: Context,
    view: RoleView,
    held: Mapping[int, tuple[Statement, ...]],
    removal: Callable[..., Removal],
) -> Removal:
    """``_removals`` past ``REMOVAL_SETS``: each policy of ``held`` the role might take off
    were the Allows of the policies taken off still there (their Denies gone), taken off at
    once.  Only Denies go, so what it may take off only grows: every set some order allows
    is in it."""
    removed: set[int] = set()
    steps: dict[int, Access] = {}
    while True:
        kept = tuple(
            s
            for j, (label, document, _) in enumerate(view.documents)
            for s in ctx.normalizer.statements(document, label)
            if j not in removed or s.effect == "Allow"
        )
        es = EffectiveSet(ctx.db, kept, view.effective.boundary)
        now = {i: _removal_access(ctx, view, es, view.documents[i][2]) for i in held if i not in removed}
        now = {i: access for i, access in now.items() if access is not Access.NONE}
        if not now:
            return removal(sorted(removed), _conditional(view, steps), tried=False)
        removed.update(now)
        steps.update(now)


def _taken_off(view: RoleView, removal: Removal) -> str:
    """The policies of ``removal`` as the role takes them off, e.g. 'detaching a.json and
    b.json, then deleting inline policy delegated_role_creation'."""
    runs: list[tuple[str, list[str]]] = []
    for i in removal.order:
        label, _, arn = view.documents[i]
        verb = "deleting inline policy" if arn is None else "detaching"
        if runs and runs[-1][0] == verb:
            runs[-1][1].append(label)
        else:
            runs.append((verb, [label]))
    text = ", then ".join(f"{verb} {' and '.join(labels)}" for verb, labels in runs)
    return (
        text if removal.tried else f"{text} (in an order not tried: over {REMOVAL_SETS} sets of its policies)"
    )


def _lifted(ctx: Context, view: RoleView) -> list[tuple[Removal, list[str]]]:
    """Each set of policies the role may take off itself (``_removals``) whose Denies take
    from the role something its other policies and its boundary allow, with those actions:
    what taking them off gives the role.  A Deny its boundary or a policy it keeps holds
    too gives nothing back (``EffectiveSet.held_back``); a set of several lists only what
    no set before it gave."""
    out: list[tuple[Removal, list[str]]] = []
    seen: set[str] = set()  # the sets of several come after each policy alone
    for removal in _removals(ctx, view):
        mask = 0
        for deny in removal.denies:
            mask |= deny.mask
        without = removal.without
        held = sorted(
            a
            for a in ctx.db.names(mask & without.candidates)
            if (len(removal.order) == 1 or a not in seen) and without.held_back(removal.denies, a)
        )
        if held:
            out.append((removal, held))
            seen.update(held)
    return out


def _names_policy(grant: Grant, arn: str) -> bool:
    """Whether an iam:DetachRolePolicy grant may detach the policy ``arn``: a
    StringEquals/StringLike/ArnEquals/ArnLike test of iam:PolicyARN ("Filters access by
    the ARN of an IAM policy", Service Authorization Reference, actions defined by IAM;
    every DetachRolePolicy request names the policy) that matches none of its values
    holds for no request detaching it."""
    for condition in grant.conditions:
        for operator, key, values in condition.tests:
            if key == "iam:policyarn" and operator in PIN_OPERATORS:
                test = str.__eq__ if operator == "StringEquals" else matches
                if not any(test(v, arn) for v in values):
                    return False
    return True


def _available(
    ctx: Context, view: RoleView, method: Method, safe: frozenset[str]
) -> tuple[bool, list[str]] | None:
    """None if the method is cut off; else (all unconditional, the conditional actions).

    A grant pinned (``iam:PermissionsBoundary``) to a boundary in ``safe`` (no broader
    than the role's own) does not count: what it creates or changes is held below the
    role's own limit.  Except a write of the role's own policies, which lifts the role
    to that limit; the removal of a boundary (``UNPINNABLE``), whose pin names the
    boundary removed; and ``iam:PassRole`` on the delegated path counts only when the
    delegated boundary is in ``safe`` too."""
    es = view.effective
    delegated = view.role.delegated_role_creation
    pattern = delegated_path_pattern(view.account, delegated.path) if delegated is not None else None
    scoped = (
        delegated is not None
        and pattern is not None
        and ctx.catalog.policy_arn("boundary", delegated.boundary, view.account) in safe
        and not _broader_roles_on(ctx, view.account, pattern, safe)
    )
    paths = [pattern] if scoped and pattern is not None else []
    own = view.role.arn(view.account)
    conditional: list[str] = []
    for action in sorted(method.actions):
        grants = [
            g
            for g in es.grants(action)
            if action in UNPINNABLE
            or not (_pinned(g, safe) or _pinned_by_deny(g, safe))
            or (action in SELF_WRITES and g.applies_to(own) and not _pin_misses_self(ctx, view, g))
        ]
        if action == "iam:PassRole":
            grants = [g for g in grants if not _path_scoped(g, paths) and _passes_to(g, method.passed_to)]
        if not grants:
            return None
        if all(g.conditional for g in grants):
            conditional.append(action)
    return not conditional, conditional


def _broader_roles_on(ctx: Context, account: Account, pattern: str, safe: frozenset[str]) -> bool:
    """Whether a catalog role in ``account`` whose ARN ``pattern`` (a delegated path) names
    carries a boundary outside ``safe``, or none.  iam:PassRole cannot be pinned to a
    boundary (its condition keys are iam:AssociatedResourceArn and iam:PassedToService:
    Service Authorization Reference, actions defined by IAM), so PassRole on the path
    passes such a role too, not only the roles the delegation makes under its boundary."""
    key = (account.id, pattern, safe)
    cached = ctx.path_cache.get(key)
    if cached is None:
        cached = any(
            matches(pattern, placed.arn)
            and (
                role.boundary is None
                or ctx.catalog.policy_arn("boundary", role.boundary, account) not in safe
            )
            for role in ctx.catalog.roles
            for placed in ctx.deployment.placements(role)
            if placed.account.id == account.id
        )
        ctx.path_cache[key] = cached
    return cached


def _escalation_details(ctx: Context, view: RoleView) -> list[tuple[str, str]]:
    """The I001 details of a role in one account, each with its method's id; they depend only on the effective set,
    the account, the role's boundary, its delegation and the writes of its own policies
    it may make, and, when it may make some, on its own ARN (which of its grants name it
    once some policies are off: two roles sharing their policies differ there), so equal
    inputs are answered once."""
    if not ctx.screen(view.effective).methods:
        return []  # no method has every action it needs among the candidates: most sets
    delegated = view.role.delegated_role_creation
    writes = _self_writes(ctx, view)
    key = (
        id(view.effective),
        view.account.name,
        delegated,
        view.role.boundary,
        writes,
        view.role.arn(view.account) if writes else None,
    )
    memo = ctx._escalation_memo.get(key)
    if memo is not None:
        return memo[1]
    details: list[tuple[str, str]] = []
    if _admin_detail(ctx, view) is None:  # else I002 reports it: an administrator needs no escalation path
        safe = narrower_boundaries(ctx, view)
        found: dict[Method, list[str]] = {}
        removes = False
        for method in ctx.screen(view.effective).methods:
            if method.actions <= REMOVALS:
                removes = True  # below: each removal is allowed or not when the role makes it
                continue
            result = _available(ctx, view, method, safe)
            if result is not None:
                found[method] = result[1]
        # the policies the role may take off itself, by the method of the removals taking them off
        lifted: dict[Method, list[tuple[Removal, list[str]]]] = {}
        for removal, held in _lifted(ctx, view) if removes else ():
            actions = frozenset(_removal_action(view.documents[i][2]) for i in removal.order)
            lifted.setdefault(REMOVAL_METHODS[actions], []).append((removal, held))
        for method in [m for m in METHODS if m in found or m in lifted]:
            if any(other.actions < method.actions for other in found):
                continue  # a smaller method already says it
            detail = f"{method.id} ({method.how}) with {' + '.join(sorted(method.actions))}"
            if method in lifted:  # a removal is under conditions when each set taken off needs it so
                conditional = sorted(frozenset.intersection(*[r.conditional for r, _ in lifted[method]]))
            else:
                conditional = found[method]
            if conditional:
                detail += f" (under conditions for {', '.join(conditional)})"
            if method in lifted:
                detail += ": " + "; ".join(
                    f"{_taken_off(view, removal)} lifts {'its Deny' if len(removal.order) == 1 else 'their Denies'} "
                    f"of {_listed(held)}"
                    for removal, held in lifted[method]
                )
            details.append((method.id, detail))
    ctx._escalation_memo[key] = (view.effective, details)
    return details


def _listed(actions: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(actions[:most])
    return shown + (f" and {len(actions) - most} more" if len(actions) > most else "")


def check_escalation(ctx: Context) -> Iterator[Finding]:
    for role in ctx.roles:
        if role.admin:
            continue
        pairs = [(view.account.name, d) for view in ctx.views(role) for d in _escalation_details(ctx, view)]
        for (method_id, detail), accounts in _grouped(pairs):
            yield Finding(
                f"role {role.name} can escalate its privileges in {_accounts_text(accounts)}: {detail}",
                ctx.role_location(role, "boundary", "policies", "managed_policies", "name"),
                role,
                "narrow the policies or deny these actions in the boundary; "
                "if this role is meant to administer the account, set admin: true",
                subject=method_id,
            )


def narrower_boundaries(ctx: Context, view: RoleView) -> frozenset[str]:
    """ARNs of the catalog boundaries a role's grants may safely be pinned to (what they
    create or change carries one): those no broader than its own boundary (every
    boundary when it has none, since a boundary can only narrow it).  A boundary is no
    broader when each action it allows, its own boundary allows unconditionally on every
    resource, and each Deny of its own boundary it holds too (``_keeps_denies``), so
    sound: it may call a narrower boundary broader, never the reverse."""
    key = ("narrower", view.role.boundary or "", view.account.name)
    cached = ctx.narrower_cache.get(key)
    if cached is not None:
        return cached
    arns = _boundary_arns(ctx, view.account)
    if view.role.boundary is not None:
        masks = _boundary_masks(ctx, view.account)
        if view.role.boundary not in masks:
            return frozenset()
        _, everywhere, own = masks[view.role.boundary]
        arns = frozenset(
            ctx.catalog.policy_arn("boundary", name, view.account)
            for name, (allowed, _, other) in masks.items()
            if name == view.role.boundary
            or (allowed & ~everywhere == 0 and _keeps_denies(own, other, allowed))
        )
    ctx.narrower_cache[key] = arns
    return arns


def _keeps_denies(own: EffectiveSet, other: EffectiveSet, allowed: int) -> bool:
    """Whether every Deny of the boundary ``own`` is one of ``other`` too, for each action
    of ``allowed`` (what ``other`` allows): a Deny of ``other`` without condition, or with
    the same one, on resources covering it; or ``other`` allows the action on none of
    the Deny's resources.  A Deny on some resources only does not stop
    ``own`` from allowing an action everywhere (``everywhere_mask``), yet it caps the role:
    "The effective permissions are the intersection of both policy types.  An explicit
    deny in either of these policies overrides the allow" (IAM User Guide, Permissions
    boundaries for IAM entities), so a boundary without it lets the role do what ``own``
    denies."""
    for deny in own.denies:
        needed = deny.mask & allowed
        if not needed:
            continue
        kept = 0
        for other_deny in other.denies:
            same_condition = other_deny.condition is None or other_deny.condition == deny.condition
            if same_condition and other_deny.resources.covers(deny.resources):
                kept |= other_deny.mask
        for action in own.db.names(needed & ~kept):
            # not held by a Deny of ``other``: then ``other`` must allow it nowhere the Deny names
            if any(g.identity.resources.overlaps(deny.resources) for g in other.grants(action)):
                return False
    return True


def _boundary_masks(ctx: Context, account: Account) -> dict[str, tuple[int, int, EffectiveSet]]:
    """Each catalog boundary rendered for ``account``: the actions it allows anywhere,
    those it allows unconditionally on every resource, and its effective set (its Denies);
    once per account."""
    cached = ctx.boundary_masks.get(account.name)
    if cached is None:
        cached = {}
        for name in ctx.catalog.boundaries:
            rendered = ctx.catalog.rendered.get(("boundary", name, account.name))
            if rendered is not None:
                es = effective([rendered.document], None, ctx.db, normalizer=ctx.normalizer)
                cached[name] = (es.mask(), es.everywhere_mask(ctx.db.all_mask), es)
        ctx.boundary_masks[account.name] = cached
    return cached


# ---------------------------------------------------------------------- I002 full admin
def _admin_detail(ctx: Context, view: RoleView) -> str | None:
    """How a role is effectively an administrator in one account, or None."""
    if not ctx.screen(view.effective).near_admin:
        return None  # not even every candidate would reach the share: most sets
    memo = ctx._admin_memo.get(id(view.effective))
    if memo is None:
        memo = ctx._admin_memo[id(view.effective)] = (view.effective, _admin_share(ctx, view))
    return memo[1]


def _admin_share(ctx: Context, view: RoleView) -> str | None:
    writes, total = ctx.write_mask
    es = view.effective
    granted = es.everywhere_mask(writes)
    share = granted.bit_count() / total
    if granted == writes and es.everywhere_mask(ctx.db.all_mask) == ctx.db.all_mask:
        return "every action on every resource (*)"
    if share >= NEAR_ADMIN_SHARE:
        return f"{share:.0%} of all write actions on every resource"
    return None


def check_full_admin(ctx: Context) -> Iterator[Finding]:
    for role in ctx.roles:
        if role.admin:
            continue
        pairs: list[tuple[str, str]] = []
        for view in ctx.views(role):
            detail = _admin_detail(ctx, view)
            if detail is not None:
                pairs.append((view.account.name, detail))
        for detail, accounts in _grouped(pairs):
            yield Finding(
                f"role {role.name} is effectively an administrator in {_accounts_text(accounts)}: {detail}",
                ctx.role_location(role, "boundary", "managed_policies", "policies", "name"),
                role,
                "set admin: true if that is intended; otherwise narrow its policies or its boundary",
            )


# ---------------------------------------------------------------------- I003 self-protection
BOUNDARY_EDITS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicy",
)


def _iam_writes(ctx: Context, es: EffectiveSet) -> list[str]:
    mask = ctx.screen(es).iam_writes
    if not mask:
        return []
    return sorted(a for a in ctx.db.names(mask) if es.access(a) is not Access.NONE)


def _opens(ctx: Context, view: RoleView, action: str, arn: str, es: EffectiveSet | None = None) -> bool:
    """Whether the role may do ``action`` on ``arn``.  iam:PutRolePermissionsBoundary
    pinned to a boundary no broader than its own, by an Allow's condition or by a Deny
    unless it is one (``_pinned_by_deny``, as I001 reads it), opens nothing: what it may
    put on itself allows no more than what it has (a boundary is "the maximum permissions
    that an identity-based policy can grant", IAM User Guide, Permissions boundaries).
    ``es``: the role's effective set without one of its policies (default: with all)."""
    es = es or view.effective
    if action != "iam:PutRolePermissionsBoundary":
        return es.access(action, arn) is not Access.NONE
    safe = narrower_boundaries(ctx, view)
    return any(
        g.applies_to(arn) and not (_pinned(g, safe) or _pinned_by_deny(g, safe)) for g in es.grants(action)
    )


def check_boundary_self_protection(ctx: Context) -> Iterator[Finding]:
    for role in ctx.roles:
        if role.boundary is None:
            continue
        pairs: list[tuple[str, str]] = []
        for view in ctx.views(role):
            es = view.effective
            writes = _iam_writes(ctx, es)
            if not writes:
                continue
            role_arn = role.arn(view.account)
            policy_arn = ctx.catalog.policy_arn("boundary", role.boundary, view.account)
            doors = (
                ("iam:DeleteRolePermissionsBoundary", role_arn),
                ("iam:PutRolePermissionsBoundary", role_arn),
                *((a, policy_arn) for a in BOUNDARY_EDITS),
            )
            open_doors = [a for a, arn in doors if _opens(ctx, view, a, arn)]
            opened = set(open_doors)
            # A door a Deny of the role's own policy shuts opens once the role takes that
            # policy off itself (``_removals``): only a boundary's Denies stay.
            for removal in _removals(ctx, view):
                lifted = [
                    a for a, arn in doors if a not in opened and _opens(ctx, view, a, arn, removal.without)
                ]
                if lifted:
                    open_doors.append(f"{', '.join(lifted)} after {_taken_off(view, removal)}")
                    opened.update(lifted)
            if open_doors:
                pairs.append((view.account.name, ", ".join(open_doors)))
        for detail, accounts in _grouped(pairs):
            yield Finding(
                f"role {role.name} has IAM write permissions in {_accounts_text(accounts)} and may remove or "
                f"edit its own boundary {role.boundary}: {detail}",
                ctx.role_location(role, "boundary", "name"),
                role,
                f"add to boundaries/{role.boundary}.json a Deny of iam:DeleteRolePermissionsBoundary and "
                "iam:PutRolePermissionsBoundary on the role, and of policy version changes on "
                f"{arns.policy_arn('<account-id>', ctx.catalog.policy_iam_name('boundary', role.boundary), ctx.catalog.policy_iam_path('boundary', role.boundary), ctx.catalog.partition)}",
            )


# ---------------------------------------------------------------------- I004 action vs resource
def _documents(ctx: Context) -> Iterator[tuple[Any, Any]]:
    """Each policy and boundary file once (its first rendering), with its SourceDoc."""
    seen: set[str] = set()
    for key in sorted(ctx.catalog.rendered):
        rendered = ctx.catalog.rendered[key]
        if rendered.file.source in seen:
            continue
        seen.add(rendered.file.source)
        yield rendered.document, rendered.doc


def _statements(document: Any) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    raw = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(raw, dict):
        yield ("Statement",), raw
    elif isinstance(raw, list):
        for i, stmt in enumerate(raw):
            if isinstance(stmt, dict):
                yield ("Statement", i), stmt


def _as_list(value: Any) -> list[tuple[Any, tuple[int, ...]]]:
    if isinstance(value, list):
        return [(v, (i,)) for i, v in enumerate(value)]
    return [(value, ())]


def _applies(ctx: Context, action: str, resources: tuple[str, ...]) -> bool | None:
    key = (action, resources)
    if key not in ctx.applies_cache:
        ctx.applies_cache[key] = _applies_uncached(ctx, action, resources)
    return ctx.applies_cache[key]


def _applies_uncached(ctx: Context, action: str, resources: tuple[str, ...]) -> bool | None:
    verdicts = [ctx.db.applies(action, r) for r in resources]
    if any(v is None for v in verdicts):
        return None  # unknown to the database: cannot say
    return any(verdicts)


def check_action_resources(ctx: Context) -> Iterator[Finding]:
    cache: dict[tuple[str, tuple[str, ...]], bool] = {}
    for document, source in _documents(ctx):
        for path, stmt in _statements(document):
            if "Action" not in stmt or "Resource" not in stmt:
                continue
            resources = [widen(r) for r, _ in _as_list(stmt["Resource"]) if isinstance(r, str)]
            if not resources or "*" in resources:
                continue
            for action, sub in _as_list(stmt["Action"]):
                if not isinstance(action, str) or action == "*":
                    continue
                key = (action.lower(), tuple(resources))
                if key not in cache:
                    verdicts = [_applies(ctx, a, tuple(resources)) for a in ctx.db.expand(action)]
                    cache[key] = bool(verdicts) and all(v is False for v in verdicts)
                if cache[key]:
                    yield Finding(
                        f"{action} applies to none of the statement's resources ({', '.join(resources)})",
                        source.locate((*path, "Action", *sub)),
                        None,
                        _resource_hint(ctx, action),
                    )


def _resource_hint(ctx: Context, action: str) -> str:
    formats = sorted(
        {f for a in ctx.db.expand(action) for t in ctx.db.resource_types(a) or () for f in t.arn_formats if f}
    )
    if not formats:
        return f'{action} works only with "Resource": "*"'
    return f"{action} acts on {', '.join(formats[:4])}"


# ---------------------------------------------------------------------- I005 admin members
def check_admin_members(ctx: Context) -> Iterator[Finding]:
    limit = ctx.catalog.defaults.admin_member_limit
    for role in ctx.roles:
        if not role.admin:
            continue
        people = set(role.members) | {t.user for t in role.temporary_members if t.is_active(ctx.now)}
        if len(people) > limit:
            yield Finding(
                f"admin role {role.name} has {len(people)} members (limit {limit})",
                ctx.role_location(role, "members", "name"),
                role,
                "give most people a narrower role and temporary_members for incidents",
            )


# ---------------------------------------------------------------------- I006 BoolIfExists MFA
def check_mfa_if_exists(ctx: Context) -> Iterator[Finding]:
    for document, source in _documents(ctx):
        for path, stmt in _statements(document):
            condition = stmt.get("Condition")
            if stmt.get("Effect") != "Allow" or not isinstance(condition, dict):
                continue
            for operator, tests in condition.items():
                if not operator.lower().endswith("boolifexists") or not isinstance(tests, dict):
                    continue
                for key in tests:
                    if key.lower() == "aws:multifactorauthpresent":
                        yield Finding(
                            f"{operator} on aws:MultiFactorAuthPresent in an Allow: a role's sessions always "
                            "carry the key, so here it acts as Bool, but in a user's policy it lets requests "
                            "signed with long-term access keys in without MFA",
                            source.locate((*path, "Condition", operator, key), key=True),
                            None,
                            'use "Bool" with "true" to require MFA',
                        )


# ---------------------------------------------------------------------- I007 unknown managed
def check_unknown_managed(ctx: Context) -> Iterator[Finding]:
    snap = managed.snapshot()
    for role in ctx.roles:
        for i, arn in enumerate(role.managed_policy_arns):
            if managed.document(arn) is None:
                yield Finding(
                    f"the document of AWS managed policy {arn} is not in the snapshot of "
                    f"{snap.snapshot_date}; the checks cannot see what it grants",
                    ctx.catalog.locate(role.source, ("managed_policies", i)),
                    role,
                    "run scripts/refresh-managed-policies.py, or accept this finding with a reason",
                )


CHECKS: tuple[Check, ...] = (
    Check("I001", check_escalation),
    Check("I002", check_full_admin),
    Check("I003", check_boundary_self_protection),
    Check("I004", check_action_resources, per_role=False),
    Check("I005", check_admin_members),
    Check("I006", check_mfa_if_exists, per_role=False),
    Check("I007", check_unknown_managed),
)


class Checker:
    """The IAM checks as runs for the rule runner, over one context made on first use and
    kept: every run of this checker shares its effective sets and caches, so ``runs`` may
    be asked for many parts of the roles in turn.  A forked process makes its own context
    on first use."""

    def __init__(self, make: Callable[[], Context]) -> None:
        self._make = make  # e.g. ``lambda: Context.of(catalog, now)``, or a shared context
        self._made: Context | None = None

    def context(self) -> Context:
        if self._made is None:
            self._made = self._make()
        return self._made

    def runs(
        self, roles: Sequence[Role] | None = None, *, per_role: bool = True, documents: bool = True
    ) -> list[tuple[str, Callable[[], list[Diagnostic]]]]:
        """Each IAM check as (code, run) for the rule runner, in ``CHECKS`` order.

        ``roles``: the per-role checks look at these roles only (default: all), so that
        parts of the catalog can be checked apart; ``per_role``/``documents``: whether the
        per-role checks, and the checks of the catalog's policy documents (which belong to
        one part only), are among the runs."""

        def runner(check: Check) -> Callable[[], list[Diagnostic]]:
            def run() -> list[Diagnostic]:
                ctx = self.context()
                before, ctx.roles_checked = ctx.roles_checked, roles
                try:
                    return [
                        Diagnostic(
                            check.code, check.severity, f.message, f.location, f.hint, subject=f.subject
                        )
                        for f in check.run(ctx)
                    ]
                finally:
                    ctx.roles_checked = before

            return run

        wanted = [c for c in CHECKS if (per_role if c.per_role else documents)]
        return [(check.code, runner(check)) for check in wanted]


def run_checks(catalog: Catalog, now: dt.datetime) -> list[Diagnostic]:
    """Every finding of every IAM check, accepted ones marked with the role's reason."""
    from .runner import run_rules

    return run_rules(catalog, Checker(lambda: Context.of(catalog, now)).runs())


def render_markdown() -> str:
    """docs/checks.md (generated from the rule registry by ``rules/docs.py``)."""
    from .docs import render_markdown as render

    return render()


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m rolecat.rules.iam --markdown")
    sys.stdout.write(render_markdown())
