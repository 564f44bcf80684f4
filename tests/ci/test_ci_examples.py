"""The CI examples and pre-commit hooks are linted and run.

- Each workflow in examples/github-actions/ validates against SchemaStore's GitHub workflow
  schema (Apache-2.0, vendored by the check-jsonschema package, a dev dependency).
- Every action is pinned by a 40-character commit SHA with its release tag in a comment;
  rolecat is installed from git at a full commit, never by package name; the jobs that
  upload SARIF have the permissions upload-sarif needs.
- Every `rolecat ...` step of the workflows (except plan, which needs AWS) runs on the
  example catalog in a scratch repository and succeeds, as do the pre-commit hooks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "github-actions").glob("*.yml"))
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
SHA_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(?:\.\d+){0,2}\s*$")
BIN = Path(sys.executable).parent


def workflow_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    assert (vendor / "licenses" / "LICENSE.schemastore").is_file()
    schema: dict[str, Any] = json.loads((vendor / "github-workflows.json").read_text("utf-8"))
    return schema


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as True; GitHub reads it as "on"
        data["on"] = data.pop(True)
    return dict(data)


def test_examples_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"rolecat.yml", "rolecat-escalations.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(path: Path) -> None:
    schema = workflow_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(path))]
    assert not errors, errors


def test_schema_check_is_live() -> None:
    schema = workflow_schema()
    broken = load(WORKFLOWS[0])
    broken["jobs"]["check" if "check" in broken["jobs"] else next(iter(broken["jobs"]))]["runs-onn"] = "x"
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_pinned_by_sha_with_tag_comment(path: Path) -> None:
    lines = [line for line in path.read_text("utf-8").splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        assert SHA_PIN.match(line), f"not pinned by commit SHA with a tag comment: {line.strip()}"
    # one action, one SHA across the file
    pins: dict[str, set[str]] = {}
    for line in lines:
        match = SHA_PIN.match(line)
        assert match is not None
        pins.setdefault(match.group(1), set()).add(match.group(2))
    assert all(len(shas) == 1 for shas in pins.values()), pins


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_rolecat_installed_from_git_at_a_commit(path: Path) -> None:
    data = load(path)
    text = path.read_text("utf-8")
    assert not re.search(r"pip install\s+\"?rolecat\s*(==|\"|$)", text, re.MULTILINE)
    for name, job in data["jobs"].items():
        runs = [step.get("run", "") for step in job["steps"]]
        if not any(re.match(r"rolecat\b", r) for r in runs):
            continue
        install = [r for r in runs if "pip install" in r]
        assert install, f"job {name} runs rolecat without installing it"
        assert install[0] == INSTALL, install[0]
    assert data["env"]["ROLECAT_REPOSITORY"].startswith("https://")


INSTALL = """\
[[ "$ROLECAT_COMMIT" =~ ^[0-9a-f]{40}$ ]] || { echo "set the repository variable ROLECAT_COMMIT to a full \
rolecat commit SHA" >&2; exit 2; }
git clone --quiet --no-checkout "$ROLECAT_REPOSITORY" "$RUNNER_TEMP/rolecat"
git -C "$RUNNER_TEMP/rolecat" checkout --quiet --detach "$ROLECAT_COMMIT"
python -m pip install -c "$RUNNER_TEMP/rolecat/constraints.txt" "$RUNNER_TEMP/rolecat"
"""


def test_install_step_checks_out_the_commit_and_its_constraints(tmp_path: Path) -> None:
    """The install step run as is, on a repository holding this one's constraints.txt: it
    refuses a branch name, and installs the commit's own checkout with that commit's
    constraints (pip is a shell function here that records what it was asked: no package
    index in the tests)."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, upstream / name)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    for step in (["git", "init", "-q"], [*git, "add", "-A"], [*git, "commit", "-qm", "release"]):
        assert run(step, upstream).returncode == 0
    commit = run(["git", "rev-parse", "HEAD"], upstream).stdout.strip()
    (upstream / "constraints.txt").write_text("# a later commit\n")  # not what the step installs
    assert run([*git, "commit", "-qam", "later"], upstream).returncode == 0
    record = tmp_path / "pip-args"
    shim = f'python() {{ printf "%s\\n" "$@" > "{record}"; }}\n'
    env = {"ROLECAT_REPOSITORY": str(upstream), "RUNNER_TEMP": str(tmp_path)}
    refused = run(shim + INSTALL, tmp_path, {**env, "ROLECAT_COMMIT": "main"})
    assert refused.returncode == 2 and "full rolecat commit SHA" in refused.stderr
    proc = run(shim + INSTALL, tmp_path, {**env, "ROLECAT_COMMIT": commit})
    assert proc.returncode == 0, proc.stderr
    checkout = tmp_path / "rolecat"
    assert record.read_text().splitlines() == [
        "-m",
        "pip",
        "install",
        "-c",
        f"{checkout}/constraints.txt",
        str(checkout),
    ]
    assert (checkout / "constraints.txt").read_bytes() == (ROOT / "constraints.txt").read_bytes()


