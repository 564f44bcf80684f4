"""The commands' wiring, with the pipeline replaced by in-memory catalogs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_factory import at, catalog, read_calls, role, temp

import rolecat.pipeline
from rolecat.diagnostics import error
from rolecat.workflow.plan import plan_file

NOW = "2025-03-10T12:00:00Z"


def sample(root: str = "catalog"):
    return catalog(
        [
            role(
                "ProdEngineer",
                owners=["@example/platform-leads"],
                members=["alice"],
                policies=["prod-engineer"],
                boundary="prod",
                temporary=[temp("carol", "2025-03-12", "INC-1", 0), temp("bob", "2025-03-01", "INC-0", 1)],
                source=f"{root}/roles/prod/ProdEngineer.yaml",
            ),
            role(
                "OnCall",
                accounts=("prod", "nonprod"),
                owners=["@example/oncall"],
                boundary="prod",
                members=["bob"],
                source_identity=True,
                source=f"{root}/roles/OnCall.yaml",
            ),
        ],
        policies=["prod-engineer"],
        boundaries=["prod"],
        root=root,
    )


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """load_catalog returns sample(); records the instants it was called with."""
    seen: list[object] = []
    (tmp_path / "catalog").mkdir()

    def fake_load(path, now=None):
        seen.append(now)
        return sample(), []

    monkeypatch.setattr(rolecat.pipeline, "load_catalog", fake_load)
    monkeypatch.chdir(tmp_path)
    return seen


def test_escalations_json(app, runner, loaded):
    result = runner.invoke(app, ["escalations", "catalog", "--format", "json", "--now", NOW])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(d["user"], d["status"], d["days_left"]) for d in data] == [
        ("bob", "expired", -10),
        ("carol", "active", 1),
    ]
    assert loaded == [at(NOW)]
    # The expired one is also reported as a warning on stderr, in the spec's format.
    assert "warning E101: temporary membership of 'bob' in ProdEngineer expired" in result.stderr


def test_escalations_fail_on_expired_and_within(app, runner, loaded):
    result = runner.invoke(
        app, ["escalations", "catalog", "--now", NOW, "--fail-on-expired", "--within", "7"]
    )
    assert result.exit_code == 1
    assert "carol" in result.stdout and "bob" not in result.stdout  # --within shows active ones only
    assert "1 expired escalation remains: remove it" in result.stderr
    result = runner.invoke(app, ["escalations", "catalog", "--now", "2025-02-01", "--fail-on-expired"])
    assert result.exit_code == 0, result.output


def test_escalations_catalog_errors_exit_1(app, runner, monkeypatch, tmp_path):
    (tmp_path / "catalog").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        rolecat.pipeline, "load_catalog", lambda p, now=None: (None, [error("C012", "unknown user")])
    )
    result = runner.invoke(app, ["escalations", "catalog"])
    assert result.exit_code == 1
    assert "error C012: unknown user" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["escalations", "missing"],
        ["escalations", "catalog", "--now", "2025-03-10T12:00:00"],  # no zone
        ["escalations", "catalog", "--now", "soon"],
        ["escalations", "catalog", "--format", "yaml"],
        ["escalations", "catalog", "--within", "-1"],
        ["codeowners", "catalog", "--check", "A", "--write", "B"],
        # --out is OUT, the generated Terraform's folder, not the CODEOWNERS file
        ["codeowners", "catalog", "-o", ".github/CODEOWNERS"],
        ["profiles", "catalog"],  # --user is required
    ],
)
def test_usage_errors_exit_2(app, runner, loaded, args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output


def test_codeowners_out_naming_a_file_says_to_use_write(app, runner, loaded):
    Path("OWNERS").write_text("* @someone\n")
    result = runner.invoke(app, ["codeowners", "catalog", "-o", "OWNERS"])
    assert result.exit_code == 2
    assert "--write OWNERS" in result.output and "not a folder" in result.output
    assert Path("OWNERS").read_text() == "* @someone\n"


def test_profiles(app, runner, loaded):
    result = runner.invoke(app, ["profiles", "catalog", "--user", "bob", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "[profile nonprod-OnCall]" in result.stdout and "[profile prod-OnCall]" in result.stdout
    assert "[profile prod-ProdEngineer]" not in result.stdout  # bob's escalation expired
    assert "source_identity = bob" in result.stdout
    result = runner.invoke(
        app, ["profiles", "catalog", "--user", "carol", "--now", NOW, "--source-profile", "me"]
    )
    assert "[profile prod-ProdEngineer]" in result.stdout and "source_profile = me" in result.stdout


def test_profiles_unknown_user(app, runner, loaded):
    result = runner.invoke(app, ["profiles", "catalog", "--user", "alcie"])
    assert result.exit_code == 2  # a name the catalog lacks: a usage error, as in every command
    assert "unknown user 'alcie'" in result.stderr and "did you mean 'alice'" in result.stderr


def test_codeowners_in_git_repository(app, runner, loaded, tmp_path):
    (tmp_path / ".git").mkdir()
    result = runner.invoke(app, ["codeowners", "catalog"])
    assert result.exit_code == 0, result.output
    assert "/catalog/roles/prod/ProdEngineer.yaml" in result.stdout
    assert "/build/terraform/" in result.stdout
    assert "No git repository" not in result.stdout


def test_codeowners_from_a_subfolder_and_custom_output(app, runner, loaded, tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = runner.invoke(app, ["codeowners", "../catalog", "--out", "../tf"])
    assert result.exit_code == 0, result.output
    assert "/catalog/catalog.yaml" in result.stdout and "/tf/" in result.stdout
    assert "rolecat codeowners catalog --out tf" in result.stdout


def test_codeowners_without_git(app, runner, loaded):
    result = runner.invoke(app, ["codeowners", "catalog"])
    assert result.exit_code == 0, result.output
    assert "No git repository above the catalog" in result.stdout
    assert "/catalog/catalog.yaml" in result.stdout
    assert "note: No git repository" in result.stderr


def test_codeowners_write_then_check(app, runner, loaded, tmp_path):
    (tmp_path / ".git").mkdir()
    target = tmp_path / ".github" / "CODEOWNERS"
    result = runner.invoke(app, ["codeowners", "catalog", "--check", str(target)])
    assert result.exit_code == 1  # missing counts as stale, and is said as missing
    assert result.stdout.startswith("--- ")
    assert f"{target} does not exist: run `rolecat codeowners" in result.stderr
    assert "is stale" not in result.stderr
    result = runner.invoke(app, ["codeowners", "catalog", "--write", str(target)])
    assert result.exit_code == 0, result.output
    printed = runner.invoke(app, ["codeowners", "catalog"]).stdout
    assert target.read_text() == printed
    result = runner.invoke(app, ["codeowners", "catalog", "--check", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    target.write_text(printed.replace("@example/platform-leads", "@someone/else"))
    result = runner.invoke(app, ["codeowners", "catalog", "--check", str(target)])
    assert result.exit_code == 1
    assert "-/catalog/roles/prod/ProdEngineer.yaml" in result.stdout
    assert "+/catalog/roles/prod/ProdEngineer.yaml" in result.stdout
    assert "is stale" in result.stderr


def test_codeowners_write_to_a_folder_is_a_usage_error_and_to_an_unwritable_place_an_io_error(
    app, runner, loaded, tmp_path
):
    """--write naming a folder, or a path under a file, stopped with an internal error
    (IsADirectoryError, NotADirectoryError).  A folder is the command line's mistake,
    refused before the catalog is read, with the hint (as scopedown --summary); a path
    that cannot be written says so without it.  Both exit 2 and leave everything as it was."""
    (tmp_path / ".git").mkdir()
    folder = tmp_path / ".github"
    folder.mkdir()
    (tmp_path / "afile").write_text("kept\n")
    result = runner.invoke(app, ["codeowners", "catalog", "--write", str(folder)])
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert result.stderr == (
        f"rolecat: --write {folder} is a folder: name the CODEOWNERS file to write\n"
        "Try 'root codeowners --help' for help.\n"
    )
    target = tmp_path / "afile" / "CODEOWNERS"
    result = runner.invoke(app, ["codeowners", "catalog", "--write", str(target)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().endswith("nothing written") and "Try " not in result.stderr
    assert f"rolecat: cannot write {target}: " in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == []
    assert (tmp_path / "afile").read_text() == "kept\n"


def test_codeowners_refuses_an_out_that_compile_refuses(app, runner, loaded, tmp_path, monkeypatch):
    """Run from inside the catalog, the default -o build/terraform is inside it: compile
    refuses it, but codeowners wrote lines for /catalog/build/terraform/..., a folder that
    never holds the generated Terraform, and none for the real one."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "catalog")
    for args in (["."], [".", "-o", "."], ["-c", ".", "-o", ".."]):
        result = runner.invoke(app, ["codeowners", *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "" and "rolecat: -o " in result.stderr and "catalog folder" in result.stderr
    result = runner.invoke(app, ["codeowners", ".", "-o", "../build/terraform"])
    assert result.exit_code == 0, result.output
    assert ["/build/terraform/"] in [line.split()[:1] for line in result.stdout.splitlines()]


def test_codeowners_check_does_not_depend_on_how_out_is_spelled(app, runner, loaded, tmp_path):
    """CI passing an absolute -o and a person passing none write the same file."""
    (tmp_path / ".git").mkdir()
    target = tmp_path / ".github" / "CODEOWNERS"
    assert runner.invoke(app, ["codeowners", "catalog", "--write", str(target)]).exit_code == 0
    for spelled in (str(tmp_path / "build/terraform"), "./build/terraform", "build/terraform/"):
        result = runner.invoke(app, ["codeowners", "catalog", "-o", spelled, "--check", str(target)])
        assert result.exit_code == 0, (spelled, result.output)


# --------------------------------------------------------------------------- plan


@pytest.fixture
def compiled(monkeypatch, loaded, tmp_path):
    """compile_catalog writes one folder per account and records its arguments."""
    calls: list[tuple[Path, Path, object]] = []

    def fake_compile(path, out, now=None):
        calls.append((path, out, now))
        folders = ("security", "nonprod", "prod")
        files = []
        for name in folders:
            (Path(out) / name).mkdir(parents=True, exist_ok=True)
            (Path(out) / name / "versions.tf").write_text("terraform {}\n")
            files.append(
                {"path": f"{name}/versions.tf", "sha256": hashlib.sha256(b"terraform {}\n").hexdigest()}
            )
        manifest = {
            "manifest_version": 1,
            "generator": "rolecat test",
            "organization": "example",
            "apply_order": list(folders),
            "files": files,
            "accounts": {},
        }
        (Path(out) / "manifest.json").write_text(json.dumps(manifest))
        return True, []

    monkeypatch.setattr(rolecat.pipeline, "compile_catalog", fake_compile)
    return calls


def test_plan_identity_first_exact_arguments(app, runner, compiled, fake_terraform, tmp_path):
    result = runner.invoke(app, ["plan", "catalog", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert compiled == [(Path("catalog"), Path("build/terraform"), at(NOW))]
    out = (tmp_path / "build" / "terraform").resolve()
    assert read_calls(fake_terraform) == [
        (str(out / "security"), "init", "-input=false"),
        (str(out / "security"), "plan", "-input=false", f"-out={plan_file(out, 'security')}"),
        (str(out / "nonprod"), "init", "-input=false"),
        (str(out / "nonprod"), "plan", "-input=false", f"-out={plan_file(out, 'nonprod')}"),
        (str(out / "prod"), "init", "-input=false"),
        (str(out / "prod"), "plan", "-input=false", f"-out={plan_file(out, 'prod')}"),
    ]


def test_plan_one_account(app, runner, compiled, fake_terraform, tmp_path):
    result = runner.invoke(app, ["plan", "catalog", "--account", "prod", "-o", "tf"])
    assert result.exit_code == 0, result.output
    prod = str((tmp_path / "tf" / "prod").resolve())
    assert read_calls(fake_terraform) == [
        (prod, "init", "-input=false"),
        (prod, "plan", "-input=false", f"-out={plan_file(tmp_path / 'tf', 'prod')}"),
    ]


def test_plan_uses_a_committed_lock_file_readonly(app, runner, compiled, fake_terraform, tmp_path):
    prod = tmp_path / "tf" / "prod"
    prod.mkdir(parents=True)
    (prod / ".terraform.lock.hcl").write_text("# committed\n")
    result = runner.invoke(app, ["plan", "catalog", "--account", "prod", "-o", "tf"])
    assert result.exit_code == 0, result.output
    assert read_calls(fake_terraform)[0] == (
        str(prod.resolve()),
        "init",
        "-input=false",
        "-lockfile=readonly",
    )
    assert (prod / ".terraform.lock.hcl").read_text() == "# committed\n"


def test_plan_unknown_account(app, runner, compiled, fake_terraform):
    result = runner.invoke(app, ["plan", "catalog", "--account", "prdo"])
    assert result.exit_code == 2
    assert "unknown account 'prdo'" in result.stderr and "did you mean 'prod'" in result.stderr
    assert read_calls(fake_terraform) == [] and compiled == []


def test_plan_stops_at_first_failure(app, runner, compiled, fake_terraform, monkeypatch):
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "nonprod:init")
    result = runner.invoke(app, ["plan", "catalog"])
    assert result.exit_code == 1
    assert [c[1] for c in read_calls(fake_terraform)] == ["init", "plan", "init"]
    assert "terraform init failed in" in result.stderr
    assert "hint: init needs the hashicorp/aws provider" in result.stderr


def test_the_init_hint_asks_for_credentials_only_with_a_backend(tmp_path):
    """Without a backend (state kept locally while trying things out) init needs the
    provider only: the hint says so, and never sends people to rolecat profiles for the
    state bucket's credentials."""
    from rolecat.workflow.plan import init_failed_hint

    assert "AWS_PROFILE" not in init_failed_hint(tmp_path) and "mirror" in init_failed_hint(tmp_path)
    (tmp_path / "backend.tf").write_text("terraform {}\n")
    assert "state bucket" in init_failed_hint(tmp_path)


def test_terraform_runs_without_colour_codes_when_its_output_is_no_terminal(monkeypatch, tmp_path):
    from rolecat.workflow import plan as tfplan

    monkeypatch.setenv("TF_CLI_ARGS", "-parallelism=4")
    monkeypatch.delenv("NO_COLOR", raising=False)
    # under pytest stdout is no terminal: -no-color after the user's own arguments
    check = 'test "$TF_CLI_ARGS" = "-parallelism=4 -no-color"'
    assert tfplan.subprocess_runner(["sh", "-c", check], tmp_path) == 0
    monkeypatch.setattr(tfplan.sys.stdout, "isatty", lambda: True)
    assert tfplan.terraform_env({"TF_CLI_ARGS": "-x"}) == {"TF_CLI_ARGS": "-x"}  # a terminal: colours stay
    assert tfplan.terraform_env({"NO_COLOR": "1"}) == {"NO_COLOR": "1", "TF_CLI_ARGS": "-no-color"}


def test_plan_without_terraform(app, runner, compiled, tmp_path, monkeypatch):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = runner.invoke(app, ["plan", "catalog"])
    assert result.exit_code == 2
    assert "terraform is not on PATH" in result.stderr
    assert compiled == []


def test_plan_compile_failure(app, runner, loaded, fake_terraform, monkeypatch):
    monkeypatch.setattr(
        rolecat.pipeline, "compile_catalog", lambda p, o, now=None: (False, [error("C012", "unknown user")])
    )
    result = runner.invoke(app, ["plan", "catalog"])
    assert result.exit_code == 1
    assert "error C012: unknown user" in result.stderr
    assert read_calls(fake_terraform) == []


def test_help_imports_nothing_heavy():
    code = (
        "import sys, rolecat.workflow.command as c\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('yaml', 'jinja2', 'jsonschema', 'orjson')]\n"
        "heavy += [m for m in sys.modules if m.startswith('rolecat.') and m not in "
        "('rolecat.classcode', 'rolecat.workflow', 'rolecat.workflow.command', 'rolecat.cliargs', "
        "'rolecat.report', 'rolecat.report.exit_codes')]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_profiles_bad_source_profile(app, runner, loaded):
    result = runner.invoke(app, ["profiles", "catalog", "--user", "bob", "--source-profile", "my profile"])
    assert result.exit_code == 2


def test_plan_apply_and_bootstrap_need_deploy_roles(app, runner, compiled, fake_terraform):
    # sample() has no deploy_roles: there is no role to switch to, so the flag is a usage error
    for flag in ("--apply", "--bootstrap"):
        result = runner.invoke(app, ["plan", "catalog", flag])
        assert result.exit_code == 2, result.output
        assert "deploy_roles" in result.output
    result = runner.invoke(app, ["plan", "catalog", "--apply", "--bootstrap"])
    assert result.exit_code == 2 and "exclude each other" in result.output
    assert not fake_terraform.exists() or read_calls(fake_terraform) == []
