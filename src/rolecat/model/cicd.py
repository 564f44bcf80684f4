"""catalog.yaml ``deploy_roles``: the CI's plan and deploy roles, in every account.

The plan role (pull requests) and the deploy role (the main branch) trust only the CI's
OIDC provider, each with its own ``sub`` subjects.  They are ordinary service roles of the
model (``Catalog.roles``), so trust rendering, who-can, explain, the access diff and the IAM
checks see them as they are; their permission documents come from ``deploy.cicd``.  Their
source is catalog.yaml, so findings about them point at ``deploy_roles`` there and the
acceptances below (with their reasons) show in every report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rolecat.diagnostics import Location, did_you_mean
from rolecat.load.source import SourceDoc

from .catalog import Acceptance, Account, Defaults, FederatedTrust, IdentityProvider, OidcProvider, Role

Mode = Literal["plan", "deploy"]
DEFAULT_NAMES: Mapping[Mode, str] = {"plan": "RolecatPlan", "deploy": "RolecatDeploy"}
CI_TAG = "rolecat:ci"
CI_PATH = "/rolecat/"  # the roles' IAM path: apart from the catalog's roles

# The subjects a deploy role may admit: one branch (main) or one environment, no wildcard.
_GITHUB_DEPLOY = re.compile(r"^repo:[^:*?/]+/[^:*?/]+:(ref:refs/heads/main|environment:[^:*?]+)$")
_GITLAB_DEPLOY = re.compile(r"^project_path:[^:*?]+/[^:*?]+:ref_type:branch:ref:main$")

DEPLOY_ACCEPT = (
    "deploy role: administers IAM for rolecat (creates and edits the catalog's roles and policies), "
    "so it can escalate by design; only the main branch's CI job (sub condition) may assume it"
)
PLAN_ACCEPT = "plan role: reads IAM and the Terraform state, writes only the state lock object"


@dataclass(frozen=True)
class CiRole:
    mode: Mode
    name: str
    subjects: tuple[str, ...]
    by_account: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # overrides

    def subjects_in(self, account: str) -> tuple[str, ...]:
        return self.by_account.get(account, self.subjects)


@dataclass(frozen=True)
class DeployRoles:
    provider: str
    plan: CiRole
    deploy: CiRole
    state_account: str

    def mode_of(self, role: Role, catalog_file: str) -> Mode | None:
        """``plan`` or ``deploy`` for the generated roles, None for a catalog role."""
        if role.source != catalog_file or role.tags.get(CI_TAG) is None:
            return None
        return "plan" if role.name == self.plan.name else "deploy"

    def role(self, mode: Mode) -> CiRole:
        return self.plan if mode == "plan" else self.deploy


def deploy_subject_ok(provider: OidcProvider, subject: str) -> bool:
    """Whether a deploy-role subject names the main branch or one environment, without wildcards."""
    if provider.kind == "github":
        return _GITHUB_DEPLOY.match(subject) is not None
    if provider.kind == "gitlab":
        return _GITLAB_DEPLOY.match(subject) is not None
    return "*" not in subject and "?" not in subject


class Reporter(Protocol):
    """Where ``resolve_deploy_roles`` reports (``Resolution`` is one)."""

    def err(self, code: str, message: str, loc: Location, hint: str | None = None) -> None: ...


def resolve_deploy_roles(
    doc: SourceDoc,
    accounts: Mapping[str, Account],
    providers: Mapping[str, IdentityProvider],
    report: Reporter,
) -> DeployRoles | None:
    """``deploy_roles`` resolved and checked; None when absent or unusable (reported)."""
    data = doc.data.get("deploy_roles")
    if data is None:
        return None
    loc = doc.locate
    ok = True
    declared = providers.get(data["provider"])
    provider = declared if isinstance(declared, OidcProvider) else None
    if declared is None:
        guess = did_you_mean(data["provider"], providers)
        report.err(
            "C061",
            f"unknown identity provider {data['provider']!r}",
            loc(("deploy_roles", "provider")),
            f"did you mean {guess!r}?" if guess else "declare it under identity_providers: in catalog.yaml",
        )
        ok = False
    elif provider is None:
        report.err(
            "C075",
            f"deploy_roles needs the CI's OIDC provider; {data['provider']!r} is a SAML provider",
            loc(("deploy_roles", "provider")),
            "name the identity_providers entry of the CI's OIDC issuer (github, gitlab or oidc)",
        )
        ok = False
    state = data.get("state_account")
    identity = [a.name for a in accounts.values() if a.identity]
    if state is None:
        state = identity[0] if identity else ""
    elif state not in accounts:
        guess = did_you_mean(state, accounts)
        report.err(
            "C010",
            f"unknown account {state!r}",
            loc(("deploy_roles", "state_account")),
            f"did you mean {guess!r}?" if guess else f"accounts: {', '.join(sorted(accounts))}",
        )
        ok = False
    roles: dict[Mode, CiRole] = {}
    for mode in ("plan", "deploy"):
        section = data[mode]
        overrides: dict[str, tuple[str, ...]] = {}
        for account, per in data.get("accounts", {}).items():
            if account not in accounts:
                guess = did_you_mean(account, accounts)
                if mode == "plan":  # once
                    report.err(
                        "C010",
                        f"unknown account {account!r}",
                        loc(("deploy_roles", "accounts", account), key=True),
                        f"did you mean {guess!r}?" if guess else f"accounts: {', '.join(sorted(accounts))}",
                    )
                ok = False
                continue
            if mode in per:
                overrides[account] = tuple(per[mode])
        roles[mode] = CiRole(
            mode, section.get("name", DEFAULT_NAMES[mode]), tuple(section["subjects"]), overrides
        )
        if provider is None:
            continue
        where: list[tuple[tuple[str | int, ...], str]] = [
            ((("deploy_roles", mode, "subjects", i)), s) for i, s in enumerate(section["subjects"])
        ]
        where += [
            (("deploy_roles", "accounts", a, mode, i), s)
            for a, per in data.get("accounts", {}).items()
            for i, s in enumerate(per.get(mode, ()))
        ]
        for path, subject in where:
            if mode == "deploy" and not deploy_subject_ok(provider, subject):
                report.err(
                    "C085",
                    f"deploy role subject {subject!r} does not pin the main branch or one environment",
                    loc(path),
                    "admit only repo:<owner>/<repo>:ref:refs/heads/main or repo:<owner>/<repo>:environment:<name>"
                    if provider.kind == "github"
                    else "admit only the main branch's sub claim, without wildcards",
                )
                ok = False
            elif mode == "plan" and subject.startswith(("*", "?")):
                report.err(
                    "C085",
                    f"plan role subject {subject!r} admits any workload of {provider.host}",
                    loc(path),
                    "admit the repository's pull requests: repo:<owner>/<repo>:pull_request",
                )
                ok = False
    if roles["plan"].name == roles["deploy"].name:
        report.err(
            "C086",
            f"deploy_roles: the plan and deploy roles are both named {roles['plan'].name!r}",
            loc(("deploy_roles", "deploy", "name")),
            "give the two roles different names (defaults: RolecatPlan, RolecatDeploy)",
        )
        ok = False
    tf = doc.data.get("terraform", {})
    for key, path in (
        ("deploy_role", ("terraform", "deploy_role")),
        ("role_arn", ("terraform", "backend", "role_arn")),
    ):
        present = tf.get("deploy_role") if key == "deploy_role" else tf.get("backend", {}).get("role_arn")
        if present is not None:
            report.err(
                "C086",
                f"terraform.{'.'.join(str(p) for p in path[1:])} with deploy_roles: the providers and the "
                "backend would use that role for pull requests too",
                loc(path, key=True),
                "remove it: with deploy_roles the plan or deploy role is chosen per run (rolecat plan --apply)",
            )
            ok = False
    if not ok or provider is None:
        return None
    return DeployRoles(provider.name, roles["plan"], roles["deploy"], state)


def ci_roles(
    spec: DeployRoles,
    catalog_file: str,
    accounts: tuple[Account, ...],
    providers: Mapping[str, IdentityProvider],
    owners: tuple[str, ...],
    defaults: Defaults,
) -> tuple[Role, ...]:
    """The two generated roles, in every account, as model roles."""
    provider = providers[spec.provider]
    out = []
    for ci in (spec.plan, spec.deploy):
        accept = (Acceptance("I001", DEPLOY_ACCEPT, builtin=True),) if ci.mode == "deploy" else ()
        out.append(
            Role(
                name=ci.name,
                source=catalog_file,
                description=(
                    "rolecat CI plan role: pull requests' terraform plan (reads IAM and the state)"
                    if ci.mode == "plan"
                    else "rolecat CI deploy role: terraform apply on the main branch"
                ),
                kind="service",
                accounts=tuple(a.name for a in accounts),
                owners=owners,
                policies=(),
                managed_policies=(),
                managed_policy_arns=(),
                boundary=None,
                admin=False,
                path=CI_PATH,
                max_session_duration=3600,
                mfa_max_age=defaults.mfa_max_age,
                members=(),
                temporary_members=(),
                trusted_services=(),
                accept=accept,
                tags={CI_TAG: ci.mode},
                federated=(FederatedTrust(provider.name, ci.subjects, 0),),
                federated_providers={provider.name: provider},
            )
        )
    return tuple(out)
