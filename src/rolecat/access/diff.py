"""``rolecat diff BASE HEAD`` / ``diff --base GITREF [CATALOG]``: who gains or loses what.

Both catalogs go through load, model and checks; the base may carry errors of newer
checks (``base_errors``) and is compared as far as it loads.  Sections:

* ``access``: (user, principal, role, account, until) reached through trust and chains;
* ``permissions``: per role and account, each action with the narrowest resource pattern
  the evaluation yields and whether it holds only under a condition, after boundary and
  denies.  Only role-account pairs whose statements changed are evaluated; a service
  (or everything) granted whole on one pattern is written ``service:*`` (``*``);
* ``trust``: trust-related role fields by catalog key;
* ``replacements``: resources Terraform will replace (``replacements.py``);
* ``findings``: check findings (I, E, Q, G codes) by code, role, account and message.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolecat.diagnostics import Diagnostic, Severity
from rolecat.iam.actions import ActionDB
from rolecat.iam.engine import EffectiveSet, Grant, ResourceSpec, Statement
from rolecat.model import Catalog, Role
from rolecat.report.escape import printable
from rolecat.workflow.codeowners import find_repo_root

from .model import AccessModel, RoleView

FINDING_PREFIXES = ("I", "E", "Q", "G")
TRUST_FIELDS = (
    "members",
    "temporary_members",
    "trusted_services",
    "mfa_max_age",
    "max_session_duration",
    "session_tags",
    "source_identity",
    "revoke_sessions",  # a deny on the sessions issued before an instant: everyone's, at once
)
FOLD = 10  # markdown tables longer than this are folded in <details>


class DiffError(Exception):
    """The diff cannot be made (exit 2): a mistake in the command line (``usage``: a folder
    that is not there, a revision that is not a commit), or git failing."""

    def __init__(self, message: str, *, usage: bool = True) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass
class Snapshot:
    catalog: Catalog | None
    diags: list[Diagnostic]
    model: AccessModel | None


@dataclass
class DiffResult:
    access_added: list[dict[str, Any]] = field(default_factory=list)
    access_removed: list[dict[str, Any]] = field(default_factory=list)
    permissions_added: list[dict[str, Any]] = field(default_factory=list)
    permissions_removed: list[dict[str, Any]] = field(default_factory=list)
    trust: list[dict[str, Any]] = field(default_factory=list)
    replacements: list[dict[str, Any]] = field(default_factory=list)
    findings_added: list[dict[str, Any]] = field(default_factory=list)
    findings_removed: list[dict[str, Any]] = field(default_factory=list)
    base_errors: list[dict[str, Any]] = field(default_factory=list)
    head_errors: list[Diagnostic] = field(default_factory=list)

    @property
    def access_grows(self) -> bool:
        """The check-no-new-access question: does anyone reach more, or any role do more?"""
        return bool(self.access_added or self.permissions_added)

    def as_json(self) -> dict[str, Any]:
        return {
            "access": {"added": self.access_added, "removed": self.access_removed},
            "permissions": {"added": self.permissions_added, "removed": self.permissions_removed},
            "trust": self.trust,
            "replacements": self.replacements,
            "findings": {"added": self.findings_added, "removed": self.findings_removed},
            "base_errors": self.base_errors,
            "head_errors": [_error_json(d) for d in self.head_errors],
        }


def _error_json(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "location": str(d.location) if d.location else None, "message": d.message}


# A head with errors loads partly (a role with an error is left out): what it shows as
# removed may be only what did not load.
_HEAD_HAS_ERRORS = "the head catalog has errors"
_HEAD_ERRORS_WHY = "fix them first; until then the comparison reads it as it loaded"


# ---------------------------------------------------------------------- loading
def _load(path: Path, display: str, now: dt.datetime, db: ActionDB) -> Snapshot:
    """``pipeline.load`` (the same stages and checks), the checks sharing the access
    model's effective sets."""
    from rolecat.deploy.deployment import build_deployment
    from rolecat.diagnostics import sort_diagnostics
    from rolecat.load.discover import discover
    from rolecat.load.schema import validate_sources
    from rolecat.model import build
    from rolecat.pipeline import run_checks
    from rolecat.rules.runner import apply_accept

    sources = discover(path, display)
    catalog, diags = build.build_model(sources, validate_sources(sources), now)
    model = None
    if catalog is not None:
        deployed = build_deployment(catalog)
        model = AccessModel(catalog, now, db, deployment=deployed)
        diags.extend(run_checks(catalog, now, deployed, model))
        diags = apply_accept(catalog, diags)
    return Snapshot(catalog, sort_diagnostics(diags), model)


