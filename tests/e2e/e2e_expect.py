"""What IAM should hold after an apply, derived from the catalog's own YAML files (read with
PyYAML here, not through rolecat's loader or manifest), and what the emulator really holds,
read back with boto3 through each account's deploy role.

The naming contract used here is the documented one (docs/output.md): customer managed
policies ``boundary-<name>`` and ``policy-<name>`` on path ``/``, AWS managed policies at
``arn:aws:iam::aws:policy/<name>``, the identity account's group ``<organization>-humans``
with the policies ``<organization>-self-service`` and ``<organization>-assume-roles``,
trust principals ``arn:aws:iam::<identity id>:user/<name>``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DELEGATED_INLINE = "rolecat-delegated-role-creation"
REVOKE_INLINE = "rolecat-revoke-older-sessions"
USER_TAGS = ("email", "team", "name")  # users.yaml attributes written as tags (docs/catalog.md)


@dataclass
class RoleState:
    path: str
    description: str
    max_session_duration: int
    boundary: str | None
    attached: frozenset[str]
    inline: frozenset[str]
    members: frozenset[str]  # AWS principals of the trust policy
    services: frozenset[str]
    temporary: Mapping[str, str] = field(default_factory=dict)  # principal -> aws:CurrentTime bound
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass
class AccountState:
    roles: dict[str, RoleState]
    policies: frozenset[str]  # customer managed policy names
    users: dict[str, Mapping[str, str]] = field(default_factory=dict)  # name -> tags
    groups: dict[str, frozenset[str]] = field(default_factory=dict)  # group -> members
    group_policies: dict[str, frozenset[str]] = field(default_factory=dict)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _until(text: Any) -> str:
    s = str(text)
    return f"{s}T00:00:00Z" if len(s) == 10 else s


def expected(catalog: Path) -> dict[str, AccountState]:
    cat = _load(catalog / "catalog.yaml")
    users = (_load(catalog / "users.yaml") or {}).get("users", {})
    defaults = cat.get("defaults", {})
    org = cat["organization"]
    accounts = cat["accounts"]
    identity = next(n for n, a in accounts.items() if a.get("identity"))
    ident_id = str(accounts[identity]["id"])
    roles = [_load(p) for p in sorted((catalog / "roles").rglob("*.yaml"))]

    def principal(user: str) -> str:
        return f"arn:aws:iam::{ident_id}:user/{user}"

    state: dict[str, AccountState] = {}
    for name, acct in accounts.items():
        aid = str(acct["id"])
        here = [r for r in roles if name in r["accounts"]]
        policies = {f"policy-{p}" for r in here for p in r.get("policies", [])}
        policies |= {f"boundary-{r['boundary']}" for r in here if r.get("boundary")}
        policies |= {
            f"boundary-{r['delegated_role_creation']['boundary']}"
            for r in here
            if r.get("delegated_role_creation")
        }
        role_states = {}
        for r in here:
            service = r.get("kind") == "service"
            temporary = {principal(t["user"]): _until(t["until"]) for t in r.get("temporary_members", [])}
            team = {u for u, a in users.items() if (a or {}).get("team") in r.get("teams", [])}
            members = {principal(u) for u in [*r.get("members", []), *team]} | set(temporary)
            attached = {f"arn:aws:iam::{aid}:policy/policy-{p}" for p in r.get("policies", [])}
            attached |= {f"arn:aws:iam::aws:policy/{m}" for m in r.get("managed_policies", [])}
            boundary = r.get("boundary")
            role_states[r["name"]] = RoleState(
                # the documented defaults (docs/catalog.md, defaults)
                path=r.get(
                    "path",
                    defaults.get("service_role_path", "/services/")
                    if service
                    else defaults.get("role_path", "/humans/"),
                ),
                description=r.get("description", ""),
                max_session_duration=int(
                    r.get("max_session_duration", defaults.get("max_session_duration", 3600))
                ),
                boundary=f"arn:aws:iam::{aid}:policy/boundary-{boundary}" if boundary else None,
                attached=frozenset(attached),
                inline=frozenset(
                    ({DELEGATED_INLINE} if r.get("delegated_role_creation") else set())
                    | ({REVOKE_INLINE} if r.get("revoke_sessions") else set())
                ),
                members=frozenset(members),
                services=frozenset(r.get("trusted_services", [])),
                temporary=temporary,
                tags={**{str(k): str(v) for k, v in (r.get("tags") or {}).items()}, "ManagedBy": "rolecat"},
            )
        st = AccountState(role_states, frozenset(policies))
        if acct.get("identity"):
            st.users = {
                u: {str(k): str(v) for k, v in (attrs or {}).items() if k in USER_TAGS}
                for u, attrs in users.items()
            }
            # a released user stays in IAM, out of the group (docs/catalog.md, users.yaml)
            st.groups = {
                f"{org}-humans": frozenset(u for u, a in users.items() if not (a or {}).get("release"))
            }
            st.group_policies = {f"{org}-humans": frozenset({f"{org}-self-service", f"{org}-assume-roles"})}
            st.policies = st.policies | {f"{org}-self-service", f"{org}-assume-roles"}
        state[name] = st
    return state


def _doc(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


def _principals(doc: Mapping[str, Any]) -> tuple[set[str], set[str], dict[str, str]]:
    aws: set[str] = set()
    services: set[str] = set()
    temporary: dict[str, str] = {}
    for st in doc["Statement"]:
        p = st.get("Principal", {})
        these = p.get("AWS", [])
        these = [these] if isinstance(these, str) else these
        aws |= set(these)
        svc = p.get("Service", [])
        services |= {svc} if isinstance(svc, str) else set(svc)
        until = st.get("Condition", {}).get("DateLessThan", {}).get("aws:CurrentTime")
        if until:
            temporary.update(dict.fromkeys(these, until))
    return aws, services, temporary


def actual(iam: Any, *, identity: bool) -> AccountState:
    """Everything customer-made in one account, as boto3 reads it from the emulator."""
    roles = {}
    for page in iam.get_paginator("list_roles").paginate():
        for r in page["Roles"]:
            full = iam.get_role(RoleName=r["RoleName"])["Role"]
            aws, services, temporary = _principals(_doc(full["AssumeRolePolicyDocument"]))
            attached = {
                a["PolicyArn"]
                for a in iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"]
            }
            inline = set(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])
            roles[r["RoleName"]] = RoleState(
                path=full["Path"],
                description=full.get("Description", ""),
                max_session_duration=int(full["MaxSessionDuration"]),
                boundary=full.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
                attached=frozenset(attached),
                inline=frozenset(inline),
                members=frozenset(aws),
                services=frozenset(services),
                temporary=temporary,
                tags={t["Key"]: t["Value"] for t in full.get("Tags", [])},
            )
    policies = set()
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        policies |= {p["PolicyName"] for p in page["Policies"]}
    st = AccountState(roles, frozenset(policies))
    if identity:
        for u in iam.list_users()["Users"]:
            tags = iam.list_user_tags(UserName=u["UserName"])["Tags"]
            st.users[u["UserName"]] = {t["Key"]: t["Value"] for t in tags}
        for g in iam.list_groups()["Groups"]:
            name = g["GroupName"]
            st.groups[name] = frozenset(u["UserName"] for u in iam.get_group(GroupName=name)["Users"])
            st.group_policies[name] = frozenset(
                p["PolicyName"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
            )
    return st


def compare(account: str, want: AccountState, got: AccountState) -> list[str]:
    """Differences as readable lines; tags are compared on the keys the catalog sets."""
    problems = []
    if set(want.roles) != set(got.roles):
        problems.append(f"{account}: roles {sorted(got.roles)} != expected {sorted(want.roles)}")
    for name in sorted(set(want.roles) & set(got.roles)):
        w, g = want.roles[name], got.roles[name]
        for attr in (
            "path",
            "description",
            "max_session_duration",
            "boundary",
            "attached",
            "inline",
            "members",
        ):
            if getattr(w, attr) != getattr(g, attr):
                problems.append(
                    f"{account}: role {name} {attr}: {getattr(g, attr)!r} != {getattr(w, attr)!r}"
                )
        if w.services != g.services:
            problems.append(f"{account}: role {name} services: {sorted(g.services)} != {sorted(w.services)}")
        if dict(w.temporary) != dict(g.temporary):
            problems.append(f"{account}: role {name} temporary: {g.temporary} != {w.temporary}")
        missing = {k: v for k, v in w.tags.items() if g.tags.get(k) != v}
        if missing:
            problems.append(f"{account}: role {name} tags lack {missing} (have {g.tags})")
    if want.policies != got.policies:
        problems.append(f"{account}: policies {sorted(got.policies)} != expected {sorted(want.policies)}")
    if want.users != {
        u: {k: v for k, v in t.items() if k in want.users.get(u, {})} for u, t in got.users.items()
    }:
        problems.append(f"{account}: users {got.users} != expected {want.users}")
    if want.groups != got.groups:
        problems.append(f"{account}: groups {got.groups} != expected {want.groups}")
    if want.group_policies != got.group_policies:
        problems.append(f"{account}: group policies {got.group_policies} != expected {want.group_policies}")
    return problems
