"""Generate a large, valid catalog for benchmarks: 6 accounts, ~1,000 roles each deployed
to 3 accounts, 1,200 users, shared policies and boundaries.  Deterministic (seeded)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sns:Publish",
    "logs:PutLogEvents",
    "logs:CreateLogStream",
    "cloudwatch:PutMetricData",
    "kms:Decrypt",
    "ec2:DescribeInstances",
    "ecs:DescribeServices",
    "lambda:GetFunction",
    "cloudwatch:DescribeAlarms",
    "logs:FilterLogEvents",
]


def generate(root: Path, roles: int = 1000, users: int = 1200, accounts: int | None = None) -> Path:
    """Each role goes to 3 accounts; above 1,000 roles there are more accounts (at most
    2,500 roles each) and the catalog raises its roles-per-account quota to AWS's 5,000."""
    if accounts is None:
        accounts = max(6, -(-roles * 3 // 2500))
    rng = random.Random(42)
    root.mkdir(parents=True, exist_ok=True)
    names = ["identity"] + [f"workload-{i}" for i in range(1, accounts)]
    lines = [
        "organization: bench",
        'owners: ["@bench/security"]',
        "defaults: {region: us-east-1}",
        "quotas: {trust_policy_size: 4096" + (", roles_per_account: 5000}" if roles > 1000 else "}"),
        "accounts:",
    ]
    for i, n in enumerate(names):
        ident = ", identity: true" if i == 0 else ""
        lines.append(f'  {n}: {{id: "{100000000000 + i:012d}", environment: env{i}{ident}}}')
    lines += [
        "terraform:",
        "  deploy_role: TerraformDeploy",
        "  backend: {bucket: bench-state, key_prefix: iam/}",
    ]
    (root / "catalog.yaml").write_text("\n".join(lines) + "\n")
    user_names = [f"user{i:04d}" for i in range(users)]
    (root / "users.yaml").write_text(
        "users:\n"
        + "".join(
            f"  {u}: {{email: {u}@example.com, team: team{i % 40}}}\n" for i, u in enumerate(user_names)
        )
    )
    (root / "policies").mkdir(exist_ok=True)
    (root / "boundaries").mkdir(exist_ok=True)
    for p in range(60):
        acts = sorted(rng.sample(ACTIONS, 5))
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Main", "Effect": "Allow", "Action": acts, "Resource": "*"},
                {
                    "Sid": "Scoped",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": f"arn:aws:s3:::{{{{ organization }}}}-{{{{ account.name }}}}-data-{p}/*",
                },
            ],
        }
        (root / "policies" / f"p{p:02d}.json").write_text(json.dumps(doc, indent=2) + "\n")
    for b in range(20):
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Allowed", "Effect": "Allow", "Action": sorted(set(ACTIONS)), "Resource": "*"},
                {"Sid": "NoIAM", "Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"},
            ],
        }
        (root / "boundaries" / f"b{b:02d}.json").write_text(json.dumps(doc, indent=2) + "\n")
    workload = names[1:]
    for r in range(roles):
        d = root / "roles" / f"team{r % 40:02d}"
        d.mkdir(parents=True, exist_ok=True)
        accts = sorted(rng.sample(names, 3))
        members = sorted(rng.sample(user_names, rng.randint(2, 8)))
        pols = sorted(rng.sample(range(60), rng.randint(1, 3)))
        text = (
            f"name: Role{r:04d}\n"
            f"description: Benchmark role {r}\n"
            f"accounts: [{', '.join(accts)}]\n"
            f'owners: ["@bench/team{r % 40}"]\n'
            f"policies: [{', '.join(f'p{p:02d}' for p in pols)}]\n"
            f"boundary: b{r % 20:02d}\n"
            f"members: [{', '.join(members)}]\n"
        )
        if r % 10 == 0:
            text += f"temporary_members:\n  - user: {rng.choice(user_names)}\n    until: 2099-01-{1 + r % 28:02d}\n    reason: bench\n"
        (d / f"Role{r:04d}.yaml").write_text(text)
    del workload
    return root


# The fewest users a catalog is generated with: a role has up to 8 members, drawn without repeats.
MIN_USERS = 8


def main() -> None:
    import argparse

    def at_least(least: int) -> Callable[[str], int]:
        def number(text: str) -> int:
            value = int(text)
            if value < least:
                raise argparse.ArgumentTypeError(f"{text} is less than {least}")
            return value

        return number

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, help="where to write the catalog (created; must not exist)")
    parser.add_argument("--roles", type=at_least(1), default=1000, help="number of roles (default 1000)")
    parser.add_argument(
        "--users",
        type=at_least(MIN_USERS),
        default=1200,
        help=f"number of users (default 1200, at least {MIN_USERS})",
    )
    args = parser.parse_args()
    if args.folder.exists():
        parser.error(f"{args.folder} exists: give a folder that does not")
    generate(args.folder, roles=args.roles, users=args.users)
    print(f"wrote {args.roles:,} roles and {args.users:,} users to {args.folder}")


if __name__ == "__main__":
    main()
