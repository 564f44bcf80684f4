"""The hot loop: CloudTrail records in, per-action aggregates out.

Only aggregates are kept: per IAM action a count, the first and last time, and a bounded
``PatternSet`` of resources.  The one structure that grows with the input is the set of
``eventID`` hashes used to count a record delivered twice (two trails, or an export
overlapping a delivery) once.  It holds one 64-bit hash per record *attributed to the
role* (other records are never added), about 60 bytes each in CPython: 10 million role
records cost ~600 MB.  A collision between two distinct 64-bit hashes would drop one
record; at 10 million records its probability is about 3e-6.

Times are compared as strings: CloudTrail writes ``eventTime`` as
``YYYY-MM-DDTHH:MM:SSZ``, which sorts like the instant it names.  Exports that only carry
a Logstash ``@timestamp`` (``...:SS.000Z``) are cut back to that form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .actiondb import ActionCatalog
from .arns import (
    PatternSet,
    ResourceFilter,
    ResourceTypeLike,
    copy_source_arn,
    record_candidates,
    resource_filter,
)
from .mapping import S3_VERSIONED, EventMapper
from .reader import read_logs

COPY_EVENTS = frozenset({"CopyObject", "UploadPartCopy"})


@dataclass
class ActionUse:
    count: int
    first_seen: str
    last_seen: str
    resources: PatternSet | None = field(default_factory=PatternSet)  # None: "*"
    errors: Counter[str] = field(default_factory=Counter)  # denied only

    def touch(self, when: str) -> None:
        self.count += 1
        self.first_seen = min(self.first_seen, when)
        self.last_seen = max(self.last_seen, when)


@dataclass
class FileProblem:
    path: str
    message: str
    fatal: bool  # True: the whole file was skipped


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
    not_api_calls: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> records
    unknown: Counter[str] = field(default_factory=Counter)  # candidate action -> records
    used: dict[str, ActionUse] = field(default_factory=dict)
    denied: dict[str, ActionUse] = field(default_factory=dict)
    first_event: str | None = None
    last_event: str | None = None
    # records of a role with the same name under another path or in another account
    same_name: Counter[str] = field(default_factory=Counter)

    @property
    def files_skipped(self) -> int:
        return sum(1 for p in self.problems if p.fatal)

    @property
    def files_without_role(self) -> int:
        """Readable files not parsed: their bytes never name the role."""
        return self.files - self.files_parsed - self.files_skipped


def normalise_time(text: str) -> str:
    return text if len(text) == 20 else text[:19] + "Z"


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
        self.mapper = EventMapper(db)
        self._resource_types = resource_types or getattr(db, "resource_types", None)
        self._filters: dict[str, ResourceFilter] = {}
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
        for path, stats, records, problem in read_logs(
            paths, self.needles, "issuer_ends_with", "/" + self.role_name
        ):
            res.files += 1
            if problem is not None:
                res.problems.append(FileProblem(str(path), problem, fatal=True))
            else:
                self.feed(records)
                if stats.bad_lines:
                    res.problems.append(
                        FileProblem(str(path), f"{stats.bad_lines} unreadable line(s) skipped", fatal=False)
                    )
            res.files_parsed += stats.parsed
            res.records += stats.records
            if progress is not None:
                progress(path, stats.records)

    # ------------------------------------------------------------------ records
    def feed(self, records: list[Any]) -> None:
        res = self.result
        arn = self.role_arn
        since, until = self.since, self.until
        seen = self._seen
        mapper = self.mapper
        suffix = "/" + self.role_name
        for rec in records:
            try:  # most records are AssumedRole ones: the lookups succeed, no exception cost
                issuer = rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
            except (KeyError, TypeError, IndexError):
                continue
            if issuer != arn:
                if type(issuer) is str and issuer.endswith(suffix):
                    res.same_name[issuer] += 1
                continue
            when = rec.get("eventTime") or rec.get("@timestamp")
            if type(when) is not str:
                continue
            if len(when) != 20:
                when = when[:19] + "Z"
            if (since is not None and when < since) or (until is not None and when >= until):
                res.outside_window += 1
                continue
            eid = rec.get("eventID")
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
            etype = rec.get("eventType")
            if etype is not None and etype != "AwsApiCall":
                res.not_api_calls[str(etype)] += 1
                continue
            name = rec.get("eventName")
            mapped = mapper(str(rec.get("eventSource", "")), str(name))
            if not mapped.actions:
                if mapped.dropped is not None:
                    res.dropped[mapped.dropped] += 1
                else:
                    res.unknown[mapped.unknown or str(name)] += 1
                continue
            error = rec.get("errorCode")
            for mapped_action in mapped.actions:
                action = mapped_action
                if action in S3_VERSIONED:
                    params = rec.get("requestParameters")
                    if type(params) is dict and params.get("versionId"):
                        action = S3_VERSIONED[action]
                if error:
                    self._count(res.denied, action, when, rec, name).errors[str(error)] += 1
                else:
                    self._count(res.used, action, when, rec, name)

    def _count(self, table: dict[str, ActionUse], action: str, when: str, rec: Any, name: Any) -> ActionUse:
        use = table.get(action)
        if use is None:
            use = table[action] = ActionUse(0, when, when)
        use.touch(when)
        if use.resources is not None:
            self._add_resources(use, action, rec, name in COPY_EVENTS and action == "s3:GetObject")
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
            candidates = record_candidates(rec)
        for cand in candidates:
            if filt.applies(cand):
                use.resources.add(cand)
                found = True
        if not found:
            use.resources = None
