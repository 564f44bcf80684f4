"""Gzipped logs are inflated by ISA-L (the isal package) where it is installed, the
standard library elsewhere: the same bytes, or a file refused as corrupt, either way."""

from __future__ import annotations

import gzip
import importlib.util
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.scopedown import logs
from rolecat.scopedown.logs import LogError, read_bytes

BODY = b'{"Records":[{"eventVersion":"1.09","eventName":"GetObject"}]}' * 40
MEMBER = gzip.compress(BODY, mtime=0)


def _standard(raw: bytes) -> bytes | None:
    """What the standard library makes of the file: its bytes, or None where it refuses."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error):
        return None


def _ours(path: Path, raw: bytes) -> bytes | None:
    path.write_bytes(raw)
    try:
        return read_bytes(path)
    except LogError as exc:
        assert str(exc).startswith("corrupt or truncated gzip: ")
        return None


def _header_checksum_claimed(raw: bytes) -> bool:
    return len(raw) > 3 and raw[:2] == b"\x1f\x8b" and bool(raw[3] & 0x02)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([MEMBER, MEMBER + MEMBER, MEMBER + b"\0" * 8]),
    st.lists(
        st.tuples(
            st.sampled_from(["set", "cut", "add"]), st.integers(0, 2**16), st.binary(min_size=1, max_size=8)
        ),
        max_size=3,
    ),
)
def test_inflated_as_the_standard_library_inflates(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, edits: list[tuple[str, int, bytes]]
) -> None:
    """Whole files, two members, padding, and each of them damaged: a byte changed, the end
    cut off, bytes added.  A header that claims a checksum (FHCRC) is the one difference:
    the standard library skips that checksum, ISA-L checks it."""
    raw = bytearray(data)
    for op, at, value in edits:
        pos = at % (len(raw) + 1)
        if op == "set" and pos < len(raw):
            raw[pos] = value[0]
        elif op == "cut":
            del raw[pos:]
        else:
            raw[pos:pos] = value
    ours = _ours(tmp_path_factory.getbasetemp() / "gunzip.json.gz", bytes(raw))
    standard = _standard(bytes(raw))
    if ours is None and standard is not None and _header_checksum_claimed(bytes(raw)):
        return
    assert ours == standard


def test_a_wrong_header_checksum_is_refused_by_isal(tmp_path: Path) -> None:
    header = b"\x1f\x8b\x08\x02" + b"\0" * 4 + b"\0\xff"
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = body.compress(b"{}") + body.flush()
    trailer = struct.pack("<II", zlib.crc32(b"{}"), 2)
    right = header + struct.pack("<H", zlib.crc32(header) & 0xFFFF) + deflated + trailer
    wrong = header + b"\0\0" + deflated + trailer
    assert _ours(tmp_path / "a.json.gz", right) == b"{}"
    expected = None if importlib.util.find_spec("isal") is not None else b"{}"
    assert _ours(tmp_path / "b.json.gz", wrong) == expected


def test_isal_inflates_where_it_is_installed() -> None:
    if importlib.util.find_spec("isal") is None:
        pytest.skip("isal is not installed on this machine (it has no wheel for it)")
    from isal import igzip

    assert logs.gunzip is igzip.decompress


def test_without_isal_the_standard_library_inflates(tmp_path: Path) -> None:
    """A machine without isal's wheel reads the same files (the import falls back)."""
    good, bad = tmp_path / "good.json.gz", tmp_path / "bad.json.gz"
    good.write_bytes(MEMBER + MEMBER)
    bad.write_bytes(MEMBER[:-3])
    script = (
        "import sys; sys.modules['isal'] = None\n"  # import isal raises ImportError
        "from pathlib import Path\n"
        "import gzip\n"
        "from rolecat.scopedown import logs\n"
        "assert logs.gunzip is gzip.decompress\n"
        "print(len(logs.read_bytes(Path(sys.argv[1]))))\n"
        "try:\n"
        "    logs.read_bytes(Path(sys.argv[2]))\n"
        "except logs.LogError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(good), str(bad)], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == str(2 * len(BODY))
    assert lines[1].startswith("corrupt or truncated gzip: ")
