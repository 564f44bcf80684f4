"""A trail's event selectors, as ``aws cloudtrail get-event-selectors --trail-name NAME``
prints them: which calls the trail logs, so that scopedown judges a grant only when the
trail would have logged every call it allows.

The file holds ``EventSelectors`` (basic) or ``AdvancedEventSelectors`` (CloudTrail API
reference: GetEventSelectors, EventSelector, DataResource, AdvancedEventSelector,
AdvancedFieldSelector).  Basic selectors are read as the advanced selectors they stand for
(``_basic``); an event is logged when it matches one selector, and matches a selector when it
meets every field selector of it (an ``Equals``, ``StartsWith`` or ``EndsWith`` value among
several: "CloudTrail adds an OR between values"; a ``Not...`` value: none of them).  Values
are literal: "Selectors don't support the use of wildcards like *".

Nothing is guessed: a key, a field, an operator or a basic resource type this module does
not know makes the file unreadable (``SelectorError``), never a selector ignored.  A field it
knows but cannot evaluate for the calls of a role (``eventName``, whose values for an IAM
action rolecat does not list; ``sessionCredentialFromConsole``, ``errorCode``,
``vpcEndpointId``) makes the selector say nothing *certain*, so the grants it may log are
kept, not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from rolecat.iam.globs import covers, has_wildcard, overlaps, resolve_variables

OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
# The fields of the CloudTrail API reference (AdvancedFieldSelector, Field): those a role's
# calls can be evaluated on, and those they cannot (a selector with one is never certain).
EVALUATED_FIELDS = frozenset(
    {
        "eventCategory",
        "readOnly",
        "eventSource",
        "eventType",
        "resources.type",
        "resources.ARN",
        "userIdentity.arn",
    }
)
UNEVALUATED_FIELDS = frozenset({"eventName", "sessionCredentialFromConsole", "errorCode", "vpcEndpointId"})
READ_WRITE_TYPES = {"ReadOnly": "true", "WriteOnly": "false", "All": None}
# The resource types of basic selectors' DataResources (CloudTrail API reference: DataResource)
S3_OBJECT, LAMBDA_FUNCTION, DYNAMODB_TABLE = (
    "AWS::S3::Object",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
)
BASIC_TYPES = (S3_OBJECT, LAMBDA_FUNCTION, DYNAMODB_TABLE)


class SelectorError(Exception):
    """A selectors file that cannot be read fully; the message says what is not understood,
    ``line`` and ``col`` (1-based, 0 unknown) where, and ``hint``, when the JSON itself is broken."""

    def __init__(self, message: str, line: int = 0, col: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.hint = hint


SELECTORS_ARE = "give the output of aws cloudtrail get-event-selectors --trail-name NAME"


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Selector:
    name: str  # where it is in the file, for notes
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Calls:
    """Every call of one IAM action by the role (on the resources of one grant): to judge the
    grant, the trail must log each of them."""

    category: str  # "Management" or "Data"
    read_only: frozenset[bool]  # the readOnly values CloudTrail may give them
    sources: frozenset[str]  # their possible eventSource values
    principal: str  # the role's session ARNs, as a pattern
    resource_type: str | None = None  # data events: resources.type
    resource: str | None = None  # data events: the grant's resource pattern


@dataclass(frozen=True)
class EventSelectors:
    source: str  # the file read, for notes
    selectors: tuple[Selector, ...]

    def logs(self, calls: Calls) -> bool:
        """Whether the trail certainly logs every one of ``calls``."""
        return all(
            any(_certain(sel, calls, read_only, source) for sel in self.selectors)
            for read_only in calls.read_only
            for source in calls.sources
        )


def _certain(sel: Selector, calls: Calls, read_only: bool, source: str) -> bool:
    for cond in sel.conditions:
        value = _value(cond.field, calls, read_only, source)
        if value is None or not _holds(cond, value):
            return False
    return True


def _value(field: str, calls: Calls, read_only: bool, source: str) -> str | None:
    """The field's value in the calls' records, as a pattern; None if rolecat cannot say."""
    if field == "eventCategory":
        return calls.category
    if field == "readOnly":
        return "true" if read_only else "false"
    if field == "eventSource":
        return source
    if field == "eventType":
        return "AwsApiCall"
    if field == "userIdentity.arn":
        return calls.principal
    if field == "resources.type":
        return calls.resource_type
    if field == "resources.ARN":
        return None if calls.resource is None else resolve_variables(calls.resource)
    return None  # UNEVALUATED_FIELDS


def _holds(cond: Condition, pattern: str) -> bool:
    """Whether every string ``pattern`` matches meets the condition.  A selector value is
    literal: a ``*`` or ``?`` in it is no wildcard, so a positive value holding one certifies
    nothing (read as a wildcard it would cover more than it does), and a negative one is read
    as a wildcard (it then excludes more: a doubt keeps the grant)."""
    values, op = cond.values, cond.operator
    if op == "Equals":
        return not has_wildcard(pattern) and pattern in values
    if op == "StartsWith":
        return any(not has_wildcard(v) and covers(v + "*", pattern) for v in values)
    if op == "EndsWith":
        return any(not has_wildcard(v) and covers("*" + v, pattern) for v in values)
    if op == "NotEquals":
        return not any(overlaps(pattern, v) for v in values)
    if op == "NotStartsWith":
        return not any(overlaps(pattern, v + "*") for v in values)
    return not any(overlaps(pattern, "*" + v) for v in values)  # NotEndsWith


# ---------------------------------------------------------------------- reading
def read_selectors(path: Path) -> EventSelectors:
    """The selectors of a ``get-event-selectors`` output file; ``SelectorError`` for anything
    it cannot read fully, ``OSError`` if the file cannot be read."""
    raw = path.read_bytes()
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _not_json(raw, exc) from None
    return parse_selectors(doc, str(path))


def _not_json(raw: bytes, exc: orjson.JSONDecodeError) -> SelectorError:
    """The error of a file orjson refuses, in the words of the catalog's JSON errors."""
    from rolecat.load.source import decode_text, json_syntax

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # said as the catalog's L001: its words and place
        _, [bad] = decode_text(raw, "")
        assert bad.location is not None
        return SelectorError(bad.message, bad.location.line, bad.location.col)

    syntax = json_syntax(text)
    if syntax is None:  # what orjson alone refuses (a lone surrogate, a number beyond a double)
        return SelectorError(f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno, SELECTORS_ARE)
    return SelectorError(syntax.message, syntax.line, syntax.col, syntax.hint or SELECTORS_ARE)


