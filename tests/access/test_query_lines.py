"""``who-can --queries FILE``: a line that is not JSON is a finding at the file's line and
column, worded as the catalog's own JSON errors, not Python's (``not JSON (Expecting value:
line 1 column 1 (char 0))`` at ``q.jsonl:2:1``: the inner "line 1" contradicted the 2)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

QUERY_IS = 'a query is a JSON object on one line: {"action": ..., "resource": ..., "account": ...}'


def _who_can(runner: CliRunner, app: typer.Typer, queries: Path, catalog: Path) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["who-can", "--queries", str(queries), "-c", str(catalog), "--now", "2026-12-01"]
    )
    return result.exit_code, result.stdout, result.stderr


def test_a_line_that_is_not_json_is_placed_in_the_file(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"action": "iam:PassRole"}\n'
        "nope\n"
        "\n"
        '  {"action": "iam:PassRole",}\r\n'  # a line ending CR LF: still one line
        "{\"action\": 's3:GetObject'}\n"
        '{"action": "iam:PassRole"} x\n'
        '{"action": "iam:PassRole", "resource": "a\u2028b"}\n'  # U+2028 in a string: no line break
        '{"action": "iam:PassRole", "resource": "a\\qb"}\n'
    )
    code, out, err = _who_can(runner, app, queries, example_catalog)
    assert (code, out) == (1, "")
    assert err == (
        f"{queries}:2:1: error WC001: JSON syntax error: unexpected character 'n'\n"
        f"    hint: {QUERY_IS}\n"
        f"{queries}:4:29: error WC001: JSON syntax error: expected a quoted key\n"
        "    hint: remove the comma on line 4, column 28: JSON allows none after the last item\n"
        f'{queries}:5:12: error WC001: JSON syntax error: unexpected character "\'"\n'
        "    hint: JSON strings take double quotes: \"s3:GetObject\", not 's3:GetObject'\n"
        f"{queries}:6:28: error WC001: JSON syntax error: unexpected text after the JSON document\n"
        f"    hint: {QUERY_IS}\n"
        f"{queries}:8:42: error WC001: JSON syntax error: invalid string (unterminated, a raw control "
        "character or a bad escape)\n"
        f"    hint: {QUERY_IS}\n"
    )


def test_a_line_nested_too_deeply_is_a_finding_not_a_crash(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"action": "iam:PassRole"}\n' + "[" * 100_000 + "\n")
    code, out, err = _who_can(runner, app, queries, example_catalog)
    assert (code, out) == (1, "")
    assert (
        err
        == f"{queries}:2:1: error WC001: JSON syntax error: JSON nested too deeply\n    hint: {QUERY_IS}\n"
    )


def test_the_file_name_stays_escaped(
    app: typer.Typer, runner: CliRunner, example_catalog: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "q\x1b[2J\n.jsonl"
    queries.write_text("nope\n")
    code, _, err = _who_can(runner, app, queries, example_catalog)
    assert code == 1 and "\x1b" not in err
    assert err.startswith(f"{tmp_path}/q\\x1b[2J\\n.jsonl:1:1: error WC001: JSON syntax error: ")
