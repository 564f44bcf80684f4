"""`make bench`: compile time of a large catalog vs. merely parsing its files, and start-up.

Prints: wall time of `rolecat compile` (fresh process), wall time of a fresh process that
only parses the same YAML (libyaml) and JSON files, their ratio (target <= 3), and the
median start-up time of `rolecat --help` (target < 0.3 s).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_catalog import generate

BIN = Path(sys.executable).parent
PARSE_ONLY = r"""
import json, sys, yaml
from pathlib import Path
root = Path(sys.argv[1])
n = 0
for p in sorted(root.rglob("*")):
    if p.suffix == ".yaml":
        yaml.load(p.read_text(), Loader=yaml.CSafeLoader); n += 1
    elif p.suffix == ".json":
        json.loads(p.read_text()); n += 1
print(n)
"""


def timed(cmd: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "catalog")
        files = sum(1 for p in root.rglob("*") if p.is_file())
        out = Path(tmp) / "out"
        rolecat = str(BIN / "rolecat")
        # first compile writes everything; later ones compare and rewrite nothing
        compile_s = timed([rolecat, "compile", str(root), "-o", str(out), "--now", "2026-01-01"], runs=1)
        fresh = [
            rolecat,
            "compile",
            str(root),
            "-o",
            str(Path(tmp) / "out2"),
            "--force",
            "--now",
            "2026-01-01",
        ]
        validate_s = timed([rolecat, "validate", str(root), "--now", "2026-01-01"])
        parse_s = timed([sys.executable, "-c", PARSE_ONLY, str(root)])
        tf = sum(1 for _ in out.rglob("*.tf"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        help_runs = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run([rolecat, "--help"], check=True, capture_output=True)
            help_runs.append(time.perf_counter() - start)
        del fresh
    print(f"catalog: {files} files (6 accounts, 1,000 roles x 3 accounts, 1,200 users)")
    print(f"output: {tf} .tf files, {size / 1e6:.1f} MB")
    print(f"rolecat compile (fresh process):  {compile_s:6.2f} s")
    print(f"rolecat validate (fresh process): {validate_s:6.2f} s")
    print(f"parse only, libyaml + json:       {parse_s:6.2f} s")
    print(f"ratio compile / parse:            {compile_s / parse_s:6.2f}  (target <= 3)")
    print(f"rolecat --help start-up (median of 7): {statistics.median(help_runs):.3f} s  (target < 0.3 s)")


if __name__ == "__main__":
    main()
