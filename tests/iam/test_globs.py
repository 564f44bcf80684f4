from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecat.iam.globs import covers, matches, overlaps, overlaps_arn, widen

ALPHABET = "ab/*?"
patterns = st.text(alphabet=ALPHABET, max_size=6)
concrete = st.text(alphabet="ab/", max_size=7)


def _regex(p: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p), re.DOTALL)


def test_matches_brackets_are_literal() -> None:
    # fnmatch would read [ab] as a class; IAM has no such syntax.
    assert matches("arn:aws:s3:::b[ab]/*", "arn:aws:s3:::b[ab]/x")
    assert not matches("arn:aws:s3:::b[ab]/*", "arn:aws:s3:::ba/x")


def test_matches_ignore_case() -> None:
    assert matches("S3:get*", "s3:GetObject", ignore_case=True)
    assert not matches("S3:get*", "s3:GetObject")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("arn:aws:s3:::bucket", "arn:*:s3:::*/*", False),
        ("arn:aws:s3:::bucket/*", "arn:*:s3:::*/*", True),
        ("arn:aws:iam::1:role/app*", "arn:aws:iam::1:role/*x", True),
        ("a*b", "c*", False),
    ],
)
def test_overlaps_examples(a: str, b: str, expected: bool) -> None:
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected


def test_widen_variables() -> None:
    assert widen("arn:aws:iam::1:user/${aws:username}") == "arn:aws:iam::1:user/*"


@given(patterns, patterns, st.lists(concrete, max_size=30))
def test_overlaps_agrees_with_witnesses(a: str, b: str, words: list[str]) -> None:
    # A common witness proves overlap; overlap claimed must have a witness up to a length bound.
    ra, rb = _regex(a), _regex(b)
    if any(ra.fullmatch(w) and rb.fullmatch(w) for w in words):
        assert overlaps(a, b)


short = st.text(alphabet=ALPHABET, max_size=3)


@given(short, short)
def test_overlaps_is_exact_on_small_alphabet(a: str, b: str) -> None:
    # A shortest common string is no longer than both patterns' literal characters
    # together, so an exhaustive search up to len(a) + len(b) decides the question.
    ra, rb = _regex(a), _regex(b)
    limit = len(a) + len(b)
    found = any(
        ra.fullmatch(w) and rb.fullmatch(w)
        for n in range(limit + 1)
        for w in map("".join, itertools.product("ab/c", repeat=n))
    )
    assert overlaps(a, b) is found


@given(patterns, patterns, st.lists(concrete, max_size=40))
def test_covers_is_sound(outer: str, inner: str, words: list[str]) -> None:
    if covers(outer, inner):
        ro, ri = _regex(outer), _regex(inner)
        assert all(ro.fullmatch(w) for w in words if ri.fullmatch(w))


def test_covers_examples() -> None:
    assert covers("arn:aws:iam::1:role/*", "arn:aws:iam::1:role/apps/*")
    assert not covers("arn:aws:iam::1:role/apps/*", "arn:aws:iam::1:role/*")
    assert not covers("a?c", "a*c")


def test_a_name_that_holds_no_slash_is_not_matched_by_a_pattern_with_one() -> None:
    """S3 bucket names (lowercase letters, digits, '.', '-') and DynamoDB table names
    (a-z, A-Z, 0-9, '_', '-', '.') hold no '/': ``bucket/*`` names no bucket."""
    from rolecat.iam.globs import arn_format_pattern, overlaps_format

    bucket = arn_format_pattern("arn:${Partition}:s3:::${BucketName}")
    obj = arn_format_pattern("arn:${Partition}:s3:::${BucketName}/${ObjectName}")
    table = arn_format_pattern("arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}")
    role = arn_format_pattern("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")
    assert not overlaps_format("arn:aws:s3:::data-bucket/*", bucket)
    assert overlaps_format("arn:aws:s3:::data-*", bucket) and overlaps_format(
        "arn:aws:s3:::data-bucket", bucket
    )
    assert overlaps_format("arn:aws:s3:::*", bucket) and overlaps_format("*", bucket)
    assert overlaps_format("arn:aws:s3:::data-bucket/*", obj)
    assert overlaps_format("arn:aws:s3:::data-bucket/a/b/c.csv", obj)
    assert not overlaps_format("arn:aws:dynamodb:us-east-1:1:table/orders/index/*", table)
    assert overlaps_format("arn:aws:dynamodb:us-east-1:1:table/orders", table)
    assert overlaps_format("arn:aws:iam::1:role/team/admin/*", role)  # a path holds '/'


