"""Command line of adoption: ``rolecat import`` and ``rolecat drift``.

Exit codes: 0 ran (no drift, or drift without --exit-code); 1 catalog or export
errors; 2 usage errors; 3 drift found with --exit-code.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rolecat.report.words import counted

from ..cliargs import CatalogOpt, Command, WholeNumber, fail_usage, file_to_read, now_option

if TYPE_CHECKING:
    from ..model import Catalog
    from .export import AccountExport

EXIT_OK, EXIT_FINDINGS, EXIT_YES = 0, 1, 3


class Format(enum.StrEnum):
    text = "text"
    json = "json"


def plain(text: str) -> str:
    """One line of terminal text: control characters (newlines, ANSI escapes) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _pairs(values: list[str], what: str) -> list[tuple[str, Path]]:
    out = []
    for v in values:
        name, sep, file = v.partition("=")
        if not sep or not name or not file:
            fail_usage(f"{what} must be NAME=FILE, got {plain(repr(v))}")
        problem = file_to_read(what, file)  # not there, or a folder: usage, as a path on the command line
        if problem is not None:
            fail_usage(problem)  # escaped for the terminal, as every usage error
        out.append((name, Path(file)))
    return out


ExportsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="NAME=EXPORT.json...",
        help="One `aws iam get-account-authorization-details` export per account, named by catalog account.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
GetRoleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--get-role",
        metavar="NAME=FILE",
        help="`aws iam get-role` output (one role or a JSON list) for account NAME: adds descriptions "
        "and session durations, which the export lacks.",
    ),
]
CredentialOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--credential-report",
        metavar="NAME=FILE",
        help="Credential report CSV of account NAME: passwords, MFA devices and access keys.",
    ),
]
PasswordPolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--password-policy",
        metavar="NAME=FILE",
        help="`aws iam get-account-password-policy` output of the identity account NAME: import adopts "
        "it (catalog.yaml password_policy and its import), drift compares it.",
    ),
]
NowOpt = Annotated[str | None, now_option("for the catalog's dates (the ends of time-boxed memberships)")]


