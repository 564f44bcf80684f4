"""Resources Terraform will replace between two catalogs, with the reason.

A stand-in until the stable-identities work (issue 10) provides its own analysis: it
looks only at the attributes the AWS provider marks ForceNew that the catalog controls,
for entities present in both catalogs under the same name:

* ``aws_iam_role``: ``name`` (a role is matched by name, so only a change of case or a
  rename shows up as removal and addition, not here) and ``path``;
* ``aws_iam_policy``: ``name``, ``path`` and ``description``.  rolecat names a policy
  after its file and writes it on path ``/`` with a description naming the file, so a
  policy file moved to another folder is replaced.

Swap ``replacements`` for the issue-10 function when it lands; the JSON shape
(``{kind, name, account, attribute, before, after, reason}``) is what ``diff`` prints.
"""

from __future__ import annotations

from typing import Any

from rolecat.model import Catalog


def _policy_files(catalog: Catalog) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for kind, table in (("policy", catalog.policies), ("boundary", catalog.boundaries)):
        for name, file in table.items():
            out[(kind, name)] = file.source.removeprefix(catalog.root.rstrip("/") + "/")
    return out


def replacements(base: Catalog, head: Catalog) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = {(r.name, a): r for r in base.roles for a in r.accounts}
    for role in head.roles:
        for account in role.accounts:
            old = before.get((role.name, account))
            if old is not None and old.path != role.path:
                out.append(
                    {
                        "kind": "aws_iam_role",
                        "name": role.name,
                        "account": account,
                        "attribute": "path",
                        "before": old.path,
                        "after": role.path,
                        "reason": "path forces a new role: Terraform destroys it and creates it again, "
                        "ending every session and resetting its RoleId",
                    }
                )
    old_files, new_files = _policy_files(base), _policy_files(head)
    used_old = {(k, n, a) for (k, n, a) in base.rendered}
    for kind, name, account in sorted(head.rendered):
        if (kind, name, account) not in used_old:
            continue
        was, now = old_files.get((kind, name)), new_files.get((kind, name))
        if was is not None and now is not None and was != now:
            out.append(
                {
                    "kind": "aws_iam_policy",
                    "name": f"{kind}-{name}",
                    "account": account,
                    "attribute": "description",
                    "before": was,
                    "after": now,
                    "reason": "the description names the policy file; a new description forces a new policy",
                }
            )
    out.sort(key=lambda r: (r["account"], r["kind"], r["name"], r["attribute"]))
    return out
