"""Model and render stages on small catalogs written to disk."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from rolecat.deploy import policies
from rolecat.pipeline import load_catalog, render_catalog
from rolecat.targets.terraform.render import RenderedFile

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)

CATALOG = """
organization: acme
owners: ["@acme/sec"]
accounts:
  sec: {id: "111111111111", identity: true}
  prod: {id: "333333333333", environment: prod}
"""
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def write(root: Path, files: dict[str, str | dict[str, object]]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, indent=2) if isinstance(content, dict) else textwrap.dedent(content)
        path.write_text(text, encoding="utf-8")
    return root


def base(tmp_path: Path, role: str, **extra: str | dict[str, object]) -> Path:
    files: dict[str, str | dict[str, object]] = {
        "catalog.yaml": CATALOG,
        "users.yaml": "users:\n  alice: {}\n  bob: {}\n  carol: {}\n",
        "boundaries/b.json": BOUNDARY,
        "roles/R.yaml": role,
    }
    files.update(extra)
    return write(tmp_path / "cat", files)


def codes(path: Path) -> list[str]:
    _, diags = load_catalog(path, NOW)
    return [d.code for d in diags]


def files_of(path: Path) -> dict[str, str]:
    _, diags, files = render_catalog(path, NOW)
    assert not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    return {f.path: f.text for f in files if isinstance(f, RenderedFile)}


def test_trust_policy_members_and_temporary_members_grouped_by_until(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        """
        name: R
        accounts: [prod]
        boundary: b
        members: [alice]
        temporary_members:
          - {user: bob, until: 2099-01-01, reason: A}
          - {user: carol, until: "2099-01-01T00:00:00Z", reason: B}
        """,
    )
    catalog, diags = load_catalog(root, NOW)
    assert catalog is not None and not [d for d in diags if d.is_error]
    trust = policies.trust_policy(catalog, catalog.roles[0])
    members, temps = trust["Statement"]
    assert members["Principal"] == {"AWS": "arn:aws:iam::111111111111:user/alice"}
    assert members["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert members["Condition"]["StringLike"] == {"sts:RoleSessionName": "${aws:username}"}
    assert "BoolIfExists" not in json.dumps(trust)
    assert temps["Principal"]["AWS"] == [
        "arn:aws:iam::111111111111:user/bob",
        "arn:aws:iam::111111111111:user/carol",
    ]
    assert temps["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2099-01-01T00:00:00Z"}


def test_source_identity_and_session_tags(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\nsession_tags: true\nsource_identity: true\n",
    )
    catalog, _ = load_catalog(root, NOW)
    assert catalog is not None
    stmt = policies.trust_policy(catalog, catalog.roles[0])["Statement"][0]
    assert stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    assert stmt["Condition"]["StringEquals"] == {"sts:SourceIdentity": "${aws:username}"}
    grant = policies.assume_roles_policy(catalog)
    actions = {s["Action"]: s["Resource"] for s in grant["Statement"]}
    assert actions["sts:SetSourceIdentity"] == ["arn:aws:iam::333333333333:role/humans/R"]
    assert actions["sts:AssumeRole"] == ["arn:aws:iam::333333333333:role/humans/*"]


def test_placeholders_rendered_per_account_and_aws_variables_untouched(tmp_path: Path) -> None:
    pol = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::{{ organization }}-{{ account.environment }}-{{ account.id }}/${aws:username}/*",
            }
        ],
    }
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: b\npolicies: [p]\nmembers: [alice]\n",
        **{"policies/p.json": pol},
    )
    out = files_of(root)
    assert '"arn:aws:s3:::acme-prod-333333333333/$${aws:username}/*"' in out["prod/policy.p.tf"]


@pytest.mark.parametrize(
    "payload",
    [
        "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
        "{% for x in range(3) %}{% endfor %}",
        "{{ 7*7 }}",
    ],
)
def test_template_syntax_is_refused_and_nothing_runs(
    tmp_path: Path, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pol = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": payload}],
    }
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: b\npolicies: [p]\nmembers: [alice]\n",
        **{"policies/p.json": pol},
    )
    assert "T001" in codes(root)
    assert not (tmp_path / "PWNED").exists()


def test_environment_placeholder_without_value(tmp_path: Path) -> None:
    pol = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{{ account.environment }}"}],
    }
    root = base(
        tmp_path,
        "name: R\naccounts: [sec]\nboundary: b\npolicies: [p]\nmembers: [alice]\n",
        **{"policies/p.json": pol},
    )
    assert "T002" in codes(root)


def test_references_and_rules(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        "name: R\naccounts: [prd]\nboundary: nope\nmembers: [zed]\nmanaged_policies: [ViewOnlyAccess, NoSuchPolicy]\n",
    )
    found = codes(root)
    for code in ("C010", "C012", "C013", "C014"):
        assert code in found


def test_managed_policy_names_with_paths_resolve(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\nmanaged_policies: [job-function/ViewOnlyAccess, ReadOnlyAccess]\n",
    )
    catalog, _ = load_catalog(root, NOW)
    assert catalog is not None
    assert catalog.roles[0].managed_policy_arns == (
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    )


def test_boundary_required_unless_admin_and_service_rules(tmp_path: Path) -> None:
    assert "C016" in codes(base(tmp_path / "a", "name: R\naccounts: [prod]\nmembers: [alice]\n"))
    found = codes(
        base(tmp_path / "b", "name: R\nkind: service\naccounts: [prod]\nboundary: b\nmembers: [alice]\n")
    )
    assert found.count("C018") == 2  # members not allowed, trusted_services missing


def test_duplicate_role_names_case_insensitive(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\n",
        **{"roles/other/r.yaml": "name: r\naccounts: [prod, sec]\nboundary: b\nmembers: [bob]\n"},
    )
    assert "C015" in codes(root)


def test_identity_account_gets_users_group_and_policies(tmp_path: Path) -> None:
    root = base(tmp_path, "name: R\naccounts: [prod]\nboundary: b\nmembers: [alice]\n")
    out = files_of(root)
    users = out["sec/users.tf"]
    assert 'resource "aws_iam_user" "alice"' in users
    assert 'resource "aws_iam_user_group_membership" "alice"' in users
    assert '"arn:aws:iam::111111111111:mfa/$${aws:username}"' in users
    assert "users.tf" not in " ".join(p for p in out if p.startswith("prod/"))
    manifest = json.loads(out["manifest.json"])
    assert manifest["apply_order"][0] == "sec"
    assert set(manifest["files"]) == set(out) - {"manifest.json"}


def test_output_is_deterministic(tmp_path: Path) -> None:
    root = base(tmp_path, "name: R\naccounts: [prod, sec]\nboundary: b\nmembers: [bob, alice]\n")
    assert files_of(root) == files_of(root)


def test_labels_of_names_that_sanitise_alike_do_not_collide(tmp_path: Path) -> None:
    root = base(
        tmp_path,
        "name: a.b\naccounts: [prod]\nboundary: b\nmembers: [alice]\n",
        **{"roles/x.yaml": "name: a_b\naccounts: [prod]\nboundary: b\nmembers: [alice]\n"},
    )
    roles_tf = "".join(t for p, t in files_of(root).items() if p.startswith("prod/role."))
    labels = [
        line.split('"')[3] for line in roles_tf.splitlines() if line.startswith('resource "aws_iam_role" ')
    ]
    assert len(labels) == len(set(labels)) == 2


def test_effective_admin_is_one_finding_not_a_flood_of_escalations(tmp_path: Path) -> None:
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    root = base(
        tmp_path,
        "name: R\naccounts: [prod]\nboundary: wide\nmembers: [alice]\nmanaged_policies: [PowerUserAccess, IAMFullAccess]\n",
        **{"boundaries/wide.json": wide},
    )
    found = codes(root)
    assert "I002" in found
    assert "I001" not in found


def test_escalation_cut_off_by_the_boundary_is_not_reported(tmp_path: Path) -> None:
    pol = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "s3:GetObject"], "Resource": "*"}
        ],
    }
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    narrow = base(
        tmp_path / "n",
        "name: R\naccounts: [prod]\nboundary: b\npolicies: [p]\nmembers: [alice]\n",
        **{"policies/p.json": pol},
    )
    broad = base(
        tmp_path / "w",
        "name: R\naccounts: [prod]\nboundary: wide\npolicies: [p]\nmembers: [alice]\n",
        **{"policies/p.json": pol, "boundaries/wide.json": wide},
    )
    assert "I001" not in codes(narrow)
    assert "I001" in codes(broad)


def test_manifest_matches_its_written_schema() -> None:
    """manifest.json is built by its own module and checked against the schema `rolecat schema manifest` prints."""
    import jsonschema

    from rolecat.targets.terraform.manifest import schema_problem, schema_text

    catalog, diags, files = render_catalog(Path(__file__).resolve().parents[2] / "catalog", NOW)
    assert catalog is not None, diags
    data = json.loads(files[-1].text)
    assert files[-1].path == "manifest.json"
    jsonschema.Draft202012Validator(json.loads(schema_text())).validate(data)
    assert schema_problem(data) is None
    data["files"][0] = "../escape.tf"
    assert schema_problem(data) is not None
    del data["files"]
    assert "files" in (schema_problem(data) or "")


def test_a_role_file_is_rendered_once_for_accounts_that_read_the_same() -> None:
    """role.tf.j2 reads only the role's RoleFile (its view minus what differs by account):
    a role's file is rendered once for the accounts that give equal ones, and again where
    they differ (AppDeployer's delegated role creation names each account).  Every account
    rendered by a renderer of its own, with nothing to reuse, gives the same bytes."""
    from jinja2 import meta

    from rolecat.deploy.deployment import build_deployment
    from rolecat.targets.terraform.render import TerraformRenderer, account_view, environment

    root = Path(__file__).resolve().parents[2] / "catalog"
    catalog, _ = load_catalog(root, NOW)
    assert catalog is not None
    deployment = build_deployment(catalog)
    files = {f.path: f.data for f in TerraformRenderer(catalog, deployment).render()}
    alone: dict[str, bytes] = {}
    for deployed in deployment.accounts.values():
        renderer = TerraformRenderer(catalog, deployment)
        alone.update((f.path, f.data) for f in renderer.render_account(account_view(renderer, deployed)))
    assert alone == {p: d for p, d in files.items() if p != "manifest.json"}
    assert files["prod/role.Admin.tf"] is files["nonprod/role.Admin.tf"] is files["security/role.Admin.tf"]
    assert files["prod/role.AppDeployer.tf"] != files["nonprod/role.AppDeployer.tf"]

    env = environment()
    source = env.loader.get_source(env, "role.tf.j2")[0]
    # rv, the header global, and the moves macro it imports (inside an if: meta lists it)
    assert meta.find_undeclared_variables(env.parse(source)) <= {"rv", "header", "moves"}


@pytest.mark.parametrize(
    "catalog", ["catalog", "tests/golden/inputs/deploy-roles", "tests/golden/inputs/labels-and-escapes"]
)
def test_the_manifest_lists_every_file_rendered(catalog: str) -> None:
    """The render makes the manifest from the files' paths (``TerraformRenderer.render``):
    it lists exactly the files the render gives, but itself."""
    from rolecat.targets.terraform.render import render

    loaded, _ = load_catalog(Path(__file__).resolve().parents[2] / catalog, NOW)
    assert loaded is not None
    files = render(loaded)
    assert files[-1].path == "manifest.json"
    assert json.loads(files[-1].data)["files"] == sorted(f.path for f in files[:-1])
    assert len({f.path for f in files}) == len(files)
