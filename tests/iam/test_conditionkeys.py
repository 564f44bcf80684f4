"""The condition-key database: global keys, service keys, keys an action supports."""

from __future__ import annotations

from rolecat.iam.conditionkeys import ConditionKeyDB, KeySet


def test_global_keys_are_known_case_insensitively() -> None:
    db = ConditionKeyDB.load()
    assert db.checked  # the shipped list is dated
    assert db.exists("aws:MultiFactorAuthPresent")
    assert db.exists("AWS:multifactorauthpresent")
    assert not db.exists("aws:MultiFactorAuthPresnt")
    assert db.suggest("aws:MultiFactorAuthPresnt") == "aws:MultiFactorAuthPresent"


def test_tag_keys_take_a_suffix_but_not_nothing() -> None:
    db = ConditionKeyDB.load()
    assert db.exists("aws:PrincipalTag/team")
    assert db.exists("aws:ResourceTag/Owner")
    assert not db.exists("aws:PrincipalTag/")


def test_service_keys_come_from_the_action_database() -> None:
    db = ConditionKeyDB.load()
    assert db.exists("s3:prefix")
    assert db.exists("iam:PassedToService")
    assert not db.exists("s3:prefx")
    assert not db.exists("nosuchservice:key")


def test_keys_an_action_supports() -> None:
    db = ConditionKeyDB.load()
    list_bucket = db.action_keys("s3:ListBucket")
    assert list_bucket is not None and "s3:prefix" in list_bucket
    get_events = db.action_keys("logs:GetLogEvents")
    assert get_events is not None and "s3:prefix" not in get_events
    assert db.action_keys("s3:NoSuchAction") is None


def test_claim_keys_of_providers_extend_the_known_keys() -> None:
    db = ConditionKeyDB.load()
    claims = KeySet.of(["token.actions.githubusercontent.com:sub"])
    assert not db.exists("token.actions.githubusercontent.com:sub")
    assert db.exists("token.actions.githubusercontent.com:sub", claims)
