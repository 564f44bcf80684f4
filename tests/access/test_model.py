"""Who reaches which role: trust principals, temporary grants, role chaining."""

from __future__ import annotations

import datetime as dt
from typing import Any

from factory import allow, catalog, policy, role
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.access.model import AccessModel
from rolecat.access.whocan import WhoCan
from rolecat.model import Catalog, Role, TemporaryMember

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
ACCOUNT = "222222222222"  # nonprod in the factory


def arn(name: str, path: str = "/humans/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def chained_trust(extra: dict[str, list[str]]) -> Any:
    """The trust rolecat writes, plus statements trusting the given principals (as a
    cross-account or role trust of the deploy layer will)."""
    from rolecat.deploy.policies import trust_policy

    def trust(cat: Catalog, r: Role) -> dict[str, Any]:
        doc = trust_policy(cat, r)
        for principal in extra.get(r.name, []):
            doc["Statement"].append(
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            )
        return doc

    return trust


def test_members_and_temporary_members_reach_a_role() -> None:
    temps = (
        TemporaryMember("bob", dt.datetime(2027, 1, 1, tzinfo=dt.UTC), "2027-01-01", "INC-1", 0),
        TemporaryMember("carol", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "2026-01-01", "old", 1),
    )
    c = catalog([role("Dev", members=("alice",), temporary_members=temps)])
    model = AccessModel(c, NOW)
    (view,) = model.views
    got = [(r.principal.user, r.until_iso, r.via) for r in model.reach(view)]
    # carol's grant ended before NOW: an expired temporary member is not included
    assert got == [("alice", None, ("Dev",)), ("bob", "2027-01-01T00:00:00Z", ("Dev",))]


def test_service_principals() -> None:
    c = catalog([role("Fn", kind="service", members=(), trusted_services=("lambda.amazonaws.com",))])
    model = AccessModel(c, NOW)
    (reach,) = model.reach(model.views[0])
    assert reach.principal.principal == "lambda.amazonaws.com" and reach.principal.user is None


def test_role_chaining_through_a_trust_naming_the_roles_arn() -> None:
    # Target trusts Hop's ARN; alice (a member of Hop) reaches Target through [Hop,
    # Target].  In one account a trust naming the role's ARN is enough: "When a
    # resource-based policy grants access to a principal in the same account, no
    # additional identity-based policy is required" (STS AssumeRole); only an explicit
    # deny, or an implicit deny in Hop's boundary, stops it ("Resource-based policies that
    # grant permissions to an IAM role ARN are limited by an implicit deny in a
    # permissions boundary", policy evaluation logic).
    roles = [
        role("Hop", policies=("hop",), members=("alice",)),
        role("Target", policies=("admin",), members=("bob",)),
    ]
    pols = {"hop": policy(allow("sts:AssumeRole", arn("Target"))), "admin": policy(allow("iam:*"))}
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [arn("Hop")]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    got = {(r.principal.user, r.via, r.conditional) for r in model.reach(target)}
    assert got == {("alice", ("Hop", "Target"), False), ("bob", ("Target",), False)}
    answers = WhoCan(model).ask("iam:CreateUser")
    assert {(a.user, a.role, a.via) for a in answers} == {
        ("alice", "Target", ("Hop", "Target")),
        ("bob", "Target", ("Target",)),
    }
    # without an assume permission of its own: the trust naming Hop's ARN is enough
    pols["hop"] = policy(allow("s3:GetObject"))
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [arn("Hop")]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    assert {(r.principal.user, r.via) for r in model.reach(target)} == {
        ("alice", ("Hop", "Target")),
        ("bob", ("Target",)),
    }
    # an explicit deny in Hop's policies stops it
    pols["hop"] = policy(
        allow("s3:GetObject"), {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
    )
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [arn("Hop")]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    assert {r.principal.user for r in model.reach(target)} == {"bob"}
    # so does a boundary of Hop's that does not allow sts:AssumeRole (an implicit deny)
    pols["hop"] = policy(allow("s3:GetObject"))
    bounded = [role("Hop", policies=("hop",), members=("alice",), boundary="reads"), roles[1]]
    model = AccessModel(
        catalog(bounded, pols, {"reads": policy(allow("s3:Get*"))}),
        NOW,
        trust_of=chained_trust({"Target": [arn("Hop")]}),
    )
    target = model.view("Target", "nonprod")
    assert target is not None
    assert {r.principal.user for r in model.reach(target)} == {"bob"}


def test_a_trust_naming_the_arn_opens_a_chain_only_while_its_statement_does() -> None:
    """The statement that names Hop's ARN opens the chain by itself only for what it
    allows and only until it ends: an expired one, or one for sts:TagSession alone,
    leaves the account root's statement, for which Hop needs a permission of its own."""
    from rolecat.deploy.policies import trust_policy

    roles = [
        role("Hop", policies=("hop",), members=("alice",)),
        role("Target", policies=("admin",), members=("bob",)),
    ]
    pols = {"hop": policy(allow("s3:GetObject")), "admin": policy(allow("iam:*"))}
    root = f"arn:aws:iam::{ACCOUNT}:root"

    def trust_with(statement: dict[str, Any]) -> Any:
        def trust(cat: Catalog, r: Role) -> dict[str, Any]:
            doc = trust_policy(cat, r)
            if r.name == "Target":
                doc["Statement"].append(
                    {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}
                )
                doc["Statement"].append(statement)
            return doc

        return trust

    named = {"Effect": "Allow", "Principal": {"AWS": arn("Hop")}, "Action": "sts:AssumeRole"}
    expired = {**named, "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}}
    tagging = {**named, "Action": "sts:TagSession"}
    later = {**named, "Condition": {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}}
    for statement, reached in ((expired, set()), (tagging, set()), (later, {"2027-01-01T00:00:00+00:00"})):
        model = AccessModel(catalog(roles, pols), NOW, trust_of=trust_with(statement))
        target = model.view("Target", "nonprod")
        assert target is not None
        got = {
            r.until.isoformat() if r.until else None
            for r in model.reach(target)
            if r.principal.user == "alice"
        }
        assert got == reached, statement


def test_role_chaining_through_the_account_root_needs_an_assume_permission() -> None:
    # A trust naming the account's root delegates to the account's own policies: Hop
    # reaches Target only when its policy allows sts:AssumeRole on it.
    roles = [
        role("Hop", policies=("hop",), members=("alice",)),
        role("Target", policies=("admin",), members=("bob",)),
    ]
    pols = {"hop": policy(allow("s3:GetObject")), "admin": policy(allow("iam:*"))}
    root = f"arn:aws:iam::{ACCOUNT}:root"
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [root]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    assert {r.principal.user for r in model.reach(target)} == {"bob"}
    pols["hop"] = policy(allow("sts:AssumeRole", arn("Target")))
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [root]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    assert {r.principal.user for r in model.reach(target)} == {"alice", "bob"}


def test_chain_through_account_root_and_conditional_assume() -> None:
    # A trust naming the account root delegates to the account's own policies: a role
    # there whose policy allows sts:AssumeRole on the target (here only with MFA, so the
    # chain step is conditional) reaches it.
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    roles = [
        role("Hop", policies=("hop",), members=("alice",)),
        role("Other", policies=(), members=("carol",)),
        role("Target", policies=("ro",), members=()),
    ]
    pols = {
        "hop": policy(allow("sts:AssumeRole", arn("Target"), Condition=mfa)),
        "ro": policy(allow("s3:Get*")),
    }
    root = f"arn:aws:iam::{ACCOUNT}:root"
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"Target": [root]}))
    target = model.view("Target", "nonprod")
    assert target is not None
    assert [(r.principal.user, r.via, r.conditional) for r in model.reach(target)] == [
        ("alice", ("Hop", "Target"), True)
    ]
    (answer,) = WhoCan(model).ask("s3:GetObject")
    assert answer.access == "conditional"


