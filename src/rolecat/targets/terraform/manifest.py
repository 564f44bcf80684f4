"""``manifest.json``: the inventory of a compile, designed to merge.

Format version 2 (docs/manifest.md; its JSON Schema is ``manifest.schema.json`` beside
this module, printed by ``rolecat schema manifest``, which ``write.py`` checks the
previous manifest against before trusting it):

- no aggregate or per-file hash: two pull requests that change different roles change
  different lines, never the same one;
- every document is stated once, under ``documents``, keyed by what it belongs to
  (``trust/<role>``, ``policy/<name>``, ``boundary/<name>``, with ``@<account>`` when
  the document differs between accounts, ``delegated/<role>@<account>``,
  ``ci/<role>@<account>`` (the inline policy of a ``deploy_roles`` CI role),
  ``identity/<policy name>``); roles and policies refer to it by key.  A key names an
  entity, not a content hash, so an edit changes one entry in place;
- labels, files and former names (``renamed_from``) are recorded, so a later compile
  or ``rolecat diff`` can tell a rename from a replacement.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rolecat.deploy import policies
from rolecat.deploy.order import apply_order
from rolecat.model import Catalog, Role, SamlProvider
from rolecat.packagedata import package_folder

from .render import (
    PASSWORD_POLICY_FILE,
    AccountView,
    Layout,
    PolicyView,
    relative_source,
)

MANIFEST_VERSION = 2


def _doc(d: Layout | Mapping[str, Any]) -> Mapping[str, Any]:
    return d.document if isinstance(d, Layout) else d


def _same(docs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every document has the same text (``aws_json``).  An object shared by
    every account (most are) is the same without encoding anything."""
    first = docs[0]
    if all(d is first for d in docs):
        return True
    return len({policies.aws_json(d) for d in docs}) == 1


def _policy_keys(views: Sequence[AccountView]) -> dict[tuple[str, str, str], str]:
    """(kind, name, account) -> document key: one key when every account has the same text."""
    docs: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for view in views:
        for p in view.policies:
            docs.setdefault((p.kind, p.source), {})[view.account.name] = _doc(p.document)
    out = {}
    for (kind, name), by_account in docs.items():
        same = _same(list(by_account.values()))
        for acct in by_account:
            out[(kind, name, acct)] = f"{kind}/{name}" if same else f"{kind}/{name}@{acct}"
    return out


def _trust_keys(views: Sequence[AccountView]) -> dict[str, str | None]:
    """role -> key of its trust policy: ``trust/<role>`` when every account has the same
    one, None when not (then each account's is ``trust/<role>@<account>``: a federated
    trust names each account's provider ARN)."""
    first: dict[str, Layout | Mapping[str, Any]] = {}
    differ: dict[str, list[Mapping[str, Any]]] = {}
    for view in views:
        for rv in (*view.roles, *view.ci_roles):
            name, trust = rv.role.name, rv.trust
            seen = first.setdefault(name, trust)
            if seen is not trust:  # another object: the same text or not (``_same``)
                differ.setdefault(name, [_doc(seen)]).append(_doc(trust))
    out: dict[str, str | None] = dict.fromkeys(first)
    for name in first:
        docs = differ.get(name)
        out[name] = f"trust/{name}" if docs is None or _same(docs) else None
    return out


