"""OUT is attack surface: a pull request controls everything under it.

Each test plants something in OUT (or beside it) as an attacker would, then runs
compile, ``compile --check`` or ``plan``, and asserts three things: rolecat never reads,
writes or deletes anything outside OUT; it never exits 2; and what it refuses is named
in a W-code diagnostic.  Classes: paths leaving OUT (journal, manifest, symlinked
folders), things rolecat did not write (extra files, symlinks, folders, FIFOs, odd
names), half-committed states, concurrent writers, and failures during the commit.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_support import cli, cli_subprocess, copy_minimal, siblings, snapshot

from rolecat.targets.outdir.safefs import SafeDir

VICTIM_TEXT = "precious\n"


@pytest.fixture
def site(tmp_path: Path, baseline_output: Path) -> Path:
    """tmp_path holding catalog/, out/ (compiled), and victim files outside OUT."""
    copy_minimal(tmp_path / "catalog")
    shutil.copytree(baseline_output, tmp_path / "out", symlinks=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "s").write_text(VICTIM_TEXT)
    (victim / "role.Reader.tf").write_text(VICTIM_TEXT)
    return tmp_path


def outside(root: Path) -> dict[str, str]:
    """Everything under ``root`` except OUT (and the reference output): must never change."""
    return {k: v for k, v in snapshot(root).items() if not k.startswith(("out/", "ref/"))}


def run(site: Path, *args: str) -> tuple[int, str, str]:
    result = cli(list(args), site)
    assert "internal error" not in result.stderr
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, result.stdout, result.stderr


def compile_(site: Path) -> tuple[int, str, str]:
    return run(site, "compile", "catalog", "-o", "out")


def check(site: Path) -> tuple[int, str, str]:
    return run(site, "compile", "catalog", "-o", "out", "--check")


def fresh(site: Path) -> dict[str, str]:
    """What compile writes into an empty folder: the generated files only."""
    ref = site / "ref"
    if not ref.exists():
        assert cli(["compile", "catalog", "-o", "ref"], site).exit_code == 0
    return {k: v for k, v in snapshot(ref).items() if not k.startswith(".rolecat")}


def generated(out: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(out).items() if not k.startswith(".rolecat")}


# --------------------------------------------------------------------------- paths leaving OUT


@pytest.mark.parametrize(
    "entry",
    [
        "../victim/s",
        "../../victim/s",
        "/etc/hostname",
        "prod/../../victim/s",
        "./prod/role.Reader.tf",
        "",
        1,
        None,
    ],
)
def test_planted_journal_never_reaches_outside(site: Path, entry: object) -> None:
    out = site / "out"
    (out / ".rolecat").mkdir(exist_ok=True)
    (out / ".rolecat" / "journal.json").write_text(
        json.dumps({"version": 1, "replace": [], "delete": [entry], "rmdirs": []})
    )
    before = outside(site)
    code, _, err = check(site)
    assert code == 1 and "W007" in err and "half-committed" in err
    code, _, err = compile_(site)
    assert code == 0, err
    assert "W009" in err and "corrupt journal" in err
    assert outside(site) == before
    assert (site / "victim" / "s").read_text() == VICTIM_TEXT
    assert generated(out) == fresh(site)
    assert check(site)[0] == 0


def test_planted_journal_of_an_older_layout_beside_out_is_ignored(site: Path) -> None:
    """The journal used to live beside OUT; a planted one there is not rolecat's any more."""
    (site / ".out.rolecat-journal.json").write_text(json.dumps({"replace": [], "delete": ["../victim/s"]}))
    before = outside(site)
    assert compile_(site)[0] == 0
    assert check(site)[0] == 0
    assert outside(site) == before


