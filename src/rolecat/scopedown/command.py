"""``rolecat scopedown``: the command line over ``report.scopedown``.

Exit codes: 0 ok (unreadable log files are warnings: the run goes on without them);
1 catalog errors, no readable log file, or a ``--write-policy`` suggestion over the quota;
2 usage errors (bad flags, missing paths, unknown role or account name).
Everything but the requested output goes to stderr.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from rolecat.atomicfile import write_atomic
from rolecat.report.exit_codes import EXIT_FINDINGS, EXIT_OK
from rolecat.report.words import counted, were

from ..cliargs import (
    DEFAULT_CATALOG,
    MAX_DAYS,
    CatalogOpt,
    Command,
    WholeNumber,
    cannot_write,
    fail_system,
    fail_usage,
    missing_paths,
    now_option,
    refuse_folder,
)

if TYPE_CHECKING:
    from rolecat.diagnostics import Diagnostic
    from rolecat.model import Catalog, Role

    from .report import Report
    from .selectors import EventSelectors

# A policy file's name as the catalog takes it (policies: in a role file, the file name rules).
_POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
# Athena (Glue) names: letters, digits and underscores; a table, or DATABASE.TABLE.
_ATHENA_TABLE = re.compile(r"[A-Za-z0-9_]{1,255}(\.[A-Za-z0-9_]{1,255})?\Z")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    policy = "policy"


def register(app: typer.Typer) -> None:
    app.command("scopedown", cls=Command)(scopedown_command)


def _emit(diags: list[Diagnostic]) -> None:
    from rolecat.report.printer import emit

    emit(diags)


def parse_utc(text: str | None, flag: str) -> str | None:
    """A date or datetime as ``YYYY-MM-DDTHH:MM:SSZ``; no zone means UTC.  A bad one is a
    usage error."""
    from rolecat.model.timeutil import TimeError, parse_instant

    if text is None:
        return None
    try:
        try:
            instant = parse_instant(text)
        except TimeError as exc:
            if "no time zone" not in str(exc):
                raise
            instant = parse_instant(text.strip() + "Z")
    except TimeError as exc:
        fail_usage(f"{flag}: {exc}")
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Progress:
    """One self-rewriting line on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, total_bytes: int) -> None:
        self.total, self.total_bytes = total, total_bytes
        self.done = self.bytes = self.records = 0
        self.start = self._last = time.monotonic()
        self.enabled = sys.stderr.isatty()

    def __call__(self, path: Path, records: int) -> None:
        self.done += 1
        self.records += records
        with contextlib.suppress(OSError):
            self.bytes += path.stat().st_size
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            share = self.bytes / self.total_bytes if self.total_bytes else self.done / max(self.total, 1)
            bar = "#" * int(share * 30)
            rate = self.records / max(now - self.start, 1e-9)
            sys.stderr.write(
                f"\r[{bar:<30}] {self.done}/{self.total} files  {self.records:,} records  {rate:,.0f}/s"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()


def scopedown_command(
    cli: typer.Context,
    logs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="LOGS...",
            help="CloudTrail files or folders (searched recursively): *.json.gz, *.json, JSON lines.",
        ),
    ] = None,
    catalog: CatalogOpt = DEFAULT_CATALOG,
    role: Annotated[
        str | None,
        typer.Option(
            "--role", metavar="NAME", help="Role name in the catalog. [required, except with --opted-in]"
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="NAME", help="Account name; required when the role is in several."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="Only events at or after this UTC date/datetime."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="WHEN", help="Only events before this UTC date/datetime.")
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            metavar="DAYS",
            click_type=WholeNumber(min=1, max=MAX_DAYS),
            help="Only the last N days before --now (instead of --since/--until).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        now_option("for the end of the --days window", zone=False),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    exact_resources: Annotated[
        bool,
        typer.Option(
            "--exact-resources", help="Keep S3 object ARNs exact instead of their narrowest folder wildcard."
        ),
    ] = False,
    write_policy: Annotated[
        str | None,
        typer.Option(
            "--write-policy",
            metavar="NAME",
            help="Write the suggestion to CATALOG/policies/NAME.json in the catalog's layout (within the quota).",
        ),
    ] = None,
    trail_selectors: Annotated[
        Path | None,
        typer.Option(
            "--trail-selectors",
            metavar="FILE",
            help="The trail's event selectors, as aws cloudtrail get-event-selectors --trail-name NAME "
            "prints them (JSON): grants whose calls the trail may not log are kept, the rest judged.",
        ),
    ] = None,
    summary_text: Annotated[
        str | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Write a Markdown summary (removed, added, kept, window) to this file.",
        ),
    ] = None,
    opted_in: Annotated[
        bool,
        typer.Option(
            "--opted-in", help="Print the roles whose file has a scopedown: key, as JSON (for a CI matrix)."
        ),
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
    """Suggest a least-privilege policy for a service role from the CloudTrail calls it made."""
    from rolecat.diagnostics import Location, error, has_errors, warning
    from rolecat.pipeline import UsageError, load

    from .context import SelectionError, find_role, pick_account, role_context

    if opted_in:
        if role is not None:
            fail_usage("--opted-in lists every opted-in role: leave out --role")
        if output is not OutputFormat.json and _given(cli, "output"):
            fail_usage(f"--opted-in prints JSON (a CI matrix): leave out -f {output.value}, or say -f json")
        _list_opted_in(catalog)
    if role is None:
        fail_usage("--role is required")
    if write_policy is not None and not _POLICY_NAME.match(write_policy):
        fail_usage(
            f"--write-policy {write_policy!r}: a policy name starts with a letter or digit and uses "
            "letters, digits and _.- only (as policies: in a role file)"
        )
    if emit_athena_sql:
        given = [
            flag
            for flag, value in (
                ("--write-policy", write_policy),
                ("--summary", summary_text),
                ("--trail-selectors", trail_selectors),
            )
            if value
        ]
        if logs or given:
            fail_usage(
                "--emit-athena-sql prints a query and reads no logs: leave out "
                + " and ".join(["the log paths"] * bool(logs) + given)
            )
        if not _ATHENA_TABLE.match(athena_table):
            fail_usage(
                f"--athena-table {athena_table!r}: a table name, or DATABASE.TABLE, of letters, digits "
                "and underscores"
            )
    elif not logs:
        fail_usage("give at least one log file or folder (or --emit-athena-sql)")
    if now is not None and days is None:
        fail_usage("--now is the end of the --days window: give --days too (or --since/--until alone)")
    summary = None if summary_text is None else refuse_folder("--summary", summary_text, "the Markdown file")
    if days is not None and (since is not None or until is not None):
        fail_usage("--days and --since/--until exclude each other")
    since_s: str | None
    until_s: str | None
    if days is not None:
        since_s, until_s = window_of_days(days, now)
    else:
        since_s, until_s = parse_utc(since, "--since"), parse_utc(until, "--until")
    if since_s and until_s and since_s >= until_s:
        fail_usage(f"--since {since_s} is not before --until {until_s}")
    selectors = _read_selectors(trail_selectors) if trail_selectors is not None else None

    try:
        loaded = load(catalog)
    except UsageError as exc:
        fail_usage(str(exc))
    cat, diags = loaded.catalog, loaded.diagnostics
    if cat is None or loaded.deployment is None:
        _emit([d for d in diags if d.is_error])
        raise typer.Exit(EXIT_FINDINGS)
    if has_errors(diags):  # findings of the checks (often about other roles) do not stop a scopedown
        count = sum(d.is_error for d in diags)
        typer.echo(f"rolecat: the catalog has {counted(count, 'error')}; run rolecat validate", err=True)
    try:
        found = find_role(cat, role)
        account_name = pick_account(cat, found, account)
        ctx = role_context(loaded.deployment, found, account_name)
    except SelectionError as exc:
        if exc.usage:
            fail_usage(str(exc))
        typer.echo(f"rolecat: {exc}", err=True)
        raise typer.Exit(EXIT_FINDINGS) from None

    if emit_athena_sql:
        from .athena import athena_sql

        typer.echo(athena_sql(ctx.arn, since=since_s, until=until_s, table=athena_table), nl=False)
        raise typer.Exit(EXIT_OK)

    from .actiondb import load_action_db
    from .logs import discover
    from .report import policy_text, render_text, scopedown

    files, missing = discover(logs or [])
    if missing:
        fail_usage(missing_paths(missing))
    problems: list[Diagnostic] = []
    if found.kind != "service":
        problems.append(
            warning(
                "SD005",
                f"{found.name} is a {found.kind} role: scopedown is meant for service roles, whose needs "
                "do not change from person to person",
                cat.locate(found.source),
            )
        )
    db = load_action_db()
    total_bytes = 0
    for f in files:
        with contextlib.suppress(OSError):
            total_bytes += f.stat().st_size
    progress = Progress(len(files), total_bytes)
    try:
        report = scopedown(
            files,
            ctx,
            db,
            since=since_s,
            until=until_s,
            progress=progress,
            exact_resources=exact_resources,
            selectors=selectors,
        )
    finally:
        progress.close()

    for p in report.scan.problems:
        code = "SD001" if p.fatal else "SD002"
        problems.append(warning(code, p.message + (": file skipped" if p.fatal else ""), Location(p.path)))
    skipped = report.scan.files_skipped
    exit_code: int = EXIT_OK
    if skipped and skipped < len(files):  # all of them: SD004 below says so
        problems.append(
            warning("SD001", f"{skipped} of {counted(len(files), 'log file')} unreadable and skipped")
        )
    if not files or skipped == len(files):
        problems.append(error("SD004", "no readable CloudTrail log file among the paths given"))
        exit_code = EXIT_FINDINGS
    elif report.scan.attributed == 0:
        problems.append(
            error(
                "SD006", f"no record in the logs was made with {ctx.arn}", hint=no_record_hint(report, found)
            )
        )
        exit_code = EXIT_FINDINGS

    if write_policy is not None and exit_code == EXIT_OK:
        exit_code = max(exit_code, _write_policy(cat, catalog, write_policy, report, problems))
    if summary is not None and exit_code == EXIT_OK:
        from .summary import render_markdown

        policy_path = f"policies/{write_policy}.json" if write_policy else None
        from .suggest import granted_without

        others = tuple(a for a in found.accounts if a != account_name)
        stays = granted_without(ctx, db, write_policy) if write_policy else frozenset[str]()
        text = render_markdown(report, policy_path=policy_path, other_accounts=others, stays=stays)
        try:
            write_atomic(summary, text)
        except OSError as exc:
            fail_system(cannot_write(summary, exc, "--summary"))
    _emit(problems)

    if output is OutputFormat.json:
        import json

        typer.echo(json.dumps(report.to_json(), indent=2))
    elif output is OutputFormat.policy:
        if report.scan.attributed:
            typer.echo(policy_text(report.suggestion.policy), nl=False)
    else:
        typer.echo(render_text(report), nl=False)
    raise typer.Exit(exit_code)


def _read_selectors(path: Path) -> EventSelectors:
    """The ``--trail-selectors`` file.  One that cannot be read is a usage error; one whose
    content scopedown does not understand fully is a problem in an input file, as a log
    file's or an export's: a finding (SD011) at the file, exit 1."""
    from rolecat.diagnostics import Location, error

    from .selectors import SelectorError, read_selectors

    try:
        return read_selectors(path)
    except SelectorError as exc:
        _emit([error("SD011", f"--trail-selectors: {exc}", Location(str(path), exc.line, exc.col), exc.hint)])
        raise typer.Exit(EXIT_FINDINGS) from None
    except OSError as exc:
        from rolecat.pipeline import unexpanded_home

        home = unexpanded_home("--trail-selectors", str(path)) if isinstance(exc, FileNotFoundError) else None
        fail_usage(home or f"--trail-selectors {path}: cannot read: {exc.strerror or exc}")


def window_of_days(days: int, now: str | None) -> tuple[str, str]:
    """``(since, until)`` of the last ``days`` days ending at ``now`` (default: the clock)."""
    import datetime as dt

    from rolecat.model.timeutil import utcnow

    until_s = parse_utc(now, "--now") if now is not None else utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert until_s is not None
    end = dt.datetime.strptime(until_s, "%Y-%m-%dT%H:%M:%SZ")
    return (end - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"), until_s


def no_record_hint(report: Report, role: Role) -> str:
    """Where the role's records went: another path, another account, or nowhere."""
    ctx = report.ctx
    others = report.scan.same_name
    if others:
        arn, count = others.most_common(1)[0]
        path = arn.split(":role", 1)[1].rsplit("/", 1)[0] + "/"
        account_id = arn.split(":")[4]
        if account_id == ctx.account_id:
            return (
                f"{counted(count, 'record')} {were(count)} made with {arn}: the same role name under path {path!r}, "
                f"while the catalog says {role.path!r}; set path: {path} in {role.source} if that is the role"
            )
        return (
            f"{counted(count, 'record')} {were(count)} made with {arn}: the same role in account {account_id}, "
            f"not {ctx.account} ({ctx.account_id}); pass --account for that account or other logs"
        )
    sc = report.scan
    if sc.outside_window:
        return (
            f"{counted(sc.outside_window, 'record')} of the role {'falls' if sc.outside_window == 1 else 'fall'} "
            "outside the window: widen --since/--until/--days"
        )
    return (
        "the one file read holds no call" if sc.files == 1 else f"none of the {sc.files:,} files holds a call"
    ) + f" by a role named {ctx.role}: are these the logs of account {ctx.account_id}?"


def _given(cli: typer.Context, name: str) -> bool:
    """Whether the option ``name`` was on the command line (not its default)."""
    source = cli.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _list_opted_in(catalog_path: Path) -> NoReturn:
    import json

    from rolecat.pipeline import UsageError, load_catalog

    from .optin import opt_ins

    try:
        cat, diags = load_catalog(catalog_path)
    except UsageError as exc:
        fail_usage(str(exc))
    if cat is None:
        _emit([d for d in diags if d.is_error])
        raise typer.Exit(EXIT_FINDINGS)
    found, problems = opt_ins(cat)
    _emit(problems)
    typer.echo(json.dumps([o.to_json() for o in found]))
    raise typer.Exit(EXIT_FINDINGS if any(p.is_error for p in problems) else EXIT_OK)


def _write_policy(cat: Catalog, catalog: Path, name: str, report: Report, problems: list[Diagnostic]) -> int:
    from rolecat.diagnostics import Location, error

    from .optin import policy_users
    from .policyfmt import catalog_style, format_json, templated

    s = report.suggestion
    target = catalog / "policies" / f"{name}.json"
    display = f"{cat.root.rstrip('/')}/policies/{name}.json"
    others = [r for r in policy_users(cat, name) if r != report.ctx.role]
    if others:
        problems.append(
            error(
                "SD009",
                f"policies/{name}.json is used by {', '.join(others)} too: {report.ctx.role}'s usage written "
                "into it would cut their access; not written",
                Location(display),
                hint=f"write to a new name and point {report.ctx.role} at it",
            )
        )
        return EXIT_FINDINGS
    if not s.fits:
        problems.append(
            error(
                "SD003",
                f"suggested policy is {s.size:,} characters, over the 6,144-character managed-policy quota; "
                "not written",
                Location(display),
                hint="split it by service, or narrow the window",
            )
        )
        return EXIT_FINDINGS
    account = cat.account(report.ctx.account)
    text = templated(format_json(s.policy, catalog_style(catalog)), report.ctx.account_id, account.region)
    existed = target.exists()
    write_atomic(target, text)
    typer.echo(f"{'updated' if existed else 'wrote'} {display} ({s.size:,} characters)", err=True)
    return EXIT_OK
