"""The bad-catalog corpus: every case refuses with the right code at the right file:line.

A case is ``cases/<name>/``: ``catalog/`` holds the files that replace (or add to)
those of the minimal valid catalog in ``fixtures/minimal``, and ``expected.json``
gives the exit code, files to ``remove`` from the fixture, and the diagnostics that
must be reported (code, severity, path, line, col, and optionally substrings of the
message and hint).  Each case runs through ``rolecat validate`` and
``rolecat compile``; a failing compile must leave a previous output byte-for-byte as
it was.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_support import HERE, Run, cli, copy_minimal, siblings, snapshot

CASES = sorted(p for p in (HERE / "cases").iterdir() if (p / "expected.json").is_file())
NOW = "2026-06-01"  # the corpus never depends on the clock


def load_case(case: Path, root: Path) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads((case / "expected.json").read_text("utf-8"))
    catalog = copy_minimal(root / "catalog")
    if (case / "catalog").is_dir():
        shutil.copytree(case / "catalog", catalog, dirs_exist_ok=True)
    for rel in expected.get("remove", []):
        (catalog / rel).unlink()
    return expected


def assert_reported(run: Run, wanted: dict[str, Any]) -> None:
    found = run.diagnostics()
    for d in found:
        if (
            d["code"] == wanted["code"]
            and d["path"] == wanted["path"]
            and d["line"] == wanted["line"]
            and d["column"] == wanted["col"]
            and d["severity"] == wanted.get("severity", "error")
            and wanted.get("message", "") in d["message"]
            and wanted.get("hint", "") in (d["hint"] or "")
        ):
            return
    listing = "\n".join(f"  {d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message']}" for d in found)
    pytest.fail(f"expected {wanted} among:\n{listing}")


def test_corpus_is_large_enough() -> None:
    failing = [c for c in CASES if json.loads((c / "expected.json").read_text())["exit"] == 1]
    assert len(failing) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate(case: Path, tmp_path: Path) -> None:
    expected = load_case(case, tmp_path)
    started = time.perf_counter()
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    elapsed = time.perf_counter() - started
    assert run.exit_code == expected["exit"], run.stdout + run.stderr
    assert "internal error" not in run.stderr
    for wanted in expected["diagnostics"]:
        assert_reported(run, wanted)
    if expected["exit"] == 1:
        assert expected["diagnostics"], "a failing case must name what it expects"
    assert elapsed < expected.get("max_seconds", 10), f"took {elapsed:.2f}s"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compile_writes_nothing(case: Path, tmp_path: Path, baseline_output: Path) -> None:
    expected = load_case(case, tmp_path)
    out = tmp_path / "out"
    shutil.copytree(baseline_output, out)
    (out / ".terraform.lock.hcl").write_text("# provider locks\n")
    before, around = snapshot(out), siblings(out)
    run = cli(["compile", "catalog", "-o", "out", "--now", NOW], tmp_path)
    assert run.exit_code == expected["exit"], run.stderr
    assert "internal error" not in run.stderr
    for wanted in expected["diagnostics"]:
        line = (
            f"{wanted['path']}:{wanted['line']}:{wanted['col']}: "
            if wanted["line"]
            else f"{wanted['path']}: "
        )
        assert f"{line}{wanted.get('severity', 'error')} {wanted['code']}:" in run.stderr, run.stderr
    if expected["exit"] == 1:
        assert "nothing was written" in run.stderr
        assert snapshot(out) == before
        assert siblings(out) == around


# Payload files the hostile cases try to create; none may ever exist.
PAYLOADS = ("PWNED-by-yaml", "PWNED-by-jinja")


@pytest.mark.parametrize("name", ["python-tag", "template-globals"])
def test_payloads_never_run(name: str, tmp_path: Path) -> None:
    load_case(HERE / "cases" / name, tmp_path)
    text = "".join(p.read_text("utf-8") for p in (HERE / "cases" / name / "catalog").rglob("*.*"))
    assert any(payload in text for payload in PAYLOADS), "the case must carry a payload"
    cli(["validate", "catalog", "--now", NOW], tmp_path)
    cli(["compile", "catalog", "-o", "out", "--now", NOW], tmp_path)
    for payload in PAYLOADS:
        assert not (tmp_path / payload).exists()
        assert not (tmp_path / "catalog" / payload).exists()


def test_billion_laughs_is_refused_in_under_a_second(tmp_path: Path) -> None:
    load_case(HERE / "cases" / "billion-laughs", tmp_path)
    started = time.perf_counter()
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert time.perf_counter() - started < 1.0
    assert run.exit_code == 1
    assert any(d["code"] == "L008" for d in run.diagnostics())


def test_raised_trust_quota_is_what_makes_the_difference(tmp_path: Path) -> None:
    """The two trust-policy cases differ only in ``quotas:``."""
    big = HERE / "cases" / "trust-policy-too-large" / "catalog"
    raised = HERE / "cases" / "trust-policy-raised-quota" / "catalog"
    for rel in ("users.yaml", "roles/prod/Reader.yaml"):
        assert (big / rel).read_bytes() == (raised / rel).read_bytes()
    assert "trust_policy_size: 4096" in (raised / "catalog.yaml").read_text()


def test_nonexistent_catalog_argument_is_a_usage_error(tmp_path: Path) -> None:
    for command in (["validate", "nope"], ["compile", "nope", "-o", "out"]):
        run = cli(command, tmp_path)
        assert run.exit_code == 2
        assert "does not exist" in run.stderr
    assert not (tmp_path / "out").exists()


def test_catalog_argument_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text("organization: acme\n")
    assert cli(["validate", "catalog.yaml"], tmp_path).exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "catalog", "--no-such-flag"],
        ["compile", "catalog", "--out"],
        ["validate", "catalog", "--format", "yaml"],
        ["validate", "catalog", "--now", "yesterday"],
        ["validate", "catalog", "--now", "2026-06-01T10:00:00"],
    ],
)
def test_bad_flags_are_usage_errors(args: list[str], tmp_path: Path) -> None:
    copy_minimal(tmp_path / "catalog")
    run = cli(args, tmp_path)
    assert run.exit_code == 2, run.stderr


def test_minimal_fixture_is_clean(tmp_path: Path) -> None:
    """The corpus is only meaningful if the fixture it derives from is valid and quiet."""
    copy_minimal(tmp_path / "catalog")
    run = cli(["validate", "catalog", "--format", "json", "--now", NOW], tmp_path)
    assert run.exit_code == 0
    assert run.diagnostics() == []
