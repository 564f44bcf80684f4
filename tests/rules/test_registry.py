"""The rule registry covers every code the source emits, at the severity it is emitted at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rolecat.diagnostics import Diagnostic, Location, Severity, error
from rolecat.report.sarif import sarif_log
from rolecat.rules.docs import render_markdown
from rolecat.rules.registry import BY_CODE, RULES

SRC = Path(__file__).resolve().parents[2] / "src" / "rolecat"
_CALL = re.compile(r"\b(error|warning)\(\s*\"([A-Z]{1,2}[0-9]{3})\"")


def emitted() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for kind, code in _CALL.findall(path.read_text("utf-8")):
            found.setdefault(code, set()).add(kind)
    return found


def test_codes_are_unique() -> None:
    assert len(BY_CODE) == len(RULES)


@pytest.mark.parametrize(("code", "kinds"), sorted(emitted().items()))
def test_every_emitted_code_is_registered_with_its_severity(code: str, kinds: set[str]) -> None:
    rule = BY_CODE.get(code)
    assert rule is not None, f"{code} is emitted but not in rules/registry.py"
    assert kinds == {str(rule.severity)}, f"{code} is emitted as {kinds}, registered as {rule.severity}"


def test_every_rule_is_complete() -> None:
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]{1,2}[0-9]{3}", rule.code)
        assert rule.summary and rule.fix_text, rule.code
        assert rule.severity in (Severity.ERROR, Severity.WARNING)


def test_only_findings_a_reviewer_may_keep_are_acceptable() -> None:
    acceptable = {r.code for r in RULES if r.acceptable}
    assert {f"I00{i}" for i in range(1, 8)} | {"E101"} <= acceptable
    assert not {c for c in acceptable if c[0] in "LSTPAQW"}, (
        "load, schema, grammar, quota, write are never acceptable"
    )


def test_docs_name_every_code() -> None:
    text = render_markdown()
    for rule in RULES:
        assert f'<a id="{rule.code.lower()}"></a>' in text


def test_sarif_describes_every_code_from_the_registry() -> None:
    diags = [
        error("C012", "unknown user", Location("roles/a.yaml", 3, 5)),
        Diagnostic("I001", Severity.ERROR, "escalation", Location("roles/a.yaml", 1, 1), None),
    ]
    rules = {
        r["id"]: r for r in json.loads(json.dumps(sarif_log(diags)))["runs"][0]["tool"]["driver"]["rules"]
    }
    # SARIF text fields are plain text: the registry's Markdown backticks are dropped
    short = BY_CODE["C012"].summary.replace("`", "").rstrip(".")
    assert rules["C012"]["shortDescription"]["text"] == short[:1].upper() + short[1:]
    assert BY_CODE["I001"].rationale in rules["I001"]["fullDescription"]["text"]
    assert rules["C012"]["defaultConfiguration"] == {"level": "error"}
