"""Command line of the pull-request workflow: escalations, codeowners, profiles, plan, apply.

``register(app)`` adds the commands to the main Typer app.  Only typer and the standard
library are imported at module level; the catalog machinery is imported inside each
command so that ``rolecat --help`` stays fast.

Exit codes: 0 ok; 1 findings (catalog errors, expired escalations with
--fail-on-expired, a stale --check, a failed terraform run); 2 usage errors (bad flags,
a CATALOG that does not exist, an unknown --account, terraform not on PATH).
"""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ..cliargs import (
    MAX_DAYS,
    CatalogAlias,
    CatalogArg,
    Command,
    WholeNumber,
    cannot_write,
    catalog_of,
    fail_system,
    fail_usage,
    now_option,
    refuse_folder,
)
from ..report.exit_codes import EXIT_FINDINGS

if TYPE_CHECKING:
    from typer._click import Context as ClickContext

    from ..diagnostics import Diagnostic
    from ..model import Catalog

DEFAULT_OUTPUT = Path("build/terraform")


class Format(enum.StrEnum):
    text = "text"
    json = "json"


NowOpt = Annotated[str | None, now_option("for the catalog's dates (the ends of time-boxed memberships)")]
OutputOpt = Annotated[
    Path,
    typer.Option("--out", "-o", metavar="FOLDER", help="Folder of the generated Terraform (as for compile)."),
]