def diff_catalogs(base: Path, head: Path, now: dt.datetime) -> DiffResult:
    from rolecat.load.files import display_path
    from rolecat.pipeline import not_a_catalog_folder

    for p in (base, head):
        if not p.is_dir():
            raise DiffError(not_a_catalog_folder("", p))
    db = ActionDB.load()
    return compare(_load(base, display_path(base), now, db), _load(head, display_path(head), now, db))


class _NoGit(DiffError):
    """git could not be run at all (not on PATH): whether the catalog is in a repository
    is then unknown."""


def _git(args: Sequence[str], cwd: Path, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)
    except FileNotFoundError:
        raise _NoGit("git is not on PATH; --base needs it", usage=False) from None
    except OSError as exc:
        raise _NoGit(f"cannot run git: {exc}", usage=False) from None
    if done.returncode != 0:
        raise DiffError(
            f"git {' '.join(args)}: {done.stderr.decode('utf-8', 'replace').strip()}", usage=False
        )
    return done.stdout


def _export(ref: str, catalog: Path, into: Path) -> bool:
    """The files of ``catalog`` (a folder inside a git work tree) at revision ``ref``,
    written under ``into``: regular blobs only, paths checked to stay inside.  False when
    the folder holds no file at ``ref`` (the pull request that adds the catalog)."""
    if ref.startswith("-"):
        raise DiffError(f"not a git revision: {ref!r}")
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], catalog).decode().strip())
    except _NoGit:
        raise
    except DiffError:
        # No .git at or above the catalog: the command line names a catalog git does not
        # hold (as --branch says it).  With one, git refusing it (a repository another user
        # owns, a broken .git file) is the repository's state, said in git's words.
        if find_repo_root(catalog) is not None:
            raise
        raise DiffError(f"{catalog} is not inside a git repository; --base needs one") from None
    rel = catalog.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if rel == "." else rel + "/"
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    except DiffError:
        raise DiffError(f"{ref!r} is not a commit of the repository at {top}") from None
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", ref, "--", prefix or "."], top)
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        name = raw.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode not in ("100644", "100755") or not name.startswith(prefix):
            continue  # symlinks and submodules are not catalog files
        inner = name[len(prefix) :]
        if any(part in ("", ".", "..") for part in inner.split("/")):
            continue
        blobs.append((inner, sha))
    if not blobs:
        return False
    out = _git(["cat-file", "--batch"], top, "".join(f"{sha}\n" for _, sha in blobs).encode())
    pos = 0
    for inner, _sha in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        target = into.joinpath(*inner.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return True


def diff_git(ref: str, catalog: Path, now: dt.datetime) -> DiffResult:
    from rolecat.load.files import display_path
    from rolecat.pipeline import not_a_catalog_folder

    if not catalog.is_dir():
        raise DiffError(not_a_catalog_folder("-c", catalog))
    db = ActionDB.load()
    with tempfile.TemporaryDirectory(prefix="rolecat-base-") as tmp:
        root = Path(tmp) / "catalog"
        root.mkdir()
        if _export(ref, catalog, root):
            base = _load(root, f"{ref}:{display_path(catalog)}", now, db)
        else:  # no catalog at the base: everything the head grants is new
            base = Snapshot(None, [], None)
    return compare(base, _load(catalog, display_path(catalog), now, db))


# ---------------------------------------------------------------------- comparing
def compare(base: Snapshot, head: Snapshot) -> DiffResult:
    result = DiffResult()
    result.base_errors = [_error_json(d) for d in base.diags if d.is_error]
    result.head_errors = [d for d in head.diags if d.is_error]
    renames = _Renames.of(head.catalog)
    a_base, a_head = _access(base.model, renames), _access(head.model)
    result.access_added = [
        _access_json(e, a_head[e]) for e in sorted(a_head.keys() - a_base.keys(), key=_key)
    ]
    result.access_removed = [
        _access_json(e, a_base[e]) for e in sorted(a_base.keys() - a_head.keys(), key=_key)
    ]
    result.permissions_added, result.permissions_removed = _permissions(base.model, head.model, renames)
    if base.catalog is not None and head.catalog is not None:
        from rolecat.targets.terraform.replacements import between_catalogs

        result.trust = _trust(base.catalog, head.catalog, renames)
        # the analysis that makes compile warn F001, against the base catalog
        result.replacements = [r.as_json() for r in between_catalogs(base.catalog, head.catalog)]
    f_base, f_head = _findings(base, renames), _findings(head)
    result.findings_added = [_finding_json(f) for f in sorted(f_head - f_base, key=_key)]
    result.findings_removed = [_finding_json(f) for f in sorted(f_base - f_head, key=_key)]
    return result


@dataclass(frozen=True)
class _Renames:
    """The head's former names (``renamed_from``) of accounts and users -> their names now.
    An account rename changes nothing in AWS (same id), and a user rename renames the IAM
    user in place: the base's names are read as the head's, so neither shows as access
    lost and gained."""

    accounts: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, head: Catalog | None) -> _Renames:
        if head is None:
            return cls()
        return cls(head.account_renames, head.user_renames)

    def account(self, name: str) -> str:
        return self.accounts.get(name, name)

    def user(self, name: str | None) -> str | None:
        return None if name is None else self.users.get(name, name)

    def principal(self, arn: str, user: str | None) -> str:
        """A user's ARN under the user's name now (a rename keeps the path)."""
        if user is not None and user in self.users and arn.endswith("/" + user):
            return arn[: -len(user)] + self.users[user]
        return arn


