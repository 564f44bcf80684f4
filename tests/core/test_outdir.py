"""Unit tests of the OUT machinery: path validation, SafeDir, the journal, the lock."""

from __future__ import annotations

import fcntl
import json
import os
import posixpath
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecat.targets.outdir import journal, layout, safefs
from rolecat.targets.outdir.lock import LockTimeout, OutLock
from rolecat.targets.outdir.safefs import SafeDir, UnsafePath, check_rel


@pytest.mark.parametrize(
    "rel",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../b",
        "a//b",
        "./a",
        "a/.",
        "a/",
        "a\nb",
        "a b",
        "a\\b",
        "\x00",
        "é",
        1,
        None,
    ],
)
def test_check_rel_refuses(rel: object) -> None:
    assert check_rel(rel) is not None


@pytest.mark.parametrize("rel", ["manifest.json", "prod/roles.tf", ".rolecat/lock", "a-b/c_d.e+f=g,h@i"])
def test_check_rel_accepts(rel: str) -> None:
    assert check_rel(rel) is None


# Paths near every rule's edge: dots, slashes, characters allowed and not, long components.
_EDGY = st.lists(
    st.one_of(
        st.sampled_from(
            ["/", ".", "..", "a", "-", "@", " ", "é", "\n", "\\", "\x00", "Z9", "c" * 255, "d" * 256]
        ),
        st.text(alphabet="ab.", min_size=250, max_size=260),
    ),
    max_size=40,
).map("".join)


@given(_EDGY)
def test_check_rel_gives_the_reason_of_the_checks_one_at_a_time(rel: str) -> None:
    """The one-match fast path accepts exactly what the checks one at a time accept (and a
    refused path gets their reason); it fails when the match lets a '.' component, a
    character or a long component through."""
    assert check_rel(rel) == safefs._why_unsafe(rel)


@pytest.mark.parametrize("depth", [safefs.MAX_DEPTH - 1, safefs.MAX_DEPTH, safefs.MAX_DEPTH + 1])
def test_check_rel_depth_and_length_limits_hold_on_the_fast_path(depth: int) -> None:
    rel = "/".join(["a"] * depth)
    assert (check_rel(rel) is None) == (depth <= safefs.MAX_DEPTH)
    long = "/".join(["b" * 255] * 5)  # over MAX_REL_LENGTH, every component allowed
    assert len(long) > safefs.MAX_REL_LENGTH and check_rel(long) == "too long"
    for first, last in ((255, 255), (256, 1), (1, 256)):  # a component of 256 characters
        assert (check_rel(f"{'e' * first}/{'f' * last}") is None) == (max(first, last) <= 255)


@given(
    st.lists(st.one_of(_EDGY, st.sampled_from(["a/b.tf", "prod/role.X.tf", "c", "..", "a\nb"])), max_size=6)
)
def test_all_acceptable_is_check_rel_of_each(rels: list[str]) -> None:
    """One match over many paths (a line each) accepts exactly when ``check_rel`` accepts
    every one; it fails when a line break inside a path splits it into two acceptable lines,
    or a '.' component before a line break gets through."""
    assert safefs.all_acceptable(rels) == all(check_rel(rel) is None for rel in rels)


@pytest.mark.parametrize(
    "rels",
    [
        [],
        ["a", "b/c"],
        ["a", "b\nc"],
        ["a/..", "b"],
        ["b", "..\nc"],
        ["/".join(["a"] * safefs.MAX_DEPTH)],
        ["/".join(["a"] * (safefs.MAX_DEPTH + 1))],
        ["/".join(["b" * 255] * 5)],
        ["a", 1],
    ],
)
def test_all_acceptable_limits(rels: list[object]) -> None:
    assert safefs.all_acceptable(rels) == all(check_rel(rel) is None for rel in rels)