def test_constraints_pin_every_runtime_dependency_within_its_bounds() -> None:
    """constraints.txt (make constraints) pins each of pyproject.toml's dependencies, exactly
    and inside the bounds pyproject.toml sets, and only with name==version lines."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = [
        line
        for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    pins = {}
    for line in lines:
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[a-z0-9-]+", name) and re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", version), (
            line
        )
        pins[name] = version
    assert list(pins) == sorted(pins)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    for text in project["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is not pinned: run make constraints"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} is not {req.specifier}"
        )


def gets_aws_credentials(data: dict[Any, Any], job: dict[str, Any]) -> bool:
    perms = job.get("permissions", data.get("permissions", {}))
    return perms.get("id-token") == "write"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions(path: Path) -> None:
    data = load(path)
    top = data["permissions"]
    assert top.get("contents") == "read"
    assert set(top.values()) <= {"read", "none"} | ({"write"} if top.get("id-token") == "write" else set())
    assert [k for k, v in top.items() if v == "write"] in ([], ["id-token"]), (
        "write permissions belong to jobs"
    )
    for job in data["jobs"].values():
        uses = [step.get("uses", "") for step in job["steps"]]
        runs = " ".join(step.get("run", "") for step in job["steps"])
        perms = job.get("permissions", top)
        if any(u.startswith("github/codeql-action/upload-sarif@") for u in uses):
            assert perms.get("security-events") == "write"
            assert perms.get("actions") == "read"
        if gets_aws_credentials(data, job):
            # the OIDC token is used for AWS and nothing else
            assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses) or (
                "assume-role-with-web-identity" in runs
            )
            assert "security-events" not in perms


# --------------------------------------------------------------------------- run them


def run(
    cmd: list[str] | str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        shell=isinstance(cmd, str),
        executable="/bin/bash" if isinstance(cmd, str) else None,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog repository as docs/getting-started.md sets it up: CODEOWNERS and OUT committed."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "catalog", root / "catalog")
    assert run(["git", "init", "-q"], root).returncode == 0
    (root / ".github").mkdir()
    steps = [
        ["rolecat", "codeowners", "catalog", "--write", ".github/CODEOWNERS"],
        ["rolecat", "compile", "catalog", "-o", "build/terraform"],
    ]
    for step in steps:
        proc = run(step, root)
        assert proc.returncode == 0, proc.stderr
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    assert run([*git, "add", "-A"], root).returncode == 0
    assert run([*git, "commit", "-qm", "catalog"], root).returncode == 0  # the base of rolecat diff --base
    return root


def rolecat_steps() -> list[tuple[str, str, str]]:
    found = []
    for path in WORKFLOWS:
        data = load(path)
        for name, job in data["jobs"].items():
            for step in job["steps"]:
                command = step.get("run", "")
                # jobs that get AWS credentials work on what AWS returns: not here
                if re.match(r"rolecat\b", command) and not gets_aws_credentials(data, job):
                    found.append((path.name, name, command))
    return found


@pytest.mark.parametrize(("workflow", "job", "command"), rolecat_steps())
def test_workflow_step_runs(repo: Path, workflow: str, job: str, command: str) -> None:
    env = {k: str(v) for k, v in load(ROOT / "examples" / "github-actions" / workflow).get("env", {}).items()}
    proc = run(command, repo, env)
    assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"


def test_there_are_steps_to_run() -> None:
    commands = " ".join(c for _, _, c in rolecat_steps())
    for part in (
        "validate",
        "--format sarif",
        "codeowners",
        "compile",
        "--within 3",
        "--fail-on-expired",
        "diff --base",
    ):
        assert part in commands


# --------------------------------------------------------------------------- pre-commit


def hooks() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = yaml.safe_load(HOOKS_FILE.read_text("utf-8"))
    return data


def test_hooks_file_structure() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "pre-commit-hooks.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(hooks())
    assert {h["id"] for h in hooks()} >= {"rolecat-validate", "rolecat-codeowners", "rolecat-compile-check"}


@pytest.mark.parametrize("hook", hooks(), ids=lambda h: h["id"])
def test_hook_runs_and_matches_catalog_files(repo: Path, hook: dict[str, Any]) -> None:
    proc = run(hook["entry"].split() + hook.get("args", []), repo)  # pass_filenames: false
    assert hook["pass_filenames"] is False
    assert proc.returncode == 0, proc.stderr
    files = re.compile(hook["files"])
    tracked = [
        p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git/" not in p.as_posix()
    ]
    assert any(files.search(f) for f in tracked if f.startswith("catalog/roles/"))
    if "compile" in hook["entry"]:
        assert any(files.search(f) for f in tracked if f.startswith("build/terraform/"))


def test_compile_check_hook_fails_on_a_hand_edit(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy)
    tf = next((copy / "build" / "terraform").rglob("*.tf"))
    tf.write_text(tf.read_text("utf-8") + "# edited by hand\n", encoding="utf-8")
    (hook,) = [h for h in hooks() if h["id"] == "rolecat-compile-check"]
    assert run(hook["entry"].split(), copy).returncode == 1


def doc_configs() -> list[dict[str, Any]]:
    text = (ROOT / "docs" / "ci.md").read_text("utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "repos:" in b]


def test_docs_pre_commit_config_pins_a_commit_and_names_known_hooks() -> None:
    remote = [r for c in doc_configs() for r in c["repos"] if r["repo"] != "local"]
    assert remote
    known = {h["id"] for h in hooks()}
    for entry in remote:
        rev = str(entry["rev"])
        assert not re.fullmatch(r"v?\d+(\.\d+)*", rev), "rolecat has no release tags: pin a commit"
        assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev == "ROLECAT_COMMIT"
        assert {h["id"] for h in entry["hooks"]} <= known


def test_docs_local_hooks_run(repo: Path) -> None:
    local = [h for c in doc_configs() for r in c["repos"] if r["repo"] == "local" for h in r["hooks"]]
    assert local
    shipped = {h["id"]: h for h in hooks()}
    for hook in local:
        assert hook["entry"] == shipped[hook["id"]]["entry"]
        assert hook["files"] == shipped[hook["id"]]["files"]
        proc = run(hook["entry"].split(), repo)
        assert proc.returncode == 0, proc.stderr


def test_plan_apply_split() -> None:
    """Pull requests plan with the plan role; only a push to main plans --apply and applies."""
    jobs = load(ROOT / "examples" / "github-actions" / "rolecat.yml")["jobs"]
    plan, apply = jobs["plan"], jobs["apply"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert apply["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    for job in (plan, apply):
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
    runs = {
        name: [s.get("run", "") for s in job["steps"]] for name, job in (("plan", plan), ("apply", apply))
    }
    creds = {
        name: next(
            s["with"]["role-to-assume"]
            for s in job["steps"]
            if "configure-aws-credentials" in s.get("uses", "")
        )
        for name, job in (("plan", plan), ("apply", apply))
    }
    assert creds == {
        "plan": "${{ vars.ROLECAT_PLAN_ROLE_ARN }}",
        "apply": "${{ vars.ROLECAT_DEPLOY_ROLE_ARN }}",
    }
    plan_cmds = [r for r in runs["plan"] if r.startswith("rolecat")]
    assert plan_cmds and not any("--apply" in r or "rolecat apply" in r for r in plan_cmds)
    assert [r.split(" ")[1] for r in runs["apply"] if r.startswith("rolecat")] == ["plan", "apply"]
    assert any("--apply" in r for r in runs["apply"] if r.startswith("rolecat plan"))


def test_scopedown_job_passes_the_trail_selectors(tmp_path: Path) -> None:
    """The scheduled scopedown job fetches the trail's event selectors and hands them to
    rolecat scopedown: its two steps run as written, `aws` a shell function that records its
    arguments and answers with examples/scopedown/event-selectors.json (GetEventSelectors'
    output shape; no AWS in the tests).  Without the selectors the suggestion drops the grant
    on the delivery buckets whose data events that trail does not log (docs/scopedown.md)."""
    data = load(ROOT / "examples" / "github-actions" / "rolecat-scopedown.yml")
    steps = {step.get("name"): step for step in data["jobs"]["scopedown"]["steps"]}
    fetch, suggest = steps["Read what the trail logs (its event selectors)"], steps["Suggest the policy"]
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    shutil.copytree(ROOT / "examples" / "scopedown" / "cloudtrail", tmp_path / "logs")
    record = tmp_path / "aws-args"
    answer = ROOT / "examples" / "scopedown" / "event-selectors.json"
    shim = f'aws() {{ printf "%s\\n" "$@" > "{record}"; cat "{answer}"; }}\n'
    env = {
        "RUNNER_TEMP": str(tmp_path),
        "ROLE": "ReportExporter",
        "ACCOUNT": "prod",
        "POLICY": "report-exporter",
        "DAYS": "36500",  # the example logs are of October 2026, whenever the test runs
    }
    trail = "arn:aws:cloudtrail:us-east-1:333333333333:trail/main"
    refused = run(shim + fetch["run"], tmp_path, {**env, "TRAIL_ARN": "main"})
    assert refused.returncode == 2 and "CLOUDTRAIL_TRAIL_ARN" in refused.stderr
    proc = run(shim + fetch["run"], tmp_path, {**env, "TRAIL_ARN": trail})
    assert proc.returncode == 0, proc.stderr
    assert record.read_text().splitlines() == [
        "cloudtrail",
        "get-event-selectors",
        "--trail-name",
        trail,
        "--region",
        "us-east-1",
        "--output",
        "json",
    ]
    proc = run(suggest["run"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    policy = json.loads((tmp_path / "catalog" / "policies" / "report-exporter.json").read_text("utf-8"))
    kept = "arn:aws:s3:::example-prod-customer-delivery-*/reports/*"
    assert any(s.get("Resource") == kept for s in policy["Statement"]), policy
