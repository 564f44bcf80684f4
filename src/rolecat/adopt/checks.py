"""Checks of the import record (imports.yaml) against what the catalog compiles to."""

from __future__ import annotations

from rolecat.diagnostics import Diagnostic, warning
from rolecat.model import Catalog


def check_import_record(catalog: Catalog) -> list[Diagnostic]:
    """C043: an import id that names nothing the output contains is never imported."""
    if not catalog.imports or catalog.imports_file is None:
        return []
    from rolecat.targets.terraform.imports import unmatched
    from rolecat.targets.terraform.render import account_views

    views = account_views(catalog)
    out: list[Diagnostic] = []
    for acct, entries in unmatched(catalog, views).items():
        for rtype, import_id in entries:
            ids = catalog.imports[acct][rtype]
            out.append(
                warning(
                    "C043",
                    f"{rtype} {import_id!r} in account {acct} is not in the compiled output: nothing imports it",
                    catalog.locate(catalog.imports_file, ("accounts", acct, rtype, ids.index(import_id))),
                    "run rolecat import again, or remove the entry (the object stays in AWS, unmanaged)",
                )
            )
    return out
