"""Golden output of several catalogs, byte for byte.

``example`` is the repository's catalog/; the others are the catalogs in
``golden/inputs/<name>/`` (and the hostile corpus's minimal fixture), each compared with
``golden/<name>/``.  Regenerate all of them with `make golden` (pytest --update-golden)
and review the diff; never edit the expected files by hand.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from rolecat.pipeline import render_catalog
from rolecat.targets.terraform.render import RenderedFile

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "catalog"
ROOT_OF_GOLDEN = HERE / "golden"
GOLDEN = ROOT_OF_GOLDEN / "example"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
CASES: dict[str, Path] = {
    "example": EXAMPLE,
    "minimal": HERE / "hostile" / "fixtures" / "minimal",
    **{p.name: p for p in sorted((ROOT_OF_GOLDEN / "inputs").iterdir()) if p.is_dir()},
}


def _render(catalog: Path) -> list[RenderedFile]:
    _, diags, files = render_catalog(catalog, NOW)
    errors = [d.format_text() for d in diags if d.is_error]
    assert not errors, errors
    return [f for f in files if isinstance(f, RenderedFile)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, update_golden: bool) -> None:
    golden = ROOT_OF_GOLDEN / case
    files = _render(CASES[case])
    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        for f in files:
            target = golden / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f.text, encoding="utf-8")
    expected = sorted(p.relative_to(golden).as_posix() for p in golden.rglob("*") if p.is_file())
    assert expected == sorted(f.path for f in files), "file set changed: run `make golden` and review"
    for f in files:
        assert (golden / f.path).read_text(encoding="utf-8") == f.text, f"{f.path} changed: run `make golden`"


# The warnings each golden catalog is meant to show (a warning no edit of the catalog can
# clear would show up on every run of every user).
EXPECTED_WARNINGS = {"labels-and-escapes": ["K003"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_catalogs_warn_only_as_meant(case: str) -> None:
    from rolecat.pipeline import load

    found = [
        d.code for d in load(CASES[case], NOW).diagnostics if not d.is_error and d.accepted_reason is None
    ]
    assert found == EXPECTED_WARNINGS.get(case, []), found


def _golden_tf() -> list[Path]:
    return sorted(p for case in CASES for p in (ROOT_OF_GOLDEN / case).rglob("*.tf"))


@pytest.mark.parametrize("path", _golden_tf(), ids=lambda p: p.relative_to(ROOT_OF_GOLDEN).as_posix())
def test_golden_parses_as_hcl(path: Path) -> None:
    with path.open(encoding="utf-8") as fh:
        parsed = hcl2.load(fh)
    assert parsed, path


def test_golden_is_hclfmt_canonical(hclfmt: str) -> None:
    files = _golden_tf()
    assert files
    for path in files:
        result = subprocess.run(
            [hclfmt, "-check", "-require-no-change", str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{path}: {result.stderr}"


def _unq(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def test_roles_use_no_deprecated_arguments_and_non_admins_have_boundaries() -> None:
    import json

    manifest = json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8"))
    seen = 0
    for path in GOLDEN.rglob("role.*.tf"):
        account = path.parent.name
        with path.open(encoding="utf-8") as fh:
            parsed = hcl2.load(fh)
        for block in parsed.get("resource", []):
            for kind, resources in block.items():
                if _unq(kind) != "aws_iam_role":
                    continue
                for body in resources.values():
                    seen += 1
                    assert "managed_policy_arns" not in body
                    assert "inline_policy" not in body
                    role = manifest["accounts"][account]["roles"][_unq(body["name"])]
                    assert ("permissions_boundary" in body) == (role["boundary"] is not None)
                    if not role["admin"]:
                        assert "permissions_boundary" in body
    assert seen == sum(len(a["roles"]) for a in manifest["accounts"].values())


def test_golden_is_terraform_fmt_canonical(tmp_path: Path) -> None:
    """Where a terraform binary happens to be installed, its own formatter agrees too."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform not installed (hclfmt, the library it uses, is checked above)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(ROOT_OF_GOLDEN)],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "CHECKPOINT_DISABLE": "1",
            "TF_CLI_CONFIG_FILE": "/dev/null",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
