"""The stages wired together: load -> schema -> model (resolution, documents) -> deployment
-> checks -> render -> write.

Every stage hands on its value and its diagnostics; a run collects all of them, and
renders nothing when any is an error.  Commands call ``load_catalog`` or
``compile_catalog``; neither raises for anything wrong inside the catalog folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolecat import background
from rolecat.load.files import display_path
from rolecat.model.timeutil import utcnow

from .diagnostics import Diagnostic, has_errors, sort_diagnostics

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from rolecat.access.model import (
        AccessModel,  # render pulls in Jinja: imported only when a command renders
    )
    from rolecat.deploy.deployment import Deployment
    from rolecat.model import Catalog, Role
    from rolecat.targets.outdir.snapshot import Snapshot
    from rolecat.targets.terraform.recall import Record
    from rolecat.targets.terraform.render import RenderedFile
    from rolecat.targets.terraform.write import PreviousManifest


class UsageError(Exception):
    """A command-line mistake (exit 2): a CATALOG that does not exist, bad flags."""


@dataclass(frozen=True)
class Loaded:
    """A loaded catalog: the model, its deployment (built once), every diagnostic, sorted."""

    catalog: Catalog | None
    deployment: Deployment | None
    diagnostics: list[Diagnostic]


def load(path: Path, now: dt.datetime | None = None, *, display: str | None = None) -> Loaded:
    """Load, validate and check a catalog folder.  Raises UsageError if it is not a folder.

    ``display`` names the folder in diagnostics (default: ``path`` relative to the working
    directory); the access commands validate an edited copy under the original's name."""
    return _prepare(path, now, display).loaded()


@dataclass(frozen=True)
class _Prepared:
    """A catalog through load, schema, model and deployment, before the checks."""

    catalog: Catalog | None
    deployment: Deployment | None
    diagnostics: list[Diagnostic]
    now: dt.datetime

    def loaded(self) -> Loaded:
        """The checks run here (on both cores), then ``checked``."""
        return self.checked(self.check(both_cores=True) if self.catalog is not None else [])

    def check(self, *, both_cores: bool = False) -> list[Diagnostic]:
        assert self.catalog is not None and self.deployment is not None
        return run_checks(self.catalog, self.now, self.deployment, both_cores=both_cores)

    def checked(self, checks: list[Diagnostic]) -> Loaded:
        """The run's result: every stage's findings, ``accept:`` applied, sorted."""
        from rolecat.rules.runner import apply_accept

        diags = [*self.diagnostics, *checks]
        if self.catalog is not None:
            diags = apply_accept(self.catalog, diags)  # every stage's findings, the model's included
        return Loaded(self.catalog, self.deployment, sort_diagnostics(diags))


# The modules the stages after loading import (``tests/core/test_background.py`` checks
# that validating the example catalog imports none after loading).
_LATER_STAGES = (
    "rolecat.load.schema",
    "rolecat.load.validators.catalog",
    "rolecat.load.validators.users",
    "rolecat.load.validators.role",
    "rolecat.model.build",
    "rolecat.rules.grammar",
    "rolecat.targets.terraform.constraints",
    "rolecat.deploy.deployment",
    "rolecat.deploy.revocation",
    "rolecat.deploy.delegation",
    "rolecat.rules.runner",
    "rolecat.rules.iam",
    "rolecat.rules.quotas",
    "rolecat.rules.names",
    "rolecat.workflow.profiles",
    "rolecat.rules.conditionkeys",
    "rolecat.rules.partition",
    "rolecat.adopt.checks",
    "rolecat.access.guardrails",
    "rolecat.workflow.escalations",
)


# What a compile's render and write stages import besides (ctypes: the write stage's
# syncfs, on Linux).
_RENDER_STAGES = (
    "rolecat.targets.terraform.render",
    "rolecat.targets.terraform.manifest",
    "rolecat.targets.terraform.imports",
    "rolecat.targets.terraform.replacements",
    "ctypes",
)


