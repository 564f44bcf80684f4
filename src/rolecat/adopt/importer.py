"""``rolecat import``: bring existing users, roles and policies under the catalog.

The plan is computed first and written only once the resulting catalog validates:

1. Every live object is either *adopted* (the catalog already describes it, or can:
   new users, roles and policy files are written) or *reported* (``Item``: what it
   is, why it does not fit, what to do).  Nothing is silently dropped.
2. The catalog with the additions is compiled in memory, and each resource of the
   output whose import id exists in the account is recorded in ``imports.yaml``.
   ``compile`` renders that record as Terraform ``import`` blocks, so the first
   apply adopts instead of creating.
3. What the first plan will still change (trust conditions rolecat adds, fields the
   export cannot know) is listed by comparing the new catalog with the exports
   (``drift``).

Running import twice changes nothing: everything it writes is derived from the
exports and the catalog alone, in a fixed order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolecat.deploy.arns import boundary_policy_name, policy_policy_name
from rolecat.diagnostics import Diagnostic
from rolecat.load.schema import draft7_schema
from rolecat.model import Catalog, PasswordPolicy
from rolecat.model.adoption import IMPORTS_FILE

from ..atomicfile import write_atomic
from ..scopedown.policyfmt import JsonStyle, format_json
from .export import AccountExport, LivePasswordPolicy, LiveRole, ManagedPolicy

if TYPE_CHECKING:
    from rolecat.targets.terraform.render import InstanceProfileView

# \Z, not $ ($ also matches before a final newline); an account id is 12 digits 0-9 (Python's \d
# takes any script's: Organizations API reference, DescribeAccount, AccountId: "exactly 12 digits").
_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):user/(?:.*/)?([A-Za-z0-9_+=,.@-]{1,64})\Z")
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?\Z")
MAX_POLICY_VERSIONS = 5


@dataclass(frozen=True)
class Item:
    """Something in an account that the catalog does not take over."""

    account: str
    kind: str
    name: str
    reason: str
    action: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class ImportResult:
    files: dict[str, str] = field(default_factory=dict)  # catalog-relative path -> new text
    items: list[Item] = field(default_factory=list)
    record: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    first_plan: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # of the resulting catalog
    changed: list[str] = field(default_factory=list)  # files whose text differs from disk


# --------------------------------------------------------------------------- trust


@dataclass(frozen=True)
class _Trust:
    kind: str  # human or service
    members: tuple[str, ...] = ()
    temporary: tuple[tuple[str, str], ...] = ()  # (user, until)
    services: tuple[str, ...] = ()
    mfa_max_age: int | None = None
    session_tags: bool = False
    source_identity: bool = False


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def classify_trust(trust: Mapping[str, Any], identity_id: str) -> _Trust | str:
    """The catalog's reading of a trust policy, or why it cannot express it."""
    stmts = trust.get("Statement", [])
    stmts = _as_list(stmts)
    members: set[str] = set()
    temporary: set[tuple[str, str]] = set()
    services: set[str] = set()
    ages: set[int] = set()
    tags = source = False
    kinds: set[str] = set()
    for s in stmts:
        if not isinstance(s, Mapping) or s.get("Effect") != "Allow":
            return "a statement other than Allow"
        if "NotPrincipal" in s or "NotAction" in s:
            return "NotPrincipal or NotAction in the trust policy"
        principal = s.get("Principal")
        if not isinstance(principal, Mapping) or len(principal) != 1:
            return f"principal {json.dumps(principal)}"
        actions = {str(a) for a in _as_list(s.get("Action", []))}
        cond = s.get("Condition") or {}
        if not isinstance(cond, Mapping):
            return "a malformed condition"
        if "Service" in principal:
            kinds.add("service")
            if actions != {"sts:AssumeRole"} or cond:
                return "a service trust with conditions or actions other than sts:AssumeRole"
            for svc in _as_list(principal["Service"]):
                if not isinstance(svc, str) or not _SERVICE.match(svc):
                    return f"service principal {svc!r}"
                services.add(svc)
            continue
        if "AWS" not in principal:
            return f"{next(iter(principal))} principals"
        kinds.add("human")
        if not actions or not actions <= {"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}:
            return f"actions {', '.join(sorted(actions))}"
        if "sts:AssumeRole" not in actions:
            return "a statement without sts:AssumeRole"
        tags |= "sts:TagSession" in actions
        source |= "sts:SetSourceIdentity" in actions
        users = []
        for arn in _as_list(principal["AWS"]):
            m = _USER_ARN.match(str(arn))
            if not m or m.group(1) != identity_id:
                return f"principal {arn} (not a user of the identity account)"
            users.append(m.group(2))
        until = None
        for op, block in cond.items():
            if not isinstance(block, Mapping):
                return "a malformed condition"
            for key, value in block.items():
                k = str(key).lower()
                # a JSON true is IAM's "true" (policydoc reads both alike): a trust written
                # with jsonencode({... = true}) keeps its boolean in the stored document
                vals = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(value)]
                if op == "Bool" and k == "aws:multifactorauthpresent" and vals == ["true"]:
                    continue
                if (
                    op == "NumericLessThan"
                    and k == "aws:multifactorauthage"
                    and len(vals) == 1
                    and vals[0].isascii()  # isdigit() alone takes ٣٦٠٠ and ², which int() refuses
                    and vals[0].isdigit()
                ):
                    ages.add(int(vals[0]))
                    continue
                if (
                    op in ("StringLike", "StringEquals")
                    and k in ("sts:rolesessionname", "sts:sourceidentity")
                    and vals == ["${aws:username}"]
                ):
                    continue
                if op == "DateLessThan" and k == "aws:currenttime" and len(vals) == 1:
                    until = vals[0]
                    continue
                return f"condition {op} {key}"
        for u in users:
            if until is None:
                members.add(u)
            else:
                temporary.add((u, until))
    if len(kinds) != 1:
        return "no statements" if not kinds else "both service and user principals"
    if len(ages) > 1:
        return "different MFA ages in different statements"
    if kinds == {"service"}:
        return _Trust("service", services=tuple(sorted(services)))
    return _Trust(
        "human",
        members=tuple(sorted(members)),
        temporary=tuple(sorted(temporary)),
        mfa_max_age=next(iter(ages), None),
        session_tags=tags,
        source_identity=source,
    )


