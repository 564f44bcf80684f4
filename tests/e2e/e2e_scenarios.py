"""Scenario steps shared by the end-to-end tests: deploy a catalog for real and read IAM back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import e2e_expect
import yaml
from e2e_harness import Deployment, Emulator, compile_catalog

ROOT = Path(__file__).resolve().parents[2]


def deploy_and_check(
    catalog: Path, out: Path, deployment: Callable[[Path], Deployment], emulator: Emulator
) -> Deployment:
    """Compile, init + validate each account, apply identity first, converge, read back."""
    compile_catalog(catalog, out)
    d = deployment(out)
    accounts = d.accounts()
    assert d.sync() == accounts

    def ready(account: str) -> None:
        d.init(account)
        d.validate(account)

    def deploy(account: str) -> None:
        d.apply(account)
        d.assert_converged(account)

    d.each(accounts, ready)
    d.each(accounts, deploy)
    check_readback(catalog, emulator)
    return d


def check_readback(catalog: Path, emulator: Emulator) -> None:
    want = e2e_expect.expected(catalog)
    cat = yaml.safe_load((catalog / "catalog.yaml").read_text(encoding="utf-8"))
    deploy_role = cat["terraform"]["deploy_role"]
    problems = []
    for name, acct in cat["accounts"].items():
        iam = emulator.iam(str(acct["id"]), deploy_role)
        got = e2e_expect.actual(iam, identity=bool(acct.get("identity")))
        problems += e2e_expect.compare(name, want[name], got)
    assert not problems, "\n".join(problems)


@dataclass
class CatalogFiles:
    """A scenario's catalog folder, edited as YAML between pull requests."""

    catalog: Path

    def load(self, rel: str) -> Any:
        return yaml.safe_load((self.catalog / rel).read_text(encoding="utf-8"))

    def dump(self, rel: str, data: Any) -> None:
        path = self.catalog / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def edit(self, rel: str, change: Callable[[Any], None]) -> None:
        data = self.load(rel)
        change(data)
        self.dump(rel, data)
