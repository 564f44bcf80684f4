"""``moved`` and ``removed`` blocks: existing state follows a label or a name change.

Labels are a pure function of the entity (``labels.py``), but catalogs applied with an
older rolecat hold state under the old scheme's labels, and a user renamed in the
catalog holds state under the former name's label.  For every entity this module
builds a chain of addresses it may be found at, oldest first, ending at its label:

    legacy(old name) -> label(old name) -> ... -> legacy(name) -> label(name)

Terraform follows a chain of ``moved`` blocks from whichever address holds the object,
and ignores addresses that hold nothing.  It refuses a ``moved`` block from an address
that is still declared, and two blocks from or to the same address; so an address that
another entity declares, or that an earlier chain already used, is left out.  That is
exactly the case the old scheme got wrong: after ``gina_x`` was applied, adding
``gina.x`` must not move ``gina_x``'s state to the newcomer.  Nor after ``gina_x`` leaves,
in the same change or any later one: so moves from the earlier scheme's labels are made
only while a catalog upgrades (``terraform.legacy_labels``), and a renamed user's former
labels are reserved for that user.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Move:
    type: str  # resource type, e.g. aws_iam_user
    source: str  # label moved from
    target: str  # label moved to


@dataclass(frozen=True)
class Removal:
    type: str
    label: str


class Chains:
    """The moves of one account (one Terraform root module)."""

    def __init__(self, declared: Iterable[tuple[str, str]]) -> None:
        self.declared = set(declared)
        self.used: set[tuple[str, str]] = set()
        self.reserved: set[tuple[str, str]] = set()

    def reserve(self, type_: str, sources: Iterable[str]) -> None:
        """Addresses only the entity that names them (``own`` in ``chain``) may move from:
        a renamed user's former labels, before any other user's guess takes one."""
        self.reserved.update((type_, s) for s in sources)

    def chain(
        self, type_: str, sources: Iterable[str], target: str, *, own: Iterable[str] = ()
    ) -> tuple[Move, ...]:
        path: list[str] = []
        mine = set(own)
        for s in sources:
            key = (type_, s)
            if s == target or s in path or key in self.declared or key in self.used:
                continue
            if key in self.reserved and s not in mine:
                continue
            path.append(s)
            self.used.add(key)
        path.append(target)
        return tuple(Move(type_, a, b) for a, b in itertools.pairwise(path))