def test_planted_valid_journal_stays_inside_out(site: Path) -> None:
    """A well-formed planted journal and staging only move files inside OUT; compile then
    rewrites what it generates, and --check lists what it did not write."""
    out = site / "out"
    staging = out / ".rolecat" / "staging" / "prod"
    staging.mkdir(parents=True)
    (staging / "evil.tf").write_text('data "external" "x" { program = ["sh"] }\n')
    (staging / "role.Reader.tf").write_text("# replaced\n")
    (out / ".rolecat" / "journal.json").write_text(
        json.dumps(
            {"version": 1, "replace": ["prod/evil.tf", "prod/role.Reader.tf"], "delete": [], "rmdirs": []}
        )
    )
    before = outside(site)
    code, _, err = compile_(site)
    assert code == 0
    assert "warning W011" in err and "prod/evil.tf" in err
    assert generated(out) == {**fresh(site), "prod/evil.tf": generated(out)["prod/evil.tf"]}
    code, _, err = check(site)
    assert code == 1 and "error W008" in err and "prod/evil.tf" in err
    assert outside(site) == before


def test_symlinked_account_folder_is_refused_and_never_written_through(site: Path) -> None:
    out = site / "out"
    shutil.rmtree(out / "prod")
    (out / "prod").symlink_to(site / "victim")
    before = outside(site)
    code, _, err = compile_(site)
    assert code == 1 and "W004" in err and "prod" in err
    assert outside(site) == before
    code, _, err = check(site)
    assert code == 1 and "W004" in err
    assert outside(site) == before


def test_manifest_entry_under_a_symlinked_folder_deletes_nothing_outside(site: Path) -> None:
    out = site / "out"
    (out / "gone").symlink_to(site / "victim")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].append({"path": "gone/s", "sha256": "0" * 64})
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = outside(site)
    code, _, err = compile_(site)
    assert outside(site) == before
    assert (site / "victim" / "s").read_text() == VICTIM_TEXT
    assert code == 1 or "W011" in err
    assert check(site)[0] == 1


def test_staging_through_a_symlink_writes_nothing_outside(site: Path) -> None:
    """A planted .rolecat/staging that is a symlink to a folder outside OUT."""
    out = site / "out"
    (out / ".rolecat" / "staging").symlink_to(site / "victim")
    role = site / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs"))
    before = outside(site)
    compile_(site)
    assert outside(site) == before
    compile_(site)
    assert outside(site) == before


@pytest.mark.parametrize("what", ["symlink-to-victim", "symlink-to-dir", "dangling", "fifo", "directory"])
def test_odd_entry_at_a_generated_path_is_refused(site: Path, what: str) -> None:
    out = site / "out"
    target = out / "prod" / "role.Reader.tf"
    target.unlink()
    if what == "symlink-to-victim":
        target.symlink_to(site / "victim" / "role.Reader.tf")
    elif what == "symlink-to-dir":
        target.symlink_to(site / "victim")
    elif what == "dangling":
        target.symlink_to(site / "nowhere")
    elif what == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
        (target / "inner.tf").write_text("# hidden\n")
    before, outer = snapshot(out), outside(site)
    code, _, err = compile_(site)
    assert code == 1 and "W004" in err and "prod/role.Reader.tf" in err
    assert snapshot(out) == before
    assert outside(site) == outer
    assert (site / "victim" / "role.Reader.tf").read_text() == VICTIM_TEXT
    code, _, err = check(site)
    assert code == 1


def test_out_itself_a_symlink_is_refused(site: Path) -> None:
    (site / "link").symlink_to(site / "victim")
    before = outside(site)
    result = cli(["compile", "catalog", "-o", "link"], site)
    assert result.exit_code == 1 and "W004" in result.stderr
    assert outside(site) == before
    result = cli(["compile", "catalog", "-o", "link/sub"], site)
    assert result.exit_code == 1 and "W004" in result.stderr
    assert outside(site) == before


# --------------------------------------------------------------------------- what rolecat did not write


