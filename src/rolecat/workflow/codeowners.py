"""CODEOWNERS from the catalog, so that review follows ownership.

Rules (issue 5, item 2):

- a role file belongs to its ``owners`` (the catalog's ``owners`` when it names none);
- a file under policies/ or boundaries/ used only by roles with the same owners belongs
  to those owners; one used by roles with different owners, or by none, belongs to the
  catalog's ``owners``.  Not a union: in CODEOWNERS any one listed owner may approve,
  so a union would let any role's owners change everyone's boundary;
- everything else (catalog.yaml, users.yaml, templates, the generated Terraform,
  CODEOWNERS itself, CI workflows, files added later) belongs to the catalog's
  ``owners``, through a leading ``*`` line and explicit lines for the important ones.

GitHub applies the *last* matching line, so the catch-all comes first.  Paths are
relative to the git repository root with a leading ``/``; the file is deterministic
(same catalog, same bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from rolecat.report.escape import diff_line, printable

if TYPE_CHECKING:
    from ..model import Catalog, Role

# GitHub looks for CODEOWNERS in these places (first found wins); own all of them.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_SPECIAL = set("\\ *?[]")


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder, or a file in worktrees)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def escape_pattern(path: str) -> str:
    """A literal path as a CODEOWNERS pattern: glob characters and spaces escaped."""
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in path)
    # A path segment starting with # or ! would read as a comment or a negation.
    return out.replace("/#", "/\\#").replace("/!", "/\\!")


def _owners_text(owners: Iterable[str]) -> str:
    return " ".join(sorted(set(owners)))


def role_owners(catalog: Catalog, role: Role) -> tuple[str, ...]:
    return tuple(sorted(set(role.owners or catalog.owners)))


@dataclass(frozen=True)
class Entry:
    """One CODEOWNERS line (a pattern, already escaped, and its owners) with comments above it."""

    pattern: str
    owners: tuple[str, ...]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyOwnership:
    kind: str  # "policy" or "boundary"
    name: str
    source: str
    owners: tuple[str, ...]
    used_by: tuple[str, ...]  # "Role (account, ...)" labels, sorted
    shared: bool  # used by roles whose owners differ


def policy_ownership(catalog: Catalog) -> list[PolicyOwnership]:
    """Who owns each file under policies/ and boundaries/, and why."""
    users: dict[tuple[str, str], list[Role]] = {}
    for role in catalog.roles:
        for name in role.policies:
            users.setdefault(("policy", name), []).append(role)
        if role.boundary:
            users.setdefault(("boundary", role.boundary), []).append(role)
        if role.delegated_role_creation is not None:
            users.setdefault(("boundary", role.delegated_role_creation.boundary), []).append(role)
    found: list[PolicyOwnership] = []
    for kind, files in (("policy", catalog.policies), ("boundary", catalog.boundaries)):
        for name, file in sorted(files.items()):
            roles = users.get((kind, name), [])
            owner_sets = {role_owners(catalog, r) for r in roles}
            labels = tuple(sorted({f"{r.name} ({', '.join(r.accounts)})" for r in roles}))
            owners = next(iter(owner_sets)) if len(owner_sets) == 1 else tuple(sorted(set(catalog.owners)))
            found.append(PolicyOwnership(kind, name, file.source, owners, labels, len(owner_sets) > 1))
    return found


def catalog_relative(catalog: Catalog, source: str) -> PurePosixPath:
    """A display path (as in diagnostics) made relative to the catalog folder."""
    path = PurePosixPath(source.replace("\\", "/"))
    root = PurePosixPath(catalog.root.replace("\\", "/"))
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def entries(catalog: Catalog, *, catalog_prefix: str, output_prefix: str | None) -> list[Entry]:
    """Every line of the file, in order.  Prefixes are posix paths relative to the repo root."""

    def repo_path(source: str) -> str:
        rel = catalog_relative(catalog, source)
        path = "/" + str(PurePosixPath(catalog_prefix, rel)) if catalog_prefix else "/" + str(rel)
        return escape_pattern(path)

    admins = tuple(sorted(set(catalog.owners)))
    out: list[Entry] = [
        Entry(
            "*",
            admins,
            ("Everything not listed below, including files added later: the catalog owners.",),
        )
    ]
    general: list[str] = [repo_path(catalog.catalog_file), repo_path(catalog.users_file)]
    if output_prefix is not None:
        general.append(escape_pattern("/" + output_prefix.strip("/") + "/"))
    general.extend("/" + loc for loc in CODEOWNERS_LOCATIONS)
    for i, pattern in enumerate(general):
        comment = ("Catalog settings, users, generated Terraform and this file: the catalog owners.",)
        out.append(Entry(pattern, admins, comment if i == 0 else ()))

    # the CI roles of deploy_roles come from catalog.yaml (its owners above; deploy.tf: OUT's);
    # a released role's file stays, and its owners review the release and what follows
    roles = sorted(
        (r for r in (*catalog.roles, *catalog.released_roles) if r.source != catalog.catalog_file),
        key=lambda r: repo_path(r.source),
    )
    for i, role in enumerate(roles):
        comment = ("Role files: the role's owners (time-boxed escalations are approved here).",)
        out.append(Entry(repo_path(role.source), role_owners(catalog, role), comment if i == 0 else ()))

    policies = sorted(policy_ownership(catalog), key=lambda p: repo_path(p.source))
    for i, item in enumerate(policies):
        comments: list[str] = []
        if i == 0:
            comments.append("Policies and boundaries: the owners of the roles using them when those owners")
            comments.append(
                "are the same, otherwise the catalog owners (any one owner on a line may approve)."
            )
        if not item.used_by:
            comments.append(f"{item.kind} {item.name}: used by no role")
        elif item.shared:
            comments.append(
                f"{item.kind} {item.name}: shared by roles with different owners: " + ", ".join(item.used_by)
            )
        else:
            comments.append(f"{item.kind} {item.name}: used by " + ", ".join(item.used_by))
        out.append(Entry(repo_path(item.source), item.owners, tuple(comments)))
    if output_prefix is not None:
        out.extend(_generated_entries(catalog, output_prefix, policies))
    return out


def _generated_entries(catalog: Catalog, output_prefix: str, policies: list[PolicyOwnership]) -> list[Entry]:
    """Each role's generated file goes to the role's owners, each policy's to its owners.

    The compiler writes one file per role and per policy in every account folder
    (``<account>/role.<Name>.tf``, ``<account>/policy.<name>.tf``,
    ``<account>/boundary.<name>.tf``), so these lines route a pull request's generated
    Terraform to the same people as the catalog file it came from.
    """
    from rolecat.targets.terraform.render import policy_file, role_file

    prefix = "/" + output_prefix.strip("/")
    lines: list[tuple[str, tuple[str, ...]]] = []
    for role in catalog.roles:
        if role.source == catalog.catalog_file:
            continue  # deploy_roles: in <account>/deploy.tf, owned as OUT is
        for acct in role.accounts:
            lines.append((role_file(acct, role.name), role_owners(catalog, role)))
    by_key = {(p.kind, p.name): p.owners for p in policies}
    for role in catalog.roles:
        used = [("policy", p) for p in role.policies]
        used += [("boundary", b) for b in (role.boundary,) if b]
        if role.delegated_role_creation is not None:
            used.append(("boundary", role.delegated_role_creation.boundary))
        for acct in role.accounts:
            lines.extend((policy_file(acct, k, n), by_key[(k, n)]) for k, n in used if (k, n) in by_key)
    # manifest.json changes with every change (it lists every file with its hash): owned by
    # the catalog owners, it would make them approve every pull request, and a role's
    # owners could never approve a change of their role alone.  It is derived, never read
    # by Terraform, and CI's `compile --check` proves it is what the catalog compiles to;
    # GitHub reads a line without owners as "no code owner" (any reviewer may approve).
    out: list[Entry] = [
        Entry(
            escape_pattern(f"{prefix}/manifest.json"),
            (),
            (
                "manifest.json changes with every change: no owner of its own (CI's compile --check proves",
                "it is what the catalog compiles to), so a role's owners alone approve their role's change.",
            ),
        )
    ]
    for i, (path, owners) in enumerate(sorted(set(lines))):
        comment = (
            ("Generated Terraform: each role's and each policy's file, the same owners as its catalog file.",)
            if i == 0
            else ()
        )
        out.append(Entry(escape_pattern(f"{prefix}/{path}"), owners, comment))
    return out


def render(
    catalog: Catalog,
    *,
    catalog_prefix: str,
    output_prefix: str | None,
    command: str,
    notes: Sequence[str] = (),
) -> str:
    """The whole CODEOWNERS file.  ``command`` is the one named in the header."""
    lines = [
        f"# Generated by `{printable(command)}` from the rolecat catalog. Do not edit by hand:",
        "# change `owners` in catalog.yaml or in a role file, then run the command again with",
        "# --write <this file> (CI runs it with --check). GitHub applies the last matching line,",
        "# and any one owner named on that line may approve; branch protection must require",
        "# review from Code Owners for this to bind (see rolecat's docs/workflow.md).",
    ]
    lines.extend(f"# {printable(note)}" for note in notes)
    items = entries(catalog, catalog_prefix=catalog_prefix, output_prefix=output_prefix)
    width = max(len(e.pattern) for e in items)
    for item in items:
        if item.comments:
            lines.append("")
            lines.extend(f"# {printable(c)}" for c in item.comments)
        lines.append(
            f"{printable(item.pattern).ljust(width)}  {printable(_owners_text(item.owners))}".rstrip()
        )
    return "\n".join(lines) + "\n"


def unified_diff(old: str, new: str, path: str, *, new_label: str = "from the catalog") -> str:
    import difflib  # only for --check and --dry-run

    return "".join(
        map(
            diff_line,  # the file on disk is the pull request's: no terminal escapes
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"{path} (on disk)",
                tofile=f"{path} ({new_label})",
            ),
        )
    )
