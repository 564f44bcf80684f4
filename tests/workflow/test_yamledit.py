"""Surgical YAML edits: whole files compared before and after, in the styles people write."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.load.source import load_yaml_text
from rolecat.workflow.yamledit import Document, EditError, scalar


def edited(text: str, edit) -> str:
    doc = Document(text)
    edit(doc)
    return doc.result


# --------------------------------------------------------------------------- lists of names


def test_flow_list_sorted_insert_keeps_comment_and_rest():
    before = "name: R   # the role\n\naccounts: [prod]\nmembers: [alice, carol]    # people\nboundary: b\n"
    after = (
        "name: R   # the role\n\naccounts: [prod]\nmembers: [alice, bob, carol]    # people\nboundary: b\n"
    )
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == after


def test_flow_list_unsorted_appends():
    before = "members: [zoe, alice]\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == "members: [zoe, alice, bob]\n"


def test_flow_list_quoted_siblings_give_quoted_item():
    before = 'members: ["alice", "carol"]\n'
    after = 'members: ["alice", "bob", "carol"]\n'
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == after
    before = "members: ['alice']\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == "members: ['alice', 'bob']\n"


def test_empty_flow_list():
    assert edited("members: []  # nobody yet\n", lambda d: d.add_to_list(("members",), "bob")) == (
        "members: [bob]  # nobody yet\n"
    )


def test_multiline_flow_list_with_trailing_comma():
    before = "members: [\n    alice,\n    carol,\n]\nx: 1\n"
    after = "members: [\n    alice,\n    carol,\n    dave,\n]\nx: 1\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "dave")) == after
    removed = "members: [\n    alice,\n    dave,\n]\nx: 1\n"
    assert edited(after, lambda d: d.remove_from_list(("members",), 1)) == removed


def test_multiline_flow_list_items_keep_their_comments():
    """An item on a line of its own is added and removed as that line: each other item's
    comment stays on its line (it moved to the new item, or went with the removed one)."""
    before = "members: [\n  alice,  # a\n  bob,  # b\n]\nx: 1\n"
    after = "members: [\n  alice,  # a\n  bob,  # b\n  frank,\n]\nx: 1\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "frank")) == after
    assert edited(after, lambda d: d.remove_from_list(("members",), 2)) == before
    bare = "members: [\n  alice,  # a\n  bob  # b\n]\n"  # no comma after the last item
    grown = "members: [\n  alice,  # a\n  bob,  # b\n  carol\n]\n"
    assert edited(bare, lambda d: d.add_to_list(("members",), "carol")) == grown
    assert edited(grown, lambda d: d.remove_from_list(("members",), 2)) == bare
    crlf = before.replace("\n", "\r\n")
    assert edited(crlf, lambda d: d.add_to_list(("members",), "frank")) == after.replace("\n", "\r\n")


def test_block_list_with_comments_and_blank_lines():
    """bob goes above the comment written above carol, with its blank line: the comment
    stays with carol, whom it was written about (or whose group it heads)."""
    before = "# top\nmembers:\n    - alice     # lead\n\n    # backend people\n    - carol\nowners: [x]\n"
    after = (
        "# top\n"
        "members:\n"
        "    - alice     # lead\n"
        "    - bob\n"
        "\n"
        "    # backend people\n"
        "    - carol\n"
        "owners: [x]\n"
    )
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == after
    assert edited(after, lambda d: d.remove_from_list(("members",), 1)) == before


def test_block_list_indentless_append_at_end_of_file_without_newline():
    before = "accounts:\n- prod\nmembers:\n- alice\n- bob"
    after = "accounts:\n- prod\nmembers:\n- alice\n- bob\n- carol\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "carol")) == after


def test_remove_from_flow_list_first_middle_last_only():
    text = "members: [a, b, c]  # x\n"
    assert edited(text, lambda d: d.remove_from_list(("members",), 0)) == "members: [b, c]  # x\n"
    assert edited(text, lambda d: d.remove_from_list(("members",), 1)) == "members: [a, c]  # x\n"
    assert edited(text, lambda d: d.remove_from_list(("members",), 2)) == "members: [a, b]  # x\n"
    assert edited("members: [a]\n", lambda d: d.remove_from_list(("members",), 0)) == "members: []\n"


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        ("members: [a, b,\n  c, d]\n", 1, "members: [a,\n  c, d]\n"),
        ("members: [a, b,  # x\n  c]\n", 1, "members: [a,  # x\n  c]\n"),
        ("members: [a,  # first\n  c, d]\n", 0, "members: [\n  c, d]\n"),
        ("members: [a, b,\n  c, d]\n", 2, "members: [a, b,\n  d]\n"),
        (
            "users: {a: {team: x}, b: {}, c: {team: y},\n  d: {}}\n",
            "c",
            "users: {a: {team: x}, b: {},\n  d: {}}\n",
        ),
        ("users: {a: {team: x},\n  d: {}, e: {}}\n", "a", "users: {\n  d: {}, e: {}}\n"),
    ],
)
def test_removing_from_a_flow_collection_keeps_its_line_breaks(before, remove, after):
    """An entry at the end of a line of a flow list or mapping that goes on on the next line
    is removed with the separator before it, not up to the next entry: that pulled the next
    line onto this one (offboarding carol from users: {..., carol: {...},⏎ dave: ...})."""
    if isinstance(remove, int):
        assert edited(before, lambda d: d.remove_from_list(("members",), remove)) == after
    else:
        assert edited(before, lambda d: d.remove_key(("users",), remove)) == after


def test_remove_only_block_item_leaves_empty_flow_list_and_key_comment():
    before = "members:   # who\n  - alice   # the only one\nboundary: b\n"
    assert (
        edited(before, lambda d: d.remove_from_list(("members",), 0)) == "members: []   # who\nboundary: b\n"
    )


def test_missing_key_goes_before_the_anchor_or_last():
    before = "name: R\naccounts: [prod]\ntemporary_members:\n  - user: a\n    until: 2099-01-01\n"
    after = (
        "name: R\naccounts: [prod]\nmembers: [bob]\ntemporary_members:\n  - user: a\n    until: 2099-01-01\n"
    )
    assert (
        edited(before, lambda d: d.add_to_list(("members",), "bob", before_key="temporary_members")) == after
    )
    before = "name: R\naccounts:\n  - prod\n# trailing comment\n"
    after = "name: R\naccounts:\n  - prod\nmembers:\n  - bob\n# trailing comment\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "bob")) == after


# --------------------------------------------------------------------------- temporary members


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # written directly above: the new key goes above it
            "name: R\naccounts: [prod]\n# escalations: security approves\ntemporary_members: []\n",
            "name: R\naccounts: [prod]\nmembers: [bob]\n# escalations: security approves\ntemporary_members: []\n",
        ),
        (  # a heading set apart by blank lines keeps them, with the key below it
            "name: R\n\n# --- escalations ---\n\ntemporary_members: []\n",
            "name: R\nmembers: [bob]\n\n# --- escalations ---\n\ntemporary_members: []\n",
        ),
        (  # glued to the key above and apart from the anchor: the end of what precedes
            "name: R\naccounts: [prod]\n# prod only\n\ntemporary_members: []\n",
            "name: R\naccounts: [prod]\n# prod only\n\nmembers: [bob]\ntemporary_members: []\n",
        ),
        (  # deeper comments belong to the list above; only the key's own column counts
            "policies:\n  - a\n  # - b\n# temporary access\ntemporary_members: []\n",
            "policies:\n  - a\n  # - b\nmembers: [bob]\n# temporary access\ntemporary_members: []\n",
        ),
        (  # the file's header stays first
            "# yaml-language-server: $schema=role.schema.json\ntemporary_members: []\nname: R\n",
            "# yaml-language-server: $schema=role.schema.json\nmembers: [bob]\ntemporary_members: []\nname: R\n",
        ),
    ],
)
def test_a_key_inserted_before_another_goes_above_the_comments_written_above_it(before, after):
    doc = Document(before)
    doc.add_to_list(("members",), "bob", before_key="temporary_members")
    assert doc.result == after
    crlf = Document(before.replace("\n", "\r\n"))
    crlf.add_to_list(("members",), "bob", before_key="temporary_members")
    assert crlf.result == after.replace("\n", "\r\n")


@pytest.mark.parametrize(
    ("before", "after", "own"),
    [
        (  # a role file's key commented out, whatever its value, is no comment on the key below
            "name: R\n# boundary: old-boundary\nteams: [data]\nowners: [x]\n",
            "name: R\n# boundary: old-boundary\nowners: [x]\n",
            False,
        ),
        (
            "name: R\n# policies: [a, b]\nteams: [data]\nowners: [x]\n",
            "name: R\n# policies: [a, b]\nowners: [x]\n",
            False,
        ),
        (
            "name: R\n# ---- escalations ----\nteams: [data]\nowners: [x]\n",
            "name: R\n# ---- escalations ----\nowners: [x]\n",
            False,
        ),
        (  # a sentence about it, with a colon, is: it goes with the key
            "name: R\n# escalations: security approves\nteams: [data]\nowners: [x]\n",
            "name: R\nowners: [x]\n",
            True,
        ),
        (  # a sentence above the key commented out: an emptied list keeps them company (key: [])
            "name: R\n# why the old boundary is kept\n# boundary: old\nteams: [data]\nowners: [x]\n",
            "name: R\n# why the old boundary is kept\n# boundary: old\nowners: [x]\n",
            True,
        ),
        (  # an entry commented out with the lines inside it
            "name: R\n# federated:\n#   - provider: gh\nteams: [data]\nowners: [x]\n",
            "name: R\n# federated:\n#   - provider: gh\nowners: [x]\n",
            False,
        ),
    ],
)
def test_a_key_commented_out_at_the_top_of_a_file_is_not_the_comment_of_the_key_below(before, after, own):
    """``has_comments_above`` (an emptied list stays as ``key: []`` when it has comments of
    its own) and ``remove_key`` agree on which comment lines are the key's own."""
    for newline in ("\n", "\r\n"):
        doc = Document(before.replace("\n", newline))
        assert doc.has_comments_above(("teams",)) is own
        doc.remove_key((), "teams")
        assert doc.result == after.replace("\n", newline)
    nested = "users:\n  alice: {}\n  # boundary: the one for contractors\n  bob: {}\n"
    assert (
        edited(nested, lambda d: d.remove_key(("users",), "bob")) == "users:\n  alice: {}\n"
    )  # not at the top


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("users:\n  alice: {}\n  # Note:\n  bob: {}\n  carol: {}\n", "users:\n  alice: {}\n  carol: {}\n"),
        ("users:\n  alice: {}\n  # TODO:\n  bob: {}\n", "users:\n  alice: {}\n"),
        ("members:\n  - alice\n  # NB:\n  - bob\n", "members:\n  - alice\n"),
        (  # a user named so, with attributes, is still an entry commented out
            "users:\n  alice: {}\n  # note: {team: x}\n  bob: {}\n",
            "users:\n  alice: {}\n  # note: {team: x}\n",
        ),
        ("users:\n  alice: {}\n  # frank:\n  bob: {}\n", "users:\n  alice: {}\n  # frank:\n"),
    ],
)
def test_a_remark_opened_by_a_marker_word_goes_with_the_entry_below(before, after):
    """``# Note:`` alone read as a user named Note commented out, and stayed when the entry
    below it went."""
    path, what = (("users",), "bob") if before.startswith("users") else (("members",), 1)
    assert edited(before, removing(path, what)) == after


