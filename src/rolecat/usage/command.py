"""``rolecat usage``: the command line over ``scan``, ``report``, ``advisor`` and ``athena``.

Exit codes: 0 ok; 1 the catalog does not build, no readable log file (U003), logs whose
AssumeRole records are all of accounts the catalog does not have (U005) or an
Access Advisor file that is not a report (U004); 2 usage errors; 3 with ``--exit-code``
when there is at least one removal candidate.  Diagnostics go to stderr.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..cliargs import (
    DEFAULT_CATALOG,
    MAX_DAYS,
    CatalogOpt,
    Command,
    WholeNumber,
    fail_usage,
    missing_paths,
    no_such_file,
    now_option,
)

if TYPE_CHECKING:
    from rolecat.deploy.deployment import Deployment
    from rolecat.diagnostics import Diagnostic
    from rolecat.model import Catalog

    from .advisor import AdvisorReport

EXIT_OK, EXIT_FINDINGS, EXIT_YES = 0, 1, 3


class UsageFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def register(app: typer.Typer) -> None:
    app.command("usage", cls=Command)(usage_command)


def usage_command(
    logs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="LOGS...",
            help="CloudTrail files or folders of the identity and target accounts (AssumeRole events).",
        ),
    ] = None,
    catalog: CatalogOpt = DEFAULT_CATALOG,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            metavar="DAYS",
            click_type=WholeNumber(min=1, max=MAX_DAYS),
            help="Members not seen in this many days are removal candidates.",
        ),
    ] = 90,
    now: Annotated[
        str | None, now_option("for the end of the --days window and of the records read", zone=False)
    ] = None,
    role: Annotated[str | None, typer.Option("--role", metavar="NAME", help="Only this role.")] = None,
    output: Annotated[UsageFormat, typer.Option("--format", "-f", help="Output format.")] = UsageFormat.text,
    access_advisor: Annotated[
        list[str] | None,
        typer.Option(
            "--access-advisor",
            metavar="ROLE=FILE",
            help="ROLE=FILE or ROLE@ACCOUNT=FILE: `aws iam get-service-last-accessed-details` output for that role.",
        ),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when there is a removal candidate.")
    ] = False,
    emit_athena_sql: Annotated[
        bool,
        typer.Option("--emit-athena-sql", help="Print the equivalent Athena query and exit; reads no logs."),
    ] = False,
    athena_table: Annotated[
        str,
        typer.Option("--athena-table", metavar="TABLE", help="CloudTrail table name for --emit-athena-sql."),
    ] = "cloudtrail_logs",
) -> None:
    """Who assumed which role when: members unused for N days are candidates for removal."""
    from rolecat.diagnostics import Location, error, sort_diagnostics, warning
    from rolecat.model.timeutil import utcnow
    from rolecat.pipeline import UsageError, load
    from rolecat.scopedown.command import _ATHENA_TABLE, Progress, parse_utc

    now_s = parse_utc(now, "--now") if now is not None else utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert now_s is not None
    if not logs and not access_advisor and not emit_athena_sql:
        fail_usage("give log files or folders, --access-advisor ROLE=FILE, or --emit-athena-sql")
    # As scopedown's: a query is printed, nothing read, and TABLE is a name, never SQL (Athena
    # names are 1-255 lower-case letters, digits and underscores: Amazon Athena User Guide,
    # "Name databases, tables, and columns").
    if emit_athena_sql:
        given = ["the log paths"] * bool(logs) + ["--access-advisor"] * bool(access_advisor)
        if given:
            fail_usage("--emit-athena-sql prints a query and reads no logs: leave out " + " and ".join(given))
        if not _ATHENA_TABLE.match(athena_table):
            fail_usage(
                f"--athena-table {athena_table!r}: a table name, or DATABASE.TABLE, of letters, digits "
                "and underscores"
            )
    pairs = [_pair(p) for p in access_advisor or []]
    try:
        loaded = load(catalog)
    except UsageError as exc:
        fail_usage(str(exc))
    cat, diags, deployment = loaded.catalog, loaded.diagnostics, loaded.deployment
    if cat is None or deployment is None:
        for d in sort_diagnostics([d for d in diags if d.is_error]):
            typer.echo(d.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    if role is not None:
        from rolecat.scopedown.context import SelectionError, find_role

        try:
            picked = find_role(cat, role)  # IAM role names are case-insensitive, as in scopedown
        except SelectionError as exc:
            fail_usage(str(exc))
        if not picked.members and not picked.temporary_members:
            see = (
                "for a service role, rolecat scopedown suggests its policy"
                if picked.kind == "service"
                else "members, temporary_members"
            )
            fail_usage(
                f"role {picked.name} has no members: usage reports who assumed the roles people are "
                f"members of ({see})"
            )
        role = picked.name

    from .report import UsageReport, build_report, cutoff_of, role_arns

    arns = {a: k for a, k in role_arns(deployment).items() if role is None or k.role == role}
    if emit_athena_sql:
        from .athena import athena_sql

        humans = {r.name for r in cat.roles if r.members or r.temporary_members}
        typer.echo(
            athena_sql(
                [a for a, k in arns.items() if k.role in humans],
                cat.identity_account.id,
                since=cutoff_of(now_s, days),
                until=now_s,
                table=athena_table,
            ),
            nl=False,
        )
        raise typer.Exit(EXIT_OK)

    problems: list[Diagnostic] = []
    status = EXIT_OK
    report = UsageReport(now=now_s, days=days, cutoff=cutoff_of(now_s, days), scan=None, roles=[])
    if logs:
        from rolecat.scopedown.logs import discover

        from .scan import UsageScanner

        files, missing = discover(logs)
        if missing:
            fail_usage(missing_paths(missing))
        scanner = UsageScanner(arns, cat.identity_account.id, now=now_s)
        total = 0
        for f in files:
            with contextlib.suppress(OSError):
                total += f.stat().st_size
        progress = Progress(len(files), total)
        try:
            scanner.scan_files(files, progress)
        finally:
            progress.close()
        sc = scanner.result
        for p in sc.problems:
            code = "U001" if p.fatal else "U002"
            problems.append(
                warning(code, p.message + (": file skipped" if p.fatal else ""), Location(p.path))
            )
        if not files or sc.files_skipped == len(files):
            problems.append(error("U003", "no readable CloudTrail log file among the paths given"))
            status = EXIT_FINDINGS
        report = build_report(cat, sc, now=now_s, days=days, only=role)
        if report.foreign_logs:  # as scopedown's SD006: nothing can be said of the catalog's roles
            problems.append(
                error(
                    "U005",
                    "no AssumeRole record in the logs is of an account of the catalog",
                    hint=_foreign_hint(sc.assume_role_any, sc.accounts_seen, report.catalog_accounts),
                )
            )
            status = EXIT_FINDINGS
    seen: set[tuple[str, str]] = set()
    for role_name, account, path in pairs:
        adv = _advisor(cat, deployment, role_name, account, path, report.cutoff, problems, seen)
        if adv is None:
            status = EXIT_FINDINGS
        else:
            report.advisor.append(adv)

    for d in sort_diagnostics(problems):
        typer.echo(d.format_text(), err=True)
    if output is UsageFormat.json:
        import json

        typer.echo(json.dumps(report.to_json(), indent=2))
    elif output is UsageFormat.markdown:
        from .render import render_markdown

        typer.echo(render_markdown(report), nl=False)
    else:
        from .render import render_text

        typer.echo(render_text(report), nl=False)
    if status == EXIT_OK and exit_code and report.candidates:
        status = EXIT_YES
    raise typer.Exit(status)


def _foreign_hint(records: int, seen: set[str], ours: dict[str, str]) -> str:
    from rolecat.report.words import counted, listed

    either = listed([f"{i} ({n})" for i, n in ours.items()], "or")
    return (
        f"the {counted(records, 'AssumeRole record')} read {'is' if records == 1 else 'are'} of "
        f"{'account' if len(seen) == 1 else 'accounts'} {', '.join(sorted(seen))}: are these the logs of account {either}?"
    )


def _pair(text: str) -> tuple[str, str | None, Path]:
    target, sep, path = text.partition("=")
    if not sep or not target or not path:
        fail_usage(f"--access-advisor {text!r}: expected ROLE[@ACCOUNT]=FILE")
    role, _, account = target.partition("@")
    file = Path(path)
    if file.is_dir():
        fail_usage(f"--access-advisor: {path} is a folder: name the report's JSON file")
    if not file.is_file():
        fail_usage(no_such_file("--access-advisor", path))
    return role, account or None, file


def _advisor(
    cat: Catalog,
    deployment: Deployment,
    role_name: str,
    account: str | None,
    path: Path,
    cutoff: str,
    problems: list[Diagnostic],
    seen: set[tuple[str, str]],
) -> AdvisorReport | None:
    from rolecat.diagnostics import Location, error
    from rolecat.scopedown.actiondb import load_action_db
    from rolecat.scopedown.context import SelectionError, find_role, pick_account, role_context
    from rolecat.scopedown.suggest import policy_actions

    from .advisor import AdvisorError, evaluate, read_report

    try:
        found = find_role(cat, role_name)
        account_name = pick_account(cat, found, account, choose=f"name one: {found.name}@ACCOUNT=FILE")
        ctx = role_context(deployment, found, account_name)
    except SelectionError as exc:
        fail_usage(f"--access-advisor {role_name}: {exc}")
    if (found.name, account_name) in seen:
        fail_usage(
            f"--access-advisor: two reports of {found.name} in {account_name}; give each role and account once"
        )
    seen.add((found.name, account_name))
    try:
        doc, notes = read_report(path)
    except AdvisorError as exc:
        problems.append(error("U004", str(exc), Location(str(path), exc.line, exc.col), exc.hint))
        return None
    granted = policy_actions(ctx, load_action_db())  # Access Advisor ignores boundaries too
    return evaluate(
        doc,
        role=found.name,
        account=account_name,
        path=str(path),
        granted=granted,
        cutoff=cutoff,
        notes=notes,
    )
