"""Who reaches which role: principals from the trust policies, role chaining, effective sets.

``AccessModel`` is the one view the access commands (who-can, explain, diff, guardrails)
share.  Per role and account it holds the role's ARN, its trust document as rolecat
writes it (``deploy.policies.trust_policy``) and its effective permissions (the same
``EffectiveSet`` the IAM checks use, boundary and denies applied).  From the trust
documents it derives every ``Reach``: a principal (a person's IAM user, a service, a
federated provider, an outside ARN) that can assume the role, directly or through a
chain of roles, with the end of a temporary grant.

A role chain step R -> T exists when T's trust names R's ARN (or R's account root) and
R's effective permissions allow ``sts:AssumeRole`` on T's ARN.  The trust conditions of
a human grant (MFA, MFA age, session name, ``aws:CurrentTime`` end) never make access
conditional; a chain step whose ``sts:AssumeRole`` is conditional does.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolecat.deploy import arns

if TYPE_CHECKING:
    from rolecat.deploy.deployment import Deployment
from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import SIGNED_REQUEST_VARIABLES, Access, EffectiveSet, Normalizer, effective
from rolecat.iam.globs import matches
from rolecat.model import Account, Catalog, Role

TrustOf = Callable[[Catalog, Role], Mapping[str, Any]]
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
MAX_CHAIN = 5  # AWS allows chaining without limit; reviews rarely need more


@dataclass(frozen=True)
class Principal:
    """A principal as a trust policy names it."""

    principal: str  # user ARN, service name, federated provider, other ARN
    user: str | None = None  # IAM user name of a person in the identity account


@dataclass(frozen=True)
class Reach:
    """One way a principal reaches a role (the view it is listed under)."""

    principal: Principal
    via: tuple[str, ...]  # role names assumed in order, the last one is the role reached
    until: dt.datetime | None  # end of a temporary grant (the earliest along a chain)
    conditional: bool  # some chain step's sts:AssumeRole holds only under a condition
    # teams (users.yaml team:) through which the person is a standing member of the first
    # role of the chain (role teams:); empty when listed by name only, or temporary
    teams: tuple[str, ...] = ()

    @property
    def until_iso(self) -> str | None:
        return iso(self.until)


@functools.lru_cache(maxsize=4096)
def iso(when: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with Z, as every access command prints times."""
    return None if when is None else when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RoleView:
    """One role deployed in one account."""

    role: Role
    account: Account
    arn: str
    trust: Mapping[str, Any]
    effective: EffectiveSet

    @property
    def key(self) -> tuple[str, str]:
        return (self.role.name, self.account.name)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = doc.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    return [s for s in raw if isinstance(s, Mapping)] if isinstance(raw, list) else []


def _until(statement: Mapping[str, Any]) -> dt.datetime | None:
    """The ``DateLessThan aws:CurrentTime`` end of a trust statement, if any."""
    from rolecat.model.timeutil import TimeError, parse_instant

    cond = statement.get("Condition")
    if not isinstance(cond, Mapping):
        return None
    for operator, tests in cond.items():
        if str(operator).lower() != "datelessthan" or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            if str(key).lower() == "aws:currenttime":
                for text in _strings(value):
                    try:
                        return parse_instant(text)
                    except TimeError:
                        return None
    return None


# The policy variables every request of an IAM user carries: those of every signed
# request and aws:username ("always included in the request context for IAM users",
# IAM: AWS global condition context keys).
USER_VARIABLES = SIGNED_REQUEST_VARIABLES | {"${aws:username}"}


@dataclass(frozen=True)
class UserSet:
    """IAM users of the identity account sharing one group's policies."""

    group: str
    account: Account
    effective: EffectiveSet
    users: tuple[tuple[str, str], ...]  # (user name, user ARN)


