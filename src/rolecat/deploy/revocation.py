"""The deny that ends a role's older sessions (``revoke_sessions`` in a role file).

AWS's console button "Revoke active sessions" attaches an inline policy to the role
that denies every action on every resource when ``aws:TokenIssueTime`` is before the
moment of the click.  rolecat writes the same statement, with the instant recorded in
the catalog, so the output depends on the catalog alone and never on the clock.
Sessions issued at or after that instant are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolecat.deploy.policies import VERSION
from rolecat.model import Role

POLICY_NAME = "rolecat-revoke-older-sessions"


def revoke_older_sessions_policy(role: Role) -> Mapping[str, Any] | None:
    """The inline policy of ``role``'s ``revoke_sessions``, or None when it has none."""
    revoke = role.revoke_sessions
    if revoke is None:
        return None
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "RevokeOlderSessions",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": revoke.issued_before_iso}},
            }
        ],
    }
