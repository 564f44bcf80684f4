"""Resolution, one small function per section: schema-valid documents -> model objects.

Each function takes the document of its section and a ``Resolution`` (where it reports
diagnostics and what it knows about the other files) and returns model objects.  A new
section of a role (a new principal kind, say) is a new function here, called from
``resolve_role``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolecat.deploy.arns import aws_managed_policy_arn
from rolecat.diagnostics import Diagnostic, Location, did_you_mean, error, warning
from rolecat.load.source import KeyPath, SourceDoc

from .catalog import (
    Acceptance,
    Account,
    Backend,
    Defaults,
    DelegatedRoleCreation,
    FederatedTrust,
    IdentityProvider,
    OidcProvider,
    PasswordPolicy,
    PolicyFile,
    Quotas,
    RevokeSessions,
    Role,
    SamlProvider,
    TemporaryMember,
    TerraformSettings,
    User,
    account_hint,
)
from .timeutil import TimeError, parse_instant

DEFAULT_REGION = "us-east-1"
CONSOLE_SWITCH_ROLE_LIMIT = 64  # path + role name, for the console's Switch Role


@dataclass
class Resolution:
    """What resolving one catalog knows and reports; shared by the section functions."""

    now: dt.datetime
    accounts: Mapping[str, Account] = field(default_factory=dict)
    users: Mapping[str, User] = field(default_factory=dict)
    users_known: bool = True  # False when users.yaml is broken: unknown users are not news then
    role_names: Collection[str] = ()  # the role files' names: a role named as a user is said to be one
    policies: Mapping[str, PolicyFile] = field(default_factory=dict)
    boundaries: Mapping[str, PolicyFile] = field(default_factory=dict)
    unreadable: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) already reported
    providers: Mapping[str, IdentityProvider] = field(default_factory=dict)  # catalog identity_providers
    # identity_providers entries declared but not built (reported): naming one is no news
    refused_providers: set[str] = field(default_factory=set)
    root: Path | None = None  # the catalog folder (files catalog.yaml names, e.g. SAML metadata)
    display_root: str = ""
    diags: list[Diagnostic] = field(default_factory=list)
    released_users: list[User] = field(default_factory=list)  # release: true
    _teams: dict[str, tuple[str, ...]] | None = None  # team -> its people, built on first use

    def team_people(self) -> Mapping[str, tuple[str, ...]]:
        """users.yaml ``team:`` -> the team's people (sorted); built once, users are resolved first."""
        if self._teams is None:
            people: dict[str, list[str]] = {}
            for user in self.users.values():
                team = user.attributes.get("team")
                if team:
                    people.setdefault(team, []).append(user.name)
            self._teams = {team: tuple(sorted(names)) for team, names in people.items()}
        return self._teams

    def err(self, code: str, message: str, loc: Location, hint: str | None = None) -> None:
        self.diags.append(error(code, message, loc, hint))

    def warn(self, code: str, message: str, loc: Location, hint: str | None = None) -> None:
        self.diags.append(warning(code, message, loc, hint))


@dataclass(frozen=True)
class Settings:
    """catalog.yaml, resolved."""

    organization: str
    owners: tuple[str, ...]
    defaults: Defaults
    accounts: tuple[Account, ...]
    terraform: TerraformSettings
    quotas: Quotas
    known_actions: tuple[str, ...]
    identity_providers: Mapping[str, IdentityProvider] = field(default_factory=dict)


# --------------------------------------------------------------------------- catalog.yaml


def resolve_defaults(data: Mapping[str, Any]) -> Defaults:
    d = data.get("defaults", {})
    return Defaults(
        region=d.get("region", DEFAULT_REGION),
        role_path=d.get("role_path", "/humans/"),
        service_role_path=d.get("service_role_path", "/services/"),
        max_session_duration=d.get("max_session_duration", 3600),
        mfa_max_age=d.get("mfa_max_age", 3600),
        max_escalation_days=d.get("max_escalation_days"),
        admin_member_limit=d.get("admin_member_limit", 3),
    )


