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


# ------------------------------------------------------------------ tags, Object Lock, bypass
def test_tags_on_put_object_need_put_object_tagging_where_aws_says_so(db: ActionDB) -> None:
    """PutObject: "To successfully set the tag-set with your PutObject request, you must have
    the s3:PutObjectTagging" (S3 API reference); POST Object is a form of PUT.  AWS says nothing
    of CopyObject or CreateMultipartUpload: their tags add nothing (a known limit)."""
    tags = {"x-amz-tagging": "team=data&tier=hot"}
    res = scan(
        db,
        [
            s3("PutObject", 1, bucketName="b", key="in/a", **tags),
            s3("PostObject", 2, bucketName="b", key="in/b", **tags),
            s3("PutObject", 3, bucketName="b", key="in/c", **{"x-amz-tagging": ""}),
            s3("CreateMultipartUpload", 4, bucketName="b", key="in/d", **tags),
            s3("CopyObject", 5, bucketName="b", key="in/e", **tags, **{"x-amz-copy-source": "b/x"}),
            s3("PutObjectTagging", 6, bucketName="b", key="in/f", tagging=""),
        ],
    )
    assert patterns(res, "s3:PutObjectTagging") == [
        "arn:aws:s3:::b/in/a",
        "arn:aws:s3:::b/in/b",
        "arn:aws:s3:::b/in/f",
    ]
    assert res.used["s3:PutObjectTagging"].count == 3


@pytest.mark.parametrize("name", OBJECT_WRITES)
def test_object_lock_headers_on_a_write_need_retention_and_legal_hold(db: ActionDB, name: str) -> None:
    """A write that sets a retention mode or date needs s3:PutObjectRetention (S3 "rejects any
    request to put an object that includes a retention mode and setting" without it: S3 User
    Guide, Object Lock); one that places a legal hold (ON) s3:PutObjectLegalHold, on the object
    it writes.  OFF places no hold."""
    copy = {"x-amz-copy-source": "src/in/x"} if name == "CopyObject" else {}
    res = scan(
        db,
        [
            s3(name, 1, bucketName="vault", key="a", **copy, **{"x-amz-object-lock-mode": "GOVERNANCE"}),
            s3(
                name,
                2,
                bucketName="vault",
                key="b",
                **copy,
                **{"x-amz-object-lock-retain-until-date": "2031-01-01T00:00:00Z"},
            ),
            s3(name, 3, bucketName="vault", key="c", **copy, **{"x-amz-object-lock-legal-hold": "ON"}),
            s3(name, 4, bucketName="vault", key="d", **copy, **{"x-amz-object-lock-legal-hold": "OFF"}),
            s3(name, 5, bucketName="vault", key="e", **copy),
        ],
    )
    assert patterns(res, "s3:PutObjectRetention") == ["arn:aws:s3:::vault/a", "arn:aws:s3:::vault/b"]
    assert patterns(res, "s3:PutObjectLegalHold") == ["arn:aws:s3:::vault/c"]
    assert res.used["s3:PutObject"].count == 5


def test_parts_of_an_upload_take_no_object_lock_rule(db: ActionDB) -> None:
    """The Object Lock headers belong to the request that creates the object: an UploadPart
    or a read carrying one adds nothing."""
    lock = {"x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-legal-hold": "ON"}
    res = scan(
        db,
        [
            s3("UploadPart", 1, bucketName="b", key="k", **lock),
            s3("GetObject", 2, bucketName="b", key="k", **lock),
        ],
    )
    assert "s3:PutObjectRetention" not in res.used and "s3:PutObjectLegalHold" not in res.used


def test_bypassing_governance_retention_needs_its_permission(db: ActionDB) -> None:
    """DeleteObject(s): "To use this header, you must have the s3:BypassGovernanceRetention
    permission", whatever its value; PutObjectRetention bypasses only with the header true.  On
    the object, never a version of it: a versioned delete is s3:DeleteObjectVersion and the
    bypass on the object ARN."""
    bypass = "x-amz-bypass-governance-retention"
    res = scan(
        db,
        [
            s3("DeleteObject", 1, bucketName="vault", key="a", **{bypass: "true"}),
            s3("DeleteObject", 2, bucketName="vault", key="b", versionId="v1", **{bypass: "true"}),
            s3("DeleteObject", 3, bucketName="vault", key="c"),
            s3("PutObjectRetention", 4, bucketName="vault", key="d", retention="", **{bypass: "true"}),
            s3("PutObjectRetention", 5, bucketName="vault", key="e", retention="", **{bypass: "false"}),
        ],
    )
    assert patterns(res, "s3:BypassGovernanceRetention") == [
        "arn:aws:s3:::vault/a",
        "arn:aws:s3:::vault/b",
        "arn:aws:s3:::vault/d",
    ]
    assert patterns(res, "s3:DeleteObjectVersion") == ["arn:aws:s3:::vault/b"]
    # a DeleteObjects record without a key names only the bucket: the object actions become "*"
    res = scan(
        db,
        [s3("DeleteObjects", 6, bucketName="vault", delete={"Object": [{"Key": "f"}]}, **{bypass: "true"})],
    )
    assert res.used["s3:BypassGovernanceRetention"].resources is None
    assert res.used["s3:DeleteObject"].resources is None


