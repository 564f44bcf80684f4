"""Partitions: every ARN rolecat writes follows the accounts' region (aws, aws-us-gov, aws-cn)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from rolecat.deploy.arns import in_partition, partition_of
from rolecat.pipeline import render_catalog

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "hostile" / "fixtures" / "minimal"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-northwest-1", "aws-cn"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_in_partition_rewrites_only_commercial_arns() -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert in_partition(arn, "aws-us-gov") == "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"
    assert in_partition(arn, "aws") == arn
    assert in_partition("arn:aws-cn:iam::aws:policy/X", "aws-us-gov") == "arn:aws-cn:iam::aws:policy/X"


@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")])
def test_every_arn_of_the_output_is_in_the_partition(tmp_path: Path, region: str, partition: str) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(MINIMAL, root)
    cat = root / "catalog.yaml"
    cat.write_text(
        cat.read_text().replace("region: us-east-1", f"region: {region}") + "  deploy_role: Deployer\n"
    )
    policy = root / "policies" / "reader.json"
    policy.write_text(policy.read_text().replace("arn:aws:logs:", "arn:{{ partition }}:logs:"))
    catalog, diags, files = render_catalog(root, NOW)
    assert catalog is not None and files, [str(d) for d in diags]
    text = "\n".join(f.text for f in files if f.path.endswith(".tf"))
    found = re.findall(r"arn:([a-z-]*):", text)
    assert found and set(found) == {partition}
    assert f"arn:{partition}:iam::aws:policy/ReadOnlyAccess" in text  # AWS managed policy
    assert f"arn:{partition}:iam::111111111111:user/alice" in text  # trust of a human role
    assert f'role_arn     = "arn:{partition}:iam::333333333333:role/Deployer"' in text  # provider
    manifest = json.loads(next(f.text for f in files if f.path == "manifest.json"))
    assert "arn:aws:" not in json.dumps(manifest)


def test_workflow_and_scopedown_arns_follow_the_partition(tmp_path: Path) -> None:
    from rolecat.access.model import AccessModel
    from rolecat.scopedown.arns import copy_source_arn, record_candidates
    from rolecat.workflow.profiles import mfa_serial

    root = tmp_path / "catalog"
    shutil.copytree(MINIMAL, root)
    cat = root / "catalog.yaml"
    cat.write_text(cat.read_text().replace("region: us-east-1", "region: us-gov-west-1"))
    catalog, diags, _ = render_catalog(root, NOW)
    assert catalog is not None, [str(d) for d in diags]
    # the MFA serial of ~/.aws/config profiles (rolecat profiles)
    assert mfa_serial(catalog, "alice") == "arn:aws-us-gov:iam::111111111111:mfa/alice"
    # who-can maps the trust's user ARNs back to people
    model = AccessModel(catalog, NOW)
    users = {r.principal.user for v in model.views for r in model.reach(v)}
    assert "alice" in users
    # scopedown: ARNs built from a CloudTrail record of a GovCloud region
    record = {
        "awsRegion": "us-gov-west-1",
        "recipientAccountId": "333333333333",
        "requestParameters": {"bucketName": "b", "x-amz-copy-source": "src/k"},
    }
    assert "arn:aws-us-gov:s3:::b" in set(record_candidates(record))
    assert copy_source_arn(record) == "arn:aws-us-gov:s3:::src/k"