@pytest.mark.parametrize(
    "plant",
    [
        "prod/extra.tf",
        "prod/extra.tf.json",
        "prod/terraform.tfvars",
        "prod/override_override.tf",
        "stray/main.tf",
        ".terraform.lock.hcl",
        "prod/.terraform.lock.hcl/x",
        "prod/.terraform",
        "prod/notes.md",
        ".rolecat/unknown",
        "prod/sub/deeper.tf",
        "security/.hidden.tf",
    ],
)
def test_check_lists_every_file_rolecat_did_not_write(site: Path, plant: str) -> None:
    out = site / "out"
    path = out / plant
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('data "external" "x" { program = ["sh", "-c", "id"] }\n')
    code, _, err = check(site)
    assert code == 1
    assert "error W008" in err and plant.split("/x", maxsplit=1)[0] in err
    assert "up to date" not in err
    # compile would not remove it: the last line says what does
    assert err.rstrip().endswith("out is out of date: remove what W008 lists"), err
    # compile leaves it alone, says so, and --check keeps failing until it is removed
    before = (path.read_bytes(), outside(site))
    code, _, err = compile_(site)
    assert code == 0 and "warning W011" in err
    assert (path.read_bytes(), outside(site)) == before
    assert check(site)[0] == 1


@pytest.mark.parametrize("kind", ["symlink", "dir", "fifo", "dangling"])
def test_check_lists_symlinks_folders_and_fifos(site: Path, kind: str) -> None:
    out = site / "out"
    path = out / "prod" / "thing"
    if kind == "symlink":
        path.symlink_to(site / "victim" / "s")
    elif kind == "dir":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(site / "nope")
    code, _, err = check(site)
    assert code == 1 and "W008" in err and "prod/thing" in err


def test_allowed_extras_pass_check(site: Path) -> None:
    out = site / "out"
    (out / "prod" / ".terraform.lock.hcl").write_text("# locks\n")
    (out / "prod" / ".terraform" / "providers").mkdir(parents=True)
    (out / "prod" / ".terraform" / "providers" / "bin").write_bytes(b"\x7fELF")
    (out / ".rolecat" / "plans").mkdir(parents=True, exist_ok=True)
    code, _, err = check(site)
    assert code == 0, err


def test_local_state_is_allowed_only_where_no_backend_is_configured(site: Path) -> None:
    """Without terraform.backend, Terraform keeps each account's state in its folder: the
    second rolecat plan refused it (W008) and the hint said to remove the state.  With a
    backend, a terraform.tfstate in OUT is no file of rolecat's nor Terraform's: W008."""
    import re

    out = site / "out"
    (out / "prod" / "terraform.tfstate").write_text("{}\n")
    code, _, err = check(site)
    assert code == 1 and "W008" in err and "prod/terraform.tfstate" in err
    cat = site / "catalog" / "catalog.yaml"
    cat.write_text(re.sub(r"\n  backend:\n(    .*\n)+", "\n", cat.read_text()))
    assert run(site, "compile", "catalog", "-o", "out")[0] == 0
    assert not (out / "prod" / "backend.tf").exists()
    for name in ("terraform.tfstate.backup", ".terraform.tfstate.lock.info"):
        (out / "prod" / name).write_text("{}\n")
    code, _, err = check(site)
    assert code == 0, err
    (out / "prod" / "terraform.tfstate").unlink()
    (out / "prod" / "terraform.tfstate").mkdir()  # a folder where the state file goes: listed
    code, _, err = check(site)
    assert code == 1 and "W008" in err and "prod/terraform.tfstate" in err


def test_hostile_names_in_out_are_listed_escaped(site: Path) -> None:
    out = site / "out"
    name = b"prod/evil\n::error file=x::forged\x1b[31m\xff.tf"
    (out / os.fsdecode(name)).write_bytes(b"x")
    code, _, err = check(site)
    assert code == 1 and "W008" in err
    assert "\x1b" not in err
    assert not any(line.startswith("::error") for line in err.splitlines())
    assert "evil\\n::error" in err and "\\x1b" in err and "\\xff" in err


