"""The ``scopedown:`` key of a role file: opting a service role in to scheduled scopedown PRs.

```yaml
scopedown:
  policy: report-exporter   # one of the role's policies: the file the suggestion rewrites
  account: prod             # whose CloudTrail; required when the role is in several accounts
  days: 30                  # log window ending now (default 30)
```

The key is read from the loaded role document (the model does not need it), checked here
and turned into one ``OptIn`` per role.  Problems are diagnostics at the key's position:

* SD007 (warning) a human role opts in: scopedown is for service roles;
* SD008 (error) ``policy`` is not one of the role's ``policies``;
* SD009 (error) the policy file is used by another role too: one role's usage written into
  it would cut the other's access;
* SD010 (error) ``account`` missing while the role is in several accounts, or not one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolecat.diagnostics import Diagnostic, Location, error, warning
from rolecat.model import Catalog, Role

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class OptIn:
    role: str
    account: str
    account_id: str
    policy: str
    days: int
    source: str

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role,
            "account": self.account,
            "account_id": self.account_id,
            "policy": self.policy,
            "days": self.days,
            "source": self.source,
        }


def policy_users(catalog: Catalog, policy: str) -> list[str]:
    return sorted(r.name for r in catalog.roles if policy in r.policies)


def opt_ins(catalog: Catalog) -> tuple[list[OptIn], list[Diagnostic]]:
    found: list[OptIn] = []
    diags: list[Diagnostic] = []
    for role in catalog.roles:
        doc = catalog.docs.get(role.source)
        data = doc.data if doc is not None else None
        conf = data.get("scopedown") if isinstance(data, dict) else None
        if not isinstance(conf, dict):
            continue
        item = _one(catalog, role, conf, diags)
        if item is not None:
            found.append(item)
    return found, diags


def _one(catalog: Catalog, role: Role, conf: dict[str, object], diags: list[Diagnostic]) -> OptIn | None:
    def at(*key: str) -> Location:
        return catalog.locate(role.source, ("scopedown", *key))

    policy = str(conf.get("policy", ""))
    if role.kind != "service":
        diags.append(
            warning(
                "SD007",
                f"{role.name} is a {role.kind} role: scheduled scopedown is for service roles; skipped",
                at(),
            )
        )
        return None
    if policy not in role.policies:
        diags.append(
            error(
                "SD008",
                f'scopedown.policy "{policy}" is not one of the policies of {role.name}',
                at("policy"),
                hint="name the policy file the suggestion should replace: "
                + (", ".join(role.policies) or "none"),
            )
        )
        return None
    others = [r for r in policy_users(catalog, policy) if r != role.name]
    if others:
        diags.append(
            error(
                "SD009",
                f"policies/{policy}.json is used by {', '.join(others)} too: {role.name}'s usage written "
                "into it would cut their access",
                at("policy"),
                hint=f"give {role.name} a policy file of its own",
            )
        )
        return None
    account = conf.get("account")
    if account is None:
        if len(role.accounts) != 1:
            diags.append(
                error(
                    "SD010",
                    f"{role.name} is in several accounts ({', '.join(role.accounts)}): scopedown.account "
                    "says whose CloudTrail to read",
                    at(),
                )
            )
            return None
        account = role.accounts[0]
    if account not in role.accounts:
        diags.append(
            error(
                "SD010",
                f'scopedown.account "{account}" is not one of the accounts of {role.name}',
                at("account"),
            )
        )
        return None
    days = conf.get("days", DEFAULT_DAYS)
    return OptIn(
        role=role.name,
        account=str(account),
        account_id=catalog.account(str(account)).id,
        policy=policy,
        days=int(days) if isinstance(days, int) else DEFAULT_DAYS,
        source=role.source,
    )
