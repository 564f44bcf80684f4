"""SARIF 2.1.0 for GitHub code scanning: one result per diagnostic, with file and line.

Every rule carries its words (``ruletext``): a one-line ``shortDescription``, a
``fullDescription``, ``help`` (text and Markdown) and an absolute ``helpUri``.  Findings
that are security problems (privilege escalation and its kin) carry GitHub's
``security-severity`` and the ``security`` tag, so code scanning files them as security
alerts.  Artifact URIs are relative to the repository (the git work tree holding the file,
else the current folder), percent-encoded, never absolute paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rolecat.diagnostics import Diagnostic, Severity
from rolecat.report.ruletext import REPOSITORY_URL, plain, rule_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}

# GitHub reads `security-severity` (0.0-10.0: >= 9 critical, >= 7 high, >= 4 medium) on a
# rule and files its results as security alerts.  Only findings that widen who can do what
# in AWS are security findings; style and syntax problems are not.
SECURITY_SEVERITY: dict[str, str] = {
    "I001": "8.8",  # the role can escalate its own privileges
    "I002": "8.1",  # effectively administrator without admin: true
    "I003": "7.5",  # the boundary does not protect itself: its holder can lift it
    "I006": "7.0",  # MFA condition that an access key without MFA satisfies
    "I005": "4.3",  # many permanent members of an admin role
    "E102": "4.0",  # an escalation longer than the catalog allows
}


def _pascal(summary: str) -> str:
    """SARIF's rule ``name``: an identifier made of the summary's words (PrivilegeEscalation)."""
    words = re.findall(r"[A-Za-z0-9]+", summary)
    return "".join(w[:1].upper() + w[1:] for w in words[:8])


def _rule(code: str) -> dict[str, Any]:
    text = rule_text(code)
    full = plain(text.description)
    help_text = full + (f" Fix: {plain(text.fix)}" if text.fix else "") + f" See {text.url}"
    help_md = text.description + (f"\n\n**Fix.** {text.fix}" if text.fix else "")
    help_md += f"\n\n[Documentation]({text.url})"
    rule: dict[str, Any] = {
        "id": code,
        "name": _pascal(text.summary) or code,
        "shortDescription": {"text": text.summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": text.url,
    }
    from rolecat.rules.registry import BY_CODE

    registered = BY_CODE.get(code)
    properties: dict[str, Any] = {}
    if registered is not None:
        rule["defaultConfiguration"] = {"level": _LEVEL[registered.severity]}
        properties.update(stage=registered.stage, acceptable=registered.acceptable)
    if code in SECURITY_SEVERITY:
        properties.update(tags=["security", "iam"], precision="high")
        properties["security-severity"] = SECURITY_SEVERITY[code]
    if properties:
        rule["properties"] = properties
    return rule


@cache
def _repo_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


# The base of every URI relative to the root of the git repository holding the file.
SRCROOT = "%SRCROOT%"
SRCROOT_DESCRIPTION = "The root of the git repository holding the catalog."


def artifact_location(path: str, cwd: Path | None = None) -> dict[str, str]:
    """``path`` as a SARIF artifactLocation: a relative URI reference, never absolute,
    always percent-encoded.  From the repository root (``uriBaseId`` %SRCROOT%, the base
    code scanning resolves against the checkout) when the file is in a git work tree, else
    from ``cwd``."""
    root = None
    try:
        here = (cwd or Path.cwd()).resolve()
        absolute = (here / path).resolve()
        root = _repo_root(absolute.parent)
        relative = Path(os.path.relpath(absolute, root or here)).as_posix()
    except (OSError, ValueError):  # a hostile name (NUL): keep it as written, relative
        relative = path.lstrip("/")
    # surrogateescape: the bytes of a non-UTF-8 file name are percent-encoded as they are
    uri = quote(relative, safe="/-._~!$&'()*+,;=:@", errors="surrogateescape")
    return {"uri": uri, "uriBaseId": SRCROOT} if root is not None else {"uri": uri}


def artifact_uri(path: str, cwd: Path | None = None) -> str:
    """The URI of ``artifact_location``."""
    return artifact_location(path, cwd)["uri"]


def sarif_log(diags: Sequence[Diagnostic]) -> dict[str, Any]:
    from rolecat import __version__

    rules = [_rule(code) for code in sorted({d.code for d in diags})]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    bases: set[str] = set()  # the uriBaseIds the locations use, declared in the run
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
        }
        if d.location is not None:
            region = {"startLine": max(d.location.line, 1), "startColumn": max(d.location.col, 1)}
            where = artifact_location(d.location.path)
            if "uriBaseId" in where:
                bases.add(where["uriBaseId"])
            result["locations"] = [{"physicalLocation": {"artifactLocation": where, "region": region}}]
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
                        "informationUri": REPOSITORY_URL,
                        "rules": rules,
                    }
                },
                "results": results,
                **(
                    {"originalUriBaseIds": {SRCROOT: {"description": {"text": SRCROOT_DESCRIPTION}}}}
                    if SRCROOT in bases
                    else {}
                ),
            }
        ],
    }
