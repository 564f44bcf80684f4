"""Reading what AWS exports about an account: ``aws iam get-account-authorization-details``.

The export is input from outside the repository, so it is read like the catalog: every
problem becomes a diagnostic, never a traceback.  Policy documents appear in three
shapes depending on the client that saved them: JSON objects (the AWS CLI and boto3
decode them), JSON text, or URL-encoded JSON text (the raw API, RFC 3986).  All three
become plain dicts here.

Optional inputs fill what the export lacks: ``aws iam get-role`` output (a role's
description and maximum session duration), the credential report CSV (passwords,
MFA, access keys) and ``aws iam get-account-password-policy`` output (the account's
password policy, which the export does not carry).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, Location, error
from ..report.words import listed

Document = dict[str, Any]

# An export of a large account is a few MB; refuse what no account produces.
MAX_EXPORT_BYTES = 256 * 1024 * 1024

# Paths AWS reserves for roles it creates and manages itself: never imported, never drift.
RESERVED_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/aws-")


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str
    default: bool
    document: Document


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    path: str
    description: str | None
    attachment_count: int
    boundary_usage_count: int
    versions: tuple[PolicyVersion, ...]

    @property
    def document(self) -> Document:
        for v in self.versions:
            if v.default:
                return v.document
        return self.versions[0].document if self.versions else {}

    @property
    def is_aws_managed(self) -> bool:
        return ":iam::aws:policy/" in self.arn


@dataclass(frozen=True)
class Attached:
    name: str
    arn: str


@dataclass(frozen=True)
class LiveUser:
    name: str
    path: str
    user_id: str
    arn: str
    groups: tuple[str, ...]
    attached: tuple[Attached, ...]
    inline: Mapping[str, Document]
    boundary_arn: str | None
    tags: Mapping[str, str]


@dataclass(frozen=True)
class LiveGroup:
    name: str
    path: str
    arn: str
    attached: tuple[Attached, ...]
    inline: Mapping[str, Document]


@dataclass(frozen=True)
class LiveRole:
    name: str
    path: str
    role_id: str
    arn: str
    trust: Document
    attached: tuple[Attached, ...]
    inline: Mapping[str, Document]
    boundary_arn: str | None
    tags: Mapping[str, str]
    instance_profiles: tuple[str, ...]
    # Not in get-account-authorization-details; known only from get-role output.
    description: str | None = None
    max_session_duration: int | None = None
    details_known: bool = False
    # Each instance profile's path, where the export gives it (IAM cannot move a profile).
    instance_profile_paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def reserved(self) -> bool:
        return self.path.startswith(RESERVED_ROLE_PATHS)


@dataclass(frozen=True)
class CredentialReportRow:
    user: str
    password_enabled: bool
    mfa_active: bool
    access_keys: tuple[tuple[bool, dt.datetime | None, dt.datetime | None], ...]  # active, rotated, last used


@dataclass(frozen=True)
class AccountExport:
    """One account's IAM as exported; ``source`` is the file it came from."""

    source: str
    account_id: str | None
    users: Mapping[str, LiveUser]
    groups: Mapping[str, LiveGroup]
    roles: Mapping[str, LiveRole]
    policies: Mapping[str, ManagedPolicy]  # customer managed, by name
    aws_policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)  # by ARN
    credentials: Mapping[str, CredentialReportRow] | None = None
    password_policy: LivePasswordPolicy | None = None  # None: not given (not "has none")


@dataclass(frozen=True)
class LivePasswordPolicy:
    """``aws iam get-account-password-policy`` output, checked against the API's ranges."""

    minimum_length: int | None  # None: the output omits it
    require_lowercase: bool
    require_uppercase: bool
    require_numbers: bool
    require_symbols: bool
    allow_users_to_change: bool
    max_age_days: int | None  # None: passwords do not expire
    reuse_prevention: int | None  # None: reuse is not prevented
    hard_expiry: bool


class ExportError(Exception):
    """Raised inside this module only; turned into diagnostics by ``read_export`` (one per
    message: an export with several duplicates names each)."""

    def __init__(self, *messages: str, hint: str | None = None) -> None:
        super().__init__(messages[0])
        self.messages = messages
        self.hint = hint