def resolve_accounts(doc: SourceDoc, region: str, r: Resolution) -> tuple[Account, ...]:
    accounts = []
    ids: dict[str, str] = {}
    for name, a in doc.data["accounts"].items():
        loc = doc.locate(("accounts", name, "id"))
        if a["id"] in ids:
            r.err("C002", f"account id {a['id']} is used by accounts {ids[a['id']]!r} and {name!r}", loc)
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
    partitions: dict[str, list[str]] = {}
    for a in accounts:
        partitions.setdefault(a.partition, []).append(a.name)
    if len(partitions) > 1:
        found = "; ".join(f"{p}: {', '.join(names)}" for p, names in sorted(partitions.items()))
        r.err(
            "C068",
            f"the accounts' regions are in different partitions ({found})",
            doc.locate(("accounts",), key=True),
            "a catalog deploys to one partition (aws, aws-us-gov or aws-cn); keep one catalog per partition",
        )
    identities = [a for a in accounts if a.identity]
    if len(identities) != 1:
        found = ", ".join(a.name for a in identities) or "none"
        r.err(
            "C001",
            f"exactly one account must have identity: true (found: {found})",
            doc.locate(("accounts",), key=True),
            "the identity account holds the IAM users; mark it with identity: true",
        )
    return tuple(accounts)


def resolve_terraform(doc: SourceDoc, region: str, r: Resolution) -> TerraformSettings:
    from ..targets.terraform.constraints import (
        DEFAULT_AWS_PROVIDER_VERSION,
        DEFAULT_REQUIRED_VERSION,
        problem,
    )

    tf = doc.data.get("terraform", {})
    for key in ("required_version", "aws_provider_version"):
        why = problem(tf[key]) if key in tf else None
        if why:
            r.err(
                "C026",
                f"terraform.{key} is not a Terraform version constraint: {why}",
                doc.locate(("terraform", key)),
                'write e.g. ">= 1.10.0" or ">= 5.70, < 6.0"',
            )
    backend = None
    if "backend" in tf:
        b = tf["backend"]
        backend = Backend(
            bucket=b["bucket"],
            region=b.get("region", region),
            key_prefix=b.get("key_prefix", ""),
            role_arn=b.get("role_arn"),
        )
    return TerraformSettings(
        required_version=tf.get("required_version", DEFAULT_REQUIRED_VERSION),
        aws_provider_version=tf.get("aws_provider_version", DEFAULT_AWS_PROVIDER_VERSION),
        deploy_role=tf.get("deploy_role"),
        backend=backend,
        legacy_labels=bool(tf.get("legacy_labels", False)),
    )


def resolve_password_policy(data: Mapping[str, Any]) -> PasswordPolicy:
    """catalog.yaml ``password_policy:`` over the safe defaults (the schema lets it only tighten)."""
    p = data.get("password_policy", {})
    return PasswordPolicy(
        minimum_length=p.get("minimum_length", 14),
        max_age_days=p.get("max_age_days"),
        hard_expiry=bool(p.get("hard_expiry", False)),
    )


GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"


def _saml_provider(doc: SourceDoc, name: str, p: Mapping[str, Any], r: Resolution) -> SamlProvider | None:
    """A ``type: saml`` entry, its metadata file read and checked (``load/samlmetadata.py``)."""
    from rolecat.load.samlmetadata import read_metadata

    rel = p["metadata"]
    loc = doc.locate(("identity_providers", name, "metadata"))
    if r.root is None:  # resolution without a catalog folder (tests of single documents)
        r.err("C074", "SAML metadata cannot be read: no catalog folder", loc)
        return None
    text, diags, problem = read_metadata(r.root, r.display_root, rel)
    r.diags.extend(diags)
    if problem is not None:
        r.err(
            "C074",
            f"SAML metadata of identity provider {name!r} refused: {problem}",
            loc,
            "export the IdP's metadata XML (EntityDescriptor) into a file of the catalog folder",
        )
    if text is None:
        return None
    return SamlProvider(name, p.get("name", name), rel, text)


