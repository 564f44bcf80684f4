"""Command line of access requests: request, grant, revoke, offboard, user add.

Each command loads the catalog (it must be free of errors), plans the edit
(``access.py``), validates the edited catalog with the whole pipeline (``edits.py``) and
only then writes, atomically, or with ``--branch`` commits on a new git branch
(``gitbranch.py``).  Sentences about what changed go to stderr; data (``--dry-run``'s
diff) goes to stdout.

Exit codes: 0 done, or nothing to do (the access is already as asked); 1 the request
cannot be carried out (beyond the maximum escalation, the edited catalog would be
invalid, a catalog that does not load); 2 usage errors (bad flags, no catalog folder,
a user, role or account the catalog does not have, git refusing ``--branch``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ..cliargs import CatalogOpt, Command, Group, fail_system, fail_usage, now_option
from ..report.exit_codes import EXIT_FINDINGS

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic
    from ..model import Catalog
    from .access import Plan


UserOpt = Annotated[str, typer.Option("--user", "-u", metavar="NAME", help="IAM user name from users.yaml.")]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account", metavar="NAME", help="Pick the role of this account when several share the name."
    ),
]
UserReasonOpt = Annotated[
    str | None,
    typer.Option(
        "--reason",
        metavar="TEXT",
        help="Why: a ticket or a sentence (one line); kept in --branch's commit message "
        "(users.yaml has no place for it).",
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option(
        "--reason",
        metavar="TEXT",
        help="Why: a ticket or a sentence (one line); kept in the role file where it has a place "
        "(a temporary membership, revoked sessions) and in --branch's commit message.",
    ),
]
NowOpt = Annotated[str | None, now_option("for --for, --until and the catalog's dates")]
BranchOpt = Annotated[
    bool,
    typer.Option("--branch", help="Commit the change on a new git branch (nothing is pushed)."),
]
BranchNameOpt = Annotated[
    str | None,
    typer.Option("--branch-name", metavar="NAME", help="Name of the --branch branch (default access/...)."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        metavar="FOLDER",
        help="Generated Terraform: with --branch, recompiled and committed too when git tracks its "
        "manifest.json (default: build/terraform, here or at the repository's root).",
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing.")]
SessionsOpt = Annotated[
    bool,
    typer.Option(
        "--revoke-sessions",
        help="Also deny the role's sessions issued before now (ends everyone's older sessions of the role).",
    ),
]
OffboardSessionsOpt = Annotated[
    bool,
    typer.Option(
        "--revoke-sessions",
        help="Also deny, in every role NAME could assume, the sessions issued before now (ends everyone's "
        "older sessions of those roles).",
    ),
]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _instant(text: str | None) -> dt.datetime:
    """``--now``, or the clock.  The commands write instants in UTC (an ``until``,
    ``issued_before``), so a --now whose UTC year is past the catalog's last is refused
    here, as any --now that is not one: 2999-12-31T23:00:00-05:00 is in 3000."""
    from ..model.timeutil import MAX_YEAR, TimeError, parse_instant
    from .clock import iso_z, utc_now

    if text is None:
        return utc_now()
    try:
        instant = parse_instant(text)
    except TimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--now'") from None
    if instant.year > MAX_YEAR:
        raise typer.BadParameter(
            f"{text!r} is {iso_z(instant)} in UTC, after the year {MAX_YEAR}, the last a catalog date may have",
            param_hint="'--now'",
        )
    return instant


_EMPTIED_ROLE = (
    "note: this change leaves a human role with nobody to assume it, which its trust policy cannot "
    "say. First give the role another member (rolecat grant ROLE -u NAME), or delete its file "
    "(Terraform then deletes the role); then run this command again"
)


def _same(d: Diagnostic) -> tuple[str, str | None, str]:
    """A finding as itself wherever an edit moves its line: code, file and message."""
    return d.code, d.location.path if d.location else None, d.message


def _load(catalog: Path, now: dt.datetime) -> tuple[Catalog, list[Diagnostic]]:
    """The catalog, which must build into a model, and its diagnostics.  A catalog with
    errors may still be edited, as long as the edit adds none (an edit may be the fix, and
    an offboarding should not wait for an unrelated mistake)."""
    from ..pipeline import UsageError, load_catalog

    try:
        loaded, diags = load_catalog(catalog, now)
    except UsageError as exc:
        fail_usage(str(exc))
    if loaded is None:
        from ..report.printer import emit

        emit([d for d in diags if d.is_error])
        _fail(f"rolecat: {catalog} has errors that keep it from loading; fix them first", EXIT_FINDINGS)
    return loaded, diags


def _say(plan: Plan) -> None:
    """What the plan changes (or why it changes nothing), on stderr: printed once it is
    true (written, committed, or shown as a dry run), never before a refusal."""
    for line in plan.said:
        typer.echo(line, err=True)


def _run(
    catalog: Path,
    now: str | None,
    make: Callable[[Catalog, dt.datetime], Plan],
    *,
    branch: bool,
    branch_name: str | None,
    dry_run: bool,
    name_parts: Callable[[dt.datetime], tuple[str, ...]],
    out: Path | None = None,
) -> None:
    from ..targets.outdir.lock import timeout_from_env
    from . import edits as edits_mod

    if branch and dry_run:
        raise typer.BadParameter("use either --branch or --dry-run", param_hint="'--branch'")
    if branch_name is not None and not branch:
        raise typer.BadParameter("--branch-name needs --branch", param_hint="'--branch-name'")
    if branch_name is not None and not branch_name.strip():
        raise typer.BadParameter("the name is empty", param_hint="'--branch-name'")
    instant = _instant(now)
    with contextlib.ExitStack() as held:
        try:  # from reading the files to writing them: another command's edit is not lost
            held.enter_context(edits_mod.editing(catalog, timeout_from_env()))
        except edits_mod.Busy as exc:
            _fail(f"rolecat: {exc}; nothing was written", EXIT_FINDINGS)
        _edit(catalog, instant, make, branch, branch_name, dry_run, name_parts, out)


def _edit(
    catalog: Path,
    instant: dt.datetime,
    make: Callable[[Catalog, dt.datetime], Plan],
    branch: bool,
    branch_name: str | None,
    dry_run: bool,
    name_parts: Callable[[dt.datetime], tuple[str, ...]],
    out: Path | None,
) -> None:
    from ..diagnostics import has_errors
    from ..pipeline import UsageError, check_out_apart
    from . import edits as edits_mod
    from . import gitbranch
    from .access import AccessError
    from .yamledit import EditError

    loaded, before_diags = _load(catalog, instant)
    before = {_same(d) for d in before_diags}
    try:
        plan = make(loaded, instant)
    except AccessError as exc:
        if exc.usage:
            fail_usage(str(exc))
        _fail(f"rolecat: {exc}", EXIT_FINDINGS)
    except EditError as exc:
        _fail(f"rolecat: cannot edit {exc}; nothing was written", EXIT_FINDINGS)
    if not plan.changed:  # nothing to do, and the lines say why
        _say(plan)
        return
    edits = {path: after for path, (_, after) in plan.edits.items()}
    diags = edits_mod.validate_edits(catalog, edits, instant)
    new = [d for d in diags if _same(d) not in before and d.accepted_reason is None]
    if new:  # what the edit brings: its errors, or warnings a reviewer will see
        from ..report.printer import emit

        emit(new)
    if has_errors(new):
        if any(d.code == "C019" and d.is_error for d in new):  # the edit empties a human role
            typer.echo(_EMPTIED_ROLE, err=True)
        _fail("rolecat: the edited catalog would not be valid (above); nothing was written", EXIT_FINDINGS)
    if has_errors(diags):  # errors it had before, which the edit neither adds nor fixes
        from ..report.words import counted

        left = counted(sum(d.is_error for d in diags), "error")
        typer.echo(
            f"note: {catalog} still has {left} it had before this edit (rolecat validate lists them)",
            err=True,
        )
    if dry_run:
        from .codeowners import unified_diff

        _say(plan)
        for path, (old, after) in plan.edits.items():
            typer.echo(unified_diff(old, after, str(path), new_label="edited"), nl=False)
        typer.echo("dry run: nothing was written", err=True)
        return
    if not branch and plan.why and not plan.why_kept:
        typer.echo(
            "note: this edit has no place for --reason; only --branch's commit message keeps it", err=True
        )
    if not branch:
        _write(plan.edits)
        _say(plan)
        for path in edits:
            typer.echo(f"edited {path}", err=True)
        return
    name = branch_name or gitbranch.branch_name(*name_parts(instant))
    paths = list(edits)
    try:
        # A repository that commits its generated Terraform gets it recompiled in the same
        # commit, so that CI's `compile --check` agrees with the pull request.
        repo = gitbranch.repository_root(catalog)
        if out is None:  # build/terraform here, else at the repository's root (a run from a subfolder)
            here = Path("build/terraform")
            out = here if gitbranch.tracked(repo, here / "manifest.json") else repo / "build/terraform"
        compile_too = gitbranch.tracked(repo, out / "manifest.json")
        if compile_too:
            check_out_apart(catalog, out)
            paths.append(out)
        # The recompile reads the whole catalog: every file of it must be as committed, or
        # the commit would hold Terraform granting what no committed catalog file says.
        root, base = gitbranch.prepare(
            catalog,
            name,
            paths,
            whole=[catalog] if compile_too else [],
            why=f"--branch recompiles {out} from it",
        )
        gitbranch.switch(root, name)
    except gitbranch.GitError as exc:
        if exc.usage:
            fail_usage(f"{exc}; nothing was written")
        fail_system(f"{exc}; nothing was written")
    except UsageError as exc:
        fail_usage(f"{exc}; nothing was written")
    _write(plan.edits)
    if compile_too:
        from ..pipeline import compile_catalog

        ok, problems = compile_catalog(catalog, out, instant)
        if not ok:
            from ..report.printer import emit

            emit([d for d in problems if d.is_error])
            _fail(
                f"rolecat: compiling into {out} failed; the files are edited on branch {name}, not committed",
                EXIT_FINDINGS,
            )
        typer.echo(f"compiled {catalog} -> {out}", err=True)
    try:
        done = gitbranch.commit(root, name, base, paths, plan.commit_message())
    except gitbranch.GitError as exc:
        fail_system(f"{exc}; the files are edited on branch {name}, not committed")
    _say(plan)
    typer.echo(
        f"committed {done.commit[:12]} on branch {done.branch} (from {done.base[:12]}); nothing pushed",
        err=True,
    )
    typer.echo(f"next: git push -u origin {done.branch}, then open a pull request", err=True)
    _print_access_diff(done.base, catalog, instant)


def _print_access_diff(base: str, catalog: Path, instant: dt.datetime) -> None:
    """The pull request's body: the access diff of the commit against its base (Markdown, stdout)."""
    from ..access.diff import DiffError, diff_git, render_markdown

    try:
        result = diff_git(base, catalog, instant)
    except DiffError as exc:
        typer.echo(f"warning: no access diff for the pull request body: {exc}", err=True)
        return
    typer.echo(render_markdown(result), nl=False)