def _load_later_stages(*, render: bool = False) -> None:
    """What the stages after loading use, loaded while a child parses role files
    (``discover``'s ``meanwhile``): their modules and the IAM action database (memoised
    per process, so the checks' child inherits it), 0.06-0.1 s that was otherwise spent
    with the second core idle.  ``render``: a compile's too, Jinja's environment included
    (0.04 s more).  It changes nothing else: should any of it fail (a broken install),
    the stage that needs it fails the same way where it always did."""
    import importlib

    try:
        for name in _LATER_STAGES:
            importlib.import_module(name)
        from rolecat.iam.actions import ActionDB

        ActionDB.load()
        if render:
            for name in _RENDER_STAGES:
                importlib.import_module(name)
            from rolecat.targets.terraform.render import environment

            environment().get_template("role.tf.j2")
    except Exception:  # only what a later stage does again, and reports
        pass


def _prepare(path: Path, now: dt.datetime | None, display: str | None, *, render: bool = False) -> _Prepared:
    from rolecat.load.discover import discover

    if not path.exists():  # one that starts with a '~' no shell expanded (-c=~/catalog): said so
        raise UsageError(missing_catalog("-c", path))
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder (expected a catalog folder with catalog.yaml)")
    now = now or utcnow()
    shown = display if display is not None else display_path(path)
    sources = discover(path, shown, meanwhile=lambda: _load_later_stages(render=render))  # load
    # imported once loading has started a child (see _load_later_stages)
    from rolecat.deploy.deployment import build_deployment
    from rolecat.load.schema import validate_sources
    from rolecat.model import build

    valid = validate_sources(sources)  # schema
    catalog, diags = build.build_model(sources, valid, now)  # model: resolution, then documents
    deployment = build_deployment(catalog) if catalog is not None else None
    return _Prepared(catalog, deployment, diags, now)


def load_catalog(
    path: Path, now: dt.datetime | None = None, *, display: str | None = None
) -> tuple[Catalog | None, list[Diagnostic]]:
    """``load`` for commands that need the model only."""
    loaded = load(path, now, display=display)
    return loaded.catalog, loaded.diagnostics


def run_checks(
    catalog: Catalog,
    now: dt.datetime,
    deployment: Deployment | None = None,
    access: AccessModel | None = None,
    *,
    both_cores: bool = False,
) -> list[Diagnostic]:
    """The checks stage: every rule over the model and its deployment, through the rule runner.

    ``access``: an access model of the catalog (``rolecat diff``), whose effective sets the
    IAM checks and the guardrails then share.  ``both_cores``: from ``PARALLEL_ROLES``
    roles on, the per-role IAM checks run over parts of the roles shared with a forked
    child as they go (``background.from_both_ends``), while this process first runs every
    other rule; the findings are the same, in the same order."""
    from rolecat.adopt.checks import check_import_record
    from rolecat.deploy.deployment import build_deployment
    from rolecat.load.discover import PARALLEL_ROLES
    from rolecat.rules import conditionkeys, names, partition, quotas
    from rolecat.rules.iam import Checker, Context
    from rolecat.rules.runner import RuleRun, acceptance_problems, apply_accept, run_isolated, run_rules

    from .access.guardrails import check_guardrails
    from .workflow.escalations import check_escalations

    deployed = deployment or build_deployment(catalog)
    iam = Checker(lambda: access.context if access else Context.of(catalog, now, deployment=deployed))
    other_runs: list[RuleRun] = [
        ("escalations", lambda: check_escalations(catalog, now)),
        ("quotas", lambda: quotas.check(catalog, deployed)),
        ("condition-keys", lambda: conditionkeys.check(catalog)),
        ("partition", lambda: partition.check(catalog)),
        ("guardrails", lambda: check_guardrails(catalog, now, access, deployed)),
        ("names", lambda: names.check(catalog)),
        ("imports", lambda: check_import_record(catalog)),
    ]
    accept: RuleRun = ("accept", lambda: acceptance_problems(catalog))
    if not both_cores or access is not None or len(catalog.roles) < PARALLEL_ROLES:
        return run_rules(catalog, [accept, *iam.runs(), *other_runs])
    # The per-role IAM checks in parts, from both ends; every other rule here first (so
    # the child starts on the roles at once).  The IAM checks' context (effective sets,
    # caches) is made once per process and shared by its parts.  Findings are put back in
    # the order of one process: rule by rule, part by part.
    first: list[tuple[str, list[Diagnostic]]] = []

    def other_rules() -> None:
        for name, run in [accept, *iam.runs(per_role=False), *other_runs]:
            first.append((name, run_isolated([(name, run)])))

    def part(roles: Sequence[Role]) -> list[tuple[str, list[Diagnostic]]]:
        return [(name, run_isolated([(name, run)])) for name, run in iam.runs(roles, documents=False)]

    parts = background.from_both_ends(part, catalog.roles, meanwhile=other_rules)
    by_rule: dict[str, list[Diagnostic]] = {}
    for name, diags in [*first, *(found for done in parts for found in done)]:
        by_rule.setdefault(name, []).extend(diags)
    order = ["accept", *(name for name, _ in iam.runs()), *(name for name, _ in other_runs)]
    found: list[Diagnostic] = []
    for name in order:
        diags = by_rule.pop(name, [])
        crash = next((d for d in diags if d.code == "R001"), None)
        found += diags if crash is None else [crash]  # a rule that crashes has no findings
    return apply_accept(catalog, found)