def test_a_sorted_insert_never_takes_the_comment_of_the_entry_after_it():
    before = (
        "users:\n  alice: {team: a}\n  # contractor until 2027-03, ask legal before extending\n  carol: {}\n"
    )
    after = (
        "users:\n  alice: {team: a}\n  bob: {team: b}\n"
        "  # contractor until 2027-03, ask legal before extending\n  carol: {}\n"
    )
    assert (
        edited(before, lambda d: d.add_key(("users",), "bob", {"team": "b"}, before_key="<sorted>")) == after
    )
    assert edited(after, lambda d: d.remove_key(("users",), "bob")) == before
    # a comment above the first entry heads the list: a new first entry goes below it
    before = "members:\n  # on call this quarter\n  - bob\n  - carol\n"
    after = "members:\n  # on call this quarter\n  - alice\n  - bob\n  - carol\n"
    assert edited(before, lambda d: d.add_to_list(("members",), "alice")) == after


def test_temporary_member_appended_in_the_file_indentation():
    before = (
        "members: [bob]\n"
        "temporary_members:\n"
        "    -   user: carol\n"
        '        until: "2099-12-05"     # exclusive\n'
        "        reason: INC-1\n"
        "\n"
        "# the end\n"
    )
    after = (
        "members: [bob]\n"
        "temporary_members:\n"
        "    -   user: carol\n"
        '        until: "2099-12-05"     # exclusive\n'
        "        reason: INC-1\n"
        "    -   user: erin\n"
        '        until: "2026-12-06T19:00:00Z"\n'
        "        reason: 'INC-2, look # here'\n"
        "\n"
        "# the end\n"
    )
    item = {"user": "erin", "until": "2026-12-06T19:00:00Z", "reason": "INC-2, look # here"}
    assert edited(before, lambda d: d.add_to_list(("temporary_members",), item)) == after
    assert edited(after, lambda d: d.remove_from_list(("temporary_members",), 1)) == before