def resolve_identity_providers(doc: SourceDoc, r: Resolution) -> dict[str, IdentityProvider]:
    """catalog.yaml ``identity_providers``: GitHub and GitLab with their well-known issuer,
    other OIDC issuers, SAML IdPs with their metadata file."""
    out: dict[str, IdentityProvider] = {}
    for name, p in doc.data.get("identity_providers", {}).items():
        kind = p["type"]
        if kind == "saml":
            saml = _saml_provider(doc, name, p, r)
            if saml is not None:
                out[name] = saml
            else:
                r.refused_providers.add(name)
            continue
        url = p.get("url", GITHUB_ISSUER if kind == "github" else GITLAB_ISSUER if kind == "gitlab" else None)
        default_aud = ["sts.amazonaws.com"] if kind == "github" else [url] if kind == "gitlab" else None
        audiences = p.get("audiences", default_aud)
        if url is None or audiences is None:
            missing = " and ".join(k for k, v in (("url", url), ("audiences", audiences)) if v is None)
            r.err(
                "C064",
                f"identity provider {name!r} of type oidc needs {missing}",
                doc.locate(("identity_providers", name), key=True),
                "the issuer URL (the iss claim) and the client ids its tokens carry as aud",
            )
            r.refused_providers.add(name)  # roles naming it get no second error (C061)
            continue
        out[name] = OidcProvider(name, kind, url, tuple(audiences), tuple(p.get("thumbprints", ())))
    return dict(sorted(out.items()))


def resolve_settings(doc: SourceDoc, r: Resolution) -> Settings:
    data: Mapping[str, Any] = doc.data
    defaults = resolve_defaults(data)
    return Settings(
        organization=data["organization"],
        owners=tuple(data["owners"]),
        defaults=defaults,
        accounts=resolve_accounts(doc, defaults.region, r),
        terraform=resolve_terraform(doc, defaults.region, r),
        quotas=Quotas(**data.get("quotas", {})),
        known_actions=tuple(sorted(data.get("known_actions", ()))),
        identity_providers=resolve_identity_providers(doc, r),
    )


# --------------------------------------------------------------------------- users.yaml


def resolve_users(doc: SourceDoc, r: Resolution) -> tuple[User, ...]:
    out = []
    seen: dict[str, str] = {}
    for name, attrs in doc.data["users"].items():
        lower = name.lower()
        if lower in seen:
            r.err(
                "C003",
                f"user {name!r} differs from {seen[lower]!r} only in case; IAM names are case-insensitive "
                f"(also at {doc.locate(('users', seen[lower]), key=True)})",
                doc.locate(("users", name), key=True),
            )
            continue
        seen[lower] = name
        tags = dict(attrs or {})
        for key, value in tags.items():
            if isinstance(value, str):
                composed(r, value, key, doc, ("users", name, key))
        renamed = tuple(tags.pop("renamed_from", ()))
        device = tags.pop("mfa_device", None)
        release = tags.pop("release", False)
        user = User(name, tags, renamed, device)
        if release:
            r.released_users.append(user)
        else:
            out.append(user)
    return tuple(sorted(out, key=lambda u: u.name))


# --------------------------------------------------------------------------- roles


def _role_accounts(doc: SourceDoc, r: Resolution) -> bool:
    ok = True
    for i, acct in enumerate(doc.data["accounts"]):
        if acct not in r.accounts:
            r.err(
                "C010",
                f"unknown account {acct!r}",
                doc.locate(("accounts", i)),
                account_hint(acct, r.accounts.values()),
            )
            ok = False
    return ok


def _role_documents(doc: SourceDoc, r: Resolution) -> bool:
    """policies: and boundary: name files that exist (and could be read)."""
    data, loc = doc.data, doc.locate
    ok = True
    for i, p in enumerate(data.get("policies", ())):
        if ("policy", p) in r.unreadable:
            ok = False
        elif p not in r.policies:
            r.err(
                "C011",
                f"unknown policy {p!r}: no file policies/{p}.json",
                loc(("policies", i)),
                _missing_file("policies", p, r.policies),
            )
            ok = False
    boundary = data.get("boundary")
    if boundary is not None and ("boundary", boundary) in r.unreadable:
        ok = False
    elif boundary is not None and boundary not in r.boundaries:
        r.err(
            "C013",
            f"unknown boundary {boundary!r}: no file boundaries/{boundary}.json",
            loc(("boundary",)),
            _missing_file("boundaries", boundary, r.boundaries),
        )
        ok = False
    if boundary is None and not data.get("admin", False):
        r.err(
            "C016",
            f"role {data['name']!r} has no boundary",
            loc(("name",)),
            "every role without admin: true needs a permission boundary (boundary: NAME)",
        )
    return ok


def _missing_file(folder: str, name: str, files: Iterable[str]) -> str:
    """The hint of a policy or boundary without its file: create it or correct the name.  A
    close match only comes second: the closest file may grant other access than the one
    meant (a missing prod-admin is not prod-readonly)."""
    hint = f"create {folder}/{name}.json or correct the name"
    guess = did_you_mean(name, files)
    return f"{hint} (did you mean {guess!r}?)" if guess else hint