class AccessModel:
    """Every role view of a catalog and every principal's way into each."""

    def __init__(
        self,
        catalog: Catalog,
        now: dt.datetime,
        db: ActionDB | None = None,
        *,
        deployment: Deployment | None = None,
        trust_of: TrustOf | None = None,
    ) -> None:
        from rolecat.rules.iam import Context

        self.context = Context.of(catalog, now, db, deployment)
        self.db = self.context.db  # with the catalog's known_actions
        self.catalog = catalog
        self.now = now
        self.deployment = self.context.deployment
        self.views: list[RoleView] = []
        self.by_arn: dict[str, RoleView] = {}
        for role in catalog.roles:
            placements = self.deployment.placements(role)
            if not placements:
                continue
            doc = trust_of(catalog, role) if trust_of is not None else None
            for placed, ctx_view in zip(placements, self.context.views(role), strict=True):
                trust = doc if doc is not None else placed.trust
                view = RoleView(role, placed.account, placed.arn, trust or {}, ctx_view.effective)
                self.views.append(view)
                self.by_arn[placed.arn] = view
        self._by_key = {v.key: v for v in self.views}
        # People's own permissions in the identity account: the group policies rolecat
        # writes (self-service, assume-roles), one effective set per group.
        self.user_sets: list[UserSet] = []
        identity = self.deployment.identity()
        if identity is not None:
            arn_of = {u.name: u.arn for u in identity.users}
            # an IAM user's requests always carry aws:username: an Allow on the group
            # policies' ${aws:username} is the person's own user, not a maybe (widened to
            # every user, so a question about another person's user is answered for all
            # of them: an over-report); a Deny on it stays conditional
            people = Normalizer(self.db, known_variables=USER_VARIABLES)
            for group in identity.groups:
                docs = [p.document for p in group.policies]
                labels = [f"group {group.name} policy {p.iam_name}" for p in group.policies]
                es = effective(docs, None, self.db, normalizer=people, labels=labels)
                users = tuple((u, arn_of[u]) for u in sorted(group.members) if u in arn_of)
                self.user_sets.append(UserSet(group.name, identity.account, es, users))
        self._user_prefix = arns.iam_arn(
            catalog.identity_account.id, "user/", catalog.identity_account.partition
        )
        self._user_names = frozenset(u.name for u in catalog.users)
        self._direct_cache: dict[int, list[tuple[Principal | RoleView, dt.datetime | None, bool]]] = {}
        self.memo: dict[str, dict[int, Any]] = {}  # callers' caches, keyed by id() of model objects
        self._reach: dict[tuple[str, str], tuple[Reach, ...]] | None = None

    # ------------------------------------------------------------------ lookups
    def view(self, role: str, account: str) -> RoleView | None:
        return self._by_key.get((role, account))

    def views_of(self, role: str) -> list[RoleView]:
        return [v for v in self.views if v.role.name == role]

    def user_of(self, principal: str) -> str | None:
        if principal.startswith(self._user_prefix):
            name = principal[len(self._user_prefix) :]
            if name in self._user_names:
                return name
        return None

    # ------------------------------------------------------------------ reach
    def reach(self, view: RoleView) -> tuple[Reach, ...]:
        """Every principal that can assume ``view``'s role, sorted, expired grants left out."""
        if self._reach is None:
            self._reach = self._compute_reach()
        return self._reach.get(view.key, ())

    def _direct(self, view: RoleView) -> list[tuple[Principal | RoleView, dt.datetime | None, bool]]:
        """(principal or source role view, until, named) for each principal the trust names;
        ``named``: a source role view named by its own ARN (not through its account's root)."""
        key = id(view.trust)
        hit = self._direct_cache.get(key)
        if hit is None:
            found = list(self._direct_uncached(view))
            if any(isinstance(w, RoleView) for w, _, _ in found):
                return found  # depends on the view (a root trust leaves the role itself out)
            hit = self._direct_cache[key] = found
        return hit

    def _direct_uncached(
        self, view: RoleView
    ) -> Iterator[tuple[Principal | RoleView, dt.datetime | None, bool]]:
        for st in _statements(view.trust):
            if st.get("Effect") != "Allow":
                continue
            actions = _strings(st.get("Action"))
            if not any(matches(a, b, ignore_case=True) for a in actions for b in ASSUME_ACTIONS):
                continue
            until = _until(st)
            if until is not None and until <= self.now:
                continue  # expired temporary grant
            principal = st.get("Principal")
            if principal == "*":
                yield Principal("*"), until, False
                continue
            if not isinstance(principal, Mapping):
                continue
            for kind, values in sorted(principal.items()):
                for value in _strings(values):
                    if kind == "AWS":
                        yield from self._aws_principal(view, value, until)
                    else:
                        yield Principal(value), until, False

    def _aws_principal(
        self, target: RoleView, value: str, until: dt.datetime | None
    ) -> Iterator[tuple[Principal | RoleView, dt.datetime | None, bool]]:
        source = self.by_arn.get(value)
        if source is not None:
            yield source, until, True
            return
        account_id = value if value.isdigit() else None
        if value.endswith(":root") and value.count(":") == 5:
            account_id = value.split(":")[4]
        if account_id is not None and any(a.id == account_id for a in self.catalog.accounts):
            # The account's root in a trust delegates to the account's own policies:
            # every catalog role there whose policy allows sts:AssumeRole on the target.
            for v in self.views:
                if v.account.id == account_id and v is not target:
                    yield v, until, False
            return
        # an account outside the catalog (external_accounts): the account itself is the
        # principal, whoever it lets assume the role is decided there
        yield Principal(value, self.user_of(value)), until, False

    def _compute_reach(self) -> dict[tuple[str, str], tuple[Reach, ...]]:
        direct: dict[tuple[str, str], list[tuple[Principal, dt.datetime | None]]] = {}
        edges: dict[tuple[str, str], list[tuple[RoleView, dt.datetime | None, bool]]] = {}
        for view in self.views:
            for who, until, named in self._direct(view):
                if isinstance(who, RoleView):
                    access = who.effective.access("sts:AssumeRole", view.arn)
                    if named and access is not Access.UNCONDITIONAL and who.account.id == view.account.id:
                        # a trust naming the role's ARN in its own account grants by
                        # itself; the role's boundary and denies still apply
                        access = max(
                            access, who.effective.granted_by_resource_policy("sts:AssumeRole", view.arn)
                        )
                    if access is not Access.NONE:
                        edges.setdefault(view.key, []).append((who, until, access is Access.CONDITIONAL))
                else:
                    direct.setdefault(view.key, []).append((who, until))
        out: dict[tuple[str, str], tuple[Reach, ...]] = {}
        shared: dict[tuple[int, str], tuple[Reach, ...]] = {}
        for view in self.views:
            if view.key not in edges:  # no chain into this role: its trust alone
                key = (id(view.trust), view.role.name)
                done = shared.get(key)
                if done is None:
                    via = (view.role.name,)
                    plain = {
                        (p, u): Reach(p, via, u, False, _teams(view, p, u))
                        for p, u in direct.get(view.key, ())
                    }
                    done = shared[key] = tuple(sorted(plain.values(), key=_reach_order))
                out[view.key] = done
                continue
            found: dict[tuple[Any, ...], Reach] = {}
            self._walk(view, view, (view.role.name,), None, False, direct, edges, found, {view.key})
            out[view.key] = tuple(sorted(found.values(), key=_reach_order))
        return out

    def _walk(
        self,
        target: RoleView,
        view: RoleView,
        via: tuple[str, ...],
        until: dt.datetime | None,
        conditional: bool,
        direct: Mapping[tuple[str, str], list[tuple[Principal, dt.datetime | None]]],
        edges: Mapping[tuple[str, str], list[tuple[RoleView, dt.datetime | None, bool]]],
        found: dict[tuple[Any, ...], Reach],
        seen: set[tuple[str, str]],
    ) -> None:
        """Principals reaching ``target`` through the chain ``via``, which starts at ``view``."""
        for principal, p_until in direct.get(view.key, ()):
            end = _earliest(until, p_until)
            reach = Reach(principal, via, end, conditional, _teams(view, principal, p_until))
            key = (principal, via, end)
            if key not in found or (found[key].conditional and not conditional):
                found[key] = reach
        if len(via) >= MAX_CHAIN:
            return
        for source, e_until, e_cond in edges.get(view.key, ()):
            if source.key in seen:
                continue
            self._walk(
                target,
                source,
                (source.role.name, *via),
                _earliest(until, e_until),
                conditional or e_cond,
                direct,
                edges,
                found,
                seen | {source.key},
            )


def _teams(view: RoleView, principal: Principal, until: dt.datetime | None) -> tuple[str, ...]:
    """Teams through which ``principal`` is a standing member of ``view``'s role."""
    if principal.user is None or until is not None or not view.role.teams:
        return ()
    return view.role.teams_of(principal.user)


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _reach_order(r: Reach) -> tuple[str, str, tuple[str, ...], str]:
    return (r.principal.user or "~", r.principal.principal, r.via, iso(r.until) or "")
