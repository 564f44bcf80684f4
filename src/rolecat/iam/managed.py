"""AWS managed policies: names to ARNs, and their dated documents.

The data under ``data/`` is a snapshot rebuilt by ``scripts/refresh-managed-policies.py``
(its ``source`` and ``snapshot_date`` fields say where it came from and when).  The
name index is small and read on the first ``resolve``; the documents (about 2.4 MB)
are read on the first ``document``.

An AWS policy newer than the snapshot is not an error: its full ARN is accepted as
written, and ``document`` returns None for it.  Callers must report such a policy as
unknown, never treat it as granting nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from ..deploy.arns import AWS_MANAGED_POLICY_PREFIX
from ..diagnostics import did_you_mean
from ..packagedata import package_folder

ARN_PREFIX = AWS_MANAGED_POLICY_PREFIX
SERVICE_LINKED_PATH = "/aws-service-role/"

_lock = threading.Lock()


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    version: str  # default version id in the snapshot, e.g. v45
    updated: str  # date of that version, YYYY-MM-DD
    has_document: bool

    @property
    def path(self) -> str:
        return "/" + self.arn.removeprefix(ARN_PREFIX)[: -len(self.name)].lstrip("/")

    @property
    def service_linked(self) -> bool:
        return self.path.startswith(SERVICE_LINKED_PATH)


@dataclass(frozen=True)
class Snapshot:
    source: str
    snapshot_date: str
    by_name: Mapping[str, ManagedPolicy]
    by_arn: Mapping[str, ManagedPolicy]


def _read(name: str) -> dict[str, Any]:
    path = package_folder("rolecat.iam") / "data" / name
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


@cache
def snapshot() -> Snapshot:
    with _lock:
        raw = _read("managed_policies_index.json")
        by_name = {
            name: ManagedPolicy(name, e["arn"], e["version"], e["updated"], bool(e["document"]))
            for name, e in raw["policies"].items()
        }
        return Snapshot(raw["source"], raw["snapshot_date"], by_name, {p.arn: p for p in by_name.values()})


@cache
def _documents() -> Mapping[str, Any]:
    with _lock:
        docs: Mapping[str, Any] = _read("managed_policy_documents.json")["documents"]
        return docs


def version() -> str:
    """The snapshot's date and source, for ``rolecat --version``."""
    snap = snapshot()
    return f"AWS managed policies snapshot {snap.snapshot_date} ({len(snap.by_name)} policies)"


def snapshot_info() -> str:
    """Source and date of the snapshot, one line (``rolecat --version``)."""
    snap = snapshot()
    return f"{snap.snapshot_date}, {len(snap.by_name)} policies, from {snap.source}"


def lookup(name_or_arn: str) -> ManagedPolicy | None:
    snap = snapshot()
    return snap.by_arn.get(name_or_arn) or snap.by_name.get(name_or_arn)


def resolve(name_or_arn: str) -> tuple[str | None, str | None]:
    """(ARN, None) for a usable AWS managed policy; (None, hint) when it is not one.

    A bare name resolves through the snapshot, path included (``ViewOnlyAccess`` ->
    ``arn:aws:iam::aws:policy/job-function/ViewOnlyAccess``).  A full AWS managed policy
    ARN is accepted as written unless the snapshot knows the name under another
    path.  Service-linked role policies are refused: AWS will not attach them to a
    customer role.
    """
    snap = snapshot()
    if name_or_arn.startswith("arn:"):
        return _resolve_arn(name_or_arn, snap)
    policy = snap.by_name.get(name_or_arn)
    if policy is not None:
        return _attachable(policy)
    close = did_you_mean(name_or_arn, snap.by_name)
    if close is not None:
        return None, f"did you mean {close} ({snap.by_name[close].arn})?"
    return None, (
        f"no AWS managed policy is named {name_or_arn!r} in the snapshot of {snap.snapshot_date}; "
        f"if it is newer, write its full ARN ({ARN_PREFIX}<path><name>)"
    )


def _resolve_arn(arn: str, snap: Snapshot) -> tuple[str | None, str | None]:
    if not arn.startswith(ARN_PREFIX):
        return (
            None,
            f"an AWS managed policy ARN starts with {ARN_PREFIX}; list customer policies under policies:",
        )
    known = snap.by_arn.get(arn)
    if known is not None:
        return _attachable(known)
    name = arn.rsplit("/", 1)[-1]
    other = snap.by_name.get(name)
    if other is not None:
        return None, f"{name} lives under another path: {other.arn}"
    return arn, None


def _attachable(policy: ManagedPolicy) -> tuple[str | None, str | None]:
    if policy.service_linked:
        return None, (
            f"{policy.name} is a service-linked role policy; AWS refuses to attach it to a role "
            "you create (PolicyNotAttachable)"
        )
    return policy.arn, None


def document(arn: str) -> Mapping[str, Any] | None:
    """The snapshot's default-version document of an AWS managed policy; None if unknown.

    The snapshot is of the commercial partition; a GovCloud or China ARN of the same policy
    (``arn:aws-us-gov:iam::aws:policy/...``) finds the same document."""
    for other in ("arn:aws-us-gov:", "arn:aws-cn:"):
        if arn.startswith(other):
            arn = "arn:aws:" + arn[len(other) :]
    policy = snapshot().by_arn.get(arn)
    if policy is None or not policy.has_document:
        return None
    doc: Mapping[str, Any] | None = _documents().get(policy.name)
    return doc