def _role_managed_policies(doc: SourceDoc, r: Resolution) -> tuple[str, ...] | None:
    """AWS managed policy names resolved to ARNs; None when one is unknown."""
    from rolecat.iam import managed

    arns = []
    ok = True
    for i, mp in enumerate(doc.data.get("managed_policies", ())):
        # "job-function/ViewOnlyAccess": a name with its path, as the AWS console shows it
        as_written = aws_managed_policy_arn(mp) if "/" in mp and not mp.startswith("arn:") else mp
        arn, hint = managed.resolve(as_written)
        if arn is None:
            r.err("C014", f"unknown AWS managed policy {mp!r}", doc.locate(("managed_policies", i)), hint)
            ok = False
        else:
            arns.append(arn)
    return tuple(arns) if ok else None


def _unknown_user(
    doc: SourceDoc, r: Resolution, user: str, path: tuple[str | int, ...], *, temporary: bool = False
) -> None:
    if r.users_known and user not in r.users:
        r.err("C012", f'unknown user "{user}"', doc.locate(path), _not_a_user(r, user, temporary))


def _same(name: str, names: Iterable[str]) -> str | None:
    """``name`` as ``names`` spell it: itself, else the first one equal ignoring case."""
    options = sorted(names)
    if name in options:
        return name
    return next((n for n in options if n.lower() == name.lower()), None)


def _not_a_user(r: Resolution, name: str, temporary: bool) -> str:
    """The hint of a name that is no user: what it is when it is a team, a role or a
    user's email (adding a user so named would be wrong); else the closest user, or adding
    one.  A team as a temporary member is not sent to teams:, which has no end."""
    if any(u.name == name for u in r.released_users):
        return (
            f"{name!r} is released (release: true in users.yaml): rolecat no longer manages the user, "
            "so no role may name them; remove them here, or remove release: true to manage them again"
        )
    people = r.team_people()
    team = _same(name, people)
    if team is not None and temporary:
        names = people[team]
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return f"{team!r} is a team, not a user: list each of its people as a temporary member ({listed})"
    if team is not None:
        return f"{team!r} is a team, not a user: list it under the role's teams: instead"
    role = _same(name, r.role_names)
    if role is not None:
        return f"{role!r} is a role, not a user: a role cannot be a member"
    owners = sorted(u.name for u in r.users.values() if u.attributes.get("email", "").lower() == name.lower())
    if len(owners) == 1:
        return (
            f"{name!r} is the email of user {owners[0]!r} in users.yaml: write the user name, {owners[0]!r}"
        )
    if owners:
        users = ", ".join(repr(o) for o in owners)
        return f"{name!r} is the email of users {users} in users.yaml: write one of their user names"
    guess = did_you_mean(name, r.users)
    return f"did you mean {guess!r}?" if guess else "add the user to users.yaml"