# --------------------------------------------------------------------------- text


# \Z, not $: $ also matches before a final newline, and "line\n" written plain reads back as "line"
_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./@+=-]*\Z")
_YAML_WORDS = {"y", "yes", "n", "no", "on", "off", "true", "false", "null"}


def _yaml_escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _q(value: Any) -> str:
    """A YAML scalar: plain where YAML reads it back as the same string, else JSON's
    double quotes (valid YAML) with every character Python does not print escaped too:
    JSON writes U+0085, U+2028 and U+2029 as they are, which YAML reads as line breaks
    (folded to a space in a quoted scalar), and a C1 control or a lone surrogate makes
    the file unreadable; an invisible one stays visible to the file's reviewers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted.isprintable():  # the raw \t, \n and \r JSON has escaped already
        return quoted
    return "".join(c if c.isprintable() else _yaml_escape(c) for c in quoted)


def _flow(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


# Where the account's id stood in a live document; ``_policy_text`` writes the placeholder
# there (a private-use character: a document that holds one keeps its id as written).
_ACCOUNT_MARK = "\ue000account.id\ue000"
_POLICY_STYLE = JsonStyle(indent="  ", inline_lists=False)  # json.dumps(indent=2)'s layout


def _templated(value: Any, account_id: str) -> Any:
    """The document with the account's own id marked for the ``{{ account.id }}`` placeholder,
    so one policy file serves every account whose policy differs only by its id."""
    if "\ue000" in json.dumps(value, ensure_ascii=False):
        return value  # the mark could be mistaken: this account's file names its id
    return _marked(value, account_id)


def _marked(value: Any, account_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(account_id, _ACCOUNT_MARK)
    if isinstance(value, list):
        return [_marked(v, account_id) for v in value]
    if isinstance(value, Mapping):
        return {k: _marked(v, account_id) for k, v in value.items()}
    return value


def _policy_text(doc: Mapping[str, Any]) -> str:
    """The policy file: the live text's own template delimiters escaped (``{{`` in an S3 key
    is legal in IAM, and a policy file is a template: ``\\u007b{``, the same JSON string),
    the account's id as the placeholder."""
    return format_json(doc, _POLICY_STYLE).replace(_ACCOUNT_MARK, "{{ account.id }}")


def _file_stem(name: str) -> str:
    return _FILE_SAFE.sub("_", name)


# --------------------------------------------------------------------------- planning


@dataclass
class _PolicyChoice:
    kind: str  # policy or boundary
    stem: str  # catalog file name without .json
    live: ManagedPolicy
    pin: dict[str, str] | None
    document: Any  # the live default version, account id as a placeholder


