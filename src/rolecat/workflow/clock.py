"""Instants for the workflow commands.

``--now`` is parsed by ``rolecat.model.timeutil.parse_instant``, the same rules as ``until``
in the catalog (spec, "Time"): a date means 00:00:00Z of that day; a datetime must
carry ``Z`` or an offset.
"""

from __future__ import annotations

import datetime as dt

from rolecat.model.timeutil import utcnow


def utc_now() -> dt.datetime:
    return utcnow()


def iso_z(moment: dt.datetime) -> str:
    """ISO 8601 UTC with a ``Z``, whole seconds (the form ``aws:CurrentTime`` compares)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
