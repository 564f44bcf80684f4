"""``manifest.json``: what a compile wrote and what it deployed, for machines.

Built from the deployment and the rendered files; its shape is the JSON Schema
``schemas/manifest.schema.json`` (printed by ``rolecat schema manifest``), which
``write.py`` checks the previous manifest against before trusting it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from rolecat.deploy.deployment import DeployedPolicy, Deployment
from rolecat.model import Catalog

from .render import RenderedFile, relative_source

MANIFEST_VERSION = 1


def _policy_entry(catalog: Catalog, p: DeployedPolicy) -> dict[str, Any]:
    return {
        "name": p.name,
        "policy_name": p.iam_name,
        "file": relative_source(catalog, p.source),
        "document": p.document,
    }


def manifest_data(catalog: Catalog, deployment: Deployment, files: Sequence[RenderedFile]) -> dict[str, Any]:
    from rolecat import __version__

    accounts: dict[str, Any] = {}
    for deployed in deployment.accounts.values():
        acct = deployed.account
        roles = {}
        for rv in deployed.roles.values():
            r = rv.role
            roles[r.name] = {
                "arn": rv.arn,
                "kind": r.kind,
                "path": r.path,
                "admin": r.admin,
                "source": relative_source(catalog, r.source),
                "max_session_duration": r.max_session_duration,
                "members": sorted(r.members),
                "temporary_members": [
                    {"user": t.user, "until": t.until_iso, "reason": t.reason}
                    for t in sorted(r.temporary_members, key=lambda t: (t.until, t.user))
                ],
                "trusted_services": list(r.trusted_services),
                "trust_policy": rv.trust,
                "boundary": _policy_entry(catalog, rv.boundary) if rv.boundary else None,
                "policies": [_policy_entry(catalog, p) for p in rv.policies],
                "managed_policy_arns": list(rv.managed_policy_arns),
                "delegated_role_creation": rv.inline,
            }
        entry: dict[str, Any] = {
            "id": acct.id,
            "identity": acct.identity,
            "environment": acct.environment,
            "region": acct.region,
            "folder": acct.name,
            "state_key": f"{catalog.terraform.backend.key_prefix}{acct.name}.tfstate"
            if catalog.terraform.backend
            else None,
            "roles": roles,
        }
        if acct.identity:
            entry["users"] = {
                u.name: {"arn": u.arn, "mfa_serial": u.mfa_serial, "tags": u.tags} for u in deployed.users
            }
            entry["groups"] = {
                g.name: {"members": list(g.members), "policies": {p.iam_name: p.document for p in g.policies}}
                for g in deployed.groups
            }
        accounts[acct.name] = entry
    return {
        "manifest_version": MANIFEST_VERSION,
        "generator": f"rolecat {__version__}",
        "organization": catalog.organization,
        "apply_order": [a.name for a in sorted(catalog.accounts, key=lambda a: (not a.identity, a.name))],
        "files": [{"path": f.path, "sha256": f.sha256} for f in sorted(files, key=lambda f: f.path)],
        "accounts": accounts,
    }


def manifest_text(catalog: Catalog, deployment: Deployment, files: Sequence[RenderedFile]) -> str:
    import orjson

    data = manifest_data(catalog, deployment, files)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


SCHEMA_FILE = "manifest.schema.json"


@functools.cache
def schema_text() -> str:
    """The JSON Schema of manifest.json (``rolecat schema manifest``)."""
    return resources.files("rolecat.targets.terraform").joinpath(SCHEMA_FILE).read_text("utf-8")


@functools.cache
def _validator() -> Any:
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text()))


def schema_problem(data: Any) -> str | None:
    """Why ``data`` is not a manifest this rolecat writes; None when it is."""
    import fastjsonschema

    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        return str(exc.message)
    return None
