"""drift and import: what a new user gets wrong in ``NAME=FILE``, said as such.

An export that is not JSON is a finding at its line and column, worded as the catalog's own
JSON errors, with what the file should be; a folder named as a file is a usage error, as a
file that is not there; an account name that is not the catalog's gets the closest one."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from adopt_factory import CATALOG, NOW, export_of

from rolecat.adopt.expected import expected_accounts
from rolecat.pipeline import load_catalog

EXPORT_IS = (
    "an export is what aws iam get-account-authorization-details --output json prints, one file per account"
)


def _usage_error(done: subprocess.CompletedProcess[str], command: str) -> str:
    """The message of a usage error: exit 2, nothing on stdout, the message and the hint."""
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    message, hint = done.stderr.splitlines()
    assert hint.startswith("Try '") and hint.endswith(f"rolecat {command} -h' for help."), hint
    return message


def _rolecat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args, "--now", "2026-12-01"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def prod_export() -> dict[str, Any]:
    cat, diags = load_catalog(CATALOG, NOW)
    assert cat is not None, diags
    return export_of(expected_accounts(cat)["prod"])


@pytest.mark.parametrize("command", ["drift", "import"])
@pytest.mark.parametrize(
    ("content", "said"),
    [
        # an AWS CLI config where the export should be: no "not JSON: Expecting value: line 1
        # column 1 (char 0)" without a place
        (
            "[default]\nregion = eu-west-1\n",
            f"e.json:1:2: error X001: JSON syntax error: unexpected character 'd'\n    hint: {EXPORT_IS}\n",
        ),
        (
            "nope\n",
            f"e.json:1:1: error X001: JSON syntax error: unexpected character 'n'\n    hint: {EXPORT_IS}\n",
        ),
        # an export cut short: where it ends
        (
            '{\n    "RoleDetailList": [\n        {\n',
            f"e.json:4:1: error X001: JSON syntax error: unexpected end of file\n    hint: {EXPORT_IS}\n",
        ),
        # edited by hand: the likely mistake, at its place
        (
            '{\n  "RoleDetailList": [],\n  "Policies": [],\n}\n',
            "e.json:4:1: error X001: JSON syntax error: expected a quoted key\n"
            "    hint: remove the comma on line 3, column 17: JSON allows none after the last item\n",
        ),
    ],
)
def test_an_export_that_is_not_json_is_placed_and_said_in_words(
    tmp_path: Path, command: str, content: str, said: str
) -> None:
    (tmp_path / "e.json").write_text(content)
    done = _rolecat(
        command,
        "-c",
        str(CATALOG),
        "prod=e.json",
        *(["--dry-run"] if command == "import" else []),
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", said)


def test_the_file_name_of_an_export_that_is_not_json_stays_escaped(tmp_path: Path) -> None:
    """The file name comes from a pull request: a terminal control sequence or a line break
    in it is printed escaped, as before."""
    name = "e\x1b[2J\n::error::x.json"
    (tmp_path / name).write_text("nope")
    done = _rolecat("drift", "-c", str(CATALOG), f"prod={name}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        "e\\x1b[2J\\n::error::x.json:1:1: error X001: JSON syntax error: unexpected character 'n'\n"
        f"    hint: {EXPORT_IS}\n"
    )


def test_a_policy_document_in_the_export_that_is_not_json_is_said_in_words(
    tmp_path: Path, prod_export: dict[str, Any]
) -> None:
    """A document inside the export (URL-encoded, as IAM returns it) has no place of its own
    in the file: the place in the document, after the words, not Python's "(char 13)"."""
    export = json.loads(json.dumps(prod_export))
    role = export["RoleDetailList"][0]
    role["AssumeRolePolicyDocument"] = "%7B%22Version%22%3A%20%222012-10-17%22%2C%7D"
    (tmp_path / "e.json").write_text(json.dumps(export))
    done = _rolecat("drift", "-c", str(CATALOG), "prod=e.json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"e.json: error X001: role {role['RoleName']} trust policy: not a JSON policy document: "
        "expected a quoted key (line 1, column 26 of the document)\n"
    )


@pytest.mark.parametrize("command", ["drift", "import"])
def test_a_folder_named_as_an_export_is_a_usage_error(tmp_path: Path, command: str) -> None:
    """A folder was read as an export: 'catalog: error X001: not a readable file', exit 1;
    a file that is not there is a usage error (exit 2), and so is a folder now."""
    done = _rolecat(command, "-c", str(CATALOG), f"prod={CATALOG}", cwd=tmp_path)
    assert _usage_error(done, command) == f"rolecat: an export: a folder, not a file: {CATALOG}"
    missing = _rolecat(command, "-c", str(CATALOG), "prod=nowhere.json", cwd=tmp_path)
    assert _usage_error(missing, command) == "rolecat: an export: no such file: nowhere.json"


