"""Command line: thin wrappers over the pipeline.  Exit 0 ok, 1 catalog problems, 2 usage/internal."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .cliargs import CatalogAlias, CatalogArg, Command, Group, catalog_of, fail_usage, now_option
from .commands import exit_now, internal_error
from .report.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE

app = typer.Typer(
    name="rolecat",
    cls=Group,  # options given at most once (rolecat.cliargs)
    help="Compile a YAML catalog of AWS IAM job-function roles into reviewed Terraform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: flags show no `<bool>` type, required options say [required].
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


NowOpt = Annotated[str | None, now_option("for the catalog's dates (the ends of time-boxed memberships)")]


def parse_now(text: str | None) -> dt.datetime | None:
    from rolecat.model.timeutil import TimeError, parse_instant

    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None


def _version(value: bool) -> None:
    if value:
        from .iam.actions import ActionDB

        typer.echo(f"rolecat {__version__}")
        typer.echo(f"IAM action database: {ActionDB.load().version}")
        from .iam.managed import version as managed_version

        typer.echo(managed_version())
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show versions and exit."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Global options; --debug is read by main(), which catches internal errors."""
    del debug


@app.command(cls=Command)
def validate(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest severity that fails the run.")
    ] = FailOn.error,
    now: NowOpt = None,
) -> None:
    """Check a catalog: schema, references, IAM checks and quotas. Writes nothing."""
    from . import commands
    from .pipeline import UsageError

    catalog = catalog_of(catalog, catalog_opt)
    try:
        code = commands.validate(catalog, format.value, fail_on.value, parse_now(now))
    except UsageError as exc:
        fail_usage(str(exc))
    raise typer.Exit(code)


@app.command("compile", cls=Command)
def compile_(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FOLDER", help="Output folder.")] = Path(
        "build/terraform"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 with a diff when OUT is not up to date.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty folder that has no rolecat manifest.")
    ] = False,
    prune_accounts: Annotated[
        bool,
        typer.Option("--prune-accounts", help="Remove generated files of accounts no longer in the catalog."),
    ] = False,
    now: NowOpt = None,
) -> None:
    """Compile a catalog into one Terraform root module per account."""
    from . import commands
    from .pipeline import UsageError

    catalog = catalog_of(catalog, catalog_opt)
    when = parse_now(now)
    try:
        code = commands.compile_(catalog, out, when, check=check, force=force, prune_accounts=prune_accounts)
    except UsageError as exc:
        fail_usage(str(exc))
    raise typer.Exit(code)


@app.command(cls=Command)
def schema(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Which schema: catalog, users, role, imports or manifest.")
    ] = "catalog",
) -> None:
    """Print the JSON Schema (2020-12) of catalog.yaml, users.yaml, a role file, imports.yaml or manifest.json."""
    from rolecat.load.schema import SCHEMA_NAMES, schema_text

    if name == "manifest":
        from rolecat.targets.terraform.manifest import schema_text as manifest_schema

        sys.stdout.write(manifest_schema())
        return
    if name not in SCHEMA_NAMES:
        fail_usage(f"unknown schema {name!r}; choose one of: {', '.join((*SCHEMA_NAMES, 'manifest'))}")
    for known in SCHEMA_NAMES:
        if known == name:
            sys.stdout.write(schema_text(known))


# Commands defined in this module; a run of one of them leaves the other commands out.
CORE_COMMANDS = frozenset({"validate", "compile", "schema"})


def _invoked(argv: list[str]) -> str | None:
    """The command a command line names: its first word that is not an option (the global
    options are flags, so none takes a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _register_plugins() -> None:
    """Add the commands of the other packages.  Importing them is a third of the start-up of
    ``validate`` and ``compile`` (they pull in the access model, scopedown, adoption and the
    workflow), so a run of a core command skips it; ``--help``, a typo (which click answers
    with the commands it knows) and every other command get them all."""
    if _invoked(sys.argv[1:]) in CORE_COMMANDS:
        return
    from .access.command import register as register_access
    from .adopt.command import register as register_adopt
    from .scopedown.command import register as register_scopedown
    from .usage.command import register as register_usage
    from .workflow.command import register as register_workflow

    register_workflow(app)
    register_scopedown(app)
    register_access(app)
    register_adopt(app)
    register_usage(app)


def main() -> None:
    """Console entry point: no tracebacks for users, exit 2 on internal errors.

    Two per-process costs are skipped.  The cyclic garbage collector is off: a run's
    objects are almost all acyclic and live until the end, so the collector would only
    re-scan them (a third of a large validate).  And the exit does not free every object
    one by one (half a second at 10,000 roles): once the run is over, output is flushed,
    ``atexit`` handlers run, and the process ends with its exit code.
    """
    gc.disable()
    try:
        _main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            exit_now(exc.code or 0)
        raise


def _main() -> None:
    _register_plugins()
    debug = "--debug" in sys.argv[1:]
    if debug:
        os.environ["ROLECAT_DEBUG"] = "1"  # the rule runner re-raises a crashing rule's exception
    try:
        app()  # standalone: usage errors exit 2, typer.Exit carries our codes
    except KeyboardInterrupt:
        typer.echo("rolecat: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        typer.echo(internal_error(exc), err=True)
        sys.exit(EXIT_USAGE)