# IAM user, group, role and policy names are unique within an account, and "Names are not
# distinguished by case" (IAM API Reference, CreateRole / CreateUser / CreateGroup /
# CreatePolicy: RoleName, UserName, GroupName, PolicyName;
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).  Two entries of one list with
# the same name, in any case, are no account IAM can hold: the export is corrupt or two
# exports were joined, and keeping either one would adopt or compare a guess.
class _Names:
    """The entries of one list of an export by name, and each name that came twice."""

    def __init__(self, what: str, unique: str, of: str = "") -> None:
        self.what = what  # "role"
        self.unique = unique  # why two are one too many
        self.of = of  # " of role Admin": whose names they are
        self.seen: dict[str, tuple[str, str]] = {}  # key -> (name, where)

    def add(self, name: str, where: str, duplicates: list[str], *, fold: bool = True) -> None:
        """Record ``name`` at ``where``; a name seen before is a duplicate (both places named)."""
        key = name.lower() if fold else name
        first = self.seen.setdefault(key, (name, where))
        if first[1] != where:
            other = f" (the second as {name!r})" if first[0] != name else ""
            duplicates.append(
                f"{first[1]} and {where} both name {self.what} {first[0]!r}{self.of}{other}: {self.unique}"
            )


def decode_document(value: Any, what: str) -> Document:
    """A policy document in any of the shapes AWS clients save it in."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = value.strip()
        # JSON text starts with its brace; URL-encoded JSON cannot (RFC 3986 encodes it as
        # %7B). A decoded document is never decoded again: its own %22 (a Sid, an S3 key)
        # would become a quote and change the document, or break it.
        if not text.startswith("{"):
            text = urllib.parse.unquote(text).strip()
        try:
            doc = json.loads(text)
        except ValueError as exc:
            from ..load.source import json_syntax

            syntax = json_syntax(text, exc)
            assert syntax is not None  # json refused it
            where = f" (line {syntax.line}, column {syntax.col} of the document)" if syntax.line else ""
            raise ExportError(f"{what}: not a JSON policy document: {syntax.reason}{where}") from None
        except RecursionError:
            raise ExportError(f"{what}: not a policy document (JSON nested too deeply)") from None
        if isinstance(doc, dict):
            return doc
    raise ExportError(f"{what}: a policy document must be a JSON object")


def _str(obj: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str:
    v = obj.get(key)
    if isinstance(v, str):
        return v
    if v is None and not required:
        return ""
    raise ExportError(f"{what}: {key} must be a string")


def _list(obj: Mapping[str, Any], key: str, what: str) -> list[Any]:
    v = obj.get(key, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise ExportError(f"{what}: {key} must be a list")
    return v


def _obj(v: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise ExportError(f"{what}: expected an object")
    return v


def _tags(obj: Mapping[str, Any], what: str, where: str, duplicates: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    keys = _Names("tag", "a resource has one tag of each key", f" of {what}")
    for i, raw_t in enumerate(_list(obj, "Tags", what)):
        t = _obj(raw_t, what + " tag")
        key = _str(t, "Key", what + " tag")
        keys.add(key, f"{where}.Tags[{i}]", duplicates, fold=False)
        out.setdefault(key, _str(t, "Value", what + " tag", required=False))
    return dict(sorted(out.items()))


def _attached(obj: Mapping[str, Any], what: str) -> tuple[Attached, ...]:
    items = []
    for raw_a in _list(obj, "AttachedManagedPolicies", what):
        a = _obj(raw_a, what + " attached policy")
        items.append(Attached(_str(a, "PolicyName", what), _str(a, "PolicyArn", what)))
    return tuple(sorted(items, key=lambda x: x.arn))


def _inline(
    obj: Mapping[str, Any], key: str, what: str, where: str, duplicates: list[str]
) -> dict[str, Document]:
    out: dict[str, Document] = {}
    names = _Names(
        "inline policy", "an inline policy's name is unique in its user, group or role", f" of {what}"
    )
    for i, raw_p in enumerate(_list(obj, key, what)):
        p = _obj(raw_p, what + " inline policy")
        name = _str(p, "PolicyName", what)
        names.add(name, f"{where}.{key}[{i}]", duplicates, fold=False)
        out.setdefault(name, decode_document(p.get("PolicyDocument"), f"{what} inline policy {name}"))
    return dict(sorted(out.items()))


def _boundary(obj: Mapping[str, Any], what: str) -> str | None:
    b = obj.get("PermissionsBoundary")
    if b is None:
        return None
    return _str(_obj(b, what + " PermissionsBoundary"), "PermissionsBoundaryArn", what)


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


# The four lists of an export; --filter keeps some of them only
EXPORT_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def parse_export(data: Any, source: str) -> AccountExport:
    """Parse a decoded export; raises ExportError with a precise message."""
    top = _obj(data, "export")
    missing = [k for k in EXPORT_LISTS if k not in top]
    if len(missing) == len(EXPORT_LISTS):
        raise ExportError(
            "not an export of get-account-authorization-details "
            "(no UserDetailList, GroupDetailList, RoleDetailList or Policies)"
        )
    if missing:
        # what --filter Role (or User, Group, LocalManagedPolicy...) leaves: compared with the
        # catalog, every policy or user of a list it lacks would be said to be missing in AWS
        raise ExportError(
            f"a partial export: no {listed(missing, 'or')}; what it lacks would be said to be missing in AWS",
            hint=(
                "run aws iam get-account-authorization-details --output json without --filter: "
                "it lists all four (UserDetailList, GroupDetailList, RoleDetailList, Policies)"
            ),
        )
    # One page of the API (IsTruncated and Marker: IAM API Reference,
    # GetAccountAuthorizationDetails, response elements), what --no-paginate leaves, or of the
    # AWS CLI (NextToken, which it prints when --max-items cuts the listing)
    page = [k for k in ("IsTruncated", "Marker", "NextToken") if k in top and (k != "IsTruncated" or top[k])]
    if page:
        raise ExportError(
            f"a truncated export ({listed(page)}): it holds one page only, and what is on later "
            "pages would be said to be missing in AWS",
            hint=(
                "run aws iam get-account-authorization-details --output json without --max-items "
                "or --no-paginate: the AWS CLI then fetches every page"
            ),
        )
    account_ids: set[str] = set()
    duplicates: list[str] = []
    unique = "IAM names are unique in an account, whatever their case; the export is corrupt or joins two"
    user_names, group_names = _Names("user", unique), _Names("group", unique)
    role_names, policy_names = _Names("role", unique), _Names("customer managed policy", unique)
    aws_arns = _Names("AWS managed policy", "the export lists each policy once")
    users: dict[str, LiveUser] = {}
    for i, raw_u in enumerate(_list(top, "UserDetailList", "export")):
        where = f"UserDetailList[{i}]"
        u = _obj(raw_u, where)
        name = _str(u, "UserName", where)
        user_names.add(name, where, duplicates)
        what = f"user {name}"
        arn = _str(u, "Arn", what)
        if acct := _account_of(arn):
            account_ids.add(acct)
        users.setdefault(
            name,
            LiveUser(
                name=name,
                path=_str(u, "Path", what, required=False) or "/",
                user_id=_str(u, "UserId", what, required=False),
                arn=arn,
                groups=tuple(sorted(str(g) for g in _list(u, "GroupList", what))),
                attached=_attached(u, what),
                inline=_inline(u, "UserPolicyList", what, where, duplicates),
                boundary_arn=_boundary(u, what),
                tags=_tags(u, what, where, duplicates),
            ),
        )
    groups: dict[str, LiveGroup] = {}
    for i, raw_g in enumerate(_list(top, "GroupDetailList", "export")):
        where = f"GroupDetailList[{i}]"
        g = _obj(raw_g, where)
        name = _str(g, "GroupName", where)
        group_names.add(name, where, duplicates)
        what = f"group {name}"
        groups.setdefault(
            name,
            LiveGroup(
                name=name,
                path=_str(g, "Path", what, required=False) or "/",
                arn=_str(g, "Arn", what),
                attached=_attached(g, what),
                inline=_inline(g, "GroupPolicyList", what, where, duplicates),
            ),
        )
    roles: dict[str, LiveRole] = {}
    for i, raw_r in enumerate(_list(top, "RoleDetailList", "export")):
        where = f"RoleDetailList[{i}]"
        r = _obj(raw_r, where)
        name = _str(r, "RoleName", where)
        role_names.add(name, where, duplicates)
        what = f"role {name}"
        arn = _str(r, "Arn", what)
        if acct := _account_of(arn):
            account_ids.add(acct)
        profiles = []
        profile_paths: dict[str, str] = {}
        for raw_ip in _list(r, "InstanceProfileList", what):
            ip = _obj(raw_ip, what + " instance profile")
            profiles.append(_str(ip, "InstanceProfileName", what))
            if ip_path := _str(ip, "Path", what, required=False):
                profile_paths[profiles[-1]] = ip_path
        roles.setdefault(
            name,
            LiveRole(
                name=name,
                path=_str(r, "Path", what, required=False) or "/",
                role_id=_str(r, "RoleId", what, required=False),
                arn=arn,
                trust=decode_document(r.get("AssumeRolePolicyDocument"), f"{what} trust policy"),
                attached=_attached(r, what),
                inline=_inline(r, "RolePolicyList", what, where, duplicates),
                boundary_arn=_boundary(r, what),
                tags=_tags(r, what, where, duplicates),
                instance_profiles=tuple(sorted(profiles)),
                instance_profile_paths=dict(sorted(profile_paths.items())),
            ),
        )
    policies: dict[str, ManagedPolicy] = {}
    aws_policies: dict[str, ManagedPolicy] = {}
    for i, raw_p in enumerate(_list(top, "Policies", "export")):
        where = f"Policies[{i}]"
        p = _obj(raw_p, where)
        # AWS always sends PolicyName; some emulators leave it out. The ARN ends in the
        # name (after the path), so it is recovered exactly.
        name = (
            _str(p, "PolicyName", f"Policies[{i}]", required=False)
            or _str(p, "Arn", f"Policies[{i}]").rsplit("/", 1)[-1]
        )
        what = f"policy {name}"
        versions = []
        for raw_v in _list(p, "PolicyVersionList", what):
            v = _obj(raw_v, what + " version")
            vid = _str(v, "VersionId", what, required=False)
            versions.append(
                PolicyVersion(
                    version_id=vid,
                    default=bool(v.get("IsDefaultVersion")),
                    document=decode_document(v.get("Document"), f"{what} version {vid}"),
                )
            )
        arn = _str(p, "Arn", what)
        mp = ManagedPolicy(
            name=name,
            arn=arn,
            path=_str(p, "Path", what, required=False) or "/",
            description=p.get("Description") if isinstance(p.get("Description"), str) else None,
            attachment_count=_count(p, "AttachmentCount", what),
            boundary_usage_count=_count(p, "PermissionsBoundaryUsageCount", what),
            versions=tuple(versions),
        )
        if mp.is_aws_managed:
            aws_arns.add(arn, where, duplicates, fold=False)
            aws_policies.setdefault(arn, mp)
        else:
            if acct := _account_of(arn):
                account_ids.add(acct)
            policy_names.add(name, where, duplicates)
            policies.setdefault(name, mp)
    if duplicates:
        raise ExportError(*duplicates)
    if len(account_ids) > 1:
        raise ExportError(
            f"the export mixes accounts {', '.join(sorted(account_ids))}; use one file per account"
        )
    return AccountExport(
        source=source,
        account_id=next(iter(account_ids), None),
        users=dict(sorted(users.items())),
        groups=dict(sorted(groups.items())),
        roles=dict(sorted(roles.items())),
        policies=dict(sorted(policies.items())),
        aws_policies=dict(sorted(aws_policies.items())),
    )


def _count(item: Mapping[str, Any], key: str, what: str) -> int:
    """A count AWS writes as a whole number (absent: 0)."""
    value = item.get(key)
    if value is None:
        return 0
    if type(value) is not int or value < 0:
        raise ExportError(f"{what}: {key} must be a whole number, not {json.dumps(value)[:40]}")
    return value


# What each file is, for the hint of one that is not JSON
EXPORT_IS = (
    "an export is what aws iam get-account-authorization-details --output json prints, one file per account"
)
GET_ROLE_IS = (
    "a --get-role file is what aws iam get-role --role-name NAME prints (one role, or a JSON list of them)"
)
PASSWORD_POLICY_IS = (
    "a --password-policy file is what aws iam get-account-password-policy --output json prints"
)


def _read_json(path: Path, display: str, code: str, what: str) -> tuple[Any, list[Diagnostic]]:
    """The file's JSON, or ``code`` errors: a file that is not JSON at its line and column,
    with ``what`` (the file is what a command prints) as the hint unless a likelier mistake
    is seen (a comma after the last item...)."""
    try:
        if not path.is_file():
            return None, [error(code, "not a readable file", Location(display))]
        if path.stat().st_size > MAX_EXPORT_BYTES:
            return None, [error(code, f"larger than {MAX_EXPORT_BYTES} bytes", Location(display))]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(code, f"cannot read: {exc.strerror or exc}", Location(display))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        from ..load.source import decode_text

        _, [bad] = decode_text(raw, display)  # the catalog's L001, its words and place
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        hint = "the file is UTF-16 (as Windows PowerShell's > writes it): save it as UTF-8" if utf16 else what
        return None, [error(code, bad.message, bad.location, hint)]
    try:
        return json.loads(text), []
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json follows
        from ..load.source import json_syntax

        syntax = json_syntax(text, exc)
        assert syntax is not None  # json refused it
        where = Location(display, syntax.line, syntax.col)
        return None, [error(code, syntax.message, where, syntax.hint or what)]


def read_export(path: Path, display: str | None = None) -> tuple[AccountExport | None, list[Diagnostic]]:
    display = display or str(path)
    data, diags = _read_json(path, display, "X001", EXPORT_IS)
    if diags:
        return None, diags
    try:
        return parse_export(data, display), []
    except ExportError as exc:
        return None, [error("X001", m, Location(display), exc.hint) for m in exc.messages]


def read_get_role(
    path: Path, export: AccountExport, display: str | None = None
) -> tuple[AccountExport, list[Diagnostic]]:
    """Merge ``aws iam get-role`` output (one role, or a list of them) into an export."""
    display = display or str(path)
    data, diags = _read_json(path, display, "X002", GET_ROLE_IS)
    if diags:
        return export, diags
    items = data if isinstance(data, list) else [data]
    roles = dict(export.roles)
    out: list[Diagnostic] = []
    duplicates: list[str] = []
    names = _Names("role", "one get-role output per role, or which one holds its description?")
    for i, item in enumerate(items):
        role = item.get("Role") if isinstance(item, dict) else None
        if not isinstance(role, dict) or not isinstance(role.get("RoleName"), str):
            out.append(error("X002", "not get-role output (no Role.RoleName)", Location(display)))
            continue
        name = role["RoleName"]
        names.add(name, f"[{i}]" if isinstance(data, list) else "the file", duplicates)
        if duplicates:
            out.extend(error("X002", m, Location(display)) for m in duplicates)
            duplicates.clear()
            continue
        live = roles.get(name)
        if live is None:
            out.append(error("X002", f"role {name} is not in the export {export.source}", Location(display)))
            continue
        desc = role.get("Description")
        dur = role.get("MaxSessionDuration")
        roles[name] = LiveRole(
            **{
                **live.__dict__,
                "description": desc if isinstance(desc, str) else None,
                "max_session_duration": dur if isinstance(dur, int) else 3600,
                "details_known": True,
            }
        )
    return AccountExport(**{**export.__dict__, "roles": roles}), out


def _when(text: str) -> dt.datetime | None:
    if text in ("", "N/A", "no_information", "not_supported"):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_credential_report(
    path: Path, export: AccountExport, display: str | None = None
) -> tuple[AccountExport, list[Diagnostic]]:
    """Merge the credential report CSV (``aws iam get-credential-report``, decoded)."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return export, [error("X003", f"cannot read: {exc}", Location(display))]
    reader = csv.DictReader(io.StringIO(text))
    need = {"user", "password_enabled", "mfa_active", "access_key_1_active"}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        return export, [
            error(
                "X003",
                f"not a credential report (columns {', '.join(sorted(need))} missing)",
                Location(display),
            )
        ]
    rows: dict[str, CredentialReportRow] = {}
    duplicates: list[str] = []
    names = _Names("user", "the report has one row per user; the file is corrupt or joins two reports")
    for row in reader:
        name = row.get("user") or ""
        if name == "<root_account>" or not name:
            continue
        names.add(name, f"line {reader.line_num}", duplicates)
        keys = []
        for n in (1, 2):
            keys.append(
                (
                    row.get(f"access_key_{n}_active") == "true",
                    _when(row.get(f"access_key_{n}_last_rotated") or ""),
                    _when(row.get(f"access_key_{n}_last_used_date") or ""),
                )
            )
        rows[name] = CredentialReportRow(
            user=name,
            password_enabled=row.get("password_enabled") == "true",
            mfa_active=row.get("mfa_active") == "true",
            access_keys=tuple(keys),
        )
    if duplicates:
        return export, [error("X003", m, Location(display)) for m in duplicates]
    return AccountExport(**{**export.__dict__, "credentials": rows}), []


