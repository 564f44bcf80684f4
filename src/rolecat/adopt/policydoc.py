"""Comparing policy documents as IAM compares them.

Two documents that IAM treats as the same policy must compare equal, whatever the
client that wrote them: statement order, order of values in a list, a single value
versus a one-element list, whitespace, booleans and numbers written as strings
(IAM stores condition values as strings), the case of action names and of condition
keys (both case-insensitive in IAM), a missing ``Sid`` versus an empty one, and an
account id in a principal versus its root ARN (IAM stores the ARN).  Anything else
is a real difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# 12 digits 0-9, all of the value (Organizations API reference, DescribeAccount: an account ID
# is exactly 12 digits); Python's \d took any script's digits, and $ a final newline.
_ACCOUNT_ID = re.compile(r"[0-9]{12}\Z")
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


def _values(v: Any) -> list[str]:
    items = v if isinstance(v, list) else [v]
    out = []
    for x in items:
        if isinstance(x, bool):
            out.append("true" if x else "false")
        elif isinstance(x, (int, float)):
            out.append(json.dumps(x))
        else:
            out.append(str(x))
    return sorted(set(out))


def _principal(p: Any, partition: str) -> Any:
    if p == "*":
        return {"AWS": ["*"]}
    if not isinstance(p, Mapping):
        return p
    out = {}
    for kind, v in p.items():
        vals = _values(v)
        if kind == "AWS":
            vals = sorted({f"arn:{partition}:iam::{x}:root" if _ACCOUNT_ID.match(x) else x for x in vals})
        out[kind] = vals
    return dict(sorted(out.items()))


def _condition(c: Any) -> Any:
    if not isinstance(c, Mapping):
        return c
    out: dict[str, dict[str, list[str]]] = {}
    for op, block in c.items():
        if not isinstance(block, Mapping):
            return c
        keys = {str(k).lower(): _values(v) for k, v in block.items()}
        out[str(op)] = dict(sorted(keys.items()))
    return dict(sorted(out.items()))


def normalize(doc: Any, partition: str = "aws") -> Any:
    """A canonical form: equal for documents IAM treats as equal."""
    if not isinstance(doc, Mapping):
        return doc
    stmts = doc.get("Statement", [])
    if isinstance(stmts, Mapping):
        stmts = [stmts]
    canon = []
    for s in stmts if isinstance(stmts, list) else [stmts]:
        if not isinstance(s, Mapping):
            canon.append(s)
            continue
        c: dict[str, Any] = {"Sid": s.get("Sid") or "", "Effect": s.get("Effect")}
        for key in _LIST_KEYS:
            if key in s:
                vals = _values(s[key])
                c[key] = sorted({v.lower() for v in vals}) if key.endswith("Action") else vals
        for key in ("Principal", "NotPrincipal"):
            if key in s:
                c[key] = _principal(s[key], partition)
        if s.get("Condition"):
            c["Condition"] = _condition(s["Condition"])
        canon.append(c)
    return {
        "Version": doc.get("Version", "2008-10-17"),
        "Id": doc.get("Id"),
        "Statement": sorted(canon, key=lambda x: json.dumps(x, sort_keys=True)),
    }


def equivalent(a: Any, b: Any, partition: str = "aws") -> bool:
    return bool(normalize(a, partition) == normalize(b, partition))


def summarize_difference(expected: Any, actual: Any, partition: str = "aws") -> str:
    """A short human description of how two documents differ (statement Sids)."""
    e = normalize(expected, partition)
    a = normalize(actual, partition)
    if not isinstance(e, dict) or not isinstance(a, dict):
        return "the documents differ"
    es = {json.dumps(s, sort_keys=True): s for s in e["Statement"]}
    as_ = {json.dumps(s, sort_keys=True): s for s in a["Statement"]}
    missing = [es[k].get("Sid") or f"#{i}" for i, k in enumerate(es) if k not in as_]
    extra = [as_[k].get("Sid") or f"#{i}" for i, k in enumerate(as_) if k not in es]
    parts = []
    if e["Version"] != a["Version"]:
        parts.append(f"Version {a['Version']} instead of {e['Version']}")
    if missing:
        parts.append("statements missing or changed in AWS: " + ", ".join(map(str, missing)))
    if extra:
        parts.append("statements only in AWS: " + ", ".join(map(str, extra)))
    return "; ".join(parts) or "the documents differ"