class _Planner:
    def __init__(self, catalog: Catalog, root: Path, exports: Mapping[str, AccountExport]) -> None:
        self.catalog = catalog
        self.root = root
        self.exports = exports
        self.result = ImportResult()
        self.new_users: dict[str, dict[str, str]] = {}
        self.role_specs: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # name -> account -> spec
        self.policies: dict[tuple[str, str], _PolicyChoice] = {}  # (kind, stem) -> choice
        self.pins: dict[str, dict[str, str]] = {}
        self.written_roles: dict[str, tuple[dict[str, Any], list[str]]] = {}
        self.policy_kinds: dict[tuple[str, str], str] = {}  # (account, live ARN) -> kind
        self.password_block: dict[str, Any] | None = None  # catalog.yaml password_policy to write
        self.dropped_descriptions: set[tuple[str, str]] = set()  # (account, role): not carried

    def item(self, account: str, kind: str, name: str, reason: str, action: str) -> None:
        self.result.items.append(Item(account, kind, name, reason, action))

    # ---------------------------------------------------------------- password policy
    def password_policy(self, acct: str, live: LivePasswordPolicy) -> None:
        """Adopt the identity account's live password policy into catalog.yaml ``password_policy``.

        The catalog keeps what it can express (a longer minimum, an expiry, hard expiry); a
        setting below rolecat's floor (shorter than 14, a character class not required,
        fewer than 24 remembered passwords) is tightened by the first apply, which the
        import reports through drift as a first-plan change."""
        adopted = adopted_password_policy(live)
        existing = self.catalog.docs[self.catalog.catalog_file].data.get("password_policy")
        if existing is None:
            if adopted:
                self.password_block = adopted
        elif dict(existing) != adopted:
            self.item(
                acct,
                "password-policy",
                "account password policy",
                "catalog.yaml already sets password_policy "
                f"({_flow_map(existing)}); the live policy would be ({_flow_map(adopted)})",
                "keep the catalog's (the first apply sets it) or edit password_policy to match",
            )

    # ---------------------------------------------------------------- users
    def outside_identity(self, acct: str, live: AccountExport) -> None:
        """Users and groups of an account that is not the identity account: the catalog has
        no place for them, so each is reported and left as it is."""
        for name in sorted(live.users):
            self.item(
                acct,
                "user",
                name,
                "is a user outside the identity account; rolecat keeps people as users of the "
                "identity account who assume roles",
                "delete it once its person has a user in users.yaml and the roles they need, or keep it "
                "outside rolecat",
            )
        for name in sorted(live.groups):
            self.item(
                acct,
                "group",
                name,
                "is a group outside the identity account; rolecat keeps no groups there",
                "keep it outside rolecat, or delete it",
            )

    def users(self, acct: str, live: AccountExport) -> None:
        known = {u.name: u for u in self.catalog.users}
        lowered = {u.lower(): u for u in known}
        group = f"{self.catalog.organization}-humans"
        for name, lu in live.users.items():
            if name not in known and name.lower() in lowered:
                self.item(
                    acct,
                    "user",
                    name,
                    f"differs only in case from {lowered[name.lower()]} in users.yaml (IAM names are case-insensitive)",
                    "rename the entry in users.yaml to the live name, or give it renamed_from",
                )
                continue
            if name not in known:
                attrs = _kept_user_tags(lu.tags)
                self.new_users[name] = dict(sorted(attrs.items()))
            if lu.path != "/":
                self.item(
                    acct,
                    "user",
                    name,
                    f"is on path {lu.path}; rolecat keeps users on /",
                    "none: the first apply moves the user to / in place",
                )
            for g in lu.groups:
                if g != group:
                    self.item(
                        acct,
                        "group-membership",
                        f"{name} in {g}",
                        f"group {g} is not rolecat's",
                        f"remove {name} from {g}, or keep managing {g} outside rolecat",
                    )
            for a in lu.attached:
                self.item(
                    acct,
                    "user-policy",
                    f"{name}: {a.arn}",
                    "policies attached to users are not managed by rolecat",
                    "grant the access through a role, then detach the policy",
                )
            for pname in lu.inline:
                self.item(
                    acct,
                    "user-inline-policy",
                    f"{name}: {pname}",
                    "inline user policies are not managed by rolecat",
                    "grant the access through a role, then delete the inline policy",
                )
            if lu.boundary_arn:
                self.item(
                    acct,
                    "user-boundary",
                    name,
                    f"has permission boundary {lu.boundary_arn}",
                    "none: rolecat leaves user boundaries as they are",
                )
        for gname, lg in live.groups.items():
            if gname != group:
                self.item(
                    acct,
                    "group",
                    gname,
                    f"only the group {group} is rolecat's",
                    "move its members' access to roles, or keep managing it outside rolecat",
                )
                continue
            # rolecat's group is adopted, but only its own two policies are rolecat's: any other
            # attachment or inline policy grants every user in it, and apply leaves it there.
            from .expected import expected_accounts

            ours = set(expected_accounts(self.catalog)[acct].group_attached)
            for a in lg.attached:
                if a.arn not in ours:
                    self.item(
                        acct,
                        "group-policy",
                        f"{gname}: {a.arn}",
                        f"policies attached to {gname} other than rolecat's are not managed by rolecat",
                        f"grant the access through a role, then detach the policy from {gname}",
                    )
            for pname in lg.inline:
                self.item(
                    acct,
                    "group-inline-policy",
                    f"{gname}: {pname}",
                    "inline group policies are not managed by rolecat",
                    f"grant the access through a role, then delete the inline policy of {gname}",
                )
        if live.credentials is None:
            self.item(
                acct,
                "credentials",
                "*",
                "access keys, MFA devices and passwords are not in the export",
                "give --credential-report to list them; rolecat never manages them",
            )
        else:
            for uname, row in live.credentials.items():
                for n, (active, _, _) in enumerate(row.access_keys, start=1):
                    if active:
                        self.item(
                            acct,
                            "access-key",
                            f"{uname} key {n}",
                            "access keys stay with the user and are not managed by rolecat",
                            "none; drift --credential-report reports old or unused keys",
                        )

    # ---------------------------------------------------------------- policies
    def choose_policy(self, acct: str, kind: str, live: ManagedPolicy) -> str | None:
        """The catalog file name for a live customer managed policy (written later).

        The file is named after the live policy (without rolecat's ``boundary-`` or
        ``policy-`` prefix); the account's id becomes the ``{{ account.id }}`` placeholder,
        so accounts whose policies differ only by their id share one file.  When they
        differ otherwise, each account gets its own file (``<name>-<account>.json``),
        pinned to the same live name.
        """
        if live.description and not _accepts(_pin_description_rule(), live.description):
            self.item(
                acct,
                "policy",
                live.name,
                f"its description ({_shown(live.description)}) holds {_refused(_pin_description_rule(), live.description)}, "
                "which the catalog refuses, and IAM cannot change a policy's description: rolecat "
                "would replace the policy",
                "keep it outside rolecat, or replace it by hand with a copy whose description the catalog "
                "takes, then import again",
            )
            return None
        path_rule = draft7_schema("catalog")["$defs"]["iam_path"]
        if not _accepts(path_rule, live.path):
            # the AWS provider's aws_iam_policy takes no other path characters (its validate.go;
            # docs/catalog.md), and IAM cannot move a policy
            self.item(
                acct,
                "policy",
                live.name,
                f"its path {_shown(live.path)} has characters other than letters, digits and _+=,.@- "
                "between its slashes, which the catalog refuses, and IAM cannot move a policy: rolecat "
                "would replace it",
                "keep it outside rolecat, or replace it by hand with a copy on another path, then import again",
            )
            return None
        used_as = self.policy_kinds.setdefault((acct, live.arn), kind)
        if used_as != kind:
            self.item(
                acct,
                "policy",
                live.name,
                "is used both as a permission boundary and as a permission policy",
                "give each use its own policy, then import again",
            )
            return None
        prefix = "boundary-" if kind == "boundary" else "policy-"
        base = _file_stem(live.name[len(prefix) :] if live.name.startswith(prefix) else live.name)
        document = _templated(live.document, self.catalog.account(acct).id)
        for stem in (base, f"{base}-{acct}"):
            pin = self._pin(kind, stem, live)
            existing = self.policies.get((kind, stem))
            if existing is not None:
                same = existing.pin == pin and json.dumps(existing.document, sort_keys=True) == json.dumps(
                    document, sort_keys=True
                )
                if same:
                    return stem
                continue
            table = self.catalog.boundaries if kind == "boundary" else self.catalog.policies
            if stem in table:
                # The catalog has this file already: the live policy is that one only by name.
                if self.catalog.policy_iam_name(kind, stem) == live.name:
                    return stem
                continue
            if len(live.versions) >= MAX_POLICY_VERSIONS:
                self.item(
                    acct,
                    "policy-versions",
                    live.name,
                    f"has {len(live.versions)} versions, IAM's limit: the first update would fail",
                    "delete a non-default version before the first apply",
                )
            self.policies[(kind, stem)] = _PolicyChoice(kind, stem, live, pin, document)
            return stem
        self.item(
            acct,
            "policy",
            live.name,
            f"no free file name for it ({base}.json and {base}-{acct}.json are taken)",
            "rename files in the catalog, then import again",
        )
        return None

    @staticmethod
    def _pin(kind: str, stem: str, live: ManagedPolicy) -> dict[str, str] | None:
        """What must be pinned for the file to compile to exactly the live policy."""
        file = f"{'boundaries' if kind == 'boundary' else 'policies'}/{stem}.json"
        generated_name = boundary_policy_name(stem) if kind == "boundary" else policy_policy_name(stem)
        generated_desc = f"rolecat {'permission boundary' if kind == 'boundary' else 'policy'} from {file}"
        if live.name == generated_name and live.path == "/" and (live.description or None) == generated_desc:
            return None
        pin = {"name": live.name}
        if live.path != "/":
            pin["path"] = live.path
        if live.description:
            pin["description"] = live.description
        return pin

    # ---------------------------------------------------------------- roles
    def roles(self, acct: str, live: AccountExport) -> None:
        account = self.catalog.account(acct)
        identity = self.catalog.identity_account
        in_catalog = {r.name: r for r in self.catalog.roles_in(acct)}
        lowered = {n.lower(): n for n in in_catalog}
        deploy = self.catalog.terraform.deploy_role
        for name, lr in live.roles.items():
            if lr.reserved:
                self.item(
                    acct,
                    "role",
                    f"{lr.path}{name}",
                    "service-linked or on a path AWS reserves",
                    "none: AWS manages it; never imported",
                )
                continue
            if deploy and name == deploy:
                self.item(
                    acct,
                    "role",
                    name,
                    "the deploy role the Terraform provider assumes",
                    "none: keep it outside the catalog",
                )
                continue
            if name in in_catalog:
                continue  # adopted as the catalog describes it; the record takes it
            if name.lower() in lowered:
                self.item(
                    acct,
                    "role",
                    name,
                    f"differs only in case from {lowered[name.lower()]} in the catalog",
                    "rename the role file's name to the live one (a role rename replaces the role)",
                )
                continue
            spec = self.role_spec(acct, account.id, identity.id, lr, live)
            if spec is not None:
                self.role_specs[name][acct] = spec

    def role_spec(
        self, acct: str, account_id: str, identity_id: str, lr: LiveRole, live: AccountExport
    ) -> dict[str, Any] | None:
        trust = classify_trust(lr.trust, identity_id)
        if isinstance(trust, str):
            self.item(
                acct,
                "role",
                lr.name,
                f"trusted by {trust}, which the catalog cannot express",
                "keep it outside rolecat, or change its trust to users of the identity account or AWS services",
            )
            return None
        if lr.boundary_arn is None:
            self.item(
                acct,
                "role",
                lr.name,
                "has no permission boundary, which the catalog requires (admin roles excepted)",
                "add a boundary in AWS, or write the role file by hand with admin: true if it is a deliberate admin role, then import again",
            )
            return None
        by_arn = {p.arn: p for p in live.policies.values()}
        boundary = by_arn.get(lr.boundary_arn)
        if boundary is None:
            self.item(
                acct,
                "role",
                lr.name,
                f"its boundary {lr.boundary_arn} is not a customer managed policy of this account",
                "use a boundary from this account",
            )
            return None
        b_stem = self.choose_policy(acct, "boundary", boundary)
        if b_stem is None:
            self._not_adopted(acct, lr, f"its boundary {boundary.name}")
            return None
        policies: list[str] = []
        managed: list[str] = []
        for a in lr.attached:
            if ":iam::aws:policy/" in a.arn:
                managed.append(a.arn)
                continue
            lp = by_arn.get(a.arn)
            if lp is None:
                self.item(
                    acct,
                    "role",
                    lr.name,
                    f"attached policy {a.arn} is not in the export",
                    "export the account again",
                )
                return None
            stem = self.choose_policy(acct, "policy", lp)
            if stem is None:
                self._not_adopted(acct, lr, f"its policy {lp.name}")
                return None
            policies.append(stem)
        for pname in lr.inline:
            self.item(
                acct,
                "role-inline-policy",
                f"{lr.name}: {pname}",
                "inline role policies are not managed by rolecat and stay in AWS",
                "move the statements to a policies/ file, attach it, then delete the inline policy",
            )
        default_path = (
            self.catalog.defaults.role_path
            if trust.kind == "human"
            else self.catalog.defaults.service_role_path
        )
        spec: dict[str, Any] = {"name": lr.name}
        if tags := _kept_tags(lr.tags):
            spec["tags"] = tags
        if lr.details_known and lr.description:
            rule = draft7_schema("role")["properties"]["description"]
            if _accepts(rule, lr.description):
                spec["description"] = lr.description
            else:  # one role's description does not stop the account's import
                self.dropped_descriptions.add((acct, lr.name))
                self.result.first_plan.append(
                    f"{acct}: role {lr.name}: the first plan removes its description ({_shown(lr.description)}): "
                    f"it holds {_refused(rule, lr.description)}, which a role file cannot; give the role file a description "
                    "to keep one"
                )
        if trust.kind == "service":
            spec["kind"] = "service"
        if lr.path != default_path:
            spec["path"] = lr.path
        if policies:
            spec["policies"] = sorted(policies)
        if managed:
            spec["managed_policies"] = sorted(managed)
        spec["boundary"] = b_stem
        duration = lr.max_session_duration if lr.details_known else None
        if duration is not None and duration != self.catalog.defaults.max_session_duration:
            spec["max_session_duration"] = duration
        if trust.mfa_max_age is not None and trust.mfa_max_age != self.catalog.defaults.mfa_max_age:
            spec["mfa_max_age"] = trust.mfa_max_age
        if trust.kind == "human":
            known = {u.name for u in self.catalog.users} | set(self.new_users)
            unknown = sorted(
                {u for u in trust.members if u not in known}
                | {u for u, _ in trust.temporary if u not in known}
            )
            if unknown:
                self.item(
                    acct,
                    "role",
                    lr.name,
                    f"trusts users that do not exist: {', '.join(unknown)}",
                    "import the identity account in the same run, or remove them from the trust policy",
                )
                return None
            spec["members"] = list(trust.members)
            if trust.temporary:
                spec["temporary_members"] = [
                    {"user": u, "until": until, "reason": f"imported from the trust policy of {lr.name}"}
                    for u, until in trust.temporary
                ]
            if trust.session_tags:
                spec["session_tags"] = True
            if trust.source_identity:
                spec["source_identity"] = True
        else:
            spec["trusted_services"] = list(trust.services)
        if not lr.details_known:
            self.result.first_plan.append(
                f"{acct}: role {lr.name}: description and maximum session duration are not in the export; the first "
                f"plan sets them to the catalog's (no description, {spec.get('max_session_duration', self.catalog.defaults.max_session_duration)} s). "
                "Give --get-role to keep the live values."
            )
        return spec

    def _not_adopted(self, acct: str, lr: LiveRole, what: str) -> None:
        """A role left out because one of its policies is (the policy's own item says why):
        without its own item the role would be neither imported nor reported."""
        self.item(
            acct,
            "role",
            lr.name,
            f"{what} cannot be adopted (see that policy's item)",
            "deal with the policy as its item says, then import again",
        )

    # ---------------------------------------------------------------- files
    def role_files(self) -> None:
        for name in sorted(self.role_specs):
            by_acct = self.role_specs[name]
            groups: dict[str, list[str]] = defaultdict(list)
            for acct in sorted(by_acct):
                groups[json.dumps(by_acct[acct], sort_keys=True)].append(acct)
            for key, accts in groups.items():
                spec = json.loads(key)
                folder = accts[0] if len(accts) == 1 else "shared"
                rel = f"roles/{folder}/{_file_stem(name)}.yaml"
                if len(groups) > 1:
                    rel = f"roles/{accts[0]}/{_file_stem(name)}.yaml"
                self.written_roles[rel] = (spec, accts)
                self.result.files[rel] = self.role_text(spec, accts)

    def leave_out(self, errors: list[Diagnostic], work: Path, root: Path) -> bool:
        """What import wrote that the catalog refuses for anything but an IAM finding of a role:
        a role's path, MFA age or end of access, a trust policy over the quota, a policy with a
        condition key rolecat does not know.  IAM took them; the catalog cannot write them.
        Each such policy and every role using it, and each such role, is left out and reported
        in the catalog's own words, so that one object does not stop the import of the account;
        the policy files and pins only they needed go with them.  True when anything was."""
        reasons: dict[str, list[str]] = defaultdict(list)  # role file -> why it is left out
        files = {_policy_file(kind, stem): (kind, stem) for kind, stem in self.policies}
        for d in errors:
            rel = _in(d, work)
            why = f"{d.code} {_plain_message(d.message)}"
            if rel in files and rel in self.result.files:
                key = files[rel]
                live = self.policies[key].live
                users = [
                    (role_rel, accts)
                    for role_rel, (spec, accts) in self.written_roles.items()
                    if key
                    in {("boundary", spec["boundary"]), *(("policy", n) for n in spec.get("policies", ()))}
                ]
                for acct in sorted({a for _, accts in users for a in accts}) or ["*"]:
                    self.item(
                        acct,
                        "policy",
                        live.name,
                        f"the catalog cannot hold it as it is ({why})",
                        "keep it outside rolecat, or change it in AWS so the catalog can, then import again",
                    )
                for role_rel, _ in users:
                    reasons[role_rel].append(
                        f"its {'boundary' if key[0] == 'boundary' else 'policy'} {live.name} "
                        "cannot be adopted (see that policy's item)"
                    )
            elif rel in self.written_roles and not d.code.startswith("I"):
                reasons[rel].append(f"the catalog cannot hold it as it is ({why})")
        for rel, why_all in sorted(reasons.items()):
            spec, accts = self.written_roles.pop(rel)
            del self.result.files[rel]
            (work / rel).unlink()
            for acct in accts:
                self.item(
                    acct,
                    "role",
                    spec["name"],
                    "; ".join(dict.fromkeys(why_all)),
                    "keep it outside rolecat, or change it in AWS so the catalog can, then import again",
                )
        if not reasons:
            return False
        used = {("boundary", s["boundary"]) for s, _ in self.written_roles.values()}
        used |= {("policy", n) for s, _ in self.written_roles.values() for n in s.get("policies", ())}
        for kind, stem in [k for k in self.policies if k not in used]:
            del self.policies[(kind, stem)]
            rel = _policy_file(kind, stem)
            self.pins.pop(rel.removesuffix(".json"), None)
            if self.result.files.pop(rel, None) is not None:
                (work / rel).unlink()
        settings = self.catalog_text()
        if settings is None:
            self.result.files.pop("catalog.yaml", None)
            shutil.copyfile(root / "catalog.yaml", work / "catalog.yaml")
        else:
            self.result.files["catalog.yaml"] = settings
        return True

    def adopt_findings(self, errors: list[Diagnostic], work: Path, display: str) -> bool:
        """IAM-check errors of imported roles: the live role is what it is.

        A role that is effectively an administrator (I002) is imported with ``admin: true``;
        other IAM findings are imported as ``accept:`` entries saying they came from the
        live account.  Both are in the role file for the pull request's reviewers, and
        each is reported.  True when any role file changed.
        """
        changed = False
        for d in errors:
            rel = _in(d, work)
            if rel is None or rel not in self.written_roles or not d.code.startswith("I"):
                continue
            spec, accts = self.written_roles[rel]
            if d.code == "I002":
                if not spec.get("admin"):
                    spec["admin"] = True
                    changed = True
                    self.item(
                        ",".join(accts),
                        "finding",
                        spec["name"],
                        _plain_message(d.message),
                        "imported with admin: true; review whether it should be an administrator",
                    )
            else:
                accepted = spec.setdefault("accept", [])
                if not any(a["check"] == d.code for a in accepted):
                    accepted.append(
                        {
                            "check": d.code,
                            "reason": "imported as it is in the live account; review and narrow",
                        }
                    )
                    changed = True
                self.item(
                    ",".join(accts),
                    "finding",
                    spec["name"],
                    _plain_message(d.message),
                    f"imported with accept: {d.code}; narrow the role, then remove the acceptance",
                )
            self.result.files[rel] = self.role_text(spec, accts)
        return changed

    def role_text(self, spec: dict[str, Any], accounts: list[str]) -> str:
        lines = [
            f"# Imported by rolecat import from the live account{'s' if len(accounts) != 1 else ''} {', '.join(accounts)}.",
            f"name: {_q(spec['name'])}",
        ]
        if "description" in spec:
            lines.append(f"description: {_q(spec['description'])}")
        if "kind" in spec:
            lines.append(f"kind: {spec['kind']}")
        lines.append(f"accounts: {_flow(accounts)}")
        for key in (
            "path",
            "policies",
            "managed_policies",
            "boundary",
            "max_session_duration",
            "mfa_max_age",
        ):
            if key in spec:
                v = spec[key]
                lines.append(f"{key}: {_flow(v) if isinstance(v, list) else _q(v)}")
        if spec.get("admin"):
            lines.append("admin: true  # imported: effectively an administrator in the live account")
        if "members" in spec:
            lines.append(f"members: {_flow(spec['members'])}")
        if spec.get("temporary_members"):
            lines.append("temporary_members:")
            for t in spec["temporary_members"]:
                lines.append(f"  - user: {_q(t['user'])}")
                lines.append(f"    until: {_q(t['until'])}")
                lines.append(f"    reason: {_q(t['reason'])}")
        for key in ("session_tags", "source_identity"):
            if spec.get(key):
                lines.append(f"{key}: true")
        if "trusted_services" in spec:
            lines.append(f"trusted_services: {_flow(spec['trusted_services'])}")
        if spec.get("tags"):
            lines.append("tags:")
            lines.extend(f"  {_q(k)}: {_q(v)}" for k, v in spec["tags"].items())
        if spec.get("accept"):
            lines.append("accept:")
            for a in spec["accept"]:
                lines.append(f"  - check: {a['check']}")
                lines.append(f"    reason: {_q(a['reason'])}")
        return "\n".join(lines) + "\n"

    def policy_files(self) -> None:
        for (kind, stem), choice in sorted(self.policies.items()):
            folder = "boundaries" if kind == "boundary" else "policies"
            self.result.files[f"{folder}/{stem}.json"] = _policy_text(choice.document)
            if choice.pin is not None:
                self.pins[f"{folder}/{stem}"] = choice.pin

    def users_text(self) -> str | None:
        if not self.new_users:
            return None
        path = self.root / "users.yaml"
        text = path.read_text(encoding="utf-8")
        entries = "".join(
            f"  {_q(n) if not re.match(r'^[A-Za-z][A-Za-z0-9_.-]*$', n) else n}: "
            + ("{" + ", ".join(f"{k}: {_q(v)}" for k, v in a.items()) + "}" if a else "{}")
            + "\n"
            for n, a in sorted(self.new_users.items())
        )
        return _append_to_block(text, "users", entries)

    def catalog_text(self) -> str | None:
        existing = dict(self.catalog.docs[self.catalog.catalog_file].data.get("pinned_policies") or {})
        merged = {**existing, **self.pins}
        if merged == existing and self.password_block is None:
            return None
        text = (self.root / "catalog.yaml").read_text(encoding="utf-8")
        if merged != existing:
            block = "pinned_policies:  # adopted policies keep their live IAM name, path and description\n"
            for key in sorted(merged):
                spec = merged[key]
                fields = ", ".join(
                    f"{k}: {_q(spec[k])}" for k in ("name", "path", "description") if k in spec
                )
                block += f"  {key}: {{{fields}}}\n"
            text = _replace_top_level(text, "pinned_policies", block)
        if self.password_block is not None:
            block = "password_policy:  # adopted from the live policy (rolecat import --password-policy)\n"
            block += "".join(f"  {k}: {_q(v)}\n" for k, v in self.password_block.items())
            text = _replace_top_level(text, "password_policy", block)
        return text


