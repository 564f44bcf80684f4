"""The catalog folder is attack surface: nothing in it is skipped silently or read unchecked.

Each case plants one thing in the minimal catalog (a symlink, a FIFO, a device, an odd
file name, a wrong extension, a sub-folder, a huge file) and asserts that ``validate``
exits 1 with the named code on that path, within seconds and without exit 2, and that
``compile`` writes nothing.  Classes: links (broken, looping, leaving the catalog, to a
folder), non-regular files, unreadable files and folders, names outside the safe set,
extensions that look right but are not, and sizes beyond what IAM accepts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_support import cli, copy_minimal, snapshot

NOW = "2026-06-01"
Plant = Callable[[Path], str]  # plants into the catalog, returns the path a diagnostic names


def _symlink(rel: str, target: str | Path) -> Plant:
    def plant(cat: Path) -> str:
        (cat / rel).parent.mkdir(parents=True, exist_ok=True)
        (cat / rel).symlink_to(target)
        return rel

    return plant


def _fifo(rel: str) -> Plant:
    def plant(cat: Path) -> str:
        os.mkfifo(cat / rel)
        return rel

    return plant


def _file(rel: str, text: str = "name: X\naccounts: [prod]\n") -> Plant:
    def plant(cat: Path) -> str:
        (cat / rel).parent.mkdir(parents=True, exist_ok=True)
        (cat / rel).write_text(text)
        return rel

    return plant


def _move(src: str, dst: str) -> Plant:
    def plant(cat: Path) -> str:
        (cat / dst).parent.mkdir(parents=True, exist_ok=True)
        (cat / src).rename(cat / dst)
        return dst

    return plant


def _big(rel: str, size: int) -> Plant:
    def plant(cat: Path) -> str:
        text = (cat / rel).read_text()
        (cat / rel).write_text(text[:-2] + " " * size + text[-2:])
        return rel

    return plant


def _raw_name(folder: str, name: bytes, source: str) -> Plant:
    def plant(cat: Path) -> str:
        data = (cat / source).read_bytes()
        (cat / source).unlink()
        target = os.path.join(os.fsencode(cat / folder), name)  # noqa: PTH118 - bytes path
        Path(os.fsdecode(target)).write_bytes(data)
        return f"{folder}/"

    return plant


CASES: dict[str, tuple[Plant, str]] = {
    # links
    "role-symlink-broken": (_symlink("roles/prod/Gone.yaml", "nowhere.yaml"), "L011"),
    "role-symlink-loop": (_symlink("roles/prod/Loop.yaml", "Loop.yaml"), "L011"),
    "role-symlink-cycle-of-two": (
        lambda c: (_symlink("roles/a.yaml", "b.yaml")(c), _symlink("roles/b.yaml", "a.yaml")(c))[0],
        "L011",
    ),
    "role-symlink-outside": (_symlink("roles/prod/Passwd.yaml", "/etc/passwd"), "L011"),
    "role-symlink-dotdot": (_symlink("roles/prod/Up.yaml", "../../../../../../etc/hostname"), "L011"),
    "policy-symlink-dev-zero": (_symlink("policies/zero.json", "/dev/zero"), "L011"),
    "policy-symlink-dev-urandom": (_symlink("policies/rand.json", "/dev/urandom"), "L011"),
    "boundary-symlink-proc": (_symlink("boundaries/self.json", "/proc/self/environ"), "L011"),
    "roles-subfolder-symlink": (_symlink("roles/linked", "../policies"), "L011"),
    "roles-folder-symlink-outside": (
        lambda c: (shutil.rmtree(c / "roles"), _symlink("roles", "/etc")(c))[1],
        "L011",
    ),
    "catalog-yaml-symlink-outside": (
        lambda c: ((c / "catalog.yaml").unlink(), _symlink("catalog.yaml", "/etc/hostname")(c))[1],
        "L011",
    ),
    "users-yaml-dangling": (
        lambda c: ((c / "users.yaml").unlink(), _symlink("users.yaml", "missing.yaml")(c))[1],
        "L011",
    ),
    # non-regular files
    "policy-fifo": (_fifo("policies/pipe.json"), "L012"),
    "role-fifo": (_fifo("roles/prod/Pipe.yaml"), "L012"),
    "users-yaml-fifo": (lambda c: ((c / "users.yaml").unlink(), _fifo("users.yaml")(c))[1], "L012"),
    "catalog-yaml-folder": (
        lambda c: ((c / "catalog.yaml").unlink(), (c / "catalog.yaml").mkdir(), "catalog.yaml")[2],
        "L012",
    ),
    "roles-is-a-file": (
        lambda c: (shutil.rmtree(c / "roles"), (c / "roles").write_text("x"), "roles")[2],
        "L012",
    ),
    # extensions and extras
    "role-upper-YAML": (_move("roles/prod/Reader.yaml", "roles/prod/Reader.YAML"), "C030"),
    "role-yml": (_move("roles/prod/Reader.yaml", "roles/prod/Reader.yml"), "C030"),
    "role-json": (_move("roles/prod/Reader.yaml", "roles/prod/Reader.json"), "C030"),
    "role-no-extension": (_move("roles/prod/Reader.yaml", "roles/prod/Reader"), "C030"),
    "role-trailing-dot": (_move("roles/prod/Reader.yaml", "roles/prod/Reader.yaml."), "C030"),
    "role-backup-file": (_file("roles/prod/Reader.yaml~"), "L013"),
    "role-dotfile": (_file("roles/prod/.Reader.yaml"), "L013"),
    "policy-upper-JSON": (_move("policies/reader.json", "policies/reader.JSON"), "C031"),
    "policy-subfolder": (_move("policies/reader.json", "policies/sub/reader.json"), "C031"),
    "policy-txt": (_file("policies/notes.txt", "x"), "C031"),
    "boundary-dotfile": (_file("boundaries/.hidden.json", "{}"), "L013"),
    # names
    "role-name-with-newline": (_move("roles/prod/Reader.yaml", "roles/prod/Rea\nder.yaml"), "L013"),
    "role-name-with-tab": (_move("roles/prod/Reader.yaml", "roles/prod/Rea\tder.yaml"), "L013"),
    "role-name-with-space": (_move("roles/prod/Reader.yaml", "roles/prod/Read er.yaml"), "L013"),
    "role-name-with-ansi": (_move("roles/prod/Reader.yaml", "roles/prod/\x1b[31mReader.yaml"), "L013"),
    "role-name-with-hash": (_move("roles/prod/Reader.yaml", "roles/prod/#Reader.yaml"), "L013"),
    "role-name-leading-dash": (_move("roles/prod/Reader.yaml", "roles/prod/-Reader.yaml"), "L013"),
    "role-name-glob": (_move("roles/prod/Reader.yaml", "roles/prod/Rea*der.yaml"), "L013"),
    "role-name-unicode": (_move("roles/prod/Reader.yaml", "roles/prod/Réader.yaml"), "L013"),
    "role-name-rtl-override": (_move("roles/prod/Reader.yaml", "roles/prod/Rea\u202eder.yaml"), "L013"),
    "role-folder-with-space": (_move("roles/prod/Reader.yaml", "roles/my prod/Reader.yaml"), "L013"),
    "role-name-not-utf8": (_raw_name("roles/prod", b"Read\xffer.yaml", "roles/prod/Reader.yaml"), "L013"),
    "policy-name-not-utf8": (_raw_name("policies", b"\xe9reader.json", "policies/reader.json"), "L013"),
    "policy-name-with-plus": (_move("policies/reader.json", "policies/read+er.json"), "L013"),
    # sizes
    "policy-too-large": (_big("policies/reader.json", 70_000), "L010"),
    "role-too-large": (_big("roles/prod/Reader.yaml", 300_000), "L010"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nothing_is_dropped_silently(name: str, tmp_path: Path) -> None:
    cat = copy_minimal(tmp_path / "catalog")
    plant, code = CASES[name]
    where = plant(cat)
    started = time.perf_counter()
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert time.perf_counter() - started < 10
    assert run.exit_code == 1, run.stdout
    found = run.diagnostics()
    first = where.split("/")[0]
    assert any(
        d["code"] == code and str(d["path"]).startswith(f"catalog/{first}") and d["severity"] == "error"
        for d in found
    ), found
    before = snapshot(tmp_path / "out")
    compiled = cli(["compile", "catalog", "-o", "out", "--now", NOW], tmp_path)
    assert compiled.exit_code == 1 and "nothing was written" in compiled.stderr
    assert snapshot(tmp_path / "out") == before


_OPENING = sorted(n for n in CASES if "symlink" in n or "fifo" in n or "dangling" in n or "folder" in n)


@pytest.mark.parametrize("name", _OPENING)
def test_without_o_nofollow_files_are_checked_the_same(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is opened with O_NOFOLLOW, and a symlink found so is checked before its
    target is opened; where the platform has no O_NOFOLLOW, ``lstat`` comes first.  Both
    report the same."""
    from rolecat.load import files

    cat = copy_minimal(tmp_path / "catalog")
    CASES[name][0](cat)
    args = ["validate", "catalog", "--format", "json", "--now", NOW]
    assert files._NOFOLLOW
    with_flag = cli(args, tmp_path)
    monkeypatch.setattr(files, "_NOFOLLOW", 0)
    without = cli(args, tmp_path)
    assert (without.exit_code, without.diagnostics()) == (with_flag.exit_code, with_flag.diagnostics())
    assert with_flag.exit_code == 1


