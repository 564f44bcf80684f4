"""The catalog folder on the command line, the same way in every command.

Commands whose only input is the catalog (validate, compile, plan, apply, escalations,
profiles, codeowners) take it as an optional argument, as the spec writes them
(``rolecat validate [CATALOG]``); every other command takes ``-c/--catalog``.  So that a
person who learned one form is not refused by the other, the first kind accepts
``-c/--catalog`` too; naming two different folders is a usage error (exit 2).

Only typer is imported here: ``rolecat --help`` loads this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CATALOG = Path("catalog")

# A --days option is at most a century: any longer window reaches back before CloudTrail (and past
# the dates Python can count back to from a far --now).
MAX_DAYS = 36_500

CatalogOpt = Annotated[Path, typer.Option("--catalog", "-c", metavar="FOLDER", help="Catalog folder.")]
"""The catalog of a command whose arguments are something else (explain, scopedown...)."""

CatalogArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="CATALOG", help="Catalog folder (or -c FOLDER).  [default: catalog]", show_default=False
    ),
]
CatalogAlias = Annotated[
    Path | None,
    typer.Option("--catalog", "-c", metavar="FOLDER", help="The same as the CATALOG argument."),
]


def catalog_of(argument: Path | None, option: Path | None) -> Path:
    """The catalog folder named by the argument or by -c (default ``catalog``)."""
    if argument is not None and option is not None and not _same(argument, option):
        raise typer.BadParameter(
            f"the catalog is named twice, as {argument} and as -c {option}: give one",
            param_hint="'CATALOG' / '-c'",
        )
    return argument or option or DEFAULT_CATALOG


def _same(a: Path, b: Path) -> bool:
    try:
        return a == b or a.resolve() == b.resolve()
    except OSError:
        return False