def _pin_description_rule() -> Mapping[str, Any]:
    """What catalog.yaml's ``pinned_policies`` takes as a live policy's description.

    IAM takes any characters there, at most 1000, and never changes them ("The policy
    description is immutable": IAM API Reference, CreatePolicy, Description;
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html).  A role's
    description is at most 1000 of tab, line feed, carriage return, U+0020-U+007E and
    U+00A1-U+00FF (CreateRole, Description; API_CreateRole.html), which role.schema.json
    restates; IAM can change it in place."""
    pins = draft7_schema("catalog")["properties"]["pinned_policies"]["additionalProperties"]
    rule: Mapping[str, Any] = pins["properties"]["description"]
    return rule


def _accepts(rule: Mapping[str, Any], text: str) -> bool:
    """Whether a string schema rule (``maxLength``, ``pattern``) takes ``text``."""
    return len(text) <= rule.get("maxLength", len(text)) and re.search(rule["pattern"], text) is not None


def _refused(rule: Mapping[str, Any], text: str) -> str:
    """What of ``text`` a rule of one character class (``^[...]*``) refuses, in words."""
    if len(text) > rule.get("maxLength", len(text)):
        return f"{len(text)} characters (at most {rule['maxLength']})"
    chars = sorted({c for c in text if re.search(rule["pattern"], c) is None})
    return (
        "the character" + ("s " if len(chars) > 1 else " ") + ", ".join(f"U+{ord(c):04X}" for c in chars[:8])
    )


