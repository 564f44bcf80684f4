"""Injection: every free-text string the schema accepts reaches Terraform unchanged.

Property: for any role ``description``, role ``tags`` key and value, user ``team``,
``name`` and ``email`` the schema accepts, the compiled Terraform (1) is formatted
exactly as ``hclfmt`` wants, (2) parses with python-hcl2, and (3) holds the very
string, with no interpolation (``${...}``) or directive (``%{...}``) left in it.

python-hcl2 (8.1) returns strings in source form; with ``strip_string_quotes`` it
resolves backslash escapes but leaves ``$${`` / ``%%{`` and any real interpolation as
written, so ``literal`` below finishes the job and refuses an unescaped ``${``/``%{``.
It also fails to parse valid HCL with an unbalanced escape (``"a$${b"``, ``"a%%{b"``;
hclfmt, built on HashiCorp's parser, accepts both), so ``parse`` swaps the two escapes
for sentinels before python-hcl2 sees the text and ``literal`` swaps them back.
hclfmt stays the judge of syntax.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions
from hostile_support import HCLFMT, cli, copy_minimal, needs_hclfmt
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)

TRICKY = [
    "${",
    "%{",
    "$${",
    "%%{",
    "}",
    "$",
    "%",
    "\\",
    '"',
    "\\n",
    "\\u0041",
    "~}",
    "{{",
    "}}",
    "<<EOF",
    "#",
    "//",
]

# role description: ^[\t\n\r\x20-\x7e\xa1-\xff]*$, at most 1000 characters
DESCRIPTION_CHARS = st.sampled_from(
    ["\t", "\n", "\r", *map(chr, range(0x20, 0x7F)), *map(chr, range(0xA1, 0x100))]
)
# team, name, tag keys and values: ^[\w _.:/=+@-]*$ (Python's Unicode \w)
TAG_CHARS = st.one_of(
    st.sampled_from(list(" _.:/=+@-")),
    st.characters(
        categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No"), exclude_characters="\ue000"
    ).filter(lambda c: re.fullmatch(r"\w", c) is not None),
)
# email: ^[A-Za-z0-9._+=:/-]+@[A-Za-z0-9.-]+$ (characters AWS accepts in tag values)
EMAIL_LOCAL = st.sampled_from(list("abcXYZ019._+=:/-"))
EMAIL_DOMAIN = st.sampled_from(list("abcXYZ019.-"))


def with_tricks(chars: st.SearchStrategy[str], *, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(chars, st.sampled_from(TRICKY)), min_size=min_size, max_size=max_size)
    return pieces.map("".join)


descriptions = with_tricks(DESCRIPTION_CHARS, min_size=0, max_size=30).filter(
    lambda s: re.fullmatch(r"[\t\n\r\x20-\x7e\xa1-\xff]*", s) is not None and len(s) <= 1000
)
# in Unicode NFC: HCL normalises strings to it, so other text is refused (C087, its own corpus cases)
tag_text = st.text(TAG_CHARS, min_size=1, max_size=30).filter(lambda s: unicodedata.is_normalized("NFC", s))
emails = st.builds(
    lambda a, b: f"{a}@{b}",
    st.text(EMAIL_LOCAL, min_size=1, max_size=12),
    st.text(EMAIL_DOMAIN, min_size=1, max_size=12),
)

Role = tuple[str, dict[str, str]]
User = dict[str, str]
role_strategy = st.tuples(
    descriptions,
    st.dictionaries(
        tag_text.filter(lambda k: len(k) <= 128),
        st.text(TAG_CHARS, max_size=30).filter(lambda s: unicodedata.is_normalized("NFC", s)),
        max_size=3,
    ),
)
user_strategy = st.fixed_dictionaries({}, optional={"team": tag_text, "name": tag_text, "email": emails})


DOLLAR, PERCENT = "\ue000\ue001D", "\ue000\ue001P"  # never produced by the strategies below


def parse(text: str) -> dict[str, Any]:
    assert DOLLAR not in text and PERCENT not in text
    text = text.replace("$${", DOLLAR).replace("%%{", PERCENT)
    result: dict[str, Any] = hcl2.loads(text, serialization_options=OPTIONS)
    return result


def literal(source_form: str) -> str:
    """The value of an HCL quoted string as python-hcl2 hands it over (escapes resolved)."""
    out = []
    i = 0
    while i < len(source_form):
        two, three = source_form[i : i + 2], source_form[i : i + 3]
        if three in ("$${", "%%{"):
            out.append(three[1:])
            i += 3
        elif two in ("${", "%{"):
            raise AssertionError(f"unescaped template sequence in {source_form!r}")
        else:
            out.append(source_form[i])
            i += 1
    return "".join(out).replace(DOLLAR, "${").replace(PERCENT, "%{")


def key_value(key: str) -> str:
    """A tag key as python-hcl2 returns it: bare identifiers as is, quoted ones quoted."""
    if len(key) >= 2 and key[0] == key[-1] == '"':
        return literal(parse(f"k = {key}\n")["k"])
    return key


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=False, default_flow_style=False, width=10**9, sort_keys=False)


def write_catalog(root: Path, roles: list[Role], users: list[User]) -> Path:
    catalog = copy_minimal(root / "catalog")
    entries: dict[str, Any] = {"alice": {}, "bob": {}, "carol": {}}
    for i, attrs in enumerate(users):
        entries[f"fuzz{i}"] = dict(attrs) or None
    (catalog / "users.yaml").write_text(dump_yaml({"users": entries}))
    for i, (description, tags) in enumerate(roles):
        role: dict[str, Any] = {
            "name": f"Fuzz{i}",
            "accounts": ["prod"],
            "boundary": "base",
            "members": ["alice"],
        }
        if description:
            role["description"] = description
        if tags:
            role["tags"] = tags
        (catalog / "roles" / "prod" / f"Fuzz{i}.yaml").write_text(dump_yaml(role))
    return catalog


def blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """resource "kind" "label" {...} blocks of a parsed file, by label (quotes dropped)."""
    out: dict[str, dict[str, Any]] = {}
    for resource in parsed.get("resource", []):
        for k, labelled in resource.items():
            if k.strip('"') == kind:
                for label, body in labelled.items():
                    out[label.strip('"')] = body
    return out


def compile_and_parse(root: Path) -> dict[str, dict[str, Any]]:
    run = cli(["compile", "catalog", "-o", "out", "--now", "2026-06-01"], root)
    assert run.exit_code == 0, run.stderr
    parsed = {}
    roles = sorted(p.relative_to(root / "out").as_posix() for p in (root / "out" / "prod").glob("role.*.tf"))
    for rel in (*roles, "security/users.tf"):
        text = (root / "out" / rel).read_text("utf-8")
        if HCLFMT is not None:
            fmt = subprocess.run(
                [HCLFMT, "-check", "-require-no-change", str(root / "out" / rel)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert fmt.returncode == 0, f"{rel} is not as hclfmt formats it:\n{fmt.stderr}"
        parsed[rel] = parse(text)
    # every role file of prod, as one parsed module
    parsed["prod/role.*.tf"] = {"resource": [r for rel in roles for r in parsed[rel].get("resource", [])]}
    return parsed


def check_round_trip(root: Path, roles: list[Role], users: list[User]) -> None:
    write_catalog(root, roles, users)
    parsed = compile_and_parse(root)
    role_blocks = blocks(parsed["prod/role.*.tf"], "aws_iam_role")
    for i, (description, tags) in enumerate(roles):
        body = role_blocks[f"Fuzz{i}"]
        if description:
            assert literal(body["description"]) == description
        got = {key_value(k): literal(v) for k, v in body["tags"].items()}
        want = {"rolecat:source": f"roles/prod/Fuzz{i}.yaml", **tags}
        assert got == want
    user_blocks = blocks(parsed["security/users.tf"], "aws_iam_user")
    for i, attrs in enumerate(users):
        body = user_blocks[f"fuzz{i}"]
        got = {key_value(k): literal(v) for k, v in body.get("tags", {}).items()}
        assert got == attrs


@needs_hclfmt
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a compile takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(roles=st.lists(role_strategy, min_size=1, max_size=6), users=st.lists(user_strategy, max_size=6))
def test_free_text_round_trips(
    roles: list[Role], users: list[User], tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_round_trip(tmp_path_factory.mktemp("rt"), roles, users)


NASTY = [
    "${aws:username}",
    "%{ if true }x%{ endif }",
    "$${already escaped}",
    "%%{already escaped}",
    'quote " and backslash \\ and \\" both',
    "line\nbreak\r\nand\ttab",
    "trailing backslash \\",
    "$",
    "%",
    "${",
    "}",
    "ends with $",
    "$$${x}",
    "\\${x}",
    "<<EOF\nheredoc?\nEOF",
    "# not a comment",
    "ÿ¡é",
]


@needs_hclfmt
def test_known_nasty_strings_round_trip(tmp_path: Path) -> None:
    """The hand-picked cases, so a regression does not depend on hypothesis finding it."""
    roles = [(text, {}) for text in NASTY]
    users = [
        {"email": "x.y+z=/:-@b.example", "team": "ü_:/=+@-", "name": "Ω 名前"},
    ]
    check_round_trip(tmp_path, roles, users)


@needs_hclfmt
def test_tag_keys_of_many_scripts_round_trip_as_hclfmt_aligns_them(tmp_path: Path) -> None:
    """hclfmt aligns `=` by grapheme clusters of Unicode 15; a key holding a prepended
    letter or a jamo syllable is counted otherwise by len().  Found by the round-trip
    property: the Malayalam dot reph (U+0D4E) in the first key."""
    tags = {
        "-/\U00024034\u014aR.\u00e7\u0126\u0d4e\u00ba:_k@/": "a",
        "//-=": "\U000269b2./",
        "\u1113\u1161 x": "b",  # an old jamo syllable: one cluster, two characters (and NFC)
        "team": "c",
    }
    check_round_trip(tmp_path, [("keys of many scripts", tags)], [])


def test_literal_refuses_interpolation() -> None:
    """The oracle itself must be able to fail."""
    with pytest.raises(AssertionError):
        literal("x${var.a}")
    with pytest.raises(AssertionError):
        literal("%{ if x }")
    assert literal("$${a} %%{b} $$${c}") == "${a} %{b} $${c}"
    assert literal(parse('x = "a$${b %%{c"\n')["x"]) == "a${b %{c"
