from __future__ import annotations

import pytest

from rolecat.diagnostics import Diagnostic, Severity
from rolecat.iam.actions import ActionDB
from rolecat.load.source import load_json_text
from rolecat.rules.grammar import CODES, DocKind, check_policy_document, condition_operator_problem


def run(
    text: str, kind: DocKind = "policy", db: ActionDB | None = None, known: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    doc, diags = load_json_text(text, "p.json")
    assert doc is not None, diags
    return check_policy_document(doc, kind, db, known)


def where(diags: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.location.line, d.location.col) for d in diags if d.location)


GOOD = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadLogs",
      "Effect": "Allow",
      "Action": ["logs:GetLogEvents", "logs:Describe*"],
      "Resource": "arn:aws:logs:*:*:log-group:${aws:username}*",
      "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*"]}, "Null": {"aws:TokenIssueTime": "false"}}
    }
  ]
}"""


def test_valid_document_has_no_findings(db: ActionDB) -> None:
    assert run(GOOD, db=db) == []


def test_single_statement_object_is_valid(db: ActionDB) -> None:
    text = (
        '{"Version": "2008-10-17", "Statement": {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "*"}}'
    )
    assert run(text, db=db) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1]", [("P001", 1, 1)]),
        ('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}', [("P003", 1, 1)]),
        ('{"Version": "2024-01-01", "Statement": []}', [("P004", 1, 13), ("P005", 1, 40)]),
        ('{"Version": "2012-10-17",\n "Statment": []}', [("P002", 2, 2), ("P005", 1, 1)]),
        ('{"Version": "2012-10-17", "Statement": [1]}', [("P006", 1, 41)]),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}',
            [("P008", 1, 51)],
        ),
        ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}', [("P009", 1, 40)]),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*",\n "NotAction": "*", "Resource": "*"}}',
            [("P009", 2, 15)],
        ),
        ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}}', [("P010", 1, 40)]),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}',
            [("P013", 1, 70)],
        ),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "bucket"}}',
            [("P020", 1, 87)],
        ),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",\n'
            ' "Principal": "*"}}',
            [("P011", 2, 2)],
        ),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",\n'
            ' "Conditions": {}}}',
            [("P007", 2, 2)],
        ),
    ],
)
def test_structure(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert where(run(text)) == sorted(expected)


def test_sid_rules_with_positions() -> None:
    text = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read-Only", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "Same", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "Same", "Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}"""
    diags = run(text)
    assert where(diags) == [("P016", 4, 13), ("P017", 6, 13)]
    assert "line 5" in next(d.message for d in diags if d.code == "P017")


def test_characters_iam_refuses() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Sid": "Caf\u00e9", "Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/\u2014"}}'
    diags = run(text)
    # é (U+00E9) is within U+0020..U+00FF; the em dash is not. The Sid rule still flags é.
    assert [(d.code, d.location.col) for d in diags if d.code == "P018" and d.location] == [("P018", 102)]
    assert "U+2014" in next(d.message for d in diags if d.code == "P018")


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("arn:aws:s3:::b/\\u2014", True),  # an escape that makes a refused character
        ("arn:aws:s3:::b/\\u0001", True),
        ("arn:aws:s3:::b/\\b", True),  # backspace
        ("arn:aws:s3:::b/\u0100", True),  # written as is
        ("arn:aws:s3:::b/\\u00ff\\/x", False),  # escapes of accepted characters
        ("arn:aws:s3:::b/\u00ff", False),
    ],
)
def test_refused_characters_written_as_is_or_escaped(value: str, found: bool) -> None:
    """Whatever the text's escapes, P018 is what a walk over every parsed string finds,
    with positions computed before the check (so that no text is at hand) or not."""
    statement = '{"Effect": "Allow", "Action": "*", "Resource": "' + value + '"}'
    text = '{"Version": "2012-10-17", "Statement": ' + statement + "}"
    assert ("P018" in {d.code for d in run(text)}) is found
    doc, _ = load_json_text(text, "p.json")
    assert doc is not None
    doc.has_key(("Version",))  # positions computed: the JSON text is no longer kept
    assert doc.pending_text is None
    assert ("P018" in {d.code for d in check_policy_document(doc, "policy", ActionDB.load())}) is found


def test_policy_variables_need_2012_version() -> None:
    text = '{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*",\n "Resource": "arn:aws:s3:::b/${aws:username}/*"}}'
    assert where(run(text)) == [("P019", 2, 14)]


