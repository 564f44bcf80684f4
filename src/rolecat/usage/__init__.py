"""``rolecat usage``: who still uses the roles they may assume, from CloudTrail ``AssumeRole``.

Stages: ``scan`` (AssumeRole records in, per role/account/member aggregates out; files
read by ``rolecat.scopedown.logs``) -> ``report`` (members and temporary members against
the catalog, candidates for removal; text, JSON, Markdown).  ``advisor`` reads IAM Access
Advisor reports (service granularity), ``athena`` prints the same count as SQL, and
``command`` is the CLI.  Nothing is imported here, so the CLI starts fast.
"""