def test_chains_do_not_loop() -> None:
    roles = [role("A", policies=("p",), members=("alice",)), role("B", policies=("p",), members=("bob",))]
    pols = {"p": policy(allow("sts:AssumeRole", arn("*")))}
    model = AccessModel(catalog(roles, pols), NOW, trust_of=chained_trust({"A": [arn("B")], "B": [arn("A")]}))
    a = model.view("A", "nonprod")
    assert a is not None
    assert {(r.principal.user, r.via) for r in model.reach(a)} == {("alice", ("A",)), ("bob", ("B", "A"))}


def test_who_can_agrees_with_decide_and_access_on_every_view() -> None:
    # The batch path (statement bitsets, memo) must give what engine.decide gives for a
    # request on a concrete resource, and EffectiveSet.access without one.
    import json

    from rolecat.iam.engine import Access, Verdict, decide

    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    roles = [
        role("Reader", policies=("read",), boundary="b", members=("alice",)),
        role("Writer", policies=("write",), boundary="b", members=("bob",)),
        role("Open", policies=("open",), members=("carol",)),
        role("Guarded", policies=("guarded",), members=("dave",)),
    ]
    pols = {
        "read": policy(allow("s3:GetObject", "arn:aws:s3:::a/*"), allow("s3:ListAllMyBuckets")),
        "write": policy(allow("s3:*", "arn:aws:s3:::*", Condition=mfa)),
        "open": policy(
            allow("*"), {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::a/*", "Condition": mfa}
        ),
    }
    # everywhere, but a conditional deny covers every resource: conditional, not allowed
    pols["guarded"] = policy(
        allow("s3:*"), {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", "Condition": mfa}
    )
    bounds = {
        "b": policy(
            allow("s3:*"), {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::a/x"}
        )
    }
    model = AccessModel(catalog(roles, pols, bounds), NOW)
    who = WhoCan(model)
    level = {Verdict.ALLOWED: "allowed", Verdict.CONDITIONAL: "conditional"}
    for action in ("s3:GetObject", "s3:PutObject", "s3:ListAllMyBuckets", "iam:PassRole"):
        for resource in (None, "*", "arn:aws:s3:::a/x", "arn:aws:s3:::b/y"):
            expected = set()
            for view in model.views:
                if resource is None:
                    access = view.effective.access(action)
                    got = {Access.UNCONDITIONAL: "allowed", Access.CONDITIONAL: "conditional"}.get(access)
                else:
                    got = level.get(decide(view.effective, action, resource).verdict)
                if got is not None:
                    expected |= {
                        (r.principal.user, view.role.name, view.account.name, got) for r in model.reach(view)
                    }
            answers = who.ask(action, resource)
            assert {(a.user, a.role, a.account, a.access) for a in answers} == expected, (action, resource)
            assert json.loads(who.ask_json(action, resource)) == [a.as_json() for a in answers]


_ACTIONS = ["s3:GetObject", "s3:ListAllMyBuckets", "iam:PassRole", "s3:*", "*"]
_RESOURCES = [
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:s3:::a/k",
    "arn:aws:s3:::?/k*",
]
_statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=2),
        "Resource": st.sampled_from(_RESOURCES),
        "negated": st.booleans(),
        "conditional": st.booleans(),
    }
)


def _iam(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": s["Effect"], "Action": s["Action"]}
    out["NotResource" if s["negated"] else "Resource"] = s["Resource"]
    if s["conditional"]:
        out["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(_statement, min_size=1, max_size=3), min_size=2, max_size=2),
    st.none() | st.lists(_statement, min_size=1, max_size=3),
    st.sampled_from(
        [
            ("s3:GetObject", "arn:aws:s3:::a/k"),
            ("s3:GetObject", "arn:aws:s3:::b/k"),
            ("s3:ListAllMyBuckets", "*"),
            ("iam:PassRole", "arn:aws:iam::222222222222:role/x"),
            ("s3:GetObject", None),
            ("iam:PassRole", None),
        ]
    ),
)
def test_batch_who_can_equals_decide(
    policies: list[list[dict[str, Any]]],
    boundary: list[dict[str, Any]] | None,
    request: tuple[str, str | None],
) -> None:
    from rolecat.iam.engine import Access, Verdict, decide

    roles = [
        role("R0", policies=("p0",), boundary="b" if boundary else None, members=("alice",)),
        role("R1", policies=("p1",), members=("bob",)),
    ]
    pols = {f"p{i}": policy(*map(_iam, stmts)) for i, stmts in enumerate(policies)}
    bounds = {"b": policy(*map(_iam, boundary))} if boundary else None
    model = AccessModel(catalog(roles, pols, bounds), NOW)
    action, resource = request
    level = {Verdict.ALLOWED: "allowed", Verdict.CONDITIONAL: "conditional"}
    expected = set()
    for view in model.views:
        if resource is None:  # on at least one resource
            access = view.effective.access(action)
            got = {Access.UNCONDITIONAL: "allowed", Access.CONDITIONAL: "conditional"}.get(access)
        else:
            got = level.get(decide(view.effective, action, resource).verdict)
        if got is not None:
            expected |= {(r.principal.user, view.role.name, got) for r in model.reach(view)}
    who = WhoCan(model)
    assert {(a.user, a.role, a.access) for a in who.ask(action, resource) if a.role} == expected


def test_an_account_outside_the_catalog_is_a_principal() -> None:
    # external_accounts: the trust names the root of an account rolecat does not know;
    # who-can lists that account (what it delegates is decided there), not nothing
    vendor = "arn:aws:iam::999999999999:root"
    roles = [role("Vendor", policies=("ro",), members=())]
    model = AccessModel(
        catalog(roles, {"ro": policy(allow("s3:Get*"))}), NOW, trust_of=chained_trust({"Vendor": [vendor]})
    )
    target = model.view("Vendor", "nonprod")
    assert target is not None
    assert [(r.principal.principal, r.principal.user, r.via) for r in model.reach(target)] == [
        (vendor, None, ("Vendor",))
    ]
