from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.access.model import USER_VARIABLES
from rolecat.iam import managed
from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import Access, Normalizer, effective
from rolecat.iam.globs import matches


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_identity_alone_without_boundary(db: ActionDB) -> None:
    es = effective([doc(allow("s3:Get*"))], None, db)
    assert es.access("s3:GetObject") is Access.UNCONDITIONAL
    assert es.access("s3:PutObject") is Access.NONE
    assert es.actions() == db.expand("s3:Get*")


def test_boundary_intersects(db: ActionDB) -> None:
    es = effective([doc(allow(["s3:*", "ec2:*"]))], doc(allow("s3:*")), db)
    assert es.access("s3:PutObject") is Access.UNCONDITIONAL
    assert es.access("ec2:RunInstances") is Access.NONE  # boundary cuts it off
    assert es.actions() == db.expand("s3:*")


def test_boundary_never_grants(db: ActionDB) -> None:
    es = effective([doc(allow("s3:GetObject"))], doc(allow("*")), db)
    assert es.actions() == {"s3:GetObject"}


def test_deny_wins_from_identity_or_boundary(db: ActionDB) -> None:
    es = effective([doc(allow("iam:*"), deny("iam:PassRole"))], doc(allow("*"), deny("iam:CreateRole")), db)
    assert es.access("iam:PassRole") is Access.NONE
    assert es.access("iam:CreateRole") is Access.NONE
    assert es.access("iam:GetRole") is Access.UNCONDITIONAL


def test_conditions_make_grants_conditional(db: ActionDB) -> None:
    es = effective([doc(allow("s3:GetObject", Condition=MFA))], None, db)
    assert es.access("s3:GetObject") is Access.CONDITIONAL
    assert es.actions(Access.UNCONDITIONAL) == frozenset()
    assert es.actions(Access.CONDITIONAL) == {"s3:GetObject"}
    # a condition in the boundary counts the same
    es = effective([doc(allow("s3:GetObject"))], doc(allow("s3:*", Condition=MFA)), db)
    assert es.access("s3:GetObject") is Access.CONDITIONAL
    # and a conditional deny leaves only a conditional grant
    es = effective([doc(allow("s3:GetObject"), deny("s3:*", Condition=MFA))], None, db)
    assert es.access("s3:GetObject") is Access.CONDITIONAL


def test_unconditional_beats_conditional_grant(db: ActionDB) -> None:
    es = effective([doc(allow("s3:GetObject", Condition=MFA), allow("s3:GetObject"))], None, db)
    assert es.access("s3:GetObject") is Access.UNCONDITIONAL


