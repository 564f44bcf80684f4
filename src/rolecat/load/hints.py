"""Hints a person can act on, for the load and schema stages' most common mistakes.

- ``yaml_error``: a YAML syntax error (L002) explained from the text around it: where the
  indentation broke and what the lines around it use, a tab, a quote never closed, a value
  holding ``: `` that needs quotes.
- ``pattern_hint``: a value that does not match its schema pattern (S005) described in words
  with a valid example, and the characters that broke it, instead of the regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters YAML reserves at the start of a plain value (YAML 1.1, 9.1.3, "c-indicator":
# "@" and "`" are reserved for future use; "%" starts a directive): PyYAML refuses them.
_RESERVED = "@`%"

YAML_RULES = (
    "YAML: one `key: value` per line; a nested block is indented with spaces, deeper than its key, "
    "and its keys (or its `- ` items) line up in one column; quote a value that holds `: ` or starts "
    "with one of [ ] { } & * ! | > % @ `"
)


@dataclass(frozen=True)
class YamlHint:
    message: str
    hint: str
    line: int  # 1-based
    col: int  # 1-based


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _meaningful(lines: list[str], before: int) -> int | None:
    """Index of the nearest line before ``before`` that holds YAML (not blank, not a comment)."""
    for index in range(min(before, len(lines)) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index
    return None


def _columns_in_use(lines: list[str], upto: int) -> list[int]:
    seen: set[int] = set()
    for line in lines[:upto]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            seen.add(_indent(line))
    return sorted(seen)


def _key_column(line: str) -> int:
    """Column of the key on ``line``: past its indentation and any ``- `` item markers."""
    column = _indent(line)
    rest = line[column:]
    while rest.startswith("- "):
        stripped = rest[1:].lstrip(" ")
        column += len(rest) - len(stripped)
        rest = stripped
    return column


def _unclosed_double_quote(text: str, error_line: int) -> tuple[int, int, int] | None:
    """(line, column, closing line) of a double-quoted scalar that spans lines and closes
    on ``error_line``: a quote left open on its line, which YAML read on to the next
    quote, where the error then shows.  Found by YAML's own scanner (so a quote inside a
    plain, single-quoted or block scalar is not one), up to the error."""
    import yaml

    found = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style == '"'
                and token.start_mark.line < token.end_mark.line == error_line
            ):
                found = (token.start_mark.line, token.start_mark.column, token.end_mark.line)
    except yaml.YAMLError:
        pass
    return found


def _spaces(n: int) -> str:
    return f"{n} space{'s' if n != 1 else ''}"


def yaml_error(
    text: str,
    problem: str,
    line: int,
    col: int,
    context: str | None,
    context_line: int | None,
    context_col: int | None,
) -> YamlHint:
    """A message and hint for PyYAML's ``problem`` at 0-based ``line``/``col``."""
    lines = text.split("\n")
    here = lines[line] if 0 <= line < len(lines) else ""
    raw = f"YAML syntax error: {problem}"
    if "'\\t'" in problem or "\t" in here[: max(col, 0) + 1]:
        return YamlHint(
            raw,
            "YAML indents with spaces only; replace the tab on this line with spaces",
            line + 1,
            col + 1,
        )
    if "nesting depth" in problem:
        return YamlHint(
            raw,
            "a catalog file needs a few levels of nesting only; look for brackets or indentation "
            "that never close",
            line + 1,
            col + 1,
        )
    if problem.startswith("found unexpected end of stream") and context and "quoted scalar" in context:
        opened = (context_line or 0) + 1
        return YamlHint(
            f"{raw}: the quote opened on line {opened} is never closed",
            f"close the quote on line {opened}, column {(context_col or 0) + 1}",
            opened,
            (context_col or 0) + 1,
        )
    if problem.startswith("but found another document"):
        return YamlHint(
            f"YAML syntax error: a catalog file holds one YAML document, and line {line + 1} starts another",
            f"remove the `---` on line {line + 1}; put another role in a file of its own",
            line + 1,
            col + 1,
        )
    unclosed = _unclosed_double_quote(text, line)
    if unclosed is not None:
        start, column, closed = unclosed
        return YamlHint(
            f"{raw}: the double quote opened on line {start + 1} is not closed on that line "
            f"(YAML reads on to the quote on line {closed + 1})",
            f"close the quote on line {start + 1}, column {column + 1}",
            start + 1,
            column + 1,
        )
    if "cannot start any token" in problem and 0 <= col < len(here) and here[col] in _RESERVED:
        mark = here[col]
        value = re.match(r"[^,\]}\r]*?(?=\s+#|[,\]}\r]|$)", here[col:])
        written = (value.group(0) if value else mark).rstrip()
        quoted = f'"{written}"' if '"' not in written else "'" + written.replace("'", "''") + "'"
        return YamlHint(
            f"{raw}: a value cannot start with {mark} unless it is quoted (YAML reserves the character)",
            f"quote it: {quoted}",
            line + 1,
            col + 1,
        )
    if problem.startswith("mapping values are not allowed"):
        previous = _meaningful(lines, line)
        key_col = _indent(here)
        if previous is not None and not lines[previous].rstrip().endswith(":"):
            above = lines[previous]
            above_key = _key_column(above)
            if key_col > above_key:
                return YamlHint(
                    f"{raw}: line {line + 1} is indented {_spaces(key_col)}, more than the key on line "
                    f"{previous + 1} ({_spaces(above_key)}), which holds a value and opens no nested block",
                    f"indent line {line + 1} by {_spaces(above_key)} like line {previous + 1}; {YAML_RULES}",
                    line + 1,
                    1,
                )
        return YamlHint(
            f"{raw}: a second `: ` on line {line + 1}",
            'a value that holds ": " must be quoted, e.g. description: "Ops: on call"',
            line + 1,
            col + 1,
        )
    if problem.startswith("expected <block end>") and context_line is not None:
        used = [c for c in _columns_in_use(lines, line) if c != _indent(here)]
        columns = ", ".join(str(c) for c in used) or "0"
        return YamlHint(
            f"{raw}: line {line + 1} is indented {_spaces(_indent(here))}, which lines up with no "
            f"block above it (the block from line {context_line + 1} uses {_spaces(context_col or 0)})",
            f"indent line {line + 1} like the keys it belongs with (indentation in use above: {columns} spaces); "
            "keys of one mapping line up",
            line + 1,
            1,
        )
    if problem.startswith("did not find expected '-' indicator") and context_line is not None:
        item_col = context_col or 0
        if _indent(here) == item_col and not here.lstrip(" ").startswith("-"):
            # a key in the items' column: meant as the item's next key, but not past its `- `
            item_line = _meaningful(lines, line)
            while item_line is not None and item_line > context_line and _indent(lines[item_line]) > item_col:
                item_line = _meaningful(lines, item_line)  # a deeper line of the item: go up
            if item_line is None or item_line < context_line:
                item_line = context_line
            key_col = _key_column(lines[item_line])
            return YamlHint(
                f"{raw}: line {line + 1} is in the column of the list's `- ` items ({_spaces(item_col)}, "
                f"from line {context_line + 1}) but does not start with `- `",
                f"to give the item of line {item_line + 1} another key, indent line {line + 1} by "
                f"{_spaces(key_col)} (just past its `- `); to start a new item, begin the line with `- `",
                line + 1,
                1,
            )
        return YamlHint(
            f"{raw}: line {line + 1} is indented {_spaces(_indent(here))}, which does not line up with "
            f"the list that starts on line {context_line + 1} (items at {_spaces(context_col or 0)})",
            f"give every `- ` item of the list {_spaces(context_col or 0)} of indentation, and indent an "
            "item's further keys to the column just past its `- `",
            line + 1,
            1,
        )
    if problem.startswith("did not find expected key") and context_line is not None:
        return YamlHint(
            f"{raw}: line {line + 1} is indented {_spaces(_indent(here))}, which does not line up with "
            f"the mapping that starts on line {context_line + 1} (keys at {_spaces(context_col or 0)})",
            f"indent line {line + 1} like the keys it belongs with (indentation in use above: "
            f"{', '.join(str(c) for c in _columns_in_use(lines, line))} spaces); keys of one mapping line up",
            line + 1,
            1,
        )
    if problem.startswith("could not find expected ':'") and context_line is not None:
        return YamlHint(
            f"{raw}: line {context_line + 1} has no `: ` after its key",
            f"write line {context_line + 1} as `key: value` (a space after the colon), "
            "or quote it if it is a value",
            context_line + 1,
            (context_col or 0) + 1,
        )
    if context and "flow sequence" in context and context_line is not None:
        return YamlHint(
            f"{raw}: the [ opened on line {context_line + 1} is not closed",
            f"close the list with ] on line {context_line + 1}, or write it as lines of `- item`",
            line + 1,
            col + 1,
        )
    if context and "flow mapping" in context and context_line is not None:
        return YamlHint(
            f"{raw}: the {{ opened on line {context_line + 1} is not closed",
            f"close the mapping with }} on line {context_line + 1}",
            line + 1,
            col + 1,
        )
    return YamlHint(raw, YAML_RULES, line + 1, col + 1)