# The PasswordPolicy data type of IAM's API (GetAccountPasswordPolicy's response): every
# member optional; MinimumPasswordLength 6..128, MaxPasswordAge 1..1095 days,
# PasswordReusePrevention 1..24. https://docs.aws.amazon.com/IAM/latest/APIReference/API_PasswordPolicy.html
_PASSWORD_INTS = {
    "MinimumPasswordLength": (6, 128),
    "MaxPasswordAge": (1, 1095),
    "PasswordReusePrevention": (1, 24),
}
_PASSWORD_BOOLS = (
    "RequireLowercaseCharacters",
    "RequireUppercaseCharacters",
    "RequireNumbers",
    "RequireSymbols",
    "AllowUsersToChangePassword",
    "ExpirePasswords",
    "HardExpiry",
)


def parse_password_policy(data: Any) -> LivePasswordPolicy:
    """``{"PasswordPolicy": {...}}`` -> ``LivePasswordPolicy``; ``ExportError`` when it is not that."""
    if not isinstance(data, dict) or not isinstance(data.get("PasswordPolicy"), dict):
        raise ExportError("not get-account-password-policy output (no PasswordPolicy object)")
    p = data["PasswordPolicy"]
    ints: dict[str, int | None] = {}
    for key, (low, high) in _PASSWORD_INTS.items():
        v = p.get(key)
        # bool is an int in Python; JSON true is not a length
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high):
            raise ExportError(f"PasswordPolicy.{key} must be an integer from {low} to {high}")
        ints[key] = v
    bools: dict[str, bool] = {}
    for key in _PASSWORD_BOOLS:
        v = p.get(key, False)
        if not isinstance(v, bool):
            raise ExportError(f"PasswordPolicy.{key} must be true or false")
        bools[key] = v
    return LivePasswordPolicy(
        minimum_length=ints["MinimumPasswordLength"],
        require_lowercase=bools["RequireLowercaseCharacters"],
        require_uppercase=bools["RequireUppercaseCharacters"],
        require_numbers=bools["RequireNumbers"],
        require_symbols=bools["RequireSymbols"],
        allow_users_to_change=bools["AllowUsersToChangePassword"],
        max_age_days=ints["MaxPasswordAge"],
        reuse_prevention=ints["PasswordReusePrevention"],
        hard_expiry=bools["HardExpiry"],
    )


def read_password_policy(
    path: Path, export: AccountExport, display: str | None = None
) -> tuple[AccountExport, list[Diagnostic]]:
    """Merge ``aws iam get-account-password-policy`` output into an export (X005 when it is not)."""
    display = display or str(path)
    data, diags = _read_json(path, display, "X005", PASSWORD_POLICY_IS)
    if diags:
        return export, diags
    try:
        live = parse_password_policy(data)
    except ExportError as exc:
        return export, [error("X005", str(exc), Location(display))]
    return AccountExport(**{**export.__dict__, "password_policy": live}), []
