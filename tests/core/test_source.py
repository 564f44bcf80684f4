from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.diagnostics import Location
from rolecat.load.source import ALIAS_NODE_BUDGET, load_json_text, load_yaml_text


def test_yaml_positions_for_keys_and_scalars_of_every_type() -> None:
    doc, diags = load_yaml_text("a:\n  b: 12\n  c: [x, true]\n", "f.yaml")
    assert not diags and doc is not None
    assert doc.data == {"a": {"b": 12, "c": ["x", True]}}
    assert str(doc.locate(("a", "b"))) == "f.yaml:2:6"
    assert str(doc.locate(("a", "b"), key=True)) == "f.yaml:2:3"
    assert str(doc.locate(("a", "c", 1))) == "f.yaml:3:10"
    # unknown paths fall back to the nearest ancestor
    assert str(doc.locate(("a", "zzz", 3))) == "f.yaml:2:3"


def test_yaml_duplicate_key_reported_at_the_duplicate() -> None:
    _, diags = load_yaml_text("name: A\nother: 1\nname: B\n", "r.yaml")
    assert [(d.code, d.location.line) for d in diags if d.location] == [("L003", 3)]
    assert "line 1" in diags[0].message


def test_yaml_python_tags_are_refused() -> None:
    _, diags = load_yaml_text("a: !!python/object/apply:os.system ['true']\n", "r.yaml")
    assert [d.code for d in diags] == ["L004"]


def test_yaml_alias_bomb_refused_quickly() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    start = time.perf_counter()
    doc, diags = load_yaml_text("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert doc is None and [d.code for d in diags] == ["L008"]
    assert f"{ALIAS_NODE_BUDGET:,}" in diags[0].message


def test_yaml_unquoted_scalars_are_remembered_for_quote_hints() -> None:
    doc, diags = load_yaml_text("id: 012345670123\nname: no\nq: '123'\n", "c.yaml")
    assert doc is not None
    # YAML 1.1 octal: refused, not silently read as 0o12345670123
    assert doc.data["id"] is None and ("id",) in doc.refused
    assert [(d.code, d.location) for d in diags] == [("L014", Location("c.yaml", 1, 5))]
    assert 'quote it: "012345670123"' in (diags[0].hint or "")
    assert doc.plain_scalars[("name",)] == "no"
    assert ("q",) not in doc.plain_scalars


def test_whole_numbers_written_as_fractions_are_refused() -> None:
    """JSON Schema's integer takes 3600.0, which would then reach the Terraform, the
    manifest and ``rolecat profiles`` (botocore drops ``duration_seconds = 3600.0`` and
    the session silently lasts an hour): L014 with the number to write instead.  A real
    fraction goes on to the schema, which refuses it where it expects an integer."""
    doc, diags = load_yaml_text("a: 3600.0\nb: 1.5\nc: 7\n", "c.yaml")
    assert doc is not None and doc.data == {"a": None, "b": 1.5, "c": 7} and ("a",) in doc.refused
    assert [(d.code, d.location) for d in diags] == [("L014", Location("c.yaml", 1, 4))]
    assert diags[0].hint == "write 3600; if you meant text, quote it"


def test_yaml_dates_stay_text() -> None:
    doc, _ = load_yaml_text("until: 2099-12-05\n", "r.yaml")
    assert doc is not None and doc.data == {"until": "2099-12-05"}


def test_yaml_syntax_error_has_position() -> None:
    _, diags = load_yaml_text("a: [1, 2\nb: 3\n", "x.yaml")
    assert diags[0].code == "L002" and diags[0].location is not None and diags[0].location.line >= 2


def test_empty_yaml() -> None:
    _, diags = load_yaml_text("# only a comment\n", "e.yaml")
    assert [d.code for d in diags] == ["L007"]


def test_json_fast_path_positions_computed_on_demand() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow"}\n  ]\n}\n'
    doc, diags = load_json_text(text, "p.json")
    assert not diags and doc is not None and doc.pending_text is not None
    assert str(doc.locate(("Statement", 0, "Effect"))) == "p.json:4:16"
    assert str(doc.locate(("Statement", 0, "Effect"), key=True)) == "p.json:4:6"


def test_json_duplicate_keys_and_syntax_errors() -> None:
    _, diags = load_json_text('{\n  "a": 1,\n  "a": 2\n}', "p.json")
    assert [(d.code, d.location.line) for d in diags if d.location] == [("L003", 3)]
    _, diags = load_json_text('{\n  "a": 1,\n  "b": \n}', "p.json")
    assert diags[0].code == "L009" and diags[0].location is not None and diags[0].location.line == 4
    _, diags = load_json_text('{"a": NaN}', "p.json")
    assert diags[0].code == "L009"


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        # a comma after the last item: the error is at the bracket, the hint names the comma
        ('{"Statement": [\n  {"Effect": "Allow"},\n]}', (3, 1), "remove the comma on line 2, column 22"),
        ('{"a": 1,\n}', (2, 1), "remove the comma on line 1, column 8"),
        ('{"a": 1\n "b": 2}', (2, 2), "comma is missing between the value that ends on line 1, column 7"),
        ('{"a": [1 2]}', (1, 10), "comma is missing"),
        ('{"a": true "b": 1}', (1, 12), "comma is missing"),
        ("{'Effect': 'Allow'}", (1, 2), "double quotes"),
        ('{"a": 1 // why\n}', (1, 9), "JSON has no comments"),
        ('{"a": 1, # why\n "b": 2}', (1, 10), "JSON has no comments"),
    ],
)
def test_json_syntax_error_hints_name_the_likely_mistake(
    text: str, where: tuple[int, int], hint: str
) -> None:
    _, diags = load_json_text(text, "p.json")
    (diag,) = diags
    assert diag.code == "L009" and diag.location is not None
    assert (diag.location.line, diag.location.col) == where
    assert diag.hint is not None and hint in diag.hint


