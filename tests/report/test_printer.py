"""The diagnostics printers: text and JSON print the same hint."""

from __future__ import annotations

import io
import json

from rolecat.diagnostics import Location, warning
from rolecat.report.printer import to_json, write_text
from rolecat.rules.registry import BY_CODE


def test_json_prints_the_rules_fix_as_the_text_does() -> None:
    """A diagnostic without a hint of its own gets its rule's fix from the registry, in
    the JSON (it had "hint": null) as in the text."""
    fix = BY_CODE["C032"].fix
    assert fix
    bare = warning("C032", "policy file not used by any role", Location("policies/old.json"))
    own = warning("C032", "policy file not used by any role", Location("policies/x.json"), "its own hint")
    text = io.StringIO()
    write_text([bare, own], text)
    assert f"hint: {fix}" in text.getvalue() and "hint: its own hint" in text.getvalue()
    data = json.loads(to_json([bare, own]))
    assert [d["hint"] for d in data] == [fix, "its own hint"]
