"""Schema stage: shape checks (types, patterns, enums, required and unknown keys).

The JSON Schemas (2020-12) ship as package data and are what ``rolecat schema``
prints, so editors (yaml-language-server) and rolecat agree on the format.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rolecat.diagnostics import Diagnostic, did_you_mean, error
from rolecat.load.invalid import Invalid
from rolecat.load.source import KeyPath, SourceDoc
from rolecat.packagedata import package_folder

if TYPE_CHECKING:
    from rolecat.load.discover import Sources

SchemaName = Literal["catalog", "users", "role", "imports"]
SCHEMA_NAMES: tuple[SchemaName, ...] = ("catalog", "users", "role", "imports")

_YAML_11_WORDS = {"y", "yes", "n", "no", "on", "off", "true", "false"}


@functools.cache
def schema_text(name: SchemaName) -> str:
    return (package_folder("rolecat") / "schemas" / f"{name}.schema.json").read_text("utf-8")


@functools.cache
def schema(name: SchemaName) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(schema_text(name))
    return result


def _python_patterns(node: Any, *, in_properties: bool = False) -> Any:
    """The schema with every ``pattern`` made to mean in Python what it means in ECMA-262.

    Both validators match patterns with Python's ``re``, where ``$`` also matches before
    a final newline: ``^[0-9]{12}$`` would accept ``"111111111111\\n"``.  JSON Schema
    patterns follow ECMA-262, where it does not; ``\\Z`` is the Python spelling of that.
    """
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if (
                k == "pattern"
                and not in_properties
                and isinstance(v, str)
                and v.endswith("$")
                and v[-2:] != "\\$"
            ):
                out[k] = v[:-1] + "\\Z"
                continue
            out[k] = _python_patterns(v, in_properties=(k in ("properties", "$defs") and not in_properties))
        return out
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


@functools.cache
def _validator(name: SchemaName) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_python_patterns(schema(name)), format_checker=None)


def _subschema(name: SchemaName, schema_path: list[str | int]) -> dict[str, Any]:
    """The schema object an error's ``schema_path`` (minus the keyword) points at."""
    node: Any = schema(name)
    for part in schema_path[:-1]:
        node = node[part]
        if isinstance(node, dict) and "$ref" in node and part != "properties":
            pass
    if isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"].split("/")[-1]
        node = schema(name)["$defs"][ref]
    return node if isinstance(node, dict) else {}


