"""The ``rolecat`` console entry point: start loading the catalog that a ``validate`` or
``compile`` command line names, then run the command line (``rolecat.cli``).

A validate of 1,000 roles spends about a third of its time importing the command-line
layer (typer), the stages after loading and the IAM action database: work that only the
process that runs those stages can do.  Loading the catalog's files can be done by a
child meanwhile (``rolecat.load.discover.start_early``).  So before importing anything
else, the entry point reads the catalog folder off the command line and starts loading
it.  That reading is a guess, made with a table of the options that take a value; the
command then parses its command line as ever, and ``discover`` uses the started load only
for exactly the folder it is asked for.  A wrong guess costs the child's work, never a
different result.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path

# The options of the commands whose first step is loading a catalog, by whether they take
# a value (tests/core/test_entry.py holds this table to the commands in rolecat.cli).
GLOBAL_FLAGS = frozenset({"--debug"})
VALUE_OPTIONS = {
    "validate": frozenset({"--catalog", "-c", "--format", "-f", "--fail-on", "--now"}),
    "compile": frozenset({"--catalog", "-c", "--out", "-o", "--now"}),
}
FLAGS = {
    "validate": frozenset[str](),
    "compile": frozenset({"--check", "--force", "--prune-accounts"}),
}
DEFAULT_CATALOG = "catalog"


def catalog_argument(argv: Sequence[str]) -> Path | None:
    """The catalog folder that ``argv`` (the program's arguments) names for ``validate``
    or ``compile``, as the CATALOG argument or as ``-c/--catalog``; None for any other
    command line and for one this does not read with certainty (``--help``, ``--``, an
    option it does not know, a second argument, a catalog named twice)."""
    i = 0
    while i < len(argv) and argv[i] in GLOBAL_FLAGS:
        i += 1
    if i == len(argv) or argv[i] not in VALUE_OPTIONS:
        return None
    values, flags = VALUE_OPTIONS[argv[i]], FLAGS[argv[i]]
    named: list[str] = []  # the argument and every -c, in order
    args = iter(argv[i + 1 :])
    for arg in args:
        if arg in ("-c", "--catalog"):
            named.append(next(args, ""))
        elif arg.startswith("--catalog="):
            named.append(arg.partition("=")[2])
        elif arg.startswith("-c") and len(arg) > 2:
            named.append(arg[2:])  # -ccat
        elif arg in values:
            next(args, None)  # its value is the next argument
        elif arg.startswith("--") and arg.partition("=")[0] in values:
            pass  # --now=2026-01-01
        elif not arg.startswith("--") and arg[:2] in values and len(arg) > 2:
            pass  # -fjson
        elif arg in flags:
            pass
        elif arg.startswith("-"):
            return None  # an option this does not know
        else:
            named.append(arg)
    if len(named) > 1 or named == [""]:
        return None  # named twice (the command decides whether that is an error), or -c without a value
    return Path(named[0] if named else DEFAULT_CATALOG)


# The command lines the entry point runs itself, without typer (whose import is a fifth of
# a validate of 1,000 roles, all of it before the first stage): validate or compile, each
# option written the one plain way (its value as the next argument), each at most once,
# and the catalog named at most once.  Every other command line goes to typer, which
# parses it as ever and reports its mistakes; tests/core/test_entry.py holds every command
# line taken here to typer's own reading of it.
PLAIN_OPTIONS: dict[str, dict[str, tuple[str, frozenset[str] | None]]] = {
    # option -> (the parameter, its choices or None for any value)
    "validate": {
        "--catalog": ("catalog", None),
        "-c": ("catalog", None),
        "--format": ("format", frozenset({"text", "json", "sarif"})),
        "-f": ("format", frozenset({"text", "json", "sarif"})),
        "--fail-on": ("fail_on", frozenset({"error", "warning"})),
        "--now": ("now", None),
    },
    "compile": {
        "--catalog": ("catalog", None),
        "-c": ("catalog", None),
        "--out": ("out", None),
        "-o": ("out", None),
        "--now": ("now", None),
    },
}
PLAIN_FLAGS = {"validate": frozenset[str](), "compile": frozenset({"--check", "--force", "--prune-accounts"})}


class PlainCommand:
    """A validate or compile command line read by ``plain_command``: the command, whether
    ``--debug`` came first, and the values typer would give its parameters (as strings;
    ``catalog`` also from the argument; absent ones take the commands' defaults)."""

    def __init__(self, command: str, debug: bool, values: dict[str, str], flags: frozenset[str]) -> None:
        self.command = command
        self.debug = debug
        self.values = values
        self.flags = flags


def _plain_text(arg: str) -> bool:
    """A value typer reads as it is written and click echoes unchanged: not empty, no
    leading hyphen, nothing ``str.isprintable`` refuses (control characters such as a
    terminal escape, which click strips from what it echoes; format characters; bytes not
    UTF-8, which arrive as surrogates)."""
    return bool(arg) and not arg.startswith("-") and arg.isprintable()


def plain_command(argv: Sequence[str]) -> PlainCommand | None:
    """``argv`` (the program's arguments) as a plain validate or compile command line, or
    None for anything else: another command, ``--help``, an option written another way
    (``--out=x``, ``-fjson``) or twice, a flag repeated, the catalog named both as the
    argument and with ``-c``, a choice typer would refuse, a value that is empty, starts
    with a hyphen or holds a character ``_plain_text`` refuses."""
    args = list(argv)
    debug = args[:1] == ["--debug"]
    if debug:
        args = args[1:]
    if not args or args[0] not in PLAIN_OPTIONS:
        return None
    command, rest = args[0], iter(args[1:])
    options, known_flags = PLAIN_OPTIONS[command], PLAIN_FLAGS[command]
    values: dict[str, str] = {}
    flags: set[str] = set()
    argument: str | None = None
    for arg in rest:
        if arg in options:
            param, choices = options[arg]
            value = next(rest, "")
            if param in values or not _plain_text(value) or (choices is not None and value not in choices):
                return None
            values[param] = value
        elif arg in known_flags and arg not in flags:
            flags.add(arg)
        elif argument is None and _plain_text(arg):
            argument = arg
        else:
            return None
    if argument is not None:
        if "catalog" in values:
            return None  # named twice: typer says whether that is one folder or a mistake
        values["catalog"] = argument
    return PlainCommand(command, debug, values, frozenset(flags))


def run_plain(plain: PlainCommand) -> None:
    """Run a plain command line as typer runs it (``rolecat.cli.main``), without typer:
    the same function of the parsed values (``rolecat.commands``), the same exit codes and
    messages for an interrupt (130, silent), a closed pipe (1, silent) and an internal
    error (2, or the traceback with --debug).  Returns (for typer to run the command line)
    only for a usage error, which typer says with click's hint naming the command as click
    does: ``--now`` that is not a time, and a ``pipeline.UsageError`` (a CATALOG that is not
    a folder, -o inside the catalog), raised before anything is printed or written."""
    import errno
    import os

    from rolecat import commands
    from rolecat.model.timeutil import TimeError, parse_instant
    from rolecat.pipeline import UsageError
    from rolecat.report.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE

    values = plain.values
    try:
        when = parse_instant(values["now"]) if "now" in values else None
    except TimeError:
        return
    if plain.debug:
        os.environ["ROLECAT_DEBUG"] = "1"  # the rule runner re-raises a crashing rule's exception
    catalog = Path(values.get("catalog", DEFAULT_CATALOG))
    try:
        if plain.command == "validate":
            code = commands.validate(
                catalog, values.get("format", "text"), values.get("fail_on", "error"), when
            )
        else:
            code = commands.compile_(
                catalog,
                Path(values.get("out", "build/terraform")),
                when,
                check="--check" in plain.flags,
                force="--force" in plain.flags,
                prune_accounts="--prune-accounts" in plain.flags,
            )
    except UsageError:
        return
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            if plain.debug:
                raise
            commands.say(commands.internal_error(exc))
            code = EXIT_USAGE
        else:  # a reader that went away (| head): nothing more can be said to it
            import atexit

            atexit._run_exitfuncs()
            os._exit(1)
    except Exception as exc:
        if plain.debug:
            raise
        commands.say(commands.internal_error(exc))
        code = EXIT_USAGE
    commands.exit_now(code)
    sys.exit(code)


def main() -> None:
    """Console entry point (``rolecat``, ``python -m rolecat``)."""
    gc.disable()  # as rolecat.cli.main does; before the fork, so that the child runs without it too
    argv = sys.argv[1:]
    root = catalog_argument(argv)
    if root is not None:
        from rolecat.load import discover

        try:
            discover.start_early(root)
        except Exception:  # a guess never fails a command: it runs as it would without one
            discover.drop_early()
    plain = plain_command(argv)
    if plain is not None:
        run_plain(plain)  # returns only for typer to report a usage error
    from rolecat.cli import main as cli_main

    cli_main()