def test_temporary_members_created_when_missing_follow_other_block_lists():
    before = "name: R\naccept:\n- check: I001\n  reason: ok\n"
    after = (
        "name: R\naccept:\n- check: I001\n  reason: ok\ntemporary_members:\n- user: a\n  until: 2099-01-01\n"
    )
    item = {"user": "a", "until": "2099-01-01"}
    assert edited(before, lambda d: d.add_to_list(("temporary_members",), item)) == after


def test_flow_temporary_members_stay_flow():
    before = "temporary_members: [{user: a, until: 2099-01-01}]\n"
    after = "temporary_members: [{user: a, until: 2099-01-01}, {user: b, until: 2099-02-01, reason: x}]\n"
    item = {"user": "b", "until": "2099-02-01", "reason": "x"}
    assert edited(before, lambda d: d.add_to_list(("temporary_members",), item)) == after


def test_set_scalar_keeps_quoting_and_comment():
    before = "temporary_members:\n  - user: a\n    until: '2099-01-01'   # end\n"
    after = "temporary_members:\n  - user: a\n    until: '2099-02-01T10:00:00Z'   # end\n"
    assert (
        edited(before, lambda d: d.set_scalar(("temporary_members", 0, "until"), "2099-02-01T10:00:00Z"))
        == after
    )


def test_add_key_to_a_sequence_item_mapping():
    before = "temporary_members:\n  - user: a\n    until: 2099-01-01\nx: 1\n"
    after = "temporary_members:\n  - user: a\n    until: 2099-01-01\n    reason: why\nx: 1\n"
    assert edited(before, lambda d: d.add_key(("temporary_members", 0), "reason", "why")) == after


# --------------------------------------------------------------------------- users.yaml


USERS_FLOW = "users:\n  alice: {email: a@x.io, team: platform}   # lead\n  carol: {team: backend}\n"


def test_user_sorted_insert_flow_values():
    after = (
        "users:\n  alice: {email: a@x.io, team: platform}   # lead\n"
        "  bob: {email: b@x.io}\n  carol: {team: backend}\n"
    )
    assert (
        edited(USERS_FLOW, lambda d: d.add_key(("users",), "bob", {"email": "b@x.io"}, before_key="<sorted>"))
        == after
    )
    assert edited(after, lambda d: d.remove_key(("users",), "bob")) == USERS_FLOW


def test_user_block_values_unsorted_file_appends():
    before = "users:\n  zoe:\n    email: z@x.io\n  alice:\n    team: t\n"
    after = "users:\n  zoe:\n    email: z@x.io\n  alice:\n    team: t\n  bob:\n    email: b@x.io\n    team: data\n"
    attrs = {"email": "b@x.io", "team": "data"}
    assert edited(before, lambda d: d.add_key(("users",), "bob", attrs, before_key="<sorted>")) == after
    assert (
        edited(after, lambda d: d.remove_key(("users",), "zoe"))
        == "users:\n  alice:\n    team: t\n  bob:\n    email: b@x.io\n    team: data\n"
    )


def test_user_without_attributes_and_last_user_removed():
    assert edited(
        "users:\n  alice:\n", lambda d: d.add_key(("users",), "bob", {}, before_key="<sorted>")
    ) == ("users:\n  alice:\n  bob:\n")
    assert edited("users:\n  alice: {}\n", lambda d: d.remove_key(("users",), "alice")) == "users: {}\n"
    assert edited(
        "users: {alice: {}}\n", lambda d: d.add_key(("users",), "bob", {}, before_key="<sorted>")
    ) == ("users: {alice: {}, bob: {}}\n")


def test_crlf_files_keep_crlf():
    before = "members:\r\n  - alice\r\n"
    assert (
        edited(before, lambda d: d.add_to_list(("members",), "bob")) == "members:\r\n  - alice\r\n  - bob\r\n"
    )


def test_tabs_yaml_allows_and_a_byte_order_mark_are_kept():
    """A tab between tokens (after a colon, before a comment, at a line's end) is YAML, and
    rolecat's loader (libyaml) reads it; the editor composed with PyYAML's pure-Python
    scanner, which refuses it, so a file validate passed could not be edited ("not YAML")."""
    assert (
        edited("members:\t[a, b]\t# people\nx: 1\t\n", lambda d: d.add_to_list(("members",), "c"))
        == "members:\t[a, b, c]\t# people\nx: 1\t\n"
    )
    assert (
        edited("members:\n  - a\t# x\n  - b\t\nx: 1\n", lambda d: d.remove_from_list(("members",), 1))
        == "members:\n  - a\t# x\nx: 1\n"
    )
    before = "temporary_members:\n  - user: a\t# x\n    until:\t2030-01-01\t# y\n"
    assert edited(before, lambda d: d.set_scalar(("temporary_members", 0, "until"), "2031-01-01")) == (
        before.replace("2030", "2031")
    )
    assert (
        edited("\ufeffmembers:\r\n  - a\r\n", lambda d: d.add_to_list(("members",), "b"))
        == "\ufeffmembers:\r\n  - a\r\n  - b\r\n"
    )