# --------------------------------------------------------------------------- helpers


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _parse_now(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    from rolecat.model.timeutil import TimeError, parse_instant

    try:
        return parse_instant(text)
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None


def _check_catalog_arg(path: Path) -> None:
    from ..pipeline import missing_catalog

    if not path.exists():
        fail_usage(missing_catalog("-c", path))
    if not path.is_dir():
        fail_usage(f"{path} is not a folder (a catalog is a folder holding catalog.yaml)")


def _check_out_apart(catalog: Path, output: Path) -> None:
    from ..pipeline import UsageError, check_out_apart

    try:
        check_out_apart(catalog, output)
    except UsageError as exc:
        fail_usage(str(exc))


def _print_diagnostics(diags: list[Diagnostic]) -> None:
    from ..report.printer import emit

    emit(diags)


def _print_problems(diags: list[Diagnostic]) -> None:
    """For commands whose output is not the catalog's findings (escalations, profiles,
    codeowners): the errors and warnings, which decide the exit status; accepted findings
    are validate's and compile's to list."""
    _print_diagnostics([d for d in diags if d.accepted_reason is None])


def _load(path: Path, now: dt.datetime | None) -> tuple[Catalog | None, list[Diagnostic]]:
    _check_catalog_arg(path)
    from ..pipeline import load_catalog

    return load_catalog(path, now)


def _load_or_exit(path: Path, now: dt.datetime | None) -> Catalog:
    """The catalog, with its errors and warnings printed; exit 1 when it has errors."""
    from ..diagnostics import has_errors

    catalog, diags = _load(path, now)
    _print_problems(diags)
    if catalog is None or has_errors(diags):
        raise typer.Exit(EXIT_FINDINGS)
    return catalog


def _now(now: dt.datetime | None) -> dt.datetime:
    from .clock import utc_now

    return now if now is not None else utc_now()


# --------------------------------------------------------------------------- commands


def escalations(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    within: Annotated[
        int | None,
        typer.Option(
            "--within",
            # a century, as every DAYS: far more passes the last date Python can count to
            click_type=WholeNumber(min=0, max=MAX_DAYS),
            metavar="DAYS",
            help="Only active escalations ending within DAYS days.",
        ),
    ] = None,
    fail_on_expired: Annotated[
        bool,
        typer.Option("--fail-on-expired", help="Exit 1 while expired escalations remain in the catalog."),
    ] = False,
    now: NowOpt = None,
) -> None:
    """List time-boxed escalations (temporary_members): who, which role, until when, why."""
    catalog = catalog_of(catalog, catalog_opt)
    from ..diagnostics import has_errors
    from . import escalations as esc

    when = _parse_now(now)
    instant = _now(when)
    loaded, diags = _load(catalog, instant)
    if loaded is not None:
        diags = [*diags, *esc.check_escalations(loaded, instant)]
    _print_problems(diags)
    if loaded is None:
        raise typer.Exit(EXIT_FINDINGS)
    items = esc.escalations(loaded, instant)
    shown = esc.ending_within(items, within, instant) if within is not None else items
    if within is None:
        empty = "no temporary members"
    else:
        counts = [
            f"{n} {status}"
            for status in ("active", "expired")
            if (n := sum(e.status == status for e in items))
        ]
        empty = f"no escalation ends within {within} day{'s' if within != 1 else ''}" + (
            f" ({', '.join(counts)}: `rolecat escalations` lists them)" if counts else ""
        )
    text = esc.to_json(shown) if output_format is Format.json else esc.to_text(shown, empty)
    typer.echo(text, nl=False)
    if has_errors(diags):
        raise typer.Exit(EXIT_FINDINGS)
    expired = [e for e in items if e.status == "expired"]
    if fail_on_expired and expired:
        from ..report.words import counted

        _fail(
            f"{counted(len(expired), 'expired escalation')} {'remains' if len(expired) == 1 else 'remain'}: "
            f"remove {'it' if len(expired) == 1 else 'them'} from the role files "
            "(AWS already refuses them; the catalog should say so too)",
            EXIT_FINDINGS,
        )


def codeowners(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    output: OutputOpt = DEFAULT_OUTPUT,
    check: Annotated[
        Path | None,
        typer.Option("--check", metavar="FILE", help="Exit 1 with a unified diff when FILE is stale."),
    ] = None,
    write_text: Annotated[
        str | None,
        typer.Option("--write", metavar="FILE", help="Write FILE (atomically) instead of printing."),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Print a CODEOWNERS file: role files by their owners, the rest by the catalog owners."""
    catalog = catalog_of(catalog, catalog_opt)
    import os

    from . import codeowners as co

    if check is not None and write_text is not None:
        raise typer.BadParameter("use either --check or --write, not both", param_hint="'--check'")
    write = None if write_text is None else refuse_folder("--write", write_text, "the CODEOWNERS file")
    if output.name == "CODEOWNERS" or (output.exists() and not output.is_dir()):
        # `-o FILE`, read as compile's output: the file would be left as it is, and the
        # generated Terraform's owners line would name FILE instead of OUT
        raise typer.BadParameter(
            f"{output} is not a folder: --out names the generated Terraform's folder (as for "
            f"compile), whose owners CODEOWNERS lists; write the CODEOWNERS file with --write {output}",
            param_hint="'--out'",
        )
    when = _parse_now(now)
    _check_catalog_arg(catalog)
    # an OUT that compile refuses (the catalog, inside it, or holding it) names no generated
    # file: its lines would route nothing, and the real OUT's files fall to the `*` line
    _check_out_apart(catalog, output)
    loaded = _load_or_exit(catalog, when)

    catalog_dir = catalog.resolve()
    notes: list[str] = []
    root = co.find_repo_root(catalog_dir)
    if root is None:
        root = catalog_dir.parent
        note = f"No git repository above {catalog}: paths are relative to its parent folder, {root}."
        typer.echo(f"note: {note}", err=True)
        notes.append(f"No git repository above the catalog: paths are relative to {root.name or '/'}/.")
    catalog_prefix = Path(os.path.relpath(catalog_dir, root)).as_posix()
    catalog_prefix = "" if catalog_prefix == "." else catalog_prefix

    output_dir = output.resolve()
    output_prefix: str | None = None
    if root in output_dir.parents:
        output_prefix = Path(os.path.relpath(output_dir, root)).as_posix()
    elif output_dir != root:  # the repository root itself is covered by the `*` line
        typer.echo(f"note: {output} is outside {root}; CODEOWNERS cannot name it", err=True)

    command = f"rolecat codeowners {catalog_prefix or '.'}"
    # the command as run from the repository's root, however -o was spelled here
    if output_prefix is not None and output_prefix != DEFAULT_OUTPUT.as_posix():
        command += f" --out {output_prefix}"
    text = co.render(
        loaded, catalog_prefix=catalog_prefix, output_prefix=output_prefix, command=command, notes=notes
    )

    if check is not None:
        try:
            current = check.read_text(encoding="utf-8") if check.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            fail_usage(f"cannot read {check}: {exc}")
        if current == text:
            typer.echo(f"{check} is up to date", err=True)
            return
        typer.echo(co.unified_diff(current, text, str(check)), nl=False)
        state = "is stale" if check.exists() else "does not exist"
        _fail(f"{check} {state}: run `{command} --write {check}`", EXIT_FINDINGS)
    if write is not None:
        from ..atomicfile import write_atomic

        try:  # a folder that cannot be created, a file that cannot be written: I/O, said as such
            if write.exists() and write.read_text(encoding="utf-8", errors="replace") == text:
                typer.echo(f"{write} is up to date", err=True)
                return
            write_atomic(write, text)
        except OSError as exc:
            fail_system(f"{cannot_write(write, exc)}; nothing written")
        typer.echo(f"wrote {write}", err=True)
        return
    typer.echo(text, nl=False)


def profiles(
    user: Annotated[str, typer.Option("--user", "-u", metavar="NAME", help="IAM user name from users.yaml.")],
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    source_profile: Annotated[
        str | None,
        typer.Option(
            "--source-profile",
            metavar="PROFILE",
            help="Profile holding the user's access keys (default: <organization>-identity).",
        ),
    ] = None,
    duration: Annotated[
        int | None,
        typer.Option(
            "--duration",
            click_type=WholeNumber(min=900),
            metavar="SECONDS",
            help="Cap duration_seconds (default: each role's max_session_duration).",
        ),
    ] = None,
    write: Annotated[
        str | None,
        typer.Option(
            "--write",
            metavar="[FILE]",
            help="Replace rolecat's marked block in FILE (default: the AWS CLI config file, "
            "$AWS_CONFIG_FILE or ~/.aws/config) instead of printing; the rest of FILE is kept as it is.",
        ),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Print ~/.aws/config profiles for every role USER may assume now, or --write them."""
    catalog = catalog_of(catalog, catalog_opt)
    import re

    from . import profiles as prof

    if source_profile is not None and not re.fullmatch(r"[^\s\[\];#]+", source_profile):
        raise typer.BadParameter(
            "a profile name without spaces, brackets, ; or #", param_hint="'--source-profile'"
        )
    if write:  # FILE as given; a bare --write's default (AWS_CONFIG_FILE) is no command line's
        refuse_folder("--write", write, "the AWS CLI config file")
    when = _parse_now(now)
    instant = _now(when)
    loaded = _load_or_exit(catalog, instant)
    try:
        found = prof.profiles_for(loaded, user, instant, source_profile=source_profile, max_duration=duration)
    except prof.UnknownUserError as exc:  # a name on the command line the catalog lacks: usage
        fail_usage(str(exc))
    command = f"rolecat profiles --user {user}"
    text = prof.render(loaded, user, found, instant, command)
    if write is None:
        typer.echo(text, nl=False)
        return
    _write_profiles(Path(write) if write else aws_config_file(), text, [p.name for p in found])


def aws_config_file() -> Path:
    """The AWS CLI's config file: $AWS_CONFIG_FILE (with ~ expanded), else ~/.aws/config."""
    import os

    configured = os.environ.get("AWS_CONFIG_FILE")
    return Path(configured).expanduser() if configured else Path.home() / ".aws" / "config"


def _profile_named(line: str) -> str | None:
    """The profile a line of an AWS config file opens, as botocore reads it (None: no
    profile): configparser's section header (the line stripped, ``[`` to the last ``]``),
    ``default``, or a header starting with ``profile`` that ``shlex`` splits into two words,
    the second the name (``[profile  "prod-Admin"]`` is ``prod-Admin``; botocore,
    ``configloader._parse_section``)."""
    import re
    import shlex

    header = re.match(r"\[(.+)\]", line.strip())
    if header is None:
        return None
    key = header.group(1)
    if key == "default":
        return key
    if not key.startswith("profile"):
        return None
    try:
        words = shlex.split(key)
    except ValueError:  # an unclosed quote: botocore skips the section
        return None
    return words[1] if len(words) == 2 else None


def _write_profiles(path: Path, text: str, names: list[str]) -> None:
    from . import managedblock as mb

    try:
        old = path.read_bytes().decode("utf-8") if path.exists() else ""  # CRLF kept as it is
    except (OSError, UnicodeDecodeError) as exc:
        fail_system(f"cannot read {path}: {exc}")
    try:
        kept = mb.lines_outside(old)
        spliced = mb.splice(old, text)
    except mb.BlockError as exc:
        _fail(f"rolecat: {path}: {exc}; nothing written", EXIT_FINDINGS)
    ours = set(names)
    clashes = [f"{path}:{number}: {line.strip()}" for number, line in kept if _profile_named(line) in ours]
    if clashes:
        _fail(
            "rolecat: these profiles are already defined outside rolecat's block, and a profile "
            "defined twice breaks the file (botocore's ConfigParseError); remove them, then run "
            "this again; nothing written:\n  " + "\n  ".join(clashes),
            EXIT_FINDINGS,
        )
    try:
        written = mb.write_if_changed(path, spliced.text)
    except OSError as exc:
        fail_system(cannot_write(path, exc))
    if not written:
        typer.echo(f"{path} is up to date", err=True)
    else:
        verb = "replaced rolecat's block in" if spliced.replaced else "added rolecat's block to"
        typer.echo(f"{verb} {path} ({len(names)} profile{'s' if len(names) != 1 else ''})", err=True)


class _OptionalValueCommand(Command):
    """``--write`` with or without FILE: a bare ``--write`` (last, or before another
    option) means the default file.  Typer's options take no optional values."""

    optional_value_options = ("--write",)

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for index, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--":
                fixed.extend(args[index + 1 :])
                break
            if arg in self.optional_value_options:
                following = args[index + 1] if index + 1 < len(args) else None
                if following is None or (following.startswith("-") and following != "-"):
                    fixed.append("")  # the default file
        return super().parse_args(ctx, fixed)


def plan(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    output: OutputOpt = DEFAULT_OUTPUT,
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="NAME", help="Plan only this account (make plan ACCOUNT=NAME)."),
    ] = None,
    now: NowOpt = None,
    for_apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="With deploy_roles: plan with the deploy role (the main branch's job; rolecat apply "
            "applies this plan). Without: the plan role, which cannot write.",
        ),
    ] = False,
    bootstrap: Annotated[
        bool,
        typer.Option(
            "--bootstrap",
            help="With deploy_roles: plan with the caller's own credentials (an administrator's "
            "first apply, before the deploy roles exist; docs/deploy-roles.md).",
        ),
    ] = False,
) -> None:
    """Compile, then terraform init and plan in every account folder, identity account first."""
    catalog = catalog_of(catalog, catalog_opt)
    import shutil

    from . import plan as tfplan

    if for_apply and bootstrap:  # the command line's mistake, said before what it does not fix
        fail_usage("--apply and --bootstrap exclude each other")
    when = _parse_now(now)
    _check_catalog_arg(catalog)
    _check_out_apart(catalog, output)
    terraform = shutil.which("terraform")
    if terraform is None:
        fail_system(tfplan.TERRAFORM_MISSING)
    from ..diagnostics import has_errors
    from ..pipeline import compile_catalog

    mode = "apply" if for_apply else "bootstrap" if bootstrap else "plan"
    loaded = _load_or_exit_quiet(catalog, when)
    if (for_apply or bootstrap) and loaded is not None and loaded.deploy_roles is None:
        fail_usage(f"--{mode} chooses between the roles of catalog.yaml deploy_roles, and {catalog} has none")
    try:
        planned = tfplan.steps(loaded, output, account, mode) if loaded is not None else []
    except tfplan.UnknownAccountError as exc:
        fail_usage(str(exc))

    ok, diags = compile_catalog(catalog, output, when)
    if ok and loaded is not None:
        diags = [*diags, *_ready_for_terraform(output, [s.account for s in planned])]
    _print_diagnostics(diags)
    if not ok or has_errors(diags) or loaded is None:
        _fail("rolecat: compile failed or OUT is not safe to plan; nothing planned", EXIT_FINDINGS)
    code = tfplan.run(planned, terraform, say=lambda line: typer.echo(line, err=True))
    if code:
        raise typer.Exit(EXIT_FINDINGS)