@pytest.mark.parametrize("extra", ["README.md", ".gitkeep"])
@pytest.mark.parametrize("folder", ["roles", "roles/prod", "policies", "boundaries"])
def test_documented_extras_are_allowed(extra: str, folder: str, tmp_path: Path) -> None:
    cat = copy_minimal(tmp_path / "catalog")
    (cat / folder / extra).write_text("# Roles of the prod account\n")
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert (run.exit_code, run.diagnostics()) == (0, [])


def test_symlink_inside_the_catalog_is_followed(tmp_path: Path) -> None:
    cat = copy_minimal(tmp_path / "catalog")
    (cat / "shared").mkdir()
    (cat / "policies" / "reader.json").rename(cat / "shared" / "reader.json")
    (cat / "policies" / "reader.json").symlink_to("../shared/reader.json")
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert (run.exit_code, run.diagnostics()) == (0, [])


def test_a_policy_just_under_the_size_limit_is_read(tmp_path: Path) -> None:
    from rolecat.load.files import MAX_POLICY_BYTES

    cat = copy_minimal(tmp_path / "catalog")
    text = (cat / "policies" / "reader.json").read_text()
    pad = MAX_POLICY_BYTES - len(text.encode())
    (cat / "policies" / "reader.json").write_text(text[:-2] + " " * pad + text[-2:])
    assert (cat / "policies" / "reader.json").stat().st_size == MAX_POLICY_BYTES
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert not any(d["code"] == "L010" for d in run.diagnostics())


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    """A 50 MB policy is refused in well under a second: it is never read or parsed."""
    cat = copy_minimal(tmp_path / "catalog")
    with (cat / "policies" / "huge.json").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    started = time.perf_counter()
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert time.perf_counter() - started < 3
    assert any(d["code"] == "L010" and "huge.json" in str(d["path"]) for d in run.diagnostics())


