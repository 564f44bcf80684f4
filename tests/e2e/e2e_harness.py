"""Terraform against the IAM emulator: finding Terraform and its provider mirror, running it,
keeping a copy of each compiled account folder with its local state.

The compiled account folders are used unchanged: :class:`Deployment` copies them into its
own work folder and adds one file, ``zz_e2e_override.tf`` (a Terraform override file), that
points the backend at a local state file and the provider's IAM and STS endpoints at the
emulator. The generated provider block (region, ``allowed_account_ids``, ``assume_role``
into the deploy role, default tags) stays as written; the emulator answers the
``AssumeRole`` into each account's deploy role with credentials of that account.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PROVIDER_DIR = ("registry.terraform.io", "hashicorp", "aws")
# Where Terraform itself looks for an implied local mirror, then where images put one.
MIRROR_CANDIDATES = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/tf-plugins",
    "/opt/terraform/plugins",
)
SEARCH_ROOTS = ("/opt", "/usr/local/share", "/usr/share", "~")
OVERRIDE = "zz_e2e_override.tf"
STATE = "e2e.tfstate"
LOCK = ".terraform.lock.hcl"
# Terraform runs at a time for accounts that do not depend on each other (CI has 2 cores).
JOBS = int(os.environ.get("ROLECAT_E2E_JOBS", "2"))


def find_terraform() -> str | None:
    return shutil.which("terraform")


def _has_aws(root: Path) -> bool:
    aws = root.joinpath(*PROVIDER_DIR)
    return aws.is_dir() and any(p.is_dir() for p in aws.glob("*/*_*"))


def find_mirror() -> Path | None:
    """The folder holding ``registry.terraform.io/hashicorp/aws/<version>/<platform>``.

    ``ROLECAT_TF_MIRROR`` first, then the usual places, then a shallow search (depth 4)
    under /opt, /usr/local/share, /usr/share and the home folder.
    """
    env = os.environ.get("ROLECAT_TF_MIRROR")
    candidates = [Path(env)] if env else []
    candidates += [Path(c).expanduser() for c in MIRROR_CANDIDATES]
    for c in candidates:
        if _has_aws(c):
            return c
    for root in SEARCH_ROOTS:
        base = Path(root).expanduser()
        for depth in range(4):
            pattern = (
                "/".join(["*"] * depth + ["registry.terraform.io"]) if depth else "registry.terraform.io"
            )
            for hit in base.glob(pattern):
                if _has_aws(hit.parent):
                    return hit.parent
    return None


def cli_config(mirror: Path) -> str:
    """A Terraform CLI configuration that installs the AWS provider from ``mirror`` only."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "}\n"
    )


def override_tf(endpoint: str) -> str:
    return (
        "# Added by the end-to-end tests: local state, IAM and STS at the emulator.\n"
        "terraform {\n"
        '  backend "local" {\n'
        f'    path = "{STATE}"\n'
        "  }\n"
        "}\n\n"
        'provider "aws" {\n'
        "  skip_metadata_api_check = true\n"
        "  endpoints {\n"
        f'    iam = "{endpoint}"\n'
        f'    sts = "{endpoint}"\n'
        "  }\n"
        "}\n"
    )


class TerraformFailed(AssertionError):
    pass


@dataclass
class Run:
    account: str
    args: tuple[str, ...]
    code: int
    seconds: float


@dataclass
class Terraform:
    """Runs terraform with an environment of its own and counts every run."""

    binary: str
    env: Mapping[str, str]
    runs: list[Run] = field(default_factory=list)

    def __call__(
        self, folder: Path, *args: str, ok: Sequence[int] = (0,), account: str = ""
    ) -> subprocess.CompletedProcess[str]:
        start = time.monotonic()
        proc = subprocess.run(
            [self.binary, *args],
            cwd=folder,
            env=dict(self.env),
            capture_output=True,
            text=True,
            check=False,
        )
        self.runs.append(Run(account or folder.name, args, proc.returncode, time.monotonic() - start))
        if proc.returncode not in ok:
            raise TerraformFailed(
                f"terraform {' '.join(args)} in {folder} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
            )
        return proc


