"""OUT read ahead (rolecat.targets.outdir.snapshot): the write stage trusts a file the
snapshot read only while its stamp is unchanged, so an edit made after the snapshot, even
one that keeps the size, is seen; the snapshot never follows a symlink and leaves out
what was changed too recently to trust."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from rolecat.pipeline import compile_catalog, render_catalog
from rolecat.targets.outdir import snapshot
from rolecat.targets.outdir.safefs import SafeDir
from rolecat.targets.terraform import write
from rolecat.targets.terraform.render import RenderedFile

from .conftest import Started

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every compile here renders and compares as it would with nothing remembered
    (tests/core/test_recall.py covers the compile that recalls its output)."""
    monkeypatch.setenv("ROLECAT_CACHE_DIR", "off")


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test a moment ago count as old enough to trust."""
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0)


def _compiled(tmp_path: Path) -> tuple[Path, Path]:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    out = tmp_path / "out"
    ok, diags = compile_catalog(catalog, out, NOW)
    assert ok, diags
    return catalog, out


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The generated files the write stage reads from here on (the manifest, at OUT's top,
    is not in a snapshot: it is read as ever)."""
    seen: list[str] = []
    real = SafeDir.read_each

    def counting(self: SafeDir, rels, limit):  # type: ignore[no-untyped-def]
        rels = list(rels)
        seen.extend(r for r in rels if r != "manifest.json")
        return real(self, rels, limit)

    monkeypatch.setattr(SafeDir, "read_each", counting)
    return seen


def test_take_reads_account_folders_never_through_a_symlink(tmp_path: Path, trusting: None) -> None:
    out = tmp_path / "out"
    (out / "prod" / "deep").mkdir(parents=True)
    (out / "prod" / "role.A.tf").write_bytes(b"a")
    (out / "prod" / "deep" / "x.tf").write_bytes(b"x")  # two levels down: not generated
    (out / ".rolecat").mkdir()
    (out / ".rolecat" / "lock").write_bytes(b"")
    (out / "manifest.json").write_bytes(b"{}")  # read by the write stage itself
    (out / "big").mkdir()
    (out / "big" / "f.tf").write_bytes(b"x" * 11)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.tf").write_bytes(b"s")
    (out / "linked").symlink_to(elsewhere)
    (out / "prod" / "link.tf").symlink_to(out / "prod" / "role.A.tf")
    os.mkfifo(out / "prod" / "fifo.tf")
    snap = snapshot.take(out, 10)
    assert set(snap.files) == {"prod/role.A.tf"}
    st = (out / "prod" / "role.A.tf").stat()
    stamp = (st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns)
    assert snap.holds("prod/role.A.tf", stamp, hashlib.sha256(b"a").digest())
    assert not snap.holds("prod/role.A.tf", stamp, hashlib.sha256(b"b").digest())
    assert not snap.holds("prod/role.A.tf", (*stamp[:3], stamp[3] + 1), hashlib.sha256(b"a").digest())
    assert snapshot.take(tmp_path / "missing", 10).files == {}
    assert snapshot.take(out / "linked", 10).files == {}  # OUT itself a symlink


def test_files_changed_just_before_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "role.A.tf").write_bytes(b"a")
    assert snapshot.take(tmp_path, 10).files == {}  # written now: within RACY_SECONDS


def _read_ahead(tmp_path: Path) -> tuple[Path, list[RenderedFile], snapshot.Snapshot]:
    """OUT compiled from the example, what a compile renders, and OUT read ahead."""
    catalog, out = _compiled(tmp_path)
    _, _, files = render_catalog(catalog, NOW)
    return out, files, snapshot.take(out, write.MAX_OUT_FILE)


def test_an_up_to_date_compile_reads_nothing_the_snapshot_holds(
    tmp_path: Path, trusting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, files, ahead = _read_ahead(tmp_path)
    assert {f.path for f in files if "/" in f.path} == set(ahead.files)
    reads = _reads(monkeypatch)
    assert write.write_output(files, out, ahead=ahead) == []
    assert reads == []


def test_an_edit_after_the_snapshot_is_seen_even_at_the_same_size(
    tmp_path: Path, trusting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, files, ahead = _read_ahead(tmp_path)
    role = out / "prod" / "role.Admin.tf"
    good = role.read_bytes()
    role.write_bytes(good.replace(b"Admin", b"Xdmin", 1))  # same size, other bytes
    reads = _reads(monkeypatch)
    with SafeDir(out) as root:
        inv = write.take_inventory(root, files, None, ahead=ahead)
    assert [f.path for f in inv.changed] == ["prod/role.Admin.tf"]
    assert reads == ["prod/role.Admin.tf"]  # the one file whose stamp moved
    assert write.write_output(files, out, ahead=ahead) == []
    assert role.read_bytes() == good


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_compile_reads_out_ahead_in_a_child(
    tmp_path: Path, trusting: None, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    monkeypatch.delenv("ROLECAT_JOBS", raising=False)
    catalog, out = _compiled(tmp_path)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "prod" / "role.Admin.tf").write_bytes(b"# hand edit\n")
    starts.clear()
    reads = _reads(monkeypatch)
    ok, diags = compile_catalog(catalog, out, NOW)
    assert ok, diags
    assert starts and starts[0].forked  # the read-ahead, before anything else
    assert reads == []  # every file known ahead; the edited one differs in size
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_a_dead_read_ahead_is_redone_here_at_our_own_priority(
    tmp_path: Path, trusting: None, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    """The child reads at the lowest priority; when it dies, ``result`` reads OUT in this
    process, which must not lower this process's own priority."""
    import signal

    monkeypatch.delenv("ROLECAT_JOBS", raising=False)
    _, out = _compiled(tmp_path)
    real_take = snapshot.take

    def dies_in_child(path: Path, limit: int) -> snapshot.Snapshot:
        if os.getpid() != me:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_take(path, limit)

    me = os.getpid()
    monkeypatch.setattr(snapshot, "take", dies_in_child)
    before = os.nice(0)
    starts.clear()
    with write.read_ahead(out) as ahead:
        assert len(starts) == 1 and starts[0].forked
        snap = ahead()
        assert snap is not None and "prod/role.Admin.tf" in snap.files
    assert os.nice(0) == before