# --------------------------------------------------------------------------- patterns

# The schemas' patterns (ECMA-262 spelling), in words, with a valid example.
PATTERNS: dict[str, tuple[str, str]] = {
    "^[a-z0-9][a-z0-9-]*$": ("lowercase letters, digits and hyphens, not starting with a hyphen", "prod-eu"),
    "^[0-9]{12}$": ("exactly 12 digits, as a quoted string", '"123456789012"'),
    "^[A-Za-z0-9_.-]+$": ("letters, digits, underscores, dots and hyphens only", "prod-engineer"),
    "^[^\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff\\ufff9-\\ufffb]*$": (
        "one line of plain text: no control or invisible formatting characters (newline, tab, escape, "
        "bidirectional override)",
        "INC-1234",
    ),
    "^(@[A-Za-z0-9][A-Za-z0-9-]{0,38}(/[A-Za-z0-9_.-]{1,100})?|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}"
    "(\\.[A-Za-z0-9-]{1,63})+)$": (
        "a GitHub @user, an @org/team, or an e-mail address user@example.com (no spaces, no #)",
        "@example/platform",
    ),
    "^ *((=|!=|>=|<=|>|<|~>) *)?v?[0-9]{1,9}(\\.[0-9]{1,9}){0,2}(-[0-9A-Za-z.-]{1,40})? *"
    "(, *((=|!=|>=|<=|>|<|~>) *)?v?[0-9]{1,9}(\\.[0-9]{1,9}){0,2}(-[0-9A-Za-z.-]{1,40})? *)*$": (
        "a Terraform version constraint: comma-separated [=|!=|>|>=|<|<=|~>] VERSION",
        ">= 5.70, < 6.0",
    ),
    "^[A-Za-z0-9_+=,.@/:-]{1,2048}$": (
        "an AWS managed policy name, path/name or ARN (letters, digits and _+=,.@/:-; no ${ or quotes)",
        "job-function/ViewOnlyAccess",
    ),
    "^[A-Za-z0-9_+=,.@-]{1,64}$": (
        "an IAM name: 1 to 64 letters, digits and _+=,.@- (no spaces or slashes)",
        "ProdEngineer",
    ),
    "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$": (
        "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, "
        "starting and ending with a letter or digit",
        "example-terraform-state",
    ),
    "^[A-Za-z0-9!_.*'()/-]*$": ("letters, digits and !_.*'()/- only (S3's safe key characters)", "iam/"),
    "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$": (
        "an IAM role ARN",
        "arn:aws:iam::123456789012:role/terraform-state",
    ),
    "^[a-z0-9-]+:[A-Za-z0-9]+$": ("service:Action, as in an IAM policy", "iam:CreateRole"),
    "^(rhino|path)-[a-z0-9-]{1,40}$": (
        "an escalation method id, as an I001 message starts (docs/checks.md)",
        "rhino-18",
    ),
    "^(\\*|[a-zA-Z0-9-]+:[A-Za-z0-9*?]+)$": (
        "service:Action with optional * and ? wildcards, or *",
        "iam:Create*",
    ),
    "^[^\\u0000-\\u001f]*$": (
        "text without control characters (no line breaks or tabs)",
        "arn:aws:s3:::audit-*",
    ),
    "^(@[A-Za-z0-9-]+(/[A-Za-z0-9._-]+)?|[^@\\s]+@[^@\\s]+)$": (
        "a GitHub @user, an @org/team or an email address",
        "@example/platform-leads",
    ),
    "^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$": ("an AWS region code", "eu-west-1"),
    "^/([A-Za-z0-9_+=,.@-]+/)*$": (
        "an IAM path: / or /segment/.../, starting and ending with /, segments of letters, digits and _+=,.@-",
        "/humans/",
    ),
    "^/([A-Za-z0-9_+=,.@-]+/)+$": (
        "an IAM path with at least one segment: /segment/.../, starting and ending with /",
        "/apps/",
    ),
    "^[A-Z][0-9]{3}$": ("a check code: a capital letter and three digits", "I001"),
    "^[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*$": (
        "characters IAM accepts in a description: printable ASCII and Latin-1 letters (no emoji)",
        "Read-only access for auditors",
    ),
    "^[\\w _.:/=+@-]{1,128}$": (
        "1 to 128 letters, digits, spaces and _.:/=+@- (AWS tag keys)",
        "cost-center",
    ),
    "^[\\w _.:/=+@-]*$": ("letters, digits, spaces and _.:/=+@- (AWS tag values)", "platform"),
    "^[\\w _.:/=+@-]{1,256}$": (
        "1 to 256 letters, digits, spaces and _.:/=+@- (AWS tag values)",
        "Platform team",
    ),
    "^[a-z0-9][a-z0-9.-]*\\.amazonaws\\.com(\\.cn)?$": (
        "a service principal ending in .amazonaws.com",
        "lambda.amazonaws.com",
    ),
    "^(policies|boundaries)/[A-Za-z0-9_+=,.@-]{1,128}$": (
        "policies/NAME or boundaries/NAME, NAME being 1 to 128 letters, digits and _+=,.@-",
        "policies/prod-engineer",
    ),
    "^[A-Za-z0-9_+=,.@-]{1,128}$": (
        "an IAM policy name: 1 to 128 letters, digits and _+=,.@-",
        "prod-engineer",
    ),
    "^[A-Za-z0-9_+=,.@:/-]+$": (
        "an IAM name, path or ARN: letters, digits and _+=,.@:/- (no spaces)",
        "arn:aws:iam::123456789012:policy/prod-engineer",
    ),
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ud800-\\udfff\\ufeff\\ufff9-\\ufffb]*$": (
        "text IAM takes in a policy description: any characters but control and invisible formatting ones "
        "(tab and line breaks allowed; no escape, bidirectional override or zero-width character)",
        "Read-only access for auditors",
    ),
    "^[a-z0-9][a-z0-9-]{0,63}$": (
        "1 to 64 lowercase letters, digits and hyphens, not starting with a hyphen",
        "prod-eu",
    ),
    "^[A-Za-z0-9._+=:/-]+@[A-Za-z0-9.-]+$": (
        "an email address of characters AWS allows in tag values",
        "alice@example.com",
    ),
    # issue 14: identity providers, federated subjects, external ids
    "^[0-9a-fA-F]{40}$": (
        "a SHA-1 thumbprint: exactly 40 hexadecimal digits",
        "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
    ),
    "^[A-Za-z0-9+=,.@:/-]{2,1224}$": (
        "2 to 1224 letters, digits and +=,.@:/- (an sts:ExternalId)",
        "acme-reporting",
    ),
    "^[A-Za-z0-9._:/@*?=+-]{1,255}$": (
        "a sub claim: letters, digits and ._:/@=+- with * and ? as wildcards",
        "repo:acme/app:ref:refs/heads/main",
    ),
    "^[A-Za-z0-9._:/@+=-]{1,255}$": ("an OIDC audience: letters, digits and ._:/@+=-", "sts.amazonaws.com"),
    "^[A-Za-z0-9_][A-Za-z0-9_.+=,@-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9_.+=,@-]{0,127}){0,7}$": (
        "a file path relative to the catalog folder: names of letters, digits and _.+=,@- separated by /, "
        "no leading / and no .. (at most 8 levels)",
        "saml/corp-sso.xml",
    ),
    "^[A-Za-z][A-Za-z0-9_]{0,15}:[A-Za-z0-9_]{1,64}$": (
        "a condition key prefix:name, such as SAML:sub or SAML:edupersonaffiliation (quote it in YAML)",
        "SAML:sub",
    ),
    "^https://[a-z0-9.-]+(/[A-Za-z0-9._~-]+)*$": (
        "an https:// issuer URL: lowercase host, optional path, no port or query",
        "https://token.actions.githubusercontent.com",
    ),
}