_NO_RENAMES = _Renames()


def _key(entry: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in entry)


AccessEntry = tuple[str | None, str, str, str, str | None]


def _access(model: AccessModel | None, renames: _Renames = _NO_RENAMES) -> dict[AccessEntry, tuple[str, ...]]:
    """Who reaches which role, with the teams a person is a member through (shown, not
    compared: moving a person between a role's teams changes nobody's access); account
    and user names as ``renames`` has them now."""
    out: dict[AccessEntry, tuple[str, ...]] = {}
    if model is None:
        return out
    for view in model.views:
        for r in model.reach(view):
            user = r.principal.user
            key = (
                renames.user(user),
                renames.principal(r.principal.principal, user),
                view.role.name,
                renames.account(view.account.name),
                r.until_iso,
            )
            out[key] = tuple(sorted({*out.get(key, ()), *r.teams}))
    return out


def _access_json(e: AccessEntry, teams: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "user": e[0],
        "principal": e[1],
        "role": e[2],
        "account": e[3],
        "until": e[4],
        "teams": list(teams),
    }


def _fingerprint(model: AccessModel, es: EffectiveSet) -> tuple[Any, ...]:
    """What decides a view's permissions: its statements, sources named relative to the
    catalog folder (the two catalogs live in different folders)."""
    root = model.catalog.root.rstrip("/") + "/"
    memo = model.memo.setdefault("fingerprint", {})

    def norm(stmts: Sequence[Statement]) -> tuple[Any, ...]:
        out = []
        for s in stmts:
            key = memo.get(id(s))
            if key is None:
                origin = s.origin.removeprefix(root)
                key = memo[id(s)] = (s.effect, s.mask, s.resources, s.condition, origin, s.index, s.sid)
            out.append(key)
        return tuple(out)

    return (norm(es.identity), None if es.boundary is None else norm(es.boundary))


def _patterns(specs: Iterable[ResourceSpec]) -> str:
    return ", ".join(
        sorted({("NotResource " if spec.negated else "") + p for spec in specs for p in spec.patterns})
    )