def render_catalog(
    path: Path, now: dt.datetime | None = None
) -> tuple[Catalog | None, list[Diagnostic], list[RenderedFile]]:
    """``load``, then the Terraform files when nothing is in error."""
    return _render(_prepare(path, now, None, render=True))


def _render(
    prepared: _Prepared, checked: Loaded | None = None
) -> tuple[Catalog | None, list[Diagnostic], list[RenderedFile]]:
    """The Terraform files of a prepared catalog, when nothing is in error.

    The checks and the render only read the catalog and its deployment, so when the model
    is clean they run at the same time: the checks on the second core
    (``rolecat.background``), the render here.  Files rendered for a catalog the checks
    then find in error are dropped, as is a render that failed on such a catalog.
    ``checked``: the checks' result, when they already ran and found no error."""
    from rolecat.targets.terraform.render import TerraformRenderer

    catalog, deployment = prepared.catalog, prepared.deployment
    if catalog is None or deployment is None or has_errors(prepared.diagnostics):
        loaded = prepared.loaded()
        return loaded.catalog, loaded.diagnostics, []
    if checked is not None:  # the checks ran, and found no error
        return checked.catalog, checked.diagnostics, TerraformRenderer(catalog, deployment).render()
    checks = background.start(prepared.check)

    def may_share() -> bool:  # so that the render's own child does not run beside this one
        if not checks.forked:  # no child: nothing to wait for (the render forks none either)
            return True
        if not checks.ready():
            return False
        with contextlib.suppress(Exception):  # raised again below
            checks.result()
        return True

    files: list[RenderedFile] = []
    failure: Exception | None = None
    try:
        files = TerraformRenderer(catalog, deployment).render(may_share=may_share)
    except Exception as exc:
        failure = exc
    except BaseException:
        checks.cancel()
        raise
    loaded = prepared.checked(checks.result())
    if has_errors(loaded.diagnostics):
        return loaded.catalog, loaded.diagnostics, []
    if failure is not None:
        raise failure
    return loaded.catalog, loaded.diagnostics, files


@dataclass(frozen=True)
class _Recalled:
    """A clean catalog's inputs (``recall.inputs``) and, when a compile remembered them
    and OUT's manifest is the one remembered, the record of the files it compiles to."""

    inputs: bytes | None
    known: Record | None = None


