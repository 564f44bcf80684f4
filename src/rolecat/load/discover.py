"""Load stage: find the catalog's files and load them (YAML) or read them (JSON) with positions."""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

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
    # Each role file's schema findings, checked as it was loaded (``_load_each``), by
    # ``id`` of its document in ``roles`` (the entry holds the document, so that its id
    # cannot be reused meanwhile): the schema stage uses them instead of checking again.
    role_schema: dict[int, tuple[SourceDoc, list[Diagnostic]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def schema_found(self, doc: SourceDoc) -> list[Diagnostic] | None:
        """What checking ``doc`` against the role schema found as it was loaded; None when
        it is not a document loaded here."""
        entry = self.role_schema.get(id(doc))
        return entry[1] if entry is not None and entry[0] is doc else None


# From this many role files on, they are read and parsed on two cores (``start``).
PARALLEL_ROLES = 200

# A role file: its document (None when it could not be loaded), what loading it found, and
# what checking the document against the role schema found.
Loaded = tuple[SourceDoc | None, list[Diagnostic], list[Diagnostic]]


class Settings(NamedTuple):
    """catalog.yaml, users.yaml and imports.yaml, loaded, with what loading them reported
    (``walker_diags``: what reading them reported, left out of the walker, whose copy in a
    child would never come back)."""

    catalog: SourceDoc | None
    users: SourceDoc | None
    imports: SourceDoc | None
    diagnostics: list[Diagnostic]
    walker_diags: list[Diagnostic]


def _load_each(walker: cf.Walker, found: Sequence[cf.Found]) -> tuple[list[Loaded], list[Diagnostic]]:
    """Each role file loaded and checked against the role schema, and what reading them
    reported (left out of ``walker``, as in ``Settings``).  The schema check is the schema
    stage's (``load.schema.validate``), done here so that it shares the cores the way
    loading does, in the same pass."""
    from rolecat.load.schema import validate  # which imports this module

    scratch = walker.with_own_diagnostics()
    loaded: list[Loaded] = []
    for f in found:
        raw = cf.read_bytes(scratch, f.path, f.display, cf.MAX_ROLE_BYTES)
        if raw is None:
            loaded.append((None, [], []))
            continue
        doc, diags = load_yaml_bytes(raw, f.display)
        loaded.append((doc, diags, validate(doc, "role") if doc is not None else []))
    return loaded, scratch.diags


# What a catalog folder holds at least one of (the .yml spellings get a hint to rename them).
_CATALOG_PARTS = ("catalog.yaml", "catalog.yml", "users.yaml", "users.yml", "roles")


def _load_settings(walker: cf.Walker) -> Settings:
    """catalog.yaml, users.yaml and imports.yaml (optional)."""
    scratch = walker.with_own_diagnostics()
    root = walker.root
    docs: dict[str, SourceDoc | None] = {"catalog": None, "users": None, "imports": None}
    diagnostics: list[Diagnostic] = []
    settings: tuple[tuple[str, str], ...] = (("catalog.yaml", "catalog"), ("users.yaml", "users"))
    if not any(os.path.lexists(root / part) for part in _CATALOG_PARTS):
        # a folder with none of a catalog's parts is the wrong folder: one finding says so
        diagnostics.append(
            error(
                "C000",
                "missing catalog.yaml: this folder has no catalog.yaml, users.yaml or roles/",
                Location(walker.display(root / "catalog.yaml")),
                "give the catalog folder, the one holding catalog.yaml, users.yaml and roles/",
            )
        )
        settings = ()
    for name, attr in settings:
        path = root / name
        if not os.path.lexists(path):
            alt = path.with_suffix(".yml")
            hint = (
                f"rename {alt.name} to {name}"
                if os.path.lexists(alt)
                else f"create it: `rolecat schema {attr}` prints its JSON Schema, rolecat's docs/catalog.md "
                "describes it"
            )
            diagnostics.append(error("C000", f"missing {name}", Location(walker.display(path)), hint))
            continue
        raw = cf.read_bytes(scratch, path, walker.display(path), cf.MAX_SETTINGS_BYTES)
        if raw is None:
            continue
        docs[attr], diags = load_yaml_bytes(raw, walker.display(path))
        diagnostics.extend(diags)

    imports = root / "imports.yaml"
    if os.path.lexists(imports):
        raw = cf.read_bytes(scratch, imports, walker.display(imports), cf.MAX_SETTINGS_BYTES)
        if raw is not None:
            docs["imports"], diags = load_yaml_bytes(raw, walker.display(imports))
            diagnostics.extend(diags)
    return Settings(docs["catalog"], docs["users"], docs["imports"], diagnostics, scratch.diags)


@dataclass
class Loading:
    """A catalog folder's role files, listed, and their loading started (``start``)."""

    root: Path
    display_root: str
    walker: cf.Walker
    ends: background.BothEnds[cf.Found, tuple[list[Loaded], list[Diagnostic]], Settings]


def start(root: Path, display_root: str, *, share: bool = False) -> Loading:
    """List the role files of the folder ``root`` and start loading them with the settings.

    Reading and parsing YAML is most of loading, and files are independent: from
    ``PARALLEL_ROLES`` role files on, or with ``share``, a forked child loads the
    settings and then takes role files from the back while this process goes on
    (``background.BothEnds``; its documents come back pickled, which costs a fraction of
    parsing them), and ``discover`` takes role files from the front.  The result,
    diagnostics and their order included, is the same either way."""
    walker = cf.Walker(root, display_root)
    roles_dir = root / "roles"
    role_files: list[cf.Found] = []
    if os.path.lexists(roles_dir):
        if walker.kind(roles_dir) == "dir":
            role_files = walker.roles(roles_dir)
        elif not walker.diags or walker.diags[-1].location != Location(walker.display(roles_dir)):
            walker.err("L012", "roles must be a folder", roles_dir)
    ends = background.BothEnds(
        lambda part: _load_each(walker, part),
        role_files,
        first=lambda: _load_settings(walker),
        fork=share or len(role_files) >= PARALLEL_ROLES,
    )
    return Loading(root, display_root, walker, ends)


# The load the entry point started before the command line was parsed (``start_early``):
# at most one, taken over by ``discover`` or stopped.
_early: list[Loading] = []


def start_early(root: Path) -> None:
    """Start loading the catalog folder a command line names, before the command line is
    parsed (``rolecat.entry``): the child then loads while this process imports the
    command-line layer and the later stages.  ``discover`` takes it over when asked for
    the same folder, shown the same way; otherwise the child is stopped (at the latest
    when the process exits).  Nothing happens where no child can be forked or ``root``
    is not a folder: the command reports that as ever."""
    if _early or not background.fork_allowed() or not root.is_dir():
        return
    atexit.register(drop_early)
    _early.append(start(root, cf.display_path(root), share=True))


def drop_early() -> None:
    """Stop the early load, if one was started and not taken over."""
    while _early:
        _early.pop().ends.cancel()


def _claim(root: Path, display_root: str) -> Loading | None:
    """The early load, when it is of ``root`` shown as ``display_root``; any other is stopped."""
    if not _early:
        return None
    early = _early.pop()
    if early.root == root and early.display_root == display_root:
        return early
    early.ends.cancel()
    return None


def discover(root: Path, display_root: str, *, meanwhile: Callable[[], object] | None = None) -> Sources:
    """Find and load the catalog's files.  The caller checked that ``root`` is a folder.

    Nothing is skipped silently and nothing is read unchecked (``load.files``).

    ``meanwhile``: work the caller will need done anyway (loading what its later stages
    use), which this process then runs while a child loads the settings and role files
    (and takes fewer of them), instead of after.  It runs at most once, and only when
    there is such a child (``start``): otherwise the stages load what they need on first
    use, as they would without it."""
    loading = _claim(root, display_root) or start(root, display_root)
    src = Sources(root, display_root)
    walker = loading.walker
    if meanwhile is not None and loading.ends.forked:
        try:
            meanwhile()
        except BaseException:
            loading.ends.cancel()
            raise
    settings, parts = loading.ends.join()
    assert settings is not None
    src.catalog, src.users, src.imports = settings.catalog, settings.users, settings.imports
    src.diagnostics.extend(settings.diagnostics)
    walker.diags.extend(settings.walker_diags)
    for loaded, read_problems in parts:
        walker.diags.extend(read_problems)
        for doc, diags, schema in loaded:
            src.diagnostics.extend(diags)
            if doc is not None:
                src.roles.append(doc)
                src.role_schema[id(doc)] = (doc, schema)
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