def parse_selectors(doc: Any, source: str) -> EventSelectors:
    where = "the file"
    _keys(doc, where, required=(), optional=("TrailARN", "EventSelectors", "AdvancedEventSelectors"))
    basic, advanced = doc.get("EventSelectors"), doc.get("AdvancedEventSelectors")
    if basic is None and advanced is None:
        raise SelectorError(f"no EventSelectors or AdvancedEventSelectors: {SELECTORS_ARE}")
    selectors: list[Selector] = []
    for i, sel in enumerate(_list(basic, "EventSelectors")):
        selectors += _basic(sel, f"EventSelectors[{i}]")
    for i, sel in enumerate(_list(advanced, "AdvancedEventSelectors")):
        selectors.append(_advanced(sel, f"AdvancedEventSelectors[{i}]"))
    if basic and advanced:  # "You cannot apply both event selectors and advanced event selectors"
        raise SelectorError("both EventSelectors and AdvancedEventSelectors: a trail has one or the other")
    return EventSelectors(source, tuple(selectors))


def _keys(doc: Any, where: str, *, required: Iterable[str], optional: Iterable[str]) -> None:
    if not isinstance(doc, dict):
        raise SelectorError(f"{where} is not a JSON object")
    unknown = sorted(set(doc) - set(required) - set(optional))
    if unknown:
        raise SelectorError(f"{where}: unknown key {', '.join(repr(k) for k in unknown)}")
    missing = [k for k in required if k not in doc]
    if missing:
        raise SelectorError(f"{where}: no {', '.join(missing)}")


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SelectorError(f"{where} is not a list")
    return value