def _shown(text: str) -> str:
    """A live value in a report line: JSON-quoted (escapes shown), long ones cut."""
    return json.dumps(text if len(text) <= 60 else text[:57] + "...", ensure_ascii=True)


def _kept_user_tags(live: Mapping[str, str]) -> dict[str, str]:
    """The live user tags users.yaml can hold: ``email``, ``team`` and ``name``, each when
    users.schema.json takes its value (read from it, not restated: a restated pattern ended in
    $, which let a value ending in a line break through, and users.yaml then failed validation)
    and it is NFC-composed, as the loader requires of every user attribute."""
    rules = draft7_schema("users")["properties"]["users"]["additionalProperties"]["properties"]
    return {
        k: live[k]
        for k in ("email", "name", "team")
        if k in live and _accepts(rules[k], live[k]) and unicodedata.is_normalized("NFC", live[k])
    }


def _kept_tags(live: Mapping[str, str]) -> dict[str, str]:
    """The live role tags a role file can hold: rolecat's own (``rolecat:``) and AWS's (``aws:``)
    keys are not the file's to set; a key or value the catalog refuses stays out, and so do
    all of them when there are more than a role file may have."""
    rule = draft7_schema("role")["properties"]["tags"]  # what a role file's tags accept
    key_ok = re.compile(rule["propertyNames"]["pattern"])
    value = rule["additionalProperties"]
    value_ok = re.compile(value["pattern"])
    kept = {
        k: v
        for k, v in live.items()
        if key_ok.search(k)
        and value_ok.search(v)
        and len(v) <= value["maxLength"]
        and unicodedata.is_normalized("NFC", k + v)
        and not k.lower().startswith(("aws:", "rolecat:"))
    }
    return dict(sorted(kept.items())) if len(kept) <= rule["maxProperties"] else {}