def _describe_type(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _where(path: KeyPath) -> str:
    # repr() for keys with control characters, so a message stays on one line
    parts = (str(p) if str(p).isprintable() else repr(p) for p in path)
    return ".".join(parts) if path else "the document"


def draft7_schema(name: SchemaName) -> dict[str, Any]:
    """The schema as the draft-07 one fastjsonschema compiles (Python regex patterns)."""
    draft7 = dict(_python_patterns(schema(name)))
    draft7["$schema"] = "http://json-schema.org/draft-07/schema#"
    return draft7


def schema_digest(draft7: dict[str, Any]) -> str:
    """Names the schema a generated validator was made from."""
    return hashlib.sha256(json.dumps(draft7, sort_keys=True).encode()).hexdigest()


@functools.cache
def _fast_validator(name: SchemaName) -> Any:
    """A compiled validator for the common case (a valid document): about 50x faster than
    jsonschema's.  Our schemas use only keywords that mean the same in draft-07, so the
    compiled one answers "valid?" identically; jsonschema then explains any failure.

    The validator's code is generated ahead of time (``scripts/gen-validators.py`` writes
    ``rolecat/load/validators/<name>.py``, so Python caches its byte code); one that was
    generated from another schema than the one shipped is not used, the schema is then
    compiled here, as it always was."""
    draft7 = draft7_schema(name)
    try:
        module = importlib.import_module(f"rolecat.load.validators.{name}")
    except ImportError:
        module = None
    if module is not None and getattr(module, "SCHEMA_DIGEST", None) == schema_digest(draft7):
        return module.validate
    import fastjsonschema

    compiled = fastjsonschema.compile(draft7)

    def checked(data: Any) -> Any:  # raises Invalid, as a generated validator does
        try:
            return compiled(data)
        except fastjsonschema.JsonSchemaException as exc:
            raise Invalid(str(exc)) from None

    checked.__name__ = compiled.__name__
    return checked


def validate(doc: SourceDoc, name: SchemaName) -> list[Diagnostic]:
    try:
        _fast_validator(name)(doc.data)
    except Invalid:
        pass
    else:
        return []
    validator = _validator(name)
    out: list[Diagnostic] = []
    for err in validator.iter_errors(doc.data):
        if tuple(err.absolute_path) in doc.refused:
            continue  # the loader already reported this value (L014) and left None in its place
        out.extend(_convert(err, doc, name))
    return out


def _convert(err: Any, doc: SourceDoc, name: SchemaName) -> list[Diagnostic]:
    path: KeyPath = tuple(err.absolute_path)
    kw = err.validator
    where = _where(path)
    if kw == "additionalProperties":
        sub = _subschema(name, list(err.schema_path))
        known = sorted(sub.get("properties", {}))
        extras = (
            [k for k in err.instance if k not in sub.get("properties", {})]
            if isinstance(err.instance, dict)
            else []
        )
        out = []
        for key in extras:
            suggestion = did_you_mean(key, known)
            known_hint = f"did you mean {suggestion!r}?" if suggestion else f"known keys: {', '.join(known)}"
            out.append(
                error(
                    "S002", f"unknown key {key!r} in {where}", doc.locate((*path, key), key=True), known_hint
                )
            )
        return out
    if kw == "required":
        missing = [k for k in err.validator_value if isinstance(err.instance, dict) and k not in err.instance]
        return [
            error("S003", f"missing required key {k!r} in {where}", doc.locate(path, key=True))
            for k in missing
        ]
    loc = doc.locate(path)
    if kw == "type":
        expected = err.validator_value
        exp = expected if isinstance(expected, str) else " or ".join(expected)
        plain = doc.plain_scalars.get(path)
        if exp == "string" and plain is not None and path and path[-1] == "until":
            from ..model.timeutil import suggest_instant

            better = suggest_instant(plain)
            return [
                error(
                    "S004",
                    f"{where}: YAML read the unquoted value {plain} as {_describe_type(err.instance)}, "
                    "not a date",
                    loc,
                    (
                        f"write the instant as YYYY-MM-DDTHH:MM:SSZ (UTC): until: {better}"
                        if "T" in better
                        else f"write the date as YYYY-MM-DD: until: {better}"
                    )
                    if better
                    else "write a date as YYYY-MM-DD (e.g. until: 2026-12-05) or a datetime with Z "
                    "(e.g. until: 2026-12-05T18:00:00Z)",
                )
            ]
        if exp == "string" and plain is not None:
            return [
                error(
                    "S004",
                    f"{where}: YAML read the unquoted value {plain} as {_describe_type(err.instance)}, "
                    "not a string",
                    loc,
                    f'quote it: "{plain}"',
                )
            ]
        return [error("S001", f"{where}: expected {exp}, got {_describe_type(err.instance)}", loc)]
    hint: str | None = None
    if kw == "pattern":
        from .hints import pattern_hint

        pattern = str(err.validator_value)
        if pattern.endswith("\\Z"):  # show the schema's own (ECMA-262) spelling
            pattern = pattern[:-2] + "$"
        if pattern.startswith("^[^\\u0000-\\u001f"):  # free text: no control characters
            from rolecat.report.escape import printable

            return [
                error(
                    "S005",
                    f"{where}: '{printable(str(err.instance))}' contains a control or invisible formatting "
                    "character (a newline, tab, escape, bidirectional override, ...)",
                    loc,
                    "write it on one line in plain text; it is printed into reports, INI files and terminals",
                )
            ]
        # a user's name or a member is an IAM user name: the example is a person's (not for
        # a user's email, team or name, or a temporary membership's until or reason)
        field_name = next((p for p in reversed(path) if isinstance(p, str)), "")
        person = (
            bool(path)
            and path[0] in ("users", "members", "temporary_members")
            and field_name not in ("email", "team", "name", "until", "reason")
        )
        words, hint = pattern_hint(pattern, err.instance, example="jane.doe" if person else None)
        if path and path[-1] == "id" and "accounts" in path:
            hint = 'account ids are 12 digits, as a quoted string: id: "123456789012"'
        return [error("S005", f"{where}: {err.instance!r} is not valid: {words}", loc, hint)]
    if kw == "propertyNames":
        bad = err.instance
        return [error("S005", f"{where}: name {bad!r} is not allowed ({err.message})", loc)]
    if kw == "enum":
        options = ", ".join(str(v) for v in err.validator_value)
        plain = doc.plain_scalars.get(path)
        hint = f'quote it: "{plain}"' if plain and plain.lower() in _YAML_11_WORDS else None
        return [error("S006", f"{where}: {err.instance!r} is not one of: {options}", loc, hint)]
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [error("S007", f"{where}: {err.message}", loc)]
    if kw in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"):
        return [error("S008", f"{where}: {err.message}", loc)]
    if kw == "uniqueItems":
        items = err.instance if isinstance(err.instance, list) else []
        repeat = next((i for i, v in enumerate(items) if v in items[:i]), None)
        if repeat is None:  # pragma: no cover - uniqueItems fails only on a repeat
            return [error("S009", f"{where}: list has duplicate entries", loc, "remove the repeated entry")]
        first = items.index(items[repeat])
        return [
            error(
                "S009",
                f"{where}: {items[repeat]!r} is listed twice (items {first + 1} and {repeat + 1})",
                doc.locate((*path, repeat)),
                "remove the repeated entry",
            )
        ]
    return [error("S000", f"{where}: {err.message}", loc)]


@dataclass
class Validated:
    """The documents that passed their schema; the others are reported and dropped."""

    catalog: SourceDoc | None = None  # None: missing or invalid; the run stops after this stage
    users: SourceDoc | None = None  # None: missing or invalid
    imports: SourceDoc | None = None  # imports.yaml (optional); None: absent or invalid
    roles: list[SourceDoc] = field(default_factory=list)
    all_roles_valid: bool = True  # every role file loaded and passed (unused-file warnings need it)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def validate_sources(src: Sources) -> Validated:
    """The schema stage: every loaded document against its schema."""
    out = Validated()
    # A document with a value the loader refused (L014, L004: reported, None in its place)
    # is not valid even when nothing else is wrong with it.
    if src.catalog is not None:
        found = validate(src.catalog, "catalog")
        out.diagnostics.extend(found)
        out.catalog = src.catalog if not found and not src.catalog.refused else None
    if src.users is not None:
        found = validate(src.users, "users")
        out.diagnostics.extend(found)
        out.users = src.users if not found and not src.users.refused else None
    if src.imports is not None:
        found = validate(src.imports, "imports")
        out.diagnostics.extend(found)
        out.imports = src.imports if not found and not src.imports.refused else None
    for doc in src.roles:
        # checked as it was loaded (``discover``, on both cores), unless it is not that document
        as_loaded = src.schema_found(doc)
        found = as_loaded if as_loaded is not None else validate(doc, "role")
        out.diagnostics.extend(found)
        if not found and not doc.refused:
            out.roles.append(doc)
    out.all_roles_valid = len(out.roles) == len(src.roles) and not src.roles_unloaded
    return out
