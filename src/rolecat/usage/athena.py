"""``rolecat usage --emit-athena-sql``: the same count as an Athena query.

Over the standard CloudTrail table (``cloudtrail_logs``, as the console or AWS's
documented ``CREATE EXTERNAL TABLE`` makes it: ``useridentity`` a struct,
``requestparameters`` a JSON string, ``sharedeventid`` a column).  One row per
(role ARN, member, caller type): the member is ``useridentity.username`` for the identity
account's copy and the ``roleSessionName`` for the target account's copy, and a copy is
counted once per ``sharedeventid`` (else ``eventid``), as ``rolecat.usage.scan`` does.
Members missing from the rows did not assume the role in the window.
"""

from __future__ import annotations

from collections.abc import Iterable

from rolecat.scopedown.athena import _literal


def athena_sql(
    role_arns: Iterable[str],
    identity_account_id: str,
    *,
    since: str,
    until: str,
    table: str = "cloudtrail_logs",
) -> str:
    arns = ",\n    ".join(_literal(a) for a in sorted(set(role_arns)))
    return f"""-- rolecat usage: who assumed which catalog role, {since} .. {until}
WITH calls AS (
  SELECT coalesce(sharedeventid, eventid) AS id,
         eventtime,
         json_extract_scalar(requestparameters, '$.roleArn') AS role_arn,
         CASE WHEN useridentity.type = 'IAMUser' THEN useridentity.username
              WHEN useridentity.type = 'AWSAccount'
                THEN json_extract_scalar(requestparameters, '$.roleSessionName')
         END AS member,
         useridentity.type AS caller_type,
         useridentity.accountid AS caller_account,
         errorcode
  FROM {table}
  WHERE eventsource = 'sts.amazonaws.com'
    AND eventname = 'AssumeRole'
    AND eventtime >= {_literal(since)}
    AND eventtime < {_literal(until)}
    AND json_extract_scalar(requestparameters, '$.roleArn') IN (
    {arns}
    )
),
once AS (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY eventtime) AS copy FROM calls
)
SELECT role_arn,
       member,
       count(*) AS assumptions,
       min(eventtime) AS first_assumed,
       max(eventtime) AS last_assumed
FROM once
WHERE copy = 1
  AND errorcode IS NULL
  AND caller_account = {_literal(identity_account_id)}
  AND member IS NOT NULL
GROUP BY role_arn, member
ORDER BY role_arn, member;
"""
