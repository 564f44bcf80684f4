"""A SAML identity provider's metadata XML, read from the catalog folder and checked.

catalog.yaml names the file (``identity_providers.<name>.metadata``, a path relative to
the catalog folder).  The file is as hostile as any other catalog file, so:

- the path must stay inside the catalog: no absolute path, no ``..``, and no symlink
  (of the file or of a folder on the way) that leads out of it;
- it is read the way every catalog file is (``load.files.read_bytes``: a regular file,
  no FIFO or device, a size limit) and must be UTF-8;
- it is parsed with expat, and refused at the first ``<!DOCTYPE``: no DTD, so no
  entity declaration, no entity expansion (billion laughs) and no external entity is
  ever resolved.  Nothing is fetched;
- its root element must be a SAML 2.0 metadata ``EntityDescriptor``.

The text goes to IAM as written (``aws_iam_saml_provider.saml_metadata_document``).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from rolecat.diagnostics import Diagnostic
from rolecat.load import files as cf
from rolecat.load.source import decode_text

# One IdP's metadata is a few kilobytes (its certificates); a larger file is an aggregate
# federation feed, which one IAM SAML provider does not describe.
MAX_METADATA_BYTES = 1024 * 1024
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
_ENCODING = re.compile(r"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)["']""")


class MetadataError(Exception):
    """Why a metadata file is refused (the message is for the user)."""


class _Refused(Exception):
    pass


def _refuse(what: str) -> None:
    raise _Refused(what)


def check_metadata_xml(text: str) -> None:
    """Raise ``MetadataError`` unless ``text`` is a DTD-free XML document whose root is a
    SAML 2.0 metadata ``EntityDescriptor``."""
    m = _ENCODING.match(text)
    if m is not None and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise MetadataError(f"the XML declaration says encoding {m.group(1)!r}; save it as UTF-8")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*_: object) -> None:
        _refuse("has a DOCTYPE: DTDs and entities are refused (nothing is expanded or fetched)")

    def entity(*_: object) -> None:
        _refuse("declares an entity: DTDs and entities are refused")

    def external(*_: object) -> int:
        _refuse("refers to an external entity: nothing is fetched")
        return 0

    roots: list[str] = []

    def start(name: str, _attrs: object) -> None:
        if not roots:
            roots.append(name)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.StartElementHandler = start
    try:
        parser.Parse(text.encode("utf-8"), True)
    except _Refused as exc:
        raise MetadataError(f"the metadata {exc}") from None
    except expat.ExpatError as exc:
        raise MetadataError(
            f"not an XML document: {expat.errors.messages.get(exc.code, 'error')} "
            f"at line {exc.lineno}, column {exc.offset + 1}"
        ) from None
    if not roots:
        raise MetadataError("not an XML document: no root element")
    ns, _, local = roots[0].rpartition(" ")
    if (ns, local) != (METADATA_NS, "EntityDescriptor"):
        shown = f"{{{ns}}}{local}" if ns else local
        raise MetadataError(
            f"the root element is {shown[:120]}, not a SAML 2.0 metadata EntityDescriptor ({METADATA_NS})"
        )


def _inside(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if "\\" in rel or path.is_absolute() or any(part == ".." for part in path.parts):
        raise MetadataError(f"{rel!r} leaves the catalog folder; name a file inside it, relative to it")
    return path


def read_metadata(root: Path, display_root: str, rel: str) -> tuple[str | None, list[Diagnostic], str | None]:
    """(text, read diagnostics, problem): the checked metadata text of ``rel``, or None.

    Read failures (missing, too large, not a regular file, not UTF-8) come back as the
    load stage's own diagnostics, at the file; everything else as ``problem``, which the
    caller reports at catalog.yaml's ``metadata:``.
    """
    try:
        path = _inside(rel)
    except MetadataError as exc:
        return None, [], str(exc)
    walker = cf.Walker(root, display_root)
    full = root.joinpath(*path.parts)
    try:
        real = full.resolve(strict=True)
    except FileNotFoundError:
        return None, [], f"{rel!r}: no such file in the catalog folder"
    except (OSError, RuntimeError) as exc:
        return None, [], f"{rel!r}: cannot follow the path ({getattr(exc, 'strerror', None) or exc})"
    if not real.is_relative_to(walker.real_root):
        return None, [], f"{rel!r} leads outside the catalog folder (through a symlink)"
    display = walker.display(full)
    raw = cf.read_bytes(walker, real, display, MAX_METADATA_BYTES)
    if raw is None:
        return None, walker.diags, None
    text, diags = decode_text(raw, display)
    if text is None:
        return None, diags, None
    try:
        check_metadata_xml(text)
    except MetadataError as exc:
        return None, [], f"{rel!r}: {exc}"
    return text, [], None