def test_every_reserved_name_starts_with_a_dot() -> None:
    """``layout.is_reserved`` answers False at once for a path with no component starting
    with a dot: that holds only while every reserved name starts with one."""
    assert all(name.startswith(".") for name in (layout.WORKDIR, *layout.ACCOUNT_EXTRAS))


@given(
    st.lists(
        st.sampled_from(["a", ".rolecat", ".terraform", ".terraform.lock.hcl", ".x", "b.tf"]),
        min_size=1,
        max_size=4,
    ).map("/".join)
)
def test_is_reserved(rel: str) -> None:
    parts = rel.split("/")
    expected = parts[0] == layout.WORKDIR or any(p in layout.ACCOUNT_EXTRAS for p in parts)
    assert layout.is_reserved(rel) == expected


@given(st.text(max_size=30))
def test_accepted_paths_stay_inside(rel: str) -> None:
    if check_rel(rel) is None:
        norm = posixpath.normpath(rel)
        assert norm == rel and not norm.startswith(("/", "..")) and "\n" not in rel


def test_safedir_never_follows_a_symlink_on_the_way(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim"
    out.mkdir()
    victim.mkdir()
    (victim / "f").write_text("keep")
    (out / "acct").symlink_to(victim)
    with SafeDir(out) as root:
        for op in (
            lambda: root.read("acct/f", 100),
            lambda: root.write("acct/f", b"x"),
            lambda: root.write("acct/new", b"x"),
            lambda: root.unlink("acct/f"),
            lambda: root.rmtree("acct/f"),
            lambda: list(root.walk("acct")),
        ):
            with pytest.raises(UnsafePath):
                op()
        assert root.kind("acct") == "symlink"
        root.rmtree("acct")  # removes the link itself, never what it points at
    assert (victim / "f").read_text() == "keep"
    assert not (out / "acct").is_symlink()


def test_safedir_read_refuses_symlinks_fifos_and_large_files(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 11)
    (tmp_path / "link").symlink_to(tmp_path / "big")
    os.mkfifo(tmp_path / "fifo")
    with SafeDir(tmp_path) as root:
        assert root.read("missing", 10) is None
        for rel in ("big", "link", "fifo"):
            with pytest.raises(UnsafePath):
                root.read(rel, 10)
        assert root.read("big", 11) == b"x" * 11


def test_read_each_reads_as_read_does(tmp_path: Path) -> None:
    """The batch read gives, path by path and in order, what ``read`` returns or raises:
    bytes, None when missing, UnsafePath for a symlink (file or folder on the way), a
    FIFO or a file over the limit, the OSError of an unreadable file."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "f").write_text("secret")
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "one").write_bytes(b"1")
    (out / "a" / "big").write_bytes(b"x" * 11)
    (out / "a" / "link").symlink_to(out / "a" / "one")
    os.mkfifo(out / "a" / "fifo")
    (out / "top").write_bytes(b"")
    (out / "away").symlink_to(victim)
    (out / "a" / "locked").write_bytes(b"no")
    (out / "a" / "locked").chmod(0)
    rels = [
        "a/one",
        "a/missing",
        "nothere/x",
        "a/big",
        "a/link",
        "a/fifo",
        "top",
        "away/f",
        "a/one",
        "a/locked",
    ]
    with SafeDir(out) as root:
        got = list(root.read_each(rels, 10))
        assert [rel for rel, _ in got] == rels
        for rel, value in got:
            try:
                want: object = root.read(rel, 10)
            except (UnsafePath, OSError) as exc:
                assert type(value) is type(exc) and str(value) == str(exc), rel
            else:
                assert value == want, rel
    by = dict(got)
    assert by["a/one"] == b"1" and by["top"] == b"" and by["a/missing"] is None and by["nothere/x"] is None
    assert {rel for rel, v in got if isinstance(v, UnsafePath)} == {"a/big", "a/link", "a/fifo", "away/f"}
    if os.geteuid() != 0:  # root reads a file whatever its mode
        assert isinstance(by["a/locked"], PermissionError)


def test_safedir_root_that_is_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UnsafePath):
        SafeDir(tmp_path / "link")


def _journal(**lists: list[object]) -> bytes:
    body: dict[str, object] = {"version": 1, "replace": [], "delete": [], "rmdirs": []}
    body.update(lists)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff",
        b"[]",
        b'{"version": 2, "replace": [], "delete": [], "rmdirs": []}',
        b'{"version": 1, "replace": []}',
        _journal(replace=["../x"]),
        _journal(delete=["/etc/passwd"]),
        _journal(delete=[1]),
        _journal(replace=[".rolecat/lock"]),
        _journal(delete=["prod/.terraform.lock.hcl"]),
        _journal(replace=["a"], delete=["a"]),
        _journal(extra=[]),
    ],
)
def test_corrupt_journals_are_refused(raw: bytes) -> None:
    with pytest.raises(journal.CorruptJournal):
        journal.parse_journal(raw)


@pytest.mark.parametrize(
    ("raw", "said"), [(b'{"version": 1,', "not JSON"), (b"[" * 100_000, "not JSON"), (b"\xff{}", "not UTF-8")]
)
def test_a_journal_that_is_not_json_is_said_in_words(raw: bytes, said: str) -> None:
    """It said "not JSON (JSONDecodeError)": a Python class name in the W009 warning."""
    with pytest.raises(journal.CorruptJournal) as caught:
        journal.parse_journal(raw)
    assert str(caught.value) == said


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and layout.WORKDIR not in p.parts
    }


def test_commit_then_nothing_pending(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.tf").write_text("old")
    (tmp_path / "a" / "keep.tf").write_text("v1")
    with SafeDir(tmp_path) as root:
        journal.commit(root, [("a/keep.tf", b"v2"), ("b/new.tf", b"new")], ["a/old.tf"], [])
        assert journal.pending(root) == []
    assert _tree(tmp_path) == {"a/keep.tf": "v2", "b/new.tf": "new"}


@pytest.mark.parametrize("moves_before_crash", [0, 1, 2, 3])  # the commit makes 4 moves (folder b is one)
def test_recover_finishes_a_commit_killed_at_any_move(tmp_path: Path, moves_before_crash: int) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.tf").write_text("old")
    (tmp_path / "a" / "keep.tf").write_text("v1")
    real = SafeDir.replace
    count = {"n": 0}

    class Killed(BaseException):
        pass

    def dying(self: SafeDir, src: str, dst: str, *, create_parents: bool = True) -> None:
        if not src.endswith(layout.JOURNAL_TMP):
            count["n"] += 1
            if count["n"] > moves_before_crash:
                raise Killed
        real(self, src, dst, create_parents=create_parents)

    with SafeDir(tmp_path) as root:
        SafeDir.replace = dying  # type: ignore[method-assign]
        try:
            with pytest.raises(Killed):
                journal.commit(
                    root,
                    [("a/keep.tf", b"v2"), ("b/new.tf", b"new"), ("b/more.tf", b"more")],
                    ["a/old.tf"],
                    [],
                )
        finally:
            SafeDir.replace = real  # type: ignore[method-assign]
        assert journal.pending(root)
        assert journal.recover(root) is not None
        assert journal.pending(root) == []
    assert _tree(tmp_path) == {"a/keep.tf": "v2", "b/more.tf": "more", "b/new.tf": "new"}


def _moves(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every ``SafeDir.replace`` from here on but the journal's own."""
    seen: list[tuple[str, str]] = []
    real = SafeDir.replace

    def recording(self: SafeDir, src: str, dst: str, *, create_parents: bool = True) -> None:
        if not src.endswith(layout.JOURNAL_TMP):
            seen.append((src, dst))
        real(self, src, dst, create_parents=create_parents)

    monkeypatch.setattr(SafeDir, "replace", recording)
    return seen


def test_a_folder_out_lacks_is_moved_in_one_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new account (a fresh OUT: every account) is one move, whatever its number of files;
    a folder OUT has gets its files moved one by one, as ever."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "keep.tf").write_text("v1")
    moves = _moves(monkeypatch)
    writes = [("a/keep.tf", b"v2"), ("b/one.tf", b"1"), ("b/two.tf", b"2"), ("c/three.tf", b"3")]
    with SafeDir(tmp_path) as root:
        journal.commit(root, [*writes, ("manifest.json", b"{}")], [], [])
        assert journal.pending(root) == []
    assert _tree(tmp_path) == {
        "a/keep.tf": "v2",
        "b/one.tf": "1",
        "b/two.tf": "2",
        "c/three.tf": "3",
        "manifest.json": "{}",
    }
    staging = ".rolecat/staging"
    assert moves == [
        (f"{staging}/b", "b"),  # new folders first, one move each
        (f"{staging}/c", "c"),
        ("a/keep.tf", ".rolecat/backup/a/keep.tf"),
        (f"{staging}/a/keep.tf", "a/keep.tf"),
        (f"{staging}/manifest.json", "manifest.json"),
    ]


def test_a_folder_made_in_the_way_leaves_its_files_to_their_own_moves(tmp_path: Path) -> None:
    """Something where a new folder goes (here a file) is not replaced by the folder: the
    files' own moves meet it, and the commit is rolled back."""
    with SafeDir(tmp_path) as root:
        root.write(".rolecat/staging/b/one.tf", b"1")
        (tmp_path / "b").write_text("not a folder")
        root.write(".rolecat/journal.json", _journal(replace=["b/one.tf"]))
        note = journal.recover(root)
        assert note is not None and "rolled back" in note
        assert journal.pending(root) == []
    assert (tmp_path / "b").read_text() == "not a folder"


def test_recover_rolls_back_what_cannot_be_finished(tmp_path: Path) -> None:
    """The journal names a file whose place is now taken by a folder: undo every move."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "keep.tf").write_text("v1")
    with SafeDir(tmp_path) as root:
        root.write(".rolecat/staging/a/keep.tf", b"v2")
        root.write(".rolecat/staging/c/new.tf", b"new")
        (tmp_path / "c" / "new.tf").mkdir(parents=True)
        root.write(".rolecat/journal.json", _journal(replace=["a/keep.tf", "c/new.tf"]))
        note = journal.recover(root)
        assert note is not None and "rolled back" in note
        assert journal.pending(root) == []
    assert (tmp_path / "a" / "keep.tf").read_text() == "v1"
    assert (tmp_path / "c" / "new.tf").is_dir(), "what rolecat did not write is never moved away"


def test_lock_times_out_while_held(tmp_path: Path) -> None:
    with SafeDir(tmp_path) as root, OutLock(root, timeout=0):
        fd = os.open(tmp_path / ".rolecat" / "lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        with SafeDir(tmp_path) as other, pytest.raises(LockTimeout), OutLock(other, timeout=0.05):
            pass
    with SafeDir(tmp_path) as root, OutLock(root, timeout=0):
        pass  # released


def test_lock_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".rolecat").mkdir()
    (tmp_path / ".rolecat" / "lock").symlink_to(tmp_path / "elsewhere")
    with SafeDir(tmp_path) as root, pytest.raises(UnsafePath), OutLock(root, timeout=0):
        pass
    assert not (tmp_path / "elsewhere").exists()


# --------------------------------------------------------------------------- folder cache


def test_cached_dirs_forget_a_folder_this_object_removes(tmp_path: Path) -> None:
    """Within ``cached_dirs``, a folder removed (and re-created) through the same SafeDir is
    walked afresh: writes land in the new folder, not in the unlinked one held open."""
    (tmp_path / "out").mkdir()
    with SafeDir(tmp_path / "out") as root, root.cached_dirs():
        root.write("prod/a.tf", b"a\n")
        root.rmtree("prod")
        root.write("prod/b.tf", b"b\n")
        assert root._dirs is not None  # the cache is live inside the block
    assert sorted(p.name for p in (tmp_path / "out" / "prod").iterdir()) == ["b.tf"]


def test_cached_dirs_forget_renamed_folders(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with SafeDir(tmp_path / "out") as root, root.cached_dirs():
        root.write("old/x.tf", b"x\n")
        root.replace("old", "new")
        root.write("old/y.tf", b"y\n")  # a fresh folder named old, not the renamed one
    assert (tmp_path / "out" / "new" / "x.tf").read_bytes() == b"x\n"
    assert sorted(p.name for p in (tmp_path / "out" / "old").iterdir()) == ["y.tf"]


def test_cached_dirs_never_follow_a_symlink_planted_before_the_walk(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "victim").mkdir()
    (tmp_path / "out" / "prod").symlink_to(tmp_path / "victim")
    with SafeDir(tmp_path / "out") as root, root.cached_dirs():
        with pytest.raises(UnsafePath):
            root.write("prod/evil.tf", b"x\n")
        with pytest.raises(UnsafePath):  # a refused walk is not cached as a folder
            root.write("prod/evil.tf", b"x\n")
    assert list((tmp_path / "victim").iterdir()) == []


def test_cached_dirs_close_every_descriptor(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    before = len(list(Path("/proc/self/fd").iterdir()))
    with SafeDir(tmp_path / "out") as root:
        with root.cached_dirs():
            for i in range(20):
                root.write(f"d{i}/f.tf", b"x\n")
        assert root._dirs is None
    assert len(list(Path("/proc/self/fd").iterdir())) == before


def test_a_new_file_is_never_written_over(tmp_path: Path) -> None:
    """``write(new=True)`` (staging, just emptied) makes no unlink first: a file already
    there is an error, and stays as it was."""
    (tmp_path / "a.tf").write_text("there")
    with SafeDir(tmp_path) as root:
        with pytest.raises(FileExistsError):
            root.write("a.tf", b"new", new=True)
        root.write("b/c.tf", b"fresh", new=True)
    assert (tmp_path / "a.tf").read_text() == "there"
    assert (tmp_path / "b" / "c.tf").read_text() == "fresh"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _wait_for(done: Callable[[], bool], seconds: float = 30) -> None:
    """Wait until ``done()`` (a test that a forked child did something), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.002)


