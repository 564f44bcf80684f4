"""The scopedown CLI on a small catalog: shared by the command tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rolecat.pipeline import load_catalog
from rolecat.scopedown.command import register

PROD_ROLE = "arn:aws:iam::333333333333:role/services/Worker"

CATALOG = {
    "catalog.yaml": """\
organization: example
owners: ["@example/security"]
defaults:
  region: us-east-1
  role_path: /humans/
  service_role_path: /services/
  max_session_duration: 3600
  mfa_max_age: 3600
accounts:
  security: {id: "111111111111", identity: true}
  nonprod: {id: "222222222222", environment: nonprod}
  prod: {id: "333333333333", environment: prod}
""",
    "users.yaml": "users:\n  alice: {}\n",
    "policies/worker.json": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:Query", "sqs:SendMessage", "iam:PassRole"],
                    "Resource": "*",
                }
            ],
        }
    ),
    "boundaries/app.json": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ),
    "roles/services/Worker.yaml": """\
name: Worker
description: Queue worker
kind: service
accounts: [nonprod, prod]
owners: ["@example/backend"]
trusted_services: [lambda.amazonaws.com]
policies: [worker]
boundary: app
""",
}


def make_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    for name, text in CATALOG.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    try:
        cat, diags = load_catalog(root)
    except ImportError as exc:  # the build stage is being written alongside
        pytest.skip(f"catalog pipeline not importable: {exc}")
    assert cat is not None, [d.format_text() for d in diags]
    return root


def run(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "scopedown" as a sub-command
        pass

    result = CliRunner().invoke(app, ["scopedown", *args])
    return result.exit_code, result.stdout, result.stderr