_CHAR_CLASS = re.compile(r"\^\[((?:\\.|[^\]])+)\](?:\{\d+(?:,\d*)?\}|[+*])\$")
_NAMES = {" ": "a space", "/": "a slash", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def _offending(pattern: str, value: str) -> list[str]:
    """The characters of ``value`` a single-character-class pattern does not allow."""
    match = _CHAR_CLASS.fullmatch(pattern)
    if match is None:
        return []
    allowed = re.compile(f"[{match.group(1)}]")
    found: list[str] = []
    for char in value:
        if not allowed.fullmatch(char) and char not in found:
            found.append(char)
    return found


def pattern_hint(pattern: str, value: object, *, example: str | None = None) -> tuple[str, str]:
    """(what the value must be, hint with an example) for a schema pattern; ``example``
    replaces the pattern's own where the caller knows better (a person's name)."""
    words, default = PATTERNS.get(pattern, (f"text matching {pattern}", ""))
    example = example or default
    details: list[str] = []
    if isinstance(value, str):
        bad = _offending(pattern, value)
        if bad:
            details.append("it has " + ", ".join(_NAMES.get(c, repr(c)) for c in bad[:5]))
        elif value == "":
            details.append("it is empty")
    hint = "; ".join([*details, f"a valid example: {example}" if example else f"the pattern is {pattern}"])
    return words, hint
