"""Rules that turn the model into diagnostics: policy grammar, IAM checks, quotas.  A new check goes here."""