def _grant_resources(grant: Grant) -> list[str]:
    """The grant's resource patterns, each with what a Deny on some of them takes out
    (``except P``) or makes conditional (``(conditional on P)``): the same pattern with and
    without such a Deny is not the same access, so a pull request that deletes one from a
    boundary adds an entry ("An explicit deny in either of these policies overrides the
    allow", IAM User Guide, Permissions boundaries for IAM entities)."""
    suffix = ""
    if grant.excluded:
        suffix += f" except {_patterns(grant.excluded)}"
    if grant.conditional_denies and not grant.conditional:
        suffix += f" (conditional on {_patterns(d.resources for d in grant.conditional_denies)})"
    return [resource + suffix for resource in grant.resources()]


def permission_entries(db: ActionDB, es: EffectiveSet) -> set[tuple[str, str, bool]]:
    """(action, resource pattern, conditional) for everything the set grants."""
    best: dict[tuple[str, str], bool] = {}
    for name in db.names(es.plain):
        best[(name, "*")] = False
    for name in db.names(es.candidates & ~es.plain):
        for grant in es.grants(name):
            for resource in _grant_resources(grant):
                key = (name, resource)
                best[key] = best.get(key, True) and grant.conditional
    return {(a, r, c) for (a, r), c in best.items()}


def _compress(db: ActionDB, entries: Iterable[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """Whole services (or every action) granted on one pattern as ``service:*`` (``*``)."""
    groups: dict[tuple[str, bool], set[str]] = {}
    for action, resource, cond in entries:
        groups.setdefault((resource, cond), set()).add(action)
    out: list[tuple[str, str, bool]] = []
    for (resource, cond), actions in groups.items():
        if len(actions) == len(db):
            out.append(("*", resource, cond))
            continue
        by_service: dict[str, set[str]] = {}
        for a in actions:
            by_service.setdefault(a.split(":", 1)[0], set()).add(a)
        for service, names in by_service.items():
            if len(names) == len(db.actions_of(service)):
                out.append((f"{service}:*", resource, cond))
            else:
                out.extend((a, resource, cond) for a in names)
    return out


def _permissions(
    base: AccessModel | None, head: AccessModel | None, renames: _Renames = _NO_RENAMES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    before = {(v.key[0], renames.account(v.key[1])): v for v in (base.views if base else ())}
    after = {v.key: v for v in (head.views if head else ())}
    cache: dict[int, set[tuple[str, str, bool]]] = {}

    def entries(model: AccessModel, view: RoleView) -> set[tuple[str, str, bool]]:
        es = view.effective
        hit = cache.get(id(es))
        if hit is None:
            hit = cache[id(es)] = permission_entries(model.db, es)
        return hit

    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for key in sorted(before.keys() | after.keys()):
        b, h = before.get(key), after.get(key)
        if (
            b is not None
            and h is not None
            and base is not None
            and head is not None
            and _fingerprint(base, b.effective) == _fingerprint(head, h.effective)
        ):
            continue
        old = entries(base, b) if b is not None and base is not None else set()
        new = entries(head, h) if h is not None and head is not None else set()
        db = (head or base).db  # type: ignore[union-attr]
        role, account = key
        for target, diff in ((added, new - old), (removed, old - new)):
            for action, resource, cond in sorted(_compress(db, diff)):
                target.append(
                    {
                        "role": role,
                        "account": account,
                        "action": action,
                        "resource": resource,
                        "conditional": cond,
                    }
                )
    return added, removed


def _trust_value(role: Role, name: str, renames: _Renames = _NO_RENAMES) -> Any:
    value = getattr(role, name)
    if name == "temporary_members":
        return sorted(
            ({"user": renames.user(t.user), "until": t.until_iso} for t in value),
            key=lambda t: (t["user"], t["until"]),
        )
    if name == "members":
        return sorted(renames.user(u) or "" for u in value)
    if name == "revoke_sessions":
        return None if value is None else {"issued_before": value.issued_before_iso, "reason": value.reason}
    if isinstance(value, tuple):
        return sorted(value)
    return value


def _trust(base: Catalog, head: Catalog, renames: _Renames = _NO_RENAMES) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = {r.name: r for r in base.roles}
    for role in head.roles:
        old = before.get(role.name)
        if old is None:
            continue
        for account in sorted(set(role.accounts) & {renames.account(a) for a in old.accounts}):
            for name in TRUST_FIELDS:
                was, now = _trust_value(old, name, renames), _trust_value(role, name)
                if was != now:
                    out.append(
                        {"role": role.name, "account": account, "field": name, "before": was, "after": now}
                    )
    return out


FindingEntry = tuple[str, str | None, str | None, str]
_ACCOUNTS = re.compile(r" in accounts? ([A-Za-z0-9_, -]+?)(?::|$| through| with)")


def _findings(snap: Snapshot, renames: _Renames = _NO_RENAMES) -> set[FindingEntry]:
    """Findings by code, role, account and message; the accounts a message names read as
    ``renames`` has them now."""
    out: set[FindingEntry] = set()
    if snap.catalog is None:
        return out
    by_source = {r.source: r.name for r in snap.catalog.roles}
    for d in snap.diags:
        if not d.code.startswith(FINDING_PREFIXES) or d.severity < Severity.WARNING:
            continue
        role = by_source.get(d.location.path) if d.location is not None else None
        text = d.message
        match = _ACCOUNTS.search(text)
        accounts: list[str | None] = [None]
        if match:
            accounts = [renames.account(a.strip()) for a in match.group(1).split(",")]
            if renames.accounts:
                text = text[: match.start(1)] + ", ".join(a or "" for a in accounts) + text[match.end(1) :]
        message = text + (f" (accepted: {d.accepted_reason})" if d.accepted_reason else "")
        for account in accounts:
            out.add((d.code, role, account, message))
    return out


def _finding_json(f: FindingEntry) -> dict[str, Any]:
    return {"code": f[0], "role": f[1], "account": f[2], "message": f[3]}


# ---------------------------------------------------------------------- output
def render_json(result: DiffResult) -> str:
    return json.dumps(result.as_json(), indent=2) + "\n"


def _counts(result: DiffResult) -> str:
    return (
        f"access +{len(result.access_added)} -{len(result.access_removed)}, "
        f"permissions +{len(result.permissions_added)} -{len(result.permissions_removed)}, "
        f"trust changes {len(result.trust)}, replacements {len(result.replacements)}, "
        f"findings +{len(result.findings_added)} -{len(result.findings_removed)}"
        + (f", base errors {len(result.base_errors)}" if result.base_errors else "")
    )


def _who(e: dict[str, Any]) -> str:
    return str(e["user"] if e["user"] is not None else e["principal"])


def render_text(result: DiffResult) -> str:
    lines = [("access grows: " if result.access_grows else "no new access: ") + _counts(result)]
    if result.head_errors:
        lines.insert(0, f"{_HEAD_HAS_ERRORS}: {_HEAD_ERRORS_WHY} ({len(result.head_errors)}, on stderr)")

    def section(title: str, rows: list[str]) -> None:
        if rows:
            lines.append("")
            lines.append(title)
            lines.extend(rows)

    def until(e: dict[str, Any]) -> str:
        team = f" (team {', '.join(e['teams'])})" if e.get("teams") else ""
        return team + (f" until {e['until']}" if e["until"] else "")

    section(
        "access:",
        [f"  + {_who(e)} -> {e['role']} in {e['account']}{until(e)}" for e in result.access_added]
        + [f"  - {_who(e)} -> {e['role']} in {e['account']}{until(e)}" for e in result.access_removed],
    )

    def cond(e: dict[str, Any]) -> str:
        return " (conditional)" if e["conditional"] else ""

    section(
        "permissions:",
        [
            f"  + {e['role']} in {e['account']}: {e['action']} on {e['resource']}{cond(e)}"
            for e in result.permissions_added
        ]
        + [
            f"  - {e['role']} in {e['account']}: {e['action']} on {e['resource']}{cond(e)}"
            for e in result.permissions_removed
        ],
    )
    section(
        "trust:",
        [
            f"  ~ {e['role']} in {e['account']}: {e['field']} {json.dumps(e['before'])} -> {json.dumps(e['after'])}"
            for e in result.trust
        ],
    )
    section(
        "replacements:",
        [f"  ! {e['address']} in {e['account']}: {e['reason']}; {e['cost']}" for e in result.replacements],
    )
    section(
        "findings:",
        [f"  + {e['code']} {e['message']}" for e in result.findings_added]
        + [f"  - {e['code']} {e['message']}" for e in result.findings_removed],
    )
    section("base errors:", [f"  {e['location']}: {e['code']}: {e['message']}" for e in result.base_errors])
    # resources, conditions and messages hold the catalog's strings: one line each, no
    # control character (a CR would make an added permission read as a removed one)
    return "\n".join(map(printable, lines)) + "\n"


def md(value: Any) -> str:
    """A value for a Markdown table cell: one line (line breaks become spaces, every other
    control, bidi or invisible character an escape, as ``escape.printable`` writes it),
    HTML-escaped, pipes escaped, no mention, issue reference or autolink (``escape.inert``)."""
    from rolecat.report.escape import inert

    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value)

    def markup(text: str) -> str:
        text = text.replace("\\", "\\\\")
        for ch in "*_[]#~!|":  # no emphasis, links, images, headings or cell breaks from catalog text
            text = text.replace(ch, "\\" + ch)
        return html.escape(text, quote=False).replace("`", "&#96;")

    return inert(printable(re.sub(r"[\r\n\u2028\u2029]+", " ", value)), markup)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    if not rows:
        return []
    body = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    body += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    if len(rows) > FOLD:
        return [
            f"<details><summary>{html.escape(title)} ({len(rows)})</summary>",
            "",
            *body,
            "",
            "</details>",
            "",
        ]
    return [f"**{html.escape(title)}** ({len(rows)})", "", *body, ""]


def render_markdown(result: DiffResult) -> str:
    head = "Access grows" if result.access_grows else "No new access"
    if result.head_errors:
        head = _HEAD_HAS_ERRORS
    lines = [f"### rolecat diff: {head}", "", _counts(result), ""]
    h = [(e["code"], e["location"] or "", e["message"]) for e in map(_error_json, result.head_errors)]
    lines += _table(f"Head errors ({_HEAD_ERRORS_WHY})", ("code", "location", "message"), h)
    a = [
        (sign, e["user"], ", ".join(e.get("teams", ())), e["principal"], e["role"], e["account"], e["until"])
        for sign, entries in (("+", result.access_added), ("-", result.access_removed))
        for e in entries
    ]
    lines += _table("Access", ("", "user", "team", "principal", "role", "account", "until"), a)
    p = [
        ("+", e["role"], e["account"], e["action"], e["resource"], "yes" if e["conditional"] else "")
        for e in result.permissions_added
    ]
    p += [
        ("-", e["role"], e["account"], e["action"], e["resource"], "yes" if e["conditional"] else "")
        for e in result.permissions_removed
    ]
    lines += _table("Permissions", ("", "role", "account", "action", "resource", "conditional"), p)
    t = [(e["role"], e["account"], e["field"], e["before"], e["after"]) for e in result.trust]
    lines += _table("Trust", ("role", "account", "field", "before", "after"), t)
    r = [(e["address"], e["account"], e["reason"], e["cost"]) for e in result.replacements]
    lines += _table("Replacements", ("resource", "account", "reason", "cost"), r)
    f = [("+", e["code"], e["role"], e["account"], e["message"]) for e in result.findings_added]
    f += [("-", e["code"], e["role"], e["account"], e["message"]) for e in result.findings_removed]
    lines += _table("Findings", ("", "code", "role", "account", "message"), f)
    b = [(e["code"], e["location"], e["message"]) for e in result.base_errors]
    lines += _table("Base errors (base no longer validates)", ("code", "location", "message"), b)
    return "\n".join(lines).rstrip("\n") + "\n"
