"""The scan as it was before it was split in two (``RoleRecords`` in the workers,
``Scanner.merge`` in order): one loop over whole records, kept as the reference the split
scan must equal (``test_scan_fields.py``, ``test_parallel_read.py``); since then only
extended by the actions request headers add (``mapping.S3_HEADER_RULES``, restated here as
``SERIAL_HEADER_RULES``), tested on each record as written, by the errors AWS returns only after authorisation
(``mapping.AUTHORISED_ERRORS``), by times that are not CloudTrail's ``...Z`` form
(``serial_utc_time``), by Lambda's name formats (a partial ARN, a qualifier), restated here
by splitting on ":" (a full ARN too, read by Lambda's pattern), by Secrets Manager's secret
names and partial ARNs, by the count of every principal's management calls by ``readOnly``
(what the trail logs), and by ``arns.policy_safe`` (``serial_policy_safe``)."""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rolecat.deploy.arns import partition_of
from rolecat.iam.globs import compile_glob
from rolecat.report.words import counted
from rolecat.scopedown.actiondb import ActionCatalog
from rolecat.scopedown.arns import (
    ResourceFilter,
    ResourceTypeLike,
    copy_source_arn,
    on_index,
    queue_region,
    resource_filter,
)
from rolecat.scopedown.logs import FileStats, LogError, records_of
from rolecat.scopedown.mapping import S3_VERSIONED, EventMapper, partiql_statement, partiql_statements
from rolecat.scopedown.scan import COPY_EVENTS, ActionUse, FileProblem, Scanner


