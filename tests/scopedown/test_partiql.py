"""DynamoDB PartiQL calls: the action of each logged statement's verb, on the table or index
it names (DynamoDB Developer Guide, "IAM security policies with PartiQL for DynamoDB"; the
records as "Understanding DynamoDB log file entries" shows them), the same in the split scan
and the serial one; a call whose statements cannot be read stays unknown and keeps the
granted PartiQL actions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner
from test_scan_fields import plain
from test_suggest import allow, ctx, suggest

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.mapping import partiql_statement
from rolecat.scopedown.scan import Scanner

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
# the statements of AWS's example records, as logged (non-key attribute values redacted)
DOC_SELECT = (
    "SELECT * FROM Music WHERE Artist = 'No One You Know' AND SongTitle = 'Call Me Today' "
    "AND nonKeyAttr = ***(Redacted)"
)
DOC_UPDATE = (
    "UPDATE Music SET Album = ***(Redacted) WHERE Artist = 'No One You Know' AND SongTitle = 'Call Me Today'"
)
DOC_INSERT = (
    "INSERT INTO Music VALUE {'Artist' : ***(Redacted), 'SongTitle' : ***(Redacted), 'Album' : ***(Redacted)}"
)


@pytest.mark.parametrize(
    ("statement", "read"),
    [
        (DOC_SELECT, ("PartiQLSelect", "Music", None)),
        (DOC_UPDATE, ("PartiQLUpdate", "Music", None)),
        (DOC_INSERT, ("PartiQLInsert", "Music", None)),
        ("delete from \"Music\" where Artist = 'a'", ("PartiQLDelete", "Music", None)),
        # any case, after white space and comments; a quoted name; a string holding FROM
        (
            "  -- the report\n/* v2 */ sElEcT a, 'x FROM y' FROM \"my.table\"",
            ("PartiQLSelect", "my.table", None),
        ),
        ('SELECT * FROM "Music"."ArtistIndex" WHERE Artist = 1', ("PartiQLSelect", "Music", "ArtistIndex")),
        # not one of the four verbs, no table, a name DynamoDB refuses, an index on a write,
        # an unclosed string or comment: not read
        ("EXISTS(SELECT * FROM Music WHERE a = 1)", None),
        ("SELECT * FROM", None),
        ('SELECT * FROM "ab"', None),
        ('SELECT * FROM "Mü"', None),
        ('UPDATE "Music"."ArtistIndex" SET a = 1', None),
        ('SELECT * FROM "Music', None),
        ("/* SELECT * FROM Music", None),
        ("***(Redacted)", None),
        ("", None),
    ],
)
def test_a_statement_is_read_by_its_verb_and_table(
    statement: str, read: tuple[str, str, str | None] | None
) -> None:
    assert partiql_statement(statement) == read


def _scan(db: ActionDB, recs: list[dict[str, Any]]) -> Any:
    split, serial = Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)
    split.feed(recs)
    serial.feed(recs)
    assert plain(split.result) == plain(serial.result)
    return split.result


def test_partiql_records_count_the_action_of_each_statement(db: ActionDB) -> None:
    """They were unknown: a role that used PartiQL kept every granted PartiQL action on its
    current resources, and one not granted yet was never added."""
    res = _scan(
        db,
        [
            record("dynamodb.amazonaws.com", "ExecuteStatement", requestParameters={"statement": DOC_SELECT}),
            record(
                "dynamodb.amazonaws.com",
                "BatchExecuteStatement",
                requestParameters={"requestItems": [{"statement": DOC_UPDATE}, {"statement": DOC_INSERT}]},
            ),
            record(
                "dynamodb.amazonaws.com",
                "ExecuteStatement",
                requestParameters={"statement": 'SELECT * FROM "Music"."ArtistIndex"'},
            ),
            record(
                "dynamodb.amazonaws.com",
                "ExecuteStatement",
                requestParameters={"statement": "DELETE FROM Orders WHERE id = 1"},
                errorCode="AccessDenied",
            ),
        ],
    )
    assert {a: (u.count, u.resources and u.resources.patterns()) for a, u in res.used.items()} == {
        "dynamodb:PartiQLSelect": (2, [TABLE + "Music", TABLE + "Music/index/ArtistIndex"]),
        "dynamodb:PartiQLUpdate": (1, [TABLE + "Music"]),
        "dynamodb:PartiQLInsert": (1, [TABLE + "Music"]),
    }
    assert dict(res.denied["dynamodb:PartiQLDelete"].errors) == {"AccessDenied": 1}
    assert not res.unknown


def test_statements_that_cannot_be_read_leave_the_call_unknown(db: ActionDB) -> None:
    recs = [
        record("dynamodb.amazonaws.com", "ExecuteStatement"),  # an export without the parameters
        record("dynamodb.amazonaws.com", "ExecuteStatement", requestParameters={"statement": "EXISTS(x)"}),
        record(
            "dynamodb.amazonaws.com",
            "BatchExecuteStatement",
            requestParameters={"requestItems": [{"statement": DOC_UPDATE}, {"statement": 5}]},
        ),
        # no AWS example shows where its statements are logged: never read
        record("dynamodb.amazonaws.com", "ExecuteTransaction", requestParameters={"statement": DOC_SELECT}),
    ]
    res = _scan(db, recs)
    assert not res.used
    assert dict(res.unknown) == {
        "dynamodb:ExecuteStatement": 2,
        "dynamodb:BatchExecuteStatement": 1,
        "dynamodb:ExecuteTransaction": 1,
    }


def test_the_suggestion_grants_what_the_statements_used(db: ActionDB) -> None:
    """Read statements judge the PartiQL grants like any other item call; a transaction,
    whose statements are not read, keeps the granted ones (never dropped on no evidence)."""
    partiql = [
        "dynamodb:PartiQLDelete",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLSelect",
        "dynamodb:PartiQLUpdate",
    ]
    c = ctx(allow([*partiql, "dynamodb:GetItem"], TABLE + "*"))
    select = record("dynamodb.amazonaws.com", "ExecuteStatement", requestParameters={"statement": DOC_SELECT})
    s = suggest(db, c, [record("dynamodb.amazonaws.com", "GetItem"), select])
    assert [u["action"] for u in s.used] == ["dynamodb:GetItem", "dynamodb:PartiQLSelect"]
    assert s.used[1]["resources"] == [TABLE + "Music"]
    assert s.unused == ["dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate"]
    assert s.kept == []
    transaction = record("dynamodb.amazonaws.com", "ExecuteTransaction")
    s = suggest(db, c, [record("dynamodb.amazonaws.com", "GetItem"), select, transaction])
    assert s.kept == ["dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate"]
    assert any(n.startswith("dynamodb:ExecuteTransaction calls need the PartiQL action") for n in s.notes)


_WORDS = st.sampled_from(
    ["SELECT", "select", "INSERT", "INTO", "UPDATE", "DELETE", "FROM", "from", "Music", '"Music"', '"my.t"',
     ".", '"Idx"', "*", "'FROM x'", "--c\n", "/*c*/", " ", "SET", "VALUE", "{}", "ab", '"é12"', "EXISTS("]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_WORDS, max_size=8).map(" ".join), min_size=1, max_size=3),
    st.sampled_from(["ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"]),
    st.booleans(),
)
def test_partiql_records_scan_as_the_serial_scan(statements: list[str], name: str, denied: bool) -> None:
    db = ActionDB.load()
    params: dict[str, Any] = (
        {"statement": statements[0]}
        if name == "ExecuteStatement"
        else {"requestItems": [{"statement": t} for t in statements]}
    )
    extra: dict[str, Any] = {"errorCode": "AccessDenied"} if denied else {}
    _scan(db, [record("dynamodb.amazonaws.com", name, requestParameters=params, **extra)])
