"""Renames keep the entity, releases keep it in AWS, replacements are reported (issue 10, items 3 and 4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from rolecat.cli import app
from rolecat.pipeline import load_catalog, render_catalog
from rolecat.targets.terraform import replacements
from rolecat.workflow import profiles

from .support import CATALOG, DOC, NOW, catalog, write


def files(root: Path) -> dict[str, str]:
    _, diags, out = render_catalog(root, NOW)
    assert not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    return {f.path: f.text for f in out}


def moves(text: str) -> list[tuple[str, str]]:
    return re.findall(r"moved \{\n  from = (\S+)\n  to   = (\S+)\n\}", text)


def test_user_rename_is_a_move_and_keeps_the_mfa_device(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        **{
            "users.yaml": "users:\n  alice: {}\n  bob: {}\n  david: {renamed_from: [dave]}\n",
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice, david]\n",
        },
    )
    out = files(root)
    assert moves(out["sec/users.tf"]) == [
        ("aws_iam_user.dave", "aws_iam_user.david"),
        ("aws_iam_user_group_membership.dave", "aws_iam_user_group_membership.david"),
    ]
    assert 'resource "aws_iam_user" "david"' in out["sec/users.tf"]
    # the self-service policy names the device enrolled as dave, for david only
    assert '"arn:aws:iam::111111111111:mfa/dave"' in out["sec/users.tf"]
    assert '"aws:username" = "david"' in out["sec/users.tf"]
    manifest = json.loads(out["manifest.json"])
    david = manifest["accounts"]["sec"]["users"]["david"]
    assert david["mfa_serial"] == "arn:aws:iam::111111111111:mfa/dave"
    assert david["renamed_from"] == ["dave"]
    loaded, _ = load_catalog(root, NOW)
    assert loaded is not None
    found = profiles.profiles_for(loaded, "david", NOW)
    assert found and all(p.mfa_serial == "arn:aws:iam::111111111111:mfa/dave" for p in found)


def test_mfa_device_overrides_the_former_name(tmp_path: Path) -> None:
    root = catalog(
        tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {renamed_from: [b], mfa_device: bob}\n"}
    )
    out = files(root)
    assert "mfa/b" not in out["sec/users.tf"]
    assert json.loads(out["manifest.json"])["accounts"]["sec"]["users"]["bob"]["mfa_serial"].endswith(
        ":mfa/bob"
    )


def test_punctuation_newcomer_never_takes_an_existing_address(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {}\n  gina_x: {}\n"})
    before = files(root)["sec/users.tf"]
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n  gina_x: {}\n  gina.x: {}\n"})
    after = files(root)["sec/users.tf"]
    assert 'resource "aws_iam_user" "gina_x" {\n  name = "gina_x"' in before
    assert 'resource "aws_iam_user" "gina_x" {\n  name = "gina_x"' in after
    assert 'resource "aws_iam_user" "gina_0x" {\n  name = "gina.x"' in after
    # no move may hand gina_x's state to the newcomer
    assert all(src != "aws_iam_user.gina_x" for src, _ in moves(after))


def test_old_labels_move_to_the_new_ones_while_upgrading(tmp_path: Path) -> None:
    """terraform.legacy_labels: the upgrade from rolecat before stable labels."""
    root = catalog(
        tmp_path,
        **{
            "catalog.yaml": CATALOG + "terraform: {legacy_labels: true}\n",
            "users.yaml": "users:\n  alice: {}\n  bob: {}\n  gina.x: {}\n",
            "roles/R.yaml": "name: a.b\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"
            "managed_policies: [job-function/ViewOnlyAccess]\n",
        },
    )
    out = files(root)
    assert moves(out["sec/users.tf"]) == [
        ("aws_iam_user.gina_x", "aws_iam_user.gina_0x"),
        ("aws_iam_user_group_membership.gina_x", "aws_iam_user_group_membership.gina_0x"),
    ]
    assert moves(out["prod/role.a.b.tf"]) == [
        ("aws_iam_role.a_b", "aws_iam_role.a_0b"),
        (
            "aws_iam_role_policy_attachment.a_b__aws_job-function_ViewOnlyAccess",
            "aws_iam_role_policy_attachment.a_0b__aws_job-function_5ViewOnlyAccess",
        ),
    ]
    # without it: no move from an earlier-scheme label
    write(root, {"catalog.yaml": CATALOG})
    out = files(root)
    assert moves(out["sec/users.tf"]) == [] and moves(out["prod/role.a.b.tf"]) == []


def test_a_leaver_and_a_punctuation_twin_joining_in_one_change(tmp_path: Path) -> None:
    """ann_lee leaves and ann.lee joins in one change: ann.lee's label under the earlier
    scheme was ann_lee, ann_lee's address.  A move from it renamed the leaver's IAM user
    into the joiner, keys, password and MFA device included (found in the emulator)."""
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {}\n  ann_lee: {}\n"})
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n  ann.lee: {}\n"})
    out = files(root)
    assert moves(out["sec/users.tf"]) == []
    assert 'resource "aws_iam_user" "ann_0lee"' in out["sec/users.tf"]


def test_a_rename_next_to_a_punctuation_twin_moves_the_renamed_user(tmp_path: Path) -> None:
    """ann_lee is renamed ann_li while ann.lee stays: ann_lee's address is ann_li's former
    label, never ann.lee's earlier-scheme guess (which took it first, and the rename became
    a delete and a create), even while upgrading."""
    for upgrade in ("", "terraform: {legacy_labels: true}\n"):
        root = catalog(
            tmp_path / str(bool(upgrade)),
            **{
                "catalog.yaml": CATALOG + upgrade,
                "users.yaml": "users:\n  alice: {}\n  bob: {}\n  ann.lee: {}\n  ann_li: {renamed_from: [ann_lee]}\n",
            },
        )
        found = moves(files(root)["sec/users.tf"])
        assert ("aws_iam_user.ann_lee", "aws_iam_user.ann_li") in found, found
        assert all(dst != "aws_iam_user.ann_0lee" or src != "aws_iam_user.ann_lee" for src, dst in found)


def test_released_entities_become_removed_blocks(tmp_path: Path) -> None:
    root = catalog(
        tmp_path,
        **{
            "users.yaml": "users:\n  alice: {}\n  bob: {release: true}\n",
            "roles/Old.yaml": "name: Old\naccounts: [prod]\nboundary: gone\nmembers: [alice]\nrelease: true\n",
            "boundaries/gone.json": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            },
        },
    )
    out = files(root)
    released = out["prod/released.tf"]
    assert "removed {\n  from = aws_iam_role.Old\n\n  lifecycle {\n    destroy = false\n  }\n}" in released
    assert "from = aws_iam_policy.boundary_gone" in released
    assert "prod/role.Old.tf" not in out
    assert "from = aws_iam_user.bob" in out["sec/released.tf"]
    assert 'resource "aws_iam_user" "bob"' not in out["sec/users.tf"]
    manifest = json.loads(out["manifest.json"])
    assert manifest["accounts"]["prod"]["released"]["roles"] == ["Old"]
    assert manifest["accounts"]["sec"]["released"]["users"] == ["bob"]


def test_account_name_reaches_no_state_key_and_no_tag(tmp_path: Path) -> None:
    cat = 'organization: acme\nowners: ["@acme/sec"]\naccounts:\n  sec: {id: "111111111111", identity: true}\n  {name}: {id: "333333333333"{extra}}\nterraform:\n  backend: {bucket: acme-state, key_prefix: "iam/"}\n'
    root = catalog(tmp_path, **{"catalog.yaml": cat.replace("{name}", "prod").replace("{extra}", "")})
    before = {p.split("/", 1)[1]: t for p, t in files(root).items() if p.startswith("prod/")}
    write(
        root,
        {
            "catalog.yaml": cat.replace("{name}", "production").replace("{extra}", ", renamed_from: [prod]"),
            "roles/R.yaml": "name: R\naccounts: [production]\nboundary: b\nmembers: [alice]\n",
        },
    )
    after = {p.split("/", 1)[1]: t for p, t in files(root).items() if p.startswith("production/")}
    assert before == after
    assert 'key          = "iam/333333333333.tfstate"' in after["backend.tf"]


def test_replacements_between_catalogs(tmp_path: Path) -> None:
    base_root = catalog(tmp_path / "base")
    head_root = catalog(
        tmp_path / "head",
        **{
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b2\nmembers: [alice]\npath: /people/\n",
            "roles/S.yaml": "name: S\naccounts: [prod]\nboundary: b2\nmembers: [alice]\nrenamed_from: [Old]\n",
            "boundaries/b.json": None,
            "boundaries/b2.json": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            },
        },
    )
    write(base_root, {"roles/Old.yaml": "name: Old\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"})
    base, _ = load_catalog(base_root, NOW)
    head, _ = load_catalog(head_root, NOW)
    assert base is not None and head is not None
    found = replacements.between_catalogs(base, head)
    reasons = {(r.address, r.reason) for r in found}
    assert ("aws_iam_role.R", "role R: path /humans/ -> /people/") in reasons
    assert ("aws_iam_role.S", "role Old renamed to S: IAM cannot rename a role") in reasons
    assert ("aws_iam_policy.boundary_b2", "role R: boundary b renamed to b2") in reasons
    assert all("RoleId" in r.cost for r in found if r.kind == "role")


def test_compile_reports_a_role_path_change_against_the_previous_manifest(tmp_path: Path) -> None:
    root = catalog(tmp_path)
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
    assert run.exit_code == 0, run.output
    write(root, {"catalog.yaml": (root / "catalog.yaml").read_text() + "defaults: {role_path: /people/}\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--check", "--now", "2026-11-28"])
    assert run.exit_code == 1
    assert (
        "warning F001: prod: aws_iam_role.R will be replaced (role R: path /humans/ -> /people/)"
        in run.output
    )
    assert "RoleId" in run.output
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
    assert run.exit_code == 0 and "F001" in run.output
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
    assert "F001" not in run.output  # reported once, against what was compiled before


def test_upgrading_an_out_of_rolecat_before_stable_labels_needs_legacy_labels(tmp_path: Path) -> None:
    """OUT compiled by rolecat before stable labels (manifest_version 1): without
    legacy_labels every relabelled user and role would be destroyed and created, so compile
    refuses (F004); with it, it writes the moves, and once OUT holds a stable manifest it
    says to remove the setting (F005)."""
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {}\n  gina.x: {}\n"})
    out = tmp_path / "out"
    (out / "sec").mkdir(parents=True)
    (out / "sec" / "users.tf").write_text("# the earlier rolecat's\n")
    v1 = {"manifest_version": 1, "files": [{"path": "sec/users.tf", "sha256": "0" * 64}], "accounts": {}}
    (out / "manifest.json").write_text(json.dumps(v1))

    def compile_() -> tuple[int, str]:
        run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
        return run.exit_code, run.output

    code, output = compile_()
    assert code == 1 and "error F004: OUT was last compiled by a rolecat before stable labels" in output
    assert json.loads((out / "manifest.json").read_text())["manifest_version"] == 1  # nothing written
    write(root, {"catalog.yaml": CATALOG + "terraform: {legacy_labels: true}\n"})
    code, output = compile_()
    assert code == 0 and "F004" not in output and "F005" not in output, output
    assert ("aws_iam_user.gina_x", "aws_iam_user.gina_0x") in moves((out / "sec" / "users.tf").read_text())
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n  gina.x: {}\n  zed: {}\n"})
    code, output = compile_()
    assert code == 0 and "warning F005: terraform.legacy_labels is on" in output


def test_renamed_account_carries_its_folder(tmp_path: Path) -> None:
    root = catalog(tmp_path)
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"]).exit_code == 0
    )
    (out / "prod" / ".terraform.lock.hcl").write_text("# lock\n")
    (out / "prod" / ".terraform").mkdir()
    cat = (
        (root / "catalog.yaml")
        .read_text()
        .replace(
            'prod: {id: "333333333333", environment: prod}',
            'production: {id: "333333333333", environment: prod, renamed_from: [prod]}',
        )
    )
    write(
        root,
        {
            "catalog.yaml": cat,
            "roles/R.yaml": "name: R\naccounts: [production]\nboundary: b\nmembers: [alice]\n",
        },
    )
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
    assert run.exit_code == 0, run.output
    assert "W002" not in run.output
    assert (out / "production" / ".terraform.lock.hcl").read_text() == "# lock\n"
    assert (out / "production" / ".terraform").is_dir()
    assert not (out / "prod").exists()


def test_dropping_renamed_from_warns_that_the_mfa_device_would_change(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"users.yaml": "users:\n  alice: {}\n  bob: {renamed_from: [b]}\n"})
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"]).exit_code == 0
    )
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--check", "--now", "2026-11-28"])
    assert "warning F002: user 'bob': MFA device changes from mfa/b to mfa/bob" in run.output
    assert "set mfa_device: b" in run.output
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {mfa_device: b}\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--check", "--now", "2026-11-28"])
    assert "F002" not in run.output


def test_a_version_1_manifest_is_read_for_replacements(tmp_path: Path) -> None:
    """What rolecat before manifest version 2 wrote: per-role documents, hashed files."""
    root = catalog(tmp_path)
    loaded, _ = load_catalog(root, NOW)
    assert loaded is not None
    boundary = {"name": "b", "policy_name": "boundary-b", "file": "boundaries/b.json", "document": {}}
    v1 = {
        "manifest_version": 1,
        "organization": "acme",
        "files": [{"path": "prod/roles.tf", "sha256": "0" * 64}],
        "accounts": {
            "prod": {
                "id": "333333333333",
                "identity": False,
                "roles": {
                    "R": {"path": "/people/", "boundary": boundary, "policies": [], "source": "roles/R.yaml"}
                },
            },
            "sec": {"id": "111111111111", "identity": True, "roles": {}, "users": {}},
        },
    }
    found = replacements.compare(replacements.from_manifest(v1), replacements.from_catalog(loaded))
    assert [(r.address, r.reason) for r in found] == [("aws_iam_role.R", "role R: path /people/ -> /humans/")]


def test_a_release_never_names_an_address_in_use(tmp_path: Path) -> None:
    # gina.x's old label was gina_x, which is gina_x's label now
    root = catalog(
        tmp_path, **{"users.yaml": "users:\n  alice: {}\n  gina_x: {}\n  gina.x: {release: true}\n"}
    )
    released = files(root)["sec/released.tf"]
    assert "from = aws_iam_user.gina_0x" in released
    assert "aws_iam_user.gina_x\n" not in released


def test_compile_reports_a_boundary_rename_against_the_previous_manifest(tmp_path: Path) -> None:
    root = catalog(tmp_path)
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"]).exit_code == 0
    )
    (root / "boundaries" / "b.json").rename(root / "boundaries" / "b2.json")
    write(root, {"roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b2\nmembers: [alice]\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--check", "--now", "2026-11-28"])
    assert (
        "F001: prod: aws_iam_policy.boundary_b2 will be replaced (role R: boundary b renamed to b2)"
        in run.output
    )


def test_a_rename_in_case_only_is_refused_against_the_previous_manifest(tmp_path: Path) -> None:
    # IAM names are unique ignoring case: CreatePolicy boundary-B fails while boundary-b
    # exists (create_before_destroy creates it first), and CreateRole r while R exists.
    # No single apply can make the change, so compile refuses it and writes nothing.
    root = catalog(tmp_path)
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"]).exit_code == 0
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (root / "boundaries" / "b.json").rename(root / "boundaries" / "B.json")
    write(root, {"roles/R.yaml": "name: r\naccounts: [prod]\nboundary: B\nmembers: [alice]\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28"])
    assert run.exit_code == 1, run.output
    assert (
        "error F003: prod: aws_iam_policy.boundary_B cannot be applied (policy boundary-b -> boundary-B: "
        "IAM names differ in case only)" in run.output
    )
    assert "error F003: prod: aws_iam_role.r cannot be applied (role R -> r:" in run.output
    assert "rename in two pull requests" in run.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # nothing written
    # the same names compared between two catalogs (rolecat diff --base): case_only
    base, _ = load_catalog(catalog(tmp_path / "base"), NOW)
    head, _ = load_catalog(root, NOW)
    assert base is not None and head is not None
    assert {r.address for r in replacements.between_catalogs(base, head) if r.case_only} == {
        "aws_iam_policy.boundary_B",
        "aws_iam_role.r",
    }


PINNED = (
    CATALOG
    + """
