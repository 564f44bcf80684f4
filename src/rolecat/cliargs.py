"""What every command's command line shares: the catalog folder, named the same way in every
command, and the command class that reads each option at most once.

Commands whose only input is the catalog (validate, compile, plan, apply, escalations,
profiles, codeowners) take it as an optional argument, as the spec writes them
(``rolecat validate [CATALOG]``); every other command takes ``-c/--catalog``.  So that a
person who learned one form is not refused by the other, the first kind accepts
``-c/--catalog`` too; naming two different folders is a usage error (exit 2).

Every command is a ``Command`` (``app.command(name, cls=Command)``, the group a ``Group``), so
that an option is given at most once unless it is ``multiple`` or a counter: click keeps the
last of two (``profiles -u bob -u alice`` printed alice's profiles alone), which a person who
repeats an option does not expect.

A usage error, whoever finds it (click, typer, or a command: ``fail_usage``), is printed as
``rolecat: message`` and click's hint, ``Try 'rolecat COMMAND -h' for help.``, exit 2.  Exit 2
also ends a run for what no command line fixes (``fail_system``: a file that cannot be
written, terraform not on PATH, git refusing), without the hint, as an internal error.

Only typer is imported here (its own copy of click included, which typer imports anyway):
``rolecat --help`` loads this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer._click.core import Command as ClickCommand
from typer._click.core import Context, Parameter
from typer._click.exceptions import BadOptionUsage, NoArgsIsHelpError, UsageError
from typer._click.globals import get_current_context
from typer._click.parser import _normalize_opt, _OptionParser, _ParsingState
from typer._click.types import IntRange
from typer.core import TyperCommand, TyperGroup

from .report.exit_codes import EXIT_USAGE

DEFAULT_CATALOG = Path("catalog")

# A --days option is at most a century: any longer window reaches back before CloudTrail (and past
# the dates Python can count back to from a far --now).
MAX_DAYS = 36_500


class WholeNumber(IntRange):
    """The type of every integer option (``typer.Option(..., click_type=WholeNumber(min=1))``):
    digits 0-9 only, with a leading ``-`` where the range admits a negative number.  click
    reads its value with ``int()``, which also takes other scripts' digits (``--days ٣`` or
    ``--within ３`` read as 3), a sign, spaces and underscores; rolecat reads numbers in
    digits 0-9 everywhere else (dates, ``--for``, an account id)."""

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        if isinstance(value, str):  # a default is already a number
            negative = self.min is None or self.min < 0
            digits = value[1:] if negative and value.startswith("-") else value
            if not (digits.isascii() and digits.isdigit()):
                sign = " (a - before a negative one)" if negative else ""
                self.fail(f"{value!r} is not a whole number written in digits 0-9{sign}", param, ctx)
            try:
                number = int(value)  # out of range: said in words, where click says "not in the range x>=900"
            except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
                self.fail(f"a number of {len(digits):,} digits is too large", param, ctx)
            if self.min is not None and number < self.min:
                self.fail(f"{number} is below {self.min}, the least it takes", param, ctx)
            if self.max is not None and number > self.max:
                self.fail(f"{number} is above {self.max}, the most it takes", param, ctx)
        return super().convert(value, param, ctx)

    def _describe_range(self) -> str:
        """The range in words for the help (``[900 or more]``), where click writes
        ``[x>=900]``.  No range of rolecat's is open at an end."""
        if self.min is None:
            return f"{self.max} or less"
        if self.max is None:
            return f"{self.min} or more"
        return f"{self.min} to {self.max}"


def now_option(purpose: str, *, zone: bool = True) -> Any:
    """Every command's ``--now``, said one way: what the instant is taken as now for, and
    how it is written (``zone`` False: a command that reads an instant without a zone as
    UTC, as scopedown and usage read log times)."""
    written = (
        "a date (00:00:00Z) or a datetime with Z or an offset"
        if zone
        else "a date or a datetime, in UTC unless it has Z or an offset"
    )
    return typer.Option(
        "--now",
        metavar="WHEN",
        help=f"The instant taken as now {purpose}, instead of the clock: {written}, e.g. 2025-01-31 "
        "or 2025-01-31T12:00:00Z.",
    )


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


