"""Accounts are applied after the accounts holding the principals their trust policies name."""

from __future__ import annotations

from pathlib import Path

from rolecat.deploy.order import apply_order
from rolecat.pipeline import load_catalog

from ..identity.support import NOW, catalog

ACCOUNTS = """
organization: acme
owners: ["@acme/sec"]
accounts:
  sec: {id: "111111111111", identity: true}
  alpha: {id: "222222222222"}
  zeta: {id: "333333333333"}
"""
SRC = "name: Src\nkind: service\naccounts: [zeta]\nboundary: b\ntrusted_services: [lambda.amazonaws.com]\n"
TGT = "name: Tgt\nkind: service\naccounts: [alpha]\nboundary: b\ntrusted_roles:\n  - {account: zeta, role: Src}\n"


def order(root: Path) -> list[str]:
    cat, diags = load_catalog(root, NOW)
    assert cat is not None and not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    return apply_order(cat)


def test_a_trusted_roles_account_is_applied_before_the_account_that_trusts_it(tmp_path: Path) -> None:
    # IAM refuses a trust policy naming a role that does not exist yet (Invalid principal):
    # Tgt in alpha trusts Src in zeta, so zeta goes first although alpha sorts before it
    root = catalog(
        tmp_path,
        **{"catalog.yaml": ACCOUNTS, "roles/R.yaml": None, "roles/Src.yaml": SRC, "roles/Tgt.yaml": TGT},
    )
    assert order(root) == ["sec", "zeta", "alpha"]
    # without the trust: the identity account first, then by name
    plain = catalog(tmp_path / "2", **{"catalog.yaml": ACCOUNTS, "roles/R.yaml": None, "roles/Src.yaml": SRC})
    assert order(plain) == ["sec", "alpha", "zeta"]


def test_trusts_both_ways_are_ordered_by_name(tmp_path: Path) -> None:
    # alpha's Tgt trusts zeta's Src, and zeta's Back trusts alpha's Tgt: a cycle, broken by
    # the usual order (the account applied early needs a second apply for one trust)
    back = "name: Back\nkind: service\naccounts: [zeta]\nboundary: b\ntrusted_roles:\n  - {account: alpha, role: Tgt}\n"
    root = catalog(
        tmp_path,
        **{
            "catalog.yaml": ACCOUNTS,
            "roles/R.yaml": None,
            "roles/Src.yaml": SRC,
            "roles/Tgt.yaml": TGT,
            "roles/Back.yaml": back,
        },
    )
    assert order(root) == ["sec", "alpha", "zeta"]
