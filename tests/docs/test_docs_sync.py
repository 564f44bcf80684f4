"""The documentation stays in step with the code.

- Every key of the JSON Schemas (nested ones included) is documented in docs/catalog.md.
- Every diagnostic code of the core (CORE_FILES: not the IAM checks nor the subcommands) is documented
  in docs/catalog.md, and the table there lists no code the core no longer emits.
- Every key of manifest.json is documented in docs/manifest.md.
- Every `rolecat COMMAND` and `make TARGET` quoted as code in the docs exists.
- Every relative link in the docs points at a file that exists, and at a heading in it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "rolecat"
SCHEMAS = SRC / "schemas"
# The core: every stage but the IAM analysis (its codes are in checks.md) and the subcommands.
CORE_FILES = (
    "*.py",
    "load/*.py",
    "model/*.py",
    "deploy/*.py",
    "rules/quotas.py",
    "rules/names.py",
    "rules/runner.py",
    "targets/terraform/*.py",
    "report/*.py",
    "adopt/checks.py",
)
CATALOG_DOC = ROOT / "docs" / "catalog.md"
MANIFEST_DOC = ROOT / "docs" / "manifest.md"
OWNED_DOCS = [
    ROOT / "README.md",
    *(
        ROOT / "docs" / f"{name}.md"
        for name in ("getting-started", "catalog", "output", "manifest", "onboarding", "architecture")
    ),
]
# Docs written alongside these; a link to one that does not exist yet is skipped, not failed.
SIBLING_DOCS = {"checks.md", "workflow.md", "ci.md", "scopedown.md", "iam-engine.md"}

CORE_PREFIXES = "CSLTQWR"
_DIAG_CALL = re.compile(r"\b(?:error|warning|err|warn)\(\s*\"([A-Z][0-9]{3})\"")
_TABLE_CODE = re.compile(r"^\|\s*`([A-Z][0-9]{3})`", re.MULTILINE)
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"(?:^|\$ |/)rolecat[ \t]+([a-z][a-z-]*)", re.MULTILINE)
_MAKE = re.compile(r"(?<![\w.$(-])make[ \t]+([a-z][a-z-]*)")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _code(path: Path) -> Iterator[str]:
    """Fenced blocks and inline code spans of a Markdown file."""
    text = _text(path)
    yield from _FENCE.findall(text)
    yield from _SPAN.findall(_FENCE.sub("", text))


# --------------------------------------------------------------------------- schema keys


def schema_keys(node: Any) -> set[str]:
    """Every property name in a schema, at any depth ($defs, items, additionalProperties)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
                for sub in value.values():
                    found |= schema_keys(sub)
            else:
                found |= schema_keys(value)
    elif isinstance(node, list):
        for item in node:
            found |= schema_keys(item)
    return found


def _schema_params() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(_text(path))
        out.extend((path.name, key) for key in sorted(schema_keys(schema)))
    return out


def test_schema_walk_sees_nested_keys() -> None:
    keys = {key for _, key in _schema_params()}
    # top level, nested object, list items, per-account mapping, per-user mapping
    assert {"organization", "bucket", "until", "check", "identity", "email"} <= keys


@pytest.mark.parametrize(("schema", "key"), _schema_params())
def test_schema_key_is_documented(schema: str, key: str) -> None:
    assert f"`{key}`" in _text(CATALOG_DOC), f"{schema}: key {key!r} is missing from docs/catalog.md"


# --------------------------------------------------------------------------- diagnostics


def core_codes() -> dict[str, str]:
    """Diagnostic code -> the core file that emits it."""
    found: dict[str, str] = {}
    for path in sorted(p for pattern in CORE_FILES for p in SRC.glob(pattern)):
        for code in _DIAG_CALL.findall(_text(path)):
            found.setdefault(code, path.name)
    return found


def test_core_codes_are_found() -> None:
    codes = core_codes()
    assert {"C000", "S002", "L002", "T001", "Q001", "W001"} <= set(codes)


@pytest.mark.parametrize("code", sorted(core_codes()))
def test_core_code_is_documented(code: str) -> None:
    assert f"`{code}`" in _text(CATALOG_DOC), (
        f"diagnostic {code} ({core_codes()[code]}) is missing from docs/catalog.md"
    )


def test_documented_core_codes_exist() -> None:
    listed = {c for c in _TABLE_CODE.findall(_text(CATALOG_DOC)) if c[0] in CORE_PREFIXES}
    stale = sorted(listed - set(core_codes()))
    assert not stale, f"docs/catalog.md lists codes the core no longer emits: {stale}"


# --------------------------------------------------------------------------- manifest keys