# --------------------------------------------------------------------------- refusals and scalars


def test_aliases_and_several_documents_are_refused():
    with pytest.raises(EditError, match="aliases"):
        Document("a: &x [bob]\nmembers: *x\n")
    with pytest.raises(EditError, match="holds one YAML document, and line 2 starts another"):
        Document("a: 1\n---\nb: 2\n")


def test_a_file_the_loader_refuses_is_named():
    """offboard edits several files: "cannot edit duplicate key 'description' (first
    defined on line 5)" did not say which one."""
    with pytest.raises(
        EditError, match=r"^roles/prod/X\.yaml: duplicate key 'a' \(first defined on line 1\)"
    ):
        Document("a: 1\na: 2\n", "roles/prod/X.yaml")
    with pytest.raises(EditError, match=r"^users\.yaml: a carriage return breaks the line"):
        Document("users:\r  bob: {}\n", "users.yaml")


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "null",
        "1e3",
        "0x10",
        "a: b",
        "x # y",
        "'q",
        '"q',
        " lead",
        "trail ",
        "-dash",
        "[x]",
        "{x}",
        "ü-ok",
        "tab\there",
        "2026-12-06T19:00:00Z",
        "2026-12-06",
        "~",
        "@at",
        "%pct",
        "a,b",
    ],
)
def test_scalar_reads_back_exactly_in_block_and_flow(value):
    for flow in (False, True):
        text = scalar(value, flow=flow)
        probe = f"k: [{text}]\n" if flow else f"k: {text}\n"
        doc, diags = load_yaml_text(probe, "t")
        assert doc is not None and not diags
        assert doc.data == {"k": [value] if flow else value}


def test_scalar_is_plain_when_safe():
    assert scalar("INC-4211 data pipeline") == "INC-4211 data pipeline"
    assert scalar("on-call, rotation") == "on-call, rotation"
    assert scalar("on-call, rotation", flow=True) == "'on-call, rotation'"
    assert scalar("yes") == "'yes'"
    # YAML 1.1 (PyYAML) reads these as strings, YAML 1.2 (editors' yaml-language-server) as numbers
    for value in ("1e3", "0o17", "+1", ".5", "1.", ".inf"):
        assert scalar(value) == f"'{value}'", value
    assert scalar("a1e3") == "a1e3"


# --------------------------------------------------------------------------- property


NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True).filter(
    lambda s: s not in {"yes", "no", "on", "off", "null", "true", "false", "y", "n"}
)


@st.composite
def role_files(draw):
    members = draw(st.lists(NAMES, unique=True, max_size=5))
    flow = draw(st.booleans())
    quote = draw(st.sampled_from(["", "'", '"']))
    indent = draw(st.sampled_from([0, 2, 4]))
    comment = draw(st.booleans())
    blank = draw(st.booleans())
    lines = ["# a role", "name: R", "accounts: [prod]"]
    if blank:
        lines.append("")
    if members or flow:
        items = [f"{quote}{m}{quote}" for m in members]
        if flow:
            lines.append("members: [" + ", ".join(items) + "]" + ("   # people" if comment else ""))
        else:
            lines.append("members:" + ("   # people" if comment else ""))
            for i, item in enumerate(items):
                lines.append(" " * indent + "- " + item + (f"  # n{i}" if comment else ""))
    lines.append("boundary: b   # keep")
    return "\n".join(lines) + "\n", members


@settings(max_examples=150, deadline=None)
@given(role_files(), NAMES, st.data())
def test_edits_touch_only_the_lines_they_change(file, name, data):
    text, members = file
    doc = Document(text)
    if name in members:
        index = data.draw(st.integers(0, len(members) - 1))
        doc.remove_from_list(("members",), index)
        expected = members[:index] + members[index + 1 :]
    else:
        doc.add_to_list(("members",), name)
        expected = sorted([*members, name]) if members == sorted(members) else [*members, name]
    loaded, _ = load_yaml_text(doc.result, "t")
    assert loaded is not None
    assert loaded.data["members"] == expected
    assert loaded.data["boundary"] == "b" and loaded.data["name"] == "R"
    old, new = text.splitlines(), doc.result.splitlines()
    changed = [line for line in difflib.ndiff(old, new) if line[:1] in "+-"]
    assert len(changed) <= 3  # one line in, one out, or one replaced (+ the key line of an emptied list)
    assert all("# a role" not in line and "boundary" not in line for line in changed)


def test_flow_separators_and_flow_items_follow_the_file():
    assert edited("members: [a,b]\n", lambda d: d.add_to_list(("members",), "c")) == "members: [a,b,c]\n"
    assert (
        edited("members: [b , c]\n", lambda d: d.add_to_list(("members",), "a")) == "members: [a , b , c]\n"
    )
    before = "temporary_members:\n  - {user: a, until: 2026-01-01}\n"
    after = before + "  - {user: u, until: 2026-02-01}\n"
    item = {"user": "u", "until": "2026-02-01"}
    assert edited(before, lambda d: d.add_to_list(("temporary_members",), item)) == after


def test_block_scalars_are_left_to_people():
    with pytest.raises(EditError, match="block scalar"):
        edited(
            "t:\n  - until: >-\n      2026-01-01\n", lambda d: d.set_scalar(("t", 0, "until"), "2027-01-01")
        )