def _ready_for_terraform(output: Path, accounts: list[str]) -> list[Diagnostic]:
    """What --check would reject stops plan and apply; each account's .terraform/ is deleted."""
    from rolecat.targets.terraform.write import ready_for_terraform

    return ready_for_terraform(output, sorted(set(accounts)))


def apply(
    catalog: CatalogArg = None,
    catalog_opt: CatalogAlias = None,
    output: OutputOpt = DEFAULT_OUTPUT,
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="NAME", help="Apply only this account (make apply ACCOUNT=NAME)."),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Apply the plans rolecat plan saved, account by account, identity account first.

    Stops at the first failure and reports which accounts were applied and which not.
    Refuses when the -o folder is no longer what CATALOG compiles to (run rolecat plan again)."""
    catalog = catalog_of(catalog, catalog_opt)
    import shutil

    from . import apply as tfapply
    from . import plan as tfplan

    when = _parse_now(now)
    _check_catalog_arg(catalog)
    _check_out_apart(catalog, output)
    terraform = shutil.which("terraform")
    if terraform is None:
        fail_system(tfplan.TERRAFORM_MISSING)
    from ..diagnostics import has_errors
    from ..pipeline import render_catalog
    from ..targets.terraform.write import diff_output

    loaded, diags, files = render_catalog(catalog, when)
    if loaded is None or has_errors(diags):
        _print_diagnostics(diags)
        _fail("rolecat: the catalog has errors; nothing applied", EXIT_FINDINGS)
    try:
        order = tfplan.account_order(loaded, account)
    except tfplan.UnknownAccountError as exc:
        fail_usage(str(exc))
    if diff_output(files, output):
        _fail(
            f"rolecat: {output} is not what {catalog} compiles to: run rolecat plan again; nothing applied",
            EXIT_FINDINGS,
        )
    unsafe = _ready_for_terraform(output, order)
    if unsafe:
        _print_diagnostics(unsafe)
        _fail(f"rolecat: {output} is not safe to apply; nothing applied", EXIT_FINDINGS)
    outcome = tfapply.apply(order, output, terraform, say=lambda line: typer.echo(line, err=True))
    for line in outcome.report():
        typer.echo(line, err=True)
    if not outcome.ok:
        raise typer.Exit(EXIT_FINDINGS)


def _load_or_exit_quiet(path: Path, now: dt.datetime | None) -> Catalog | None:
    """The catalog for account names; its diagnostics are left to compile, which prints them."""
    catalog, _ = _load(path, now)
    return catalog


def register(app: typer.Typer) -> None:
    """Add escalations, codeowners, profiles, plan and the access commands to ``app``."""
    from .access_command import register as register_access

    app.command("escalations", cls=Command)(escalations)
    app.command("codeowners", cls=Command)(codeowners)
    app.command("profiles", cls=_OptionalValueCommand)(profiles)
    app.command("plan", cls=Command)(plan)
    app.command("apply", cls=Command)(apply)
    register_access(app)
