"""Guardrails in catalog.yaml, evaluated by validate (pipeline.load_catalog)."""

from __future__ import annotations

import json
from pathlib import Path

from rolecat.diagnostics import Diagnostic
from rolecat.model.timeutil import parse_instant
from rolecat.pipeline import load_catalog

NOW = parse_instant("2026-12-01")


def with_guardrails(catalog: Path, text: str) -> Path:
    path = catalog / "catalog.yaml"
    path.write_text(path.read_text() + "\nguardrails:\n" + text)
    return catalog


def codes(diags: list[Diagnostic], prefix: str = "G") -> list[Diagnostic]:
    return [d for d in diags if d.code.startswith(prefix)]


def test_no_guardrails_no_findings(example_catalog: Path) -> None:
    _, diags = load_catalog(example_catalog, NOW)
    assert codes(diags) == []


def test_violation_names_role_account_statement_and_people(example_catalog: Path) -> None:
    with_guardrails(
        example_catalog,
        "  - name: only-admin-creates-users\n    actions: [iam:CreateUser]\n    except_roles: [Admin]\n"
        "  - name: audit\n    actions: [s3:DeleteBucket]\n    resources: ['arn:aws:s3:::acme-audit*']\n"
        "    environments: [prod]\n    except_roles: [Admin]\n",
    )
    _, diags = load_catalog(example_catalog, NOW)
    found = codes(diags)
    # Engineer (nonprod) and ProdAdmin/OnCall (prod) have AdministratorAccess, but their
    # boundaries deny IAM user changes: only the prod bucket deletion is open to them.
    assert {(d.code, d.message.split()[3]) for d in found} == {("G001", "OnCall"), ("G001", "ProdAdmin")}
    prod_admin = next(d for d in found if "ProdAdmin" in d.message)
    assert prod_admin.is_error and prod_admin.accepted_reason is None
    assert "guardrail audit: role ProdAdmin in account prod can s3:DeleteBucket" in prod_admin.message
    assert "through arn:aws:iam::aws:policy/AdministratorAccess statement 1" in prod_admin.message
    assert "boundaries/prod-admin.json statement EverythingElse" in prod_admin.message
    assert prod_admin.message.endswith("used by alice, bob")
    assert prod_admin.location is not None and prod_admin.location.path.endswith("roles/prod/ProdAdmin.yaml")
    assert prod_admin.location.line > 0


def test_unrestricted_counts_only_grants_on_every_resource(example_catalog: Path) -> None:
    # AppDeployer may pass roles only under /apps/ (delegated_role_creation): it passes
    # no role on "*".  A policy granting iam:PassRole on "*" does.
    rail = "  - name: no-blanket-passrole\n    actions: [iam:PassRole]\n    resources: ['*']\n    unrestricted: true\n    kind: service\n"
    with_guardrails(example_catalog, rail)
    _, diags = load_catalog(example_catalog, NOW)
    assert codes(diags) == []
    pol = example_catalog / "policies" / "report-exporter.json"
    doc = json.loads(pol.read_text())
    doc["Statement"].append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    pol.write_text(json.dumps(doc))
    boundary = example_catalog / "boundaries" / "app.json"
    bdoc = json.loads(boundary.read_text())
    bdoc["Statement"].append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    bdoc["Statement"][1]["Action"].remove("iam:*")  # the app boundary's Deny would cut it off
    boundary.write_text(json.dumps(bdoc))
    _, diags = load_catalog(example_catalog, NOW)
    assert sorted(d.message.split()[3] for d in codes(diags)) == ["ReportExporter", "ReportExporter"]
    # without unrestricted, AppDeployer's /apps/ grant counts too
    text = (example_catalog / "catalog.yaml").read_text().replace("    unrestricted: true\n", "")
    (example_catalog / "catalog.yaml").write_text(text)
    _, diags = load_catalog(example_catalog, NOW)
    assert {d.message.split()[3] for d in codes(diags)} == {"ReportExporter", "AppDeployer"}


def test_unknown_names_and_refused_accept(example_catalog: Path) -> None:
    with_guardrails(
        example_catalog,
        "  - name: typo\n    actions: [iam:CreateUsr]\n    accounts: [nope]\n    except_roles: [Ghost]\n",
    )
    role = example_catalog / "roles" / "prod" / "ProdAdmin.yaml"
    before = role.read_text()
    role.write_text(before + "accept:\n  - check: G001\n    reason: we need it\n")
    _, diags = load_catalog(example_catalog, NOW)
    found = codes(diags)
    messages = sorted(d.message for d in found if d.code == "G002")
    assert messages == [
        "guardrail typo: iam:CreateUsr matches no known action",
        "guardrail typo: unknown account nope",
        "guardrail typo: unknown except role Ghost",
    ]
    # G001 is registered as not acceptable: the rule runner refuses the accept: (C025)
    (refused,) = [d for d in diags if d.code == "C025"]
    assert refused.is_error and refused.location is not None
    assert (
        refused.location.path.endswith("ProdAdmin.yaml")
        and refused.location.line == len(before.splitlines()) + 2
    )


def test_schema_refuses_a_malformed_guardrail(example_catalog: Path) -> None:
    with_guardrails(example_catalog, "  - name: bad name\n    actions: []\n")
    catalog, diags = load_catalog(example_catalog, NOW)
    assert catalog is None
    assert {d.code for d in diags} <= {"S001", "S002", "S003", "S004", "S005", "S006", "S007", "S008"}
    assert all(d.location is not None and d.location.path.endswith("catalog.yaml") for d in diags)
