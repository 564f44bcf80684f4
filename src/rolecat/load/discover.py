"""Load stage: find the catalog's files and load them (YAML) or read them (JSON) with positions."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rolecat import background
from rolecat.diagnostics import Diagnostic, Location, error
from rolecat.load import files as cf
from rolecat.load.source import SourceDoc, decode_text, load_yaml_bytes

if TYPE_CHECKING:
    from rolecat.model.catalog import PolicyFile


@dataclass
class Sources:
    """Every file of a catalog folder, loaded (YAML) or read (JSON), before schema checks."""

    root: Path
    display_root: str
    catalog: SourceDoc | None = None
    users: SourceDoc | None = None
    imports: SourceDoc | None = None  # imports.yaml, written by `rolecat import` (optional)
    roles: list[SourceDoc] = field(default_factory=list)
    policies: dict[str, PolicyFile] = field(default_factory=dict)
    boundaries: dict[str, PolicyFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # policies/ and boundaries/ files that exist but could not be read (already reported)
    unreadable: set[tuple[str, str]] = field(default_factory=set)
    roles_unloaded: int = 0  # role files that exist but could not be loaded


# From this many role files on, they are read and parsed on two cores (``_load_roles``).
PARALLEL_ROLES = 200

Loaded = tuple[SourceDoc | None, list[Diagnostic]]


def _load_each(walker: cf.Walker, found: Sequence[cf.Found]) -> tuple[list[Loaded], list[Diagnostic]]:
    """Each file's document and diagnostics, and what reading them reported (left out of
    ``walker``, whose copy in a child would never come back)."""
    scratch = walker.with_own_diagnostics()
    loaded: list[Loaded] = []
    for f in found:
        raw = cf.read_bytes(scratch, f.path, f.display, cf.MAX_ROLE_BYTES)
        loaded.append(load_yaml_bytes(raw, f.display) if raw is not None else (None, []))
    return loaded, scratch.diags


def _load_roles(walker: cf.Walker, found: list[cf.Found], meanwhile: Callable[[], object]) -> list[Loaded]:
    """Each role file's document and diagnostics, in the order found.

    Reading and parsing YAML is most of loading, and files are independent: from
    ``PARALLEL_ROLES`` files on, this process and a forked child share them as they go,
    this one from the front and the child from the back (``background.from_both_ends``;
    the child's documents come back pickled, which costs a fraction of parsing them).
    The result, diagnostics and their order included, is the same either way.
    ``meanwhile`` runs here once, first (beside the child, when there is one)."""
    if len(found) < PARALLEL_ROLES:
        meanwhile()
        parts = [_load_each(walker, found)]
    else:
        parts = background.from_both_ends(lambda part: _load_each(walker, part), found, meanwhile=meanwhile)
    out: list[Loaded] = []
    for loaded, read_problems in parts:
        walker.diags.extend(read_problems)
        out.extend(loaded)
    return out


def _load_settings(src: Sources, walker: cf.Walker) -> None:
    """catalog.yaml, users.yaml and imports.yaml (optional) into ``src``."""
    root = src.root
    for name, attr in (("catalog.yaml", "catalog"), ("users.yaml", "users")):
        path = root / name
        if not os.path.lexists(path):
            alt = path.with_suffix(".yml")
            hint = f"rename {alt.name} to {name}" if os.path.lexists(alt) else "see docs/catalog.md"
            src.diagnostics.append(error("C000", f"missing {name}", Location(walker.display(path)), hint))
            continue
        raw = cf.read_bytes(walker, path, walker.display(path), cf.MAX_SETTINGS_BYTES)
        if raw is None:
            continue
        doc, diags = load_yaml_bytes(raw, walker.display(path))
        src.diagnostics.extend(diags)
        setattr(src, attr, doc)

    imports = root / "imports.yaml"
    if os.path.lexists(imports):
        raw = cf.read_bytes(walker, imports, walker.display(imports), cf.MAX_SETTINGS_BYTES)
        if raw is not None:
            doc, diags = load_yaml_bytes(raw, walker.display(imports))
            src.diagnostics.extend(diags)
            src.imports = doc


def discover(root: Path, display_root: str, *, meanwhile: Callable[[], object] | None = None) -> Sources:
    """Find and load the catalog's files.  The caller checked that ``root`` is a folder.

    Nothing is skipped silently and nothing is read unchecked (``load.files``).

    ``meanwhile``: work the caller will need done anyway (loading what its later stages
    use), which this process then runs while a child parses role files (and takes fewer
    of them), instead of after.  It runs at most once, and not at all for fewer than
    ``PARALLEL_ROLES`` role files: the stages then load what they need on first use, as
    they would without it."""
    src = Sources(root, display_root)
    walker = cf.Walker(root, display_root)
    roles_dir = root / "roles"
    role_files: list[cf.Found] = []
    if os.path.lexists(roles_dir):
        if walker.kind(roles_dir) == "dir":
            role_files = walker.roles(roles_dir)
        elif not walker.diags or walker.diags[-1].location != Location(walker.display(roles_dir)):
            walker.err("L012", "roles must be a folder", roles_dir)

    def settings() -> None:
        # once the child parses role files: users.yaml alone is a thousand-odd nodes
        _load_settings(src, walker)
        if meanwhile is not None and len(role_files) >= PARALLEL_ROLES:
            meanwhile()

    for doc, diags in _load_roles(walker, role_files, settings):
        src.diagnostics.extend(diags)
        if doc is not None:
            src.roles.append(doc)
        else:
            src.roles_unloaded += 1

    from rolecat.model.catalog import PolicyFile  # once a child parses role files (``meanwhile``)

    kinds: tuple[tuple[str, Literal["policy", "boundary"], dict[str, PolicyFile]], ...] = (
        ("policies", "policy", src.policies),
        ("boundaries", "boundary", src.boundaries),
    )
    for folder, kind, table in kinds:
        directory = root / folder
        if not os.path.lexists(directory):
            continue
        if walker.kind(directory) != "dir":
            if not walker.diags or walker.diags[-1].location != Location(walker.display(directory)):
                walker.err("L012", f"{folder} must be a folder", directory)
            continue
        for found in walker.documents(directory, folder):
            stem = found.path.name[: -len(".json")]
            raw = cf.read_bytes(walker, found.path, found.display, cf.MAX_POLICY_BYTES)
            text = None
            if raw is not None:
                text, diags = decode_text(raw, found.display)
                src.diagnostics.extend(diags)
            if text is None:
                src.unreadable.add((kind, stem))
            else:
                table[stem] = PolicyFile(stem, kind, found.display, text)
    src.diagnostics.extend(walker.diags)
    if walker.diags:
        src.roles_unloaded += 1  # something in the folders could not be accounted for
    return src
