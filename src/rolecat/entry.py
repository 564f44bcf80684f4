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


def main() -> None:
    """Console entry point (``rolecat``, ``python -m rolecat``)."""
    gc.disable()  # as rolecat.cli.main does; before the fork, so that the child runs without it too
    root = catalog_argument(sys.argv[1:])
    if root is not None:
        from rolecat.load import discover

        try:
            discover.start_early(root)
        except Exception:  # a guess never fails a command: it runs as it would without one
            discover.drop_early()
    from rolecat.cli import main as cli_main

    cli_main()
