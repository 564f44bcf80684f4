"""Output safety: a killed or refused compile never leaves OUT half-written.

What ``rolecat compile`` promises (spec section 3, issue 3 section 5): OUT changes only
after every new file is on disk in a staging folder and a journal of the moves is
durable.  A kill before the journal leaves OUT byte-for-byte as it was (a staging
folder may be left beside it; the next run removes it); a kill after the journal is
finished by the next run.  Files rolecat did not generate are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_support import cli, cli_subprocess, copy_minimal, siblings, snapshot

from rolecat.targets.outdir.safefs import SafeDir

NOT_GENERATED = {
    ".terraform/providers/registry.terraform.io/hashicorp/aws/bin": b"\x7fELF provider binary",
    ".terraform.lock.hcl": b'provider "registry.terraform.io/hashicorp/aws" {}\n',
    "prod/.terraform/terraform.tfstate": b'{"backend": "s3"}\n',
    "prod/.terraform.lock.hcl": b"# locks\n",
    "prod/plan.tfplan": b"PK\x03\x04 plan",
    "prod/NOTES.md": b"hand-written notes\n",
}


def add_not_generated(out: Path) -> None:
    for rel, data in NOT_GENERATED.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def assert_not_generated_intact(out: Path) -> None:
    for rel, data in NOT_GENERATED.items():
        assert (out / rel).read_bytes() == data, rel


def generated(snap: dict[str, str]) -> dict[str, str]:
    """A snapshot without the files of NOT_GENERATED and the folders holding them."""
    keep = {}
    for rel, digest in snap.items():
        if rel in NOT_GENERATED or any(
            rel.startswith(p) for p in (".terraform/", "prod/.terraform/", ".rolecat/")
        ):
            continue
        if digest == "dir":
            continue
        keep[rel] = digest
    return keep


def big_catalog(root: Path, *, accounts: int = 30, roles: int = 30, variant: int = 1) -> Path:
    """The minimal catalog plus ``accounts`` accounts holding ``roles`` roles each."""
    catalog = copy_minimal(root)
    extra = "".join(
        f'  acct{i:02d}: {{id: "{100000000000 + i:012d}", environment: env{i % 3}}}\n'
        for i in range(accounts)
    )
    text = (catalog / "catalog.yaml").read_text().replace("  prod: {", extra + "  prod: {")
    (catalog / "catalog.yaml").write_text(text)
    names = ", ".join(["prod", *(f"acct{i:02d}" for i in range(accounts))])
    for i in range(roles):
        (catalog / "roles" / "prod" / f"Gen{i:03d}.yaml").write_text(
            f"name: Gen{i:03d}\ndescription: generated role {i}, version {variant}\naccounts: [{names}]\n"
            "policies: [reader]\nboundary: base\nmembers: [alice, bob]\n"
        )
    return catalog


# --------------------------------------------------------------------------- kills


@pytest.fixture(scope="module")
def kill_setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """v1 compiled (the previous output) and v2 compiled elsewhere (the expected result)."""
    root = tmp_path_factory.mktemp("kill")
    big_catalog(root / "v1", variant=1)
    big_catalog(root / "v2", variant=2)
    assert cli(["compile", "v1", "-o", "ref1"], root).exit_code == 0
    started = time.perf_counter()
    proc = cli_subprocess(["compile", "v2", "-o", "ref2"], root)
    duration = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    ref1, ref2 = snapshot(root / "ref1"), snapshot(root / "ref2")
    assert generated(ref1) != generated(ref2)
    return {"root": root, "ref1": generated(ref1), "ref2": generated(ref2), "duration": duration}


def _kill_when(proc: subprocess.Popen[bytes], ready: object, deadline: float) -> None:
    while proc.poll() is None and time.perf_counter() < deadline:
        if callable(ready) and ready():
            break
        time.sleep(0.0002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


OUTCOMES: dict[str, str] = {}


@pytest.mark.parametrize("when", ["staging", "journal", "0.5", "0.8", "0.9", "1.0", "1.2"])
def test_killed_compile_leaves_old_output_or_is_completed(
    when: str, kill_setup: dict[str, object], tmp_path: Path
) -> None:
    root = kill_setup["root"]
    assert isinstance(root, Path)
    out = tmp_path / "out"
    shutil.copytree(root / "ref1", out)
    add_not_generated(out)
    staging = out / ".rolecat" / "staging"
    journal = out / ".rolecat" / "journal.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rolecat", "compile", str(root / "v2"), "-o", str(out)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    duration = kill_setup["duration"]
    assert isinstance(duration, float)
    if when == "staging":
        _kill_when(proc, staging.exists, started + 30)
    elif when == "journal":
        _kill_when(proc, journal.exists, started + 30)
    else:
        _kill_when(proc, None, started + duration * float(when))

    now = generated(snapshot(out))
    if journal.exists():
        outcome = "committed: journal present, next run completes"
    elif now == kill_setup["ref1"]:
        outcome = "untouched"
    elif now == kill_setup["ref2"]:
        outcome = "finished before the kill"
    else:  # a half-written OUT without a journal to finish it
        pytest.fail(f"kill at {when}: OUT is neither the old nor the new output and has no journal")
    OUTCOMES[when] = outcome
    print(f"kill at {when}: {outcome}")  # shown with pytest -s
    assert_not_generated_intact(out)

    # Whatever the state, the next compile ends with exactly the new output.
    run = cli(["compile", str(root / "v2"), "-o", str(out)], tmp_path)
    assert run.exit_code == 0, run.stderr
    assert generated(snapshot(out)) == kill_setup["ref2"]
    assert_not_generated_intact(out)
    assert not staging.exists()
    assert not journal.exists()
    assert siblings(out) == {"out"}


def test_crash_after_journal_commit_is_completed_by_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic version of the kill in the move phase: the process dies after two moves."""
    copy_minimal(tmp_path / "v1")
    big_catalog(tmp_path / "v2", accounts=3, roles=3, variant=2)
    assert cli(["compile", "v1", "-o", "out"], tmp_path).exit_code == 0
    assert cli(["compile", "v2", "-o", "ref"], tmp_path).exit_code == 0
    before = snapshot(tmp_path / "out")

    real_replace = SafeDir.replace
    moves = {"n": 0}

    class Killed(BaseException):
        pass

    def dying_replace(self: SafeDir, src: str, dst: str, *, create_parents: bool = True) -> None:
        if src.startswith(".rolecat/staging/"):
            moves["n"] += 1
            if moves["n"] > 2:
                raise Killed
        real_replace(self, src, dst, create_parents=create_parents)

    monkeypatch.setattr(SafeDir, "replace", dying_replace)
    with pytest.raises(Killed):
        cli(["compile", "v2", "-o", "out"], tmp_path)
    monkeypatch.undo()

    journal = tmp_path / "out" / ".rolecat" / "journal.json"
    assert journal.exists(), "the moves start only after the journal is durable"
    assert snapshot(tmp_path / "out") != before  # two files already moved
    run = cli(["compile", "v2", "-o", "out"], tmp_path)
    assert run.exit_code == 0, run.stderr
    assert "W009" in run.stderr and "finished a compile interrupted" in run.stderr
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "ref")
    assert siblings(tmp_path / "out") == {"out", "ref", "v1", "v2"}