# --------------------------------------------------------------------------- the manifest


@pytest.mark.parametrize(
    "manifest",
    [
        b'{"files": [{"path": 1}], "accounts": {}}',
        b'{"files": [{"path": null}], "accounts": {}}',
        b'{"files": "prod/role.Reader.tf", "accounts": {}}',
        b'{"files": [], "accounts": []}',
        b'{"files": [], "accounts": {"prod": {"folder": "../victim"}}}',
        b'{"files": [], "accounts": {"prod": {"folder": "prod/sub"}}}',
        b'{"files": [{"path": ".rolecat/lock"}], "accounts": {}}',
        b'{"files": [{"path": "prod/.terraform.lock.hcl"}], "accounts": {}}',
        b'{"files": [{"path": "prod//role.Reader.tf"}], "accounts": {}}',
        b'{"files": [{"path": "prod/\\u0000"}], "accounts": {}}',
        b"[1, 2]",
        b"\xff\xfe",
        b"[" * 100000,
        b"",
    ],
)
def test_hostile_manifest_is_a_diagnostic_never_exit_2(site: Path, manifest: bytes) -> None:
    out = site / "out"
    (out / "manifest.json").write_bytes(manifest)
    before, outer = snapshot(out), outside(site)
    code, _, err = compile_(site)
    assert code == 1 and "W003" in err
    assert snapshot(out) == before and outside(site) == outer
    code, _, err = check(site)
    assert code == 1 and "W003" in err
    result = cli(["compile", "catalog", "-o", "out", "--force"], site)
    assert result.exit_code == 0, result.stderr
    assert outside(site) == outer


@pytest.mark.parametrize(
    ("manifest", "said"),
    [
        (
            b'{"files": [],\n "accounts": {"prod": }}',
            ":2:23: error W003: cannot read the previous manifest: "
            "JSON syntax error: unexpected character '}'",
        ),
        (
            b'{"files": [],\n "accounts": {',
            ":2:15: error W003: cannot read the previous manifest: JSON syntax error: unexpected end of file",
        ),
        (b"\xff\xfe", ": error W003: cannot read the previous manifest: not UTF-8"),
        (
            b"[" * 100000,
            ": error W003: cannot read the previous manifest: JSON syntax error: JSON nested too deeply",
        ),
    ],
)
def test_a_manifest_that_is_not_json_is_placed_and_said_in_words(
    site: Path, manifest: bytes, said: str
) -> None:
    """It said "cannot read the previous manifest: Expecting value: line 2 column 23 (char 36)"
    at the file alone."""
    (site / "out" / "manifest.json").write_bytes(manifest)
    code, _, err = compile_(site)
    assert code == 1
    assert f"out/manifest.json{said}\n    hint: restore it from version control" in err, err


@pytest.mark.parametrize("kind", ["symlink", "fifo", "dir", "devzero"])
def test_manifest_that_is_not_a_regular_file(site: Path, kind: str) -> None:
    out = site / "out"
    manifest = out / "manifest.json"
    manifest.unlink()
    if kind == "symlink":
        manifest.symlink_to(site / "victim" / "s")
    elif kind == "fifo":
        os.mkfifo(manifest)
    elif kind == "dir":
        manifest.mkdir()
    else:
        manifest.symlink_to("/dev/zero")
    outer = outside(site)
    started = time.perf_counter()
    code, _, err = compile_(site)
    assert time.perf_counter() - started < 10
    assert code == 1 and "W003" in err
    assert outside(site) == outer


# --------------------------------------------------------------------------- commits


