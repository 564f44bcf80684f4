"""Command line of adoption: ``rolecat drift``.

Exit codes: 0 ran (no drift, or drift without --exit-code); 1 catalog or export
errors; 2 usage errors; 3 drift found with --exit-code.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_YES = 0, 1, 2, 3


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
            typer.echo(f"rolecat: {what} must be NAME=FILE, got {v!r}", err=True)
            raise typer.Exit(EXIT_USAGE)
        out.append((name, Path(file)))
    return out


def drift(
    exports: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME=EXPORT.json...",
            help="One `aws iam get-account-authorization-details` export per account, named by catalog account.",
        ),
    ],
    catalog: Annotated[Path, typer.Option("--catalog", help="Catalog folder.")] = Path("catalog"),
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when anything drifted (or a hygiene finding), else 0.")
    ] = False,
    get_role: Annotated[
        list[str] | None,
        typer.Option(
            "--get-role",
            metavar="NAME=FILE",
            help="`aws iam get-role` output (one role or a JSON list) for account NAME: adds descriptions "
            "and session durations, which the export lacks.",
        ),
    ] = None,
    credential_report: Annotated[
        list[str] | None,
        typer.Option(
            "--credential-report",
            metavar="NAME=FILE",
            help="Credential report CSV of account NAME: console users without MFA, old or unused keys.",
        ),
    ] = None,
    key_age_days: Annotated[
        int, typer.Option("--key-age-days", help="Access keys older than this are reported.")
    ] = 90,
    now: Annotated[
        str | None, typer.Option("--now", metavar="WHEN", help="Instant to compare key ages with.")
    ] = None,
) -> None:
    """Differences between live accounts (their exports) and the catalog."""
    from ..diagnostics import Diagnostic, has_errors, sort_diagnostics
    from ..model.timeutil import TimeError, parse_instant, utcnow
    from ..pipeline import UsageError, display_path, load_catalog
    from .drift import drift as compute
    from .export import read_credential_report, read_export, read_get_role

    try:
        when = parse_instant(now) if now else utcnow()
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None
    pairs = _pairs(exports, "an export")
    try:
        cat, diags = load_catalog(catalog, when)
    except UsageError as exc:
        typer.echo(f"rolecat: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if cat is None or has_errors(diags):
        for d in sort_diagnostics(diags):
            if d.is_error:
                typer.echo(d.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    names = {a.name for a in cat.accounts}
    loaded = {}
    problems: list[Diagnostic] = []
    for name, path in pairs:
        if name not in names:
            typer.echo(
                f"rolecat: {name} is not an account of {catalog} ({', '.join(sorted(names))})", err=True
            )
            raise typer.Exit(EXIT_USAGE)
        if name in loaded:
            typer.echo(f"rolecat: two exports for account {name}", err=True)
            raise typer.Exit(EXIT_USAGE)
        exp, found = read_export(path, display_path(path))
        problems.extend(found)
        if exp is not None:
            acct = cat.account(name)
            if exp.account_id and exp.account_id != acct.id:
                from ..diagnostics import Location, error

                problems.append(
                    error(
                        "X004",
                        f"{exp.source} is an export of account {exp.account_id}, but {name} is {acct.id}",
                        Location(exp.source),
                    )
                )
                continue
            loaded[name] = exp
    for opt, reader in ((get_role or [], read_get_role), (credential_report or [], read_credential_report)):
        for name, path in _pairs(list(opt), "the option"):
            if name not in loaded:
                typer.echo(f"rolecat: no export given for account {name}", err=True)
                raise typer.Exit(EXIT_USAGE)
            loaded[name], more = reader(path, loaded[name], display_path(path))
            problems.extend(more)
    if problems:
        for p in sort_diagnostics(problems):
            typer.echo(p.format_text(), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    items, hyg = compute(cat, loaded, when, key_age_days=key_age_days)
    if format is Format.json:
        doc = {"drift": [i.to_dict() for i in items], "hygiene": [h.to_dict() for h in hyg]}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        for i in items:
            where = f"{i.account}: {i.kind} {i.name}"
            typer.echo(plain(f"{where}: {i.change}: {i.message}"))
        for h in hyg:
            typer.echo(plain(f"{h.account}: hygiene {h.finding}: {h.message}"))
        typer.echo(
            f"{len(items)} difference(s), {len(hyg)} hygiene finding(s) in {len(loaded)} account(s)", err=True
        )
    if exit_code and (items or hyg):
        raise typer.Exit(EXIT_YES)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("drift")(drift)