class _OncePerOption(_OptionParser):
    """click's parser, refusing the second occurrence of an option that is neither
    ``multiple`` nor a counter (a flag included, and a flag pair given both ways,
    ``--x --no-x``) as a usage error that names the option as the user wrote it.  A flag
    that shows something and exits is the exception: ``-h -h`` or ``-h --help`` shows the
    help, ``-V --version`` the versions, as git and click do."""

    def __init__(self, ctx: Context | None = None) -> None:
        super().__init__(ctx)
        self._given: dict[Parameter, str] = {}  # each option given so far, as it was first written

    def _process_opts(self, arg: str, state: _ParsingState) -> None:
        start = len(state.order)
        super()._process_opts(arg, state)
        # What this word added to state.order, in the order it names them: one long option
        # (--out=x included), or one short option per letter of a group (-vf), up to the
        # first that takes a value.
        name = arg.split("=", 1)[0]
        long = _normalize_opt(name, self.ctx) in self._long_opt
        spellings = [name] if long else [arg[0] + letter for letter in arg[1:]]
        for param, spelling in zip(state.order[start:], spellings, strict=False):
            if _shows_and_exits(param) or getattr(param, "multiple", False) or getattr(param, "count", False):
                continue
            first = self._given.get(param)
            if first is not None:
                also = "" if first == spelling else f" (first as {first})"
                raise BadOptionUsage(
                    spelling, f"{spelling} is given more than once{also}: give it once", self.ctx
                )
            self._given[param] = spelling


def _shows_and_exits(param: Parameter) -> bool:
    """An eager flag, ``--help`` or ``--version``: its callback shows what it shows and
    exits before any other option is read."""
    return param.is_eager and bool(getattr(param, "is_flag", False))


class _Rolecat(ClickCommand):
    """What a rolecat command and group do alike: an option given at most once, and a
    parsing mistake that knows its command (click raises some, such as an option missing
    its value, without one: the message then had no hint)."""

    def make_parser(self, ctx: Context) -> _OptionParser:
        parser = _OncePerOption(ctx)
        for param in self.get_params(ctx):
            param.add_to_parser(parser, ctx)
        return parser

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """The usage line's pieces, a required argument written plain (``ROLE``), as usage
        lines write one, where typer writes a set of one (``{ROLE}``); a choice stays a
        set (``{user|role}``)."""
        return [
            piece[1:-1] if re.fullmatch(r"\{[^{}|]*\}", piece) else piece
            for piece in super().collect_usage_pieces(ctx)
        ]

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            if exc.ctx is None:
                exc.ctx, exc.cmd = ctx, self
            raise


class Command(_Rolecat, TyperCommand):
    """A rolecat command: each option that is not ``multiple`` is given at most once."""


