"""Each template's code (scripts/gen-templates.py; see ../precompiled.py)."""
