"""Fuzz: random damage to the example catalog never yields a traceback or partial output.

Each example takes the repository's example catalog, damages one or two of its files
(structurally: delete a key, change a value's type, add a junk key, swap two values;
or textually: truncate, insert junk, drop or repeat a line, flip a byte), then runs
``validate`` and ``compile`` over a previous output.  The only acceptable outcomes
are exit 0, or exit 1 with the previous output byte-for-byte intact.  An uncaught
exception fails the test with its traceback (the CLI runner re-raises it).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_support import EXAMPLE, cli, siblings, snapshot
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import note as note_
from hypothesis import strategies as st

NOW = "2026-06-01"
FILES = sorted(
    p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*") if p.suffix in (".yaml", ".json")
)

JUNK_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["${aws:username}", "{{ account.id }}", "{{ cycler }}", "012345670123", "*", "", "\x00"]),
)
JUNK_TEXT = st.sampled_from(
    [
        "\n- x\n",
        ": :",
        "&a [*a]",
        "*nope",
        "!!python/object:os.system x",
        "\t",
        '"',
        "{",
        "]",
        "<<: {}",
        "\xff",
        "\ufeff",
        "{% raw %}",
        "{{ account.id }}",
        "key: [1, 2",
        ",",
        "null",
        "\x00",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "?",
    ]
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(paths(v, (*prefix, i)))
    return out


def get(node: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        node = node[p]
    return node


def set_(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    get(node, path[:-1])[path[-1]] = value
    return node


def structural(data: Any, draw: Any) -> Any:
    targets = paths(data)
    path = draw(st.sampled_from(targets))
    op = draw(st.sampled_from(["delete", "retype", "junk-key", "swap"]))
    if op == "delete" and path:
        parent = get(data, path[:-1])
        del parent[path[-1]]
        return data
    if op == "junk-key":
        node = get(data, path)
        if isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=8))] = draw(JUNK_VALUES)
            return data
    if op == "swap" and len(targets) > 2:
        other = draw(st.sampled_from(targets))
        if path and other and path[: len(other)] != other and other[: len(path)] != path:
            a, b = get(data, path), get(data, other)
            set_(data, path, b)
            set_(data, other, a)
            return data
    return set_(data, path, draw(JUNK_VALUES))


def textual(text: str, draw: Any) -> str:
    op = draw(st.sampled_from(["truncate", "insert", "drop-line", "repeat-line", "replace-char"]))
    pos = draw(st.integers(0, len(text)))
    lines = text.splitlines(keepends=True) or [""]
    line = draw(st.integers(0, len(lines) - 1))
    if op == "truncate":
        return text[:pos]
    if op == "insert":
        return text[:pos] + draw(JUNK_TEXT) + text[pos:]
    if op == "drop-line":
        return "".join(lines[:line] + lines[line + 1 :])
    if op == "repeat-line":
        return "".join(lines[: line + 1] + lines[line:])
    return text[:pos] + draw(st.characters()) + text[pos + 1 :]


def damage(catalog: Path, draw: Any) -> list[str]:
    done = []
    for rel in draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=2, unique=True)):
        path = catalog / rel
        text = path.read_text("utf-8")
        if draw(st.booleans()):
            loader = json.loads if rel.endswith(".json") else yaml.safe_load
            data = structural(loader(text), draw)
            if rel.endswith(".json"):
                new = json.dumps(data, allow_nan=True)
            else:
                new = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            done.append(f"{rel}: structural")
        else:
            new = textual(text, draw)
            done.append(f"{rel}: textual")
        raw = new.encode("utf-8", errors="surrogatepass")
        if draw(st.integers(0, 9)) == 0:  # now and then a byte that is not UTF-8
            cut = draw(st.integers(0, len(raw)))
            raw = raw[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe9", b"\x00"])) + raw[cut:]
            done.append(f"{rel}: raw byte")
        path.write_bytes(raw)
    return done


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(EXAMPLE, root / "catalog")
    run = cli(["compile", "catalog", "-o", "out", "--now", NOW], root)
    assert run.exit_code == 0, run.stderr
    return root / "out"


@settings(
    max_examples=int(os.environ.get("ROLECAT_FUZZ_EXAMPLES", "80")),  # raise it for a long hunt
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a compile; shrinking is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_damaged_catalog_never_crashes_or_half_writes(
    data: st.DataObject, example_output: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    catalog = root / "catalog"
    shutil.copytree(EXAMPLE, catalog)
    note = damage(catalog, data.draw)
    note_(note)

    run = cli(["validate", "catalog", "--now", NOW], root)
    assert run.exit_code in (0, 1), run.stderr
    assert "internal error" not in run.stderr

    out = root / "out"
    shutil.copytree(example_output, out)
    before, around = snapshot(out), siblings(out)
    run = cli(["compile", "catalog", "-o", "out", "--now", NOW], root)
    assert run.exit_code in (0, 1), run.stderr
    assert "internal error" not in run.stderr
    if run.exit_code == 1:
        assert snapshot(out) == before
        assert siblings(out) == around
    else:
        assert "compiled" in run.stderr
        assert (out / "manifest.json").is_file()
