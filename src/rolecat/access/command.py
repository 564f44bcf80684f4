"""Command line of the access review: who-can, explain, diff.

``register(app)`` adds the commands.  Exit codes: 0 ran, 1 catalog errors (or a ``--queries`` file's), 2 usage or
internal error, 3 "the answer is yes" for ``diff --exit-code`` (access grows).
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rolecat.report.escape import printable
from rolecat.report.words import counted

from ..cliargs import CatalogOpt, Command, fail_system, fail_usage, now_option

if TYPE_CHECKING:
    from rolecat.diagnostics import Diagnostic

    from .model import AccessModel

EXIT_OK, EXIT_FINDINGS, EXIT_YES = 0, 1, 3

# An empty resource names nothing AWS requests on; read as one, it matched only Resource "*"
# statements while who-can's summary said "can ACTION", the question asked without RESOURCE.
EMPTY_RESOURCE = "RESOURCE is empty: give the request's resource (or *), or leave RESOURCE out"


class Format(enum.StrEnum):
    text = "text"
    json = "json"


class DiffFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class Kind(enum.StrEnum):
    user = "user"
    role = "role"


AccountOpt = Annotated[str | None, typer.Option("--account", metavar="NAME", help="Only this account.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
NowOpt = Annotated[str | None, now_option("for which time-boxed memberships are in force")]


def _batch() -> None:
    """These commands build large object graphs once and exit: the cyclic garbage
    collector would rescan them on every allocation burst (a third of a diff's time on
    1,000 roles) and finds nothing to free, so it is switched off for the run."""
    import gc

    gc.disable()


def _now(text: str | None) -> dt.datetime:
    from rolecat.model.timeutil import TimeError, parse_instant, utcnow

    if text is None:
        return utcnow()
    try:
        return parse_instant(text)
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None


def _model(path: Path, now: dt.datetime) -> AccessModel:
    """The access model of a catalog that builds without errors; else exit 1."""
    from .load import load_model

    try:
        model, diags = load_model(path, now)
    except NotADirectoryError as exc:
        fail_usage(str(exc))
    errors = [d for d in diags if d.is_error]
    for diag in errors:
        typer.echo(diag.format_text(), err=True)
    if model is None:
        from rolecat.report.words import counted

        typer.echo(
            f"{counted(len(errors), 'error')} in the catalog: nothing was evaluated "
            "(rolecat validate lists every finding)",
            err=True,
        )
        raise typer.Exit(EXIT_FINDINGS)
    return model


def who_can(
    action: Annotated[str, typer.Argument(metavar="ACTION", help="IAM action, e.g. iam:PassRole.")] = "",
    resource: Annotated[
        str | None,
        typer.Argument(
            metavar="RESOURCE", help="The request's resource (omitted: on at least one resource)."
        ),
    ] = None,
    catalog: CatalogOpt = Path("catalog"),
    account: AccountOpt = None,
    format: FormatOpt = Format.text,
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries",
            metavar="FILE",
            help="JSON lines {action, resource?, account?}; one answer line per query.",
        ),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Every principal that can perform ACTION, through which role (and chain), until when."""
    import json

    _batch()
    from rolecat.diagnostics import Location, error, sort_diagnostics

    from .whocan import QueryError, WhoCan, answer_text, parse_query

    if queries is None and not action:
        fail_usage("who-can needs an ACTION or --queries FILE")
    if queries is not None and (action or resource is not None):
        fail_usage("give either ACTION [RESOURCE] or --queries FILE, not both")
    if resource == "":  # "$RESOURCE" unset: not the question without RESOURCE, nor a resource
        fail_usage(EMPTY_RESOURCE)
    asks: list[tuple[str, str | None, str | None]] = []
    numbers: list[int] = []  # each query's line in FILE
    problems: list[Diagnostic] = []  # what FILE says that is no query: a finding, as in any input file
    if queries is not None:
        try:
            lines = queries.read_text(encoding="utf-8").split("\n")  # lines as git and JSON Lines count them
        except (OSError, UnicodeDecodeError) as exc:
            from rolecat.pipeline import unexpanded_home

            home = unexpanded_home("--queries", str(queries)) if isinstance(exc, FileNotFoundError) else None
            if isinstance(exc, IsADirectoryError):
                fail_usage(f"--queries: a folder, not a file: {queries}")
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            fail_usage(home or f"cannot read {queries}: {reason}")
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    asks.append(parse_query(line, number))
                    numbers.append(number)
                except QueryError as exc:
                    problems.append(
                        error("WC001", str(exc), Location(str(queries), number, exc.col), exc.hint)
                    )
    else:
        asks = [(action, resource, account)]
    engine = WhoCan(_model(catalog, _now(now)))
    for index, (a, _, acct) in enumerate(asks):
        try:
            engine.check(a, acct)
        except QueryError as exc:
            if queries is None:
                fail_usage(str(exc))
            problems.append(error("WC001", str(exc), Location(str(queries), numbers[index])))
    if problems:  # every line of FILE that is no query, before any answer is printed
        for p in sort_diagnostics(problems):
            typer.echo(p.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    out = sys.stdout
    raw = getattr(out, "buffer", None)  # the answers are ASCII bytes: no text layer
    if queries is not None and raw is not None:
        out.flush()
        for a, r, acct in asks:
            raw.write(b"[")
            raw.write(engine.ask_items(a, r, acct))
            raw.write(b"]\n")
        raw.flush()
        return
    for a, r, acct in asks:
        if queries is not None:
            out.write(engine.ask_json(a, r, acct) + "\n")
            continue
        answers = engine.ask(a, r, acct)
        if format is Format.json:
            out.write(json.dumps([x.as_json() for x in answers]) + "\n")
        else:
            text = answer_text(answers)
            out.write(text + "\n" if text else "")
            summary = f"{counted(len(answers), 'principal-role pair')} can {a}" + (f" on {r}" if r else "")
            typer.echo(printable(summary), err=True)  # RESOURCE as given: one line, no escapes


def explain(
    kind: Annotated[Kind, typer.Argument(metavar="KIND", help="user or role: what NAME names.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="User or role name.")],
    catalog: CatalogOpt = Path("catalog"),
    account: Annotated[
        str | None, typer.Option("--account", metavar="NAME", help="The role's account (role only).")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", metavar="ACTION", help="Decide one request (role only).")
    ] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", metavar="ARN", help="The request's resource (default *).")
    ] = None,
    format: FormatOpt = Format.text,
    now: NowOpt = None,
) -> None:
    """What a person can do, or what a role can do and what its boundary and denies remove."""
    import json

    _batch()
    from . import explain as ex
    from .whocan import QueryError

    if kind is Kind.user and (action or resource or account):
        fail_usage("--action, --resource and --account apply to explain role")
    if resource is not None and action is None:
        fail_usage("--resource needs --action")
    if resource == "":
        fail_usage(EMPTY_RESOURCE.replace("RESOURCE", "--resource"))
    model = _model(catalog, _now(now))
    try:
        if kind is Kind.user:
            data = ex.explain_user(model, name)
            text = ex.user_text
        elif action is not None:
            data = ex.explain_decision(model, name, account, action, resource)
            text = ex.decision_text
        else:
            data = ex.explain_role(model, name, account)
            text = ex.role_text
    except QueryError as exc:
        fail_usage(str(exc))
    if format is Format.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(text(data) + "\n")


def diff(
    base: Annotated[
        str | None, typer.Argument(metavar="BASE", help="Base catalog folder (or the catalog with --base).")
    ] = None,
    head: Annotated[Path | None, typer.Argument(metavar="HEAD", help="Head catalog folder.")] = None,
    base_ref: Annotated[
        str | None,
        typer.Option("--base", metavar="GITREF", help="Read the base catalog from this git revision."),
    ] = None,
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 3 when access grows, else 0.")] = False,
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            "-c",
            metavar="FOLDER",
            help="The catalog under review: the CATALOG of --base, else the HEAD folder.",
        ),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Who gains or loses what between two catalogs: access, permissions, trust, findings."""
    _batch()
    from rolecat.cliargs import catalog_of

    from .diff import DiffError, diff_catalogs, diff_git, render_json, render_markdown, render_text

    when = _now(now)
    try:
        if base_ref is not None:
            if head is not None:
                fail_usage("with --base give at most one CATALOG")
            result = diff_git(base_ref, catalog_of(Path(base) if base is not None else None, catalog), when)
        else:
            head = catalog_of(head, catalog) if head is not None or catalog is not None else None
            if base is None or head is None:
                fail_usage("diff needs BASE and HEAD catalog folders, or --base GITREF [CATALOG]")
            result = diff_catalogs(Path(base), head, when)
    except DiffError as exc:
        if exc.usage:
            fail_usage(str(exc))
        fail_system(str(exc))  # git failing
    render = {
        DiffFormat.json: render_json,
        DiffFormat.markdown: render_markdown,
        DiffFormat.text: render_text,
    }
    sys.stdout.write(render[format](result))
    if result.head_errors:
        for diag in result.head_errors:
            typer.echo(diag.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    if exit_code and result.access_grows:
        raise typer.Exit(EXIT_YES)


def register(app: typer.Typer) -> None:
    app.command("who-can", cls=Command)(who_can)
    app.command("explain", cls=Command)(explain)
    app.command("diff", cls=Command)(diff)