def test_crash_while_staging_leaves_output_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_minimal(tmp_path / "v1")
    big_catalog(tmp_path / "v2", accounts=3, roles=3, variant=2)
    assert cli(["compile", "v1", "-o", "out"], tmp_path).exit_code == 0
    before = snapshot(tmp_path / "out")
    real = SafeDir.write
    calls = {"n": 0}

    class Killed(BaseException):
        pass

    def dying(self: SafeDir, rel: str, data: bytes, *, durable: bool = True, new: bool = False) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise Killed
        real(self, rel, data, durable=durable, new=new)

    monkeypatch.setattr(SafeDir, "write", dying)
    with pytest.raises(Killed):
        cli(["compile", "v2", "-o", "out"], tmp_path)
    monkeypatch.undo()
    assert generated(snapshot(tmp_path / "out")) == generated(before)
    # --check reports the leftovers of the interrupted compile; the next compile cleans them.
    run = cli(["compile", "v1", "-o", "out", "--check"], tmp_path)
    assert run.exit_code == 1 and "W007" in run.stderr and "half-committed" in run.stderr
    run = cli(["compile", "v1", "-o", "out"], tmp_path)
    assert run.exit_code == 0, run.stderr
    assert snapshot(tmp_path / "out") == before
    assert cli(["compile", "v1", "-o", "out", "--check"], tmp_path).exit_code == 0
    assert siblings(tmp_path / "out") == {"out", "v1", "v2"}