def _load_inputs(
    catalog: Path,
    exports: list[str],
    get_role: list[str] | None,
    credential_report: list[str] | None,
    now: str | None,
    password_policy: list[str] | None = None,
) -> tuple[Catalog, dict[str, AccountExport], dt.datetime]:
    """The valid catalog and the exports, or exit 1 (diagnostics printed) or 2 (usage)."""
    from ..diagnostics import Diagnostic, Location, error, has_errors, sort_diagnostics
    from ..load.files import display_path
    from ..model.catalog import account_hint
    from ..model.timeutil import TimeError, parse_instant, utcnow
    from ..pipeline import UsageError, load_catalog
    from .export import read_credential_report, read_export, read_get_role, read_password_policy

    try:
        when = parse_instant(now) if now else utcnow()
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None
    pairs = _pairs(exports, "an export")
    try:
        cat, diags = load_catalog(catalog, when)
    except UsageError as exc:
        fail_usage(str(exc))
    if cat is None or has_errors(diags):
        for d in sort_diagnostics(diags):
            if d.is_error:
                typer.echo(d.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    names = {a.name for a in cat.accounts}
    loaded: dict[str, AccountExport] = {}
    problems: list[Diagnostic] = []
    for name, path in pairs:
        if name not in names:
            fail_usage(f"{name} is not an account of {catalog}; {account_hint(name, cat.accounts)}")
        if name in loaded:
            fail_usage(f"two exports for account {name}")
        exp, found = read_export(path, display_path(path))
        problems.extend(found)
        if exp is None:
            continue
        acct = cat.account(name)
        if exp.account_id and exp.account_id != acct.id:
            problems.append(
                error(
                    "X004",
                    f"{exp.source} is an export of account {exp.account_id}, but {name} is {acct.id}",
                    Location(exp.source),
                )
            )
            continue
        loaded[name] = exp
    if problems:
        for p in sort_diagnostics(problems):
            typer.echo(p.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    identity = cat.identity_account.name
    for name, _ in _pairs(list(password_policy or []), "--password-policy"):
        if name != identity:
            # rolecat writes aws_iam_account_password_policy in the identity account only
            fail_usage(
                f"--password-policy {name}: rolecat manages the password policy of the identity "
                f"account ({identity}) only; {name}'s policy stays as it is, outside the catalog",
            )
    for flag, opt, reader in (
        ("--get-role", get_role or [], read_get_role),
        ("--credential-report", credential_report or [], read_credential_report),
        ("--password-policy", password_policy or [], read_password_policy),
    ):
        for name, path in _pairs(list(opt), flag):
            if name not in loaded:
                fail_usage(f"{flag} {name}: no export given for account {name}")
            loaded[name], more = reader(path, loaded[name], display_path(path))
            problems.extend(more)
    if problems:
        for p in sort_diagnostics(problems):
            typer.echo(p.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    return cat, loaded, when


def drift(
    exports: ExportsArg,
    catalog: CatalogOpt = Path("catalog"),
    format: FormatOpt = Format.text,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when anything drifted (or a hygiene finding), else 0.")
    ] = False,
    get_role: GetRoleOpt = None,
    credential_report: CredentialOpt = None,
    password_policy: PasswordPolicyOpt = None,
    key_age_days: Annotated[
        int,
        typer.Option(
            "--key-age-days",
            metavar="DAYS",
            click_type=WholeNumber(min=1),
            help="Access keys older than this are reported.",
        ),
    ] = 90,
    now: NowOpt = None,
) -> None:
    """Differences between live accounts (their exports) and the catalog."""
    from .drift import drift as compute

    cat, loaded, when = _load_inputs(catalog, exports, get_role, credential_report, now, password_policy)
    items, hyg = compute(cat, loaded, when, key_age_days=key_age_days)
    if format is Format.json:
        doc = {"drift": [i.to_dict() for i in items], "hygiene": [h.to_dict() for h in hyg]}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        for i in items:
            typer.echo(plain(f"{i.account}: {i.kind} {i.name}: {i.change}: {i.message}"))
        for h in hyg:
            typer.echo(plain(f"{h.account}: hygiene {h.finding}: {h.message}"))
        typer.echo(
            f"{counted(len(items), 'difference')}, {counted(len(hyg), 'hygiene finding')} in "
            f"{counted(len(loaded), 'account')}",
            err=True,
        )
    if exit_code and (items or hyg):
        raise typer.Exit(EXIT_YES)
    raise typer.Exit(EXIT_OK)


def import_(
    exports: ExportsArg,
    catalog: CatalogOpt = Path("catalog"),
    format: FormatOpt = Format.text,
    get_role: GetRoleOpt = None,
    credential_report: CredentialOpt = None,
    password_policy: PasswordPolicyOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be written; write nothing.")
    ] = False,
    now: NowOpt = None,
) -> None:
    """Adopt existing users, roles and policies: write catalog files and the import record."""
    from .importer import plan_import, write_files

    cat, loaded, when = _load_inputs(catalog, exports, get_role, credential_report, now, password_policy)
    res = plan_import(cat, catalog, loaded, when)
    if res.diagnostics:
        for d in res.diagnostics:
            typer.echo(d.format_text(), err=True)
        typer.echo("the imported catalog would not validate: nothing was written", err=True)
        raise typer.Exit(EXIT_FINDINGS)
    if not dry_run:
        write_files(catalog, res.files)
    if format is Format.json:
        doc = {
            "written": [] if dry_run else res.changed,
            "would_write": res.changed if dry_run else [],
            "imports": {a: {t: len(ids) for t, ids in types.items()} for a, types in res.record.items()},
            "first_plan": res.first_plan,
            "items": [i.to_dict() for i in res.items],
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        verb = "would write" if dry_run else "wrote"
        for rel in res.changed:
            typer.echo(plain(f"{verb} {catalog / rel}"))
        if not res.changed:
            typer.echo("nothing to change: the catalog already records what exists")
        for acct, types in sorted(res.record.items()):
            n = sum(len(ids) for ids in types.values())
            typer.echo(f"{acct}: {counted(n, 'existing object')} will be imported by the first apply")
        for line in res.first_plan:
            typer.echo(plain(line))
        if res.items:
            one = len(res.items) == 1
            typer.echo(
                f"{counted(len(res.items), 'item')} {'does' if one else 'do'} not fit the catalog and "
                + ("stays as it is:" if one else "stay as they are:")
            )
            for i in res.items:
                typer.echo(plain(f"  {i.account}: {i.kind} {i.name}: {i.reason}; do: {i.action}"))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("drift", cls=Command)(drift)
    app.command("import", cls=Command)(import_)