def test_failure_during_commit_is_rolled_back(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "out"
    before = snapshot(out)
    role = site / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs"))
    policy = site / "catalog" / "policies" / "reader.json"
    policy.write_text(policy.read_text().replace("logs:", "LOGS:"))  # a second file changes
    real = SafeDir.replace
    calls = {"n": 0}

    def failing(self: SafeDir, src: str, dst: str, *, create_parents: bool = True) -> None:
        if src.startswith(".rolecat/staging/"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(30, "Read-only file system", dst)
        real(self, src, dst, create_parents=create_parents)

    monkeypatch.setattr(SafeDir, "replace", failing)
    code, _, err = compile_(site)
    monkeypatch.undo()
    assert code == 1 and "W006" in err and "rolled back" in err
    assert generated(out) == {k: v for k, v in before.items() if not k.startswith(".rolecat")}
    assert not (out / ".rolecat" / "journal.json").exists()
    assert compile_(site)[0] == 0
    assert check(site)[0] == 0


def test_failure_during_commit_and_rollback_is_finished_by_the_next_compile(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = site / "out"
    role = site / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs"))
    policy = site / "catalog" / "policies" / "reader.json"
    policy.write_text(policy.read_text().replace("logs:", "LOGS:"))  # a second file changes
    real = SafeDir.replace
    state = {"moves": 0}

    def failing(self: SafeDir, src: str, dst: str, *, create_parents: bool = True) -> None:
        state["moves"] += 1
        if state["moves"] >= 3:  # the commit fails, and so does every attempt to undo it
            raise OSError(28, "No space left on device", dst)
        real(self, src, dst, create_parents=create_parents)

    monkeypatch.setattr(SafeDir, "replace", failing)
    code, _, err = compile_(site)
    monkeypatch.undo()
    assert code == 1 and "W006" in err and "could not be rolled back" in err
    assert (out / ".rolecat" / "journal.json").exists()
    code, _, err = check(site)
    assert code == 1 and "W007" in err
    # The cause goes away: the next compile finishes (or rolls back) without manual steps.
    code, _, err = compile_(site)
    assert code == 0, err
    assert "W009" in err
    assert check(site)[0] == 0
    assert generated(out) == fresh(site)


def test_lock_held_by_another_writer_is_a_clear_diagnostic(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = site / "out"
    role = site / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs"))
    monkeypatch.setenv("ROLECAT_LOCK_TIMEOUT", "0.3")
    before = snapshot(out)
    fd = os.open(out / ".rolecat" / "lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.perf_counter()
        code, _, err = compile_(site)
        assert 0.25 < time.perf_counter() - started < 10
    finally:
        os.close(fd)
    assert code == 1 and "W005" in err and "another rolecat" in err
    assert snapshot(out) == before
    assert compile_(site)[0] == 0


def test_check_waits_for_a_writer_and_creates_nothing(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``compile --check`` takes OUT's lock shared: a commit in progress (the lock held
    exclusively) makes it wait, then W005, never a half-committed diff; and it creates no
    lock file where no compile made one."""
    out = site / "out"
    monkeypatch.setenv("ROLECAT_LOCK_TIMEOUT", "0.3")
    before = snapshot(out)
    fd = os.open(out / ".rolecat" / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.perf_counter()
        code, _, err = check(site)
        assert 0.25 < time.perf_counter() - started < 10
        fcntl.flock(fd, fcntl.LOCK_UN)
        fcntl.flock(fd, fcntl.LOCK_SH)  # another reader: no wait
        assert check(site)[0] == 0
    finally:
        os.close(fd)
    assert code == 1 and "W005" in err
    assert snapshot(out) == before
    (out / ".rolecat" / "lock").unlink()
    assert check(site)[0] == 0
    assert not (out / ".rolecat" / "lock").exists()


def test_check_prints_each_finding_once(site: Path) -> None:
    role = site / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text() + "members: [nobody-by-this-name]\n")
    code, _, err = check(site)
    assert code == 1
    lines = [line for line in err.splitlines() if ": error " in line or ": warning " in line]
    assert lines and len(lines) == len(set(lines)), err


def test_concurrent_compiles_into_one_out_serialise(tmp_path: Path) -> None:
    """Several compiles of two different catalogs race into one OUT: each either finishes
    or is refused (W005); OUT always ends as exactly one of the two outputs."""
    from test_output_safety import big_catalog

    big_catalog(tmp_path / "a", accounts=6, roles=8, variant=1)
    big_catalog(tmp_path / "b", accounts=6, roles=8, variant=2)
    for name in ("a", "b"):
        assert cli(["compile", name, "-o", f"ref-{name}"], tmp_path).exit_code == 0
    refs = {n: generated(tmp_path / f"ref-{n}") for n in ("a", "b")}
    env = {"ROLECAT_LOCK_TIMEOUT": "60"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rolecat", "compile", name, "-o", "out"],
            cwd=tmp_path,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b", "a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert "internal error" not in err
    final = generated(tmp_path / "out")
    assert final in (refs["a"], refs["b"])
    assert not (tmp_path / "out" / ".rolecat" / "journal.json").exists()
    assert siblings(tmp_path / "out") == {"a", "b", "out", "ref-a", "ref-b"}


# --------------------------------------------------------------------------- plan


FAKE_TERRAFORM = """#!/bin/sh
# Records each call, and whether a planted .terraform/ was still there when terraform ran.
if [ -e .terraform/providers/evil ]; then planted=yes; else planted=no; fi
echo "$(basename "$PWD") $1 planted=$planted" >> "$PROBE_LOG"
exit 0
"""


def plan(site: Path) -> subprocess.CompletedProcess[str]:
    result = cli_subprocess(["plan", "catalog", "-o", "out"], site)
    assert "internal error" not in result.stderr
    return result


@pytest.fixture
def probe_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "probe-bin"
    bin_dir.mkdir()
    tf = bin_dir / "terraform"
    tf.write_text(FAKE_TERRAFORM)
    tf.chmod(tf.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "probe.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PROBE_LOG", str(log))
    return log


def test_plan_refuses_an_out_that_check_rejects(site: Path, probe_terraform: Path) -> None:
    (site / "out" / "prod" / "extra.tf").write_text('data "external" "x" { program = ["id"] }\n')
    result = plan(site)
    assert result.returncode == 1
    assert "W008" in result.stderr and "prod/extra.tf" in result.stderr
    assert not probe_terraform.exists(), "terraform must not run"


def test_plan_refuses_a_half_committed_out(site: Path, probe_terraform: Path) -> None:
    """A journal the compile inside plan cannot make sense of is discarded, and plan runs on
    what that compile wrote; a planted .rolecat/unknown stops it."""
    (site / "out" / ".rolecat" / "unknown").write_text("x")
    result = plan(site)
    assert result.returncode == 1 and "W008" in result.stderr
    assert not probe_terraform.exists()


def test_plan_deletes_a_committed_terraform_folder_before_init(site: Path, probe_terraform: Path) -> None:
    for acct in ("security", "prod"):
        evil = site / "out" / acct / ".terraform" / "providers" / "evil"
        evil.parent.mkdir(parents=True)
        evil.write_bytes(b"\x7fELF not the real provider")
    result = plan(site)
    assert result.returncode == 0, result.stderr
    calls = probe_terraform.read_text().splitlines()
    assert calls and all(line.endswith("planted=no") for line in calls), calls
    assert {line.split()[0] for line in calls} == {"security", "prod"}


def test_plan_refuses_a_terraform_folder_that_is_a_symlink(site: Path, probe_terraform: Path) -> None:
    (site / "out" / "prod" / ".terraform").symlink_to(site / "victim")
    before = outside(site)
    result = plan(site)
    assert result.returncode == 1 and "W008" in result.stderr
    assert not probe_terraform.exists()
    assert outside(site) == before


def test_compile_helper_subprocess_never_hangs_on_a_fifo_in_out(site: Path) -> None:
    os.mkfifo(site / "out" / "prod" / "pipe.tf")
    proc = cli_subprocess(["compile", "catalog", "-o", "out", "--check"], site, timeout=60)
    assert proc.returncode == 1 and "W008" in proc.stderr
