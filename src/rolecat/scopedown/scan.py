"""The hot loop: CloudTrail records in, per-action aggregates out.

Only aggregates are kept: per IAM action a count, the first and last time, and a bounded
``PatternSet`` of resources.  The one structure that grows with the input is the set of
``eventID`` hashes used to count a record delivered twice (two trails, or an export
overlapping a delivery) once.  It holds one 64-bit hash per record *attributed to the
role* (other records are never added), about 60 bytes each in CPython: 10 million role
records cost ~600 MB.  A collision between two distinct 64-bit hashes would drop one
record; at 10 million records its probability is about 3e-6.

The work is split in two (``rolecat.scopedown.reader`` runs the first on every core):

* ``RoleRecords`` (per file, in a worker): attribution, the time window, and for each
  record of the role in the window a compact row: its ``eventID``, its time, and what it
  adds to the aggregates (a counter, or per IAM action the error code and the resource
  candidates that apply).  None of it depends on other records.
* ``Scanner.merge`` (in the calling process, files in order): the ``eventID``
  deduplication against every earlier record, and the aggregates.  ``Scanner.feed`` is the
  two in one process.

Times are compared as strings: CloudTrail writes ``eventTime`` as
``YYYY-MM-DDTHH:MM:SSZ``, which sorts like the instant it names, and such a time (in digits 0-9)
is taken as it is.  Any other (``utc_time``): a UTC time with a fraction (a Logstash ``@timestamp``,
``...:SS.000Z``) is cut back to that form, one with an explicit offset (``+02:00``, as an
export may write it) is converted to UTC; one without a zone (``2026-10-01 10:00:00``) or
unreadable says no instant, and its record is skipped and counted (``bad_time``), as a
record without a string time always was skipped.  Cutting such a time to ``...SSZ``, as was
done, put ``12:00:00+02:00`` two hours late and made ``2026-10-01 10:00:00Z``, which sorts
before every time of that day, fall outside a ``--since`` of that day.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from rolecat.deploy.arns import partition_of
from rolecat.report.words import counted

from .actiondb import ActionCatalog
from .arns import (
    PatternSet,
    ResourceFilter,
    ResourceTypeLike,
    copy_source_arn,
    policy_safe,
    record_candidates,
    resource_filter,
)
from .mapping import S3_VERSIONED, EventMapper, partiql_statement, partiql_statements
from .reader import Keeper, read_logs

COPY_EVENTS = frozenset({"CopyObject", "UploadPartCopy"})


@dataclass
class ActionUse:
    count: int
    first_seen: str
    last_seen: str
    resources: PatternSet | None = field(default_factory=PatternSet)  # None: "*"
    # denied: the error codes; used: those of calls that failed after authorisation
    errors: Counter[str] = field(default_factory=Counter)

    def touch(self, when: str) -> None:
        self.count += 1
        self.first_seen = min(self.first_seen, when)
        self.last_seen = max(self.last_seen, when)


@dataclass
class FileProblem:
    path: str
    message: str
    fatal: bool  # True: the whole file was skipped


# The management counts of a scan whose files hold read and write calls both
# (``ScanResult.settle_management``): every principal's (1 read, 1 write), none of the role.
BOTH_KINDS = (1, 1, 0, 0)


@dataclass
class ScanResult:
    role_arn: str
    since: str | None
    until: str | None
    files: int = 0
    files_parsed: int = 0
    bytes_read: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    records: int = 0
    attributed: int = 0
    duplicates: int = 0
    outside_window: int = 0
    bad_time: int = 0  # records of the role skipped: no time that names an instant
    not_api_calls: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> records
    unknown: Counter[str] = field(default_factory=Counter)  # candidate action -> records
    used: dict[str, ActionUse] = field(default_factory=dict)
    denied: dict[str, ActionUse] = field(default_factory=dict)
    first_event: str | None = None
    last_event: str | None = None
    # records of a role with the same name under another path or in another account
    same_name: Counter[str] = field(default_factory=Counter)
    # management API calls (``managementEvent`` true, ``eventType`` AwsApiCall) in the files
    # read, by their ``readOnly``, of every principal and of the role: whether the trail logs
    # read and write events (``trail.read_write_logged``); a file not parsed counts none.
    # Exact while the files hold one kind only, the case the counts are read for; once both
    # are found they are ``BOTH_KINDS`` (``settle_management``), and the scan stops counting.
    management_reads: int = 0
    management_writes: int = 0
    role_management_reads: int = 0
    role_management_writes: int = 0
    # data API calls (``managementEvent`` false, ``eventType`` AwsApiCall) of every
    # principal, counted as the management calls are: with none of those, whether the trail
    # logs management events at all (``trail.read_write_logged``); 0 once both kinds are found
    data_calls: int = 0

    def settle_management(self) -> None:
        """Once a read and a write are both counted, the counts say only that (``BOTH_KINDS``,
        no data call): the trail logs both, and counting on would cost every record of a
        large scan a few lookups (about 4 % of it) for numbers nothing reads."""
        if self.management_reads and self.management_writes:
            (
                self.management_reads,
                self.management_writes,
                self.role_management_reads,
                self.role_management_writes,
            ) = BOTH_KINDS
            self.data_calls = 0

    @property
    def files_skipped(self) -> int:
        return sum(1 for p in self.problems if p.fatal)

    @property
    def files_without_role(self) -> int:
        """Readable files not parsed: their bytes never name the role."""
        return self.files - self.files_parsed - self.files_skipped


# A time with a zone: ``YYYY-MM-DD``, ``T`` or a space, ``HH:MM:SS``, a fraction, then ``Z`` or
# an offset ``+HH:MM``/``+HHMM`` (RFC 3339, and ISO 8601's offset without colon).
# CloudTrail's own form, taken as written; digits 0-9 only: another script's digit sorts after
# every ASCII one, so '2026-0٩-15T08:00:00Z' would count as after any September date.
_CLOUDTRAIL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_ZONED_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]+)?"
    r"(?:(Z)|([+-][0-9]{2}):?([0-9]{2}))"
)


def utc_time(text: str) -> str | None:
    """``text`` as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, or None when it names no instant: no zone
    (local time of an unknown place), or no time.  A fraction is cut off, as CloudTrail's
    own times have none; an offset is applied.  CloudTrail's own form is taken as written
    (the common case, one match and no rebuilding)."""
    if _CLOUDTRAIL_TIME.fullmatch(text) is not None:
        return text
    m = _ZONED_TIME.fullmatch(text)
    if m is None:
        return None
    if m[3]:
        return f"{m[1]}T{m[2]}Z"
    if m[5] >= "60":
        return None
    try:
        when = datetime.fromisoformat(f"{m[1]}T{m[2]}{m[4]}:{m[5]}")
    except ValueError:  # 2026-13-01, an offset of 24 hours or more
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What a record adds once it is counted (not a duplicate): ``(kind, payload)``.
NOT_API = 0  # payload: the eventType -> ``not_api_calls``
DROPPED = 1  # payload: the reason -> ``dropped``
UNKNOWN = 2  # payload: the candidate action -> ``unknown``
ACTIONS = 3  # payload: ``(action, error code or None, resources)`` per IAM action
# payload: ``(error code, ACTIONS' payload without error codes)``: a call that failed after
# authorisation (``mapping.AUTHORISED_ERRORS``), counted as used, its code in ``errors``
AUTHORISED = 4


class Digest(NamedTuple):
    """What ``RoleRecords`` keeps of one file."""

    same_name: dict[str, int]  # issuer ARN -> records, in the order first seen
    outside_window: int
    rows: list[tuple[Any, str, tuple[int, Any]]]  # (eventID, time, effect), in file order
    bad_time: int = 0  # records of the role without a time that names an instant
    # management API calls by readOnly: (read, write) of every principal, then the role's own
    management: tuple[int, int, int, int] = (0, 0, 0, 0)
    data_calls: int = 0  # data API calls of every principal, counted as the management ones


class RoleRecords(Keeper[Digest]):
    """The per-record half of the scan: one file's records to a ``Digest``.

    A row's effect for an action carries the candidate ARNs that apply to the action, in
    the order ``merge`` adds them to its ``PatternSet`` (an empty tuple: the action's
    resource becomes ``*``); a candidate equal to the one before it is left out, adding an
    ARN again right after itself changes nothing.  Computing them cannot depend on earlier
    records; should it fail on a record's odd values, the row carries the exception,
    raised by ``merge`` only if the action still collects resources (where the serial
    scan would have raised it).

    What a record does depends mostly on (eventType, eventSource, eventName, errorCode),
    the same for millions of records: per such key a ``_Plan`` is made once, the effect
    itself when nothing else in the record matters.  An error code AWS returns only after
    authorising the call (``mapping.AUTHORISED_ERRORS``) is part of the key: such a plan
    counts the record as used (``AUTHORISED``), every other error as denied.  The few S3 requests whose request headers
    may add an action (``mapping.S3_HEADER_RULES``) carry their rules in the plan; the
    records of every other event never look at them.
    """

    def __init__(
        self,
        role_arn: str,
        db: ActionCatalog,
        since: str | None,
        until: str | None,
        resource_types: Callable[[str], tuple[ResourceTypeLike, ...] | None] | None,
    ) -> None:
        self.role_arn = role_arn
        self.suffix = "/" + role_arn.rsplit("/", 1)[-1]
        self.since = since
        self.until = until
        self.mapper = EventMapper(db)
        self._resource_types = resource_types
        self._filters: dict[str, ResourceFilter] = {}
        self._plans: dict[tuple[str | None, ...], _Plan] = {}
        self._counting = True

    def needled_only(self) -> bool:
        """Once ``keep`` has seen a read and a write of the file (it counts every principal's
        until then), it needs only the records that name the role (``Scanner.needles``)."""
        return not self._counting

    def keep(self, batches: Iterable[list[Any]]) -> Digest:
        arn, suffix = self.role_arn, self.suffix
        since, until = self.since, self.until
        effect = self._effect
        same_name: dict[str, int] = {}
        outside = bad_time = 0
        reads = writes = own_reads = own_writes = data = 0
        counting = self._counting = True  # until a read and a write are found: the trail logs both
        rows: list[tuple[Any, str, tuple[int, Any]]] = []
        append = rows.append
        for records in batches:
            for rec in records:
                # every principal's management API calls by readOnly, and data API calls: what
                # the trail logs (``trail.read_write_logged``)
                kind = None
                if counting and type(rec) is dict:
                    event = rec.get("managementEvent")
                    if event is True and rec.get("eventType") == "AwsApiCall":
                        kind = rec.get("readOnly")
                        if kind is True:
                            reads += 1
                            counting = self._counting = not writes
                        elif kind is False:
                            writes += 1
                            counting = self._counting = not reads
                    elif event is False and rec.get("eventType") == "AwsApiCall":
                        data += 1
                try:  # most records are AssumedRole ones: the lookups succeed, no exception cost
                    issuer = rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
                except (KeyError, TypeError, IndexError):
                    continue
                if issuer != arn:
                    if type(issuer) is str and issuer.endswith(suffix):
                        same_name[issuer] = same_name.get(issuer, 0) + 1
                    continue
                if kind is True:
                    own_reads += 1
                elif kind is False:
                    own_writes += 1
                when = rec.get("eventTime") or rec.get("@timestamp")
                when = utc_time(when) if type(when) is str else None
                if when is None:
                    bad_time += 1
                    continue
                if (since is not None and when < since) or (until is not None and when >= until):
                    outside += 1
                    continue
                eid = rec.get("eventID")  # only a string is an ID (a list would not hash)
                append((eid if type(eid) is str else None, when, effect(rec)))
        return Digest(same_name, outside, rows, bad_time, (reads, writes, own_reads, own_writes), data)

    def _effect(self, rec: Any) -> tuple[int, Any]:
        key = (rec.get("eventType"), rec.get("eventSource", ""), rec.get("eventName"), rec.get("errorCode"))
        try:
            plan = self._plans[key]
        except KeyError:
            plan = self._plan(*key)
            # only keys of strings (and nulls): 1, 1.0 and True are one dict key, not one string
            if all(v is None or type(v) is str for v in key):
                self._plans[key] = plan
        except TypeError:  # a list or an object where a string belongs
            plan = self._plan(*key)
        effect, code, steps, headers, authorised, partiql = plan
        if effect is not None:
            return effect
        if partiql is not None:
            kind, payload = self._partiql_effect(rec, code, partiql)
            return (
                (AUTHORISED, (authorised, payload))
                if authorised is not None and kind == ACTIONS
                else (kind, payload)
            )
        out = []
        for step in steps:
            action, filt, versioned, versioned_filt, copy_source = step
            if versioned is not None:
                params = rec.get("requestParameters")
                if type(params) is dict and _names_version(params, copy_source):
                    # a copy reads the source's version: its resource stays the copy source
                    action, filt = versioned, versioned_filt
            resources: tuple[str, ...] | Exception = ()
            if filt is not None:
                try:
                    resources = _resources(filt, rec, copy_source)
                except Exception as exc:  # raised by merge where the serial scan raises
                    resources = exc
            out.append((action, code, resources))
        if headers:
            params = rec.get("requestParameters")
            if type(params) is dict:
                for keys, applies, action, filt, same in headers:
                    if not keys.isdisjoint(params) and applies(params):
                        if same is not None:  # the resources of a step with the same filter
                            resources = out[same][2]
                        elif filt is None:
                            resources = ()
                        else:
                            try:
                                resources = _resources(filt, rec, False)
                            except Exception as exc:  # raised by merge where the serial scan raises
                                resources = exc
                        out.append((action, code, resources))
        if authorised is not None:
            return AUTHORISED, (authorised, tuple(out))
        return ACTIONS, tuple(out)

    def _partiql_effect(self, rec: Any, code: str | None, unknown: str) -> tuple[int, Any]:
        """A DynamoDB PartiQL call: per statement the action of its verb on its table or
        index (``mapping.partiql_statement``), each action once with its resources in order;
        unknown, as before, when any statement cannot be read."""
        statements = partiql_statements(rec.get("eventName"), rec.get("requestParameters"))
        if statements is None:
            return UNKNOWN, unknown
        region = rec.get("awsRegion") or "*"
        account = rec.get("recipientAccountId") or "*"
        head = f"arn:{partition_of(region)}:dynamodb:{region}:{account}:table/"
        uses: dict[str, list[str]] = {}
        for text in statements:
            read = partiql_statement(text)
            action = None if read is None else self.mapper.db.canonical(f"dynamodb:{read[0]}")
            if read is None or action is None:
                return UNKNOWN, unknown
            _, table, index = read
            arn = head + table + ("" if index is None else f"/index/{index}")
            arns = uses.setdefault(action, [])
            filt = self._filter(action)
            if filt is not None and filt.applies(arn) and policy_safe(arn) not in arns:
                arns.append(policy_safe(arn))
        return ACTIONS, tuple((action, code, tuple(arns)) for action, arns in uses.items())

    def _plan(self, etype: Any, source: Any, name: Any, error: Any) -> _Plan:
        if etype is not None and etype != "AwsApiCall":
            return _Plan((NOT_API, str(etype)))
        mapped = self.mapper(str(source), str(name))
        if mapped.partiql:  # its actions are in its statements, read per record
            code = str(error) if error else None
            authorised = code if code is not None and code in mapped.after_auth else None
            return _Plan(
                None,
                None if authorised else code,
                authorised=authorised,
                partiql=mapped.unknown or str(name),
            )
        if not mapped.actions:
            if mapped.dropped is not None:
                return _Plan((DROPPED, mapped.dropped))
            return _Plan((UNKNOWN, mapped.unknown or str(name)))
        code = str(error) if error else None
        actions = mapped.actions
        authorised = None
        if code is not None and code in mapped.after_auth:
            # failed after authorisation: used, with the further actions the error shows allowed
            authorised, code = code, None
            actions += mapped.after_auth[authorised]
        try:
            copy = name in COPY_EVENTS
        except TypeError:  # unhashable: never a copy event
            copy = False
        steps = []
        for action in actions:
            versioned = S3_VERSIONED.get(action)
            steps.append(
                (
                    action,
                    self._filter(action),
                    versioned,
                    None if versioned is None else self._filter(versioned),
                    copy and action == "s3:GetObject",
                )
            )
        # an action a request header adds is authorised on the resource of the request's own
        # action, never on a version of it: the ACL is set on the object the request writes
        headers = []
        for rule in mapped.headers:
            filt = self._filter(rule.action)
            headers.append((rule.keys, rule.applies, rule.action, filt, _same_resources(filt, steps)))
        if not headers and all(filt is None and versioned is None for _, filt, versioned, _, _ in steps):
            out = tuple((action, code, ()) for action, *_ in steps)
            return _Plan((ACTIONS, out) if authorised is None else (AUTHORISED, (authorised, out)))
        return _Plan(None, code, tuple(steps), tuple(headers), authorised)

    def _filter(self, action: str) -> ResourceFilter | None:
        """The action's resource filter; None if it only takes ``*``."""
        filt = self._filters.get(action)
        if filt is None:
            types = self._resource_types(action) if self._resource_types is not None else None
            filt = self._filters[action] = resource_filter(action, types)
        return filt if filt.scopeable else None


