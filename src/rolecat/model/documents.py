"""Documents stage: each policy and boundary file rendered for every account that uses it,
parsed, and checked against the policy grammar (``rules/grammar.py``).

Runs after the roles are resolved (it needs to know which file each account uses) and
before the checks; its result is ``Catalog.rendered``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rolecat.diagnostics import Diagnostic, Location, warning
from rolecat.load.source import load_json_text

from . import policyfile
from .catalog import Account, PolicyFile, RenderedPolicy, Role

if TYPE_CHECKING:
    from rolecat.rules import grammar

Rendered = dict[tuple[str, str, str], RenderedPolicy]


def wanted_documents(roles: Iterable[Role]) -> set[tuple[str, str, str]]:
    """(kind, name, account) of every document some role needs."""
    wanted: set[tuple[str, str, str]] = set()
    for role in roles:
        for acct in role.accounts:
            for p in role.policies:
                wanted.add(("policy", p, acct))
            if role.boundary:
                wanted.add(("boundary", role.boundary, acct))
            if role.delegated_role_creation:
                wanted.add(("boundary", role.delegated_role_creation.boundary, acct))
    return wanted


def _parse(
    file: PolicyFile,
    acct: str,
    text: str,
    db: Any,
    known_actions: frozenset[str],
    diags: list[Diagnostic],
    actions: grammar.ActionProblems,
) -> RenderedPolicy | None:
    from rolecat.rules import grammar

    doc, found = load_json_text(text, file.source)
    diags.extend(found)
    if doc is None or doc.refused:  # refused values (L014) are reported already
        return None
    diags.extend(grammar.check_policy_document(doc, file.kind, db, known_actions, actions=actions))
    if not isinstance(doc.data, dict):
        return None
    return RenderedPolicy(file, acct, doc.data, doc)


def render_documents(
    roles: Iterable[Role],
    accounts: Mapping[str, Account],
    organization: str,
    policies: Mapping[str, PolicyFile],
    boundaries: Mapping[str, PolicyFile],
    known_actions: frozenset[str],
    *,
    all_roles_built: bool,
) -> tuple[Rendered, list[Diagnostic]]:
    """Every wanted document, rendered and checked; unused files warned about (C032) when
    every role was built (a role that failed to build may be the one using a file)."""
    from rolecat.iam.actions import ActionDB

    db = ActionDB.load()
    diags: list[Diagnostic] = []
    wanted = wanted_documents(roles)
    scans: dict[tuple[str, str], policyfile.Scan] = {}
    out: Rendered = {}
    # Files without account-specific placeholders render to the same text everywhere:
    # parsed and checked once, the document shared (and so laid out once).
    parsed: dict[tuple[str, str, str], RenderedPolicy | None] = {}
    actions: grammar.ActionProblems = {}  # what each action named so far is (same db, same known)
    for kind, name, acct in sorted(wanted):
        file = (policies if kind == "policy" else boundaries)[name]
        found = scans.get((kind, name))
        if found is None:
            found = scans[(kind, name)] = policyfile.scan(file)
        text, problems = policyfile.render(file, found, accounts[acct], organization)
        diags.extend(problems)
        if text is None:
            continue
        key = (kind, name, text)
        if key not in parsed:
            parsed[key] = _parse(file, acct, text, db, known_actions, diags, actions)
        first = parsed[key]
        if first is not None:
            out[(kind, name, acct)] = RenderedPolicy(file, acct, first.document, first.doc)
    if all_roles_built:
        for kind, table in (("policy", policies), ("boundary", boundaries)):
            for name, file in table.items():
                if not any(k == kind and n == name for k, n, _ in wanted):
                    diags.append(
                        warning("C032", f"{kind} {name!r} is not used by any role", Location(file.source))
                    )
    return out, diags
