from __future__ import annotations

import configparser

import pytest
from workflow_factory import at, catalog, role, temp

from rolecat.workflow import profiles as prof

NOW = at("2025-03-10T12:00:00Z")


def sample():
    return catalog(
        [
            role("ProdEngineer", members=["alice", "bob"], max_session_duration=7200),
            role("OnCall", accounts=("prod", "nonprod"), temporary=[temp("alice", "2025-03-12", "INC-7")]),
            role("Expired", temporary=[temp("alice", "2025-03-01")]),
            role("NotHers", members=["bob"]),
            role("Deploy", kind="service", members=[], path="/services/"),
            role(
                "Audited", accounts=("security",), members=["alice"], source_identity=True, session_tags=True
            ),
        ]
    )


def parse(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)  # what botocore's config loader uses underneath
    return parser


def test_profiles_for_members_and_active_temporary_members():
    found = prof.profiles_for(sample(), "alice", NOW)
    assert [p.name for p in found] == [
        "nonprod-OnCall",
        "prod-OnCall",
        "prod-ProdEngineer",
        "security-Audited",
    ]
    on_call = found[0]
    assert on_call.temporary_until == at("2025-03-12") and on_call.temporary_reason == "INC-7"


def test_rendered_profile_fields():
    c = sample()
    text = prof.render(c, "alice", prof.profiles_for(c, "alice", NOW), NOW, "rolecat profiles --user alice")
    cfg = parse(text)
    p = cfg["profile prod-ProdEngineer"]
    assert dict(p) == {
        "role_arn": "arn:aws:iam::333333333333:role/humans/ProdEngineer",
        "source_profile": "example-identity",
        "mfa_serial": "arn:aws:iam::111111111111:mfa/alice",
        "role_session_name": "alice",
        "duration_seconds": "7200",
        "region": "us-east-1",
    }
    assert cfg["profile nonprod-OnCall"]["region"] == "eu-west-1"
    assert cfg["profile nonprod-OnCall"]["role_arn"] == "arn:aws:iam::222222222222:role/humans/OnCall"
    assert "; temporary access until 2025-03-12T00:00:00Z (INC-7)" in text


def test_source_identity_profile_says_what_works():
    c = sample()
    text = prof.render(c, "alice", prof.profiles_for(c, "alice", NOW), NOW, "cmd")
    cfg = parse(text)
    assert cfg["profile security-Audited"]["source_identity"] == "alice"
    assert "source_identity" not in cfg["profile prod-ProdEngineer"]
    assert "The AWS CLI cannot send a source identity" in text
    assert "aws-vault exec security-Audited" in text
    assert "aws-vault export --format=json security-Audited" in text
    assert "session_tags" in text


def test_expired_and_other_roles_are_left_out():
    names = [p.name for p in prof.profiles_for(sample(), "alice", NOW)]
    assert "prod-Expired" not in names and "prod-NotHers" not in names and "prod-Deploy" not in names
    later = [p.name for p in prof.profiles_for(sample(), "alice", at("2025-03-12"))]
    assert "prod-OnCall" not in later  # until is exclusive


def test_source_profile_and_duration_cap():
    found = prof.profiles_for(sample(), "bob", NOW, source_profile="me", max_duration=3000)
    assert {p.source_profile for p in found} == {"me"}
    assert [p.duration_seconds for p in found] == [3000, 3000]


def test_unknown_user_did_you_mean():
    with pytest.raises(prof.UnknownUserError) as info:
        prof.profiles_for(sample(), "alcie", NOW)
    assert "did you mean 'alice'" in str(info.value)


def test_user_without_roles():
    text = prof.render(sample(), "carol", prof.profiles_for(sample(), "carol", NOW), NOW, "cmd")
    assert "carol may assume no role right now" in text
    assert parse(text).sections() == []
