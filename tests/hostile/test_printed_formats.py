"""Every printed format is escaped: no catalog value can start a line, a section, an
annotation or a terminal control sequence in what rolecat prints.

The loader refuses control characters in free-text fields (see the corpus); these tests
go one step further and hand the printers hostile values directly (bypassing validate),
as a later change to a schema might, and check that the output still holds.  The
escape helpers are checked as properties over arbitrary text.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workflow_factory import at, catalog, role, temp

from rolecat.diagnostics import Diagnostic, Location, Severity
from rolecat.report.escape import LINK_BREAK, has_unsafe, printable
from rolecat.report.printer import to_json, to_sarif
from rolecat.workflow import codeowners, escalations, profiles

HOSTILE = [
    "INC-1\n[profile evil]\ncredential_process = sh -c id",
    "x\r\n::error file=catalog.yaml,line=1::forged",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "tab\there",
    "nul\x00byte",
    "del\x7f c1\x85 next-line",
    "line\u2028separator\u2029paragraph",
    "rtl \u202eevil\u202c override",
    "zero\u200bwidth",
    "bom\ufeff",
    "surrogate \udcff byte",
]
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def no_forged_lines(text: str, allowed_prefixes: tuple[str, ...]) -> None:
    for line in text.split("\n"):
        assert not CONTROL.search(line), repr(line)
        assert not line.startswith(("::", "[profile evil")), line
        if allowed_prefixes:
            assert line == "" or line.startswith(allowed_prefixes), line


@given(st.text())
@settings(max_examples=300)
def test_printable_is_one_line_without_controls(text: str) -> None:
    out = printable(text)
    assert "\n" not in out and "\r" not in out
    assert not has_unsafe(out)
    assert all(unicodedata.category(ch) not in ("Cc", "Zl", "Zp", "Cs") for ch in out)
    if not has_unsafe(text):
        assert out == text  # ordinary text is left alone


@given(st.text())
def test_markdown_cells_are_inert(text: str) -> None:
    from rolecat.access.diff import md

    out = md(text)
    nodes = out.split(LINK_BREAK)  # the text nodes GitHub links in, one by one
    joined = "".join(nodes)
    assert "\n" not in joined and "<" not in joined and ">" not in joined and "`" not in joined
    assert not has_unsafe(out)
    plain = re.sub(r"&(#96|amp|lt|gt);", "", joined).replace("\\\\", "")  # entities, escaped backslashes
    assert not re.search(r"(?<!\\)[*_\[\]|#]", plain)
    for node in nodes:
        assert not GITHUB_LINKS.search(shown(node)), (text, out)


# What GitHub links in a text node after Markdown is parsed: a mention, an issue reference,
# an extended autolink (www., a scheme, an e-mail address).
GITHUB_LINKS = re.compile(r"@[A-Za-z0-9]|#[0-9]|\bGH-[0-9]|\bwww\.|://", re.I)


def shown(node: str) -> str:
    """The text of a Markdown text node as rendered: backslash escapes of ASCII punctuation
    and HTML entities resolved (CommonMark)."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", node))


LINKY = st.text(alphabet=st.sampled_from(list("@#GHw.:/-ab1 &\\`")), max_size=30)


@given(st.one_of(st.text(), LINKY))
@settings(max_examples=300)
def test_markdown_text_is_inert_on_github(text: str) -> None:
    """Both Markdown printers: no text node GitHub would turn into a mention or a link."""
    from rolecat.access.diff import md
    from rolecat.scopedown.summary import md as summary_md

    for out in (md(text), summary_md(text)):
        for node in out.split(LINK_BREAK):
            assert not GITHUB_LINKS.search(shown(node)), (text, out)


@pytest.mark.parametrize("value", HOSTILE)
def test_text_diagnostics_cannot_forge_lines(value: str) -> None:
    d = Diagnostic(
        "C999", Severity.ERROR, f"bad {value}", Location(f"catalog/{value}.yaml", 3, 4), f"hint {value}"
    )
    text = d.format_text()
    lines = text.split("\n")
    assert len(lines) == 2 and lines[1].startswith("    hint: ")
    no_forged_lines(text, ("catalog/", "    hint: "))
    accepted = Diagnostic("I001", Severity.WARNING, "m", None, None, accepted_reason=value)
    assert "\n" not in accepted.format_text()


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.parametrize("value", HOSTILE)
def test_json_and_sarif_escape_everything(value: str) -> None:
    d = Diagnostic("C999", Severity.ERROR, value, Location(f"catalog/{value}", 1, 1), value)
    for text in (to_json([d]), to_sarif([d])):
        assert not CONTROL.search(text.replace("\n", ""))  # only the layout's own newlines
        assert any(value in found for found in _strings(json.loads(text)))  # the value, intact


