"""Access review: who-can, explain, diff and guardrails over the IAM engine (issue 12)."""
