"""Placeholders are replaced by plain substitution; Jinja's immutable sandbox is the oracle.

The spec allows rendering policy files "in a sandbox (or by plain substitution)".  rolecat
substitutes, so no template engine runs on a catalog file; these tests prove that for every
file the scan admits, the text is exactly what the sandboxed Jinja rendering (what rolecat
did before) prints: same values, newlines normalised the same way, the final one kept.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rolecat.model.catalog import Account, PolicyFile
from rolecat.model.policyfile import PLACEHOLDERS, render, scan

JINJA = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def _jinja(text: str, account: Account, organization: str) -> str:
    context = {
        "account": {"id": account.id, "name": account.name, "environment": account.environment},
        "organization": organization,
        "region": account.region,
        "partition": account.partition,
    }
    return JINJA.from_string(text).render(context)


PIECES = st.one_of(
    st.sampled_from(
        [f"{{{{{pad}{p}{pad2}}}}}" for p in PLACEHOLDERS for pad in ("", " ") for pad2 in ("", "  ")]
    ),
    st.sampled_from(["${aws:username}", "\r\n", "\r", "\n", '"', "\\", "$", "}", "{", "%", "#", " "]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(PIECES, max_size=12),
    name=NAMES,
    environment=st.one_of(st.none(), NAMES),
    region=st.sampled_from(["eu-west-1", "us-gov-west-1", "cn-north-1"]),
    organization=NAMES,
)
def test_substitution_prints_what_the_jinja_sandbox_prints(
    pieces: list[str], name: str, environment: str | None, region: str, organization: str
) -> None:
    text = "".join(pieces)
    file = PolicyFile("p", "policy", "policies/p.json", text)
    found = scan(file)
    account = Account(name, "123456789012", False, environment, region)
    rendered, problems = render(file, found, account, organization)
    if found.problems:
        assert rendered is None and problems
        return
    if "account.environment" in found.used and environment is None:
        assert rendered is None and [d.code for d in problems] == ["T002"]
        return
    assert problems == []
    assert rendered == (_jinja(text, account, organization) if found.used else text)


def test_substitution_runs_nothing_and_keeps_aws_variables() -> None:
    text = '{"Resource": "arn:{{ partition }}:s3:::{{ organization }}-${aws:username}/{{account.id}}"}\r\n'
    file = PolicyFile("p", "policy", "policies/p.json", text)
    account = Account("prod", "111122223333", False, "prod", "us-gov-west-1")
    rendered, problems = render(file, scan(file), account, "acme")
    assert problems == []
    assert rendered == '{"Resource": "arn:aws-us-gov:s3:::acme-${aws:username}/111122223333"}\n'
