from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.scopedown import arns as arns_module
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


_SERVICES = ("s3", "kms", "dynamodb", "lambda")
_arn = st.one_of(
    st.builds(
        "arn:{}:{}:{}:{}:{}".format,
        st.sampled_from(("aws", "aws-cn")),
        st.sampled_from(_SERVICES),
        st.sampled_from(("", "eu-west-1", "us-east-1")),
        st.sampled_from(("", "111111111111", "222222222222")),
        st.builds(
            "{}{}{}".format,
            st.sampled_from(("", "table/", "key/", "function:", "b/", "b/k/")),
            st.text("ab/:-_.", max_size=6),
            st.sampled_from(("", "*")),
        ),
    ),
    st.text("ab:*", max_size=4),  # not an ARN: kept as it is
)
# Up to 80 groups: more than MAX_GROUPS coarsen the set.  Queues in as many accounts stay as
# many groups once coarsened (more than MAX_GROUPS make it "*"); keys of as many resource
# types in one account become one.
_many_groups = st.one_of(
    st.integers(0, 80).map(lambda k: [f"arn:aws:sqs:eu-west-1:{n:012d}:q{'/x' * (n % 2)}" for n in range(k)]),
    st.integers(0, 80).map(lambda k: [f"arn:aws:kms:eu-west-1:111111111111:t{n}/k{n % 3}" for n in range(k)]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_arn, max_size=60), _many_groups, st.randoms(use_true_random=False), st.integers(1, 8))
def test_an_arn_added_again_changes_nothing(
    some: list[str], many: list[str], rnd: random.Random, limit: int
) -> None:
    """``PatternSet.add`` skips an ARN it added before (its memory of them, also once it
    was cleared): the patterns equal those of adding every ARN every time, in any order of
    repeats, across overflow, coarsening and collapse to ``*``."""
    arns = some + many
    sequence = arns + [rnd.choice(arns) for _ in range(len(arns))] if arns else []
    rnd.shuffle(sequence)
    every_time = PatternSet()
    for arn in sequence:
        every_time._add(arn)
    remembered = PatternSet()
    saved = arns_module.ADDED_LIMIT
    arns_module.ADDED_LIMIT = limit  # small: the memory is cleared again and again
    try:
        for arn in sequence:
            remembered.add(arn)
    finally:
        arns_module.ADDED_LIMIT = saved
    assert remembered.patterns() == every_time.patterns()
    assert remembered.wide == every_time.wide
