"""The real CloudTrail samples (tests/scopedown/data, see SOURCES.md there)."""

from __future__ import annotations

import json

from scopedown_records import DATA

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.logs import discover
from rolecat.scopedown.scan import Scanner, ScanResult

OTRF_ROLE = "arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0"
REPLAY_ROLE = "arn:aws:iam::123456789012:role/iam-replay-fixture-roles/iam-replay-fixture-target"
TRAILSCRAPER_ROLE = "arn:aws:iam::111111111111:role/someRole"


def _scan(db: ActionDB, arn: str) -> ScanResult:
    files, _ = discover([DATA])
    scanner = Scanner(arn, db)
    scanner.scan_files(files)
    return scanner.result


def test_otrf_instance_role_s3_exfiltration(db: ActionDB) -> None:
    res = _scan(db, OTRF_ROLE)
    assert res.problems == []
    counts = {a: u.count for a, u in res.used.items()}
    assert counts == {"s3:ListAllMyBuckets": 2, "s3:ListBucket": 7, "s3:GetObject": 2}
    bucket = "arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a"
    assert res.used["s3:ListBucket"].resources is not None
    assert res.used["s3:ListBucket"].resources.patterns() == [bucket]
    assert res.used["s3:GetObject"].resources is not None
    assert res.used["s3:GetObject"].resources.patterns() == [bucket + "/ring.txt"]
    assert res.used["s3:ListAllMyBuckets"].resources is None
    assert (res.first_event, res.last_event) == ("2020-09-14T01:00:04Z", "2020-09-14T01:13:20Z")
    # console activity of the IAM user pedro and AWSService AssumeRole calls are not the role's
    assert res.attributed == 11


def test_role_with_path_matches_issuer_not_session_arn(db: ActionDB) -> None:
    res = _scan(db, REPLAY_ROLE)
    assert {a: u.count for a, u in res.used.items()} == {"s3:ListAllMyBuckets": 6}
    # the session ARN has no path: matching on it would find nothing
    assert _scan(db, "arn:aws:iam::123456789012:role/iam-replay-fixture-target").attributed == 0


def test_same_file_delivered_twice_counts_once(db: ActionDB) -> None:
    # the .json and .json.gz trailscraper files hold the same records
    res = _scan(db, TRAILSCRAPER_ROLE)
    assert {a: u.count for a, u in res.used.items()} == {"autoscaling:DescribeLaunchConfigurations": 1}
    assert res.duplicates >= 1


def test_otrf_object_arn_becomes_the_bucket_folder(db: ActionDB) -> None:
    from rolecat.scopedown.suggest import RoleContext, build_suggestion

    res = _scan(db, OTRF_ROLE)
    ctx = RoleContext(role="r", account="a", account_id="123456789123", arn=OTRF_ROLE, policies={})
    bucket = "arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a"
    s = build_suggestion(res, ctx, db)
    get = next(st for st in s.policy["Statement"] if st["Action"] == "s3:GetObject")
    assert get["Resource"] == bucket + "/*"  # not .../ring.txt
    exact = build_suggestion(res, ctx, db, exact_resources=True)
    assert bucket + "/ring.txt" in json.dumps(exact.policy)


def test_usage_on_the_real_samples_counts_no_catalog_role() -> None:
    """The samples hold AWSService AssumeRole calls of roles outside any catalog."""
    from rolecat.usage.scan import RoleKey, UsageScanner

    files, _ = discover([DATA])
    scanner = UsageScanner({"arn:aws:iam::123456789123:role/Nope": RoleKey("Nope", "a")}, "111111111111")
    scanner.scan_files(files)
    res = scanner.result
    assert res.problems == [] and res.assume_role == 0 and res.uses == {}
    # only files mentioning AssumeRole are parsed: the OTRF export and the trailscraper pair
    assert 0 < res.files_parsed < res.files
