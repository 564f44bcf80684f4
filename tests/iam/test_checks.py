from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factory import allow, catalog, deny, policy, role

from rolecat.deploy.arns import boundary_policy_name, policy_policy_name
from rolecat.deploy.delegation import delegated_role_creation_statements
from rolecat.diagnostics import Diagnostic, Severity
from rolecat.iam import managed
from rolecat.iam.actions import ActionDB
from rolecat.iam.escalation import METHODS
from rolecat.load.source import load_json_text
from rolecat.model import TemporaryMember
from rolecat.rules.grammar import check_policy_document
from rolecat.rules.iam import CHECKS, Checker, Context, render_markdown, run_checks

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
OPEN = policy(allow("*"))
SAFE_BOUNDARY = policy(
    allow("*"),
    deny(["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"]),
    deny(
        [
            "iam:CreatePolicyVersion",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeletePolicy",
        ],
        "arn:aws:iam::*:policy/boundary-*",
    ),
)


def codes(diags: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diags if d.code == code]


def test_check_metadata_is_complete() -> None:
    seen = set()
    for check in CHECKS:
        assert check.code not in seen
        seen.add(check.code)
        assert check.summary and check.rationale and check.fix
    assert {"I001", "I002", "I003", "I004", "I005", "I006", "I007"} == seen


def test_escalation_methods_use_known_actions(db: ActionDB) -> None:
    for method in METHODS:
        for action in method.actions:
            assert db.canonical(action) == action, (method.id, action)


def test_docs_checks_md_is_up_to_date() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
    assert path.read_text() == render_markdown(), "run scripts/gen-checks-doc.py"


def test_escalation_reported_with_method_and_actions() -> None:
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {"dev": policy(allow(["iam:PassRole", "ec2:RunInstances"]))},
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert finding.severity is Severity.ERROR
    assert "rhino-3" in finding.message and "ec2:RunInstances + iam:PassRole" in finding.message
    assert finding.location is not None and finding.location.path == "catalog/roles/Dev.yaml"


def test_notebook_lifecycle_scripts_are_escalation_paths() -> None:
    """AWS, "Customize a notebook instance using a lifecycle configuration script": the
    script runs when the notebook starts, as root on the instance, where the notebook's
    execution role's credentials are; UpdateNotebookInstance attaches a lifecycle
    configuration to a stopped notebook (LifecycleConfigName) and
    UpdateNotebookInstanceLifecycleConfig rewrites the script of one already attached.  So
    either, with StartNotebookInstance, runs code as a role the caller was never given,
    with no iam:PassRole (the notebook keeps its role).  Without a way to change the
    script, starting a notebook runs only what its owner put there."""
    b = {"b": policy(allow("sagemaker:*"))}
    attach = [
        "sagemaker:CreateNotebookInstanceLifecycleConfig",
        "sagemaker:UpdateNotebookInstance",
        "sagemaker:StartNotebookInstance",
    ]
    rewrite = ["sagemaker:UpdateNotebookInstanceLifecycleConfig", "sagemaker:StartNotebookInstance"]
    for actions, method in (
        (attach, "path-sagemaker-lifecycle"),
        (rewrite, "path-sagemaker-lifecycle-update"),
    ):
        c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": policy(allow(actions))}, b)
        (finding,) = codes(run_checks(c, NOW), "I001")
        assert finding.subject == method, finding.message
    start_only = ["sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance"]
    c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": policy(allow(start_only))}, b)
    assert codes(run_checks(c, NOW), "I001") == []


def test_pathfinding_paths_beyond_rhinos_are_reported() -> None:
    """pathfinding.cloud paths (as salesforce/cloudsplaining lists them, see
    shared/refs/iam_facts.md section 4): codebuild-004, glue-006, cloudformation-004 and
    bedrock-002, each reported alone with exactly its actions."""
    b = {"b": policy(allow("*"))}
    for actions, method in (
        (["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuildBatch"], "path-codebuild-batch"),
        (["iam:PassRole", "glue:UpdateJob", "glue:CreateTrigger"], "path-glue-update-trigger"),
        (["iam:PassRole", "cloudformation:UpdateStackSet"], "path-cloudformation-stackset-update"),
        (
            ["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"],
            "path-agentcore-session",
        ),
    ):
        c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": policy(allow(actions))}, b)
        (finding,) = codes(run_checks(c, NOW), "I001")
        assert finding.subject == method, finding.message