def _instance_profiles(
    p: _Planner, res: ImportResult, acct: str, path: str, ours: InstanceProfileView | None, lr: LiveRole
) -> None:
    """A live role's instance profiles against the one rolecat writes (for a role EC2 assumes,
    named after the role, on the role's path): another profile stays, and is reported; rolecat's
    own on another path is replaced by the first apply (IAM cannot move an instance profile,
    and Terraform's path forces a new one); a missing one is created."""
    name = ours.name if ours is not None else None
    for profile in lr.instance_profiles:
        if profile != name:
            why = (
                f"rolecat writes only the instance profile {name} for it"
                if name is not None
                else "rolecat writes an instance profile only for a role that trusts ec2.amazonaws.com"
            )
            p.item(
                acct,
                "instance-profile",
                f"{profile} (role {lr.name})",
                why,
                "keep it outside rolecat, or delete it once no instance uses it",
            )
            continue
        live_path = lr.instance_profile_paths.get(profile)
        if live_path is not None and live_path != path:
            res.first_plan.append(
                f"{acct}: instance profile {profile}: the first plan replaces it (deletes it and creates it "
                f"again): its path is {live_path}, the catalog's is {path}, and IAM cannot move an instance "
                "profile; instances using it lose the role in between"
            )
    if name is not None and name not in lr.instance_profiles:
        res.first_plan.append(f"{acct}: instance profile {name}: the first plan creates it")


