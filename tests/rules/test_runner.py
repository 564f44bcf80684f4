"""The rule runner: crash containment and one way to apply accept: for every code."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

from rolecat.diagnostics import Diagnostic, warning
from rolecat.pipeline import load_catalog
from rolecat.rules.runner import run_isolated

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def catalog(tmp_path: Path, role: str) -> Path:
    root = tmp_path / "cat"
    files = {
        "catalog.yaml": """\
            organization: acme
            owners: ["@acme/sec"]
            accounts:
              sec: {id: "111111111111", identity: true}
              prod: {id: "333333333333", environment: prod}
            """,
        "users.yaml": "users:\n  alice: {}\n  bob: {}\n",
        "roles/R.yaml": role,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(
            text if name.startswith("roles/") else textwrap.dedent(text), encoding="utf-8"
        )
    (root / "boundaries").mkdir()
    (root / "boundaries" / "b.json").write_text(json.dumps(BOUNDARY), encoding="utf-8")
    return root


ROLE = textwrap.dedent("""\
    name: R
    kind: human
    accounts: [prod]
    boundary: b
    members: [alice]
    temporary_members:
      - {user: bob, until: 2026-01-01, reason: INC-1}
    """)


def test_a_crashing_rule_is_one_internal_error_and_the_others_are_kept() -> None:
    def boom() -> list[Diagnostic]:
        raise KeyError("surprise")

    def fine() -> list[Diagnostic]:
        return [warning("E101", "still here")]

    diags = run_isolated([("first", fine), ("broken", boom), ("last", fine)])
    assert [d.code for d in diags] == ["E101", "R001", "E101"]
    assert "broken" in diags[1].message and "KeyError" in diags[1].message
    assert diags[1].is_error


def test_accept_applies_to_escalation_findings_too(tmp_path: Path) -> None:
    root = catalog(tmp_path, ROLE + "accept:\n  - {check: E101, reason: removed in the next PR}\n")
    _, diags = load_catalog(root, NOW)
    (expired,) = [d for d in diags if d.code == "E101"]
    assert expired.accepted_reason == "removed in the next PR"
    assert not [d for d in diags if d.is_error]


def test_unknown_and_unacceptable_codes_in_accept_are_errors(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        ROLE
        + "accept:\n  - {check: Z999, reason: typo}\n  - {check: Q002, reason: quotas are not negotiable}\n",
    )
    _, diags = load_catalog(root, NOW)
    found = {d.code: d for d in diags if d.code in ("C024", "C025")}
    assert set(found) == {"C024", "C025"}
    assert found["C024"].location is not None and found["C024"].location.path.endswith("roles/R.yaml")
    assert found["C024"].location.line == 9 and found["C025"].location is not None
    assert found["C025"].location.line == 10
    assert "Z999" in found["C024"].message and "Q002" in found["C025"].message


def test_a_crashing_check_in_a_real_run_keeps_every_other_finding(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Fault injection: the quota rule raises; the escalation finding of the same run survives."""
    from rolecat.rules import quotas

    def broken(*_: object) -> list[Diagnostic]:
        raise RuntimeError("quota rule bug")

    monkeypatch.setattr(quotas, "check", broken)
    _, diags = load_catalog(catalog(tmp_path, ROLE), NOW)
    codes = sorted(d.code for d in diags)
    assert codes == ["E101", "R001"], [d.format_text() for d in diags]
    (crash,) = [d for d in diags if d.code == "R001"]
    assert "quotas" in crash.message and "quota rule bug" in crash.message
