"""Output targets.  Each target is a folder; ``terraform/`` is the first."""
