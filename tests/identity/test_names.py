"""Case-insensitive uniqueness of IAM names per account (issue 10, item 2)."""

from __future__ import annotations

from pathlib import Path

from rolecat.diagnostics import Diagnostic
from rolecat.pipeline import load_catalog

from .support import DOC, NOW, catalog


def errors(root: Path, code: str) -> list[Diagnostic]:
    _, diags = load_catalog(root, NOW)
    return [d for d in diags if d.code == code and d.is_error]


def test_policy_files_differing_in_case_clash_in_an_account(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        policies__Reader=None,
        **{
            "policies/Reader.json": DOC,
            "policies/reader.json": DOC,
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\npolicies: [Reader, reader]\n",
        },
    )
    found = errors(root, "C004")
    assert len(found) == 1
    d = found[0]
    assert d.location is not None and d.location.path.endswith("policies/reader.json")
    assert "policy-Reader" in d.message and "policies/Reader.json:1:1" in d.message
    assert "'prod'" in d.message


def test_policy_files_in_different_accounts_do_not_clash(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        **{
            "policies/Reader.json": DOC,
            "policies/reader.json": DOC,
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\npolicies: [Reader]\n",
            "roles/S.yaml": "name: S\naccounts: [sec]\nboundary: b\nmembers: [alice]\npolicies: [reader]\n",
        },
    )
    assert errors(root, "C004") == []


def test_a_catalog_policy_named_like_rolecats_own(tmp_path: Path) -> None:
    # organization "policy": rolecat's group policy "policy-self-service" is the
    # IAM name of policies/self-service.json in the identity account
    root = catalog(
        tmp_path,
        **{
            "catalog.yaml": 'organization: policy\nowners: ["@a/b"]\naccounts:\n'
            '  sec: {id: "111111111111", identity: true}\n',
            "policies/self-service.json": DOC,
            "roles/R.yaml": "name: R\naccounts: [sec]\nboundary: b\nmembers: [alice]\npolicies: [self-service]\n",
        },
    )
    found = errors(root, "C004")
    assert len(found) == 1
    assert "policy-self-service" in found[0].message
    assert "catalog.yaml:1:15" in found[0].message or "catalog.yaml:1:15" in str(found[0].location)


def test_managed_policy_attached_by_name_and_by_arn(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        **{
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"
            "managed_policies:\n  - ReadOnlyAccess\n  - arn:aws:iam::aws:policy/ReadOnlyAccess\n",
        },
    )
    found = errors(root, "C005")
    assert len(found) == 1
    assert found[0].location is not None and (found[0].location.line, found[0].location.col) == (7, 5)
    assert "R.yaml:6:5" in found[0].message


def test_role_names_differing_in_case_report_both_places(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        **{"roles/r2.yaml": "name: r\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"},
    )
    found = errors(root, "C015")
    assert len(found) == 1
    assert "R.yaml:2:7" in found[0].message or "r2.yaml:1:7" in found[0].message


def test_users_differing_in_case_report_both_places(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {}\n  Bob: {}\n"})
    found = errors(root, "C003")
    assert len(found) == 1
    assert "users.yaml:3:3" in found[0].message


def test_a_former_name_in_use_is_an_error(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {renamed_from: [Alice]}\n"})
    found = errors(root, "C006")
    assert len(found) == 1 and "users.yaml:2:3" in found[0].message
    assert found[0].location is not None and found[0].location.line == 3


def test_a_profile_named_as_the_source_profile_is_an_error(tmp_path: Path) -> None:
    # account "acme" + role "identity" is the profile "acme-identity", the profile rolecat
    # profiles points every other one at (source_profile) for the identity account's keys
    root = catalog(
        tmp_path,
        **{
            "catalog.yaml": 'organization: acme\nowners: ["@a/b"]\naccounts:\n'
            '  sec: {id: "111111111111", identity: true}\n  acme: {id: "333333333333"}\n',
            "roles/R.yaml": "name: identity\naccounts: [acme]\nboundary: b\nmembers: [alice]\n",
        },
    )
    [found] = errors(root, "C088")
    assert "'acme-identity', the profile rolecat profiles uses" in found.message
    # the same role in another account: no clash
    other = catalog(
        tmp_path / "2",
        **{"roles/R.yaml": "name: identity\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"},
    )
    assert errors(other, "C088") == []


def test_a_role_defined_twice_is_c015_alone(tmp_path: Path) -> None:
    """A copied role file: C015 says the role is defined twice in the account; the two
    profiles of the same name that follow from it are not a second finding (C088)."""
    role = "name: Viewer\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"
    root = catalog(tmp_path, **{"roles/A.yaml": role, "roles/B.yaml": role})
    assert len(errors(root, "C015")) == 1
    assert errors(root, "C088") == []


def test_more_users_than_an_account_may_hold(tmp_path: Path) -> None:
    # IAM and STS quotas: users in an AWS account, 5,000, not adjustable; released users
    # stay in the account and count
    users = "users:\n" + "".join(f"  u{i:04d}: {{}}\n" for i in range(5_000)) + "  alice: {}\n"
    [found] = errors(catalog(tmp_path, **{"users.yaml": users}), "Q009")
    assert "5,001 IAM users" in found.message and str(found.location).endswith("users.yaml:1:1")
    users = "users:\n" + "".join(f"  u{i:04d}: {{}}\n" for i in range(4_999)) + "  alice: {}\n"
    assert errors(catalog(tmp_path / "2", **{"users.yaml": users}), "Q009") == []


def test_a_new_user_named_as_a_renamed_users_mfa_device_is_an_error(tmp_path: Path) -> None:
    # david was dave (renamed_from dropped, as the docs allow, with mfa_device kept); a new
    # hire dave would get mfa/dave, david's device
    users = "users:\n  alice: {}\n  david: {mfa_device: dave}\n  dave: {}\n"
    [found] = errors(catalog(tmp_path, **{"users.yaml": users}), "C091")
    assert "users 'dave' and 'david' would both use the MFA device mfa/dave" in found.message
    users = "users:\n  alice: {}\n  david: {mfa_device: dave}\n  erin: {}\n"
    assert errors(catalog(tmp_path / "2", **{"users.yaml": users}), "C091") == []