def _write(edits: dict[Path, tuple[str, str]]) -> None:
    from .edits import ChangedMeanwhile, WriteFailed, write_edits

    try:
        write_edits(edits)
    except ChangedMeanwhile as exc:
        _fail(f"rolecat: {exc}; nothing was written", EXIT_FINDINGS)
    except WriteFailed as exc:  # I/O, as profiles --write's
        fail_system(str(exc))


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%MZ")


# --------------------------------------------------------------------------- commands


def request(
    role: Annotated[str, typer.Argument(metavar="ROLE", help="Role name.")],
    user: UserOpt,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why: a ticket or a sentence (one line).")
    ],
    duration: Annotated[
        str | None,
        typer.Option(
            "--for", metavar="DURATION", help="How long: 4h, 3d, 1w, 1d12h (end rounded up to the hour)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="WHEN", help="Exclusive end: a date (00:00Z) or a datetime with Z or offset."
        ),
    ] = None,
    account: AccountOpt = None,
    catalog: CatalogOpt = Path("catalog"),
    now: NowOpt = None,
    branch: BranchOpt = False,
    branch_name: BranchNameOpt = None,
    dry_run: DryRunOpt = False,
    out: OutOpt = None,
) -> None:
    """Add a time-boxed membership (temporary_members) of USER in ROLE."""
    from ..model.timeutil import TimeError, parse_instant
    from . import access

    if (duration is None) == (until is None):
        fail_usage(
            "give exactly one of --for DURATION and --until WHEN"
            + (" (both were given)" if duration is not None else "")
        )

    def make(loaded: Catalog, instant: dt.datetime) -> Plan:
        why = access.check_reason(reason)
        max_days = loaded.defaults.max_escalation_days
        if duration is not None:
            end = access.end_of(instant, access.parse_duration(duration), max_days)
        else:
            assert until is not None
            try:
                end = access.check_until(instant, parse_instant(until), max_days)
            except TimeError as exc:
                raise access.AccessError(f"--until: {exc}", usage=True) from None
        return access.request(loaded, catalog, role, account, user, end, why, instant)

    _run(
        catalog,
        now,
        make,
        branch=branch,
        branch_name=branch_name,
        dry_run=dry_run,
        name_parts=lambda t: (("request", user, role, _stamp(t))),
        out=out,
    )


