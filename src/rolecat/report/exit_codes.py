"""The one table of exit codes, for every command (docs/architecture.md#exit-codes)."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # success; warnings may have been printed
    FINDINGS = 1  # the catalog has errors, or a command's findings (stale, out of date, failed plan)
    USAGE = 2  # usage errors (bad flags, missing CATALOG, unknown account) and internal errors
    YES = 3  # "the answer is yes" for the --exit-code flag of review commands
    INTERRUPTED = 130  # Ctrl-C


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_YES, EXIT_INTERRUPTED = (
    ExitCode.OK,
    ExitCode.FINDINGS,
    ExitCode.USAGE,
    ExitCode.YES,
    ExitCode.INTERRUPTED,
)
