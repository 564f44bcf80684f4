"""The partition, every ARN rolecat builds, and the names of the IAM policies it creates.

The one module that knows how an ARN is spelled: the model, the documents rolecat
writes, the checks, the renderer and the workflow commands all build ARNs here.

A policy file and a boundary file may share a name (``policies/prod.json`` and
``boundaries/prod.json``); the prefixes keep their IAM policy names apart.
"""

from __future__ import annotations

PARTITION = "aws"  # the commercial partition; GovCloud and China regions have their own
AWS_MANAGED_POLICY_PREFIX = f"arn:{PARTITION}:iam::aws:policy/"
PARTITIONS = ("aws", "aws-us-gov", "aws-cn")


def partition_of(region: str) -> str:
    """The partition of a region: ``us-gov-west-1`` -> ``aws-us-gov``, ``cn-north-1`` -> ``aws-cn``."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def in_partition(arn: str, partition: str) -> str:
    """An ``arn:aws:...`` ARN (an AWS managed policy, resolved in the commercial partition)
    as it is spelled in ``partition``."""
    head = f"arn:{PARTITION}:"
    return f"arn:{partition}:" + arn[len(head) :] if arn.startswith(head) else arn


def boundary_policy_name(name: str) -> str:
    """IAM name of the customer managed policy holding boundary ``name``."""
    return f"boundary-{name}"


def policy_policy_name(name: str) -> str:
    """IAM name of the customer managed policy made from ``policies/<name>.json``."""
    return f"policy-{name}"


def iam_arn(account_id: str, resource: str, partition: str = PARTITION) -> str:
    """``arn:<partition>:iam::<account>:<resource>``, e.g. ``resource="user/alice"``."""
    return f"arn:{partition}:iam::{account_id}:{resource}"


def role_arn(account_id: str, path: str, name: str, partition: str = PARTITION) -> str:
    return iam_arn(account_id, f"role{path}{name}", partition)


def role_path_pattern(account_id: str, path: str, partition: str = PARTITION) -> str:
    """Every role on ``path`` in an account: ``arn:aws:iam::<id>:role<path>*``."""
    return iam_arn(account_id, f"role{path}*", partition)


def user_arn(account_id: str, user: str, partition: str = PARTITION) -> str:
    return iam_arn(account_id, f"user/{user}", partition)


def mfa_arn(account_id: str, user: str, partition: str = PARTITION) -> str:
    """A user's virtual MFA device, named after the user (the serial the trust policies expect)."""
    return iam_arn(account_id, f"mfa/{user}", partition)


def policy_arn(account_id: str, policy_name: str, path: str = "/", partition: str = PARTITION) -> str:
    return iam_arn(account_id, f"policy{path}{policy_name}", partition)


def boundary_policy_arn(account_id: str, name: str, path: str = "/") -> str:
    """ARN of boundary ``name`` in an account (rolecat creates boundaries on path ``/``)."""
    return policy_arn(account_id, boundary_policy_name(name), path)


def aws_managed_policy_arn(path_and_name: str) -> str:
    """``job-function/ViewOnlyAccess`` -> ``arn:aws:iam::aws:policy/job-function/ViewOnlyAccess``."""
    return AWS_MANAGED_POLICY_PREFIX + path_and_name


def oidc_provider_arn(account_id: str, host: str, partition: str = PARTITION) -> str:
    """``arn:aws:iam::<account>:oidc-provider/<issuer host and path>``."""
    return iam_arn(account_id, f"oidc-provider/{host}", partition)


def saml_provider_arn(account_id: str, name: str, partition: str = PARTITION) -> str:
    """``arn:aws:iam::<account>:saml-provider/<IAM name>``."""
    return iam_arn(account_id, f"saml-provider/{name}", partition)


# The sign-in endpoint that receives SAML responses in each partition: the value of
# ``SAML:aud`` (the assertion's Recipient) a SAML trust requires.  aws: IAM User Guide,
# id_roles_providers_create_saml_assertions.html ("the global sign-in endpoint
# https://signin.aws.amazon.com/saml"); aws-cn: docs.amazonaws.cn IAM User Guide,
# id_roles_providers_create_saml_relying-party.html (https://signin.amazonaws.cn/saml);
# aws-us-gov: the GovCloud console is signin.amazonaws-us-gov.com (AWS GovCloud (US) User
# Guide, govcloud-iam), and its SAML endpoint https://signin.amazonaws-us-gov.com/saml is
# the one AWS CDK's SamlConsolePrincipal documents per partition.
SAML_SIGNIN = {
    "aws": "https://signin.aws.amazon.com/saml",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/saml",
    "aws-cn": "https://signin.amazonaws.cn/saml",
}


def saml_signin_endpoint(partition: str = PARTITION) -> str:
    """The ``SAML:aud`` every SAML trust in ``partition`` requires."""
    return SAML_SIGNIN[partition]
