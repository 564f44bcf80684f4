"""Terraform labels: a pure, injective function of the entity they name.

A resource's label is its address in the state.  If it changed whenever another entity
was added (the old scheme suffixed a hash to whichever of two colliding names sorted
second), Terraform would rename one person's IAM user into another's.  So a label
depends on nothing but the entity itself: its kind and IAM name, and for an attachment
the pair it joins.

``encode`` maps a name to the characters Terraform accepts in an identifier
(``[A-Za-z_][A-Za-z0-9_-]*``).  Letters, digits and ``-`` stand for themselves; every
other character becomes an escape, ``_`` followed by one digit:

====  ======================================================
``_0``  ``.``
``_1``  ``@``
``_2``  ``+``
``_3``  ``=``
``_4``  ``,``
``_5``  ``/``
``_6``  ``_`` where a plain ``_`` would be ambiguous (see below)
``_9``  any other character: ``_9`` then its code point as six hex digits;
        also a first character that is a digit or ``-`` (an identifier cannot
        start with either)
====  ======================================================

A plain ``_`` stands for itself only when the next character is a letter or ``-``;
before a digit, another ``_``, an escape or at the end it is written ``_6``.  So an
encoded name never contains ``__``, never ends in ``_``, and reading left to right
decodes it in exactly one way (``decode``): the encoding is injective.  Names made of
letters, digits, ``-`` and single ``_`` between letters keep the label the old scheme
gave them, so most existing state needs no move at all.

An attachment joins two labels with ``__``, which no encoded name contains; the part
after it starts with a kind prefix (``policy_``, ``pinned_``, ``aws_``), so pairs are
injective too.

A customer managed policy is labelled by its catalog name (``policy_<file>``,
``boundary_<file>``), which is its IAM name less rolecat's prefix, except one whose IAM
name is pinned (``pinned_policies``, an adopted policy): its label is ``pinned_`` and the
pinned IAM name, so that renaming its file, or merging per-account files into one, keeps
the address of the same IAM policy.  IAM policy names are unique in an account,
boundaries and policies alike ("IAM user, group, role, and policy names must be unique
within the account", IAM API reference, CreatePolicy, PolicyName), and none of rolecat's
own labels starts with ``pinned_``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable

_ESCAPES = {".": "0", "@": "1", "+": "2", "=": "3", ",": "4", "/": "5"}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()} | {"6": "_"}
_PLAIN_AFTER_UNDERSCORE = re.compile(r"[A-Za-z-]")
_SIMPLE = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]|_(?=[A-Za-z-]))*\Z")

SEPARATOR = "__"
BOUNDARY_PREFIX = "boundary_"
POLICY_PREFIX = "policy_"
PINNED_PREFIX = "pinned_"
AWS_PREFIX = "aws_"


def _simple(name: str) -> bool:
    """``_SIMPLE.match(name)``; ASCII letters, digits and "-" after a first letter (most
    names) without the regex."""
    if name.isascii() and name[:1].isalpha() and name.replace("-", "").isalnum():
        return True
    return _SIMPLE.match(name) is not None


@functools.lru_cache(maxsize=65536)
def encode(name: str) -> str:
    """``name`` as a Terraform identifier; distinct names give distinct identifiers."""
    if _simple(name):
        return name
    out: list[str] = []
    n = len(name)
    for i, ch in enumerate(name):
        if i == 0 and (ch.isdigit() or ch == "-") and ch.isascii():
            out.append(f"_9{ord(ch):06x}")
        elif ch.isascii() and (ch.isalnum() or ch == "-"):
            out.append(ch)
        elif ch == "_":
            nxt = name[i + 1] if i + 1 < n else ""
            out.append("_" if _PLAIN_AFTER_UNDERSCORE.match(nxt) else "_6")
        elif ch in _ESCAPES:
            out.append("_" + _ESCAPES[ch])
        else:
            out.append(f"_9{ord(ch):06x}")
    return "".join(out)


def decode(label: str) -> str:
    """The name ``encode`` was given; raises ValueError for a string it cannot produce."""
    out: list[str] = []
    i = 0
    n = len(label)
    while i < n:
        ch = label[i]
        if ch != "_":
            out.append(ch)
            i += 1
            continue
        nxt = label[i + 1] if i + 1 < n else ""
        if nxt == "9":
            out.append(chr(int(label[i + 2 : i + 8], 16)))
            i += 8
        elif nxt in _UNESCAPES:
            out.append(_UNESCAPES[nxt])
            i += 2
        elif _PLAIN_AFTER_UNDERSCORE.match(nxt):
            out.append("_")
            i += 1
        else:
            raise ValueError(f"not an encoded name: {label!r}")
    return "".join(out)


def user(name: str) -> str:
    """Label of ``aws_iam_user`` for IAM user ``name``."""
    return encode(name)


def role(name: str) -> str:
    """Label of ``aws_iam_role`` for IAM role ``name``."""
    return encode(name)


def policy(kind: str, name: str, pinned: str | None = None) -> str:
    """Label of ``aws_iam_policy`` for catalog policy or boundary ``name``; ``pinned``: the
    IAM name ``pinned_policies`` gives it, which is then the label's (see above)."""
    if pinned is not None:
        return PINNED_PREFIX + encode(pinned)
    return (BOUNDARY_PREFIX if kind == "boundary" else POLICY_PREFIX) + encode(name)