# --------------------------------------------------------------------------- comments of removed entries


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        (  # written directly above: it goes with the entry, and says nothing false about dave
            "members:\n  - alice\n  # bob: on call for the payments launch, ask @carol\n  - bob\n  - dave\n",
            1,
            "members:\n  - alice\n  - dave\n",
        ),
        (  # the last entry, with two lines of its own and a trailing comment
            "members:\n  - alice\n  # bob:\n  # on call\n  - bob  # until March\nboundary: b\n",
            1,
            "members:\n  - alice\nboundary: b\n",
        ),
        (  # set apart by a blank line: a heading of the group, which stays with its blank line
            "members:\n  - alice\n\n  # backend people\n\n  - bob\n  - dave\n",
            1,
            "members:\n  - alice\n\n  # backend people\n\n  - dave\n",
        ),
        (  # only its own comment goes: the heading set apart above it stays, with one blank line
            "members:\n  - alice\n\n  # backend people\n\n  # bob: on call\n  - bob\n\n  - dave\n",
            1,
            "members:\n  - alice\n\n  # backend people\n\n  - dave\n",
        ),
        (  # above the first entry: it heads the list, and heads it still above the new first
            "members:\n  # on call this quarter\n  - alice\n  # bob: payments\n  - bob\n",
            0,
            "members:\n  # on call this quarter\n  # bob: payments\n  - bob\n",
        ),
        (  # the only entry: the list's heading and the key's comment stay
            "members:   # who\n  # on call this quarter\n  - alice  # lead\n    # alice: back in May\nboundary: b\n",
            0,
            "members: []   # who\n  # on call this quarter\nboundary: b\n",
        ),
        (  # another column is not its own: the list's (deeper: alice's, inside her entry)
            "members:\n  - alice\n    # alice: inside\n# the file's\n  - bob\n  # the list's\nboundary: b\n",
            1,
            "members:\n  - alice\n    # alice: inside\n# the file's\n  # the list's\nboundary: b\n",
        ),
        (  # written inside the removed entry, deeper than its dash
            "temporary_members:\n  - user: a\n    until: 2099-01-01\n    # extended once, INC-2\n"
            "  - user: b\n    until: 2099-01-01\n",
            0,
            "temporary_members:\n  - user: b\n    until: 2099-01-01\n",
        ),
        (  # an indentless list, tabs inside the comments and before the trailing one
            "members:\n- alice\t# a\n#\tbob: on call\t\n- bob\t# b\n- dave\n",
            1,
            "members:\n- alice\t# a\n- dave\n",
        ),
        (  # a comment indented with a tab (YAML allows it deeper) has no agreed column: it stays
            "members:\n  - alice\n    \t# bob?\n  - bob\n",
            1,
            "members:\n  - alice\n    \t# bob?\n",
        ),
    ],
)
def test_a_removed_block_item_takes_its_own_comments(before, remove, after):
    """The comment lines directly above an entry that is not the first belong to it (a new
    entry before it goes above them): they went to the entry below, about whom they said
    something false.  Above the first, they head the list; apart by a blank line, a group."""
    key = "members" if before.startswith("members") else "temporary_members"
    for newline in ("\n", "\r\n"):
        text = before.replace("\n", newline)
        assert edited(text, lambda d: d.remove_from_list((key,), remove)) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        (
            "users:\n  alice: {}\n  # bob: contractor until 2027-03, ask legal\n  bob: {team: x}\n  carol: {}\n",
            "bob",
            "users:\n  alice: {}\n  carol: {}\n",
        ),
        (
            "users:\n  alice: {}\n  # bob: contractor\n  bob:\n    team: x\n    # bob's email is pending\n",
            "bob",
            "users:\n  alice: {}\n",
        ),
        (  # the first key's comment heads the mapping
            "users:\n  # people\n  alice: {}\n  # bob: contractor\n  bob: {}\n",
            "alice",
            "users:\n  # people\n  # bob: contractor\n  bob: {}\n",
        ),
        (
            "users: {\n  alice: {},  # lead\n  # bob: contractor\n  bob: {}  # b\n}\n",
            "bob",
            "users: {\n  alice: {}  # lead\n}\n",
        ),
        (
            "users: {\n  alice: {},\n  # bob: contractor\n  bob: {},\n  # carol: intern\n  carol: {},\n}\n",
            "bob",
            "users: {\n  alice: {},\n  # carol: intern\n  carol: {},\n}\n",
        ),
    ],
)
def test_a_removed_key_takes_its_own_comments(before, remove, after):
    for newline in ("\n", "\r\n"):
        text = before.replace("\n", newline)
        assert edited(text, lambda d: d.remove_key(("users",), remove)) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        (  # the first: its heading stays, and the next one's comment was taken with it
            "members: [\n  # heading\n  alice,\n  # bob: on call\n  bob,\n]\n",
            0,
            "members: [\n  # heading\n  # bob: on call\n  bob,\n]\n",
        ),
        (  # a middle one: its comment goes, the next one's stays (it was taken)
            "members: [\n  alice,\n  # bob: on call\n  bob,  # b\n  # carol: intern\n  carol,\n]\n",
            1,
            "members: [\n  alice,\n  # carol: intern\n  carol,\n]\n",
        ),
        (  # the last, without a comma: the one before gives up its comma, keeps its comment
            "members: [\n  alice,  # a\n  # bob: on call\n  bob  # b\n]\n",
            1,
            "members: [\n  alice  # a\n]\n",
        ),
        (  # the only one: the brackets keep the comments written in them (and the key's)
            "members: [  # who\n  # on call this quarter\n  alice,  # a\n]\nx: 1\n",
            0,
            "members: [  # who\n  # on call this quarter\n]\nx: 1\n",
        ),
        ("members: [\n  alice,  # a\n]\nx: 1\n", 0, "members: []\nx: 1\n"),
        (  # sharing a line with the one before: the comment above the line is not its own
            "members: [\n  alice,\n  # about this line\n  bob, carol,\n]\n",
            2,
            "members: [\n  alice,\n  # about this line\n  bob,\n]\n",
        ),
    ],
)
def test_a_removed_flow_item_takes_its_own_comments(before, remove, after):
    for newline in ("\n", "\r\n"):
        text = before.replace("\n", newline)
        assert edited(text, lambda d: d.remove_from_list(("members",), remove)) == after.replace(
            "\n", newline
        )


