"""terraform.required_version / aws_provider_version: Terraform's constraint syntax, C026."""

from __future__ import annotations

import pytest

from rolecat.targets.terraform.constraints import DEFAULT_AWS_PROVIDER_VERSION, problem


@pytest.mark.parametrize(
    "text",
    [">= 1.10.0", ">= 5.70, < 6.0", "~> 5.70", "= 1.11.0-beta1", "1.11.0", "~> 5", ">=5.70,<6", "!= 5.71.0"],
)
def test_terraform_accepts(text):
    assert problem(text) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (">= 5.70 < 6.0", "is not an operator"),
        ("=> 5.70", "is not an operator"),
        (">= 5.70,", "is not an operator"),
        ("latest", "is not an operator"),
        (">= 1.2.3.4", "is not an operator"),
        (">= 1.11.0-beta1", "pre-release"),
        ("  ", "empty"),
        ('>= 5.70"\n}', "is not an operator"),
        (">= 1.10.0, != \u0661.2.3", "is not an operator"),  # Arabic-Indic digits: not to Terraform
        (">=\u20281.10.0", "is not an operator"),  # a line separator is no white space to Terraform
    ],
)
def test_terraform_refuses(text, why):
    assert why in (problem(text) or "")


def test_default_provider_constraint_is_bounded_at_the_next_major():
    assert DEFAULT_AWS_PROVIDER_VERSION == ">= 5.70, < 6.0"
    assert problem(DEFAULT_AWS_PROVIDER_VERSION) is None
