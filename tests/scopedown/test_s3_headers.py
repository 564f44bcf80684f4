"""S3 requests whose headers need a second action (mapping.S3_HEADER_RULES): records shaped
as CloudTrail writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner
from test_scan_fields import plain

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.mapping import S3_ACL_HEADERS, S3_HEADER_RULES
from rolecat.scopedown.scan import Scanner, ScanResult

OBJECT_WRITES = ("PutObject", "PostObject", "CopyObject", "CreateMultipartUpload")


def scan(db: ActionDB, records: list[Any]) -> ScanResult:
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(records)
    return scanner.result


def s3(name: str, n: int, *, error: str | None = None, **params: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"errorCode": error} if error else {}
    return record("s3.amazonaws.com", name, event_id=f"{name}-{n}", requestParameters=params, **extra)


def patterns(res: ScanResult, action: str, table: str = "used") -> list[str]:
    use = getattr(res, table)[action]
    assert use.resources is not None, action
    return use.resources.patterns()


# ------------------------------------------------------------------ ACL headers on object writes
@pytest.mark.parametrize("name", OBJECT_WRITES)
def test_an_acl_header_on_an_object_write_needs_put_object_acl_on_that_object(
    db: ActionDB, name: str
) -> None:
    """x-amz-acl as a data event records it (a string): s3:PutObjectAcl on the object the
    request writes, the destination of a copy; the same write without it needs none."""
    copy = {"x-amz-copy-source": "src/in/x"} if name == "CopyObject" else {}
    res = scan(
        db,
        [
            s3(name, 1, bucketName="dst", key="out/a", **copy, **{"x-amz-acl": "bucket-owner-full-control"}),
            s3(name, 2, bucketName="dst", key="out/b", **copy),
        ],
    )
    assert patterns(res, "s3:PutObjectAcl") == ["arn:aws:s3:::dst/out/a"]
    assert res.used["s3:PutObjectAcl"].count == 1
    assert res.used["s3:PutObject"].count == 2


def test_grant_headers_count_at_the_top_level_and_under_access_control_list(db: ActionDB) -> None:
    """A real PutObject data event (S3 log delivery, 2018) records its grant under
    requestParameters.accessControlList; grants are also seen at the top level."""
    grant = 'id="3272ee65a908a7677109fedda345db8d9554ba26398b2ca10581de88777e2b61"'
    res = scan(
        db,
        [
            s3(
                "PutObject",
                1,
                bucketName="logs",
                key="a",
                accessControlList={"x-amz-grant-full-control": grant},
            ),
            s3("PutObject", 2, bucketName="logs", key="b", **{"x-amz-grant-read": "uri=AllUsers"}),
            s3(
                "PutObject", 3, bucketName="logs", key="c", accessControlList={"x-amz-grant-full-control": ""}
            ),
        ],
    )
    assert patterns(res, "s3:PutObjectAcl") == ["arn:aws:s3:::logs/a", "arn:aws:s3:::logs/b"]


def test_private_counts_on_an_object_write_and_empty_values_do_not(db: ActionDB) -> None:
    """PutObject's text exempts no ACL value (CreateBucket's exempts private); a header
    recorded empty sets nothing."""
    res = scan(
        db,
        [
            s3("PutObject", 1, bucketName="b", key="private", **{"x-amz-acl": "private"}),
            s3("PutObject", 2, bucketName="b", key="empty", **{"x-amz-acl": ""}),
            s3("PutObject", 3, bucketName="b", key="list", **{"x-amz-acl": [""]}),
            s3("PutObject", 4, bucketName="b", key="odd", **{"x-amz-acl": 5}),
        ],
    )
    assert patterns(res, "s3:PutObjectAcl") == ["arn:aws:s3:::b/private"]


def test_only_the_writes_that_create_an_object_take_the_acl_rule(db: ActionDB) -> None:
    """UploadPart and UploadPartCopy add parts to an upload whose ACL CreateMultipartUpload
    set; GetObject sets no ACL: an odd x-amz-acl on them adds nothing."""
    res = scan(
        db,
        [
            s3("CreateMultipartUpload", 1, bucketName="b", key="k", **{"x-amz-acl": "public-read"}),
            s3("UploadPart", 2, bucketName="b", key="k", **{"x-amz-acl": "public-read"}),
            s3(
                "UploadPartCopy",
                3,
                bucketName="b",
                key="k",
                **{"x-amz-acl": "public-read", "x-amz-copy-source": "s/k"},
            ),
            s3("GetObject", 4, bucketName="b", key="g", **{"x-amz-acl": "public-read"}),
        ],
    )
    assert res.used["s3:PutObjectAcl"].count == 1


def test_a_denied_write_with_an_acl_is_denied_for_both_actions(db: ActionDB) -> None:
    res = scan(
        db,
        [s3("PutObject", 1, error="AccessDenied", bucketName="b", key="k", **{"x-amz-acl": "public-read"})],
    )
    assert res.used == {}
    assert dict(res.denied["s3:PutObjectAcl"].errors) == {"AccessDenied": 1}
    assert patterns(res, "s3:PutObjectAcl", "denied") == ["arn:aws:s3:::b/k"]


def test_a_copy_of_a_source_version_with_an_acl_sets_the_acl_of_the_new_object(db: ActionDB) -> None:
    """The source's versionId asks for s3:GetObjectVersion on the source; the ACL is set on
    the object the copy writes: s3:PutObjectAcl on the destination, never the Version one."""
    params = {
        "bucketName": "dst",
        "key": "out/x",
        "x-amz-copy-source": "src/in/x?versionId=abc",
        "x-amz-acl": "bucket-owner-full-control",
    }
    res = scan(db, [s3("CopyObject", 1, **params)])
    assert patterns(res, "s3:GetObjectVersion") == ["arn:aws:s3:::src/in/x"]
    assert patterns(res, "s3:PutObjectAcl") == ["arn:aws:s3:::dst/out/x"]
    assert "s3:PutObjectVersionAcl" not in res.used


# ------------------------------------------------------------------ CreateBucket
def test_create_bucket_needs_put_bucket_acl_for_any_acl_but_private(db: ActionDB) -> None:
    """CreateBucket is a management event: CloudTrail records its headers as lists
    ("x-amz-acl": ["private"], as a Terraform CreateBucket was logged). Private or no ACL:
    s3:CreateBucket alone; any other canned ACL or a grant: s3:PutBucketAcl too, on the bucket
    (S3 API reference: CreateBucket, Permissions)."""
    res = scan(
        db,
        [
            s3("CreateBucket", 1, bucketName="quiet", **{"x-amz-acl": ["private"]}),
            s3("CreateBucket", 2, bucketName="plain"),
            s3("CreateBucket", 3, bucketName="public", **{"x-amz-acl": ["public-read"]}),
            s3(
                "CreateBucket",
                4,
                bucketName="granted",
                **{"x-amz-grant-read": ["uri=http://acs.amazonaws.com/groups/global/AllUsers"]},
            ),
            s3("CreateBucket", 5, bucketName="logged", **{"x-amz-acl": "log-delivery-write"}),
        ],
    )
    assert res.used["s3:CreateBucket"].count == 5
    assert patterns(res, "s3:PutBucketAcl") == [
        "arn:aws:s3:::granted",
        "arn:aws:s3:::logged",
        "arn:aws:s3:::public",
    ]


def test_the_docs_list_every_header_rule(db: ActionDB) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scopedown.md").read_text()
    for name, (action, _) in S3_HEADER_RULES.items():
        assert db.canonical(f"s3:{action}") == f"s3:{action}", action
        assert f"| `s3` `{name}` |" in doc and f"| `s3:{action}` |" in doc, name
    assert "`x-amz-acl`" in doc and "`x-amz-grant-*`" in doc


# ------------------------------------------------------------------ the split scan equals the serial one
_VALUES = st.one_of(
    st.sampled_from(["private", "public-read", "bucket-owner-full-control", "", "id=abc"]),
    st.lists(st.sampled_from(["private", "public-read", "", "uri=AllUsers"]), max_size=3),
    st.integers(0, 2),
    st.none(),
)
_PARAMS = st.dictionaries(
    st.sampled_from([*S3_ACL_HEADERS, "x-amz-storage-class", "Host", "accessControlList"]),
    st.one_of(_VALUES, st.dictionaries(st.sampled_from(S3_ACL_HEADERS), _VALUES, max_size=2)),
    max_size=4,
)


def _acl_asked(name: str, params: dict[str, Any]) -> bool:
    """The rule restated: the values of the ACL headers, at the top level or one level under
    accessControlList, that are non-empty strings."""
    values: list[tuple[str, str]] = []
    for group in (params, params.get("accessControlList")):
        if isinstance(group, dict):
            for header in S3_ACL_HEADERS:
                value = group.get(header)
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str) and v:
                        values.append((header, v))
    if name == "CreateBucket":
        return any(h != "x-amz-acl" or v != "private" for h, v in values)
    return bool(values)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*OBJECT_WRITES, "CreateBucket", "UploadPart", "GetObject"]),
            _PARAMS,
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_header_rules_scan_as_the_serial_scan_and_as_stated(
    db: ActionDB, events: list[tuple[str, dict[str, Any], bool]]
) -> None:
    """Random header values (strings, lists, empties, odd types, nested groups) on the rule
    events and others: the split scan (with its key pre-filter) equals the old single loop
    extended by the rule, and the added action appears exactly when the rule says."""
    records = []
    for n, (name, params, denied) in enumerate(events):
        full = {"bucketName": "b", "key": f"k{n}", **params}
        records.append(s3(name, n, error="AccessDenied" if denied else None, **full))
    split, serial = Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)
    split.feed(records)
    serial.feed(records)
    assert plain(split.result) == plain(serial.result)
    res = split.result
    for action, names in (("s3:PutObjectAcl", OBJECT_WRITES), ("s3:PutBucketAcl", ("CreateBucket",))):
        expected = sum(1 for name, params, _ in events if name in names and _acl_asked(name, params))
        found = sum(table[action].count for table in (res.used, res.denied) if action in table)
        assert found == expected, action
