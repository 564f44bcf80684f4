"""Condition keys and policy variables in the catalog's policy and boundary files.

- K001 (error): a condition key that is neither a global key, nor a key of the service
  its prefix names, nor a claim key of a declared federated provider; with did-you-mean.
  Also the claim keys a role's SAML trust tests (``federated: [{claims: ...}]``), against
  that provider's claim keys.
- K002 (warning): a service key that none of the statement's actions supports: the
  condition never matches (or, under ...IfExists, never applies).
- K003 (warning): a policy variable that cannot resolve for a role session, such as
  ``${aws:username}`` (only IAM users have it): the comparison silently matches nothing.

Every policy and boundary file is attached to roles (the identity account's own
policies are written by rolecat), so every file is checked as a role's policy.
Findings are reported once per file position, whatever the number of accounts it is
rendered for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rolecat.diagnostics import Diagnostic, error, warning
from rolecat.iam.actions import ActionDB
from rolecat.iam.conditionkeys import ConditionKeyDB, KeySet
from rolecat.iam.globs import has_wildcard
from rolecat.model import Catalog, RenderedPolicy

# Request-context keys that a role session never carries (AWS: "aws:username ... is not
# present for roles"); a policy variable naming them resolves to nothing.
_NOT_FOR_ROLES = {"aws:username": "aws:userid (role-id:session-name) or aws:PrincipalTag/<key>"}
_POLICY_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield (), value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            for p, s in _strings(v):
                yield (i, *p), s
    elif isinstance(value, dict):
        for k, v in value.items():
            for p, s in _strings(v):
                yield (k, *p), s


def _supported(keys: ConditionKeyDB, actions: ActionDB, stmt_actions: list[str], key: str) -> bool | None:
    """Whether some action of the statement supports ``key``; None when that cannot be told."""
    names: set[str] = set()
    for a in stmt_actions:
        if not isinstance(a, str) or a == "*" or ":" not in a:
            return None
        if has_wildcard(a):
            names |= set(actions.expand(a))
        else:
            names.add(a)
    known = False
    for name in names:
        ks = keys.action_keys(name)
        if ks is None:
            continue
        known = True
        if key in ks:
            return True
    return False if known else None


def _check_file(
    rendered: RenderedPolicy, keys: ConditionKeyDB, actions: ActionDB, claims: KeySet
) -> Iterator[Diagnostic]:
    doc, where = rendered.document, rendered.doc.locate
    statements = doc.get("Statement", [])
    for si, stmt in enumerate(_as_list(statements)):
        if not isinstance(stmt, dict):
            continue
        spath: tuple[str | int, ...] = ("Statement", si) if isinstance(statements, list) else ("Statement",)
        cond = stmt.get("Condition")
        if isinstance(cond, dict):
            for op, tests in cond.items():
                if not isinstance(tests, dict):
                    continue
                for key in tests:
                    loc = where((*spath, "Condition", op, key), key=True)
                    if not keys.exists(key, claims):
                        guess = keys.suggest(key, claims)
                        yield error(
                            "K001",
                            f"unknown condition key {key!r}",
                            loc,
                            f"did you mean {guess!r}?"
                            if guess
                            else f"not a global key (list checked {keys.checked}) nor a key of its service",
                        )
                    elif not keys.is_global(key) and key not in claims and "Action" in stmt:
                        ok = _supported(keys, actions, _as_list(stmt["Action"]), key)
                        if ok is False:
                            yield warning(
                                "K002",
                                f"no action of this statement supports the condition key {key!r}",
                                loc,
                                "the service authorization reference lists the keys each action supports",
                            )
        for path, text in _strings(stmt):
            for m in _POLICY_VARIABLE.finditer(text):
                var = m.group(1).lower()
                if var in _NOT_FOR_ROLES:
                    yield warning(
                        "K003",
                        f"policy variable ${{{m.group(1)}}} never resolves for a role session",
                        where((*spath, *path)),
                        f"roles have no {m.group(1)}; use {_NOT_FOR_ROLES[var]}",
                    )


def _check_trust_claims(catalog: Catalog, keys: ConditionKeyDB) -> Iterator[Diagnostic]:
    """K001 for the claim keys of a role's SAML trust (``federated: [{provider, claims}]``):
    each must be a claim key of that provider (the SAML keys sts:AssumeRoleWithSAML offers)."""
    for role in (*catalog.roles, *catalog.released_roles):
        for f in role.federated:
            provider = role.federated_providers.get(f.provider)
            if provider is None or not f.claims:
                continue
            own = KeySet.of(provider.claim_keys)
            for key, _values in f.claims:
                if key in own:
                    continue
                guess = keys.suggest(key, own)
                yield error(
                    "K001",
                    f"unknown condition key {key!r} for identity provider {f.provider!r}",
                    catalog.locate(role.source, ("federated", f.index, "claims", key), key=True),
                    f"did you mean {guess!r}?"
                    if guess
                    else f"a SAML trust tests the assertion's keys: {', '.join(provider.claim_keys[:4])}, ...",
                )


def check(catalog: Catalog) -> list[Diagnostic]:
    keys = ConditionKeyDB.load()
    actions = ActionDB.load().with_known_actions(catalog.known_actions)
    # claim keys of the declared identity providers (<issuer host>:sub, ..., SAML:sub, ...)
    claim_set = KeySet.of(k for p in catalog.identity_providers.values() for k in p.claim_keys)
    seen: set[tuple[str, str, object]] = set()
    out: list[Diagnostic] = []
    # A file without per-account placeholders is one document for every account it is
    # rendered for (``model.documents``): checked once, as its findings would all repeat.
    checked: set[tuple[int, int]] = set()
    for rendered in catalog.rendered.values():
        same = (id(rendered.document), id(rendered.doc))
        if same in checked:
            continue
        checked.add(same)
        for d in _check_file(rendered, keys, actions, claim_set):
            mark = (d.code, d.message, d.location)
            if mark not in seen:
                seen.add(mark)
                out.append(d)
    out.extend(_check_trust_claims(catalog, keys))
    return out