def _manifest() -> dict[str, Any]:
    """manifest.json of the example catalog, built without the IAM checks (their findings
    are not this test's business)."""
    from rolecat.load.discover import discover
    from rolecat.model import build
    from rolecat.targets.terraform import render

    catalog_dir = ROOT / "catalog"
    sources = discover(catalog_dir, "catalog")
    catalog, diags = build.build(sources, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert catalog is not None, [d.format_text() for d in diags]
    files = render.render(catalog)
    manifest: dict[str, Any] = json.loads(next(f.text for f in files if f.path == "manifest.json"))
    return manifest


def manifest_keys(data: dict[str, Any]) -> set[str]:
    """Field names of manifest.json; names of accounts, roles, users, groups, policies
    and document keys are data, not fields."""
    keys = set(data)
    for account in data["accounts"].values():
        keys |= set(account)
        keys |= set(account["released"])
        for role in account["roles"].values():
            keys |= set(role)
            keys |= {k for t in role["temporary_members"] for k in t}
        for policy in account["policies"].values():
            keys |= set(policy)
        for user in account.get("users", {}).values():
            keys |= set(user)
        for group in account.get("groups", {}).values():
            keys |= set(group)
    return keys


def test_manifest_matches_its_schema() -> None:
    import jsonschema

    schema = json.loads(_text(SRC / "targets" / "terraform" / "manifest.schema.json"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = _manifest()
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert not errors
    # every document a role or policy refers to is stated, and each exactly once
    refs = set()
    for account in data["accounts"].values():
        refs |= {p["document"] for p in account["policies"].values()}
        for role in account["roles"].values():
            refs.add(role["trust_policy"])
            if role["delegated_role_creation"]:
                refs.add(role["delegated_role_creation"])
            assert all(p in account["policies"] for p in role["policies"])
            assert role["boundary"] is None or role["boundary"] in account["policies"]
    assert refs == set(data["documents"])


def test_manifest_schema_keys_are_documented() -> None:
    """Every property of the written manifest schema (rolecat schema manifest) is in manifest.md."""
    schema = json.loads(_text(SRC / "targets" / "terraform" / "manifest.schema.json"))
    text = _text(MANIFEST_DOC)
    missing = sorted(k for k in schema_keys(schema) if f"`{k}`" not in text)
    assert not missing, f"manifest.schema.json keys missing from docs/manifest.md: {missing}"


def test_manifest_keys_are_documented() -> None:
    data = _manifest()
    assert any("users" in a for a in data["accounts"].values())
    text = _text(MANIFEST_DOC)
    missing = sorted(k for k in manifest_keys(data) if f"`{k}`" not in text)
    assert not missing, f"manifest.json fields missing from docs/manifest.md: {missing}"


# --------------------------------------------------------------------------- commands, targets, links


def _commands() -> set[str]:
    script = (
        "import typer\n"
        "from rolecat.cli import app, _register_plugins\n"
        "_register_plugins()\n"
        "print('\\n'.join(typer.main.get_command(app).commands))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_quoted_commands_exist() -> None:
    commands = _commands()
    assert {"validate", "compile", "schema"} <= commands
    unknown = sorted(
        f"{path.relative_to(ROOT)}: rolecat {name}"
        for path in OWNED_DOCS
        for code in _code(path)
        for name in _COMMAND.findall(code)
        if name not in commands
    )
    assert not unknown, f"docs quote commands that do not exist: {unknown}"


def test_quoted_make_targets_exist() -> None:
    targets = set(re.findall(r"^([a-zA-Z_-]+):", _text(ROOT / "Makefile"), re.MULTILINE))
    unknown = sorted(
        f"{path.relative_to(ROOT)}: make {name}"
        for path in OWNED_DOCS
        for code in _code(path)
        for name in _MAKE.findall(code)
        if name not in targets
    )
    assert not unknown, f"docs quote make targets that do not exist: {unknown}"


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown file, plus explicit <a id="...">."""
    found: set[str] = set(re.findall(r'<a id="([^"]+)"', _text(path)))
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*$", _FENCE.sub("", _text(path)), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def test_relative_links_resolve() -> None:
    broken, pending = [], []
    for path in OWNED_DOCS:
        for target in _LINK.findall(_text(path)):
            if re.match(r"[a-z]+:", target):
                continue
            rel, _, fragment = target.partition("#")
            dest = path.parent / rel if rel else path
            entry = f"{path.relative_to(ROOT)} -> {target}"
            if not dest.exists():
                (pending if Path(rel).name in SIBLING_DOCS else broken).append(entry)
            elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
                broken.append(f"{entry} (no such heading)")
    assert not broken, f"broken links: {broken}"
    if pending:
        pytest.skip(f"links to sibling docs not written yet: {pending}")
