"""A catalog loaded for the access commands: load, schema and model, without the checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rolecat.diagnostics import Diagnostic, has_errors, sort_diagnostics

from .model import AccessModel


def load_model(path: Path, now: dt.datetime) -> tuple[AccessModel | None, list[Diagnostic]]:
    """The access model, or None when the catalog has errors (all of them returned).

    Raises NotADirectoryError when ``path`` is not a catalog folder (a usage error)."""
    from rolecat.load.discover import discover
    from rolecat.load.files import display_path
    from rolecat.load.schema import validate_sources
    from rolecat.model import build
    from rolecat.pipeline import not_a_catalog_folder

    if not path.is_dir():
        raise NotADirectoryError(not_a_catalog_folder("-c", path))
    sources = discover(path, display_path(path))
    catalog, diags = build.build_model(sources, validate_sources(sources), now)
    diags = sort_diagnostics(diags)
    if catalog is None or has_errors(diags):
        return None, diags
    return AccessModel(catalog, now), diags