def test_a_star_crosses_colons_only_as_the_last_character_of_its_segment() -> None:
    """IAM JSON policy elements: Resource: "If the * wildcard is the last character of a
    resource ARN segment, it can expand to match beyond the colon boundaries"."""
    from rolecat.iam.globs import arn_format_pattern, covers, matches, overlaps, overlaps_format

    fn = "arn:aws:lambda:us-east-1:111122223333:function:"
    assert matches(fn + "*-prod", fn + "api-prod")
    assert not matches(fn + "*-prod", fn + "app:blue-prod")  # the * is not last in its segment
    assert matches(fn + "*", fn + "app:blue-prod")  # last in its segment: crosses ':'
    assert matches("arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x")
    assert not overlaps(fn + "*-prod", fn + "app:*")  # a string of both would need a ':' in a segment's *
    assert overlaps(fn + "*-prod", fn + "a*")
    assert not covers(fn + "*-prod", fn + "*-prod".replace("*", "*:x*", 1))
    assert covers(fn + "*", fn + "*-prod") and not covers(fn + "*-prod", fn + "*")
    alias = arn_format_pattern(
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Alias}"
    )
    assert not overlaps_format(fn + "*-prod", alias)  # the alias format needs a ':' after the name
    assert overlaps_format(fn + "*", alias)
    assert matches("s3:Get*", "s3:GetObject") and matches("*:Get*", "s3:GetObject")  # actions: no segments


def test_patterns_as_long_as_an_s3_object_arn_are_compared_without_recursion() -> None:
    """An S3 object key may be 1,024 bytes: its ARN, and a pattern of it, run past
    Python's recursion limit in a recursive matcher (found as R001 on a valid policy)."""
    from rolecat.iam.globs import arn_format_pattern, overlaps_format

    key = "logs-bucket/" + "k" * 1100
    exact, pattern = f"arn:aws:s3:::{key}", f"arn:aws:s3:::{key[:-1]}*"
    obj = arn_format_pattern("arn:${Partition}:s3:::${BucketName}/${ObjectName}")
    bucket = arn_format_pattern("arn:${Partition}:s3:::${BucketName}")
    assert overlaps(pattern, "arn:aws:s3:::logs-*/*") and overlaps(pattern, f"*{'k' * 1100}")
    assert covers(pattern, exact) and covers("arn:aws:s3:::logs-bucket/*", pattern)
    assert not covers(exact, pattern)
    assert overlaps_format(pattern, obj) and not overlaps_format(pattern, bucket)


def test_iam_arn_patterns_overlap_field_by_field() -> None:
    """An IAM ARN holds exactly five colons, so a '*' filling the account field does not
    swallow the colons it would need to make role/ops/* meet role/app/*: no IAM role ARN
    matches both (as plain patterns they do: '1:role/app/x:role/ops/y')."""
    ops, app = "arn:aws:iam::*:role/ops/*", "arn:aws:iam::*:role/app/*"
    assert overlaps(ops, app)  # as strings
    assert not overlaps_arn(ops, app)  # as IAM ARNs
    assert overlaps_arn("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/app/*")
    assert overlaps_arn("arn:*:iam::*:role/*", "arn:aws:iam::1:role/x")
    assert not overlaps_arn("arn:aws:iam::1:role/*", "arn:aws:iam::2:role/*")
    # a pattern with another number of colons is compared as a string
    assert overlaps_arn("arn:aws:iam::*", "arn:aws:iam::1:role/x")
    assert overlaps_arn("*", "arn:aws:iam::1:role/x")
    assert overlaps_arn("arn:aws:lambda:*:function:*", "arn:aws:lambda:us-east-1:123456789012:function:*")


_FIELD = st.text(alphabet="ab1/", min_size=0, max_size=4)


@st.composite
def _iam_arn_and_patterns(draw: st.DrawFn) -> tuple[str, str, str]:
    """A concrete IAM ARN (five colons) and two patterns made from it or from anything."""
    arn = f"arn:aws:iam::{draw(st.sampled_from(['1', '22']))}:role/{draw(_FIELD)}"

    def pattern() -> str:
        text = arn if draw(st.booleans()) else f"arn:aws:iam::{draw(_FIELD)}:role/{draw(_FIELD)}"
        chars = list(text)
        for _ in range(draw(st.integers(0, 3))):
            i = draw(st.integers(0, len(chars) - 1))
            if chars[i] != ":":
                chars[i] = draw(st.sampled_from(["*", "?", "*"]))
        if draw(st.booleans()):
            i = draw(st.integers(0, len(chars)))
            chars.insert(i, "*")
        return "".join(chars)

    return arn, pattern(), pattern()


@given(_iam_arn_and_patterns())
def test_iam_arn_overlap_misses_no_arn_matching_both(case: tuple[str, str, str]) -> None:
    """Sound for IAM ARNs: whenever one IAM ARN matches both patterns, they overlap."""
    arn, p, q = case
    if matches(p, arn) and matches(q, arn):
        assert overlaps_arn(p, q), (p, q, arn)
