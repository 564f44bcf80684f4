"""`make bench`: compile and validate against the parse floor, start-up, peak memory.

Every figure is a ratio to a floor measured in the same run, in paired runs: in run i
each rolecat command is timed right after a floor of its own, and its ratio of run i is
command_i / floor_i; the figure printed is the median of the N ratios (and, beside it,
the median time).  A pair shares the machine's load of the moment, so the ratio is much
steadier than either time on a shared machine; a floor of its own per command keeps a
command from being paired with a floor taken before another command's minute of writing
files (a fresh compile at 10,000 roles creates 31,000).

Before each timed process the file systems are synced (``os.sync``, not timed): a
fresh compile leaves tens of megabytes of dirty pages, and the kernel's write-back would
otherwise land on whichever command runs next.  Nothing the runs write is deleted before
every size is measured: on a file system mounted with online discard (``discard``, as
this project's machines are), creating 31,000 files right after deleting as many took
3.6 times as long as into a disk that had deleted nothing, and 7.5 times as long 20 s
later, which would charge each run for the deletion of the run before.

Floors:

* catalog commands: a fresh ``python`` process that parses the same catalog's YAML
  files with PyYAML's C loader (``yaml.CSafeLoader``) and its JSON files with ``json``;
* ``rolecat --help`` and ``validate`` of the example catalog: a fresh ``python -c pass``
  (the interpreter's own start-up); their targets are absolute times, printed too.

Peak memory is the child's ``ru_maxrss`` (``os.wait4``) of a fresh compile; the figure
per role is the growth between the 1,000- and 10,000-role catalogs divided by 9,000.
rolecat forks helpers that share its pages copy-on-write (``rolecat.background``); Linux
reports the largest of the processes' peaks, so pages a helper copies are not added: the
bench also prints the peak sum of PSS over all of rolecat's processes, sampled.

    python bench/compile_bench.py [--runs 5] [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_catalog import generate

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROLECAT = str(BIN / "rolecat")
NOW = "2026-01-01"
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
# The parse floor, plus creating the files a fresh compile creates, with the same bytes.
PARSE_AND_WRITE = (
    PARSE_ONLY
    + r"""
import os
src, dst = Path(sys.argv[2]), Path(sys.argv[3])
files = [(p.relative_to(src), p.read_bytes()) for p in sorted(src.rglob("*")) if p.is_file()]
for rel, data in files:
    (dst / rel).parent.mkdir(parents=True, exist_ok=True)
    (dst / rel).write_bytes(data)
"""
)


@dataclass
class Run:
    seconds: float
    maxrss_kib: int
    cpu: float  # user + system seconds of the process


def run(cmd: list[str], ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of one fresh process.  Dirty pages of the runs
    before (a fresh compile writes 31,000 files) are flushed first, untimed, so that no
    command is charged for the write-back of another."""
    os.sync()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, env=None if env is None else {**os.environ, **env}
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.read().decode()[-2000:]}")
    return Run(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def ratio(times: list[float], floors: list[float]) -> float:
    return statistics.median(t / f for t, f in zip(times, floors, strict=True))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``)."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        for text in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if text.startswith("Pss:"):
                return int(text.split()[1])
    except OSError:
        pass
    return 0


def pss_peak(cmd: list[str]) -> int | None:
    """The largest sum of PSS over the command's processes, sampled every 5 ms (KiB); None
    where ``/proc/<pid>/smaps_rollup`` does not exist.  A page shared copy-on-write by a
    forked helper counts once; a sample can miss a peak shorter than 5 ms."""
    if not Path(f"/proc/{os.getpid()}/smaps_rollup").exists():
        return None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
        time.sleep(0.005)
    return peak


def line(label: str, runs: list[Run], floors: list[Run], target: float | None) -> str:
    r = ratio([x.seconds for x in runs], [f.seconds for f in floors])
    cpu = ratio([x.cpu for x in runs], [f.cpu for f in floors])
    verdict = (
        "" if target is None else (f"  (target <= {target:g}: " + ("met)" if r <= target else "NOT met)"))
    )
    return (
        f"  {label:<26} {r:6.2f}x floor   median {statistics.median(x.seconds for x in runs):6.2f} s"
        f"   CPU {cpu:5.2f}x{verdict}"
    )


