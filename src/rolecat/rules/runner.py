"""The rule runner: runs rules, contains their crashes, applies ``accept:``.

- A rule that raises becomes one ``R001`` diagnostic; the other rules' findings stay.
- ``accept:`` is applied the same way to every code: a finding whose code the registry
  marks acceptable, located in a role's file, is marked accepted with the role's reason.
- An ``accept:`` entry naming a code rolecat does not have (``C024``) or one that cannot
  be accepted (``C025``) is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from rolecat.diagnostics import Diagnostic, error
from rolecat.model import Catalog

from .registry import BY_CODE

RuleRun = tuple[str, Callable[[], Iterable[Diagnostic]]]  # (name, run)


def _crash(name: str, exc: Exception) -> Diagnostic:
    if os.environ.get("ROLECAT_DEBUG"):
        raise exc
    return error(
        "R001",
        f"internal error in rule {name}: {type(exc).__name__}: {exc}; its findings are missing",
        None,
        "this is a bug in rolecat; the other rules ran and their findings are reported",
    )


def run_isolated(runs: Sequence[RuleRun]) -> list[Diagnostic]:
    """Every run's diagnostics; a run that raises gives one R001 instead of its findings."""
    out: list[Diagnostic] = []
    for name, run in runs:
        try:
            out.extend(run())
        except Exception as exc:
            out.append(_crash(name, exc))
    return out


def acceptance_problems(catalog: Catalog) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for role in catalog.roles:
        for i, acceptance in enumerate(role.accept):
            rule = BY_CODE.get(acceptance.check)
            where = catalog.locate(role.source, ("accept", i, "check"))
            if rule is None:
                out.append(
                    error(
                        "C024",
                        f"accept: {acceptance.check} is not a rolecat code",
                        where,
                        "docs/checks.md lists every code",
                    )
                )
            elif not rule.acceptable:
                out.append(
                    error(
                        "C025",
                        f"accept: {acceptance.check} ({rule.summary.rstrip('.')}) cannot be accepted",
                        where,
                        "fix the finding instead; only findings a reviewer may knowingly keep can be accepted",
                    )
                )
    return out


def apply_accept(catalog: Catalog, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Mark findings the role (whose file they point into) accepts, with the role's reason."""
    reasons: dict[tuple[str, str], str] = {}
    for role in catalog.roles:
        for acceptance in role.accept:
            reasons.setdefault((role.source, acceptance.check), acceptance.reason)
    out = []
    for diag in diags:
        rule = BY_CODE.get(diag.code)
        reason = None
        if (
            rule is not None
            and rule.acceptable
            and diag.location is not None
            and diag.accepted_reason is None
        ):
            reason = reasons.get((diag.location.path, diag.code))
        out.append(replace(diag, accepted_reason=reason) if reason is not None else diag)
    return out


def run_rules(catalog: Catalog, runs: Sequence[RuleRun]) -> list[Diagnostic]:
    """Run ``runs`` isolated from each other and apply ``accept:`` to what they found."""
    return apply_accept(catalog, run_isolated(runs))
