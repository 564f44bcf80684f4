"""Terraform version constraints (``required_version``, provider ``version``), checked at
validate time so that ``terraform init`` never is the first to find a typo.

Terraform's syntax: one or more comma-separated constraints, each an optional operator
(``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``~>``) and a version of one to three
dot-separated numbers, optionally with a pre-release suffix (``1.10.0-beta1``), which only
an exact match (``=`` or no operator) may carry.
"""

from __future__ import annotations

import re

# ASCII digits and white space only, as Terraform reads a constraint: Python's Unicode
# \d took "١.2.3" (Arabic-Indic digits), which terraform init then refuses.
_ONE = re.compile(
    r"\s*(?P<op>=|!=|>=|<=|>|<|~>)?\s*v?(?P<version>\d+(?:\.\d+){0,2})(?P<pre>-[0-9A-Za-z.-]+)?\s*",
    re.ASCII,
)
DEFAULT_REQUIRED_VERSION = ">= 1.10.0"
# Bounded at the next major version: a major release of the provider may break the
# generated resources, and nothing here tests it until the bound is raised on purpose.
DEFAULT_AWS_PROVIDER_VERSION = ">= 5.70, < 6.0"


def problem(text: str) -> str | None:
    """Why ``text`` is not a Terraform version constraint, or None when it is one."""
    if not text.strip():
        return "the constraint is empty"
    for part in text.split(","):
        m = _ONE.fullmatch(part)
        if m is None:
            return f"{part.strip()!r} is not an operator (=, !=, >, >=, <, <=, ~>) followed by a version like 1.10 or 5.70.0"
        if m["pre"] and m["op"] not in (None, "="):
            return f"{part.strip()!r}: a pre-release version can only be required exactly (= {m['version']}{m['pre']})"
    return None