def removing(path, what):
    """The edit that removes item ``what`` (an index) or key ``what`` of the collection at ``path``."""
    if isinstance(what, int):
        return lambda d: d.remove_from_list(path, what)
    return lambda d: d.remove_key(path, what)


@pytest.mark.parametrize(
    ("before", "path", "remove", "after"),
    [
        (  # an entry commented out is no comment on the next one
            "members:\n  - alice\n  # - frank\n  - bob\n  - dave\n",
            ("members",),
            1,
            "members:\n  - alice\n  # - frank\n  - dave\n",
        ),
        (  # a mixed block: bob's own line goes; frank's entry, and the line above it, stay
            "members:\n  - alice\n  # ask alice first\n  # - frank  # on leave\n  # bob: on call\n  - bob\n",
            ("members",),
            1,
            "members:\n  - alice\n  # ask alice first\n  # - frank  # on leave\n",
        ),
        (  # a heading glued to the entry's own comment starts a group, and stays with it
            "members:\n  - alice\n  # --- contractors ---\n  # bob: until March\n  - bob\n  - carol\n",
            ("members",),
            1,
            "members:\n  - alice\n  # --- contractors ---\n  - carol\n",
        ),
        (  # an entry commented out over several lines keeps the lines indented deeper in it
            "temporary_members:\n  - user: a\n    until: 2099-01-01\n  # - user: c\n  #   until: 2099-01-01\n"
            "  # b: INC-2\n  - user: b\n    until: 2099-01-01\n",
            ("temporary_members",),
            1,
            "temporary_members:\n  - user: a\n    until: 2099-01-01\n  # - user: c\n  #   until: 2099-01-01\n",
        ),
        (
            "users:\n  alice: {}\n  # frank: {team: x}  # on leave\n  bob: {team: y}\n  carol: {}\n",
            ("users",),
            "bob",
            "users:\n  alice: {}\n  # frank: {team: x}  # on leave\n  carol: {}\n",
        ),
        (  # a key with nothing after it is an entry; a key with text after it describes one
            "users:\n  alice:\n  # frank:\n  #   team: x\n  # bob: contractor\n  bob:\n",
            ("users",),
            "bob",
            "users:\n  alice:\n  # frank:\n  #   team: x\n",
        ),
        (  # a role file's key commented out stays; the removed key's description goes
            "name: R\n# teams: [backend]\n# escalations: security approves\ntemporary_members:\n"
            "  - user: a\n    until: 2099-01-01\nboundary: b\n",
            (),
            "temporary_members",
            "name: R\n# teams: [backend]\nboundary: b\n",
        ),
        (
            "members: [\n  alice,\n  # frank,  # on leave\n  bob,\n  carol,\n]\n",
            ("members",),
            1,
            "members: [\n  alice,\n  # frank,  # on leave\n  carol,\n]\n",
        ),
        (
            "users: {\n  alice: {},\n  # frank: {team: x},\n  bob: {},\n}\n",
            ("users",),
            "bob",
            "users: {\n  alice: {},\n  # frank: {team: x},\n}\n",
        ),
    ],
)
def test_an_entry_commented_out_or_a_heading_above_a_removed_one_stays(before, path, remove, after):
    """Every comment line directly above an entry went with it, so revoking bob deleted the
    entry written above him as a comment (``# - frank``), and a heading of the group he
    starts: those are no comment on him, and the scan of his own stops at them."""
    for newline in ("\n", "\r\n"):
        assert edited(before.replace("\n", newline), removing(path, remove)) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "path", "remove", "after"),
    [
        (  # a sentence that ends with a colon describes bob: no user, no key of a role file, has a space
            "users:\n  alice: {}\n  # Contractor, access ends with the audit:\n  bob: {}\n  carol: {}\n",
            ("users",),
            "bob",
            "users:\n  alice: {}\n  carol: {}\n",
        ),
        (
            "users:\n  alice: {}\n  # until May: ask @carol\n  # on call for payments:\n  bob: {}\n  carol: {}\n",
            ("users",),
            "bob",
            "users:\n  alice: {}\n  carol: {}\n",
        ),
        (  # a name with nothing after it is still an entry commented out
            "users:\n  alice: {}\n  # frank:\n  # on call for payments:\n  bob: {}\n  carol: {}\n",
            ("users",),
            "bob",
            "users:\n  alice: {}\n  # frank:\n  carol: {}\n",
        ),
    ],
)
def test_a_comment_ending_with_a_colon_above_a_removed_entry_goes_with_it(before, path, remove, after):
    """``# Contractor, access ends with the audit:`` above bob read as an entry commented out
    (a key with nothing after it), so offboarding bob left it above carol, where it says
    that carol's access ends.  A key of a mapping rolecat edits (an IAM user name, a role
    file's key) has no space: a sentence is no entry."""
    for newline in ("\n", "\r\n"):
        assert edited(before.replace("\n", newline), removing(path, remove)) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "path", "remove", "after"),
    [
        (
            "members:\n  - alice\n\n  - bob\n\n  - dave\n",
            ("members",),
            1,
            "members:\n  - alice\n\n  - dave\n",
        ),
        (  # the last, and the blank lines above it stay as they are
            "members:\n  - alice\n\n\n  # bob: on call\n  - bob\n\nboundary: b\n",
            ("members",),
            1,
            "members:\n  - alice\n\n\nboundary: b\n",
        ),
        ("members:\n\n  - alice\n\nboundary: b\n", ("members",), 0, "members: []\n\nboundary: b\n"),
        (
            "users:\n  alice: {}\n\n  bob: {}\n\n  carol: {}\n",
            ("users",),
            "bob",
            "users:\n  alice: {}\n\n  carol: {}\n",
        ),
        (
            "members: [\n  alice,\n\n  bob,\n\n  carol,\n]\n",
            ("members",),
            1,
            "members: [\n  alice,\n\n  carol,\n]\n",
        ),
    ],
)
def test_an_entry_set_apart_by_blank_lines_leaves_one_separation(before, path, remove, after):
    """An entry with a blank line on each side left two blank lines in a row."""
    for newline in ("\n", "\r\n"):
        assert edited(before.replace("\n", newline), removing(path, remove)) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "path", "remove", "after"),
    [
        (  # its own comment goes with it; the list's below it stays
            "members: [alice  # lead\n  # on call this quarter\n]\nx: 1\n",
            ("members",),
            0,
            "members: [\n  # on call this quarter\n]\nx: 1\n",
        ),
        ("members: [alice,\n  # on call\n]\n", ("members",), 0, "members: [\n  # on call\n]\n"),
        (  # on the closing bracket's line: the comments above it stay
            "members: [  # who\n  # on call\n  alice]\nx: 1\n",
            ("members",),
            0,
            "members: [  # who\n  # on call\n  ]\nx: 1\n",
        ),
        ("users: {alice: {}  # lead\n  # people\n}\n", ("users",), "alice", "users: {\n  # people\n}\n"),
        ("members: [alice  # lead\n]\nx: 1\n", ("members",), 0, "members: []\nx: 1\n"),  # nothing else
        (  # the blanks after the bracket go too: they would end its line
            "members: [ alice  # lead\n  # on call this quarter\n]\nx: 1\n",
            ("members",),
            0,
            "members: [\n  # on call this quarter\n]\nx: 1\n",
        ),
        ("users: {\talice: {}  # lead\n  # people\n}\n", ("users",), "alice", "users: {\n  # people\n}\n"),
    ],
)
def test_the_only_flow_entry_on_a_brackets_line_leaves_the_comments_that_are_not_its_own(
    before, path, remove, after
):
    """The only entry of a flow list or mapping that shares its line with a bracket left
    ``[]`` (``{}``) and nothing else: the comment lines written between the brackets went
    with it."""
    for newline in ("\n", "\r\n"):
        doc = Document(before.replace("\n", newline))
        removing(path, remove)(doc)
        assert doc.result == after.replace("\n", newline)
        loaded, _ = load_yaml_text(doc.result, "t")
        assert loaded is not None and loaded.data[path[0]] in ([], {})


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        ("members: [ alice,  # lead\n  bob ]\n", 0, "members: [\n  bob ]\n"),
        ("members: [\talice, # x\n  bob, carol]\n", 0, "members: [\n  bob, carol]\n"),
        ("members: [ alice, bob ]\n", 0, "members: [ bob ]\n"),  # the line goes on: its blanks stay
        ("members: [ alice\n  # x\n]\n", 0, "members: [\n  # x\n]\n"),
    ],
)
def test_a_first_flow_entry_on_the_brackets_line_leaves_no_blanks_at_the_line_s_end(before, remove, after):
    """A first entry that shares its line with the opening bracket goes up to the line's
    end (comma and comment): the blanks between the bracket and it went no longer left a
    line ending in blanks (``[ ``)."""
    for newline in ("\n", "\r\n"):
        assert edited(before.replace("\n", newline), removing(("members",), remove)) == after.replace(
            "\n", newline
        )