def test_fifo_does_not_hang_the_real_entry_point(tmp_path: Path) -> None:
    cat = copy_minimal(tmp_path / "catalog")
    os.mkfifo(cat / "policies" / "pipe.json")
    os.mkfifo(cat / "catalog.yaml.fifo")  # a FIFO rolecat has no reason to open at all
    proc = subprocess.run(
        [sys.executable, "-m", "rolecat", "validate", "catalog", "--now", NOW],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and "L012" in proc.stderr


UNPRIVILEGED = shutil.which("setpriv")


def _as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run rolecat as an unprivileged user when we are root (root reads everything)."""
    cmd = [sys.executable, "-m", "rolecat", *args]
    if os.geteuid() == 0:
        assert UNPRIVILEGED, "setpriv is needed to drop root for this test"
        cmd = [UNPRIVILEGED, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("target", ["roles", "roles/prod", "roles/prod/Reader.yaml", "policies/reader.json"])
def test_unreadable_file_or_folder_is_an_error(target: str, tmp_path: Path) -> None:
    cat = copy_minimal(tmp_path / "catalog")
    for path in [tmp_path, *cat.rglob("*"), cat]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (cat / target).chmod(0)
    proc = _as_nobody(["validate", "catalog", "--now", NOW], tmp_path)
    assert "internal error" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert "L000" in proc.stderr and f"catalog/{target}" in proc.stderr


def test_role_files_read_on_two_cores_report_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``PARALLEL_ROLES`` role files on, this process and a forked child share reading,
    parsing and checking the files against the schema (``background.from_both_ends``):
    every role case above, planted in one catalog, gives the same documents and the same
    diagnostics, in the same order, as one process."""
    import datetime as dt

    from rolecat.load import discover as d
    from rolecat.pipeline import load

    cat = copy_minimal(tmp_path / "catalog")
    reader = (cat / "roles" / "prod" / "Reader.yaml").read_text()
    for i in range(12):
        (cat / "roles" / "prod" / f"Copy{i:02d}.yaml").write_text(reader.replace("Reader", f"Copy{i:02d}"))
    for name in ("Copy03", "Zschema"):  # schema errors at both ends
        (cat / "roles" / "prod" / f"{name}.yaml").write_text(reader.replace("name:", "nmae:"))
    role_cases = [
        n for n in sorted(CASES) if n.startswith("role-") and "folder" not in n and "upper" not in n
    ]
    for name in role_cases:  # many cases move Reader.yaml away: each gets one of its own
        (cat / "roles" / "prod" / "Reader.yaml").write_text(reader)
        CASES[name][0](cat)
    _big("roles/prod/Copy11.yaml", 300_000)(cat)
    (cat / "roles" / "prod" / "Zbroken.yaml").write_text("name: [unclosed\n")
    (cat / "roles" / "prod" / "Zdup.yaml").write_text("name: A\nname: B\n")
    (cat / "roles" / "prod" / "Zlatin1.yaml").write_bytes(b"name: caf\xe9\n")

    def run(jobs: str) -> list[object]:
        monkeypatch.setenv("ROLECAT_JOBS", jobs)
        src = d.discover(cat, "catalog")
        checked = load(cat, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), display="catalog").diagnostics
        return [
            [(doc.path, doc.data) for doc in src.roles],
            [repr(src.schema_found(doc)) for doc in src.roles],  # checked as loaded (None: not)
            src.roles_unloaded,
            [repr(x) for x in src.diagnostics],
            [repr(x) for x in checked],
        ]

    serial = run("1")
    monkeypatch.setattr(d, "PARALLEL_ROLES", 2)
    monkeypatch.setattr(d.background, "fork_allowed", lambda: True)
    forked = run("2")
    assert forked == serial
    codes = {c for c in ("L010", "L011", "L012", "L013", "L002") if c in repr(serial[3])}
    assert {"L010", "L011", "L012", "L013"} <= codes, serial[3]
    assert (
        sum("code='S002'" in x for x in serial[4]) == 2 and len(serial[0]) > 10
    )  # the schema stage found both
    assert (
        "None" not in serial[1] and sum(found.count("code='S002'") for found in serial[1]) == 2
    )  # as loaded


@pytest.mark.parametrize("size", [100, 300_000])
def test_a_file_larger_than_fstat_said_is_read_whole_or_refused(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads ask for the size fstat reported plus one byte, then for the rest up to the
    limit: a file that grew in between is read whole, or refused when over the limit."""
    from rolecat.load import files as cf

    path = tmp_path / "Grew.yaml"
    path.write_bytes(b"#" * size)
    real_fstat = os.fstat

    def understated(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *st[1:6], 1, *st[7:]))  # st_size = 1

    monkeypatch.setattr(cf.os, "fstat", understated)
    walker = cf.Walker(tmp_path, "catalog")
    data = cf.read_bytes(walker, path, "catalog/Grew.yaml", cf.MAX_ROLE_BYTES)
    if size <= cf.MAX_ROLE_BYTES:
        assert data == b"#" * size and not walker.diags
    else:
        assert data is None and [d.code for d in walker.diags] == ["L010"]
