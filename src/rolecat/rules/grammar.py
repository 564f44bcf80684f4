"""The IAM grammar of policy documents, checked before anything reaches AWS.

``check_policy_document`` takes one loaded JSON document (positions included) and
returns every problem with file:line:col.  It knows three kinds of document:
permission policies, permission boundaries (the same grammar; a boundary never
grants, but AWS parses it the same way) and role trust policies (Principal required,
no Resource).  Size quotas are not checked here.

Codes: ``P0xx`` for the grammar, ``A0xx`` for actions (see ``CODES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from rolecat.diagnostics import Diagnostic, did_you_mean, error, warning
from rolecat.iam.actions import ActionDB
from rolecat.iam.globs import has_wildcard
from rolecat.load.source import KeyPath, SourceDoc
from rolecat.rules.registry import RULES

DocKind = Literal["policy", "boundary", "trust"]

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")

BASE_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")
IF_EXISTS = "IfExists"

CODES: dict[str, str] = {r.code: r.summary for r in RULES if r.code[0] in "PA"}  # rules/registry.py

_SID = re.compile(r"[A-Za-z0-9]*")
_BAD_CHAR = re.compile(r"[^\t\n\r\u0020-\u00ff]")
_ACTION = re.compile(r"[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+")
_OPERATORS_LOWER = {op.lower(): op for op in BASE_OPERATORS}


# What is wrong with an action as written (code, message, hint), or None: the same for
# every document checked against the same database and known actions.
ActionProblems = dict[str, tuple[str, str, str] | None]


def check_policy_document(
    doc: SourceDoc,
    kind: DocKind,
    db: ActionDB | None,
    known_actions: frozenset[str] = frozenset(),
    *,
    actions: ActionProblems | None = None,
) -> list[Diagnostic]:
    """Every grammar and action problem of one policy, boundary or trust document.

    ``actions``: what is known of each action so far, shared by the caller across the
    documents it checks with the same ``db`` and ``known_actions`` (a thousand policies
    name a few hundred actions), filled as they are checked."""
    return list(_Checker(doc, kind, db, known_actions, actions).run())


def condition_operator_problem(operator: str) -> str | None:
    """None if ``operator`` is a valid IAM condition operator, else what is wrong."""
    base = operator
    for prefix in SET_PREFIXES:
        if base.startswith(prefix):
            base = base[len(prefix) :]
            break
    if_exists = base.endswith(IF_EXISTS) and base != IF_EXISTS
    if if_exists:
        base = base[: -len(IF_EXISTS)]
    if base not in BASE_OPERATORS:
        return "unknown"
    if base == "Null" and if_exists:
        return "Null takes no IfExists suffix"
    return None


class _Checker:
    def __init__(
        self,
        doc: SourceDoc,
        kind: DocKind,
        db: ActionDB | None,
        known: frozenset[str],
        problems: ActionProblems | None = None,
    ) -> None:
        self.doc = doc
        self.problems: ActionProblems = {} if problems is None else problems
        self.kind = kind
        self.db = db.with_known_actions(known) if db is not None else None
        self.known_lower = frozenset(a.lower() for a in known)
        self.known_prefixes = frozenset(a.split(":", 1)[0] for a in self.known_lower if ":" in a)

    # ------------------------------------------------------------------ helpers
    def err(
        self, code: str, message: str, path: KeyPath, hint: str | None = None, *, key: bool = False
    ) -> Diagnostic:
        return error(code, message, self.doc.locate(path, key=key), hint)

    def warn(
        self, code: str, message: str, path: KeyPath, hint: str | None = None, *, key: bool = False
    ) -> Diagnostic:
        return warning(code, message, self.doc.locate(path, key=key), hint)

    def strings(self, value: Any, path: KeyPath, element: str) -> Iterator[Diagnostic | tuple[str, KeyPath]]:
        """The strings of a string-or-list element, or a P013 diagnostic."""
        if isinstance(value, str):
            yield value, path
            return
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            for i, v in enumerate(value):
                yield v, (*path, i)
            return
        what = "an empty list" if value == [] else type(value).__name__
        yield self.err("P013", f"{element} must be a string or a non-empty list of strings, not {what}", path)

    # ------------------------------------------------------------------ document
    def run(self) -> Iterator[Diagnostic]:
        data = self.doc.data
        text = self.doc.pending_text  # the JSON text ``data`` was parsed from, if still at hand
        # Every character of a string parsed from JSON is in its text, except through an
        # escape: a text with neither a backslash nor a refused character has no string
        # with one (most documents: checked once, not string by string).
        if text is None or "\\" in text or _BAD_CHAR.search(text):
            yield from self.characters(data, ())
        if not isinstance(data, dict):
            yield self.err("P001", "a policy document must be a JSON object", ())
            return
        for key in data:
            if key not in TOP_LEVEL:
                close = did_you_mean(key, TOP_LEVEL)
                hint = f"did you mean {close}?" if close else f"allowed: {', '.join(TOP_LEVEL)}"
                yield self.err("P002", f"unknown top-level element {key!r}", (key,), hint, key=True)
        version = data.get("Version")
        if "Version" not in data:
            yield self.warn(
                "P003",
                "Version is missing; IAM then reads the document as 2008-10-17",
                (),
                'add "Version": "2012-10-17"',
            )
        elif version not in VERSIONS:
            yield self.err(
                "P004",
                f"Version must be 2012-10-17 or 2008-10-17, not {version!r}",
                ("Version",),
                "Version is a fixed date naming the policy language, not your policy's version",
            )
        if "Id" in data and not isinstance(data["Id"], str):
            yield self.err("P013", "Id must be a string", ("Id",))
        if version != "2012-10-17":
            yield from self.variables(data, ())
        yield from self.statements(data)

    def characters(self, value: Any, path: KeyPath) -> Iterator[Diagnostic]:
        if isinstance(value, dict):
            for k, v in value.items():
                if m := _BAD_CHAR.search(k):
                    yield self.err(
                        "P018",
                        f"key contains {_describe(m.group())}, which IAM refuses",
                        (*path, k),
                        key=True,
                    )
                yield from self.characters(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from self.characters(v, (*path, i))
        elif isinstance(value, str) and (m := _BAD_CHAR.search(value)):
            yield self.err(
                "P018",
                f"text contains {_describe(m.group())}, which IAM refuses",
                path,
                "IAM accepts only TAB, LF, CR and U+0020..U+00FF in policy documents",
            )

    def variables(self, value: Any, path: KeyPath) -> Iterator[Diagnostic]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from self.variables(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from self.variables(v, (*path, i))
        elif isinstance(value, str) and "${" in value:
            yield self.err(
                "P019",
                "policy variables such as ${aws:username} need Version 2012-10-17; here they are plain text",
                path,
                'set "Version": "2012-10-17"',
            )

    def statements(self, data: dict[str, Any]) -> Iterator[Diagnostic]:
        if "Statement" not in data:
            yield self.err("P005", "the document has no Statement", ())
            return
        raw = data["Statement"]
        if isinstance(raw, dict):
            items: list[tuple[Any, KeyPath]] = [(raw, ("Statement",))]
        elif isinstance(raw, list) and raw:
            items = [(s, ("Statement", i)) for i, s in enumerate(raw)]
        else:
            what = "an empty list" if raw == [] else type(raw).__name__
            yield self.err(
                "P005",
                f"Statement must be an object or a non-empty list of objects, not {what}",
                ("Statement",),
            )
            return
        sids: dict[str, KeyPath] = {}
        for stmt, path in items:
            if not isinstance(stmt, dict):
                yield self.err("P006", f"a statement must be a JSON object, not {type(stmt).__name__}", path)
                continue
            yield from self.statement(stmt, path, sids)

    # ------------------------------------------------------------------ statement
    def statement(
        self, stmt: dict[str, Any], path: KeyPath, sids: dict[str, KeyPath]
    ) -> Iterator[Diagnostic]:
        for key in stmt:
            if key not in STATEMENT_KEYS:
                close = did_you_mean(key, STATEMENT_KEYS)
                hint = f"did you mean {close}?" if close else None
                yield self.err("P007", f"unknown statement element {key!r}", (*path, key), hint, key=True)
        yield from self.sid(stmt, path, sids)
        effect = stmt.get("Effect")
        if effect not in ("Allow", "Deny"):
            where = (*path, "Effect") if "Effect" in stmt else path
            text = (
                "the statement has no Effect"
                if "Effect" not in stmt
                else f"Effect must be Allow or Deny, not {effect!r}"
            )
            yield self.err("P008", text, where, "write Effect exactly as Allow or Deny")
        yield from self.principal(stmt, path)
        yield from self.actions(stmt, path)
        yield from self.resources(stmt, path)
        if "Condition" in stmt:
            yield from self.condition(stmt["Condition"], (*path, "Condition"))

    def sid(self, stmt: dict[str, Any], path: KeyPath, sids: dict[str, KeyPath]) -> Iterator[Diagnostic]:
        if "Sid" not in stmt:
            return
        sid = stmt["Sid"]
        where = (*path, "Sid")
        if not isinstance(sid, str):
            yield self.err("P013", "Sid must be a string", where)
            return
        if not _SID.fullmatch(sid):
            yield self.err(
                "P016",
                f"Sid {sid!r} may contain only A-Z, a-z and 0-9",
                where,
                f"for example {re.sub('[^A-Za-z0-9]', '', sid)!r}",
            )
        if sid in sids:
            line = self.doc.locate(sids[sid]).line
            yield self.err("P017", f"Sid {sid!r} is already used in this document (line {line})", where)
        else:
            sids[sid] = where

    def principal(self, stmt: dict[str, Any], path: KeyPath) -> Iterator[Diagnostic]:
        present = [k for k in ("Principal", "NotPrincipal") if k in stmt]
        if self.kind != "trust":
            what = "permissions boundary" if self.kind == "boundary" else "permission policy"
            for k in present:
                yield self.err(
                    "P011",
                    f"{k} is not allowed in a {what}",
                    (*path, k),
                    "an identity policy applies to the role it is attached to; remove the element",
                    key=True,
                )
            return
        if "Principal" not in stmt:
            yield self.err("P012", "a trust policy statement needs a Principal", path)
        for k in present:
            yield from self.principal_value(stmt[k], (*path, k), k)

    def principal_value(self, value: Any, path: KeyPath, element: str) -> Iterator[Diagnostic]:
        if value == "*":
            return
        if not isinstance(value, dict) or not value:
            yield self.err("P022", f'{element} must be "*" or an object such as {{"AWS": [...]}}', path)
            return
        for kind, ids in value.items():
            if kind not in PRINCIPAL_KINDS:
                close = did_you_mean(kind, PRINCIPAL_KINDS)
                yield self.err(
                    "P022",
                    f"unknown principal type {kind!r}",
                    (*path, kind),
                    f"did you mean {close}?" if close else f"allowed: {', '.join(PRINCIPAL_KINDS)}",
                    key=True,
                )
                continue
            for item in self.strings(ids, (*path, kind), f"{element}.{kind}"):
                if isinstance(item, Diagnostic):
                    yield item

    def actions(self, stmt: dict[str, Any], path: KeyPath) -> Iterator[Diagnostic]:
        present = [k for k in ("Action", "NotAction") if k in stmt]
        if len(present) != 1:
            text = (
                "the statement has neither Action nor NotAction"
                if not present
                else "Action and NotAction together"
            )
            yield self.err(
                "P009", text, path if not present else (*path, "NotAction"), "use exactly one of them"
            )
        for element in present:
            for item in self.strings(stmt[element], (*path, element), element):
                if isinstance(item, Diagnostic):
                    yield item
                else:
                    yield from self.action(*item)

    def action(self, action: str, path: KeyPath) -> Iterator[Diagnostic]:
        if action == "*":
            return
        try:
            problem = self.problems[action]
        except KeyError:
            problem = self.problems[action] = self.action_problem(action)
        if problem is not None:
            code, text, hint = problem
            yield self.err(code, text, path, hint)

    def action_problem(self, action: str) -> tuple[str, str, str] | None:
        if not _ACTION.fullmatch(action):
            return (
                "A004",
                f"action {action!r} is not written service:Action",
                "for example s3:GetObject or s3:Get*",
            )
        db = self.db
        if db is None or action.lower() in self.known_lower:
            return None
        prefix = action.split(":", 1)[0]
        known_prefix = db.is_known_service(prefix) or prefix.lower() in self.known_prefixes
        if not has_wildcard(prefix) and not known_prefix:
            suggestion = db.suggest(action)
            close = suggestion.split(":", 1)[0] if suggestion else None
            text = f"unknown service prefix {prefix}" + (f"; did you mean {close}?" if close else "")
            return "A002", text, _known_hint(action)
        if has_wildcard(action):
            if not db.expand(action):
                return "A003", f"action pattern {action} matches no known action", _known_hint(action)
            return None
        if db.canonical(action) is None:
            suggestion = db.suggest(action)
            text = f"unknown action {action}" + (f"; did you mean {suggestion}?" if suggestion else "")
            return "A001", text, _known_hint(action)
        return None

    def resources(self, stmt: dict[str, Any], path: KeyPath) -> Iterator[Diagnostic]:
        present = [k for k in ("Resource", "NotResource") if k in stmt]
        if self.kind == "trust":
            for k in present:
                yield self.err(
                    "P010",
                    f"a trust policy has no {k}: the role itself is the resource",
                    (*path, k),
                    key=True,
                )
            return
        if len(present) != 1:
            text = (
                "the statement has neither Resource nor NotResource"
                if not present
                else "Resource and NotResource together"
            )
            yield self.err(
                "P010", text, path if not present else (*path, "NotResource"), "use exactly one of them"
            )
        for element in present:
            for item in self.strings(stmt[element], (*path, element), element):
                if isinstance(item, Diagnostic):
                    yield item
                    continue
                value, where = item
                if value != "*" and not value.startswith("arn:"):
                    yield self.err(
                        "P020",
                        f"{element} {value!r} is neither an ARN nor *",
                        where,
                        "write a full ARN such as arn:aws:s3:::my-bucket/*",
                    )

    def condition(self, block: Any, path: KeyPath) -> Iterator[Diagnostic]:
        if not isinstance(block, dict) or not block:
            yield self.err(
                "P014", 'Condition must be an object such as {"StringEquals": {"key": "value"}}', path
            )
            return
        for operator, tests in block.items():
            where = (*path, operator)
            problem = condition_operator_problem(operator)
            if problem == "unknown":
                fixed = _fix_case(operator)
                if fixed is not None:
                    yield self.warn(
                        "P021", f"write the condition operator {operator!r} as {fixed}", where, key=True
                    )
                else:
                    close = did_you_mean(operator, _all_operator_spellings())
                    hint = f"did you mean {close}?" if close else None
                    yield self.err("P015", f"unknown condition operator {operator!r}", where, hint, key=True)
            elif problem is not None:
                yield self.err("P015", f"invalid condition operator {operator!r}: {problem}", where, key=True)
            if not isinstance(tests, dict) or not tests:
                yield self.err("P014", f"{operator} must map condition keys to values", where)
                continue
            for key, values in tests.items():
                items = values if isinstance(values, list) else [values]
                if not items or not all(isinstance(v, str | int | float | bool) for v in items):
                    yield self.err(
                        "P014",
                        f"the value of {key} must be a string, number, boolean or a list of them",
                        (*where, key),
                    )


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" ({ch!r})" if ch.isprintable() else "")


def _known_hint(action: str) -> str:
    return (
        f"if AWS added it after the action database was built, add {action} to known_actions: in catalog.yaml"
    )


def _fix_case(operator: str) -> str | None:
    """The correctly-cased operator when ``operator`` differs from one only in case."""
    low = operator.lower()
    prefix = next((p for p in SET_PREFIXES if low.startswith(p.lower())), "")
    low = low[len(prefix) :]
    suffix = IF_EXISTS if low.endswith(IF_EXISTS.lower()) and low != IF_EXISTS.lower() else ""
    base = _OPERATORS_LOWER.get(low[: len(low) - len(suffix)])
    if base is None:
        return None
    fixed = f"{prefix}{base}{suffix}"
    return fixed if condition_operator_problem(fixed) is None else None


def _all_operator_spellings() -> list[str]:
    out = []
    for base in BASE_OPERATORS:
        out.append(base)
        if base != "Null":
            out.append(base + IF_EXISTS)
    return out