def _strings(value: Any, where: str, *, empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SelectorError(f"{where} is not a list of non-empty strings")
    if not value and not empty:
        raise SelectorError(f"{where} is empty")
    return tuple(value)


def _advanced(sel: Any, where: str) -> Selector:
    _keys(sel, where, required=("FieldSelectors",), optional=("Name",))
    conditions: list[Condition] = []
    for j, field_selector in enumerate(_list(sel["FieldSelectors"], f"{where}.FieldSelectors")):
        at = f"{where}.FieldSelectors[{j}]"
        _keys(field_selector, at, required=("Field",), optional=OPERATORS)
        field = field_selector["Field"]
        if field not in EVALUATED_FIELDS | UNEVALUATED_FIELDS:
            raise SelectorError(f"{at}: field {field!r} is not one rolecat knows")
        operators = [op for op in OPERATORS if op in field_selector]
        if not operators:
            raise SelectorError(f"{at}: field {field!r} without an operator")
        for op in operators:
            values = _strings(field_selector[op], f"{at}.{op}", empty=False)
            conditions.append(Condition(field, op, values))
    name = sel.get("Name")
    return Selector(f"{where}" + (f" ({name})" if isinstance(name, str) and name else ""), tuple(conditions))


def _basic(sel: Any, where: str) -> list[Selector]:
    """A basic selector as the advanced selectors it stands for: its management events
    (``IncludeManagementEvents``, default true, less ``ExcludeManagementEventSources``) and
    one per data resource, all of its ``ReadWriteType`` (default All), which "applies to both
    management events and data events" (CloudTrail API reference: GetEventSelectors)."""
    _keys(
        sel,
        where,
        required=(),
        optional=(
            "ReadWriteType",
            "IncludeManagementEvents",
            "DataResources",
            "ExcludeManagementEventSources",
        ),
    )
    read_write = sel.get("ReadWriteType", "All")
    if read_write not in READ_WRITE_TYPES:
        raise SelectorError(f"{where}.ReadWriteType {read_write!r} is not ReadOnly, WriteOnly or All")
    kind = READ_WRITE_TYPES[read_write]
    read_only = (Condition("readOnly", "Equals", (kind,)),) if kind is not None else ()
    include = sel.get("IncludeManagementEvents", True)
    if not isinstance(include, bool):
        raise SelectorError(f"{where}.IncludeManagementEvents is not true or false")
    excluded = _strings(
        sel.get("ExcludeManagementEventSources", []), f"{where}.ExcludeManagementEventSources"
    )
    out = []
    if include:
        exclude = (Condition("eventSource", "NotEquals", excluded),) if excluded else ()
        management = (Condition("eventCategory", "Equals", ("Management",)), *read_only, *exclude)
        out.append(Selector(f"{where} (management events)", management))
    for j, resource in enumerate(_list(sel.get("DataResources"), f"{where}.DataResources")):
        at = f"{where}.DataResources[{j}]"
        _keys(resource, at, required=("Type", "Values"), optional=())
        rtype = resource["Type"]
        if rtype not in BASIC_TYPES:
            raise SelectorError(f"{at}.Type {rtype!r} is not one of {', '.join(BASIC_TYPES)}")
        data = (
            Condition("eventCategory", "Equals", ("Data",)),
            Condition("resources.type", "Equals", (rtype,)),
        )
        for op, values in _resource_values(rtype, _strings(resource["Values"], f"{at}.Values")):
            arn = Condition("resources.ARN", op, values)
            out.append(Selector(f"{at} ({rtype})", (*data, *read_only, arn)))
    return out


def _resource_values(rtype: str, values: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """A basic data resource's Values as ``resources.ARN`` conditions (CloudTrail API
    reference: DataResource).  S3: "the prefix as arn:aws:s3" logs every object, "the bucket
    and an empty object prefix such as arn:aws:s3:::amzn-s3-demo-bucket1/" every object of the
    bucket, "the S3 bucket and object prefix" the objects that match the prefix; a bucket
    named without its ``/`` is read as its objects alone (whether the prefix would also take
    ``bucket-2`` is not said).  Lambda: "arn:aws:lambda" every function, and "Lambda function
    ARNs are exact"; DynamoDB: "arn:aws:dynamodb" every table, and a table ARN is read as exact
    too (AWS documents only the prefix).  No values: no data events."""
    if rtype == S3_OBJECT:
        objects = tuple(_bucket_objects(v) for v in values)
        return [("StartsWith", objects)] if objects else []
    prefixes = tuple(v for v in values if v.count(":") < 5)
    exact = tuple(v for v in values if v.count(":") >= 5)
    return [(op, vs) for op, vs in (("StartsWith", prefixes), ("Equals", exact)) if vs]


def _bucket_objects(value: str) -> str:
    """``arn:aws:s3:::bucket`` (a bucket alone) as the prefix of its objects, ``.../``."""
    _, sep, resource = value.partition(":::")
    return value + "/" if sep and resource and "/" not in resource else value


def session_pattern(role_arn: str) -> str:
    """The ARNs of the role's sessions (``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION``;
    the path is not in them): ``userIdentity.arn`` of its calls."""
    parts = role_arn.split(":", 5)
    name = parts[5].rsplit("/", 1)[-1]
    return f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{name}/*"


def management_kinds(selectors: EventSelectors, principal: str) -> tuple[bool, bool]:
    """Whether the trail logs every read, and every write, management call of the role to a
    service no selector names (``ec2``): for the JSON output."""

    def logged(read_only: bool) -> bool:
        return selectors.logs(
            Calls("Management", frozenset({read_only}), frozenset({"ec2.amazonaws.com"}), principal)
        )

    return logged(True), logged(False)
