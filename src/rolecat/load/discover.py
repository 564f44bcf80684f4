"""Load stage: find the catalog's files and load them (YAML) or read them (JSON) with positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rolecat.diagnostics import Diagnostic, Location, error, warning
from rolecat.load.source import SourceDoc, load_yaml, read_text
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


def _display(root: Path, display_root: str, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return f"{display_root.rstrip('/')}/{rel}" if display_root not in ("", ".") else rel


def discover(root: Path, display_root: str) -> Sources:
    """Find and load the catalog's files.  The caller checked that ``root`` is a folder."""
    src = Sources(root, display_root)

    def disp(p: Path) -> str:
        return _display(root, display_root, p)

    for name, attr in (("catalog.yaml", "catalog"), ("users.yaml", "users")):
        path = root / name
        if not path.is_file():
            alt = path.with_suffix(".yml")
            hint = f"rename {alt.name} to {name}" if alt.is_file() else "see docs/catalog.md"
            src.diagnostics.append(error("C000", f"missing {name}", Location(disp(path)), hint))
            continue
        doc, diags = load_yaml(path, disp(path))
        src.diagnostics.extend(diags)
        setattr(src, attr, doc)

    imports = root / "imports.yaml"
    if imports.is_file():
        doc, diags = load_yaml(imports, disp(imports))
        src.diagnostics.extend(diags)
        src.imports = doc

    roles_dir = root / "roles"
    if roles_dir.is_dir():
        files = sorted(p for p in roles_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        for path in files:
            doc, diags = load_yaml(path, disp(path))
            src.diagnostics.extend(diags)
            if doc is not None:
                src.roles.append(doc)
            else:
                src.roles_unloaded += 1
        for path in sorted(roles_dir.rglob("*.json")):
            src.diagnostics.append(
                warning("C030", "role files are YAML; this file is ignored", Location(disp(path)))
            )

    kinds: tuple[tuple[str, Literal["policy", "boundary"], dict[str, PolicyFile]], ...] = (
        ("policies", "policy", src.policies),
        ("boundaries", "boundary", src.boundaries),
    )
    for folder, kind, table in kinds:
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.is_dir() or path.name.startswith("."):
                continue
            if path.suffix != ".json":
                src.diagnostics.append(
                    warning(
                        "C031", f"{folder}/ holds JSON documents; this file is ignored", Location(disp(path))
                    )
                )
                continue
            text, diags = read_text(path, disp(path))
            src.diagnostics.extend(diags)
            if text is None:
                src.unreadable.add((kind, path.stem))
            else:
                table[path.stem] = PolicyFile(path.stem, kind, disp(path), text)
    return src
