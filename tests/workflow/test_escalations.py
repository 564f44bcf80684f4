from __future__ import annotations

import json
from pathlib import Path

import pytest
from workflow_factory import at, catalog, role, temp

from rolecat.diagnostics import Severity
from rolecat.load.source import load_yaml_text
from rolecat.workflow import escalations as esc

NOW = at("2025-03-10T12:00:00Z")


def sample():
    return catalog(
        [
            role(
                "ProdEngineer",
                temporary=[temp("carol", "2025-03-12", "INC-1", 0), temp("bob", "2025-03-01", "INC-0", 1)],
            ),
            role("OnCall", accounts=("prod", "nonprod"), temporary=[temp("alice", "2025-03-12", None)]),
            role("Reader", temporary=[temp("bob", "2025-04-30T08:00:00+02:00", "audit")]),
        ]
    )


def test_sorted_by_until_then_role_then_user():
    items = esc.escalations(sample(), NOW)
    assert [(e.role, e.user) for e in items] == [
        ("ProdEngineer", "bob"),
        ("OnCall", "alice"),
        ("ProdEngineer", "carol"),
        ("Reader", "bob"),
    ]


def test_json_shape_exact():
    data = json.loads(esc.to_json(esc.escalations(sample(), NOW)))
    assert data[0] == {
        "user": "bob",
        "teams": [],
        "role": "ProdEngineer",
        "accounts": ["prod"],
        "until": "2025-03-01T00:00:00Z",
        "reason": "INC-0",
        "status": "expired",
        "days_left": -10,
    }
    assert data[1]["accounts"] == ["prod", "nonprod"]
    assert data[1]["reason"] is None
    assert data[3]["until"] == "2025-04-30T06:00:00Z"  # offsets are converted to UTC
    assert all(
        list(d) == ["user", "teams", "role", "accounts", "until", "reason", "status", "days_left"]
        for d in data
    )


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("2025-03-12", 1),  # 1.5 days -> 1
        ("2025-03-11T12:00:00Z", 1),  # exactly one day
        ("2025-03-11T11:59:59Z", 0),
        ("2025-03-10T12:00:01Z", 0),
        ("2025-03-10T12:00:00Z", 0),  # until is exclusive: expired now, 0 days
        ("2025-03-10", -1),  # half a day ago rounds down to -1
    ],
)
def test_days_left_rounds_down(until, expected):
    assert esc.days_left(at(until), NOW) == expected


def test_status_at_the_exclusive_boundary():
    c = catalog([role("R", temporary=[temp("alice", "2025-03-10T12:00:00Z")])])
    assert esc.escalations(c, NOW)[0].status == "expired"
    assert esc.escalations(c, at("2025-03-10T11:59:59Z"))[0].status == "active"


def test_within_keeps_active_ones_ending_soon():
    items = esc.escalations(sample(), NOW)
    soon = esc.ending_within(items, 2, NOW)
    assert [(e.role, e.user) for e in soon] == [("OnCall", "alice"), ("ProdEngineer", "carol")]
    assert esc.ending_within(items, 0, NOW) == []


def test_text_table_and_empty():
    text = esc.to_text(esc.escalations(sample(), NOW))
    lines = text.splitlines()
    assert lines[0].split() == ["UNTIL", "DAYS", "LEFT", "STATUS", "ROLE", "USER", "ACCOUNTS", "REASON"]
    assert "2025-03-01T00:00:00Z" in lines[1] and "expired" in lines[1] and "INC-0" in lines[1]
    assert "prod,nonprod" in lines[2]
    assert esc.to_text([]) == "no temporary members\n"


ROLE_YAML = """\
name: ProdEngineer
accounts: [prod]
members: [alice]
temporary_members:
  - user: carol
    until: 2025-03-01
    reason: INC-1
  - user: bob
    until: 2025-12-31
  - user: alice
    until: 2025-03-11
"""


def located_catalog(max_days):
    doc, diags = load_yaml_text(ROLE_YAML, "catalog/roles/prod/ProdEngineer.yaml")
    assert doc is not None and not diags
    r = role(
        "ProdEngineer",
        members=["alice"],
        temporary=[
            temp("carol", "2025-03-01", "INC-1", 0),
            temp("bob", "2025-12-31", None, 1),
            temp("alice", "2025-03-11", None, 2),
        ],
    )
    return catalog([r], max_escalation_days=max_days, docs={r.source: doc})


def test_check_escalations_codes_severities_locations():
    diags = esc.check_escalations(located_catalog(14), NOW)
    by_code = {d.code: d for d in diags}
    assert sorted(by_code) == ["E101", "E102"]
    assert by_code["E101"].severity is Severity.WARNING
    assert str(by_code["E101"].location) == "catalog/roles/prod/ProdEngineer.yaml:6:12"
    assert "carol" in by_code["E101"].message and "INC-1" in by_code["E101"].message
    assert by_code["E102"].severity is Severity.ERROR
    assert str(by_code["E102"].location) == "catalog/roles/prod/ProdEngineer.yaml:9:12"
    assert "max_escalation_days (14)" in by_code["E102"].message
    line = by_code["E101"].format_text().splitlines()[0]
    assert line.startswith("catalog/roles/prod/ProdEngineer.yaml:6:12: warning E101: ")


def test_no_max_means_no_e102():
    assert "E102" not in {d.code for d in esc.check_escalations(located_catalog(None), NOW)}


def test_max_boundary_is_inclusive():
    c = catalog([role("R", temporary=[temp("bob", "2025-03-24T12:00:00Z")])], max_escalation_days=14)
    assert esc.check_escalations(c, NOW) == []  # exactly 14 days is allowed
    c = catalog([role("R", temporary=[temp("bob", "2025-03-24T12:00:01Z")])], max_escalation_days=14)
    assert [d.code for d in esc.check_escalations(c, NOW)] == ["E102"]


def test_codes_table_matches_docs():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "workflow.md").read_text()
    for code, severity, _ in esc.CODES:
        assert f"| {code} | {severity} |" in docs
