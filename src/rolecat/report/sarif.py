"""SARIF 2.1.0 for GitHub code scanning: one result per diagnostic, with file and line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rolecat.diagnostics import Diagnostic, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _rules(diags: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    """A reportingDescriptor per code that occurs, from the rule registry."""
    from rolecat.rules.registry import BY_CODE

    out = []
    for code in sorted({d.code for d in diags}):
        rule = BY_CODE.get(code)
        descriptor: dict[str, Any] = {
            "id": code,
            "shortDescription": {"text": rule.summary if rule else code},
            "helpUri": f"docs/checks.md#{code.lower()}",
        }
        if rule is not None:
            if rule.rationale:
                descriptor["fullDescription"] = {"text": rule.rationale}
            if rule.fix_text:
                descriptor["help"] = {"text": rule.fix_text}
            descriptor["defaultConfiguration"] = {"level": _LEVEL[rule.severity]}
            descriptor["properties"] = {"stage": rule.stage, "acceptable": rule.acceptable}
        out.append(descriptor)
    return out


def sarif_log(diags: Sequence[Diagnostic]) -> dict[str, Any]:
    from rolecat import __version__

    rules = _rules(diags)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
        }
        if d.location is not None:
            region = {"startLine": max(d.location.line, 1), "startColumn": max(d.location.col, 1)}
            result["locations"] = [
                {"physicalLocation": {"artifactLocation": {"uri": d.location.path}, "region": region}}
            ]
        if d.accepted_reason is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": d.accepted_reason}]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rolecat",
                        "version": __version__,
                        "informationUri": "https://github.com/rolecat/rolecat",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
