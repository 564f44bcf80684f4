"""SARIF output: valid against the SARIF 2.1.0 schema, with rule text GitHub shows and files
security findings by, and artifact URIs relative to the repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from rolecat.diagnostics import Diagnostic, Location, Severity
from rolecat.report.printer import to_sarif
from rolecat.report.ruletext import DOCS_URL, rule_text
from rolecat.report.sarif import SECURITY_SEVERITY, artifact_location, artifact_uri, sarif_log
from rolecat.rules.registry import RULES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text("utf-8"))
# The schema's "uri" format means an absolute URI (RFC 3986 "URI"); jsonschema checks it
# only with an optional package, so the rule is spelled out here.
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("uri", raises=ValueError)
def _absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme)) and " " not in value


@FORMATS.checks("uri-reference", raises=ValueError)
def _uri_reference(value: object) -> bool:
    # no spaces, backslashes or stray percent signs: what percent-encoding removes
    return not isinstance(value, str) or not re.search(r"[\s\\]|%(?![0-9A-Fa-f]{2})", value)


VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA, format_checker=FORMATS)
ALL_CODES = sorted(r.code for r in RULES)


def assert_valid(log: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def rolecat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_schema_rejects_what_github_rejects() -> None:
    # The validator is live: a relative helpUri and a result without a message fail.
    log = sarif_log([Diagnostic("I001", Severity.ERROR, "x", Location("a.yaml", 1, 1))])
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/checks.md#i001"
    del log["runs"][0]["results"][0]["message"]
    assert len(list(VALIDATOR.iter_errors(log))) == 2


def test_example_catalog_sarif_is_valid_and_marks_escalation_as_security() -> None:
    proc = rolecat("validate", "catalog", "--format", "sarif", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout)
    assert_valid(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "I001" in rules  # AppDeployer's accepted escalation
    assert rules["I001"]["properties"]["tags"][0] == "security"
    assert float(rules["I001"]["properties"]["security-severity"]) >= 7.0
    for result in log["runs"][0]["results"]:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("catalog/")


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_rule_has_words_and_an_absolute_help_uri(code: str) -> None:
    log = sarif_log([Diagnostic(code, Severity.WARNING, "message", Location("catalog/catalog.yaml", 3, 2))])
    assert_valid(log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] not in ("", code)
    assert "`" not in rule["shortDescription"]["text"] + rule["fullDescription"]["text"]
    assert len(rule["fullDescription"]["text"]) >= len(rule["shortDescription"]["text"])
    assert rule["help"]["text"] and rule["help"]["markdown"]
    url = urlsplit(rule["helpUri"])
    assert (url.scheme, url.netloc) == ("https", "github.com")
    assert ("security" in rule["properties"].get("tags", [])) == (code in SECURITY_SEVERITY)
    assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


@pytest.mark.parametrize("code", ALL_CODES)
def test_help_uri_points_at_an_anchor_of_a_doc(code: str) -> None:
    url = rule_text(code).url
    assert url.startswith(DOCS_URL)
    doc, _, anchor = url.removeprefix(DOCS_URL).partition("#")
    text = (ROOT / "docs" / doc).read_text("utf-8")
    headings = {
        re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    }
    assert anchor in headings or f'id="{anchor}"' in text, f"{doc} has no anchor {anchor}"


def test_security_severity_only_on_known_codes() -> None:
    assert set(SECURITY_SEVERITY) <= set(ALL_CODES)
    assert all(0.0 < float(v) <= 10.0 for v in SECURITY_SEVERITY.values())


def test_artifact_uris_are_repository_relative_and_encoded(tmp_path: Path) -> None:
    repo = tmp_path / "my repo"
    catalog = repo / "iam" / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    (repo / ".git").mkdir()
    bad = catalog / "roles" / "prod" / "Bad #1%.yaml"
    bad.write_text("name: Bad\nkind: human\n  accounts: [prod]\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = rolecat("validate", str(catalog), "--format", "sarif", cwd=elsewhere)  # absolute CATALOG
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    assert_valid(log)
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["runs"][0]["results"]
        for loc in result.get("locations", [])
    ]
    assert "iam/catalog/roles/prod/Bad%20%231%25.yaml" in uris
    for uri in uris:
        assert not uri.startswith("/") and ":" not in uri.split("/")[0], uri
        assert str(tmp_path) not in unquote(uri)
        assert (repo / unquote(uri)).is_file()
    # relative to the repository root, and saying so (SARIF 2.1.0 section 3.4.4), with no path of this machine
    run = log["runs"][0]
    bases = {
        loc["physicalLocation"]["artifactLocation"].get("uriBaseId")
        for result in run["results"]
        for loc in result.get("locations", [])
    }
    assert bases == {"%SRCROOT%"}
    assert (
        set(run["originalUriBaseIds"]) == {"%SRCROOT%"}
        and "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]
    )
    assert str(tmp_path) not in proc.stdout


def test_artifact_uri_outside_any_repository_is_relative_to_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "cat").mkdir()
    assert artifact_uri("cat/users.yaml", cwd=tmp_path) == "cat/users.yaml"
    assert artifact_uri(str(tmp_path / "cat" / "a b.yaml"), cwd=tmp_path) == "cat/a%20b.yaml"
    # no repository root to name: no base id, and the log declares none
    assert artifact_location("cat/users.yaml", cwd=tmp_path) == {"uri": "cat/users.yaml"}


def test_to_sarif_is_json_text() -> None:
    text = to_sarif([Diagnostic("L002", Severity.ERROR, "bad", Location("c/users.yaml", 2, 3))])
    assert text.endswith("\n")
    assert_valid(json.loads(text))


def test_a_log_outside_any_repository_declares_no_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rolecat.diagnostics import Location, error

    (tmp_path / "cat").mkdir()
    monkeypatch.chdir(tmp_path)
    log = sarif_log([error("C012", 'unknown user "zed"', Location("cat/users.yaml", 3, 5))])
    assert_valid(log)
    run = log["runs"][0]
    assert "originalUriBaseIds" not in run
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "cat/users.yaml"
    }
