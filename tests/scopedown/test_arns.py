from __future__ import annotations

from rolecat.scopedown.arns import EXACT_LIMIT, MAX_GROUPS, PatternSet


def test_few_arns_stay_exact() -> None:
    ps = PatternSet()
    for key in ("a.csv", "b.csv"):
        ps.add(f"arn:aws:s3:::bucket/reports/{key}")
    assert ps.patterns() == ["arn:aws:s3:::bucket/reports/a.csv", "arn:aws:s3:::bucket/reports/b.csv"]


def test_many_objects_become_a_prefix_per_bucket() -> None:
    ps = PatternSet()
    for i in range(EXACT_LIMIT + 10):
        ps.add(f"arn:aws:s3:::bucket/reports/2026/{i}.csv")
        ps.add(f"arn:aws:s3:::other/x/{i}")
    assert ps.patterns() == ["arn:aws:s3:::bucket/reports/2026/*", "arn:aws:s3:::other/x/*"]


def test_regions_collapse_only_when_they_differ() -> None:
    ps = PatternSet()
    for i in range(EXACT_LIMIT + 1):
        ps.add(f"arn:aws:dynamodb:eu-west-1:123456789012:table/orders-{i}")
    assert ps.patterns() == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-*"]
    ps.add("arn:aws:dynamodb:us-east-1:123456789012:table/orders-x")
    assert ps.patterns() == ["arn:aws:dynamodb:*:123456789012:table/orders-*"]


def test_prefix_patterns_cover_exact_arns() -> None:
    ps = PatternSet()
    ps.add("arn:aws:s3:::data/*")
    ps.add("arn:aws:s3:::data/a")
    assert ps.patterns() == ["arn:aws:s3:::data/*"]


def test_memory_is_bounded_by_groups() -> None:
    ps = PatternSet()
    for i in range(MAX_GROUPS * 4):
        for j in range(3):
            ps.add(f"arn:aws:s3:::bucket-{i}/k{j}")
    pats = ps.patterns()
    assert len(pats) <= MAX_GROUPS
    assert pats == ["arn:aws:s3:::bucket-*"]


def test_a_queue_hosts_region_label_has_ascii_digits() -> None:
    """A region name's digits are 0-9: a host label with other scripts' digits is no region,
    and the record's region stands (Python's \\d took "us-east-١" for one)."""
    from rolecat.scopedown.arns import queue_region

    assert queue_region("sqs.us-east-2.amazonaws.com", "eu-west-1") == "us-east-2"
    assert queue_region("sqs.us-east-٢.amazonaws.com", "eu-west-1") == "eu-west-1"
    assert queue_region("sqs.us-east-２.amazonaws.com", "eu-west-1") == "eu-west-1"