@pytest.mark.parametrize(
    ("before", "edit", "after"),
    [
        (
            "members:\n  - alice\n    # alice: back in May\n  # the list's\nboundary: b\n",
            lambda d: d.add_to_list(("members",), "bob"),
            "members:\n  - alice\n    # alice: back in May\n  - bob\n  # the list's\nboundary: b\n",
        ),
        (
            "users:\n  alice:\n    team: x\n    # alice: back in May\nboundary: b",
            lambda d: d.add_key(("users",), "bob", {}, before_key="<sorted>"),
            "users:\n  alice:\n    team: x\n    # alice: back in May\n  bob: {}\nboundary: b",
        ),
        (
            "temporary_members:\n  - user: a\n    until: 2099-01-01\n    # extended once, INC-2",
            lambda d: d.add_to_list(("temporary_members",), {"user": "b", "until": "2099-01-01"}),
            "temporary_members:\n  - user: a\n    until: 2099-01-01\n    # extended once, INC-2\n"
            "  - user: b\n    until: 2099-01-01\n",
        ),
    ],
)
def test_a_new_last_entry_goes_below_the_comments_inside_the_last_one(before, edit, after):
    """Comment lines indented inside the last entry are its own (they go when it is removed,
    and an entry inserted before a later one goes below them): an appended entry went
    between it and them, and they read as the new entry's."""
    for newline in ("\n", "\r\n"):
        assert edited(before.replace("\n", newline), edit) == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "members: [\n  alice,\n  # carol: intern until May\n  carol,  # c\n]\n",
            "members: [\n  alice,\n  bob,\n  # carol: intern until May\n  carol,  # c\n]\n",
        ),
        (  # the last, without a comma
            "members: [\n  alice,  # a\n  # carol: intern until May\n  carol\n]\n",
            "members: [\n  alice,  # a\n  bob,\n  # carol: intern until May\n  carol\n]\n",
        ),
        (  # above the first: a heading, and the new first goes below it
            "members: [\n  # on call\n  carol,\n  dave,\n]\n",
            "members: [\n  # on call\n  bob,\n  carol,\n  dave,\n]\n",
        ),
    ],
)
def test_a_flow_entry_inserted_before_another_goes_above_its_comments(before, after):
    """In a flow list or mapping over several lines, a sorted insert went directly before the
    next item, below the comment lines written above it, which then described the new one;
    it goes above them, as in a block list, on a line of its own."""
    for newline in ("\n", "\r\n"):
        text = before.replace("\n", newline)
        assert edited(text, lambda d: d.add_to_list(("members",), "bob")) == after.replace("\n", newline)
        doc = Document(after.replace("\n", newline))  # and removing it gives the file back
        doc.remove_from_list(("members",), doc.data["members"].index("bob"))
        assert doc.result == text
    users = "users: {\n  alice: {},\n  # carol: intern until May\n  carol: {},\n}\n"
    grown = "users: {\n  alice: {},\n  bob: {},\n  # carol: intern until May\n  carol: {},\n}\n"
    assert edited(users, lambda d: d.add_key(("users",), "bob", {}, before_key="<sorted>")) == grown
    assert edited(grown, lambda d: d.remove_key(("users",), "bob")) == users


