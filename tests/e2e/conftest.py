"""Fixtures of the end-to-end tests: Terraform with its provider mirror, the IAM emulator
(one moto server per session, reset between scenarios), boto3 clients into each account.

Without Terraform, the provider mirror or moto, every test here is skipped with the reason
(``make test`` lists it). ``.ci/run`` sets ``ROLECAT_E2E_REQUIRED=1``: then a skipped
end-to-end test is a failure, so CI cannot go green without running them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import Deployment, Emulator, Terraform, find_mirror, find_terraform, make_env

REQUIRED_ENV = "ROLECAT_E2E_REQUIRED"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == HERE:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        os.environ.get(REQUIRED_ENV) == "1"
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("e2e")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRED_ENV}=1 and this end-to-end test was skipped: {reason}"


def _missing() -> str | None:
    if find_terraform() is None:
        return "terraform is not on PATH"
    if find_mirror() is None:
        return (
            "no provider mirror holding registry.terraform.io/hashicorp/aws was found (set ROLECAT_TF_MIRROR)"
        )
    for mod in ("moto", "boto3", "flask", "werkzeug"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed (pip install -e '.[dev]' installs moto[server] and boto3)"
    return None


@pytest.fixture(scope="session")
def tf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terraform]:
    missing = _missing()
    if missing:
        pytest.skip(f"end-to-end tests need Terraform, the AWS provider mirror and moto: {missing}")
    binary, mirror = find_terraform(), find_mirror()
    assert binary and mirror
    runner = Terraform(binary, make_env(tmp_path_factory.mktemp("tfhome"), mirror))
    yield runner
    _RUNS.extend(runner.runs)


_RUNS: list[Any] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _RUNS:
        return
    total = sum(r.seconds for r in _RUNS)
    by: dict[str, int] = {}
    for r in _RUNS:
        by[r.args[0]] = by.get(r.args[0], 0) + 1
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by.items()))
    terminalreporter.write_line(f"end-to-end: {len(_RUNS)} terraform runs ({kinds}) taking {total:.0f} s")


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    for mod in ("moto", "boto3", "flask", "werkzeug"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(
                f"the IAM emulator needs {mod} (pip install -e '.[dev]' installs moto[server] and boto3)"
            )
    log = tmp_path_factory.mktemp("emulator") / "moto.log"
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "emulator.py")],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("PORT "):
                proc.kill()
                pytest.fail(f"the emulator did not start: {line!r}\n{log.read_text()}")
            yield Emulator(f"http://127.0.0.1:{int(line.split()[1])}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def emulator(emulator_server: Emulator) -> Emulator:
    """The session's emulator, emptied for this scenario."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def deployment(tf: Terraform, emulator: Emulator, tmp_path: Path) -> Callable[[Path], Deployment]:
    def make(out: Path) -> Deployment:
        return Deployment(tf, out, tmp_path / "deployed", emulator.endpoint)

    return make
