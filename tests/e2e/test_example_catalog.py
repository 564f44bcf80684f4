"""The example catalog, compiled and deployed for real: init + validate every account, apply
identity account first, a second plan must be empty, and IAM must hold what the catalog says."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import e2e_expect
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
    for account in accounts:
        d.init(account)
        d.validate(account)
    for account in accounts:
        d.apply(account)
        d.assert_converged(account)
    check_readback(catalog, emulator)
    return d


def check_readback(catalog: Path, emulator: Emulator) -> None:
    want = e2e_expect.expected(catalog)
    import yaml

    cat = yaml.safe_load((catalog / "catalog.yaml").read_text(encoding="utf-8"))
    deploy_role = cat["terraform"]["deploy_role"]
    problems = []
    for name, acct in cat["accounts"].items():
        iam = emulator.iam(str(acct["id"]), deploy_role)
        got = e2e_expect.actual(iam, identity=bool(acct.get("identity")))
        problems += e2e_expect.compare(name, want[name], got)
    assert not problems, "\n".join(problems)


def test_example_catalog_applies_converges_and_reads_back(
    tmp_path: Path, deployment: Callable[[Path], Deployment], emulator: Emulator
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    out = tmp_path / "out"
    d = deploy_and_check(catalog, out, deployment, emulator)
    # Every account's provider assumed that account's deploy role: its state names its own id.
    for account in d.accounts():
        state = json.loads((d.folder(account) / "e2e.tfstate").read_text(encoding="utf-8"))
        arns = {
            i["attributes"].get("arn", "")
            for r in state["resources"]
            for i in r["instances"]
            if r["type"] in ("aws_iam_role", "aws_iam_user")
        }
        manifest_id = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["accounts"][account]["id"]
        assert arns and all(f":{manifest_id}:" in a for a in arns), (account, arns)
