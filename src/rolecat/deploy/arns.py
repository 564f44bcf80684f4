"""The partition, every ARN rolecat builds, and the names of the IAM policies it creates.

The one module that knows how an ARN is spelled: the model, the documents rolecat
writes, the checks, the renderer and the workflow commands all build ARNs here.

A policy file and a boundary file may share a name (``policies/prod.json`` and
``boundaries/prod.json``); the prefixes keep their IAM policy names apart.
"""

from __future__ import annotations

PARTITION = "aws"
AWS_MANAGED_POLICY_PREFIX = f"arn:{PARTITION}:iam::aws:policy/"


def boundary_policy_name(name: str) -> str:
    """IAM name of the customer managed policy holding boundary ``name``."""
    return f"boundary-{name}"


def policy_policy_name(name: str) -> str:
    """IAM name of the customer managed policy made from ``policies/<name>.json``."""
    return f"policy-{name}"


def iam_arn(account_id: str, resource: str) -> str:
    """``arn:aws:iam::<account>:<resource>``, e.g. ``resource="user/alice"``."""
    return f"arn:{PARTITION}:iam::{account_id}:{resource}"


def role_arn(account_id: str, path: str, name: str) -> str:
    return iam_arn(account_id, f"role{path}{name}")


def role_path_pattern(account_id: str, path: str) -> str:
    """Every role on ``path`` in an account: ``arn:aws:iam::<id>:role<path>*``."""
    return iam_arn(account_id, f"role{path}*")


def user_arn(account_id: str, user: str) -> str:
    return iam_arn(account_id, f"user/{user}")


def mfa_arn(account_id: str, user: str) -> str:
    """A user's virtual MFA device, named after the user (the serial the trust policies expect)."""
    return iam_arn(account_id, f"mfa/{user}")


def policy_arn(account_id: str, policy_name: str, path: str = "/") -> str:
    return iam_arn(account_id, f"policy{path}{policy_name}")


def boundary_policy_arn(account_id: str, name: str, path: str = "/") -> str:
    """ARN of boundary ``name`` in an account (rolecat creates boundaries on path ``/``)."""
    return policy_arn(account_id, boundary_policy_name(name), path)


def aws_managed_policy_arn(path_and_name: str) -> str:
    """``job-function/ViewOnlyAccess`` -> ``arn:aws:iam::aws:policy/job-function/ViewOnlyAccess``."""
    return AWS_MANAGED_POLICY_PREFIX + path_and_name


def oidc_provider_arn(account_id: str, host: str) -> str:
    """``arn:aws:iam::<account>:oidc-provider/<issuer host and path>``."""
    return iam_arn(account_id, f"oidc-provider/{host}")