def _tag_changes(what: str, want: Mapping[str, str], live: Mapping[str, str]) -> str | None:
    """The first plan's change to a live object's tags (``want`` includes the provider's
    default tags): a tag removed or given another value; one added takes nothing away, and
    the provider leaves ``aws:`` tags alone (``drift.tag_changes``)."""
    from .drift import TagChanges, tag_changes

    change = tag_changes(want, live)
    if not (change.removed or change.changed):
        return None
    taken = TagChanges({}, change.removed, change.changed)
    why = "tags the catalog does not keep" if not change.changed else "tags the catalog sets otherwise"
    if change.removed and change.changed:
        why = "tags the catalog does not keep or sets otherwise"
    return f"{what}: the first plan {taken.describe()}: {why}"


def adopted_password_policy(live: LivePasswordPolicy) -> dict[str, Any]:
    """catalog.yaml ``password_policy`` keys for a live policy: only what differs from the safe
    defaults, and never below them (the catalog schema only lets it tighten)."""
    floor = PasswordPolicy()
    out: dict[str, Any] = {}
    length = max(live.minimum_length or 0, floor.minimum_length)
    if length != floor.minimum_length:
        out["minimum_length"] = length
    if live.max_age_days is not None:
        out["max_age_days"] = live.max_age_days
    if live.hard_expiry:
        out["hard_expiry"] = True
    return out