class Group(_Rolecat, TyperGroup):
    """The ``rolecat`` group and its subgroups: their own options, too, at most once each;
    and every usage error click or typer finds, in the group or in a command, printed as
    rolecat prints its own (``rolecat: message``, no ``Usage:`` block), then click's hint."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            _usage_error(exc)


def _usage_error(exc: UsageError) -> NoReturn:
    """Print a usage error of click's as ``rolecat: message`` on stderr, with click's hint
    (``Try 'rolecat validate -h' for help.``), and exit 2.  A bare ``rolecat`` (click's help,
    on stderr) is left as it is."""
    if isinstance(exc, NoArgsIsHelpError):
        raise exc
    # One line, as rolecat's own messages are: begun in lower case, no final full stop ('Missing
    # argument ... Choose from:' lists the choices on lines of their own).
    message = " ".join(line.strip() for line in exc.format_message().splitlines())
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    if message.endswith(".") and not message.endswith(".."):
        message = message[:-1]
    typer.echo(f"rolecat: {message}", err=True)
    _hint(exc.ctx)
    raise typer.Exit(exc.exit_code)


def fail_usage(message: str) -> NoReturn:
    """A mistake in the command line that a command finds itself (a missing or conflicting
    option, a value it refuses, a folder, file or name it gives that is not there): said as
    click's own usage errors are, ``rolecat: message`` on stderr and the hint for the command
    being run (``Try 'rolecat scopedown -h' for help.``), exit 2.  The message is printed
    on one line, its control characters escaped: it quotes paths and names from the
    command line, which a glob or a script may take from files a pull request names."""
    from .report.escape import printable

    typer.echo(f"rolecat: {printable(message)}", err=True)
    _hint(get_current_context(silent=True))
    raise typer.Exit(EXIT_USAGE)


def missing_paths(missing: Sequence[Path]) -> str:
    """The usage error of paths to read that are not there (log files or folders); the
    first that starts with a '~' no shell expanded says so."""
    from .pipeline import unexpanded_home

    home = next((h for m in missing if (h := unexpanded_home("", str(m))) is not None), None)
    if home is not None and len(missing) == 1:
        return home
    listed = "no such file or folder: " + ", ".join(str(m) for m in missing)
    return listed if home is None else f"{listed}; {home}"


def no_such_file(what: str, text: str) -> str:
    """``WHAT: no such file: TEXT``, for a file named inside another value (``NAME=FILE``),
    and why when it starts with a '~' no shell expanded."""
    from .pipeline import unexpanded_home

    home = unexpanded_home("", text)
    return f"{what}: no such file: {text}" + (f"; {home}" if home else "")


def file_to_read(what: str, text: str) -> str | None:
    """The usage error of a file to read named inside another value (``NAME=FILE``): that
    of ``no_such_file`` when it is not there, ``WHAT: a folder, not a file: TEXT`` when it
    is a folder (a link to one included); None when it is neither."""
    if not os.path.lexists(text):
        return no_such_file(what, text)
    if os.path.isdir(text):  # noqa: PTH112 - as refuse_folder
        return f"{what}: a folder, not a file: {text}"
    return None


def refuse_folder(option: str, text: str, what: str) -> Path:
    """The file ``option`` names to write (``text``, as the command line gives it; ``what``:
    "the CODEOWNERS file"), or a usage error before any work when it names a folder: one
    that is there (the write would fail only at the end, as I/O), or one written as a
    folder, with a final ``/`` (``Path`` drops it: ``--write .github/`` wrote a file named
    ``.github``).  A missing parent folder is no mistake (the file's folder is created); a
    write that fails all the same (permissions, a full disk) is ``fail_system``'s."""
    from .pipeline import unexpanded_home

    path = Path(text)
    if not text:  # Path("") is "."
        fail_usage(f"{option} '' names no file: name {what} to write")
    refused = unexpanded_home(option, text)
    if refused is not None:
        fail_usage(refused)
    # os.path.isdir, not Path.is_dir, which raises what stat raises but ENOENT and a few
    # (a name too long for the file system was an internal error): the write says it
    if os.path.isdir(path):  # noqa: PTH112 - see above
        fail_usage(f"{option} {text} is a folder: name {what} to write")
    if text.endswith(("/", "/.")):  # Path("new/.") is Path("new") too
        fail_usage(
            f"{option} {text} names a folder (it ends with {text[text.rindex('/') :]}): name {what} to write"
        )
    return path


def cannot_write(path: Path, exc: OSError, option: str = "") -> str:
    """``cannot write [OPTION ]PATH: why``, for ``fail_system``; when a folder on the way
    to ``path`` is a file (``--write notes.txt/CODEOWNERS``), the why names it, where the
    system's words ("File exists", "Not a directory") would not."""
    what = f"{option} {path}" if option else str(path)
    for folder in reversed(path.parents):
        if os.path.exists(folder) and not os.path.isdir(folder):  # noqa: PTH110, PTH112 - as refuse_folder
            return f"cannot write {what}: {folder} is a file, not a folder"
    return f"cannot write {what}: {exc.strerror or exc}"


def fail_system(message: str) -> NoReturn:
    """Exit 2 for what no command line fixes: a file that cannot be written (or the file
    to be written read), terraform not on PATH, git failing or refusing for the repository's
    state.  ``rolecat: message`` alone, as an internal error: the command's help would not
    help.  A file the command line names to be read is an input: one that cannot be read is
    a usage error, as click's ``File`` type says it."""
    typer.echo(f"rolecat: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _hint(ctx: Context | None) -> None:
    """click's hint for a usage error in the command of ``ctx``, as ``UsageError.show``
    prints it (none for a command without a help option)."""
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        typer.echo(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.", err=True)