def composed(
    r: Resolution, text: str, what: str, doc: SourceDoc, path: KeyPath, *, key: bool = False
) -> bool:
    """Whether ``text`` is in Unicode NFC; else C087 at ``path`` of ``doc`` (located only
    then: locating parses the file's positions).  HCL normalises every string literal to
    NFC, so Terraform would send AWS other text than the catalog holds (and two tag keys
    the catalog keeps apart could become one)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return True
    nfc = unicodedata.normalize("NFC", text)
    r.err(
        "C087",
        f"{what} {text!a} is not in Unicode NFC: Terraform turns it into {nfc!a}",
        doc.locate(path, key=key),
        f"write it composed, as {nfc!a}",
    )
    return False


def _tag_keys(doc: SourceDoc, r: Resolution) -> None:
    """Tag keys IAM refuses (``aws:``, any case) or that clash with rolecat's own or each other,
    and tag text Terraform would change (C087)."""
    seen: dict[str, str] = {}
    for key, value in doc.data.get("tags", {}).items():
        lower = key.lower()
        if isinstance(value, str):
            composed(r, value, "tag value", doc, ("tags", key))
        if not composed(r, key, "tag key", doc, ("tags", key), key=True):
            continue
        if lower.startswith("aws:"):
            r.err(
                "C028",
                f"tag key {key!r} starts with 'aws:', which AWS reserves",
                doc.locate(("tags", key), key=True),
            )
        elif lower.startswith("rolecat:"):
            r.err(
                "C028",
                f"tag key {key!r} starts with 'rolecat:', which rolecat's own tags use",
                doc.locate(("tags", key), key=True),
            )
        elif lower in seen:
            r.err(
                "C028",
                f"tag key {key!r} differs from {seen[lower]!r} only in case",
                doc.locate(("tags", key), key=True),
                "IAM compares tag keys case-insensitively; keep one",
            )
        seen.setdefault(lower, key)


def _role_members(doc: SourceDoc, r: Resolution) -> tuple[tuple[str, ...], tuple[TemporaryMember, ...]]:
    """The people who may assume a human role: standing members and time-boxed ones."""
    data, loc = doc.data, doc.locate
    members = tuple(data.get("members", ()))
    for i, user in enumerate(members):
        _unknown_user(doc, r, user, ("members", i))
    temps = []
    for i, t in enumerate(data.get("temporary_members", ())):
        _unknown_user(doc, r, t["user"], ("temporary_members", i, "user"), temporary=True)
        try:
            until = parse_instant(t["until"])
        except TimeError as exc:
            r.err("C020", f"temporary member {t['user']!r}: {exc}", loc(("temporary_members", i, "until")))
            continue
        if t["user"] in members:
            r.warn(
                "C022",
                f"{t['user']!r} is both a member and a temporary member of {data['name']!r}",
                loc(("temporary_members", i, "user")),
                "the permanent membership makes the time box meaningless; remove one",
            )
        # An expired entry stays in the output (aws:CurrentTime refuses it); the warning
        # is E101 from the escalation checks.
        temps.append(TemporaryMember(t["user"], until, t["until"], t.get("reason"), i))
    return members, tuple(temps)


def _role_teams(doc: SourceDoc, r: Resolution) -> dict[str, tuple[str, ...]]:
    """Teams a human role names (``teams:``) -> their people, from users.yaml ``team:``."""
    people = r.team_people()
    out: dict[str, tuple[str, ...]] = {}
    for i, team in enumerate(doc.data.get("teams", ())):
        if team not in people:
            if r.users_known:
                guess = did_you_mean(team, people)
                r.err(
                    "C060",
                    f"unknown team {team!r}: no user in users.yaml has team: {team}",
                    doc.locate(("teams", i)),
                    f"did you mean {guess!r}?" if guess else f"teams: {', '.join(sorted(people)) or 'none'}",
                )
            continue
        out[team] = people[team]
    return out


def _temporary_in_teams(
    doc: SourceDoc,
    r: Resolution,
    members: tuple[str, ...],
    temps: tuple[TemporaryMember, ...],
    teams: Mapping[str, tuple[str, ...]],
) -> None:
    """C022 also when the standing membership comes through one of the role's teams."""
    for t in temps:
        through = [team for team, people in teams.items() if t.user in people]
        if through and t.user not in members:
            r.warn(
                "C022",
                f"{t.user!r} is a temporary member of {doc.data['name']!r} and a member through "
                f"team {', '.join(through)}",
                doc.locate(("temporary_members", t.index, "user")),
                "the team membership makes the time box meaningless; remove one",
            )