def _recall(
    prepared: _Prepared, catalog_path: Path, previous: PreviousManifest | None, *, lookup: bool = True
) -> _Recalled:
    """What ``prepared`` is remembered to compile to, worth comparing with OUT only when
    OUT's manifest (``previous``) is the remembered one: otherwise something is to be
    written anyway, and the checks run beside the render as ever.  ``lookup`` False:
    the inputs only (a compile that must render, to remember what it rendered)."""
    from rolecat.targets.terraform import recall
    from rolecat.targets.terraform.write import holds_manifest

    if prepared.catalog is None or has_errors(prepared.diagnostics):
        return _Recalled(None)
    inputs = recall.inputs(prepared.catalog)
    if not lookup or inputs is None or previous is None:
        return _Recalled(inputs)
    known = recall.recall(catalog_path, inputs)
    try:
        manifest = known.manifest() if known is not None else None
    except ValueError:  # a damaged record: render
        manifest = None
    if manifest is None or not holds_manifest([manifest], previous):
        return _Recalled(inputs)
    return _Recalled(inputs, known)


def _holds(
    known: Record, out: Path, previous: PreviousManifest | None, snapshot: Snapshot | None, *, check: bool
) -> bool:
    """``write.up_to_date`` of OUT against the record's files, checked here (in the child
    that compares); a damaged or hostile record is never up to date: the compile renders."""
    from rolecat.targets.terraform.write import up_to_date

    try:
        files = known.files()
    except ValueError:
        return False
    return up_to_date(files, out, previous, snapshot, shared_lock=check)


@dataclass(frozen=True)
class _Compiled:
    """What compile and ``--check`` share: the catalog loaded and checked, and either OUT
    found to hold what it is remembered to compile to (``current``), or the files rendered
    (none when anything is in error), with the replacement warnings."""

    catalog: Catalog | None
    diagnostics: list[Diagnostic]
    files: list[RenderedFile]
    previous: PreviousManifest | None  # OUT's manifest as read before the render
    recalled: _Recalled
    current: bool = False

    def remember(self, catalog_path: Path, record: list[list[Any]] | None = None) -> None:
        """Remember what was rendered (once OUT holds it); ``record``: its ``recall.entries``,
        when made already."""
        from rolecat.targets.terraform import recall

        if self.recalled.inputs is not None and self.files:
            entries = record if record is not None else recall.entries(self.files)
            recall.remember(catalog_path, self.recalled.inputs, entries)


def _compile(
    catalog_path: Path,
    out: Path,
    now: dt.datetime | None,
    ahead: Callable[[], Snapshot | None],
    *,
    lookup: bool,
    check: bool,
) -> _Compiled:
    """Load the catalog; when OUT's manifest is the one remembered for it (``_recall``),
    compare OUT with what is remembered in a child (``write.up_to_date``; ``check``: under
    the shared lock) while the checks run on both cores, and stop there when OUT holds
    exactly that.  Otherwise render (beside the checks, unless they already ran).

    ``ahead`` gives OUT as read ahead; it is asked for only once the catalog is loaded,
    since asking waits for the read."""
    from rolecat.targets.terraform.write import PreviousManifest

    prepared = _prepare(catalog_path, now, None, render=True)
    # OUT's manifest, read (and parsed, when it must be) once for the warnings and the write
    previous = PreviousManifest.read(out)
    recalled = _recall(prepared, catalog_path, previous, lookup=lookup)
    checked: Loaded | None = None
    if recalled.known is not None:
        known = recalled.known
        snapshot = ahead()  # OUT read ahead: waited for only now, after the catalog is loaded
        comparison = background.start(lambda: _holds(known, out, previous, snapshot, check=check))
        try:
            checked = prepared.loaded()  # on both cores, as validate
        except BaseException:
            comparison.cancel()
            raise
        same = comparison.result()
        if same or has_errors(checked.diagnostics):
            current = same and not has_errors(checked.diagnostics)
            return _Compiled(checked.catalog, checked.diagnostics, [], previous, recalled, current)
    catalog, diags, files = _render(prepared, checked)
    if catalog is not None and files and not has_errors(diags):
        manifest = next((f.data for f in files if f.path == "manifest.json"), None)
        diags = [*diags, *replacement_warnings(catalog, previous, manifest)]
    return _Compiled(catalog, diags, files, previous, recalled)