def bench_size(roles: int, runs: int, tmp: Path) -> tuple[list[str], int, int | None]:
    root = generate(tmp / f"catalog{roles}", roles=roles)
    files = sum(1 for p in root.rglob("*") if p.is_file())
    floors: dict[str, list[Run]] = {"fresh": [], "uptodate": [], "cold": [], "validate": []}
    write_floor: list[Run] = []
    fresh: list[Run] = []
    uptodate: list[Run] = []
    uptodate_cold: list[Run] = []
    validate: list[Run] = []
    kept = tmp / f"out{roles}"
    run([ROLECAT, "compile", str(root), "-o", str(kept), "--now", NOW])  # OUT for the up-to-date runs

    def floor(command: str) -> None:
        """The parse floor, timed right before ``command``'s run (see the module's doc)."""
        floors[command].append(run([sys.executable, "-c", PARSE_ONLY, str(root)]))

    for i in range(runs):
        floor("fresh")
        out = tmp / f"fresh{roles}-{i}"
        fresh.append(run([ROLECAT, "compile", str(root), "-o", str(out), "--now", NOW]))
        copy = tmp / f"copy{roles}-{i}"
        write_floor.append(run([sys.executable, "-c", PARSE_AND_WRITE, str(root), str(kept), str(copy)]))
        floor("uptodate")
        uptodate.append(run([ROLECAT, "compile", str(root), "-o", str(kept), "--now", NOW]))
        # The same without the entry the compile before remembered (removed, untimed; the
        # action index stays, as on any machine that ran rolecat before).
        cold_cache = Path(os.environ["ROLECAT_CACHE_DIR"] + "-cold")
        shutil.copytree(os.environ["ROLECAT_CACHE_DIR"], cold_cache, dirs_exist_ok=True)
        for entry in cold_cache.glob("compiled-*"):
            entry.unlink()
        floor("cold")
        cold = run(
            [ROLECAT, "compile", str(root), "-o", str(kept), "--now", NOW],
            env={"ROLECAT_CACHE_DIR": str(cold_cache)},
        )
        uptodate_cold.append(cold)
        floor("validate")
        validate.append(run([ROLECAT, "validate", str(root), "--now", NOW]))
    made = [p for p in kept.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in made)
    pss = pss_peak([ROLECAT, "compile", str(root), "-o", str(tmp / f"pss{roles}"), "--now", NOW])
    up_vs_fresh = ratio([u.seconds for u in uptodate], [f.seconds for f in fresh])
    out_lines = [
        f"{roles:,} roles ({files:,} catalog files; output {len(made):,} files, {size / 1e6:.1f} MB); "
        f"floor median {statistics.median(f.seconds for runs in floors.values() for f in runs):.2f} s",
        line("compile, fresh OUT", fresh, floors["fresh"], 3 if roles >= 1000 else None),
        line("  the same, to parse+write", fresh, write_floor, None),
        line("compile, OUT up to date", uptodate, floors["uptodate"], 3 if roles >= 1000 else None),
        line("  the same, not recalled", uptodate_cold, floors["cold"], None),
        line("validate", validate, floors["validate"], 2 if roles >= 1000 else None),
        f"  {'up to date / fresh':<26} {up_vs_fresh:6.2f}x         (target <= 1)",
    ]
    return out_lines, int(statistics.median(r.maxrss_kib for r in fresh)), pss


def bench_startup(runs: int) -> list[str]:
    example = REPO / "catalog"
    bare, helps, example_validate = [], [], []
    for _ in range(runs):
        bare.append(run([sys.executable, "-c", "pass"]).seconds)
        helps.append(run([ROLECAT, "--help"]).seconds)
        example_validate.append(run([ROLECAT, "validate", str(example), "--now", NOW], ok=(0, 1)).seconds)
    out = ["start-up (floor: a fresh `python -c pass`)"]
    for label, times, target in (
        ("rolecat --help", helps, 0.12),
        ("validate of catalog/", example_validate, 0.3),
    ):
        med = statistics.median(times)
        verdict = "met" if med <= target else "NOT met"
        out.append(
            f"  {label:<26} {ratio(times, bare):6.2f}x floor   median {med:6.3f} s"
            f"  (target <= {target:g} s: {verdict})"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "100,1000,10000"))
    args = parser.parse_args()
    # A wheel install compiles the package's bytecode, and its first run the code of its
    # dataclasses' methods (rolecat.classcode); an editable install under
    # PYTHONDONTWRITEBYTECODE never does, and would pay for compiling both on every run.
    import rolecat

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(rolecat.__file__).parent)], check=True)
    subprocess.run(
        [sys.executable, "-c", "from rolecat import classcode; classcode.compile_all()"], check=True
    )
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"methodology: median of {args.runs} paired runs, each command a fresh process timed right after "
        "a floor of its own, file systems synced (untimed) before each, nothing deleted until every size is "
        "measured; floor = a fresh python parsing the same catalog's YAML (PyYAML CSafeLoader) "
        "and JSON (parse+write floor: the same, then creating OUT's files with the same bytes); rolecat's "
        "bytecode and its dataclasses' code compiled first, as a wheel install and its first run do; rolecat's per-user cache in a folder of the bench's "
        "own: 'OUT up to date' recalls what the compile before rendered (targets.terraform.recall), "
        "'not recalled' runs without that entry and renders; start-up floor = python -c pass; the ratio is "
        "of wall time (CPU: of user+system time, rolecat's forked children included, "
        "steadier on a shared machine; rolecat uses a second core, the floor one)"
    )
    rss: dict[int, int] = {}
    pss: dict[int, int | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Its own per-user cache: the action index is built once (by the first compile),
        # and the up-to-date compiles recall what the compile before them rendered.
        os.environ["ROLECAT_CACHE_DIR"] = str(Path(tmp) / "cache")
        for roles in sizes:
            lines, rss[roles], pss[roles] = bench_size(roles, args.runs, Path(tmp))
            print("\n".join(lines), flush=True)
    print("\n".join(bench_startup(max(args.runs, 7))))
    if 1000 in rss and 10000 in rss:
        per_role = (rss[10000] - rss[1000]) / 9000
        verdict = "met" if per_role < 30 else "NOT met"
        print(
            f"peak memory of a fresh compile: {rss[1000] / 1024:.0f} MiB at 1k roles, "
            f"{rss[10000] / 1024:.0f} MiB at 10k: {per_role:.1f} KiB per role (target < 30: {verdict}); "
            "the largest single process (ru_maxrss)"
        )
        low, high = pss[1000], pss[10000]
        if low is not None and high is not None:
            per_role = (high - low) / 9000
            verdict = "met" if per_role < 30 else "NOT met"
            print(
                f"  all of rolecat's processes (sum of PSS, sampled every 5 ms): {low / 1024:.0f} MiB, "
                f"{high / 1024:.0f} MiB: {per_role:.1f} KiB per role (target < 30: {verdict})"
            )


if __name__ == "__main__":
    main()
