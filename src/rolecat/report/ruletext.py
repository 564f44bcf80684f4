"""What each diagnostic code means, in words, for SARIF rules and anyone else who needs it.

The core codes' sentences are docs/catalog.md's "Diagnostics" tables (a test keeps the two
equal); the IAM, policy-grammar and escalation codes take theirs from the modules that
emit them.  ``rule_text(code)`` answers for any code; ``doc_url(code)`` is the absolute
link to where the code is documented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REPOSITORY_URL = "https://github.com/rolecat/rolecat"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/docs/"

# docs/catalog.md, "Diagnostics": code -> meaning (Markdown).
CORE: dict[str, str] = {
    "L000": "The file cannot be read (permissions, a broken link, an I/O error).",
    "L001": "The file is not valid UTF-8. The message gives the offending byte and offset.",
    "L002": "YAML syntax error.",
    "L003": "A key appears twice in the same mapping (YAML) or object (JSON). Parsers silently keep one of them, so rolecat refuses both.",
    "L004": "A YAML tag other than the standard ones (`!!python/object`, `!Ref`, ...). Catalog files hold plain values only.",
    "L005": "A YAML merge key (`<<`). Write the keys out, so reviewers see what a role gets.",
    "L006": "A mapping key that is not a plain scalar (a list or mapping used as a key).",
    "L007": "The YAML file is empty.",
    "L008": "YAML aliases expand to more than 100,000 values (an alias bomb), or the document is nested too deeply.",
    "L009": "JSON syntax error in a policy or boundary file (after placeholders are rendered).",
    "S000": "Any other schema violation (the message is the validator's).",
    "S001": "Wrong type: for example a list where a mapping is expected.",
    "S002": "Unknown key. The hint suggests the closest known key, or lists the known keys.",
    "S003": "A required key is missing.",
    "S004": "YAML read an unquoted value as a number or boolean where a string is expected (an account id, `on`, `yes`, `no`). The hint says how to quote it.",
    "S005": "A value or a mapping key does not match its pattern (names, paths, account ids, regions, owners).",
    "S006": "A value is not one of the allowed values (`kind`).",
    "S007": "A number is out of range (session durations, quotas).",
    "S008": "Too few or too many items, characters or keys (an empty `accounts` list, a description over 1000 characters).",
    "S009": "A list has duplicate entries.",
    "C000": "`catalog.yaml` or `users.yaml` is missing.",
    "C001": "Not exactly one account has `identity: true`.",
    "C002": "Two accounts have the same `id`.",
    "C003": "Two users differ only in case; IAM names are case-insensitive.",
    "C010": "A role's `accounts` names an account that is not in `catalog.yaml`.",
    "C011": "A role's `policies` names a policy without a file `policies/<name>.json`.",
    "C012": "`members` or `temporary_members` names a user who is not in `users.yaml`.",
    "C013": "`boundary` or `delegated_role_creation.boundary` names a boundary without a file `boundaries/<name>.json`.",
    "C014": "`managed_policies` names something that is not an attachable AWS managed policy: an unknown bare name, a known name under the wrong path, an ARN that is not `arn:aws:iam::aws:policy/...`, or a service-linked role policy.",
    "C015": "Two role files define the same role name (ignoring case) in one account.",
    "C016": "A role has no `boundary` and no `admin: true`.",
    "C017": "A human role has `trusted_services`; set `kind: service`.",
    "C018": "A service role has `members`, `temporary_members`, `mfa_max_age`, `session_tags` or `source_identity`, or has no `trusted_services`.",
    "C019": "A human role has neither `members` nor `temporary_members`.",
    "C020": "An `until` does not follow the [Time](#time) rules.",
    "C022": "A user is both a member and a temporary member of the same role.",
    "C023": "A human role's path plus name is longer than 64 characters, which the console's Switch Role cannot handle.",
    "C030": "A `.json` file under `roles/` is ignored: role files are YAML.",
    "C031": "A file in `policies/` or `boundaries/` that is not `.json` is ignored.",
    "C032": "A policy or boundary file is not used by any role.",
    "T001": "A policy or boundary file contains template syntax other than the [placeholders](#policy-and-boundary-files).",
    "T002": "`{{ account.environment }}` is used in an account that has no `environment`.",
    "T003": "A file could not be rendered. The scan admits only plain placeholders, so this indicates a bug in rolecat.",
    "Q001": "A trust policy is longer than `quotas.trust_policy_size`. Give temporary members a common `until`, split the role, or raise the quota.",
    "Q002": "A role attaches more managed policies (customer plus AWS) than `quotas.managed_policies_per_role`.",
    "Q003": "The inline `rolecat-delegated-role-creation` policy of a role is longer than 10,240 characters.",
    "Q004": "An account would hold more rolecat roles than `quotas.roles_per_account`.",
    "Q005": "An account would hold more rolecat customer managed policies than `quotas.customer_managed_policies_per_account` (the identity account's two policies included).",
    "Q006": "A rendered policy or boundary document is longer than 6,144 characters.",
    "Q007": "An IAM policy name (`policy-<name>`, `boundary-<name>`) is longer than 128 characters.",
    "Q008": "The identity account's `<organization>-assume-roles` policy is longer than 6,144 characters. Use fewer distinct human role paths.",
    "W001": "The output folder is not empty and has no `manifest.json` from rolecat (or is not a folder). Choose an empty folder, or pass `--force`.",
    "W002": "The output folder holds the folder of an account that is no longer in the catalog. Run `terraform destroy` there first, then compile with `--prune-accounts`.",
    "W003": "The previous `manifest.json` cannot be read, or names a path outside the output folder. Restore it, or pass `--force`.",
}

# docs/catalog.md's section (GitHub heading anchor) per code letter.
_CORE_SECTIONS = {
    "L": "load-l0xx",
    "S": "schema-s0xx",
    "C": "catalog-c0xx",
    "T": "placeholders-t0xx",
    "Q": "quotas-q0xx",
    "W": "write-w0xx",
}


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


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def rule_text(code: str) -> RuleText:
    """The words for ``code``; a code nobody documented still gets a truthful line."""
    if code in CORE:
        text = CORE[code]
        return RuleText(code, plain(_first_sentence(text)), text, None, doc_url(code))
    from rolecat.rules.iam import CHECKS

    for check in CHECKS:
        if check.code == code:
            return RuleText(code, _capital(check.summary), check.rationale, check.fix, doc_url(code))
    from rolecat.rules.grammar import CODES as GRAMMAR

    if code in GRAMMAR:
        summary = GRAMMAR[code]
        return RuleText(code, _capital(summary), f"{_capital(summary)}.", None, doc_url(code))
    from rolecat.workflow.escalations import CODES as ESCALATION

    for known, _severity, summary in ESCALATION:
        if known == code:
            return RuleText(code, _capital(summary), f"{_capital(summary)}.", None, doc_url(code))
    return RuleText(code, f"rolecat diagnostic {code}", f"rolecat diagnostic {code}.", None, doc_url(code))


def doc_url(code: str) -> str:
    """Absolute link to the documentation of ``code``."""
    letter = code[:1]
    if code in CORE or letter in _CORE_SECTIONS:
        return f"{DOCS_URL}catalog.md#{_CORE_SECTIONS.get(letter, 'diagnostics')}"
    if letter == "I":
        from rolecat.rules.iam import CHECKS

        for check in CHECKS:
            if check.code == code:
                return f"{DOCS_URL}checks.md#{_slug(f'{check.code}: {check.summary} ({check.severity})')}"
        return f"{DOCS_URL}checks.md#iam-checks"
    if letter in "PA":
        return f"{DOCS_URL}checks.md#{code.lower()}"
    if letter == "E":
        return f"{DOCS_URL}workflow.md#diagnostics-e1xx"
    return f"{DOCS_URL}catalog.md#diagnostics"
