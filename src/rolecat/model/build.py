"""Model stage: validated source documents -> ``Catalog``, plus semantic diagnostics.

Owns everything that needs more than one file: references between files, uniqueness
across files, defaults, time-boxed members, AWS managed policy names, and rendering
the policy and boundary files once per account that uses them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from rolecat.deploy.arns import aws_managed_policy_arn
from rolecat.diagnostics import Diagnostic, Location, did_you_mean, error, warning
from rolecat.load import schema
from rolecat.load.discover import Sources
from rolecat.load.source import SourceDoc, load_json_text
from rolecat.model import (
    Acceptance,
    Account,
    Backend,
    Catalog,
    Defaults,
    DelegatedRoleCreation,
    PolicyFile,
    Quotas,
    RenderedPolicy,
    Role,
    TemporaryMember,
    TerraformSettings,
    User,
    policyfile,
)
from rolecat.model.timeutil import TimeError, parse_instant

DEFAULT_REGION = "us-east-1"
CONSOLE_SWITCH_ROLE_LIMIT = 64  # path + role name, for the console's Switch Role


# --------------------------------------------------------------------------- build


class _Builder:
    def __init__(self, src: Sources, now: dt.datetime) -> None:
        self.src = src
        self.now = now
        self.diags: list[Diagnostic] = []
        self.all_roles_built = True
        self.users_known = True  # False when users.yaml is broken: unknown users are not news then
        self.released_users: list[User] = []

    def err(self, code: str, message: str, loc: Location, hint: str | None = None) -> None:
        self.diags.append(error(code, message, loc, hint))

    def warn(self, code: str, message: str, loc: Location, hint: str | None = None) -> None:
        self.diags.append(warning(code, message, loc, hint))

    # ---------------------------------------------------------------- catalog.yaml
    def settings(
        self, doc: SourceDoc
    ) -> tuple[
        str, tuple[str, ...], Defaults, tuple[Account, ...], TerraformSettings, Quotas, tuple[str, ...]
    ]:
        data: Mapping[str, Any] = doc.data
        d = data.get("defaults", {})
        region = d.get("region", DEFAULT_REGION)
        defaults = Defaults(
            region=region,
            role_path=d.get("role_path", "/humans/"),
            service_role_path=d.get("service_role_path", "/services/"),
            max_session_duration=d.get("max_session_duration", 3600),
            mfa_max_age=d.get("mfa_max_age", 3600),
            max_escalation_days=d.get("max_escalation_days"),
            admin_member_limit=d.get("admin_member_limit", 3),
        )
        accounts = []
        ids: dict[str, str] = {}
        for name, a in data["accounts"].items():
            loc = doc.locate(("accounts", name, "id"))
            if a["id"] in ids:
                self.err(
                    "C002", f"account id {a['id']} is used by accounts {ids[a['id']]!r} and {name!r}", loc
                )
            ids.setdefault(a["id"], name)
            accounts.append(
                Account(
                    name=name,
                    id=a["id"],
                    identity=bool(a.get("identity", False)),
                    environment=a.get("environment"),
                    region=a.get("region", region),
                    renamed_from=tuple(a.get("renamed_from", ())),
                )
            )
        accounts.sort(key=lambda a: a.name)
        identities = [a for a in accounts if a.identity]
        if len(identities) != 1:
            found = ", ".join(a.name for a in identities) or "none"
            self.err(
                "C001",
                f"exactly one account must have identity: true (found: {found})",
                doc.locate(("accounts",), key=True),
                "the identity account holds the IAM users; mark it with identity: true",
            )
        tf = data.get("terraform", {})
        backend = None
        if "backend" in tf:
            b = tf["backend"]
            backend = Backend(
                bucket=b["bucket"],
                region=b.get("region", region),
                key_prefix=b.get("key_prefix", ""),
                role_arn=b.get("role_arn"),
            )
        terraform = TerraformSettings(
            required_version=tf.get("required_version", ">= 1.10.0"),
            aws_provider_version=tf.get("aws_provider_version", ">= 5.70"),
            deploy_role=tf.get("deploy_role"),
            backend=backend,
        )
        q = data.get("quotas", {})
        quotas = Quotas(**q)
        return (
            data["organization"],
            tuple(data["owners"]),
            defaults,
            tuple(accounts),
            terraform,
            quotas,
            tuple(sorted(data.get("known_actions", ()))),
        )

    # ---------------------------------------------------------------- users.yaml
    def users(self, doc: SourceDoc) -> tuple[User, ...]:
        out = []
        seen: dict[str, str] = {}
        for name, attrs in doc.data["users"].items():
            lower = name.lower()
            if lower in seen:
                self.err(
                    "C003",
                    f"user {name!r} differs from {seen[lower]!r} only in case; IAM names are case-insensitive "
                    f"(also at {doc.locate(('users', seen[lower]), key=True)})",
                    doc.locate(("users", name), key=True),
                )
                continue
            seen[lower] = name
            tags = dict(attrs or {})
            renamed = tuple(tags.pop("renamed_from", ()))
            device = tags.pop("mfa_device", None)
            release = tags.pop("release", False)
            user = User(name, tags, renamed, device)
            if release:
                self.released_users.append(user)
            else:
                out.append(user)
        return tuple(sorted(out, key=lambda u: u.name))

    # ---------------------------------------------------------------- roles
    def role(
        self,
        doc: SourceDoc,
        defaults: Defaults,
        accounts: Mapping[str, Account],
        users: Mapping[str, User],
        policies: Mapping[str, PolicyFile],
        boundaries: Mapping[str, PolicyFile],
    ) -> Role | None:
        from rolecat.iam import managed

        data: Mapping[str, Any] = doc.data
        loc = doc.locate
        name = data["name"]
        kind = data.get("kind", "human")
        human = kind == "human"
        ok = True

        for i, acct in enumerate(data["accounts"]):
            if acct not in accounts:
                guess = did_you_mean(acct, accounts)
                self.err(
                    "C010",
                    f"unknown account {acct!r}",
                    loc(("accounts", i)),
                    f"did you mean {guess!r}?" if guess else f"accounts: {', '.join(sorted(accounts))}",
                )
                ok = False
        for i, p in enumerate(data.get("policies", ())):
            if ("policy", p) in self.src.unreadable:
                ok = False
            elif p not in policies:
                guess = did_you_mean(p, policies)
                self.err(
                    "C011",
                    f"unknown policy {p!r}: no file policies/{p}.json",
                    loc(("policies", i)),
                    f"did you mean {guess!r}?" if guess else None,
                )
                ok = False
        boundary = data.get("boundary")
        if boundary is not None and ("boundary", boundary) in self.src.unreadable:
            ok = False
        elif boundary is not None and boundary not in boundaries:
            guess = did_you_mean(boundary, boundaries)
            self.err(
                "C013",
                f"unknown boundary {boundary!r}: no file boundaries/{boundary}.json",
                loc(("boundary",)),
                f"did you mean {guess!r}?" if guess else None,
            )
            ok = False
        admin = bool(data.get("admin", False))
        if boundary is None and not admin:
            self.err(
                "C016",
                f"role {name!r} has no boundary",
                loc(("name",)),
                "every role without admin: true needs a permission boundary (boundary: NAME)",
            )
        arns = []
        for i, mp in enumerate(data.get("managed_policies", ())):
            # "job-function/ViewOnlyAccess": a name with its path, as the AWS console shows it
            as_written = aws_managed_policy_arn(mp) if "/" in mp and not mp.startswith("arn:") else mp
            arn, hint = managed.resolve(as_written)
            if arn is None:
                self.err("C014", f"unknown AWS managed policy {mp!r}", loc(("managed_policies", i)), hint)
                ok = False
            else:
                arns.append(arn)

        members = tuple(data.get("members", ()))
        for i, user in enumerate(members):
            if self.users_known and user not in users:
                guess = did_you_mean(user, users)
                self.err(
                    "C012",
                    f'unknown user "{user}"',
                    loc(("members", i)),
                    f"did you mean {guess!r}?" if guess else "add the user to users.yaml",
                )
        temps = []
        for i, t in enumerate(data.get("temporary_members", ())):
            tloc = loc(("temporary_members", i, "until"))
            if self.users_known and t["user"] not in users:
                guess = did_you_mean(t["user"], users)
                self.err(
                    "C012",
                    f'unknown user "{t["user"]}"',
                    loc(("temporary_members", i, "user")),
                    f"did you mean {guess!r}?" if guess else "add the user to users.yaml",
                )
            try:
                until = parse_instant(t["until"])
            except TimeError as exc:
                self.err("C020", f"temporary member {t['user']!r}: {exc}", tloc)
                continue
            if t["user"] in members:
                self.warn(
                    "C022",
                    f"{t['user']!r} is both a member and a temporary member of {name!r}",
                    loc(("temporary_members", i, "user")),
                    "the permanent membership makes the time box meaningless; remove one",
                )
            # An expired entry stays in the output (aws:CurrentTime refuses it); the warning
            # is E101 from the escalation checks.
            temps.append(TemporaryMember(t["user"], until, t["until"], t.get("reason"), i))

        services = tuple(sorted(data.get("trusted_services", ())))
        if human:
            if services:
                self.err(
                    "C017",
                    "a human role has members, not trusted_services",
                    loc(("trusted_services",), key=True),
                    "set kind: service for a role that AWS services assume",
                )
            if not members and not temps:
                self.err(
                    "C019",
                    f"human role {name!r} has no members and no temporary members: nobody could assume it",
                    loc(("name",)),
                    "add members, or remove the role",
                )
        else:
            for k in ("members", "temporary_members", "mfa_max_age", "session_tags", "source_identity"):
                if k in data:
                    self.err(
                        "C018",
                        f"a service role cannot have {k}",
                        loc((k,), key=True),
                        "service roles are assumed by AWS services (trusted_services), not by people",
                    )
            if not services:
                self.err("C018", "a service role needs trusted_services", loc(("name",)))

        path = data.get("path", defaults.role_path if human else defaults.service_role_path)
        if human and len(path) + len(name) > CONSOLE_SWITCH_ROLE_LIMIT:
            self.warn(
                "C023",
                f"path + role name is {len(path) + len(name)} characters; the console's Switch Role takes at most 64",
                loc(("name",)),
            )
        dele = data.get("delegated_role_creation")
        delegated = None
        if dele is not None:
            if dele["boundary"] not in boundaries:
                self.err(
                    "C013",
                    f"unknown boundary {dele['boundary']!r}: no file boundaries/{dele['boundary']}.json",
                    loc(("delegated_role_creation", "boundary")),
                )
                ok = False
            delegated = DelegatedRoleCreation(dele["boundary"], dele["path"])
        if not ok:
            return None
        return Role(
            name=name,
            source=doc.path,
            description=data.get("description"),
            kind=kind,
            accounts=tuple(data["accounts"]),
            owners=tuple(data.get("owners", ())),
            policies=tuple(data.get("policies", ())),
            managed_policies=tuple(data.get("managed_policies", ())),
            managed_policy_arns=tuple(arns),
            boundary=boundary,
            admin=admin,
            path=path,
            max_session_duration=data.get("max_session_duration", defaults.max_session_duration),
            mfa_max_age=data.get("mfa_max_age", defaults.mfa_max_age),
            members=members,
            temporary_members=tuple(temps),
            trusted_services=services,
            session_tags=bool(data.get("session_tags", False)),
            source_identity=bool(data.get("source_identity", False)),
            delegated_role_creation=delegated,
            accept=tuple(Acceptance(a["check"], a["reason"]) for a in data.get("accept", ())),
            tags=dict(data.get("tags", {})),
            renamed_from=tuple(data.get("renamed_from", ())),
        )

    def _parse_policy(
        self, file: PolicyFile, acct: str, text: str, db: Any, known_actions: frozenset[str]
    ) -> RenderedPolicy | None:
        from rolecat.rules import grammar

        doc, diags = load_json_text(text, file.source)
        self.diags.extend(diags)
        if doc is None:
            return None
        self.diags.extend(grammar.check_policy_document(doc, file.kind, db, known_actions))
        if not isinstance(doc.data, dict):
            return None
        return RenderedPolicy(file, acct, doc.data, doc)

    def unique_names(self, roles: Iterable[Role], docs: Mapping[str, SourceDoc]) -> None:
        seen: dict[tuple[str, str], Role] = {}
        for role in roles:
            for acct in role.accounts:
                k = (acct, role.name.lower())
                if k in seen:
                    first = seen[k]
                    self.err(
                        "C015",
                        f"role {role.name!r} is defined twice in account {acct!r} "
                        f"(also at {docs[first.source].locate(('name',))})",
                        docs[role.source].locate(("name",)),
                        "IAM role names are unique per account, case-insensitively",
                    )
                else:
                    seen[k] = role

    def render_policies(
        self,
        roles: Iterable[Role],
        accounts: Mapping[str, Account],
        organization: str,
        policies: Mapping[str, PolicyFile],
        boundaries: Mapping[str, PolicyFile],
        known_actions: frozenset[str],
    ) -> dict[tuple[str, str, str], RenderedPolicy]:
        from rolecat.iam.actions import ActionDB

        db = ActionDB.load()
        wanted: set[tuple[str, str, str]] = set()
        for role in roles:
            for acct in role.accounts:
                for p in role.policies:
                    wanted.add(("policy", p, acct))
                if role.boundary:
                    wanted.add(("boundary", role.boundary, acct))
                if role.delegated_role_creation:
                    wanted.add(("boundary", role.delegated_role_creation.boundary, acct))
        scans: dict[tuple[str, str], policyfile.Scan] = {}
        out: dict[tuple[str, str, str], RenderedPolicy] = {}
        # Files without account-specific placeholders render to the same text everywhere:
        # parsed and checked once, the document shared (and so laid out once).
        parsed: dict[tuple[str, str, str], RenderedPolicy | None] = {}
        for kind, name, acct in sorted(wanted):
            file = (policies if kind == "policy" else boundaries)[name]
            found = scans.get((kind, name))
            if found is None:
                found = scans[(kind, name)] = policyfile.scan(file)
            text, diags = policyfile.render(file, found, accounts[acct], organization)
            self.diags.extend(diags)
            if text is None:
                continue
            key = (kind, name, text)
            if key not in parsed:
                parsed[key] = self._parse_policy(file, acct, text, db, known_actions)
            first = parsed[key]
            if first is not None:
                out[(kind, name, acct)] = RenderedPolicy(file, acct, first.document, first.doc)
        for kind, table in (("policy", policies), ("boundary", boundaries)):
            if not self.all_roles_built:
                break  # a role that failed to build may be the one using it
            for name, file in table.items():
                if not any(k == kind and n == name for k, n, _ in wanted):
                    self.diags.append(
                        warning("C032", f"{kind} {name!r} is not used by any role", Location(file.source))
                    )
        return out


def build(src: Sources, now: dt.datetime) -> tuple[Catalog | None, list[Diagnostic]]:
    """Schema-check every document, then build the model.

    None when catalog.yaml or users.yaml cannot be built; otherwise the catalog of every
    role that could be built, alongside all diagnostics found so far.
    """
    b = _Builder(src, now)
    diags = list(src.diagnostics)
    valid_roles: list[SourceDoc] = []
    catalog_ok = users_ok = False
    if src.catalog is not None:
        found = schema.validate(src.catalog, "catalog")
        diags.extend(found)
        catalog_ok = not found
    if src.users is not None:
        found = schema.validate(src.users, "users")
        diags.extend(found)
        users_ok = not found
    for doc in src.roles:
        found = schema.validate(doc, "role")
        diags.extend(found)
        if not found:
            valid_roles.append(doc)
    if not catalog_ok or src.catalog is None:
        return None, diags + b.diags
    organization, owners, defaults, accounts, terraform, quotas, known = b.settings(src.catalog)
    users = b.users(src.users) if users_ok and src.users is not None else ()
    b.users_known = users_ok and src.users is not None
    account_map = {a.name: a for a in accounts}
    user_map = {u.name: u for u in users}
    roles = []
    b.all_roles_built = len(valid_roles) == len(src.roles) and not src.roles_unloaded
    released_roles = []
    for doc in valid_roles:
        role = b.role(doc, defaults, account_map, user_map, src.policies, src.boundaries)
        if role is not None and doc.data.get("release", False):
            released_roles.append(role)
        elif role is not None:
            roles.append(role)
        else:
            b.all_roles_built = False
    roles.sort(key=lambda r: (r.name.lower(), r.name, r.source))
    docs = {d.path: d for d in (src.catalog, src.users, *src.roles) if d is not None}
    b.unique_names(sorted([*roles, *released_roles], key=lambda r: (r.name.lower(), r.name, r.source)), docs)
    rendered = b.render_policies(
        [*roles, *released_roles], account_map, organization, src.policies, src.boundaries, frozenset(known)
    )
    diags.extend(b.diags)
    if src.users is None or not users_ok or sum(a.identity for a in accounts) != 1:
        # Without exactly one identity account (C001) there is no trust policy to build.
        return None, diags
    # A catalog with errors is still returned (without the roles that failed to build)
    # so later checks report in the same run; the pipeline renders nothing then.
    catalog = Catalog(
        root=src.display_root,
        organization=organization,
        owners=owners,
        defaults=defaults,
        accounts=accounts,
        users=users,
        roles=tuple(roles),
        policies=dict(src.policies),
        boundaries=dict(src.boundaries),
        terraform=terraform,
        quotas=quotas,
        known_actions=known,
        rendered=rendered,
        docs=docs,
        catalog_file=src.catalog.path,
        users_file=src.users.path,
        released_users=tuple(sorted(b.released_users, key=lambda u: u.name)),
        released_roles=tuple(sorted(released_roles, key=lambda r: (r.name.lower(), r.name, r.source))),
    )
    return catalog, diags
