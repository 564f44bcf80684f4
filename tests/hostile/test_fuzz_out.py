"""Fuzz: a hostile OUT (and a changed catalog) never yields exit 2, never touches anything
outside OUT, and leaves OUT either as it was or fully new.

Each example starts from a compiled minimal catalog, then damages OUT one to four times
(files deleted, changed, replaced by folders, symlinks, FIFOs; extra files with hostile
names; account folders swapped for symlinks leaving OUT; the manifest rewritten with
junk or paths leaving OUT; a planted journal, staging folder or working folder) and
sometimes the catalog, then runs ``compile`` and ``compile --check``.  Invariants:

- exit 0 or 1, never an internal error;
- nothing outside OUT changes (a victim folder beside it, the catalog);
- exit 1 without a recovery note (W009): OUT is byte-for-byte as it was;
- exit 0: every generated file equals a fresh compile of the same catalog, and anything
  else in OUT is an allowed extra or was named in a W008 warning;
- ``--check`` afterwards passes exactly when compile reported nothing foreign.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hostile_support import cli, copy_minimal, snapshot
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from rolecat.report.escape import printable

NOW = "2026-06-01"

JUNK_PATHS = st.sampled_from(
    [
        "../victim/s",
        "../../victim/s",
        "/etc/hostname",
        "prod/../../victim/s",
        "prod//role.Reader.tf",
        "./manifest.json",
        "prod/role.Reader.tf",
        "prod/new.tf",
        ".rolecat/lock",
        "prod/.terraform.lock.hcl",
        "",
        "prod/\x00",
        "prod/\udcff.tf",
        1,
        None,
        [],
        {"path": "x"},
    ]
)
NAMES = st.sampled_from(
    [
        "extra.tf",
        "evil\n::error::x.tf",
        "\x1b[31m.tf",
        "a b.tf",
        ".hidden.tf",
        "override.tf.json",
        "terraform.tfvars",
        ".terraform.lock.hcl",
        ".terraform",
        "\udcff.tf",
    ]
)


def _files(out: Path) -> list[Path]:
    return sorted(
        p for p in out.rglob("*") if p.is_file() and not p.is_symlink() and ".rolecat" not in p.parts
    )


def _damage_out(out: Path, victim: Path, draw: Any) -> str:
    op = draw(
        st.sampled_from(
            [
                "delete",
                "modify",
                "extra",
                "to-dir",
                "to-symlink",
                "to-dangling",
                "to-fifo",
                "account-symlink",
                "manifest-structure",
                "manifest-text",
                "journal",
                "journal-junk",
                "staging",
                "workdir-file",
            ]
        )
    )
    files = _files(out)
    target = draw(st.sampled_from(files)) if files else out / "manifest.json"
    if op == "delete" and files:
        target.unlink()
    elif op == "modify" and files:
        target.write_bytes(target.read_bytes() + draw(st.binary(max_size=20)))
    elif op == "extra":
        folder = draw(st.sampled_from(["", "prod", "security", "stray", ".rolecat"]))
        path = out / folder / draw(NAMES)
        if path.parent.is_symlink() if not path.parent.exists() else not path.parent.is_dir():
            return op  # a file or dangling link planted there by an earlier step: leave it
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text('data "external" "x" { program = ["id"] }\n')
    elif op in ("to-dir", "to-symlink", "to-dangling", "to-fifo") and files:
        target.unlink()
        if op == "to-dir":
            target.mkdir()
        elif op == "to-symlink":
            target.symlink_to(victim / "s")
        elif op == "to-dangling":
            target.symlink_to(victim / "nope")
        else:
            os.mkfifo(target)
    elif op == "account-symlink":
        acct = out / draw(st.sampled_from(["prod", "security"]))
        if acct.is_dir() and not acct.is_symlink():
            shutil.rmtree(acct)
            acct.symlink_to(victim)
    elif op == "manifest-structure":
        path = out / "manifest.json"
        if not path.is_file() or path.is_symlink():
            return op  # a FIFO or a link planted by an earlier step: leave it
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            where = draw(st.sampled_from(["file", "folder", "files", "accounts"]))
            files, accounts = data.get("files"), data.get("accounts")
            if where == "file" and isinstance(files, list) and files and isinstance(files[0], dict):
                files[0]["path"] = draw(JUNK_PATHS)
            elif where == "folder" and isinstance(accounts, dict) and accounts:
                first = next(iter(accounts))
                if isinstance(accounts[first], dict):
                    accounts[first]["folder"] = draw(JUNK_PATHS)
            else:
                data[where] = draw(JUNK_PATHS)
        if path.is_file() and not path.is_symlink():
            path.write_text(json.dumps(data))
    elif op == "manifest-text":
        path = out / "manifest.json"
        if path.is_file() and not path.is_symlink():
            raw = path.read_bytes()
            cut = draw(st.integers(0, len(raw)))
            path.write_bytes(raw[:cut] + draw(st.sampled_from([b"", b"\xff", b"{", b"]]"])))
    elif op in ("journal", "journal-junk", "staging", "workdir-file"):
        work = out / ".rolecat"
        if work.is_symlink() or (work.exists() and not work.is_dir()):
            return op
        work.mkdir(exist_ok=True)
        if op == "journal":
            entries = draw(st.lists(JUNK_PATHS, max_size=3))
            key = draw(st.sampled_from(["replace", "delete", "rmdirs"]))
            body = {"version": 1, "replace": [], "delete": [], "rmdirs": [], key: entries}
            (work / "journal.json").write_text(json.dumps(body))
        elif op == "journal-junk":
            (work / "journal.json").write_bytes(draw(st.binary(max_size=40)))
        elif op == "staging":
            staged = work / "staging" / "prod"
            if (work / "staging").is_symlink():
                return op
            if draw(st.booleans()):
                shutil.rmtree(work / "staging", ignore_errors=True)
                (work / "staging").symlink_to(victim)
            else:
                staged.mkdir(parents=True, exist_ok=True)
                (staged / "role.Reader.tf").write_text("# planted\n")
                (work / "journal.json").write_text(
                    json.dumps({"version": 1, "replace": ["prod/role.Reader.tf"], "delete": [], "rmdirs": []})
                )
        else:
            shutil.rmtree(work)
            work.write_text("not a folder")
    return op


CATALOG_NAMES = st.sampled_from(
    ["Reader.yml", "Reader.YAML", "Rea\nder.yaml", "\x1b[1m.yaml", "Read er.yaml", "\udcffR.yaml", "-R.yaml"]
)


def _damage_catalog(catalog: Path, victim: Path, draw: Any) -> str:
    op = draw(
        st.sampled_from(
            [
                *["none"] * 8,
                *["change"] * 4,
                "error",
                "remove-role",
                "rename",
                "symlink-out",
                "fifo",
                "dir",
                "huge",
                "devzero",
            ]
        )
    )
    role = catalog / "roles" / "prod" / "Reader.yaml"
    if op == "change":
        role.write_text(role.read_text().replace("Read logs in prod", "Read the logs"))
    elif op == "error":
        role.write_text(role.read_text() + "unknown_key: 1\n")
    elif op == "remove-role":
        (catalog / "roles" / "services" / "Exporter.yaml").unlink()
    elif op == "rename":
        role.rename(role.with_name(draw(CATALOG_NAMES)))
    elif op == "symlink-out":
        (catalog / "policies" / "stolen.json").symlink_to(victim / "s")
    elif op == "fifo":
        os.mkfifo(catalog / draw(st.sampled_from(["roles/prod/P.yaml", "policies/p.json", "users.yaml.x"])))
    elif op == "dir":
        target = catalog / draw(
            st.sampled_from(["users.yaml", "policies/reader.json", "roles/prod/Reader.yaml"])
        )
        target.unlink()
        target.mkdir()
    elif op == "huge":
        with (catalog / "policies" / "huge.json").open("wb") as fh:
            fh.truncate(1024 * 1024)
    elif op == "devzero":
        (catalog / "boundaries" / "zero.json").symlink_to("/dev/zero")
    return op


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-out-base")
    copy_minimal(root / "catalog")
    assert cli(["compile", "catalog", "-o", "out", "--now", NOW], root).exit_code == 0
    return root / "out"


def _outside(root: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(root).items() if not k.startswith(("out/", "fresh/"))}


ALLOWED = (".terraform.lock.hcl", ".terraform")


@settings(
    max_examples=int(os.environ.get("ROLECAT_FUZZ_EXAMPLES", "60")),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_out_never_escapes_or_half_writes(
    data: st.DataObject, compiled: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("fuzz-out")
    copy_minimal(root / "catalog")
    shutil.copytree(compiled, root / "out", symlinks=True)
    victim = root / "victim"
    victim.mkdir()
    (victim / "s").write_text("precious\n")
    ops = [_damage_out(root / "out", victim, data.draw) for _ in range(data.draw(st.integers(1, 3)))]
    ops.append("catalog:" + _damage_catalog(root / "catalog", victim, data.draw))
    note(ops)

    before_out, before_outside = snapshot(root / "out"), _outside(root)
    run = cli(["compile", "catalog", "-o", "out", "--now", NOW], root)
    note(run.stderr)
    assert run.exit_code in (0, 1), run.stderr
    assert "internal error" not in run.stderr
    event(f"exit {run.exit_code}")
    for code in sorted(set(re.findall(r"\b([WL]0[0-9]{2})\b", run.stderr))):
        event(code)
    assert _outside(root) == before_outside
    after = snapshot(root / "out")
    if run.exit_code == 1:
        if "W009" not in run.stderr:
            lock = {k: v for k, v in after.items() if k not in (".rolecat/lock", ".rolecat/")}
            assert lock == {k: v for k, v in before_out.items() if k not in (".rolecat/lock", ".rolecat/")}
        return

    fresh = cli(["compile", "catalog", "-o", "fresh", "--now", NOW], root)
    assert fresh.exit_code == 0, fresh.stderr
    expected = {k: v for k, v in snapshot(root / "fresh").items() if not k.startswith(".rolecat")}
    for rel, digest in expected.items():
        assert after.get(rel) == digest, rel
    for rel in after:
        name = rel.rstrip("/")
        if rel in expected or name.startswith(".rolecat") or name.split("/")[-1] in ALLOWED:
            continue
        if any(name.startswith(a + "/") for a in (".terraform",)) or "/.terraform/" in name:
            continue
        parent_named = any(printable(p) in run.stderr for p in _prefixes(name))
        assert parent_named, f"{rel} is in OUT, not generated, and not reported"
    check = cli(["compile", "catalog", "-o", "out", "--check", "--now", NOW], root)
    assert "internal error" not in check.stderr
    assert check.exit_code == (1 if "W011" in run.stderr else 0), check.stderr
    assert _outside(root) == before_outside


def _prefixes(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[: i + 1]) + ": " for i in range(len(parts))]  # as W008 lists them