def test_a_folder_named_as_another_input_is_a_usage_error(
    tmp_path: Path, prod_export: dict[str, Any]
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(prod_export))
    (tmp_path / "roles").mkdir()
    done = _rolecat("drift", "-c", str(CATALOG), "prod=e.json", "--get-role", "prod=roles", cwd=tmp_path)
    assert _usage_error(done, "drift") == "rolecat: --get-role: a folder, not a file: roles"


@pytest.mark.parametrize("command", ["drift", "import"])
@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("prd", "did you mean 'prod'?"),
        ("PROD", "did you mean 'prod'?"),
        ("staging", "accounts: nonprod, prod, security"),
    ],
)
def test_an_account_that_is_not_the_catalogs_gets_the_closest_one(
    tmp_path: Path, command: str, name: str, hint: str
) -> None:
    """'prd is not an account of catalog (nonprod, prod, security)' left the user to spot
    the typo; plan, who-can and explain offered 'did you mean' for the same mistake."""
    (tmp_path / "e.json").write_text("{}")
    done = _rolecat(command, "-c", str(CATALOG), f"{name}=e.json", cwd=tmp_path)
    assert _usage_error(done, command) == f"rolecat: {name} is not an account of {CATALOG}; {hint}"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        # it said "cannot read: 'utf-8' codec can't decode byte 0xe9 in position 8: invalid continuation byte"
        (
            b'{"a":\n "\xe9t\xe9"}',
            f"e.json:2:3: error X001: file is not valid UTF-8 (byte 0xe9 at offset 8)\n    hint: {EXPORT_IS}\n",
        ),
        (
            "{}".encode("utf-16"),
            "e.json:1:1: error X001: file is not valid UTF-8 (byte 0xff at offset 0)\n"
            "    hint: the file is UTF-16 (as Windows PowerShell's > writes it): save it as UTF-8\n",
        ),
    ],
)
def test_an_export_that_is_not_utf8_is_said_as_the_catalogs(tmp_path: Path, raw: bytes, said: str) -> None:
    (tmp_path / "e.json").write_bytes(raw)
    done = _rolecat("drift", "-c", str(CATALOG), "prod=e.json", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", said)


WITHOUT_FILTER = (
    "run aws iam get-account-authorization-details --output json without --filter: "
    "it lists all four (UserDetailList, GroupDetailList, RoleDetailList, Policies)"
)
EVERY_PAGE = (
    "run aws iam get-account-authorization-details --output json without --max-items "
    "or --no-paginate: the AWS CLI then fetches every page"
)


def _roles_only(export: dict[str, Any]) -> dict[str, Any]:
    """What --filter Role saves."""
    return {"RoleDetailList": export["RoleDetailList"]}


def _first_page(export: dict[str, Any]) -> dict[str, Any]:
    """What --no-paginate saves of an account with more than one page: the API's own."""
    page = copy.deepcopy(export)
    page["RoleDetailList"] = page["RoleDetailList"][:1]
    return {**page, "IsTruncated": True, "Marker": "AAEAAb2eXampleMarker"}


def _first_items(export: dict[str, Any]) -> dict[str, Any]:
    """What --max-items 1 saves: the AWS CLI's token for the next page instead."""
    page = copy.deepcopy(export)
    page["RoleDetailList"] = page["RoleDetailList"][:1]
    return {**page, "NextToken": "eyJNYXJrZXIiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ=="}


@pytest.mark.parametrize("command", ["drift", "import"])
@pytest.mark.parametrize(
    ("cut", "said"),
    [
        # drift said 'policy ReaderBoundary: missing: ... does not exist in AWS', import that a
        # role's boundary 'is not a customer managed policy of this account'
        (
            _roles_only,
            "e.json: error X001: a partial export: no UserDetailList, GroupDetailList or Policies; "
            f"what it lacks would be said to be missing in AWS\n    hint: {WITHOUT_FILTER}\n",
        ),
        # drift said the roles on later pages are missing in AWS
        (
            _first_page,
            "e.json: error X001: a truncated export (IsTruncated and Marker): it holds one page only, "
            f"and what is on later pages would be said to be missing in AWS\n    hint: {EVERY_PAGE}\n",
        ),
        (
            _first_items,
            "e.json: error X001: a truncated export (NextToken): it holds one page only, "
            f"and what is on later pages would be said to be missing in AWS\n    hint: {EVERY_PAGE}\n",
        ),
    ],
)
def test_a_partial_or_truncated_export_is_refused_and_nothing_is_written(
    tmp_path: Path,
    prod_export: dict[str, Any],
    command: str,
    cut: Any,
    said: str,
) -> None:
    """An export of part of the account compared as the whole: what it lacks was drift, or
    left out of the import as not of this account.  Refused as any bad export (X001, exit 1)."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root)
    (tmp_path / "e.json").write_text(json.dumps(cut(prod_export)))
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    done = _rolecat(command, "-c", str(root), "prod=e.json", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", said)
    assert {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()} == before
