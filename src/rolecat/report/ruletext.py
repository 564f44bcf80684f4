"""What each diagnostic code means, in words, for SARIF rules (GitHub shows them).

The words come from the rule registry (``rules/registry.py``); this module shapes them
for plain-text fields (no Markdown) and gives the absolute link to the code's entry in
docs/checks.md, which is generated from the same registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REPOSITORY_URL = "https://github.com/rolecat/rolecat"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/docs/"


@dataclass(frozen=True)
class RuleText:
    code: str
    summary: str  # one line, no Markdown
    description: str  # Markdown: what the rule is about
    fix: str | None  # Markdown: how to fix it, where known
    url: str  # absolute


def plain(markdown: str) -> str:
    """Markdown inline code and emphasis removed: the text a plain-text field shows."""
    return re.sub(r"[`*]", "", markdown)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.;:])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".;:")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


def doc_url(code: str) -> str:
    """Absolute link to the documentation of ``code`` (its anchor in docs/checks.md)."""
    from rolecat.rules.registry import BY_CODE

    rule = BY_CODE.get(code)
    return f"{DOCS_URL}checks.md" + (f"#{rule.anchor}" if rule is not None else "")


def rule_text(code: str) -> RuleText:
    """The words for ``code``; a code nobody registered still gets a truthful line."""
    from rolecat.rules.registry import BY_CODE

    rule = BY_CODE.get(code)
    if rule is None:
        return RuleText(
            code, f"rolecat diagnostic {code}", f"rolecat diagnostic {code}.", None, doc_url(code)
        )
    summary = _capital(plain(_first_sentence(rule.summary)))
    description = " ".join(filter(None, (_sentence(_capital(rule.summary)), _sentence(rule.rationale))))
    return RuleText(code, summary, description, rule.fix_text or None, doc_url(code))