@pytest.mark.parametrize("value", HOSTILE)
def test_profiles_cannot_gain_a_section_or_a_key(value: str) -> None:
    r = role("Reader", members=(), temporary=[temp("alice", "2099-01-01", value)])
    cat = catalog([r])
    now = at("2026-06-01")
    found = profiles.profiles_for(cat, "alice", now)
    text = profiles.render(cat, "alice", found, now, "rolecat profiles --user alice")
    sections = [line for line in text.splitlines() if line.startswith("[")]
    assert sections == ["[profile prod-Reader]"]
    keys = [line.split(" =")[0] for line in text.splitlines() if line and not line.startswith((";", "["))]
    assert "credential_process" not in keys
    no_forged_lines(
        text,
        (
            ";",
            "[profile prod-Reader]",
            "role_arn",
            "source_profile",
            "mfa_serial",
            "role_session_name",
            "duration_seconds",
            "region",
        ),
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_escalations_table_keeps_one_line_per_escalation(value: str) -> None:
    r = role("Reader", temporary=[temp("alice", "2099-01-01", value)])
    items = escalations.escalations(catalog([r]), at("2026-06-01"))
    text = escalations.to_text(items)
    assert len(text.splitlines()) == 2
    assert not any(CONTROL.search(line) for line in text.splitlines())
    assert json.loads(escalations.to_json(items))[0]["reason"] == value  # JSON keeps it, escaped


@pytest.mark.parametrize("value", ["catalog\n* @evil", "catalog\t@evil", "cat alog", "#catalog", "c*t"])
def test_codeowners_lines_cannot_be_forged(value: str) -> None:
    r = role("Reader", owners=("@acme/platform",), source=f"{value}/roles/Reader.yaml")
    text = codeowners.render(
        catalog([r], root=value),
        catalog_prefix=value,
        output_prefix="build/terraform",
        command="rolecat codeowners",
    )
    for line in text.splitlines():
        assert not CONTROL.search(line)
        if line and not line.startswith("#"):
            pattern, _, owners = line.partition("  ")
            assert "@evil" not in owners
            assert not pattern.startswith("#")


@pytest.mark.parametrize("value", HOSTILE)
def test_access_diff_text_keeps_one_line_per_change(value: str) -> None:
    """A policy's resources and the checks' messages hold the catalog's strings (IAM takes
    a CR, a newline or a C1 control in a resource): the text diff prints each change on
    one line, so a CR cannot make an added permission read as a removed one."""
    from rolecat.access.diff import DiffResult, render_text

    change = {
        "role": "Reader",
        "account": "prod",
        "action": "s3:PutObject",
        "resource": value,
        "conditional": False,
    }
    result = DiffResult(
        permissions_added=[change],
        findings_added=[{"code": "I001", "message": value}],
        base_errors=[{"location": "catalog.yaml:1:1", "code": "C001", "message": value}],
    )
    text = render_text(result)
    assert not any(CONTROL.search(line) for line in text.splitlines())
    assert sum(line.startswith("  + ") for line in text.splitlines()) == 2


@pytest.mark.parametrize("value", HOSTILE)
def test_explain_text_keeps_one_line_per_statement(value: str) -> None:
    """``explain role --action`` prints condition values and Sids as the policy has them."""
    from rolecat.access.explain import decision_text

    data = {
        "role": "Reader",
        "account": "prod",
        "action": "s3:GetObject",
        "resource": value,
        "decision": "conditional",
        "reason": value,
        "statements": [
            {
                "kind": "identity",
                "effect": "Allow",
                "source": "policies/p.json",
                "sid": value,
                "index": 0,
                "condition": f"StringEquals aws:RequestedRegion {value}",
            },
        ],
    }
    text = decision_text(data)
    assert len(text.splitlines()) == 3
    assert not any(CONTROL.search(line) for line in text.splitlines())


@pytest.mark.parametrize("value", HOSTILE)
def test_diffs_of_files_on_disk_print_no_control_characters(value: str) -> None:
    """``compile --check`` and ``codeowners --check`` print the old side of files a pull
    request controls (OUT, CODEOWNERS): each diff line is printable, tabs kept."""
    from rolecat.report.escape import diff_line
    from rolecat.targets.terraform.render import RenderedFile
    from rolecat.targets.terraform.write import _diff

    old = f'# {value}\nresource\t"x" {{}}\n'
    text = _diff([RenderedFile.of("prod/role.R.tf", 'resource "x" {}\n')], {"prod/role.R.tf": old}, [])
    text += codeowners.unified_diff(old, "* @acme\n", "CODEOWNERS")
    assert not CONTROL.search(text.replace("\t", " ").replace("\n", " "))
    assert diff_line("-a\tb\n") == "-a\tb\n" and diff_line("-\x1b[2J\n") == "-\\x1b[2J\n"
    # a line ended by a lone CR (splitlines ends lines there too) is still one printed line
    lone = codeowners.unified_diff("a\rb\nc\n", "a\nc\n", "CODEOWNERS")
    assert "-a\\r\n" in lone and "-b\n" in lone
    assert "No newline" not in _diff([RenderedFile.of("p/r.tf", "a\n")], {"p/r.tf": "a\rb\n"}, [])