def grant(
    role: Annotated[str, typer.Argument(metavar="ROLE", help="Role name.")],
    user: UserOpt,
    reason: ReasonOpt = None,
    account: AccountOpt = None,
    catalog: CatalogOpt = Path("catalog"),
    now: NowOpt = None,
    branch: BranchOpt = False,
    branch_name: BranchNameOpt = None,
    dry_run: DryRunOpt = False,
    out: OutOpt = None,
) -> None:
    """Make USER a permanent member of ROLE (replaces a temporary membership)."""
    from . import access

    def make(loaded: Catalog, instant: dt.datetime) -> Plan:
        return access.grant(loaded, catalog, role, account, user, access.check_reason(reason))

    _run(
        catalog,
        now,
        make,
        branch=branch,
        branch_name=branch_name,
        dry_run=dry_run,
        name_parts=lambda t: (("grant", user, role, _stamp(t))),
        out=out,
    )


def revoke(
    role: Annotated[str, typer.Argument(metavar="ROLE", help="Role name.")],
    user: UserOpt,
    revoke_sessions: SessionsOpt = False,
    reason: ReasonOpt = None,
    account: AccountOpt = None,
    catalog: CatalogOpt = Path("catalog"),
    now: NowOpt = None,
    branch: BranchOpt = False,
    branch_name: BranchNameOpt = None,
    dry_run: DryRunOpt = False,
    out: OutOpt = None,
) -> None:
    """Remove USER from ROLE: permanent and temporary membership."""
    from . import access

    def make(loaded: Catalog, instant: dt.datetime) -> Plan:
        why = access.check_reason(reason)
        return access.revoke(loaded, catalog, role, account, user, why, instant, sessions=revoke_sessions)

    _run(
        catalog,
        now,
        make,
        branch=branch,
        branch_name=branch_name,
        dry_run=dry_run,
        name_parts=lambda t: (("revoke", user, role, _stamp(t))),
        out=out,
    )


