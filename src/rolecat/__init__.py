"""rolecat: compile a YAML catalog of AWS IAM job-function roles into reviewed Terraform."""

from rolecat import classcode as _classcode

__version__ = "0.1.0"

_classcode.install()  # before any of rolecat's dataclasses is defined
