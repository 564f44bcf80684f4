"""The copy source of CopyObject and UploadPartCopy read as S3 reads it
(arns.copy_source_arn): "The value must be URL-encoded" (S3 API reference: CopyObject)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import ROLE_ARN, record

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.arns import copy_source_arn
from rolecat.scopedown.scan import Scanner, ScanResult


def copy(db: ActionDB, source: str) -> ScanResult:
    params = {"bucketName": "dst", "key": "out", "x-amz-copy-source": source}
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed([record("s3.amazonaws.com", "CopyObject", requestParameters=params)])
    return scanner.result


def patterns(res: ScanResult, action: str) -> list[str]:
    use = res.used[action]
    assert use.resources is not None, action
    return use.resources.patterns()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("src/my%20dir/a%20b.csv", "arn:aws:s3:::src/my dir/a b.csv"),
        ("/src/my%20dir/x?versionId=v%201", "arn:aws:s3:::src/my dir/x"),
        ("src/a+b", "arn:aws:s3:::src/a b"),  # S3 reads + as a space; a key's own + is %2B
        ("src/a%2Bb", "arn:aws:s3:::src/a+b"),
        ("src/a%2Fb", "arn:aws:s3:::src/a/b"),  # a / of the key, sent encoded
        ("src%2Fk", "arn:aws:s3:::src/k"),  # the separator sent encoded
        ("src/a%2F..%2F..%2Fother/k", "arn:aws:s3:::src/a/../../other/k"),  # literal: keys hold any character
        ("src/cv/r%C3%A9sum%C3%A9.pdf", "arn:aws:s3:::src/cv/résumé.pdf"),
        ("src/cv/%E2%82%AC.pdf", "arn:aws:s3:::src/cv/*"),  # beyond Latin-1: policy_safe cuts, covering
        ("src/what%3F.txt?versionId=1", "arn:aws:s3:::src/what?.txt"),  # the key's ? is encoded
        ("src/a%zz/b", "arn:aws:s3:::src/a*"),  # S3 refuses the encoding: cut, covering
        ("src/a%FF%FE/b", "arn:aws:s3:::src/a*"),  # not UTF-8: cut, covering
        ("src/a%0Ab", "arn:aws:s3:::src/a*"),  # a control character: policy_safe cuts
    ],
)
def test_the_copy_source_is_read_as_s3_reads_it(db: ActionDB, source: str, expected: str) -> None:
    """ "The value must be URL-encoded" (S3 API reference: CopyObject): the s3:GetObject
    resource names the key decoded, never the encoded text."""
    res = copy(db, source)
    assert patterns(res, "s3:GetObject" if "versionId" not in source else "s3:GetObjectVersion") == [expected]


@pytest.mark.parametrize(
    "source",
    [
        "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/reports/january.pdf",
        # as botocore sends it (safe "/~")
        quote(
            "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/reports/january.pdf",
            safe="/~",
        ),
        "arn%3Aaws%3As3-outposts%3Aus-west-2%3A123456789012%3Aoutpost/my-outpost/object/reports/january.pdf",
        "sr%2Ac/k",  # a decoded * in the bucket: no bucket name
    ],
)
def test_a_source_that_names_no_bucket_makes_the_read_unscoped(db: ActionDB, source: str) -> None:
    """An access point or Outposts ARN as the copy source does not name the bucket: the
    read's resource is "*", as for any record without a usable ARN (it was taken for a
    bucket named "arn:aws:s3:us-west-2:...")."""
    res = copy(db, source)
    assert res.used["s3:GetObject"].resources is None
    assert patterns(res, "s3:PutObject") == ["arn:aws:s3:::dst/out"]


_KEYS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)


@settings(max_examples=300, deadline=None)
@given(_KEYS, st.booleans(), st.booleans())
def test_any_key_encoded_as_the_sdks_do_is_named_exactly(key: str, slash: bool, version: bool) -> None:
    """botocore sends the copy source percent-encoded (safe "/~"), the key as UTF-8: whatever
    the key holds, decoding gives it back."""
    source = ("/" if slash else "") + quote(f"bucket/{key}", safe="/~") + ("?versionId=v" if version else "")
    assert (
        copy_source_arn({"requestParameters": {"x-amz-copy-source": source}}) == f"arn:aws:s3:::bucket/{key}"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_copy_source_names_a_wrong_bucket(source: str) -> None:
    """Whatever the header holds, the ARN is None or an object of a well-formed bucket."""
    arn = copy_source_arn({"requestParameters": {"x-amz-copy-source": source}})
    if arn is not None:
        bucket, slash, key = arn.removeprefix("arn:aws:s3:::").partition("/")
        assert slash and key and bucket and all(c.isascii() and (c.isalnum() or c in "._-") for c in bucket)