def offboard(
    name: Annotated[str, typer.Argument(metavar="NAME", help="IAM user name.")],
    revoke_sessions: OffboardSessionsOpt = False,
    reason: ReasonOpt = None,
    catalog: CatalogOpt = Path("catalog"),
    now: NowOpt = None,
    branch: BranchOpt = False,
    branch_name: BranchNameOpt = None,
    dry_run: DryRunOpt = False,
    out: OutOpt = None,
) -> None:
    """Remove NAME from users.yaml and from every role, permanent and temporary."""
    from . import access

    def make(loaded: Catalog, instant: dt.datetime) -> Plan:
        why = access.check_reason(reason)
        return access.offboard(loaded, catalog, name, why, instant, sessions=revoke_sessions)

    _run(
        catalog,
        now,
        make,
        branch=branch,
        branch_name=branch_name,
        dry_run=dry_run,
        name_parts=lambda t: (("offboard", name, _stamp(t))),
        out=out,
    )


user_app = typer.Typer(name="user", help="People in users.yaml.", no_args_is_help=True, cls=Group)


@user_app.command("add", cls=Command)
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="IAM user name.")],
    email: Annotated[
        str | None, typer.Option("--email", metavar="E", help="Contact address (a tag).")
    ] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="T", help="Team (a tag).")] = None,
    reason: UserReasonOpt = None,
    catalog: CatalogOpt = Path("catalog"),
    now: NowOpt = None,
    branch: BranchOpt = False,
    branch_name: BranchNameOpt = None,
    dry_run: DryRunOpt = False,
    out: OutOpt = None,
) -> None:
    """Add a person to users.yaml (an IAM user in the identity account)."""
    from . import access

    attributes = {k: v for k, v in (("email", email), ("team", team)) if v is not None}

    def make(loaded: Catalog, instant: dt.datetime) -> Plan:
        return access.user_add(loaded, catalog, name, attributes, access.check_reason(reason))

    _run(
        catalog,
        now,
        make,
        branch=branch,
        branch_name=branch_name,
        dry_run=dry_run,
        name_parts=lambda t: (("user-add", name, _stamp(t))),
        out=out,
    )


def register(app: typer.Typer) -> None:
    """Add request, grant, revoke, offboard and user add to ``app``."""
    app.command("request", cls=Command)(request)
    app.command("grant", cls=Command)(grant)
    app.command("revoke", cls=Command)(revoke)
    app.command("offboard", cls=Command)(offboard)
    app.add_typer(user_app)
