"""Model stage: validated source documents -> ``Catalog``, plus semantic diagnostics.

Owns everything that needs more than one file: references between files, uniqueness
across files, defaults, time-boxed members, AWS managed policy names, and rendering
the policy and boundary files once per account that uses them.
"""

from __future__ import annotations

import datetime as dt

from rolecat.diagnostics import Diagnostic
from rolecat.load.discover import Sources
from rolecat.load.schema import Validated, validate_sources

from . import adoption
from .catalog import Catalog
from .cicd import ci_roles, resolve_deploy_roles
from .documents import render_documents
from .resolve import (
    Resolution,
    check_trusted_roles,
    resolve_password_policy,
    resolve_role,
    resolve_settings,
    resolve_users,
    unique_names,
)


def build_model(src: Sources, valid: Validated, now: dt.datetime) -> tuple[Catalog | None, list[Diagnostic]]:
    """The model stage over schema-valid documents: resolution, then the documents stage.

    None when catalog.yaml or users.yaml cannot be built; otherwise the catalog of every
    role that could be built, alongside all diagnostics found so far.
    """
    r = Resolution(
        now,
        unreadable=src.unreadable,
        policies=src.policies,
        boundaries=src.boundaries,
        root=src.root,
        display_root=src.display_root,
    )
    diags = list(src.diagnostics) + list(valid.diagnostics)
    if valid.catalog is None:
        return None, diags + r.diags
    settings = resolve_settings(valid.catalog, r)
    users = resolve_users(valid.users, r) if valid.users is not None else ()
    r.users_known = valid.users is not None
    r.accounts = {a.name: a for a in settings.accounts}
    r.providers = settings.identity_providers
    r.users = {u.name: u for u in users}
    r.role_names = {doc.data["name"] for doc in valid.roles}
    roles = []
    released_roles = []  # release: true: left to Terraform removed blocks
    all_roles_built = valid.all_roles_valid
    for doc in valid.roles:
        role = resolve_role(doc, r, settings.defaults)
        if role is not None and doc.data.get("release", False):
            released_roles.append(role)
        elif role is not None:
            roles.append(role)
        else:
            all_roles_built = False
    ci = resolve_deploy_roles(valid.catalog, r.accounts, r.providers, r)
    if ci is not None:
        roles.extend(
            ci_roles(
                ci, valid.catalog.path, settings.accounts, r.providers, settings.owners, settings.defaults
            )
        )
    roles.sort(key=lambda x: (x.name.lower(), x.name, x.source))
    released_roles.sort(key=lambda x: (x.name.lower(), x.name, x.source))
    docs = {d.path: d for d in (src.catalog, src.users, valid.imports, *src.roles) if d is not None}
    unique_names(sorted([*roles, *released_roles], key=lambda x: (x.name.lower(), x.name, x.source)), docs, r)
    check_trusted_roles(roles, docs, r)
    rendered, found = render_documents(
        [*roles, *released_roles],
        r.accounts,
        settings.organization,
        src.policies,
        src.boundaries,
        frozenset(settings.known_actions),
        all_roles_built=all_roles_built,
    )
    diags.extend(r.diags)
    diags.extend(found)
    pinned, found = adoption.pinned_policies(valid.catalog, src.policies, src.boundaries)
    diags.extend(found)
    imports, found = adoption.import_record(valid.imports, r.accounts)
    diags.extend(found)
    if src.users is None or valid.users is None or sum(a.identity for a in settings.accounts) != 1:
        # Without exactly one identity account (C001) there is no trust policy to build.
        return None, diags
    # A catalog with errors is still returned (without the roles that failed to build)
    # so later checks report in the same run; the pipeline renders nothing then.
    catalog = Catalog(
        root=src.display_root,
        organization=settings.organization,
        owners=settings.owners,
        defaults=settings.defaults,
        accounts=settings.accounts,
        users=users,
        roles=tuple(roles),
        policies=dict(src.policies),
        boundaries=dict(src.boundaries),
        terraform=settings.terraform,
        quotas=settings.quotas,
        known_actions=settings.known_actions,
        rendered=rendered,
        docs=docs,
        catalog_file=valid.catalog.path,
        users_file=src.users.path,
        released_users=tuple(sorted(r.released_users, key=lambda u: u.name)),
        released_roles=tuple(released_roles),
        pinned=pinned,
        imports=imports,
        imports_file=valid.imports.path if valid.imports is not None else None,
        password_policy=resolve_password_policy(valid.catalog.data),
        identity_providers=settings.identity_providers,
        deploy_roles=ci,
    )
    return catalog, diags


def build(src: Sources, now: dt.datetime) -> tuple[Catalog | None, list[Diagnostic]]:
    """Schema stage, then model stage (for callers that hold discovered sources)."""
    return build_model(src, validate_sources(src), now)