def manifest_data(catalog: Catalog, views: Sequence[AccountView], paths: Iterable[str]) -> dict[str, Any]:
    """The manifest as data; ``paths``: every generated file's but the manifest's."""
    from rolecat import __version__

    documents: dict[str, Mapping[str, Any]] = {}
    keys = _policy_keys(views)
    trust_keys = _trust_keys(views)
    accounts: dict[str, Any] = {}
    backend = catalog.terraform.backend
    # a role's entries in its accounts share what comes from the role alone, as one dict
    # spliced into each (the lists too: the data is only serialized)
    role_parts: dict[int, tuple[Role, dict[str, Any], dict[str, Any]]] = {}

    def policy_entry(acct: str, p: PolicyView) -> dict[str, Any]:
        key = keys[(p.kind, p.source, acct)] if p.kind != "identity" else f"identity/{p.name}"
        documents[key] = _doc(p.document)
        return {
            "kind": p.kind,
            "name": p.source,
            "label": p.label,
            "file": p.file or None,
            "path": p.path,  # "/" but for a pinned policy's live path
            "description": p.description,  # None: a pinned policy without one
            "document": key,
        }

    for view in views:
        acct = view.account
        pols = {p.name: policy_entry(acct.name, p) for p in (*view.policies, *view.identity_policies)}
        roles = {}
        for rv in (*view.roles, *view.ci_roles):
            r = rv.role
            shared = role_parts.get(id(r))
            if shared is None or shared[0] is not r:
                shared = role_parts[id(r)] = (r, _role_fields(catalog, r), _principals(r))
            trust_key = trust_keys[r.name] or f"trust/{r.name}@{acct.name}"
            documents[trust_key] = _doc(rv.trust)
            delegated = None
            if rv.delegated is not None:
                delegated = f"delegated/{r.name}@{acct.name}"
                documents[delegated] = _doc(rv.delegated)
            role: dict[str, Any] = {
                "arn": rv.arn,
                "label": rv.label,
                "file": rv.file,
                **shared[1],
                "trust_policy": trust_key,
                "boundary": rv.boundary.name if rv.boundary else None,
                "policies": [p.name for p in rv.policies],
                "managed_policy_arns": list(rv.managed_policy_arns),
                "delegated_role_creation": delegated,
            }
            if rv.ci_policy is not None:  # only on the CI roles (deploy_roles)
                key = f"ci/{r.name}@{acct.name}"
                documents[key] = _doc(rv.ci_policy)
                role["ci_policy"] = key
            if rv.revoke is not None:  # only when set: manifests of other catalogs stay as they were
                key = f"revoke/{r.name}@{acct.name}"
                documents[key] = _doc(rv.revoke)
                role["revoke_older_sessions"] = key
            if shared[2]:
                role.update(shared[2])
            if rv.instance_profile is not None:
                role["instance_profile"] = {
                    "name": rv.instance_profile.name,
                    "label": rv.instance_profile.label,
                }
            roles[r.name] = role
        entry: dict[str, Any] = {
            "id": acct.id,
            "identity": acct.identity,
            "environment": acct.environment,
            "region": acct.region,
            "folder": acct.name,
            "renamed_from": list(acct.renamed_from),
            "state_key": f"{backend.key_prefix}{acct.id}.tfstate" if backend else None,
            "policies": dict(sorted(pols.items())),
            "roles": roles,
            "released": {
                "roles": [r.name for r in catalog.released_roles if acct.name in r.accounts],
                "users": [u.name for u in catalog.released_users] if acct.identity else [],
            },
        }
        if view.oidc_providers:  # only when present, as below
            entry["oidc_providers"] = {
                o.name: {
                    "arn": o.arn,
                    "label": o.label,
                    "file": o.file,
                    "url": o.url,
                    "audiences": sorted(o.audiences),
                    "thumbprints": list(o.thumbprints),
                }
                for o in view.oidc_providers
            }
        if view.saml_providers:  # only when present, as oidc_providers
            entry["saml_providers"] = {
                sp.name: {
                    "arn": sp.arn,
                    "label": sp.label,
                    "file": sp.file,
                    "name": sp.iam_name,
                    "metadata_file": sp.metadata_file,
                    "metadata_sha256": hashlib.sha256(sp.metadata.encode("utf-8")).hexdigest(),
                }
                for sp in view.saml_providers
            }
        if view.password_policy is not None:
            pp = view.password_policy
            entry["password_policy"] = {
                "label": view.password_policy_label,
                "file": f"{acct.name}/{PASSWORD_POLICY_FILE}",
                "minimum_length": pp.minimum_length,
                "max_age_days": pp.max_age_days,
                "hard_expiry": pp.hard_expiry,
                "reuse_prevention": pp.reuse_prevention,
            }
        if acct.identity:
            by_name = {u.name: u for u in catalog.users}
            entry["users"] = {
                u["name"]: {
                    "arn": policies.user_arn(acct, u["name"]),
                    "label": u["label"],
                    "renamed_from": list(by_name[u["name"]].renamed_from),
                    "mfa_serial": policies.mfa_arn(acct, by_name[u["name"]].mfa_device),
                    "tags": u["tags"],
                }
                for u in view.users
            }
            entry["groups"] = {
                view.group: {
                    "members": [u["name"] for u in view.users],
                    "policies": [p.name for p in view.identity_policies],
                }
            }
        accounts[acct.name] = entry
    return {
        "manifest_version": MANIFEST_VERSION,
        "generator": f"rolecat {__version__}",
        "organization": catalog.organization,
        "apply_order": apply_order(catalog),
        "files": sorted(paths),
        "accounts": accounts,
        "documents": dict(sorted(documents.items())),
    }


