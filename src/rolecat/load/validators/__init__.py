"""Validators generated from the catalog schemas (scripts/gen-validators.py)."""