def make_env(home: Path, mirror: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    rc = home / "terraform.rc"
    rc.write_text(cli_config(mirror), encoding="utf-8")
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    return {
        **keep,
        "HOME": str(home),
        "TF_CLI_CONFIG_FILE": str(rc),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        # The caller's own credentials; the provider's assume_role turns them into the
        # deploy role of each account.
        "AWS_ACCESS_KEY_ID": "AKIAE2ETESTCALLER000",
        "AWS_SECRET_ACCESS_KEY": "e2e-secret",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
    }


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    name: str
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def kind(self) -> str:
        a = self.actions
        if a in (("no-op",), ("read",)):
            return "no-op"
        if a == ("create",):
            return "create"
        if a == ("update",):
            return "update"
        if a == ("delete",):
            return "delete"
        if a == ("forget",):  # a removed block (release: true): leaves the state, stays in AWS
            return "forget"
        if a in (("delete", "create"), ("create", "delete")):
            return "replace"
        raise AssertionError(f"an action list the harness does not know: {a}")


def changes_of(plan_json: Mapping[str, Any]) -> dict[str, Change]:
    out: dict[str, Change] = {}
    for rc in plan_json.get("resource_changes", []):
        ch = rc["change"]
        c = Change(
            rc["address"], rc["type"], rc["name"], tuple(ch["actions"]), ch.get("before"), ch.get("after")
        )
        if c.kind != "no-op":
            out[c.address] = c
    return out


def moves_of(plan_json: Mapping[str, Any]) -> dict[str, str]:
    """Every address the plan moves state to, with the address it comes from (a ``moved``
    block): a move is no change in AWS, so ``changes_of`` leaves it out, but it changes which
    address holds an object."""
    return {
        rc["address"]: rc["previous_address"]
        for rc in plan_json.get("resource_changes", [])
        if rc.get("previous_address") and rc["previous_address"] != rc["address"]
    }


def rolecat(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolecat", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def compile_catalog(catalog: Path, out: Path, *extra: str) -> None:
    proc = rolecat("compile", str(catalog), "-o", str(out), *extra)
    assert proc.returncode == 0, f"rolecat compile failed ({proc.returncode}):\n{proc.stderr}"


def identity_first(manifest: Mapping[str, Any]) -> list[str]:
    if "apply_order" in manifest:
        return list(manifest["apply_order"])
    accounts = manifest["accounts"]
    names = sorted(accounts)
    ident = [n for n in names if accounts[n].get("identity")]
    return ident + [n for n in names if n not in ident]


@dataclass
class Deployment:
    """The deployed copy of one compiled OUT folder: one work folder per account, with state."""

    tf: Terraform
    out: Path
    work: Path
    endpoint: str
    inited: set[str] = field(default_factory=set)

    def accounts(self) -> list[str]:
        manifest = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
        return identity_first(manifest)

    def sync(self) -> list[str]:
        """Copy the compiled folders over the work folders; the accounts whose files changed,
        identity account first."""
        changed = []
        for name in self.accounts():
            src, dst = self.out / name, self.work / name
            dst.mkdir(parents=True, exist_ok=True)
            # The .tf files, and the lock file when the compiled folder has one (a committed
            # lock); otherwise init makes one in the work folder, which stays.
            want = {p.name for p in src.glob("*.tf")} | {p.name for p in src.glob(LOCK)}
            have = {p.name for p in dst.glob("*.tf") if p.name != OVERRIDE}
            have |= {p.name for p in dst.glob(LOCK) if LOCK in want}
            differs = want != have or any(not filecmp.cmp(src / f, dst / f, shallow=False) for f in want)
            for f in have - want:
                (dst / f).unlink()
            for f in want:
                shutil.copyfile(src / f, dst / f)
            (dst / OVERRIDE).write_text(override_tf(self.endpoint), encoding="utf-8")
            if differs:
                changed.append(name)
        return changed

    def folder(self, account: str) -> Path:
        return self.work / account

    def init(self, account: str) -> None:
        args = ["init", "-input=false", "-no-color"]
        if (self.folder(account) / ".terraform.lock.hcl").exists():
            args.append("-lockfile=readonly")
        self.tf(self.folder(account), *args, account=account)
        self.inited.add(account)

    def validate(self, account: str) -> None:
        self.tf(self.folder(account), "validate", "-no-color", account=account)

    def apply(self, account: str) -> None:
        self.tf(self.folder(account), "apply", "-auto-approve", "-input=false", "-no-color", account=account)

    def plan_changes(self, account: str) -> dict[str, Change]:
        """``plan -out``, then ``show -json`` of the saved plan: the changes by address."""
        return changes_of(self.plan_json(account))

    def plan_json(self, account: str) -> dict[str, Any]:
        """``plan -out``, then ``show -json`` of the saved plan, as it is."""
        f = self.folder(account)
        self.tf(f, "plan", "-input=false", "-no-color", "-out=e2e.tfplan", ok=(0,), account=account)
        shown = self.tf(f, "show", "-json", "e2e.tfplan", account=account)
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan

    def apply_saved(self, account: str) -> None:
        self.tf(self.folder(account), "apply", "-input=false", "-no-color", "e2e.tfplan", account=account)

    def assert_converged(self, account: str) -> None:
        proc = self.tf(
            self.folder(account),
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-lock=false",
            ok=(0, 2),
            account=account,
        )
        assert proc.returncode == 0, f"second plan of {account} is not empty:\n{proc.stdout[-6000:]}"

    def step(self, accounts: Iterable[str]) -> dict[str, dict[str, Change]]:
        """Plan each account, apply the saved plan, check convergence; the planned changes by
        account. The first account given (the identity account, when it changed) goes alone
        and first; the others follow, ``JOBS`` at a time (they do not depend on each other)."""
        todo = list(accounts)

        def one(account: str) -> dict[str, Change]:
            if account not in self.inited:
                self.init(account)
            changes = self.plan_changes(account)
            self.apply_saved(account)
            self.assert_converged(account)
            return changes

        return self.each(todo, one)

    def each(self, accounts: Sequence[str], work: Callable[[str], T]) -> dict[str, T]:
        """``work`` for every account: the identity account (when in ``accounts``) first and
        alone, then the others in parallel, ``JOBS`` at a time, in a stable result order."""
        ident = [a for a in accounts if a == self.identity()]
        rest = [a for a in accounts if a not in ident]
        result = {a: work(a) for a in ident}
        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            futures = {a: pool.submit(work, a) for a in rest}
            for a in rest:
                result[a] = futures[a].result()
        return result

    def identity(self) -> str:
        manifest = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
        return next(n for n, a in manifest["accounts"].items() if a.get("identity"))


class Emulator:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200

    def iam(self, account_id: str, role: str) -> Any:
        """An IAM client with credentials of ``account_id``: assumed, as Terraform does, from
        the account's deploy role."""
        import boto3

        common = {"region_name": "us-east-1", "endpoint_url": self.endpoint}
        sts = boto3.client(
            "sts", aws_access_key_id="AKIAE2ETESTREADER000", aws_secret_access_key="x", **common
        )
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="e2e-check"
        )["Credentials"]
        return boto3.client(
            "iam",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            **common,
        )
