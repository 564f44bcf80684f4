"""``rolecat scopedown`` end to end: exit codes, formats, --write-policy, Athena SQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from scopedown_cli import PROD_ROLE, make_catalog, run
from scopedown_records import record


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    recs = [
        record(
            "dynamodb.amazonaws.com", "GetItem", issuer=PROD_ROLE, requestParameters={"tableName": "jobs"}
        ),
        record("sts.amazonaws.com", "GetCallerIdentity", issuer=PROD_ROLE),
        record("sqs.amazonaws.com", "SendMessage", issuer="arn:aws:iam::222222222222:role/services/Worker"),
    ]
    (folder / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    (folder / "broken.json.gz").write_bytes(gzip.compress(b'{"Records": [')[:-6])
    return folder


def test_json_output(catalog: Path, logs: Path) -> None:
    code, out, err = run(
        str(logs), "--catalog", str(catalog), "--role", "Worker", "--account", "prod", "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["role"] == "Worker" and doc["account"] == "prod"
    assert set(doc) >= {"role", "account", "window", "used", "denied", "unused", "suggested_policy", "notes"}
    assert [u["action"] for u in doc["used"]] == ["dynamodb:GetItem"]
    assert doc["unused"] == ["dynamodb:Query"]
    # a data event: the logs hold no SQS message call of the role in prod (the one there is
    # the nonprod role's), so the queue worker keeps sending
    assert doc["kept"] == ["iam:PassRole", "sqs:SendMessage"]
    assert any(n.startswith("iam:PassRole is kept") for n in doc["notes"])
    assert "broken.json.gz" in err and "SD001" in err


def test_account_required_when_role_is_in_several(catalog: Path, logs: Path) -> None:
    code, _, err = run(str(logs), "--catalog", str(catalog), "--role", "Worker")
    assert code == 2 and "--account" in err


def test_usage_errors(catalog: Path, logs: Path, tmp_path: Path) -> None:
    base = ["--catalog", str(catalog), "--role", "Worker", "--account", "prod"]
    assert run(str(tmp_path / "missing"), *base)[0] == 2
    assert run(str(logs), *base, "--since", "yesterday")[0] == 2
    assert run(str(logs), *base, "--since", "2026-10-02", "--until", "2026-10-01")[0] == 2
    assert run(str(logs), "--catalog", str(catalog), "--role", "Nobody")[0] == 2
    assert run(str(logs), *base, "--account", "security")[0] == 2


def test_write_policy_uses_the_account_placeholder(catalog: Path, logs: Path) -> None:
    code, out, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "Worker",
        "--account",
        "prod",
        "-f",
        "policy",
        "--write-policy",
        "worker-scoped",
    )
    assert code == 0, err
    text = (catalog / "policies" / "worker-scoped.json").read_text()
    assert "arn:aws:dynamodb:eu-west-1:{{ account.id }}:table/jobs" in text
    assert json.loads(out)["Statement"]  # stdout holds the policy itself


def test_athena_sql(catalog: Path) -> None:
    code, out, _ = run(
        "--catalog",
        str(catalog),
        "--role",
        "Worker",
        "--account",
        "prod",
        "--since",
        "2026-10-01",
        "--emit-athena-sql",
    )
    assert code == 0
    assert f"useridentity.sessioncontext.sessionissuer.arn = '{PROD_ROLE}'" in out
    assert "eventtime >= '2026-10-01T00:00:00Z'" in out
    assert "GROUP BY eventsource, eventname, errorcode" in out
