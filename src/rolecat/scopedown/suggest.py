"""From usage aggregates and the role's current policies to a suggested policy.

Rules (each leaves a line in ``notes`` when it fires):

* every used action goes in, with the resources the records named (generalised), or
  ``*`` when some record named none;
* actions CloudTrail never logs are kept when the current policies grant them:
  ``iam:PassRole`` always, and a data-event family (S3 object calls, Lambda Invoke,
  DynamoDB item calls, SNS Publish, SQS message calls) when the logs hold no call of that family at all, since trails
  log data events only when configured to; likewise CloudWatch Logs' log-event calls
  (``logs:PutLogEvents`` ...) and SES's sending calls, which CloudTrail does not log, and AWS
  KMS and RDS Data API calls, which a trail can exclude (``EXCLUDABLE_SOURCES``).  Kept actions keep the resources and
  conditions of the statements that grant them;
* without event selectors, a trail that logs only read or only write management events (``trail.read_write_logged``:
  the management calls of every principal in the files are of one kind) cannot show the
  other kind: the granted management actions CloudTrail may log as that kind
  (``trail.may_log_as``) are kept; a trail that logs no management events (data API calls
  in the files, not one management call) shows neither: every granted management action
  is kept;
* given the trail's event selectors (``selectors.py``), a grant is judged only when they log
  every call it allows, for the data-event families and the management events (and KMS's);
  the others are kept, statement by statement, used or not (``_not_judged``); without them,
  a data-event family in the logs is taken as logged on every resource, and a note says so;
* actions only the role's managed or generated inline policies grant are not repeated
  (those policies stay attached whatever the suggestion replaces);
* every Deny statement of the role's catalog policies is kept as written: a suggestion
  that replaces a file must not lift what it forbids;
* denied calls (records with an ``errorCode``) never go in, but for the few errors AWS
  returns only after authorising the call (``mapping.AUTHORISED_ERRORS``: S3 NoSuchKey,
  DynamoDB ConditionalCheckFailedException), which count as used;
* the document must fit the managed-policy quota (6,144 characters without whitespace):
  resources are generalised further, then action lists are shortened with wildcards
  that match only actions already in the statement (in this action database version),
  then statements fall back to ``Resource: "*"``; a document that still does not fit is
  reported, never truncated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rolecat.deploy.policies import policy_size
from rolecat.iam.globs import covers, overlaps, resolve_variables
from rolecat.report.words import counted, were

from .actiondb import ActionCatalog
from .arns import PatternSet, object_prefixes
from .mapping import event_sources
from .scan import ActionUse, ScanResult
from .selectors import (
    DYNAMODB_TABLE,
    LAMBDA_FUNCTION,
    S3_OBJECT,
    Calls,
    EventSelectors,
    management_kinds,
    session_pattern,
)
from .trail import READ, ReadWrite, may_log_as, read_write_logged

POLICY_VERSION = "2012-10-17"
MANAGED_POLICY_SIZE = 6144

_S3_DATA_NAMES = frozenset(
    {
        "ListBucket",
        "ListBucketVersions",
        "ListBucketMultipartUploads",
        "ListMultipartUploadParts",
        "AbortMultipartUpload",
        "RestoreObject",
    }
)
_DYNAMODB_ITEM_NAMES = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchGetItem",
        "BatchWriteItem",
        "ConditionCheckItem",
        "Query",
        "Scan",
        "PartiQLSelect",
        "PartiQLInsert",
        "PartiQLUpdate",
        "PartiQLDelete",
    }
)


def _s3_data(name: str) -> bool:
    if name in _S3_DATA_NAMES:
        return True
    return (
        "Object" in name
        and not name.startswith(("GetBucket", "PutBucket"))
        and "ObjectLambda" not in name
        and name != "ObjectOwnerOverrideToBucketOwner"
    )


@dataclass(frozen=True)
class DataEventFamily:
    label: str
    service: str
    names: frozenset[str] | None  # None: use the S3 predicate
    # why the logs may hold none of the family's calls, for the note
    why: str = "are data events, which trails log only when data events are enabled"
    # the data event resources.type of the calls and the ARNs it covers (a grant on other
    # resources cannot be judged by event selectors), and ARNs within those it does not;
    # None: CloudTrail never logs the calls, event selectors tell nothing
    trail_type: str | None = None
    trail_arns: str = "*"
    trail_not: tuple[str, ...] = ()

    @property
    def told_by_selectors(self) -> bool:
        return self.trail_type is not None

    def __contains__(self, action: object) -> bool:
        if not isinstance(action, str) or ":" not in action:
            return False
        service, name = action.split(":", 1)
        if service != self.service:
            return False
        return _s3_data(name) if self.names is None else name in self.names


DATA_EVENT_FAMILIES = (
    # the resource types of basic selectors (CloudTrail API reference: DataResource), for "S3
    # object-level API activity ... on buckets and objects in buckets", Lambda "function
    # execution activity (the Invoke API)", DynamoDB "object-level API activity on tables"
    # (CloudTrail User Guide, "Logging data events")
    DataEventFamily("S3 object-level calls", "s3", None, trail_type=S3_OBJECT, trail_arns="arn:*:s3:::*"),
    DataEventFamily(
        "Lambda Invoke",
        "lambda",
        frozenset({"InvokeFunction"}),
        trail_type=LAMBDA_FUNCTION,
        trail_arns="arn:*:lambda:*:*:function:*",
    ),
    DataEventFamily(
        "DynamoDB item-level calls",
        "dynamodb",
        _DYNAMODB_ITEM_NAMES,
        trail_type=DYNAMODB_TABLE,
        trail_arns="arn:*:dynamodb:*:*:table/*",
    ),
    # "Amazon SNS Publish and PublishBatch API operations on topics" (CloudTrail User Guide,
    # Logging data events); SQS: "APIs that are high volume operations performed on an Amazon
    # SQS queue, such as SendMessage are categorized as data events" (SQS Developer Guide,
    # Logging Amazon SQS API calls using AWS CloudTrail), the batch calls authorised as these.
    # Their resources.type names (advanced selectors only) are not in the pages found: a
    # wrong name only makes no selector match, and the grants are kept
    DataEventFamily(
        "SNS Publish calls",
        "sns",
        frozenset({"Publish"}),
        trail_type="AWS::SNS::Topic",
        trail_arns="arn:*:sns:*:*:*",
        trail_not=("arn:*:sns:*:*:endpoint/*",),  # a platform endpoint: no topic
    ),
    DataEventFamily(
        "SQS message calls",
        "sqs",
        frozenset({"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility"}),
        trail_type="AWS::SQS::Queue",
        trail_arns="arn:*:sqs:*:*:*",
    ),
    # CloudWatch Logs lists the actions CloudTrail logs, as events or with their request
    # elements only; PutLogEvents, GetLogEvents, FilterLogEvents and GetQueryResults are not
    # among them (CloudWatch Logs User Guide, "Logging Amazon CloudWatch Logs API calls in AWS
    # CloudTrail"): a Lambda function's or a container's logs:PutLogEvents is never in the logs
    DataEventFamily(
        "CloudWatch Logs log-event calls",
        "logs",
        frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents", "GetQueryResults"}),
        "are not among the CloudWatch Logs calls CloudTrail logs as management events",
    ),
    # "Because Amazon SES only delivers management events to CloudTrail, the following events
    # aren't recorded in CloudTrail: SendEmail, SendRawEmail, SendTemplatedEmail,
    # SendBulkTemplatedEmail, SendCustomVerificationEmail" (Amazon SES Developer Guide,
    # "Logging Amazon SES API calls with AWS CloudTrail")
    DataEventFamily(
        "SES email sending calls",
        "ses",
        frozenset(
            {
                "SendEmail",
                "SendRawEmail",
                "SendTemplatedEmail",
                "SendBulkTemplatedEmail",
                "SendCustomVerificationEmail",
            }
        ),
        "are data events, which Amazon SES does not deliver to CloudTrail",
    ),
)
NEVER_LOGGED = ("iam:PassRole",)


@dataclass(frozen=True)
class ExcludableSource:
    """A management event source a trail can leave out: CloudTrail lets a trail exclude "AWS
    KMS events" and "Amazon RDS Data API events" (event selectors'
    ``ExcludeManagementEventSources``: ``kms.amazonaws.com``, ``rdsdata.amazonaws.com``;
    CloudTrail User Guide, "Logging management events"), for their high volume.  When the
    logs hold no call of the service for the role, rolecat cannot tell an unused grant from
    a trail that leaves the calls out."""

    label: str
    service: str  # IAM service prefix
    event_source: str
    # whether event selectors say if the trail logs them (ExcludeManagementEventSources)
    told_by_selectors: bool = True

    def __contains__(self, action: object) -> bool:
        return isinstance(action, str) and action.partition(":")[0] == self.service


# AWS KMS calls include those AWS services make with the role's identity: S3 for SSE-KMS
# objects, DynamoDB for tables under a customer managed key, SQS, SNS and Secrets Manager for
# their encrypted queues, topics and secrets (forward access sessions: "KMS ... checks the
# permissions of the role": IAM User Guide, "Forward access sessions"); CloudTrail logs them
# as the role's calls, invokedBy the service ("The user is the principal in your AWS account
# who is accessing the table": AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS").
# A trail that excludes KMS events leaves them all out, and a role whose only KMS use is
# through such services would lose the kms actions those services need on its behalf.
EXCLUDABLE_SOURCES = (
    ExcludableSource("AWS KMS calls", "kms", "kms.amazonaws.com"),
    # the Data API of Aurora Serverless v2 and provisioned clusters logs data events of its
    # own (rdsdataapi.amazonaws.com, eventType "Rds Data Service": mapping.SERVICE_RENAMES),
    # which scopedown does not count: selectors cannot tell that they would be in the logs
    ExcludableSource("RDS Data API calls", "rds-data", "rdsdata.amazonaws.com", told_by_selectors=False),
)


@dataclass(frozen=True)
class RoleContext:
    """What scopedown needs to know about a role in one account; built from the catalog."""

    role: str
    account: str  # catalog account name
    account_id: str
    arn: str
    policies: Mapping[str, Mapping[str, Any]]  # policy file name -> document rendered for the account
    managed: Mapping[str, Mapping[str, Any] | None] = field(
        default_factory=dict
    )  # ARN -> doc (None: unknown)
    boundary: Mapping[str, Any] | None = None
    # policies rolecat writes into the role itself (delegated_role_creation): name -> document
    inline: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    boundary_name: str | None = None


@dataclass
class Suggestion:
    used: list[dict[str, Any]]
    denied: list[dict[str, Any]]
    unused: list[str]
    kept: list[str]
    policy: dict[str, Any]
    size: int
    fits: bool
    notes: list[str]
    granted: list[str] = field(default_factory=list)  # what the role's policies allow now
    outside_boundary: list[str] = field(default_factory=list)  # used, allowed by policies, not boundary
    # never used, allowed by the role's catalog policies but not by its boundary: left out of the
    # suggestion (no access changes: the boundary denies them), and said so
    blocked_unused: list[str] = field(default_factory=list)
    not_granted: list[str] = field(default_factory=list)  # used, allowed by no policy of the role
    generalised: dict[str, str] = field(default_factory=dict)  # exact S3 object ARN -> folder wildcard
    trail: dict[str, Any] = field(default_factory=dict)  # what the trail logs, and the evidence


# ---------------------------------------------------------------------- policies
# Calls whose event name does not say which IAM actions authorised them (unknown to the
# action database) -> (the actions they may need, what the record leaves unsaid): those
# granted are kept, never judged unused.
_PARTIQL = (
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
_PARTIQL_WHY = (
    "need the PartiQL action of each statement's verb, and some of their records hold a statement "
    "rolecat cannot read (none logged, another verb, or a table name DynamoDB does not take)"
)
_TRANSACTION_WHY = (
    "need the PartiQL action of each statement's verb, and AWS documents no CloudTrail record of "
    "them that shows where the statements are"
)
UNSAID_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "dynamodb:TransactWriteItems": (
        (
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ),
        "need the actions their items use, which the records do not say",
    ),
    # PartiQL calls are authorised as dynamodb:PartiQLSelect/Insert/Update/Delete by the verb of
    # each statement (DynamoDB Developer Guide, "IAM security policies with PartiQL for
    # DynamoDB"); the scan reads the statements CloudTrail logs (``mapping.partiql_statement``),
    # and a call stays unknown only when it cannot: then the granted ones are kept, never
    # dropped for want of evidence.  ExecuteTransaction always: no AWS example shows its record.
    "dynamodb:ExecuteStatement": (_PARTIQL, _PARTIQL_WHY),
    "dynamodb:BatchExecuteStatement": (_PARTIQL, _PARTIQL_WHY),
    "dynamodb:ExecuteTransaction": (_PARTIQL, _TRANSACTION_WHY),
}


def _statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    st = doc.get("Statement", [])
    if isinstance(st, Mapping):
        return [st]
    return [s for s in st if isinstance(s, Mapping)] if isinstance(st, list) else []


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _statement_actions(st: Mapping[str, Any], db: ActionCatalog) -> frozenset[str]:
    if "NotAction" in st:
        excluded: set[str] = set()
        for p in _as_list(st["NotAction"]):
            excluded |= db.expand(p)
        return db.expand("*") - excluded
    out: set[str] = set()
    for p in _as_list(st.get("Action")):
        out |= db.expand(p)
    return frozenset(out)


def _allowed(docs: Iterable[Mapping[str, Any]], db: ActionCatalog) -> set[str]:
    """Allowed minus unconditionally denied (Deny on Resource "*" without Condition)."""
    allow: set[str] = set()
    deny: set[str] = set()
    for doc in docs:
        for st in _statements(doc):
            acts = _statement_actions(st, db)
            if st.get("Effect") == "Allow":
                allow |= acts
            elif (
                st.get("Effect") == "Deny" and "Condition" not in st and _as_list(st.get("Resource")) == ["*"]
            ):
                deny |= acts
    return allow - deny


def policy_actions(ctx: RoleContext, db: ActionCatalog) -> set[str]:
    """Actions the role's identity policies allow, boundary not applied (resources ignored)."""
    docs = [*ctx.policies.values(), *ctx.inline.values(), *(d for d in ctx.managed.values() if d is not None)]
    return _allowed(docs, db)


