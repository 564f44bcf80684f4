"""IAM scopedown: least-privilege policy suggestions for service roles from CloudTrail.

Stages: ``logs`` (find and read files) -> ``scan`` (attribution, window, dedup, event to
action via ``mapping``, resources via ``arns``) -> ``suggest`` (granted, unused, kept,
policy within the quota) -> ``report`` (json/text/policy).  ``command`` is the CLI and
``athena`` the equivalent SQL.  Nothing is imported here, so the CLI starts fast.
"""
