"""IAM checks as data: each ``cases/<name>/`` is a catalog and the exact findings expected.

A case holds ``about.md`` (what it shows, reasoned from AWS's documented evaluation
logic), ``catalog/`` (files laid over the hostile corpus's minimal valid catalog) and
``findings.txt``: every ``I0xx`` diagnostic of the case, exactly, with hint and
acceptance.  ``make iam-cases`` (pytest --update-golden) regenerates ``findings.txt``;
review the diff against ``about.md``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from rolecat.pipeline import load_catalog

HERE = Path(__file__).parent
MINIMAL = HERE.parent / "hostile" / "fixtures" / "minimal"
CASES = sorted(p for p in (HERE / "cases").iterdir() if (p / "about.md").is_file())
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def findings(case: Path, tmp_path: Path) -> str:
    root = tmp_path / "catalog"
    shutil.copytree(MINIMAL, root)
    shutil.copytree(case / "catalog", root, dirs_exist_ok=True)
    for line in (case / "about.md").read_text("utf-8").splitlines():
        if line.startswith("remove: "):
            (root / line.removeprefix("remove: ").strip()).unlink()
    catalog, diags = load_catalog(root, NOW)
    assert catalog is not None, [d.format_text() for d in diags]
    others = [d.format_text() for d in diags if d.is_error and not d.code.startswith("I")]
    assert not others, others
    lines = [d.format_text().replace(str(root), "catalog") for d in diags if d.code.startswith("I")]
    return "".join(f"{line}\n" for line in lines)


def test_there_are_cases_for_every_check() -> None:
    text = "".join((c / "findings.txt").read_text("utf-8") for c in CASES if (c / "findings.txt").is_file())
    # I007 needs an AWS managed policy newer than the snapshot; test_checks.py builds one.
    for code in ("I001", "I002", "I003", "I004", "I005", "I006"):
        assert f" {code}: " in text, f"no case finds {code}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path, update_golden: bool) -> None:
    found = findings(case, tmp_path)
    expected = case / "findings.txt"
    if update_golden:
        expected.write_text(found, encoding="utf-8")
    assert expected.is_file(), f"{expected} is missing: run `make iam-cases` and review it"
    assert found == expected.read_text("utf-8"), f"{case.name}: findings changed: run `make iam-cases`"
