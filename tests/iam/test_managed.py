from __future__ import annotations

import re

import pytest

from rolecat.iam import managed

REQUIRED = {
    "AdministratorAccess": "arn:aws:iam::aws:policy/AdministratorAccess",
    "PowerUserAccess": "arn:aws:iam::aws:policy/PowerUserAccess",
    "ReadOnlyAccess": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "ViewOnlyAccess": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    "Billing": "arn:aws:iam::aws:policy/job-function/Billing",
    "DatabaseAdministrator": "arn:aws:iam::aws:policy/job-function/DatabaseAdministrator",
    "DataScientist": "arn:aws:iam::aws:policy/job-function/DataScientist",
    "NetworkAdministrator": "arn:aws:iam::aws:policy/job-function/NetworkAdministrator",
    "SecurityAudit": "arn:aws:iam::aws:policy/SecurityAudit",
    "SupportUser": "arn:aws:iam::aws:policy/job-function/SupportUser",
    "SystemAdministrator": "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AmazonS3ReadOnlyAccess": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "CloudWatchReadOnlyAccess": "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
    "AWSSupportAccess": "arn:aws:iam::aws:policy/AWSSupportAccess",
}


@pytest.mark.parametrize(("name", "arn"), sorted(REQUIRED.items()))
def test_required_policies_resolve_with_document(name: str, arn: str) -> None:
    assert managed.resolve(name) == (arn, None)
    assert managed.resolve(arn) == (arn, None)
    doc = managed.document(arn)
    assert doc is not None
    assert doc["Version"] == "2012-10-17"
    assert doc["Statement"]


def test_snapshot_is_dated_and_sourced() -> None:
    snap = managed.snapshot()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", snap.snapshot_date)
    assert snap.source
    assert len(snap.by_name) > 1000
    assert snap.snapshot_date in managed.version()


def test_administrator_access_is_star() -> None:
    doc = managed.document(REQUIRED["AdministratorAccess"])
    assert doc is not None
    stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    assert {"Effect": "Allow", "Action": "*", "Resource": "*"} in stmts


def test_unknown_bare_name_gets_hint() -> None:
    arn, hint = managed.resolve("ReadOnlyAcess")
    assert arn is None and hint is not None and "ReadOnlyAccess" in hint
    arn, hint = managed.resolve("TotallyMadeUpPolicyName")
    assert arn is None and hint is not None and "full ARN" in hint


def test_full_arn_newer_than_snapshot_is_accepted_without_document() -> None:
    arn = "arn:aws:iam::aws:policy/SomePolicyFrom2030"
    assert managed.resolve(arn) == (arn, None)
    assert managed.document(arn) is None


def test_full_arn_with_wrong_path_is_refused() -> None:
    arn, hint = managed.resolve("arn:aws:iam::aws:policy/ViewOnlyAccess")
    assert arn is None and hint is not None and "job-function/ViewOnlyAccess" in hint


def test_customer_arn_is_not_managed() -> None:
    arn, hint = managed.resolve("arn:aws:iam::123456789012:policy/mine")
    assert arn is None and hint is not None


def test_service_linked_policies_are_refused() -> None:
    linked = next(p for p in managed.snapshot().by_name.values() if p.service_linked)
    arn, hint = managed.resolve(linked.name)
    assert arn is None and hint is not None and "PolicyNotAttachable" in hint
    assert managed.document(linked.arn) is None


def test_paths() -> None:
    policy = managed.lookup("ViewOnlyAccess")
    assert policy is not None and policy.path == "/job-function/"
    root = managed.lookup("ReadOnlyAccess")
    assert root is not None and root.path == "/"
