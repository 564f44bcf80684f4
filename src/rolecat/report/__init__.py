"""Diagnostics as text, JSON and SARIF; the summary line; exit codes."""