class SerialScanner(Scanner):
    """``Scanner`` with the old single loop over whole records, file after file, in this process."""

    def __init__(
        self,
        role_arn: str,
        db: ActionCatalog,
        *,
        since: str | None = None,
        until: str | None = None,
        resource_types: Callable[[str], tuple[ResourceTypeLike, ...] | None] | None = None,
    ) -> None:
        super().__init__(role_arn, db, since=since, until=until, resource_types=resource_types)
        self.mapper = EventMapper(db)
        self._resource_types = resource_types or getattr(db, "resource_types", None)
        self._filters: dict[str, ResourceFilter] = {}

    def scan_files(self, paths: Iterable[Path], progress: Callable[[Path, int], None] | None = None) -> None:
        res = self.result
        for path in paths:
            stats = FileStats()
            res.files += 1
            try:
                batches = list(records_of(path, self.needles, stats))
            except LogError as exc:
                res.problems.append(FileProblem(str(path), str(exc), fatal=True))
                stats.parsed = False  # skipped whole: counted as skipped only
            else:
                for batch in batches:
                    self.feed(batch)
                if stats.bad_lines:
                    res.problems.append(
                        FileProblem(
                            str(path), f"{counted(stats.bad_lines, 'unreadable line')} skipped", fatal=False
                        )
                    )
            res.files_parsed += stats.parsed
            res.records += stats.records
            if progress is not None:
                progress(path, stats.records)

    def feed(self, records: list[Any]) -> None:
        res = self.result
        arn = self.role_arn
        since, until = self.since, self.until
        seen = self._seen
        mapper = self.mapper
        suffix = "/" + self.role_name
        for rec in records:
            # restated: a management API call with a boolean readOnly, of any principal
            read_only = rec.get("readOnly") if isinstance(rec, dict) else None
            evidence = (
                type(read_only) is bool
                and rec.get("eventType") == "AwsApiCall"
                and rec.get("managementEvent") is True
            )
            if evidence:
                if read_only:
                    res.management_reads += 1
                else:
                    res.management_writes += 1
            elif (
                isinstance(rec, dict)
                and rec.get("managementEvent") is False
                and rec.get("eventType") == "AwsApiCall"
            ):
                res.data_calls += 1  # restated: a data API call, of any principal
            try:  # most records are AssumedRole ones: the lookups succeed, no exception cost
                issuer = rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
            except (KeyError, TypeError, IndexError):
                continue
            if issuer != arn:
                if type(issuer) is str and issuer.endswith(suffix):
                    res.same_name[issuer] += 1
                continue
            if evidence:
                if read_only:
                    res.role_management_reads += 1
                else:
                    res.role_management_writes += 1
            when = rec.get("eventTime") or rec.get("@timestamp")
            when = serial_utc_time(when) if type(when) is str else None
            if when is None:
                res.bad_time += 1
                continue
            if (since is not None and when < since) or (until is not None and when >= until):
                res.outside_window += 1
                continue
            eid = rec.get("eventID")
            if type(eid) is str:
                h = hash(eid)
                if h in seen:
                    res.duplicates += 1
                    continue
                seen.add(h)
            res.attributed += 1
            if res.first_event is None or when < res.first_event:
                res.first_event = when
            if res.last_event is None or when > res.last_event:
                res.last_event = when
            etype = rec.get("eventType")
            if etype is not None and etype != "AwsApiCall":
                res.not_api_calls[str(etype)] += 1
                continue
            name = rec.get("eventName")
            mapped = mapper(str(rec.get("eventSource", "")), str(name))
            error = rec.get("errorCode")
            if mapped.partiql and self._count_partiql(
                rec, str(error) if error else None, when, bool(error) and str(error) in mapped.after_auth
            ):
                continue
            if not mapped.actions:
                if mapped.dropped is not None:
                    res.dropped[mapped.dropped] += 1
                else:
                    res.unknown[mapped.unknown or str(name)] += 1
                continue
            # an error AWS returns only after authorising the call: used, with the further
            # actions it shows allowed, the code kept with each use
            after = mapped.after_auth.get(str(error)) if error else None
            for mapped_action in mapped.actions + (after or ()):
                action = mapped_action
                copy = name in COPY_EVENTS and mapped_action == "s3:GetObject"  # reads the copy source
                if action in S3_VERSIONED:
                    params = rec.get("requestParameters")
                    if type(params) is dict:
                        source = params.get("x-amz-copy-source")
                        if (
                            "versionId=" in source.partition("?")[2]
                            if copy and isinstance(source, str)
                            else (not copy and params.get("versionId"))
                        ):
                            action = S3_VERSIONED[action]
                if after is not None:
                    self._count(res.used, action, when, rec, copy).errors[str(error)] += 1
                elif error:
                    self._count(res.denied, action, when, rec, copy).errors[str(error)] += 1
                else:
                    self._count(res.used, action, when, rec, copy)
            # the actions the request's headers add (restated: serial_header_actions), on the
            # resource of the request's own action, never versioned
            params = rec.get("requestParameters")
            if isinstance(params, dict) and mapped.actions[0].partition(":")[0] == "s3":
                for header_action in serial_header_actions(str(name), params):
                    if mapper.db.canonical(header_action) != header_action:
                        continue
                    if after is not None:
                        self._count(res.used, header_action, when, rec, False).errors[str(error)] += 1
                    elif error:
                        self._count(res.denied, header_action, when, rec, False).errors[str(error)] += 1
                    else:
                        self._count(res.used, header_action, when, rec, False)
        # restated: once the files hold a read and a write, the counts say only that
        if res.management_reads and res.management_writes:
            res.management_reads = res.management_writes = 1
            res.role_management_reads = res.role_management_writes = 0
            res.data_calls = 0

    def _count_partiql(self, rec: Any, error: str | None, when: str, authorised: bool) -> bool:
        """Restated: a PartiQL record whose every statement reads counts once per action, on
        the tables and indexes its statements name (used, the code kept, when it failed after
        authorisation); False (unknown, as before) otherwise."""
        statements = partiql_statements(rec.get("eventName"), rec.get("requestParameters"))
        reads = [partiql_statement(t) for t in statements or []]
        if not statements or any(r is None for r in reads):
            return False
        actions: dict[str, set[str]] = {}
        region = rec.get("awsRegion") or "*"
        account = rec.get("recipientAccountId") or "*"
        for read in reads:
            assert read is not None
            name, table, index = read
            action = self.mapper.db.canonical("dynamodb:" + name)
            if action is None:
                return False
            arn = (
                "arn:"
                + partition_of(region)
                + ":dynamodb:"
                + str(region)
                + ":"
                + str(account)
                + ":table/"
                + table
            )
            actions.setdefault(action, set()).add(arn + "/index/" + index if index else arn)
        for action, arns in actions.items():
            table = self.result.used if error is None or authorised else self.result.denied
            use = self._count(table, action, when, None, False)
            if error is not None:
                use.errors[error] += 1
            if use.resources is not None:
                filt = resource_filter(action, self._resource_types(action) if self._resource_types else None)
                fitting = [a for a in arns if filt.scopeable and applies(filt, a)]
                if fitting:
                    for arn in fitting:
                        use.resources.add(serial_policy_safe(arn))
                else:
                    use.resources = None
        return True

    def _count(self, table: dict[str, ActionUse], action: str, when: str, rec: Any, copy: bool) -> ActionUse:
        use = table.get(action)
        if use is None:
            use = table[action] = ActionUse(0, when, when)
        use.touch(when)
        if use.resources is not None and rec is not None:  # None: the caller adds them
            self._add_resources(use, action, rec, copy)
        return use

    def _add_resources(self, use: ActionUse, action: str, rec: Any, copy_source: bool) -> None:
        filt = self._filters.get(action)
        if filt is None:
            types = self._resource_types(action) if self._resource_types is not None else None
            filt = self._filters[action] = resource_filter(action, types)
        if not filt.scopeable:
            use.resources = None
            return
        found = False
        assert use.resources is not None
        if copy_source:
            source = copy_source_arn(rec)
            candidates: Iterable[str] = (source,) if source is not None else ()
        else:
            params = rec.get("requestParameters")
            candidates = on_index(
                list(record_candidates(rec)), params.get("indexName") if isinstance(params, dict) else None
            )
        for cand in candidates:
            if applies(filt, cand):
                use.resources.add(serial_policy_safe(cand))
                found = True
        if not found:
            use.resources = None


