"""Small catalogs on disk for the stable-identity tests."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)

CATALOG = """
organization: acme
owners: ["@acme/sec"]
accounts:
  sec: {id: "111111111111", identity: true}
  prod: {id: "333333333333", environment: prod}
"""
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
ROLE = """
name: R
accounts: [prod]
boundary: b
members: [alice]
"""


def write(root: Path, files: dict[str, str | dict[str, object] | None]) -> Path:
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, indent=2) if isinstance(content, dict) else textwrap.dedent(content)
        path.write_text(text, encoding="utf-8")
    return root


def catalog(tmp_path: Path, **files: str | dict[str, object] | None) -> Path:
    base: dict[str, str | dict[str, object] | None] = {
        "catalog.yaml": CATALOG,
        "users.yaml": "users:\n  alice: {}\n  bob: {}\n",
        "boundaries/b.json": DOC,
        "roles/R.yaml": ROLE,
    }
    base.update({k.replace("__", "/"): v for k, v in files.items()})
    return write(tmp_path / "cat", base)