def test_create_bucket_with_object_lock_or_ownership_needs_those_permissions(db: ActionDB) -> None:
    """CreateBucket: "if you set x-amz-bucket-object-lock-enabled to true, the
    s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning permissions are required";
    "If your CreateBucket request includes the x-amz-object-ownership header, then the
    s3:PutBucketOwnershipControls permission is required" (S3 API reference, CreateBucket).  A
    management event: CloudTrail records the headers as lists."""
    res = scan(
        db,
        [
            s3("CreateBucket", 1, bucketName="locked", **{"x-amz-bucket-object-lock-enabled": ["true"]}),
            s3("CreateBucket", 2, bucketName="unlocked", **{"x-amz-bucket-object-lock-enabled": ["false"]}),
            s3("CreateBucket", 3, bucketName="owned", **{"x-amz-object-ownership": ["BucketOwnerEnforced"]}),
            s3("CreateBucket", 4, bucketName="plain", **{"x-amz-acl": ["private"]}),
        ],
    )
    assert res.used["s3:CreateBucket"].count == 4
    assert patterns(res, "s3:PutBucketObjectLockConfiguration") == ["arn:aws:s3:::locked"]
    assert patterns(res, "s3:PutBucketVersioning") == ["arn:aws:s3:::locked"]
    assert patterns(res, "s3:PutBucketOwnershipControls") == ["arn:aws:s3:::owned"]
    assert "s3:PutBucketAcl" not in res.used


def test_a_permission_used_only_through_a_header_stays_in_the_suggestion(db: ActionDB) -> None:
    """The point of the rules: a role granted s3:PutObjectTagging and s3:PutObjectRetention
    that only uploads with tags and a retention mode keeps them; without the rules they were
    listed unused and left out, and the uploads were denied after the scope-down."""
    from test_suggest import allow, ctx

    from rolecat.scopedown.suggest import build_suggestion

    c = ctx(allow(["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectRetention", "s3:DeleteObject"]))
    scanner = Scanner(ROLE_ARN, db)
    scanner.feed(
        [
            s3(
                "PutObject",
                1,
                bucketName="vault",
                key="k",
                **{"x-amz-tagging": "a=b", "x-amz-object-lock-mode": "GOVERNANCE"},
            )
        ]
    )
    s = build_suggestion(scanner.result, c, db)
    assert "s3:PutObjectTagging" not in s.unused and "s3:PutObjectRetention" not in s.unused
    assert s.unused == ["s3:DeleteObject"]
    allowed = {
        a
        for st in s.policy["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert {"s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectRetention"} <= allowed


def test_the_docs_list_every_header_rule(db: ActionDB) -> None:
    """Each (event, headers, action) of S3_HEADER_RULES is a row of the docs' table, and each
    action is one the database knows (an unknown one would silently never be added)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scopedown.md").read_text()
    rows = [line for line in doc.splitlines() if line.startswith("| `s3` `")]
    for name, rules in S3_HEADER_RULES.items():
        for action, keys, _ in rules:
            assert db.canonical(f"s3:{action}") == f"s3:{action}", action
            headers = ["an ACL header"] if "x-amz-acl" in keys else [f"`{k}" for k in keys]
            assert any(
                f"| `s3` `{name}` |" in row and f"| `s3:{action}` |" in row and all(h in row for h in headers)
                for row in rows
            ), (name, action)
    assert "`x-amz-acl`" in doc and "`x-amz-grant-*`" in doc


# ------------------------------------------------------------------ the split scan equals the serial one
_VALUES = st.one_of(
    st.sampled_from(["private", "public-read", "bucket-owner-full-control", "", "id=abc"]),
    st.sampled_from(["true", "TRUE", "false", "ON", "on", "OFF", "GOVERNANCE", "a=b"]),
    st.lists(
        st.sampled_from(["private", "public-read", "", "uri=AllUsers", "true", "ON", "False"]), max_size=3
    ),
    st.text(max_size=4),
    st.integers(0, 2),
    st.none(),
)
_OTHER_HEADERS = (
    "x-amz-tagging",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-bypass-governance-retention",
    "x-amz-bucket-object-lock-enabled",
    "x-amz-object-ownership",
)
_PARAMS = st.dictionaries(
    st.sampled_from([*S3_ACL_HEADERS, *_OTHER_HEADERS, "x-amz-storage-class", "Host", "accessControlList"]),
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
            st.sampled_from(
                [
                    *OBJECT_WRITES,
                    "CreateBucket",
                    "UploadPart",
                    "GetObject",
                    "DeleteObject",
                    "DeleteObjects",
                    "PutObjectRetention",
                ]
            ),
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