def granted_actions(ctx: RoleContext, db: ActionCatalog) -> set[str]:
    """Actions the role's identity policies allow, within its boundary (resources ignored)."""
    granted = policy_actions(ctx, db)
    if ctx.boundary is not None:
        granted &= _allowed([ctx.boundary], db)
    return granted


def granted_without(ctx: RoleContext, db: ActionCatalog, policy: str) -> set[str]:
    """What the role's other policies (catalog, inline and managed) grant, within its boundary:
    what stays when ``policies/<policy>.json`` is rewritten."""
    docs = [d for name, d in ctx.policies.items() if name != policy]
    docs += [*ctx.inline.values(), *(d for d in ctx.managed.values() if d is not None)]
    granted = _allowed(docs, db)
    if ctx.boundary is not None:
        granted &= _allowed([ctx.boundary], db)
    return granted


def _granting_statements(
    ctx: RoleContext,
    actions: set[str],
    db: ActionCatalog,
    keeps: Callable[[str, Mapping[str, Any]], bool] = lambda action, statement: True,
) -> list[dict[str, Any]]:
    """Statements keeping ``actions`` as the role's catalog policies grant them: each with
    the Resource (or NotResource) and Condition of the statement granting it.  An action
    only its managed or generated inline policies grant is left out: those stay attached
    whatever the suggestion replaces (and their scope is theirs, not ``*``)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in ctx.policies.values():
        for st in _statements(doc):
            if st.get("Effect") != "Allow":
                continue
            hit = sorted(a for a in actions & _statement_actions(st, db) if keeps(a, st))
            if not hit:
                continue
            where = "NotResource" if "NotResource" in st else "Resource"
            resource: Any = st.get(where, "*")
            new: dict[str, Any] = {"Effect": "Allow", "Action": hit, where: resource}
            if "Condition" in st:
                new["Condition"] = st["Condition"]
            key = repr((where, resource, new.get("Condition")))
            if key in out:
                out[key]["Action"] = sorted(set(out[key]["Action"]) | set(hit))
            else:
                out[key] = new
    return list(out.values())


def _deny_statements(ctx: RoleContext) -> list[dict[str, Any]]:
    """Every Deny statement of the role's catalog policies, as written (each once): a
    suggestion without them would lift what they forbid when it replaces the file."""
    out: dict[str, dict[str, Any]] = {}
    sids: set[Any] = set()
    for doc in ctx.policies.values():
        for st in _statements(doc):
            if st.get("Effect") != "Deny":
                continue
            key = repr(sorted((k, v) for k, v in st.items() if k != "Sid"))
            if key not in out:  # a Sid is kept where it stays unique in the policy
                out[key] = {k: v for k, v in st.items() if k != "Sid" or v not in sids}
                sids.add(st.get("Sid"))
    return list(out.values())


# ---------------------------------------------------------------------- building
def _use_entries(table: Mapping[str, ActionUse], *, errors: bool) -> list[dict[str, Any]]:
    rows = []
    for action in sorted(table):
        use = table[action]
        row: dict[str, Any] = {
            "action": action,
            "count": use.count,
            "first_seen": use.first_seen,
            "last_seen": use.last_seen,
        }
        if errors:
            row["errors"] = dict(sorted(use.errors.items()))
        else:
            row["resources"] = use.resources.patterns() if use.resources is not None else ["*"]
        rows.append(row)
    return rows


def _resource_value(patterns: Sequence[str]) -> str | list[str]:
    return patterns[0] if len(patterns) == 1 else list(patterns)


def _group_statements(resources_by_action: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for action in sorted(resources_by_action):
        groups.setdefault(tuple(resources_by_action[action]), []).append(action)
    statements = []
    for resources, actions in sorted(groups.items(), key=lambda kv: (kv[0] != ("*",), kv[0])):
        statements.append(
            {
                "Effect": "Allow",
                "Action": actions[0] if len(actions) == 1 else actions,
                "Resource": _resource_value(resources),
            }
        )
    return statements


def _resources_of(use: ActionUse, exact: bool, generalised: dict[str, str]) -> list[str]:
    if use.resources is None:
        return ["*"]
    patterns = use.resources.patterns()
    if exact:
        return patterns
    wider = object_prefixes(patterns)
    for p in patterns:
        if p not in wider:
            generalised[p] = next((w for w in wider if covers(w, p)), "*")
    return wider


def build_suggestion(
    scan: ScanResult,
    ctx: RoleContext,
    db: ActionCatalog,
    *,
    limit: int = MANAGED_POLICY_SIZE,
    exact_resources: bool = False,
    selectors: EventSelectors | None = None,
) -> Suggestion:
    notes: list[str] = []
    in_policies = policy_actions(ctx, db)
    granted = granted_actions(ctx, db)
    used_actions = set(scan.used)
    seen_actions = used_actions | set(scan.denied)

    kept: set[str] = set()
    for action in NEVER_LOGGED:
        if action in granted and action not in used_actions:
            kept.add(action)
            notes.append(
                f"{action} is kept: the current policy grants it and CloudTrail never logs it "
                "(it is checked when a role is passed to a service, not called)"
            )
    # a call the action database does not know still shows its service logged
    logged = seen_actions | set(scan.unknown)
    families: list[tuple[DataEventFamily | ExcludableSource, str]] = [
        (family, family.why) for family in DATA_EVENT_FAMILIES
    ]
    families += [
        (source, f"are management events a trail can exclude ({source.event_source})")
        for source in EXCLUDABLE_SOURCES
    ]
    taken_as_logged: list[str] = []  # data-event families in the logs, taken as logged everywhere
    for family, why in families:
        if selectors is not None and family.told_by_selectors:
            continue  # the selectors say whether the trail logs them (below)
        if any(a in family for a in logged):
            if isinstance(family, DataEventFamily) and family.told_by_selectors:
                taken_as_logged.append(family.label)
            continue
        family_granted = sorted(a for a in granted if a in family)
        if family_granted:
            kept.update(family_granted)
            shown = ", ".join(family_granted[:6]) + (
                f" and {len(family_granted) - 6} more" if len(family_granted) > 6 else ""
            )
            notes.append(
                f"{family.label} {why}; the logs hold none for this role, so the granted {shown} "
                "are kept as the current policy has them"
            )

    # a trail that logs only read or only write management events, or none (trail.py): the
    # granted management actions CloudTrail may log as a kind it leaves out cannot be judged
    read_write, thin = read_write_logged(scan)
    unlogged = read_write.unlogged() if selectors is None else frozenset()
    if taken_as_logged:
        notes.append(
            f"{' and '.join(taken_as_logged)} are in the logs, so taken as logged on every resource: a trail "
            "whose data event selectors name some buckets, functions, tables, topics or queues only logs "
            "the calls on those, and the grants on the others are judged unused here and their resources "
            "narrowed to the logged ones; pass --trail-selectors FILE (the output of aws cloudtrail "
            "get-event-selectors --trail-name NAME) to judge them by what the trail logs"
        )
    if unlogged:
        data_events = [a for a in granted if any(a in family for family in DATA_EVENT_FAMILIES)]
        unjudged = sorted(
            a for a in granted - used_actions - kept - set(data_events) if may_log_as(a, db) & unlogged
        )
        kept.update(unjudged)
        shown = ", ".join(unjudged[:6]) + (f" and {len(unjudged) - 6} more" if len(unjudged) > 6 else "")
        if len(unlogged) == 2:
            notes.append(
                f"the trail logs no management events (IncludeManagementEvents false, or data event "
                f"selectors only): the logs hold {counted(scan.data_calls, 'data event call')} and no "
                "management call"
                + (
                    f"; the granted management actions are kept as the current policy has them: {shown}"
                    if unjudged
                    else ""
                )
            )
        else:
            left_out, logged_kind = ("read", "write") if READ in unlogged else ("write", "read")
            others = (
                scan.management_writes - scan.role_management_writes
                if READ in unlogged
                else scan.management_reads - scan.role_management_reads
            )
            notes.append(
                f"the trail logs no {left_out} management events (ReadWriteType "
                f"{logged_kind.capitalize()}Only): the logs hold {counted(others, 'management call')} of other "
                f"principals, all {logged_kind}s, and none a {left_out}"
                + (
                    f"; the granted actions CloudTrail may log as {left_out}s are kept as the current policy "
                    f"has them: {shown}"
                    if unjudged
                    else ""
                )
            )
    elif thin is not None and selectors is None:
        notes.append(thin)

    # the trail's event selectors: a grant whose calls the trail may not all log is kept
    kept_where: dict[str, list[Mapping[str, Any]]] = {}  # action -> its grants not judged
    if selectors is not None:
        kept_where = _not_judged(ctx, db, selectors, granted - kept, used_actions)
        notes += _selector_notes(selectors, kept_where, used_actions)

    for call, (needs, why) in UNSAID_ACTIONS.items():
        if call not in scan.unknown:
            continue
        unsaid = sorted(a for a in needs if a in granted and a not in used_actions)
        if unsaid:
            kept.update(unsaid)
            notes.append(
                f"{call} calls {why}: the granted {', '.join(unsaid)} are kept as the current policy has them"
            )

    generalised: dict[str, str] = {}
    resources = {a: _resources_of(use, exact_resources, generalised) for a, use in scan.used.items()}
    if generalised:
        shown = ", ".join(f"{k} -> {v}" for k, v in sorted(generalised.items())[:5])
        more = f" and {len(generalised) - 5} more" if len(generalised) > 5 else ""
        notes.append(
            f"S3 object ARNs widened to the narrowest folder wildcard covering them: {shown}{more} "
            "(--exact-resources keeps the exact ARNs)"
        )
    unscoped = sorted(a for a, r in resources.items() if r == ["*"])
    if unscoped:
        notes.append(
            f'Resource "*" for {counted(len(unscoped), "action")} whose records name no resource '
            f"(or that take no resource): {', '.join(unscoped)}"
        )
    not_granted = sorted(used_actions - in_policies)
    outside_boundary = sorted((used_actions & in_policies) - granted)
    if not_granted and (ctx.policies or ctx.managed):
        notes.append(
            "used but allowed by none of the role's catalog policies (granted elsewhere, e.g. a resource "
            f"policy, or the catalog changed since the calls): {', '.join(not_granted)}"
        )
    if outside_boundary:
        notes.append(
            f"used and allowed by the role's policies, but outside its permission boundary "
            f"{ctx.boundary_name or ''}: with the catalog as written these calls are denied (the deployed "
            "boundary differs, or the calls predate it); the suggestion keeps them, the boundary still "
            f"blocks them: {', '.join(outside_boundary)}"
        )
    blocked_unused = (
        sorted(_allowed(ctx.policies.values(), db) - granted - seen_actions)
        if ctx.boundary is not None
        else []
    )
    if blocked_unused:
        more = f" and {len(blocked_unused) - 10} more" if len(blocked_unused) > 10 else ""
        notes.append(
            f"{counted(len(blocked_unused), 'action')} allowed by the role's policies but outside its "
            f"permission boundary {ctx.boundary_name or ''}, and never used: left out of the suggestion, "
            f"which changes no access (the boundary denies them): {', '.join(blocked_unused[:10])}{more}"
        )
    unknown_managed = sorted(arn for arn, doc in ctx.managed.items() if doc is None)
    if unknown_managed:
        notes.append(
            "managed policies without a known document are not counted in unused: "
            + ", ".join(unknown_managed)
        )
    for action, use in sorted(scan.used.items()):
        if use.errors:
            n = sum(use.errors.values())
            codes = ", ".join(f"{code} {count}" for code, count in sorted(use.errors.items()))
            notes.append(
                f"{action}: {counted(n, 'call')} failed after authorisation ({codes}), an error AWS "
                "returns only to a caller the action is allowed: counted as used, since without the "
                "action it would become AccessDenied"
            )
    if scan.denied:
        notes.append(
            f"{counted(len(scan.denied), 'action')} {were(len(scan.denied))} only called with an error (see denied); "
            "they are not in the suggestion"
        )
    for candidate, count in sorted(scan.unknown.items()):
        notes.append(
            f"{counted(count, 'record')} {'maps' if count == 1 else 'map'} to {candidate}, which the action database ({db.version}) does not know"
        )
    for reason, count in sorted(scan.dropped.items()):
        notes.append(f"{counted(count, 'record')} dropped: {reason}")
    for etype, count in sorted(scan.not_api_calls.items()):
        notes.append(f"{counted(count, 'record')} of eventType {etype}: not API calls, ignored")
    if scan.bad_time:
        notes.append(
            f"{counted(scan.bad_time, 'record')} of the role skipped: its eventTime names no instant "
            "(no time zone, as some exports write it, or no time at all); CloudTrail writes UTC times "
            "ending in Z, and a time with an offset (+02:00) is read"
        )
    if scan.duplicates:
        notes.append(f"{counted(scan.duplicates, 'duplicate record')} (same eventID) counted once")
    if not scan.used:
        notes.append("no successful call by this role in the logs and window given")

    statements = _group_statements({a: resources[a] for a in sorted(used_actions)})
    kept_grants = (kept - used_actions) | set(kept_where)
    if kept_grants:

        def keeps(action: str, statement: Mapping[str, Any]) -> bool:
            return action in kept or any(statement is st for st in kept_where.get(action, ()))

        statements += _granting_statements(ctx, kept_grants, db, keeps)
        elsewhere = sorted(
            kept_grants - used_actions - {a for st in statements for a in _as_list(st.get("Action"))}
        )
        if elsewhere:
            notes.append(
                "granted only by the role's managed or generated inline policies, which stay as they "
                f"are, so not repeated here: {', '.join(elsewhere)}"
            )
    denies = _deny_statements(ctx)
    if denies:
        statements += denies
        notes.append(
            f"{counted(len(denies), 'Deny statement')} of the current policies kept as written: the "
            "suggestion must not lift what they forbid"
        )
    policy: dict[str, Any] = {"Version": POLICY_VERSION, "Statement": statements}
    size = policy_size(policy)
    if size > limit:
        policy, size, fit_notes = fit_policy(policy, limit, db)
        notes += fit_notes

    unused = sorted(granted - used_actions - kept - set(kept_where))
    used_rows = _use_entries(scan.used, errors=False)
    for row in used_rows:
        row["resources"] = resources[row["action"]]
    return Suggestion(
        used=used_rows,
        denied=_use_entries(scan.denied, errors=True),
        unused=unused,
        kept=sorted((kept | set(kept_where)) - used_actions),
        policy=policy,
        size=size,
        fits=size <= limit,
        notes=notes,
        granted=sorted(granted),
        outside_boundary=outside_boundary,
        blocked_unused=blocked_unused,
        not_granted=sorted(set(not_granted) - set(outside_boundary)),
        generalised=generalised,
        trail=_trail_json(scan, read_write, selectors, ctx),
    )


def _trail_json(
    scan: ScanResult, read_write: ReadWrite, selectors: EventSelectors | None, ctx: RoleContext
) -> dict[str, Any]:
    """What the trail logs of management events, as the selectors or the logs show it (None:
    unknown), and the evidence in the logs."""
    reads, writes = read_write.reads, read_write.writes
    if selectors is not None:
        reads, writes = management_kinds(selectors, session_pattern(ctx.arn))
    return {
        "selectors": None if selectors is None else selectors.source,
        "management_reads": reads,
        "management_writes": writes,
        # the counts, while the logs hold one kind only (``ScanResult.settle_management``)
        "evidence": None
        if scan.management_reads and scan.management_writes
        else {
            "management_reads": scan.management_reads,
            "management_writes": scan.management_writes,
            "of_the_role": [scan.role_management_reads, scan.role_management_writes],
            "data_calls": scan.data_calls,
        },
    }


# ---------------------------------------------------------------------- event selectors
def _not_judged(
    ctx: RoleContext, db: ActionCatalog, selectors: EventSelectors, actions: set[str], used: set[str]
) -> dict[str, list[Mapping[str, Any]]]:
    """Per action, the Allow statements of the role's policies granting it whose calls the
    trail may not all log: a management action's when the selectors miss a readOnly value
    CloudTrail may give it (``trail.may_log_as``) or one of its event sources; a data-event
    family's when a resource the statement grants lies outside the family's ARNs or the
    selectors miss a call on it.  CloudTrail never logs ``NEVER_LOGGED`` and the families
    without a ``trail_type``: their own rules keep them."""
    principal = session_pattern(ctx.arn)
    docs = [*ctx.policies.values(), *ctx.inline.values(), *(d for d in ctx.managed.values() if d is not None)]
    grants = [
        (st, _statement_actions(st, db))
        for doc in docs
        for st in _statements(doc)
        if st.get("Effect") == "Allow"
    ]
    out: dict[str, list[Mapping[str, Any]]] = {}
    for action in sorted(actions):
        family = next((f for f in DATA_EVENT_FAMILIES if action in f), None)
        if action in NEVER_LOGGED or (family is not None and not family.told_by_selectors):
            continue
        prefix = action.partition(":")[0]
        kinds = may_log_as(action, db)
        mine = [st for st, acts in grants if action in acts]
        if family is None:
            calls = Calls("Management", kinds, event_sources(prefix), principal)
            missed = [] if selectors.logs(calls) else mine
        else:
            missed = [st for st in mine if not _data_logged(selectors, family, kinds, principal, st)]
        if missed:
            out[action] = missed
    return out


def _data_logged(
    selectors: EventSelectors,
    family: DataEventFamily,
    kinds: frozenset[bool],
    principal: str,
    statement: Mapping[str, Any],
) -> bool:
    """Whether the selectors log every call of the family the statement allows."""
    if "NotResource" in statement:
        return False
    assert family.trail_type is not None
    for resource in _as_list(statement.get("Resource")) or ["*"]:
        wide = resolve_variables(resource)
        if not covers(family.trail_arns, wide) or any(overlaps(wide, no) for no in family.trail_not):
            return False  # also resources of other types (an access point, a platform endpoint)
        calls = Calls("Data", kinds, event_sources(family.service), principal, family.trail_type, resource)
        if not selectors.logs(calls):
            return False
    return True


def _selector_notes(
    selectors: EventSelectors, kept_where: Mapping[str, list[Mapping[str, Any]]], used: set[str]
) -> list[str]:
    notes = [
        f"judged by the trail's event selectors in {selectors.source}: a grant is kept as the current "
        "policy has it unless they log every call it allows"
    ]
    if kept_where:
        shown = []
        for action, statements in sorted(kept_where.items())[:8]:
            where = sorted(
                {r for st in statements for r in _as_list(st.get("Resource", st.get("NotResource")))}
            )
            shown.append(f"{action}{' (used)' if action in used else ''} on {', '.join(where[:3]) or '*'}")
        more = f" and {len(kept_where) - 8} more" if len(kept_where) > 8 else ""
        notes.append(
            "the trail's event selectors may not log every call of these grants (a readOnly value, an event "
            "source, a resource, or a field rolecat cannot evaluate), so they are kept as the current policy "
            f"has them, used or not: {'; '.join(shown)}{more}"
        )
    return notes


# ---------------------------------------------------------------------- quota
def _coarser(resources: list[str]) -> list[str]:
    if resources == ["*"]:
        return resources
    ps = PatternSet(exact_limit=0)
    for r in resources:
        ps.add(r)
    return ps.patterns()


def _wildcards(actions: list[str], db: ActionCatalog) -> list[str]:
    """Shorter action list: ``svc:Prefix*`` wherever the pattern matches only listed actions."""
    remaining = set(actions)
    out: list[str] = []
    for action in sorted(actions):
        if action not in remaining:
            continue
        service, name = action.split(":", 1)
        best: tuple[str, frozenset[str]] | None = None
        for k in range(3, len(name)):
            pattern = f"{service}:{name[:k]}*"
            matched = db.expand(pattern)
            if len(matched) >= 2 and matched <= set(actions):
                best = (pattern, matched)
                break
        if best is None:
            out.append(action)
            remaining.discard(action)
        else:
            out.append(best[0])
            remaining -= best[1]
    return sorted(out)


def fit_policy(
    policy: dict[str, Any], limit: int, db: ActionCatalog
) -> tuple[dict[str, Any], int, list[str]]:
    notes: list[str] = []
    start = policy_size(policy)

    # only Allow statements with an Action and a Resource are compacted; Deny statements and
    # NotResource ones stay as they are (a Deny made coarser or merged would change its meaning)
    def compactable(st: Mapping[str, Any]) -> bool:
        return st.get("Effect") == "Allow" and "Resource" in st and "Action" in st

    statements = [dict(st) for st in policy["Statement"] if compactable(st)]
    fixed = [st for st in policy["Statement"] if not compactable(st)]

    def size() -> int:
        return policy_size({"Version": POLICY_VERSION, "Statement": statements + fixed})

    # 1. coarser resources, then merge statements whose resources became equal
    for st in statements:
        if "Condition" not in st:
            st["Resource"] = _resource_value(_coarser(_as_list(st["Resource"])))
    merged: dict[str, dict[str, Any]] = {}
    for st in statements:
        key = repr((st["Resource"], st.get("Condition")))
        if key in merged:
            merged[key]["Action"] = sorted(set(_as_list(merged[key]["Action"])) | set(_as_list(st["Action"])))
        else:
            merged[key] = st
    statements = list(merged.values())
    if size() <= limit:
        notes.append(f"resources generalised further to fit the {limit:,}-character quota (was {start:,})")
        return {"Version": POLICY_VERSION, "Statement": statements + fixed}, size(), notes
    # 2. wildcards that match only actions already listed
    for st in statements:
        acts = _as_list(st["Action"])
        short = _wildcards(acts, db)
        st["Action"] = short[0] if len(short) == 1 else short
    notes.append(
        f"action lists shortened with wildcards to fit the {limit:,}-character quota; each wildcard "
        f"matches only actions in the list as of {db.version}, and will also match actions AWS adds later"
    )
    # 3. Resource "*" for the statements with the longest resource lists
    by_weight = sorted(
        (st for st in statements if st["Resource"] != "*" and "Condition" not in st),
        key=lambda st: -len(repr(st["Resource"])),
    )
    for st in by_weight:
        if size() <= limit:
            break
        st["Resource"] = "*"
        notes.append(f'to fit the quota, Resource "*" for: {", ".join(_as_list(st["Action"]))}')
    final = size()
    if final > limit:
        notes.append(
            f"the suggestion is {final:,} characters, over the {limit:,}-character managed-policy quota even "
            "compacted: split it into several policies (for example by service)"
        )
    return {"Version": POLICY_VERSION, "Statement": statements + fixed}, final, notes