def _role_fields(catalog: Catalog, r: Role) -> dict[str, Any]:
    """A role's manifest fields from ``kind`` to ``trusted_services``: the same in each of
    its accounts, and next to each other in its entry."""
    return {
        "kind": r.kind,
        "path": r.path,
        "admin": r.admin,
        "source": relative_source(catalog, r.source),
        "owners": list(r.owners or catalog.owners),
        "renamed_from": list(r.renamed_from),
        "max_session_duration": r.max_session_duration,
        "members": sorted(r.members),
        "temporary_members": [
            {"user": t.user, "until": t.until_iso, "reason": t.reason}
            for t in sorted(r.temporary_members, key=lambda t: (t.until, t.user))
        ],
        "trusted_services": list(r.trusted_services),
    }


def _principals(r: Role) -> dict[str, Any]:
    """The role's federated, cross-account, external and team principals; each key only
    when the role has any, so other roles' entries stay as they were (the instance
    profile, when the role has one, follows them)."""
    out: dict[str, Any] = {}
    if r.teams:
        out["teams"] = {t: sorted(people) for t, people in sorted(r.teams.items())}
    if r.federated:
        out["federated"] = [
            {"provider": f.provider, "claims": {k: list(v) for k, v in f.claims}}
            if isinstance(r.federated_providers.get(f.provider), SamlProvider)
            else {"provider": f.provider, "subjects": list(f.subjects)}
            for f in r.federated
        ]
    if r.trusted_roles:
        out["trusted_roles"] = [{"account": a, "role": n} for a, n in r.trusted_roles]
    if r.external_accounts:
        out["external_accounts"] = [{"id": i, "external_id": x} for i, x in r.external_accounts]
    return out


def manifest_bytes(catalog: Catalog, views: Sequence[AccountView], paths: Iterable[str]) -> bytes:
    """manifest.json as written: JSON indented by two spaces, UTF-8, a final newline.
    ``paths``: every generated file's but the manifest's."""
    import orjson

    return orjson.dumps(
        manifest_data(catalog, views, paths), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )


SCHEMA_FILE = "manifest.schema.json"


@functools.cache
def schema_text() -> str:
    """The JSON Schema of manifest.json (``rolecat schema manifest``)."""
    return (package_folder("rolecat.targets.terraform") / SCHEMA_FILE).read_text("utf-8")


@functools.cache
def _validator() -> Any:
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text()))


def schema_problem(data: Any) -> str | None:
    """Why ``data`` is not a manifest this rolecat writes; None when it is.

    A version 1 manifest (rolecat before the stable identities) is accepted as long as
    it has the file list the write stage needs: upgrading must not need ``--force``.
    """
    import fastjsonschema

    if isinstance(data, dict) and data.get("manifest_version") == 1:
        files = data.get("files")
        if isinstance(files, list) and all(
            isinstance(f, dict) and isinstance(f.get("path"), str) for f in files
        ):
            return None
        return "a version 1 manifest needs files: [{path, sha256}]"
    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        return str(exc.message)
    return None