def _flow_map(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {_q(v)}" for k, v in values.items()) or "the defaults"


def _plain_message(text: str) -> str:
    return " ".join(text.split())


def _policy_file(kind: str, stem: str) -> str:
    return f"{'boundaries' if kind == 'boundary' else 'policies'}/{stem}.json"


def _in(d: Diagnostic, work: Path) -> str | None:
    """The file of the scratch catalog a diagnostic is located in, relative to it."""
    if d.location is None or not Path(d.location.path).is_absolute():
        return None
    try:
        return Path(d.location.path).resolve().relative_to(work.resolve()).as_posix()
    except ValueError:
        return None


def _relocated(d: Diagnostic, work: Path, root: Path) -> Diagnostic:
    """A diagnostic of the scratch copy, pointing at the catalog folder instead."""
    import dataclasses

    if d.location is None:
        return d
    try:
        rel = Path(d.location.path).resolve().relative_to(work.resolve())
    except ValueError:
        return d
    return dataclasses.replace(d, location=dataclasses.replace(d.location, path=(root / rel).as_posix()))


def _top_level_keys(text: str) -> list[tuple[int, str]]:
    out = []
    for i, line in enumerate(text.split("\n")):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", line)
        if m:
            out.append((i, m.group(1)))
    return out


def _replace_top_level(text: str, key: str, block: str) -> str:
    """``text`` with top-level ``key``'s block replaced by ``block`` (or appended)."""
    lines = text.split("\n")
    keys = _top_level_keys(text)
    starts = [i for i, k in keys if k == key]
    if not starts:
        sep = "" if text.endswith("\n") or not text else "\n"
        return text + sep + ("\n" if text.strip() else "") + block
    start = starts[0]
    later = [i for i, _ in keys if i > start]
    end = later[0] if later else len(lines)
    while end > start + 1 and lines[end - 1].strip() == "":
        end -= 1
    return "\n".join(lines[:start]) + ("\n" if start else "") + block + "\n".join(lines[end:])


def _append_to_block(text: str, key: str, entries: str) -> str:
    """Append block-mapping entries at the end of top-level ``key`` (comments kept)."""
    lines = text.split("\n")
    keys = _top_level_keys(text)
    starts = [i for i, k in keys if k == key]
    if not starts:
        return text + ("" if text.endswith("\n") else "\n") + f"{key}:\n" + entries
    start = starts[0]
    head = lines[start]
    if re.match(rf"^{key}\s*:\s*\{{\s*\}}\s*(#.*)?$", head):  # `users: {}`
        lines[start] = f"{key}:"
        return "\n".join(lines[: start + 1]) + "\n" + entries + "\n".join(lines[start + 1 :])
    later = [i for i, _ in keys if i > start]
    end = later[0] if later else len(lines)
    while end > start + 1 and (lines[end - 1].strip() == "" or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return "\n".join(lines[:end]) + "\n" + entries + "\n".join(lines[end:])


# --------------------------------------------------------------------------- record


def _live_ids(catalog: Catalog, acct: str, live: AccountExport) -> set[tuple[str, str]]:
    ids: set[tuple[str, str]] = set()
    for u in live.users.values():
        ids.add(("aws_iam_user", u.name))
        for g in u.groups:
            ids.add(("aws_iam_user_group_membership", f"{u.name}/{g}"))
    for grp in live.groups.values():
        ids.add(("aws_iam_group", grp.name))
        for a in grp.attached:
            ids.add(("aws_iam_group_policy_attachment", f"{grp.name}/{a.arn}"))
    for p in live.policies.values():
        ids.add(("aws_iam_policy", p.arn))
    for r in live.roles.values():
        ids.add(("aws_iam_role", r.name))
        for a in r.attached:
            ids.add(("aws_iam_role_policy_attachment", f"{r.name}/{a.arn}"))
        for n in r.inline:
            ids.add(("aws_iam_role_policy", f"{r.name}:{n}"))
        for profile in r.instance_profiles:  # a role EC2 assumes: its profile exists too
            ids.add(("aws_iam_instance_profile", profile))
    if live.password_policy is not None:
        from rolecat.targets.terraform.imports import PASSWORD_POLICY_IMPORT_ID

        ids.add(("aws_iam_account_password_policy", PASSWORD_POLICY_IMPORT_ID))
    return ids


def _record_text(record: Mapping[str, Mapping[str, list[str]]]) -> str:
    lines = [
        "# Written by `rolecat import`: objects that already exist in AWS. compile writes a Terraform",
        "# import block for each, so the first apply adopts them instead of creating them.",
        "# Delete this file once that apply has succeeded (docs/adoption.md).",
        "accounts:",
    ]
    for acct in sorted(record):
        lines.append(f"  {acct}:")
        for rtype in sorted(record[acct]):
            lines.append(f"    {rtype}:")
            lines.extend(f"      - {_q(i)}" for i in sorted(record[acct][rtype]))
    return "\n".join(lines) + "\n"


def plan_import(
    catalog: Catalog, root: Path, exports: Mapping[str, AccountExport], now: dt.datetime
) -> ImportResult:
    """Everything import would write and report; writes nothing."""
    from rolecat.pipeline import load_catalog
    from rolecat.targets.terraform.imports import inventory
    from rolecat.targets.terraform.render import account_views

    from .drift import REPLACED_BY, drift
    from .expected import default_tags

    p = _Planner(catalog, root, exports)
    identity = catalog.identity_account.name
    if identity in exports:
        p.users(identity, exports[identity])
        if (live_policy := exports[identity].password_policy) is not None:
            p.password_policy(identity, live_policy)
    for acct in sorted(set(exports) - {identity}):
        p.outside_identity(acct, exports[acct])
    for acct in sorted(exports):
        p.roles(acct, exports[acct])
    p.role_files()
    p.policy_files()
    res = p.result
    # Files that already exist keep their text: import never overwrites what a person wrote.
    for rel in list(res.files):
        path = root / rel
        if path.exists():
            current = path.read_text(encoding="utf-8")
            if current != res.files[rel]:
                p.item(
                    "*",
                    "file",
                    rel,
                    "exists with other content",
                    "compare with the live object and merge by hand",
                )
            del res.files[rel]
    if (users := p.users_text()) is not None:
        res.files["users.yaml"] = users
    if (settings := p.catalog_text()) is not None:
        res.files["catalog.yaml"] = settings

    # The resulting catalog, compiled in memory, decides the record.
    with tempfile.TemporaryDirectory(prefix="rolecat-import-") as tmp:
        work = Path(tmp) / "catalog"
        shutil.copytree(root, work, symlinks=True)
        (work / IMPORTS_FILE).unlink(missing_ok=True)
        # Each round settles IAM findings of imported roles (adopt_findings) or leaves out the
        # roles the catalog cannot hold (leave_out); both only ever shrink what is left to do.
        for _ in range(len(p.written_roles) + 3):
            for rel, text in res.files.items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(text, encoding="utf-8")
            new, diags = load_catalog(work, now)
            errors = [d for d in diags if d.is_error]
            if not errors:
                break
            if not (p.leave_out(errors, work, root) or p.adopt_findings(errors, work, str(root))):
                break
        res.diagnostics = [_relocated(d, work, root) for d in errors]
        if new is None or res.diagnostics:
            return res
        views = account_views(new)
        for account in new.accounts:
            live = exports.get(account.name)
            if live is None:
                continue
            have = _live_ids(new, account.name, live)
            view = views[account.name]
            ids: dict[str, list[str]] = defaultdict(list)
            for r in inventory(new, view):
                if (r.type, r.import_id) in have:
                    ids[r.type].append(r.import_id)
            if ids:
                res.record[account.name] = {t: sorted(v) for t, v in sorted(ids.items())}
            # Tags are the resources' own (no import id): the first apply makes them the catalog's.
            defaults = default_tags(new)
            for rv in view.roles:
                if (lr := live.roles.get(rv.role.name)) is not None:
                    line = _tag_changes(
                        f"{account.name}: role {rv.role.name}", {**defaults, **rv.tags}, lr.tags
                    )
                    if line is not None:
                        res.first_plan.append(line)
                    _instance_profiles(p, res, account.name, rv.role.path, rv.instance_profile, lr)
            for u in view.users:
                if (lu := live.users.get(str(u["name"]))) is not None:
                    line = _tag_changes(
                        f"{account.name}: user {u['name']}", {**defaults, **u["tags"]}, lu.tags
                    )
                    if line is not None:
                        res.first_plan.append(line)
        items, _ = drift(new, exports, now)
        for d in items:
            if d.field == "description" and (d.account, d.name) in p.dropped_descriptions:
                continue  # said above, with the reason
            if d.field == "tags" or d.kind == "instance-profile":
                continue  # said above, in the import's words (_tag_changes, _instance_profiles)
            if d.change == "changed":
                verb = "replaces it" if (d.kind, d.field) in REPLACED_BY else f"updates {d.field}"
                res.first_plan.append(f"{d.account}: {d.kind} {d.name}: the first plan {verb}: {d.message}")
            elif d.change == "missing":
                res.first_plan.append(f"{d.account}: {d.kind} {d.name}: the first plan creates it")
    record_text = _record_text(res.record) if res.record else None
    imports_path = root / IMPORTS_FILE
    recorded = imports_path.read_text(encoding="utf-8") if imports_path.exists() else None
    if record_text is not None and record_text != recorded:
        res.files[IMPORTS_FILE] = record_text
    res.changed = sorted(res.files)
    res.items.sort(key=lambda i: (i.account, i.kind, i.name))
    return res


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Each file replaced atomically (``atomicfile.write_atomic``)."""
    for rel, text in sorted(files.items()):
        write_atomic(root / rel, text)
