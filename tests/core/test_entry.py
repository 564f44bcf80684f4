"""rolecat.entry and the early load: the catalog folder read off a command line is the one
the command then loads, or nothing; a load started early is taken over only for that
folder, gives the same sources, and is stopped otherwise (a usage error included)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given
from hypothesis import strategies as st

from rolecat import cli, entry
from rolecat.cliargs import catalog_of
from rolecat.load import discover

from .conftest import Started

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")


@pytest.fixture(autouse=True)
def _jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLECAT_JOBS", raising=False)


def _command(name: str) -> Any:
    """The click command of ``name`` (click or typer's own copy of it, by typer's version)."""
    return typer.main.get_command(cli.app).commands[name]  # type: ignore[attr-defined]


def _click_exceptions(command: Any) -> Any:
    base = next(
        c for c in type(command).__mro__ if c.__name__ == "Command" and c.__module__.endswith("click.core")
    )
    return importlib.import_module(base.__module__.rsplit(".", 1)[0] + ".exceptions")


def test_the_option_tables_are_the_commands_own() -> None:
    """Every option of validate and compile is in the entry point's tables, as taking a
    value or not; the global options before the command are flags."""
    for name in entry.VALUE_OPTIONS:
        values: set[str] = set()
        flags: set[str] = set()
        for param in _command(name).params:
            if param.param_type_name == "option":
                (flags if param.is_flag else values).update([*param.opts, *param.secondary_opts])
        assert values == entry.VALUE_OPTIONS[name], name
        assert flags == entry.FLAGS[name], name
    group = typer.main.get_command(cli.app)
    global_options = [p for p in group.params if p.param_type_name == "option"]
    assert all(p.is_flag for p in global_options)
    assert {o for p in global_options for o in p.opts} >= entry.GLOBAL_FLAGS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate"], "catalog"),
        (["validate", "cat"], "cat"),
        (["validate", "cat/"], "cat"),
        (["--debug", "compile", "-o", "out", "cat", "--now", "2026-01-01"], "cat"),
        (["compile", "--out=out", "--check", "cat"], "cat"),
        (["validate", "-fjson", "cat"], "cat"),
        (["validate", "--format", "json"], "catalog"),
        (["validate", "--help"], None),
        (["validate", "-h", "cat"], None),
        (["validate", "a", "b"], None),
        (["validate", "--", "cat"], None),
        (["validate", "-c", "cat"], "cat"),
        (["compile", "--catalog=cat", "--check"], "cat"),
        (["validate", "-ccat"], "cat"),
        (["validate", "cat", "-c", "cat"], None),
        (["validate", "a", "-c", "b"], None),
        (["validate", "-c"], None),
        (["validate", "--bogus", "cat"], None),
        (["escalations", "cat"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_the_catalog_a_command_line_names(argv: list[str], expected: str | None) -> None:
    assert entry.catalog_argument(argv) == (None if expected is None else Path(expected))


_TOKENS = {
    "validate": [
        ["--format", "json"],
        ["-f", "text"],
        ["-fsarif"],
        ["--format=json"],
        ["--fail-on", "warning"],
        ["-c", "cat"],
        ["--catalog=d"],
    ],
    "compile": [
        ["-o", "x"],
        ["--out", "y"],
        ["-oz"],
        ["--out=w"],
        ["--check"],
        ["--force"],
        ["--prune-accounts"],
        ["--catalog", "e"],
        ["-ca/b"],
    ],
}


@given(
    command=st.sampled_from(sorted(_TOKENS)),
    picks=st.lists(st.integers(0, 8), max_size=4),
    catalogs=st.lists(st.sampled_from(["cat", "a/b", "./c", "--now", "-", "validate"]), max_size=2),
    now=st.sampled_from([[], ["--now", "2026-01-01"], ["--now=2026-01-01"]]),
    position=st.integers(0, 4),
)
def test_a_guess_is_what_the_command_parses(
    command: str, picks: list[int], catalogs: list[str], now: list[str], position: int
) -> None:
    """Whenever the entry point names a folder, click parses the same command line to the
    same CATALOG (anything it cannot read with certainty, it leaves alone)."""
    tokens = _TOKENS[command]
    options = [t for i in picks for t in tokens[i % len(tokens)]] + now
    args = options[:position] + catalogs + options[position:]
    guess = entry.catalog_argument([command, *args])
    cmd = _command(command)
    errors = _click_exceptions(cmd)
    try:
        ctx = cmd.make_context(command, list(args), resilient_parsing=False)
    except errors.ClickException:
        return  # a usage error: the guess, if any, is dropped at exit
    try:
        parsed = catalog_of(
            *(None if v is None else Path(v) for v in (ctx.params["catalog"], ctx.params["catalog_opt"]))
        )
    except typer.BadParameter:
        return  # named twice: a usage error
    if guess is not None:
        assert guess == parsed


_PLAIN_TOKENS = {
    "validate": [
        ["--format", "json"],
        ["-f", "sarif"],
        ["-f", "JSON"],
        ["--fail-on", "warning"],
        ["--fail-on", "info"],
        ["-c", "cat"],
        ["--catalog", "d"],
        ["-fjson"],
        ["--now", "2026-01-01"],
        ["--now", "-1"],
        ["--now", ""],
        ["--debug"],
        ["-h"],
        ["--"],
    ],
    "compile": [
        ["-o", "x"],
        ["--out", "y"],
        ["--out=w"],
        ["--check"],
        ["--force"],
        ["--prune-accounts"],
        ["--catalog", "e"],
        ["-c", "cat"],
        ["--now", "2026-01-01T00:00:00Z"],
        ["-o", "a\x1b[31mb"],
        ["-o", "-"],
        ["--check", "--check"],
    ],
}


@given(
    command=st.sampled_from(sorted(_PLAIN_TOKENS)),
    picks=st.lists(st.integers(0, 13), max_size=4),
    catalogs=st.lists(st.sampled_from(["cat", "a/b", "./c", "validate", "x\u202ey", "-"]), max_size=2),
    debug=st.booleans(),
    position=st.integers(0, 4),
)
def test_a_plain_command_line_is_read_as_typer_reads_it(
    command: str, picks: list[int], catalogs: list[str], debug: bool, position: int
) -> None:
    """Whatever the entry point runs itself, click parses to the same values: the catalog,
    every option (typer's default where it is absent) and every flag; and click takes it
    without a usage error."""
    tokens = _PLAIN_TOKENS[command]
    options = [t for i in picks for t in tokens[i % len(tokens)]]
    args = options[:position] + catalogs + options[position:]
    plain = entry.plain_command(["--debug", command, *args] if debug else [command, *args])
    if plain is None:
        return
    assert (plain.command, plain.debug) == (command, debug)
    cmd = _command(command)
    ctx = cmd.make_context(command, list(args), resilient_parsing=False)  # a usage error fails the test
    params = ctx.params
    catalog = catalog_of(
        *(None if v is None else Path(v) for v in (params["catalog"], params["catalog_opt"]))
    )
    assert Path(plain.values.get("catalog", "catalog")) == catalog
    assert plain.values.get("now") == params["now"]
    if command == "validate":
        assert plain.values.get("format", "text") == getattr(params["format"], "value", params["format"])
        assert plain.values.get("fail_on", "error") == getattr(params["fail_on"], "value", params["fail_on"])
    else:
        assert Path(plain.values.get("out", "build/terraform")) == Path(params["out"])
        assert {f.lstrip("-").replace("-", "_") for f in plain.flags} == {
            k for k in ("check", "force", "prune_accounts") if params[k]
        }


@pytest.mark.parametrize(
    ("argv", "plain"),
    [
        (["validate"], True),
        (["validate", "cat", "--now", "2026-01-01", "--format", "json", "--fail-on", "warning"], True),
        (["--debug", "compile", "cat", "-o", "out", "--check", "--force", "--prune-accounts"], True),
        (["compile", "-c", "cat", "--out", "o w"], True),  # a space is printable
        (["validate", "cat", "-c", "cat"], False),  # named twice: typer decides
        (["validate", "--format=json"], False),
        (["validate", "-f", "JSON"], False),  # click's choices are case-sensitive
        (["compile", "-o", "a\x1b[2Jb"], False),  # click strips escapes from what it echoes
        (["compile", "-o", "a\u202eb"], False),
        (["compile", "-o", ""], False),
        (["compile", "--force", "--force"], False),
        (["validate", "-f", "json", "--format", "json"], False),  # twice: typer refuses it
        (["validate", "--help"], False),
        (["validate", "cat", "--debug"], False),
        (["escalations", "cat"], False),
        ([], False),
    ],
)
def test_plain_command_lines(argv: list[str], plain: bool) -> None:
    assert (entry.plain_command(argv) is not None) is plain


# An option given twice: the entry point leaves it to typer, which refuses it, the same value or not.
_REPEATED = [
    ("validate", "cat", "--now", "2026-01-01", "-f", "json", "--format", "json"),
    ("validate", "cat", "--now", "2026-01-01", "--now", "2026-01-02"),
    ("compile", "cat", "-o", "out", "-o", "other", "--now", "2026-01-01"),
    ("compile", "cat", "-o", "out", "--check", "--check", "--now", "2026-01-01"),
    ("compile", "-c", "cat", "--catalog", "cat", "-o", "out", "--now", "2026-01-01"),
]
# Usage errors the command finds (pipeline.UsageError) or typer does (--now): the entry point
# leaves them to typer, which says them with click's hint naming the command.
_USAGE = [
    ("validate", "--now", "2026-01-01"),  # no catalog/ here
    ("validate", "nowhere", "--now", "2026-01-01"),
    ("--debug", "validate", "cat/catalog.yaml", "-f", "json", "--now", "2026-01-01"),  # not a folder
    ("validate", "cat", "--now", "bogus"),
    ("compile", "cat", "-o", "cat/inside"),
    ("compile", "nowhere", "-o", "out", "--now", "2026-01-01"),
    ("compile", "-c", "cat", "-o", ".", "--check", "--now", "2026-01-01"),  # OUT holds the catalog
]
_SAME_AS_TYPER = [
    ("validate", "cat", "--now", "2026-01-01"),
    ("validate", "cat", "--now", "2026-01-01", "-f", "json"),
    ("validate", "cat", "--now", "2026-01-01", "-f", "sarif", "--fail-on", "warning"),
    ("compile", "cat", "-o", "out", "--now", "2026-01-01"),
    ("compile", "cat", "-o", "out", "--check", "--now", "2026-01-01"),
    *_USAGE,
    *_REPEATED,
]

_DIRECT = """
import atexit, sys
atexit.register(lambda: print("typer imported", "typer" in sys.modules, file=sys.stderr))
sys.argv = ["rolecat", *sys.argv[1:]]
from rolecat.entry import main
main()
"""
_TYPER_ONLY = """
import sys
sys.argv = ["rolecat", *sys.argv[1:]]
from rolecat.cli import main
main()
"""


@pytest.mark.parametrize("clean", [False, True])
@pytest.mark.parametrize("args", _SAME_AS_TYPER)
def test_the_direct_path_prints_and_exits_as_typer(
    tmp_path: Path, args: tuple[str, ...], clean: bool
) -> None:
    """The entry point, which runs these without importing typer (except the usage errors,
    which typer reports), and typer's path give the same exit code, stdout and stderr, for
    a catalog in error, a clean one and none; a usage error ends with click's hint."""
    cat = _catalog(tmp_path, 2)
    if clean:
        shutil.rmtree(cat / "roles" / "extra")
    results = []
    for code in (_DIRECT, _TYPER_ONLY):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        run = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        results.append((run.returncode, run.stdout, run.stderr))
    (code, out, err), typer_run = results
    err, _, marker = err.rstrip("\n").rpartition("\n")
    to_typer = args in _USAGE or args in _REPEATED
    assert marker == f"typer imported {to_typer}"
    assert (code, out, err + "\n" if err else err) == typer_run
    assert code in (0, 1, 2) and (code == 2) == to_typer
    if to_typer:
        command = next(a for a in args if a != "--debug")
        first, hint = err.split("\n")
        assert first.startswith("rolecat: ") and hint == f"Try 'rolecat {command} -h' for help."
    if args in _REPEATED:
        assert "is given more than once" in err and "give it once" in err


def _catalog(tmp: Path, roles: int) -> Path:
    """The example catalog with ``roles`` more role files, one of them broken, and a stray
    file in roles/ (diagnostics from loading and from the walker, in order)."""
    cat = tmp / "cat"
    shutil.copytree(ROOT / "catalog", cat)
    extra = cat / "roles" / "extra"
    extra.mkdir()
    for i in range(roles):
        (extra / f"Extra{i:03d}.yaml").write_text(
            f"name: Extra{i:03d}\ndescription: extra\naccounts: [nonprod]\nowners: ['@acme/platform']\n"
        )
    (extra / "Broken.yaml").write_text("name: [unclosed\n")
    (extra / "Stray.yml").write_text("name: Stray\n")
    return cat


@linux_only
def test_an_early_load_is_taken_over_with_the_same_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    cat = _catalog(tmp_path, 30)
    monkeypatch.chdir(tmp_path)
    discover.start_early(Path("cat"))
    assert starts and starts[0].forked
    early = discover.discover(Path("cat"), "cat")
    assert not discover._early  # taken over
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    alone = discover.discover(Path("cat"), "cat")
    assert repr(early) == repr(alone)
    assert {d.code for d in alone.diagnostics} >= {"L002", "C030"}  # broken YAML, stray file
    assert cat.is_dir()


@linux_only
def test_an_early_load_of_another_folder_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    _catalog(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    discover.start_early(Path("cat"))
    found = discover.discover(ROOT / "catalog", "catalog")
    assert not discover._early
    child = starts[0].pid
    assert child is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # killed and reaped
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    assert repr(found) == repr(discover.discover(ROOT / "catalog", "catalog"))


@linux_only
def test_a_folder_shown_another_way_is_loaded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same folder under another display name is not the early load's: its
    diagnostics would name files differently."""
    _catalog(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    discover.start_early(Path("cat"))
    found = discover.discover(Path("cat"), "elsewhere/cat")
    assert not discover._early
    assert all(d.location is None or d.location.path.startswith("elsewhere/cat/") for d in found.diagnostics)


_PROBE = """
import os, sys
from rolecat import entry
from rolecat.load import discover
real_start, real_claim = discover.start_early, discover._claim
def start_early(root):
    real_start(root)
    for early in discover._early:
        print("early child", early.ends._pending._pid, file=sys.stderr, flush=True)
def claim(root, shown):
    found = real_claim(root, shown)
    print("claimed", found is not None, file=sys.stderr, flush=True)
    return found
discover.start_early, discover._claim = start_early, claim
if os.environ.get("PROBE_SLOW_CHILD"):  # the child would load for a minute
    me, real_settings = os.getpid(), discover._load_settings
    def slow(walker):
        if os.getpid() != me:
            import time
            time.sleep(60)
        return real_settings(walker)
    discover._load_settings = slow
sys.argv = ["rolecat", *sys.argv[1:]]
entry.main()
"""


def _run(
    tmp_path: Path, *args: str, jobs: bool = True, slow: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ROLECAT_JOBS"}
    if slow:
        env["PROBE_SLOW_CHILD"] = "1"
    if not jobs:
        env["ROLECAT_JOBS"] = "1"
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@linux_only
def test_the_entry_point_loads_early_with_the_same_result(tmp_path: Path) -> None:
    _catalog(tmp_path, 5)
    args = ("validate", "cat", "--now", "2026-11-28", "--format", "json")
    early = _run(tmp_path, *args)
    assert "claimed True" in early.stderr, early.stderr
    alone = _run(tmp_path, *args, jobs=False)
    assert "early child" not in alone.stderr and "claimed False" in alone.stderr
    assert (early.returncode, early.stdout) == (alone.returncode, alone.stdout)
    assert early.returncode == 1 and '"L002"' in early.stdout


@linux_only
@pytest.mark.parametrize(
    "args",
    [
        ("validate", "cat", "--now", "not-a-date"),
        ("compile", "cat", "-o", "cat/inside"),
        ("compile", "cat", "--bogus", "x"),
    ],
)
def test_a_usage_error_stops_the_early_load(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The child (made to load for a minute) is stopped and reaped when the command ends
    in a usage error: nothing is left running."""
    _catalog(tmp_path, 3)
    run = _run(tmp_path, *args, slow=True)
    assert run.returncode == 2, run.stderr
    if "--bogus" in args:
        assert "early child" not in run.stderr  # an option it does not know: no guess
        return
    pid = int(run.stderr.split("early child ", 1)[1].split()[0])
    assert not Path(f"/proc/{pid}").exists()


def test_help_starts_nothing(tmp_path: Path) -> None:
    _catalog(tmp_path, 1)
    run = _run(tmp_path, "validate", "cat", "--help")
    assert run.returncode == 0 and "early child" not in run.stderr and "Usage" in run.stdout