def test_not_action_and_not_resource(db: ActionDB) -> None:
    es = effective(
        [doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})], None, db
    )
    assert es.access("iam:PassRole") is Access.NONE
    assert es.access("ec2:RunInstances") is Access.UNCONDITIONAL
    assert len(es.actions()) == len(db) - len(db.expand("iam:*")) - len(db.expand("organizations:*"))
    es = effective(
        [doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret*"})], None, db
    )
    assert es.access("s3:GetObject", "arn:aws:s3:::public/x") is Access.UNCONDITIONAL
    assert es.access("s3:GetObject", "arn:aws:s3:::secret/x") is Access.NONE


def test_resources_are_kept(db: ActionDB) -> None:
    es = effective([doc(allow("s3:GetObject", "arn:aws:s3:::a/*"))], doc(allow("s3:*", "arn:aws:s3:::*")), db)
    (grant,) = es.grants("s3:GetObject")
    assert grant.resources() == ("arn:aws:s3:::a/*",)
    assert es.access("s3:GetObject", "arn:aws:s3:::a/key") is Access.UNCONDITIONAL
    assert es.access("s3:GetObject", "arn:aws:s3:::b/key") is Access.NONE


def test_disjoint_resources_between_identity_and_boundary(db: ActionDB) -> None:
    es = effective(
        [doc(allow("s3:GetObject", "arn:aws:s3:::a/*"))], doc(allow("s3:*", "arn:aws:s3:::b/*")), db
    )
    assert es.access("s3:GetObject") is Access.NONE


def test_partial_deny_excludes_resources_only(db: ActionDB) -> None:
    es = effective(
        [doc(allow("iam:PassRole"), deny("iam:PassRole", "arn:aws:iam::1:role/admin/*"))], None, db
    )
    assert es.access("iam:PassRole") is Access.UNCONDITIONAL
    assert es.access("iam:PassRole", "arn:aws:iam::1:role/admin/Root") is Access.NONE
    assert es.access("iam:PassRole", "arn:aws:iam::1:role/apps/x") is Access.UNCONDITIONAL
    # a deny covering every resource of the grant removes it
    es = effective(
        [
            doc(
                allow("iam:PassRole", "arn:aws:iam::1:role/apps/x"),
                deny("iam:PassRole", "arn:aws:iam::1:role/*"),
            )
        ],
        None,
        db,
    )
    assert es.access("iam:PassRole") is Access.NONE


def test_policy_variables_name_resources_under_conditions(db: ActionDB) -> None:
    """A statement whose Resource holds a policy variable names resources that depend on
    the request, and names none when the variable has no value ("any attempt to match it
    fails and causes the statement to be invalid", IAM policy elements: policy
    variables; aws:username has no value for a role): the engine treats it as
    conditional.  An Allow then grants under conditions, on whatever the variable may
    name; a Deny never removes a grant outright."""
    mine = "arn:aws:iam::1:user/${aws:username}"
    es = effective([doc(allow("iam:CreateAccessKey", mine))], None, db)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/alice") is Access.CONDITIONAL
    # Allow on every user, Deny on the caller's own: for a role session the Deny names
    # nothing, so the grant on other users stays (it was taken as a Deny on every user)
    es = effective(
        [doc(allow("iam:CreateAccessKey", "arn:aws:iam::1:user/*"), deny("iam:CreateAccessKey", mine))],
        None,
        db,
    )
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/admin") is Access.CONDITIONAL
    # an Allow's NotResource with a variable: the exclusion depends on the request, so
    # what the Allow may grant is bounded by excluding nothing
    not_mine = {"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": mine}
    es = effective([doc(not_mine)], None, db)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/alice") is Access.CONDITIONAL
    # ${*} is a literal * (IAM's escape), not a wildcard: a Deny naming it is no total deny
    es = effective(
        [doc(allow("s3:GetObject", "arn:aws:s3:::b/*"), deny("s3:GetObject", "arn:aws:s3:::b/${*}"))],
        None,
        db,
    )
    assert es.access("s3:GetObject", "arn:aws:s3:::b/report.csv") is Access.CONDITIONAL
    # an Allow whose Resource mixes "*" with a pattern holding a variable still grants on
    # "*" outright (the variable's pattern alone is conditional): an administrator stays one
    mixed = doc(allow("*", ["*", "arn:aws:s3:::home/${aws:username}/*"]))
    es = effective([mixed], None, db)
    assert es.access("iam:CreateUser") is Access.UNCONDITIONAL
    # a Deny mixing them stays whole and conditional: it may not apply at all
    es = effective(
        [
            doc(
                allow("iam:CreateAccessKey", "*"),
                deny("iam:CreateAccessKey", ["arn:aws:iam::1:user/*", mine]),
            )
        ],
        None,
        db,
    )
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/admin") is Access.CONDITIONAL
    # ${$} is a literal $: nothing conditional about it
    es = effective(
        [doc(allow("s3:GetObject", "arn:aws:s3:::b/*"), deny("s3:GetObject", "arn:aws:s3:::b/${$}*"))],
        None,
        db,
    )
    assert es.access("s3:GetObject", "arn:aws:s3:::b/$x") is Access.NONE
    assert es.access("s3:GetObject", "arn:aws:s3:::b/x") is Access.UNCONDITIONAL


def test_variables_every_request_has_make_an_allow_unconditional(db: ActionDB) -> None:
    """aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalType and aws:userid are in the
    request context of every signed request, aws:CurrentTime and aws:EpochTime of every
    request (IAM: AWS global condition context keys), and a variable with a default value
    always resolves ("If a variable is not present, AWS uses the default text that you
    provide", IAM: policy variables): an Allow naming only such variables grants outright
    on what it may name (read as ``*``, more than it does: the safe side).  A Deny holding
    one stays conditional: read as ``*`` it would deny more than it does."""
    own = "arn:aws:iam::${aws:PrincipalAccount}:user/*"
    es = effective([doc(allow("iam:CreateAccessKey", own))], None, db)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/admin") is Access.UNCONDITIONAL
    for variable in ("${aws:PrincipalArn}", "${AWS:USERID}", "${aws:PrincipalTag/team, 'shared'}", "${*}"):
        es = effective([doc(allow("s3:GetObject", f"arn:aws:s3:::b/{variable}/*"))], None, db)
        assert es.access("s3:GetObject", "arn:aws:s3:::b/x/y") is Access.UNCONDITIONAL, variable
    # no default, and roles have no aws:username: still a maybe
    for variable in ("${aws:PrincipalTag/team}", "${aws:username}", "${aws:PrincipalTag/team, shared}"):
        es = effective([doc(allow("s3:GetObject", f"arn:aws:s3:::b/{variable}/*"))], None, db)
        assert es.access("s3:GetObject", "arn:aws:s3:::b/x/y") is Access.CONDITIONAL, variable
    # a Deny naming the caller's own account: other accounts' users are not denied
    es = effective([doc(allow("iam:CreateAccessKey"), deny("iam:CreateAccessKey", own))], None, db)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::2:user/admin") is Access.CONDITIONAL
    # an Allow's NotResource with such a variable still excludes nothing, but outright
    not_own = {"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": own}
    es = effective([doc(not_own)], None, db)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/admin") is Access.UNCONDITIONAL


def test_a_deny_on_the_users_own_name_is_no_deny_on_every_user(db: ActionDB) -> None:
    """For the identity account's users aws:username always has a value, so a Deny on
    ``user/${aws:username}`` denies each person their own user only: read as ``*`` it
    was a Deny on every user, hiding a grant on the others.  It is conditional."""
    people = Normalizer(db, known_variables=USER_VARIABLES)
    mine = "arn:aws:iam::1:user/${aws:username}"
    es = effective(
        [doc(allow("iam:CreateAccessKey", "arn:aws:iam::1:user/*"), deny("iam:CreateAccessKey", mine))],
        None,
        db,
        normalizer=people,
    )
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/admin") is Access.CONDITIONAL
    # and an Allow on it grants outright (on every user: the over-report of reading it as *)
    es = effective([doc(allow("iam:CreateAccessKey", mine))], None, db, normalizer=people)
    assert es.access("iam:CreateAccessKey", "arn:aws:iam::1:user/alice") is Access.UNCONDITIONAL


def test_managed_policies_through_the_engine(db: ActionDB) -> None:
    power = managed.document("arn:aws:iam::aws:policy/PowerUserAccess")
    assert power is not None
    es = effective([power], None, db)
    assert es.access("iam:PassRole") is Access.NONE
    assert es.access("iam:CreateServiceLinkedRole") is Access.UNCONDITIONAL
    assert es.access("lambda:CreateFunction") is Access.UNCONDITIONAL


def test_normalizer_caches_per_document(db: ActionDB) -> None:
    norm = Normalizer(db)
    d = doc(allow("s3:*"))
    assert norm.statements(d, "x") is norm.statements(d, "x")


ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "iam:PassRole",
    "ec2:RunInstances",
    "lambda:InvokeFunction",
    "s3:ListAllMyBuckets",
    "ec2:DescribeInstances",
]
RESOURCES = [
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::1:role/*",
    "arn:aws:ec2:*:*:instance/*",
]
# Requests as AWS sends them: each action with a resource of one of its resource types, or
# "*" for an action without resource-level permissions.
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::a/k"),
    ("s3:GetObject", "arn:aws:s3:::b/k"),
    ("s3:PutObject", "arn:aws:s3:::a/k"),
    ("iam:PassRole", "arn:aws:iam::1:role/r"),
    ("ec2:RunInstances", "arn:aws:ec2:us-east-1:1:instance/i-1"),
    ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:f"),
    ("s3:ListAllMyBuckets", "*"),
    ("ec2:DescribeInstances", "*"),
]
statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from([*ACTIONS, "s3:*", "*"]), min_size=1, max_size=3),
        "Resource": st.sampled_from(RESOURCES),
    }
)


def _brute(
    stmts: list[dict[str, Any]], bstmts: list[dict[str, Any]] | None, action: str, resource: str
) -> bool:
    """IAM's rule, evaluated directly for one concrete request."""

    def hits(s: dict[str, Any]) -> bool:
        return any(matches(a, action, ignore_case=True) for a in s["Action"]) and matches(
            s["Resource"], resource
        )

    everything = stmts + (bstmts or [])
    if any(s["Effect"] == "Deny" and hits(s) for s in everything):
        return False
    allowed = any(s["Effect"] == "Allow" and hits(s) for s in stmts)
    bounded = bstmts is None or any(s["Effect"] == "Allow" and hits(s) for s in bstmts)
    return allowed and bounded


@settings(max_examples=150, deadline=None)
@given(
    st.lists(statement, min_size=1, max_size=4),
    st.none() | st.lists(statement, min_size=1, max_size=3),
    st.sampled_from(REQUESTS),
)
def test_engine_agrees_with_direct_evaluation(
    stmts: list[dict[str, Any]], bstmts: list[dict[str, Any]] | None, request: tuple[str, str]
) -> None:
    action, resource = request
    db = ActionDB.load()
    es = effective([doc(*stmts)], doc(*bstmts) if bstmts is not None else None, db)
    expected = _brute(stmts, bstmts, action, resource)
    assert (es.access(action, resource) is Access.UNCONDITIONAL) is expected


# ---------------------------------------------------------------------- issue 12 fixes
# Each case is reasoned from AWS's documented evaluation logic (IAM User Guide, "Policy
# evaluation logic", "NotResource", "Actions, resources, and condition keys").


def test_conditional_deny_applies_only_where_its_resource_matches(db: ActionDB) -> None:
    # A Deny statement is applicable to a request only if its Resource matches the request's
    # resource.  For public/x the Deny on secret/* does not apply, so the Allow on * holds
    # whatever the condition's value: unconditional.  For secret/x the deny applies when
    # its condition is true: conditional.
    es = effective(
        [doc(allow("s3:GetObject"), deny("s3:GetObject", "arn:aws:s3:::secret/*", Condition=MFA))], None, db
    )
    assert es.access("s3:GetObject", "arn:aws:s3:::public/x") is Access.UNCONDITIONAL
    assert es.access("s3:GetObject", "arn:aws:s3:::secret/x") is Access.CONDITIONAL
    # "on at least one resource": some resource is reached without any condition
    assert es.access("s3:GetObject") is Access.UNCONDITIONAL
    (grant,) = es.grants("s3:GetObject")
    assert not grant.conditional and grant.on_everything and grant.conditional_denies
    # a conditional deny on every resource of the grant keeps the whole grant conditional
    es = effective(
        [doc(allow("s3:GetObject", "arn:aws:s3:::secret/*"), deny("s3:*", "arn:aws:s3:::*", Condition=MFA))],
        None,
        db,
    )
    assert es.access("s3:GetObject") is Access.CONDITIONAL


def test_actions_without_resource_level_permissions_need_star(db: ActionDB) -> None:
    # s3:ListAllMyBuckets and ec2:DescribeInstances have no resource types in the service
    # authorization reference: the request's resource is "*", which a statement naming
    # only bucket or instance ARNs does not match.
    es = effective(
        [doc(allow(["s3:*", "ec2:Describe*"], ["arn:aws:s3:::a", "arn:aws:ec2:*:*:instance/*"]))], None, db
    )
    assert es.access("s3:ListAllMyBuckets") is Access.NONE
    assert es.access("ec2:DescribeInstances") is Access.NONE
    assert es.access("s3:ListBucket") is Access.UNCONDITIONAL  # acts on the bucket ARN
    assert "s3:ListAllMyBuckets" not in es.actions()
    es = effective([doc(allow("s3:ListAllMyBuckets", "*"))], None, db)
    assert es.access("s3:ListAllMyBuckets") is Access.UNCONDITIONAL
    # a Deny on a bucket ARN does not deny an action that is requested on "*"
    es = effective([doc(allow("s3:*"), deny("s3:*", "arn:aws:s3:::a"))], None, db)
    assert es.access("s3:ListAllMyBuckets") is Access.UNCONDITIONAL
    assert es.access("s3:ListBucket", "arn:aws:s3:::a") is Access.NONE


def test_resource_types_keep_iam_star_on_roles_to_role_actions(db: ActionDB) -> None:
    # iam:CreatePolicyVersion acts only on policy ARNs (arn:${Partition}:iam::${Account}:
    # policy/...): iam:* on role/apps/* cannot grant it, nor on role/* (an account field
    # never holds ':', so "role/*" cannot reach ":policy/").  iam:PassRole acts on roles.
    for pattern in ("arn:aws:iam::111111111111:role/apps/*", "arn:aws:iam::111111111111:role/*"):
        es = effective([doc(allow("iam:*", pattern))], None, db)
        assert es.access("iam:CreatePolicyVersion") is Access.NONE
        assert es.access("iam:PassRole") is Access.UNCONDITIONAL
        assert es.access("iam:ListRoles") is Access.NONE  # no resource types: needs "*"
    es = effective([doc(allow("iam:*", "arn:aws:iam::111111111111:*"))], None, db)
    assert es.access("iam:CreatePolicyVersion") is Access.UNCONDITIONAL
    # the grant reports the patterns that can name the action's resources
    es = effective([doc(allow("s3:*", ["arn:aws:s3:::a", "arn:aws:s3:::a/*"]))], None, db)
    (grant,) = es.grants("s3:GetObject")
    assert grant.resources() == ("arn:aws:s3:::a/*",)


def test_allow_not_resource_star_grants_nothing(db: ActionDB) -> None:
    # NotResource matches every resource except those listed; excluding "*" leaves none.
    es = effective([doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "*"})], None, db)
    assert es.actions() == frozenset()
    assert es.access("s3:GetObject", "arn:aws:s3:::a/k") is Access.NONE
    # and a Deny with NotResource "*" denies nothing
    es = effective(
        [doc(allow("s3:GetObject"), {"Effect": "Deny", "Action": "*", "NotResource": "*"})], None, db
    )
    assert es.access("s3:GetObject") is Access.UNCONDITIONAL


def test_not_resource_in_identity_and_boundary(db: ActionDB) -> None:
    # Two NotResource statements overlap on whatever neither excludes (arn:aws:s3:::c/k),
    # but not when one of them excludes everything.
    ident = doc({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::a/*"})
    bound = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/*"})
    es = effective([ident], bound, db)
    assert es.access("s3:GetObject", "arn:aws:s3:::c/k") is Access.UNCONDITIONAL
    assert es.access("s3:GetObject", "arn:aws:s3:::a/k") is Access.NONE
    assert es.access("s3:GetObject", "arn:aws:s3:::b/k") is Access.NONE
    none = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::b/*", "*"]})
    assert effective([ident], none, db).access("s3:GetObject") is Access.NONE
    # NotResource that excludes every resource an action can name grants that action nothing
    es = effective(
        [doc({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:*:s3:::*"})], None, db
    )
    assert es.access("s3:GetObject", "arn:aws:s3:::x/k") is Access.NONE


# Statements with conditions and NotResource: the grant-based answer (EffectiveSet.access
# on a concrete resource) must equal IAM's rule evaluated request by request: an
# applicable Deny without condition denies; a request needs an applicable identity
# Allow and (with a boundary) an applicable boundary Allow; it is unconditional only
# when an unconditional Allow exists on both sides and no conditional Deny applies.
rich_statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from([*ACTIONS, "s3:*", "*"]), min_size=1, max_size=3),
        "Resource": st.sampled_from(RESOURCES),
        "Negated": st.booleans(),
        "Conditional": st.booleans(),
    }
)


def _as_iam(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": s["Effect"], "Action": s["Action"]}
    out["NotResource" if s["Negated"] else "Resource"] = s["Resource"]
    if s["Conditional"]:
        out["Condition"] = MFA
    return out


def _rich_brute(
    stmts: list[dict[str, Any]], bstmts: list[dict[str, Any]] | None, action: str, resource: str
) -> Access:
    def hits(s: dict[str, Any]) -> bool:
        on = matches(s["Resource"], resource)
        return any(matches(a, action, ignore_case=True) for a in s["Action"]) and (on != s["Negated"])

    everything = stmts + (bstmts or [])
    denies = [s for s in everything if s["Effect"] == "Deny" and hits(s)]
    if any(not s["Conditional"] for s in denies):
        return Access.NONE
    allows = [s for s in stmts if s["Effect"] == "Allow" and hits(s)]
    bounds = None if bstmts is None else [s for s in bstmts if s["Effect"] == "Allow" and hits(s)]
    if not allows or (bounds is not None and not bounds):
        return Access.NONE
    plain = any(not s["Conditional"] for s in allows) and (
        bounds is None or any(not s["Conditional"] for s in bounds)
    )
    return Access.UNCONDITIONAL if plain and not denies else Access.CONDITIONAL


@settings(max_examples=200, deadline=None)
@given(
    st.lists(rich_statement, min_size=1, max_size=4),
    st.none() | st.lists(rich_statement, min_size=1, max_size=3),
    st.sampled_from(REQUESTS),
)
def test_engine_agrees_with_direct_evaluation_under_conditions(
    stmts: list[dict[str, Any]], bstmts: list[dict[str, Any]] | None, request: tuple[str, str]
) -> None:
    from rolecat.iam.engine import Verdict, decide

    action, resource = request
    db = ActionDB.load()
    es = effective(
        [doc(*map(_as_iam, stmts))], doc(*map(_as_iam, bstmts)) if bstmts is not None else None, db
    )
    expected = _rich_brute(stmts, bstmts, action, resource)
    assert es.access(action, resource) is expected
    verdict = decide(es, action, resource).verdict
    assert {Verdict.ALLOWED: Access.UNCONDITIONAL, Verdict.CONDITIONAL: Access.CONDITIONAL}.get(
        verdict, Access.NONE
    ) is expected


def test_not_resource_deny_on_an_action_requested_on_star(db: ActionDB) -> None:
    # s3:ListAllMyBuckets is requested on "*". A Deny with NotResource a/* matches "*"
    # (it is not an a/* object), so it denies, whatever the Allow's NotResource says.
    # Found by the property test above with more examples.
    for allowed in ("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"):
        es = effective(
            [
                doc(
                    {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "NotResource": allowed},
                    {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "NotResource": "arn:aws:s3:::a/*"},
                )
            ],
            None,
            db,
        )
        assert es.access("s3:ListAllMyBuckets", "*") is Access.NONE
        assert es.access("s3:ListAllMyBuckets") is Access.NONE
    # a NotResource Deny covers a NotResource Allow when it excludes no more than the Allow
    es = effective(
        [
            doc(
                {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::a/*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::a/x*"},
            )
        ],
        None,
        db,
    )
    assert es.access("s3:GetObject") is Access.NONE


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(rich_statement, max_size=3), min_size=1, max_size=3),
    st.none() | st.lists(rich_statement, max_size=3),
)
def test_parts_of_documents_agree_with_the_statements_together(
    docs: list[list[dict[str, Any]]], bstmts: list[dict[str, Any]] | None
) -> None:
    """``effective`` combines each document's cached ``Part``; an ``EffectiveSet`` given only the
    statements makes one part of them all: the same set either way."""
    from rolecat.iam.engine import EffectiveSet

    db = ActionDB.load()
    norm = Normalizer(db)
    identity = [doc(*map(_as_iam, d)) for d in docs]
    boundary = doc(*map(_as_iam, bstmts)) if bstmts is not None else None
    by_parts = effective(identity, boundary, db, normalizer=norm)
    effective(identity[::-1], boundary, db, normalizer=norm)  # the parts cached, used again below
    again = effective(identity, boundary, db, normalizer=norm)
    whole = EffectiveSet(db, by_parts.identity, by_parts.boundary)
    assert by_parts.parts is not None and len(by_parts.parts[0]) == len(identity)
    for es in (by_parts, again):
        assert (es.candidates, es.plain) == (whole.candidates, whole.plain)
        assert (es.allows, es.boundary_allows, es.denies) == (
            whole.allows,
            whole.boundary_allows,
            whole.denies,
        )
        for action, resource in REQUESTS:
            assert es.access(action, resource) is whole.access(action, resource)


def test_bitsets_are_shared_only_between_equal_unions(db: ActionDB) -> None:
    norm = Normalizer(db)
    bound = doc(allow("s3:*"), deny("s3:DeleteObject"))

    def scoped(bucket: str) -> dict[str, Any]:
        return doc(
            allow(["s3:GetObject", "s3:DeleteObject"], f"arn:aws:s3:::{bucket}/*"), allow("s3:ListBucket")
        )

    a = effective([scoped("a")], bound, db, normalizer=norm)
    b = effective([scoped("b")], doc(allow("s3:*"), deny("s3:DeleteObject")), db, normalizer=norm)
    assert a.bitsets is b.bitsets  # resources differ, the unions do not
    assert a.access("s3:GetObject", "arn:aws:s3:::a/k") is Access.UNCONDITIONAL
    assert b.access("s3:GetObject", "arn:aws:s3:::a/k") is Access.NONE
    everywhere = effective(
        [doc(allow(["s3:GetObject", "s3:DeleteObject"]), allow("s3:ListBucket"))], bound, db, normalizer=norm
    )
    assert everywhere.bitsets is not a.bitsets
    assert everywhere.candidates == a.candidates and everywhere.plain != a.plain
    assert a.candidates == db.bit("s3:GetObject") | db.bit("s3:ListBucket")
    unbounded = effective([scoped("a")], None, db, normalizer=norm)
    assert unbounded.bitsets is not a.bitsets
    assert unbounded.candidates == a.candidates | db.bit("s3:DeleteObject")


def test_a_deny_with_a_star_inside_a_segment_does_not_reach_across_a_colon(db: ActionDB) -> None:
    """IAM JSON policy elements: Resource: only a * that is the last character of an ARN
    segment expands beyond ':'.  A Deny on function:*-prod therefore denies the function
    api-prod but not the alias app:blue-prod, which the Allow on * still grants."""
    from rolecat.iam.engine import Verdict, decide

    fn = "arn:aws:lambda:us-east-1:111122223333:function:"
    es = effective(
        [
            doc(
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"},
                {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": fn + "*-prod"},
            )
        ],
        None,
        db,
    )
    assert decide(es, "lambda:InvokeFunction", fn + "api-prod").verdict is Verdict.DENIED
    assert decide(es, "lambda:InvokeFunction", fn + "app:blue-prod").verdict is Verdict.ALLOWED


def test_identity_and_boundary_on_disjoint_role_paths_grant_nothing(db: ActionDB) -> None:
    """Effective access is identity ∩ boundary (AWS: permissions boundaries): a policy on
    role/ops/* under a boundary on role/app/* grants nothing, since no role ARN is on
    both paths (the account '*' cannot hold the colons a plain-string overlap needs)."""
    es = effective(
        [doc(allow("iam:AttachRolePolicy", "arn:aws:iam::*:role/ops/*"))],
        doc(allow("*", "arn:aws:iam::*:role/app/*")),
        db,
    )
    assert es.access("iam:AttachRolePolicy") is Access.NONE
    es = effective(
        [doc(allow("iam:AttachRolePolicy", "arn:aws:iam::*:role/*"))],
        doc(allow("*", "arn:aws:iam::*:role/app/*")),
        db,
    )
    assert es.access("iam:AttachRolePolicy") is Access.UNCONDITIONAL


def test_held_back_is_what_the_set_does_not_deny_already(db: ActionDB) -> None:
    """What a Deny outside the set would take from it: nothing where a Deny of the set
    (without condition, or with the same condition) holds the same resources already."""
    bucket = "arn:aws:s3:::logs"
    norm = Normalizer(db)

    def denies(*statements: dict[str, Any]) -> list[Any]:
        return list(norm.statements(doc(*statements), "removed"))

    es = effective(
        [doc(allow("s3:*"))], doc(allow("*"), deny("s3:DeleteBucket", bucket)), db, normalizer=norm
    )
    assert not es.held_back(denies(deny("s3:DeleteBucket", bucket)), "s3:DeleteBucket")
    assert es.held_back(denies(deny("s3:DeleteBucket")), "s3:DeleteBucket")  # every other bucket too
    assert es.held_back(denies(deny("s3:DeleteBucket", bucket, Condition=MFA)), "s3:PutBucketPolicy") is False
    assert es.held_back(denies(deny("s3:PutBucketPolicy", bucket, Condition=MFA)), "s3:PutBucketPolicy")
    held = effective(
        [doc(allow("s3:*"), deny("s3:PutBucketPolicy", bucket, Condition=MFA))], None, db, normalizer=norm
    )
    assert not held.held_back(denies(deny("s3:PutBucketPolicy", bucket, Condition=MFA)), "s3:PutBucketPolicy")
    assert held.held_back(denies(deny("s3:PutBucketPolicy", bucket)), "s3:PutBucketPolicy")
    assert not effective([doc(allow("s3:GetObject"))], None, db).held_back(
        denies(deny("s3:*")), "s3:DeleteBucket"
    )
