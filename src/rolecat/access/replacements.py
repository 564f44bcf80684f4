"""Resources Terraform will replace between two catalogs, with the reason.

The stable-identities work (issue 10) owns this analysis: when its
``rolecat.targets.terraform.replacements.between_catalogs`` is present, ``diff`` uses it.
Until then a minimal stand-in looks only at the attributes the AWS provider marks
ForceNew that the catalog controls, for entities present in both catalogs under the
same name:

* ``aws_iam_role``: ``path`` (a role is matched by name; a rename is a removal and an
  addition in the access sections);
* ``aws_iam_policy``: ``description``, which names the policy's file, so a policy file
  moved to another folder is replaced (``name`` and ``path`` follow from the file name
  and are always ``/``).

Both give ``{account, address, kind, name, reason, cost}``.
"""

from __future__ import annotations

import importlib
from typing import Any

from rolecat.model import Catalog

ROLE_COST = (
    "a replaced role gets a new RoleId: its open sessions end, and resource policies elsewhere that "
    "name it stop matching until they are updated"
)
POLICY_COST = "a replaced policy gets a new ARN; its attachments are replaced with it"


def replacements(base: Catalog, head: Catalog) -> list[dict[str, Any]]:
    try:
        owner = importlib.import_module("rolecat.targets.terraform.replacements")
    except ImportError:
        owner = None
    between = getattr(owner, "between_catalogs", None)
    if between is not None:
        return [r.as_json() for r in between(base, head)]
    return stand_in(base, head)


def _files(catalog: Catalog) -> dict[tuple[str, str], str]:
    root = catalog.root.rstrip("/") + "/"
    out: dict[tuple[str, str], str] = {}
    for kind, table in (("policy", catalog.policies), ("boundary", catalog.boundaries)):
        for name, file in table.items():
            out[(kind, name)] = file.source.removeprefix(root)
    return out


def stand_in(base: Catalog, head: Catalog) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = {(r.name, a): r for r in base.roles for a in r.accounts}
    for role in head.roles:
        for account in role.accounts:
            old = before.get((role.name, account))
            if old is not None and old.path != role.path:
                out.append(
                    {
                        "account": account,
                        "address": f"aws_iam_role.{role.name}",
                        "kind": "role",
                        "name": role.name,
                        "reason": f"path {old.path} -> {role.path} (ForceNew)",
                        "cost": ROLE_COST,
                    }
                )
    old_files, new_files = _files(base), _files(head)
    for kind, name, account in sorted(set(head.rendered) & set(base.rendered)):
        was, now = old_files.get((kind, name)), new_files.get((kind, name))
        if was is not None and now is not None and was != now:
            iam = f"{kind}-{name}"
            out.append(
                {
                    "account": account,
                    "address": f"aws_iam_policy.{kind}_{name}",
                    "kind": kind,
                    "name": iam,
                    "reason": f"description names the file: {was} -> {now} (ForceNew)",
                    "cost": POLICY_COST,
                }
            )
    out.sort(key=lambda r: (r["account"], r["kind"], r["name"]))
    return out
