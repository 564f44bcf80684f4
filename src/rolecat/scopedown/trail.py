"""What the trail logged: an action missing from the logs is unused only if its calls would
have been logged.

A trail can log only the read or only the write management events (``ReadWriteType``
``ReadOnly``/``WriteOnly``; CloudTrail User Guide, "Logging management events": "you can
specify whether you want read-only events, write-only events, or both"), and the guide
suggests ``WriteOnly`` "To exclude high-volume events like Encrypt, Decrypt, and
GenerateDataKey".  Every record says which kind it is: ``readOnly`` true or false
(CloudTrail User Guide, "CloudTrail record contents": "Identifies whether this operation
is a read-only operation"), and ``managementEvent`` whether it is a management event.

The evidence is what the files hold of *every* principal (``ScanResult.management_*``): a
role that only writes is normal, and its own records never show that the trail leaves
reads out.  The trail logs a kind when some management API call of that kind is in the
files (the role's own counts); it is taken not to log the other kind when none is there
and at least ``MIN_EVIDENCE`` management calls of other principals are, all of one kind.
With fewer the logs cannot tell, and a note says so.  A record without ``managementEvent``
(before event version 1.06) or without a boolean ``readOnly`` is no evidence.

A trail may also log no management events at all, data events only (CloudTrail API
reference, EventSelector, ``IncludeManagementEvents``: "Specify if you want your event
selector to include management events for your trail", default true; an advanced event
selector may select a data event category alone).  The files then hold data API calls
(``managementEvent`` false) and not one management call: with at least ``MIN_EVIDENCE``
of them the trail is taken to log neither kind; with fewer a note says the logs cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolecat.report.words import counted

from .actiondb import ActionCatalog
from .scan import ScanResult

# Management calls of other principals, all of one kind, before the other kind is taken as
# not logged: in a trail that logs both, reads (Describe*, List*, Get*) are the common calls,
# so twenty writes and no read are not chance.
MIN_EVIDENCE = 20

READ = True  # CloudTrail's readOnly
WRITE = False
_READ_LEVELS = frozenset({"List", "Read"})
_WRITE_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@dataclass(frozen=True)
class ReadWrite:
    """Whether the trail logs read-only and write management events (None: unknown)."""

    reads: bool | None
    writes: bool | None

    def unlogged(self) -> frozenset[bool]:
        """The readOnly values of the management calls the trail leaves out."""
        return frozenset(
            kind for kind, logged in ((READ, self.reads), (WRITE, self.writes)) if logged is False
        )


def read_write_logged(scan: ScanResult) -> tuple[ReadWrite, str | None]:
    """What the files show the trail logs, and a note when they hold one kind too thinly."""
    reads, writes = scan.management_reads, scan.management_writes
    other_reads = reads - scan.role_management_reads
    other_writes = writes - scan.role_management_writes
    if reads and writes:
        return ReadWrite(True, True), None
    if not reads and not writes:
        data = scan.data_calls
        if data >= MIN_EVIDENCE:
            return ReadWrite(False, False), None
        if not data:  # no record says whether it is a management event: nothing is known
            return ReadWrite(None, None), None
        return ReadWrite(None, None), (
            f"the logs hold {counted(data, 'data event call')} and no management call: too few to tell "
            "whether the trail logs management events; if it logs none, the granted management "
            "actions listed unused may be in use: --trail-selectors FILE (the output of aws cloudtrail "
            "get-event-selectors --trail-name NAME) tells"
        )
    kind, other, other_count = ("write", "read", other_writes) if writes else ("read", "write", other_reads)
    if other_count >= MIN_EVIDENCE:
        return ReadWrite(bool(reads), bool(writes)), None
    return ReadWrite(True if reads else None, True if writes else None), (
        f"the management calls in the logs are all {kind}s, and only {counted(other_count, 'call')} of "
        f"other principals: too few to tell whether the trail logs {other} events; if it logs "
        f"only {kind} management events (ReadWriteType {kind.capitalize()}Only), the granted {other} "
        "actions listed unused may be in use: --trail-selectors FILE (the output of aws cloudtrail "
        "get-event-selectors --trail-name NAME) tells"
    )


def may_log_as(action: str, db: ActionCatalog) -> frozenset[bool]:
    """The ``readOnly`` values CloudTrail may give a call that ``action`` authorises.

    CloudTrail's read events "read your resources, but don't make changes", its write events
    "modify (or might modify) your resources" (CloudTrail User Guide, "Logging management
    events"); IAM's access levels are List and Read ("Permission to read but not edit"),
    Write ("Permission to create, delete, or modify resources"), Permissions management and
    Tagging (IAM User Guide, "Access levels in policy summaries").  They differ where the
    CloudTrail guide says so: "AWS KMS actions such as Encrypt, Decrypt, and GenerateDataKey
    ... are now logged as Read events", which IAM classes as Write; it names them only as
    examples, so every KMS action not at the List or Read level may be either.  An action
    without a known access level may be either too: a doubt keeps the grant."""
    level = db.access_level(action)
    if level in _READ_LEVELS:
        return frozenset({READ})
    if level in _WRITE_LEVELS and action.partition(":")[0] != "kms":
        return frozenset({WRITE})
    return frozenset({READ, WRITE})
