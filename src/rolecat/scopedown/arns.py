"""Resources: which ARNs a record names for an action, and how they generalise.

A record names resources in ``resources[]`` (``ARN``, or ``ARNPrefix`` for S3 listings)
and in ``requestParameters``: any top-level ``arn:`` string, plus the few names that
identify a resource without an ARN (S3 ``bucketName``/``key``, Lambda ``functionName``
(a name or partial ARN, ``function_arn``),
Secrets Manager ``secretId`` (a name or an ARN without its random suffix, ``secret_arn``), DynamoDB ``tableName``, SQS ``queueUrl``).  A candidate counts for an action only when it
matches one of that action's resource-type ARN formats from the action database, so an
ARN that is a parameter rather than the target (``iam:AttachRolePolicy``'s ``policyArn``)
never narrows the action onto the wrong resource.  One record of an action that names no
usable ARN makes that action's resource ``*``: a narrower suggestion would break the call.

``PatternSet`` keeps the ARNs of one action in bounded memory: exact ARNs while there are
at most ``EXACT_LIMIT`` per resource group, then one prefix pattern per group.

An ARN from a record goes into a policy, and record values are anybody's (an S3 key may
hold any character): ``policy_safe`` cuts an ARN at the first character a policy cannot
hold as written (a control character, one IAM refuses, or ``${``, which IAM would read as
a policy variable) and ends it with ``*``, a wildcard that covers the ARN as named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from rolecat.deploy.arns import partition_of
from rolecat.iam.globs import compile_glob, covers

EXACT_LIMIT = 5  # distinct ARNs per group listed as they are
MAX_GROUPS = 32  # groups per action before grouping coarsens
_CUT = "/:-_."
# What a suggested ARN may hold as written: printable ASCII and Latin-1, no ``${``.
_NOT_AS_WRITTEN = re.compile(r"[^\x20-\x7e\xa0-\xff]|\$\{")


def policy_safe(arn: str) -> str:
    """``arn``, or, if it holds a character a policy cannot hold as written, its part before
    that character followed by ``*``."""
    if arn.isascii() and arn.isprintable() and "${" not in arn:  # ASCII printable is \x20-\x7e
        return arn
    m = _NOT_AS_WRITTEN.search(arn)
    return arn if m is None else arn[: m.start()] + "*"


class ResourceTypeLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def arn_patterns(self) -> tuple[str, ...]: ...


def _split(arn: str) -> list[str] | None:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def record_candidates(record: Mapping[str, Any], *, s3_only: bool = False) -> list[str]:
    """ARNs (or ``prefix*`` patterns) a record names, in no particular order.

    ``s3_only``: leave out the Lambda, DynamoDB and SQS ARNs built from names, which never
    are S3 ARNs (the scan asks so for the S3 actions).
    """
    out: list[str] = []
    res = record.get("resources")
    if isinstance(res, list):
        for item in res:
            if isinstance(item, dict):
                arn = item.get("ARN")
                if isinstance(arn, str):
                    out.append(arn)
                prefix = item.get("ARNPrefix")
                if isinstance(prefix, str):
                    out.append(prefix + "*")
    params = record.get("requestParameters")
    if not isinstance(params, dict):
        return out
    region = record.get("awsRegion") or "*"
    partition = partition_of(region)  # the record's region: aws, aws-us-gov or aws-cn
    account = record.get("recipientAccountId") or "*"
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("arn:"):
            if key == "secretId":
                out.append(secret_arn(value))
            elif key == "functionName":
                arn = full_function_arn(value, partition, region, account)
                if arn is not None:  # the function's ARN, then the Qualifier parameter's
                    qualifier = function_qualifier(params.get("qualifier"))
                    out.append(f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn)
            else:
                out.append(value)
    bucket = params.get("bucketName")
    if isinstance(bucket, str) and bucket:
        out.append(f"arn:{partition}:s3:::{bucket}")
        key = params.get("key")
        if isinstance(key, str) and key:
            out.append(f"arn:{partition}:s3:::{bucket}/{key}")
    if s3_only:
        return out
    function = params.get("functionName")
    if isinstance(function, str) and function and not function.startswith("arn:"):
        arn = function_arn(function, partition, region, account)
        if arn is not None:
            qualifier = function_qualifier(params.get("qualifier"))
            out.append(f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn)
    secret = params.get("secretId")
    if isinstance(secret, str) and secret and not secret.startswith("arn:"):
        out.append(f"arn:{partition}:secretsmanager:{region}:{account}:secret:{secret}{SECRET_SUFFIX}")
    table = params.get("tableName")
    if isinstance(table, str) and table and not table.startswith("arn:"):
        out.append(f"arn:{partition}:dynamodb:{region}:{account}:table/{table}")
    queue = params.get("queueUrl")
    if isinstance(queue, str) and queue.count("/") >= 4:
        # https://sqs.<region>.amazonaws.com/<account>/<name>, or another endpoint's host
        _, _, host, q_account, name = queue.split("/", 4)
        out.append(f"arn:{partition}:sqs:{queue_region(host, region)}:{q_account}:{name}")
    index = params.get("indexName")
    return out if index is None else on_index(out, index)


# Lambda's FunctionName without its ``arn:...:lambda:`` head, as the Lambda API reference gives
# its pattern: an optional region, an optional account, an optional ``function:``, the name,
# an optional qualifier (a version or an alias).
_FUNCTION_NAME = re.compile(
    r"(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-[0-9]):)?(?:(?P<account>[0-9]{12}):)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_.-]+)(?P<qualifier>:(?:\$LATEST|[a-zA-Z0-9_-]+))?"
)


_QUALIFIER = re.compile(r"\$LATEST|[a-zA-Z0-9_-]{1,128}")


def function_qualifier(value: object) -> str | None:
    """A Lambda call's ``Qualifier`` parameter (a version or an alias), when it is one.

    The API takes it beside ``FunctionName`` as well as appended to it (Invoke, GetFunction,
    GetPolicy...: "Specify a version or alias"), and the call is on the version's or
    alias's ARN either way, as for ``my-function:PROD`` (``function_arn``).  A value Lambda
    would refuse is no qualifier: the call failed, and its ARN stays the function's."""
    return value if isinstance(value, str) and _QUALIFIER.fullmatch(value) else None


