"""What adoption adds to the model: pinned policy names and the import record.

``catalog.yaml`` ``pinned_policies`` keeps an adopted policy's live IAM name, path and
description (all three force a replacement in the AWS provider).  ``imports.yaml``,
written by ``rolecat import``, lists the objects that already exist, so ``compile``
writes Terraform ``import`` blocks for them; it is deleted after the first apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolecat.diagnostics import Diagnostic, error
from rolecat.load.source import SourceDoc
from rolecat.model.catalog import Account, PinnedPolicy, PolicyFile

IMPORTS_FILE = "imports.yaml"


def pinned_policies(
    doc: SourceDoc, policies: Mapping[str, PolicyFile], boundaries: Mapping[str, PolicyFile]
) -> tuple[dict[tuple[str, str], PinnedPolicy], list[Diagnostic]]:
    """``pinned_policies`` of a schema-valid catalog.yaml; unknown files are errors (C040)."""
    out: dict[tuple[str, str], PinnedPolicy] = {}
    diags: list[Diagnostic] = []
    raw: Mapping[str, Any] = doc.data.get("pinned_policies") or {}
    for key, spec in raw.items():
        folder, _, name = key.partition("/")
        kind = "boundary" if folder == "boundaries" else "policy"
        table = boundaries if kind == "boundary" else policies
        loc = doc.locate(("pinned_policies", key), key=True)
        if name not in table:
            diags.append(
                error(
                    "C040",
                    f"pinned_policies names {key}.json, which does not exist",
                    loc,
                    f"add {key}.json or remove the entry",
                )
            )
            continue
        out[(kind, name)] = PinnedPolicy(spec["name"], spec.get("path", "/"), spec.get("description"))
    return out, diags


def import_record(
    doc: SourceDoc | None, accounts: Mapping[str, Account]
) -> tuple[dict[str, dict[str, tuple[str, ...]]], list[Diagnostic]]:
    """The schema-valid import record; accounts not in the catalog are errors (C042)."""
    if doc is None:
        return {}, []
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    diags: list[Diagnostic] = []
    for acct, types in (doc.data.get("accounts") or {}).items():
        if acct not in accounts:
            diags.append(
                error(
                    "C042",
                    f"{doc.path} lists account {acct}, which is not in catalog.yaml",
                    doc.locate(("accounts", acct), key=True),
                )
            )
            continue
        out[acct] = {t: tuple(ids) for t, ids in sorted(types.items()) if ids}
    return out, diags