def unexpanded_home(option: str, text: str) -> str | None:
    """The usage error of a path that starts with ``~`` (``~/x``, ``~name/x``), None for
    any other: refused for a path to write, said for a path to read that is not there.
    A shell expands ``~`` only at the start of a word, not after ``=``: ``--write=~/config``
    reaches rolecat as written, and a folder named ``~`` would be made in the working
    directory (the one a later ``rm -r ~`` empties the home for).  ``option`` "": a
    path given as an argument (quoted, or inside another value), not an option's."""
    if not text.startswith("~"):
        return None
    if not option:
        return (
            f"{text} starts with '~', which no shell expanded (it was quoted, or not at the start of "
            f"a word): give the full path (./{text}, for one named so)"
        )
    return (
        f"{option} {text} starts with '~', which no shell expanded (a shell expands it only at "
        f"the start of a word, not after '='): write `{option} ~/...` with a space, or the full "
        f"path (./{text}, for one named so)"
    )


def not_a_catalog_folder(option: str, path: Path) -> str:
    """The usage error of a catalog folder (given as ``option``, "" for an argument) that is
    not a folder: ``unexpanded_home``'s when it does not exist and starts with a ``~``."""
    if not path.exists():
        return missing_catalog(option, path, "does not exist or is not a folder")
    return f"catalog folder {path} does not exist or is not a folder"


def missing_catalog(option: str, path: Path, what: str = "does not exist") -> str:
    """The usage error of a catalog folder (given as ``option``) that is not there:
    ``unexpanded_home``'s for a ``~`` no shell expanded; else, when ``path`` is relative and
    the current folder or one above it holds ``catalog.yaml`` (rolecat run from inside the
    catalog, where the default ``catalog`` is not), which one to give instead."""
    home = unexpanded_home(option, str(path))
    if home is not None:
        return home
    message = f"catalog folder {path} {what}"
    if path.is_absolute():
        return message
    try:
        here = Path.cwd()
        for up, folder in enumerate((here, *here.parents)):
            if (folder / "catalog.yaml").is_file():
                where = "." if up == 0 else "/".join([".."] * up)
                said = "the current folder" if up == 0 else where
                return f"{message}; {said} holds catalog.yaml: give {where} to use that catalog"
    except OSError:  # the current folder deleted, unreadable: nothing to suggest
        pass
    return message


def check_out_apart(catalog_path: Path, out: Path) -> None:
    """Raise UsageError when OUT and the catalog folder overlap (OUT is the catalog, inside
    it, or holds it): compile would put Terraform among the catalog's files (and the next
    validate fails on them), or an account's folder where the catalog is; or when OUT
    starts with a ``~`` no shell expanded (``unexpanded_home``)."""
    refused = unexpanded_home("-o", str(out))
    if refused is not None:
        raise UsageError(refused)
    try:
        catalog_dir, out_dir = catalog_path.resolve(), out.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the write stage reports OUT's own problem
        return
    hint = "give -o a folder outside the catalog"
    if not out.is_absolute():  # the default, build/terraform, from a run inside the catalog
        hint = (
            "a relative -o is taken from the current folder (the default is build/terraform): run "
            "rolecat from the folder that holds the catalog, or give -o a folder outside it"
        )
    if out_dir == catalog_dir:
        raise UsageError(f"-o {out} is the catalog folder {catalog_path}; {hint}")
    if catalog_dir in out_dir.parents:
        raise UsageError(f"-o {out} is inside the catalog folder {catalog_path}; {hint}")
    if out_dir in catalog_dir.parents:
        raise UsageError(
            f"-o {out} holds the catalog folder {catalog_path}: compile writes a folder per account "
            f"and manifest.json there; {hint}"
        )