def function_arn(function: str, partition: str, region: str, account: str) -> str | None:
    """The ARN of the function a Lambda ``functionName`` that is not a full ARN names.

    "Name formats" (Lambda API reference, e.g. Invoke): a name (``my-function``), a partial
    ARN (``123456789012:function:my-function``), and "You can append a version number or
    alias to any of the formats".  A region or account the value names is the ARN's, else
    the record's.  A qualifier stays on the ARN (``function:my-function:PROD``): IAM
    authorises a qualified call on the qualified ARN (Lambda Developer Guide, "Fine-tuning
    the Resources and Conditions sections of policies": functions are restricted "by
    function, version, or alias ARN").  None for a value of no such form (Lambda refuses
    it): no ARN rather than a wrong one.  The partial ARN was taken for a name, and the ARN
    became ``function:123456789012:function:my-function``, a function that does not exist."""
    m = _FUNCTION_NAME.fullmatch(function)
    if m is None:
        return None
    region = m["region"] or region
    account = m["account"] or account
    return f"arn:{partition}:lambda:{region}:{account}:function:{m['name']}{m['qualifier'] or ''}"


# The head of a Lambda FunctionName that is a full ARN, as the API's pattern gives it:
# ``(arn:(aws[a-zA-Z-]*)?:lambda:)?`` before the parts ``_FUNCTION_NAME`` reads.
_FUNCTION_ARN_HEAD = re.compile(r"arn:(aws[a-zA-Z-]*)?:lambda:")


def full_function_arn(value: str, partition: str, region: str, account: str) -> str | None:
    """The ARN of the function a ``functionName`` starting ``arn:`` names, read by Lambda's
    FunctionName pattern as a whole (Lambda API reference, Invoke: "Pattern:
    (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?
    ([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"); its ``\\d`` are ASCII digits, as
    in the Java patterns AWS writes (an account ID "requires exactly 12 digits": Organizations
    API reference, DescribeAccount; "[0-9]{12}": Well-Architected Tool API reference,
    AwsAccountId), never Python's ``\\d``, which also takes
    other scripts' digits (``٠١٢٣٤٥٦٧٨٩٠١``).  None for a value Lambda refuses: such a call
    named no function.  It was taken as written, so an ARN whose account or name held other
    digits or letters became the resource, cut short by ``policy_safe``."""
    head = _FUNCTION_ARN_HEAD.match(value)
    if head is None:
        return None
    return function_arn(value[head.end() :], head[1] or partition, region, account)


