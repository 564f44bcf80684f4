"""The same usage count as SQL for Athena, over the standard CloudTrail table.

The table is the one the CloudTrail console creates ("Create Athena table") or AWS's
documented ``CREATE EXTERNAL TABLE cloudtrail_logs`` with ``userIdentity`` as a struct and
``eventTime`` as a string.  The query groups by event (source, name, error), so its rows
feed the same mapping (``rolecat.scopedown.mapping``); mapping in SQL would duplicate the
exceptions table.  Dedup by eventID matches ``scan``.
"""

from __future__ import annotations


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def athena_sql(role_arn: str, *, since: str | None, until: str | None, table: str = "cloudtrail_logs") -> str:
    where = [f"useridentity.sessioncontext.sessionissuer.arn = {_literal(role_arn)}"]
    if since is not None:
        where.append(f"eventtime >= {_literal(since)}")
    if until is not None:
        where.append(f"eventtime < {_literal(until)}")
    where.append("(eventtype IS NULL OR eventtype = 'AwsApiCall')")
    conditions = "\n  AND ".join(where)
    return f"""-- rolecat scopedown: calls made with the role {role_arn}
-- Feed the rows to the event->action mapping of docs/scopedown.md.
WITH events AS (
  SELECT eventid, eventsource, eventname, errorcode, eventtime,
         row_number() OVER (PARTITION BY eventid ORDER BY eventtime) AS copy
  FROM {table}
  WHERE {conditions}
)
SELECT eventsource,
       eventname,
       errorcode,
       count(*) AS calls,
       min(eventtime) AS first_seen,
       max(eventtime) AS last_seen
FROM events
WHERE copy = 1
GROUP BY eventsource, eventname, errorcode
ORDER BY eventsource, eventname, errorcode;
"""