def _with_teams(members: tuple[str, ...], teams: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The listed members, then each team's people not listed yet."""
    out = list(members)
    for people in teams.values():
        out.extend(u for u in people if u not in out)
    return tuple(out)


def _org_wide(provider: OidcProvider, subject: str) -> bool:
    """Whether a sub pattern admits every repository (project) of an owner, or anything."""
    if subject.startswith(("*", "?")):
        return True
    head = {"github": "repo:", "gitlab": "project_path:"}.get(provider.kind)
    if head is None or not subject.startswith(head):
        return False
    repo = subject[len(head) :].split(":", 1)[0]
    return "*" in repo or "?" in repo or "/" not in repo


def _saml_trust(doc: SourceDoc, r: Resolution, i: int, provider: SamlProvider) -> FederatedTrust | None:
    """A ``federated:`` entry naming a SAML provider: claims, no subjects.  The claim keys
    themselves are checked with every other condition key (K001, rules/conditionkeys.py)."""
    f, loc = doc.data["federated"][i], doc.locate
    ok = True
    if "subjects" in f:
        r.err(
            "C075",
            f"subjects: is for OIDC providers; {provider.name!r} is a SAML provider",
            loc(("federated", i, "subjects"), key=True),
            'name the SAML user under claims:, e.g. claims: {"SAML:sub": [...]}',
        )
        ok = False
    claims: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for key, values in f.get("claims", {}).items():
        if key.lower() in seen:
            r.err(
                "C075",
                f"claim {key!r} is given twice (condition keys ignore case)",
                loc(("federated", i, "claims", key), key=True),
                "list every admitted value under one key",
            )
            ok = False
            continue
        seen.add(key.lower())
        if key.lower() == "saml:aud":
            r.err(
                "C075",
                "SAML:aud is the trust's own condition (the partition's sign-in endpoint)",
                loc(("federated", i, "claims", key), key=True),
                "remove it; rolecat writes it in every SAML trust",
            )
            ok = False
            continue
        listed = [values] if isinstance(values, str) else values
        for j, value in enumerate(listed):
            where: KeyPath = (
                ("federated", i, "claims", key)
                if isinstance(values, str)
                else ("federated", i, "claims", key, j)
            )
            ok = _claim_value(doc, r, value, where) and ok
        claims.append((key, tuple(listed)))
    return FederatedTrust(provider.name, (), i, tuple(claims)) if ok else None


# What IAM takes in a policy document (the claims go into the trust policy): TAB, LF,
# CR (which the schema already refuses here) and U+0020..U+00FF.
_IAM_REFUSES = re.compile(r"[^\t\n\r\u0020-\u00ff]")


def _claim_value(doc: SourceDoc, r: Resolution, value: str, path: KeyPath) -> bool:
    """A SAML claim value as the trust policy will hold it: composed (C087: Terraform would
    send AWS the composed text, and who-can and diff would reason about another string)
    and within the characters IAM takes in a policy (C075: apply would fail)."""
    if not composed(r, value, "claim value", doc, path):
        return False
    bad = _IAM_REFUSES.search(value)
    if bad is not None:
        r.err(
            "C075",
            f"claim value {value!a} holds U+{ord(bad.group()):04X}, which IAM refuses in a policy document",
            doc.locate(path),
            "IAM takes only TAB, LF, CR and U+0020..U+00FF in a policy; use a wildcard (? or *) for the character",
        )
        return False
    return True


def _role_federated(doc: SourceDoc, r: Resolution) -> tuple[FederatedTrust, ...]:
    """``federated:``: OIDC workloads that may assume the role, with the sub claims admitted;
    people of a SAML IdP, with the claims their assertion must carry."""
    data, loc = doc.data, doc.locate
    out = []
    for i, f in enumerate(data.get("federated", ())):
        provider = r.providers.get(f["provider"])
        if provider is None and f["provider"] in r.refused_providers:
            continue  # its own error is reported at catalog.yaml
        if provider is None:
            guess = did_you_mean(f["provider"], r.providers)
            r.err(
                "C061",
                f"unknown identity provider {f['provider']!r}",
                loc(("federated", i, "provider")),
                f"did you mean {guess!r}?"
                if guess
                else "declare it under identity_providers: in catalog.yaml",
            )
            continue
        if isinstance(provider, SamlProvider):
            saml = _saml_trust(doc, r, i, provider)
            if saml is not None:
                out.append(saml)
            continue
        if "claims" in f:
            r.err(
                "C075",
                f"claims: is for SAML providers; {provider.name!r} is an OIDC provider",
                loc(("federated", i, "claims"), key=True),
                "list the sub claims the trust admits under subjects:",
            )
            continue
        subjects = tuple(f.get("subjects", ()))
        if not subjects:
            r.err(
                "C062",
                f"web-identity trust of {provider.name!r} without a sub condition admits every workload of "
                f"{provider.host}",
                loc(("federated", i), key=True),
                "list subjects:, e.g. repo:<owner>/<repo>:ref:refs/heads/main or repo:<owner>/<repo>:environment:prod"
                if provider.kind == "github"
                else "list the sub claims the trust admits under subjects:",
            )
            continue
        for j, subject in enumerate(subjects):
            if _org_wide(provider, subject):
                r.warn(
                    "C063",
                    f"subject {subject!r} admits any repository of the organisation (or anything) through "
                    f"{provider.name!r}",
                    loc(("federated", i, "subjects", j)),
                    "name the repository and the branch or environment: "
                    "repo:<owner>/<repo>:ref:refs/heads/main",
                )
        out.append(FederatedTrust(provider.name, subjects, i))
    return tuple(out)


def _role_cross_account(
    doc: SourceDoc, r: Resolution
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """``trusted_roles`` (accounts checked here, roles once every role is built) and
    ``external_accounts``."""
    data, loc = doc.data, doc.locate
    roles = []
    for i, t in enumerate(data.get("trusted_roles", ())):
        if t["account"] not in r.accounts:
            guess = did_you_mean(t["account"], r.accounts)
            r.err(
                "C010",
                f"unknown account {t['account']!r}",
                loc(("trusted_roles", i, "account")),
                f"did you mean {guess!r}?" if guess else f"accounts: {', '.join(sorted(r.accounts))}",
            )
            continue
        roles.append((t["account"], t["role"]))
    ids = {a.id: a.name for a in r.accounts.values()}
    external = []
    for i, e in enumerate(data.get("external_accounts", ())):
        if e["id"] in ids:
            r.err(
                "C066",
                f"account {e['id']} is the catalog's account {ids[e['id']]!r}, not an external one",
                loc(("external_accounts", i, "id")),
                "name the catalog role that needs access under trusted_roles",
            )
            continue
        external.append((e["id"], e["external_id"]))
    return tuple(roles), tuple(external)


def check_trusted_roles(roles: Iterable[Role], docs: Mapping[str, SourceDoc], r: Resolution) -> None:
    """Each trusted_roles entry names a catalog role deployed in that account."""
    placed = {(a, role.name) for role in roles for a in role.accounts}
    names_in: dict[str, list[str]] = {}
    for a, n in placed:
        names_in.setdefault(a, []).append(n)
    for role in roles:
        for i, (account, name) in enumerate(role.trusted_roles):
            if (account, name) not in placed:
                guess = did_you_mean(name, names_in.get(account, []))
                r.err(
                    "C067",
                    f"trusted role {name!r} is not a catalog role of account {account!r}",
                    docs[role.source].locate(("trusted_roles", i, "role")),
                    f"did you mean {guess!r}?" if guess else "trusted_roles name roles rolecat creates",
                )


def _role_kind_rules(
    doc: SourceDoc, r: Resolution, members: tuple[str, ...], temps: tuple[TemporaryMember, ...]
) -> tuple[str, ...]:
    """Who trusts what: human roles have people, service roles have services.  The services."""
    data, loc = doc.data, doc.locate
    services = tuple(sorted(data.get("trusted_services", ())))
    if data.get("kind", "human") == "human":
        for k in ("federated", "trusted_roles", "external_accounts"):
            if k in data:
                r.err(
                    "C065",
                    f"a human role cannot have {k}",
                    loc((k,), key=True),
                    "set kind: service on a role that workloads (or the people of a SAML IdP) assume",
                )
        if services:
            r.err(
                "C017",
                "a human role has members, not trusted_services",
                loc(("trusted_services",), key=True),
                "set kind: service for a role that AWS services assume",
            )
        if (
            not members and not temps and not data.get("release", False)
        ):  # a released role's trust is not rolecat's
            r.err(
                "C019",
                f"human role {data['name']!r} has no members and no temporary members: nobody could assume it",
                loc(("name",)),
                "add members, or remove the role",
            )
    else:
        for k in ("members", "teams", "temporary_members", "mfa_max_age", "session_tags", "source_identity"):
            if k in data:
                r.err(
                    "C018",
                    f"a service role cannot have {k}",
                    loc((k,), key=True),
                    "service roles are assumed by AWS services (trusted_services), not by people",
                )
        if not services and not any(k in data for k in ("federated", "trusted_roles", "external_accounts")):
            r.err(
                "C018",
                "a service role needs trusted_services, federated, trusted_roles or external_accounts",
                loc(("name",)),
            )
    return services


def _role_path(doc: SourceDoc, r: Resolution, defaults: Defaults) -> str:
    data = doc.data
    name, human = data["name"], data.get("kind", "human") == "human"
    path: str = data.get("path", defaults.role_path if human else defaults.service_role_path)
    if human and len(path) + len(name) > CONSOLE_SWITCH_ROLE_LIMIT:
        r.warn(
            "C023",
            f"path + role name is {len(path) + len(name)} characters; the console's Switch Role takes at most 64",
            doc.locate(("name",)),
        )
    return path


def _role_delegation(doc: SourceDoc, r: Resolution) -> tuple[DelegatedRoleCreation | None, bool]:
    dele = doc.data.get("delegated_role_creation")
    if dele is None:
        return None, True
    ok = True
    if ("boundary", dele["boundary"]) in r.unreadable:
        ok = False  # its own error is reported at the file
    elif dele["boundary"] not in r.boundaries:
        r.err(
            "C013",
            f"unknown boundary {dele['boundary']!r}: no file boundaries/{dele['boundary']}.json",
            doc.locate(("delegated_role_creation", "boundary")),
            _missing_file("boundaries", dele["boundary"], r.boundaries),
        )
        ok = False
    return DelegatedRoleCreation(dele["boundary"], dele["path"]), ok


def _role_revoke_sessions(doc: SourceDoc, r: Resolution) -> RevokeSessions | None:
    """``revoke_sessions``: the deny on older sessions (written by revoke/offboard --revoke-sessions)."""
    spec = doc.data.get("revoke_sessions")
    if spec is None:
        return None
    try:
        before = parse_instant(spec["issued_before"])
    except TimeError as exc:
        r.err("C020", f"revoke_sessions: {exc}", doc.locate(("revoke_sessions", "issued_before")))
        return None
    return RevokeSessions(before, spec.get("reason"))


def resolve_role(doc: SourceDoc, r: Resolution, defaults: Defaults) -> Role | None:
    """A role file -> ``Role``; None (with diagnostics) when a reference cannot be resolved."""
    data: Mapping[str, Any] = doc.data
    accounts_ok = _role_accounts(doc, r)
    documents_ok = _role_documents(doc, r)
    arns = _role_managed_policies(doc, r)
    _tag_keys(doc, r)
    members, temps = _role_members(doc, r)
    teams = _role_teams(doc, r)
    federated = _role_federated(doc, r)
    trusted_roles, external = _role_cross_account(doc, r)
    _temporary_in_teams(doc, r, members, temps, teams)
    members = _with_teams(members, teams)
    services = _role_kind_rules(doc, r, members, temps)
    path = _role_path(doc, r, defaults)
    delegated, delegation_ok = _role_delegation(doc, r)
    revoke = _role_revoke_sessions(doc, r)
    if not (accounts_ok and documents_ok and arns is not None and delegation_ok):
        return None
    return Role(
        name=data["name"],
        source=doc.path,
        description=data.get("description"),
        kind=data.get("kind", "human"),
        accounts=tuple(data["accounts"]),
        owners=tuple(data.get("owners", ())),
        policies=tuple(data.get("policies", ())),
        managed_policies=tuple(data.get("managed_policies", ())),
        managed_policy_arns=arns,
        boundary=data.get("boundary"),
        admin=bool(data.get("admin", False)),
        path=path,
        max_session_duration=data.get("max_session_duration", defaults.max_session_duration),
        mfa_max_age=data.get("mfa_max_age", defaults.mfa_max_age),
        members=members,
        temporary_members=temps,
        trusted_services=services,
        session_tags=bool(data.get("session_tags", False)),
        source_identity=bool(data.get("source_identity", False)),
        delegated_role_creation=delegated,
        accept=tuple(
            Acceptance(a["check"], a["reason"], tuple(a.get("methods", ()))) for a in data.get("accept", ())
        ),
        tags=dict(data.get("tags", {})),
        revoke_sessions=revoke,
        renamed_from=tuple(data.get("renamed_from", ())),
        teams=teams,
        federated=federated,
        federated_providers={f.provider: r.providers[f.provider] for f in federated},
        trusted_roles=trusted_roles,
        external_accounts=external,
    )


def unique_names(roles: Iterable[Role], docs: Mapping[str, SourceDoc], r: Resolution) -> None:
    seen: dict[tuple[str, str], Role] = {}
    for role in roles:
        for acct in role.accounts:
            k = (acct, role.name.lower())
            if k in seen:
                first = seen[k]
                r.err(
                    "C015",
                    f"role {role.name!r} is defined twice in account {acct!r} "
                    f"(also at {docs[first.source].locate(('name',))})",
                    docs[role.source].locate(("name",)),
                    "IAM role names are unique per account, case-insensitively",
                )
            else:
                seen[k] = role
