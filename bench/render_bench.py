"""`make bench`: the render stage alone, in process (Terraform text and manifest from a loaded catalog).

Builds the benchmark catalog (bench/gen_catalog.py), loads and checks it once, then times
``TerraformRenderer(catalog, deployment).render()`` -- views, Jinja templates, HCL layout
and manifest.json -- writing nothing.  The figure is the median CPU time (user + system)
of N renders, each with a fresh renderer (no cache carried over) and the cyclic garbage
collector off, as ``rolecat`` runs (cli.main).  The first render of the process, which
also compiles the Jinja templates, is left out.

    python bench/render_bench.py [--runs 5] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_catalog import generate

from rolecat.pipeline import load
from rolecat.targets.terraform.render import TerraformRenderer

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def bench_size(roles: int, runs: int, tmp: Path) -> str:
    loaded = load(generate(tmp / f"catalog{roles}", roles=roles), NOW)
    if loaded.catalog is None or loaded.deployment is None:
        raise SystemExit(f"the {roles}-role bench catalog does not load")
    files = TerraformRenderer(loaded.catalog, loaded.deployment).render()  # compiles the templates
    size = sum(len(f.text.encode("utf-8")) for f in files)
    times = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        start = time.process_time()
        TerraformRenderer(loaded.catalog, loaded.deployment).render()
        times.append(time.process_time() - start)
        gc.enable()
    return (
        f"{roles:>7,} roles: {len(files):,} files, {size / 1e6:.1f} MB; "
        f"render CPU median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f} ms), {statistics.median(times) / len(files) * 1e6:.0f} us per file"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    print(
        f"render stage in process: median CPU of {args.runs} renders after a first one, "
        "a fresh TerraformRenderer each, garbage collector off (as rolecat runs)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for roles in (int(s) for s in args.sizes.split(",") if s):
            print(bench_size(roles, args.runs, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
