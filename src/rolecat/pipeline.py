"""The stages wired together: load -> schema -> model -> checks -> render -> write.

Every stage hands on its value and its diagnostics; a run collects all of them, and
renders nothing when any is an error.  Commands call ``load_catalog`` or
``compile_catalog``; neither raises for anything wrong inside the catalog folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from rolecat.model.timeutil import utcnow

from .diagnostics import Diagnostic, has_errors, sort_diagnostics
from .model import Catalog

if TYPE_CHECKING:  # render pulls in Jinja: imported only when a command renders
    from rolecat.targets.terraform.render import RenderedFile


class UsageError(Exception):
    """A command-line mistake (exit 2): a CATALOG that does not exist, bad flags."""


def display_path(path: Path) -> str:
    """How diagnostics name files: relative to the working directory when inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return rel.as_posix() or "."


def load_catalog(path: Path, now: dt.datetime | None = None) -> tuple[Catalog | None, list[Diagnostic]]:
    """Load, validate and check a catalog folder.  Raises UsageError if it is not a folder."""
    from rolecat.load.discover import discover
    from rolecat.model import build
    from rolecat.rules import names, quotas

    if not path.exists():
        raise UsageError(f"catalog folder {path} does not exist")
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder (expected a catalog folder with catalog.yaml)")
    now = now or utcnow()
    sources = discover(path, display_path(path))
    catalog, diags = build.build(sources, now)
    if catalog is not None:
        diags.extend(run_checks(catalog, now))
        diags.extend(quotas.check(catalog))
        diags.extend(names.check(catalog))
    return catalog, sort_diagnostics(diags)


def run_checks(catalog: Catalog, now: dt.datetime) -> list[Diagnostic]:
    from rolecat.rules.iam import run_checks as iam_checks

    from .workflow.escalations import check_escalations

    return [*iam_checks(catalog, now), *check_escalations(catalog, now)]


def render_catalog(
    path: Path, now: dt.datetime | None = None
) -> tuple[Catalog | None, list[Diagnostic], list[RenderedFile]]:
    from rolecat.targets.terraform.render import render

    catalog, diags = load_catalog(path, now)
    if catalog is None or has_errors(diags):
        return catalog, diags, []
    return catalog, diags, list(render(catalog))


def compile_catalog(
    catalog_path: Path,
    out: Path,
    now: dt.datetime | None = None,
    *,
    force: bool = False,
    prune_accounts: bool = False,
) -> tuple[bool, list[Diagnostic]]:
    """Compile CATALOG into OUT.  False (and OUT untouched) when anything is in error."""
    from rolecat.targets.terraform import accounts
    from rolecat.targets.terraform.write import write_output

    catalog, diags, files = render_catalog(catalog_path, now)
    if catalog is None or has_errors(diags) or not files:
        return False, diags
    diags = [*diags, *replacement_warnings(catalog, out)]
    before = accounts.previous_files(out)
    renamed = frozenset(accounts.renamed(catalog))
    problems = write_output(files, out, force=force, prune_accounts=prune_accounts, renamed_accounts=renamed)
    if not has_errors(problems):
        accounts.carry(catalog, out, before)
    diags = sort_diagnostics([*diags, *problems])
    return not has_errors(diags), diags


def replacement_warnings(catalog: Catalog, out: Path) -> list[Diagnostic]:
    """``R001`` for every resource that applying this catalog over OUT's last compile replaces,
    ``R002`` for every user whose MFA device name would change."""
    import json

    from rolecat.targets.terraform import replacements

    try:
        previous = json.loads((out / "manifest.json").read_text("utf-8"))
        base = replacements.from_manifest(previous)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []  # no previous compile (or one the write stage reports as unreadable)
    head = replacements.from_catalog(catalog)
    found = replacements.compare(base, head)
    return replacements.diagnostics(found, catalog.root, replacements.mfa_device_changes(base, head))