def test_json_syntax_error_without_a_likely_mistake_keeps_the_rule_hint() -> None:
    _, diags = load_json_text('{"a": }', "p.json")
    assert diags[0].code == "L009" and diags[0].hint is None  # the registry's hint is printed


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def test_yaml_positions_computed_on_demand_equal_the_eager_ones() -> None:
    """YAML is loaded without positions and they are computed on the first ``locate``;
    for every node and key of every catalog YAML file in the repository, the lazy answer
    is the one the loader gives when it records positions while building."""
    from pathlib import Path

    import yaml

    from rolecat.load.source import SourceDoc, _Loader, _YamlBuilder

    root = Path(__file__).resolve().parents[2]
    files = sorted({*root.glob("catalog/**/*.yaml"), *root.glob("tests/golden/inputs/**/*.yaml")})
    assert len(files) > 20
    for path in files:
        text = path.read_text("utf-8")
        lazy, _ = load_yaml_text(text, str(path))
        assert lazy is not None and lazy.pending_yaml is not None and not lazy.spans, path
        eager = SourceDoc(str(path), None)
        _YamlBuilder(eager, [], positions=True).build(yaml.compose(text, Loader=_Loader), ())
        for p in _paths(lazy.data):
            assert lazy.locate(p) == eager.locate(p), (path, p)
            if p:
                assert lazy.locate(p, key=True) == eager.locate(p, key=True), (path, p)
                assert lazy.has_key(p) == (p in eager.key_spans)
        assert lazy.pending_yaml is None and lazy.spans == eager.spans


_SCALARS = [
    "yes", "No", "on", "OFF", "~", "null", "", "0x1F", "0o17", "017", "1_000", "1e3", ".inf", "-.NaN",
    "2026-12-05", "2026-12-05T10:00:00Z", "20261205", "=", "<<", "12:30:00", "+1", "-0", "1.5",
    "true", "Admin", "s3:GetObject", "arn:aws:iam::111111111111:role/x", "'quoted'", '"2026-01-01"',
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SCALARS), st.text(max_size=12)), min_size=1, max_size=6))
def test_the_loader_tags_every_scalar_as_pyyamls_safe_loader_does(words: list[str]) -> None:
    """``source._Loader`` skips the path-resolver bookkeeping and remembers plain scalars'
    tags: the node tree (tags, values, styles, positions) is that of the stock safe loader
    it extends (libyaml's), the first time a text is seen and every time after."""
    import json

    import yaml

    from rolecat.load import source

    text = (
        "".join(f"k{i}: {w}\n" for i, w in enumerate(words)) + "l:\n" + "".join(f"  - {w}\n" for w in words)
    )
    text += "q: " + json.dumps(words[0]) + "\n"

    def tree(node: yaml.Node) -> object:
        where = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, yaml.ScalarNode):
            return (node.tag, node.value, node.style or None, where)
        if isinstance(node, yaml.MappingNode):
            return (node.tag, where, [(tree(k), tree(v)) for k, v in node.value])
        return (node.tag, where, [tree(item) for item in node.value])

    try:
        expected = tree(yaml.compose(text, Loader=source._Base))
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yaml.compose(text, Loader=source._Loader)
        return
    assert tree(yaml.compose(text, Loader=source._Loader)) == expected
    assert tree(yaml.compose(text, Loader=source._Loader)) == expected  # with the tags remembered


def test_remembered_tags_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of many distinct or long plain scalars cannot grow the remembered tags."""
    from rolecat.load import source

    monkeypatch.setattr(source, "_PLAIN_TAGS", {})
    monkeypatch.setattr(source, "_PLAIN_TAG_ENTRIES", 50)
    doc, _ = load_yaml_text("".join(f"- v{i}\n" for i in range(200)) + f"- {'x' * 500}\n", "f.yaml")
    assert doc is not None and len(doc.data) == 201
    assert len(source._PLAIN_TAGS) == 50 and "x" * 500 not in source._PLAIN_TAGS
