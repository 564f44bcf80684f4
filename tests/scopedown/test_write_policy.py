"""Issue 16, item 2: --write-policy in the catalog's layout, the Markdown summary, the opt-in key."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scopedown_cli import run
from scopedown_records import record

from rolecat.pipeline import load_catalog
from rolecat.report.escape import LINK_BREAK
from rolecat.scopedown.optin import opt_ins
from rolecat.scopedown.policyfmt import JsonStyle, detect_style, format_json
from rolecat.scopedown.summary import code, md

ROOT = Path(__file__).resolve().parents[2]
EXPORTER = "arn:aws:iam::333333333333:role/services/ReportExporter"
BUCKET = "example-prod-customer-delivery-acme"
NOW = "2026-11-01T00:00:00Z"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    return tmp_path / "catalog"


def _logs(tmp_path: Path, *keys: str) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    recs = [
        record(
            "dynamodb.amazonaws.com",
            "GetItem",
            issuer=EXPORTER,
            when="2026-10-20T02:00:00Z",
            awsRegion="us-east-1",
            requestParameters={"tableName": "prod-reports"},
        )
    ]
    for i, key in enumerate(keys):
        recs.append(
            record(
                "s3.amazonaws.com",
                "PutObject",
                issuer=EXPORTER,
                when=f"2026-10-2{i}T02:00:00Z",
                event_id=f"put-{i}",
                requestParameters={"bucketName": BUCKET, "key": key},
            )
        )
    (folder / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    return folder


def test_detect_style() -> None:
    texts = [p.read_text() for p in sorted((ROOT / "catalog").glob("*/*.json"))]
    style = detect_style(texts)
    assert style.indent == "  " and style.inline_lists
    tabs = detect_style(['{\n\t"Version": "2012-10-17",\n\t"Statement": [\n\t\t"a"\n\t]\n}\n'])
    assert tabs.indent == "\t" and not tabs.inline_lists
    assert detect_style([]) == JsonStyle()


def test_format_json_layouts_and_escapes_template_delimiters() -> None:
    doc = {
        "Statement": [
            {"Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/{{ x }}/{%y%}"}
        ]
    }
    inline = format_json(doc, JsonStyle(indent="  ", inline_lists=True, width=80))
    assert '"Action": ["s3:GetObject", "s3:PutObject"],' in inline
    assert "{{" not in inline and "{%" not in inline and "%}" not in inline and "}}" not in inline
    assert json.loads(inline) == doc  # a JSON reader sees the same strings
    narrow = format_json(doc, JsonStyle(indent="    ", inline_lists=True, width=30))
    assert '            "s3:GetObject",' in narrow  # too wide for one line: one item per line
    assert json.loads(format_json({"a": "${aws:username}"})) == {"a": "${aws:username}"}
    assert "${aws:username}" in format_json({"a": "${aws:username}"})  # policy variables stay readable


def test_write_policy_in_catalog_style_with_summary(catalog: Path, tmp_path: Path) -> None:
    logs = _logs(tmp_path, "reports/2026/10/a.csv", "reports/2026/10/b.csv")
    body = tmp_path / "body.md"
    code, _, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "ReportExporter",
        "--account",
        "prod",
        "--days",
        "30",
        "--now",
        NOW,
        "--write-policy",
        "report-exporter",
        "--summary",
        str(body),
    )
    assert code == 0, err
    text = (catalog / "policies" / "report-exporter.json").read_text()
    # the catalog's layout: two-space indent, short lists on one line; placeholders for account and region
    assert '"Resource": "arn:aws:dynamodb:{{ region }}:{{ account.id }}:table/prod-reports"' in text
    assert f'"Resource": "arn:aws:s3:::{BUCKET}/reports/2026/10/*"' in text
    assert text.startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n')
    # the rewritten catalog still loads and renders for both accounts
    cat, diags = load_catalog(catalog)
    assert cat is not None and not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    nonprod = cat.rendered[("policy", "report-exporter", "nonprod")].document
    assert "arn:aws:dynamodb:us-east-1:222222222222:table/prod-reports" in json.dumps(nonprod)
    md = body.read_text()
    assert "rewrites `policies/report-exporter.json`" in md
    assert "### Removed: granted, never used (1)" in md and "`Query`" in md
    assert "### Kept because used (2)" in md and "| `s3:PutObject` | 2 |" in md
    # logs:* come from the managed policy, which stays attached: listed apart, not as removed
    assert "### Unused, granted by the role's other policies" in md and "`CreateLogGroup`" in md
    assert "The role is also in `nonprod`" in md
    assert "| Log window | 2026-10-02T00:00:00Z to 2026-11-01T00:00:00Z |" in md
    assert "| Records | 3 parsed, 3 of this role, 0 duplicates |" in md


def test_hostile_key_cannot_become_template_syntax(catalog: Path, tmp_path: Path) -> None:
    logs = _logs(tmp_path, "reports/{{ cycler.__init__ }}/a.csv")
    args = ["--catalog", str(catalog), "--role", "ReportExporter", "--account", "prod", "--exact-resources"]
    code, _, err = run(str(logs), *args, "--write-policy", "report-exporter")
    assert code == 0, err
    cat, diags = load_catalog(catalog)
    assert cat is not None and not [d for d in diags if d.is_error], [d.format_text() for d in diags]
    doc = json.dumps(cat.rendered[("policy", "report-exporter", "prod")].document)
    assert "reports/{{ cycler.__init__ }}/a.csv" in doc  # the literal key, not rendered


def test_shared_policy_is_not_overwritten(catalog: Path, tmp_path: Path) -> None:
    worker = catalog / "roles" / "services" / "Other.yaml"
    worker.write_text(
        "name: Other\nkind: service\naccounts: [prod]\nowners: ['@example/backend']\n"
        "trusted_services: [lambda.amazonaws.com]\npolicies: [report-exporter]\nboundary: app\n"
    )
    logs = _logs(tmp_path, "reports/a.csv")
    before = (catalog / "policies" / "report-exporter.json").read_text()
    code, _, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "ReportExporter",
        "--account",
        "prod",
        "--write-policy",
        "report-exporter",
    )
    assert code == 1 and "SD009" in err and "Other" in err
    assert (catalog / "policies" / "report-exporter.json").read_text() == before


@pytest.mark.parametrize("name", ["..", "...", "-x", "a+b", "a@b", "x" * 129])
def test_write_policy_name_is_one_the_catalog_takes(catalog: Path, tmp_path: Path, name: str) -> None:
    """A name the catalog refuses (L013: a file name starting with a dot; policies: takes
    A-Z a-z 0-9 _ . - only) was written, and validate then failed: a usage error now."""
    logs = _logs(tmp_path, "reports/a.csv")
    before = sorted(p.name for p in (catalog / "policies").iterdir())
    code, _, err = run(
        str(logs),
        "--catalog",
        str(catalog),
        "--role",
        "ReportExporter",
        "--account",
        "prod",
        "--write-policy",
        name,
    )
    assert code == 2 and "a policy name starts with a letter or digit" in err, err
    assert sorted(p.name for p in (catalog / "policies").iterdir()) == before


def test_opted_in_roles(catalog: Path) -> None:
    code, out, _ = run("--opted-in", "--catalog", str(catalog))
    assert code == 0
    assert json.loads(out) == [
        {
            "role": "ReportExporter",
            "account": "prod",
            "account_id": "333333333333",
            "policy": "report-exporter",
            "days": 30,
            "source": str(catalog / "roles" / "services" / "ReportExporter.yaml"),
        }
    ]


@pytest.mark.parametrize(
    ("role_file", "key", "code"),
    [
        ("prod/ProdEngineer.yaml", "scopedown: {policy: prod-engineer}", "SD007"),
        ("services/AppDeployer.yaml", "scopedown: {policy: nope, account: prod}", "SD008"),
        ("services/AppDeployer.yaml", "scopedown: {policy: app-deployer}", "SD010"),
        ("services/AppDeployer.yaml", "scopedown: {policy: app-deployer, account: security}", "SD010"),
    ],
)
def test_opt_in_problems_point_at_the_key(catalog: Path, role_file: str, key: str, code: str) -> None:
    path = catalog / "roles" / role_file
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, key]) + "\n")
    cat, _diags = load_catalog(catalog)
    assert cat is not None
    found, problems = opt_ins(cat)
    assert [o.role for o in found] == ["ReportExporter"]
    assert [p.code for p in problems] == [code]
    loc = problems[0].location
    assert loc is not None and loc.path.endswith(role_file) and loc.line == len(lines) + 1


def test_opt_in_key_is_in_the_schema(catalog: Path) -> None:
    path = catalog / "roles" / "services" / "ReportExporter.yaml"
    path.write_text(path.read_text() + "  weekly: true\n")  # an unknown key inside scopedown:
    _cat, diags = load_catalog(catalog)
    assert any(d.code.startswith("S") and "weekly" in d.message for d in diags)


@given(st.text())
def test_md_escapes_every_metacharacter(text: str) -> None:
    out = md(text).replace(LINK_BREAK, "")  # the empty comments escape.inert writes, our own HTML
    assert "\n" not in out and "\r" not in out
    # every HTML, table, link, code or emphasis character is escaped by a backslash
    unescaped = re.findall(r"(?<!\\)(?:\\\\)*[<>|\[\]`*_]", out)
    assert unescaped == []
    assert not re.match(r"[-+#=>]|\d+[.)]", out)


def test_code_spans() -> None:
    assert code("s3:GetObject") == "`s3:GetObject`"
    assert code("a`b") == "a\\`b"  # never a code span a backtick could close early


def test_scheduled_workflow_example_never_applies() -> None:
    import yaml

    text = (ROOT / "examples" / "github-actions" / "rolecat-scopedown.yml").read_text()
    wf = yaml.safe_load(text)
    assert wf[True]["schedule"][0]["cron"].split()[-1] == "1"  # weekly ("on" is YAML 1.1 true)
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["scopedown"]
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.roles.outputs.matrix) }}"
    runs = " ".join(step.get("run", "") for j in wf["jobs"].values() for step in j["steps"])
    assert "terraform" not in runs and "rolecat plan" not in runs
    assert "--opted-in" in runs and "--write-policy" in runs and "--summary" in runs
    pr = next(s for s in job["steps"] if s.get("uses", "").startswith("peter-evans/create-pull-request"))
    assert pr["with"]["branch"] == "scopedown/${{ matrix.role }}"  # one pull request per role
    # matrix values reach shell scripts only through environment variables
    assert all("${{ matrix" not in step.get("run", "") for step in job["steps"])


@given(st.lists(st.text("ab/-.c", min_size=1, max_size=12), min_size=1, max_size=8))
def test_object_prefix_covers_every_key_and_ends_at_a_folder(keys: list[str]) -> None:
    from rolecat.iam.globs import covers
    from rolecat.scopedown.arns import object_prefixes

    arns = [f"arn:aws:s3:::bucket/{k}" for k in keys]
    (pattern,) = object_prefixes(arns)
    assert pattern.endswith("/*")
    assert all(covers(pattern, a) for a in arns)
    folder = pattern[len("arn:aws:s3:::bucket/") : -1]
    # the narrowest: no longer folder prefix is shared by every key
    assert all(k.startswith(folder) for k in keys)
    longer = [k[: k.index("/", len(folder)) + 1] for k in keys if "/" in k[len(folder) :]]
    assert not (len(longer) == len(keys) and len(set(longer)) == 1)
