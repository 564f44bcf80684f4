"""Issue 14's entities under the stable identities of issue 10: OIDC providers, instance
profiles and the password policy get labels from labels.py, files of their own or their
role's, manifest entries, removed blocks on release and replacement warnings (F001)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rolecat.cli import app
from rolecat.pipeline import load_catalog, render_catalog
from rolecat.targets.terraform import labels, replacements
from rolecat.targets.terraform.manifest import schema_problem

from .support import NOW, catalog, write

ROOT = Path(__file__).resolve().parents[2]
GITHUB = "token.actions.githubusercontent.com"
PROVIDERS = """
identity_providers:
  github: {type: github}
  corp: {type: oidc, url: "https://ci.example.com/oidc", audiences: [aws]}
"""
CI_ROLE = """
name: Ci
kind: service
accounts: [prod]
boundary: b
federated:
  - {provider: github, subjects: ["repo:acme/app:ref:refs/heads/main"]}
"""
WEB_ROLE = """
name: Web.Host
kind: service
accounts: [prod]
boundary: b
trusted_services: [ec2.amazonaws.com]
"""


def files(root: Path) -> dict[str, str]:
    _, diags, out = render_catalog(root, NOW)
    assert not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    return {f.path: f.text for f in out}


def with_providers(root: Path, providers: str = PROVIDERS) -> Path:
    text = (root / "catalog.yaml").read_text("utf-8")
    return write(root, {"catalog.yaml": text + providers})


def compile_(root: Path, out: Path, *extra: str) -> str:
    run = CliRunner().invoke(app, ["compile", str(root), "-o", str(out), "--now", "2026-11-28", *extra])
    assert run.exit_code in (0, 1), run.output
    return run.output


def test_labels_of_the_new_kinds_are_pure_and_decode_back() -> None:
    assert labels.oidc_provider(GITHUB) == "token_0actions_0githubusercontent_0com"
    assert labels.decode(labels.oidc_provider("ci.example.com/oidc")) == "ci.example.com/oidc"
    assert labels.instance_profile("Web.Host") == "Web_0Host"
    assert labels.instance_profile("Web_Host") != labels.instance_profile("Web.Host")
    assert labels.PASSWORD_POLICY == "this"


def test_each_provider_has_its_own_file_and_the_role_waits_for_it(tmp_path: Path) -> None:
    root = with_providers(catalog(tmp_path, **{"roles/Ci.yaml": CI_ROLE}))
    out = files(root)
    provider = out["prod/oidc.github.tf"]
    assert f'resource "aws_iam_openid_connect_provider" "{labels.oidc_provider(GITHUB)}" {{' in provider
    assert "prod/oidc.corp.tf" not in out  # no role of prod trusts it
    assert (
        f"depends_on = [aws_iam_openid_connect_provider.{labels.oidc_provider(GITHUB)}]"
        in out["prod/role.Ci.tf"]
    )
    assert "aws_iam_account_password_policy" in out["sec/password_policy.tf"]
    assert "aws_iam_account_password_policy" not in out["sec/users.tf"]
    manifest = json.loads(out["manifest.json"])
    assert schema_problem(manifest) is None
    entry = manifest["accounts"]["prod"]["oidc_providers"]["github"]
    assert entry["arn"] == f"arn:aws:iam::333333333333:oidc-provider/{GITHUB}"
    assert entry["file"] == "prod/oidc.github.tf" and entry["audiences"] == ["sts.amazonaws.com"]
    assert manifest["accounts"]["sec"]["password_policy"]["file"] == "sec/password_policy.tf"
    assert manifest["accounts"]["prod"]["roles"]["Ci"]["federated"] == [
        {"provider": "github", "subjects": ["repo:acme/app:ref:refs/heads/main"]}
    ]
    assert "oidc_providers" not in manifest["accounts"]["sec"]


def test_renaming_a_provider_entry_keeps_its_address(tmp_path: Path) -> None:
    root = with_providers(catalog(tmp_path, **{"roles/Ci.yaml": CI_ROLE}))
    before = files(root)
    write(
        root,
        {
            "catalog.yaml": (root / "catalog.yaml").read_text().replace("github: {type", "gha: {type"),
            "roles/Ci.yaml": CI_ROLE.replace("provider: github", "provider: gha"),
        },
    )
    after = files(root)
    assert after["prod/oidc.gha.tf"] == before["prod/oidc.github.tf"].replace(
        "OIDC identity provider github", "OIDC identity provider gha"
    )
    assert after["prod/role.Ci.tf"] == before["prod/role.Ci.tf"].replace(
        "WebIdentityGithub", "WebIdentityGha"
    )


def test_a_federated_trust_is_stated_per_account_in_the_manifest() -> None:
    manifest = json.loads((ROOT / "tests/golden/labels-and-escapes/manifest.json").read_text("utf-8"))
    assert schema_problem(manifest) is None
    eu = manifest["accounts"]["dev-eu"]["roles"]["CiDeploy"]["trust_policy"]
    two = manifest["accounts"]["dev-two"]["roles"]["CiDeploy"]["trust_policy"]
    assert (eu, two) == ("trust/CiDeploy@dev-eu", "trust/CiDeploy@dev-two")
    assert "222222222222" in json.dumps(manifest["documents"][eu])
    assert "333333333333" in json.dumps(manifest["documents"][two])
    # a trust that is the same everywhere keeps one key
    assert manifest["accounts"]["dev-two"]["roles"]["Builder"]["trust_policy"] == "trust/Builder"


def test_instance_profile_in_the_roles_file_and_released_with_it(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"roles/Web.yaml": WEB_ROLE})
    out = files(root)
    role_file = out["prod/role.Web.Host.tf"]
    assert 'resource "aws_iam_instance_profile" "Web_0Host" {' in role_file
    assert "role = aws_iam_role.Web_0Host.id" in role_file
    manifest = json.loads(out["manifest.json"])
    assert manifest["accounts"]["prod"]["roles"]["Web.Host"]["instance_profile"] == {
        "name": "Web.Host",
        "label": "Web_0Host",
    }
    write(root, {"roles/Web.yaml": WEB_ROLE + "release: true\n"})
    released = files(root)["prod/released.tf"]
    assert "from = aws_iam_instance_profile.Web_0Host" in released
    assert "from = aws_iam_role.Web_0Host" in released


def test_duplicate_issuer_is_c007(tmp_path: Path) -> None:
    root = with_providers(
        catalog(tmp_path),
        "identity_providers:\n  a: {type: github}\n  b:\n    type: oidc\n"
        "    url: https://TOKEN.actions.githubusercontent.com\n    audiences: [x]\n",
    )
    _, diags = load_catalog(root, NOW)
    # the schema refuses an upper-case host; the same issuer twice is the model's C007
    assert [d.code for d in diags if d.is_error] == ["S005"]
    write(
        root,
        {
            "catalog.yaml": (root / "catalog.yaml")
            .read_text()
            .replace("https://TOKEN.actions", "https://token.actions")
        },
    )
    _, diags = load_catalog(root, NOW)
    found = [d for d in diags if d.code == "C007"]
    assert len(found) == 1 and found[0].is_error
    assert "identity provider 'b' has the issuer https://token.actions.githubusercontent.com of 'a'" in (
        found[0].message
    )
    assert (found[0].location.line, found[0].location.col) == (9, 3)


def test_replacements_of_oidc_url_and_instance_profile(tmp_path: Path) -> None:
    base_root = with_providers(
        catalog(
            tmp_path / "base",
            **{"roles/Ci.yaml": CI_ROLE.replace("github", "corp"), "roles/Web.yaml": WEB_ROLE},
        )
    )
    head_root = with_providers(
        catalog(
            tmp_path / "head",
            **{
                "roles/Ci.yaml": CI_ROLE.replace("github", "corp"),
                "roles/Web.yaml": WEB_ROLE + "path: /web/\n",
            },
        ),
        PROVIDERS.replace("https://ci.example.com/oidc", "https://ci2.example.com"),
    )
    base, _ = load_catalog(base_root, NOW)
    head, _ = load_catalog(head_root, NOW)
    assert base is not None and head is not None
    found = {(r.kind, r.address, r.reason) for r in replacements.between_catalogs(base, head)}
    assert (
        "oidc_provider",
        "aws_iam_openid_connect_provider.ci2_0example_0com",
        "OIDC provider corp: url https://ci.example.com/oidc -> https://ci2.example.com",
    ) in found
    assert (
        "instance_profile",
        "aws_iam_instance_profile.Web_0Host",
        "instance profile of role Web.Host: path /services/ -> /web/",
    ) in found
    assert ("role", "aws_iam_role.Web_0Host", "role Web.Host: path /services/ -> /web/") in found


def test_compile_warns_when_a_renamed_ec2_role_replaces_its_profile(tmp_path: Path) -> None:
    root = catalog(tmp_path, **{"roles/Web.yaml": WEB_ROLE})
    out = tmp_path / "out"
    compile_(root, out)
    write(root, {"roles/Web.yaml": WEB_ROLE.replace("Web.Host", "WebHost") + "renamed_from: [Web.Host]\n"})
    output = compile_(root, out, "--check")
    assert (
        "F001: prod: aws_iam_instance_profile.WebHost will be replaced "
        "(instance profile of role WebHost: name Web.Host -> WebHost)" in output
    )
    assert "lose the role's credentials" in output


def test_a_provider_only_released_roles_trust_is_released_too(tmp_path: Path) -> None:
    # the released role stays in AWS trusting the provider: deleting it would lock CI out
    root = with_providers(catalog(tmp_path, **{"roles/Ci.yaml": CI_ROLE + "release: true\n"}))
    out = files(root)
    assert "prod/oidc.github.tf" not in out
    assert f"from = aws_iam_openid_connect_provider.{labels.oidc_provider(GITHUB)}" in out["prod/released.tf"]
    # while a managed role still trusts it, it stays managed
    write(root, {"roles/Ci2.yaml": CI_ROLE.replace("name: Ci", "name: Ci2")})
    out = files(root)
    assert "prod/oidc.github.tf" in out
    assert "aws_iam_openid_connect_provider" not in out["prod/released.tf"]
