"""`make bench`: an access request on a large catalog vs. validating it.

`rolecat request` loads the catalog, edits one role file, and validates the edited copy
with the whole pipeline before writing, so it costs about two validations plus a copy
of the folder.  Prints both wall times (fresh processes, best of 3) and their ratio
(expected about 2-3).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_catalog import generate

BIN = Path(sys.executable).parent
NOW = "2026-01-01T09:30:00Z"


def best_of(make_cmd: Callable[[int], list[str]], runs: int = 3) -> float:
    best = float("inf")
    for i in range(runs):
        cmd = make_cmd(i)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pristine = generate(Path(tmp) / "pristine")
        rolecat = str(BIN / "rolecat")
        role = next((pristine / "roles").rglob("*.yaml")).read_text().split("\n", 1)[0].split(": ", 1)[1]
        validate_s = best_of(lambda _: [rolecat, "validate", str(pristine), "--now", NOW])

        def request(i: int) -> list[str]:
            copy = Path(tmp) / f"run{i}"
            shutil.copytree(pristine, copy)
            args = ["--user", "user1199", "--for", "3d", "--reason", "bench", "--catalog", str(copy)]
            return [rolecat, "request", role, *args, "--now", NOW]

        request_s = best_of(request)
    print(f"rolecat validate, 1,000 roles (fresh process):          {validate_s:6.2f} s")
    print(f"rolecat request, edit + full validation (fresh process): {request_s:6.2f} s")
    print(
        f"ratio request / validate:                                {request_s / validate_s:6.2f}  (about 2-3)"
    )


if __name__ == "__main__":
    main()