# mapping.S3_HEADER_RULES restated: per event, in the order the split scan adds them, the
# action and when a record's requestParameters ask for it.  A header's value is a string
# (data events) or a list of strings (management events); anything else is no value.
_ACL_NAMES = (
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
)


def _header_values(params: Mapping[str, Any], header: str) -> list[str]:
    value = params.get(header)
    values = value if type(value) is list else [value]
    return [v for v in values if type(v) is str and v != ""]


def _acl_pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(header, value) of the ACL headers, at the top level or under accessControlList."""
    groups = [params]
    if type(params.get("accessControlList")) is dict:
        groups.append(params["accessControlList"])
    return [(h, v) for g in groups for h in _ACL_NAMES for v in _header_values(g, h)]


def _any(header: str, test: Callable[[str], bool] = lambda v: True) -> Callable[[Mapping[str, Any]], bool]:
    return lambda params: any(test(v) for v in _header_values(params, header))


_OBJECT_WRITE_RULES: list[tuple[str, Callable[[Mapping[str, Any]], bool]]] = [
    ("s3:PutObjectAcl", lambda params: bool(_acl_pairs(params))),
    (
        "s3:PutObjectRetention",
        lambda params: (
            _any("x-amz-object-lock-mode")(params) or _any("x-amz-object-lock-retain-until-date")(params)
        ),
    ),
    ("s3:PutObjectLegalHold", _any("x-amz-object-lock-legal-hold", lambda v: v.lower() == "on")),
]
_TRUE = _any("x-amz-bucket-object-lock-enabled", lambda v: v.upper() == "TRUE")
SERIAL_HEADER_RULES: dict[str, list[tuple[str, Callable[[Mapping[str, Any]], bool]]]] = {
    "PutObject": [*_OBJECT_WRITE_RULES, ("s3:PutObjectTagging", _any("x-amz-tagging"))],
    "PostObject": [*_OBJECT_WRITE_RULES, ("s3:PutObjectTagging", _any("x-amz-tagging"))],
    "CopyObject": _OBJECT_WRITE_RULES,
    "CreateMultipartUpload": _OBJECT_WRITE_RULES,
    "DeleteObject": [("s3:BypassGovernanceRetention", _any("x-amz-bypass-governance-retention"))],
    "DeleteObjects": [("s3:BypassGovernanceRetention", _any("x-amz-bypass-governance-retention"))],
    "PutObjectRetention": [
        (
            "s3:BypassGovernanceRetention",
            _any("x-amz-bypass-governance-retention", lambda v: v.upper() == "TRUE"),
        )
    ],
    "CreateBucket": [
        # any grant, or a canned ACL other than private
        ("s3:PutBucketAcl", lambda params: any(p != ("x-amz-acl", "private") for p in _acl_pairs(params))),
        ("s3:PutBucketObjectLockConfiguration", _TRUE),
        ("s3:PutBucketVersioning", _TRUE),
        ("s3:PutBucketOwnershipControls", _any("x-amz-object-ownership")),
    ],
}


def serial_header_actions(name: str, params: Mapping[str, Any]) -> list[str]:
    return [action for action, asks in SERIAL_HEADER_RULES.get(name, []) if asks(params)]


# arns.record_candidates and ResourceFilter.applies as they were
def record_candidates(record: Mapping[str, Any]) -> Iterator[str]:
    """ARNs (or ``prefix*`` patterns) a record names, in no particular order."""
    res = record.get("resources")
    if isinstance(res, list):
        for item in res:
            if isinstance(item, dict):
                arn = item.get("ARN")
                if isinstance(arn, str):
                    yield arn
                prefix = item.get("ARNPrefix")
                if isinstance(prefix, str):
                    yield prefix + "*"
    params = record.get("requestParameters")
    if not isinstance(params, dict):
        return
    q = params.get("qualifier")
    qualifier = (
        q
        if isinstance(q, str) and (q == "$LATEST" or (0 < len(q) <= 128 and set(q) <= _QUALIFIER_CHARS))
        else ""
    )
    region = record.get("awsRegion") or "*"
    partition = partition_of(region)  # the record's region: aws, aws-us-gov or aws-cn
    account = record.get("recipientAccountId") or "*"
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("arn:"):
            if key == "functionName":
                # restated: a full ARN is Lambda's head arn:[aws...]:lambda: and a name format
                _, arn_partition, service, rest = [*value.split(":", 3), "", "", ""][:4]
                if service == "lambda" and (
                    arn_partition == ""
                    or (arn_partition.startswith("aws") and set(arn_partition) <= _PARTITION_CHARS)
                ):
                    arn = lambda_function_arn(rest, arn_partition or partition, region, account)
                    if arn is not None:
                        # the Qualifier parameter on an unqualified ARN
                        yield arn + ":" + qualifier if qualifier and len(arn.split(":")) == 7 else arn
                continue
            parts = value.split(":", 6)
            if key == "secretId" and len(parts) == 7 and parts[2:6:3] == ["secretsmanager", "secret"]:
                # restated: a secret's ARN without its random suffix gets -??????
                name = parts[6]
                random = name[-6:]
                if name and not (
                    name[-7:-6] == "-" and len(random) == 6 and random.isascii() and random.isalnum()
                ):
                    yield value + "-??????"
                    continue
            yield value
    bucket = params.get("bucketName")
    if isinstance(bucket, str) and bucket:
        yield f"arn:{partition}:s3:::{bucket}"
        key = params.get("key")
        if isinstance(key, str) and key:
            yield f"arn:{partition}:s3:::{bucket}/{key}"
    function = params.get("functionName")
    if isinstance(function, str) and function and not function.startswith("arn:"):
        arn = lambda_function_arn(function, partition, region, account)
        if arn is not None:
            yield arn + ":" + qualifier if qualifier and len(arn.split(":")) == 7 else arn
    secret = params.get("secretId")
    if isinstance(secret, str) and secret and not secret.startswith("arn:"):
        yield f"arn:{partition}:secretsmanager:{region}:{account}:secret:{secret}-??????"
    table = params.get("tableName")
    if isinstance(table, str) and table and not table.startswith("arn:"):
        yield f"arn:{partition}:dynamodb:{region}:{account}:table/{table}"
    queue = params.get("queueUrl")
    if isinstance(queue, str) and queue.count("/") >= 4:
        # https://sqs.<region>.amazonaws.com/<account>/<name>, or another endpoint's host
        _, _, host, q_account, name = queue.split("/", 4)
        yield f"arn:{partition}:sqs:{queue_region(host, region)}:{q_account}:{name}"


_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")
_QUALIFIER_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
_PARTITION_CHARS = frozenset(string.ascii_letters + "-")


def lambda_function_arn(function: str, partition: str, region: str, account: str) -> str | None:
    """Lambda's name formats restated by splitting on ":" (arns.function_arn reads them with
    one pattern): [region:][account:][function:]name[:qualifier], each optional part taken
    when the rest still reads (as the API's pattern matches: 123456789012:$LATEST is the
    function 123456789012, $LATEST no name)."""
    parts = function.split(":")
    for take in itertools.product((True, False), repeat=3):
        rest, r, a = list(parts), region, account
        ok = True
        for taken, test in zip(take, (_is_region, _is_account, lambda p: p == "function"), strict=True):
            if taken:
                if len(rest) > 1 and test(rest[0]):
                    value = rest.pop(0)
                    r = value if test is _is_region else r
                    a = value if test is _is_account else a
                else:
                    ok = False
        if not ok or len(rest) > 2 or not rest[0] or not set(rest[0]) <= _NAME_CHARS:
            continue
        if len(rest) == 2 and not (rest[1] == "$LATEST" or (rest[1] and set(rest[1]) <= _QUALIFIER_CHARS)):
            continue
        return f"arn:{partition}:lambda:{r}:{a}:function:{':'.join(rest)}"
    return None


_DIGITS = frozenset("0123456789")


def serial_utc_time(text: str) -> str | None:
    """scan.utc_time restated without a pattern: the zone cut from the end, then the
    date and time checked character by character."""
    sign = hours = minutes = None
    if text.endswith("Z"):
        body = text[:-1]
    elif len(text) >= 6 and text[-6] in "+-" and text[-3] == ":":
        body, sign, hours, minutes = text[:-6], text[-6], text[-5:-3], text[-2:]
    elif len(text) >= 5 and text[-5] in "+-":
        body, sign, hours, minutes = text[:-5], text[-5], text[-4:-2], text[-2:]
    else:
        return None
    head, fraction = body[:19], body[19:]
    shape = "dddd-dd-ddTdd:dd:dd"
    if len(head) != 19 or any(
        (c not in _DIGITS) if f == "d" else (c not in "T " if f == "T" else c != f)
        for c, f in zip(head, shape, strict=True)
    ):
        return None
    if fraction and not (fraction[0] == "." and len(fraction) > 1 and set(fraction[1:]) <= _DIGITS):
        return None
    utc = head[:10] + "T" + head[11:]
    if sign is None:
        return utc + "Z"
    assert hours is not None and minutes is not None
    if not (set(hours + minutes) <= _DIGITS) or int(hours) >= 24 or int(minutes) >= 60:
        return None
    try:
        local = datetime.strptime(utc, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return (local - offset if sign == "+" else local + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_region(part: str) -> bool:
    return _REGION.fullmatch(part) is not None


def _is_account(part: str) -> bool:
    return len(part) == 12 and part.isascii() and part.isdigit()


def serial_policy_safe(arn: str) -> str:
    """arns.policy_safe restated character by character: cut at the first character outside
    printable ASCII and Latin-1, or at a "${", and end with "*"."""
    for i, c in enumerate(arn):
        if not (" " <= c <= "~" or "\xa0" <= c <= "\xff") or arn.startswith("${", i):
            return arn[:i] + "*"
    return arn


def applies(self: ResourceFilter, arn: str) -> bool:
    if self.s3_kind is not None:
        # arn:<partition>:s3:::<bucket>[/<key>]
        head, sep, resource = arn.partition(":s3:::")
        if not sep or not head.startswith("arn:") or ":" in head[4:]:
            return False
        if self.s3_kind == "object":
            return "/" in resource
        return "/" not in resource and not resource.endswith("*")
    probe = arn.rstrip("*")
    return any(compile_glob(p).fullmatch(probe) or compile_glob(p).fullmatch(arn) for p in self.patterns)