# Secrets Manager ends a secret's ARN with "-" and six random characters; a policy names a
# secret by its name with "-??????" (Secrets Manager User Guide, Permissions policy examples:
# "Using '??????' as a wildcard to match the 6 random characters assigned by Secrets Manager
# avoids a problem that occurs if you use the '*' wildcard instead").
SECRET_SUFFIX = "-??????"
_SECRET_ARN = re.compile(r"(arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:)(.+)", re.DOTALL)
_RANDOM_SUFFIX = re.compile(r".*-[A-Za-z0-9]{6}", re.DOTALL)


def secret_arn(arn: str) -> str:
    """The secret a Secrets Manager ``secretId`` ARN names: ``-??????`` added to a partial ARN,
    one without the random suffix, which the API takes (its ``SecretId``: "You can specify a
    partial ARN too ... if you don't include the final hyphen and six random characters")
    and the secret's own ARN never equals.  An ARN ending in "-" and six letters or digits is
    kept exact: Secrets Manager reads it as a complete ARN ("if your secret has a name that
    ends in a hyphen followed by six characters ... those characters cause Secrets Manager
    to assume that you're specifying a complete ARN", same page), so a call that got through
    with it named that ARN.  A name (``secretId`` without ``arn:``) is always a name: the
    secret's ARN is the name with its own suffix added, ``-??????`` (a name that ends in "-"
    and six characters too gets one more)."""
    m = _SECRET_ARN.fullmatch(arn)
    if m is None or _RANDOM_SUFFIX.fullmatch(m[2]):
        return arn
    return arn + SECRET_SUFFIX


def on_index(candidates: list[str], index: Any) -> list[str]:
    """The candidates of a DynamoDB call that names an ``indexName`` (a Query or Scan of a
    secondary index): each table ARN becomes the index's, ``table/T/index/I``.  IAM
    authorises such a call on the index ARN, which the table's does not cover; the record's
    ``resources[]`` and ``tableName`` only name the table."""
    if not isinstance(index, str) or not index:
        return candidates
    out = []
    for arn in candidates:
        head, sep, table = arn.partition(":table/")
        on_table = sep and ":dynamodb:" in head and table and "/" not in table
        out.append(f"{arn}/index/{index}" if on_table else arn)
    return out


# A region name as a label of an endpoint's host: us-east-1, eu-central-2, us-gov-west-1, cn-north-1.
# Its digits are 0-9 (Python's \d would take other scripts' digits: "us-east-١" is no region).
_REGION_LABEL = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")


def queue_region(host: str, region: str) -> str:
    """The region of an SQS queue URL's host: its label that is a region name, wherever it
    stands (``sqs.<region>.amazonaws.com``, the legacy ``<region>.queue.amazonaws.com``, a
    VPC endpoint's ``vpce-....sqs.<region>.vpce.amazonaws.com``, FIPS ``sqs-fips.<region>...``);
    else the record's region, the endpoint that took the call (the legacy us-east-1 host
    ``queue.amazonaws.com`` names none).  The second label is not always the region: it was
    taken for one, and ``queue``, ``amazonaws`` or ``sqs`` became the ARN's region."""
    for label in host.split("."):
        if _REGION_LABEL.fullmatch(label):
            return label
    return region