def managed_ref(arn: str) -> str:
    """The policy half of an attachment label for an AWS managed policy ARN."""
    return AWS_PREFIX + encode(arn.split(":policy/", 1)[1])


def attachment(role_name: str, policy_ref: str) -> str:
    """Label of ``aws_iam_role_policy_attachment`` joining a role and a policy.

    ``policy_ref`` is ``policy(kind, name)`` or ``managed_ref(arn)``.
    """
    return role(role_name) + SEPARATOR + policy_ref


def delegated(role_name: str) -> str:
    """Label of the role's inline ``aws_iam_role_policy`` for delegated role creation."""
    return role(role_name) + SEPARATOR + "delegated_role_creation"


def instance_profile(name: str) -> str:
    """Label of ``aws_iam_instance_profile`` for instance profile ``name`` (a role's name)."""
    return encode(name)


def oidc_provider(host: str) -> str:
    """Label of ``aws_iam_openid_connect_provider`` for the provider of issuer ``host``.

    ``host`` is the issuer's host and path, the part of the provider's ARN after
    ``oidc-provider/``: IAM's name for it, unique per account.  Renaming the catalog's
    key for a provider keeps its label (and its state).
    """
    return encode(host)


def saml_provider(iam_name: str) -> str:
    """Label of ``aws_iam_saml_provider`` for the provider IAM names ``iam_name``.

    ``iam_name`` is the part of the provider's ARN after ``saml-provider/``, unique per
    account.  Renaming the catalog's key for a provider while keeping its ``name:``
    keeps its label (and its state).
    """
    return encode(iam_name)


# The one ``aws_iam_account_password_policy`` of an account (it has no name).
PASSWORD_POLICY = "this"


# --------------------------------------------------------------------------- legacy


_LEGACY_BAD = re.compile(r"[^A-Za-z0-9_-]")


@functools.lru_cache(maxsize=65536)
def legacy_label(name: str) -> str:
    """The label rolecat before the stable scheme gave a name when nothing collided.

    Cached, as ``encode``: a role's name is looked up in each of its accounts."""
    out = _LEGACY_BAD.sub("_", name)
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return out


def legacy_labels(names: Iterable[str], prefix: str = "") -> dict[str, str]:
    """The old scheme's labels for a set of names (order-dependent; hashed on collision)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(names):
        base = prefix + legacy_label(name)
        lbl = base
        if lbl.lower() in used:
            lbl = f"{base}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        used.add(lbl.lower())
        out[name] = lbl
    return out