def test_method_cut_off_by_boundary_is_not_reported() -> None:
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {"dev": policy(allow(["iam:PassRole", "ec2:RunInstances"]))},
        {"b": policy(allow(["ec2:*", "s3:*"]))},  # no iam:PassRole in the boundary
    )
    assert codes(run_checks(c, NOW), "I001") == []


def test_method_cut_off_by_deny_is_not_reported() -> None:
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {"dev": policy(allow(["iam:PassRole", "ec2:RunInstances"]))},
        {"b": policy(allow("*"), deny("iam:PassRole"))},
    )
    assert codes(run_checks(c, NOW), "I001") == []


def test_conditional_escalation_is_reported_as_conditional() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {"dev": policy(allow("iam:PutRolePolicy", Condition=mfa))},
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert "under conditions for iam:PutRolePolicy" in finding.message


def test_admin_roles_are_skipped_and_accepted_findings_kept() -> None:
    dev_policy = {"dev": policy(allow("iam:AttachRolePolicy"))}
    c = catalog([role("Boss", policies=("dev",), admin=True)], dev_policy)
    assert codes(run_checks(c, NOW), "I001") == []
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b", accepts=[("I001", "break-glass INC-1")])],
        dev_policy,
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert finding.accepted_reason == "break-glass INC-1"
    assert not finding.is_error


def test_full_admin_and_near_admin() -> None:
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    power_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
    c = catalog(
        [
            role(
                "Star",
                managed_policies=("AdministratorAccess",),
                managed_policy_arns=(admin_arn,),
                boundary="b",
            ),
            role(
                "Power", managed_policies=("PowerUserAccess",), managed_policy_arns=(power_arn,), boundary="b"
            ),
            role("Narrow", policies=("ro",), boundary="b"),
        ],
        {"ro": policy(allow("s3:Get*"))},
        {"b": SAFE_BOUNDARY},
    )
    found = {d.message.split()[1]: d for d in codes(run_checks(c, NOW), "I002")}
    assert set(found) == {"Star", "Power"}
    assert "every action" in found["Star"].message or "%" in found["Star"].message
    assert "write actions" in found["Power"].message


def test_boundary_cuts_admin_down() -> None:
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    c = catalog(
        [
            role(
                "Star",
                managed_policies=("AdministratorAccess",),
                managed_policy_arns=(admin_arn,),
                boundary="b",
            )
        ],
        boundaries={"b": policy(allow(["s3:*", "logs:*"]))},
    )
    assert codes(run_checks(c, NOW), "I002") == []


def test_boundary_self_protection() -> None:
    c = catalog(
        [role("Ops", policies=("ops",), boundary="open"), role("Safe", policies=("ops",), boundary="safe")],
        {"ops": policy(allow("iam:*"))},
        {"open": OPEN, "safe": SAFE_BOUNDARY},
    )
    found = codes(run_checks(c, NOW), "I003")
    assert [d.message.split()[1] for d in found] == ["Ops"]
    assert "iam:DeleteRolePermissionsBoundary" in found[0].message


def test_action_resource_mismatch_with_position() -> None:
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {
            "dev": policy(
                allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::bucket"),
                allow("s3:GetObject", "arn:aws:s3:::bucket/*"),
            )
        },
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I004")
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith("s3:GetObject applies to none")
    text = c.policies["dev"].text.splitlines()
    assert finding.location is not None and finding.location.path == "catalog/policies/dev.json"
    line = text[finding.location.line - 1]
    assert line[finding.location.col - 1 :].startswith('"s3:GetObject"')


def test_admin_member_limit_counts_active_temporary_members() -> None:
    later = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    earlier = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    temps = (
        TemporaryMember("dave", later, "2027-01-01", "INC", 0),
        TemporaryMember("carol", earlier, "2026-01-01", None, 1),
    )
    c = catalog([role("Admin", admin=True, members=("alice", "bob", "carol"), temporary_members=temps)])
    (finding,) = codes(run_checks(c, NOW), "I005")
    assert "4 members (limit 3)" in finding.message


