"""The order in which to apply the accounts (``manifest.json`` ``apply_order``, ``rolecat
plan``/``apply``).

IAM checks, when a trust policy is written, that every principal it names exists
(``MalformedPolicyDocument: Invalid principal``). Every human role trusts users of the
identity account, and a role with ``trusted_roles`` trusts roles of other accounts: an
account is applied after every account holding a principal its trust policies name.
Among the accounts ready at a step, the identity account comes first, then by name; a
cycle (two accounts whose roles trust each other's) is broken the same way, and the
account applied too early needs a second apply for that one trust policy.
"""

from __future__ import annotations

from rolecat.model import Catalog


def apply_order(catalog: Catalog) -> list[str]:
    """Account names in the order to apply them."""
    names = {a.name for a in catalog.accounts}
    identity = next((a.name for a in catalog.accounts if a.identity), None)
    after: dict[str, set[str]] = {n: set() for n in names}  # account -> accounts it needs first
    for role in catalog.roles:
        first = identity if role.is_human else None  # human roles trust the identity account's users
        for account in role.accounts:
            if account not in after:
                continue
            if first is not None and account != first:
                after[account].add(first)
            if role.trusted_roles:  # most have none: no generator made for each role and account
                after[account].update(a for a, _ in role.trusted_roles if a in names and a != account)
    rank = {n: (n != identity, n) for n in names}
    order: list[str] = []
    left = set(names)
    while left:
        ready = [n for n in left if not (after[n] & left)]
        chosen = min(ready or left, key=rank.__getitem__)  # a cycle: the first by rank goes
        order.append(chosen)
        left.remove(chosen)
    return order
