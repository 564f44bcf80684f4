"""Access Advisor input: services unused in N days (SYNTHETIC reports in the documented shape).

The reports follow the GetServiceLastAccessedDetails response as the IAM API reference
documents it (JobStatus, JobCompletionDate, ServicesLastAccessed with ServiceNamespace,
ServiceName, LastAuthenticated, LastAuthenticatedEntity, TotalAuthenticatedEntities,
IsTruncated); the values are made up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_usage import NOW, ROOT, run

ROLE = "arn:aws:iam::333333333333:role/services/ReportExporter"


def report(services: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "JobStatus": "COMPLETED",
        "JobType": "SERVICE_LEVEL",
        "JobCreationDate": "2026-11-30 23:59:00.100000+00:00",
        "JobCompletionDate": "2026-11-30 23:59:03.500000+00:00",
        "ServicesLastAccessed": services,
        "IsTruncated": False,
        **extra,
    }


SERVICES = [
    {
        "ServiceName": "Amazon DynamoDB",
        "ServiceNamespace": "dynamodb",
        "LastAuthenticated": "2026-11-29T02:00:00+00:00",
        "LastAuthenticatedEntity": ROLE,
        "LastAuthenticatedRegion": "us-east-1",
        "TotalAuthenticatedEntities": 1,
    },
    {
        "ServiceName": "Amazon S3",
        "ServiceNamespace": "s3",
        "LastAuthenticated": "2026-06-01 10:00:00+00:00",  # older than 90 days
        "LastAuthenticatedEntity": ROLE,
        "TotalAuthenticatedEntities": 1,
    },
    {"ServiceName": "Amazon CloudWatch Logs", "ServiceNamespace": "logs", "TotalAuthenticatedEntities": 0},
]


def test_unused_services(tmp_path: Path) -> None:
    f = tmp_path / "exporter.json"
    f.write_text(json.dumps(report(SERVICES)))
    args = ["--catalog", str(ROOT / "catalog"), "--now", NOW, "--access-advisor", f"ReportExporter@prod={f}"]
    code, out, err = run(*args, "-f", "json")
    assert code == 0, err
    adv = json.loads(out)["access_advisor"][0]
    assert adv["role"] == "ReportExporter" and adv["account"] == "prod"
    assert adv["unused_services"] == ["logs", "s3"]
    s3 = next(s for s in adv["services"] if s["service"] == "s3")
    assert s3["last_authenticated"] == "2026-06-01T10:00:00Z"
    assert s3["granted_actions"] == ["s3:PutObject"]  # what the catalog grants there
    logs = next(s for s in adv["services"] if s["service"] == "logs")
    assert logs["last_authenticated"] is None and logs["granted_actions"]  # from AWSLambdaBasicExecutionRole
    code, text, _ = run(*args)
    assert "s3" in text and "UNUSED, remove" in text and "2 removal candidates" in text
    assert run(*args, "--exit-code")[0] == 3
    code, md, _ = run(*args, "-f", "markdown")
    assert "- `s3` (Amazon S3): last 2026-06-01T10:00:00Z, 1 granted action" in md


def test_role_in_several_accounts_needs_the_account(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(report(SERVICES)))
    code, _, err = run("--catalog", str(ROOT / "catalog"), "--access-advisor", f"ReportExporter={f}")
    assert code == 2 and "name one: ReportExporter@ACCOUNT=FILE" in err


def test_not_a_report_and_truncated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Roles": []}))
    code, _, err = run("--catalog", str(ROOT / "catalog"), "--access-advisor", f"ReportExporter@prod={bad}")
    assert code == 1 and "U004" in err and "bad.json" in err
    running = tmp_path / "running.json"
    running.write_text(json.dumps(report([], JobStatus="IN_PROGRESS")))
    code, _, err = run(
        "--catalog", str(ROOT / "catalog"), "--access-advisor", f"ReportExporter@prod={running}"
    )
    assert code == 1 and "IN_PROGRESS" in err
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(report(SERVICES[:1], IsTruncated=True, Marker="abc")))
    code, out, _ = run(
        "--catalog",
        str(ROOT / "catalog"),
        "--now",
        NOW,
        "-f",
        "json",
        "--access-advisor",
        f"ReportExporter@prod={cut}",
    )
    assert code == 0
    notes = json.loads(out)["access_advisor"][0]["notes"]
    assert any("truncated" in n for n in notes)
    assert any("does not list" in n and "s3" in n for n in notes)


def test_a_date_that_does_not_parse_is_refused_not_read_as_never(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(report([{**SERVICES[0], "LastAuthenticated": "Nov 20, 2026"}])))
    code, out, err = run(
        "--catalog", str(ROOT / "catalog"), "--now", NOW, "--access-advisor", f"ReportExporter@prod={f}"
    )
    assert code == 1
    assert (
        "U004" in err and "service dynamodb: LastAuthenticated 'Nov 20, 2026' is not an ISO 8601 time" in err
    )
    assert "UNUSED" not in out


def test_the_same_role_and_account_twice_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(report(SERVICES)))
    pair = f"ReportExporter@prod={f}"
    code, _, err = run("--catalog", str(ROOT / "catalog"), "--access-advisor", pair, "--access-advisor", pair)
    assert code == 2 and "two reports of ReportExporter in prod" in err
    code, _, err = run(
        "--catalog", str(ROOT / "catalog"), "--access-advisor", "ReportExporter@nosuch=" + str(f)
    )
    assert code == 2 and "no account named 'nosuch' in catalog.yaml" in err


def test_a_folder_is_not_a_report(tmp_path: Path) -> None:
    code, _, err = run(
        "--catalog", str(ROOT / "catalog"), "--access-advisor", f"ReportExporter@prod={tmp_path}"
    )
    assert code == 2 and "is a folder: name the report's JSON file" in err


def test_a_report_that_is_not_json_is_placed_and_said_in_words(tmp_path: Path) -> None:
    """It said "not valid JSON: Expecting value: line 2 column 27 (char 52)" at the file alone."""
    args = ("--catalog", str(ROOT / "catalog"), "--now", NOW, "--access-advisor")
    bad = tmp_path / "bad.json"
    bad.write_text('{"JobStatus": "COMPLETED",\n "ServicesLastAccessed": [}\n')
    code, _, err = run(*args, f"ReportExporter@prod={bad}")
    assert code == 1
    assert (
        f"{bad}:2:27: error U004: JSON syntax error: unexpected character '}}'\n"
        "    hint: a report is what aws iam get-service-last-accessed-details --job-id ID prints once the "
        "job is COMPLETED\n"
    ) in err
    bad.write_bytes(b'{"JobStatus": "\xff"}')
    code, _, err = run(*args, f"ReportExporter@prod={bad}")
    assert code == 1 and f"{bad}: error U004: file is not valid UTF-8 (byte 0xff at offset 15)\n" in err
