"""``make plan``: terraform init and plan in every account folder, identity account first.

Each plan is saved in OUT's working folder (``.rolecat/plans/<account>.tfplan``, never
committed, see docs/output.md) for ``rolecat apply``. When
the folder holds a ``.terraform.lock.hcl`` (committed by the team, see docs/workflow.md),
``init`` runs with ``-lockfile=readonly``: the provider must match the recorded checksums
and the lock file is never rewritten.

The identity account goes first because the other accounts' trust policies name its
users, and AWS rejects a trust policy whose principal does not exist yet; a plan is
read-only, but keeping the apply order makes the plans read in the order they apply.
The first failing terraform call stops the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomicfile import write_atomic

if TYPE_CHECKING:
    from ..model import Catalog

LOCK_FILE = ".terraform.lock.hcl"
INIT_ARGS = ("init", "-input=false")
READONLY_LOCK = "-lockfile=readonly"

TERRAFORM_MISSING = (
    "terraform is not on PATH: install Terraform (https://developer.hashicorp.com/terraform/install) "
    "or add its folder to PATH, then run again"
)


class UnknownAccountError(LookupError):
    def __init__(self, name: str, hint: str) -> None:
        super().__init__(f"unknown account {name!r}; {hint}")


@dataclass(frozen=True)
class Step:
    account: str
    folder: Path
    args: tuple[str, ...]


def account_order(catalog: Catalog, only: str | None = None) -> list[str]:
    """Account names to plan, in ``deploy.order.apply_order``: the identity account first,
    every account after those whose roles its trust policies name, else by name."""
    from ..deploy.order import apply_order

    names = [a.name for a in catalog.accounts]
    if only is not None:
        if only not in names:
            from ..model.catalog import account_hint

            raise UnknownAccountError(only, account_hint(only, catalog.accounts))
        return [only]
    return apply_order(catalog)


MODES = ("plan", "apply", "bootstrap")


def plan_file(out: Path, account: str) -> Path:
    """Where ``rolecat plan`` saves an account's plan: OUT's working folder, never a folder a
    pull request commits Terraform into (a planted plan file must never reach ``apply``)."""
    from ..targets.outdir.layout import PLANS, WORKDIR

    return out.absolute() / WORKDIR / PLANS / f"{account}.tfplan"


def planned_files_of(plan: Path) -> Path:
    """Beside a saved plan: the account folder's files it was made from (``folder_files``)."""
    return plan.with_suffix(".files.json")


def folder_files(folder: Path) -> dict[str, str]:
    """The files Terraform reads in an account's folder (``*.tf`` and the lock file), name
    -> SHA-256: a saved plan is applied only while these are what it was made from (a file
    deleted since leaves no newer time behind)."""
    out: dict[str, str] = {}
    for path in sorted([*folder.glob("*.tf"), folder / LOCK_FILE]):
        if path.is_file() and not path.is_symlink():
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def steps(catalog: Catalog, out: Path, only: str | None = None, mode: str = "plan") -> list[Step]:
    """init and plan per account.  With catalog.yaml ``deploy_roles`` the plan names the
    role its providers assume (``-var=rolecat_mode``, saved in the plan for apply): the plan
    role unless ``mode`` is apply (the deploy role) or bootstrap (the caller's credentials)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    extra: tuple[str, ...] = ()
    if catalog.deploy_roles is not None:
        extra = (f"-var=rolecat_mode={mode}",)
    found: list[Step] = []
    for name in account_order(catalog, only):
        folder = out / name
        found.append(Step(name, folder, INIT_ARGS))
        found.append(Step(name, folder, ("plan", "-input=false", f"-out={plan_file(out, name)}", *extra)))
    return found


Runner = Callable[[list[str], Path], int]


def init_failed_hint(folder: Path) -> str:
    """What ``terraform init`` needs in ``folder``: the provider always (from the registry
    or a mirror, offline too); credentials only where the account has a backend."""
    from ..targets.outdir.layout import BACKEND_FILE

    hint = (
        "hint: init needs the hashicorp/aws provider: the registry (network access), or a provider "
        "mirror in your Terraform CLI configuration"
    )
    if (folder / BACKEND_FILE).is_file():
        hint += (
            "; and, with terraform.backend in catalog.yaml, AWS credentials that can read the state "
            "bucket (AWS_PROFILE or the AWS_* variables; the human role profiles of rolecat profiles "
            "are for people, not for the bucket)"
        )
    return hint


def terraform_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment Terraform runs with: colour codes off (``-no-color`` through
    ``TF_CLI_ARGS``, after what the user set there) when its output is not a terminal or
    NO_COLOR is set, so that logs and files read as text."""
    env = dict(environ)
    if env.get("NO_COLOR") or not sys.stdout.isatty():
        env["TF_CLI_ARGS"] = f"{env.get('TF_CLI_ARGS', '')} -no-color".strip()
    return env


def subprocess_runner(argv: list[str], cwd: Path) -> int:
    return subprocess.run(argv, cwd=cwd, check=False, env=terraform_env(os.environ)).returncode


def run(
    plan: Sequence[Step],
    terraform: str,
    *,
    runner: Runner = subprocess_runner,
    say: Callable[[str], None] = print,
) -> int:
    """Run each step; 0 when all succeed, else the first failing step's exit code (at least 1)."""
    for step in plan:
        if not step.folder.is_dir():
            say(f"rolecat: {step.folder} does not exist: did compile write account {step.account!r}?")
            return 1
        args = step.args
        if args[0] == "init" and (step.folder / LOCK_FILE).is_file():
            args = (*args, READONLY_LOCK)
        saved: Path | None = None
        if args[0] == "plan":
            saved = Path(next(a for a in args if a.startswith("-out=")).removeprefix("-out="))
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.unlink(missing_ok=True)  # a plan of an earlier run must never be applied
            planned_files_of(saved).unlink(missing_ok=True)
        say(f"==> {step.account}: terraform {' '.join(args)}  ({step.folder})")
        code = runner([terraform, *args], step.folder)
        if code != 0:
            say(f"rolecat: terraform {step.args[0]} failed in {step.folder} (exit {code}); stopping")
            if step.args[0] == "init":
                say(init_failed_hint(step.folder))
            return code if code > 0 else 1
        if saved is not None:
            write_atomic(planned_files_of(saved), json.dumps(folder_files(step.folder), indent=1) + "\n")
    return 0
