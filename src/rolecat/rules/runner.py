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

from rolecat.diagnostics import Diagnostic, did_you_mean, error, warning
from rolecat.model import Acceptance, Catalog, Role

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
            if acceptance.builtin:  # rolecat's own, for a role it generates: no entry in any file
                continue
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
            out.extend(_method_problems(catalog, role, i, acceptance))
    return out


def _guess(method: str, known: list[str]) -> str:
    close = did_you_mean(method, known)
    return f"did you mean {close}?" if close else "docs/checks.md lists the methods I001 reports"


def _method_problems(catalog: Catalog, role: Role, i: int, acceptance: Acceptance) -> list[Diagnostic]:
    """``methods:`` of an ``accept:`` entry: I001's only, each a known method (C089); an
    I001 entry without it accepts every escalation path the role has or will gain (C090)."""
    from rolecat.iam.escalation import METHODS

    if acceptance.check != "I001":
        if not acceptance.methods:
            return []
        return [
            error(
                "C089",
                f"accept: methods names escalation methods, which only I001 reports (not {acceptance.check})",
                catalog.locate(role.source, ("accept", i, "methods"), key=True),
                "remove methods from this entry",
            )
        ]
    known = [m.id for m in METHODS]
    out = [
        error(
            "C089",
            f"accept: {method} is not an escalation method",
            catalog.locate(role.source, ("accept", i, "methods", j)),
            _guess(method, known),
        )
        for j, method in enumerate(acceptance.methods)
        if method not in known
    ]
    if not acceptance.methods:
        out.append(
            warning(
                "C090",
                f"accept: I001 without methods accepts every escalation path of role {role.name}, "
                "those a later change gives it included",
                catalog.locate(role.source, ("accept", i, "check")),
                "name the paths accepted, e.g. methods: [rhino-18] (each I001 message starts with its method)",
            )
        )
    return out


def apply_accept(catalog: Catalog, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Mark findings the role (whose file they point into) accepts, with the reason of the
    first of its ``accept:`` entries that covers them (``Acceptance.covers``)."""
    accepts: dict[tuple[str, str], list[Acceptance]] = {}
    for role in catalog.roles:
        for acceptance in role.accept:
            accepts.setdefault((role.source, acceptance.check), []).append(acceptance)
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
            reason = next(
                (a.reason for a in accepts.get((diag.location.path, diag.code), ()) if a.covers(diag)), None
            )
        out.append(replace(diag, accepted_reason=reason) if reason is not None else diag)
    return out


def run_rules(catalog: Catalog, runs: Sequence[RuleRun]) -> list[Diagnostic]:
    """Run ``runs`` isolated from each other and apply ``accept:`` to what they found."""
    return apply_accept(catalog, run_isolated(runs))
