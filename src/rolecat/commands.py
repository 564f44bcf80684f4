"""``validate`` and ``compile`` as functions of their parsed arguments, returning the exit
code.  Both ways into them call these: the typer commands (``rolecat.cli``) and the entry
point's direct path for a plain command line (``rolecat.entry``), which never imports
typer.  So what they print and how they exit is one piece of code, whichever way in.  A
usage error (``pipeline.UsageError``) is raised to the typer command, which says it with
click's hint (``cliargs.fail_usage``); the direct path leaves such a command line to typer.

Only the standard library is imported here; the stages are imported when a command runs.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import sys
from pathlib import Path

from .report.exit_codes import EXIT_FINDINGS, EXIT_OK


def say(message: str) -> None:
    """A line on stderr, as ``typer.echo(message, err=True)`` writes it: the command lines
    whose values could hold a terminal escape, which click would strip, never take the
    direct path (``rolecat.entry.plain_command``)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def validate(catalog: Path, fmt: str, fail_on: str, when: dt.datetime | None) -> int:
    """``rolecat validate``: the catalog's findings in ``fmt``; 1 when one is at ``fail_on``
    (error or warning) or above.  Raises ``pipeline.UsageError`` before printing anything."""
    from .diagnostics import Severity
    from .pipeline import load_catalog
    from .report.printer import emit, fails

    _, diags = load_catalog(catalog, when)
    emit(diags, fmt, to_stdout=True)
    if fmt == "text" and not diags:
        say(f"{catalog}: ok")
    return EXIT_FINDINGS if fails(diags, Severity.parse(fail_on)) else EXIT_OK


def compile_(
    catalog: Path,
    out: Path,
    when: dt.datetime | None,
    *,
    check: bool = False,
    force: bool = False,
    prune_accounts: bool = False,
) -> int:
    """``rolecat compile``, or with ``check`` ``compile --check`` (writes nothing; 1 with a
    diff when OUT is not up to date).  Raises ``pipeline.UsageError`` before printing or
    writing anything."""
    from .diagnostics import has_errors
    from .pipeline import check_compiled, compile_catalog
    from .report.printer import emit

    if check:
        diags, diff = check_compiled(catalog, out, when)
        emit(diags, "text", to_stdout=False)
        if diff is None:  # the catalog is in error
            return EXIT_FINDINGS
        if diff:
            sys.stdout.write(diff)
        if diff or has_errors(diags):
            errors = {d.code for d in diags if d.is_error}
            steps = []
            if diff or errors - {"W008"}:
                steps.append(f"run rolecat compile {catalog} -o {out}")
            if "W008" in errors:  # compile leaves what it did not write alone
                steps.append("remove what W008 lists")
            say(f"{out} is out of date: {', then '.join(steps)}")
            return EXIT_FINDINGS
        say(f"{out} is up to date")
        return EXIT_OK
    ok, diags = compile_catalog(catalog, out, when, force=force, prune_accounts=prune_accounts)
    emit(diags, "text", to_stdout=False)
    if not ok:
        say("nothing was written")
        return EXIT_FINDINGS
    say(f"compiled {catalog} -> {out}")
    return EXIT_OK


def internal_error(exc: Exception) -> str:
    """What a user sees of a bug (exit 2); ``--debug`` shows the traceback instead."""
    return f"rolecat: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown, if output can be flushed.

    The exit does not free every object one by one (half a second at 10,000 roles): once
    the run is over, output is flushed, ``atexit`` handlers run, and the process ends with
    its exit code.  When output cannot be flushed (a closed pipe), this returns, and the
    normal exit reports it as Python always does."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    os._exit(code)
