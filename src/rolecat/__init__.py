"""rolecat: compile a YAML catalog of AWS IAM job-function roles into reviewed Terraform."""

__version__ = "0.1.0"