# A percent sign that does not start an escape: S3 refuses such a copy source ("Invalid copy
# source encoding").
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What a bucket name may hold (the general purpose rules, the legacy us-east-1 names'
# capitals and underscores too): a decoded copy source whose first segment holds anything
# else (an access point ARN's colons, a decoded "*") names no bucket.
_BUCKET = re.compile(r"[A-Za-z0-9._-]+")


def decode_copy_source(path: str) -> str:
    """The ``bucket/key`` of an ``x-amz-copy-source`` path (its ``?versionId=`` removed),
    decoded as S3 decodes it.

    AWS: "The value must be URL-encoded" (S3 API reference: CopyObject, UploadPartCopy), and
    S3 reads a ``+`` in it as a space: a key's own ``+`` must be sent as ``%2B`` (a raw one
    gives NoSuchKey; aws/aws-cli#614).  ``%XX`` escapes are the key's UTF-8 bytes; a key may
    hold any character, so a decoded ``/``, ``..`` or ``?`` is part of the key, never
    interpreted.  What does not decode (a ``%`` starting no escape, which S3 refuses; bytes that
    are not UTF-8) ends the result, followed by ``*``: a wildcard that covers the object named,
    never a wrong name.
    """
    bad = _BAD_ESCAPE.search(path)
    raw = unquote_to_bytes((path if bad is None else path[: bad.start()]).replace("+", " "))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw[: exc.start].decode("utf-8") + "*"
    return text if bad is None else text + "*"


def copy_source_arn(record: Mapping[str, Any]) -> str | None:
    """The object an S3 CopyObject/UploadPartCopy reads (``x-amz-copy-source: bucket/key``).

    The header is URL-encoded, may start with ``/`` and end with ``?versionId=...`` (a ``?``
    of the key itself is sent encoded, so the first raw ``?`` starts the query).  A source
    named by an access point or Outposts ARN
    (``arn:aws:s3:<region>:<account>:accesspoint/<name>/object/<key>``) is not read: it does
    not name the bucket, and the object's ARN through the access point is not of the
    ``object`` format the S3 filter keeps, so the action's resource becomes ``*``, as for
    any record without a usable ARN.  None when there is no usable source.
    """
    params = record.get("requestParameters")
    source = params.get("x-amz-copy-source") if isinstance(params, dict) else None
    if not isinstance(source, str):
        return None
    path = decode_copy_source(source.partition("?")[0]).lstrip("/")
    if path.startswith("arn:"):
        return None
    bucket, slash, key = path.partition("/")
    if not (slash and key and _BUCKET.fullmatch(bucket)):
        return None
    partition = partition_of(str(record.get("awsRegion") or ""))
    return f"arn:{partition}:s3:::{bucket}/{key}"


@dataclass
class ResourceFilter:
    """Which candidate ARNs can be the resource of one action."""

    action: str
    scopeable: bool  # False: the action only takes "*" (or its resource types are unknown)
    s3_kind: str | None = None  # "bucket" / "object" for S3, whose formats overlap
    patterns: tuple[str, ...] = ()

    def applies(self, arn: str) -> bool:
        if self.s3_kind is not None:
            # arn:<partition>:s3:::<bucket>[/<key>]
            head, sep, resource = arn.partition(":s3:::")
            if not sep or not head.startswith("arn:") or ":" in head[4:]:
                return False
            if self.s3_kind == "object":
                return "/" in resource
            return "/" not in resource and not resource.endswith("*")
        probe = arn.rstrip("*")
        return any(glob.fullmatch(probe) or glob.fullmatch(arn) for glob in self._globs)

    def __post_init__(self) -> None:
        self._globs = tuple(compile_glob(p) for p in self.patterns)


def resource_filter(action: str, types: tuple[ResourceTypeLike, ...] | None) -> ResourceFilter:
    if not types:
        return ResourceFilter(action, scopeable=False)
    if action.startswith("s3:"):
        names = {t.name for t in types}
        if "object" in names:
            return ResourceFilter(action, True, s3_kind="object")
        if "bucket" in names:
            return ResourceFilter(action, True, s3_kind="bucket")
        return ResourceFilter(action, scopeable=False)
    patterns = tuple(p for t in types for p in t.arn_patterns)
    return ResourceFilter(action, bool(patterns), patterns=patterns)


@dataclass
class _Group:
    exact: set[str] = field(default_factory=set)
    prefix: str | None = None  # set once the group overflows: common prefix of resources
    regions: set[str] = field(default_factory=set)


def _type_key(service: str, resource: str) -> str:
    if service == "s3":
        slash = resource.find("/")
        return resource[: slash + 1] if slash >= 0 else ""
    cut = [i for i in (resource.find("/"), resource.find(":")) if i >= 0]
    return resource[: min(cut) + 1] if cut else ""


def _common_prefix(a: str, b: str) -> str:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return a[:i]


ADDED_LIMIT = 4096  # ARNs a PatternSet remembers having added (then it forgets them all)


class PatternSet:
    """The resources one action was used on, generalised on the fly, bounded in size.

    Adding an ARN a second time changes nothing, whatever came in between: its group (or,
    after coarsening, the group its pattern went to) already holds it, exactly or under its
    prefix and region.  So the ARNs added are remembered (up to ``ADDED_LIMIT`` of them,
    a log names the same bucket, table or object again and again) and skipped."""

    def __init__(self, exact_limit: int = EXACT_LIMIT) -> None:
        self.exact_limit = exact_limit
        self._groups: dict[tuple[str, ...], _Group] = {}
        self._coarse = False
        self.wide = False  # collapsed to "*": too many accounts/services to list
        self._added: set[str] = set()

    def add(self, arn: str) -> None:
        added = self._added
        if arn in added:
            return
        if len(added) >= ADDED_LIMIT:
            added.clear()
        added.add(arn)
        self._add(arn)

    def _add(self, arn: str) -> None:
        if self.wide:
            return
        parts = _split(arn)
        if parts is None:
            key: tuple[str, ...] = ("", arn)
            region = ""
        else:
            _, partition, service, region, account, resource = parts
            tkey = "" if self._coarse else _type_key(service, resource.rstrip("*"))
            key = (partition, service, account, tkey)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= MAX_GROUPS:
                self._coarsen()
                self._add(arn)
                return
            group = self._groups[key] = _Group()
            if self._coarse and parts is not None:
                group.exact.add(arn)
                group.prefix = parts[5].rstrip("*")
        if group.prefix is None:
            group.exact.add(arn)
            if len(group.exact) > self.exact_limit:
                self._overflow(group)
        elif parts is not None:
            resource = parts[5].rstrip("*")
            if not resource.startswith(group.prefix):
                group.prefix = _common_prefix(group.prefix, resource)
            group.regions.add(region)

    def _overflow(self, group: _Group) -> None:
        resources: list[str] = []
        for arn in group.exact:
            parts = _split(arn)
            if parts is not None:
                resources.append(parts[5].rstrip("*"))
                group.regions.add(parts[3])
        if not resources:  # opaque strings: keep them, they are rare
            return
        prefix = resources[0]
        for r in resources[1:]:
            prefix = _common_prefix(prefix, r)
        group.prefix = prefix
        group.exact = {next(iter(group.exact))}  # remembers partition/service/account

    def _coarsen(self) -> None:
        old = [arn for g in self._groups.values() for arn in self._patterns_of_group(g)]
        self._groups.clear()
        if self._coarse:
            self.wide = True
            return
        self._coarse = True
        for arn in old:
            self._add(arn)

    @staticmethod
    def _patterns_of_group(group: _Group) -> list[str]:
        if group.prefix is None:
            return sorted(group.exact)
        parts = _split(next(iter(group.exact)))
        assert parts is not None
        _, partition, service, _, account, _ = parts
        regions = group.regions
        region = next(iter(regions)) if len(regions) == 1 else "*"
        prefix = group.prefix
        cut = max(prefix.rfind(c) for c in _CUT)
        prefix = prefix[: cut + 1] if cut >= 0 else ""
        return [f"arn:{partition}:{service}:{region}:{account}:{prefix}*"]

    def patterns(self) -> list[str]:
        """Sorted patterns, with any pattern another one covers left out."""
        if self.wide:
            return ["*"]
        found = sorted({p for g in self._groups.values() for p in self._patterns_of_group(g)})
        return [p for p in found if not any(o != p and covers(o, p) for o in found)]


def _s3_object(arn: str) -> tuple[str, str, str] | None:
    """``(partition, bucket, key or key prefix)`` of an S3 object ARN or object pattern."""
    parts = _split(arn)
    if parts is None or parts[2] != "s3" or parts[3] or parts[4]:
        return None
    bucket, slash, key = parts[5].partition("/")
    if not slash or not bucket or "*" in bucket:
        return None
    return parts[1], bucket, key


def object_prefixes(patterns: list[str]) -> list[str]:
    """S3 object ARNs generalised to the narrowest folder wildcard covering them.

    Per bucket, the keys' common prefix is cut back to its last ``/``:
    ``bucket/reports/2026/10/a.csv`` alone becomes ``bucket/reports/2026/10/*``, with
    ``bucket/reports/2026/11/b.csv`` ``bucket/reports/2026/*``, and ``bucket/ring.txt``
    ``bucket/*``.  A pattern that already ends in ``*`` counts by its prefix.  Every other
    ARN (buckets, tables, functions, ...) is returned as it is: only object keys name
    things that come and go.
    """
    if patterns == ["*"]:
        return patterns
    keys: dict[tuple[str, str], str] = {}
    out: list[str] = []
    for arn in patterns:
        obj = _s3_object(arn)
        if obj is None:
            out.append(arn)
            continue
        partition, bucket, key = obj
        key = key.rstrip("*")
        group = (partition, bucket)
        keys[group] = _common_prefix(keys[group], key) if group in keys else key
    for (partition, bucket), prefix in keys.items():
        folder = prefix[: prefix.rfind("/") + 1]
        out.append(f"arn:{partition}:s3:::{bucket}/{folder}*")
    found = sorted(set(out))
    return [p for p in found if not any(o != p and covers(o, p) for o in found)]