def test_many_files_are_staged_on_two_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From PARALLEL_FILES files on, this process and a forked child stage them, each file
    once; what OUT then holds is the same."""
    monkeypatch.delenv("ROLECAT_JOBS", raising=False)
    log = tmp_path / "log"
    real = SafeDir.write
    me = os.getpid()

    def logged(self: SafeDir, rel: str, data: bytes, *, durable: bool = True, new: bool = False) -> None:
        if rel.startswith(".rolecat/staging/"):
            if os.getpid() == me:  # until the child has staged a file (a loaded machine may start it late)
                _wait_for(lambda: any(not line.startswith(f"{me} ") for line in _lines(log)))
            with log.open("a") as f:
                f.write(f"{os.getpid()} {rel}\n")
        real(self, rel, data, durable=durable, new=new)

    monkeypatch.setattr(SafeDir, "write", logged)
    writes = [(f"acct{i % 3}/role.R{i:03d}.tf", f"# {i}\n".encode()) for i in range(journal.PARALLEL_FILES)]
    out = tmp_path / "out"
    out.mkdir()
    with SafeDir(out) as root:
        journal.commit(root, writes, [], [])
    lines = [line.split() for line in log.read_text().splitlines()]
    assert sorted(rel for _, rel in lines) == sorted(f".rolecat/staging/{rel}" for rel, _ in writes)
    assert len({pid for pid, _ in lines}) == 2 and str(os.getpid()) in {pid for pid, _ in lines}
    assert _tree(out) == {rel: data.decode() for rel, data in writes}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_a_file_the_child_cannot_stage_fails_the_commit_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROLECAT_JOBS", raising=False)
    me = os.getpid()
    real = SafeDir.write
    refused = tmp_path.with_name(tmp_path.name + "-refused")  # beside OUT, not in it

    def refusing(self: SafeDir, rel: str, data: bytes, *, durable: bool = True, new: bool = False) -> None:
        if os.getpid() != me and rel.endswith("R199.tf"):  # the last file: the child's first
            refused.touch()
            raise UnsafePath(rel, "is a symlink or not a folder")
        if os.getpid() == me and rel.startswith(".rolecat/staging/"):
            _wait_for(
                refused.exists
            )  # until the child has refused its first (else this process could take it)
        real(self, rel, data, durable=durable, new=new)

    monkeypatch.setattr(SafeDir, "write", refusing)
    (tmp_path / "acct0").mkdir()
    (tmp_path / "acct0" / "keep.tf").write_text("kept")
    writes = [(f"acct{i % 3}/role.R{i:03d}.tf", b"x") for i in range(journal.PARALLEL_FILES)]
    with SafeDir(tmp_path) as root:
        with pytest.raises(journal.CommitError) as raised:
            journal.commit(root, writes, ["acct0/keep.tf"], [])
        assert raised.value.rolled_back and "R199.tf: is a symlink" in raised.value.reason
        assert journal.pending(root) == []
    assert _tree(tmp_path) == {"acct0/keep.tf": "kept"}


def test_commit_runs_the_callers_work_while_it_syncs_and_raises_its_failure_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``meanwhile`` runs on a thread during the sync of the staged files (the sync waits
    for it here, so it fails if the work ran before or after); what it raises comes once
    the commit is done: OUT holds the new files, nothing is pending."""
    import threading

    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "old.tf").write_text("v1")
    started = threading.Event()
    real_sync = SafeDir.sync

    def sync(self: SafeDir, rels: list[str]) -> None:
        assert started.wait(2), "the caller's work did not run during the sync"
        real_sync(self, rels)

    def work() -> None:
        started.set()
        raise LookupError("the caller's own failure")

    monkeypatch.setattr(SafeDir, "sync", sync)
    with SafeDir(out) as root, pytest.raises(LookupError, match="caller's own failure"):
        journal.commit(root, [("a/new.tf", b"v2")], ["a/old.tf"], [], meanwhile=work)
    assert (out / "a" / "new.tf").read_bytes() == b"v2" and not (out / "a" / "old.tf").exists()
    with SafeDir(out) as root:
        assert not journal.pending(root)
    assert not any(t.name == "rolecat-meanwhile" for t in threading.enumerate())  # joined


def test_an_empty_out_is_inventoried_once_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh OUT can be neither refused nor up to date, so the write goes straight to the
    lock (one inventory); an OUT holding anything is first inventoried without the lock
    (refusals and no-op compiles leave it untouched), then again under it."""
    from rolecat.targets.terraform import write
    from rolecat.targets.terraform.render import RenderedFile

    calls: list[bool] = []
    real = write.take_inventory

    def counting(root: SafeDir, *args: object, **kwargs: object) -> object:
        calls.append((Path(root.path) / layout.WORKDIR / layout.LOCK).exists())
        return real(root, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(write, "take_inventory", counting)
    files = [RenderedFile.of("acct/a.tf", "a\n"), RenderedFile.of("manifest.json", '{"files": []}\n')]
    for out in (tmp_path / "new", tmp_path / "empty"):
        if out.name == "empty":
            out.mkdir()
        calls.clear()
        assert write.write_output(files, out) == []
        assert (out / "acct" / "a.tf").read_text() == "a\n"
        assert calls == [True], out.name
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    calls.clear()
    problems = write.write_output(files, stray)
    assert [p.code for p in problems] == ["W001"] and calls == [False]  # refused before the lock
    assert sorted(p.name for p in stray.iterdir()) == ["notes.txt"]