class _Plan(NamedTuple):
    effect: tuple[int, Any] | None  # the row's effect, if nothing else in the record matters
    code: str | None = None  # the error code
    # per IAM action: (action, its filter, the versioned action, its filter, read the copy source)
    steps: tuple[tuple[str, ResourceFilter | None, str | None, ResourceFilter | None, bool], ...] = ()
    # per header rule: (the requestParameters keys that can ask for it, its test, the action it
    # adds, that action's filter, the index of a step whose resources are the same or None)
    headers: tuple[
        tuple[frozenset[str], Callable[[Mapping[str, Any]], bool], str, ResourceFilter | None, int | None],
        ...,
    ] = ()
    authorised: str | None = None  # the error code of a call that failed after authorisation
    partiql: str | None = None  # a DynamoDB PartiQL call: the unknown action, if its statements are not read


def _same_resources(
    filt: ResourceFilter | None,
    steps: Iterable[tuple[str, ResourceFilter | None, str | None, ResourceFilter | None, bool]],
) -> int | None:
    """The index of a step that always has the resources ``filt`` takes from a record: a
    filter of the same kind and formats on the record's own candidates (never the copy
    source, never switched to a versioned action's filter).  The action a header adds is
    authorised on the resource of the request's own action: PutObjectAcl on PutObject's
    object, PutBucketAcl on CreateBucket's bucket, so its candidates need not be found twice."""
    if filt is None:
        return None
    for i, (_, step_filt, versioned, _, copy_source) in enumerate(steps):
        if (
            step_filt is not None
            and versioned is None
            and not copy_source
            and (step_filt.s3_kind, step_filt.patterns) == (filt.s3_kind, filt.patterns)
        ):
            return i
    return None