@st.composite
def commented_collections(draw):
    """A list or mapping, block or flow, with comments of every kind around its entries
    (headings, entries commented out, over one line or several), each line tagged with
    the entry it belongs to (None: to no entry).  A flow one's first entry may be written
    on the bracket's line."""
    kind = draw(st.sampled_from(["block list", "flow list", "block mapping", "flow mapping"]))
    names = draw(st.lists(NAMES, unique=True, min_size=1, max_size=5))
    column = draw(st.sampled_from([0, 2, 4] if kind == "block list" else [2, 4]))
    pad = " " * column
    flow = kind.startswith("flow")
    last_comma = draw(st.booleans())
    key = "members" if kind.endswith("list") else "users"
    header = key + ":" + (" [" if kind == "flow list" else " {" if kind == "flow mapping" else "")
    lines: list[tuple[str, int | None]] = [("# a file", None), ("name: R", None)]
    on_bracket = flow and draw(st.booleans())
    lines.append((header + ("" if on_bracket else draw(st.sampled_from(["", "  # people"]))), None))

    def comment(text: str) -> str:
        return draw(st.sampled_from(["# ", "#\t"])) + text

    def commented_out(i: int, j: int) -> list[str]:  # an entry of the collection, as comment lines
        several = draw(st.booleans()) and not flow
        if kind == "block list":
            entry = [f"- user: x{i}{j}", "  until: 2099-01-01"] if several else [f"- x{i}{j}"]
        else:
            entry = [f"x{i}{j}:", "  team: t"] if several else [f"x{i}{j}: {{}}"]
        entry[0] += "," if flow else ""
        return [pad + comment(text) for text in entry]

    for i, name in enumerate(names):
        kinds = ["blank", "comment", "outer", "rule", "commented out"]
        if not column:
            kinds.remove("outer")
        heading = [] if on_bracket and not i else draw(st.lists(st.sampled_from(kinds), max_size=3))
        if heading:  # set apart from the entry's own comments, which follow it
            heading.append(draw(st.sampled_from([k for k in kinds if k != "comment"])))
        for j, what in enumerate(heading):
            if what == "commented out":
                lines += [(text, None) for text in commented_out(i, j)]
                continue
            text = "" if what == "blank" else comment(f"--- h{i}{j} ---" if what == "rule" else f"h{i}{j}")
            lines.append((pad + text if what in ("comment", "rule") else text, None))
        for j in range(0 if on_bracket and not i else draw(st.integers(0, 2))):  # not entries' words
            words = draw(st.sampled_from([f"o{i}{j}", f"o{i}{j}: on call", f"o{i}{j}, ask first"]))
            lines.append((pad + comment(words), i if i else None))
        entry = pad + name + (": {}" if kind.endswith("mapping") else "")
        if kind == "block list":
            entry = pad + "- " + name
        if flow and (i < len(names) - 1 or last_comma):
            entry += ","
        if draw(st.booleans()):
            entry += draw(st.sampled_from(["  ", "\t"])) + comment(f"t{i}")
        lines.append((header + entry.lstrip(" ") if on_bracket and not i else entry, i))
        if on_bracket and not i:
            del lines[-2]
        if not flow:
            for j in range(draw(st.integers(0, 1))):
                lines.append((pad + "  " + comment(f"in{i}{j}"), i))
    if draw(st.booleans()):
        lines.append((pad + comment("end of the list"), None))
    if flow:
        lines.append(("]" if kind == "flow list" else "}", None))
    lines.append(("boundary: b   # keep", None))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return kind, key, names, lines, newline, last_comma


def expected_after_removal(kind, names, lines, last_comma, index):
    """The lines that stay: every line but the removed entry's own (its line, its comments
    directly above unless it is the first, those inside it), and the blank lines right
    after them when a blank line is right before them."""
    if lines[2][1] == index:  # on the bracket's line, which stays without it
        text = lines[2][0]
        lines = [
            *lines[:2],
            (text[: text.index(" [" if kind == "flow list" else " {") + 2], None),
            *lines[3:],
        ]
    kept = [(text, owner) for text, owner in lines if owner != index]
    at = next((n for n, (_, owner) in enumerate(lines) if owner == index), 0)  # where its lines were
    if at and not kept[at - 1][0].strip():
        while not kept[at][0].strip():
            del kept[at]
    if kind.startswith("flow") and index == len(names) - 1 and index and not last_comma:
        at = max(n for n, (_, owner) in enumerate(kept) if owner == index - 1)  # its line, in flow
        text = kept[at][0]
        cut = text.index(",")
        kept[at] = (text[:cut] + text[cut + 1 :], index - 1)  # the comma before the last
    out = [text for text, _ in kept]
    if len(names) == 1:
        header = 2
        if not kind.startswith("flow"):
            empty = " []" if kind == "block list" else " {}"
            key, rest = out[header].split(":", 1)
            out[header] = key + ":" + empty + rest
        else:
            close = out.index("]" if kind == "flow list" else "}")
            if not any("#" in text for text in out[header:close]):
                out[header : close + 1] = [out[header] + out[close]]
    return out


@settings(max_examples=300, deadline=None)
@given(commented_collections(), st.data())
def test_a_removed_entry_takes_exactly_its_own_comments(collection, data):
    """Removing any entry of a list or mapping, block or flow, with blank lines, headings,
    entries commented out, comments in other columns, tabs and CRLF around it: every other
    entry keeps exactly the comments it had, no comment of the removed entry remains, and
    no two blank lines take the place of one."""
    kind, key, names, lines, newline, last_comma = collection
    text = newline.join(text for text, _ in lines) + newline
    index = data.draw(st.integers(0, len(names) - 1))
    doc = Document(text)
    if kind.endswith("list"):
        doc.remove_from_list((key,), index)
    else:
        doc.remove_key((key,), names[index])
    expected = expected_after_removal(kind, names, lines, last_comma, index)
    assert doc.result == newline.join(expected) + newline