def test_condition_operators_with_positions() -> None:
    text = """{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
 "Condition": {
  "StringEqual": {"a": "b"},
  "stringequals": {"a": "b"},
  "NullIfExists": {"a": "true"},
  "ForAllValues:ArnLikeIfExists": {"a": "arn:*"},
  "Bool": "true",
  "NumericLessThan": {"a": {"nested": 1}}
 }}}"""
    diags = run(text)
    assert where(diags) == [("P014", 7, 11), ("P014", 8, 28), ("P015", 3, 3), ("P015", 5, 3), ("P021", 4, 3)]
    severities = {d.code: d.severity for d in diags}
    assert severities["P021"] is Severity.WARNING
    assert "did you mean StringEquals?" in (next(d for d in diags if d.code == "P015").hint or "")


@pytest.mark.parametrize(
    ("operator", "ok"),
    [
        ("StringEquals", True),
        ("StringLikeIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:ArnNotLikeIfExists", True),
        ("Null", True),
        ("ForAnyValue:Null", True),
        ("NullIfExists", False),
        ("IfExists", False),
        ("ForSomeValues:StringEquals", False),
        ("BoolIfExists", True),
        ("stringequals", False),
    ],
)
def test_condition_operator_table(operator: str, ok: bool) -> None:
    assert (condition_operator_problem(operator) is None) is ok


def test_trust_policy_rules() -> None:
    good = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}}'
    assert run(good, "trust") == []
    bad = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",\n "Resource": "*", "Principal": {"Servce": "x"}}}'
    assert where(run(bad, "trust")) == [("P010", 2, 2), ("P022", 2, 33)]
    missing = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}'
    assert where(run(missing, "trust")) == [("P012", 1, 40)]


def test_boundary_refuses_principal() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "NotPrincipal": {"AWS": "*"}}}'
    diags = run(text, "boundary")
    assert [d.code for d in diags] == ["P011"]
    assert "boundary" in diags[0].message


ACTIONS = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObjects", "s4:GetObject", "s3:Nothing*"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["iam:PassRoles", "GetObject", "*"], "Resource": "*"}
  ]
}"""


def test_unknown_actions_with_did_you_mean(db: ActionDB) -> None:
    diags = run(ACTIONS, db=db)
    assert where(diags) == [
        ("A001", 4, 36),
        ("A001", 5, 35),
        ("A002", 4, 53),
        ("A003", 4, 69),
        ("A004", 5, 52),
    ]
    messages = {d.message for d in diags}
    assert "unknown action s3:GetObjects; did you mean s3:GetObject?" in messages
    assert "unknown action iam:PassRoles; did you mean iam:PassRole?" in messages  # also in Deny
    assert "unknown service prefix s4; did you mean s3?" in messages
    assert all(d.severity is Severity.ERROR for d in diags)


def test_known_actions_admit_new_actions(db: ActionDB) -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["newsvc:Do", "newsvc:D*", "s3:GetObjects"], "Resource": "*"}}'
    diags = run(text, db=db, known=frozenset({"newsvc:Do", "s3:GetObjects"}))
    assert diags == []


def test_without_database_actions_are_not_checked() -> None:
    assert [d.code for d in run(ACTIONS)] == ["A004"]


def test_every_emitted_code_is_documented(db: ActionDB) -> None:
    texts = [ACTIONS, GOOD, "[1]", '{"Version": "x", "Statement": [1], "Foo": 1}']
    for text in texts:
        for d in run(text, db=db):
            assert d.code in CODES


def test_what_is_known_of_actions_is_shared_and_each_finding_is_where_written() -> None:
    """The caller's table of action problems, shared by two documents: the second finds
    the same problems at its own positions, from the table."""
    db = ActionDB.load()
    first = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow",\n "Action": ["s3:GetObjekt", "s3:GetObject"], "Resource": "*"}}'
    second = '{"Version": "2012-10-17",\n\n "Statement": {"Effect": "Allow", "Action": ["nope:Get", "s3:GetObjekt"], "Resource": "*"}}'
    table: dict[str, tuple[str, str, str] | None] = {}
    docs = [load_json_text(text, name)[0] for text, name in ((first, "a.json"), (second, "b.json"))]
    shared = [check_policy_document(doc, "policy", db, actions=table) for doc in docs if doc is not None]
    alone = [check_policy_document(doc, "policy", db) for doc in docs if doc is not None]
    assert [[repr(d) for d in found] for found in shared] == [[repr(d) for d in found] for found in alone]
    assert [(d.code, d.location.path, d.location.line) for d in shared[1] if d.location] == [
        ("A002", "b.json", 3),
        ("A001", "b.json", 3),
    ]
    assert (
        table["s3:GetObject"] is None
        and table["s3:GetObjekt"] is not None
        and table["s3:GetObjekt"][0] == "A001"
    )