def _names_version(params: dict[str, Any], copy_source: bool) -> bool:
    """Whether a request reads one version of an object: ``versionId``, or for a copy the
    ``?versionId=`` of its ``x-amz-copy-source`` (which needs s3:GetObjectVersion on the
    source, where the plain copy needs s3:GetObject)."""
    if not copy_source:
        return bool(params.get("versionId"))
    source = params.get("x-amz-copy-source")
    return isinstance(source, str) and "versionId=" in source.partition("?")[2]


def _resources(filt: ResourceFilter, rec: Any, copy_source: bool) -> tuple[str, ...]:
    """The candidate ARNs of a record that apply, each one not equal to the one before it."""
    if copy_source:
        source = copy_source_arn(rec)
        candidates: Iterable[str] = (source,) if source is not None else ()
    else:  # the Lambda, DynamoDB and SQS ARNs left out for S3 never apply to it
        candidates = record_candidates(rec, s3_only=filt.s3_kind is not None)
    out: list[str] = []
    last = None
    for cand in candidates:
        if cand != last and filt.applies(cand):
            out.append(policy_safe(cand))
            last = cand
    return tuple(out)


class Scanner:
    """Feeds record lists through attribution, window, dedup, mapping and counting."""

    def __init__(
        self,
        role_arn: str,
        db: ActionCatalog,
        *,
        since: str | None = None,
        until: str | None = None,
        resource_types: Callable[[str], tuple[ResourceTypeLike, ...] | None] | None = None,
    ) -> None:
        self.result = ScanResult(role_arn, since, until)
        self.role_arn = role_arn
        self.role_name = role_arn.rsplit("/", 1)[-1]
        self.since = since
        self.until = until
        self.role_records = RoleRecords(
            role_arn, db, since, until, resource_types or getattr(db, "resource_types", None)
        )
        self._seen: set[int] = set()

    @property
    def needles(self) -> tuple[bytes, ...]:
        """A file holds a record of the role only if it holds one of these.

        The role name at the end of an ARN, not the whole ARN: a file of the same role
        under another path (or in another account) is parsed too, so that "no record"
        can say where the role's records are.
        """
        name = self.role_name.encode()
        # as written in a file, inside a JSON string (lookup-events), with escaped slashes
        return tuple(slash + name + end for slash in (b"/", b"\\/") for end in (b'"', b'\\"'))

    # ------------------------------------------------------------------ files
    def scan_files(self, paths: Iterable[Path], progress: Callable[[Path, int], None] | None = None) -> None:
        res = self.result
        for path, stats, digest, problem in read_logs(paths, self.needles, self.role_records):
            res.files += 1
            if digest is None:
                res.problems.append(FileProblem(str(path), problem or "", fatal=True))
            else:
                self.merge(digest)
                if stats.bad_lines:
                    res.problems.append(
                        FileProblem(
                            str(path), f"{counted(stats.bad_lines, 'unreadable line')} skipped", fatal=False
                        )
                    )
            if digest is not None:  # a file skipped whole counts as skipped, not also as parsed
                res.files_parsed += stats.parsed
            res.records += stats.records
            if progress is not None:
                progress(path, stats.records)

    # ------------------------------------------------------------------ records
    def feed(self, records: list[Any]) -> None:
        """Scan a list of records (both halves in this process)."""
        self.merge(self.role_records.keep((records,)))

    def merge(self, digest: Digest) -> None:
        """Add one file's digest: deduplication against every earlier record, and the counts."""
        res = self.result
        for issuer, n in digest.same_name.items():
            res.same_name[issuer] += n
        res.outside_window += digest.outside_window
        res.bad_time += digest.bad_time
        reads, writes, own_reads, own_writes = digest.management
        res.management_reads += reads
        res.management_writes += writes
        res.role_management_reads += own_reads
        res.role_management_writes += own_writes
        res.data_calls += digest.data_calls
        res.settle_management()
        seen = self._seen
        used, denied = res.used, res.denied
        for eid, when, (kind, payload) in digest.rows:
            if eid is not None:
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
            if kind >= ACTIONS:
                steps = payload
                if kind != ACTIONS:  # AUTHORISED: used, the error code kept with the use
                    authorised, steps = payload
                for action, error, resources in steps:
                    table = used if error is None else denied
                    use = table.get(action)
                    if use is None:
                        use = table[action] = ActionUse(0, when, when)
                    use.count += 1  # use.touch(when)
                    if when < use.first_seen:
                        use.first_seen = when
                    elif when > use.last_seen:
                        use.last_seen = when
                    patterns = use.resources
                    if patterns is not None:
                        if type(resources) is not tuple:
                            raise resources
                        if resources:
                            for arn in resources:
                                patterns.add(arn)
                        else:
                            use.resources = None
                    if error is not None:
                        use.errors[error] += 1
                if kind != ACTIONS:
                    for action, _, _ in steps:
                        used[action].errors[authorised] += 1
            elif kind == NOT_API:
                res.not_api_calls[payload] += 1
            elif kind == DROPPED:
                res.dropped[payload] += 1
            else:
                res.unknown[payload] += 1