pinned_policies:
  policies/reports-prod: {name: ReadReports, description: Made by hand}
  boundaries/b: {name: DevBoundary, path: /boundaries/}
"""
)


def _pinned(tmp_path: Path) -> Path:
    return catalog(
        tmp_path,
        **{
            "catalog.yaml": PINNED,
            "policies/reports-prod.json": DOC,
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\npolicies: [reports-prod]\n",
        },
    )


def _rename_pinned_files(root: Path) -> None:
    (root / "policies/reports-prod.json").rename(root / "policies/reports.json")
    (root / "boundaries/b.json").rename(root / "boundaries/dev.json")
    text = (root / "catalog.yaml").read_text()
    write(
        root,
        {
            "catalog.yaml": text.replace("policies/reports-prod:", "policies/reports:").replace(
                "boundaries/b:", "boundaries/dev:"
            ),
            "roles/R.yaml": "name: R\naccounts: [prod]\nboundary: dev\nmembers: [alice]\npolicies: [reports]\n",
        },
    )


def addresses(out: dict[str, str], account: str) -> set[str]:
    return {
        f"{t}.{label}"
        for path, text in out.items()
        if path.startswith(account + "/")
        for t, label in re.findall(r'^resource "(\S+)" "(\S+)"', text, re.M)
    }


def test_a_pinned_policy_keeps_its_address_when_its_file_is_renamed(tmp_path: Path) -> None:
    """A pinned policy is the live IAM policy its pin names: renaming its file (or merging
    per-account files into one) must not move it to another address, which Terraform
    plans as a delete and a create of the same IAM name (CreatePolicy: EntityAlreadyExists,
    after the old policy was deleted)."""
    root = _pinned(tmp_path)
    before = files(root)
    _rename_pinned_files(root)
    after = files(root)
    assert addresses(after, "prod") == addresses(before, "prod")
    assert {
        "aws_iam_policy.pinned_ReadReports",
        "aws_iam_policy.pinned_DevBoundary",
        "aws_iam_role_policy_attachment.R__pinned_ReadReports",
    } <= addresses(after, "prod")
    # state kept under the file's label (rolecat before pins were labelled by IAM name) follows
    assert moves(after["prod/policy.reports.tf"]) == [
        ("aws_iam_policy.policy_reports", "aws_iam_policy.pinned_ReadReports")
    ]
    assert moves(after["prod/role.R.tf"]) == [
        (
            "aws_iam_role_policy_attachment.R__policy_reports",
            "aws_iam_role_policy_attachment.R__pinned_ReadReports",
        )
    ]
    assert moves(after["prod/boundary.dev.tf"]) == [
        ("aws_iam_policy.boundary_dev", "aws_iam_policy.pinned_DevBoundary")
    ]


def test_a_pinned_policy_compiles_again_without_a_false_replacement(tmp_path: Path) -> None:
    """A pinned boundary on its live path without a description (as rolecat import writes
    one for a live policy without a description): the manifest said path "/" and a null
    description its own schema refuses, so the next compile that changed anything stopped
    with W003, and the comparison with it reported a replacement that does not happen (F001)."""
    root = _pinned(tmp_path)
    out = tmp_path / "out"
    now = ["--now", "2026-11-28"]
    assert CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now]).exit_code == 0
    entry = json.loads((out / "manifest.json").read_text())["accounts"]["prod"]["policies"]["DevBoundary"]
    assert (entry["path"], entry["description"]) == ("/boundaries/", None)
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n  carol: {}\n"})
    check = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--check", *now])
    assert "W003" not in check.output and "F001" not in check.output, check.output
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now])
    assert run.exit_code == 0, run.output
    assert "F001" not in run.output


def test_a_pinned_boundary_renamed_is_no_replacement(tmp_path: Path) -> None:
    """Its file renamed, a pinned boundary is the same IAM policy at the same address: no
    F001 (which a boundary renamed, a new IAM name, is), neither from compile nor between
    two catalogs (the access diff)."""
    root = _pinned(tmp_path)
    out = tmp_path / "out"
    now = ["--now", "2026-11-28"]
    assert CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now]).exit_code == 0
    _rename_pinned_files(root)
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now])
    assert run.exit_code == 0 and "F001" not in run.output, run.output
    base, _ = load_catalog(_pinned(tmp_path / "base"), NOW)
    head, _ = load_catalog(root, NOW)
    assert base is not None and head is not None
    assert replacements.between_catalogs(base, head) == []


def test_a_pinned_policy_replaced_under_its_own_name_is_refused(tmp_path: Path) -> None:
    """A pinned policy's description or path changed, its name kept: IAM cannot change
    either, the replacement is created first (create_before_destroy) and CreatePolicy
    refuses the name while the old policy holds it. In the emulator the apply detached
    the policy from its role and then failed (EntityAlreadyExists). Compile refuses it
    (F003) and writes nothing, as for a name changed in case only."""
    root = _pinned(tmp_path)
    out = tmp_path / "out"
    now = ["--now", "2026-11-28"]
    assert CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now]).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    text = (root / "catalog.yaml").read_text()
    for edited in (
        text.replace("description: Made by hand", "description: Reads the reports"),
        text.replace("path: /boundaries/", "path: /guards/"),
    ):
        write(root, {"catalog.yaml": edited})
        run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now])
        assert run.exit_code == 1, run.output
        assert "error F003: prod: aws_iam_policy.pinned_" in run.output
        assert "pin another name" in run.output
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_manifest_before_pinned_labels_is_no_false_replacement(tmp_path: Path) -> None:
    """Before pinned policies had labels of their own, the manifest gave every policy the
    path "/": the pinned boundary on /boundaries/ is not moved by the next compile."""
    root = _pinned(tmp_path)
    out = tmp_path / "out"
    now = ["--now", "2026-11-28"]
    assert CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["accounts"]["prod"]["policies"]["DevBoundary"]
    entry.update({"label": "boundary_b", "path": "/", "description": None})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write(root, {"users.yaml": "users:\n  alice: {}\n  bob: {}\n  carol: {}\n"})
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), *now])
    assert run.exit_code == 0, run.output
    assert "F001" not in run.output and "F003" not in run.output, run.output
