"""``json_syntax``: a file that is not the catalog's and not JSON (an export, a line of
``who-can --queries``, a selectors file) is said as the catalog's own JSON errors are (L009),
at the file's line and column, never in the words of Python's json module."""

from __future__ import annotations

import json

import pytest

from rolecat.load.source import JsonSyntax, json_syntax, load_json_text

# text the catalog's parser (L009) and json_syntax say alike, at the same place
_BROKEN = [
    "nope",
    '{"a": 1,}',
    "[1,]",
    '{"a" 1}',
    '{"a": 1 "b": 2}',
    "[1 2]",
    "[1] x",
    "{1: 2}",
    "{'a': 1}",
    "[1, // a comment\n2]",
    "[-]",
    "[1.]",
    "",
    '{"x": ["]", {"y": "[\\"{"}\n 1]}',  # brackets in strings are no brackets
    '{"a": [1, 2]\n  "b": 3}',
    '[{"a": {}}\n\n {"b": 2}]',
]


@pytest.mark.parametrize("text", _BROKEN)
def test_the_words_and_place_are_the_catalogs(text: str) -> None:
    _, [catalog] = load_json_text(text, "f.json")
    syntax = json_syntax(text)
    assert syntax is not None and catalog.location is not None
    assert (syntax.line, syntax.col, syntax.message) == (
        catalog.location.line,
        catalog.location.col,
        catalog.message,
    )
    assert syntax.hint == catalog.hint  # None where the rule's hint would do


def test_no_python_words_and_no_character_offset() -> None:
    syntax = json_syntax("nope\n")
    assert syntax == JsonSyntax(1, 1, "unexpected character 'n'", None)
    assert syntax.message == "JSON syntax error: unexpected character 'n'"
    for text in _BROKEN:
        found = json_syntax(text)
        assert found is not None
        assert (
            "Expecting" not in found.message and "(char" not in found.message and "line" not in found.message
        )


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ('{"a": 1', 1, 8),
        ("[1,\n 2", 2, 3),
        ('{"Roles": [\n', 2, 1),
        ("{", 1, 2),
        ('{"a"', 1, 5),
        ("  ", 1, 3),
    ],
)
def test_a_file_cut_short_is_said_so_at_its_end(text: str, line: int, col: int) -> None:
    """Where the catalog's parser says what it expected (``expected ',' or '}'``), a text
    that ends there is said to end: an export or a log cut short."""
    assert json_syntax(text) == JsonSyntax(line, col, "unexpected end of file", None)


def test_a_bad_string_is_placed_at_what_is_wrong_in_it() -> None:
    bad = "invalid string (unterminated, a raw control character or a bad escape)"
    assert json_syntax('["ok", "a\tb"]') == JsonSyntax(1, 10, bad, None)  # the tab
    assert json_syntax('{"a":\n  "x\\qy"}') == JsonSyntax(2, 5, bad, None)  # the backslash
    assert json_syntax('["abc') == JsonSyntax(1, 2, bad, None)  # where the string starts


def test_a_line_of_a_json_lines_file_is_placed_in_the_file() -> None:
    """``first_line``: the place and the hint's place are the file's (line 7), not the line's (1)."""
    syntax = json_syntax('{"action": "iam:PassRole",}', first_line=7)
    assert syntax == JsonSyntax(
        7,
        27,
        "expected a quoted key",
        "remove the comma on line 7, column 26: JSON allows none after the last item",
    )


def test_the_exception_json_raised_is_used_not_parsed_again() -> None:
    text = '{"a": [1 2]}'
    try:
        json.loads(text)
    except ValueError as exc:
        assert json_syntax(text, exc) == json_syntax(text)
    assert json_syntax('{"a": [1, 2]}') is None  # json reads it: nothing to say


def test_a_byte_order_mark_is_named() -> None:
    assert json_syntax("\ufeff{}") == JsonSyntax(
        1, 1, "unexpected character '\\ufeff'", "save the file as UTF-8 without a byte order mark (U+FEFF)"
    )


def test_what_json_refuses_without_a_place() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    try:
        json.loads(deep)
    except RecursionError as exc:
        assert json_syntax(deep, exc) == JsonSyntax(0, 0, "JSON nested too deeply", None)
    digits = "[" + "1" * 5000 + "]"
    assert json_syntax(digits) == JsonSyntax(0, 0, "number with too many digits", None)