def compile_catalog(
    catalog_path: Path,
    out: Path,
    now: dt.datetime | None = None,
    *,
    force: bool = False,
    prune_accounts: bool = False,
) -> tuple[bool, list[Diagnostic]]:
    """Compile CATALOG into OUT.  False (and OUT untouched) when anything is in error.

    When a compile of the same catalog, by the same rolecat, remembered the files it
    compiles to (``targets.terraform.recall``) and OUT holds exactly those, nothing is
    rendered: the checks run, and nothing is written.  ``force`` always renders."""
    from rolecat.targets.terraform import accounts, recall
    from rolecat.targets.terraform.write import read_ahead, write_output

    check_out_apart(catalog_path, out)
    with read_ahead(out) as ahead:  # OUT's files, read on the second core meanwhile
        done = _compile(catalog_path, out, now, ahead, lookup=not force, check=False)
        if done.current:
            return True, done.diagnostics
        if done.catalog is None or has_errors(done.diagnostics) or not done.files:
            return False, done.diagnostics
        made: list[list[list[Any]]] = []  # the files' record, hashed while OUT's disk is flushed
        problems = write_output(
            done.files,
            out,
            force=force,
            prune_accounts=prune_accounts,
            renamed_accounts=accounts.renamed(done.catalog),
            previous=done.previous,
            ahead=ahead(),
            meanwhile=(lambda: made.append(recall.entries(done.files))) if done.recalled.inputs else None,
        )
    if not has_errors(problems):
        done.remember(catalog_path, made[0] if made else None)
    diags = sort_diagnostics([*done.diagnostics, *problems])
    return not has_errors(diags), diags


def check_compiled(
    catalog_path: Path, out: Path, now: dt.datetime | None = None
) -> tuple[list[Diagnostic], str | None]:
    """``compile --check``: (diagnostics, the unified diff from OUT to what compile would
    write, "" when OUT is up to date).  The diff is None when the catalog is in error.

    As in ``compile_catalog``, a catalog whose remembered files OUT holds is not rendered."""
    from rolecat.targets.terraform.write import check_output, read_ahead

    check_out_apart(catalog_path, out)
    with read_ahead(out) as ahead:  # OUT's files, read on the second core meanwhile
        done = _compile(catalog_path, out, now, ahead, lookup=True, check=True)
        if done.current:
            return done.diagnostics, ""
        if done.catalog is None or has_errors(done.diagnostics) or not done.files:
            return done.diagnostics, None
        diff, problems = check_output(done.files, out, done.previous, ahead())
    if not diff and not has_errors(problems):
        done.remember(catalog_path)
    return [*done.diagnostics, *problems], diff


def replacement_warnings(
    catalog: Catalog, known: PreviousManifest | None, rendered: bytes | None = None
) -> list[Diagnostic]:
    """``F001`` for every resource that applying this catalog over OUT's last compile
    (``known``: its manifest, ``PreviousManifest.read``) replaces, ``F002`` for every user
    whose MFA device name would change.

    ``rendered``: the manifest this compile writes; when OUT's last manifest is the same
    text, the last compile was of the same catalog and nothing is replaced."""
    from rolecat.targets.terraform import replacements

    if known is None or (rendered is not None and known.raw == rendered):
        return []
    previous = known.parsed()
    if previous is None:
        return []  # no previous compile (or one the write stage reports as unreadable)
    labelled = replacements.label_scheme(catalog, previous) + replacements.ci_role_renames(catalog, previous)
    try:
        base = replacements.from_manifest(previous)
    except (ValueError, KeyError, TypeError, AttributeError):
        return labelled
    head = replacements.from_catalog(catalog)
    found = replacements.compare(base, head)
    return labelled + replacements.diagnostics(
        found, catalog.root, replacements.mfa_device_changes(base, head)
    )
