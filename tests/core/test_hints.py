"""Hints a person can act on: YAML syntax errors (L002) say where the indentation broke,
naming errors (S005) say the rule in words with a valid example, and a compact date in
`until` gets the right spelling, not a quote that fails next."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rolecat.load.hints import PATTERNS, pattern_hint
from rolecat.load.source import load_yaml_text
from rolecat.model.timeutil import TimeError, parse_instant, suggest_instant

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "src" / "rolecat" / "schemas"


def l002(text: str) -> tuple[str, str, int]:
    _, diags = load_yaml_text(text, "f.yaml")
    (diag,) = diags
    assert diag.code == "L002" and diag.location is not None and diag.hint
    return diag.message, diag.hint, diag.location.line


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        (
            "name: Bad\nkind: human\n  accounts: [prod]\n",
            3,
            "indented 2 spaces, more than the key on line 2",
            "by 0 spaces",
        ),
        ("m:\n  - user: a\n     until: b\n", 3, "more than the key on line 2 (4 spaces)", "by 4 spaces"),
        ("d:\n  a: 1\n b: 2\n", 3, "indented 1 space", "indentation in use above: 0, 2 spaces"),
        ("m:\n  - user: a\n    until: b\n   - user: c\n", 4, "list that starts on line 2", "2 spaces"),
        # a key in the items' column: the item's next key belongs past its `- `
        (
            "m:\n  - user: a\n  until: b\n",
            3,
            "in the column of the list's `- ` items (2 spaces",
            "by 4 spaces",
        ),
        (
            "m:\n  - user: a\n    until: b\n  - user: c\n    why: d\n  until: e\n",
            6,
            "does not start with `- `",
            "item of line 4 another key, indent line 6 by 4 spaces",
        ),
        ("m:\n  -   user: a\n  until: b\n", 3, "from line 2", "by 6 spaces"),
        # blank lines and comments inside the item are skipped on the way up to its `- `
        (
            "m:\n  - user: a\n\n    # why\n    reason: x\n  until: b\n",
            6,
            "from line 2",
            "item of line 2 another key, indent line 6 by 4 spaces",
        ),
        ("description: Ops: on call\n", 1, "a second `: ` on line 1", 'description: "Ops: on call"'),
        ("name: x\n\tkind: human\n", 2, "tab", "spaces only"),
        ('name: "abc\nkind: human\n', 1, "quote opened on line 1 is never closed", "column 7"),
        (
            'name: x\ndescription: "Ops on call\naccounts: [prod]\nowners: ["@acme/ops"]\n',
            2,
            "the double quote opened on line 2 is not closed on that line (YAML reads on to the quote on line 4)",
            "close the quote on line 2, column 14",
        ),
        ('name: x  # "a comment\nkind: human\nkind: x: y\n', 3, "a second `: ` on line 3", "quoted"),
        (
            "name: x\n---\nname: y\n",
            2,
            "holds one YAML document, and line 2 starts another",
            "remove the `---`",
        ),
        ("accounts: [prod, nonprod\nkind: human\n", 2, "[ opened on line 1 is not closed", "]"),
        ("name: x\nkind human\naccounts: [a]\n", 2, "line 2 has no `: `", "key: value"),
    ],
)
def test_yaml_syntax_errors_say_where_and_what(text: str, line: int, message: str, hint: str) -> None:
    got_message, got_hint, got_line = l002(text)
    assert got_message.startswith("YAML syntax error: ")
    assert message in got_message
    assert hint in got_hint
    assert got_line == line


@pytest.mark.parametrize(
    ("text", "line", "column", "hint"),
    [
        ("owners: [@example/security]\n", 1, 10, 'quote it: "@example/security"'),
        ('owners: [ "@a/b", @c/d , "@e/f"]\n', 1, 19, 'quote it: "@c/d"'),
        ("owners: @example/security  # the team\n", 1, 9, 'quote it: "@example/security"'),
        ("owners:\n  - @example/security # x\n  - b\n", 2, 5, 'quote it: "@example/security"'),
        ("owners:\r\n  - @example/ops\r\n", 2, 5, 'quote it: "@example/ops"'),
        ('description: `make "x"` now\n', 1, 14, "quote it: '`make \"x\"` now'"),
        ("description: %d days\n", 1, 14, 'quote it: "%d days"'),
    ],
)
def test_a_value_starting_with_a_reserved_character_is_told_to_be_quoted(
    text: str, line: int, column: int, hint: str
) -> None:
    """``@`` (every GitHub team in ``owners``), a backtick and ``%`` cannot start a plain
    YAML value: the hint quotes the value as written, at its line and column."""
    _, diags = load_yaml_text(text, "f.yaml")
    (diag,) = diags
    assert diag.code == "L002" and diag.location is not None
    assert diag.message.endswith("unless it is quoted (YAML reserves the character)")
    assert (diag.location.line, diag.location.col) == (line, column)
    assert diag.hint == hint
    assert (
        load_yaml_text(text.replace(hint.split(": ", 1)[1][1:-1], hint.split(": ", 1)[1]), "f.yaml")[1] == []
    )


def test_every_schema_pattern_has_words_and_a_valid_example() -> None:
    patterns = set(
        re.findall(
            r'"pattern":\s*"((?:[^"\\]|\\.)*)"', "".join(p.read_text() for p in SCHEMAS.glob("*.json"))
        )
    )
    import json

    patterns = {json.loads(f'"{p}"') for p in patterns}
    assert patterns <= set(PATTERNS), sorted(patterns - set(PATTERNS))
    for pattern, (_, example) in PATTERNS.items():
        value = json.loads(example) if example.startswith('"') else example
        assert re.fullmatch(pattern.strip("^$"), value), (pattern, example)


def test_pattern_hint_names_the_offending_characters() -> None:
    words, hint = pattern_hint("^[A-Za-z0-9_+=,.@-]{1,64}$", "Prod Engineer/x")
    assert "IAM name" in words
    assert hint == "it has a space, a slash; a valid example: ProdEngineer"


@pytest.mark.parametrize(
    ("written", "better"),
    [
        ("20261205", "2026-12-05"),
        ("2026/12/5", "2026-12-05"),
        ("20261205T180000Z", "2026-12-05T18:00:00Z"),
        ("202712051030", "2027-12-05T10:30:00Z"),  # an unquoted number in YAML: read as UTC
        ("20271205103015", "2027-12-05T10:30:15Z"),
        ("2026120518", None),
        ("05.12.2026", None),
    ],
)
def test_suggest_instant(written: str, better: str | None) -> None:
    assert suggest_instant(written) == better
    if better is not None:
        parse_instant(better)  # the suggestion is itself valid
        with pytest.raises(TimeError, match=re.escape(f"write {better}")):
            parse_instant(written)


def validate(tmp_path: Path, edit: tuple[str, str, str]) -> subprocess.CompletedProcess[str]:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    relative, pattern, replacement = edit
    path = catalog / relative
    path.write_text(
        re.sub(pattern, replacement, path.read_text("utf-8"), count=1, flags=re.M), encoding="utf-8"
    )
    return subprocess.run(
        [sys.executable, "-m", "rolecat", "validate", "catalog"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_compact_until_suggests_the_date_not_quotes(tmp_path: Path) -> None:
    proc = validate(tmp_path, ("roles/prod/OnCall.yaml", r"until: \S+", "until: 20261205"))
    assert proc.returncode == 1
    assert "catalog/roles/prod/OnCall.yaml:17:12: error S004:" in proc.stderr
    assert "hint: write the date as YYYY-MM-DD: until: 2026-12-05" in proc.stderr
    assert "quote it" not in proc.stderr


def test_compact_until_with_a_time_suggests_the_utc_instant(tmp_path: Path) -> None:
    proc = validate(tmp_path, ("roles/prod/OnCall.yaml", r"until: \S+", "until: 209912051030"))
    assert proc.returncode == 1
    assert "hint: write the instant as YYYY-MM-DDTHH:MM:SSZ (UTC): until: 2099-12-05T10:30:00Z" in proc.stderr


def test_role_name_with_a_space(tmp_path: Path) -> None:
    proc = validate(tmp_path, ("roles/prod/OnCall.yaml", r"^name: .*$", "name: On Call"))
    assert proc.returncode == 1
    assert (
        "catalog/roles/prod/OnCall.yaml:6:7: error S005: name: 'On Call' is not valid: an IAM name"
        in proc.stderr
    )
    assert "hint: it has a space; a valid example: ProdEngineer" in proc.stderr
    assert "{1,64}" not in proc.stderr


def test_broken_users_yaml_reports_no_c012_cascade(tmp_path: Path) -> None:
    # docs/catalog.md: a users.yaml that fails its schema gives no C012 for the members
    proc = validate(tmp_path, ("users.yaml", r"^users:", "userz:"))
    assert proc.returncode == 1
    assert "users.yaml:7:1: error S003: missing required key 'users'" in proc.stderr
    assert "C012" not in proc.stderr


def test_a_person_s_name_gets_a_person_s_example(tmp_path: Path) -> None:
    proc = validate(tmp_path, ("users.yaml", r"^  frank:", "  'frank smith':"))
    assert proc.returncode == 1
    assert "users: 'frank smith' is not valid: an IAM name" in proc.stderr
    assert "hint: it has a space; a valid example: jane.doe" in proc.stderr


def test_an_account_name_cannot_start_with_a_hyphen(tmp_path: Path) -> None:
    """``rolecat profiles`` names profiles after accounts, and hints print
    ``aws ... --profile <org>-<account>``: a leading hyphen would make the AWS CLI read
    the profile name as an option."""
    proc = validate(tmp_path / "a", ("catalog.yaml", r"^  nonprod:", "  -nonprod:"))
    assert proc.returncode == 1
    assert "not starting with a hyphen" in proc.stderr and "prod-eu" in proc.stderr
    proc = validate(tmp_path / "b", ("catalog.yaml", r"^organization: .*$", "organization: -acme"))
    assert proc.returncode == 1
    assert "organization: '-acme' is not valid" in proc.stderr


def test_a_repeated_list_entry_is_named_at_its_repeat(tmp_path: Path) -> None:
    proc = validate(
        tmp_path,
        (
            "roles/prod/ProdEngineer.yaml",
            r"^members: \[bob, carol, dave\]",
            "members: [bob, carol, dave, bob]",
        ),
    )
    assert proc.returncode == 1
    assert (
        "ProdEngineer.yaml:11:29: error S009: members: 'bob' is listed twice (items 1 and 4)" in proc.stderr
    )


@pytest.mark.parametrize(
    "text",
    [
        'name: x\ndescription: read,"write\nowners: ["@acme/ops"]\nkind: human\n  accounts: [prod]\n',
        'name: x\ndescription: >\n  He said: "use the\n  ops role"\nkind: human\n  accounts: [prod]\n',
        'name: x\ndescription: "Ops\n  on call"\nkind: human\n  accounts: [prod]\n',
        'name: x\ndescription: \'a, "b\'\nowners: ["@acme/ops"]\nkind: human\n  accounts: [prod]\n',
    ],
)
def test_a_quote_inside_valid_yaml_is_never_blamed(text: str) -> None:
    """Only a double-quoted scalar that spans lines and closes on the error's line is an
    unclosed quote: not a quote inside a plain, single-quoted or block scalar, nor a valid
    multi-line quoted scalar before an unrelated error."""
    message, _, _ = l002(text)
    assert "double quote" not in message
