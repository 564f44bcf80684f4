"""Rules that turn the model into diagnostics.  A new check: its ``Rule`` in ``registry.py``,
its function here (IAM checks in ``iam.py``); ``runner.py`` runs them and applies ``accept:``."""
