"""Names of the IAM policies rolecat creates, shared by the compiler and the checks.

A policy file and a boundary file may share a name (``policies/prod.json`` and
``boundaries/prod.json``); the prefixes keep their IAM policy names apart.
"""

from __future__ import annotations

PARTITION = "aws"


def boundary_policy_name(name: str) -> str:
    """IAM name of the customer managed policy holding boundary ``name``."""
    return f"boundary-{name}"


def policy_policy_name(name: str) -> str:
    """IAM name of the customer managed policy made from ``policies/<name>.json``."""
    return f"policy-{name}"


def policy_arn(account_id: str, policy_name: str, path: str = "/") -> str:
    return f"arn:{PARTITION}:iam::{account_id}:policy{path}{policy_name}"


def boundary_policy_arn(account_id: str, name: str, path: str = "/") -> str:
    """ARN of boundary ``name`` in an account (rolecat creates boundaries on path ``/``)."""
    return policy_arn(account_id, boundary_policy_name(name), path)