# --------------------------------------------------------------------------- what survives


def test_files_rolecat_did_not_generate_survive(tmp_path: Path, baseline_output: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    add_not_generated(out)
    assert (out / "prod" / "backend.tf").exists()
    # Drop the backend and a role: their generated files and resources go, nothing else.
    cat = tmp_path / "catalog" / "catalog.yaml"
    cat.write_text(cat.read_text().split("  backend:")[0])
    (tmp_path / "catalog" / "roles" / "services" / "Exporter.yaml").unlink()
    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 0, run.stderr
    assert not (out / "prod" / "backend.tf").exists()
    assert not (out / "security" / "backend.tf").exists()
    assert not (out / "prod" / "role.Exporter.tf").exists()
    assert_not_generated_intact(out)


def test_removed_account_is_refused_then_pruned(tmp_path: Path, baseline_output: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    add_not_generated(out)
    # prod leaves the catalog: its roles move to a new account.
    cat = tmp_path / "catalog" / "catalog.yaml"
    cat.write_text(cat.read_text().replace("  prod: {", "  production: {"))
    for role in (tmp_path / "catalog" / "roles").rglob("*.yaml"):
        role.write_text(role.read_text().replace("accounts: [prod]", "accounts: [production]"))
    before = snapshot(out)

    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 1
    assert "out/prod:" in run.stderr and "W002" in run.stderr
    assert "terraform destroy" in run.stderr
    assert snapshot(out) == before

    run = cli(["compile", "catalog", "-o", "out", "--prune-accounts"], tmp_path)
    assert run.exit_code == 0, run.stderr
    for name in ("role.Reader.tf", "providers.tf", "versions.tf", "backend.tf"):
        assert not (out / "prod" / name).exists(), name
    assert (out / "production" / "role.Reader.tf").exists()
    # the account's Terraform working folder and lock file go with it (left, they were things
    # in OUT no account explains: plan refused OUT, W008); what else is there stays, and is said
    assert not (out / "prod" / ".terraform").exists() and not (out / "prod" / ".terraform.lock.hcl").exists()
    for rel, data in NOT_GENERATED.items():
        if not rel.startswith(("prod/.terraform/", "prod/.terraform.lock.hcl")):
            assert (out / rel).read_bytes() == data, rel
    assert "W011" in run.stderr and "out/prod is pruned of rolecat's files but keeps" in run.stderr
    assert "prod/NOTES.md" in run.stderr and "prod/plan.tfplan" in run.stderr
    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 0, "a pruned account is not reported again"


def test_a_pruned_account_with_only_terraforms_files_left_goes_whole(
    tmp_path: Path, baseline_output: Path
) -> None:
    """After terraform destroy and plan, an account folder holds .terraform/ and the lock
    file besides rolecat's: pruning removes the folder, and the next --check passes (it
    listed prod/.terraform's tree as things rolecat did not write: W008)."""
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    (out / "prod" / ".terraform" / "providers").mkdir(parents=True)
    (out / "prod" / ".terraform" / "providers" / "bin").write_bytes(b"\x7fELF")
    (out / "prod" / ".terraform.lock.hcl").write_text("# locks\n")
    cat = tmp_path / "catalog" / "catalog.yaml"
    cat.write_text(cat.read_text().replace("  prod: {", "  production: {"))
    for role in (tmp_path / "catalog" / "roles").rglob("*.yaml"):
        role.write_text(role.read_text().replace("accounts: [prod]", "accounts: [production]"))
    run = cli(["compile", "catalog", "-o", "out", "--prune-accounts"], tmp_path)
    assert run.exit_code == 0 and "W011" not in run.stderr, run.stderr
    assert not (out / "prod").exists()
    run = cli(["compile", "catalog", "-o", "out", "--check"], tmp_path)
    assert run.exit_code == 0, run.stderr


def test_non_empty_folder_without_manifest_needs_force(tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    out.mkdir()
    (out / "main.tf").write_text('resource "null_resource" "x" {}\n')
    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 1
    assert "W001" in run.stderr and "--force" in run.stderr
    assert snapshot(out) == {"main.tf": snapshot(out)["main.tf"]}
    run = cli(["compile", "catalog", "-o", "out", "--force"], tmp_path)
    assert run.exit_code == 0, run.stderr
    assert (out / "manifest.json").exists()
    assert (out / "main.tf").read_text() == 'resource "null_resource" "x" {}\n'


def test_empty_folder_and_missing_folder_need_no_force(tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    (tmp_path / "empty").mkdir()
    assert cli(["compile", "catalog", "-o", "empty"], tmp_path).exit_code == 0
    assert cli(["compile", "catalog", "-o", "deep/new/out"], tmp_path).exit_code == 0
    assert snapshot(tmp_path / "empty") == snapshot(tmp_path / "deep" / "new" / "out")


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    (tmp_path / "out").write_text("not a folder\n")
    for force in ([], ["--force"]):
        run = cli(["compile", "catalog", "-o", "out", *force], tmp_path)
        assert run.exit_code == 1
        assert "W001" in run.stderr and "-o names a folder" in run.stderr
        assert "internal error" not in run.stderr
        assert (tmp_path / "out").read_text() == "not a folder\n"


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("catalog", "is the catalog folder catalog"),
        ("catalog/roles/tf", "is inside the catalog folder catalog"),
        ("catalog/tf", "is inside the catalog folder catalog"),
        (".", "holds the catalog folder catalog"),
        ("..", "holds the catalog folder catalog"),
        ("link-to-catalog/tf", "is inside the catalog folder catalog"),  # the same folder by another name
    ],
)
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_out_overlapping_the_catalog_is_refused(
    tmp_path: Path, out: str, says: str, force: list[str]
) -> None:
    """OUT is the catalog, inside it or holds it: exit 2 (the -o given is wrong), and
    nothing is written, --force or not (the next validate would fail on Terraform files
    among the catalog's, or an account's folder would land beside the catalog)."""
    copy_minimal(tmp_path / "catalog")
    (tmp_path / "link-to-catalog").symlink_to("catalog")
    before = snapshot(tmp_path)
    for args in (["compile", "catalog", "-o", out, *force], ["compile", "catalog", "-o", out, "--check"]):
        run = cli(args, tmp_path)
        assert run.exit_code == 2, run.stderr
        assert f"-o {out} {says}" in run.stderr and "or give -o a folder outside it" in run.stderr
    assert snapshot(tmp_path) == before
    assert cli(["validate", "catalog"], tmp_path).exit_code == 0


def test_corrupt_manifest_is_refused_without_force(tmp_path: Path, baseline_output: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    (out / "manifest.json").write_text("{not json")
    before = snapshot(out)
    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 1
    assert "W003" in run.stderr
    assert snapshot(out) == before


def test_manifest_naming_paths_outside_out_is_refused(tmp_path: Path, baseline_output: Path) -> None:
    """A tampered manifest must not make rolecat delete files outside OUT."""
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].append({"path": "../victim.txt", "sha256": "0" * 64})
    (out / "manifest.json").write_text(json.dumps(manifest))
    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 1
    assert "W003" in run.stderr
    assert victim.read_text() == "keep me\n"
    manifest["files"].pop()
    manifest["files"].append({"path": str(victim), "sha256": "0" * 64})
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 1
    assert victim.read_text() == "keep me\n"


# --------------------------------------------------------------------------- --check


def test_check_reports_a_stale_output_with_a_diff(tmp_path: Path, baseline_output: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    before = snapshot(out)
    run = cli(["compile", "catalog", "-o", "out", "--check"], tmp_path)
    assert (run.exit_code, run.stdout) == (0, "")

    role = tmp_path / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs in prod, and more"))
    run = cli(["compile", "catalog", "-o", "out", "--check"], tmp_path)
    assert run.exit_code == 1
    assert "--- a/prod/role.Reader.tf\n+++ b/prod/role.Reader.tf\n" in run.stdout
    assert '+  description          = "Read logs in prod, and more"' in run.stdout
    assert "out of date" in run.stderr
    assert snapshot(out) == before

    (out / "prod" / "users-extra.tf").write_text("# not generated\n")
    (out / "security" / "users.tf").unlink()
    run = cli(["compile", "catalog", "-o", "out", "--check"], tmp_path)
    assert run.exit_code == 1
    assert "+++ b/security/users.tf" in run.stdout
    assert "users-extra.tf" not in run.stdout
    assert "error W008" in run.stderr and "prod/users-extra.tf" in run.stderr

    run = cli(["compile", "catalog", "-o", "out"], tmp_path)
    assert run.exit_code == 0
    assert "warning W011" in run.stderr, "compile leaves it alone, but says so"
    assert (out / "prod" / "users-extra.tf").exists()
    assert cli(["compile", "catalog", "-o", "out", "--check"], tmp_path).exit_code == 1
    (out / "prod" / "users-extra.tf").unlink()
    assert cli(["compile", "catalog", "-o", "out", "--check"], tmp_path).exit_code == 0


def test_check_on_a_catalog_with_errors_is_exit_1_without_diff(tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    (tmp_path / "catalog" / "users.yaml").write_text("users: [alice]\n")
    run = cli(["compile", "catalog", "-o", "out", "--check"], tmp_path)
    assert run.exit_code == 1
    assert run.stdout == ""
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- determinism


def test_same_bytes_across_hash_seeds(tmp_path: Path) -> None:
    big_catalog(tmp_path / "catalog", accounts=4, roles=6)
    digests = []
    for seed in ("0", "1", "4242"):
        proc = cli_subprocess(
            ["compile", "catalog", "-o", f"out{seed}"], tmp_path, env={"PYTHONHASHSEED": seed}
        )
        assert proc.returncode == 0, proc.stderr
        digests.append(snapshot(tmp_path / f"out{seed}"))
    assert digests[0] == digests[1] == digests[2]


def test_same_bytes_whatever_order_files_were_created(tmp_path: Path) -> None:
    forward = big_catalog(tmp_path / "forward", accounts=2, roles=8)
    backward = tmp_path / "backward"
    files = sorted(p for p in forward.rglob("*") if p.is_file())
    for path in reversed(files):  # created in the opposite order, so directory order differs
        target = backward / path.relative_to(forward)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        time.sleep(0.001)
    assert cli(["compile", "forward", "-o", "a"], tmp_path).exit_code == 0
    assert cli(["compile", "backward", "-o", "b"], tmp_path).exit_code == 0
    snap_a, snap_b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    # The catalog folder's name appears nowhere in the output.
    assert snap_a == snap_b


def test_recompiling_changes_nothing(tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    first = {p: (tmp_path / "out" / p).stat().st_mtime_ns for p in snapshot(tmp_path / "out") if p[-1] != "/"}
    time.sleep(0.01)
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    second = {
        p: (tmp_path / "out" / p).stat().st_mtime_ns for p in snapshot(tmp_path / "out") if p[-1] != "/"
    }
    assert first == second, "unchanged files are not rewritten"


def test_the_manifest_this_compile_writes_is_known_without_parsing_it(tmp_path: Path) -> None:
    """An up-to-date OUT holds the very manifest being written: read_previous takes its file
    list and folders from the rendered files instead of parsing it, and gets exactly what
    parsing gives; a manifest differing by one byte is parsed (and checked) again."""
    from rolecat.pipeline import render_catalog
    from rolecat.targets.terraform.write import MANIFEST, read_previous

    copy_minimal(tmp_path / "catalog")
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    _, _, files = render_catalog(tmp_path / "catalog")
    with SafeDir(tmp_path / "out") as root:
        known, diags = read_previous(root, "out", files)
        parsed, parse_diags = read_previous(root, "out")
    assert not diags and not parse_diags and known is not None
    assert known == parsed and len(known.files) > 3 and known.accounts == {"prod", "security"}
    manifest = tmp_path / "out" / MANIFEST
    data = json.loads(manifest.read_text("utf-8"))
    data["files"].append("prod/role.Gone.tf")
    manifest.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    with SafeDir(tmp_path / "out") as root:
        changed, diags = read_previous(root, "out", files)
    assert not diags and changed is not None and changed.files == known.files | {"prod/role.Gone.tf"}


def test_a_compile_parses_the_previous_manifest_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compile over an OUT whose manifest differs (here: lists one more file, a stale one)
    parses it once: the replacement warnings, the check before the lock and the check under
    it share the parse (the file is read again under the lock, and its bytes compared)."""
    from rolecat.targets.terraform import write

    copy_minimal(tmp_path / "catalog")
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    manifest = tmp_path / "out" / write.MANIFEST
    data = json.loads(manifest.read_text("utf-8"))
    data["files"].append("prod/role.Gone.tf")
    manifest.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    (tmp_path / "out" / "prod" / "role.Gone.tf").write_text("# stale\n", "utf-8")
    parsed: list[int] = []
    loads = write._loads

    def counting(raw: bytes) -> object:
        parsed.append(len(raw))
        return loads(raw)

    monkeypatch.setattr(write, "_loads", counting)
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    assert not (tmp_path / "out" / "prod" / "role.Gone.tf").exists(), "the stale file is deleted"
    assert len(parsed) == 1
    assert "prod/role.Gone.tf" not in json.loads(manifest.read_text("utf-8"))["files"]


def test_a_file_that_grows_after_its_size_is_taken_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SafeDir.read reads the size fstat gives and one byte more; a file longer than that by
    then (it grew) is read on to the limit, and refused when it passes it."""
    from rolecat.targets.outdir import safefs

    (tmp_path / "f.tf").write_bytes(b"x" * 100)
    real = os.fstat

    def shrunk(fd: int) -> os.stat_result:
        st = real(fd)
        fields = list(st)
        fields[6] = 10  # st_size: as if the file had 10 bytes when it was opened
        return os.stat_result(fields)

    monkeypatch.setattr(safefs.os, "fstat", shrunk)
    with SafeDir(tmp_path) as root:
        assert root.read("f.tf", 1000) == b"x" * 100
        assert root.read("f.tf", 100) == b"x" * 100
        assert dict(root.read_each(["f.tf"], 100)) == {"f.tf": b"x" * 100}
        assert isinstance(dict(root.read_each(["f.tf"], 99))["f.tf"], safefs.UnsafePath)
        with pytest.raises(safefs.UnsafePath, match="larger than 99 bytes"):
            root.read("f.tf", 99)


@pytest.mark.parametrize(
    "leftover", ["out/.rolecat/staging/prod/role.Reader.tf", "out/.rolecat/journal.json.tmp"]
)
def test_leftovers_of_a_crash_before_commit_are_cleaned(
    leftover: str, tmp_path: Path, baseline_output: Path
) -> None:
    """What a kill before the journal commit leaves beside OUT is discarded, never applied."""
    copy_minimal(tmp_path / "catalog")
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    before = snapshot(out)
    (tmp_path / leftover).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / leftover).write_text('{"replace": ["prod/role.Reader.tf"], "delete": ["prod/versions.tf"]}')
    role = tmp_path / "catalog" / "roles" / "prod" / "Reader.yaml"
    role.write_text(role.read_text().replace("Read logs in prod", "Read logs"))
    assert cli(["compile", "catalog", "-o", "out"], tmp_path).exit_code == 0
    after = snapshot(out)
    assert after.keys() == before.keys()
    # no hash in the manifest: a role edit changes that role's file alone
    assert [k for k in after if after[k] != before[k]] == ["prod/role.Reader.tf"]
    assert siblings(out) == {"catalog", "out"}
    assert not (out / ".rolecat" / "staging").exists()
    assert not (out / ".rolecat" / "journal.json.tmp").exists()
