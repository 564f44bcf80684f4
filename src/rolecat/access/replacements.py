"""Resources Terraform will replace between two catalogs, with the reason, for ``rolecat diff``.

The analysis is the stable-identities one (``rolecat.targets.terraform.replacements``), the
same that makes ``compile`` warn (F001) before anything is replaced: one source of truth
for which catalog edits plan a replacement.  Each gives ``{account, address, kind, name,
reason, cost}``.
"""

from __future__ import annotations

from typing import Any

from rolecat.model import Catalog
from rolecat.targets.terraform.replacements import between_catalogs


def replacements(base: Catalog, head: Catalog) -> list[dict[str, Any]]:
    return [r.as_json() for r in between_catalogs(base, head)]