def test_bool_if_exists_mfa_in_allow() -> None:
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {
            "dev": policy(
                allow(
                    "s3:GetObject",
                    "arn:aws:s3:::b/*",
                    Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
                ),
                deny("s3:*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            )
        },
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I006")
    # a warning: on a role (every session carries the key) it acts as Bool; copied to a
    # user's policy it would let long-term access keys in
    assert finding.severity is Severity.WARNING
    assert finding.location is not None and finding.location.path == "catalog/policies/dev.json"


def test_unknown_managed_document_is_reported_not_ignored() -> None:
    arn = "arn:aws:iam::aws:policy/FuturePolicy2030"
    c = catalog(
        [role("Dev", managed_policies=(arn,), managed_policy_arns=(arn,), boundary="b")],
        boundaries={"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I007")
    assert arn in finding.message
    assert managed.snapshot().snapshot_date in finding.message


def test_delegated_role_creation_is_safe_and_well_formed(db: ActionDB) -> None:
    dev = role("Deployer", policies=("deploy",), boundary="b", delegated=("apps", "/apps/"))
    c = catalog(
        [dev],
        {"deploy": policy(allow(["cloudformation:*", "lambda:*"]))},
        {"b": SAFE_BOUNDARY, "apps": policy(allow("s3:*"))},
    )
    account = c.account("nonprod")
    statements = delegated_role_creation_statements(dev, account, c)
    boundary_arn = f"arn:aws:iam::{account.id}:policy/{boundary_policy_name('apps')}"
    create = next(s for s in statements if "iam:CreateRole" in s["Action"])
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    assert create["Resource"] == f"arn:aws:iam::{account.id}:role/apps/*"
    passrole = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert passrole["Effect"] == "Allow" and passrole["Resource"] == f"arn:aws:iam::{account.id}:role/apps/*"
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s["Action"] == "iam:DeleteRolePermissionsBoundary" for s in denies)
    assert any(
        boundary_arn in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        for s in denies
    )
    # the statements pass our own grammar
    doc, _ = load_json_text(json.dumps({"Version": "2012-10-17", "Statement": statements}), "d.json")
    assert doc is not None and check_policy_document(doc, "policy", db) == []
    # PassRole + lambda would be rhino-15, but only for roles on the delegated path: safe
    diags = run_checks(c, NOW)
    assert [
        d.message
        for d in codes(diags, "I001")
        if "iam:PassRole" in d.message or "iam:CreateRole" in d.message
    ] == []
    assert codes(diags, "I003") == []


def test_delegation_without_pinning_is_reported() -> None:
    c = catalog(
        [role("Deployer", policies=("deploy",), boundary="b")],
        {"deploy": policy(allow(["iam:CreateRole", "iam:PutRolePolicy"], "arn:aws:iam::*:role/apps/*"))},
        {"b": SAFE_BOUNDARY},
    )
    assert any("rhino-12" in d.message for d in codes(run_checks(c, NOW), "I001"))


def test_naming() -> None:
    assert boundary_policy_name("prod") == "boundary-prod"
    assert policy_policy_name("prod") == "policy-prod"


@pytest.mark.parametrize("roles", [300])
def test_checks_are_fast_on_a_large_catalog(roles: int) -> None:
    policies = {
        f"p{i}": policy(
            allow(["s3:Get*", "logs:*"]),
            allow("ec2:Describe*"),
            deny("iam:*", "arn:aws:iam::*:role/admin/*"),
        )
        for i in range(30)
    }
    c = catalog(
        [
            role(
                f"R{i}",
                accounts=("security", "nonprod", "prod"),
                policies=(f"p{i % 30}", f"p{(i + 7) % 30}"),
                boundary="b",
            )
            for i in range(roles)
        ],
        policies,
        {"b": SAFE_BOUNDARY},
    )
    run_checks(c, NOW)  # warm the action database and caches shared across runs
    start = time.perf_counter()
    run_checks(c, NOW)
    assert time.perf_counter() - start < 1.0


def test_a_checker_over_parts_of_the_roles_finds_what_it_finds_over_all() -> None:
    """``Checker.runs`` over parts of the roles (as two processes share them) gives, rule by
    rule and part after part, the findings of one run over every role, with one context
    (its effective sets shared by the parts) and the documents' checks asked for once."""
    c = catalog(
        [role(f"R{i}", policies=("escalates" if i % 3 == 0 else "reads",), boundary="b") for i in range(10)]
        + [
            role(
                "Star",
                managed_policies=("AdministratorAccess",),
                managed_policy_arns=("arn:aws:iam::aws:policy/AdministratorAccess",),
                boundary="b",
            )
        ],
        {
            "escalates": policy(allow(["iam:PassRole", "ec2:RunInstances"])),
            "reads": policy(allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::bucket")),  # I004
        },
        {"b": SAFE_BOUNDARY},
    )
    whole = {code: run() for code, run in Checker(lambda: Context.of(c, NOW)).runs()}
    assert whole["I001"] and whole["I002"] and whole["I004"]  # per-role and document findings
    checker = Checker(lambda: Context.of(c, NOW))
    parts = [c.roles[i : i + 3] for i in range(0, len(c.roles), 3)]
    found: dict[str, list[Diagnostic]] = {code: run() for code, run in checker.runs(per_role=False)}
    assert set(found) == {check.code for check in CHECKS if not check.per_role}
    for part in parts:
        for code, run in checker.runs(part, documents=False):
            found.setdefault(code, []).extend(run())
    assert {code: found.get(code, []) for code in whole} == whole
    ctx = checker.context()
    assert ctx.roles_checked is None and len(ctx._views) == len(c.roles)  # one context, every role


# ---------------------------------------------------------------------- issue 12 fixes
def test_conditional_deny_on_one_bucket_keeps_an_admin_an_admin() -> None:
    # Allow * under a boundary Allow * whose only Deny is conditional and on one bucket:
    # the deny applies only to requests on that bucket, so every other resource is reached
    # without condition.  The role is effectively an administrator (I002), and I002 alone
    # says it (no I001 list of "conditional" methods).
    bound = policy(
        allow("*"), deny("*", "arn:aws:s3:::audit*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    )
    c = catalog([role("Wide", policies=("open",), boundary="b")], {"open": OPEN}, {"b": bound})
    diags = run_checks(c, NOW)
    assert [d.message.split()[1] for d in codes(diags, "I002")] == ["Wide"]
    assert codes(diags, "I001") == []


def test_iam_star_on_role_paths_is_not_a_policy_version_escalation() -> None:
    # iam:CreatePolicyVersion and iam:SetDefaultPolicyVersion act on policy ARNs only, so
    # iam:* on role/apps/* cannot grant them: rhino-1 and rhino-2 are not reported.
    # PutRolePolicy on role/apps/* is (rhino-12).
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {"dev": policy(allow("iam:*", "arn:aws:iam::222222222222:role/apps/*"))},
        {"b": SAFE_BOUNDARY},
    )
    text = " ".join(d.message for d in codes(run_checks(c, NOW), "I001"))
    assert "rhino-12" in text
    assert "rhino-1 " not in text and "rhino-2 " not in text


def test_update_assume_role_policy_alone_escalates_whatever_the_boundary_says_of_assume() -> None:
    # UpdateAssumeRolePolicy "Updates the policy that grants an IAM entity permission to
    # assume a role" (IAM API Reference): the caller chooses the principal.  It names a
    # user whose identity policy already allows the assume (a member of the identity
    # account, through its assume-roles policy), or an account it owns; that principal's
    # request is evaluated against its own policies, never against this role's boundary.
    # So a boundary denying sts:* does not cut the method off.
    dev = {"dev": policy(allow("iam:UpdateAssumeRolePolicy", "arn:aws:iam::*:role/*"))}
    c = catalog([role("Dev", policies=("dev",), boundary="b")], dev, {"b": SAFE_BOUNDARY})
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert "rhino-14" in finding.message
    no_assume = policy(allow("iam:*"), deny("sts:*"), *SAFE_BOUNDARY["Statement"][1:])
    c = catalog([role("Dev", policies=("dev",), boundary="b")], dev, {"b": no_assume})
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert "rhino-14" in finding.message


def test_put_role_permissions_boundary_pinned_to_a_broader_boundary_escalates() -> None:
    # Pinned to a catalog boundary no broader than its own, the role can only narrow
    # itself; pinned to a broader one ("wide" allows iam:*, its own boundary does not), it
    # can put that boundary on itself and lift its limit.
    pin = {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::222222222222:policy/boundary-wide"}}
    own = policy(allow(["s3:*", "iam:PutRolePermissionsBoundary"]))
    wide = policy(allow(["s3:*", "iam:*"]))
    dev = {"dev": policy(allow("iam:PutRolePermissionsBoundary", "arn:aws:iam::*:role/*", Condition=pin))}
    c = catalog([role("Dev", policies=("dev",), boundary="own")], dev, {"own": own, "wide": wide})
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert "path-boundary-put" in finding.message
    narrow_pin = {
        "StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::222222222222:policy/boundary-narrow"}
    }
    dev = {
        "dev": policy(allow("iam:PutRolePermissionsBoundary", "arn:aws:iam::*:role/*", Condition=narrow_pin))
    }
    narrow = policy(allow("s3:GetObject"))
    c = catalog([role("Dev", policies=("dev",), boundary="own")], dev, {"own": own, "narrow": narrow})
    assert codes(run_checks(c, NOW), "I001") == []


def test_trailing_wildcard_role_arn_is_no_policy_resource() -> None:
    # arn:aws:iam::1:role/* can name roles only: the account field never holds ':', so the
    # star cannot reach a policy ARN.  I004 says so for iam:CreatePolicyVersion.
    c = catalog(
        [role("Dev", policies=("dev",), boundary="b")],
        {
            "dev": policy(
                allow(["iam:CreatePolicyVersion", "iam:PassRole"], "arn:aws:iam::222222222222:role/*")
            )
        },
        {"b": SAFE_BOUNDARY},
    )
    (finding,) = codes(run_checks(c, NOW), "I004")
    assert finding.message.startswith("iam:CreatePolicyVersion applies to none")


def _pin(name: str) -> dict[str, Any]:
    return {"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::222222222222:policy/boundary-{name}"}}


def test_writing_its_own_policies_pinned_to_its_own_boundary_escalates() -> None:
    # Reader may write policies on itself, pinned to its own boundary: the condition holds
    # (the role carries that boundary), so it can write Allow * on itself and reach all
    # the boundary allows (a boundary is "the maximum permissions that an identity-based
    # policy can grant"; here that is everything but boundary edits): rhino-9 and rhino-12.
    me = "arn:aws:iam::222222222222:role/humans/Reader"
    writes = allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], me, Condition=_pin("b"))
    dev = {"reader": policy(allow("logs:GetLogEvents"), writes)}
    c = catalog([role("Reader", policies=("reader",), boundary="b")], dev, {"b": SAFE_BOUNDARY})
    text = " ".join(d.message for d in codes(run_checks(c, NOW), "I001"))
    assert "rhino-9 " in text and "rhino-12 " in text
    # The same writes on other roles only (role/apps/*), pinned to its boundary: what they
    # change is held below Reader's own limit, as AWS's delegation pattern intends.
    others = allow(
        ["iam:PutRolePolicy", "iam:AttachRolePolicy"],
        "arn:aws:iam::222222222222:role/apps/*",
        Condition=_pin("b"),
    )
    dev = {"reader": policy(allow("logs:GetLogEvents"), others)}
    c = catalog([role("Reader", policies=("reader",), boundary="b")], dev, {"b": SAFE_BOUNDARY})
    assert codes(run_checks(c, NOW), "I001") == []


def test_writes_of_its_own_policies_pinned_to_a_boundary_it_does_not_carry_do_not_apply_to_it() -> None:
    """For iam:PutRolePolicy and iam:AttachRolePolicy, iam:PermissionsBoundary is the
    boundary the target role carries ("Filters access if the specified policy is set as
    the permissions boundary on the IAM entity", Service Authorization Reference), so
    writes on role/humans/* pinned to "narrow" reach only the roles carrying narrow:
    not Reader, which carries b, and whose boundary b denies it to replace.  Once Reader
    may put narrow on itself, they apply to it again: rhino-9 and rhino-12."""
    narrow = policy(allow("s3:GetObject"))
    writes = allow(
        ["iam:PutRolePolicy", "iam:AttachRolePolicy"],
        "arn:aws:iam::222222222222:role/humans/*",
        Condition=_pin("narrow"),
    )
    users = role("Narrowed", policies=("reader",), boundary="narrow")  # renders narrow in the account
    for extra, escalates in (((), False), ((allow("iam:PutRolePermissionsBoundary", "*"),), True)):
        own = policy(allow("*"), *extra) if extra else SAFE_BOUNDARY
        reader = policy(allow("logs:GetLogEvents"), writes, *extra)
        c = catalog(
            [role("Reader", policies=("reader",), boundary="b"), users],
            {"reader": reader},
            {"b": own, "narrow": narrow},
        )
        text = " ".join(d.message for d in codes(run_checks(c, NOW), "I001") if "role Reader " in d.message)
        assert ("rhino-9 " in text and "rhino-12 " in text) is escalates, text


def test_roles_made_with_a_boundary_broader_than_the_makers_own_escalate() -> None:
    # Reader's boundary allows logs reads and the role writes; "wide" allows everything.
    # Pinned to "wide", CreateRole + AttachRolePolicy make a role that can do all "wide"
    # allows: AdministratorAccess on a /tools/ role, trusted by whom Reader likes.  The
    # pin holds the new role below "wide", not below Reader's own boundary: rhino-9.
    narrow = policy(allow(["logs:Get*", "iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole"]))
    make = allow(
        ["iam:CreateRole", "iam:AttachRolePolicy"], "arn:aws:iam::*:role/tools/*", Condition=_pin("wide")
    )
    c = catalog(
        [role("Reader", policies=("reader",), boundary="narrow")],
        {"reader": policy(allow("logs:GetLogEvents"), make)},
        {"narrow": narrow, "wide": OPEN},
    )
    assert any("rhino-9 " in d.message for d in codes(run_checks(c, NOW), "I001"))
    # Pinned to Reader's own boundary: nothing made exceeds what Reader may have.
    make = allow(
        ["iam:CreateRole", "iam:AttachRolePolicy"], "arn:aws:iam::*:role/tools/*", Condition=_pin("narrow")
    )
    c = catalog(
        [role("Reader", policies=("reader",), boundary="narrow")],
        {"reader": policy(allow("logs:GetLogEvents"), make)},
        {"narrow": narrow, "wide": OPEN},
    )
    assert codes(run_checks(c, NOW), "I001") == []


def test_a_delegated_boundary_broader_than_the_roles_own_makes_passrole_count() -> None:
    # delegated_role_creation pins the roles it makes to "apps" and scopes PassRole to
    # /apps/.  With "apps" no broader than Deployer's own boundary the path is safe (see
    # test_delegated_role_creation_is_safe_and_well_formed); with "apps" allowing
    # everything while Deployer's boundary allows only lambda, Deployer makes an /apps/
    # role with AdministratorAccess, passes it to a function and runs code as it.
    own = policy(allow(["lambda:*", "iam:PassRole"]))
    dev = role("Deployer", policies=("deploy",), boundary="own", delegated=("apps", "/apps/"))
    c = catalog([dev], {"deploy": policy(allow("lambda:*"))}, {"own": own, "apps": OPEN})
    assert any("rhino-15 " in d.message for d in codes(run_checks(c, NOW), "I001"))
    c = catalog(
        [dev], {"deploy": policy(allow("lambda:*"))}, {"own": own, "apps": policy(allow("lambda:Get*"))}
    )
    # (lambda:* keeps rhino-18 and rhino-26, which need no role of the delegation)
    assert not any("rhino-15 " in d.message for d in codes(run_checks(c, NOW), "I001"))


def test_put_boundary_pinned_to_its_own_boundary_opens_no_door() -> None:
    # iam:PutRolePermissionsBoundary on itself, pinned to its own boundary, can only put
    # back the boundary it has: I003 (may remove or edit its own boundary) does not hold.
    # Pinned to a broader one, it does (and I001 path-boundary-put).
    own = policy(allow(["s3:*", "iam:PutRolePermissionsBoundary"]))
    put = allow("iam:PutRolePermissionsBoundary", "arn:aws:iam::*:role/*", Condition=_pin("own"))
    c = catalog([role("Dev", policies=("dev",), boundary="own")], {"dev": policy(put)}, {"own": own})
    diags = run_checks(c, NOW)
    assert codes(diags, "I003") == [] and codes(diags, "I001") == []
    put = allow("iam:PutRolePermissionsBoundary", "arn:aws:iam::*:role/*", Condition=_pin("wide"))
    c = catalog(
        [role("Dev", policies=("dev",), boundary="own")],
        {"dev": policy(put)},
        {"own": own, "wide": policy(allow(["s3:*", "iam:*"]))},
    )
    diags = run_checks(c, NOW)
    assert codes(diags, "I003") and any("path-boundary-put" in d.message for d in codes(diags, "I001"))


def test_a_boundary_without_the_deny_of_the_roles_own_is_broader() -> None:
    """Effective permissions are identity ∩ boundary, and "An explicit deny in either of
    these policies overrides the allow" (IAM User Guide, Permissions boundaries for IAM
    entities).  Dev's own boundary allows everything but s3:* on secrets-*; "wide" allows
    everything without that Deny, so pinned to "wide" Dev can put it on itself and read
    secrets: path-boundary-put.  "public" allows s3:GetObject on public-* only, where
    Dev's Deny names nothing: no broader, and the pin to it is safe."""
    own = policy(allow("*"), deny("s3:*", "arn:aws:s3:::secrets-*"))
    boundaries = {
        "own": own,
        "wide": OPEN,
        "public": policy(allow("s3:GetObject", "arn:aws:s3:::public-*/*")),
        "same": policy(allow("*"), deny(["s3:*", "iam:*"], "arn:aws:s3:::secrets-*")),
    }
    users = [role(f"Uses{name}", policies=("read",), boundary=name) for name in boundaries]  # rendered
    for pinned, escalates in (("wide", True), ("public", False), ("same", False)):
        put = allow(
            "iam:PutRolePermissionsBoundary", "arn:aws:iam::*:role/humans/Dev", Condition=_pin(pinned)
        )
        dev = role("Dev", policies=("dev",), boundary="own")
        read = policy(allow("s3:GetObject"))
        c = catalog([dev, *users], {"dev": policy(allow("s3:GetObject"), put), "read": read}, boundaries)
        diags = [d for d in run_checks(c, NOW) if "role Dev " in d.message]
        found = any("path-boundary-put" in d.message for d in codes(diags, "I001"))
        assert found is escalates, pinned
        assert bool(codes(diags, "I003")) is escalates, pinned


def test_an_acceptance_with_methods_covers_those_paths_only() -> None:
    # Deployer may replace function code (rhino-18) and write role policies on /apps/
    # (rhino-12).  An acceptance naming rhino-18 leaves rhino-12 an error: a pull request
    # that adds a path is not waved through under a reason written for another.
    from rolecat.model import Acceptance

    deploy = policy(
        allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:function:app-*"),
        allow("iam:PutRolePolicy", "arn:aws:iam::*:role/apps/*"),
    )
    for methods, accepted, failing in (
        (("rhino-18",), {"rhino-18"}, {"rhino-12"}),
        ((), {"rhino-18", "rhino-12"}, set()),  # no methods: every path, as before
    ):
        dev = role("Deployer", policies=("deploy",), boundary="b")
        dev = replace(dev, accept=(Acceptance("I001", "app functions run app roles", methods),))
        found = codes(run_checks(catalog([dev], {"deploy": deploy}, {"b": SAFE_BOUNDARY}), NOW), "I001")
        by_method = {d.subject: d for d in found}
        assert set(by_method) == {"rhino-18", "rhino-12"}
        assert {m for m, d in by_method.items() if d.accepted_reason} == accepted
        assert {m for m, d in by_method.items() if d.is_error} == failing


def test_passrole_limited_to_a_service_serves_only_that_services_methods() -> None:
    # iam:PassedToService is the service principal the role is passed to (IAM and STS
    # condition keys); AWS's own PassRole example limits it to ec2.amazonaws.com.  Limited to lambda.amazonaws.com, PassRole cannot start an
    # instance with a role (rhino-3), though the role may still run code as one (rhino-15).
    to_lambda = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    dev = policy(
        allow(["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances"]),
        allow("iam:PassRole", "arn:aws:iam::*:role/services/*", Condition=to_lambda),
    )
    c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": dev}, {"b": SAFE_BOUNDARY})
    methods = {d.subject for d in codes(run_checks(c, NOW), "I001")}
    assert "rhino-15" in methods and "rhino-3" not in methods
    # StringLike with a pattern that names EC2 keeps rhino-3
    to_any = {"StringLike": {"iam:PassedToService": ["lambda.amazonaws.com", "ec2.*"]}}
    dev["Statement"][1]["Condition"] = to_any
    c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": dev}, {"b": SAFE_BOUNDARY})
    methods = {d.subject for d in codes(run_checks(c, NOW), "I001")}
    assert {"rhino-15", "rhino-3"} <= methods
    # In the China Regions EC2's service principal is ec2.amazonaws.com.cn (AWS's managed
    # AWSBatchServiceRole names it as an iam:PassedToService value): PassRole limited to it
    # starts an instance with a role there.
    dev["Statement"][1]["Condition"] = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com.cn"}}
    c = catalog([role("Dev", policies=("dev",), boundary="b")], {"dev": dev}, {"b": SAFE_BOUNDARY})
    methods = {d.subject for d in codes(run_checks(c, NOW), "I001")}
    assert "rhino-3" in methods and "rhino-15" not in methods


def test_past_removal_sets_the_policies_it_might_take_off_are_taken_off_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """lock-a allows detaching lock-b only and lock-b lock-a only; both deny s3:DeleteBucket.
    No order takes both off (the second has lost the only policy allowing its request), so
    no finding; with the search cut short (``REMOVAL_SETS``) both are taken off at once,
    were no Allow lost: a finding that says its order was not tried, never a miss."""
    from rolecat.rules import iam

    def lock(other: str) -> dict[str, Any]:
        named = f"arn:aws:iam::*:policy/*{policy_policy_name(other)}"
        return policy(
            deny("s3:DeleteBucket"),
            allow(
                "iam:DetachRolePolicy",
                "arn:aws:iam::*:role/humans/Locked",
                Condition={"ArnLike": {"iam:PolicyARN": named}},
            ),
        )

    c = catalog(
        [role("Locked", policies=("buckets", "lock-a", "lock-b"), boundary="b")],
        {"buckets": policy(allow("s3:*")), "lock-a": lock("lock-b"), "lock-b": lock("lock-a")},
        {"b": policy(allow(["s3:*", "iam:DetachRolePolicy"]))},
    )
    assert not codes(run_checks(c, NOW), "I001")
    monkeypatch.setattr(iam, "REMOVAL_SETS", 1)
    (finding,) = codes(run_checks(c, NOW), "I001")
    assert (
        "path-detach-own-deny" in finding.message
        and "detaching catalog/policies/lock-a.json and catalog/policies/lock-b.json "
        "(in an order not tried: over 1 sets of its policies) lifts their Denies of s3:DeleteBucket"
        in finding.message
    ), finding.message


def test_roles_sharing_their_policies_are_not_answered_for_each_other() -> None:
    """Alpha and Zeta carry the same policies, so they share one effective set.  guard
    denies s3:DeleteBucket and lets Zeta alone detach it (its grant names Zeta's ARN);
    wide lets both detach wide only.  Both may detach something from themselves, the same
    removal actions, but only Zeta can lift guard's Deny.  The escalation details were
    remembered per effective set, account, boundary, delegation and those actions: Alpha,
    checked first, answered for Zeta, whose escalation was missed."""

    def detach(role_name: str, named: str) -> dict[str, Any]:
        return allow(
            "iam:DetachRolePolicy",
            f"arn:aws:iam::*:role/humans/{role_name}",
            Condition={"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::*:policy/*{policy_policy_name(named)}"}},
        )

    c = catalog(
        [
            role("Alpha", policies=("buckets", "guard", "wide"), boundary="b"),
            role("Zeta", policies=("buckets", "guard", "wide"), boundary="b"),
        ],
        {
            "buckets": policy(allow("s3:*")),
            "guard": policy(deny("s3:DeleteBucket"), detach("Zeta", "guard")),
            "wide": policy(detach("*", "wide")),
        },
        {"b": policy(allow(["s3:*", "iam:DetachRolePolicy"]))},
    )
    found = codes(run_checks(c, NOW), "I001")
    assert [f.message.split()[1] for f in found] == ["Zeta"], [f.message for f in found]
    assert "path-detach-own-deny" in found[0].message and "s3:DeleteBucket" in found[0].message
